//! The `wishtree-node` binary: parses the command line and hands over to the library.

fn main() -> std::process::ExitCode {
    wishtree_node::cli::main()
}
