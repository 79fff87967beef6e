//! The accounts' SQL, written once in SQLite's form (`?1`, `?2`, …) for both stores:
//! the tables have the same names and columns in the SQLite file (`schema/accounts.rs`)
//! and in PostgreSQL (`store/postgres.rs`, its second step), and the statements use only
//! what both dialects share (`RETURNING`, `ON CONFLICT … DO UPDATE`, `excluded`). The
//! PostgreSQL store numbers the parameters its way (`$1`) as it sends a statement.

/// The columns [`super::store::decode_account`] reads, in its order.
macro_rules! account_columns {
    () => {
        "id, name, role, scope, created_at, revoked_at"
    };
}

pub(crate) const NAME_TAKEN: &str = "SELECT EXISTS (SELECT 1 FROM accounts WHERE name = ?1)";
pub(crate) const INSERT_ACCOUNT: &str =
    "INSERT INTO accounts (name, role, scope, password_hash, created_at)
     VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id";
pub(crate) const ACCOUNTS: &str = concat!(
    "SELECT ",
    account_columns!(),
    " FROM accounts ORDER BY name"
);
pub(crate) const ACCOUNT_BY_NAME: &str = concat!(
    "SELECT ",
    account_columns!(),
    " FROM accounts WHERE name = ?1"
);
pub(crate) const LOGIN_CANDIDATE: &str = concat!(
    "SELECT ",
    account_columns!(),
    ", password_hash FROM accounts WHERE name = ?1"
);
pub(crate) const REVOKE_ACCOUNT: &str = "UPDATE accounts SET revoked_at = ?1 WHERE id = ?2";
pub(crate) const DELETE_SESSIONS_OF: &str = "DELETE FROM account_sessions WHERE account = ?1";
pub(crate) const DELETE_TOKENS_OF: &str = "DELETE FROM account_tokens WHERE account = ?1";
pub(crate) const INSERT_TOKEN: &str =
    "INSERT INTO account_tokens (token_hash, account, created_at) VALUES (?1, ?2, ?3)";
/// Only an active account's: a token outliving its account's revocation is not taken.
pub(crate) const ACCOUNT_BY_TOKEN: &str = concat!(
    "SELECT ",
    account_columns!(),
    " FROM accounts WHERE revoked_at IS NULL
     AND id = (SELECT account FROM account_tokens WHERE token_hash = ?1)"
);
pub(crate) const SWEEP_SESSIONS: &str = "DELETE FROM account_sessions WHERE expires_at <= ?1";
pub(crate) const INSERT_SESSION: &str =
    "INSERT INTO account_sessions (id, account, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)";
/// Only an active account's, and only a session live at `?2`.
pub(crate) const SESSION_ACCOUNT: &str = concat!(
    "SELECT ",
    account_columns!(),
    " FROM accounts WHERE revoked_at IS NULL
     AND id = (SELECT account FROM account_sessions WHERE id = ?1 AND expires_at > ?2)"
);
pub(crate) const DELETE_SESSION: &str = "DELETE FROM account_sessions WHERE id = ?1";
pub(crate) const INSERT_AUDIT: &str =
    "INSERT INTO audit_log (at, account, action, what) VALUES (?1, ?2, ?3, ?4)";
/// `COALESCE` rather than `?2 IS NULL OR …`: PostgreSQL takes the type of `?2` from
/// `account` there, and cannot from `IS NULL` alone.
pub(crate) const AUDIT_ENTRIES: &str = "SELECT at, account, action, what FROM audit_log
     WHERE at >= ?1 AND account = COALESCE(?2, account) ORDER BY seq";
pub(crate) const ANNUAL_TEXT: &str = "SELECT text, updated_at, updated_by FROM unit_annual_texts
     WHERE org = ?1 AND year = ?2";
pub(crate) const SAVE_ANNUAL_TEXT: &str =
    "INSERT INTO unit_annual_texts (org, year, text, updated_at, updated_by)
     VALUES (?1, ?2, ?3, ?4, ?5)
     ON CONFLICT (org, year) DO UPDATE SET
         text = excluded.text, updated_at = excluded.updated_at,
         updated_by = excluded.updated_by";
pub(crate) const INSERT_FAILURE: &str =
    "INSERT INTO throttle_failures (kind, key, at) VALUES (?1, ?2, ?3)";
/// Later than `?3`: a failure drops out of the window at the instant the window ends.
pub(crate) const FAILURES_AFTER: &str = "SELECT COUNT(*) FROM throttle_failures
     WHERE kind = ?1 AND key = ?2 AND at > ?3";
/// One row of a key at an instant: rows are alike, so any one of them is the try's.
/// SQLite names a row by its `rowid`, PostgreSQL by its `ctid`: the one place the
/// dialects part.
pub(crate) const FORGET_FAILURE_SQLITE: &str = "DELETE FROM throttle_failures WHERE rowid IN
     (SELECT rowid FROM throttle_failures WHERE kind = ?1 AND key = ?2 AND at = ?3 LIMIT 1)";
pub(crate) const FORGET_FAILURE_POSTGRES: &str = "DELETE FROM throttle_failures WHERE ctid IN
     (SELECT ctid FROM throttle_failures WHERE kind = ?1 AND key = ?2 AND at = ?3 LIMIT 1)";
pub(crate) const SWEEP_FAILURES: &str = "DELETE FROM throttle_failures WHERE at <= ?1";
