//! The replica's interface for the sync client and the UI: automerge sync between two
//! replicas through their stored states, the hub status, the city document, the change
//! watch, compaction, import and recovery from a failed write, and group commit.

#![allow(clippy::unwrap_used)]

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{init_node, init_node_of, member_body, wish_body};
use wishtree_node::api;
use wishtree_node::api::Input;
use wishtree_node::http::AppState;
use wishtree_node::replica::{ExecuteError, HubSettings, InitOptions, Replica};
use wishtree_node::store::{DocName, StoreError};
use wishtree_protocol::city::{CityCommand, CityDoc};
use wishtree_protocol::text::Name;

fn now() -> wishtree_protocol::Timestamp {
    wishtree_node::now()
}

/// Exchanges sync messages about the community document until both sides are quiet.
fn sync_pair(a: &mut Replica, b: &mut Replica) {
    let (a_key, b_key) = (a.public_key(), b.public_key());
    for _ in 0..20 {
        let mut quiet = true;
        if let Some(message) = a.generate_sync_message(&b_key, DocName::Community).unwrap() {
            quiet = false;
            b.receive_sync_message(&a_key, DocName::Community, message, now())
                .unwrap();
        }
        if let Some(message) = b.generate_sync_message(&a_key, DocName::Community).unwrap() {
            quiet = false;
            a.receive_sync_message(&b_key, DocName::Community, message, now())
                .unwrap();
        }
        if quiet {
            return;
        }
    }
    panic!("sync did not settle in 20 rounds");
}

fn add_member(replica: &mut Replica, name: &str) -> String {
    api::create_member(
        replica,
        api::NewMember::from_json(member_body(name), now()).unwrap(),
        now(),
    )
    .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn two_replicas_sync_through_stored_states_and_the_hub_status_counts_what_is_missing() {
    let hub_dir = tempfile::tempdir().unwrap();
    let mut hub = init_node(hub_dir.path());
    let node_dir = tempfile::tempdir().unwrap();
    let options = InitOptions {
        community: support::COMMUNITY.parse().unwrap(),
        name: Name::parse("name", "行宫社区").unwrap(),
        hub: Some(HubSettings {
            address: "127.0.0.1:4433".to_owned(),
            key: hub.public_key(),
            level: wishtree_node::replica::HubLevel::City,
        }),
        password: None,
        worker: None,
    };
    let mut node = Replica::init(node_dir.path(), &options, now()).unwrap();
    let members: Vec<String> = ["王建国", "李梅", "张伟"]
        .iter()
        .map(|name| add_member(&mut node, name))
        .collect();
    api::create_wish(&mut hub, new_wish("微波炉"), now()).unwrap();

    let before = node.sync_status();
    assert_eq!(before.hub_key, Some(hub.public_key().to_string()));
    assert!(before.changes_not_at_hub >= 3, "{before:?}");
    assert_eq!(before.last_synced_at, None);

    sync_pair(&mut node, &mut hub);
    assert_eq!(node.heads(), hub.heads());
    let status = node.sync_status();
    assert_eq!(status.changes_not_at_hub, 0, "{status:?}");
    assert!(status.last_synced_at.is_some());

    add_member(&mut node, "赵敏");
    assert_eq!(node.sync_status().changes_not_at_hub, 1);

    // What the hub received was stored before it acknowledged: it survives a restart,
    // and so does the peer's sync state.
    drop(hub);
    let mut hub = Replica::open(hub_dir.path()).unwrap();
    let view = hub.view().unwrap();
    for id in &members {
        assert!(view.members.contains_key(&id.parse().unwrap()));
    }
    let peer = hub
        .store()
        .sync_peer(&node.public_key(), DocName::Community)
        .unwrap()
        .unwrap();
    assert!(!peer.their_heads.is_empty());

    // A reconnect after a restart costs little: the stored state knows what is shared.
    node.end_sync_session(&hub.public_key(), now());
    sync_pair(&mut node, &mut hub);
    assert_eq!(node.heads(), hub.heads());
    assert_eq!(node.sync_status().changes_not_at_hub, 0);
    drop(node);
    let mut node = Replica::open(node_dir.path()).unwrap();
    assert_eq!(
        node.sync_status().changes_not_at_hub,
        0,
        "the hub's heads are stored"
    );
}

#[test]
fn the_city_document_is_received_stored_and_never_written() {
    let dir = tempfile::tempdir().unwrap();
    let mut node = init_node(dir.path());
    // The hub's copy, from the same genesis (the city of 110118001002 is 1101).
    let prefix: wishtree_protocol::RegionPrefix = "1101".parse().unwrap();
    let mut city = CityDoc::new(&prefix, [7; 16]).unwrap();
    city.execute(
        &CityCommand::SetName {
            name: Name::parse("name", "北京市").unwrap(),
        },
        now(),
    )
    .unwrap();
    city.execute(
        &CityCommand::PutOrg {
            credit_code: "91350100M000100Y43".parse().unwrap(),
            name: Name::parse("name", "发改委").unwrap(),
        },
        now(),
    )
    .unwrap();
    assert_eq!(node.city_view().unwrap().name, "", "nothing received yet");
    support::receive_city(&mut node, &mut city);
    let view = node.city_view().unwrap();
    assert_eq!(view.name, "北京市");
    assert_eq!(view.orgs["91350100M000100Y43"].name, "发改委");
    assert!(node.chunk_counts().city >= 1);
    let mut heads = city.automerge_mut().get_heads();
    heads.sort();
    assert_eq!(node.doc_heads(DocName::City), heads);
    drop(node);
    let node = Replica::open(dir.path()).unwrap();
    assert_eq!(node.city_view().unwrap().name, "北京市");
}

#[test]
fn every_commit_is_announced_on_the_watch() {
    let dir = tempfile::tempdir().unwrap();
    let mut node = init_node(dir.path());
    let mut changes = node.subscribe();
    assert!(!changes.has_changed().unwrap());
    add_member(&mut node, "王建国");
    assert!(changes.has_changed().unwrap());
    let notice = changes.borrow_and_update().clone();
    assert_eq!(notice.local_commits, 1);
    assert_eq!(notice.heads, node.heads());
    // A refused command announces nothing.
    let refused = api::create_redemption(
        &mut node,
        api::NewRedemption::from_json(
            serde_json::json!({"member": "00000000000000000000000000000000", "points": 1, "reason": "x"}),
            now(),
        )
        .unwrap(),
        now(),
    );
    assert!(refused.is_err());
    assert!(!changes.has_changed().unwrap());
}

#[test]
fn compaction_folds_the_chunks_and_keeps_every_record() {
    let dir = tempfile::tempdir().unwrap();
    let mut node = init_node(dir.path());
    node.set_compact_after(4);
    let ids: Vec<String> = (0..10)
        .map(|n| add_member(&mut node, &format!("党员 {n}")))
        .collect();
    assert!(
        node.chunk_counts().community < 4,
        "{:?}",
        node.chunk_counts()
    );
    assert_eq!(node.attestation_seq(), 11);
    let heads = node.heads();
    drop(node);
    let mut node = Replica::open(dir.path()).unwrap();
    assert_eq!(node.heads(), heads);
    let view = node.view().unwrap();
    for id in &ids {
        assert!(view.members.contains_key(&id.parse().unwrap()));
    }
}

#[test]
fn import_merges_this_community_and_refuses_another() {
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let mut a = init_node(dirs[0].path());
    let mut b = init_node(dirs[1].path());
    let mut other = init_node_of(dirs[2].path(), support::OTHER_COMMUNITY);
    let member = add_member(&mut a, "王建国");
    let exported = a.save();

    let received = b.import(&exported, now()).unwrap();
    assert!(received.is_changed);
    assert!(
        b.view()
            .unwrap()
            .members
            .contains_key(&member.parse().unwrap())
    );
    assert_eq!(b.attestation_seq(), 2, "an import is signed like a commit");
    assert!(!b.import(&exported, now()).unwrap().is_changed);

    let error = other.import(&exported, now()).unwrap_err().to_string();
    assert!(
        error.contains("belongs to community 110118001002"),
        "{error}"
    );
    assert!(error.contains("110118001003"), "{error}");
    let error = other
        .import(b"not automerge", now())
        .unwrap_err()
        .to_string();
    assert!(error.contains("not an automerge document"), "{error}");
    assert_eq!(other.view().unwrap().members.len(), 0);
}

#[test]
fn a_failed_write_leaves_memory_as_the_store_is() {
    let dir = tempfile::tempdir().unwrap();
    let mut node = init_node(dir.path());
    add_member(&mut node, "王建国");
    let heads = node.heads();
    // Make the next commit fail inside its transaction, after the document changed.
    let saboteur = refuse_signatures(dir.path());
    let error = api::create_wish(&mut node, new_wish("微波炉"), now()).unwrap_err();
    assert_eq!(error.status_code(), 500, "{error:?}");
    assert_eq!(
        node.heads(),
        heads,
        "the change was dropped from memory too"
    );
    assert_eq!(node.view().unwrap().wishes.len(), 0);

    saboteur.execute_batch("DROP TRIGGER refuse").unwrap();
    drop(saboteur);
    let wish = api::create_wish(&mut node, new_wish("轮椅"), now()).unwrap();
    assert_eq!(node.attestation_seq(), 3);
    drop(node);
    let mut node = Replica::open(dir.path()).unwrap();
    let view = node.view().unwrap();
    assert_eq!(view.wishes.len(), 1);
    assert!(
        view.wishes
            .contains_key(&wish["id"].as_str().unwrap().parse().unwrap())
    );
}

#[test]
fn a_read_only_replica_refuses_writes() {
    let dir = tempfile::tempdir().unwrap();
    drop(init_node(dir.path()));
    let mut reader = Replica::open_read_only(dir.path()).unwrap();
    let error = reader
        .execute(
            &wishtree_protocol::command::Command::SetCommunityName {
                name: Name::parse("name", "x").unwrap(),
            },
            now(),
        )
        .unwrap_err();
    assert!(
        matches!(error, ExecuteError::Store(StoreError::ReadOnly { .. })),
        "{error}"
    );
    assert_eq!(reader.attestation_seq(), 1);
}

fn new_wish(title: &str) -> api::NewWish {
    api::NewWish::from_json(wish_body(title), now()).unwrap()
}

/// Queues `titles` as wish writes while the replica's lock is held, then lets go:
/// one leader takes them all. Answers each write's result.
fn write_together(state: &AppState, titles: &[&str]) -> Vec<Result<Value, api::ApiError>> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let held = state.replica.blocking_lock();
    let writes: Vec<_> = titles
        .iter()
        .map(|title| {
            let writes = Arc::clone(&state.writes);
            let new = new_wish(title);
            runtime.spawn(async move {
                writes
                    .write(
                        move |replica| api::create_wish(replica, new, now()),
                        |error| Err(api::ApiError::from_store(error)),
                    )
                    .await
                    .unwrap()
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(30);
    while state.writes.queued() < titles.len() {
        assert!(Instant::now() < deadline, "the writes never queued");
        std::thread::yield_now();
    }
    drop(held);
    let answers = writes
        .into_iter()
        .map(|write| runtime.block_on(write).unwrap())
        .collect();
    runtime.shutdown_background();
    answers
}

#[test]
fn writes_that_arrive_together_share_one_transaction_and_are_answered_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let state = AppState::new(init_node(dir.path()));
    let (chunks, seq) = {
        let replica = state.replica.blocking_lock();
        (replica.chunk_counts().community, replica.attestation_seq())
    };
    let titles = [
        "轮椅",
        "微波炉",
        "助听器",
        "台灯",
        "棉被",
        "收音机",
        "电饭煲",
        "老花镜",
    ];
    let answers = write_together(&state, &titles);
    assert!(answers.iter().all(Result::is_ok), "{answers:?}");
    {
        let replica = state.replica.blocking_lock();
        assert_eq!(
            replica.chunk_counts().community,
            chunks + 1,
            "one chunk for the batch"
        );
        assert_eq!(
            replica.attestation_seq(),
            seq + 1,
            "one signature for the batch"
        );
    }
    drop(state);
    // Every answered write is in the store.
    let mut reopened = Replica::open(dir.path()).unwrap();
    let view = reopened.view().unwrap();
    for answer in answers {
        let id = answer.unwrap()["id"].as_str().unwrap().parse().unwrap();
        assert!(view.wishes.contains_key(&id));
    }
}

#[test]
fn a_write_that_queues_while_a_batch_syncs_is_led_on_after_it_and_answered() {
    let dir = tempfile::tempdir().unwrap();
    let state = AppState::new(init_node(dir.path()));
    let chunks = state.replica.blocking_lock().chunk_counts().community;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let handle = runtime.handle().clone();
    let writes = Arc::clone(&state.writes);
    let (first, second) = runtime.block_on(async move {
        let (second_sent, second_answer) = tokio::sync::oneshot::channel();
        let queue = Arc::clone(&writes);
        // The first write's work queues the second and waits until it is queued: the
        // second arrives while the first's batch holds the replica.
        let first = writes
            .write(
                move |replica| {
                    let new = new_wish("轮椅");
                    let second = Arc::clone(&queue);
                    let task = handle.spawn(async move {
                        second
                            .write(
                                move |replica| api::create_wish(replica, new_wish("微波炉"), now()),
                                |error| Err(api::ApiError::from_store(error)),
                            )
                            .await
                    });
                    let _ = second_sent.send(task);
                    let deadline = Instant::now() + Duration::from_secs(30);
                    while queue.queued() < 1 {
                        assert!(Instant::now() < deadline, "the second write never queued");
                        std::thread::yield_now();
                    }
                    api::create_wish(replica, new, now())
                },
                |error| Err(api::ApiError::from_store(error)),
            )
            .await
            .unwrap();
        let second = tokio::time::timeout(Duration::from_secs(30), second_answer.await.unwrap())
            .await
            .expect("the queued write is answered")
            .unwrap()
            .unwrap();
        (first, second)
    });
    runtime.shutdown_background();
    let replica = state.replica.blocking_lock();
    assert_eq!(
        replica.chunk_counts().community,
        chunks + 2,
        "a batch each, the second led after the first"
    );
    drop(replica);
    drop(state);
    let view = Replica::open(dir.path()).unwrap().view().unwrap();
    for answer in [first, second] {
        let id = answer.unwrap()["id"].as_str().unwrap().parse().unwrap();
        assert!(view.wishes.contains_key(&id));
    }
}

#[test]
fn a_batch_whose_transaction_fails_answers_every_write_with_the_error_and_keeps_none() {
    let dir = tempfile::tempdir().unwrap();
    let state = AppState::new(init_node(dir.path()));
    let saboteur = refuse_signatures(dir.path());
    let answers = write_together(&state, &["轮椅", "微波炉", "助听器"]);
    for answer in &answers {
        let error = answer.as_ref().unwrap_err();
        assert_eq!(error.status_code(), 500, "{error:?}");
    }
    assert_eq!(
        state.replica.blocking_lock().view().unwrap().wishes.len(),
        0,
        "memory is as the store is"
    );

    saboteur.execute_batch("DROP TRIGGER refuse").unwrap();
    let answers = write_together(&state, &["棉被"]);
    assert!(answers[0].is_ok(), "{answers:?}");
    drop(state);
    assert_eq!(
        Replica::open(dir.path())
            .unwrap()
            .view()
            .unwrap()
            .wishes
            .len(),
        1
    );
}

/// Makes every commit fail inside its transaction (at its signature), until the
/// trigger it answers the connection of is dropped.
fn refuse_signatures(dir: &std::path::Path) -> rusqlite::Connection {
    let database = dir.join(wishtree_node::replica::DATABASE_FILE);
    let saboteur = rusqlite::Connection::open(&database).unwrap();
    saboteur
        .execute_batch(
            "CREATE TRIGGER refuse BEFORE INSERT ON attestations BEGIN SELECT RAISE(ABORT, 'disk trouble'); END;",
        )
        .unwrap();
    saboteur
}
