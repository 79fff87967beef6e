//! The citywide market on a phone (`/m/`, `GET /api/market/wishes`): the published
//! wishes of the communities the hub holds, with nothing personal — the title, the kind,
//! the resident's label and group the worker chose, the community — filtered by region
//! (a district or street code), beneficiary group and kind; and a member's claim
//! (`POST /api/market/claims`), which a card session makes and the hub appends to the
//! community's inbox for its node to apply (`wishtree_protocol::inbox`).
//!
//! A claim is refused at the hub when the card is, when the wish is not published now
//! in the document the hub holds, or when it is another community's: the node applies a
//! claim only by a member of its own ledger. Tapping twice appends one entry.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::HashMap;
use wishtree_protocol::frame::DocId;
use wishtree_protocol::id::{InboxEntryId, WishId};
use wishtree_protocol::inbox::InboxRequest;
use wishtree_protocol::lifecycle::ClaimState;
use wishtree_protocol::model::{BeneficiaryGroup, WishKind};
use wishtree_protocol::view::CommunityView;
use wishtree_protocol::{CommunityCode, CommunityDoc, RegionPrefix};

use super::{checked, page, session_card};
use crate::http::HubHttpState;

/// A published wish as the market shows it: nothing personal.
#[derive(Debug, Clone, serde::Serialize)]
pub(super) struct MarketWish {
    pub(super) community: CommunityCode,
    pub(super) community_name: String,
    pub(super) id: WishId,
    pub(super) title: String,
    pub(super) kind: WishKind,
    pub(super) group: BeneficiaryGroup,
    pub(super) resident_label: String,
}

/// The market's filters, as typed in the query.
#[derive(Debug, Default)]
pub(super) struct Filters {
    pub(super) region: Option<RegionPrefix>,
    pub(super) group: Option<BeneficiaryGroup>,
    pub(super) kind: Option<WishKind>,
}

/// `GET /m/`: the market page.
pub(crate) async fn market_page(
    State(state): State<HubHttpState>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let signed_in = session_card(&state, &headers, state.now()).is_some();
    match Filters::read(&query) {
        Ok(filters) => match market(&state, &filters).await {
            Ok(wishes) => page::market(&wishes, &filters, signed_in),
            Err(message) => page::opener(StatusCode::INTERNAL_SERVER_ERROR, Some(&message)),
        },
        Err((_, zh)) => page::opener(StatusCode::BAD_REQUEST, Some(&zh)),
    }
}

/// `GET /api/market/wishes?region=&group=&kind=`: the same list in JSON.
pub(crate) async fn market_wishes(
    State(state): State<HubHttpState>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let filters = match Filters::read(&query) {
        Ok(filters) => filters,
        Err((english, _)) => {
            return (StatusCode::BAD_REQUEST, Json(json!({ "error": english }))).into_response();
        }
    };
    match market(&state, &filters).await {
        Ok(wishes) => Json(wishes).into_response(),
        Err(message) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({ "error": message })),
        )
            .into_response(),
    }
}

/// `POST /api/market/claims` with `{"wish": ID}`: the signed-in member's claim,
/// appended to their community's inbox (202, `pending`), or refused with why.
pub(crate) async fn claim(
    State(state): State<HubHttpState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let now = state.now();
    let Some(text) = session_card(&state, &headers, now) else {
        return refused(
            StatusCode::UNAUTHORIZED,
            "no_card",
            "open your member card first (/m/card)",
            "请先扫描会员卡登录",
        );
    };
    let wish: Option<WishId> = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|body| body.get("wish")?.as_str()?.parse().ok());
    let Some(wish) = wish else {
        return refused(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "the body must be {\"wish\": ID}",
            "请求无法识别",
        );
    };
    let holder = match checked(&state, text, now).await {
        Ok(holder) => holder,
        Err(refusal) => {
            return refused(
                refusal.status(),
                refusal.code(),
                &refusal.english(),
                &refusal.message_zh(),
            );
        }
    };
    let community = holder.card.statement.community;
    let member = holder.card.statement.member;
    let Some(held) = holder.view.wishes.get(&wish) else {
        return refused(
            StatusCode::NOT_FOUND,
            "not_this_community",
            "there is no such wish in your community; a member claims the wishes of their own community",
            "只能认领本社区发布的心愿",
        );
    };
    if held.status.state != ClaimState::Published {
        return refused(
            StatusCode::CONFLICT,
            "not_published",
            "the wish is not open for claiming now",
            "这个心愿现在不能认领（未发布，或已被认领）",
        );
    }
    let card = holder.card.statement.card;
    let Some(hub) = state.hub().cloned() else {
        return refused(
            StatusCode::SERVICE_UNAVAILABLE,
            "internal",
            "this hub serves no member pages",
            "平台暂时无法受理，请稍后再试",
        );
    };
    let appended = tokio::task::spawn_blocking(move || {
        // Tapped twice: the entry already there is the answer.
        let pending = holder.inbox.iter().find(|entry| {
            matches!(entry.request, InboxRequest::Claim { wish: w, member: m, .. } if w == wish && m == member)
                && !holder.outcomes.contains_key(&entry.id)
        });
        if let Some(entry) = pending {
            return Ok(entry.id);
        }
        let id = InboxEntryId::from_bytes(crate::accounts::random().map_err(|_| {
            "no randomness for an entry id: the operating system gave none".to_owned()
        })?);
        let request = InboxRequest::Claim { wish, member, card };
        hub.append_inbox(community, id, request, now)
            .map(|entry| entry.id)
            .map_err(|error| error.to_string())
    })
    .await;
    match appended {
        Ok(Ok(entry)) => (
            StatusCode::ACCEPTED,
            Json(
                json!({ "entry": entry, "status": "pending", "message_zh": "已提交，待社区确认" }),
            ),
        )
            .into_response(),
        Ok(Err(message)) => refused(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            &message,
            "平台暂时无法受理，请稍后再试",
        ),
        Err(error) => refused(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            &error.to_string(),
            "平台暂时无法受理，请稍后再试",
        ),
    }
}

impl Filters {
    /// The filters of a query; a bad one is refused in English and Chinese.
    fn read(query: &HashMap<String, String>) -> Result<Self, (String, String)> {
        let text = |key: &str| {
            query
                .get(key)
                .map(|value| value.trim())
                .filter(|value| !value.is_empty())
        };
        let region = text("region")
            .map(|value| {
                value
                    .parse::<RegionPrefix>()
                    .map_err(|error| (format!("region: {error}"), "地区代码不正确".to_owned()))
            })
            .transpose()?;
        let group = text("group")
            .map(|value| {
                value
                    .parse::<BeneficiaryGroup>()
                    .map_err(|error| (format!("group: {error}"), "困难群众类别不正确".to_owned()))
            })
            .transpose()?;
        let kind = text("kind")
            .map(|value| {
                value
                    .parse::<WishKind>()
                    .map_err(|error| (format!("kind: {error}"), "心愿类型不正确".to_owned()))
            })
            .transpose()?;
        Ok(Self {
            region,
            group,
            kind,
        })
    }

    fn admits(&self, wish: &MarketWish) -> bool {
        self.group.is_none_or(|group| group == wish.group)
            && self.kind.is_none_or(|kind| kind == wish.kind)
    }
}

/// The published wishes under the filters' region (the hub's city when none), read
/// from the documents the hub holds.
async fn market(state: &HubHttpState, filters: &Filters) -> Result<Vec<MarketWish>, String> {
    let Some(hub) = state.hub().cloned() else {
        return Ok(Vec::new());
    };
    let region = filters
        .region
        .clone()
        .unwrap_or_else(|| state.scope().clone());
    let (group, kind) = (filters.group, filters.kind);
    tokio::task::spawn_blocking(move || {
        let filters = Filters {
            region: None,
            group,
            kind,
        };
        let mut wishes = Vec::new();
        for doc in hub.communities_in(&region) {
            let DocId::Community(code) = doc else {
                continue;
            };
            let held = hub.snapshot(doc).map_err(|error| error.to_string())?;
            // A community whose document cannot be read offers nothing, and the rest
            // of the market still shows.
            let Ok(view) = CommunityDoc::from_automerge(held, Some(code), [0; 16])
                .and_then(|doc| CommunityView::derive(&doc))
            else {
                continue;
            };
            wishes.extend(published(code, &view).filter(|wish| filters.admits(wish)));
        }
        Ok(wishes)
    })
    .await
    .map_err(|error| format!("the market stopped: {error}"))?
}

fn published(code: CommunityCode, view: &CommunityView) -> impl Iterator<Item = MarketWish> + '_ {
    view.wishes
        .iter()
        .filter(|(_, wish)| wish.status.state == ClaimState::Published)
        .map(move |(id, wish)| MarketWish {
            community: code,
            community_name: view.community.name.clone(),
            id: *id,
            title: wish.entity.title.clone(),
            kind: wish.entity.kind,
            group: wish.entity.group,
            resident_label: wish.entity.resident_label.clone(),
        })
}

fn refused(status: StatusCode, reason: &str, english: &str, zh: &str) -> Response {
    let body = json!({ "error": english, "reason": reason, "message_zh": zh });
    (status, Json(body)).into_response()
}
