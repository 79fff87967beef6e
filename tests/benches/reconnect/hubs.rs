//! The hub of the reconnect bench as one or two processes: their directories,
//! addresses and store ([`HubConfig`]), and the running processes with the node tasks
//! of their phase ([`Hubs`]).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tokio::sync::watch;
use wishtree_tests::bench_city::{HubProcess, HubTarget, Usage};

/// The hub's processes, their directories and addresses, and the store they share.
pub(crate) struct HubConfig<'a> {
    pub(crate) bin: &'a Path,
    pub(crate) data: Vec<PathBuf>,
    /// Process `i`'s QUIC address; node `n` syncs with process `n % processes`.
    pub(crate) targets: Vec<HubTarget>,
    pub(crate) http: Vec<SocketAddr>,
    pub(crate) store: Option<String>,
}

impl<'a> HubConfig<'a> {
    pub(crate) fn on_free_ports(
        bin: &'a Path,
        data: Vec<PathBuf>,
        key: wishtree_protocol::keys::PublicKey,
        store: Option<String>,
    ) -> Self {
        let (targets, http) = data.iter().map(|_| HubTarget::on_free_ports(key)).unzip();
        HubConfig {
            bin,
            data,
            targets,
            http,
            store,
        }
    }

    /// Each process's merge and figure-refresh work so far, from its `/metrics`.
    pub(crate) async fn metrics(&self) -> String {
        let mut each = Vec::new();
        for http in &self.http {
            each.push(hub_metrics(*http).await);
        }
        each.join(" | ")
    }
}

/// The hub's running processes, with the node tasks of their running phase.
pub(crate) struct Hubs {
    pub(crate) processes: Vec<HubProcess>,
    /// Until every process listened.
    pub(crate) ready_in: Duration,
    /// The running phase's stop signal and node tasks, ended with the hub.
    pub(crate) stopping: Option<(watch::Sender<bool>, Vec<tokio::task::JoinHandle<()>>)>,
}

impl Hubs {
    /// Starts every process of `config` and waits until each listens.
    pub(crate) async fn start(config: &HubConfig<'_>, name: &str) -> Self {
        let started = Instant::now();
        let mut processes = Vec::new();
        for (index, data) in config.data.iter().enumerate() {
            processes.push(
                HubProcess::start_on(
                    config.bin,
                    data,
                    config.targets[index].address,
                    config.http[index],
                    name,
                    config.store.as_deref(),
                )
                .await,
            );
        }
        Hubs {
            processes,
            ready_in: started.elapsed(),
            stopping: None,
        }
    }

    pub(crate) fn rss_kb(&self) -> u64 {
        self.processes.iter().map(HubProcess::rss_kb).sum()
    }

    pub(crate) fn usage(&self) -> Vec<Usage> {
        self.processes.iter().map(HubProcess::usage).collect()
    }

    /// SIGKILL to every process: no Bye, no close.
    pub(crate) fn kill(&mut self) {
        for process in &mut self.processes {
            process.kill();
        }
    }

    /// SIGINT to every process (each closes its sessions with a Bye), then waits for
    /// the nodes' sessions to end. Returns how long it took.
    pub(crate) async fn stop(mut self) -> Duration {
        let started = Instant::now();
        let stopping = self.stopping.take();
        if let Some((stop, _)) = &stopping {
            let _ = stop.send(true);
        }
        for process in self.processes {
            process.stop().await;
        }
        if let Some((_, tasks)) = stopping {
            for task in tasks {
                let _ = tokio::time::timeout(Duration::from_secs(120), task).await;
            }
        }
        started.elapsed()
    }
}

/// The hub's merge and figure-refresh work so far, from its `/metrics`.
async fn hub_metrics(http: SocketAddr) -> String {
    let answer = tokio::task::spawn_blocking(move || {
        wishtree_testkit::socket::send(http, &wishtree_testkit::Request::get("/metrics"))
    })
    .await;
    let text = match answer {
        Ok(Ok(answer)) => answer.text(),
        _ => String::new(),
    };
    let value = |name: &str| {
        text.lines()
            .find(|line| line.starts_with(name) && line[name.len()..].starts_with(' '))
            .and_then(|line| line.split_whitespace().nth(1))
            .unwrap_or("?")
            .to_owned()
    };
    format!(
        "sessions {}, merges {} ({} s), figure refreshes {} ({} s)",
        value("wishtree_hub_sync_sessions_total"),
        value("wishtree_hub_merge_seconds_count"),
        value("wishtree_hub_merge_seconds_sum"),
        value("wishtree_hub_figure_refresh_seconds_count"),
        value("wishtree_hub_figure_refresh_seconds_sum"),
    )
}
