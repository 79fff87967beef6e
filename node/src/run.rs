//! A running node: the HTTP server (JSON API and web UI), the sync client and the admin
//! socket, started together and stopped together.
//!
//! [`start`] is what `wishtree-node run` calls, and what the end-to-end tests and the
//! demo city call in-process on port 0; it returns once the HTTP listener is bound.

use std::net::SocketAddr;
use std::path::Path;

use anyhow::Context;
use tokio::sync::watch;
use tokio::task::JoinSet;
use wishtree_webguard::HostName;

use crate::http::AppState;
use crate::replica::{Replica, SharedReplica};
use crate::server::RunError;
use crate::sync::{SyncOptions, run_sync};

/// A started node. Dropping it without [`RunningNode::stop`] aborts its tasks.
#[derive(Debug)]
pub struct RunningNode {
    /// The bound HTTP address.
    pub http_addr: SocketAddr,
    /// The replica, shared with the server and the sync client.
    pub replica: SharedReplica,
    stop: watch::Sender<bool>,
    tasks: JoinSet<()>,
}

/// Opens the node in `data` and starts serving on `http` and syncing with its hub.
pub async fn start(
    data: &Path,
    http: SocketAddr,
    sync: SyncOptions,
) -> anyhow::Result<RunningNode> {
    let dir = data.to_owned();
    let replica = tokio::task::spawn_blocking(move || Replica::open(&dir))
        .await
        .context("opening the node failed")??;
    start_with(replica, http, sync).await
}

/// Starts serving and syncing an opened replica.
pub async fn start_with(
    replica: Replica,
    http: SocketAddr,
    sync: SyncOptions,
) -> anyhow::Result<RunningNode> {
    start_with_hosts(replica, http, Vec::new(), sync).await
}

/// As [`start_with`], the web side also answering to `hosts` (`--http-host`).
pub async fn start_with_hosts(
    replica: Replica,
    http: SocketAddr,
    hosts: Vec<HostName>,
    sync: SyncOptions,
) -> anyhow::Result<RunningNode> {
    let listener = tokio::net::TcpListener::bind(http)
        .await
        .with_context(|| format!("cannot listen on {http}"))?;
    let http_addr = listener.local_addr()?;
    if !http_addr.ip().is_loopback() && replica.password_hash()?.is_none() {
        return Err(RunError::PasswordRequired {
            address: http_addr.to_string(),
        }
        .into());
    }
    // Only the process holding the directory's lock may take the socket's place.
    let admin_socket = if replica.holds_lock() {
        crate::admin::bind(replica.data_dir())
    } else {
        None
    };
    let state = AppState::new(replica);
    let shared = state.replica.clone();
    let (stop, stopping) = watch::channel(false);
    let mut tasks = JoinSet::new();
    if let Some(socket) = admin_socket {
        let mut admin_stop = stopping.clone();
        let handler = std::sync::Arc::new(crate::admin::NodeAdmin::new(shared.clone()));
        tasks.spawn(socket.serve(handler, crate::admin::max_body(), async move {
            let _ = admin_stop.wait_for(|stop| *stop).await;
        }));
    }
    let mut server_stop = stopping.clone();
    tasks.spawn(async move {
        let stopped = async move {
            let _ = server_stop.wait_for(|stop| *stop).await;
        };
        if let Err(error) = crate::server::run(listener, state, hosts, stopped).await {
            tracing::error!("the node's HTTP server stopped: {error}");
        }
    });
    tasks.spawn(run_sync(shared.clone(), sync, stopping));
    Ok(RunningNode {
        http_addr,
        replica: shared,
        stop,
        tasks,
    })
}

impl RunningNode {
    /// Says Bye to the hub, stops serving and waits for both.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        while self.tasks.join_next().await.is_some() {}
    }
}
