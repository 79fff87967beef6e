//! The USB stick, end to end with the real commands: a community with no network
//! records members and wishes for a week, `wishtree-node export --bundle` writes a
//! signed bundle, and `wishtree-hub import` applies it at the city hub, which then holds
//! the node's heads, its signed heads, and figures that count the records. A replayed,
//! altered or unenrolled bundle is refused and changes nothing; a second bundle after
//! a sync carries only what the hub does not have. Neither side stops for it: a running
//! node writes the bundle, a running hub imports it and its dashboard shows it at
//! once, and the hub's online backup restores to the same figures.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use wishtree_node::api::Input;

use automerge::{AutoCommit, ChangeHash};
use clap::Parser;
use serde_json::{Value, json};
use wishtree_hub::figures::{self, Filter, Period};
use wishtree_hub::store::{HubStore, SqliteStore, StoredDoc};
use wishtree_node::replica::{BundleOptions, Replica};
use wishtree_protocol::bundle::{Bundle, Limits};
use wishtree_protocol::{CommunityCode, RegionPrefix};
use wishtree_tests::city::{
    add_city_viewer, any_port, enroll, hub_key, init_hub, now, start_hub, start_node, wait_until,
};

const COMMUNITY: &str = "130903001001";

fn code(text: &str) -> CommunityCode {
    text.parse().unwrap()
}

fn node_cli(args: &[&str]) -> anyhow::Result<()> {
    let mut argv = vec!["wishtree-node"];
    argv.extend_from_slice(args);
    wishtree_node::cli::run_cli(wishtree_node::cli::Cli::try_parse_from(argv)?)
}

fn hub_cli(args: &[&str]) -> anyhow::Result<()> {
    let mut argv = vec!["wishtree-hub"];
    argv.extend_from_slice(args);
    wishtree_hub::cli::run(wishtree_hub::cli::Cli::try_parse_from(argv)?)
}

fn path_text(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// `wishtree-node init` with a hub address nobody listens on: the network is gone.
fn init_offline_node(dir: &Path, community: &str, hub_dir: &Path) -> Replica {
    let key = hub_key(hub_dir).unwrap().to_string();
    node_cli(&[
        "--data",
        path_text(dir),
        "init",
        "--community",
        community,
        "--name",
        "名人社区",
        "--hub",
        "127.0.0.1:9",
        "--hub-key",
        &key,
    ])
    .unwrap();
    Replica::open(dir).unwrap()
}

/// A week of work: three members, two wishes, one claimed.
fn record_a_week(replica: &mut Replica) {
    let mut members = Vec::new();
    for name in ["李明", "王芳", "赵强"] {
        let member = wishtree_node::api::create_member(
            replica,
            wishtree_node::api::NewMember::from_json(json!({"name": name, "work_unit": "沧州市发展和改革委员会", "reported_in": "2026-03-02"}), now()).unwrap(),
            now(),
        )
        .unwrap();
        members.push(id_of(&member));
    }
    let mut wishes = Vec::new();
    for title in ["希望有一台微波炉", "希望有人陪我聊天"] {
        let wish = wishtree_node::api::create_wish(
            replica,
            wishtree_node::api::NewWish::from_json(
                json!({"title": title, "kind": "goods", "group": "elderly_alone",
                   "resident_label": "名人社区 彭女士"}),
                now(),
            )
            .unwrap(),
            now(),
        )
        .unwrap();
        let id = id_of(&wish);
        let publish = wishtree_node::api::Action::from_json(json!({}), now()).unwrap();
        wishtree_node::api::WISHES
            .act(replica, &id, "publish", publish, now())
            .unwrap();
        wishes.push(id);
    }
    wishtree_node::api::WISHES
        .act(
            replica,
            &wishes[0],
            "claim",
            wishtree_node::api::Action::from_json(
                json!({"by": format!("member:{}", members[0])}),
                now(),
            )
            .unwrap(),
            now(),
        )
        .unwrap();
}

fn id_of(record: &Value) -> String {
    record["id"].as_str().unwrap().to_owned()
}

fn sorted(mut heads: Vec<ChangeHash>) -> Vec<ChangeHash> {
    heads.sort();
    heads
}

/// What the hub's store holds of a community: its document's heads, its chunk count.
fn hub_holds(store: &SqliteStore, community: &str) -> (Vec<ChangeHash>, usize) {
    let doc = StoredDoc::Community(code(community));
    let heads = match store.doc_bytes(doc).unwrap() {
        Some(bytes) => sorted(AutoCommit::load(&bytes).unwrap().get_heads()),
        None => Vec::new(),
    };
    (heads, store.chunk_stats(doc).unwrap().count)
}

fn city_figures(store: &SqliteStore) -> figures::Figures {
    let filter = Filter {
        region: "1309".parse::<RegionPrefix>().unwrap(),
        period: Period::new(None, None).unwrap(),
        org: None,
        round: None,
    };
    store
        .with_transaction(|transaction| figures::figures(transaction, &filter, now()))
        .unwrap()
}

/// `wishtree-node export --bundle --out FILE` on the node in `node_dir`.
fn export_stick(node_dir: &Path, file: &Path) {
    node_cli(&[
        "--data",
        path_text(node_dir),
        "export",
        "--bundle",
        "--out",
        path_text(file),
    ])
    .unwrap();
}

/// An enrolled offline node's week of work, on a stick.
struct Week {
    node_dir: PathBuf,
    stick: PathBuf,
    node_heads: Vec<ChangeHash>,
    node_attestation: wishtree_protocol::attest::SignedHeads,
}

fn a_week_on_a_stick(setup: &Setup) -> Week {
    let node_dir = setup.root.join("node");
    let mut replica = init_offline_node(&node_dir, COMMUNITY, &setup.hub_dir);
    enroll(&setup.hub_dir, code(COMMUNITY), replica.public_key()).unwrap();
    record_a_week(&mut replica);
    let node_heads = sorted(replica.heads());
    let node_attestation = replica.last_attestation().unwrap().unwrap();
    drop(replica);
    let stick = setup.root.join("stick.wtb");
    export_stick(&node_dir, &stick);
    Week {
        node_dir,
        stick,
        node_heads,
        node_attestation,
    }
}

struct Setup {
    _dir: tempfile::TempDir,
    hub_dir: PathBuf,
    root: PathBuf,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_owned();
    let hub_dir = root.join("hub");
    init_hub(&hub_dir, "1309").unwrap();
    Setup {
        _dir: dir,
        hub_dir,
        root,
    }
}

#[test]
fn a_week_offline_reaches_the_city_hub_on_a_usb_stick_attested() {
    let setup = setup();
    let hub_dir = path_text(&setup.hub_dir);
    // The worker writes the bundle to the stick.
    let Week {
        node_dir,
        stick,
        node_heads,
        node_attestation,
    } = a_week_on_a_stick(&setup);
    let bytes = std::fs::read(&stick).unwrap();
    let header = Bundle::decode(&bytes, &Limits::default())
        .unwrap()
        .header()
        .clone();
    assert_eq!(header.seq, 1);
    assert!(
        header.base_heads.is_empty(),
        "a node that never synced sends the whole history"
    );
    assert_eq!(header.heads, node_heads);

    // The street office hands it to the hub operator.
    hub_cli(&["import", "--data", hub_dir, path_text(&stick)]).unwrap();
    let store = wishtree_hub::data_dir::open_store(&setup.hub_dir).unwrap();
    let (held, chunks) = hub_holds(&store, COMMUNITY);
    assert_eq!(held, node_heads, "the hub holds the node's heads");
    let attested = store.attestation(code(COMMUNITY)).unwrap().unwrap();
    assert_eq!(attested.seq, node_attestation.seq);
    assert_eq!(sorted(attested.heads.clone()), node_heads);
    assert_eq!(
        store.last_bundle_seq(&node_attestation.signer).unwrap(),
        Some(1)
    );
    let shown = city_figures(&store);
    assert_eq!(shown.members_reported, 3);
    assert_eq!(shown.wishes.total, 2);
    assert_eq!(shown.wishes.claimed, 1);
    let statuses = store
        .with_transaction(|transaction| {
            figures::community_statuses(transaction, &"1309".parse().unwrap(), now())
        })
        .unwrap();
    assert_eq!(statuses.len(), 1);
    assert_eq!(statuses[0].name, "名人社区");
    assert_eq!(
        statuses[0].attested_share,
        Some(1.0),
        "all of it is the community's own"
    );
    assert!(
        statuses[0].is_synced_24h,
        "its changes reached the hub by stick: synced, as by network"
    );

    // The same stick again: a replay, refused, nothing changes.
    let again = hub_cli(&["import", "--data", hub_dir, path_text(&stick)]).unwrap_err();
    let message = format!("{again:#}");
    assert!(message.contains("refused"), "{message}");
    assert!(message.contains("replay"), "{message}");
    assert!(message.contains("nothing was applied"), "{message}");
    assert_eq!(hub_holds(&store, COMMUNITY), (held.clone(), chunks));

    // More work, and a new bundle with one byte flipped on the way: refused, nothing
    // changes; the intact one is accepted after it.
    let mut replica = Replica::open(&node_dir).unwrap();
    wishtree_node::api::create_member(
        &mut replica,
        wishtree_node::api::NewMember::from_json(
            json!({"name": "孙丽", "reported_in": "2026-03-09"}),
            now(),
        )
        .unwrap(),
        now(),
    )
    .unwrap();
    let newer_heads = sorted(replica.heads());
    drop(replica);
    let second = setup.root.join("second.wtb");
    export_stick(&node_dir, &second);
    let intact = std::fs::read(&second).unwrap();
    for at in [intact.len() / 2, 100, intact.len() - 1] {
        let mut damaged = intact.clone();
        damaged[at] ^= 0x01;
        let flipped = setup.root.join(format!("flipped-{at}.wtb"));
        std::fs::write(&flipped, &damaged).unwrap();
        let refused = hub_cli(&["import", "--data", hub_dir, path_text(&flipped)]).unwrap_err();
        let message = format!("{refused:#}");
        assert!(
            message.contains("refused") && message.contains("nothing was applied"),
            "byte {at}: {message}"
        );
        assert_eq!(hub_holds(&store, COMMUNITY), (held.clone(), chunks));
        assert_eq!(
            store.last_bundle_seq(&node_attestation.signer).unwrap(),
            Some(1)
        );
    }
    hub_cli(&["import", "--data", hub_dir, path_text(&second)]).unwrap();
    assert_eq!(hub_holds(&store, COMMUNITY).0, newer_heads);
    assert_eq!(city_figures(&store).members_reported, 4);
    assert_eq!(
        store.last_bundle_seq(&node_attestation.signer).unwrap(),
        Some(2)
    );
}

#[test]
fn a_bundle_from_an_unenrolled_node_is_refused_and_changes_nothing() {
    let setup = setup();
    let node_dir = setup.root.join("stranger");
    let mut replica = init_offline_node(&node_dir, "130903001002", &setup.hub_dir);
    record_a_week(&mut replica);
    drop(replica);
    let stick = setup.root.join("stranger.wtb");
    export_stick(&node_dir, &stick);
    let refused = hub_cli(&[
        "import",
        "--data",
        path_text(&setup.hub_dir),
        path_text(&stick),
    ])
    .unwrap_err();
    let message = format!("{refused:#}");
    assert!(message.contains("not on the roster"), "{message}");
    assert!(message.contains("nothing was applied"), "{message}");
    let store = wishtree_hub::data_dir::open_store(&setup.hub_dir).unwrap();
    assert_eq!(hub_holds(&store, "130903001002"), (Vec::new(), 0));
    assert!(store.communities().unwrap().is_empty());
}

/// A node that synced knows the hub's heads: its next bundle carries only the changes
/// made since, while `--all` carries everything.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_sync_a_bundle_carries_only_what_the_hub_lacks() {
    let setup = setup();
    let hub = start_hub(&setup.hub_dir, any_port(), any_port())
        .await
        .unwrap();
    let node_dir = setup.root.join("node");
    let replica = wishtree_tests::city::init_node(
        &node_dir,
        code(COMMUNITY),
        "名人社区",
        "张书记",
        hub.quic_addr,
        hub.key,
    )
    .unwrap();
    enroll(&setup.hub_dir, code(COMMUNITY), replica.public_key()).unwrap();
    drop(replica);
    let node = start_node(&node_dir, any_port()).await.unwrap();
    {
        let mut replica = node.replica.lock().await;
        wishtree_node::api::create_member(
            &mut replica,
            wishtree_node::api::NewMember::from_json(
                json!({"name": "李明", "reported_in": "2026-03-02"}),
                now(),
            )
            .unwrap(),
            now(),
        )
        .unwrap();
    }
    let limit = std::time::Duration::from_secs(20);
    wait_until(limit, "the node to see the hub's heads", || {
        node.replica
            .try_lock()
            .map(|mut replica| replica.sync_status().changes_not_at_hub == 0)
            .unwrap_or(false)
    })
    .await
    .unwrap();

    // While the hub runs, an import is handed to it; a stick that is no bundle is
    // refused by the running hub, saying what is wrong.
    let stick = setup.root.join("early.wtb");
    std::fs::write(&stick, b"not yet").unwrap();
    let hub_dir = setup.hub_dir.clone();
    let refused = tokio::task::spawn_blocking(move || {
        hub_cli(&["import", "--data", path_text(&hub_dir), path_text(&stick)]).unwrap_err()
    })
    .await
    .unwrap();
    let message = format!("{refused:#}");
    assert!(
        message.contains("refused") && message.contains("nothing was applied"),
        "{message}"
    );

    node.stop().await;
    hub.stop().await;

    // The network goes; two more members are recorded.
    let mut replica = Replica::open(&node_dir).unwrap();
    let hub_heads_before = {
        let store = wishtree_hub::data_dir::open_store(&setup.hub_dir).unwrap();
        hub_holds(&store, COMMUNITY).0
    };
    for name in ["王芳", "赵强"] {
        wishtree_node::api::create_member(
            &mut replica,
            wishtree_node::api::NewMember::from_json(
                json!({"name": name, "reported_in": "2026-03-03"}),
                now(),
            )
            .unwrap(),
            now(),
        )
        .unwrap();
    }
    assert_eq!(replica.sync_status().changes_not_at_hub, 2);
    let options = BundleOptions {
        is_whole_history: false,
        valid_for: std::time::Duration::from_secs(30 * 24 * 3600),
    };
    let since = replica.export_bundle(&options, now()).unwrap();
    assert_eq!(since.base_heads, hub_heads_before);
    assert_eq!(since.changes, 2, "only the two changes the hub lacks");
    let all = replica
        .export_bundle(
            &BundleOptions {
                is_whole_history: true,
                ..options
            },
            now(),
        )
        .unwrap();
    assert!(all.base_heads.is_empty());
    assert!(
        all.changes > since.changes + 1,
        "the whole history: {}",
        all.changes
    );
    assert_eq!((since.seq, all.seq), (1, 2), "each bundle takes a new seq");
    let node_heads = sorted(replica.heads());
    drop(replica);

    // The smaller bundle is enough: it builds on what the hub has.
    let small = setup.root.join("since.wtb");
    std::fs::write(&small, &since.bytes).unwrap();
    hub_cli(&[
        "import",
        "--data",
        path_text(&setup.hub_dir),
        path_text(&small),
    ])
    .unwrap();
    let store = wishtree_hub::data_dir::open_store(&setup.hub_dir).unwrap();
    assert_eq!(hub_holds(&store, COMMUNITY).0, node_heads);
    assert_eq!(city_figures(&store).members_reported, 3);
    // The whole-history bundle, issued after it, still applies: nothing new in it.
    let whole = setup.root.join("all.wtb");
    std::fs::write(&whole, &all.bytes).unwrap();
    hub_cli(&[
        "import",
        "--data",
        path_text(&setup.hub_dir),
        path_text(&whole),
    ])
    .unwrap();
    assert_eq!(hub_holds(&store, COMMUNITY).0, node_heads);
    assert_eq!(city_figures(&store).members_reported, 3);
}

/// The running hub takes the stick over its admin socket: a bad one is refused with
/// nothing applied, a good one shows on the dashboard at once, without a restart; and
/// the online backup taken while it runs restores to the same documents and figures.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stick_reaches_the_running_hub_and_its_dashboard_without_a_restart() {
    let setup = setup();
    let Week {
        stick,
        node_heads,
        node_attestation,
        ..
    } = a_week_on_a_stick(&setup);
    let node_key = node_attestation.signer;
    let mut flipped = std::fs::read(&stick).unwrap();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x01;
    let flipped_stick = setup.root.join("flipped.wtb");
    std::fs::write(&flipped_stick, flipped).unwrap();

    let viewer = add_city_viewer(&setup.hub_dir, "stick")
        .unwrap()
        .authorization;
    let hub = start_hub(&setup.hub_dir, any_port(), any_port())
        .await
        .unwrap();
    let figures_url = format!("http://{}/api/figures?region=1309", hub.http_addr);
    let shown = move || {
        wishtree_testkit::socket::get_json_with(&figures_url, &[("Authorization", &viewer)])
    };
    let import = |file: PathBuf| {
        let hub_dir = setup.hub_dir.clone();
        tokio::task::spawn_blocking(move || {
            hub_cli(&["import", "--data", path_text(&hub_dir), path_text(&file)])
        })
    };
    let before = tokio::task::spawn_blocking(shown.clone()).await.unwrap();
    assert_eq!(before["members_reported"], 0, "{before}");

    let refused = import(flipped_stick).await.unwrap().unwrap_err();
    let message = format!("{refused:#}");
    assert!(
        message.contains("refused") && message.contains("nothing was applied"),
        "{message}"
    );
    let store = wishtree_hub::data_dir::open_store(&setup.hub_dir).unwrap();
    assert_eq!(hub_holds(&store, COMMUNITY), (Vec::new(), 0));
    assert_eq!(store.last_bundle_seq(&node_key).unwrap(), None);

    import(stick).await.unwrap().unwrap();
    // The import answers after the figures are re-derived: no wait.
    let after = tokio::task::spawn_blocking(shown).await.unwrap();
    assert_eq!(after["members_reported"], 3, "{after}");
    assert_eq!(after["wishes"]["total"], 2, "{after}");
    assert_eq!(hub_holds(&store, COMMUNITY).0, node_heads);
    assert_eq!(store.last_bundle_seq(&node_key).unwrap(), Some(1));

    // The online backup, taken while the hub runs, restores to the same hub.
    let backup = setup.root.join("hub-backup.sqlite");
    let hub_dir = setup.hub_dir.clone();
    let out = backup.clone();
    tokio::task::spawn_blocking(move || {
        hub_cli(&[
            "backup",
            "--data",
            path_text(&hub_dir),
            "--out",
            path_text(&out),
        ])
    })
    .await
    .unwrap()
    .unwrap();
    hub.stop().await;
    let restored_dir = setup.root.join("restored");
    std::fs::create_dir(&restored_dir).unwrap();
    std::fs::copy(&backup, restored_dir.join("hub.sqlite")).unwrap();
    std::fs::copy(setup.hub_dir.join("hub.key"), restored_dir.join("hub.key")).unwrap();
    let restored = wishtree_hub::data_dir::open_store(&restored_dir).unwrap();
    assert_eq!(
        hub_holds(&restored, COMMUNITY),
        hub_holds(&store, COMMUNITY)
    );
    assert_eq!(city_figures(&restored), city_figures(&store));
    assert_eq!(city_figures(&restored).members_reported, 3);
    assert_eq!(restored.last_bundle_seq(&node_key).unwrap(), Some(1));
}
