//! A running hub: the QUIC endpoint with its sync sessions, the figures worker, the
//! HTTP dashboard and API and the admin socket, started together and stopped together.
//!
//! [`start`] is what `wishtree-hub run` calls and what the end-to-end tests call on
//! port 0; it returns once both endpoints are bound, with their real addresses.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::sync::watch;
use tokio::task::JoinSet;
use wishtree_protocol::RegionPrefix;
use wishtree_protocol::keys::{KeyPair, PublicKey};
use wishtree_webguard::HostName;

use crate::data_dir::{DATABASE_FILE, HubStores, KEY_FILE, open_stores};
use crate::figure_store::FigureStore;
use crate::figures::refresh_worker;
use crate::http::{self, HubHttpState};
use crate::identity::read_key_file;
use crate::metrics::Metrics;
use crate::sql::{DbExt, params};
use crate::state::{Hub, HubOptions};
use crate::store::{HubStore, SqliteStore};
use crate::sync::{ServeOptions, Upstream, run_upstream, serve_quic};
use wishtree_protocol::CommunityCode;

/// The setting that names the hub's city (its region code prefix).
pub const CITY_SETTING: &str = "city";

/// The settings that make a hub a district hub under another (see [`upstream_of`]).
pub const UPSTREAM_ADDRESS: &str = "upstream_address";
/// The pinned key of the hub above.
pub const UPSTREAM_KEY: &str = "upstream_key";
/// The region a district hub serves.
pub const DISTRICT: &str = "district";

/// How often the hub looks for city-document and roster changes written by its
/// commands (`city`, `enroll`, `revoke`), which run as other processes.
const CITY_POLL: Duration = Duration::from_secs(2);

/// What to start.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The hub's data directory.
    pub data: PathBuf,
    /// Where the QUIC endpoint listens.
    pub quic: SocketAddr,
    /// Where the dashboard and API listen.
    pub http: SocketAddr,
    /// Where `/metrics` listens on its own, open to whoever reaches it (for a
    /// Prometheus on the hub's machine or a monitoring network); `None` serves it
    /// beside the dashboard, also open, at `http`.
    pub metrics: Option<SocketAddr>,
    /// Names besides localhost and the bound address that the dashboard answers to
    /// (a request naming any other host is refused, against DNS rebinding).
    pub http_hosts: Vec<HostName>,
    /// Bounds of the QUIC endpoint.
    pub serve: ServeOptions,
    /// Bounds of the document cache, and the hub's clock (the system's unless a test
    /// sets one).
    pub hub: HubOptions,
    /// The PostgreSQL store (`postgres://…`) the hub keeps its documents in, shared
    /// with other hub processes; `None` for the data directory's SQLite file.
    pub store: Option<String>,
}

impl RunOptions {
    /// The defaults of DESIGN §9 for a data directory: QUIC on 0.0.0.0:4433, HTTP on
    /// 127.0.0.1:8080.
    pub fn new(data: &Path) -> Self {
        Self {
            data: data.to_owned(),
            quic: SocketAddr::from(([0, 0, 0, 0], 4433)),
            http: SocketAddr::from(([127, 0, 0, 1], 8080)),
            metrics: None,
            http_hosts: Vec::new(),
            serve: ServeOptions::default(),
            hub: HubOptions::default(),
            store: None,
        }
    }
}

/// A started hub. Dropping it without [`RunningHub::stop`] aborts its tasks.
#[derive(Debug)]
pub struct RunningHub {
    /// The bound QUIC address.
    pub quic_addr: SocketAddr,
    /// The bound HTTP address.
    pub http_addr: SocketAddr,
    /// The bound address of `/metrics` on its own, if asked for.
    pub metrics_addr: Option<SocketAddr>,
    /// The hub's key, which nodes pin.
    pub key: PublicKey,
    hub: Arc<Hub>,
    shutdown: watch::Sender<bool>,
    tasks: JoinSet<()>,
    /// `hub.lock`, held while the hub runs, so that no offline import writes beside it
    /// (an import hands its bundle to the running hub instead).
    _lock: std::fs::File,
}

/// The city a hub's store names, or an error saying how to set it.
pub fn city_of(store: &(impl HubStore + ?Sized), data: &Path) -> anyhow::Result<RegionPrefix> {
    let text = store.setting(CITY_SETTING)?.with_context(|| {
        format!(
            "the hub in {} has no city: run `wishtree-hub init --data {} --city CODE` on a new directory",
            data.display(),
            data.display()
        )
    })?;
    text.parse()
        .map_err(|error| anyhow::anyhow!("the stored city code {text:?} is not valid: {error}"))
}

/// The hub above this one, if this is a district hub.
pub fn upstream_of(store: &(impl HubStore + ?Sized)) -> anyhow::Result<Option<Upstream>> {
    let (Some(address), Some(key), Some(scope)) = (
        store.setting(UPSTREAM_ADDRESS)?,
        store.setting(UPSTREAM_KEY)?,
        store.setting(DISTRICT)?,
    ) else {
        return Ok(None);
    };
    Ok(Some(Upstream {
        address,
        key: key
            .parse()
            .map_err(|error| anyhow::anyhow!("the stored upstream key is not valid: {error}"))?,
        scope: scope
            .parse()
            .map_err(|error| anyhow::anyhow!("the stored district is not valid: {error}"))?,
    }))
}

/// The setting of a shared store naming the key of the hub its processes share: nodes
/// pin one key, and reach any of the processes.
pub const HUB_KEY_SETTING: &str = "hub_key";

/// Checks, before `init` writes anything, that a hub of `city` whose key is `key` (or
/// a new one, `None`) may use the shared store: one that holds another city's hub, or
/// another key's, is refused (every process of one hub has the same key: copy
/// `hub.key` from the data directory of the first).
pub fn check_shared_store(
    store: &dyn HubStore,
    key: Option<&PublicKey>,
    city: &RegionPrefix,
) -> anyhow::Result<()> {
    if let Some(held) = store.setting(CITY_SETTING)?
        && held != city.as_str()
    {
        anyhow::bail!(
            "the PostgreSQL store holds the hub of city {held}, not {}",
            city.as_str()
        );
    }
    match (store.setting(HUB_KEY_SETTING)?, key) {
        (Some(held), None) => anyhow::bail!(
            "the PostgreSQL store belongs to the hub with key {held}: every process of one hub has the same key; copy hub.key from the first process's data directory into this one before `init`"
        ),
        (Some(held), Some(key)) if held != key.to_string() => anyhow::bail!(
            "the PostgreSQL store belongs to the hub with key {held}, and this data directory has {key}: every process of one hub has the same key; copy hub.key from the first process's data directory before `init`"
        ),
        _ => Ok(()),
    }
}

/// The hub of a data directory for a command that changes its documents without
/// serving (`city`, `import`): the key and the city from the directory, the system
/// clock, metrics of its own.
pub fn command_hub(data: &Path, stores: HubStores) -> anyhow::Result<Arc<Hub>> {
    let key = read_key_file(&data.join(KEY_FILE))?;
    let city = city_of(stores.store.as_ref(), data)?;
    Ok(Hub::with_stores(
        stores.store,
        stores.figures,
        stores.local,
        key,
        city,
        Arc::new(Metrics::new()),
        HubOptions::default(),
    )?)
}

/// Starts a hub from its data directory. Returns once it listens.
pub async fn start(options: RunOptions) -> anyhow::Result<RunningHub> {
    let HubStores {
        store,
        accounts,
        figures,
        local,
    } = open_stores(&options.data, options.store.as_deref())?;
    let lock = crate::lock::lock_data_dir(
        &options.data,
        "one hub runs per data directory; wait for the import to finish, or stop the other hub",
    )?;
    let key = read_key_file(&options.data.join(KEY_FILE))?;
    let city = city_of(store.as_ref(), &options.data)?;
    if store.is_shared() {
        check_shared_store(store.as_ref(), Some(&key.public()), &city)?;
    }
    let metrics = Arc::new(Metrics::new());
    let hub = Hub::with_stores(
        Arc::clone(&store),
        figures,
        local,
        KeyPair::from_secret(key.secret()),
        city.clone(),
        Arc::clone(&metrics),
        options.hub.clone(),
    )?;
    let endpoint = wishtree_net::server_endpoint(options.quic, &key, &options.serve.endpoint)
        .with_context(|| format!("cannot listen for nodes on {}", options.quic))?;
    let quic_addr = endpoint
        .local_addr()
        .context("the QUIC endpoint has no address")?;
    let listener = tokio::net::TcpListener::bind(options.http)
        .await
        .with_context(|| format!("cannot listen for the dashboard on {}", options.http))?;
    let http_addr = listener.local_addr()?;
    let upstream = upstream_of(store.as_ref())?;
    let scope = upstream
        .as_ref()
        .map_or_else(|| city.clone(), |upstream| upstream.scope.clone());
    let database = options.data.join(DATABASE_FILE);
    // On a shared store the accounts are the store's, for every process alike; a hub
    // of one process keeps them in its own file, on a connection of their own, so that
    // a request's session lookup does not wait behind a merge's commit on the store's.
    let state = if store.is_shared() {
        HubHttpState::with_accounts(&database, Arc::clone(&metrics), accounts)?
    } else {
        HubHttpState::new(&database, Arc::clone(&metrics))?
    };
    let mut state = state
        .with_scope(scope)
        .with_clock(hub.clock().clone())
        .with_figures(hub.figures())
        .with_hub(Arc::clone(&hub));
    let metrics_listener = match options.metrics {
        Some(address) => {
            state = state.without_metrics();
            Some(
                tokio::net::TcpListener::bind(address)
                    .await
                    .with_context(|| format!("cannot listen for /metrics on {address}"))?,
            )
        }
        None => None,
    };
    let metrics_addr = match &metrics_listener {
        Some(listener) => Some(listener.local_addr()?),
        None => None,
    };

    let (shutdown, watcher) = watch::channel(false);
    let mut tasks = JoinSet::new();
    tasks.spawn(serve_quic(
        Arc::clone(&hub),
        endpoint,
        options.serve.clone(),
        watcher.clone(),
    ));
    tasks.spawn(refresh_worker(Arc::clone(&hub), watcher.clone()));
    tasks.spawn(checkpoint_worker(Arc::clone(hub.local()), watcher.clone()));
    if let Some(upstream) = upstream {
        tracing::info!(
            "district hub of {}: syncing with the hub at {}",
            upstream.scope.as_str(),
            upstream.address
        );
        tasks.spawn(run_upstream(
            Arc::clone(&hub),
            upstream,
            KeyPair::from_secret(key.secret()),
            options.serve.endpoint.clone(),
            watcher.clone(),
        ));
    }
    if let Some(listener) = metrics_listener {
        let mut metrics_shutdown = watcher.clone();
        let (state, hosts) = (state.clone(), options.http_hosts.clone());
        tasks.spawn(async move {
            let stopped = async move {
                let _ = metrics_shutdown.wait_for(|stop| *stop).await;
            };
            if let Err(error) = http::serve_metrics(listener, state, hosts, stopped).await {
                tracing::error!("/metrics stopped: {error}");
            }
        });
    }
    let mut http_shutdown = watcher.clone();
    let http_hosts = options.http_hosts.clone();
    tasks.spawn(async move {
        let stopped = async move {
            let _ = http_shutdown.wait_for(|stop| *stop).await;
        };
        if let Err(error) = http::serve_with_hosts(listener, state, http_hosts, stopped).await {
            tracing::error!("the dashboard stopped: {error}");
        }
    });
    if let Some(socket) = crate::admin::bind(&options.data) {
        let mut admin_shutdown = watcher.clone();
        let handler = Arc::new(crate::admin::HubAdmin::new(Arc::clone(&hub)));
        tasks.spawn(socket.serve(handler, crate::admin::max_body(), async move {
            let _ = admin_shutdown.wait_for(|stop| *stop).await;
        }));
    }
    let city_hub = Arc::clone(&hub);
    let mut city_shutdown = watcher;
    tasks.spawn(async move {
        loop {
            tokio::select! {
                () = tokio::time::sleep(CITY_POLL) => {}
                _ = city_shutdown.wait_for(|stop| *stop) => return,
            }
            check_beside(
                &city_hub,
                Hub::check_roster,
                "the roster",
                "the roster changed; handing it to district hubs",
            )
            .await;
            check_beside(
                &city_hub,
                Hub::reload_city_if_changed,
                "the city document",
                "the city document changed; offering it to nodes",
            )
            .await;
            // Other hub processes on the same store merge communities too; their
            // figures here (in this process's file) follow within a poll.
            if city_hub.store().is_shared() {
                check_beside(
                    &city_hub,
                    |hub| mark_stale_dirty(hub).map(|stale| stale > 0),
                    "which figures other hubs made stale",
                    "re-deriving figures of communities other hubs merged",
                )
                .await;
            }
        }
    });
    // Figures whose rows lag behind their document (a hub stopped in the middle of a
    // re-derivation, an import) are brought up to date at start; the rest are current,
    // and re-deriving a whole city at every start would stall the reconnecting nodes.
    let startup_hub = Arc::clone(&hub);
    tokio::task::spawn_blocking(move || match mark_stale_dirty(&startup_hub) {
        Ok(stale) => {
            if stale > 0 {
                tracing::info!("re-deriving the figures of {stale} communities");
            }
        }
        Err(error) => tracing::warn!("cannot tell which figures are stale: {error}"),
    });
    tracing::info!(
        "hub {} listening: QUIC {quic_addr}, dashboard http://{http_addr}/",
        key.public()
    );
    Ok(RunningHub {
        quic_addr,
        http_addr,
        metrics_addr,
        key: key.public(),
        hub,
        shutdown,
        tasks,
        _lock: lock,
    })
}

/// Marks dirty, for the figures worker, every community whose figure rows are stale
/// ([`stale_communities`]); says how many.
/// How often the checkpoint worker copies the local store's write-ahead log into its
/// file (see `store/sqlite.rs`).
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

/// Checkpoints the local store every [`CHECKPOINT_EVERY`] until shutdown, so that no
/// merge or re-derivation pays for it in its commit.
async fn checkpoint_worker(store: Arc<SqliteStore>, mut shutdown: watch::Receiver<bool>) {
    let mut every = tokio::time::interval(CHECKPOINT_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = every.tick() => {}
            _ = shutdown.wait_for(|stop| *stop) => return,
        }
        let store = Arc::clone(&store);
        match tokio::task::spawn_blocking(move || store.checkpoint()).await {
            Ok(Ok(_)) => {}
            Ok(Err(error)) => tracing::warn!("cannot checkpoint the hub's database: {error}"),
            Err(error) => tracing::warn!("checkpointing the hub's database failed: {error}"),
        }
    }
}

fn mark_stale_dirty(hub: &Hub) -> anyhow::Result<usize> {
    let stale = stale_communities(hub.store().as_ref(), hub.figures())?;
    for community in &stale {
        hub.mark_dirty(*community);
    }
    Ok(stale.len())
}

/// Communities whose figure rows were derived from an older state of their document
/// than the store holds, or never: the store's record of each community's last change
/// against the one its figure rows were derived at. On figures the hub's processes
/// share, a community another process merged is stale here until one of them derives it.
pub fn stale_communities(
    store: &dyn HubStore,
    figures: &FigureStore,
) -> anyhow::Result<Vec<CommunityCode>> {
    let derived: std::collections::HashMap<String, Option<i64>> = figures.read(|db| {
        db.query_map(
            "SELECT code, last_change_at FROM fig_communities WHERE is_derived != 0",
            params![],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .map(|rows| rows.into_iter().collect())
    })?;
    Ok(store
        .communities()?
        .into_iter()
        .filter_map(|record| {
            let changed = record.last_change_at?.as_millis();
            let derived_at = derived
                .get(&record.community.to_string())
                .copied()
                .flatten();
            (derived_at != Some(changed)).then_some(record.community)
        })
        .collect())
}

impl RunningHub {
    /// The hub's shared state (documents, store, metrics).
    pub fn hub(&self) -> &Arc<Hub> {
        &self.hub
    }

    /// Closes every session with a Bye, stops the endpoints and waits for the tasks.
    pub async fn stop(mut self) {
        let _ = self.shutdown.send(true);
        while self.tasks.join_next().await.is_some() {}
    }
}

/// One look, on a blocking thread, at what the commands (other processes) write beside
/// a running hub: `check` says whether `what` changed, and `changed` is logged if so.
async fn check_beside<E: std::fmt::Display + Send + 'static>(
    hub: &Arc<Hub>,
    check: fn(&Hub) -> Result<bool, E>,
    what: &str,
    changed: &str,
) {
    let hub = Arc::clone(hub);
    match tokio::task::spawn_blocking(move || check(&hub)).await {
        Ok(Ok(true)) => tracing::info!("{changed}"),
        Ok(Ok(false)) => {}
        Ok(Err(error)) => tracing::warn!("cannot read {what}: {error}"),
        Err(error) => tracing::warn!("{what} check failed: {error}"),
    }
}
