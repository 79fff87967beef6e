//! A member's own pages at the hub, opened by a member card (`/m/card`, DESIGN §10):
//! no account and no password, only the card the community's node signed.
//!
//! The card travels in the URL fragment (`/m/card#<card text>`), which the browser
//! never sends to a server, so it is in no log. The page's small inline script posts
//! it once to `POST /api/card-session`, which checks the card and answers a card
//! session cookie (HMAC-signed, HttpOnly, SameSite=Strict; `accounts::session`). The
//! cookie carries the card itself, and every request checks it again
//! ([`check_card`]): signed by the node key the roster holds for its community now,
//! not expired, its secret's hash and its member those the community document records,
//! not revoked there. So a revocation that a sync brings in refuses the very next
//! request, and a card of a node whose key was revoked at the hub opens nothing.
//!
//! Failed exchanges are counted per card and per client address
//! (`accounts::LoginThrottle`: five of a card, twenty from an address, in 15 minutes),
//! so neither one card nor cards in general are tried over and over from one phone.
//!
//! What the pages show is the member's own, from the community document the hub
//! holds: their claims, sign-ups, activities, passbook and half-year reports
//! (`page.rs`); their claims in other communities from those communities' inboxes and
//! documents (`elsewhere.rs`).

mod attend;
mod elsewhere;
mod market;
mod page;
mod resident;
mod resident_api;
mod sign_up;

pub(crate) use attend::{check_in, check_in_page};
pub(crate) use market::{claim, market_page, market_wishes};
pub(crate) use resident::{
    FORM_PATH as RESIDENT_FORM_PATH, PER_ADDRESS as SUBMISSIONS_PER_ADDRESS,
    PER_COMMUNITY as SUBMISSIONS_PER_COMMUNITY, lookup, submit_wish, wish_form,
};
pub(crate) use resident_api::submit_json;
pub(crate) use sign_up::sign_up;

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{Extensions, HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use wishtree_protocol::card::{CardError, MemberCard};
use wishtree_protocol::frame::DocId;
use wishtree_protocol::id::{ActivityId, InboxEntryId, WishId};
use wishtree_protocol::inbox::InboxEntry;
use wishtree_protocol::model::{CardRecord, InboxOutcome};
use wishtree_protocol::view::CommunityView;
use wishtree_protocol::{CommunityDoc, Timestamp};
use wishtree_webguard::Peer;

use super::HubHttpState;
use super::auth::cookie_header;
use crate::accounts::{CARD_COOKIE, cookie_value};
use crate::state::Hub;

/// How long a card session lasts at most (the card's own expiry may end it sooner):
/// 30 days, after which the member opens the card's link again.
const CARD_SESSION_MS: i64 = 30 * 24 * 60 * 60 * 1000;

/// Failed exchanges of one card allowed in 15 minutes.
pub(super) const FAILURES_PER_CARD: usize = 5;
/// Failed exchanges from one address allowed in 15 minutes: more than a card's, since
/// many phones share an address behind a carrier's NAT.
pub(super) const FAILURES_PER_ADDRESS: usize = 20;

/// Claims one card may make in 15 minutes: a member who claims more than this is not
/// choosing wishes one by one.
pub(super) const CLAIMS_PER_CARD: usize = 10;
/// Claims from one address in 15 minutes (many phones share a carrier's address).
pub(super) const CLAIMS_PER_ADDRESS: usize = 60;
/// Check-ins and check-outs of one card in 15 minutes.
pub(super) const CHECK_INS_PER_CARD: usize = 10;
/// Check-ins and check-outs from one address in 15 minutes: a whole activity may sit
/// behind one Wi-Fi.
pub(super) const CHECK_INS_PER_ADDRESS: usize = 200;

/// Sign-ups of one card in 15 minutes.
pub(super) const SIGN_UPS_PER_CARD: usize = 10;
/// Sign-ups from one address in 15 minutes (many phones share a carrier's address).
pub(super) const SIGN_UPS_PER_ADDRESS: usize = 60;

/// The limits on what a card session does at the hub, counted per card and per
/// address whatever the outcome, so that neither a card nor an address floods a
/// community's inbox.
#[derive(Debug)]
pub(crate) struct MemberLimits {
    claims: crate::accounts::LoginThrottle,
    check_ins: crate::accounts::LoginThrottle,
    sign_ups: crate::accounts::LoginThrottle,
}

impl MemberLimits {
    /// The limits, counted in `shared` (the store the hub's processes share) if given,
    /// in memory otherwise.
    pub(crate) fn new(shared: Option<std::sync::Arc<dyn crate::accounts::AccountStore>>) -> Self {
        use crate::accounts::LoginThrottle;
        let limit = |kind: &'static str, per_card: usize, per_address: usize| {
            let throttle = LoginThrottle::with_limits(per_card, per_address);
            match &shared {
                Some(store) => throttle.shared(std::sync::Arc::clone(store), kind),
                None => throttle,
            }
        };
        Self {
            claims: limit("claim", CLAIMS_PER_CARD, CLAIMS_PER_ADDRESS),
            check_ins: limit("check-in", CHECK_INS_PER_CARD, CHECK_INS_PER_ADDRESS),
            sign_ups: limit("sign-up", SIGN_UPS_PER_CARD, SIGN_UPS_PER_ADDRESS),
        }
    }
}

/// The largest body `POST /api/card-session` reads: a card is 231 characters.
const EXCHANGE_LIMIT: usize = 1024;

/// A card that passed every check, with what the member's pages are drawn from.
pub(crate) struct CardHolder {
    card: MemberCard,
    /// The node key the roster holds for the card's community now.
    node_key: wishtree_protocol::keys::PublicKey,
    view: CommunityView,
    /// The community's inbox at the hub, in order.
    inbox: Vec<InboxEntry>,
    /// What the node did with the entries it applied, from the community document.
    outcomes: HashMap<InboxEntryId, InboxOutcome>,
}

/// Why a card was not taken: the card's fault (said to the member), or the hub's.
#[derive(Debug)]
pub(crate) enum CardRefusal {
    /// The card is refused, for this reason.
    Card(CardError),
    /// Too many failed tries from this card or this address.
    Throttled,
    /// The hub could not check it (store, document).
    Internal(String),
    /// The hub could not take the member's request (its count cannot be kept), card
    /// checked or not: said as the request's refusal, not the card's.
    RequestNotTaken(String),
}

/// `GET /m/card`: the member's own pages for a phone holding a card session, or the
/// page that exchanges the card in the fragment for one.
pub(crate) async fn card_page(State(state): State<HubHttpState>, headers: HeaderMap) -> Response {
    let now = state.now();
    let Some(text) = session_card(&state, &headers, now) else {
        return page::opener(StatusCode::OK, None);
    };
    match checked(&state, text, now).await {
        Ok(holder) => {
            // Their own place only: the card names the community and the member.
            let (community, member) = (
                holder.card.statement.community,
                holder.card.statement.member,
            );
            let period = now.date_in_shanghai().half_year();
            let elsewhere = elsewhere::elsewhere(&state, community, member)
                .await
                .unwrap_or_else(|error| {
                    // The page still shows the member's own community.
                    tracing::warn!("a member's claims elsewhere cannot be read: {error}");
                    Vec::new()
                });
            let standing = state
                .read(move |connection| {
                    Ok(crate::figures::standing(
                        connection, community, member, period,
                    )?)
                })
                .await;
            match standing {
                Ok(standing) => {
                    page::member_pages(&holder, &elsewhere, Some((period, &standing)), now)
                }
                Err(error) => {
                    tracing::warn!(
                        "a member's points standing cannot be read: {}",
                        error.message
                    );
                    page::member_pages(&holder, &elsewhere, None, now)
                }
            }
        }
        Err(refusal) => {
            let mut response = page::opener(refusal.status(), Some(&refusal.message_zh()));
            // A card refused now (revoked, expired) is refused for good: the phone drops it.
            response
                .headers_mut()
                .append(header::SET_COOKIE, clear_cookie());
            response
        }
    }
}

/// `POST /api/card-session` with `{"card": TEXT}`: the card checked, and a card session
/// cookie for the phone; refused with the reason in English (`error`) and in Chinese
/// (`message_zh`, which the page shows).
pub(crate) async fn open_card_session(
    State(state): State<HubHttpState>,
    extensions: Extensions,
    body: Bytes,
) -> Response {
    let now = state.now();
    let client = client_address(&extensions);
    let text = match card_text_of(&body) {
        Some(text) => text,
        None => {
            return refused(CardRefusal::Card(CardError::Malformed(
                "no card in the body",
            )));
        }
    };
    // Counted by card id when the text has one. A malformed text is counted by its own
    // beginning, so that it counts for its address without one shared name that would
    // block every malformed try, and the address's count with it.
    let throttle_name = MemberCard::from_text(&text).map_or_else(
        |_| format!("text:{}", text.chars().take(40).collect::<String>()),
        |card| format!("card:{}", card.statement.card),
    );
    // Counted as a failure before the card is checked, taken back if it is good (see
    // `accounts::LoginThrottle::take`).
    let attempt = match state
        .card_throttle()
        .take(&throttle_name, client, now)
        .await
    {
        Ok(Some(attempt)) => attempt,
        Ok(None) => {
            tracing::warn!(%client, "card session refused: too many failures");
            return refused(CardRefusal::Throttled);
        }
        // Refused, not let through uncounted: a guesser must not gain by a store's
        // failure.
        Err(error) => {
            tracing::error!(%error, "card session refused: the throttle cannot be read");
            return refused(CardRefusal::Internal(format!(
                "the count of failed tries cannot be read: {error}"
            )));
        }
    };
    let checked = checked(&state, text.clone(), now).await;
    // A good card is no failure, nor a card the hub failed to check.
    if matches!(checked, Ok(_) | Err(CardRefusal::Internal(_)))
        && let Err(error) = attempt.forget().await
    {
        tracing::error!(%error, "a card exchange is counted as a failure");
    }
    match checked {
        Ok(holder) => {
            let ends = holder
                .card
                .statement
                .expires
                .min(now.plus_millis(CARD_SESSION_MS));
            let value = state.session_key().card_cookie(&text, ends);
            let seconds = (ends.as_millis() - now.as_millis()).max(0) / 1000;
            let cookie = format!(
                "{CARD_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={seconds}"
            );
            tracing::info!(card = %holder.card.statement.card, "card session opened");
            let mut response = (
                StatusCode::OK,
                Json(json!({ "member": holder.card.statement.member })),
            )
                .into_response();
            if let Ok(cookie) = HeaderValue::from_str(&cookie) {
                response.headers_mut().append(header::SET_COOKIE, cookie);
            }
            response
        }
        Err(refusal) => {
            if !matches!(refusal, CardRefusal::Internal(_)) {
                tracing::warn!(%client, reason = %refusal.english(), "card refused");
            }
            refused(refusal)
        }
    }
}

/// Checks a card's text against the roster and the community's document at `now`
/// (see the module doc), on a blocking thread.
async fn checked(
    state: &HubHttpState,
    text: String,
    now: Timestamp,
) -> Result<CardHolder, CardRefusal> {
    let Some(hub) = state.hub().cloned() else {
        return Err(CardRefusal::Internal(
            "this hub serves no member pages (no documents behind its HTTP side)".to_owned(),
        ));
    };
    tokio::task::spawn_blocking(move || check_card(&hub, &text, now))
        .await
        .map_err(|error| CardRefusal::Internal(format!("the card check stopped: {error}")))?
}

/// Every check of a card, in the order of `wishtree_protocol::card`.
pub(crate) fn check_card(
    hub: &Arc<Hub>,
    text: &str,
    now: Timestamp,
) -> Result<CardHolder, CardRefusal> {
    let card = MemberCard::from_text(text).map_err(CardRefusal::Card)?;
    let community = card.statement.community;
    let enrolled = hub
        .store()
        .community_key(community)
        .map_err(|error| CardRefusal::Internal(error.to_string()))?
        .ok_or(CardRefusal::Card(CardError::UnknownCommunity(community)))?;
    let verified = card.verify(&enrolled, now).map_err(CardRefusal::Card)?;
    let document = hub
        .snapshot(DocId::Community(community))
        .map_err(|error| CardRefusal::Internal(error.to_string()))?;
    // A hub that never received the community's document holds an empty one.
    let doc = CommunityDoc::from_automerge(document, Some(community), [0; 16])
        .map_err(|_| CardRefusal::Card(CardError::NotRecorded))?;
    let record = doc
        .entity::<CardRecord>(card.statement.card)
        .map_err(|error| CardRefusal::Internal(error.to_string()))?;
    verified
        .check_record(record.as_ref())
        .map_err(CardRefusal::Card)?;
    let held = Held::of(hub, &doc).map_err(CardRefusal::Internal)?;
    Ok(CardHolder {
        card,
        node_key: enrolled,
        view: held.view,
        inbox: held.inbox,
        outcomes: held.outcomes,
    })
}

/// What the hub holds of a community for its members' requests: the view of its
/// document, its inbox, and what the node did with the entries it applied.
pub(super) struct Held {
    pub(super) view: CommunityView,
    pub(super) inbox: Vec<InboxEntry>,
    pub(super) outcomes: HashMap<InboxEntryId, InboxOutcome>,
}

impl Held {
    /// Of `doc`, the document the hub holds for its community.
    fn of(hub: &Hub, doc: &CommunityDoc) -> Result<Self, String> {
        let view = CommunityView::derive(doc).map_err(|error| error.to_string())?;
        let inbox = hub
            .inbox_entries(doc.code())
            .map_err(|error| error.to_string())?;
        let outcomes = doc
            .entities::<InboxOutcome>()
            .map_err(|error| error.to_string())?
            .0
            .into_iter()
            .collect();
        Ok(Self {
            view,
            inbox,
            outcomes,
        })
    }

    /// Of `community`, read on the calling (blocking) thread; `None` if the hub holds
    /// no document of it.
    pub(super) fn load(
        hub: &Hub,
        community: wishtree_protocol::CommunityCode,
    ) -> Result<Option<Self>, String> {
        let document = hub
            .snapshot(DocId::Community(community))
            .map_err(|error| error.to_string())?;
        match CommunityDoc::from_automerge(document, Some(community), [0; 16]) {
            Ok(doc) => Self::of(hub, &doc).map(Some),
            Err(_) => Ok(None),
        }
    }
}

impl CardRefusal {
    fn status(&self) -> StatusCode {
        match self {
            Self::Card(CardError::Malformed(_)) => StatusCode::BAD_REQUEST,
            Self::Card(_) => StatusCode::FORBIDDEN,
            Self::Throttled => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal(_) | Self::RequestNotTaken(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A short code for the refusal, for scripts and tests.
    fn code(&self) -> &'static str {
        match self {
            Self::Card(CardError::Malformed(_)) => "malformed",
            Self::Card(CardError::UnknownCommunity(_)) => "unknown_community",
            Self::Card(CardError::WrongKey { .. }) => "wrong_key",
            Self::Card(CardError::BadSignature) => "bad_signature",
            Self::Card(CardError::Expired(_)) => "expired",
            Self::Card(CardError::NotRecorded) => "not_recorded",
            Self::Card(CardError::BadSecret) => "bad_secret",
            Self::Card(CardError::Revoked { .. }) => "revoked",
            Self::Throttled => "throttled",
            Self::Internal(_) | Self::RequestNotTaken(_) => "internal",
        }
    }

    fn english(&self) -> String {
        match self {
            Self::Card(error) => error.to_string(),
            Self::Throttled => {
                "too many failed tries with this card or from this address: try again in 15 minutes"
                    .to_owned()
            }
            Self::Internal(message) | Self::RequestNotTaken(message) => message.clone(),
        }
    }

    fn message_zh(&self) -> String {
        match self {
            Self::Card(error) => error.message_zh(),
            Self::Throttled => "尝试次数过多：请 15 分钟后再试".to_owned(),
            Self::Internal(_) => "平台暂时无法核验会员卡，请稍后再试".to_owned(),
            Self::RequestNotTaken(_) => "平台暂时无法受理您的请求，请稍后再试".to_owned(),
        }
    }
}

/// The card text of a card session cookie, if the request has one that the hub
/// signed and that has not run out.
fn session_card(state: &HubHttpState, headers: &HeaderMap, now: Timestamp) -> Option<String> {
    let cookies = cookie_header(headers);
    let value = cookie_value(&cookies, CARD_COOKIE)?;
    state
        .session_key()
        .read_card_cookie(value, now)
        .ok()
        .map(str::to_owned)
}

/// The client's address, as the listener recorded it (unspecified in-process, where
/// there is no socket): what flood and failure limits count by.
pub(super) fn client_address(extensions: &Extensions) -> IpAddr {
    extensions
        .get::<ConnectInfo<Peer>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.remote.ip())
}

/// Reads `body` as each JSON body of a member's phone does (a card exchanged, a claim,
/// a check-in, a sign-up), answering which of them it is. The claim and the check-in sit behind a
/// card session that a fuzz target (`wishtree_tests::fuzz_bodies`) has no way to open,
/// so it reaches their decoders here, the very functions the handlers call.
pub fn read_phone_bodies(body: &[u8]) -> [bool; 4] {
    [
        card_text_of(body).is_some(),
        market::id_and_community::<WishId>(body, "wish").is_some(),
        attend::check_in_of(body).is_some(),
        market::id_and_community::<ActivityId>(body, "activity").is_some(),
    ]
}

/// The card in a JSON body `{"card": TEXT}`, bounded before it is parsed.
fn card_text_of(body: &[u8]) -> Option<String> {
    if body.len() > EXCHANGE_LIMIT {
        return None;
    }
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    value.get("card")?.as_str().map(str::to_owned)
}

/// Which limit a member's request counts against.
#[derive(Debug, Clone, Copy)]
pub(super) enum Limited {
    /// A claim of a wish.
    Claim,
    /// A check-in or check-out.
    CheckIn,
    /// A sign-up for an activity.
    SignUp,
}

/// The front every member's request at the hub passes (a claim, a check-in, a sign-up): a card
/// session, the limit per card and per address (counted whatever comes after), and
/// every check of the card; refused with its own words otherwise.
pub(super) async fn member_request(
    state: &HubHttpState,
    headers: &HeaderMap,
    extensions: &Extensions,
    limited: Limited,
) -> Result<CardHolder, Response> {
    let now = state.now();
    let Some(text) = session_card(state, headers, now) else {
        return Err(refusal(
            StatusCode::UNAUTHORIZED,
            "no_card",
            "open your member card first (/m/card)",
            "请先扫描会员卡登录",
        ));
    };
    let (throttle, zh) = match limited {
        Limited::Claim => (
            &state.member_limits().claims,
            "认领过于频繁：请 15 分钟后再试",
        ),
        Limited::CheckIn => (
            &state.member_limits().check_ins,
            "签到过于频繁：请 15 分钟后再试",
        ),
        Limited::SignUp => (
            &state.member_limits().sign_ups,
            "报名过于频繁：请 15 分钟后再试",
        ),
    };
    let client = client_address(extensions);
    let name = MemberCard::from_text(&text).map_or_else(
        |_| "card:unreadable".to_owned(),
        |card| format!("card:{}", card.statement.card),
    );
    // Taken and kept whatever comes after: the limit counts requests, not failures.
    let counted = match throttle.take(&name, client, now).await {
        Ok(None) => {
            tracing::warn!(%client, "member request refused: over the limit");
            return Err(refusal(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many",
                "too many requests from this card or this address: try again in 15 minutes",
                zh,
            ));
        }
        Ok(Some(_counted)) => Ok(()),
        Err(error) => Err(error),
    };
    // A request the limit cannot count is not taken: the limit is the count.
    if let Err(error) = counted {
        tracing::error!(%error, "member request refused: the limit cannot be counted");
        return Err(refused(CardRefusal::RequestNotTaken(format!(
            "the count of requests cannot be kept: {error}"
        ))));
    }
    checked(state, text, now).await.map_err(refused)
}

/// Appends `request` to `community`'s inbox, signed by the hub at `now`, on a blocking
/// thread, unless `pending` is the same request appended before and not applied yet
/// (tapped twice): 202 with the entry and `message_zh`.
pub(super) async fn append_request(
    state: &HubHttpState,
    community: wishtree_protocol::CommunityCode,
    request: wishtree_protocol::inbox::InboxRequest,
    pending: Option<InboxEntryId>,
    message_zh: &str,
) -> Response {
    let now = state.now();
    let unavailable = |english: &str| {
        refusal(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            english,
            "平台暂时无法受理，请稍后再试",
        )
    };
    let Some(hub) = state.hub().cloned() else {
        return unavailable("this hub serves no member pages");
    };
    let appended = tokio::task::spawn_blocking(move || {
        if let Some(entry) = pending {
            return Ok(entry);
        }
        let id = InboxEntryId::from_bytes(crate::accounts::random().map_err(|_| {
            "no randomness for an entry id: the operating system gave none".to_owned()
        })?);
        hub.append_inbox(community, id, request, now)
            .map(|entry| entry.id)
            .map_err(|error| error.to_string())
    })
    .await;
    match appended {
        Ok(Ok(entry)) => (
            StatusCode::ACCEPTED,
            Json(json!({ "entry": entry, "status": "pending", "message_zh": message_zh })),
        )
            .into_response(),
        Ok(Err(message)) => unavailable(&message),
        Err(error) => unavailable(&error.to_string()),
    }
}

/// A refusal of a member's request in JSON: English for scripts, a short code, and the
/// words the phone shows.
pub(super) fn refusal(status: StatusCode, reason: &str, english: &str, zh: &str) -> Response {
    let body = json!({ "error": english, "reason": reason, "message_zh": zh });
    (status, Json(body)).into_response()
}

fn refused(refused: CardRefusal) -> Response {
    refusal(
        refused.status(),
        refused.code(),
        &refused.english(),
        &refused.message_zh(),
    )
}

fn clear_cookie() -> HeaderValue {
    HeaderValue::from_static("wishtree_card=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0")
}
