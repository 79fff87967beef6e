//! The config files of both binaries (`wishtree_common::config`): TOML whose keys are
//! long flags, turned into flags that clap then checks.

use std::ffi::OsString;
use std::path::Path;

use clap::{CommandFactory, Parser};
use wishtree_common::config::config_flags;

use super::split_selector;

/// The command lines a file is read for: each binary's `run`, and commands whose
/// flags differ from `run`'s (so a key another command knows is passed over).
const COMMAND_LINES: &[(Binary, &[&str])] = &[
    (Binary::Node, &["wishtree-node", "run"]),
    (Binary::Node, &["wishtree-node", "status"]),
    (Binary::Node, &["wishtree-node", "init"]),
    (Binary::Hub, &["wishtree-hub", "run"]),
    (Binary::Hub, &["wishtree-hub", "init"]),
    (Binary::Hub, &["wishtree-hub", "status"]),
];

#[derive(Debug, Clone, Copy)]
enum Binary {
    Node,
    Hub,
}

/// First byte chooses the command line; the rest is the file's text. Reading it
/// answers flags or an error, and the flags parse or clap refuses them, without a
/// panic either way.
pub(super) fn config(data: &[u8]) {
    let Some((selector, bytes)) = split_selector(data, COMMAND_LINES.len() as u8) else {
        return;
    };
    // The binaries read the file with `read_to_string`, which refuses what is not
    // UTF-8 before the parser sees it.
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let (binary, line) = COMMAND_LINES[usize::from(selector)];
    let args: Vec<OsString> = line.iter().map(OsString::from).collect();
    let command = match binary {
        Binary::Node => wishtree_node::cli::Cli::command(),
        Binary::Hub => wishtree_hub::cli::Cli::command(),
    };
    let Ok(flags) = config_flags(&command, &args, Path::new("fuzz.toml"), text) else {
        return;
    };
    let mut args = args;
    args.extend(flags);
    let _ = match binary {
        Binary::Node => wishtree_node::cli::Cli::try_parse_from(args).map(drop),
        Binary::Hub => wishtree_hub::cli::Cli::try_parse_from(args).map(drop),
    };
}
