//! The hub's HTTP side (default 127.0.0.1:8080): the figures API in JSON and CSV,
//! the dashboard, and `/metrics` for Prometheus.
//!
//! Requests only read. Each takes a connection from a small pool on the hub's SQLite
//! file (opened with `query_only`) and runs its queries on a blocking thread, so a
//! slow query never stalls the async runtime that also carries sync.
//!
//! Reads are not harmless either: the figures are the city's, and a page on another
//! site could read them through DNS rebinding. So every request first passes
//! [`wishtree_webguard`] (in [`guarded`]): a `Host` the hub does not answer to is
//! refused, and so is any state-changing request from a foreign page; a form (login,
//! logout) must carry the CSRF token tied to the browser's session or login cookie.
//! Then every route but `/login` and `/metrics` needs an account ([`auth`]), and each
//! handler checks the region or organisation it reads against the account's scope.
//! Accounts, sessions and the audit log are the [`AccountStore`]'s: the hub's SQLite
//! file, or the PostgreSQL store every process of the hub shares
//! ([`HubHttpState::with_accounts`]), whose cookie key they share too, and the
//! failures the login and member throttles count (`accounts/throttle.rs`). The other writes
//! the HTTP side makes (bulletins) go through one connection of their own
//! ([`HubHttpState::write`]).

mod api;
mod auth;
mod bulletin_api;
mod csv;
mod dashboard;
mod figures_db;
mod member;
mod period;
mod points;
mod service;
mod svg;
mod unit_api;

pub use member::read_phone_bodies;

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use rusqlite::Connection;
use wishtree_protocol::id::OrgId;

use wishtree_protocol::names::Language;
use wishtree_protocol::uscc::CreditCode;
use wishtree_protocol::{RegionPrefix, Timestamp};
use wishtree_webguard::{AllowedHosts, HostName, WebGuard};

use crate::accounts::{AccountError, AccountStore, LoginThrottle, SessionKey};
use crate::clock::Clock;
use crate::figure_store::FigureStore;
use crate::figures::{self, FiguresError, Period};
use crate::metrics::Metrics;
use crate::sql::SqlError;
use crate::state::Hub;
use crate::store::{PgStore, SqliteStore, StoreError};

/// What the HTTP side needs: where the database is, which region the hub serves,
/// the metrics, and a clock.
#[derive(Clone)]
pub struct HubHttpState {
    database: PathBuf,
    pool: Arc<Mutex<Vec<Connection>>>,
    /// The one connection that writes to the hub's file beside the accounts.
    writer: Arc<Mutex<Connection>>,
    /// Accounts, sessions, tokens, the audit log, the units' annual texts.
    accounts: Arc<dyn AccountStore>,
    scope: RegionPrefix,
    metrics: Arc<Metrics>,
    clock: Clock,
    session_key: SessionKey,
    throttle: Arc<LoginThrottle>,
    /// Failed member card exchanges, per card and per address (`member`).
    card_throttle: Arc<LoginThrottle>,
    /// Claims and check-ins, per card and per address (`member`).
    member_limits: Arc<member::MemberLimits>,
    /// Residents' submissions, counted per community and per address (a flood limit,
    /// not failures: every accepted submission counts).
    submission_throttle: Arc<LoginThrottle>,
    /// The figures the hub's processes share (PostgreSQL), read and written in place
    /// of the hub's file when set.
    shared_figures: Option<Arc<PgStore>>,
    /// The hub's documents, for the member pages; `None` where the HTTP side runs
    /// without a hub (the dashboard's own tests).
    hub: Option<Arc<Hub>>,
    /// Whether `/metrics` is served beside the dashboard (or on its own address).
    serves_metrics: bool,
}

/// Why the HTTP side could not start.
#[derive(Debug, thiserror::Error)]
pub enum HttpStateError {
    /// The database could not be opened or migrated.
    #[error(transparent)]
    Figures(#[from] FiguresError),
    /// The accounts' store could not be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The session key could not be read or made.
    #[error(transparent)]
    Accounts(#[from] AccountError),
}

/// Why a request failed: a status and a message that says what was wrong.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    message: String,
}

/// JSON or CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Json,
    Csv,
}

/// The query string of a request.
#[derive(Debug, Default)]
pub(crate) struct Params(HashMap<String, String>);

impl HubHttpState {
    /// State over the hub database at `database`, creating the tables if they are
    /// missing, with the accounts in it too; the session key is `session.key` beside
    /// the database, drawn at the first start. The dashboard starts at the whole
    /// country until [`HubHttpState::with_scope`] names the hub's city.
    /// The throttles count in this process's memory.
    pub fn new(database: &Path, metrics: Arc<Metrics>) -> Result<Self, HttpStateError> {
        let accounts = Arc::new(SqliteStore::open(database)?);
        Self::build(database, metrics, accounts, false)
    }

    /// State over the hub database at `database` with the accounts (and the session
    /// key) in `accounts`: the PostgreSQL store that several hub processes share. The
    /// throttles count there too, so that every process counts the same failed logins
    /// and card exchanges.
    pub fn with_accounts(
        database: &Path,
        metrics: Arc<Metrics>,
        accounts: Arc<dyn AccountStore>,
    ) -> Result<Self, HttpStateError> {
        Self::build(database, metrics, accounts, true)
    }

    fn build(
        database: &Path,
        metrics: Arc<Metrics>,
        accounts: Arc<dyn AccountStore>,
        shared_throttles: bool,
    ) -> Result<Self, HttpStateError> {
        let throttle = |kind: &'static str, memory: LoginThrottle| {
            if shared_throttles {
                Arc::new(memory.shared(Arc::clone(&accounts), kind))
            } else {
                Arc::new(memory)
            }
        };
        let throttles = (
            throttle("login", LoginThrottle::new()),
            throttle(
                "card",
                LoginThrottle::with_limits(member::FAILURES_PER_CARD, member::FAILURES_PER_ADDRESS),
            ),
            throttle(
                "submission",
                LoginThrottle::with_limits(
                    member::SUBMISSIONS_PER_COMMUNITY,
                    member::SUBMISSIONS_PER_ADDRESS,
                ),
            ),
        );
        let member_limits = Arc::new(member::MemberLimits::new(
            shared_throttles.then(|| Arc::clone(&accounts)),
        ));
        let mut connection = Connection::open(database).map_err(FiguresError::from)?;
        connection
            .busy_timeout(std::time::Duration::from_secs(5))
            .map_err(FiguresError::from)?;
        crate::schema::migrate(&mut connection).map_err(FiguresError::from)?;
        Ok(Self {
            database: database.to_owned(),
            pool: Arc::new(Mutex::new(Vec::new())),
            writer: Arc::new(Mutex::new(connection)),
            scope: RegionPrefix::everywhere(),
            metrics,
            clock: Clock::system(),
            session_key: accounts.session_key()?,
            accounts,
            throttle: throttles.0,
            card_throttle: throttles.1,
            member_limits,
            submission_throttle: throttles.2,
            shared_figures: None,
            hub: None,
            serves_metrics: true,
        })
    }

    /// Leaves `/metrics` out of the dashboard's routes, for a hub that serves it on
    /// an address of its own ([`metrics_router`]).
    pub fn without_metrics(mut self) -> Self {
        self.serves_metrics = false;
        self
    }

    /// The region the hub serves (its city, e.g. `1309`): where the dashboard starts
    /// and the default region of the API.
    pub fn with_scope(mut self, scope: RegionPrefix) -> Self {
        self.scope = scope;
        self
    }

    /// Where the figures are: the hub's file (as without this call), or the
    /// PostgreSQL its processes share.
    pub fn with_figures(mut self, figures: &FigureStore) -> Self {
        self.shared_figures = match figures {
            FigureStore::Local(_) => None,
            FigureStore::Shared(store) => Some(Arc::clone(store)),
        };
        self
    }

    /// The hub whose community documents the member pages read (`/m/card`).
    pub fn with_hub(mut self, hub: Arc<Hub>) -> Self {
        self.hub = Some(hub);
        self
    }

    /// A clock other than the system's, for tests.
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The metrics this state renders at `/metrics`.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    pub(crate) fn now(&self) -> Timestamp {
        self.clock.now()
    }

    pub(crate) fn scope(&self) -> &RegionPrefix {
        &self.scope
    }

    pub(crate) fn session_key(&self) -> &SessionKey {
        &self.session_key
    }

    pub(crate) fn throttle(&self) -> &LoginThrottle {
        &self.throttle
    }

    pub(crate) fn card_throttle(&self) -> &LoginThrottle {
        &self.card_throttle
    }

    pub(crate) fn member_limits(&self) -> &member::MemberLimits {
        &self.member_limits
    }

    pub(crate) fn submission_throttle(&self) -> &LoginThrottle {
        &self.submission_throttle
    }

    pub(crate) fn hub(&self) -> Option<&Arc<Hub>> {
        self.hub.as_ref()
    }

    /// Appends `(who, action, what)` to the audit log, now. A failure to write it
    /// fails the request: an export that cannot be logged is not made.
    pub(crate) async fn audit(
        &self,
        who: &str,
        action: &'static str,
        what: String,
    ) -> Result<(), ApiError> {
        let (who, now) = (who.to_owned(), self.now());
        self.accounts(move |accounts| accounts.audit(now, &who, action, &what))
            .await
    }

    /// Runs `work` on the accounts' store on a blocking thread.
    pub(crate) async fn accounts<T: Send + 'static>(
        &self,
        work: impl FnOnce(&dyn AccountStore) -> Result<T, AccountError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let accounts = Arc::clone(&self.accounts);
        tokio::task::spawn_blocking(move || Ok(work(accounts.as_ref())?))
            .await
            .map_err(|error| ApiError::internal(format!("an accounts task failed: {error}")))?
    }
}

impl fmt::Debug for HubHttpState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HubHttpState")
            .field("database", &self.database)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// Residents' submissions taken from one address in 15 minutes before the rest are
/// refused (`member/resident.rs`).
pub const SUBMISSIONS_PER_ADDRESS: usize = member::SUBMISSIONS_PER_ADDRESS;

/// The hub's HTTP routes: `/api/…` (JSON, or CSV with `Accept: text/csv` or a `.csv`
/// suffix), the dashboard at `/`, each behind an account; `/login`, and `/metrics`
/// unless [`HubHttpState::without_metrics`] moved it.
pub fn router(state: HubHttpState) -> Router {
    let mut router = Router::new()
        .route("/", get(dashboard::overview))
        .route("/orgs/{id}", get(dashboard::org_page))
        .route("/orgs/{id}/reports", get(dashboard::reports_page))
        .route("/orgs/{id}/reports.csv", get(dashboard::reports_page))
        .route(
            "/orgs/{id}/members/{community}/{member}",
            get(dashboard::member_page),
        )
        .route(
            "/orgs/{id}/members/{community}/{member}/csv",
            get(dashboard::member_csv),
        )
        .route(
            "/orgs/{id}/annual",
            get(dashboard::annual_page).post(dashboard::annual_save),
        )
        .route("/orgs/{id}/annual.csv", get(dashboard::annual_page))
        .route("/api/orgs/{id}/reports", get(unit_api::reports))
        .route("/api/orgs/{id}/reports.csv", get(unit_api::reports))
        .route(
            "/api/orgs/{id}/members/{community}/{member}",
            get(unit_api::member),
        )
        .route("/api/bulletins", get(bulletin_api::list))
        .route("/api/bulletins/{id}", get(bulletin_api::one))
        .route("/rankings", get(dashboard::rankings_page))
        .route("/rankings/points", get(dashboard::points_page))
        .route("/health", get(dashboard::health_page))
        .route(
            "/bulletins",
            get(dashboard::bulletins_page).post(dashboard::issue_bulletin),
        )
        .route("/bulletins/{id}", get(dashboard::bulletin_page))
        .route("/bulletins/{id}/csv", get(dashboard::bulletin_csv_file))
        .route("/login", get(dashboard::login_page).post(dashboard::login))
        .route("/logout", post(dashboard::logout))
        .route("/m/card", get(member::card_page))
        .route("/m/", get(member::market_page))
        .route("/api/card-session", post(member::open_card_session))
        .route("/api/market/wishes", get(member::market_wishes))
        .route("/api/market/claims", post(member::claim))
        .route("/api/market/sign-ups", post(member::sign_up))
        .route("/m/checkin", get(member::check_in_page))
        .route("/api/market/checkins", post(member::check_in))
        .route(
            member::RESIDENT_FORM_PATH,
            get(member::wish_form).post(member::submit_wish),
        )
        .route("/m/wish/lookup", get(member::lookup))
        .route("/api/submissions", post(member::submit_json));
    if state.serves_metrics {
        router = router.route("/metrics", get(metrics));
    }
    for path in api::PATHS {
        router = router
            .route(path, get(api::answer))
            .route(&format!("{path}.csv"), get(api::answer));
    }
    // A layer, not a route layer: a path the hub does not serve is nobody's business
    // either, so an anonymous request for it is sent to the login like the rest.
    router
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::require_account,
        ))
        .with_state(state)
}

/// An issued bulletin's body as the dashboard draws it (zh-CN), from what was stored.
pub fn bulletin_html(bulletin: &crate::bulletins::Bulletin) -> String {
    dashboard::bulletin_html(bulletin)
}

/// `/metrics` alone, for `wishtree-hub run --metrics ADDR`: Prometheus scrapes it on an
/// address of its own, which the dashboard's accounts do not guard.
pub fn metrics_router(state: HubHttpState) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .with_state(state)
}

/// The router behind the web guard, answering to the localhost names, `local` (the
/// bound address) and `hosts`: what [`serve`] puts on the socket, and what tests send
/// requests to in-process. A posted form must carry the CSRF token of the browser's
/// session cookie (the login form: of its login cookie).
pub fn guarded(state: HubHttpState, local: std::net::SocketAddr, hosts: Vec<HostName>) -> Router {
    let hosts = AllowedHosts::new(local).with_names(hosts);
    let key = state.session_key().clone();
    WebGuard::new(hosts)
        .with_json_api("/api/")
        .with_form_check(move |parts, given| {
            // The resident's wish form has no session either: it carries the token of
            // the same nonce cookie as the login form.
            let path = parts.uri.path();
            let is_login_form = path == "/login" || path == member::RESIDENT_FORM_PATH;
            key.form_token_matches(&auth::cookie_header(&parts.headers), is_login_form, given)
        })
        .guard(router(state))
}

/// Serves the router on an already-bound listener until `shutdown` completes,
/// answering to the localhost names and the bound address.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: HubHttpState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with_hosts(listener, state, Vec::new(), shutdown).await
}

/// As [`serve`], also answering to `hosts` (the names the dashboard is opened by).
pub async fn serve_with_hosts(
    listener: tokio::net::TcpListener,
    state: HubHttpState,
    hosts: Vec<HostName>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = guarded(state, listener.local_addr()?, hosts);
    wishtree_webguard::serve(listener, app, shutdown).await
}

/// Serves [`metrics_router`] on its own listener until `shutdown` completes.
pub async fn serve_metrics(
    listener: tokio::net::TcpListener,
    state: HubHttpState,
    hosts: Vec<HostName>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let hosts = AllowedHosts::new(listener.local_addr()?).with_names(hosts);
    let app = WebGuard::new(hosts).guard(metrics_router(state));
    wishtree_webguard::serve(listener, app, shutdown).await
}

impl ApiError {
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }

    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            message: message.into(),
        }
    }

    pub(crate) fn forbidden(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::FORBIDDEN,
            message: message.into(),
        }
    }

    pub(crate) fn internal(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: message.into(),
        }
    }

    pub(crate) fn status(&self) -> StatusCode {
        self.status
    }

    pub(crate) fn message(&self) -> &str {
        &self.message
    }
}

impl From<SqlError> for ApiError {
    fn from(error: SqlError) -> Self {
        tracing::error!(%error, "figures database failed");
        Self::internal(format!("the figures' database failed: {error}"))
    }
}

impl From<FiguresError> for ApiError {
    fn from(error: FiguresError) -> Self {
        tracing::error!(%error, "figures query failed");
        Self::internal(error.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.message });
        (self.status, axum::Json(body)).into_response()
    }
}

impl Format {
    /// CSV when the path ends in `.csv` or the client accepts `text/csv` before JSON.
    pub(crate) fn of(path: &str, headers: &HeaderMap) -> Self {
        if path.ends_with(".csv") {
            return Self::Csv;
        }
        let accept = headers
            .get(header::ACCEPT)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("");
        if accept.contains("text/csv") && !accept.contains("application/json") {
            Self::Csv
        } else {
            Self::Json
        }
    }
}

impl Params {
    pub(crate) fn new(query: HashMap<String, String>) -> Self {
        Self(query)
    }

    pub(crate) fn text(&self, key: &str) -> Option<&str> {
        self.0
            .get(key)
            .map(|value| value.trim())
            .filter(|value| !value.is_empty())
    }

    /// `region`, or the hub's own region when absent.
    pub(crate) fn region(&self, default: &RegionPrefix) -> Result<RegionPrefix, ApiError> {
        match self.text("region") {
            None => Ok(default.clone()),
            Some(text) => text
                .parse()
                .map_err(|error| ApiError::bad_request(format!("region: {error}"))),
        }
    }

    /// `from` and `to` (dates), or `period` (a month `2026-07` or a half-year `2026H2`).
    pub(crate) fn period(&self) -> Result<Period, ApiError> {
        self.period_or_problem()
            .map_err(|problem| ApiError::bad_request(problem.message(Language::English)))
    }

    /// `org`, an organisation id or credit code, if given.
    pub(crate) fn org(&self) -> Result<Option<figures::OrgScope>, ApiError> {
        self.text("org").map(parse_org).transpose()
    }

    /// `round`, a collection round's name (批次), if asked.
    pub(crate) fn round(&self) -> Result<Option<figures::RoundCut>, ApiError> {
        let text = self.text("round").unwrap_or_default();
        figures::RoundCut::parse(text).map_err(|error| ApiError::bad_request(error.to_string()))
    }

    /// `limit`, between 1 and 1000, 20 if absent.
    pub(crate) fn limit(&self) -> Result<usize, ApiError> {
        match self.text("limit") {
            None => Ok(20),
            Some(text) => match text.parse::<usize>() {
                Ok(limit) if (1..=1000).contains(&limit) => Ok(limit),
                _ => Err(ApiError::bad_request(format!(
                    "limit: `{}` is not a number from 1 to 1000",
                    text.chars().take(20).collect::<String>()
                ))),
            },
        }
    }

    /// `by`, the ranking order.
    pub(crate) fn rank_by(&self) -> Result<figures::RankBy, ApiError> {
        self.text("by")
            .map_or(Ok(figures::RankBy::default()), |text| {
                text.parse()
                    .map_err(|error| ApiError::bad_request(format!("by: {error}")))
            })
    }
}

/// An organisation named by its id (32 hex digits: one party organisation) or its
/// unified social credit code (the unit, with all its party organisations).
pub(crate) fn parse_org(text: &str) -> Result<figures::OrgScope, ApiError> {
    if let Ok(id) = text.parse::<OrgId>() {
        return Ok(figures::OrgScope::PartyOrg(id));
    }
    text.parse::<CreditCode>()
        .map(figures::OrgScope::Unit)
        .map_err(|error| {
            ApiError::bad_request(format!(
                "org: `{}` is neither an organisation id (32 hex digits) nor a credit code ({error})",
                text.chars().take(40).collect::<String>()
            ))
        })
}

/// Escapes text for HTML and SVG, in content and in attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

async fn metrics(axum::extract::State(state): axum::extract::State<HubHttpState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}

/// A path the hub does not serve: JSON under `/api/`, a page (in the language asked
/// for) anywhere else.
async fn not_found(
    axum::extract::State(state): axum::extract::State<HubHttpState>,
    uri: axum::http::Uri,
) -> Response {
    let path = uri.path();
    if path.starts_with("/api/") {
        return ApiError::not_found(format!("there is no page at {path}")).into_response();
    }
    let lang = Language::from_query(
        uri.query()
            .and_then(|query| {
                form_urlencoded::parse(query.as_bytes())
                    .find(|(key, _)| key == "lang")
                    .map(|(_, value)| value.into_owned())
            })
            .as_deref(),
    );
    dashboard::not_found_page(lang, state.now())
}
