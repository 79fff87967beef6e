//! Who is asking: every route but the login page and `/metrics` passes
//! [`require_account`], which finds the account of the request — a session cookie on
//! every route, or `Authorization: Bearer` on the JSON/CSV API only — and refuses a
//! request without one: a redirect to `/login` for a page, 401 for the API.
//!
//! The account is looked up in the store on every request, not only at login, so a
//! revoked account (whose sessions and tokens the revocation deleted) is refused at its
//! next request. What the account may then see is [`Access`], which each handler asks
//! of the region or organisation it is about to read ([`Viewer::check_region`]).

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use wishtree_protocol::RegionPrefix;
use wishtree_protocol::id::OrgId;
use wishtree_protocol::uscc::CreditCode;

use super::{ApiError, HubHttpState};
use crate::accounts::{
    self, Access, Account, ApiToken, SESSION_COOKIE, SessionCookie, cookie_value,
};
use crate::figures::OrgScope;

/// The signed-in account of a request, put in its extensions by [`require_account`].
#[derive(Debug, Clone)]
pub(crate) struct Viewer {
    account: Account,
    access: Access,
    /// The session, when the account came in by the login cookie (a script's token
    /// has none).
    session: Option<SessionCookie>,
    /// The CSRF token of the session's forms.
    form_token: Option<String>,
}

impl Viewer {
    pub(crate) fn name(&self) -> &str {
        self.account.name.as_str()
    }

    pub(crate) fn access(&self) -> &Access {
        &self.access
    }

    pub(crate) fn session(&self) -> Option<&SessionCookie> {
        self.session.as_ref()
    }

    pub(crate) fn form_token(&self) -> Option<&str> {
        self.form_token.as_deref()
    }

    /// Whether the account is an organisation's, which sees no region's figures.
    pub(crate) fn is_unit(&self) -> bool {
        matches!(self.access, Access::Unit { .. })
    }

    /// The organisation of an organisation's account.
    pub(crate) fn unit(&self) -> Option<OrgId> {
        match self.access {
            Access::Unit { org, .. } => Some(org),
            Access::Region(_) => None,
        }
    }

    /// The figures of `region` may be read, or why not (403).
    pub(crate) fn check_region(&self, region: &RegionPrefix) -> Result<(), ApiError> {
        if self.access.may_see_region(region) {
            return Ok(());
        }
        Err(ApiError::forbidden(match &self.access {
            Access::Region(scope) => format!(
                "account {} sees region {} and the regions under it, not {}",
                self.name(),
                scope.as_str(),
                shown(region)
            ),
            Access::Unit { credit_code, .. } => format!(
                "account {} is the organisation {credit_code}'s and sees its own pages only, not the figures of region {}",
                self.name(),
                shown(region)
            ),
        }))
    }

    /// Organisation `org`'s pages, over `region`, may be read, or why not (403): a
    /// viewer's within its region, an organisation account's of its own unit and its
    /// unit's party organisations only (`unit`: the unit `org` belongs to, as the
    /// figure tables know it; [`HubHttpState::check_org`] looks it up).
    pub(crate) fn check_org(
        &self,
        org: OrgScope,
        unit: Option<CreditCode>,
        region: &RegionPrefix,
    ) -> Result<(), ApiError> {
        match &self.access {
            Access::Region(_) => self.check_region(region),
            Access::Unit { .. } if self.access.may_see_org(org.id(), unit.as_ref()) => Ok(()),
            Access::Unit { credit_code, .. } => Err(ApiError::forbidden(format!(
                "account {} is the organisation {credit_code}'s and sees its own pages only",
                self.name()
            ))),
        }
    }

    /// The report-back pages of unit `org` over `region` — its members by name and
    /// their sealed reports — may be read, or why not (403): an organisation account's
    /// of its own unit; a region's viewer's of a unit with members reported in within
    /// its region (`has_members_there`), showing those members only.
    pub(crate) fn check_unit_members(
        &self,
        org: OrgScope,
        unit: Option<CreditCode>,
        region: &RegionPrefix,
        has_members_there: bool,
    ) -> Result<(), ApiError> {
        self.check_org(org, unit, region)?;
        if self.is_unit() || has_members_there {
            return Ok(());
        }
        Err(ApiError::forbidden(format!(
            "account {} sees the members of units with members reported in within region {}, and organisation {} has none there",
            self.name(),
            shown(region),
            org.id()
        )))
    }
}

/// Finds the account of the request, or refuses it.
pub(crate) async fn require_account(
    State(state): State<HubHttpState>,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    if path == "/login" || (path == "/metrics" && state.serves_metrics) || is_member_path(path) {
        return next.run(request).await;
    }
    let is_api = request.uri().path().starts_with("/api/");
    match find_viewer(&state, request.headers(), is_api).await {
        Ok(Some(viewer)) => {
            request.extensions_mut().insert(viewer);
            next.run(request).await
        }
        Ok(None) if is_api => {
            let mut response = ApiError {
                status: StatusCode::UNAUTHORIZED,
                message: "sign in first: send `Authorization: Bearer TOKEN` (a token from `wishtree-hub account token NAME`) or log in at /login".to_owned(),
            }
            .into_response();
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
            response
        }
        Ok(None) => Redirect::to(&login_address(request.uri())).into_response(),
        Err(error) => error.into_response(),
    }
}

/// The member's pages, the card exchange and the market, which a member card opens
/// instead of an account (`super::member` checks the card on every request that needs
/// one; the market shows nothing personal).
fn is_member_path(path: &str) -> bool {
    matches!(
        path,
        "/m/card"
            | "/m/"
            | "/m/checkin"
            | "/api/card-session"
            | "/api/market/wishes"
            | "/api/market/claims"
            | "/api/market/sign-ups"
            | "/api/market/checkins"
            | "/m/wish/new"
            | "/m/wish/lookup"
            | "/api/submissions"
    )
}

/// `/login`, with the page asked for as `next` so that the login leads back to it.
fn login_address(uri: &axum::http::Uri) -> String {
    let asked = uri.path_and_query().map_or("/", |path| path.as_str());
    if asked == "/" {
        return "/login".to_owned();
    }
    let next: String = form_urlencoded::byte_serialize(asked.as_bytes()).collect();
    format!("/login?next={next}")
}

async fn find_viewer(
    state: &HubHttpState,
    headers: &HeaderMap,
    is_api: bool,
) -> Result<Option<Viewer>, ApiError> {
    let now = state.now();
    let key = state.session_key().clone();
    let session = cookie_value(&cookie_header(headers), SESSION_COOKIE)
        .and_then(|value| key.read_session_cookie(value, now).ok());
    let token = bearer(headers).filter(|_| is_api).map(ApiToken::hash_of);
    if session.is_none() && token.is_none() {
        return Ok(None);
    }
    let account = state
        .accounts(move |accounts| {
            let by_session = match &session {
                Some(cookie) => accounts.session_account(&cookie.id, now)?,
                None => None,
            };
            let account = match (by_session, token) {
                (Some(account), _) => Some((account, session)),
                (None, Some(hash)) => accounts
                    .account_by_token(&hash)?
                    .map(|account| (account, None)),
                (None, None) => None,
            };
            Ok(account)
        })
        .await?;
    Ok(account.map(|(account, session)| Viewer {
        access: account.access(),
        form_token: session.map(|cookie| key.session_form_token(&cookie.id)),
        session,
        account,
    }))
}

/// Every `Cookie` header of a request as one (HTTP/2 may send several).
pub(crate) fn cookie_header(headers: &HeaderMap) -> String {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .collect::<Vec<_>>()
        .join("; ")
}

/// The token of `Authorization: Bearer …`.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|token| !token.is_empty())
}

/// A region as a message quotes it; the whole country is `(all)`.
fn shown(region: &RegionPrefix) -> &str {
    if region.as_str().is_empty() {
        "(the whole country)"
    } else {
        region.as_str()
    }
}

impl From<accounts::AccountError> for ApiError {
    fn from(error: accounts::AccountError) -> Self {
        tracing::error!(%error, "accounts query failed");
        Self::internal(error.to_string())
    }
}
