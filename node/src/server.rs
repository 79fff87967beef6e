//! Serving the node over HTTP: the JSON API (and the web UI beside it) on a listener
//! the caller has bound, until a shutdown future completes (mini-redis style), so
//! tests run the real server in-process on port 0.
//!
//! Every request first passes [`wishtree_webguard`]: a `Host` the node does not answer
//! to, a state-changing request from another site's page, a form without the node's
//! token or an API body that is not JSON is refused before any handler runs.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use tokio::net::TcpListener;
use wishtree_webguard::{AllowedHosts, HostName, WebGuard};

use crate::http::{self, AppState};
use crate::store::StoreError;

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Bound beyond localhost without a password.
    #[error(
        "the node is asked to listen on {address}, beyond this computer, but it has no password; listen on 127.0.0.1, or set one with `wishtree-node password --data DIR --password …`"
    )]
    PasswordRequired {
        /// The address bound.
        address: String,
    },
    /// The store could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The listener failed.
    #[error("serving HTTP failed: {0}")]
    Io(#[from] std::io::Error),
}

/// Every route of the node: the JSON API under `/api`, and the web UI beside it,
/// sharing [`AppState`].
pub fn app(state: AppState) -> Router {
    http::api_router()
        .merge(crate::ui::ui_router())
        .with_state(state)
}

/// Who may use a node's HTTP routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone who can connect: right on localhost, where that is this computer.
    Open,
    /// Every request must carry the password set at init (HTTP basic auth).
    PasswordRequired,
}

/// Serves the node on `listener` until `shutdown` completes. On a loopback address
/// anyone on the computer may use it; on any other address every request must carry
/// the password set at init (HTTP basic auth), and without one the node refuses to
/// start.
///
/// Besides the localhost names and the bound address, the node answers to `hosts`
/// (`--http-host`): the names a LAN reaches it by.
pub async fn run(
    listener: TcpListener,
    state: AppState,
    hosts: Vec<HostName>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), RunError> {
    let access = if listener.local_addr()?.ip().is_loopback() {
        Access::Open
    } else {
        Access::PasswordRequired
    };
    serve_with_hosts(listener, state, access, hosts, shutdown).await
}

/// Serves the node on `listener` with the given access until `shutdown` completes,
/// answering to the localhost names and the bound address only.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    access: Access,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), RunError> {
    serve_with_hosts(listener, state, access, Vec::new(), shutdown).await
}

/// As [`serve`], also answering to `hosts`.
pub async fn serve_with_hosts(
    listener: TcpListener,
    state: AppState,
    access: Access,
    hosts: Vec<HostName>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), RunError> {
    let app = guarded_app(state, access, hosts, listener.local_addr()?).await?;
    wishtree_webguard::serve(listener, app, shutdown).await?;
    Ok(())
}

/// Every route of the node behind the web guard (and the password, if `access` asks
/// for one), as [`serve_with_hosts`] serves it on `address`; tests send requests to it
/// in-process.
pub async fn guarded_app(
    state: AppState,
    access: Access,
    hosts: Vec<HostName>,
    address: SocketAddr,
) -> Result<Router, RunError> {
    let password_hash = state.replica.lock().await.password_hash()?;
    let replica = Arc::clone(&state.replica);
    let mut app = app(state);
    if access == Access::PasswordRequired {
        let Some(hash) = password_hash else {
            return Err(RunError::PasswordRequired {
                address: address.to_string(),
            });
        };
        app = http::require_password(app, hash, replica);
    }
    // Applied last, so it runs first: a foreign page learns nothing, not even whether
    // a password is asked for.
    Ok(WebGuard::new(AllowedHosts::new(address).with_names(hosts))
        .with_json_api("/api/")
        .guard(app))
}
