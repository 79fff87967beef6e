//! One axum layer that keeps the web pages a user visits from using a wishtree server
//! on their computer or LAN: the node's UI and API and the hub's dashboard alike.
//!
//! A server on 127.0.0.1 is reachable by every page the browser opens. Three attacks
//! follow, and one check answers each:
//!
//! - DNS rebinding: a page at `attacker.example` makes its name resolve to 127.0.0.1
//!   and then reads the server as its own origin. The browser still sends
//!   `Host: attacker.example`, so every request whose `Host` is not a name the server
//!   answers to ([`AllowedHosts`]) is refused with 421, reads included.
//! - Cross-site requests that need no preflight (a form post, a `fetch` with a
//!   `text/plain` body): a state-changing request (anything but GET, HEAD, OPTIONS and
//!   TRACE) is refused with 403 when `Sec-Fetch-Site` says `cross-site` or `same-site`
//!   (another port on localhost is another app) or when `Origin` is not the server's
//!   own.
//! - Older browsers that send neither header on a form post: every form must carry the
//!   process's [`FormToken`], and a body that is neither JSON nor a form is refused
//!   with 415. JSON needs a CORS preflight from a foreign page, and this layer never
//!   answers one (no CORS headers anywhere), so a JSON body can only come from the
//!   server's own pages or from a program that is not a browser.
//!
//! Each refusal is a [`Refusal`]: a 4xx with a message saying what to do, given before
//! the handler runs, so nothing is written.

mod hosts;
mod logins;
mod refusal;
mod token;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::extract::connect_info::{ConnectInfo, Connected};
use axum::http::request::Parts;
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::serve::IncomingStream;
use tokio::net::TcpListener;

pub use hosts::{AllowedHosts, HostName, HostNameError};
pub use logins::LoginThrottle;
pub use refusal::Refusal;
pub use token::{FORM_TOKEN_FIELD, FormToken};

/// The largest form body the guard reads to find the token, in bytes.
pub const FORM_LIMIT: usize = 1024 * 1024;

/// The checks of one server: the names it answers to, its form token, and where its
/// JSON API lives.
#[derive(Debug, Clone)]
pub struct WebGuard {
    hosts: AllowedHosts,
    token: &'static FormToken,
    form_check: Option<FormCheck>,
    json_api: Option<&'static str>,
}

/// A server's own check of a form's token, in place of the process's [`FormToken`]:
/// given the request's head and the token the form carried, whether it is the right
/// one (e.g. a token tied to the browser's session cookie).
#[derive(Clone)]
struct FormCheck(Arc<FormCheckFn>);

/// The function behind a [`FormCheck`].
type FormCheckFn = dyn Fn(&Parts, &str) -> bool + Send + Sync;

impl std::fmt::Debug for FormCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FormCheck(…)")
    }
}

/// Both ends of a TCP connection, recorded by [`serve`] for every request: the local
/// address names the IP the client reached (for a server bound to 0.0.0.0), the remote
/// one is whom a failed login is counted against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peer {
    /// The address the client connected to, if the socket could say.
    pub local: Option<SocketAddr>,
    /// The client's address.
    pub remote: SocketAddr,
}

impl WebGuard {
    /// A guard for a server answering to `hosts`, with this process's form token.
    pub fn new(hosts: AllowedHosts) -> Self {
        Self {
            hosts,
            token: FormToken::of_this_process(),
            form_check: None,
            json_api: None,
        }
    }

    /// Checks the token of every posted form with `check` instead of comparing it with
    /// the process's [`FormToken`]: for a server whose users have sessions, whose
    /// forms carry a token tied to the session. The field is still
    /// [`FORM_TOKEN_FIELD`], and a form without it is still refused.
    pub fn with_form_check(
        mut self,
        check: impl Fn(&Parts, &str) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.form_check = Some(FormCheck(Arc::new(check)));
        self
    }

    /// Paths starting with `prefix` (e.g. `/api/`) take bodies only as
    /// `application/json`, never as forms.
    pub fn with_json_api(mut self, prefix: &'static str) -> Self {
        self.json_api = Some(prefix);
        self
    }

    /// Puts the checks in front of every route of `router`.
    pub fn guard<S: Clone + Send + Sync + 'static>(self, router: Router<S>) -> Router<S> {
        let guard = Arc::new(self);
        router.layer(axum::middleware::from_fn(
            move |request: Request, next: Next| {
                let guard = Arc::clone(&guard);
                async move { guard.run(request, next).await }
            },
        ))
    }

    async fn run(&self, request: Request, next: Next) -> Response {
        let local = request
            .extensions()
            .get::<ConnectInfo<Peer>>()
            .and_then(|info| info.0.local);
        let (parts, body) = request.into_parts();
        let checked = match self.check_head(&parts, local) {
            Ok(()) => self.check_body(&parts, body).await,
            Err(refusal) => Err(refusal),
        };
        match checked {
            Ok(body) => next.run(Request::from_parts(parts, body)).await,
            Err(refusal) => {
                tracing::warn!(method = %parts.method, path = parts.uri.path(), %refusal, "request refused");
                refusal.into_response()
            }
        }
    }

    /// The checks on the request line and headers.
    fn check_head(&self, parts: &Parts, local: Option<SocketAddr>) -> Result<(), Refusal> {
        let host = host_of(parts).ok_or(Refusal::NoHost)?;
        if !self.hosts.allows(host, local) {
            return Err(Refusal::ForeignHost {
                host: shorten(host),
            });
        }
        if !changes_state(&parts.method) {
            return Ok(());
        }
        if let Some(site) = header_text(parts, "sec-fetch-site")
            && (site.eq_ignore_ascii_case("cross-site") || site.eq_ignore_ascii_case("same-site"))
        {
            return Err(Refusal::CrossSite {
                site: shorten(site),
            });
        }
        if let Some(origin) = parts.headers.get(header::ORIGIN) {
            let origin = origin.to_str().unwrap_or("");
            let own = ["http://", "https://"].iter().any(|scheme| {
                origin
                    .get(..scheme.len())
                    .is_some_and(|start| start.eq_ignore_ascii_case(scheme))
                    && origin[scheme.len()..].eq_ignore_ascii_case(host)
            });
            if !own {
                return Err(Refusal::ForeignOrigin {
                    origin: shorten(origin),
                });
            }
        }
        Ok(())
    }

    /// The checks on the body of a state-changing request: JSON, or a form with the
    /// token, or nothing at all.
    async fn check_body(&self, parts: &Parts, body: Body) -> Result<Body, Refusal> {
        if !changes_state(&parts.method) {
            return Ok(body);
        }
        let media_type = header_text(parts, header::CONTENT_TYPE.as_str())
            .map(|value| {
                value
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            })
            .filter(|media_type| !media_type.is_empty());
        let in_json_api = self
            .json_api
            .is_some_and(|prefix| parts.uri.path().starts_with(prefix));
        match media_type.as_deref() {
            Some("application/json") => Ok(body),
            None if !has_body(parts) => Ok(body),
            Some("application/x-www-form-urlencoded") if !in_json_api => {
                let bytes = axum::body::to_bytes(body, FORM_LIMIT)
                    .await
                    .map_err(|_| Refusal::FormTooLarge { limit: FORM_LIMIT })?;
                let fields: Vec<(String, String)> =
                    serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
                let token = fields
                    .iter()
                    .find(|(name, _)| name == FORM_TOKEN_FIELD)
                    .map(|(_, value)| value.as_str());
                let matches = |token: &str| match &self.form_check {
                    Some(FormCheck(check)) => check(parts, token),
                    None => self.token.matches(token),
                };
                if token.is_some_and(matches) {
                    Ok(Body::from(bytes))
                } else {
                    Err(Refusal::NoFormToken)
                }
            }
            other if in_json_api => Err(Refusal::NotJson {
                content_type: other.map(shorten),
            }),
            other => Err(Refusal::NotJsonOrForm {
                content_type: other.map(shorten),
            }),
        }
    }
}

impl Connected<IncomingStream<'_, TcpListener>> for Peer {
    fn connect_info(stream: IncomingStream<'_, TcpListener>) -> Self {
        Self {
            local: stream.io().local_addr().ok(),
            remote: *stream.remote_addr(),
        }
    }
}

/// Serves `router` on an already-bound listener until `shutdown` completes, recording
/// each connection's [`Peer`] for the guard and the login throttle.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<Peer>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Whether a request of this method may change something (so a foreign page must not
/// be able to send it).
fn changes_state(method: &Method) -> bool {
    !matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

/// The `Host` header, or the URI's authority (HTTP/2 carries it there).
fn host_of(parts: &Parts) -> Option<&str> {
    header_text(parts, header::HOST.as_str())
        .or_else(|| parts.uri.authority().map(|authority| authority.as_str()))
}

fn header_text<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
}

/// Whether the request says it carries a body.
fn has_body(parts: &Parts) -> bool {
    let length = header_text(parts, header::CONTENT_LENGTH.as_str());
    length.is_some_and(|length| length != "0")
        || parts.headers.contains_key(header::TRANSFER_ENCODING)
}

/// At most 100 characters of a header, to quote in a message.
fn shorten(text: &str) -> String {
    text.chars().take(100).collect()
}
