//! Accounts at the hub (DESIGN §10): who may read the dashboard and the API, and what
//! each may see. Every account has a role and a scope, as DHIS2 gives every user an
//! organisation unit: a city, district or street viewer sees the figures of the regions
//! under its region-code prefix; an organisation account sees its own unit's pages.
//! The hub's operator has no account: the CLI on the hub's machine is theirs.
//!
//! This module holds the types and the one rule of access ([`Access`]); `store.rs`
//! [`AccountStore`], where the rows live (accounts, token hashes, sessions, the audit
//! log, the units' annual texts, the cookie key), implemented by the hub's SQLite file
//! (`sqlite.rs`) and by PostgreSQL (`postgres.rs`) with the statements of `sql.rs`;
//! `session.rs` the signed login cookie, the CSRF tokens tied to it and the tokens of
//! scripts, `throttle.rs` the count of failed logins (in memory, or in the store the
//! hub's processes share). The HTTP side (`http/auth.rs`, `http/login.rs`) and the CLI
//! (`cli/account.rs`) are drivers over them.

mod annual_text;
mod postgres;
mod session;
mod sql;
mod sqlite;
mod store;
mod throttle;

use std::fmt;
use std::str::FromStr;

use wishtree_protocol::id::OrgId;
use wishtree_protocol::model::Org;
use wishtree_protocol::uscc::CreditCode;
use wishtree_protocol::{RegionLevel, RegionPrefix, Timestamp};

pub use annual_text::{ANNUAL_TEXT_LIMIT, AnnualText};
pub use session::{
    ApiToken, CARD_COOKIE, CookieError, LOGIN_COOKIE, LoginCookie, SESSION_COOKIE,
    SESSION_KEY_FILE, SessionCookie, SessionKey, cookie_value,
};
pub use store::{AccountStore, AuditEntry, create_account, issue_token};
pub use throttle::{Attempt, LoginThrottle};

/// How long a login lasts before the person signs in again.
pub const SESSION_LIFETIME_MS: i64 = 8 * 60 * 60 * 1000;

/// What an account is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The city organisation department: every figure the hub holds.
    City,
    /// A district's viewer: the regions under its 6-digit prefix.
    District,
    /// A street's viewer: the regions under its 9-digit prefix.
    Street,
    /// A unit party organisation: its own unit's pages only.
    Org,
}

/// What an account is scoped to: a region-code prefix, or a unit by its credit code.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    /// A city, district or street.
    Region(RegionPrefix),
    /// A unit party organisation.
    Unit(CreditCode),
}

/// An account's name as typed at login: 1 to 64 characters, no spaces or control
/// characters (so that it can be given on a command line as it is).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountName(String);

/// An account as the store holds it (without its password hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The store's row id.
    pub id: i64,
    /// The name it logs in with.
    pub name: AccountName,
    /// Its role.
    pub role: Role,
    /// Its scope, which the role decides the form of.
    pub scope: Scope,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it was revoked, if it was.
    pub revoked_at: Option<Timestamp>,
}

/// An account to create: its name, role and a scope checked against the hub's region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccount {
    /// The name.
    pub name: AccountName,
    /// The role.
    pub role: Role,
    /// The scope, of the form the role needs and inside the hub's region.
    pub scope: Scope,
}

/// What a signed-in account may see: the one rule every route of the hub asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// Every region and every organisation under a prefix (a city, district or street
    /// viewer's scope).
    Region(RegionPrefix),
    /// One unit's pages, and no region's figures.
    Unit {
        /// The unit's organisation id.
        org: OrgId,
        /// Its credit code.
        credit_code: CreditCode,
    },
}

/// Why an account could not be created, found or changed.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// The role is not one of the four.
    #[error("role `{0}` is not a role; give city, district, street or org")]
    BadRole(String),
    /// The name is empty, too long, or holds spaces or control characters.
    #[error(
        "name `{0}` cannot be an account name; give 1 to 64 characters without spaces or control characters"
    )]
    BadName(String),
    /// The scope is not of the form the role needs, or lies outside the hub's region.
    #[error("scope `{scope}` does not fit role {role}: {why}")]
    BadScope {
        /// The scope as given.
        scope: String,
        /// The role.
        role: Role,
        /// What is wrong and what to give instead.
        why: String,
    },
    /// An account of that name exists (revoked ones too: names are never reused, so
    /// the audit log keeps meaning one person by one name).
    #[error("an account named {0} exists already (names are never reused, even revoked ones)")]
    Exists(AccountName),
    /// No account has that name.
    #[error("there is no account named {0}; `wishtree-hub account list` shows them")]
    NotFound(String),
    /// The account is revoked.
    #[error("the account {0} is revoked")]
    Revoked(AccountName),
    /// The password is too short, or could not be hashed.
    #[error(transparent)]
    Password(#[from] wishtree_common::password::PasswordError),
    /// The password could not be read.
    #[error("cannot read the password: {0}")]
    PasswordInput(String),
    /// `--since` is not a date.
    #[error("--since: {0}; give a day as 2026-11-20")]
    BadSince(String),
    /// The operating system gave no randomness for a salt or a token.
    #[error("no randomness for a salt or a token: {0}")]
    Randomness(String),
    /// The store failed.
    #[error("the hub database: {0}")]
    Store(#[from] rusqlite::Error),
    /// The shared store (PostgreSQL) failed.
    #[error("the hub's store: {0}")]
    SharedStore(#[from] crate::store::StoreError),
    /// The session key in the data directory could not be read or made.
    #[error("the session key: {0}")]
    SessionKey(#[from] wishtree_common::key_file::KeyFileError),
    /// The store holds a row this build cannot read.
    #[error(
        "the hub database holds an account it cannot read ({0}); was it written by a newer release?"
    )]
    Damaged(String),
}

impl AccountError {
    /// Whether the error is about what was typed (the CLI exits with 2), rather than
    /// the store.
    pub fn is_bad_input(&self) -> bool {
        !matches!(
            self,
            Self::Store(_)
                | Self::SharedStore(_)
                | Self::SessionKey(_)
                | Self::Damaged(_)
                | Self::Randomness(_)
                | Self::Password(wishtree_common::password::PasswordError::Hashing(_))
        )
    }
}

impl From<tokio_postgres::Error> for AccountError {
    fn from(error: tokio_postgres::Error) -> Self {
        Self::SharedStore(crate::store::StoreError::Postgres(error))
    }
}

impl Role {
    /// The name of the role as the CLI and the store write it.
    pub fn code(self) -> &'static str {
        match self {
            Self::City => "city",
            Self::District => "district",
            Self::Street => "street",
            Self::Org => "org",
        }
    }

    /// The region level a viewer of this role is scoped to, or `None` for an
    /// organisation.
    fn level(self) -> Option<RegionLevel> {
        match self {
            Self::City => Some(RegionLevel::City),
            Self::District => Some(RegionLevel::District),
            Self::Street => Some(RegionLevel::Street),
            Self::Org => None,
        }
    }
}

impl FromStr for Role {
    type Err = AccountError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim() {
            "city" => Ok(Self::City),
            "district" => Ok(Self::District),
            "street" => Ok(Self::Street),
            "org" => Ok(Self::Org),
            other => Err(AccountError::BadRole(other.chars().take(40).collect())),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Scope {
    /// The scope as the CLI and the store write it: the digits or the credit code.
    pub fn code(&self) -> &str {
        match self {
            Self::Region(prefix) => prefix.as_str(),
            Self::Unit(code) => code.as_str(),
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl AccountName {
    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for AccountName {
    type Err = AccountError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let name = text.trim();
        let count = name.chars().count();
        if (1..=64).contains(&count)
            && !name
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '\u{200b}')
        {
            Ok(Self(name.to_owned()))
        } else {
            Err(AccountError::BadName(text.chars().take(64).collect()))
        }
    }
}

impl fmt::Display for AccountName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl NewAccount {
    /// Checks what the operator typed against the hub's region (`hub_scope`: its city,
    /// or a district hub's district): a viewer's scope is a prefix of its role's level
    /// inside that region, an organisation's a unified social credit code.
    pub fn parse(
        hub_scope: &RegionPrefix,
        role: &str,
        scope: &str,
        name: &str,
    ) -> Result<Self, AccountError> {
        let role: Role = role.parse()?;
        let name: AccountName = name.parse()?;
        let bad = |why: String| AccountError::BadScope {
            scope: scope.trim().chars().take(40).collect(),
            role,
            why,
        };
        let scope = match role.level() {
            None => Scope::Unit(scope.parse::<CreditCode>().map_err(|error| {
                bad(format!(
                    "{error}; an organisation account is scoped to its unit's 18-character unified social credit code"
                ))
            })?),
            Some(level) => {
                let prefix: RegionPrefix = scope.parse().map_err(|error| {
                    bad(format!("{error}; give a region code of {} digits", level.digits()))
                })?;
                if prefix.level() != Some(level) {
                    return Err(bad(format!(
                        "a {role} viewer's scope is a region code of {} digits (city 4, district 6, street 9)",
                        level.digits()
                    )));
                }
                // A viewer above a district hub's own region would see no more than the
                // district; say so rather than create a scope that means something else.
                if !hub_scope.covers(&prefix) {
                    return Err(bad(format!(
                        "this hub serves region {}; give a code that starts with {}",
                        hub_scope.as_str(),
                        hub_scope.as_str()
                    )));
                }
                Scope::Region(prefix)
            }
        };
        Ok(Self { name, role, scope })
    }
}

impl Account {
    /// What the account may see.
    pub fn access(&self) -> Access {
        match &self.scope {
            Scope::Region(prefix) => Access::Region(prefix.clone()),
            Scope::Unit(code) => Access::Unit {
                org: Org::id_for(code),
                credit_code: *code,
            },
        }
    }

    /// Whether the account may still sign in and be served.
    pub fn is_active(&self) -> bool {
        self.revoked_at.is_none()
    }
}

impl Access {
    /// Whether the figures of `region` (and its rankings, children, alerts and
    /// exports) are the account's to see.
    pub fn may_see_region(&self, region: &RegionPrefix) -> bool {
        match self {
            Self::Region(scope) => scope.covers(region),
            Self::Unit { .. } => false,
        }
    }

    /// Whether organisation `org`'s pages are the account's to see: any organisation
    /// for a viewer (within its region, which the caller checks); for an organisation
    /// account, its unit's own organisation and every party organisation of its unit
    /// (`unit`: the unit `org` belongs to, if known).
    pub fn may_see_org(&self, org: OrgId, unit: Option<&CreditCode>) -> bool {
        match self {
            Self::Region(_) => true,
            Self::Unit {
                org: own,
                credit_code,
            } => *own == org || unit == Some(credit_code),
        }
    }

    /// The region a page or the API shows when none is asked: the viewer's scope, or
    /// for an organisation account the hub's whole region (its unit's pages span it).
    pub fn home_region(&self, hub_scope: &RegionPrefix) -> RegionPrefix {
        match self {
            Self::Region(scope) if hub_scope.covers(scope) => scope.clone(),
            Self::Region(_) | Self::Unit { .. } => hub_scope.clone(),
        }
    }
}

/// A password of 16 characters people can read out without mistaking one for another.
pub fn draw_password() -> Result<String, AccountError> {
    const ALPHABET: &[u8; 50] = b"abcdefghjkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY346789";
    let mut password = String::with_capacity(16);
    while password.len() < 16 {
        let bytes: [u8; 32] = random()?;
        // Bytes from 250 up are dropped, so that every character is as likely.
        password.extend(
            bytes
                .iter()
                .filter(|byte| **byte < 250)
                .map(|byte| char::from(ALPHABET[usize::from(*byte) % 50]))
                .take(16 - password.len()),
        );
    }
    Ok(password)
}

/// `N` random bytes from the operating system: salts, tokens, session ids, nonces.
pub fn random<const N: usize>() -> Result<[u8; N], AccountError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|error| AccountError::Randomness(error.to_string()))?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(text: &str) -> RegionPrefix {
        text.parse().unwrap()
    }

    /// `(role, scope, name)` → the scope taken, or the start of the refusal.
    fn check(role: &str, scope: &str, name: &str, expect: Result<&str, &str>) {
        let parsed = NewAccount::parse(&region("1309"), role, scope, name);
        match (parsed, expect) {
            (Ok(account), Ok(scope)) => assert_eq!(account.scope.code(), scope),
            (Err(error), Err(start)) => {
                let message = error.to_string();
                assert!(
                    message.starts_with(start),
                    "{role} {scope} {name}: {message}"
                );
            }
            (got, expected) => panic!("{role} {scope} {name}: got {got:?}, expected {expected:?}"),
        }
    }

    #[test]
    fn a_scope_fits_its_role_and_the_hubs_city() {
        check("city", "1309", "市委组织部", Ok("1309"));
        check("district", "130903", "运河区", Ok("130903"));
        check("district", "130903000000", "运河区", Ok("130903"));
        check("street", "130903001", "水月寺", Ok("130903001"));
        check(
            "org",
            "91130900MA0A1B2C3X",
            "x",
            Err("scope `91130900MA0A1B2C3X`"),
        );
        check(
            "district",
            "1309",
            "x",
            Err("scope `1309` does not fit role district"),
        );
        check(
            "street",
            "130903",
            "x",
            Err("scope `130903` does not fit role street"),
        );
        check(
            "district",
            "110105",
            "x",
            Err("scope `110105` does not fit role district: this hub serves region 1309"),
        );
        check("city", "1101", "x", Err("scope `1101`"));
        check("district", "13090a", "x", Err("scope `13090a`"));
        check("admin", "1309", "x", Err("role `admin` is not a role"));
        check("city", "1309", "two words", Err("name `two words`"));
        check("city", "1309", "", Err("name ``"));
        check("city", "1309", &"长".repeat(65), Err("name `"));
    }

    #[test]
    fn a_district_viewer_sees_its_district_and_an_org_its_own_unit() {
        let district = Access::Region(region("130903"));
        assert!(district.may_see_region(&region("130903")));
        assert!(district.may_see_region(&region("130903001")));
        assert!(!district.may_see_region(&region("130902")));
        assert!(!district.may_see_region(&region("1309")));
        assert!(!district.may_see_region(&region("")));
        assert_eq!(district.home_region(&region("1309")), region("130903"));
        // A valid code: the first 17 characters and the check character they call for.
        let first: [u8; 17] = *b"91130900MA0A1B2C3";
        let check = CreditCode::check_character(&first).unwrap();
        let code: CreditCode = format!("91130900MA0A1B2C3{}", char::from(check))
            .parse()
            .unwrap();
        let unit = Account {
            id: 1,
            name: "u".parse().unwrap(),
            role: Role::Org,
            scope: Scope::Unit(code),
            created_at: Timestamp::from_millis(0),
            revoked_at: None,
        }
        .access();
        assert!(unit.may_see_org(Org::id_for(&code), None));
        assert!(!unit.may_see_org(OrgId::from_bytes([1; 16]), None));
        // A branch of its unit, and not a branch of another unit.
        let branch = Org::id_for_party_org(&code, "第一党支部");
        assert!(unit.may_see_org(branch, Some(&code)));
        let other: CreditCode = "91350100M000100Y43".parse().unwrap();
        assert!(!unit.may_see_org(Org::id_for_party_org(&other, "第一党支部"), Some(&other)));
        assert!(!unit.may_see_region(&region("1309")));
        assert_eq!(unit.home_region(&region("1309")), region("1309"));
    }
}
