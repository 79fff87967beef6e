//! The running hub's side of `wishtree-hub import` without a stop: it serves the admin
//! socket `hub.admin.sock` in its data directory ([`wishtree_common::admin_socket`]) and
//! imports a bundle handed over it with [`crate::import::import_bundle`] into its own
//! [`Hub`], whose documents in memory, live pushes to connected nodes and figures then
//! show the import at once. A refused bundle changes nothing. The command's side is in
//! `cli/import_command.rs`.

use std::path::Path;
use std::sync::Arc;

use wishtree_common::admin_socket::{AdminHandler, AdminReply, AdminRequest, AdminSocket};
use wishtree_protocol::bundle::Limits;

use crate::import::import_bundle;
use crate::state::Hub;

/// The admin socket inside a hub's data directory.
pub const ADMIN_SOCKET: &str = "hub.admin.sock";

/// The command that imports a bundle's body.
pub const IMPORT: &str = "import";

/// What the running hub does with an admin request.
#[derive(Debug)]
pub struct HubAdmin {
    hub: Arc<Hub>,
}

impl HubAdmin {
    /// Serves `hub`'s admin requests.
    pub fn new(hub: Arc<Hub>) -> Self {
        Self { hub }
    }
}

impl AdminHandler for HubAdmin {
    fn handle(
        &self,
        request: AdminRequest,
        progress: &mut dyn FnMut(&str),
    ) -> Result<AdminReply, String> {
        if request.command != IMPORT {
            return Err(format!(
                "the hub takes only `{IMPORT}` here, not {:?}",
                request.command
            ));
        }
        tracing::info!(
            "importing a bundle of {} bytes handed over the admin socket",
            request.body.len()
        );
        let accepted = import_bundle(&self.hub, &request.body, self.hub.clock().now(), &mut {
            |step| progress(&step.to_string())
        })
        .map_err(|error| error.to_string())?;
        tracing::info!("{}", accepted.verdict());
        Ok(AdminReply {
            text: accepted.report(),
            body: Vec::new(),
        })
    }
}

/// Binds the admin socket of a running hub, which holds the lock of `data`. A hub
/// without one still runs; `import` then asks the operator to stop it.
pub fn bind(data: &Path) -> Option<AdminSocket> {
    match AdminSocket::bind(data, ADMIN_SOCKET) {
        Ok(socket) => Some(socket),
        Err(error) => {
            tracing::warn!(
                "no admin socket in {} ({error}): `wishtree-hub import` needs the hub stopped",
                data.display()
            );
            None
        }
    }
}

/// The largest bundle the admin socket takes: the largest any import takes.
pub fn max_body() -> u64 {
    Limits::default().max_bytes
}
