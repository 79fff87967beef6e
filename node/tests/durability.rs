//! What must never happen: a write the node confirmed is lost, or a damaged store is
//! used silently. The real `wishtree-node run` binary is killed with SIGKILL while a
//! client writes; backups are taken while it writes and restored; database files and
//! chunks are truncated and corrupted.

#![allow(clippy::unwrap_used)]

mod support;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wishtree_node::api::Input;

use rusqlite::Connection;
use serde_json::Value;
use support::{RunningNode, cli, init_node, try_request, wish_body};
use wishtree_node::replica::{DATABASE_FILE, KEY_FILE, OpenError, Replica};
use wishtree_protocol::bundle::{Bundle, KeyStanding, Receiver, ReceiverState};
use wishtree_protocol::keys::PublicKey;
use wishtree_protocol::{CommunityCode, CommunityDoc};

/// What a client was told was saved.
#[derive(Debug, Default, Clone)]
struct Acknowledged {
    wishes: BTreeSet<String>,
    members: BTreeSet<String>,
    published: BTreeSet<String>,
}

/// A small random source (xorshift), seeded from the clock and printed, so a failing
/// run can be replayed by setting WISHTREE_CRASH_SEED.
struct Random(u64);

impl Random {
    fn new() -> Self {
        let seed = std::env::var("WISHTREE_CRASH_SEED")
            .ok()
            .and_then(|seed| seed.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
                    | 1
            });
        println!("crash test seed {seed} (set WISHTREE_CRASH_SEED to replay)");
        Self(seed)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound
    }
}

/// Writes through the API until the node goes away, recording what was acknowledged.
fn write_until_gone(
    address: std::net::SocketAddr,
    round: usize,
    acknowledged: Arc<Mutex<Acknowledged>>,
) {
    for n in 0.. {
        let (path, body) = match n % 3 {
            0 => (
                "/api/wishes".to_owned(),
                wish_body(&format!("心愿 {round}-{n}")),
            ),
            1 => (
                "/api/members".to_owned(),
                support::member_body(&format!("党员 {round}-{n}")),
            ),
            _ => {
                let last = acknowledged
                    .lock()
                    .unwrap()
                    .wishes
                    .iter()
                    .next_back()
                    .cloned();
                let Some((_, wish)) = last.as_deref().and_then(|entry| entry.split_once('|'))
                else {
                    continue;
                };
                (format!("/api/wishes/{wish}/publish"), serde_json::json!({}))
            }
        };
        let answer = match try_request(
            address,
            "POST",
            &path,
            Some(body.to_string().as_bytes()),
            &[],
        ) {
            Ok(answer) => answer,
            // The node was killed before it answered in full: not acknowledged.
            Err(_) => return,
        };
        let value: Value = serde_json::from_slice(&answer.body)
            .unwrap_or_else(|error| panic!("{error}: {answer:?}"));
        let mut acknowledged = acknowledged.lock().unwrap();
        match answer.status {
            201 if n % 3 == 0 => {
                acknowledged.wishes.insert(
                    value["title"].as_str().unwrap().to_owned()
                        + "|"
                        + value["id"].as_str().unwrap(),
                );
            }
            201 => {
                acknowledged
                    .members
                    .insert(value["id"].as_str().unwrap().to_owned());
            }
            200 => {
                acknowledged
                    .published
                    .insert(value["id"].as_str().unwrap().to_owned());
            }
            // Publishing a wish twice is refused: nothing was written.
            409 => {}
            other => panic!("unexpected answer {other}: {value}"),
        }
    }
}

/// Every acknowledged write is in the store, which is sound and loads.
fn check_store(dir: &Path, acknowledged: &Acknowledged) {
    let mut replica = Replica::open_read_only(dir).unwrap();
    assert_eq!(replica.integrity_check().unwrap(), Vec::<String>::new());
    let view = replica.view().unwrap();
    for entry in &acknowledged.wishes {
        let (title, id) = entry.split_once('|').unwrap();
        let wish = &view.wishes[&id.parse().unwrap()];
        assert_eq!(wish.entity.title, title);
    }
    for id in &acknowledged.members {
        assert!(
            view.members.contains_key(&id.parse().unwrap()),
            "member {id} is lost"
        );
    }
    for id in &acknowledged.published {
        let wish = &view.wishes[&id.parse().unwrap()];
        assert!(
            wish.status.published_at.is_some(),
            "the publication of {id} is lost"
        );
    }
    // Each command signed the heads it made: the last attestation covers the document.
    let signed = replica.last_attestation().unwrap().unwrap();
    assert_eq!(signed.heads, replica.heads());
    signed.verify_by(&replica.public_key()).unwrap();
}

#[test]
fn acknowledged_writes_survive_sigkill_at_random_moments() {
    let dir = tempfile::tempdir().unwrap();
    drop(init_node(dir.path()));
    let acknowledged = Arc::new(Mutex::new(Acknowledged::default()));
    let mut random = Random::new();
    let mut last_count = 0;
    for round in 0..50 {
        // Frequent compaction, so that kills also land in and around it.
        let node = RunningNode::start_with_env(dir.path(), &[("WISHTREE_COMPACT_AFTER", "16")]);
        let address = node.address;
        let writer = {
            let acknowledged = Arc::clone(&acknowledged);
            std::thread::spawn(move || write_until_gone(address, round, acknowledged))
        };
        // Kill after a random number of acknowledged writes (0 to 5), plus a random
        // fraction of a write, so kills land before, during and after commits.
        let wanted = last_count + random.below(6) as usize;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let done = {
                let acknowledged = acknowledged.lock().unwrap();
                acknowledged.wishes.len()
                    + acknowledged.members.len()
                    + acknowledged.published.len()
            };
            if done >= wanted || Instant::now() > deadline {
                break;
            }
            std::thread::yield_now();
        }
        std::thread::sleep(Duration::from_micros(random.below(4000)));
        node.kill();
        writer.join().unwrap();
        let acknowledged = acknowledged.lock().unwrap();
        last_count =
            acknowledged.wishes.len() + acknowledged.members.len() + acknowledged.published.len();
        check_store(dir.path(), &acknowledged);
    }
    let acknowledged = acknowledged.lock().unwrap();
    println!(
        "acknowledged: {} wishes, {} members, {} publications",
        acknowledged.wishes.len(),
        acknowledged.members.len(),
        acknowledged.published.len()
    );
    assert!(
        acknowledged.wishes.len() + acknowledged.members.len() >= 50,
        "too few writes were acknowledged to mean anything: {acknowledged:?}"
    );
    // The restarted node serves every acknowledged wish.
    let node = RunningNode::start(dir.path());
    let answer = try_request(node.address, "GET", "/api/wishes", None, &[]).unwrap();
    let wishes: Vec<Value> = serde_json::from_slice(&answer.body).unwrap();
    let served: BTreeSet<String> = wishes
        .iter()
        .map(|wish| {
            format!(
                "{}|{}",
                wish["title"].as_str().unwrap(),
                wish["id"].as_str().unwrap()
            )
        })
        .collect();
    assert!(acknowledged.wishes.is_subset(&served));
}

#[test]
fn a_backup_taken_while_the_node_writes_restores_by_pointing_data_at_it() {
    let dir = tempfile::tempdir().unwrap();
    let original_key = init_node(dir.path()).public_key();
    let node = RunningNode::start(dir.path());
    let acknowledged = Arc::new(Mutex::new(Acknowledged::default()));
    let before: Vec<String> = (0..10)
        .map(|n| {
            let answer = try_request(
                node.address,
                "POST",
                "/api/wishes",
                Some(wish_body(&format!("备份前 {n}")).to_string().as_bytes()),
                &[],
            )
            .unwrap();
            assert_eq!(answer.status, 201);
            serde_json::from_slice::<Value>(&answer.body).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    // Keep writing while the backup runs.
    let writer = {
        let acknowledged = Arc::clone(&acknowledged);
        let address = node.address;
        std::thread::spawn(move || write_until_gone(address, 1, acknowledged))
    };
    let backups = tempfile::tempdir().unwrap();
    let backup = backups.path().join("wishtree-2026-11-23.sqlite");
    // What was acknowledged before the backup began must all be in it; the writes
    // acknowledged while it runs may or may not be.
    let before_backup = acknowledged.lock().unwrap().clone();
    let (ok, _, stderr) = cli(&[
        "backup",
        "--data",
        dir.path().to_str().unwrap(),
        "--out",
        backup.to_str().unwrap(),
    ]);
    assert!(ok, "{stderr}");
    assert!(stderr.contains("backup 100%"), "{stderr}");
    let (again, _, stderr) = cli(&[
        "backup",
        "--data",
        dir.path().to_str().unwrap(),
        "--out",
        backup.to_str().unwrap(),
    ]);
    assert!(
        !again && stderr.contains("exists"),
        "a backup is never overwritten: {stderr}"
    );
    node.kill();
    writer.join().unwrap();

    // The backup alone, in a directory of its own: the key file comes back from it.
    let mut restored = Replica::open(backups.path()).unwrap();
    assert_eq!(restored.public_key(), original_key);
    assert!(backups.path().join(KEY_FILE).exists());
    assert_eq!(restored.integrity_check().unwrap(), Vec::<String>::new());
    let view = restored.view().unwrap();
    for id in &before {
        assert!(view.wishes.contains_key(&id.parse().unwrap()));
    }
    let signed = restored.last_attestation().unwrap().unwrap();
    assert_eq!(
        signed.heads,
        restored.heads(),
        "the backup is one consistent snapshot"
    );
    drop(restored);
    check_store(backups.path(), &before_backup);

    // And the binary runs on it.
    let node = RunningNode::start(backups.path());
    let answer = try_request(
        node.address,
        "GET",
        "/api/wishes?state=submitted",
        None,
        &[],
    )
    .unwrap();
    let wishes: Vec<Value> = serde_json::from_slice(&answer.body).unwrap();
    assert!(wishes.len() >= before.len());
}

/// A node with some records, closed, and its database file.
fn closed_node_with_records() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let mut replica = init_node(dir.path());
    for n in 0..40 {
        wishtree_node::api::create_wish(
            &mut replica,
            wishtree_node::api::NewWish::from_json(
                wish_body(&format!("心愿 {n}")),
                wishtree_node::now(),
            )
            .unwrap(),
            wishtree_node::now(),
        )
        .unwrap();
    }
    drop(replica);
    let database = dir.path().join(DATABASE_FILE);
    (dir, database)
}

fn open_error(dir: &Path) -> String {
    let error = Replica::open(dir).unwrap_err().to_string();
    // The binary says the same, without panicking.
    let (ok, _, stderr) = cli(&["status", "--data", dir.to_str().unwrap()]);
    assert!(!ok, "status succeeded on a damaged store");
    assert!(stderr.contains("wishtree-node backup"), "{stderr}");
    error
}

#[test]
fn a_truncated_database_file_is_refused_with_the_way_out() {
    for keep in [0.5, 0.9] {
        let (dir, database) = closed_node_with_records();
        let size = std::fs::metadata(&database).unwrap().len();
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(&database)
            .unwrap();
        file.set_len((size as f64 * keep) as u64 / 4096 * 4096)
            .unwrap();
        drop(file);
        let error = open_error(dir.path());
        assert!(error.contains(&database.display().to_string()), "{error}");
        assert!(error.contains("restore a backup"), "{error}");
    }
}

#[test]
fn a_database_file_of_garbage_is_refused_with_the_way_out() {
    let (dir, database) = closed_node_with_records();
    let mut bytes = std::fs::read(&database).unwrap();
    for byte in bytes.iter_mut().take(100) {
        *byte = 0x5a;
    }
    std::fs::write(&database, bytes).unwrap();
    let error = open_error(dir.path());
    assert!(error.contains("is damaged"), "{error}");
}

#[test]
fn damaged_pages_inside_the_database_are_found() {
    let (dir, database) = closed_node_with_records();
    let mut bytes = std::fs::read(&database).unwrap();
    // Scribble over the middle page, where chunks live.
    let page = bytes.len() / 4096 / 2;
    for byte in &mut bytes[page * 4096..page * 4096 + 4096] {
        *byte ^= 0xa5;
    }
    std::fs::write(&database, bytes).unwrap();
    let error = open_error(dir.path());
    assert!(error.contains(&database.display().to_string()), "{error}");
}

#[test]
fn a_corrupt_or_truncated_chunk_is_named() {
    // Bytes flipped inside chunk 20, then chunk 30 cut short.
    for (seq, damage) in [(20, "flip"), (30, "cut")] {
        let (dir, database) = closed_node_with_records();
        let connection = Connection::open(&database).unwrap();
        let mut bytes: Vec<u8> = connection
            .query_row(
                "SELECT bytes FROM doc_chunks WHERE doc = 'community' AND seq = ?1",
                [seq],
                |row| row.get(0),
            )
            .unwrap();
        if damage == "flip" {
            let middle = bytes.len() / 2;
            bytes[middle] ^= 0xff;
            bytes[middle + 1] ^= 0xff;
        } else {
            bytes.truncate(bytes.len() - 7);
        }
        connection
            .execute(
                "UPDATE doc_chunks SET bytes = ?1 WHERE doc = 'community' AND seq = ?2",
                rusqlite::params![bytes, seq],
            )
            .unwrap();
        drop(connection);
        let error = open_error(dir.path());
        assert!(error.contains(&format!("chunk {seq}")), "{damage}: {error}");
        assert!(error.contains("community document"), "{error}");
        assert!(error.contains(&database.display().to_string()), "{error}");
    }
}

#[test]
fn key_file_problems_are_explained_and_a_missing_key_comes_back_from_the_database() {
    let (dir, _) = closed_node_with_records();
    let key_file = dir.path().join(KEY_FILE);
    let key = std::fs::read_to_string(&key_file).unwrap();

    std::fs::write(&key_file, "not a key").unwrap();
    let error = Replica::open(dir.path()).unwrap_err();
    assert!(matches!(error, OpenError::Identity(_)), "{error}");
    assert!(error.to_string().contains(&key_file.display().to_string()));

    std::fs::write(&key_file, "11".repeat(32)).unwrap();
    let error = Replica::open(dir.path()).unwrap_err();
    assert!(matches!(error, OpenError::KeyMismatch { .. }), "{error}");

    std::fs::remove_file(&key_file).unwrap();
    let replica = Replica::open(dir.path()).unwrap();
    drop(replica);
    assert_eq!(std::fs::read_to_string(&key_file).unwrap(), key);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

#[test]
fn a_directory_without_a_node_and_a_busy_directory_are_explained() {
    let empty = tempfile::tempdir().unwrap();
    let error = Replica::open(empty.path()).unwrap_err();
    assert!(matches!(error, OpenError::NotInitialised { .. }), "{error}");
    assert!(error.to_string().contains("wishtree-node init"));

    let dir = tempfile::tempdir().unwrap();
    let replica = init_node(dir.path());
    let error = Replica::open(dir.path()).unwrap_err();
    assert!(matches!(error, OpenError::Busy { .. }), "{error}");
    // Reading beside the running node works.
    assert!(Replica::open_read_only(dir.path()).is_ok());
    drop(replica);
    assert!(Replica::open(dir.path()).is_ok());
}

/// `export --bundle` beside a running node that is being written to: the running node
/// writes the bundle (and its seq), the command writes the file; the bundle holds every
/// write acknowledged before it was asked for, and seqs go on after the node stops.
#[test]
fn a_bundle_is_written_while_the_node_runs_and_writes() {
    let dir = tempfile::tempdir().unwrap();
    let hub_key = wishtree_protocol::keys::KeyPair::from_secret([7; 32]).public();
    let options = wishtree_node::replica::InitOptions {
        community: support::COMMUNITY.parse().unwrap(),
        name: wishtree_protocol::text::Name::parse("name", "行宫社区").unwrap(),
        hub: Some(wishtree_node::replica::HubSettings {
            address: "127.0.0.1:9".to_owned(),
            key: hub_key,
            level: wishtree_node::replica::HubLevel::City,
        }),
        password: None,
        worker: None,
    };
    let node_key = Replica::init(dir.path(), &options, wishtree_node::now())
        .unwrap()
        .public_key();
    let node = RunningNode::start(dir.path());
    let acknowledged = Arc::new(Mutex::new(Acknowledged::default()));
    for n in 0..5 {
        let body = wish_body(&format!("导出前 {n}")).to_string();
        let answer = try_request(
            node.address,
            "POST",
            "/api/wishes",
            Some(body.as_bytes()),
            &[],
        )
        .unwrap();
        assert_eq!(answer.status, 201);
    }
    let writer = {
        let acknowledged = Arc::clone(&acknowledged);
        let address = node.address;
        std::thread::spawn(move || write_until_gone(address, 2, acknowledged))
    };
    let sticks = tempfile::tempdir().unwrap();
    let export = |name: &str| {
        let out = sticks.path().join(name);
        let data = dir.path().to_str().unwrap();
        let (ok, stdout, stderr) = cli(&[
            "export",
            "--bundle",
            "--data",
            data,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(ok, "{stdout}{stderr}");
        assert!(stdout.contains("wrote bundle"), "{stdout}");
        let bytes = std::fs::read(&out).unwrap();
        let bundle = Bundle::decode(&bytes, &Default::default()).unwrap();
        let at_hub = Receiver::new(hub_key, wishtree_node::now());
        let verified = bundle.verify(&at_hub, &EnrolledNode(node_key)).unwrap();
        // What a hub that had nothing would hold after applying it.
        let code = support::COMMUNITY.parse().unwrap();
        let mut doc =
            CommunityDoc::load(&CommunityDoc::genesis(code), Some(code), [3; 16]).unwrap();
        verified.apply_changes(&mut doc).unwrap();
        (verified.header().seq, doc)
    };
    let before_export = acknowledged.lock().unwrap().clone();
    let (first, doc) = export("first.wtb");
    let (second, _) = export("second.wtb");
    assert_eq!((first, second), (1, 2), "the running node stored each seq");
    // The whole history (the node never synced): applied to nothing, it holds every
    // write acknowledged before the export was asked for.
    let view = wishtree_protocol::view::CommunityView::derive(&doc).unwrap();
    let titles: BTreeSet<&str> = view
        .wishes
        .values()
        .map(|wish| wish.entity.title.as_str())
        .collect();
    for n in 0..5 {
        assert!(
            titles.contains(format!("导出前 {n}").as_str()),
            "{titles:?}"
        );
    }
    for entry in &before_export.wishes {
        let (_, id) = entry.split_once('|').unwrap();
        assert!(view.wishes.contains_key(&id.parse().unwrap()), "{entry}");
    }
    for id in &before_export.members {
        assert!(view.members.contains_key(&id.parse().unwrap()), "{id}");
    }
    node.kill();
    writer.join().unwrap();
    // Stopped, the command opens the directory itself and goes on from the stored seq.
    assert_eq!(export("third.wtb").0, 3);
    // A process holding the directory that serves no socket is named, with the way out,
    // and no file is written.
    let holder = Replica::open(dir.path()).unwrap();
    let out = sticks.path().join("fourth.wtb");
    let (ok, _, stderr) = cli(&[
        "export",
        "--bundle",
        "--data",
        dir.path().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        !ok && stderr.contains("stop `wishtree-node run`"),
        "{stderr}"
    );
    assert!(!out.exists());
    drop(holder);
}

/// A hub's roster holding only the node's key, with no bundle accepted yet.
struct EnrolledNode(PublicKey);

impl ReceiverState for EnrolledNode {
    fn known_key(&self, key: &PublicKey) -> KeyStanding {
        if *key == self.0 {
            KeyStanding::Active {
                scope: support::COMMUNITY
                    .parse::<CommunityCode>()
                    .unwrap()
                    .as_region(),
            }
        } else {
            KeyStanding::Unknown
        }
    }

    fn last_accepted(&self, _issuer: &PublicKey) -> Option<u64> {
        None
    }
}
