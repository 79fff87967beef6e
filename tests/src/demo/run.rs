//! The demo city's runner: builds the city of [`super::seed`] under a data directory
//! the first time (a hub for 1309 with its region names and city document — naming
//! 名人社区 the host of 水月寺街道 — three
//! enrolled community nodes holding the seed's records and personal data, 2026H1
//! sealed and each member evaluated; a city viewer and a unit's account), reuses it
//! on later runs, then starts the hub and the nodes on loopback and waits until every
//! node is in sync.
//!
//! The first build happens in a staging directory beside the data directory, renamed
//! into place only when it is complete, so an interrupted first run leaves nothing
//! half-seeded that a second run would mistake for a demo city.

use std::collections::HashMap;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use wishtree_hub::regions::{RegionName, store_names};
use wishtree_hub::run::RunningHub;
use wishtree_hub::state::{Hub, HubOptions};
use wishtree_node::replica::{PrivateRecord, setting};
use wishtree_node::run::RunningNode;
use wishtree_node::store::{MemberPrivate, ResidentPrivate, Store, VolunteerPrivate};
use wishtree_protocol::city::{CampaignRule, CityCommand};
use wishtree_protocol::command::Command;
use wishtree_protocol::id::{CampaignId, MemberId};
use wishtree_protocol::model::EvaluationGrade;
use wishtree_protocol::text::{Detail, Name, Title};
use wishtree_protocol::{CommunityCode, Date, HalfYear, RegionPrefix, Timestamp};

use super::seed::{self, CITY, DISTRICTS, DemoCommunity, STREETS};
use crate::city::{enroll, hub_key, init_hub, init_node, start_hub, start_node, wait_until};

/// The title of the campaign the demo city runs (the Guangzhou rule).
pub const CAMPAIGN_TITLE: &str = "每名党员至少认领一个微心愿";

/// What the runner prints once every node has synced.
pub const IN_SYNC: &str = "the demo city is in sync";

/// The hub's directory inside the data directory; the nodes' are named by their
/// community codes.
const HUB_DIR: &str = "hub";

/// The demo's city viewer: its name, and the file in the hub's directory that keeps
/// its drawn password, so that every run prints it beside the dashboard's address.
pub const VIEWER: &str = "city-viewer";
const VIEWER_FILE: &str = "demo-login.txt";

/// The demo's organisation account, of the unit at [`UNIT_INDEX`] of the city's
/// directory, to try the report-back pages with (its password kept as the viewer's).
pub const UNIT: &str = "unit-fagaiwei";
const UNIT_FILE: &str = "demo-unit-login.txt";

/// The unit of [`UNIT`] in `seed::city_orgs` (沧州市发展和改革委员会党组): its members
/// serve in 龙华里社区.
pub const UNIT_INDEX: usize = 1;

/// The half-year every demo node sealed, with an evaluation of each member.
pub const SEALED: (i32, u8) = (2026, 1);

/// Written first into a staging directory, so that only a directory the runner made
/// is ever removed by it.
const STAGING_MARK: &str = "demo-city-staging";

/// Where the demo city lives and listens.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// The data directory (`./demo-data` by default).
    pub data: PathBuf,
    /// The hub's QUIC address.
    pub hub_quic: SocketAddr,
    /// The hub's dashboard and API.
    pub hub_http: SocketAddr,
    /// The HTTP port of the first node's UI; the others take the next ports. 0 lets
    /// each node take any free port.
    pub first_node_port: u16,
    /// How long [`DemoCity::wait_in_sync`] waits.
    pub sync_limit: Duration,
}

/// A started demo city.
#[derive(Debug)]
pub struct DemoCity {
    /// The hub.
    pub hub: RunningHub,
    /// The password of the city viewer [`VIEWER`].
    pub viewer_password: String,
    /// The password of the organisation account [`UNIT`].
    pub unit_password: String,
    /// The nodes, in the seed's order.
    pub nodes: Vec<DemoNode>,
    /// Whether this run built the city (rather than reusing it).
    pub is_new: bool,
    sync_limit: Duration,
}

/// One started community node of the demo city.
#[derive(Debug)]
pub struct DemoNode {
    /// Its community.
    pub code: CommunityCode,
    /// The community's name.
    pub name: &'static str,
    /// The running node.
    pub node: RunningNode,
}

impl DemoOptions {
    /// The defaults: data in `data`, QUIC on 127.0.0.1:4433, the dashboard on
    /// 127.0.0.1:8080, the nodes on 8081, 8082 and 8083, a minute to get in sync.
    pub fn new(data: &Path) -> Self {
        Self {
            data: data.to_owned(),
            hub_quic: SocketAddr::from(([127, 0, 0, 1], 4433)),
            hub_http: SocketAddr::from(([127, 0, 0, 1], 8080)),
            first_node_port: 8081,
            sync_limit: Duration::from_secs(60),
        }
    }
}

/// Builds the demo city under `options.data` unless it is there already, then starts
/// the hub and the nodes and prints the URLs to open and the hub key on `out`.
pub async fn start(options: &DemoOptions, out: &mut dyn Write) -> anyhow::Result<DemoCity> {
    let is_new = prepare(&options.data, options.hub_quic, out)?;
    let hub_dir = options.data.join(HUB_DIR);
    let viewer_password = std::fs::read_to_string(hub_dir.join(VIEWER_FILE))
        .with_context(|| format!("cannot read the demo's login in {}", hub_dir.display()))?
        .trim()
        .to_owned();
    let unit_password = std::fs::read_to_string(hub_dir.join(UNIT_FILE))
        .with_context(|| format!("cannot read the demo's unit login in {}", hub_dir.display()))?
        .trim()
        .to_owned();
    let hub = start_hub(&hub_dir, options.hub_quic, options.hub_http).await?;
    if let Err(error) = name_regions(&hub) {
        hub.stop().await;
        return Err(error);
    }
    // The nodes were told the hub's address when they were made; on port 0 or with
    // other ports than then, it moved.
    let hub_address = connect_address(hub.quic_addr);
    let communities = seed::demo_city(&mut counter_ids([0; 8]));
    let mut nodes = Vec::with_capacity(communities.len());
    for (index, community) in communities.iter().enumerate() {
        let dir = options.data.join(community.code.to_string());
        point_at_hub(&dir, hub_address)?;
        let port = match options.first_node_port {
            0 => 0,
            first => u16::try_from(index)
                .ok()
                .and_then(|index| first.checked_add(index))
                .context("--first-node-port is too high for three nodes")?,
        };
        let http = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port);
        let node = match start_node(&dir, http).await {
            Ok(node) => node,
            Err(error) => {
                for started in nodes {
                    DemoNode::stop(started).await;
                }
                hub.stop().await;
                return Err(error.context(format!("cannot start the node of {}", community.name)));
            }
        };
        nodes.push(DemoNode {
            code: community.code,
            name: community.name,
            node,
        });
    }
    writeln!(out)?;
    writeln!(out, "open in a browser:")?;
    writeln!(
        out,
        "  hub dashboard ({})  http://{}/  login: {VIEWER} / {viewer_password}",
        CITY.1, hub.http_addr
    )?;
    let (unit_code, unit_name) = seed::city_orgs()
        .into_iter()
        .nth(UNIT_INDEX)
        .context("the demo's unit is in the city's directory")?;
    writeln!(
        out,
        "  unit report-back ({unit_name}, {}H{})  http://{}/orgs/{unit_code}/reports  login: {UNIT} / {unit_password}",
        SEALED.0, SEALED.1, hub.http_addr
    )?;
    for (node, community) in nodes.iter().zip(&communities) {
        writeln!(
            out,
            "  {} ({}{}, {})  http://{}/",
            node.name, community.district, community.street, node.code, node.node.http_addr
        )?;
    }
    if let Some(first) = nodes.first() {
        match member_card_link(&first.node, hub.http_addr).await {
            Ok(Some(link)) => writeln!(
                out,
                "  a member's card, to open on a phone (after the first sync): {link}"
            )?,
            Ok(None) => {}
            Err(error) => writeln!(out, "  no member card: {error:#}")?,
        }
        // The resident's poster: the node prints it at /poster; its link opens the
        // hub's wish form for the community.
        writeln!(
            out,
            "  a resident's poster link, to open on a phone (after the first sync): http://{}/m/wish/new?c={}  (the node's printable poster: http://{}/poster)",
            hub.http_addr, first.code, first.node.http_addr
        )?;
    }
    writeln!(out, "hub key: {}", hub.key)?;
    writeln!(out, "nodes connect to the hub at {}", hub.quic_addr)?;
    Ok(DemoCity {
        hub,
        viewer_password,
        unit_password,
        nodes,
        is_new,
        sync_limit: options.sync_limit,
    })
}

/// Issues a card to the first member of `node` (a new one each run: a card's secret is
/// shown once) and answers its link at the hub's page `/m/card`.
async fn member_card_link(
    node: &RunningNode,
    hub_http: SocketAddr,
) -> anyhow::Result<Option<String>> {
    let mut replica = node.replica.lock().await;
    let Some(member) = replica.view()?.members.keys().next().copied() else {
        return Ok(None);
    };
    let new = wishtree_node::api::NewCard { valid_days: 30 };
    let card = wishtree_node::api::issue_card(
        &mut replica,
        &member.to_string(),
        new,
        wishtree_node::now(),
    )
    .map_err(|error| anyhow::anyhow!(error.message()))?;
    let text = card["text"].as_str().unwrap_or_default();
    Ok(Some(format!("http://{hub_http}/m/card#{text}")))
}

impl DemoNode {
    async fn stop(self) {
        self.node.stop().await;
    }
}

impl DemoCity {
    /// Waits until every node is connected and the hub holds all its changes, for at
    /// most the limit of the options, then says so on `out`.
    pub async fn wait_in_sync(&self, out: &mut dyn Write) -> anyhow::Result<()> {
        writeln!(out, "syncing the three communities with the hub…")?;
        wait_until(self.sync_limit, "every node to sync with the hub", || {
            self.nodes.iter().all(|node| is_in_sync(&node.node))
        })
        .await?;
        writeln!(out, "{IN_SYNC}")?;
        Ok(())
    }

    /// Stops the nodes (each says Bye to the hub), then the hub.
    pub async fn stop(self) {
        for node in self.nodes {
            node.stop().await;
        }
        self.hub.stop().await;
    }
}

/// Makes the demo city in `data` unless it holds one. Returns whether it made it.
pub fn prepare(data: &Path, hub_quic: SocketAddr, out: &mut dyn Write) -> anyhow::Result<bool> {
    if data
        .join(HUB_DIR)
        .join(wishtree_hub::data_dir::KEY_FILE)
        .exists()
    {
        writeln!(
            out,
            "reusing the demo city in {} (delete it to start afresh)",
            data.display()
        )?;
        return Ok(false);
    }
    if data.exists() && !is_empty_dir(data)? {
        bail!(
            "{} holds something other than a demo city; give --data a new or empty directory",
            data.display()
        );
    }
    let staging = staging_dir(data)?;
    if staging.exists() {
        if !staging.join(STAGING_MARK).exists() {
            bail!(
                "{} is in the way of the demo city's setup; move it away",
                staging.display()
            );
        }
        // An earlier first run was interrupted; what it left is incomplete.
        std::fs::remove_dir_all(&staging)
            .with_context(|| format!("cannot remove {}", staging.display()))?;
    }
    std::fs::create_dir_all(&staging)
        .with_context(|| format!("cannot create {}", staging.display()))?;
    std::fs::write(staging.join(STAGING_MARK), "")
        .with_context(|| format!("cannot write in {}", staging.display()))?;

    writeln!(
        out,
        "creating the demo city {} ({}) in {}",
        CITY.1,
        CITY.0,
        data.display()
    )?;
    build(&staging, connect_address(hub_quic), out)?;
    std::fs::remove_file(staging.join(STAGING_MARK))
        .with_context(|| format!("cannot write in {}", staging.display()))?;
    if data.exists() {
        // Empty, checked above; rename cannot replace it on every platform.
        std::fs::remove_dir(data).with_context(|| format!("cannot replace {}", data.display()))?;
    }
    std::fs::rename(&staging, data)
        .with_context(|| format!("cannot move {} to {}", staging.display(), data.display()))?;
    writeln!(out, "the demo city is ready in {}", data.display())?;
    Ok(true)
}

/// Builds the hub and the nodes in `dir`.
fn build(dir: &Path, hub_address: SocketAddr, out: &mut dyn Write) -> anyhow::Result<()> {
    let hub_dir = dir.join(HUB_DIR);
    init_hub(&hub_dir, CITY.0)?;
    build_hub(&hub_dir)?;
    // The dashboard needs an account: a city viewer, its password kept beside the
    // hub (readable by its owner only) for the runs to come.
    let viewer = crate::city::add_city_viewer(&hub_dir, VIEWER)?;
    let mut file = wishtree_common::key_file::create_private(&hub_dir.join(VIEWER_FILE))
        .context("cannot keep the demo's login")?;
    writeln!(file, "{}", viewer.password).context("cannot keep the demo's login")?;
    let (unit_code, _) = seed::city_orgs()
        .into_iter()
        .nth(UNIT_INDEX)
        .context("the demo's unit is in the city's directory")?;
    let unit = crate::city::add_account(&hub_dir, "org", unit_code.as_str(), UNIT)?;
    let mut file = wishtree_common::key_file::create_private(&hub_dir.join(UNIT_FILE))
        .context("cannot keep the demo's unit login")?;
    writeln!(file, "{}", unit.password).context("cannot keep the demo's unit login")?;
    writeln!(
        out,
        "hub: named {} and its {} districts and {} streets; city document with {} organisations and the campaign {CAMPAIGN_TITLE}",
        CITY.1,
        DISTRICTS.len(),
        STREETS.len(),
        seed::city_orgs().len()
    )?;
    let key = hub_key(&hub_dir)?;
    let salt = wishtree_node::replica::random_bytes::<8>()?;
    for community in seed::demo_city(&mut counter_ids(salt)) {
        let node_dir = dir.join(community.code.to_string());
        let records = seed_node(&node_dir, &hub_dir, &community, hub_address, key)?;
        writeln!(
            out,
            "{} ({}{}, {}): node created and enrolled, {records} records written by {}, personal data of {} members, {} residents and {} volunteers",
            community.name,
            community.district,
            community.street,
            community.code,
            community.worker,
            community.private_members.len(),
            community.private_residents.len(),
            community.private_volunteers.len()
        )?;
    }
    Ok(())
}

/// Writes the city document, with the hub not running.
fn build_hub(hub_dir: &Path) -> anyhow::Result<()> {
    let store = Arc::new(wishtree_hub::data_dir::open_store(hub_dir)?);
    let key =
        wishtree_hub::identity::read_key_file(&hub_dir.join(wishtree_hub::data_dir::KEY_FILE))?;
    let city = wishtree_hub::run::city_of(store.as_ref(), hub_dir)?;
    let hub = Hub::new(
        store,
        key,
        city,
        Arc::new(wishtree_hub::metrics::Metrics::new()),
        HubOptions::default(),
    )?;
    let now = crate::city::now();
    let mut commands = vec![CityCommand::SetName {
        name: Name::parse("name", CITY.1)?,
    }];
    for ((credit_code, name), members) in seed::city_orgs().into_iter().zip(seed::DECLARED_MEMBERS)
    {
        commands.push(CityCommand::PutOrg {
            credit_code,
            name: Name::parse("name", name)?,
        });
        commands.push(CityCommand::DeclareMembers {
            credit_code,
            in_service_members: members,
        });
    }
    let (from, to) = (Date::new(2026, 1, 1), Date::new(2026, 12, 31));
    commands.push(CityCommand::AddCampaign {
        id: CampaignId::from_bytes(wishtree_node::replica::random_bytes()?),
        title: Title::parse("title", CAMPAIGN_TITLE)?,
        rule: CampaignRule::MemberClaimsWish,
        minimum: 1,
        from: from.context("the campaign's first day")?,
        to: to.context("the campaign's last day")?,
    });
    for (street, host) in seed::STREET_HOSTS {
        commands.push(CityCommand::DesignateStreetHost {
            street: street.parse()?,
            community: host.parse()?,
        });
    }
    for command in &commands {
        hub.execute_city(command, now)?;
    }
    Ok(())
}

/// Names the city, its districts and its streets as `wishtree-hub region name` does.
/// Naming is an upsert, so every start does it.
fn name_regions(hub: &RunningHub) -> anyhow::Result<()> {
    let city: RegionPrefix = CITY
        .0
        .parse()
        .map_err(|error| anyhow::anyhow!("bad demo city {}: {error}", CITY.0))?;
    let names = std::iter::once(CITY)
        .chain(DISTRICTS)
        .chain(STREETS)
        .map(|(code, name)| RegionName::parse(&city, code, name))
        .collect::<Result<Vec<_>, _>>()?;
    store_names(hub.hub().figures(), &names)?;
    Ok(())
}

/// Creates, enrolls and fills the node of one community. Returns how many commands
/// it wrote.
fn seed_node(
    node_dir: &Path,
    hub_dir: &Path,
    community: &DemoCommunity,
    hub_address: SocketAddr,
    hub_key: wishtree_protocol::keys::PublicKey,
) -> anyhow::Result<usize> {
    let mut replica = init_node(
        node_dir,
        community.code,
        community.name,
        community.worker,
        hub_address,
        hub_key,
    )?;
    enroll(hub_dir, community.code, replica.public_key())?;
    // Each record's personal data by its id's bytes: the member's, the resident's (by
    // their wish), the volunteer's.
    let members = community
        .private_members
        .iter()
        .map(|(id, address, phone)| {
            let data = MemberPrivate {
                address: address.clone(),
                phone: phone.clone(),
            };
            (*id.as_bytes(), PrivateRecord::Member { id: *id, data })
        });
    let residents = community
        .private_residents
        .iter()
        .map(|(wish, name, phone)| {
            let data = ResidentPrivate {
                real_name: name.clone(),
                phone: phone.clone(),
                address: String::new(),
            };
            (
                *wish.as_bytes(),
                PrivateRecord::Resident { wish: *wish, data },
            )
        });
    let volunteers = community
        .private_volunteers
        .iter()
        .map(|(id, name, phone)| {
            let data = VolunteerPrivate {
                name: name.clone(),
                phone: phone.clone(),
            };
            (*id.as_bytes(), PrivateRecord::Volunteer { id: *id, data })
        });
    let personal: HashMap<[u8; 16], PrivateRecord> =
        members.chain(residents).chain(volunteers).collect();
    for (index, (days_ago, command)) in community.commands.iter().enumerate() {
        let at = stamp(*days_ago, index);
        let private = match command {
            Command::AddMember { id, .. } => personal.get(id.as_bytes()),
            Command::SubmitWish { id, .. } => personal.get(id.as_bytes()),
            Command::AddVolunteer { id, .. } => personal.get(id.as_bytes()),
            _ => None,
        };
        match private {
            Some(private) => replica.execute_with_private(command, private, at),
            None => replica.execute(command, at),
        }
        .with_context(|| format!("{}: cannot apply {command:?}", community.name))?;
    }
    let closing = seal_and_evaluate(&mut replica, community.commands.len())?;
    Ok(community.commands.len() + closing)
}

/// Seals [`SEALED`] and records the community's evaluation of every member, as a
/// worker closing the half-year does (报到—服务—报告). Returns how many commands.
fn seal_and_evaluate(
    replica: &mut wishtree_node::replica::Replica,
    index: usize,
) -> anyhow::Result<usize> {
    let period = HalfYear::new(SEALED.0, SEALED.1).context("the demo's sealed half-year")?;
    let at = stamp(0, index);
    replica.seal(period, at)?;
    let members: Vec<MemberId> = replica.view()?.members.keys().copied().collect();
    let grades = [
        (
            EvaluationGrade::Excellent,
            "积极参加社区服务，认领微心愿及时兑现",
        ),
        (EvaluationGrade::Qualified, "按时到社区报到，参加志愿服务"),
    ];
    for (offset, member) in members.iter().enumerate() {
        let (grade, comment) = grades[offset % grades.len()];
        let evaluate = Command::Evaluate {
            member: *member,
            period,
            grade,
            comment: Detail::parse("comment", comment)?,
        };
        replica.execute(&evaluate, stamp(0, index + 1 + offset))?;
    }
    Ok(1 + members.len())
}

/// When a seed command happened: at 9 in the morning, Shanghai time, `days_ago` days
/// before the seed's reference day, a millisecond after the command before it.
fn stamp(days_ago: u32, index: usize) -> Timestamp {
    const HOUR: i64 = 3_600_000;
    const DAY: i64 = 24 * HOUR;
    seed::date_days_ago(0)
        .start_in_shanghai()
        .plus_millis(9 * HOUR - i64::from(days_ago) * DAY + index as i64)
}

/// Ids for the seed: the salt, then a counter. A fresh salt per city keeps ids of two
/// demo cities apart; within one, the counter keeps them distinct.
fn counter_ids(salt: [u8; 8]) -> impl FnMut() -> [u8; 16] {
    let mut counter = 0u64;
    move || {
        counter += 1;
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&salt);
        bytes[8..].copy_from_slice(&counter.to_be_bytes());
        bytes
    }
}

/// Writes the hub's current address into a stopped node's settings.
fn point_at_hub(node_dir: &Path, hub_address: SocketAddr) -> anyhow::Result<()> {
    let path = node_dir.join(wishtree_node::replica::DATABASE_FILE);
    let mut store = Store::open(&path).with_context(|| {
        format!(
            "{} is not a node of the demo city; delete the demo data to start afresh",
            node_dir.display()
        )
    })?;
    let address = hub_address.to_string();
    if store.setting(setting::HUB_ADDRESS)?.as_deref() != Some(address.as_str()) {
        let transaction = store.transaction()?;
        transaction.put_setting(setting::HUB_ADDRESS, &address)?;
        transaction.commit()?;
    }
    Ok(())
}

/// Where a node on this machine reaches a hub listening on `listening`.
fn connect_address(listening: SocketAddr) -> SocketAddr {
    if listening.ip().is_unspecified() {
        SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), listening.port())
    } else {
        listening
    }
}

fn is_in_sync(node: &RunningNode) -> bool {
    node.replica
        .try_lock()
        .map(|mut replica| {
            let status = replica.sync_status();
            status.hub_connected && status.changes_not_at_hub == 0
        })
        .unwrap_or(false)
}

fn is_empty_dir(dir: &Path) -> anyhow::Result<bool> {
    let mut entries =
        std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
    Ok(entries.next().is_none())
}

/// `demo-data` → `demo-data.partial`, beside it.
fn staging_dir(data: &Path) -> anyhow::Result<PathBuf> {
    let name = data.file_name().with_context(|| {
        format!(
            "{} names no directory; give --data a directory name such as ./demo-data",
            data.display()
        )
    })?;
    let mut staging = name.to_owned();
    staging.push(".partial");
    Ok(data.with_file_name(staging))
}
