//! The store's own tests: chunks, transactions, schema versions, damaged files.

use super::*;

#[test]
fn chunks_append_and_compact_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create(&dir.path().join("node.sqlite")).unwrap();
    let transaction = store.transaction().unwrap();
    assert_eq!(
        transaction.append_chunk(DocName::Community, b"a").unwrap(),
        1
    );
    assert_eq!(
        transaction.append_chunk(DocName::Community, b"b").unwrap(),
        2
    );
    assert_eq!(transaction.append_chunk(DocName::City, b"c").unwrap(), 1);
    transaction.commit().unwrap();
    let seqs: Vec<i64> = store
        .chunks(DocName::Community)
        .unwrap()
        .iter()
        .map(|chunk| chunk.seq)
        .collect();
    assert_eq!(seqs, [1, 2]);

    let transaction = store.transaction().unwrap();
    transaction
        .replace_chunks(DocName::Community, b"ab")
        .unwrap();
    transaction.commit().unwrap();
    assert_eq!(
        store.chunks(DocName::Community).unwrap(),
        [Chunk {
            seq: 3,
            bytes: b"ab".to_vec()
        }]
    );
    assert_eq!(store.chunk_count(DocName::City).unwrap(), 1);
}

#[test]
fn appending_chunks_compiles_its_statement_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create(&dir.path().join("node.sqlite")).unwrap();
    for doc in [DocName::Community, DocName::City, DocName::Inbox] {
        for n in 1..=5 {
            let transaction = store.transaction().unwrap();
            assert_eq!(transaction.append_chunk(doc, &[n as u8]).unwrap(), n);
            transaction.commit().unwrap();
        }
        // The cache hands back the statement the appends used, with its counters.
        let statement = store.connection.prepare_cached(doc.append_sql()).unwrap();
        assert_eq!(
            statement.get_status(rusqlite::StatementStatus::RePrepare),
            0,
            "{doc}: compiled again after a use"
        );
    }
}

#[test]
fn an_uncommitted_transaction_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create(&dir.path().join("node.sqlite")).unwrap();
    {
        let transaction = store.transaction().unwrap();
        transaction.append_chunk(DocName::Community, b"a").unwrap();
        transaction.put_setting("name", "x").unwrap();
    }
    assert_eq!(store.chunk_count(DocName::Community).unwrap(), 0);
    assert_eq!(store.setting("name").unwrap(), None);
}

#[test]
fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("node.sqlite");
    drop(Store::create(&path).unwrap());
    Connection::open(&path)
        .unwrap()
        .execute_batch("PRAGMA user_version = 99")
        .unwrap();
    let error = Store::open(&path).unwrap_err();
    assert!(
        matches!(error, StoreError::NewerSchema { found: 99, .. }),
        "{error}"
    );
    let message = error.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains("upgrade wishtree"), "{message}");
}

#[test]
fn a_file_that_is_not_a_database_is_damaged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("node.sqlite");
    std::fs::write(&path, vec![0x42; 8192]).unwrap();
    let error = Store::open(&path).unwrap_err();
    assert!(matches!(error, StoreError::Damaged { .. }), "{error}");
    assert!(error.to_string().contains("wishtree-node backup"));
}

#[test]
fn heads_round_trip() {
    let heads = vec![ChangeHash([1; 32]), ChangeHash([2; 32])];
    assert_eq!(decode_heads(&encode_heads(&heads)).unwrap(), heads);
    assert_eq!(decode_heads(&[0; 31]), None);
}

#[test]
fn only_the_latest_attestation_is_kept() {
    use wishtree_protocol::CommunityCode;
    use wishtree_protocol::keys::KeyPair;

    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::create(&dir.path().join("node.sqlite")).unwrap();
    let key = KeyPair::from_secret([7; 32]);
    let community: CommunityCode = "110105001001".parse().unwrap();
    for seq in 1..=3 {
        let heads = [ChangeHash([seq as u8; 32])];
        let signed = SignedHeads::sign(&key, community, &heads, seq, Timestamp::from_millis(0));
        let transaction = store.transaction().unwrap();
        transaction.put_attestation(&signed).unwrap();
        transaction.commit().unwrap();
    }
    let rows: i64 = store
        .connection
        .query_row("SELECT COUNT(*) FROM attestations", [], |row| row.get(0))
        .unwrap();
    assert_eq!(rows, 1, "older attestations are dropped");
    let latest = store
        .last_attestation(community, key.public())
        .unwrap()
        .unwrap();
    assert_eq!(
        (latest.seq, &latest.heads[..]),
        (3, &[ChangeHash([3; 32])][..])
    );
    latest.verify_by(&key.public()).unwrap();
}
