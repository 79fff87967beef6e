//! The rankings (`/rankings`): unit organisations (最美机关党支部) and communities of a
//! region for a period, ordered by the measure the viewer picks; the downloads and the
//! language switch keep the period and the order.

use std::collections::HashMap;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Extension, Query, State};
use axum::http::Uri;
use axum::response::Response;
use maud::html;
use wishtree_protocol::names::Language;

use super::super::HubHttpState;
use super::super::auth::Viewer;
use super::layout::{date_text, link, tr};
use super::tables::{community_table, org_table};
use super::{PageRequest, Shows};
use crate::figures::{self, RankBy};

pub(crate) async fn rankings_page(
    State(state): State<HubHttpState>,
    Extension(viewer): Extension<Viewer>,
    uri: Uri,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Response, Response> {
    let request = PageRequest::read(&state, viewer, query, Shows::Region).await?;
    let lang = request.lang();
    let title = tr(lang, "排行", "Rankings");
    let period = request.period(title, "/rankings")?;
    let bad_parameter = |error| request.error(&error);
    let by = request.params().rank_by().map_err(bad_parameter)?;
    let limit = request.params().limit().map_err(bad_parameter)?;
    // The units' figures side by side are per-organisation data: who looked is logged.
    let ((orgs, communities), place) = request
        .read_logged(&state, &uri, move |connection, region| {
            Ok((
                figures::org_ranking(connection, region, &period, by, limit)?,
                figures::community_ranking(connection, region, &period, by, limit)?,
            ))
        })
        .await?;
    let region = request.region();
    let (from, to) = (date_text(period.from()), date_text(period.to()));
    let asked = |by: RankBy| {
        [
            ("region", region.as_str()),
            ("by", by.code()),
            ("from", from.as_str()),
            ("to", to.as_str()),
        ]
    };
    let body = html! {
        h1 {
            @match lang {
                Language::Chinese => { (place) " 排行" }
                Language::English => { "Rankings: " (place) }
            }
        }
        (request.period_form("/rankings", &period).render(lang))
        p {
            (tr(lang, "排序：", "Order by: "))
            @for option in RankBy::ALL {
                @if option == by {
                    b aria-current="true" { (rank_label(lang, option)) } " "
                } @else {
                    a href=(link("/rankings", &asked(option), lang)) { (rank_label(lang, option)) }
                    " "
                }
            }
        }
        h2 { (tr(lang, "单位党组织（最美机关党支部）", "Unit party organisations")) }
        (org_table(lang, &orgs, &period))
        h2 { (tr(lang, "社区", "Communities")) }
        (community_table(lang, &communities, &period))
        p.downloads {
            a href=(link("/api/rankings/orgs.csv", &asked(by), lang)) {
                (tr(lang, "下载单位党组织排行（CSV 表格）", "Download the organisations' ranking (CSV)"))
            }
            a href=(link("/api/rankings/communities.csv", &asked(by), lang)) {
                (tr(lang, "下载社区排行（CSV 表格）", "Download the communities' ranking (CSV)"))
            }
        }
    };
    Ok(request.page(title, "/rankings", Some(&period), body))
}

fn rank_label(lang: Language, by: RankBy) -> &'static str {
    match by {
        RankBy::ServiceHours => tr(lang, "服务时长", "hours of service"),
        RankBy::WishesClaimed => tr(lang, "认领心愿", "wishes claimed"),
        RankBy::WishesFulfilled => tr(lang, "实现心愿", "wishes fulfilled"),
        RankBy::ProjectsClaimed => tr(lang, "认领项目", "projects claimed"),
        RankBy::ProjectsFulfilled => tr(lang, "解决问题", "problems solved"),
        RankBy::Participations => tr(lang, "参加人次", "person-times"),
        RankBy::Members => tr(lang, "报到党员", "members"),
    }
}
