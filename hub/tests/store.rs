//! The hub store: roster rules, chunks and compaction, sync state, attestations,
//! backups, and damaged files. The rules of the trait run against both stores
//! (`on_both_stores!`: `<test>::sqlite` and `<test>::postgres`, the latter in a database
//! of its own in the cluster of `scripts/with-test-pg`).

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use wishtree_hub::figures::{self, Filter, Period};
use wishtree_hub::http::HubHttpState;
use wishtree_hub::metrics::Metrics;
use wishtree_hub::store::{
    BundleReceipt, ChunkStats, EnrolledRole, HubStore, MergeWrite, PgStore, SqliteStore,
    StoreError, StoredDoc,
};
use wishtree_protocol::attest::SignedHeads;
use wishtree_protocol::keys::KeyPair;
use wishtree_protocol::{CommunityCode, CommunityDoc, Timestamp};
use wishtree_testkit::postgres::TestDatabase;

fn code(text: &str) -> CommunityCode {
    text.parse().unwrap()
}

fn at(millis: i64) -> Timestamp {
    Timestamp::from_millis(millis)
}

fn open() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("hub.sqlite")).unwrap();
    (dir, store)
}

/// Names the community 运河区名人社区, as its worker would.
fn rename(doc: &mut CommunityDoc) {
    doc.execute(
        &wishtree_protocol::command::Command::SetCommunityName {
            name: wishtree_protocol::text::Name::parse("name", "运河区名人社区").unwrap(),
        },
        &wishtree_protocol::model::Actor::Worker("刘炳浩".into()),
        at(2),
    )
    .unwrap();
}

/// Each named test body (`fn name(store: &dyn HubStore)`) as two tests, one per store.
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[test]
            fn sqlite() {
                let (_dir, store) = super::open();
                super::$name(&store);
            }

            #[test]
            fn postgres() {
                let Some(database) = super::TestDatabase::create(concat!(
                    "store test ",
                    stringify!($name)
                )) else {
                    return;
                };
                let store = super::PgStore::open(database.url()).unwrap();
                super::$name(&store);
            }
        }
    )*};
}

on_both_stores!(
    a_community_has_one_active_key_and_revoked_keys_are_kept,
    chunks_load_as_one_document_and_compact_in_one_transaction,
    sync_state_is_kept_per_peer_and_document,
    only_newer_attestations_replace_the_recorded_one,
    a_merge_is_stored_whole_and_chunks_after_a_seq_bring_a_copy_up_to_date,
    a_bundle_seq_only_grows_and_a_refused_one_stores_nothing,
    settings_are_kept_and_replaced,
);

fn a_community_has_one_active_key_and_revoked_keys_are_kept(store: &dyn HubStore) {
    let community = code("130903003001");
    let first = KeyPair::from_secret([1; 32]).public();
    let second = KeyPair::from_secret([2; 32]).public();
    store
        .enroll(first, EnrolledRole::Node { community }, at(1))
        .unwrap();
    assert!(matches!(
        store.enroll(second, EnrolledRole::Node { community }, at(2)),
        Err(StoreError::CommunityTaken { .. })
    ));
    assert!(matches!(
        store.enroll(
            first,
            EnrolledRole::Hub {
                scope: "1309".parse().unwrap()
            },
            at(2)
        ),
        Err(StoreError::AlreadyEnrolled { .. })
    ));
    assert_eq!(store.community_key(community).unwrap(), Some(first));

    let revoked = store.revoke(&first, at(3), "电脑被盗").unwrap();
    assert_eq!(revoked.revoked.as_ref().unwrap().reason, "电脑被盗");
    assert_eq!(store.community_key(community).unwrap(), None);
    store
        .enroll(second, EnrolledRole::Node { community }, at(4))
        .unwrap();
    assert_eq!(store.community_key(community).unwrap(), Some(second));
    let roster = store.enrollments().unwrap();
    assert_eq!(roster.len(), 2);
    assert!(roster[0].revoked.is_some());
    assert!(roster[1].revoked.is_none());
    let stranger = KeyPair::from_secret([3; 32]).public();
    assert!(matches!(
        store.revoke(&stranger, at(5), "x"),
        Err(StoreError::NotEnrolled(_))
    ));
}

fn chunks_load_as_one_document_and_compact_in_one_transaction(store: &dyn HubStore) {
    let community = code("130903003001");
    let doc_key = StoredDoc::Community(community);
    assert_eq!(store.doc_bytes(doc_key).unwrap(), None);
    assert_eq!(store.chunk_stats(doc_key).unwrap(), ChunkStats::default());
    let mut doc = CommunityDoc::create(community, "名人社区", [1; 16], at(1)).unwrap();
    let first = doc.save_incremental();
    store.append_chunk(doc_key, &first, at(1)).unwrap();
    rename(&mut doc);
    let second = doc.save_incremental();
    store.append_chunk(doc_key, &second, at(2)).unwrap();
    let stats = store.chunk_stats(doc_key).unwrap();
    assert_eq!(stats.count, 2);
    // The stored size, which a community's quota bounds.
    assert_eq!(stats.bytes, (first.len() + second.len()) as u64);

    let loaded = CommunityDoc::load(
        &store.doc_bytes(doc_key).unwrap().unwrap(),
        Some(community),
        [2; 16],
    )
    .unwrap();
    assert_eq!(loaded.community().unwrap().name, "运河区名人社区");

    let full = doc.save();
    store.compact(doc_key, &full).unwrap();
    let stats = store.chunk_stats(doc_key).unwrap();
    assert_eq!((stats.count, stats.bytes), (1, full.len() as u64));
    let loaded = CommunityDoc::load(
        &store.doc_bytes(doc_key).unwrap().unwrap(),
        Some(community),
        [2; 16],
    )
    .unwrap();
    assert_eq!(loaded.community().unwrap().name, "运河区名人社区");
    let records = store.communities().unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].last_change_at, Some(at(2)));
    store.record_seen(community, at(9)).unwrap();
    assert_eq!(store.communities().unwrap()[0].last_seen_at, Some(at(9)));
}

fn sync_state_is_kept_per_peer_and_document(store: &dyn HubStore) {
    let peer = KeyPair::from_secret([1; 32]).public();
    let other = KeyPair::from_secret([2; 32]).public();
    let doc = StoredDoc::Community(code("130903003001"));
    store.save_sync_state(&peer, doc, b"state one").unwrap();
    store
        .save_sync_state(&peer, StoredDoc::City, b"city state")
        .unwrap();
    store.save_sync_state(&peer, doc, b"state two").unwrap();
    assert_eq!(store.sync_state(&peer, doc).unwrap().unwrap(), b"state two");
    assert_eq!(
        store.sync_state(&peer, StoredDoc::City).unwrap().unwrap(),
        b"city state"
    );
    assert_eq!(store.sync_state(&other, doc).unwrap(), None);
}

fn only_newer_attestations_replace_the_recorded_one(store: &dyn HubStore) {
    let community = code("130903003001");
    let key = KeyPair::from_secret([1; 32]);
    let heads = [automerge::ChangeHash([5; 32])];
    let sign = |seq| {
        SignedHeads::sign(&key, community, &heads, seq, at(seq as i64))
            .verify()
            .unwrap()
    };
    assert!(store.record_attestation(&sign(2), at(10)).unwrap());
    assert!(!store.record_attestation(&sign(1), at(11)).unwrap());
    assert!(!store.record_attestation(&sign(2), at(12)).unwrap());
    assert!(store.record_attestation(&sign(3), at(13)).unwrap());
    let recorded = store.attestation(community).unwrap().unwrap();
    assert_eq!(recorded.seq, 3);
    recorded.verify_by(&key.public()).unwrap();
    // A rotated key starts its own sequence.
    let rotated = KeyPair::from_secret([2; 32]);
    let fresh = SignedHeads::sign(&rotated, community, &heads, 1, at(20))
        .verify()
        .unwrap();
    assert!(store.record_attestation(&fresh, at(21)).unwrap());
}

fn a_merge_is_stored_whole_and_chunks_after_a_seq_bring_a_copy_up_to_date(store: &dyn HubStore) {
    let community = code("130903003001");
    let doc_key = StoredDoc::Community(community);
    let peer = KeyPair::from_secret([1; 32]).public();
    assert_eq!(store.doc_seq(doc_key).unwrap(), 0);
    let mut doc = CommunityDoc::create(community, "名人社区", [1; 16], at(1)).unwrap();
    let first = doc.save_incremental();
    store
        .store_merge(&MergeWrite {
            doc: doc_key,
            chunk: Some(&first),
            full_save: None,
            sync_state: Some((&peer, b"state")),
            at: at(1),
        })
        .unwrap();
    let held_at = store.doc_seq(doc_key).unwrap();
    assert_eq!(held_at, 1);
    let mut held =
        automerge::AutoCommit::load(&store.doc_bytes(doc_key).unwrap().unwrap()).unwrap();
    assert_eq!(store.sync_state(&peer, doc_key).unwrap().unwrap(), b"state");
    // A message that brought no change stores the peer's sync state alone.
    let state = [0u8, b'\'', b'\\', 0xff];
    store
        .store_merge(&MergeWrite {
            doc: doc_key,
            chunk: None,
            full_save: None,
            sync_state: Some((&peer, &state)),
            at: at(1),
        })
        .unwrap();
    assert_eq!(store.sync_state(&peer, doc_key).unwrap().unwrap(), state);
    assert_eq!(store.doc_seq(doc_key).unwrap(), 1, "no chunk was stored");

    // Another process adds a change, then compacts: the full save takes the next seq.
    rename(&mut doc);
    let second = doc.save_incremental();
    store.append_chunk(doc_key, &second, at(2)).unwrap();
    assert_eq!(store.chunks_after(doc_key, held_at).unwrap(), vec![second]);
    store
        .store_merge(&MergeWrite {
            doc: doc_key,
            chunk: None,
            full_save: Some(&doc.save()),
            sync_state: None,
            at: at(3),
        })
        .unwrap();
    assert_eq!(store.doc_seq(doc_key).unwrap(), 3, "seqs never repeat");
    assert_eq!(store.chunk_stats(doc_key).unwrap().count, 1);
    // The seq read with the lock, and as it is released, is the store's.
    let (lock, seq) = store.lock_doc_at_seq(doc_key).unwrap();
    assert_eq!(seq, 3);
    assert_eq!(store.release_doc_at_seq(lock, doc_key).unwrap(), 3);
    let (lock, seq) = store.lock_doc_at_seq(StoredDoc::Inbox(community)).unwrap();
    assert_eq!(seq, 0, "a document without chunks is at seq 0");
    drop(lock);
    for chunk in store.chunks_after(doc_key, held_at).unwrap() {
        held.load_incremental(&chunk).unwrap();
    }
    let caught_up = CommunityDoc::from_automerge(held, Some(community), [2; 16]).unwrap();
    assert_eq!(caught_up.community().unwrap().name, "运河区名人社区");
    assert!(store.chunks_after(doc_key, 3).unwrap().is_empty());
}

fn a_bundle_seq_only_grows_and_a_refused_one_stores_nothing(store: &dyn HubStore) {
    let issuer = KeyPair::from_secret([4; 32]).public();
    let doc = StoredDoc::Community(code("130903003001"));
    let receipt = |seq| BundleReceipt {
        issuer,
        seq,
        hash: [seq as u8; 32],
        previous: None,
    };
    assert_eq!(store.last_bundle_seq(&issuer).unwrap(), None);
    store
        .accept_bundle(doc, b"one", &receipt(2), at(1))
        .unwrap();
    assert_eq!(store.last_bundle_seq(&issuer).unwrap(), Some(2));
    assert!(matches!(
        store.accept_bundle(doc, b"two", &receipt(2), at(2)),
        Err(StoreError::BundleNotNewer { seq: 2, last: 2 })
    ));
    assert_eq!(store.doc_bytes(doc).unwrap().unwrap(), b"one");
    store.accept_bundle(doc, b"", &receipt(3), at(3)).unwrap();
    assert_eq!(store.last_bundle_seq(&issuer).unwrap(), Some(3));
    assert_eq!(
        store.chunk_stats(doc).unwrap().count,
        1,
        "an empty bundle adds no chunk"
    );
}

fn settings_are_kept_and_replaced(store: &dyn HubStore) {
    assert_eq!(store.setting("city").unwrap(), None);
    store.set_setting("city", "1309").unwrap();
    store.set_setting("city", "1310").unwrap();
    assert_eq!(store.setting("city").unwrap().as_deref(), Some("1310"));
    assert!(!store.is_shared() || store.lock_doc(StoredDoc::City).is_ok());
}

/// A pooled connection the server ended while it was idle (a restart of the server,
/// an administrator's `pg_terminate_backend`) is found out when the pool hands it out,
/// and another is opened: the next call works.
#[test]
fn a_postgres_connection_the_server_ended_while_idle_is_replaced() {
    let Some(database) = TestDatabase::create("store test ended connection") else {
        return;
    };
    let store = PgStore::open(database.url()).unwrap();
    store.set_setting("city", "1309").unwrap();
    database.end_sessions();
    assert_eq!(store.setting("city").unwrap().as_deref(), Some("1309"));
    store.set_setting("city", "1310").unwrap();
    assert_eq!(store.setting("city").unwrap().as_deref(), Some("1310"));
}

#[test]
fn a_backup_is_a_working_store() {
    let (dir, store) = open();
    let key = KeyPair::from_secret([1; 32]).public();
    let community = code("130903003001");
    store
        .enroll(key, EnrolledRole::Node { community }, at(1))
        .unwrap();
    store
        .append_chunk(StoredDoc::City, b"bytes", at(1))
        .unwrap();
    let copy = dir.path().join("copy.sqlite");
    store.backup(&copy).unwrap();
    let restored = SqliteStore::open(&copy).unwrap();
    assert_eq!(restored.community_key(community).unwrap(), Some(key));
    assert_eq!(
        restored.doc_bytes(StoredDoc::City).unwrap().unwrap(),
        b"bytes"
    );
}

#[test]
fn a_file_that_is_not_a_database_is_named_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.sqlite");
    std::fs::write(&path, vec![0x42; 8192]).unwrap();
    let error = SqliteStore::open(&path).unwrap_err().to_string();
    assert!(error.contains("hub.sqlite"), "{error}");
    assert!(error.contains("restore a backup"), "{error}");
}

#[test]
fn a_database_written_by_a_newer_release_is_refused_and_left_as_it_is() {
    let (_dir, store) = open();
    let path = store.path().to_owned();
    drop(store);
    let connection = rusqlite::Connection::open(&path).unwrap();
    connection
        .execute_batch("PRAGMA user_version = 99")
        .unwrap();
    let refused = SqliteStore::open(&path).unwrap_err().to_string();
    assert!(refused.contains("at schema 99, newer than"), "{refused}");
    assert!(refused.contains("wishtree"), "{refused}");
    // The dashboard's own connection refuses it too.
    let refused = HubHttpState::new(&path, Arc::new(Metrics::new()))
        .unwrap_err()
        .to_string();
    assert!(refused.contains("at schema 99, newer than"), "{refused}");
    let version: i64 = connection
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .unwrap();
    assert_eq!(version, 99, "nothing was written");
}

/// `hub-schema-versions.sqlite` was made by the release before the hub moved to one
/// schema version (`wishtree-hub init --city 1309`, `region name 130903 运河区`,
/// `city name 沧州市`, two nodes enrolled and one revoked, then `import` of a bundle
/// with one member and one wish): it kept `schema_versions` at store 2, figures 2.
#[test]
fn a_database_of_the_release_with_schema_versions_opens_with_every_record() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.sqlite");
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/hub-schema-versions.sqlite"
    );
    std::fs::copy(fixture, &path).unwrap();
    let store = SqliteStore::open(&path).unwrap();

    let connection = rusqlite::Connection::open(&path).unwrap();
    let version: i64 = connection
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .unwrap();
    assert_eq!(version, wishtree_hub::schema::VERSION);
    let legacy: i64 = connection
        .query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE name = 'schema_versions'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(legacy, 0, "the old bookkeeping is gone");

    // The store's records.
    let community = code("130903001001");
    let node = KeyPair::from_secret([9; 32]).public();
    let revoked = KeyPair::from_secret([8; 32]).public();
    assert_eq!(store.setting("city").unwrap().as_deref(), Some("1309"));
    assert_eq!(store.community_key(community).unwrap(), Some(node));
    let revocation = store
        .enrollment(&revoked)
        .unwrap()
        .unwrap()
        .revoked
        .unwrap();
    assert_eq!(revocation.reason, "lost laptop");
    assert_eq!(store.enrollments().unwrap().len(), 2);
    assert_eq!(store.last_bundle_seq(&node).unwrap(), Some(1));
    assert_eq!(store.attestation(community).unwrap().unwrap().seq, 1);
    let bytes = store
        .doc_bytes(StoredDoc::Community(community))
        .unwrap()
        .unwrap();
    let doc = CommunityDoc::load(&bytes, Some(community), [0; 16]).unwrap();
    assert_eq!(doc.code(), community);
    assert!(store.doc_bytes(StoredDoc::City).unwrap().is_some());

    // The figures' rows and the operator's region names, kept as they were.
    assert_eq!(
        figures::region_name(&connection, &"130903".parse().unwrap())
            .unwrap()
            .as_deref(),
        Some("运河区")
    );
    let city = figures::figures(
        &connection,
        &Filter {
            region: "1309".parse().unwrap(),
            period: Period::all(),
            org: None,
            round: None,
        },
        Timestamp::from_millis(1_780_000_000_000),
    )
    .unwrap();
    assert_eq!(city.communities, 1);
    assert_eq!(city.members_reported, 1);
    assert_eq!(city.wishes.total, 1);
    // The posts' and groups' step (issue 14, item 8) marks every community for one
    // re-derivation, since its documents may hold posts and groups the old rows lack:
    // a starting hub re-derives this one community, and nothing else.
    assert_eq!(
        wishtree_hub::run::stale_communities(
            &store,
            &wishtree_hub::figure_store::FigureStore::Local(std::sync::Arc::new(
                SqliteStore::open(&path).unwrap()
            ))
        )
        .unwrap(),
        vec!["130903001001".parse().unwrap()]
    );

    // Opening it again changes nothing.
    drop(store);
    SqliteStore::open(&path).unwrap();
}
