//! The `wishtree-hub` command line: set up a hub, manage its roster and its accounts,
//! copy its data. The `account` commands are in `account.rs`.

mod account;
mod bulletin;
mod city;

use crate::quota::{MIB, Quotas};
pub use city::{CityCommandLine, RegionCommandLine};
use city::{city, region};

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use wishtree_common::cli_args::{GlobalArgs, HttpHostArgs};
use wishtree_common::{LogFormat, init_logging};
use wishtree_protocol::keys::PublicKey;
use wishtree_protocol::{CommunityCode, RegionPrefix};

use crate::clock::now;
use crate::data_dir::{DATABASE_FILE, KEY_FILE, STORE_POSTGRES, STORE_SETTING, open_stores};
use crate::identity::{create_key_file, read_key_file};
use crate::store::{EnrolledRole, HubStore, SqliteStore, StoredDoc};

mod import_command;

/// wishtree-hub: the city hub of wishtree (心愿树). It merges the records of every
/// community node, keeps the roster of enrolled node keys, and shows citywide figures.
#[derive(Debug, Parser)]
#[command(name = "wishtree-hub", version, about, long_about = None)]
pub struct Cli {
    /// The config file and the log format.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// Keep documents, roster and sync state in this PostgreSQL database
    /// (postgres://user:password@host:port/database), which several hub processes may
    /// share; without it everything is in the data directory's SQLite file. Give it to
    /// `init` and to every command after (or set WISHTREE_STORE, or `store` in the
    /// config file).
    #[arg(
        long,
        global = true,
        env = "WISHTREE_STORE",
        value_name = "URL",
        hide_env_values = true
    )]
    pub store: Option<String>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The hub's commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new hub: its key (printed, to give to every node operator) and its database.
    Init {
        /// The hub's data directory (created if missing).
        #[arg(long, env = "WISHTREE_DATA")]
        data: PathBuf,
        /// The code of the city the hub serves: the first 4 digits of its communities'
        /// 12-digit codes (e.g. 1309 for 沧州市).
        #[arg(long)]
        city: String,
        /// Make this a district hub serving this region (e.g. 130903) under the city
        /// hub given by --upstream and --upstream-key; its nodes are enrolled at the
        /// city hub, whose signed roster it receives.
        #[arg(long, requires_all = ["upstream", "upstream_key"])]
        district: Option<String>,
        /// `host:port` of the city hub's QUIC endpoint (district hubs only).
        #[arg(long, requires = "district")]
        upstream: Option<String>,
        /// The city hub's key, as its `init` printed it (district hubs only).
        #[arg(long, requires = "district")]
        upstream_key: Option<String>,
    },
    /// Run the hub: accept community nodes over QUIC, merge their records, and serve the
    /// dashboard and API. Stops cleanly on Ctrl-C.
    Run {
        /// The hub's data directory.
        #[arg(long, env = "WISHTREE_DATA")]
        data: PathBuf,
        /// Where nodes connect (UDP).
        #[arg(long, value_name = "ADDR", default_value = "0.0.0.0:4433")]
        quic: SocketAddr,
        /// Where the dashboard and API listen.
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
        http: SocketAddr,
        /// Serve `/metrics` on this address of its own (e.g. 127.0.0.1:9180) instead of
        /// beside the dashboard; it needs no account either way.
        #[arg(long, value_name = "ADDR")]
        metrics: Option<SocketAddr>,
        #[command(flatten)]
        hosts: HttpHostArgs,
        #[command(flatten)]
        quotas: QuotaArgs,
    },
    /// Write the city document (organisation directory, campaigns) that every node
    /// receives read-only. A running hub passes the change on within seconds.
    #[command(subcommand)]
    City(CityCommandLine),
    /// Name the city, its districts and its streets, which the dashboard otherwise shows
    /// by code (a community's name comes from its node). A running hub shows a new name
    /// on its next page.
    #[command(subcommand)]
    Region(RegionCommandLine),
    /// Allow a community node's key to sync its community, or a district hub's key to sync
    /// its region.
    Enroll {
        /// The hub's data directory.
        #[arg(long, env = "WISHTREE_DATA")]
        data: PathBuf,
        /// The 12-digit code of the community the node serves.
        #[arg(
            long,
            conflicts_with = "hub_scope",
            required_unless_present = "hub_scope"
        )]
        community: Option<String>,
        /// Enroll a district hub for this region code prefix instead (e.g. 130903).
        #[arg(long)]
        hub_scope: Option<String>,
        /// The node's key, as `wishtree-node init` printed it.
        #[arg(long)]
        key: String,
    },
    /// Stop trusting a key. Its data stays and is flagged.
    Revoke {
        /// The hub's data directory.
        #[arg(long, env = "WISHTREE_DATA")]
        data: PathBuf,
        /// The key to revoke.
        #[arg(long, required_unless_present = "community")]
        key: Option<String>,
        /// Revoke the active key of this community instead.
        #[arg(long, conflicts_with = "key")]
        community: Option<String>,
        /// Why, for the record.
        #[arg(long, default_value = "revoked by the operator")]
        reason: String,
    },
    /// Apply a node's key rotation (printed by `wishtree-node rotate-key`): the old key
    /// is revoked and the new one enrolled for the same community, if the statement is
    /// signed by the old key and the old key is enrolled and active.
    Rotate {
        /// The hub's data directory.
        #[arg(long, env = "WISHTREE_DATA")]
        data: PathBuf,
        /// The statement, in hex.
        #[arg(long)]
        statement: String,
    },
    /// List the enrolled keys.
    Roster {
        /// The hub's data directory.
        #[arg(long, env = "WISHTREE_DATA")]
        data: PathBuf,
    },
    /// Apply a bundle file a community node wrote with `wishtree-node export --bundle`
    /// (the USB stick): check who signed it, for whom, that nothing in it was altered
    /// and that it is not a replay, then merge its changes and re-derive the figures.
    /// A hub running on the data directory is handed the bundle and shows the new
    /// figures at once; with none running, the store is written directly.
    Import {
        /// The hub's data directory.
        #[arg(long, env = "WISHTREE_DATA")]
        data: PathBuf,
        /// The bundle file.
        file: PathBuf,
    },
    /// Send a peer district hub, as signed bundle files, the documents of every
    /// community where members of one unit organisation live; the peer checks and
    /// applies them with `wishtree-hub import`.
    Send {
        /// The hub's data directory.
        #[arg(long, env = "WISHTREE_DATA")]
        data: PathBuf,
        /// The organisation's unified social credit code (18 characters).
        #[arg(long)]
        org: String,
        /// The peer hub's key.
        #[arg(long)]
        to: String,
        /// The directory to write the bundles into (one file per community).
        #[arg(long)]
        out: PathBuf,
    },
    /// Write a community's document as plain automerge bytes.
    Export {
        /// The hub's data directory.
        #[arg(long, env = "WISHTREE_DATA")]
        data: PathBuf,
        /// The community.
        #[arg(long)]
        community: String,
        /// The file to write.
        #[arg(long)]
        out: PathBuf,
    },
    /// The accounts of the dashboard and the API: add, list, revoke, token, audit.
    #[command(subcommand)]
    Account(account::AccountCommandLine),
    /// Bulletins (通报) of a region for a closed month or half-year: issue, list.
    #[command(subcommand)]
    Bulletin(bulletin::BulletinCommandLine),
    /// Copy the whole hub database consistently while the hub runs; restore by pointing
    /// --data at a directory holding the copy as hub.sqlite and the hub.key. A hub on
    /// PostgreSQL (--store) has only its settings here: back the database up with pg_dump.
    Backup {
        /// The hub's data directory.
        #[arg(long, env = "WISHTREE_DATA")]
        data: PathBuf,
        /// The file to write.
        #[arg(long)]
        out: PathBuf,
    },
}

/// Runs the command line and turns errors into a message and an exit code.
pub fn main() -> ExitCode {
    let cli = wishtree_common::config::parse::<Cli>();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            // Refused for what was typed, as clap refuses a bad flag: nothing was
            // written, and a script can tell this from a failure of the hub.
            if account::is_bad_input(&error) {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// Runs one command.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let store_url = cli.store.as_deref();
    // The store of a data directory for the commands that read or write the roster
    // and the documents.
    let hub_store = |data: &Path| -> anyhow::Result<Arc<dyn HubStore>> {
        Ok(open_stores(data, store_url)?.store)
    };
    match cli.command {
        Command::Init {
            data,
            city,
            district,
            upstream,
            upstream_key,
        } => init(
            &data,
            &city,
            district.zip(upstream).zip(upstream_key),
            store_url,
        ),
        Command::Run {
            data,
            quic,
            http,
            metrics,
            hosts,
            quotas,
        } => {
            let mut options = crate::run::RunOptions::new(&data);
            options.hub.quotas = quotas.quotas();
            options.quic = quic;
            options.http = http;
            options.metrics = metrics;
            options.http_hosts = hosts.http_hosts;
            options.store = cli.store.clone();
            run_hub(options, cli.global.log_format)
        }
        Command::City(command) => city(command, store_url),
        Command::Account(command) => account::run(command, store_url),
        Command::Bulletin(command) => bulletin::run(command, store_url),
        Command::Region(command) => region(command, store_url),
        Command::Enroll {
            data,
            community,
            hub_scope,
            key,
        } => {
            let store = hub_store(&data)?;
            let key: PublicKey = key.parse().context("the --key is not a valid key")?;
            if let Some(code) = &community {
                refuse_at_district_hub(
                    store.as_ref(),
                    &format!("wishtree-hub enroll --data CITY_DIR --community {code} --key {key}"),
                )?;
            }
            let role = match (community, hub_scope) {
                (Some(code), _) => EnrolledRole::Node {
                    community: code.parse::<CommunityCode>().context("bad --community")?,
                },
                (None, Some(scope)) => EnrolledRole::Hub {
                    scope: scope.parse::<RegionPrefix>().context("bad --hub-scope")?,
                },
                (None, None) => bail!("give --community CODE or --hub-scope PREFIX"),
            };
            let enrollment = store.enroll(key, role, now())?;
            println!("enrolled {} as {}", enrollment.key, enrollment.role);
            Ok(())
        }
        Command::Revoke {
            data,
            key,
            community,
            reason,
        } => {
            let store = hub_store(&data)?;
            refuse_at_district_hub(
                store.as_ref(),
                "wishtree-hub revoke --data CITY_DIR (with the same --key or --community and --reason)",
            )?;
            let key = match (key, community) {
                (Some(key), _) => key
                    .parse::<PublicKey>()
                    .context("the --key is not a valid key")?,
                (None, Some(code)) => {
                    let code: CommunityCode = code.parse().context("bad --community")?;
                    store
                        .community_key(code)?
                        .with_context(|| format!("community {code} has no active key"))?
                }
                (None, None) => bail!("give --key KEY or --community CODE"),
            };
            let enrollment = store.revoke(&key, now(), &reason)?;
            println!(
                "revoked {} ({}); its data stays, flagged",
                enrollment.key, enrollment.role
            );
            Ok(())
        }
        Command::Rotate { data, statement } => {
            let store = hub_store(&data)?;
            refuse_at_district_hub(
                store.as_ref(),
                "wishtree-hub rotate --data CITY_DIR --statement … (the same statement)",
            )?;
            let bytes = hex::decode(statement.trim())
                .ok()
                .context("the --statement is not hex (copy it whole from rotate-key)")?;
            let signed = wishtree_protocol::roster::SignedRotation::from_bytes(&bytes)
                .context("the --statement does not decode")?;
            let rotation = signed
                .verify()
                .context("the statement is not signed by the old key")?;
            let enrollment = store.enrollment(&rotation.old)?.with_context(|| {
                format!("the old key {} is not enrolled at this hub", rotation.old)
            })?;
            if enrollment.revoked.is_some() {
                bail!(
                    "the old key {} is revoked; a revoked key cannot hand its place on",
                    rotation.old
                );
            }
            store.revoke(
                &rotation.old,
                rotation.at,
                &format!("rotated to {}", rotation.new.short()),
            )?;
            let enrolled = store.enroll(rotation.new, enrollment.role, rotation.at)?;
            println!(
                "rotated: {} is now enrolled as {}; {} is revoked, its data stays",
                enrolled.key, enrolled.role, rotation.old
            );
            Ok(())
        }
        Command::Roster { data } => {
            let store = hub_store(&data)?;
            for enrollment in store.enrollments()? {
                let state = match &enrollment.revoked {
                    Some(revocation) => format!(
                        "revoked {} ({})",
                        revocation.at.display_in_shanghai(),
                        revocation.reason
                    ),
                    None => "active".to_owned(),
                };
                println!("{}  {}  {}", enrollment.key, enrollment.role, state);
            }
            Ok(())
        }
        Command::Import { data, file } => import_command::import(&data, &file, store_url),
        Command::Send { data, org, to, out } => {
            let stores = open_stores(&data, store_url)?;
            let credit_code: wishtree_protocol::uscc::CreditCode =
                org.parse().context("bad --org")?;
            let peer: PublicKey = to.parse().context("the --to key is not a valid key")?;
            let key = read_key_file(&data.join(KEY_FILE))?;
            let sent = crate::exchange::send_org_communities(
                stores.store.as_ref(),
                &stores.figures,
                &key,
                &credit_code,
                peer,
                &out,
                now(),
            )?;
            if sent.is_empty() {
                println!("no community this hub holds has members of {credit_code}");
            }
            for bundle in &sent {
                println!(
                    "wrote {} ({} bytes, community {}{})",
                    bundle.file.display(),
                    bundle.bytes,
                    bundle.community,
                    if bundle.is_attested {
                        ", with its signed heads"
                    } else {
                        ", NOT attested: the hub holds no signed heads of it"
                    }
                );
            }
            if !sent.is_empty() {
                // Each bundle's seq follows the last one's: an earlier one imported after
                // a later one is refused as a rollback.
                println!(
                    "the peer hub imports them in this order (an earlier one after a later one is refused as a rollback):"
                );
                for bundle in &sent {
                    println!("  wishtree-hub import --data DIR {}", bundle.file.display());
                }
            }
            Ok(())
        }
        Command::Export {
            data,
            community,
            out,
        } => {
            let store = hub_store(&data)?;
            let code: CommunityCode = community.parse().context("bad --community")?;
            let bytes = store
                .doc_bytes(StoredDoc::Community(code))?
                .with_context(|| format!("the hub holds no document of community {code}"))?;
            // Load and save once, so the file is one compact document any automerge reads.
            let mut doc =
                wishtree_protocol::CommunityDoc::load(&bytes, Some(code), random_bytes()?)
                    .context("the stored document does not load")?;
            std::fs::write(&out, doc.save())
                .with_context(|| format!("cannot write {}", out.display()))?;
            println!("wrote {}", out.display());
            Ok(())
        }
        Command::Backup { data, out } => crate::backup::backup(&data, &out),
    }
}

fn init(
    data: &Path,
    city: &str,
    district: Option<((String, String), String)>,
    store_url: Option<&str>,
) -> anyhow::Result<()> {
    let city: RegionPrefix = city.parse().context("bad --city")?;
    if city.level() != Some(wishtree_protocol::RegionLevel::City) {
        bail!(
            "--city takes the 4-digit code of a city (e.g. 1309), not {}",
            city.padded()
        );
    }
    let district = match district {
        Some(((district, upstream), upstream_key)) => {
            let prefix: RegionPrefix = district.parse().context("bad --district")?;
            if !city.covers(&prefix) || prefix == city {
                bail!(
                    "--district {} is not a region inside city {}",
                    prefix.padded(),
                    city.as_str()
                );
            }
            let key: PublicKey = upstream_key
                .parse()
                .context("the --upstream-key is not a valid key")?;
            Some((prefix, upstream, key))
        }
        None => None,
    };
    std::fs::create_dir_all(data).with_context(|| format!("cannot create {}", data.display()))?;
    let key_path = data.join(KEY_FILE);
    // A PostgreSQL store is checked before anything is written here.
    let shared = match store_url {
        Some(url) => {
            let shared = crate::data_dir::open_postgres(url)?;
            let existing = if key_path.exists() {
                Some(read_key_file(&key_path)?.public())
            } else {
                None
            };
            crate::run::check_shared_store(&shared, existing.as_ref(), &city)?;
            Some(Arc::new(shared))
        }
        None => None,
    };
    let key = if shared.is_some() && key_path.exists() {
        // Another process of a hub on PostgreSQL: its key, copied from the first.
        read_key_file(&key_path)?
    } else {
        let mut secret = [0u8; 32];
        getrandom::fill(&mut secret)
            .map_err(|e| anyhow::anyhow!("no randomness for the key: {e}"))?;
        create_key_file(&key_path, secret)?
    };
    let local = Arc::new(SqliteStore::open(&data.join(DATABASE_FILE))?);
    // The settings go to the store, and with PostgreSQL to the directory's file too:
    // what reads the file alone (accounts, region names) finds the city there.
    let mut stores: Vec<Arc<dyn HubStore>> = vec![Arc::clone(&local) as Arc<dyn HubStore>];
    if let Some(shared) = shared {
        shared.set_setting(crate::run::HUB_KEY_SETTING, &key.public().to_string())?;
        local.set_setting(STORE_SETTING, STORE_POSTGRES)?;
        stores.push(shared);
    }
    for store in &stores {
        store.set_setting(crate::run::CITY_SETTING, city.as_str())?;
        if let Some((prefix, upstream, upstream_key)) = &district {
            store.set_setting(crate::run::DISTRICT, prefix.as_str())?;
            store.set_setting(crate::run::UPSTREAM_ADDRESS, upstream)?;
            store.set_setting(crate::run::UPSTREAM_KEY, &upstream_key.to_string())?;
        }
    }
    if let Some((prefix, upstream, _)) = &district {
        println!(
            "district hub of {} under the hub at {upstream}; enroll it there with:",
            prefix.as_str()
        );
        println!(
            "  wishtree-hub enroll --data CITY_DIR --hub-scope {} --key {}",
            prefix.as_str(),
            key.public()
        );
    }
    println!(
        "hub of city {} created in {}",
        city.as_str(),
        data.display()
    );
    println!("hub key (give it to every node operator for `wishtree-node init --hub-key`):");
    println!("{}", key.public());
    Ok(())
}

fn run_hub(options: crate::run::RunOptions, log_format: LogFormat) -> anyhow::Result<()> {
    init_logging(log_format);
    wishtree_common::clock::announce_skew().map_err(anyhow::Error::msg)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let running = crate::run::start(options).await?;
        println!("hub key: {}", running.key);
        println!("nodes connect to: {}", running.quic_addr);
        println!("dashboard: http://{}/", running.http_addr);
        if let Some(address) = running.metrics_addr {
            println!("metrics: http://{address}/metrics");
        }
        // Ctrl-C, or SIGTERM from systemd or a container runtime (Windows: the console
        // closing or the machine shutting down).
        wishtree_common::shutdown_signal().await;
        println!("stopping: closing every session");
        running.stop().await;
        Ok(())
    })
}

/// A district hub takes its roster from the city: an entry made here is never seen by
/// the city, which would go on refusing (or accepting) the key. So roster changes for
/// nodes are refused here, naming the command to run at the city hub.
fn refuse_at_district_hub(store: &dyn HubStore, command_at_city: &str) -> anyhow::Result<()> {
    if let Some(district) = store.setting(crate::run::DISTRICT)? {
        bail!(
            "this is the district hub of {district}: the city hub keeps the roster, which reaches this hub by itself; run there: {command_at_city}"
        );
    }
    Ok(())
}

fn random_bytes() -> anyhow::Result<[u8; 16]> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(bytes)
}

/// What one community's node may put into this hub: past a bound its sync messages are
/// refused with the reason, the hub keeps what it had, and the health page lists the
/// community. The defaults are about 50 times what a large community writes.
#[derive(Debug, Clone, clap::Args)]
pub struct QuotaArgs {
    /// The largest a community's document may grow at this hub, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = Quotas::DEFAULT.document_bytes / MIB)]
    quota_document_mib: u64,
    /// The largest single change a node may send, in KiB (a record's texts are short).
    #[arg(long, value_name = "KIB", default_value_t = Quotas::DEFAULT.change_bytes / 1024)]
    quota_change_kib: u64,
    /// New changes a minute from one community, sustained; a node back from days
    /// offline still gets its whole catch-up through at once.
    #[arg(long, value_name = "N", default_value_t = Quotas::DEFAULT.changes_per_minute)]
    quota_changes_per_minute: u64,
}

impl QuotaArgs {
    /// The bounds these arguments set.
    pub fn quotas(&self) -> Quotas {
        Quotas {
            document_bytes: self.quota_document_mib.saturating_mul(MIB),
            change_bytes: self.quota_change_kib.saturating_mul(1024),
            changes_per_minute: self.quota_changes_per_minute,
        }
    }
}
