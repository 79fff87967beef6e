//! Where the accounts live: [`AccountStore`], the accounts, the hashes of their tokens,
//! their live sessions, the audit log, the units' annual texts and the key cookies are
//! signed with. The hub's SQLite file implements it (`sqlite.rs`), for a hub of one
//! process; PostgreSQL too (`postgres.rs`), so that every process of one hub on a
//! shared store signs people in, checks their cookies and tokens, and logs to one
//! audit log alike.
//!
//! The CLI (a process of its own, beside a running hub) and the HTTP side go through
//! the same trait. Revoking an account deletes its sessions and tokens in the same
//! transaction, and every lookup of a session or token also asks that its account is
//! not revoked, so a revocation takes effect at the next request whichever way the
//! account came in, and at whichever process.
//!
//! On a shared store the throttles' failures are rows here too (`throttle_failures`),
//! so that every process counts the same failed logins and card exchanges.

use std::fmt;

use wishtree_common::password::hash_password;
use wishtree_protocol::Timestamp;
use wishtree_protocol::id::OrgId;

use super::{
    Account, AccountError, AccountName, AnnualText, ApiToken, NewAccount, Role, Scope, SessionKey,
    random,
};

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

/// The accounts' rows, wherever the hub keeps them. Calls block: the HTTP side runs
/// them on a blocking thread.
pub trait AccountStore: Send + Sync + fmt::Debug + 'static {
    /// Creates an account with the password hash given, and logs it as the operator's
    /// act, in one transaction. Fails with [`AccountError::Exists`] if the name was
    /// ever taken.
    fn add_account(
        &self,
        account: &NewAccount,
        password_hash: &str,
        now: Timestamp,
    ) -> Result<Account, AccountError>;

    /// Every account, revoked ones included, by name.
    fn list_accounts(&self) -> Result<Vec<Account>, AccountError>;

    /// The account named `name` and its password hash, if it exists (revoked or not:
    /// the caller refuses a revoked one after checking the password, so that a guesser
    /// cannot tell revoked names from unknown ones by timing).
    fn login_candidate(&self, name: &str) -> Result<Option<(Account, String)>, AccountError>;

    /// Revokes the active account `name`: it can no longer sign in, and its sessions
    /// and tokens are deleted with it, in one transaction that also logs it.
    fn revoke_account(&self, name: &str, now: Timestamp) -> Result<Account, AccountError>;

    /// Stores the hash of a new token for the active account `name`, and logs it.
    fn add_token(
        &self,
        name: &str,
        token_hash: &[u8; 32],
        now: Timestamp,
    ) -> Result<Account, AccountError>;

    /// The active account whose token hashes to `token_hash`.
    fn account_by_token(&self, token_hash: &[u8; 32]) -> Result<Option<Account>, AccountError>;

    /// Records a new session of `account` until `expires_at`, sweeping the sessions
    /// that ran out (here, at a login, rather than by a timer).
    fn open_session(
        &self,
        account: &Account,
        session: &[u8; 16],
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<(), AccountError>;

    /// The active account of session `session`, if the session is live at `now`.
    fn session_account(
        &self,
        session: &[u8; 16],
        now: Timestamp,
    ) -> Result<Option<Account>, AccountError>;

    /// Ends session `session` (a logout).
    fn close_session(&self, session: &[u8; 16]) -> Result<(), AccountError>;

    /// Appends a line to the audit log.
    fn audit(
        &self,
        at: Timestamp,
        account: &str,
        action: &str,
        what: &str,
    ) -> Result<(), AccountError>;

    /// The audit log from `since` on (all of it if `None`), of one account if named,
    /// in the order it was written.
    fn audit_entries(
        &self,
        since: Option<Timestamp>,
        account: Option<&str>,
    ) -> Result<Vec<AuditEntry>, AccountError>;

    /// The text unit `org` wrote for `year`, if any.
    fn annual_text(&self, org: OrgId, year: i32) -> Result<Option<AnnualText>, AccountError>;

    /// Replaces `org`'s text for `year`. The caller has checked the length and who
    /// asks.
    fn save_annual_text(
        &self,
        org: OrgId,
        year: i32,
        text: &str,
        at: Timestamp,
        by: &str,
    ) -> Result<(), AccountError>;

    /// The key cookies are signed with and CSRF tokens derived from, drawn the first
    /// time: every process that reads this store gets the same one.
    fn session_key(&self) -> Result<SessionKey, AccountError>;

    /// Takes one try of throttle `kind` at `at` for each of `keys` (a key and its
    /// limit), if every key has fewer than its limit of failures later than `after`:
    /// inserts a row per key and answers `true`; answers `false` and inserts nothing
    /// otherwise. Counting and inserting are one transaction that waits for every
    /// other [`take_try`](Self::take_try) and [`forget_try`](Self::forget_try) of the
    /// same keys, in any process on the store, so that tries at once are counted one
    /// after another: no two both see the count below the limit.
    fn take_try(
        &self,
        kind: &str,
        keys: &[(&str, usize)],
        at: Timestamp,
        after: Timestamp,
    ) -> Result<bool, AccountError>;

    /// Takes back a try [`take_try`](Self::take_try) took at `at` (a right password, a
    /// good card): deletes one row of `kind` at `at` for each of `keys`.
    fn forget_try(&self, kind: &str, keys: &[&str], at: Timestamp) -> Result<(), AccountError>;

    /// How many failures of throttle `kind` each of `keys` has later than `after`, in
    /// the order of `keys`.
    fn failures_after(
        &self,
        kind: &str,
        keys: &[&str],
        after: Timestamp,
    ) -> Result<Vec<usize>, AccountError>;

    /// Deletes the failures of every throttle at or before `before`, which no window
    /// counts any more; answers how many.
    fn sweep_failures(&self, before: Timestamp) -> Result<u64, AccountError>;
}

/// Creates `account` with `password` (hashed with argon2id and a fresh salt) in
/// `store`: what `account add`, the demo city and the tests all call.
pub fn create_account(
    store: &(impl AccountStore + ?Sized),
    account: &NewAccount,
    password: &str,
    now: Timestamp,
) -> Result<Account, AccountError> {
    let hash = hash_password(password, random()?)?;
    store.add_account(account, &hash, now)
}

/// Issues a new token to the active account `name`; only its hash is stored.
pub fn issue_token(
    store: &(impl AccountStore + ?Sized),
    name: &str,
    now: Timestamp,
) -> Result<(Account, ApiToken), AccountError> {
    let token = ApiToken::from_random(random()?);
    let account = store.add_token(name, &ApiToken::hash_of(token.as_str()), now)?;
    Ok((account, token))
}

/// The audit line of an account's creation.
pub(crate) fn added_line(account: &NewAccount) -> String {
    format!("{} {} {}", account.name, account.role, account.scope)
}

/// An active account, or why the one found (if any) is not: what revoking and issuing
/// a token need.
pub(crate) fn active(found: Option<Account>, name: &str) -> Result<Account, AccountError> {
    let account = found.ok_or_else(|| AccountError::NotFound(name.chars().take(64).collect()))?;
    if account.is_active() {
        Ok(account)
    } else {
        Err(AccountError::Revoked(account.name))
    }
}

/// An account row as both stores read it (the columns of `sql::ACCOUNTS`); a role or
/// scope this build cannot read is [`AccountError::Damaged`].
pub(crate) fn decode_account(
    id: i64,
    name: &str,
    role: &str,
    scope: &str,
    created_at: i64,
    revoked_at: Option<i64>,
) -> Result<Account, AccountError> {
    let damaged = |what: &str| AccountError::Damaged(format!("account {id}: {what}"));
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
}
