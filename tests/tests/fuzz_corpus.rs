//! Replays the fuzz targets' committed inputs on stable: every file of
//! `fuzz/corpus/<target>/` (the minimised corpus) and `fuzz/crashers/<target>/` (every
//! crash the fuzzer found, kept as a regression) through the target's body in
//! `wishtree_tests::fuzz_bodies`. A target without a corpus fails, so a new target
//! cannot be added without seeds.

use std::path::{Path, PathBuf};

use wishtree_tests::fuzz_bodies::TARGETS;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// The files of `dir`, sorted; a missing directory is a failure.
fn files(dir: &Path) -> Vec<PathBuf> {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|error| panic!("{}: {error}", dir.display()));
    let mut files: Vec<PathBuf> = entries
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| {
            // The directory's README and `.gitkeep` are not inputs.
            let name = path
                .file_name()
                .and_then(|name| name.to_str())
                .unwrap_or("");
            path.is_file() && name != "README.md" && !name.starts_with('.')
        })
        .collect();
    files.sort();
    files
}

fn replay(dir: &Path, body: fn(&[u8])) -> usize {
    let files = files(dir);
    for file in &files {
        let data = std::fs::read(file).expect("a corpus file reads");
        // A panic names the file, so a failure here is rerun with
        // `cargo +nightly fuzz run <target> <file>` or this test.
        eprintln!("replaying {}", file.display());
        body(&data);
    }
    files.len()
}

#[test]
fn every_target_has_a_corpus_and_it_replays() {
    for (target, body) in TARGETS {
        let count = replay(&fuzz_dir().join("corpus").join(target), *body);
        assert!(count > 0, "fuzz/corpus/{target} is empty");
    }
}

#[test]
fn every_crasher_replays_without_a_panic() {
    for (target, body) in TARGETS {
        replay(&fuzz_dir().join("crashers").join(target), *body);
    }
}

#[test]
fn every_corpus_directory_is_a_target() {
    for kind in ["corpus", "crashers"] {
        for entry in std::fs::read_dir(fuzz_dir().join(kind)).expect("the fuzz directory") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                let name = path
                    .file_name()
                    .and_then(|name| name.to_str())
                    .unwrap_or("");
                assert!(
                    TARGETS.iter().any(|(target, _)| *target == name),
                    "fuzz/{kind}/{name} belongs to no target"
                );
            }
        }
    }
}
