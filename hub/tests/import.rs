//! `wishtree-hub import` as an operator runs it: progress lines with sizes and times,
//! then one verdict line, "accepted: …" or "refused: …; nothing was applied". Each test
//! runs on a hub keeping everything in its data directory and on one keeping it in
//! PostgreSQL (`init --store`, then `--store` to every command; issue 15), where the
//! figures the import re-derives are the shared ones every process serves.

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};

use wishtree_hub::figures::{self, Filter, Period};
use wishtree_protocol::attest::SignedHeads;
use wishtree_protocol::bundle::{Audience, Envelope, NewBundle};
use wishtree_protocol::command::{Command as DocCommand, MemberFields};
use wishtree_protocol::id::MemberId;
use wishtree_protocol::keys::{KeyPair, PublicKey};
use wishtree_protocol::model::Actor;
use wishtree_protocol::text::{Label, Name};
use wishtree_protocol::{CommunityCode, CommunityDoc};

/// Each test once on a hub of its own SQLite file, once on a hub on PostgreSQL (which
/// is skipped loudly without `WISHTREE_TEST_PG`, and fails then under
/// `WISHTREE_REQUIRE_ALL_TESTS=1`).
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[test]
            fn sqlite() {
                super::$name(None);
            }

            #[test]
            fn postgres() {
                let Some(database) = wishtree_testkit::postgres::TestDatabase::create(concat!(
                    "import test ",
                    stringify!($name)
                )) else {
                    return;
                };
                super::$name(Some(database.url()));
            }
        }
    )*};
}

on_both_stores!(
    an_operator_imports_a_bundle_and_reads_the_verdict,
    a_bundle_past_the_quota_is_refused_and_nothing_is_stored,
);

/// Runs the hub binary, with `--store URL` when the hub is on PostgreSQL.
fn hub(store: Option<&str>, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_wishtree-hub"));
    if let Some(url) = store {
        command.args(["--store", url]);
    }
    command.args(args).output().unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// `wishtree-hub init` of a city hub in `data`; its key.
fn init_hub(store: Option<&str>, data: &str) -> PublicKey {
    let init = hub(store, &["init", "--data", data, "--city", "1309"]);
    assert!(init.status.success(), "{}", text(&init));
    text(&init).lines().last().unwrap().trim().parse().unwrap()
}

/// `wishtree-hub enroll` of `key` for community 130903001001.
fn enroll(store: Option<&str>, data: &str, key: &str) {
    let enroll = hub(
        store,
        &[
            "enroll",
            "--data",
            data,
            "--community",
            "130903001001",
            "--key",
            key,
        ],
    );
    assert!(enroll.status.success(), "{}", text(&enroll));
}

/// The figures of the whole city over all time, as the hub in `data` serves them
/// (from its store's figure tables: PostgreSQL's when it has one).
fn city_figures(store: Option<&str>, data: &str) -> figures::Figures {
    let stores = wishtree_hub::data_dir::open_stores(Path::new(data), store).unwrap();
    let filter = Filter {
        region: "1309".parse().unwrap(),
        period: Period::new(None, None).unwrap(),
        org: None,
        round: None,
    };
    stores
        .figures
        .read(|db| figures::figures(db, &filter, wishtree_hub::clock::now()))
        .unwrap()
}

/// The first bundle to the hub of `hub_key`, valid for an hour from `now`.
fn envelope(hub_key: PublicKey, now: wishtree_protocol::Timestamp) -> Envelope {
    Envelope {
        audience: Audience::Key(hub_key),
        seq: 1,
        previous: None,
        issued_at: now,
        expires_at: now.plus_millis(3_600_000),
    }
}

/// A node's bundle of a new community's document with one reported-in member, signed
/// heads included.
fn bundle(node: &KeyPair, hub_key: PublicKey, community: CommunityCode) -> Vec<u8> {
    let now = wishtree_hub::clock::now();
    let mut doc = CommunityDoc::create(community, "名人社区", [5; 16], now).unwrap();
    let member = DocCommand::AddMember {
        id: MemberId::from_bytes([7; 16]),
        member: MemberFields {
            name: Name::parse("name", "王建国").unwrap(),
            work_unit: Label::parse("work_unit", "沧州市发展和改革委员会").unwrap(),
            org: None,
            position: Label::parse("position", "科员").unwrap(),
            specialties: Vec::new(),
            intentions: Vec::new(),
            reported_in: "2026-03-01".parse().unwrap(),
            branch: None,
            team: None,
        },
    };
    doc.execute(&member, &Actor::Worker("张书记".to_owned()), now)
        .unwrap();
    let heads = doc.heads();
    let signed = SignedHeads::sign(node, community, &heads, 1, now);
    NewBundle::changes(&mut doc, &[], Some(signed), envelope(hub_key, now)).sign(node)
}

fn an_operator_imports_a_bundle_and_reads_the_verdict(store: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let data = data.to_str().unwrap();
    let hub_key = init_hub(store, data);
    let node = KeyPair::from_secret([9; 32]);
    let community: CommunityCode = "130903001001".parse().unwrap();
    let file = dir.path().join("stick.wtb");
    std::fs::write(&file, bundle(&node, hub_key, community)).unwrap();
    let file = file.to_str().unwrap();

    // Not enrolled yet: refused, and told why.
    let stranger = hub(store, &["import", "--data", data, file]);
    assert!(!stranger.status.success());
    assert!(
        text(&stranger).contains("refused: the bundle was issued by key"),
        "{}",
        text(&stranger)
    );
    assert!(text(&stranger).contains("not on the roster; enrol the key"));
    // The whole key, not its short form: the operator copies it into `enroll --key`.
    let key = node.public().to_string();
    assert!(text(&stranger).contains(&key), "{}", text(&stranger));

    enroll(store, data, &key);
    let accepted = hub(store, &["import", "--data", data, file]);
    assert!(accepted.status.success(), "{}", text(&accepted));
    let verdict = String::from_utf8_lossy(&accepted.stdout);
    assert!(
        verdict.contains("new changes of community 130903001001 (名人社区), attested up to seq 1"),
        "{verdict}"
    );
    let progress = String::from_utf8_lossy(&accepted.stderr);
    for stage in [
        "reading",
        "verifying",
        "applying",
        "storing",
        "attesting",
        "figures",
    ] {
        assert!(
            progress
                .lines()
                .any(|line| line.starts_with(stage) && line.ends_with(" ms)")),
            "no {stage} line: {progress}"
        );
    }

    // The figures followed the import: the community and its member count, in the
    // store's figure tables (on PostgreSQL, the ones every hub process serves).
    let figures = city_figures(store, data);
    assert_eq!(figures.communities, 1, "{figures:?}");
    assert_eq!(figures.communities_synced_24h, 1, "{figures:?}");
    assert_eq!(figures.members_reported, 1, "{figures:?}");

    let replay = hub(store, &["import", "--data", data, file]);
    assert!(!replay.status.success());
    assert!(
        text(&replay).contains("refused: the bundle (seq 1) was already accepted from this issuer: a replay; nothing was applied"),
        "{}",
        text(&replay)
    );

    // A copy of the delivered stick with a byte of its payload changed is tampering,
    // and is called so, not a replay.
    let mut tampered = std::fs::read(file).unwrap();
    let in_payload = tampered.len() - 65;
    tampered[in_payload] ^= 0x01;
    let tampered_file = dir.path().join("tampered.wtb");
    std::fs::write(&tampered_file, tampered).unwrap();
    let tampered = hub(
        store,
        &["import", "--data", data, tampered_file.to_str().unwrap()],
    );
    assert!(!tampered.status.success());
    assert!(
        text(&tampered).contains("refused: the bundle's payload does not match its signed hash: the payload was altered; nothing was applied"),
        "{}",
        text(&tampered)
    );

    let missing = hub(store, &["import", "--data", data, "/nonexistent/stick.wtb"]);
    assert!(!missing.status.success());
    assert!(text(&missing).contains("cannot read the bundle /nonexistent/stick.wtb"));
}

/// A USB bundle counts against the community's quota as a sync message does
/// (issue 17 item 6): a change past the hub's bound per change is refused whole, with
/// the reason, and nothing of it is stored.
fn a_bundle_past_the_quota_is_refused_and_nothing_is_stored(store: Option<&str>) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let data = data.to_str().unwrap();
    let hub_key = init_hub(store, data);
    let node = KeyPair::from_secret([9; 32]);
    let community: CommunityCode = "130903001001".parse().unwrap();
    let key = node.public().to_string();
    enroll(store, data, &key);

    // 700,000 drawn CJK characters in one change: about 2 MiB that automerge's
    // compression cannot shrink under the default bound of 1 MiB a change.
    let now = wishtree_hub::clock::now();
    let mut doc = CommunityDoc::create(community, "名人社区", [5; 16], now).unwrap();
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    let junk: String = (0..700_000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            char::from_u32(0x4E00 + (state % 20_000) as u32).unwrap()
        })
        .collect();
    let raw = doc.automerge_mut();
    automerge::transaction::Transactable::put(raw, automerge::ROOT, "junk", junk).unwrap();
    raw.commit();
    let file = dir.path().join("rogue.wtb");
    std::fs::write(
        &file,
        NewBundle::changes(&mut doc, &[], None, envelope(hub_key, now)).sign(&node),
    )
    .unwrap();

    let refused = hub(store, &["import", "--data", data, file.to_str().unwrap()]);
    assert!(!refused.status.success());
    assert!(
        text(&refused).contains("over the hub's bound of 1.0 MiB per change"),
        "{}",
        text(&refused)
    );
    assert!(text(&refused).contains("nothing was applied"));
    let stats = wishtree_hub::data_dir::open_stores(Path::new(data), store)
        .unwrap()
        .store
        .chunk_stats(wishtree_hub::store::StoredDoc::Community(community))
        .unwrap();
    assert_eq!(stats.count, 0, "nothing of the rogue bundle was stored");
    assert_eq!(
        city_figures(store, data).communities,
        0,
        "no figures of the rogue bundle"
    );
}
