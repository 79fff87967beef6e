//! The in-process client, and the default one: a request handed to an axum `Router`
//! through `tower::ServiceExt::oneshot`, with no socket, port or HTTP parser between.
//!
//! What it cannot show is what only a connection carries: the router sees no peer
//! address (`ConnectInfo` is absent), so the web guard's bound-address check and the
//! login throttle's per-client count need [`crate::socket`].

use axum::Router;
use axum::body::Body;
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::http::{Answer, Request};

/// The `Host` a request carries unless it names its own: a name every guarded router
/// of ours answers to.
pub const DEFAULT_HOST: &str = "localhost";

/// Sends `request` to `router` and reads the whole answer.
pub async fn send(router: &Router, request: Request) -> Answer {
    let mut builder = axum::http::Request::builder()
        .method(request.method.as_str())
        .uri(request.path.as_str());
    if !request.has_header("host") {
        builder = builder.header("Host", DEFAULT_HOST);
    }
    for (name, value) in &request.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    let http_request = builder
        .body(Body::from(request.body))
        .unwrap_or_else(|error| panic!("a request the test wrote is malformed: {error}"));
    let response = router
        .clone()
        .oneshot(http_request)
        .await
        .unwrap_or_else(|never| match never {});
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = response
        .into_body()
        .collect()
        .await
        .unwrap_or_else(|error| panic!("the router's body failed: {error}"))
        .to_bytes()
        .to_vec();
    Answer {
        status,
        headers,
        body,
    }
}

/// As [`send`], for a synchronous test: runs on `runtime` until answered.
pub fn send_blocking(
    runtime: &tokio::runtime::Handle,
    router: &Router,
    request: Request,
) -> Answer {
    runtime.block_on(send(router, request))
}
