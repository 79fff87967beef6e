//! Sync health (`/health`): every community of a region, the ones not synced in the
//! last day first, with when each was last seen and how much of it is signed.

use std::collections::HashMap;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::Response;
use maud::html;
use wishtree_protocol::names::Language;

use super::super::HubHttpState;
use super::layout::{error_page, link, page, tr};
use super::page_params;
use super::tables::status_table;
use crate::figures;

pub(crate) async fn health_page(
    State(state): State<HubHttpState>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Response {
    let (lang, params) = match page_params(query) {
        Ok(found) => found,
        Err((lang, error)) => return error_page(lang, error),
    };
    let region = match params.region(state.scope()) {
        Ok(region) => region,
        Err(error) => return error_page(lang, error),
    };
    let now = state.now();
    let query_region = region.clone();
    let data = state
        .read(move |connection| Ok(figures::community_statuses(connection, &query_region, now)?))
        .await;
    let mut statuses = match data {
        Ok(statuses) => statuses,
        Err(error) => return error_page(lang, error),
    };
    statuses.sort_by_key(|s| (s.is_synced_24h, s.last_seen_at, s.code));
    let stale = statuses.iter().filter(|s| !s.is_synced_24h).count();
    let stale_figure = html! {
        b class=(if stale > 0 { "bad" } else { "good" }) data-figure="communities_not_synced_24h" { (stale) }
    };
    let body = html! {
        h1 { (tr(lang, "同步状况", "Sync health")) }
        p {
            @match lang {
                Language::Chinese => { "共 " (statuses.len()) " 个社区，" (stale_figure) " 个社区 24 小时内未同步。" }
                Language::English => { (statuses.len()) " communities; " (stale_figure) " not seen in the last 24 hours." }
            }
        }
        (status_table(lang, &statuses))
        p.downloads {
            a href=(link("/api/communities.csv", &[("region", region.as_str())], lang)) { "CSV" }
        }
    };
    page(
        lang,
        tr(lang, "同步状况", "Sync health"),
        "/health",
        &region,
        body,
    )
}
