//! Setting up a city on this machine: a hub data directory, enrolled community nodes,
//! and starting them in-process on loopback. The end-to-end tests and the demo city
//! both use it, through the same library calls the binaries make.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use automerge::ChangeHash;
use clap::Parser;
use wishtree_hub::run::{RunOptions, RunningHub};
use wishtree_hub::store::EnrolledRole;
use wishtree_node::replica::{HubSettings, InitOptions, Replica};
use wishtree_node::run::RunningNode;
use wishtree_node::sync::SyncOptions;
use wishtree_protocol::command::{Command, MemberFields};
use wishtree_protocol::id::{MemberId, WishId};
use wishtree_protocol::keys::PublicKey;
use wishtree_protocol::text::{Label, Name};
use wishtree_protocol::{CommunityCode, Timestamp};

/// Creates a hub in `dir` for `city` (e.g. `1309`), as `wishtree-hub init` does.
pub fn init_hub(dir: &Path, city: &str) -> anyhow::Result<()> {
    init_hub_on(dir, city, None)
}

/// [`init_hub`] with its documents in the PostgreSQL `store`, if one is given.
pub fn init_hub_on(dir: &Path, city: &str, store: Option<&str>) -> anyhow::Result<()> {
    let data = dir.display().to_string();
    let mut line = vec!["wishtree-hub", "init", "--data", &data, "--city", city];
    if let Some(store) = store {
        line.extend(["--store", store]);
    }
    wishtree_hub::cli::run(wishtree_hub::cli::Cli::try_parse_from(line)?)
}

/// A city viewer of the hub in `dir`: the name and password it logs in with, and the
/// `Authorization` header value of a token for the API.
#[derive(Debug, Clone)]
pub struct CityViewer {
    /// The account's name.
    pub name: String,
    /// Its password, drawn when it was made.
    pub password: String,
    /// `Bearer …`, for the JSON/CSV API.
    pub authorization: String,
}

/// Creates a city viewer `name` at the hub in `dir` (with a drawn password and a token),
/// through the same calls `wishtree-hub account add` and `account token` make.
pub fn add_city_viewer(dir: &Path, name: &str) -> anyhow::Result<CityViewer> {
    add_city_viewer_on(dir, None, name)
}

/// [`add_city_viewer`] for a hub whose store may be PostgreSQL (`store`, the address
/// its `--store` takes): the accounts are the shared store's then.
pub fn add_city_viewer_on(
    dir: &Path,
    store: Option<&str>,
    name: &str,
) -> anyhow::Result<CityViewer> {
    let local = wishtree_hub::data_dir::open_store(dir)?;
    let city = wishtree_hub::run::city_of(&local, dir)?;
    drop(local);
    add_account_on(dir, store, "city", city.as_str(), name)
}

/// Creates an account `name` of `role` (`city`, `district`, `street`, `org`) over
/// `scope` (a region code, or an organisation's credit code) at the hub in `dir`, with
/// a drawn password and a token, as `wishtree-hub account add` and `account token` do.
pub fn add_account(dir: &Path, role: &str, scope: &str, name: &str) -> anyhow::Result<CityViewer> {
    add_account_on(dir, None, role, scope, name)
}

/// [`add_account`] for a hub whose store may be PostgreSQL (`store`).
pub fn add_account_on(
    dir: &Path,
    store: Option<&str>,
    role: &str,
    scope: &str,
    name: &str,
) -> anyhow::Result<CityViewer> {
    use wishtree_hub::accounts::{self, NewAccount};
    let stores = wishtree_hub::data_dir::open_stores(dir, store)?;
    let city = wishtree_hub::run::city_of(stores.local.as_ref(), dir)?;
    let account = NewAccount::parse(&city, role, scope, name)?;
    let password = accounts::draw_password()?;
    accounts::create_account(stores.accounts.as_ref(), &account, &password, now())?;
    let (_, token) = accounts::issue_token(stores.accounts.as_ref(), name, now())?;
    Ok(CityViewer {
        name: name.to_owned(),
        password,
        authorization: format!("Bearer {}", token.as_str()),
    })
}

/// The key of the hub in `dir`.
pub fn hub_key(dir: &Path) -> anyhow::Result<PublicKey> {
    Ok(
        wishtree_hub::identity::read_key_file(&dir.join(wishtree_hub::data_dir::KEY_FILE))?
            .public(),
    )
}

/// Enrolls a node's key for its community at the hub in `dir`.
pub fn enroll(dir: &Path, community: CommunityCode, key: PublicKey) -> anyhow::Result<()> {
    enroll_on(dir, community, key, None)
}

/// [`enroll`] at a hub whose documents are in the PostgreSQL `store`, if one is given.
pub fn enroll_on(
    dir: &Path,
    community: CommunityCode,
    key: PublicKey,
    store: Option<&str>,
) -> anyhow::Result<()> {
    let store = wishtree_hub::data_dir::open_stores(dir, store)?.store;
    store.enroll(
        key,
        EnrolledRole::Node { community },
        wishtree_hub::clock::now(),
    )?;
    Ok(())
}

/// Creates a community node in `dir` that syncs with the hub at `hub_address`.
pub fn init_node(
    dir: &Path,
    community: CommunityCode,
    name: &str,
    worker: &str,
    hub_address: SocketAddr,
    hub_key: PublicKey,
) -> anyhow::Result<Replica> {
    let options = InitOptions {
        community,
        name: Name::parse("name", name)?,
        hub: Some(HubSettings {
            address: hub_address.to_string(),
            key: hub_key,
            level: wishtree_node::replica::HubLevel::City,
        }),
        password: None,
        worker: Some(Name::parse("worker", worker)?),
    };
    Replica::init(dir, &options, wishtree_node::now())
        .with_context(|| format!("cannot create the node in {}", dir.display()))
}

/// Starts the hub in `dir` with QUIC and HTTP on the given addresses (port 0 for any).
pub async fn start_hub(
    dir: &Path,
    quic: SocketAddr,
    http: SocketAddr,
) -> anyhow::Result<RunningHub> {
    start_hub_on(dir, quic, http, None).await
}

/// [`start_hub`] with its documents in the PostgreSQL `store`, if one is given.
pub async fn start_hub_on(
    dir: &Path,
    quic: SocketAddr,
    http: SocketAddr,
    store: Option<&str>,
) -> anyhow::Result<RunningHub> {
    let mut options = RunOptions::new(dir);
    options.quic = quic;
    options.http = http;
    options.store = store.map(str::to_owned);
    wishtree_hub::run::start(options).await
}

/// Starts the hub in `dir` again on the addresses a stopped hub held. `stop` returns
/// once every session closed, but quinn's endpoint driver releases the UDP socket on
/// its next poll, a moment later; until then the bind fails with `AddrInUse`, which is
/// retried for at most ten seconds (a restarted process has no such wait: the OS frees
/// the socket when it exits).
pub async fn restart_hub(
    dir: &Path,
    quic: SocketAddr,
    http: SocketAddr,
) -> anyhow::Result<RunningHub> {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match start_hub(dir, quic, http).await {
            Err(error)
                if format!("{error:#}").contains("Address already in use")
                    && tokio::time::Instant::now() < deadline =>
            {
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            started => return started,
        }
    }
}

/// Starts the node in `dir`, its HTTP on `http`.
pub async fn start_node(dir: &Path, http: SocketAddr) -> anyhow::Result<RunningNode> {
    wishtree_node::run::start(dir, http, SyncOptions::default()).await
}

/// Loopback, any port.
pub fn any_port() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// Waits until `done` holds, checking every 20 ms, for at most `limit`. Used where the
/// condition lives across processes or threads with no event to wait on; the limit
/// makes a test fail instead of hang.
pub async fn wait_until(
    limit: Duration,
    what: &str,
    mut done: impl FnMut() -> bool,
) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + limit;
    while !done() {
        if tokio::time::Instant::now() > deadline {
            anyhow::bail!("waited {} s for {what}", limit.as_secs());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

/// Now, by the system clock.
pub fn now() -> Timestamp {
    wishtree_node::now()
}

/// Records a member on a running node, as a worker would, and returns the node's heads,
/// sorted: the change every sync test watches travel.
pub async fn add_member(node: &RunningNode, name: &str) -> Vec<ChangeHash> {
    record_member(node, name).await;
    let mut heads = node.replica.lock().await.heads();
    heads.sort();
    heads
}

/// Records a member on a running node, as a worker would, and returns the member's id.
pub async fn record_member(node: &RunningNode, name: &str) -> MemberId {
    let mut replica = node.replica.lock().await;
    let mut id = [0u8; 16];
    getrandom::fill(&mut id).expect("the system has randomness");
    let id = MemberId::from_bytes(id);
    let command = Command::AddMember {
        id,
        member: MemberFields {
            name: Name::parse("name", name).expect("a test name is a name"),
            work_unit: Label::parse("work_unit", "沧州市发展和改革委员会").expect("a label"),
            org: None,
            position: Label::parse("position", "科员").expect("a label"),
            specialties: Vec::new(),
            intentions: Vec::new(),
            reported_in: "2026-03-01".parse().expect("a date"),
            branch: None,
            team: None,
        },
    };
    replica
        .execute(&command, wishtree_node::now())
        .expect("the node records the member");
    id
}

/// Creates a node of `community` beside the hub's directory, enrolls it at the hub and
/// starts it.
pub async fn enrolled_node(
    hub: &RunningHub,
    hub_dir: &Path,
    community: CommunityCode,
) -> anyhow::Result<RunningNode> {
    let dir = hub_dir
        .parent()
        .context("the hub's directory has a parent")?
        .join(community.to_string());
    let replica = init_node(
        &dir,
        community,
        "名人社区",
        "张书记",
        hub.quic_addr,
        hub_key(hub_dir)?,
    )?;
    enroll(hub_dir, community, replica.public_key())?;
    drop(replica);
    start_node(&dir, any_port()).await
}

/// Waits until the hub holds everything the node wrote, for at most `limit`.
pub async fn hub_holds_node(
    hub: &RunningHub,
    node: &RunningNode,
    community: CommunityCode,
    limit: Duration,
) -> anyhow::Result<()> {
    let mut heads = node.replica.lock().await.heads();
    heads.sort();
    wait_until(limit, "the node's writes to reach the hub", || {
        let mut held = hub
            .hub()
            .heads(wishtree_protocol::frame::DocId::Community(community))
            .unwrap_or_default();
        held.sort();
        held == heads
    })
    .await
}

/// A wish recorded on the node, published (the green apple) if `publish`, else left
/// `submitted`.
pub async fn wish_on(node: &RunningNode, title: &str, publish: bool) -> WishId {
    let mut replica = node.replica.lock().await;
    let now = wishtree_node::now();
    let body = serde_json::json!({
        "title": title, "detail": "母亲重病，想更快热饭", "kind": "goods",
        "group": "disabled", "resident_label": "行宫社区 彭女士",
    });
    let new = <wishtree_node::api::NewWish as wishtree_node::api::Input>::from_json(body, now)
        .expect("a valid wish");
    let wish =
        wishtree_node::api::create_wish(&mut replica, new, now).expect("the wish is recorded");
    let id = wish["id"].as_str().expect("the wish has an id").to_owned();
    if publish {
        let action = wishtree_node::api::Action {
            by: None,
            note: wishtree_protocol::text::Detail::parse("note", "").expect("an empty note"),
        };
        wishtree_node::api::WISHES
            .act(&mut replica, &id, "publish", action, now)
            .expect("the wish is published");
    }
    id.parse().expect("a wish id")
}

/// A member card the node issues to `member`: its text, for a phone's link.
pub async fn card_for(node: &RunningNode, member: MemberId) -> String {
    let mut replica = node.replica.lock().await;
    let new = wishtree_node::api::NewCard { valid_days: 730 };
    let card = wishtree_node::api::issue_card(
        &mut replica,
        &member.to_string(),
        new,
        wishtree_node::now(),
    )
    .expect("the card is issued");
    card["text"].as_str().expect("the card's text").to_owned()
}
