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

/// `--store`: a hub on PostgreSQL set up as an operator does, with the address from the
/// config file, from `WISHTREE_STORE` and from the flag; and each refusal: an address
/// that is not PostgreSQL's, a directory of the other kind, another hub's key.
#[test]
fn a_hub_on_postgres_is_set_up_from_flag_variable_or_config_and_mixing_is_refused() {
    let Some(database) = wishtree_testkit::postgres::TestDatabase::create("hub CLI on PostgreSQL")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first");
    let first = first.to_str().unwrap();
    let init = hub(&[
        "init",
        "--data",
        first,
        "--city",
        "1309",
        "--store",
        database.url(),
    ]);
    assert!(init.status.success(), "{}", text(&init));
    let key = KeyPair::from_secret([5; 32]).public().to_string();

    // The config file's `store`, and the variable, reach every command.
    let config = dir.path().join("hub.toml");
    std::fs::write(&config, format!("store = \"{}\"\n", database.url())).unwrap();
    let config = config.to_str().unwrap();
    let enrolled = hub(&[
        "enroll",
        "--config",
        config,
        "--data",
        first,
        "--community",
        "130903001001",
        "--key",
        &key,
    ]);
    assert!(enrolled.status.success(), "{}", text(&enrolled));
    let roster = Command::new(env!("CARGO_BIN_EXE_wishtree-hub"))
        .args(["roster", "--data", first])
        .env("WISHTREE_STORE", database.url())
        .output()
        .unwrap();
    assert!(text(&roster).contains(&key), "{}", text(&roster));

    // Without it, the directory's empty file is not read.
    let refused = hub(&["roster", "--data", first]);
    assert!(!refused.status.success());
    assert!(
        text(&refused).contains("keeps its documents in PostgreSQL"),
        "{}",
        text(&refused)
    );
    // Not a PostgreSQL address; and the password is never echoed.
    let refused = hub(&[
        "roster",
        "--data",
        first,
        "--store",
        "mysql://u:secret@h/db",
    ]);
    assert!(
        text(&refused).contains("takes a PostgreSQL address"),
        "{}",
        text(&refused)
    );
    assert!(!text(&refused).contains("secret"));
    // A directory made without --store refuses one.
    let plain = dir.path().join("plain");
    let plain = plain.to_str().unwrap();
    assert!(
        hub(&["init", "--data", plain, "--city", "1309"])
            .status
            .success()
    );
    let refused = hub(&["roster", "--data", plain, "--store", database.url()]);
    assert!(
        text(&refused).contains("its own SQLite file"),
        "{}",
        text(&refused)
    );
    // A second process with a key of its own is another hub: refused at init.
    let second = dir.path().join("second");
    let second = second.to_str().unwrap();
    let refused = hub(&[
        "init",
        "--data",
        second,
        "--city",
        "1309",
        "--store",
        database.url(),
    ]);
    assert!(!refused.status.success());
    assert!(
        text(&refused).contains("copy hub.key"),
        "{}",
        text(&refused)
    );
    // Nor another city.
    let other_city = dir.path().join("other");
    std::fs::create_dir_all(&other_city).unwrap();
    std::fs::copy(dir.path().join("first/hub.key"), other_city.join("hub.key")).unwrap();
    let refused = hub(&[
        "init",
        "--data",
        other_city.to_str().unwrap(),
        "--city",
        "1310",
        "--store",
        database.url(),
    ]);
    assert!(text(&refused).contains("not 1310"), "{}", text(&refused));
}
