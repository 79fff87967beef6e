//! `wishtree-hub import` without stopping the hub: the running hub serves the admin
//! socket `hub.admin.sock` in its data directory ([`wishtree_common::admin_socket`]),
//! and the command hands it the bundle there; with no hub running, the command takes
//! the directory's lock and imports into the store itself.
//!
//! Either way the bundle goes through [`crate::import::import_bundle`] on a [`Hub`]:
//! the running hub's own, whose documents in memory, live pushes to connected nodes and
//! figures worker then see the import at once, or one made for the command. A refused
//! bundle changes nothing in either.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use wishtree_common::admin_socket::{
    AdminError, AdminHandler, AdminReply, AdminRequest, AdminSocket, call,
};
use wishtree_protocol::bundle::Limits;

use crate::clock::now;
use crate::data_dir::open_store;
use crate::import::{Accepted, import_bundle, read_bundle_file};
use crate::lock::LockError;
use crate::state::Hub;

/// The admin socket inside a hub's data directory.
pub const ADMIN_SOCKET: &str = "hub.admin.sock";

/// The command that imports a bundle's body.
const IMPORT: &str = "import";

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
            text: verdict_lines(&accepted),
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

/// `wishtree-hub import FILE`: handed to the running hub if one runs on `data`,
/// into the store otherwise. Progress lines go to stderr, the verdict to stdout.
pub fn import(data: &Path, file: &Path) -> anyhow::Result<()> {
    let show = &mut |line: &str| eprintln!("{line}");
    match crate::lock::lock_data_dir(data, "") {
        Ok(_lock) => {
            // No hub runs, and none starts until the lock is dropped.
            let store = Arc::new(open_store(data)?);
            let hub = crate::run::command_hub(data, store)?;
            let accepted =
                crate::import::import_file(&hub, file, now(), &mut |step| show(&step.to_string()))?;
            println!("{}", verdict_lines(&accepted));
            Ok(())
        }
        Err(LockError::Busy { dir, .. }) => {
            let bytes = read_bundle_file(file, &mut |step| show(&step.to_string()))?;
            show(&format!(
                "a hub runs on {dir}: handing it the bundle over {ADMIN_SOCKET}"
            ));
            let request = AdminRequest {
                command: IMPORT.to_owned(),
                body: bytes,
            };
            let reply = call(data, ADMIN_SOCKET, &request, 0, show).map_err(|error| {
                match error {
                    AdminError::NotListening { .. } | AdminError::Unsupported => anyhow::anyhow!(
                        "another wishtree-hub process holds {dir} and takes no bundle ({error}); if it is a hub, stop it (Ctrl-C), import, then start it again; if it is an import, wait for it"
                    ),
                    other => anyhow::Error::new(other),
                }
            })
            .with_context(|| format!("{} is not imported", file.display()))?;
            println!("{}", reply.text);
            Ok(())
        }
        Err(error) => Err(error.into()),
    }
}

/// The verdict, and a line if the figures were not re-derived.
fn verdict_lines(accepted: &Accepted) -> String {
    match &accepted.figures_problem {
        None => accepted.verdict(),
        Some(problem) => format!(
            "{}\nthe figures were not re-derived ({problem}); a running hub tries again at once, a stopped one when it starts",
            accepted.verdict()
        ),
    }
}
