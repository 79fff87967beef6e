//! The `wishtree-node` command line: set up a node, run it, look at it, copy its data,
//! and script the main records.
//!
//! The record commands (`member add`, `wish claim`, …) go through the same operations
//! as the JSON API ([`crate::api`]), so they check and answer exactly the same way;
//! they print the record as JSON. They need the data directory to themselves: while
//! `run` is running, use its web page or JSON API instead. `status`, `export`,
//! `backup` and the `list` commands only read, and work beside a running node;
//! `export --bundle` writes (the bundle's seq), so a running node writes it for the
//! command over its admin socket ([`crate::admin`]).

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, anyhow};
use clap::{Args, Parser, Subcommand};
use serde_json::Value;
use wishtree_common::cli_args::{GlobalArgs, HttpHostArgs};
use wishtree_common::{init_logging, shutdown_signal};
use wishtree_protocol::keys::PublicKey;
use wishtree_protocol::text::Name;
use wishtree_protocol::{CommunityCode, Timestamp};
use wishtree_webguard::HostName;

use crate::api::{self, ApiError};
use crate::replica::{HubLevel, HubSettings, InitOptions, Replica};
use crate::report::ReportCsv;

mod data;
mod records;

/// wishtree-node: the community node of wishtree (心愿树). It keeps the community's
/// records — members, wishes, activities, service and points — on this computer,
/// safe through power cuts and days without network, and shares them with the city
/// hub when it can reach it.
#[derive(Debug, Parser)]
#[command(name = "wishtree-node", version)]
pub struct Cli {
    /// The config file and the log format.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The node's data directory (or set WISHTREE_DATA).
    #[arg(long, global = true, env = "WISHTREE_DATA", value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The node's commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new node: its key (printed, to give to the city hub) and its database.
    Init(InitArgs),
    /// Serve the web page and JSON API (by default only to this computer).
    Run {
        /// Where to listen. Any address other than 127.0.0.1 needs the password.
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8081")]
        http: SocketAddr,
        #[command(flatten)]
        hosts: HttpHostArgs,
    },
    /// Show the community, record counts, heads, sync state and a database check.
    Status {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Write the whole community document as plain automerge bytes; or, with
    /// --bundle, a signed bundle for the city hub, to carry on a USB stick when the
    /// network is gone (the hub applies it with `wishtree-hub import FILE`).
    Export {
        /// The file to write (must not exist).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Write a signed bundle of the changes the hub does not have yet, as far as
        /// the node knows from its last sync. Works while `wishtree-node run` runs (the
        /// running node writes it, over its admin socket).
        #[arg(long)]
        bundle: bool,
        /// With --bundle: carry the whole history, for a hub that may have less than
        /// the node last saw (e.g. restored from a backup).
        #[arg(long, requires = "bundle")]
        all: bool,
        /// With --bundle: how many days the hub accepts the bundle.
        #[arg(long, requires = "bundle", default_value_t = 30, value_name = "DAYS")]
        expires_days: u32,
    },
    /// Merge a document written by `export` (of this community only) into the node.
    Import {
        /// The file to read.
        file: PathBuf,
    },
    /// Copy the database to a file, safely even while the node runs. To restore, put
    /// the file into an empty directory and point --data at it.
    Backup {
        /// The file to write (must not exist).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Replace the node's key by a new one (a lost or exposed key). Prints a statement
    /// signed by the old key that the city hub's operator applies with `wishtree-hub
    /// rotate` (also when the node syncs through a district hub); until then the hubs
    /// refuse the node. Stop the node first.
    RotateKey,
    /// Set the password needed when the node listens beyond this computer.
    Password {
        /// The new password (at least 8 characters).
        #[arg(long)]
        password: String,
    },
    /// Members (在职党员): add, list.
    #[command(subcommand)]
    Member(MemberCommand),
    /// Unit organisations (单位党组织): add, list.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Micro-wishes (微心愿): add, list, and move them along.
    #[command(subcommand)]
    Wish(WishCommand),
    /// Service activities: add, sign members up, list.
    #[command(subcommand)]
    Activity(ActivityCommand),
    /// Service records outside activities: add, list.
    #[command(subcommand)]
    Service(ServiceCommand),
    /// The benefit catalogue (福利清单): add a benefit, list them.
    #[command(subcommand)]
    Benefit(BenefitCommand),
    /// Spend points from a member's love passbook (爱心存折): a benefit of the
    /// catalogue (`--benefit`, at its cost), or points for a reason typed in.
    Redeem {
        /// The member.
        #[arg(long)]
        member: String,
        /// A benefit of the catalogue, by id: the points spent are its cost.
        #[arg(long, conflicts_with_all = ["points", "reason"], required_unless_present = "points")]
        benefit: Option<String>,
        /// How many points (without `--benefit`).
        #[arg(long, requires = "reason")]
        points: Option<String>,
        /// For what (without `--benefit`).
        #[arg(long, requires = "points")]
        reason: Option<String>,
    },
    /// A member's half-year report (报到—服务—报告).
    Report {
        /// The member.
        #[arg(long)]
        member: String,
        /// The half-year, e.g. 2026H2.
        #[arg(long)]
        period: String,
        /// Print CSV instead of JSON.
        #[arg(long)]
        csv: bool,
    },
}

/// What `init` needs.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The community's 12-digit statistical code.
    #[arg(long)]
    pub community: String,
    /// The community's name, e.g. 行宫社区.
    #[arg(long)]
    pub name: String,
    /// The city hub's address, host:port.
    #[arg(long, requires = "hub_key")]
    pub hub: Option<String>,
    /// The city hub's key, as the hub operator gave it.
    #[arg(long, requires = "hub")]
    pub hub_key: Option<String>,
    /// Whether --hub is the city's platform (city, the default) or a district's
    /// (district): the pages name it 市平台 or 区平台.
    #[arg(long, requires = "hub")]
    pub hub_level: Option<String>,
    /// The hub's web address for phones (`https://…`), which member cards link to.
    #[arg(long)]
    pub hub_web: Option<String>,
    /// A password, needed to listen beyond this computer (at least 8 characters).
    #[arg(long)]
    pub password: Option<String>,
    /// The name the worker signs lifecycle events with (default 社区工作者).
    #[arg(long)]
    pub worker: Option<String>,
}

/// Member commands.
// Parsed once per process: the size of the `Add` variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum MemberCommand {
    /// Record a member who reported in.
    Add {
        /// Name.
        #[arg(long)]
        name: String,
        /// Work unit.
        #[arg(long)]
        work_unit: Option<String>,
        /// Position held.
        #[arg(long)]
        position: Option<String>,
        /// A specialty (repeat for several).
        #[arg(long)]
        specialty: Vec<String>,
        /// A kind of service offered: aid, convenience, jobs, safety, environment,
        /// culture_sport, health, law_policy (repeat for several).
        #[arg(long)]
        intention: Vec<String>,
        /// The day of reporting in, YYYY-MM-DD (default today).
        #[arg(long)]
        reported_in: Option<String>,
        /// The unit organisation's id.
        #[arg(long)]
        org: Option<String>,
        /// Home address (kept on this node only).
        #[arg(long)]
        address: Option<String>,
        /// Phone (kept on this node only).
        #[arg(long)]
        phone: Option<String>,
    },
    /// List the members as JSON.
    List,
}

/// Organisation commands.
#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// Record a unit organisation by its unified social credit code.
    Add {
        /// The 18-character unified social credit code.
        #[arg(long)]
        credit_code: String,
        /// Name.
        #[arg(long)]
        name: String,
        /// The day it reported in to this community, YYYY-MM-DD.
        #[arg(long)]
        reported_in: Option<String>,
    },
    /// List the organisations as JSON.
    List,
}

/// Wish commands.
#[derive(Debug, Subcommand)]
pub enum WishCommand {
    /// Record a wish a resident ordered (群众点单).
    Add {
        /// Title, e.g. 希望有一台微波炉.
        #[arg(long)]
        title: String,
        /// Detail.
        #[arg(long)]
        detail: Option<String>,
        /// goods or service.
        #[arg(long)]
        kind: String,
        /// The resident's group: elderly_alone, empty_nest, disabled,
        /// single_parent_child, student_hardship, low_income, member_hardship, other.
        #[arg(long)]
        group: String,
        /// The resident as the city may see them, e.g. "行宫社区 彭女士".
        #[arg(long)]
        resident_label: String,
        /// Estimated value in yuan, e.g. 400 or 400元.
        #[arg(long)]
        value: Option<String>,
        /// The resident's real name (kept on this node only).
        #[arg(long)]
        resident_name: Option<String>,
        /// The resident's phone (kept on this node only).
        #[arg(long)]
        resident_phone: Option<String>,
    },
    /// List the wishes as JSON.
    List {
        /// Only wishes in this state: submitted, published, claimed, fulfilled,
        /// rejected, withdrawn.
        #[arg(long)]
        state: Option<String>,
    },
    /// Publish a submitted wish on the tree (社区下单).
    Publish(WishAction),
    /// Claim a published wish for a member or organisation (党员接单); needs --by.
    Claim(WishAction),
    /// Give a claim back; the wish is published again.
    Release(WishAction),
    /// Mark a claimed wish fulfilled.
    Fulfil(WishAction),
    /// Turn a submitted wish down.
    Reject(WishAction),
    /// Take a wish off the tree.
    Withdraw(WishAction),
}

/// A wish and who moves it.
#[derive(Debug, Args)]
pub struct WishAction {
    /// The wish's id.
    pub id: String,
    /// Who: member:<id> or org:<id> (needed to claim; the worker otherwise).
    #[arg(long)]
    pub by: Option<String>,
    /// A note, e.g. how it was fulfilled.
    #[arg(long)]
    pub note: Option<String>,
}

/// Activity commands.
#[derive(Debug, Subcommand)]
pub enum ActivityCommand {
    /// Plan or record an activity.
    Add {
        /// Title.
        #[arg(long)]
        title: String,
        /// Category: aid, convenience, jobs, safety, environment, culture_sport,
        /// health, law_policy.
        #[arg(long)]
        category: String,
        /// The day, YYYY-MM-DD (2026/11/20 reads too); not later than today.
        #[arg(long)]
        date: String,
        /// Minutes each participant serves.
        #[arg(long)]
        minutes: String,
        /// Where.
        #[arg(long)]
        place: Option<String>,
        /// The organising unit organisation's id.
        #[arg(long)]
        organiser: Option<String>,
    },
    /// Record a member's participation: a service record and points.
    Join {
        /// The activity's id.
        activity: String,
        /// The member's id.
        #[arg(long)]
        member: String,
    },
    /// List the activities as JSON.
    List,
}

/// Service commands.
#[derive(Debug, Subcommand)]
pub enum ServiceCommand {
    /// Record service outside an activity, and the points it earns.
    Add {
        /// The member's id.
        #[arg(long)]
        member: String,
        /// The day, YYYY-MM-DD (default today).
        #[arg(long)]
        date: Option<String>,
        /// How long, in minutes.
        #[arg(long)]
        minutes: String,
        /// Category: aid, convenience, jobs, safety, environment, culture_sport,
        /// health, law_policy.
        #[arg(long)]
        category: String,
        /// What was done.
        #[arg(long)]
        description: Option<String>,
    },
    /// List the service records as JSON.
    List,
}

/// `benefit …`: the benefit catalogue (福利清单).
#[derive(Debug, Subcommand)]
pub enum BenefitCommand {
    /// Add a benefit that points buy.
    Add {
        /// What it is.
        #[arg(long)]
        title: String,
        /// Its cost in points.
        #[arg(long)]
        cost: String,
        /// How many there are to give out (unlimited if not given).
        #[arg(long)]
        stock: Option<String>,
    },
    /// List the catalogue as JSON.
    List,
}

/// Parses the command line and runs it; the exit code says whether it worked.
pub fn main() -> ExitCode {
    let cli = wishtree_common::config::parse::<Cli>();
    init_logging(cli.global.log_format);
    if let Err(error) = wishtree_common::clock::announce_skew() {
        eprintln!("error: {error}");
        return ExitCode::from(2);
    }
    match run_cli(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs a parsed command line.
pub fn run_cli(cli: Cli) -> anyhow::Result<()> {
    let data = cli
        .data
        .clone()
        .ok_or_else(|| anyhow!("say which data directory: --data DIR (or set WISHTREE_DATA)"))?;
    match cli.command {
        Command::Init(args) => init(&data, args),
        Command::Run { http, hosts } => serve(&data, http, hosts.http_hosts),
        Command::Status { json } => data::status(&data, json),
        Command::Export {
            out, bundle: false, ..
        } => data::export(&data, &out),
        Command::Export {
            out,
            bundle: true,
            all,
            expires_days,
        } => data::export_bundle(&data, &out, all, expires_days),
        Command::Import { file } => data::import(&data, &file),
        Command::Backup { out } => data::backup(&data, &out),
        Command::RotateKey => {
            let mut replica = open(&data)?;
            let old = replica.public_key();
            let rotation = replica.rotate_key(crate::now())?;
            let statement = hex::encode(rotation.to_bytes());
            println!("the node's key is now {}", replica.public_key());
            println!(
                "(it was {old}; the hubs refuse the node until the city hub applies the statement)"
            );
            // Keys are enrolled at the city hub only: a district hub gets the change with
            // the city's roster.
            println!(
                "give the city hub's operator (not a district hub's) this statement, signed by the old key:"
            );
            println!("  wishtree-hub rotate --data CITY_HUB_DIR --statement {statement}");
            Ok(())
        }
        Command::Password { password } => {
            open(&data)?.set_password(&password)?;
            eprintln!("the password is set");
            Ok(())
        }
        Command::Member(command) => records::member(&data, command),
        Command::Org(command) => records::org(&data, command),
        Command::Wish(command) => records::wish(&data, command),
        Command::Activity(command) => records::activity(&data, command),
        Command::Service(command) => records::service(&data, command),
        Command::Benefit(command) => records::benefit(&data, command),
        Command::Redeem {
            member,
            benefit,
            points,
            reason,
        } => records::redeem(&data, member, benefit, points, reason),
        Command::Report {
            member,
            period,
            csv,
        } => {
            let mut replica = open_read_only(&data)?;
            let report = api::half_year_report(&mut replica, Some(&member), Some(&period))
                .map_err(api_error)?;
            if csv {
                print!("{}", report.to_csv());
            } else {
                print_json(&serde_json::to_value(report)?)?;
            }
            Ok(())
        }
    }
}

fn init(data: &Path, args: InitArgs) -> anyhow::Result<()> {
    let community: CommunityCode = args.community.parse().context("--community")?;
    let name = Name::parse("name", &args.name).context("--name")?;
    let hub = match (args.hub, args.hub_key) {
        (Some(address), Some(key)) => Some(HubSettings {
            address,
            key: key.parse::<PublicKey>().context("--hub-key")?,
            level: match args.hub_level {
                Some(level) => level
                    .parse::<HubLevel>()
                    .map_err(anyhow::Error::msg)
                    .context("--hub-level")?,
                None => HubLevel::City,
            },
        }),
        _ => None,
    };
    let worker = args
        .worker
        .as_deref()
        .map(|worker| Name::parse("worker", worker))
        .transpose()
        .context("--worker")?;
    let options = InitOptions {
        community,
        name,
        hub,
        password: args.password,
        worker,
    };
    let mut replica = Replica::init(data, &options, crate::now())?;
    if let Some(web) = &args.hub_web {
        replica.set_hub_web(web).context("--hub-web")?;
    }
    println!(
        "created the node of {} {} in {}",
        community,
        options.name,
        data.display()
    );
    println!("node key: {}", replica.public_key());
    println!(
        "give the key to the city hub operator, who enrolls it with: wishtree-hub enroll --community {community} --key {}",
        replica.public_key()
    );
    Ok(())
}

fn serve(data: &Path, address: SocketAddr, hosts: Vec<HostName>) -> anyhow::Result<()> {
    let mut replica = open(data)?;
    // A tuning knob, used by the crash test to make compaction frequent.
    if let Some(chunks) = std::env::var("WISHTREE_COMPACT_AFTER")
        .ok()
        .and_then(|value| value.parse().ok())
    {
        replica.set_compact_after(chunks);
    }
    let code = replica.code();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let hub = replica.hub().map(|hub| hub.address.clone());
        let running = crate::run::start_with_hosts(
            replica,
            address,
            hosts,
            crate::sync::SyncOptions::default(),
        )
        .await?;
        println!(
            "wishtree-node of community {code} listening on http://{}",
            running.http_addr
        );
        match hub {
            Some(hub) => println!("connecting to the hub at {hub}…"),
            None => println!("no hub configured: the node works on its own"),
        }
        std::io::stdout().flush()?;
        shutdown_signal().await;
        running.stop().await;
        eprintln!("wishtree-node stopped");
        Ok(())
    })
}

fn open(data: &Path) -> anyhow::Result<Replica> {
    Ok(Replica::open(data)?)
}

fn open_read_only(data: &Path) -> anyhow::Result<Replica> {
    Ok(Replica::open_read_only(data)?)
}

fn api_error(error: ApiError) -> anyhow::Error {
    anyhow!("{}", error.message())
}

fn print_json(value: &Value) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut stdout, value)?;
    writeln!(stdout)?;
    Ok(())
}

fn today(now: Timestamp) -> String {
    now.date_in_shanghai().to_string()
}
