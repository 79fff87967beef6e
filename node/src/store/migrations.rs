//! The node's schema: SQL steps applied in order by `wishtree_common::migrations`.

/// Migrations of the node's tables, in order; `PRAGMA user_version` is the number
/// applied. The second lets `doc_chunks` hold the community's inbox (issue 12); the
/// third keeps a resident's address, which a sealed submission brings (issue 12); the
/// fourth keeps a volunteer's name and phone (issue 14, item 5).
pub(super) const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE doc_chunks (
    doc TEXT NOT NULL CHECK (doc IN ('community', 'city')),
    seq INTEGER NOT NULL,
    bytes BLOB NOT NULL,
    PRIMARY KEY (doc, seq)
);
CREATE TABLE private_members (
    member_id TEXT PRIMARY KEY,
    address TEXT NOT NULL,
    phone TEXT NOT NULL
);
CREATE TABLE private_residents (
    wish_id TEXT PRIMARY KEY,
    real_name TEXT NOT NULL,
    phone TEXT NOT NULL
);
CREATE TABLE sync_peers (
    peer_key BLOB NOT NULL,
    doc TEXT NOT NULL,
    sync_state BLOB NOT NULL,
    their_heads BLOB NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (peer_key, doc)
);
CREATE TABLE attestations (
    seq INTEGER PRIMARY KEY,
    heads BLOB NOT NULL,
    at INTEGER NOT NULL,
    signature BLOB NOT NULL
);
"#,
    r#"
CREATE TABLE doc_chunks_with_inbox (
    doc TEXT NOT NULL CHECK (doc IN ('community', 'city', 'inbox')),
    seq INTEGER NOT NULL,
    bytes BLOB NOT NULL,
    PRIMARY KEY (doc, seq)
);
INSERT INTO doc_chunks_with_inbox (doc, seq, bytes) SELECT doc, seq, bytes FROM doc_chunks;
DROP TABLE doc_chunks;
ALTER TABLE doc_chunks_with_inbox RENAME TO doc_chunks;
"#,
    r#"
ALTER TABLE private_residents ADD COLUMN address TEXT NOT NULL DEFAULT '';
"#,
    r#"
CREATE TABLE private_volunteers (
    volunteer_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    phone TEXT NOT NULL
);
"#,
];
