//! Sync health (`/health`): every community of a region, the ones not synced in the
//! last day first, with when each last exchanged data with the hub and how much of it
//! its own platform signed.

use std::collections::HashMap;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Extension, Query, State};
use axum::response::Response;
use maud::{Markup, html};
use wishtree_protocol::names::Language;

use super::super::HubHttpState;
use super::super::auth::Viewer;
use super::layout::{link, tr};
use super::tables::status_table;
use super::{PageRequest, Shows};
use crate::figures;
use crate::quota::QuotaRefusal;

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
    let over_quota = state
        .hub()
        .map(|hub| hub.quota_book().refusals_in(request.region()))
        .unwrap_or_default();
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
        (quota_section(lang, &over_quota))
        (status_table(lang, &statuses))
        p.downloads {
            a href=(link("/api/communities.csv", &[("region", request.region().as_str())], lang)) {
                (tr(lang, "下载同步状况（CSV 表格）", "Download sync health (CSV)"))
            }
        }
    };
    Ok(request.page(tr(lang, "同步状况", "Sync health"), "/health", None, body))
}

/// The communities whose nodes sent more than their quota since this hub process
/// started ([`crate::quota`]): flagged for a look, since an office PC that floods the
/// hub may be compromised.
fn quota_section(lang: Language, refusals: &[QuotaRefusal]) -> Markup {
    if refusals.is_empty() {
        return html! {};
    }
    html! {
        section #over-quota {
            h2.bad { (tr(lang, "超出配额、同步被拒的社区", "Communities refused past their quota")) }
            p { (tr(lang,
                "这些社区的节点发来的数据超过了平台设定的配额，平台已拒收超出部分、保留此前的数据；请核实该社区的办公电脑是否异常。",
                "These communities' nodes sent more than the hub's quota: the hub refused the excess and keeps what it had; check the community's office PC.")) }
            table {
                thead { tr {
                    th { (tr(lang, "社区代码", "Community")) }
                    th { (tr(lang, "最近被拒", "Last refused")) }
                    th { (tr(lang, "被拒次数", "Refusals")) }
                    th { (tr(lang, "原因", "Why")) }
                } }
                tbody {
                    @for refusal in refusals {
                        tr data-community=(refusal.community) {
                            td { (refusal.community) }
                            td { (refusal.at.display_in_shanghai()) }
                            td.number { (refusal.count) }
                            td { (refusal.reason) }
                        }
                    }
                }
            }
        }
    }
}
