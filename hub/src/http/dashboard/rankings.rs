//! The rankings (`/rankings`): unit organisations (最美机关党支部) and communities of a
//! region for a period, ordered by the measure the viewer picks.

use std::collections::HashMap;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::Response;
use maud::html;
use wishtree_protocol::names::Language;

use super::super::{ApiError, HubHttpState};
use super::layout::{date_text, error_page, link, page, period_form, region_word, tr};
use super::page_params;
use super::tables::{community_table, org_table};
use crate::figures::{self, RankBy};

pub(crate) async fn rankings_page(
    State(state): State<HubHttpState>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Response {
    let (lang, params) = match page_params(query) {
        Ok(found) => found,
        Err((lang, error)) => return error_page(lang, error),
    };
    let request = || -> Result<_, ApiError> {
        Ok((
            params.region(state.scope())?,
            params.period()?,
            params.rank_by()?,
            params.limit()?,
        ))
    };
    let (region, period, by, limit) = match request() {
        Ok(found) => found,
        Err(error) => return error_page(lang, error),
    };
    let query_region = region.clone();
    let data = state
        .read(move |connection| {
            Ok((
                figures::org_ranking(connection, &query_region, &period, by, limit)?,
                figures::community_ranking(connection, &query_region, &period, by, limit)?,
                figures::region_name(connection, &query_region)?,
            ))
        })
        .await;
    let (orgs, communities, name) = match data {
        Ok(found) => found,
        Err(error) => return error_page(lang, error),
    };
    let place = name.unwrap_or_else(|| region_word(lang, &region).to_owned());
    let from = date_text(period.from());
    let to = date_text(period.to());
    let body = html! {
        h1 {
            @match lang {
                Language::Chinese => { (place) " 排行" }
                Language::English => { "Rankings: " (place) }
            }
        }
        (period_form(lang, &region, &period, "/rankings"))
        p {
            (tr(lang, "排序：", "Order by: "))
            @for option in RankBy::ALL {
                @if option == by {
                    b { (rank_label(lang, option)) } " "
                } @else {
                    a href=(link("/rankings", &[("region", region.as_str()), ("by", option.code()), ("from", &from), ("to", &to)], lang)) {
                        (rank_label(lang, option))
                    }
                    " "
                }
            }
        }
        h2 { (tr(lang, "单位党组织（最美机关党支部）", "Unit party organisations")) }
        (org_table(lang, &orgs, &period))
        h2 { (tr(lang, "社区", "Communities")) }
        (community_table(lang, &communities, &period))
        p.downloads {
            a href=(link("/api/rankings/orgs.csv", &[("region", region.as_str()), ("by", by.code())], lang)) { "CSV" }
        }
    };
    page(
        lang,
        tr(lang, "排行", "Rankings"),
        "/rankings",
        &region,
        body,
    )
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
