//! The SQLite store's merge queue and checkpoints.

#![allow(clippy::unwrap_used)]

use wishtree_protocol::keys::KeyPair;

use super::*;

/// Merges from many sessions at once share commits; each must land whole, and
/// return only once it has.
#[test]
fn merges_at_once_each_land_whole() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("hub.sqlite")).unwrap();
    let sessions = 8u8;
    let merges = 20u8;
    let doc =
        |session: u8| StoredDoc::Community(format!("130903001{:03}", session + 1).parse().unwrap());
    std::thread::scope(|scope| {
        for session in 0..sessions {
            let store = &store;
            scope.spawn(move || {
                let peer = KeyPair::from_secret([session + 1; 32]).public();
                for merge in 0..merges {
                    let chunk = [session, merge];
                    let state = [merge];
                    store
                        .store_merge(&MergeWrite {
                            doc: doc(session),
                            chunk: Some(&chunk),
                            full_save: None,
                            sync_state: Some((&peer, &state)),
                            at: Timestamp::from_millis(1_795_000_000_000),
                        })
                        .unwrap();
                    // Returned: committed, so this session reads its own write.
                    let stats = store.chunk_stats(doc(session)).unwrap();
                    assert_eq!(stats.count, usize::from(merge) + 1);
                }
            });
        }
    });
    for session in 0..sessions {
        let peer = KeyPair::from_secret([session + 1; 32]).public();
        let expected: Vec<u8> = (0..merges).flat_map(|merge| [session, merge]).collect();
        assert_eq!(store.doc_bytes(doc(session)).unwrap().unwrap(), expected);
        assert_eq!(
            store.sync_state(&peer, doc(session)).unwrap().unwrap(),
            vec![merges - 1]
        );
    }
}

/// A commit past SQLite's default 1,000 pages of log leaves the checkpoint to the
/// worker: the database file does not grow until `checkpoint` copies the log in.
#[test]
fn a_commit_leaves_the_checkpoint_to_the_worker() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.sqlite");
    let store = SqliteStore::open(&path).unwrap();
    let file_size = || std::fs::metadata(&path).unwrap().len();
    let before = file_size();
    let doc = StoredDoc::Community("130903001001".parse().unwrap());
    // About 1,300 pages of 4 KiB.
    let chunk = vec![7u8; 5 << 20];
    store
        .store_merge(&MergeWrite {
            doc,
            chunk: Some(&chunk),
            full_save: None,
            sync_state: None,
            at: Timestamp::from_millis(1_795_000_000_000),
        })
        .unwrap();
    assert!(
        file_size() < before + (1 << 20),
        "the commit copied the log into the database file itself"
    );
    let checkpointed = store.checkpoint().unwrap();
    assert!(checkpointed.logged >= 1_000, "{checkpointed:?}");
    assert_eq!(checkpointed.copied, checkpointed.logged);
    assert!(file_size() >= before + (5 << 20));
    assert_eq!(store.doc_bytes(doc).unwrap().unwrap(), chunk);
}
