//! An organisation across its communities (`/orgs/{id}`): what its members did,
//! community by community, with the monthly hours of service and every figure.

use std::collections::HashMap;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use maud::{PreEscaped, html};
use wishtree_protocol::RegionPrefix;
use wishtree_protocol::names::Language;

use super::super::svg::{self, Bar};
use super::super::{ApiError, HubHttpState, parse_org};
use super::layout::{
    SERVICE, error_page, number, page, period_form, region_link, short_months, tr,
};
use super::overview::figure;
use super::page_params;
use super::tables::figures_table;
use crate::figures::{self, MonthFigures, OrgProfile, Period};

pub(crate) async fn org_page(
    State(state): State<HubHttpState>,
    Path(id): Path<String>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Response {
    let (lang, params) = match page_params(query) {
        Ok(found) => found,
        Err((lang, error)) => return error_page(lang, error),
    };
    let request = || -> Result<_, ApiError> {
        Ok((
            parse_org(&id)?,
            params.region(state.scope())?,
            params.period()?,
        ))
    };
    let (org, region, period) = match request() {
        Ok(found) => found,
        Err(error) => return error_page(lang, error),
    };
    let now = state.now();
    let query_region = region.clone();
    let data = state
        .read(move |connection| {
            let profile = figures::org_profile(connection, org, &query_region, &period, now)?;
            let months = figures::monthly(connection, &query_region, Some(org), &period)?;
            Ok((profile, months))
        })
        .await;
    match data {
        Ok((Some(profile), months)) => render(lang, &region, &period, &profile, &months),
        Ok((None, _)) => error_page(
            lang,
            ApiError::not_found(format!(
                "no community's records at this hub name organisation {org}"
            )),
        ),
        Err(error) => error_page(lang, error),
    }
}

fn render(
    lang: Language,
    region: &RegionPrefix,
    period: &Period,
    profile: &OrgProfile,
    months: &[MonthFigures],
) -> Response {
    let f = &profile.figures;
    let communities = figure("communities", f.communities);
    let members = figure("members_reported", f.members_reported);
    let participations = figure("participations", f.participations);
    let hours = figure("service_hours", number(f.service_hours));
    let wishes_claimed = figure("wishes_claimed", f.wishes.claimed_or_fulfilled());
    let wishes_fulfilled = figure("wishes_fulfilled", f.wishes.fulfilled);
    let projects_claimed = figure("projects_claimed", f.projects.claimed_or_fulfilled());
    let projects_fulfilled = figure("projects_fulfilled", f.projects.fulfilled);
    let activities = figure("activities", f.activities);
    let pairings = figure("pairings", f.pairings);
    let base = format!("/orgs/{}", profile.org);
    let headings = [
        tr(lang, "社区", "Community"),
        tr(lang, "单位报到", "Org reported in"),
        tr(lang, "报到党员", "Members"),
        tr(lang, "参加人次", "Person-times"),
        tr(lang, "服务小时", "Hours"),
        tr(lang, "认领心愿", "Wishes claimed"),
        tr(lang, "实现心愿", "Wishes fulfilled"),
        tr(lang, "认领项目", "Projects claimed"),
        tr(lang, "解决问题", "Problems solved"),
    ];
    let hours_title = tr(lang, "每月服务时长（小时）", "Hours of service by month");
    let body = html! {
        h1 data-org=(profile.org) { (profile.name) }
        p.muted { (tr(lang, "统一社会信用代码", "Unified social credit code")) " " (profile.credit_code) }
        (period_form(lang, region, period, &base))
        ul.headline {
            @match lang {
                Language::Chinese => {
                    li { "在 " (communities) " 个社区有记录，" (members) " 名在职党员到社区报到" }
                    li { "党员参加服务活动 " (participations) " 人次、服务 " (hours) " 小时" }
                    li { "认领微心愿 " (wishes_claimed) " 个、实现 " (wishes_fulfilled) " 个" }
                    li { "认领民生微项目 " (projects_claimed) " 个、解决问题 " (projects_fulfilled) " 件" }
                    li { "组织服务活动 " (activities) " 次，共建对子 " (pairings) " 个" }
                }
                Language::English => {
                    li { "Named in " (communities) " communities; " (members) " in-service members reported in" }
                    li { "Members served " (participations) " person-times, " (hours) " hours" }
                    li { "Micro-wishes: " (wishes_claimed) " claimed, " (wishes_fulfilled) " fulfilled" }
                    li { "Projects: " (projects_claimed) " claimed, " (projects_fulfilled) " problems solved" }
                    li { (activities) " activities organised, " (pairings) " co-building pairings" }
                }
            }
        }
        h2 { (tr(lang, "党员在各社区的服务", "Its members' service, community by community")) }
        table {
            tr { @for heading in headings { th { (heading) } } }
            @for community in &profile.communities {
                tr {
                    td {
                        a href=(region_link("/", &community.code.as_region(), period, lang)) {
                            @if community.name.is_empty() { (community.code) } @else { (community.name) }
                        }
                    }
                    td { @if community.is_reported { "✓" } }
                    td { (community.members) }
                    td { (community.participations) }
                    td { (number(community.service_hours)) }
                    td { (community.wishes_claimed) }
                    td { (community.wishes_fulfilled) }
                    td { (community.projects_claimed) }
                    td { (community.projects_fulfilled) }
                }
            }
        }
        @if !months.is_empty() {
            @let labels: Vec<String> = months.iter().map(|m| m.month.clone()).collect();
            @let bars: Vec<Bar> = months.iter().map(|m| Bar {
                label: m.month.clone(),
                value: m.service_hours,
                shown: number(m.service_hours),
                href: None,
            }).collect();
            h2 { (hours_title) }
            div.card { (PreEscaped(svg::columns(hours_title, &short_months(&labels), &bars, SERVICE))) }
        }
        h2 { (tr(lang, "全部指标", "Every figure")) }
        (figures_table(lang, f))
    };
    page(lang, &profile.name, &base, region, body)
}
