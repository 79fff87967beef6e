//! Two hubs on one PostgreSQL store, as two hub processes are (each `Hub` has its own
//! connections, so the database sees two clients; only the advisory lock and the seq
//! keep them apart): both change one community's document at once, many times, through
//! compaction, and no change is lost; each sees the other's changes at its next use
//! of the document (no stale copy).
//!
//! The test with real processes and nodes is `tests/tests/hubs_on_postgres.rs`.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT, ReadDoc};
use wishtree_hub::figure_store::FigureStore;
use wishtree_hub::metrics::Metrics;
use wishtree_hub::state::{Hub, HubError, HubOptions};
use wishtree_hub::store::{PgStore, SqliteStore, StoredDoc};
use wishtree_protocol::frame::DocId;
use wishtree_protocol::keys::KeyPair;
use wishtree_protocol::{CommunityCode, Timestamp};
use wishtree_testkit::postgres::TestDatabase;

/// Changes each hub makes; more than the compaction threshold (64 chunks), so that
/// both hubs compact while the other writes.
const CHANGES: usize = 150;

fn community() -> CommunityCode {
    "130903001001".parse().unwrap()
}

/// A hub over the store at `url`, its figures there too, with its own file in `dir`.
fn hub(url: &str, dir: &std::path::Path, name: &str) -> Arc<Hub> {
    let store = Arc::new(PgStore::open(url).unwrap());
    let local = Arc::new(SqliteStore::open(&dir.join(format!("{name}.sqlite"))).unwrap());
    Hub::with_stores(
        Arc::clone(&store) as Arc<dyn wishtree_hub::store::HubStore>,
        FigureStore::Shared(store),
        local,
        KeyPair::from_secret([9; 32]),
        "1309".parse().unwrap(),
        Arc::new(Metrics::new()),
        HubOptions::default(),
    )
    .unwrap()
}

/// Adds one key to the community's document through the hub, storing the change as a
/// sync merge would, under the document's lock.
fn write(hub: &Hub, key: &str) {
    hub.update_community(community(), |doc: &mut AutoCommit| {
        let before = doc.get_heads();
        doc.put(ROOT, key, 1_i64).unwrap();
        let chunk = doc.save_after(&before);
        hub.store()
            .append_chunk(
                StoredDoc::Community(community()),
                &chunk,
                Timestamp::from_millis(1),
            )
            .map_err(HubError::from)?;
        Ok::<_, HubError>(())
    })
    .unwrap();
}

#[test]
fn two_hubs_writing_one_document_at_once_lose_nothing() {
    let Some(database) = TestDatabase::create("two hubs on one PostgreSQL store") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let first = hub(database.url(), dir.path(), "first");
    let second = hub(database.url(), dir.path(), "second");
    // Both hold the document in memory before the other writes: a copy that were not
    // caught up would be compacted over the other's changes.
    write(&first, "genesis");
    first.heads(DocId::Community(community())).unwrap();
    second.heads(DocId::Community(community())).unwrap();

    std::thread::scope(|scope| {
        for (hub, name) in [(&first, "first"), (&second, "second")] {
            scope.spawn(move || {
                for index in 0..CHANGES {
                    write(hub, &format!("{name}-{index}"));
                }
            });
        }
    });

    let stored = first
        .store()
        .doc_bytes(StoredDoc::Community(community()))
        .unwrap()
        .unwrap();
    let stored = AutoCommit::load(&stored).unwrap();
    let missing: Vec<String> = ["first", "second"]
        .iter()
        .flat_map(|name| (0..CHANGES).map(move |index| format!("{name}-{index}")))
        .filter(|key| stored.get(ROOT, key.as_str()).unwrap().is_none())
        .collect();
    assert!(missing.is_empty(), "lost changes: {missing:?}");
    assert!(
        first
            .store()
            .chunk_stats(StoredDoc::Community(community()))
            .unwrap()
            .count
            <= 2 * 64,
        "compaction ran"
    );
    // Each hub's held copy is the stored document at its next use.
    let mut stored_heads = stored.clone().get_heads();
    stored_heads.sort();
    for hub in [&first, &second] {
        let mut heads = hub.heads(DocId::Community(community())).unwrap();
        heads.sort();
        assert_eq!(heads, stored_heads);
    }
}

#[test]
fn a_hub_sees_a_document_another_hub_changed_at_its_next_use() {
    let Some(database) = TestDatabase::create("a hub catching up with another") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let first = hub(database.url(), dir.path(), "first");
    let second = hub(database.url(), dir.path(), "second");
    write(&first, "one");
    let doc = DocId::Community(community());
    assert_eq!(second.heads(doc).unwrap(), first.heads(doc).unwrap());
    write(&first, "two");
    write(&first, "three");
    assert_eq!(second.heads(doc).unwrap(), first.heads(doc).unwrap());
    let snapshot = second.snapshot(doc).unwrap();
    assert!(snapshot.get(ROOT, "three").unwrap().is_some());
}

/// A read (the heads, a sync message) takes no lock across processes: a hub reading a
/// document over and over while another writes it, through compaction, is in step
/// with the store when the writes end, and its next merge loses nothing.
#[test]
fn a_hub_reading_while_another_writes_stays_in_step() {
    let Some(database) = TestDatabase::create("a hub reading while another writes") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let writer = hub(database.url(), dir.path(), "writer");
    let reader = hub(database.url(), dir.path(), "reader");
    let doc = DocId::Community(community());
    write(&writer, "genesis");
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            for index in 0..CHANGES {
                write(&writer, &format!("writer-{index}"));
            }
            done.store(true, std::sync::atomic::Ordering::Relaxed);
        });
        while !done.load(std::sync::atomic::Ordering::Relaxed) {
            reader.heads(doc).unwrap();
        }
    });
    let mut expected = writer.heads(doc).unwrap();
    expected.sort();
    let mut heads = reader.heads(doc).unwrap();
    heads.sort();
    assert_eq!(heads, expected);

    write(&reader, "reader");
    let stored = reader
        .store()
        .doc_bytes(StoredDoc::Community(community()))
        .unwrap()
        .unwrap();
    let stored = AutoCommit::load(&stored).unwrap();
    let missing: Vec<String> = (0..CHANGES)
        .map(|index| format!("writer-{index}"))
        .chain(["genesis".to_owned(), "reader".to_owned()])
        .filter(|key| stored.get(ROOT, key.as_str()).unwrap().is_none())
        .collect();
    assert!(missing.is_empty(), "lost changes: {missing:?}");
}
