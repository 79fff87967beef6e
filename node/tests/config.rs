//! The node's config file as an operator writes it: its keys fill what the command line
//! leaves unsaid, a flag or a `WISHTREE_*` variable overrides it, and a bad key is
//! refused naming the file, the line and the key before anything is done.

#![allow(clippy::unwrap_used)]

mod support;

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use support::{COMMUNITY, RunningNode, binary, cli, cli_init, json_of, request};

fn init(data: &Path) {
    cli_init(&[], data, COMMUNITY);
}

fn status_community(output: &std::process::Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let status: Value = serde_json::from_slice(&output.stdout).unwrap();
    status["community"]["code"].as_str().unwrap().to_owned()
}

#[test]
fn the_file_names_the_data_directory_and_a_flag_or_variable_overrides_it() {
    let dir = tempfile::tempdir().unwrap();
    let (from_file, from_flag) = (dir.path().join("a"), dir.path().join("b"));
    init(&from_file);
    let config = dir.path().join("node.toml");
    std::fs::write(
        &config,
        format!(
            "# the office PC's node\ndata = {:?}\nhttp = \"127.0.0.1:18081\"\n",
            from_file.to_str().unwrap()
        ),
    )
    .unwrap();
    let status = |args: &[&str], data_variable: Option<&Path>| {
        let mut command = Command::new(binary());
        command
            .args(["--config", config.to_str().unwrap(), "status", "--json"])
            .args(args)
            .env_remove("WISHTREE_DATA")
            .env_remove("WISHTREE_CONFIG");
        if let Some(data) = data_variable {
            command.env("WISHTREE_DATA", data);
        }
        command.output().unwrap()
    };
    assert_eq!(status_community(&status(&[], None)), COMMUNITY);
    // The flag wins over the file: `b` holds no node, so status says so.
    let refused = status(&["--data", from_flag.to_str().unwrap()], None);
    assert!(!refused.status.success());
    let refused = status(&[], Some(&from_flag));
    assert!(
        !refused.status.success(),
        "WISHTREE_DATA must override the file"
    );
}

#[test]
fn a_bad_key_is_refused_naming_file_line_and_key_and_nothing_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("node");
    let config = dir.path().join("node.toml");
    std::fs::write(
        &config,
        format!(
            "data = {:?}\nhttp = \"127.0.0.1:18081\"\nhttp_port = 8081\n",
            data.to_str().unwrap()
        ),
    )
    .unwrap();
    let (ok, _, stderr) = cli(&[
        "--config",
        config.to_str().unwrap(),
        "init",
        "--community",
        COMMUNITY,
        "--name",
        "行宫社区",
    ]);
    assert!(!ok);
    assert!(
        stderr.contains(&format!(
            "{}:3: http_port: no such setting",
            config.display()
        )),
        "{stderr}"
    );
    assert!(!data.exists(), "nothing may be written on a bad config");
}

#[test]
fn the_example_config_of_deploy_starts_the_node() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/node.toml");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("node");
    // As deploy/README.md says, with the data directory and port a test must choose.
    cli_init(&["--config", example.to_str().unwrap()], &data, COMMUNITY);
    let node =
        RunningNode::start_with_env(&data, &[("WISHTREE_CONFIG", example.to_str().unwrap())]);
    let (status, body) = json_of(request(node.address, "GET", "/api/status", None, &[]));
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["community"]["code"], COMMUNITY, "{body}");
}
