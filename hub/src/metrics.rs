//! The hub's metrics for Prometheus: counters, gauges and latency histograms kept in
//! atomics (no locks, no metrics crate), rendered at `/metrics` with
//! [`wishtree_common::metrics`], which the node's page shares. The sync side updates
//! connections, sessions, bytes and merge latency; the figures update their refresh
//! latency.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use wishtree_common::metrics::{Exposition, Histogram};

/// Everything the hub counts. Share it as `Arc<Metrics>`.
#[derive(Debug, Default)]
pub struct Metrics {
    connected_nodes: AtomicI64,
    sync_sessions_active: AtomicI64,
    sync_sessions_total: AtomicU64,
    bytes_received: AtomicU64,
    bytes_sent: AtomicU64,
    quota_refusals: AtomicU64,
    figure_refreshes_whole: AtomicU64,
    merge_seconds: Histogram,
    figure_refresh_seconds: Histogram,
}

impl Metrics {
    /// Fresh metrics, all zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// A node connected.
    pub fn node_connected(&self) {
        self.connected_nodes.fetch_add(1, Ordering::Relaxed);
    }

    /// A node's connection ended.
    pub fn node_disconnected(&self) {
        self.connected_nodes.fetch_sub(1, Ordering::Relaxed);
    }

    /// A sync session started.
    pub fn sync_session_started(&self) {
        self.sync_sessions_total.fetch_add(1, Ordering::Relaxed);
        self.sync_sessions_active.fetch_add(1, Ordering::Relaxed);
    }

    /// A sync session ended.
    pub fn sync_session_ended(&self) {
        self.sync_sessions_active.fetch_sub(1, Ordering::Relaxed);
    }

    /// Bytes arrived from nodes.
    pub fn add_bytes_received(&self, bytes: u64) {
        self.bytes_received.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Bytes went out to nodes.
    pub fn add_bytes_sent(&self, bytes: u64) {
        self.bytes_sent.fetch_add(bytes, Ordering::Relaxed);
    }

    /// A community's merge was refused past its quota ([`crate::quota`]).
    pub fn quota_refused(&self) {
        self.quota_refusals.fetch_add(1, Ordering::Relaxed);
    }

    /// A merge of received changes took this long.
    pub fn observe_merge(&self, elapsed: Duration) {
        self.merge_seconds.observe(elapsed);
    }

    /// A community's figures were refreshed in this long.
    pub fn observe_figure_refresh(&self, elapsed: Duration) {
        self.figure_refresh_seconds.observe(elapsed);
    }

    /// A community's figures were derived whole (a first derivation, a restart without
    /// the heads they were derived from, or a change not followed entity by entity).
    pub fn figure_refreshed_whole(&self) {
        self.figure_refreshes_whole.fetch_add(1, Ordering::Relaxed);
    }

    /// Figure refreshes that derived a community whole, so far.
    pub fn figure_refreshes_whole(&self) -> u64 {
        self.figure_refreshes_whole.load(Ordering::Relaxed)
    }

    /// Nodes connected now.
    pub fn connected_nodes(&self) -> i64 {
        self.connected_nodes.load(Ordering::Relaxed)
    }

    /// Sync sessions started so far (nodes and district hubs).
    pub fn sync_sessions_total(&self) -> u64 {
        self.sync_sessions_total.load(Ordering::Relaxed)
    }

    /// Merges of received changes stored so far.
    pub fn merges(&self) -> u64 {
        self.merge_seconds.count()
    }

    /// Figure refreshes observed so far.
    pub fn figure_refreshes(&self) -> u64 {
        self.figure_refresh_seconds.count()
    }

    /// The metrics in Prometheus' text exposition format (version 0.0.4).
    pub fn render(&self) -> String {
        Exposition::new()
            .gauge(
                "wishtree_hub_connected_nodes",
                "Community nodes connected now.",
                self.connected_nodes.load(Ordering::Relaxed),
            )
            .gauge(
                "wishtree_hub_sync_sessions_active",
                "Sync sessions running now.",
                self.sync_sessions_active.load(Ordering::Relaxed),
            )
            .counter(
                "wishtree_hub_sync_sessions_total",
                "Sync sessions started.",
                self.sync_sessions_total.load(Ordering::Relaxed),
            )
            .counter(
                "wishtree_hub_received_bytes_total",
                "Bytes received from nodes.",
                self.bytes_received.load(Ordering::Relaxed),
            )
            .counter(
                "wishtree_hub_sent_bytes_total",
                "Bytes sent to nodes.",
                self.bytes_sent.load(Ordering::Relaxed),
            )
            .counter(
                "wishtree_hub_quota_refusals_total",
                "Sync messages refused because a community went past its quota.",
                self.quota_refusals.load(Ordering::Relaxed),
            )
            .counter(
                "wishtree_hub_figure_refreshes_whole_total",
                "Figure refreshes that derived a community's whole document (not entity by entity).",
                self.figure_refreshes_whole.load(Ordering::Relaxed),
            )
            .histogram(
                "wishtree_hub_merge_seconds",
                "Time to merge received changes into a community document.",
                &self.merge_seconds,
            )
            .histogram(
                "wishtree_hub_figure_refresh_seconds",
                "Time to re-derive a community's figures after its document changed.",
                &self.figure_refresh_seconds,
            )
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_render_in_the_prometheus_text_format() {
        let metrics = Metrics::new();
        metrics.node_connected();
        metrics.node_connected();
        metrics.node_disconnected();
        metrics.sync_session_started();
        metrics.add_bytes_received(1200);
        metrics.add_bytes_sent(300);
        metrics.observe_merge(Duration::from_micros(1500));
        metrics.observe_figure_refresh(Duration::from_millis(7));
        metrics.observe_figure_refresh(Duration::from_secs(9));
        let text = metrics.render();
        for line in [
            "wishtree_hub_connected_nodes 1",
            "wishtree_hub_sync_sessions_active 1",
            "wishtree_hub_sync_sessions_total 1",
            "wishtree_hub_received_bytes_total 1200",
            "wishtree_hub_sent_bytes_total 300",
            "wishtree_hub_merge_seconds_bucket{le=\"0.001\"} 0",
            "wishtree_hub_merge_seconds_bucket{le=\"0.002\"} 1",
            "wishtree_hub_figure_refresh_seconds_bucket{le=\"0.005\"} 0",
            "wishtree_hub_figure_refresh_seconds_bucket{le=\"0.01\"} 1",
            "wishtree_hub_figure_refresh_seconds_bucket{le=\"5\"} 1",
            "wishtree_hub_figure_refresh_seconds_bucket{le=\"+Inf\"} 2",
            "wishtree_hub_figure_refresh_seconds_count 2",
            "wishtree_hub_figure_refresh_seconds_sum 9.007",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing `{line}` in\n{text}"
            );
        }
        // Every sample line is `name{labels} value` with a number for the value.
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let value = line.rsplit(' ').next().expect("a value");
            assert!(value.parse::<f64>().is_ok(), "{line}");
        }
    }
}
