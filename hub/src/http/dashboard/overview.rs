//! The overview of a region (`/?region=…`): the headline as the articles word it, the
//! wish funnel, the city's campaigns, the children to drill into (city → district →
//! street → community), monthly trends, every figure and the top organisations.

use std::collections::HashMap;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Extension, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, PreEscaped, html};
use wishtree_protocol::city::CampaignRule;
use wishtree_protocol::names::Language;
use wishtree_protocol::{RegionLevel, RegionPrefix};

use super::super::auth::Viewer;
use super::super::svg::{self, Bar, Series, Step};
use super::super::{ApiError, HubHttpState};
use super::layout::{
    CLAIMED, CLAIMED_TINT, COLLECTED, COLLECTED_TINT, FULFILLED, FULFILLED_TINT, SERVICE,
    date_text, link, number, percent, region_link, region_word, short_months, tr,
};
use super::tables::{children_table, figures_table, org_table, status_table};
use super::{PageRequest, Shows};
use crate::accounts::Access;
use crate::figures::{
    self, CampaignProgress, CommunityStatus, Coverage, Figures, Filter, MonthFigures, OrgRank,
    Period, RankBy, RegionFigures, WISH_WAITING_ALERT_DAYS, WaitingWishes,
};

/// What the overview of a region shows.
struct Overview {
    figures: Figures,
    /// The names of the collection rounds with wishes in the region, for the select.
    rounds: Vec<String>,
    crumbs: Vec<(RegionPrefix, Option<String>)>,
    children: Vec<RegionFigures>,
    months: Vec<MonthFigures>,
    top_orgs: Vec<OrgRank>,
    /// Organisations with members reported in and no service in the period.
    idle_orgs: Vec<OrgRank>,
    statuses: Vec<CommunityStatus>,
    waiting: Vec<WaitingWishes>,
    campaigns: Vec<CampaignProgress>,
    coverage: Coverage,
}

pub(crate) async fn overview(
    State(state): State<HubHttpState>,
    Extension(viewer): Extension<Viewer>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Response, Response> {
    // An organisation account has no region to overview: its home is its unit's page.
    if let Access::Unit { credit_code, .. } = viewer.access()
        && query
            .as_ref()
            .is_ok_and(|Query(query)| !query.contains_key("region"))
    {
        return Ok(Redirect::to(&format!("/orgs/{credit_code}")).into_response());
    }
    let request = PageRequest::read(&state, viewer, query, Shows::Region).await?;
    let period = request.period(region_word(request.lang(), request.region()), "/")?;
    // The crumbs start at the account's own region: the ones above are not its to open.
    let scope = request.viewer().access().home_region(state.scope());
    let now = request.now();
    let region = request.region().clone();
    let round = request
        .params()
        .round()
        .map_err(|error| request.error(&error))?;
    let data = state
        .read(move |connection| {
            let filter = Filter {
                region: region.clone(),
                period,
                org: None,
                round,
            };
            let orgs = figures::org_ranking(connection, &region, &period, RankBy::default(), 1000)?;
            Ok(Overview {
                figures: figures::figures(connection, &filter, now)?,
                rounds: figures::round_names(connection, &region)?,
                crumbs: crumbs(connection, &scope, &region)?,
                children: figures::children(
                    connection,
                    &region,
                    &period,
                    filter.round.as_ref(),
                    now,
                )?,
                months: figures::monthly(
                    connection,
                    &region,
                    None,
                    &period,
                    filter.round.as_ref(),
                )?,
                idle_orgs: orgs
                    .iter()
                    .filter(|org| {
                        org.service.service_minutes == 0 && org.service.participations == 0
                    })
                    .cloned()
                    .collect(),
                top_orgs: orgs.into_iter().take(10).collect(),
                statuses: figures::community_statuses(connection, &region, now)?,
                waiting: figures::waiting_wishes(connection, &region, now.date_in_shanghai())?,
                campaigns: figures::campaign_progress(connection, &region)?,
                coverage: figures::coverage(connection, &region)?,
            })
        })
        .await
        .map_err(|error| request.error(&error))?;
    Ok(render(&request, &period, &data))
}

fn render(request: &PageRequest, period: &Period, data: &Overview) -> Response {
    let (lang, region) = (request.lang(), request.region());
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
        (request.period_form("/", period).render(lang))
        (round_form(request, period, &data.rounds, figures))
        (headline(lang, region, figures))
        (alerts(lang, period, data))
        div.grid {
            div.card.chart-box { (funnel(lang, figures)) }
            div.card {
                h2 { (tr(lang, "市级活动规则落实情况", "The city's campaigns")) }
                (campaigns(lang, &data.campaigns))
                h2 { (tr(lang, "在职党员报到覆盖率", "Report-in coverage")) }
                (coverage(lang, region, &data.coverage))
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
            (tr(lang, "下载 CSV 表格：", "Download as CSV:")) " "
            a href=(region_link("/api/figures.csv", region, period, lang)) { (tr(lang, "全部指标", "every figure")) }
            a href=(region_link("/api/figures/children.csv", region, period, lang)) { (tr(lang, "下级地区", "the regions below")) }
            a href=(region_link("/api/figures/months.csv", region, period, lang)) { (tr(lang, "月度趋势", "month by month")) }
        }
    };
    request.page(&title, "/", Some(period), body)
}

/// What to look at first: wishes waiting too long for someone to claim them, and unit
/// organisations whose members did no service in the period.
fn alerts(lang: Language, period: &Period, data: &Overview) -> Markup {
    if data.waiting.is_empty() && data.idle_orgs.is_empty() {
        return html! {};
    }
    let days = WISH_WAITING_ALERT_DAYS;
    html! {
        section.card.alerts aria-labelledby="alerts-heading" {
            h2 #alerts-heading { (tr(lang, "需要关注", "Needs attention")) }
            ul {
                @for waiting in &data.waiting {
                    @let name = if waiting.name.is_empty() { waiting.code.to_string() } else { waiting.name.clone() };
                    li data-alert="waiting-wishes" {
                        a href=(region_link("/", &waiting.code.as_region(), period, lang)) { (name) }
                        @match lang {
                            Language::Chinese => { "：" (waiting.wishes) " 个微心愿发布后超过 " (days) " 天无人认领（最早 " (waiting.oldest) " 提交）" }
                            Language::English => { ": " (waiting.wishes) " wishes unclaimed for more than " (days) " days (the oldest submitted " (waiting.oldest) ")" }
                        }
                    }
                }
                @if !data.idle_orgs.is_empty() {
                    li data-alert="idle-orgs" {
                        @match lang {
                            Language::Chinese => { (data.idle_orgs.len()) " 个单位党组织本期间没有服务记录：" }
                            Language::English => { (data.idle_orgs.len()) " unit organisations recorded no service in this period: " }
                        }
                        @for (index, org) in data.idle_orgs.iter().take(20).enumerate() {
                            @if index > 0 { (tr(lang, "、", ", ")) }
                            @let href = link(&format!("/orgs/{}", org.org), &[("from", &date_text(period.from())), ("to", &date_text(period.to()))], lang);
                            a href=(href) { @if org.name.is_empty() { (org.org) } @else { (org.name) } }
                        }
                        @if data.idle_orgs.len() > 20 { (tr(lang, " 等", " and more")) }
                    }
                }
            }
        }
    }
}

/// The headline, worded as the articles word it.
/// The select that cuts the wish figures by collection round (批次), keeping the
/// period; shown when the region has rounds, or one was asked.
fn round_form(
    request: &PageRequest,
    period: &Period,
    names: &[String],
    figures: &Figures,
) -> Markup {
    let lang = request.lang();
    let shown = figures.round.as_ref().map(|round| round.as_str());
    let (from, to) = (date_text(period.from()), date_text(period.to()));
    html! {
        @if !names.is_empty() || shown.is_some() {
            form.period #round-form method="get" action="/" {
                input type="hidden" name="region" value=(request.region().as_str());
                input type="hidden" name="from" value=(from);
                input type="hidden" name="to" value=(to);
                @if lang == Language::English {
                    input type="hidden" name="lang" value="en";
                }
                label for="round" { b { (tr(lang, "微心愿征集批次", "Collection round")) } }
                select #round name="round" {
                    option value="" selected[shown.is_none()] { (tr(lang, "全部批次", "Every round")) }
                    @for name in names {
                        option value=(name) selected[shown == Some(name.as_str())] { (name) }
                    }
                }
                button type="submit" { (tr(lang, "按批次查看", "Show")) }
                @if let Some(shown) = shown {
                    span.muted #round-shown {
                        @match lang {
                            Language::Chinese => { "以下微心愿数字仅为“" (shown) "”；其余数字不分批次" }
                            Language::English => { "Wish figures below are of round " (shown) " only; the rest are not cut by round" }
                        }
                    }
                }
            }
        }
    }
}

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
            color: COLLECTED_TINT,
        },
        Step {
            label: tr(lang, "认领", "claimed").to_owned(),
            value: figures.wishes.claimed_or_fulfilled(),
            color: CLAIMED_TINT,
        },
        Step {
            label: tr(lang, "实现", "fulfilled").to_owned(),
            value: figures.wishes.fulfilled,
            color: FULFILLED_TINT,
        },
    ];
    html! {
        h2 { (title) }
        (PreEscaped(svg::funnel(title, &steps)))
    }
}

/// How far each campaign the city document sets is met in the region: who it asks,
/// how many met it, how many are behind.
fn campaigns(lang: Language, campaigns: &[CampaignProgress]) -> Markup {
    html! {
        @if campaigns.is_empty() {
            p.muted #no-campaigns {
                (tr(lang, "市平台尚未设定活动规则（由市委组织部在市平台设定）。",
                    "The city has set no campaign yet (the city hub's operator sets them)."))
            }
        }
        ul #campaigns {
            @for campaign in campaigns {
                li data-campaign=(campaign.rule.code()) {
                    b { (campaign.title) } " "
                    span.muted { (campaign.from.to_string()) " – " (campaign.to.to_string()) } br;
                    @match (lang, campaign.rule) {
                        (Language::Chinese, CampaignRule::MemberClaimsWish) => {
                            "在职党员至少领办 " (campaign.minimum) " 个微心愿："
                            b data-campaign-met=(campaign.met) { (campaign.met) } " / " (campaign.eligible) " 名达到（"
                            (percent(campaign.met_rate)) "），"
                        }
                        (Language::Chinese, CampaignRule::OrgClaimsProject) => {
                            "单位党组织至少认领 " (campaign.minimum) " 个民生微项目："
                            b data-campaign-met=(campaign.met) { (campaign.met) } " / " (campaign.eligible) " 个达到（"
                            (percent(campaign.met_rate)) "），"
                        }
                        (Language::English, _) => {
                            (campaign.rule.label_en()) " (at least " (campaign.minimum) "): "
                            b data-campaign-met=(campaign.met) { (campaign.met) } " of " (campaign.eligible) " met it ("
                            (percent(campaign.met_rate)) "), "
                        }
                    }
                    span class=(if campaign.behind > 0 { "bad" } else { "good" }) data-campaign-behind=(campaign.behind) {
                        (tr(lang, "未达到 ", "behind: ")) (campaign.behind)
                    }
                }
            }
        }
    }
}

/// How many of the members the units declared are reported in, and the units most
/// behind (a unit's name is not personal data).
fn coverage(lang: Language, region: &RegionPrefix, coverage: &Coverage) -> Markup {
    let behind: Vec<_> = coverage
        .by_unit
        .iter()
        .filter(|unit| unit.behind > 0)
        .take(5)
        .collect();
    html! {
        @if coverage.units == 0 {
            p.muted #coverage {
                (tr(lang, "尚无单位申报在职党员人数。", "No unit has declared its in-service members yet."))
            }
        } @else {
            p #coverage {
                @match lang {
                    Language::Chinese => {
                        "申报的 " (coverage.units) " 个单位共有在职党员 " (coverage.in_service_members) " 名，已到社区报到 "
                        b data-figure="coverage_reported" { (coverage.reported) } " 名（" (percent(coverage.share)) "）；"
                        b data-figure="units_complete" { (coverage.units_complete) } " 个单位已全部报到。"
                    }
                    Language::English => {
                        (coverage.units) " units declared " (coverage.in_service_members) " in-service members; "
                        b data-figure="coverage_reported" { (coverage.reported) } " reported in (" (percent(coverage.share)) "); "
                        b data-figure="units_complete" { (coverage.units_complete) } " units complete."
                    }
                }
                " "
                a href=(link("/api/coverage.csv", &[("region", region.as_str())], lang)) {
                    (tr(lang, "下载各单位明细（CSV）", "each unit (CSV)"))
                }
            }
            @if !behind.is_empty() {
                ul #units-behind {
                    @for unit in behind {
                        li data-behind=(unit.behind) {
                            (unit.name) "："
                            (tr(lang, "尚有 ", "")) (unit.behind) (tr(lang, " 名未报到（", " not reported in (")) (percent(unit.share)) (tr(lang, "已报到）", " reported in)"))
                        }
                    }
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
        div.card.chart-box { (PreEscaped(svg::horizontal_bars(&title, &bars, CLAIMED))) }
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
            div.card.chart-box {
                h3 { (hours_title) }
                (PreEscaped(svg::columns(hours_title, &short_months(&labels), &bars, SERVICE)))
            }
            div.card.chart-box {
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
    connection: &dyn crate::sql::Db,
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
