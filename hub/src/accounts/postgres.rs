//! [`AccountStore`] in PostgreSQL, for every process of one hub on a shared store: the
//! same tables and statements as the SQLite file's (`sql.rs`), and the cookie key in the
//! store (`hub_secrets`), drawn by whichever process asks first, so that a cookie one
//! process signed is taken by the others.

use tokio_postgres::GenericClient;
use tokio_postgres::types::Type;
use wishtree_protocol::Timestamp;
use wishtree_protocol::id::OrgId;

use super::store::{active, added_line, decode_account};
use super::{
    Account, AccountError, AccountStore, AnnualText, AuditEntry, NewAccount, SessionKey, random,
    sql,
};
use crate::store::{PgStore, Typed, pg};

/// The name of the cookie key in `hub_secrets`.
const SESSION_SECRET: &str = "session-key";
/// The first key of the throttles' advisory locks (the second is a key's hash): apart
/// from the store's own (`store/postgres.rs`), so that a throttle's key never waits
/// on a document's lock.
const THROTTLE_LOCKS: i32 = 0x7474; // "tt"

impl AccountStore for PgStore {
    fn add_account(
        &self,
        account: &NewAccount,
        password_hash: &str,
        now: Timestamp,
    ) -> Result<Account, AccountError> {
        self.in_transaction(async move |transaction| {
            let taken: bool = transaction
                .query_one(&pg(sql::NAME_TAKEN), &[&account.name.as_str()])
                .await?
                .try_get(0)?;
            if taken {
                return Err(AccountError::Exists(account.name.clone()));
            }
            let id: i64 = transaction
                .query_one(
                    &pg(sql::INSERT_ACCOUNT),
                    &[
                        &account.name.as_str(),
                        &account.role.code(),
                        &account.scope.code(),
                        &password_hash,
                        &now.as_millis(),
                    ],
                )
                .await?
                .try_get(0)?;
            audit_in(
                transaction,
                now,
                "operator",
                "account-add",
                &added_line(account),
            )
            .await?;
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
        self.query(&pg(sql::ACCOUNTS), &[])?
            .iter()
            .map(read_row)
            .collect()
    }

    fn login_candidate(&self, name: &str) -> Result<Option<(Account, String)>, AccountError> {
        self.query(&pg(sql::LOGIN_CANDIDATE), &[(&name, Type::TEXT)])?
            .first()
            .map(|row| Ok((read_row(row)?, row.try_get(6)?)))
            .transpose()
    }

    fn revoke_account(&self, name: &str, now: Timestamp) -> Result<Account, AccountError> {
        self.in_transaction(async move |transaction| {
            let account = active(by_name(transaction, name).await?, name)?;
            transaction
                .execute(&pg(sql::REVOKE_ACCOUNT), &[&now.as_millis(), &account.id])
                .await?;
            transaction
                .execute(&pg(sql::DELETE_SESSIONS_OF), &[&account.id])
                .await?;
            transaction
                .execute(&pg(sql::DELETE_TOKENS_OF), &[&account.id])
                .await?;
            audit_in(transaction, now, "operator", "account-revoke", name).await?;
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
        self.in_transaction(async move |transaction| {
            let account = active(by_name(transaction, name).await?, name)?;
            transaction
                .execute(
                    &pg(sql::INSERT_TOKEN),
                    &[&token_hash.as_slice(), &account.id, &now.as_millis()],
                )
                .await?;
            audit_in(transaction, now, "operator", "account-token", name).await?;
            Ok(account)
        })
    }

    fn account_by_token(&self, token_hash: &[u8; 32]) -> Result<Option<Account>, AccountError> {
        self.one_account(
            sql::ACCOUNT_BY_TOKEN,
            &[(&token_hash.as_slice(), Type::BYTEA)],
        )
    }

    fn open_session(
        &self,
        account: &Account,
        session: &[u8; 16],
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<(), AccountError> {
        self.in_transaction(async move |transaction| {
            transaction
                .execute(&pg(sql::SWEEP_SESSIONS), &[&now.as_millis()])
                .await?;
            transaction
                .execute(
                    &pg(sql::INSERT_SESSION),
                    &[
                        &session.as_slice(),
                        &account.id,
                        &now.as_millis(),
                        &expires_at.as_millis(),
                    ],
                )
                .await?;
            Ok(())
        })
    }

    fn session_account(
        &self,
        session: &[u8; 16],
        now: Timestamp,
    ) -> Result<Option<Account>, AccountError> {
        self.one_account(
            sql::SESSION_ACCOUNT,
            &[
                (&session.as_slice(), Type::BYTEA),
                (&now.as_millis(), Type::INT8),
            ],
        )
    }

    fn close_session(&self, session: &[u8; 16]) -> Result<(), AccountError> {
        self.execute(
            &pg(sql::DELETE_SESSION),
            &[(&session.as_slice(), Type::BYTEA)],
        )?;
        Ok(())
    }

    fn audit(
        &self,
        at: Timestamp,
        account: &str,
        action: &str,
        what: &str,
    ) -> Result<(), AccountError> {
        self.execute(
            &pg(sql::INSERT_AUDIT),
            &[
                (&at.as_millis(), Type::INT8),
                (&account, Type::TEXT),
                (&action, Type::TEXT),
                (&what, Type::TEXT),
            ],
        )?;
        Ok(())
    }

    fn audit_entries(
        &self,
        since: Option<Timestamp>,
        account: Option<&str>,
    ) -> Result<Vec<AuditEntry>, AccountError> {
        let since = since.map_or(i64::MIN, Timestamp::as_millis);
        self.query(
            &pg(sql::AUDIT_ENTRIES),
            &[(&since, Type::INT8), (&account, Type::TEXT)],
        )?
        .iter()
        .map(|row| {
            Ok(AuditEntry {
                at: Timestamp::from_millis(row.try_get(0)?),
                account: row.try_get(1)?,
                action: row.try_get(2)?,
                what: row.try_get(3)?,
            })
        })
        .collect()
    }

    fn annual_text(&self, org: OrgId, year: i32) -> Result<Option<AnnualText>, AccountError> {
        self.query(
            &pg(sql::ANNUAL_TEXT),
            &[
                (&org.as_bytes().as_slice(), Type::BYTEA),
                (&year, Type::INT4),
            ],
        )?
        .first()
        .map(|row| {
            Ok(AnnualText {
                text: row.try_get(0)?,
                updated_at: Timestamp::from_millis(row.try_get(1)?),
                updated_by: row.try_get(2)?,
            })
        })
        .transpose()
    }

    fn save_annual_text(
        &self,
        org: OrgId,
        year: i32,
        text: &str,
        at: Timestamp,
        by: &str,
    ) -> Result<(), AccountError> {
        self.execute(
            &pg(sql::SAVE_ANNUAL_TEXT),
            &[
                (&org.as_bytes().as_slice(), Type::BYTEA),
                (&year, Type::INT4),
                (&text, Type::TEXT),
                (&at.as_millis(), Type::INT8),
                (&by, Type::TEXT),
            ],
        )?;
        Ok(())
    }

    fn session_key(&self) -> Result<SessionKey, AccountError> {
        // Insert if absent, then read: two processes starting at once both read the
        // one that was inserted first.
        let drawn: [u8; 32] = random()?;
        self.execute(
            "INSERT INTO hub_secrets (name, secret) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
            &[
                (&SESSION_SECRET, Type::TEXT),
                (&drawn.as_slice(), Type::BYTEA),
            ],
        )?;
        let rows = self.query(
            "SELECT secret FROM hub_secrets WHERE name = $1",
            &[(&SESSION_SECRET, Type::TEXT)],
        )?;
        let secret: &[u8] = rows
            .first()
            .ok_or_else(|| AccountError::Damaged("the session key is missing".to_owned()))?
            .try_get(0)?;
        let secret: [u8; 32] = secret.try_into().map_err(|_| {
            AccountError::Damaged(format!("the session key has {} bytes", secret.len()))
        })?;
        Ok(SessionKey::from_secret(&secret))
    }

    fn take_try(
        &self,
        kind: &str,
        keys: &[(&str, usize)],
        at: Timestamp,
        after: Timestamp,
    ) -> Result<bool, AccountError> {
        let names: Vec<&str> = keys.iter().map(|(key, _)| *key).collect();
        self.in_transaction(async move |transaction| {
            lock_keys(transaction, kind, &names).await?;
            let count = transaction.prepare(&pg(sql::FAILURES_AFTER)).await?;
            for (key, limit) in keys {
                let failures: i64 = transaction
                    .query_one(&count, &[&kind, key, &after.as_millis()])
                    .await?
                    .try_get(0)?;
                if usize::try_from(failures).unwrap_or(usize::MAX) >= *limit {
                    return Ok(false);
                }
            }
            let insert = transaction.prepare(&pg(sql::INSERT_FAILURE)).await?;
            for key in &names {
                transaction
                    .execute(&insert, &[&kind, key, &at.as_millis()])
                    .await?;
            }
            Ok(true)
        })
    }

    fn forget_try(&self, kind: &str, keys: &[&str], at: Timestamp) -> Result<(), AccountError> {
        self.in_transaction(async move |transaction| {
            // Under the same locks, so that a take counting meanwhile sees the row
            // either there or gone, and two forgets never pick the same row.
            lock_keys(transaction, kind, keys).await?;
            let forget = transaction
                .prepare(&pg(sql::FORGET_FAILURE_POSTGRES))
                .await?;
            for key in keys {
                transaction
                    .execute(&forget, &[&kind, key, &at.as_millis()])
                    .await?;
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
        // On one connection, the statement prepared once for every key.
        self.in_transaction(async move |transaction| {
            let statement = transaction.prepare(&pg(sql::FAILURES_AFTER)).await?;
            let mut counts = Vec::with_capacity(keys.len());
            for key in keys {
                let count: i64 = transaction
                    .query_one(&statement, &[&kind, key, &after.as_millis()])
                    .await?
                    .try_get(0)?;
                counts.push(usize::try_from(count).unwrap_or(usize::MAX));
            }
            Ok(counts)
        })
    }

    fn sweep_failures(&self, before: Timestamp) -> Result<u64, AccountError> {
        Ok(self.execute(
            &pg(sql::SWEEP_FAILURES),
            &[(&before.as_millis(), Type::INT8)],
        )?)
    }
}

impl PgStore {
    fn one_account(
        &self,
        statement: &str,
        parameters: &[Typed<'_>],
    ) -> Result<Option<Account>, AccountError> {
        self.query(&pg(statement), parameters)?
            .first()
            .map(read_row)
            .transpose()
    }
}

async fn audit_in(
    client: &impl GenericClient,
    at: Timestamp,
    account: &str,
    action: &str,
    what: &str,
) -> Result<(), AccountError> {
    client
        .execute(
            &pg(sql::INSERT_AUDIT),
            &[&at.as_millis(), &account, &action, &what],
        )
        .await?;
    Ok(())
}

/// Serializes this transaction with every other that counts or forgets one of `keys`
/// of `kind`, in any process: a transaction-scoped advisory lock per key, released at
/// commit, once the rows it wrote are visible to the next holder.
///
/// Why an advisory lock rather than `SELECT … FOR UPDATE`: a key with no failures
/// has no row to lock, so the rows could not serialize the first tries; a table of
/// keys would, but it would be a row per name and address guessed to sweep. A lock on
/// a hash needs neither; two keys whose hashes collide only wait on each other.
/// The locks are taken in the order of their hashes, so that two tries sharing a key
/// never each hold one the other waits for.
async fn lock_keys(
    transaction: &tokio_postgres::Transaction<'_>,
    kind: &str,
    keys: &[&str],
) -> Result<(), AccountError> {
    let mut hashes: Vec<i32> = keys.iter().map(|key| key_hash(kind, key)).collect();
    hashes.sort_unstable();
    hashes.dedup();
    let lock = transaction
        .prepare_typed(
            "SELECT pg_advisory_xact_lock($1, $2)",
            &[Type::INT4, Type::INT4],
        )
        .await?;
    for hash in hashes {
        transaction
            .execute(&lock, &[&THROTTLE_LOCKS, &hash])
            .await?;
    }
    Ok(())
}

/// A key's lock number: 32-bit FNV-1a of the kind and the key, the same in every
/// process and every build (the standard library's hasher promises neither).
fn key_hash(kind: &str, key: &str) -> i32 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in kind.bytes().chain([0]).chain(key.bytes()) {
        hash = (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193);
    }
    i32::from_ne_bytes(hash.to_ne_bytes())
}

/// The account named `name`, revoked or not.
async fn by_name(client: &impl GenericClient, name: &str) -> Result<Option<Account>, AccountError> {
    client
        .query_opt(&pg(sql::ACCOUNT_BY_NAME), &[&name])
        .await?
        .as_ref()
        .map(read_row)
        .transpose()
}

fn read_row(row: &tokio_postgres::Row) -> Result<Account, AccountError> {
    decode_account(
        row.try_get(0)?,
        row.try_get(1)?,
        row.try_get(2)?,
        row.try_get(3)?,
        row.try_get(4)?,
        row.try_get(5)?,
    )
}
