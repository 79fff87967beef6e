//! [`AccountStore`] in the hub's SQLite file (the tables of `schema/accounts.rs`), for
//! a hub of one process: each call one transaction on the store's connection; the
//! cookie key stays in `session.key` beside the file, as it always was.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, Row, params};
use wishtree_protocol::Timestamp;
use wishtree_protocol::id::OrgId;

use super::sql;
use super::store::{active, added_line, decode_account};
use super::{Account, AccountError, AccountStore, AnnualText, AuditEntry, NewAccount, SessionKey};
use crate::store::SqliteStore;

impl AccountStore for SqliteStore {
    fn add_account(
        &self,
        account: &NewAccount,
        password_hash: &str,
        now: Timestamp,
    ) -> Result<Account, AccountError> {
        self.with_transaction(|transaction| {
            let taken: bool =
                transaction
                    .query_row(sql::NAME_TAKEN, [account.name.as_str()], |row| row.get(0))?;
            if taken {
                return Err(AccountError::Exists(account.name.clone()));
            }
            let id: i64 = transaction.query_row(
                sql::INSERT_ACCOUNT,
                params![
                    account.name.as_str(),
                    account.role.code(),
                    account.scope.code(),
                    password_hash,
                    now.as_millis()
                ],
                |row| row.get(0),
            )?;
            audit_in(
                transaction,
                now,
                "operator",
                "account-add",
                &added_line(account),
            )?;
            Ok(Account {
                id,
                name: account.name.clone(),
                role: account.role,
                scope: account.scope.clone(),
                created_at: now,
                revoked_at: None,
            })
        })
    }

    fn list_accounts(&self) -> Result<Vec<Account>, AccountError> {
        self.with_transaction(|transaction| {
            let mut statement = transaction.prepare(sql::ACCOUNTS)?;
            let rows = statement.query_map([], read_row)?;
            rows.map(|row| row?).collect()
        })
    }

    fn login_candidate(&self, name: &str) -> Result<Option<(Account, String)>, AccountError> {
        let found = self.with_transaction(|transaction| {
            transaction
                .query_row(sql::LOGIN_CANDIDATE, [name], |row| {
                    Ok((read_row(row)?, row.get::<_, String>(6)?))
                })
                .optional()
        })?;
        match found {
            Some((account, hash)) => Ok(Some((account?, hash))),
            None => Ok(None),
        }
    }

    fn revoke_account(&self, name: &str, now: Timestamp) -> Result<Account, AccountError> {
        self.with_transaction(|transaction| {
            let account = active(by_name(transaction, name)?, name)?;
            transaction.execute(sql::REVOKE_ACCOUNT, params![now.as_millis(), account.id])?;
            transaction.execute(sql::DELETE_SESSIONS_OF, [account.id])?;
            transaction.execute(sql::DELETE_TOKENS_OF, [account.id])?;
            audit_in(transaction, now, "operator", "account-revoke", name)?;
            Ok(Account {
                revoked_at: Some(now),
                ..account
            })
        })
    }

    fn add_token(
        &self,
        name: &str,
        token_hash: &[u8; 32],
        now: Timestamp,
    ) -> Result<Account, AccountError> {
        self.with_transaction(|transaction| {
            let account = active(by_name(transaction, name)?, name)?;
            transaction.execute(
                sql::INSERT_TOKEN,
                params![&token_hash[..], account.id, now.as_millis()],
            )?;
            audit_in(transaction, now, "operator", "account-token", name)?;
            Ok(account)
        })
    }

    fn account_by_token(&self, token_hash: &[u8; 32]) -> Result<Option<Account>, AccountError> {
        self.with_transaction(|transaction| {
            one_account(transaction, sql::ACCOUNT_BY_TOKEN, params![&token_hash[..]])
        })
    }

    fn open_session(
        &self,
        account: &Account,
        session: &[u8; 16],
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<(), AccountError> {
        self.with_transaction(|transaction| {
            transaction.execute(sql::SWEEP_SESSIONS, [now.as_millis()])?;
            transaction.execute(
                sql::INSERT_SESSION,
                params![
                    &session[..],
                    account.id,
                    now.as_millis(),
                    expires_at.as_millis()
                ],
            )?;
            Ok(())
        })
    }

    fn session_account(
        &self,
        session: &[u8; 16],
        now: Timestamp,
    ) -> Result<Option<Account>, AccountError> {
        self.with_transaction(|transaction| {
            one_account(
                transaction,
                sql::SESSION_ACCOUNT,
                params![&session[..], now.as_millis()],
            )
        })
    }

    fn close_session(&self, session: &[u8; 16]) -> Result<(), AccountError> {
        self.with_transaction(|transaction| {
            transaction.execute(sql::DELETE_SESSION, [&session[..]])?;
            Ok(())
        })
    }

    fn audit(
        &self,
        at: Timestamp,
        account: &str,
        action: &str,
        what: &str,
    ) -> Result<(), AccountError> {
        self.with_transaction(|transaction| audit_in(transaction, at, account, action, what))
    }

    fn audit_entries(
        &self,
        since: Option<Timestamp>,
        account: Option<&str>,
    ) -> Result<Vec<AuditEntry>, AccountError> {
        self.with_transaction(|transaction| {
            let mut statement = transaction.prepare(sql::AUDIT_ENTRIES)?;
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
        })
    }

    fn annual_text(&self, org: OrgId, year: i32) -> Result<Option<AnnualText>, AccountError> {
        self.with_transaction(|transaction| {
            Ok(transaction
                .query_row(
                    sql::ANNUAL_TEXT,
                    params![org.as_bytes().as_slice(), year],
                    |row| {
                        Ok(AnnualText {
                            text: row.get(0)?,
                            updated_at: Timestamp::from_millis(row.get(1)?),
                            updated_by: row.get(2)?,
                        })
                    },
                )
                .optional()?)
        })
    }

    fn save_annual_text(
        &self,
        org: OrgId,
        year: i32,
        text: &str,
        at: Timestamp,
        by: &str,
    ) -> Result<(), AccountError> {
        self.with_transaction(|transaction| {
            transaction.execute(
                sql::SAVE_ANNUAL_TEXT,
                params![org.as_bytes().as_slice(), year, text, at.as_millis(), by],
            )?;
            Ok(())
        })
    }

    fn session_key(&self) -> Result<SessionKey, AccountError> {
        let data = self.path().parent().unwrap_or(Path::new("."));
        Ok(SessionKey::load_or_create(data)?)
    }

    fn take_try(
        &self,
        kind: &str,
        keys: &[(&str, usize)],
        at: Timestamp,
        after: Timestamp,
    ) -> Result<bool, AccountError> {
        // Writing from its start: this process's tries wait on the store's connection,
        // another process's on the file's write lock, before counting.
        self.with_write_transaction(|transaction| {
            let mut count = transaction.prepare_cached(sql::FAILURES_AFTER)?;
            for (key, limit) in keys {
                let failures: i64 =
                    count.query_row(params![kind, key, after.as_millis()], |row| row.get(0))?;
                if usize::try_from(failures).unwrap_or(usize::MAX) >= *limit {
                    return Ok(false);
                }
            }
            let mut insert = transaction.prepare_cached(sql::INSERT_FAILURE)?;
            for (key, _) in keys {
                insert.execute(params![kind, key, at.as_millis()])?;
            }
            Ok(true)
        })
    }

    fn forget_try(&self, kind: &str, keys: &[&str], at: Timestamp) -> Result<(), AccountError> {
        self.with_write_transaction(|transaction| {
            let mut forget = transaction.prepare_cached(sql::FORGET_FAILURE_SQLITE)?;
            for key in keys {
                forget.execute(params![kind, key, at.as_millis()])?;
            }
            Ok(())
        })
    }

    fn failures_after(
        &self,
        kind: &str,
        keys: &[&str],
        after: Timestamp,
    ) -> Result<Vec<usize>, AccountError> {
        self.with_transaction(|transaction| {
            let mut statement = transaction.prepare_cached(sql::FAILURES_AFTER)?;
            keys.iter()
                .map(|key| {
                    let count: i64 = statement
                        .query_row(params![kind, key, after.as_millis()], |row| row.get(0))?;
                    Ok(usize::try_from(count).unwrap_or(usize::MAX))
                })
                .collect()
        })
    }

    fn sweep_failures(&self, before: Timestamp) -> Result<u64, AccountError> {
        self.with_transaction(|transaction| {
            let deleted = transaction.execute(sql::SWEEP_FAILURES, [before.as_millis()])?;
            Ok(u64::try_from(deleted).unwrap_or(u64::MAX))
        })
    }
}

fn audit_in(
    connection: &Connection,
    at: Timestamp,
    account: &str,
    action: &str,
    what: &str,
) -> Result<(), AccountError> {
    connection.execute(
        sql::INSERT_AUDIT,
        params![at.as_millis(), account, action, what],
    )?;
    Ok(())
}

/// The account named `name`, revoked or not.
fn by_name(connection: &Connection, name: &str) -> Result<Option<Account>, AccountError> {
    one_account(connection, sql::ACCOUNT_BY_NAME, [name])
}

fn one_account(
    connection: &Connection,
    statement: &str,
    parameters: impl rusqlite::Params,
) -> Result<Option<Account>, AccountError> {
    connection
        .query_row(statement, parameters, read_row)
        .optional()?
        .transpose()
}

/// An account row; what it holds is checked by [`decode_account`].
fn read_row(row: &Row<'_>) -> rusqlite::Result<Result<Account, AccountError>> {
    Ok(decode_account(
        row.get(0)?,
        &row.get::<_, String>(1)?,
        &row.get::<_, String>(2)?,
        &row.get::<_, String>(3)?,
        row.get(4)?,
        row.get(5)?,
    ))
}
