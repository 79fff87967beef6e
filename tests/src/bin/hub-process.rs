//! `hub-process`: the `wishtree-hub` command line, built inside this package so that
//! its tests can run a hub as a child process (`CARGO_BIN_EXE_hub-process`) and kill it
//! with SIGKILL, which an in-process hub cannot be.

fn main() -> std::process::ExitCode {
    wishtree_hub::cli::main()
}
