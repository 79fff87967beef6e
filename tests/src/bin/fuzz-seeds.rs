//! Writes the fuzz targets' seed corpus (`wishtree_tests::fuzz_bodies::seeds`) into
//! `fuzz/corpus/<target>/seed-NN`: `cargo run -p wishtree-tests --bin fuzz-seeds [DIR]`
//! (DIR defaults to `fuzz/corpus` of the workspace).

use std::path::PathBuf;

fn main() -> anyhow::Result<()> {
    let root = std::env::args_os().nth(1).map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus"),
        PathBuf::from,
    );
    for (target, seeds) in wishtree_tests::fuzz_bodies::seeds::all() {
        let dir = root.join(target);
        std::fs::create_dir_all(&dir)?;
        for (n, seed) in seeds.iter().enumerate() {
            std::fs::write(dir.join(format!("seed-{n:02}")), seed)?;
        }
        println!("{target}: {} seeds", seeds.len());
    }
    Ok(())
}
