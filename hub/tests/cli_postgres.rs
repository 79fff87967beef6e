//! The operator's commands on a hub that keeps everything in PostgreSQL (issue 15): two
//! data directories initialised with `--store`, as two hub processes are, and region
//! names, bulletins and `send` through either: what one directory's command wrote, the
//! other's reads, as every process of the hub serves the same figures. `backup` says
//! that it copied the directory's file only and that the database needs `pg_dump`.

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};

use wishtree_testkit::postgres::TestDatabase;

/// Runs the hub binary with `--store URL`, as every command of such a hub is run.
fn hub(store: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_wishtree-hub"))
        .args(["--store", store])
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

/// Runs a command that must succeed; its output.
fn ok(store: &str, args: &[&str]) -> String {
    let output = hub(store, args);
    assert!(output.status.success(), "{args:?}: {}", text(&output));
    text(&output)
}

/// `wishtree-hub init --store` of the city hub in `data`; its key.
fn init(store: &str, data: &Path) -> String {
    let printed = ok(
        store,
        &["init", "--data", data.to_str().unwrap(), "--city", "1309"],
    );
    printed.lines().last().unwrap().trim().to_owned()
}

#[test]
fn region_names_and_bulletins_of_a_postgresql_hub_are_shared_by_its_directories() {
    let Some(database) = TestDatabase::create("CLI test on a PostgreSQL hub") else {
        return;
    };
    let store = database.url();
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("hub-a");
    let second = dir.path().join("hub-b");
    let key = init(store, &first);
    std::fs::create_dir(&second).unwrap();
    std::fs::copy(first.join("hub.key"), second.join("hub.key")).unwrap();
    assert_eq!(init(store, &second), key, "one hub, two directories");
    let (first, second) = (first.to_str().unwrap(), second.to_str().unwrap());

    // A name given through one directory, a CSV through the other.
    let named = ok(
        store,
        &["region", "name", "--data", first, "130903", "运河区"],
    );
    assert!(named.contains("130903  运河区"), "{named}");
    let csv = dir.path().join("streets.csv");
    std::fs::write(&csv, "code,name\n130903001,水月寺街道\n").unwrap();
    let imported = ok(
        store,
        &["region", "import", "--data", second, csv.to_str().unwrap()],
    );
    assert!(imported.contains("named 1 region(s)"), "{imported}");

    // Issued through the second directory, with the name given through the first.
    let issued = ok(
        store,
        &[
            "bulletin", "issue", "--data", second, "--region", "130903", "--month", "2026-01",
        ],
    );
    assert!(
        issued.contains("issued bulletin 1 of 运河区 (130903) for 2026-01"),
        "{issued}"
    );
    let street = ok(
        store,
        &[
            "bulletin",
            "issue",
            "--data",
            first,
            "--region",
            "130903001",
            "--month",
            "2026-01",
        ],
    );
    assert!(street.contains("of 水月寺街道 (130903001)"), "{street}");

    // Listed through the first directory, and not issued twice through it.
    let listed = ok(
        store,
        &["bulletin", "list", "--data", first, "--region", "130903"],
    );
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), 1, "{listed}");
    assert!(lines[0].starts_with("1  2026-01  issued "), "{listed}");
    assert!(lines[0].ends_with(" by 平台管理员"), "{listed}");
    let again = hub(
        store,
        &[
            "bulletin", "issue", "--data", first, "--region", "130903", "--month", "2026-01",
        ],
    );
    assert!(!again.status.success());
    assert!(
        text(&again).contains("region 130903 has a bulletin for 2026-01 already"),
        "{}",
        text(&again)
    );

    // Without the store's address the directory's empty tables are not read.
    let bare = Command::new(env!("CARGO_BIN_EXE_wishtree-hub"))
        .args(["bulletin", "list", "--data", first, "--region", "130903"])
        .env_remove("WISHTREE_STORE")
        .output()
        .unwrap();
    assert!(!bare.status.success());
    assert!(
        text(&bare).contains("keeps its documents in PostgreSQL: give its address with --store"),
        "{}",
        text(&bare)
    );

    // `send` reads the shared figures: no community there has members of this unit.
    let out = dir.path().join("out");
    let org = wishtree_testkit::community::credit_code(1).to_string();
    let sent = ok(
        store,
        &[
            "send",
            "--data",
            first,
            "--org",
            &org,
            "--to",
            &key,
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(
        sent.contains(&format!("no community this hub holds has members of {org}")),
        "{sent}"
    );

    // `backup` copies the directory's file and says that the database is not in it.
    let copy = dir.path().join("hub-a.sqlite");
    let backup = ok(
        store,
        &["backup", "--data", first, "--out", copy.to_str().unwrap()],
    );
    assert!(copy.exists());
    assert!(
        backup.contains("hub.sqlite only (its settings), NOT the hub's data"),
        "{backup}"
    );
    assert!(
        backup.contains(
            "keeps its documents, roster, accounts, figures, region names and bulletins in PostgreSQL: back that database up with pg_dump"
        ),
        "{backup}"
    );
}
