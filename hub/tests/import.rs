//! `wishtree-hub import` as an operator runs it: progress lines with sizes and times,
//! then one verdict line, "accepted: …" or "refused: …; nothing was applied".

#![allow(clippy::unwrap_used)]

use std::process::{Command, Output};

use wishtree_protocol::attest::SignedHeads;
use wishtree_protocol::bundle::{Audience, Envelope, NewBundle};
use wishtree_protocol::keys::{KeyPair, PublicKey};
use wishtree_protocol::{CommunityCode, CommunityDoc};

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

/// `wishtree-hub init` of a city hub in `data`; its key.
fn init_hub(data: &str) -> PublicKey {
    let init = hub(&["init", "--data", data, "--city", "1309"]);
    assert!(init.status.success(), "{}", text(&init));
    text(&init).lines().last().unwrap().trim().parse().unwrap()
}

/// `wishtree-hub enroll` of `key` for community 130903001001.
fn enroll(data: &str, key: &str) {
    let enroll = hub(&[
        "enroll",
        "--data",
        data,
        "--community",
        "130903001001",
        "--key",
        key,
    ]);
    assert!(enroll.status.success(), "{}", text(&enroll));
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

/// A node's bundle of a new community's document, signed heads included.
fn bundle(node: &KeyPair, hub_key: PublicKey, community: CommunityCode) -> Vec<u8> {
    let now = wishtree_hub::clock::now();
    let mut doc = CommunityDoc::create(community, "名人社区", [5; 16], now).unwrap();
    let heads = doc.heads();
    let signed = SignedHeads::sign(node, community, &heads, 1, now);
    NewBundle::changes(&mut doc, &[], Some(signed), envelope(hub_key, now)).sign(node)
}

#[test]
fn an_operator_imports_a_bundle_and_reads_the_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let data = data.to_str().unwrap();
    let hub_key = init_hub(data);
    let node = KeyPair::from_secret([9; 32]);
    let community: CommunityCode = "130903001001".parse().unwrap();
    let file = dir.path().join("stick.wtb");
    std::fs::write(&file, bundle(&node, hub_key, community)).unwrap();
    let file = file.to_str().unwrap();

    // Not enrolled yet: refused, and told why.
    let stranger = hub(&["import", "--data", data, file]);
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

    enroll(data, &key);
    let accepted = hub(&["import", "--data", data, file]);
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

    let replay = hub(&["import", "--data", data, file]);
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
    let tampered = hub(&["import", "--data", data, tampered_file.to_str().unwrap()]);
    assert!(!tampered.status.success());
    assert!(
        text(&tampered).contains("refused: the bundle's payload does not match its signed hash: the payload was altered; nothing was applied"),
        "{}",
        text(&tampered)
    );

    let missing = hub(&["import", "--data", data, "/nonexistent/stick.wtb"]);
    assert!(!missing.status.success());
    assert!(text(&missing).contains("cannot read the bundle /nonexistent/stick.wtb"));
}

/// A USB bundle counts against the community's quota as a sync message does
/// (issue 17 item 6): a change past the hub's bound per change is refused whole, with
/// the reason, and nothing of it is stored.
#[test]
fn a_bundle_past_the_quota_is_refused_and_nothing_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("hub");
    let data = data.to_str().unwrap();
    let hub_key = init_hub(data);
    let node = KeyPair::from_secret([9; 32]);
    let community: CommunityCode = "130903001001".parse().unwrap();
    let key = node.public().to_string();
    enroll(data, &key);

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

    let refused = hub(&["import", "--data", data, file.to_str().unwrap()]);
    assert!(!refused.status.success());
    assert!(
        text(&refused).contains("over the hub's bound of 1.0 MiB per change"),
        "{}",
        text(&refused)
    );
    assert!(text(&refused).contains("nothing was applied"));
    let store = wishtree_hub::data_dir::open_store(std::path::Path::new(data)).unwrap();
    let stats = wishtree_hub::store::HubStore::chunk_stats(
        &store,
        wishtree_hub::store::StoredDoc::Community(community),
    )
    .unwrap();
    assert_eq!(stats.count, 0, "nothing of the rogue bundle was stored");
}
