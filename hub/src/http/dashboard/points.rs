//! The points ranking (`/rankings/points`, 积分排行): the members of a region ranked by
//! the love-passbook points they earned in a half-year, for viewers whose scope holds
//! the region (checked by `PageRequest::read`), with the half-years around it and the
//! download (`/api/rankings/points.csv`). Who looked is logged: it is per-member data.

use std::collections::HashMap;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Extension, Query, State};
use axum::http::Uri;
use axum::response::Response;
use maud::html;
use wishtree_protocol::HalfYear;
use wishtree_protocol::names::Language;

use super::super::HubHttpState;
use super::super::api::points_period;
use super::super::auth::Viewer;
use super::layout::{link, tr};
use super::tables::table;
use super::{PageRequest, Shows};
use crate::figures;

pub(crate) async fn points_page(
    State(state): State<HubHttpState>,
    Extension(viewer): Extension<Viewer>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
    uri: Uri,
) -> Result<Response, Response> {
    let request = PageRequest::read(&state, viewer, query, Shows::Region).await?;
    let (lang, path) = (request.lang(), "/rankings/points");
    let title = tr(lang, "积分排行", "Points ranking");
    // Kept by half-year: a period of dates is refused at the form, any other at the page.
    let asked = request.period(title, path)?;
    let half = points_period(&asked, request.now()).map_err(|error| request.error(&error))?;
    let limit = request
        .params()
        .limit()
        .map_err(|error| request.error(&error))?;
    let hub = state.hub().cloned();
    let (ranking, place) = request
        .read_logged(&state, &uri, move |connection, region| {
            let mut ranking = figures::points_ranking(connection, region, half, limit)?;
            super::super::points::name_members(hub.as_deref(), &mut ranking.members);
            Ok(ranking)
        })
        .await?;
    let region = request.region();
    let at = |half: HalfYear| {
        let period = half.to_string();
        link(
            path,
            &[("region", region.as_str()), ("period", period.as_str())],
            lang,
        )
    };
    let previous = HalfYear::new(half.year() - i32::from(half.half() == 1), 3 - half.half());
    let next = HalfYear::new(half.year() + i32::from(half.half() == 2), 3 - half.half());
    let half_label = match lang {
        Language::Chinese => half.label_zh(),
        Language::English => half.to_string(),
    };
    let headings = [
        tr(lang, "名次", "Rank"),
        tr(lang, "党员", "Member"),
        tr(lang, "社区", "Community"),
        tr(lang, "积分", "Points"),
    ];
    let rows = html! {
        @for member in &ranking.members {
            tr {
                td { (member.rank) }
                td { (member.name) }
                td { (member.community_name) }
                td.num { (member.points) }
            }
        }
    };
    let body = html! {
        h1 {
            @match lang {
                Language::Chinese => { (place) " 积分排行" }
                Language::English => { "Points ranking: " (place) }
            }
        }
        p #points-period {
            b { (half_label) }
            @if let Some(previous) = previous { " · " a href=(at(previous)) { (tr(lang, "上一期", "Previous")) } }
            @if let Some(next) = next { " · " a href=(at(next)) { (tr(lang, "下一期", "Next")) } }
        }
        p.muted {
            @match lang {
                Language::Chinese => { "共 " (ranking.ranked) " 名党员本期获得积分；积分相同名次相同。" }
                Language::English => { (ranking.ranked) " members earned points in the period; equal points share a place." }
            }
        }
        @if ranking.members.is_empty() {
            p.empty #points-empty { (tr(lang, "本期暂无积分", "No points in this period yet")) }
        } @else {
            (table("points-ranking", &headings, rows))
        }
        p.downloads {
            a href=(link("/api/rankings/points.csv", &[("region", region.as_str()), ("period", half.to_string().as_str()), ("limit", "1000")], lang)) {
                (tr(lang, "下载积分排行（CSV 表格）", "Download the points ranking (CSV)"))
            }
        }
    };
    Ok(request.page(title, path, None, body))
}
