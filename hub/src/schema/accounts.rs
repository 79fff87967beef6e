//! The accounts' tables: people who read the dashboard and the API (`accounts`), the
//! tokens scripts use (`account_tokens`, hashes only), the live sessions of the login
//! cookie (`account_sessions`), the audit log (`audit_log`), the units' annual texts
//! (`unit_annual_texts`) and the throttles' failures (`throttle_failures`).

/// The accounts' steps, in order. Each is frozen once released: a change is a new step
/// at the end of [`super::STEPS`].
pub(super) const STEPS: [&str; 3] = [
    r#"
CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL CHECK (role IN ('city', 'district', 'street', 'org')),
    scope TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE TABLE account_tokens (
    token_hash BLOB PRIMARY KEY,
    account INTEGER NOT NULL REFERENCES accounts (id),
    created_at INTEGER NOT NULL
);
CREATE TABLE account_sessions (
    id BLOB PRIMARY KEY,
    account INTEGER NOT NULL REFERENCES accounts (id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    account TEXT NOT NULL,
    action TEXT NOT NULL,
    what TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
"#,
    // The unit's own words in its annual report (单位党组织年度报告), one text per unit
    // and year, kept beside the accounts: written by the unit's account, not derived.
    r#"
CREATE TABLE unit_annual_texts (
    org BLOB NOT NULL,
    year INTEGER NOT NULL,
    text TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (org, year)
) WITHOUT ROWID;
"#,
    // The throttles' failures (`accounts/throttle.rs`), kept here only when the hub
    // counts them in its accounts' store rather than in memory: a row per failure (or
    // counted request) of a name or an address, swept once out of every window.
    r#"
CREATE TABLE throttle_failures (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX throttle_failures_key ON throttle_failures (kind, key, at);
CREATE INDEX throttle_failures_at ON throttle_failures (at);
"#,
];
