//! The store's tables (`HubStore` in SQLite): settings, the roster, document chunks,
//! communities, automerge's sync state per peer, signed heads, the last bundle per
//! issuer.

/// The store's steps, in order. Each is frozen once released: a change is a new step
/// at the end of [`super::STEPS`].
pub(super) const STEPS: [&str; 2] = [
    r#"
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE roster (
    key BLOB PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('node', 'hub')),
    community TEXT,
    scope TEXT,
    enrolled_at INTEGER NOT NULL,
    revoked_at INTEGER,
    revoke_reason TEXT
);
CREATE UNIQUE INDEX roster_active_community ON roster (community)
    WHERE role = 'node' AND revoked_at IS NULL;
CREATE TABLE doc_chunks (
    doc TEXT NOT NULL,
    seq INTEGER NOT NULL,
    bytes BLOB NOT NULL,
    PRIMARY KEY (doc, seq)
);
CREATE TABLE communities (
    code TEXT PRIMARY KEY,
    last_seen_at INTEGER,
    last_change_at INTEGER
);
CREATE TABLE sync_peers (
    peer BLOB NOT NULL,
    doc TEXT NOT NULL,
    state BLOB NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (peer, doc)
);
CREATE TABLE attestations (
    community TEXT PRIMARY KEY,
    signed TEXT NOT NULL,
    signer BLOB NOT NULL,
    seq INTEGER NOT NULL,
    received_at INTEGER NOT NULL
);
"#,
    r#"
CREATE TABLE bundle_issuers (
    issuer BLOB PRIMARY KEY,
    seq INTEGER NOT NULL,
    bundle_hash BLOB NOT NULL,
    previous BLOB,
    accepted_at INTEGER NOT NULL
);
"#,
];
