//! `wishtree-node export --bundle` while the node runs: the running node serves the
//! admin socket `node.admin.sock` in its data directory
//! ([`wishtree_common::admin_socket`]), writes the bundle from its own replica (which
//! stores the bundle's seq, so only the process holding the lock may) and hands the
//! bytes back; the command writes the file. With no node running the command opens the
//! directory itself.
//!
//! Why a socket and not the node's HTTP API: the command would need the node's address
//! and, bound beyond localhost, its password; the socket is found in the data directory
//! and guarded by the directory's owner, which is who may read the data anyway.

use std::path::Path;

use anyhow::Context;
use serde::{Deserialize, Serialize};
use wishtree_common::admin_socket::{
    AdminError, AdminHandler, AdminReply, AdminRequest, AdminSocket, call,
};
use wishtree_protocol::bundle::Limits;

use crate::replica::{BundleOptions, SharedReplica};

/// The admin socket inside a node's data directory.
pub const ADMIN_SOCKET: &str = "node.admin.sock";

/// The longest a bundle may stay valid, in days: a USB stick is carried for days, not
/// years.
const MAX_EXPIRES_DAYS: u32 = 366;

/// `export --bundle`, as the command asks the running node (JSON on the socket).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleRequest {
    /// The whole history, not only what the hub lacks.
    pub all: bool,
    /// How many days the hub accepts it.
    pub expires_days: u32,
    /// The file the command writes, for the summary.
    pub out: String,
}

/// What the running node does with an admin request.
#[derive(Debug)]
pub struct NodeAdmin {
    replica: SharedReplica,
}

impl BundleRequest {
    /// The replica's options, or why the request is refused.
    pub fn options(&self) -> Result<BundleOptions, String> {
        if !(1..=MAX_EXPIRES_DAYS).contains(&self.expires_days) {
            return Err(format!(
                "--expires-days must be between 1 and {MAX_EXPIRES_DAYS}, not {}",
                self.expires_days
            ));
        }
        Ok(BundleOptions {
            is_whole_history: self.all,
            valid_for: std::time::Duration::from_secs(u64::from(self.expires_days) * 24 * 3600),
        })
    }
}

impl NodeAdmin {
    /// Serves the admin requests of the node whose replica is `replica`.
    pub fn new(replica: SharedReplica) -> Self {
        Self { replica }
    }
}

impl AdminHandler for NodeAdmin {
    fn handle(
        &self,
        request: AdminRequest,
        progress: &mut dyn FnMut(&str),
    ) -> Result<AdminReply, String> {
        let asked: BundleRequest = serde_json::from_str(&request.command)
            .map_err(|error| format!("the node takes only an export --bundle here: {error}"))?;
        let options = asked.options()?;
        progress("the running node writes the bundle");
        // Called on a blocking thread (the socket's), so the replica's async lock is
        // taken blocking, like every other user of the replica does on its thread.
        let bundle = self
            .replica
            .blocking_lock()
            .export_bundle(&options, crate::now())
            .map_err(|error| error.to_string())?;
        tracing::info!(
            "wrote bundle seq {} for the admin socket ({} bytes)",
            bundle.seq,
            bundle.bytes.len()
        );
        Ok(AdminReply {
            text: bundle.summary(&asked.out),
            body: bundle.bytes,
        })
    }
}

/// Binds the admin socket of a running node, which holds the lock of `data`. A node
/// without one still runs; `export --bundle` then asks the operator to stop it.
pub fn bind(data: &Path) -> Option<AdminSocket> {
    match AdminSocket::bind(data, ADMIN_SOCKET) {
        Ok(socket) => Some(socket),
        Err(error) => {
            tracing::warn!(
                "no admin socket in {} ({error}): `wishtree-node export --bundle` needs the node stopped",
                data.display()
            );
            None
        }
    }
}

/// The largest bundle the socket carries: the largest a hub takes.
pub fn max_body() -> u64 {
    Limits::default().max_bytes
}

/// Asks the node running on `data` for a bundle: its bytes and the summary to print.
pub fn export_bundle_from_running(
    data: &Path,
    request: &BundleRequest,
) -> anyhow::Result<(Vec<u8>, String)> {
    let command = serde_json::to_string(request).context("cannot write the request")?;
    let request = AdminRequest {
        command,
        body: Vec::new(),
    };
    let reply = call(data, ADMIN_SOCKET, &request, max_body(), &mut |line| {
        eprintln!("{line}");
    })
    .map_err(|error| match error {
        AdminError::NotListening { .. } | AdminError::Unsupported => anyhow::anyhow!(
            "another wishtree-node process holds {} and writes no bundle ({error}); stop `wishtree-node run` and try again",
            data.display()
        ),
        other => anyhow::Error::new(other),
    })?;
    Ok((reply.body, reply.text))
}
