//! `wishtree-hub account …`: the operator creates, lists and revokes the accounts of
//! the dashboard and the API, issues tokens for scripts, and reads the audit log.
//!
//! The accounts are where the hub keeps its documents: its data directory's SQLite
//! file, or with `--store` (or `WISHTREE_STORE`) the PostgreSQL store every process of
//! the hub shares, so that an account added here signs in at any of them and a
//! revocation ends it at all of them.
//!
//! Everything typed is checked before anything is written: a bad role, scope, name or
//! password is an [`AccountError`] that [`super::main`] turns into exit code 2. A
//! password comes from standard input when it is piped (or with `--password-stdin`),
//! or is drawn and printed once; a token is printed once. Neither is stored: only
//! the argon2 hash of the password and the SHA-256 of the token.

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};

use clap::Subcommand;
use wishtree_protocol::{Date, RegionPrefix};

use crate::accounts::{self, AccountError, NewAccount};
use crate::clock::now;
use crate::data_dir::{HubStores, open_stores};
use crate::store::HubStore;

/// The accounts of the dashboard and the API.
#[derive(Debug, Subcommand)]
pub enum AccountCommandLine {
    /// Create an account: a city, district or street viewer scoped to a region code,
    /// or an organisation account scoped to its unit's credit code.
    Add {
        /// The hub's data directory.
        #[arg(long, env = "WISHTREE_DATA")]
        data: PathBuf,
        /// city, district, street or org.
        #[arg(long)]
        role: String,
        /// The region code (city 4 digits, district 6, street 9) or, for org, the
        /// unit's 18-character unified social credit code.
        #[arg(long)]
        scope: String,
        /// The name the person logs in with (no spaces).
        #[arg(long)]
        name: String,
        /// Read the password from standard input (the first line). Without it a piped
        /// standard input is read too; otherwise a password is drawn and printed once.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List the accounts (never a password or a token).
    List {
        /// The hub's data directory.
        #[arg(long, env = "WISHTREE_DATA")]
        data: PathBuf,
    },
    /// Revoke an account: its sessions and tokens end at once, a running hub refuses
    /// its next request.
    Revoke {
        /// The hub's data directory.
        #[arg(long, env = "WISHTREE_DATA")]
        data: PathBuf,
        /// The account's name.
        name: String,
    },
    /// Issue a token for scripts (`Authorization: Bearer …` on the JSON/CSV API),
    /// printed once.
    Token {
        /// The hub's data directory.
        #[arg(long, env = "WISHTREE_DATA")]
        data: PathBuf,
        /// The account's name.
        name: String,
    },
    /// Print the audit log: exports, views of per-organisation data, logins, and the
    /// operator's account changes.
    Audit {
        /// The hub's data directory.
        #[arg(long, env = "WISHTREE_DATA")]
        data: PathBuf,
        /// Only from this day on (2026-11-20, Shanghai time).
        #[arg(long)]
        since: Option<String>,
        /// Only this account's lines.
        #[arg(long)]
        account: Option<String>,
    },
}

/// Runs one `account` command, on the shared store at `store_url` if the hub has one.
pub(super) fn run(command: AccountCommandLine, store_url: Option<&str>) -> anyhow::Result<()> {
    match command {
        AccountCommandLine::Add {
            data,
            role,
            scope,
            name,
            password_stdin,
        } => add(
            &data,
            open_stores(&data, store_url)?,
            &role,
            &scope,
            &name,
            password_stdin,
        ),
        AccountCommandLine::List { data } => {
            let list = open_stores(&data, store_url)?.accounts.list_accounts()?;
            if list.is_empty() {
                println!("no accounts; create one with `wishtree-hub account add`");
            }
            for account in list {
                let state = match account.revoked_at {
                    Some(at) => format!("revoked {}", at.display_in_shanghai()),
                    None => "active".to_owned(),
                };
                println!(
                    "{}  {}  {}  created {}  {}",
                    account.name,
                    account.role,
                    account.scope,
                    account.created_at.display_in_shanghai(),
                    state
                );
            }
            Ok(())
        }
        AccountCommandLine::Revoke { data, name } => {
            let account = open_stores(&data, store_url)?
                .accounts
                .revoke_account(&name, now())?;
            println!(
                "revoked {}; its sessions and tokens have ended, a running hub refuses its next request",
                account.name
            );
            Ok(())
        }
        AccountCommandLine::Token { data, name } => {
            let stores = open_stores(&data, store_url)?;
            let (account, token) = accounts::issue_token(stores.accounts.as_ref(), &name, now())?;
            println!(
                "token for {} (shown once; the hub keeps only its hash):",
                account.name
            );
            println!("{}", token.as_str());
            println!("send it as: Authorization: Bearer {}", token.as_str());
            Ok(())
        }
        AccountCommandLine::Audit {
            data,
            since,
            account,
        } => {
            let since = since
                .map(|text| {
                    Date::from_typed(&text)
                        .map(Date::start_in_shanghai)
                        .map_err(|error| AccountError::BadSince(format!("{error}")))
                })
                .transpose()?;
            let entries = open_stores(&data, store_url)?
                .accounts
                .audit_entries(since, account.as_deref())?;
            for entry in entries {
                println!(
                    "{}  {}  {}  {}",
                    entry.at.display_in_shanghai(),
                    entry.account,
                    entry.action,
                    entry.what
                );
            }
            Ok(())
        }
    }
}

fn add(
    data: &Path,
    stores: HubStores,
    role: &str,
    scope: &str,
    name: &str,
    password_stdin: bool,
) -> anyhow::Result<()> {
    let new = NewAccount::parse(&hub_region(stores.store.as_ref(), data)?, role, scope, name)?;
    let stdin = std::io::stdin();
    let typed = if password_stdin || !stdin.is_terminal() {
        read_password(stdin, password_stdin)?
    } else {
        None
    };
    let (password, drawn) = match typed {
        Some(password) => (password, false),
        None => (accounts::draw_password()?, true),
    };
    let account = accounts::create_account(stores.accounts.as_ref(), &new, &password, now())?;
    println!(
        "account {} created: role {}, scope {}",
        account.name, account.role, account.scope
    );
    if drawn {
        println!("password (shown once; the hub keeps only its hash): {password}");
    }
    Ok(())
}

/// The region accounts are scoped within: the city, or a district hub's district.
fn hub_region(store: &dyn HubStore, data: &Path) -> anyhow::Result<RegionPrefix> {
    let city = crate::run::city_of(store, data)?;
    Ok(crate::run::upstream_of(store)?.map_or(city, |upstream| upstream.scope))
}

/// The first line of standard input, or `None` if it is empty and was not asked for.
fn read_password(mut stdin: std::io::Stdin, asked: bool) -> Result<Option<String>, AccountError> {
    let mut text = String::new();
    stdin
        .read_to_string(&mut text)
        .map_err(|error| AccountError::PasswordInput(format!("standard input: {error}")))?;
    let line = text
        .lines()
        .next()
        .unwrap_or_default()
        .trim_end_matches('\r');
    match (line.is_empty(), asked) {
        (false, _) => Ok(Some(line.to_owned())),
        (true, false) => Ok(None),
        (true, true) => Err(AccountError::PasswordInput(
            "--password-stdin was given but standard input is empty".to_owned(),
        )),
    }
}

/// Whether a failed command was refused for what was typed (exit code 2).
pub(super) fn is_bad_input(error: &anyhow::Error) -> bool {
    error
        .downcast_ref::<AccountError>()
        .is_some_and(AccountError::is_bad_input)
}
