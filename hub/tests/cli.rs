//! The `wishtree-hub` binary as an operator uses it: init, enroll, revoke, roster,
//! backup, with clear errors for bad input.

#![allow(clippy::unwrap_used)]

use std::process::{Command, Output};

use wishtree_protocol::keys::KeyPair;

fn hub(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wishtree-hub"))
        .args(args)
        .output()
        .unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn an_operator_sets_up_a_hub_and_manages_its_roster() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let data = data.to_str().unwrap();

    let init = hub(&["init", "--data", data, "--city", "1309"]);
    assert!(init.status.success(), "{}", text(&init));
    let printed_key = text(&init).lines().last().unwrap().trim().to_owned();
    assert!(
        printed_key
            .parse::<wishtree_protocol::keys::PublicKey>()
            .is_ok()
    );
    let again = hub(&["init", "--data", data, "--city", "1309"]);
    assert!(!again.status.success());
    assert!(
        text(&again).contains("never overwritten"),
        "{}",
        text(&again)
    );

    let node_key = KeyPair::from_secret([9; 32]).public().to_string();
    let enroll = hub(&[
        "enroll",
        "--data",
        data,
        "--community",
        "130903003001",
        "--key",
        &node_key,
    ]);
    assert!(enroll.status.success(), "{}", text(&enroll));

    // A mistyped key is caught by its check characters.
    let mut typo = node_key.clone().into_bytes();
    typo[3] = if typo[3] == b'A' { b'B' } else { b'A' };
    let typo = String::from_utf8(typo).unwrap();
    let bad = hub(&[
        "enroll",
        "--data",
        data,
        "--community",
        "130903003002",
        "--key",
        &typo,
    ]);
    assert!(!bad.status.success());
    assert!(text(&bad).contains("mistyped"), "{}", text(&bad));

    let bad_code = hub(&[
        "enroll",
        "--data",
        data,
        "--community",
        "13090300300",
        "--key",
        &node_key,
    ]);
    assert!(text(&bad_code).contains("11 digits"), "{}", text(&bad_code));

    let roster = hub(&["roster", "--data", data]);
    assert!(text(&roster).contains(&node_key));
    assert!(text(&roster).contains("active"));

    let revoke = hub(&[
        "revoke",
        "--data",
        data,
        "--community",
        "130903003001",
        "--reason",
        "换电脑",
    ]);
    assert!(revoke.status.success(), "{}", text(&revoke));
    assert!(text(&hub(&["roster", "--data", data])).contains("换电脑"));

    let backup_path = dir.path().join("hub-backup.sqlite");
    let backup = hub(&[
        "backup",
        "--data",
        data,
        "--out",
        backup_path.to_str().unwrap(),
    ]);
    assert!(backup.status.success(), "{}", text(&backup));
    assert!(backup_path.exists());
}

#[test]
fn commands_on_a_missing_hub_say_how_to_create_one() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("nothing");
    let output = hub(&["roster", "--data", data.to_str().unwrap()]);
    assert!(!output.status.success());
    assert!(
        text(&output).contains("wishtree-hub init"),
        "{}",
        text(&output)
    );
}
