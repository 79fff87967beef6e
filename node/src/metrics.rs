//! The node's metrics for Prometheus at `/metrics`: writes (committed and refused) and
//! the latency of a committed write — from the command to its transaction on disk, the
//! figure a worker waits for — and the sync state: connected or not, changes the hub
//! does not have yet, seconds since the last sync. Rendered with
//! [`wishtree_common::metrics`], as the hub's are.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use wishtree_common::metrics::{Exposition, Histogram};
use wishtree_protocol::Timestamp;

use crate::replica::Replica;

/// What the replica counts of its writes.
#[derive(Debug, Default)]
pub struct WriteMetrics {
    committed: AtomicU64,
    refused: AtomicU64,
    seconds: Histogram,
}

impl WriteMetrics {
    /// A write ended: on disk after `elapsed`, or refused.
    pub fn record<T, E>(&self, result: &Result<T, E>, elapsed: Duration) {
        match result {
            Ok(_) => {
                self.committed.fetch_add(1, Ordering::Relaxed);
                self.seconds.observe(elapsed);
            }
            Err(_) => {
                self.refused.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// The node's metrics now, in Prometheus' text exposition format (version 0.0.4).
pub fn render(replica: &mut Replica, now: Timestamp) -> String {
    let sync = replica.sync_status();
    let writes = replica.write_metrics();
    let since_sync = sync
        .last_synced_at
        .map_or(-1, |at| (now.as_millis() - at.as_millis()).max(0) / 1000);
    Exposition::new()
        .counter(
            "wishtree_node_writes_total",
            "Commands committed to the community document, each on disk before its answer.",
            writes.committed.load(Ordering::Relaxed),
        )
        .counter(
            "wishtree_node_writes_refused_total",
            "Commands refused (by a rule of the domain, or by the store).",
            writes.refused.load(Ordering::Relaxed),
        )
        .histogram(
            "wishtree_node_write_seconds",
            "Time from a command to its transaction on disk.",
            &writes.seconds,
        )
        .gauge(
            "wishtree_node_hub_connected",
            "1 while a sync session with the hub is open, else 0.",
            i64::from(sync.hub_connected),
        )
        .gauge(
            "wishtree_node_changes_not_at_hub",
            "Changes of the community document the hub does not have yet.",
            i64::try_from(sync.changes_not_at_hub).unwrap_or(i64::MAX),
        )
        .gauge(
            "wishtree_node_seconds_since_sync",
            "Seconds since the last exchange with the hub; -1 if never.",
            since_sync,
        )
        .finish()
}
