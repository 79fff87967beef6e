//! The accounts' rows in the hub's SQLite file: accounts, the hashes of their tokens,
//! their live sessions, and the audit log.
//!
//! These are functions over a connection, as the figures' queries are, so that the
//! CLI (a process of its own, beside a running hub) and the HTTP side share them.
//! Revoking an account deletes its sessions and tokens in the same transaction, and
//! every lookup of a session or token also asks that its account is not revoked, so a
//! revocation takes effect at the next request whichever way the account came in.

use rusqlite::{Connection, OptionalExtension, Row, params};
use wishtree_common::password::hash_password;
use wishtree_protocol::Timestamp;

use super::{Account, AccountError, AccountName, ApiToken, NewAccount, Role, Scope, random};
use crate::store::SqliteStore;

/// One line of the audit log: who did what, when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// When.
    pub at: Timestamp,
    /// The account's name, `operator` for the CLI, or `-` for nobody signed in.
    pub account: String,
    /// What kind of thing was done: `export`, `view`, `login`, `login-failed`,
    /// `logout`, `account-add`, `account-revoke`, `account-token`.
    pub action: String,
    /// What was read or changed: a path with its query, an account's name.
    pub what: String,
}

const ACCOUNT_COLUMNS: &str = "id, name, role, scope, created_at, revoked_at";

/// Creates `account` with `password` (hashed with argon2id and a fresh salt) in the
/// hub's store: what `account add`, the demo city and the tests all call.
pub fn create_account(
    store: &SqliteStore,
    account: &NewAccount,
    password: &str,
    now: Timestamp,
) -> Result<Account, AccountError> {
    let hash = hash_password(password, random()?)?;
    store.with_transaction(|transaction| add_account(transaction, account, &hash, now))
}

/// Issues a new token to the active account `name`; only its hash is stored.
pub fn issue_token(
    store: &SqliteStore,
    name: &str,
    now: Timestamp,
) -> Result<(Account, ApiToken), AccountError> {
    let token = ApiToken::from_random(random()?);
    let hash = ApiToken::hash_of(token.as_str());
    let account = store.with_transaction(|transaction| add_token(transaction, name, &hash, now))?;
    Ok((account, token))
}

/// Creates an account with the password hash given, and logs it as the operator's act.
/// Run inside a transaction (`SqliteStore::with_transaction`), as the other writes of
/// more than one row are.
pub fn add_account(
    transaction: &Connection,
    account: &NewAccount,
    password_hash: &str,
    now: Timestamp,
) -> Result<Account, AccountError> {
    let exists: bool = transaction.query_row(
        "SELECT EXISTS (SELECT 1 FROM accounts WHERE name = ?1)",
        [account.name.as_str()],
        |row| row.get(0),
    )?;
    if exists {
        return Err(AccountError::Exists(account.name.clone()));
    }
    transaction.execute(
        "INSERT INTO accounts (name, role, scope, password_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            account.name.as_str(),
            account.role.code(),
            account.scope.code(),
            password_hash,
            now.as_millis()
        ],
    )?;
    let id = transaction.last_insert_rowid();
    audit(
        transaction,
        now,
        "operator",
        "account-add",
        &format!("{} {} {}", account.name, account.role, account.scope),
    )?;
    Ok(Account {
        id,
        name: account.name.clone(),
        role: account.role,
        scope: account.scope.clone(),
        created_at: now,
        revoked_at: None,
    })
}

/// Every account, revoked ones included, by name.
pub fn list_accounts(connection: &Connection) -> Result<Vec<Account>, AccountError> {
    let mut statement = connection.prepare(&format!(
        "SELECT {ACCOUNT_COLUMNS} FROM accounts ORDER BY name"
    ))?;
    let rows = statement.query_map([], read_row)?;
    rows.map(|row| row?).collect()
}

/// The account named `name` and its password hash, if it exists (revoked or not: the
/// caller refuses a revoked one after checking the password, so that a guesser cannot
/// tell revoked names from unknown ones by timing).
pub fn login_candidate(
    connection: &Connection,
    name: &str,
) -> Result<Option<(Account, String)>, AccountError> {
    let found = connection
        .query_row(
            &format!("SELECT {ACCOUNT_COLUMNS}, password_hash FROM accounts WHERE name = ?1"),
            [name],
            |row| Ok((read_row(row)?, row.get::<_, String>(6)?)),
        )
        .optional()?;
    match found {
        Some((account, hash)) => Ok(Some((account?, hash))),
        None => Ok(None),
    }
}

/// Revokes the account `name`: it can no longer sign in, and its sessions and tokens
/// are deleted with it (inside the caller's transaction).
pub fn revoke_account(
    transaction: &Connection,
    name: &str,
    now: Timestamp,
) -> Result<Account, AccountError> {
    let account = active_by_name(transaction, name)?;
    transaction.execute(
        "UPDATE accounts SET revoked_at = ?1 WHERE id = ?2",
        params![now.as_millis(), account.id],
    )?;
    transaction.execute(
        "DELETE FROM account_sessions WHERE account = ?1",
        [account.id],
    )?;
    transaction.execute(
        "DELETE FROM account_tokens WHERE account = ?1",
        [account.id],
    )?;
    audit(transaction, now, "operator", "account-revoke", name)?;
    Ok(Account {
        revoked_at: Some(now),
        ..account
    })
}

/// Stores the hash of a new token for the active account `name` (inside the caller's
/// transaction).
pub fn add_token(
    transaction: &Connection,
    name: &str,
    token_hash: &[u8; 32],
    now: Timestamp,
) -> Result<Account, AccountError> {
    let account = active_by_name(transaction, name)?;
    transaction.execute(
        "INSERT INTO account_tokens (token_hash, account, created_at) VALUES (?1, ?2, ?3)",
        params![&token_hash[..], account.id, now.as_millis()],
    )?;
    audit(transaction, now, "operator", "account-token", name)?;
    Ok(account)
}

/// The active account whose token hashes to `token_hash`.
pub fn account_by_token(
    connection: &Connection,
    token_hash: &[u8; 32],
) -> Result<Option<Account>, AccountError> {
    active_where(
        connection,
        "id = (SELECT account FROM account_tokens WHERE token_hash = ?1)",
        params![&token_hash[..]],
    )
}

/// Records a new session of `account` until `expires_at`.
pub fn open_session(
    connection: &Connection,
    account: &Account,
    session: &[u8; 16],
    now: Timestamp,
    expires_at: Timestamp,
) -> Result<(), AccountError> {
    // Sessions that ran out are swept here, at the next login, rather than by a timer.
    connection.execute(
        "DELETE FROM account_sessions WHERE expires_at <= ?1",
        [now.as_millis()],
    )?;
    connection.execute(
        "INSERT INTO account_sessions (id, account, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
        params![&session[..], account.id, now.as_millis(), expires_at.as_millis()],
    )?;
    Ok(())
}

/// The active account of session `session`, if the session is live at `now`.
pub fn session_account(
    connection: &Connection,
    session: &[u8; 16],
    now: Timestamp,
) -> Result<Option<Account>, AccountError> {
    active_where(
        connection,
        "id = (SELECT account FROM account_sessions WHERE id = ?1 AND expires_at > ?2)",
        params![&session[..], now.as_millis()],
    )
}

/// Ends session `session` (a logout).
pub fn close_session(connection: &Connection, session: &[u8; 16]) -> Result<(), AccountError> {
    connection.execute("DELETE FROM account_sessions WHERE id = ?1", [&session[..]])?;
    Ok(())
}

/// Appends a line to the audit log.
pub fn audit(
    connection: &Connection,
    at: Timestamp,
    account: &str,
    action: &str,
    what: &str,
) -> Result<(), AccountError> {
    connection.execute(
        "INSERT INTO audit_log (at, account, action, what) VALUES (?1, ?2, ?3, ?4)",
        params![at.as_millis(), account, action, what],
    )?;
    Ok(())
}

/// The audit log from `since` on (all of it if `None`), of one account if named, in
/// the order it was written.
pub fn audit_entries(
    connection: &Connection,
    since: Option<Timestamp>,
    account: Option<&str>,
) -> Result<Vec<AuditEntry>, AccountError> {
    let mut statement = connection.prepare(
        "SELECT at, account, action, what FROM audit_log
         WHERE at >= ?1 AND (?2 IS NULL OR account = ?2) ORDER BY seq",
    )?;
    let since = since.map_or(i64::MIN, Timestamp::as_millis);
    let rows = statement.query_map(params![since, account], |row| {
        Ok(AuditEntry {
            at: Timestamp::from_millis(row.get(0)?),
            account: row.get(1)?,
            action: row.get(2)?,
            what: row.get(3)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The active account named `name`, or why there is none.
fn active_by_name(connection: &Connection, name: &str) -> Result<Account, AccountError> {
    let account = connection
        .query_row(
            &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE name = ?1"),
            [name],
            read_row,
        )
        .optional()?
        .ok_or_else(|| AccountError::NotFound(name.chars().take(64).collect()))??;
    if account.is_active() {
        Ok(account)
    } else {
        Err(AccountError::Revoked(account.name))
    }
}

fn active_where(
    connection: &Connection,
    condition: &str,
    parameters: impl rusqlite::Params,
) -> Result<Option<Account>, AccountError> {
    connection
        .query_row(
            &format!(
                "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE revoked_at IS NULL AND {condition}"
            ),
            parameters,
            read_row,
        )
        .optional()?
        .transpose()
}

/// An account row; a role or scope this build cannot read is [`AccountError::Damaged`].
fn read_row(row: &Row<'_>) -> rusqlite::Result<Result<Account, AccountError>> {
    let id: i64 = row.get(0)?;
    let name: String = row.get(1)?;
    let role: String = row.get(2)?;
    let scope: String = row.get(3)?;
    let created_at: i64 = row.get(4)?;
    let revoked_at: Option<i64> = row.get(5)?;
    let damaged = |what: &str| AccountError::Damaged(format!("account {id}: {what}"));
    let account = (|| {
        let role: Role = role.parse().map_err(|_| damaged("its role"))?;
        let scope = match role {
            Role::Org => Scope::Unit(scope.parse().map_err(|_| damaged("its scope"))?),
            _ => Scope::Region(scope.parse().map_err(|_| damaged("its scope"))?),
        };
        Ok(Account {
            id,
            name: name
                .parse::<AccountName>()
                .map_err(|_| damaged("its name"))?,
            role,
            scope,
            created_at: Timestamp::from_millis(created_at),
            revoked_at: revoked_at.map(Timestamp::from_millis),
        })
    })();
    Ok(account)
}
