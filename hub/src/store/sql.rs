//! The SQL both stores run, written once in SQLite's form (`?1`, `?2`, …): the tables
//! have the same names and columns in both, and the statements use only what both
//! dialects share (`ON CONFLICT … DO UPDATE`, `excluded`, `COALESCE`). The PostgreSQL
//! store numbers the parameters its way (`$1`) as it sends a statement.

pub(super) const DELETE_CHUNKS: &str = "DELETE FROM doc_chunks WHERE doc = ?1";
pub(super) const UPSERT_ATTESTATION: &str = "INSERT INTO attestations (community, signed, signer, seq, received_at) VALUES (?1, ?2, ?3, ?4, ?5)
     ON CONFLICT (community) DO UPDATE SET
     signed = excluded.signed, signer = excluded.signer, seq = excluded.seq,
     received_at = excluded.received_at
     WHERE excluded.signer != attestations.signer OR excluded.seq > attestations.seq";
pub(super) const RAISE_BUNDLE_SEQ: &str =
    "INSERT INTO bundle_issuers (issuer, seq, bundle_hash, previous, accepted_at)
     VALUES (?1, ?2, ?3, ?4, ?5)
     ON CONFLICT (issuer) DO UPDATE SET
     seq = excluded.seq, bundle_hash = excluded.bundle_hash,
     previous = excluded.previous, accepted_at = excluded.accepted_at
     WHERE excluded.seq > bundle_issuers.seq";
pub(super) const NOTE_CHANGE: &str =
    "INSERT INTO communities (code, last_change_at) VALUES (?1, ?2)
     ON CONFLICT (code) DO UPDATE SET last_change_at = excluded.last_change_at";
pub(super) const NOTE_SEEN: &str = "INSERT INTO communities (code, last_seen_at) VALUES (?1, ?2)
     ON CONFLICT (code) DO UPDATE SET last_seen_at = excluded.last_seen_at";
pub(super) const INSERT_CHUNK_AT: &str =
    "INSERT INTO doc_chunks (doc, seq, bytes) VALUES (?1, ?2, ?3)";
pub(super) const APPEND_CHUNK: &str = "INSERT INTO doc_chunks (doc, seq, bytes)
     VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM doc_chunks WHERE doc = ?1), ?2)";
pub(super) const INSERT_ENROLLMENT: &str =
    "INSERT INTO roster (key, role, community, scope, enrolled_at) VALUES (?1, ?2, ?3, ?4, ?5)";
pub(super) const UPSERT_SETTING: &str = "INSERT INTO settings (key, value) VALUES (?1, ?2)
     ON CONFLICT (key) DO UPDATE SET value = excluded.value";
pub(super) const UPSERT_SYNC_STATE: &str =
    "INSERT INTO sync_peers (peer, doc, state, at) VALUES (?1, ?2, ?3, 0)
     ON CONFLICT (peer, doc) DO UPDATE SET state = excluded.state";
pub(super) const CHUNK_STATS: &str =
    "SELECT COUNT(*), COALESCE(SUM(LENGTH(bytes)), 0) FROM doc_chunks WHERE doc = ?1";
pub(super) const LAST_SEQ: &str = "SELECT MAX(seq) FROM doc_chunks WHERE doc = ?1";
pub(super) const CHUNKS_AFTER: &str =
    "SELECT bytes FROM doc_chunks WHERE doc = ?1 AND seq > ?2 ORDER BY seq";
pub(super) const CHUNKS: &str = "SELECT bytes FROM doc_chunks WHERE doc = ?1 ORDER BY seq";
pub(super) const COMMUNITIES: &str =
    "SELECT code, last_seen_at, last_change_at FROM communities ORDER BY code";
pub(super) const ACTIVE_KEY: &str =
    "SELECT key FROM roster WHERE role = 'node' AND community = ?1 AND revoked_at IS NULL";
pub(super) const BUNDLE_SEQ: &str = "SELECT seq FROM bundle_issuers WHERE issuer = ?1";
pub(super) const ATTESTATION: &str = "SELECT signed FROM attestations WHERE community = ?1";
pub(super) const SYNC_STATE: &str = "SELECT state FROM sync_peers WHERE peer = ?1 AND doc = ?2";
pub(super) const SETTING: &str = "SELECT value FROM settings WHERE key = ?1";
pub(super) const REVOKE: &str =
    "UPDATE roster SET revoked_at = ?2, revoke_reason = ?3 WHERE key = ?1 AND revoked_at IS NULL";
/// The roster's columns, in the order [`super::RawEnrollment`] holds them.
pub(super) const ENROLLMENTS: &str =
    "SELECT key, role, community, scope, enrolled_at, revoked_at, revoke_reason FROM roster";
