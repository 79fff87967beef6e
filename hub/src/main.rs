//! The `wishtree-hub` binary: parses the command line and hands over to the library.

fn main() -> std::process::ExitCode {
    wishtree_hub::cli::main()
}
