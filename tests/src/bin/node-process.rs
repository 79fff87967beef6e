//! `node-process`: the `wishtree-node` command line, built inside this package so that
//! its tests and the chaos harness can run a node as a child process
//! (`CARGO_BIN_EXE_node-process`, or beside the `chaos` binary) and kill it with
//! SIGKILL, which an in-process node cannot be.

fn main() -> std::process::ExitCode {
    wishtree_node::cli::main()
}
