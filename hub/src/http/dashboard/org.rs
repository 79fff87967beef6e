//! An organisation across its communities (`/orgs/{id}`): what its members did,
//! community by community, with the monthly hours of service and every figure.

use std::collections::HashMap;

use crate::figures::OrgScope;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use maud::{Markup, PreEscaped, html};
use wishtree_protocol::RegionPrefix;
use wishtree_protocol::city::CampaignRule;
use wishtree_protocol::names::Language;

use super::super::auth::Viewer;
use super::super::service::HasService;
use super::super::svg::{self, Bar};
use super::super::{HubHttpState, parse_org};
use super::layout::{SERVICE, error_page, number, region_link, short_months, tr};
use super::overview::figure;
use super::tables::{
    figures_table, name_or, party_org_name, service_cells, service_headings, table,
};
use super::unit::behind_section;
use super::{PageRequest, Shows};
use crate::figures::{self, MemberBehind, MonthFigures, OrgProfile, Period};

pub(crate) async fn org_page(
    State(state): State<HubHttpState>,
    Extension(viewer): Extension<Viewer>,
    Path(id): Path<String>,
    uri: Uri,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Response, Response> {
    let shows = Shows::Org(parse_org(&id).ok());
    let request = PageRequest::read(&state, viewer, query, shows).await?;
    let lang = request.lang();
    let not_found = || {
        let message = match lang {
            Language::Chinese => "本平台没有这个单位党组织的记录：请从排行或总览进入".to_owned(),
            Language::English => format!(
                "no community's records at this hub name organisation {}",
                id.chars().take(40).collect::<String>()
            ),
        };
        error_page(lang, &message, StatusCode::NOT_FOUND, request.now())
    };
    let org = parse_org(&id).map_err(|_| not_found())?;
    let base = format!("/orgs/{org}");
    let period = request.period(tr(lang, "单位党组织", "Organisation"), &base)?;
    let (now, region) = (request.now(), request.region().clone());
    let (profile, months, behind) = state
        .read(move |connection| {
            let profile = figures::org_profile(connection, org, &region, &period, now)?;
            let months = figures::monthly(connection, &region, Some(org), &period, None)?;
            let behind = members_behind(connection, org, &region)?;
            Ok((profile, months, behind))
        })
        .await
        .map_err(|error| request.error(&error))?;
    let profile = profile.ok_or_else(not_found)?;
    // A unit's members' service, community by community, is per-organisation data:
    // who looked at it is logged.
    state
        .audit(request.viewer().name(), "view", uri.to_string())
        .await
        .map_err(|error| request.error(&error))?;
    let behind = behind_section(lang, &behind, request.viewer().is_unit());
    Ok(render(&request, &base, &period, &profile, &months, behind))
}

/// Each campaign that asks every member (from the city document), with the unit's
/// members in `region` who are behind on it.
fn members_behind(
    connection: &dyn crate::sql::Db,
    org: OrgScope,
    region: &RegionPrefix,
) -> Result<Vec<(String, u32, Vec<MemberBehind>)>, figures::FiguresError> {
    let mut found = Vec::new();
    for campaign in figures::campaign_progress(connection, region)? {
        if campaign.rule != CampaignRule::MemberClaimsWish {
            continue;
        }
        let days = (campaign.from.to_days(), campaign.to.to_days());
        let behind = figures::unit_members_behind(connection, org, region, campaign.minimum, days)?;
        found.push((campaign.title, campaign.minimum, behind));
    }
    Ok(found)
}

fn render(
    request: &PageRequest,
    base: &str,
    period: &Period,
    profile: &OrgProfile,
    months: &[MonthFigures],
    behind: Markup,
) -> Response {
    let lang = request.lang();
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
    let headings = service_headings(
        lang,
        &[
            tr(lang, "社区", "Community"),
            tr(lang, "单位已报到", "Org reported in"),
        ],
    );
    let hours_title = tr(lang, "每月服务时长（小时）", "Hours of service by month");
    let body = html! {
        h1 data-org=(profile.org) { (party_org_name(&profile.name, profile.party_org.as_deref())) }
        p.muted { (tr(lang, "统一社会信用代码", "Unified social credit code")) " " (profile.credit_code) }
        (request.period_form(base, period).render(lang))
        @if profile.party_orgs.len() > 1 {
            p #party-orgs {
                (tr(lang, "本单位党组织（合计如下）：", "The unit's party organisations (summed below): "))
                @for party_org in &profile.party_orgs {
                    a href={ "/orgs/" (party_org.org) } {
                        (party_org.party_org.as_deref().unwrap_or(tr(lang, "本级", "its own")))
                    }
                    " "
                }
            }
        }
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
        (table("org-communities", &headings, html! {
            @for community in &profile.communities {
                tr {
                    td {
                        a href=(region_link("/", &community.code.as_region(), period, lang)) {
                            (name_or(&community.name, &community.code))
                        }
                    }
                    td {
                        @if community.is_reported { (tr(lang, "是", "yes")) } @else { (tr(lang, "否", "no")) }
                    }
                    (service_cells(&community.service()))
                }
            }
        }))
        @if !months.is_empty() {
            @let labels: Vec<String> = months.iter().map(|m| m.month.clone()).collect();
            @let bars: Vec<Bar> = months.iter().map(|m| Bar {
                label: m.month.clone(),
                value: m.service_hours,
                shown: number(m.service_hours),
                href: None,
            }).collect();
            h2 { (hours_title) }
            div.card.chart-box { (PreEscaped(svg::columns(hours_title, &short_months(&labels), &bars, SERVICE))) }
        }
        p.downloads {
            a href=(format!("{base}/reports")) { (tr(lang, "党员半年报告（报到—服务—报告）", "Members' half-year reports")) }
            a href=(format!("{base}/annual")) { (tr(lang, "单位党组织年度报告", "Annual report")) }
        }
        (behind)
        h2 { (tr(lang, "全部指标", "Every figure")) }
        (figures_table(lang, f))
    };
    request.page(&profile.name, base, Some(period), body)
}
