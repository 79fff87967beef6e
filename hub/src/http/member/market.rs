//! The citywide market on a phone (`/m/`, `GET /api/market/wishes`): the published
//! wishes of the communities the hub holds, with nothing personal — the title, the kind,
//! the resident's label and group the worker chose, the community — filtered by region
//! (a district or street code), beneficiary group and kind, newest first, a page at a
//! time, read from the table the figures worker keeps (`figures::market`, so within a
//! second of a sync); and a member's claim
//! (`POST /api/market/claims`), which a card session makes and the hub appends to the
//! community's inbox for its node to apply (`wishtree_protocol::inbox`).
//!
//! A claim is refused at the hub when the card is, when the card or its address has
//! claimed too often (`MemberLimits`), or when the wish is not published now in the
//! document the hub holds. A wish of another community than the member's is claimed
//! as an outside member: the entry goes to that community's inbox naming the member's
//! home community and id, nothing personal, and that community's node records the
//! claimant as `Actor::Outside`. Tapping twice appends one entry.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{Extensions, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::HashMap;
use wishtree_protocol::id::WishId;
use wishtree_protocol::inbox::InboxRequest;
use wishtree_protocol::lifecycle::ClaimState;
use wishtree_protocol::model::{BeneficiaryGroup, WishKind};
use wishtree_protocol::{CommunityCode, RegionPrefix};

use super::{Held, Limited, append_request, member_request, page, refusal, session_card};
use crate::figures::{self, MarketOffer, MarketPage, MarketQuery, OfferKind, OffersQuery};
use crate::http::{ApiError, HubHttpState};

/// The largest body of a claim or a sign-up read.
const REQUEST_LIMIT: usize = 1024;

/// The market's filters, as typed in the query.
#[derive(Debug, Default)]
pub(super) struct Filters {
    pub(super) region: Option<RegionPrefix>,
    pub(super) group: Option<BeneficiaryGroup>,
    pub(super) kind: Option<WishKind>,
    /// Only this kind of the other offers (activities, posts, projects).
    pub(super) offer: Option<OfferKind>,
    /// The page, from 0.
    pub(super) page: usize,
}

/// `GET /m/`: the market page.
pub(crate) async fn market_page(
    State(state): State<HubHttpState>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let signed_in = session_card(&state, &headers, state.now()).is_some();
    match Filters::read(&query) {
        Ok(filters) => match (
            market(&state, &filters).await,
            offers(&state, &filters).await,
        ) {
            (Ok(found), Ok(offers)) => page::market(&found, &offers, &filters, signed_in),
            (Err(message), _) | (_, Err(message)) => {
                page::opener(StatusCode::INTERNAL_SERVER_ERROR, Some(&message))
            }
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
        Ok(found) => Json(found.wishes).into_response(),
        Err(message) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({ "error": message })),
        )
            .into_response(),
    }
}

/// `POST /api/market/claims` with `{"wish": ID, "community": CODE}`: the signed-in
/// member's claim, appended to the wish's community's inbox (202, `pending`), or
/// refused with why. `community` defaults to the member's own; a wish of another
/// community is claimed as an outside member, named by their home community and id.
pub(crate) async fn claim(
    State(state): State<HubHttpState>,
    headers: HeaderMap,
    extensions: Extensions,
    body: Bytes,
) -> Response {
    let holder = match member_request(&state, &headers, &extensions, Limited::Claim).await {
        Ok(holder) => holder,
        Err(refused) => return refused,
    };
    let Some((wish, community)) = id_and_community::<WishId>(&body, "wish") else {
        return refusal(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "the body must be {\"wish\": ID, \"community\": CODE}",
            "请求无法识别",
        );
    };
    let home = holder.card.statement.community;
    let member = holder.card.statement.member;
    let card = holder.card.statement.card;
    let community = community.unwrap_or(home);
    let held = if community == home {
        Ok(Some(Held {
            view: holder.view,
            inbox: holder.inbox,
            outcomes: holder.outcomes,
        }))
    } else {
        let Some(hub) = state.hub().cloned() else {
            return refusal(
                StatusCode::SERVICE_UNAVAILABLE,
                "internal",
                "this hub serves no member pages",
                "平台暂时无法受理，请稍后再试",
            );
        };
        tokio::task::spawn_blocking(move || Held::load(&hub, community))
            .await
            .unwrap_or_else(|error| Err(error.to_string()))
    };
    let held = match held {
        Ok(held) => held,
        Err(message) => {
            return refusal(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                &message,
                "平台暂时无法受理，请稍后再试",
            );
        }
    };
    let Some((held, wish_held)) = held
        .as_ref()
        .and_then(|held| Some((held, held.view.wishes.get(&wish)?)))
    else {
        return refusal(
            StatusCode::NOT_FOUND,
            "no_such_wish",
            "the community has no such wish",
            "没有找到这个心愿：它可能已被社区撤回",
        );
    };
    if wish_held.status.state != ClaimState::Published {
        return refusal(
            StatusCode::CONFLICT,
            "not_published",
            "the wish is not open for claiming now",
            "这个心愿现在不能认领（未发布，或已被认领）",
        );
    }
    let request = InboxRequest::Claim {
        wish,
        member,
        card,
        home,
    };
    // Tapped twice: the entry already there, not applied yet, is the answer.
    let pending = held
        .inbox
        .iter()
        .find(|entry| {
            matches!(entry.request, InboxRequest::Claim { wish: w, member: m, home: h, .. }
                if w == wish && m == member && h == home)
                && !held.outcomes.contains_key(&entry.id)
        })
        .map(|entry| entry.id);
    // Indexed before it is appended, so the member's page finds every entry.
    if community != home
        && let Err(message) = super::elsewhere::remember(&state, home, member, community).await
    {
        return refusal(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            &message,
            "平台暂时无法受理，请稍后再试",
        );
    }
    append_request(&state, community, request, pending, "已提交，待社区确认").await
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
        let offer = text("offer")
            .map(|value| {
                OfferKind::of_code(value).ok_or_else(|| {
                    (
                        "offer: activity, post or project".to_owned(),
                        "服务类型不正确".to_owned(),
                    )
                })
            })
            .transpose()?;
        let page = text("page")
            .map(|value| {
                value
                    .parse::<usize>()
                    .ok()
                    .filter(|page| *page < 100_000)
                    .ok_or_else(|| {
                        (
                            "page: not a page number".to_owned(),
                            "页码不正确".to_owned(),
                        )
                    })
            })
            .transpose()?
            .unwrap_or(0);
        Ok(Self {
            region,
            group,
            kind,
            offer,
            page,
        })
    }
}

/// One page of the published wishes under the filters' region (the hub's city when
/// none), read from the market table the figures worker keeps (`figures::market_page`).
async fn market(state: &HubHttpState, filters: &Filters) -> Result<MarketPage, String> {
    let query = MarketQuery {
        region: filters
            .region
            .clone()
            .unwrap_or_else(|| state.scope().clone()),
        group: filters.group,
        kind: filters.kind,
        page: filters.page,
    };
    read_figures(state, move |connection| {
        figures::market_page(connection, &query)
    })
    .await
}

/// The activities from today on, open posts and published projects under the
/// filters' region, read from the offers table the figures worker keeps.
async fn offers(state: &HubHttpState, filters: &Filters) -> Result<Vec<MarketOffer>, String> {
    let query = OffersQuery {
        region: filters
            .region
            .clone()
            .unwrap_or_else(|| state.scope().clone()),
        kind: filters.offer,
        from_day: state.now().date_in_shanghai(),
    };
    read_figures(state, move |connection| {
        figures::market_offers(connection, &query)
    })
    .await
}

/// Runs a figures query on a read connection; its failure as words for the page.
async fn read_figures<T: Send + 'static>(
    state: &HubHttpState,
    work: impl FnOnce(&dyn crate::sql::Db) -> Result<T, figures::FiguresError> + Send + 'static,
) -> Result<T, String> {
    state
        .read(move |connection| {
            work(connection).map_err(|error| ApiError::internal(error.to_string()))
        })
        .await
        .map_err(|error| error.message().to_owned())
}

/// The id under `key` and the community of a member's request body (`{"wish": ID,
/// "community": CODE}`, `{"activity": …}`), bounded before it is parsed; the community
/// may be missing or null.
pub(super) fn id_and_community<T: std::str::FromStr>(
    body: &[u8],
    key: &str,
) -> Option<(T, Option<CommunityCode>)> {
    if body.len() > REQUEST_LIMIT {
        return None;
    }
    let body: Value = serde_json::from_slice(body).ok()?;
    let id = body.get(key)?.as_str()?.parse().ok()?;
    let community = match body.get("community") {
        None | Some(Value::Null) => None,
        Some(code) => Some(code.as_str()?.parse().ok()?),
    };
    Some((id, community))
}
