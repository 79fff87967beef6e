//! The overview of a region (`/?region=…`): the headline as the articles word it, the
//! wish funnel, the campaign rule, the children to drill into (city → district →
//! street → community), monthly trends, every figure and the top organisations.

use std::collections::HashMap;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::Response;
use maud::{Markup, PreEscaped, html};
use rusqlite::Connection;
use wishtree_protocol::names::Language;
use wishtree_protocol::{RegionLevel, RegionPrefix, Timestamp};

use super::super::svg::{self, Bar, Series, Step};
use super::super::{ApiError, HubHttpState};
use super::layout::{
    CLAIMED, COLLECTED, FULFILLED, SERVICE, error_page, link, number, page, percent, period_form,
    region_link, region_word, short_months, tr,
};
use super::page_params;
use super::tables::{children_table, figures_table, org_table, status_table};
use crate::figures::{
    self, CommunityStatus, Figures, Filter, MonthFigures, OrgRank, Period, RankBy, RegionFigures,
};

/// What the overview of a region shows.
struct Overview {
    figures: Figures,
    crumbs: Vec<(RegionPrefix, Option<String>)>,
    children: Vec<RegionFigures>,
    months: Vec<MonthFigures>,
    top_orgs: Vec<OrgRank>,
    statuses: Vec<CommunityStatus>,
}

pub(crate) async fn overview(
    State(state): State<HubHttpState>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Response {
    let (lang, params) = match page_params(query) {
        Ok(found) => found,
        Err((lang, error)) => return error_page(lang, error),
    };
    let request = || -> Result<(RegionPrefix, Period), ApiError> {
        Ok((params.region(state.scope())?, params.period()?))
    };
    let (region, period) = match request() {
        Ok(found) => found,
        Err(error) => return error_page(lang, error),
    };
    let scope = state.scope().clone();
    let now = state.now();
    let query_region = region.clone();
    let data = state
        .read(move |connection| {
            let region = query_region;
            let filter = Filter {
                region: region.clone(),
                period,
                org: None,
            };
            Ok(Overview {
                figures: figures::figures(connection, &filter, now)?,
                crumbs: crumbs(connection, &scope, &region)?,
                children: figures::children(connection, &region, &period, now)?,
                months: figures::monthly(connection, &region, None, &period)?,
                top_orgs: figures::org_ranking(
                    connection,
                    &region,
                    &period,
                    RankBy::default(),
                    10,
                )?,
                statuses: figures::community_statuses(connection, &region, now)?,
            })
        })
        .await;
    match data {
        Ok(data) => render(lang, &region, &period, now, &data),
        Err(error) => error_page(lang, error),
    }
}

fn render(
    lang: Language,
    region: &RegionPrefix,
    period: &Period,
    now: Timestamp,
    data: &Overview,
) -> Response {
    let figures = &data.figures;
    let title = data
        .crumbs
        .last()
        .map(|(prefix, name)| crumb_label(lang, prefix, name.as_deref(), data.crumbs.len() == 1))
        .unwrap_or_else(|| region_word(lang, region).to_owned());
    let body = html! {
        // Breadcrumbs: city → district → street → community.
        nav.crumbs {
            @for (index, (prefix, name)) in data.crumbs.iter().enumerate() {
                @if index > 0 { " › " }
                @let label = crumb_label(lang, prefix, name.as_deref(), index == 0);
                @if prefix == region {
                    b { (label) }
                } @else {
                    a href=(region_link("/", prefix, period, lang)) data-region=(prefix.as_str()) { (label) }
                }
            }
        }
        h1 data-region=(region.as_str()) { (title) }
        (period_form(lang, region, period, "/"))
        (headline(lang, region, figures))
        div.grid {
            div.card { (funnel(lang, figures)) }
            div.card {
                h2 { (tr(lang, "“双微”要求落实情况", "Guangzhou rule: everyone takes one")) }
                (campaign_rule(lang, figures))
                h2 { (tr(lang, "同步状况", "Sync health")) }
                p {
                    (sync_sentence(lang, figures, data.statuses.iter().any(|s| !s.is_synced_24h)))
                    " "
                    a href=(link("/health", &[("region", region.as_str())], lang)) { (tr(lang, "详情", "details")) }
                }
            }
        }
        @if let Some(level) = region.child_level().filter(|_| !data.children.is_empty()) {
            (children(lang, level, period, &data.children))
        } @else if region.level() == Some(RegionLevel::Community) {
            (status_table(lang, &data.statuses))
        }
        @if !data.months.is_empty() {
            (trends(lang, &data.months))
        }
        h2 { (tr(lang, "全部指标", "Every figure")) }
        (figures_table(lang, figures))
        @if !data.top_orgs.is_empty() {
            h2 {
                (tr(lang, "单位党组织服务排行", "Unit organisations by hours of service"))
                " "
                a href=(region_link("/rankings", region, period, lang)) style="font-size:.8em" {
                    (tr(lang, "完整排行", "full rankings"))
                }
            }
            (org_table(lang, &data.top_orgs, period))
        }
        p.downloads {
            (tr(lang, "下载：", "Download:")) " "
            a href=(region_link("/api/figures.csv", region, period, lang)) { "figures.csv" }
            a href=(region_link("/api/figures/children.csv", region, period, lang)) { "children.csv" }
            a href=(region_link("/api/figures/months.csv", region, period, lang)) { "months.csv" }
        }
        p.muted { (tr(lang, "数据时间：", "As of")) " " (now.display_in_shanghai()) }
    };
    page(lang, &title, "/", region, body)
}

/// The headline, worded as the articles word it.
fn headline(lang: Language, region: &RegionPrefix, figures: &Figures) -> Markup {
    let hours = number(figures.service_hours);
    let members = figure("members_reported", figures.members_reported);
    let orgs = figure("orgs_reported", figures.orgs_reported);
    let pairings = figure("pairings", figures.pairings);
    let collected = figure("wishes_total", figures.wishes.total);
    let claimed = figure("wishes_claimed", figures.wishes.claimed_or_fulfilled());
    let fulfilled = figure("wishes_fulfilled", figures.wishes.fulfilled);
    let activities = figure("activities", figures.activities);
    let participations = figure("participations", figures.participations);
    let hours = figure("service_hours", hours);
    let solved = figure("projects_fulfilled", figures.projects.fulfilled);
    let place = region_word(lang, region);
    html! {
        ul.headline {
            @match lang {
                Language::Chinese => {
                    li { (place) " " (members) " 名在职党员到社区报到" }
                    li { (orgs) " 个单位党组织报到" }
                    li { "共建对子 " (pairings) " 个" }
                    li { "微心愿 征集 " (collected) " 个、认领 " (claimed) " 个、实现 " (fulfilled) " 个" }
                    li { "服务活动 " (activities) " 次、" (participations) " 人次、" (hours) " 小时" }
                    li { "解决问题 " (solved) " 件" }
                }
                Language::English => {
                    li { (members) " in-service party members reported in to their communities " (place) }
                    li { (orgs) " unit party organisations reported in" }
                    li { (pairings) " co-building pairings" }
                    li { "Micro-wishes: " (collected) " collected, " (claimed) " claimed, " (fulfilled) " fulfilled" }
                    li { "Service activities: " (activities) ", " (participations) " person-times, " (hours) " hours" }
                    li { (solved) " problems solved" }
                }
            }
        }
    }
}

/// The wish funnel: collected → claimed → fulfilled.
fn funnel(lang: Language, figures: &Figures) -> Markup {
    let title = tr(
        lang,
        "微心愿：征集 → 认领 → 实现",
        "Micro-wishes: collected → claimed → fulfilled",
    );
    let steps = [
        Step {
            label: tr(lang, "征集", "collected").to_owned(),
            value: figures.wishes.total,
            color: COLLECTED,
        },
        Step {
            label: tr(lang, "认领", "claimed").to_owned(),
            value: figures.wishes.claimed_or_fulfilled(),
            color: CLAIMED,
        },
        Step {
            label: tr(lang, "实现", "fulfilled").to_owned(),
            value: figures.wishes.fulfilled,
            color: FULFILLED,
        },
    ];
    html! {
        h2 { (title) }
        (PreEscaped(svg::funnel(title, &steps)))
    }
}

/// How far the Guangzhou rule is met: every member holds a wish, every unit a project.
fn campaign_rule(lang: Language, figures: &Figures) -> Markup {
    let members = figure(
        "members_with_claimed_wish",
        figures.members_with_claimed_wish,
    );
    let members_rate = percent(figures.members_with_claimed_wish_rate);
    let orgs = figure(
        "orgs_with_claimed_project",
        figures.orgs_with_claimed_project,
    );
    let orgs_rate = percent(figures.orgs_with_claimed_project_rate);
    html! {
        ul {
            @match lang {
                Language::Chinese => {
                    li { "至少领办 1 个微心愿的在职党员 " (members) " 名，占报到党员 " (members_rate) }
                    li { "至少认领 1 个民生微项目的单位党组织 " (orgs) " 个，占报到单位 " (orgs_rate) }
                }
                Language::English => {
                    li { (members) " members hold at least one wish: " (members_rate) " of members reported in" }
                    li { (orgs) " organisations hold at least one project: " (orgs_rate) " of organisations reported in" }
                }
            }
        }
    }
}

/// How many communities synced in the last day, marked bad when any did not.
fn sync_sentence(lang: Language, figures: &Figures, any_stale: bool) -> Markup {
    let synced = html! {
        b class=(if any_stale { "bad" } else { "good" }) data-figure="communities_synced_24h" {
            (figures.communities_synced_24h)
        }
    };
    html! {
        @match lang {
            Language::Chinese => { (figures.communities) " 个社区中 " (synced) " 个 24 小时内已同步。" }
            Language::English => { (synced) " of " (figures.communities) " communities synced in the last 24 hours." }
        }
    }
}

/// The children of a region as a bar chart and a table to drill into.
fn children(
    lang: Language,
    level: RegionLevel,
    period: &Period,
    children: &[RegionFigures],
) -> Markup {
    let heading = children_heading(lang, level);
    let bars: Vec<Bar> = children
        .iter()
        .map(|child| Bar {
            label: child
                .name
                .clone()
                .unwrap_or_else(|| child.region.as_str().to_owned()),
            value: child.figures.members_reported as f64,
            shown: child.figures.members_reported.to_string(),
            href: Some(region_link("/", &child.region, period, lang)),
        })
        .collect();
    let title = match lang {
        Language::Chinese => format!("{heading}报到党员"),
        Language::English => format!("{heading}: members reported in"),
    };
    html! {
        h2 { (title) }
        div.card { (PreEscaped(svg::horizontal_bars(&title, &bars, CLAIMED))) }
        (children_table(lang, children, period))
    }
}

/// Hours of service and wishes, month by month.
fn trends(lang: Language, months: &[MonthFigures]) -> Markup {
    let labels: Vec<String> = months.iter().map(|m| m.month.clone()).collect();
    let hours_title = tr(lang, "每月服务时长（小时）", "Hours of service by month");
    let wishes_title = tr(lang, "每月微心愿", "Micro-wishes by month");
    let bars: Vec<Bar> = months
        .iter()
        .map(|m| Bar {
            label: m.month.clone(),
            value: m.service_hours,
            shown: number(m.service_hours),
            href: None,
        })
        .collect();
    let series = |zh, en, color, value: fn(&MonthFigures) -> u64| Series {
        name: tr(lang, zh, en).to_owned(),
        color,
        values: months.iter().map(|m| value(m) as f64).collect(),
    };
    let lines = [
        series("征集", "collected", COLLECTED, |m| m.wishes_total),
        series("认领", "claimed", CLAIMED, |m| m.wishes_claimed),
        series("实现", "fulfilled", FULFILLED, |m| m.wishes_fulfilled),
    ];
    html! {
        h2 { (tr(lang, "月度趋势", "Monthly trends")) }
        div.grid {
            div.card {
                h3 { (hours_title) }
                (PreEscaped(svg::columns(hours_title, &short_months(&labels), &bars, SERVICE)))
            }
            div.card {
                h3 { (wishes_title) }
                (PreEscaped(svg::lines(wishes_title, &short_months(&labels), &lines)))
            }
        }
    }
}

/// A headline number, tagged with the API's name for it.
pub(super) fn figure(key: &str, value: impl maud::Render) -> Markup {
    html! { b data-figure=(key) { (value) } }
}

/// The chain of regions from the hub's own down to `region`, with known names.
fn crumbs(
    connection: &Connection,
    scope: &RegionPrefix,
    region: &RegionPrefix,
) -> Result<Vec<(RegionPrefix, Option<String>)>, ApiError> {
    let mut chain = vec![if scope.covers(region) {
        scope.clone()
    } else {
        region.clone()
    }];
    if scope.covers(region) {
        for level in RegionLevel::ALL {
            let digits = level.digits();
            if digits > scope.as_str().len()
                && digits <= region.as_str().len()
                && let Ok(prefix) = region.as_str()[..digits].parse::<RegionPrefix>()
            {
                chain.push(prefix);
            }
        }
    }
    let mut out = Vec::new();
    for prefix in chain {
        let name = figures::region_name(connection, &prefix)?;
        out.push((prefix, name));
    }
    Ok(out)
}

fn crumb_label(lang: Language, prefix: &RegionPrefix, name: Option<&str>, is_root: bool) -> String {
    match (name, is_root) {
        (Some(name), _) => name.to_owned(),
        (None, true) if prefix.as_str().is_empty() => tr(lang, "全国", "Nationwide").to_owned(),
        (None, true) => format!("{} {}", region_word(lang, prefix), prefix.as_str()),
        (None, false) => prefix.as_str().to_owned(),
    }
}

fn children_heading(lang: Language, level: RegionLevel) -> &'static str {
    match level {
        RegionLevel::Province => tr(lang, "各省", "Provinces"),
        RegionLevel::City => tr(lang, "各市", "Cities"),
        RegionLevel::District => tr(lang, "各区", "Districts"),
        RegionLevel::Street => tr(lang, "各街道", "Streets"),
        RegionLevel::Community => tr(lang, "各社区", "Communities"),
    }
}
