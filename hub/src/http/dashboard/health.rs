//! Sync health (`/health`): every community of a region, the ones not synced in the
//! last day first, with when each last exchanged data with the hub and how much of it
//! its own platform signed.

use std::collections::HashMap;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Extension, Query, State};
use axum::response::Response;
use maud::html;
use wishtree_protocol::names::Language;

use super::super::HubHttpState;
use super::super::auth::Viewer;
use super::layout::{link, tr};
use super::tables::status_table;
use super::{PageRequest, Shows};
use crate::figures;

pub(crate) async fn health_page(
    State(state): State<HubHttpState>,
    Extension(viewer): Extension<Viewer>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Response, Response> {
    let request = PageRequest::read(&state, viewer, query, Shows::Region).await?;
    let lang = request.lang();
    let now = request.now();
    let region = request.region().clone();
    let mut statuses = state
        .read(move |connection| Ok(figures::community_statuses(connection, &region, now)?))
        .await
        .map_err(|error| request.error(&error))?;
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
                Language::English => { (statuses.len()) " communities; " (stale_figure) " not synced in the last 24 hours." }
            }
        }
        (status_table(lang, &statuses))
        p.downloads {
            a href=(link("/api/communities.csv", &[("region", request.region().as_str())], lang)) {
                (tr(lang, "下载同步状况（CSV 表格）", "Download sync health (CSV)"))
            }
        }
    };
    Ok(request.page(tr(lang, "同步状况", "Sync health"), "/health", None, body))
}
