//! The node's schema: SQL steps applied in order by `wishtree_common::migrations`.

/// Migrations of the node's tables, in order; `PRAGMA user_version` is the number
/// applied.
pub(super) const MIGRATIONS: &[&str] = &[r#"
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
"#];
