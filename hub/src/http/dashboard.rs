//! The dashboard: server-rendered HTML, Chinese first with an English switch
//! (`?lang=en`), every style and chart inside the page (city intranets have no CDN).
//!
//! Pages: the overview of a region with drill-down city → district → street →
//! community (`/?region=…`), an organisation across its communities (`/orgs/{id}`),
//! the rankings (`/rankings`) and sync health (`/health`). Headline numbers carry
//! `data-figure` attributes named as the API's keys, so a test (or a screen reader's
//! user) can tell which figure each number is.

use std::collections::HashMap;
use std::fmt::Write as _;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use rusqlite::Connection;
use wishtree_protocol::names::Language;
use wishtree_protocol::{RegionLevel, RegionPrefix, Timestamp};

use super::api::params;
use super::svg::{self, Bar, Series, Step};
use super::{ApiError, HubHttpState, Params, escape, parse_org};
use crate::figures::{
    self, CommunityStatus, Figures, Filter, MonthFigures, OrgProfile, OrgRank, Period, RankBy,
    RegionFigures,
};

/// The page's styles, inline: the hub serves no other asset.
const STYLE: &str = r#"
body{font-family:"PingFang SC","Microsoft YaHei","Noto Sans CJK SC","Source Han Sans SC",sans-serif;margin:0;color:#222;background:#f6f4ef}
header{background:#b22222;color:#fff;padding:10px 20px;display:flex;gap:24px;align-items:center;flex-wrap:wrap}
header a{color:#fff;text-decoration:none}header .brand{font-weight:bold;font-size:1.2em}
header nav{display:flex;gap:16px;flex:1}header .lang{border:1px solid #fff;padding:2px 8px;border-radius:3px}
main{max-width:1100px;margin:0 auto;padding:12px 20px 40px}
.crumbs{margin:8px 0;color:#555}.crumbs a{color:#b22222}
h1{font-size:1.5em;margin:10px 0}h2{font-size:1.15em;margin:24px 0 8px;border-left:4px solid #b22222;padding-left:8px}
ul.headline{list-style:none;padding:0;display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:10px}
ul.headline li{background:#fff;border-radius:6px;padding:12px 14px;box-shadow:0 1px 2px rgba(0,0,0,.08);font-size:1.05em}
ul.headline b{color:#b22222;font-size:1.35em;margin:0 2px}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:16px}
.card{background:#fff;border-radius:6px;padding:12px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
table{border-collapse:collapse;width:100%;background:#fff;font-size:.95em}
th,td{border-bottom:1px solid #e5e0d5;padding:6px 8px;text-align:right}th{background:#f0ebe0}
th:first-child,td:first-child,td.text,th.text{text-align:left}
td a{color:#b22222}.muted{color:#888;fill:#888}.bad{color:#b22222;font-weight:bold}.good{color:#2e7d32}
svg.chart{width:100%;height:auto;font-size:12px;max-width:860px;display:block;margin:auto}
h3{font-size:1em;margin:4px 0 8px;color:#555}svg .small{font-size:10px;fill:#555}svg a text{fill:#b22222}
svg .funnel-label{font-size:14px;fill:#fff;font-weight:bold;paint-order:stroke;stroke:rgba(0,0,0,.35);stroke-width:2px}
form.period{display:flex;gap:8px;align-items:center;flex-wrap:wrap;margin:6px 0}
.downloads a{margin-right:12px;color:#555}
"#;

/// Green apples, red apples and the basket: the colours of the wish tree.
const COLLECTED: &str = "#7cb342";
const CLAIMED: &str = "#e53935";
const FULFILLED: &str = "#f9a825";
const SERVICE: &str = "#8e244d";

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
        Ok(data) => render_overview(lang, &region, &period, now, &data),
        Err(error) => error_page(lang, error),
    }
}

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
        Ok((Some(profile), months)) => render_org(lang, &region, &period, &profile, &months),
        Ok((None, _)) => error_page(
            lang,
            ApiError::not_found(format!(
                "no community's records at this hub name organisation {org}"
            )),
        ),
        Err(error) => error_page(lang, error),
    }
}

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
    match data {
        Ok((orgs, communities, name)) => {
            let mut body = String::new();
            let place = name.unwrap_or_else(|| region_word(lang, &region));
            let _ = write!(
                body,
                "<h1>{}</h1>",
                escape(&match lang {
                    Language::Chinese => format!("{place} 排行"),
                    Language::English => format!("Rankings: {place}"),
                })
            );
            body.push_str(&period_form(lang, &region, &period, "/rankings"));
            body.push_str("<p>");
            body.push_str(tr(lang, "排序：", "Order by: "));
            for option in RankBy::ALL {
                let label = rank_label(lang, option);
                if option == by {
                    let _ = write!(body, "<b>{label}</b> ");
                } else {
                    let href = link(
                        "/rankings",
                        &[
                            ("region", region.as_str()),
                            ("by", option.code()),
                            ("from", &date_text(period.from())),
                            ("to", &date_text(period.to())),
                        ],
                        lang,
                    );
                    let _ = write!(body, r#"<a href="{}">{label}</a> "#, escape(&href));
                }
            }
            body.push_str("</p>");
            let _ = write!(
                body,
                "<h2>{}</h2>",
                tr(
                    lang,
                    "单位党组织（最美机关党支部）",
                    "Unit party organisations"
                )
            );
            body.push_str(&org_table(lang, &orgs, &period));
            let _ = write!(body, "<h2>{}</h2>", tr(lang, "社区", "Communities"));
            body.push_str(&community_table(lang, &communities, &period));
            let _ = write!(
                body,
                r#"<p class="downloads"><a href="{}">CSV</a></p>"#,
                escape(&link(
                    "/api/rankings/orgs.csv",
                    &[("region", region.as_str()), ("by", by.code())],
                    lang
                ))
            );
            page(
                lang,
                tr(lang, "排行", "Rankings"),
                "/rankings",
                &region,
                &body,
            )
        }
        Err(error) => error_page(lang, error),
    }
}

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
    match data {
        Ok(mut statuses) => {
            statuses.sort_by_key(|s| (s.is_synced_24h, s.last_seen_at, s.code));
            let stale = statuses.iter().filter(|s| !s.is_synced_24h).count();
            let mut body = String::new();
            let _ = write!(
                body,
                "<h1>{}</h1><p>{}</p>",
                tr(lang, "同步状况", "Sync health"),
                match lang {
                    Language::Chinese => format!(
                        r#"共 {} 个社区，<b class="{}" data-figure="communities_not_synced_24h">{stale}</b> 个社区 24 小时内未同步。"#,
                        statuses.len(),
                        if stale > 0 { "bad" } else { "good" }
                    ),
                    Language::English => format!(
                        r#"{} communities; <b class="{}" data-figure="communities_not_synced_24h">{stale}</b> not seen in the last 24 hours."#,
                        statuses.len(),
                        if stale > 0 { "bad" } else { "good" }
                    ),
                }
            );
            body.push_str(&status_table(lang, &statuses));
            let _ = write!(
                body,
                r#"<p class="downloads"><a href="{}">CSV</a></p>"#,
                escape(&link(
                    "/api/communities.csv",
                    &[("region", region.as_str())],
                    lang
                ))
            );
            page(
                lang,
                tr(lang, "同步状况", "Sync health"),
                "/health",
                &region,
                &body,
            )
        }
        Err(error) => error_page(lang, error),
    }
}

fn render_overview(
    lang: Language,
    region: &RegionPrefix,
    period: &Period,
    now: Timestamp,
    data: &Overview,
) -> Response {
    let figures = &data.figures;
    let mut body = String::new();

    // Breadcrumbs: city → district → street → community.
    body.push_str(r#"<nav class="crumbs">"#);
    for (index, (prefix, name)) in data.crumbs.iter().enumerate() {
        if index > 0 {
            body.push_str(" › ");
        }
        let label = crumb_label(lang, prefix, name.as_deref(), index == 0);
        if prefix == region {
            let _ = write!(body, "<b>{}</b>", escape(&label));
        } else {
            let href = region_link("/", prefix, period, lang);
            let _ = write!(
                body,
                r#"<a href="{}" data-region="{}">{}</a>"#,
                escape(&href),
                prefix.as_str(),
                escape(&label)
            );
        }
    }
    body.push_str("</nav>");
    let title = data
        .crumbs
        .last()
        .map(|(prefix, name)| crumb_label(lang, prefix, name.as_deref(), data.crumbs.len() == 1))
        .unwrap_or_else(|| region_word(lang, region));
    let _ = write!(
        body,
        r#"<h1 data-region="{}">{}</h1>"#,
        region.as_str(),
        escape(&title)
    );
    body.push_str(&period_form(lang, region, period, "/"));

    body.push_str(&headline(lang, region, figures));

    // The funnel and the compliance of the Guangzhou rule.
    body.push_str(r#"<div class="grid"><div class="card">"#);
    let funnel_title = tr(
        lang,
        "微心愿：征集 → 认领 → 实现",
        "Micro-wishes: collected → claimed → fulfilled",
    );
    let _ = write!(body, "<h2>{funnel_title}</h2>");
    body.push_str(&svg::funnel(
        funnel_title,
        &[
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
        ],
    ));
    body.push_str("</div><div class=\"card\">");
    let _ = write!(
        body,
        "<h2>{}</h2><ul>",
        tr(
            lang,
            "“双微”要求落实情况",
            "Guangzhou rule: everyone takes one"
        )
    );
    let _ = write!(
        body,
        "<li>{}</li><li>{}</li></ul>",
        match lang {
            Language::Chinese => format!(
                r#"至少领办 1 个微心愿的在职党员 <b data-figure="members_with_claimed_wish">{}</b> 名，占报到党员 {}"#,
                figures.members_with_claimed_wish,
                percent(figures.members_with_claimed_wish_rate)
            ),
            Language::English => format!(
                r#"<b data-figure="members_with_claimed_wish">{}</b> members hold at least one wish: {} of members reported in"#,
                figures.members_with_claimed_wish,
                percent(figures.members_with_claimed_wish_rate)
            ),
        },
        match lang {
            Language::Chinese => format!(
                r#"至少认领 1 个民生微项目的单位党组织 <b data-figure="orgs_with_claimed_project">{}</b> 个，占报到单位 {}"#,
                figures.orgs_with_claimed_project,
                percent(figures.orgs_with_claimed_project_rate)
            ),
            Language::English => format!(
                r#"<b data-figure="orgs_with_claimed_project">{}</b> organisations hold at least one project: {} of organisations reported in"#,
                figures.orgs_with_claimed_project,
                percent(figures.orgs_with_claimed_project_rate)
            ),
        }
    );
    let stale = data.statuses.iter().filter(|s| !s.is_synced_24h).count();
    let _ = write!(
        body,
        r#"<h2>{}</h2><p>{} <a href="{}">{}</a></p>"#,
        tr(lang, "同步状况", "Sync health"),
        match lang {
            Language::Chinese => format!(
                r#"{} 个社区中 <b class="{}" data-figure="communities_synced_24h">{}</b> 个 24 小时内已同步。"#,
                figures.communities,
                if stale > 0 { "bad" } else { "good" },
                figures.communities_synced_24h
            ),
            Language::English => format!(
                r#"<b class="{}" data-figure="communities_synced_24h">{}</b> of {} communities synced in the last 24 hours."#,
                if stale > 0 { "bad" } else { "good" },
                figures.communities_synced_24h,
                figures.communities
            ),
        },
        escape(&link("/health", &[("region", region.as_str())], lang)),
        tr(lang, "详情", "details"),
    );
    body.push_str("</div></div>");

    // Children: a bar chart and a table to drill into.
    if let Some(level) = region.child_level()
        && !data.children.is_empty()
    {
        let heading = children_heading(lang, level);
        let bars: Vec<Bar> = data
            .children
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
        let chart_title = match lang {
            Language::Chinese => format!("{heading}报到党员"),
            Language::English => format!("{heading}: members reported in"),
        };
        let _ = write!(body, "<h2>{}</h2>", escape(&chart_title));
        body.push_str(r#"<div class="card">"#);
        body.push_str(&svg::horizontal_bars(&chart_title, &bars, CLAIMED));
        body.push_str("</div>");
        body.push_str(&children_table(lang, &data.children, period));
    } else if region.level() == Some(RegionLevel::Community) {
        body.push_str(&status_table(lang, &data.statuses));
    }

    // Monthly trends.
    if !data.months.is_empty() {
        let labels: Vec<String> = data.months.iter().map(|m| m.month.clone()).collect();
        let hours_title = tr(lang, "每月服务时长（小时）", "Hours of service by month");
        let wishes_title = tr(lang, "每月微心愿", "Micro-wishes by month");
        let _ = write!(body, "<h2>{}</h2>", tr(lang, "月度趋势", "Monthly trends"));
        let _ = write!(
            body,
            r#"<div class="grid"><div class="card"><h3>{hours_title}</h3>"#
        );
        let bars: Vec<Bar> = data
            .months
            .iter()
            .map(|m| Bar {
                label: m.month.clone(),
                value: m.service_hours,
                shown: number(m.service_hours),
                href: None,
            })
            .collect();
        body.push_str(&svg::columns(
            hours_title,
            &short_months(&labels),
            &bars,
            SERVICE,
        ));
        let _ = write!(body, r#"</div><div class="card"><h3>{wishes_title}</h3>"#);
        body.push_str(&svg::lines(
            wishes_title,
            &short_months(&labels),
            &[
                Series {
                    name: tr(lang, "征集", "collected").to_owned(),
                    color: COLLECTED,
                    values: data.months.iter().map(|m| m.wishes_total as f64).collect(),
                },
                Series {
                    name: tr(lang, "认领", "claimed").to_owned(),
                    color: CLAIMED,
                    values: data
                        .months
                        .iter()
                        .map(|m| m.wishes_claimed as f64)
                        .collect(),
                },
                Series {
                    name: tr(lang, "实现", "fulfilled").to_owned(),
                    color: FULFILLED,
                    values: data
                        .months
                        .iter()
                        .map(|m| m.wishes_fulfilled as f64)
                        .collect(),
                },
            ],
        ));
        body.push_str("</div></div>");
    }

    // Every figure, as the API names it.
    let _ = write!(body, "<h2>{}</h2>", tr(lang, "全部指标", "Every figure"));
    body.push_str(&figures_table(lang, figures));

    if !data.top_orgs.is_empty() {
        let _ = write!(
            body,
            r#"<h2>{} <a href="{}" style="font-size:.8em">{}</a></h2>"#,
            tr(
                lang,
                "单位党组织服务排行",
                "Unit organisations by hours of service"
            ),
            escape(&region_link("/rankings", region, period, lang)),
            tr(lang, "完整排行", "full rankings"),
        );
        body.push_str(&org_table(lang, &data.top_orgs, period));
    }

    let _ = write!(
        body,
        r#"<p class="downloads">{} <a href="{}">figures.csv</a><a href="{}">children.csv</a><a href="{}">months.csv</a></p>"#,
        tr(lang, "下载：", "Download:"),
        escape(&region_link("/api/figures.csv", region, period, lang)),
        escape(&region_link(
            "/api/figures/children.csv",
            region,
            period,
            lang
        )),
        escape(&region_link(
            "/api/figures/months.csv",
            region,
            period,
            lang
        )),
    );
    let _ = write!(
        body,
        r#"<p class="muted">{} {}</p>"#,
        tr(lang, "数据时间：", "As of"),
        now.display_in_shanghai()
    );
    page(lang, &title, "/", region, &body)
}

fn render_org(
    lang: Language,
    region: &RegionPrefix,
    period: &Period,
    profile: &OrgProfile,
    months: &[MonthFigures],
) -> Response {
    let figures = &profile.figures;
    let mut body = String::new();
    let _ = write!(
        body,
        r#"<h1 data-org="{}">{}</h1><p class="muted">{} {}</p>"#,
        profile.org,
        escape(&profile.name),
        tr(lang, "统一社会信用代码", "Unified social credit code"),
        escape(&profile.credit_code)
    );
    let base = format!("/orgs/{}", profile.org);
    body.push_str(&period_form(lang, region, period, &base));
    let hours = number(figures.service_hours);
    let items = match lang {
        Language::Chinese => vec![
            format!(
                r#"在 <b data-figure="communities">{}</b> 个社区有记录，<b data-figure="members_reported">{}</b> 名在职党员到社区报到"#,
                figures.communities, figures.members_reported
            ),
            format!(
                r#"党员参加服务活动 <b data-figure="participations">{}</b> 人次、服务 <b data-figure="service_hours">{hours}</b> 小时"#,
                figures.participations
            ),
            format!(
                r#"认领微心愿 <b data-figure="wishes_claimed">{}</b> 个、实现 <b data-figure="wishes_fulfilled">{}</b> 个"#,
                figures.wishes.claimed_or_fulfilled(),
                figures.wishes.fulfilled
            ),
            format!(
                r#"认领民生微项目 <b data-figure="projects_claimed">{}</b> 个、解决问题 <b data-figure="projects_fulfilled">{}</b> 件"#,
                figures.projects.claimed_or_fulfilled(),
                figures.projects.fulfilled
            ),
            format!(
                r#"组织服务活动 <b data-figure="activities">{}</b> 次，共建对子 <b data-figure="pairings">{}</b> 个"#,
                figures.activities, figures.pairings
            ),
        ],
        Language::English => vec![
            format!(
                r#"Named in <b data-figure="communities">{}</b> communities; <b data-figure="members_reported">{}</b> in-service members reported in"#,
                figures.communities, figures.members_reported
            ),
            format!(
                r#"Members served <b data-figure="participations">{}</b> person-times, <b data-figure="service_hours">{hours}</b> hours"#,
                figures.participations
            ),
            format!(
                r#"Micro-wishes: <b data-figure="wishes_claimed">{}</b> claimed, <b data-figure="wishes_fulfilled">{}</b> fulfilled"#,
                figures.wishes.claimed_or_fulfilled(),
                figures.wishes.fulfilled
            ),
            format!(
                r#"Projects: <b data-figure="projects_claimed">{}</b> claimed, <b data-figure="projects_fulfilled">{}</b> problems solved"#,
                figures.projects.claimed_or_fulfilled(),
                figures.projects.fulfilled
            ),
            format!(
                r#"<b data-figure="activities">{}</b> activities organised, <b data-figure="pairings">{}</b> co-building pairings"#,
                figures.activities, figures.pairings
            ),
        ],
    };
    body.push_str(r#"<ul class="headline">"#);
    for item in items {
        let _ = write!(body, "<li>{item}</li>");
    }
    body.push_str("</ul>");

    let _ = write!(
        body,
        "<h2>{}</h2>",
        tr(
            lang,
            "党员在各社区的服务",
            "Its members' service, community by community"
        )
    );
    body.push_str("<table><tr>");
    for heading in [
        tr(lang, "社区", "Community"),
        tr(lang, "单位报到", "Org reported in"),
        tr(lang, "报到党员", "Members"),
        tr(lang, "参加人次", "Person-times"),
        tr(lang, "服务小时", "Hours"),
        tr(lang, "认领心愿", "Wishes claimed"),
        tr(lang, "实现心愿", "Wishes fulfilled"),
        tr(lang, "认领项目", "Projects claimed"),
        tr(lang, "解决问题", "Problems solved"),
    ] {
        let _ = write!(body, "<th>{heading}</th>");
    }
    body.push_str("</tr>");
    for community in &profile.communities {
        let name = if community.name.is_empty() {
            community.code.to_string()
        } else {
            community.name.clone()
        };
        let _ = write!(
            body,
            r#"<tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>"#,
            escape(&region_link("/", &community.code.as_region(), period, lang)),
            escape(&name),
            if community.is_reported { "✓" } else { "" },
            community.members,
            community.participations,
            number(community.service_hours),
            community.wishes_claimed,
            community.wishes_fulfilled,
            community.projects_claimed,
            community.projects_fulfilled,
        );
    }
    body.push_str("</table>");
    if !months.is_empty() {
        let labels: Vec<String> = months.iter().map(|m| m.month.clone()).collect();
        let title = tr(lang, "每月服务时长（小时）", "Hours of service by month");
        let bars: Vec<Bar> = months
            .iter()
            .map(|m| Bar {
                label: m.month.clone(),
                value: m.service_hours,
                shown: number(m.service_hours),
                href: None,
            })
            .collect();
        let _ = write!(body, r#"<h2>{title}</h2><div class="card">"#);
        body.push_str(&svg::columns(title, &short_months(&labels), &bars, SERVICE));
        body.push_str("</div>");
    }
    let _ = write!(body, "<h2>{}</h2>", tr(lang, "全部指标", "Every figure"));
    body.push_str(&figures_table(lang, figures));
    page(lang, &profile.name, &base, region, &body)
}

/// The headline, worded as the articles word it.
fn headline(lang: Language, region: &RegionPrefix, figures: &Figures) -> String {
    let hours = number(figures.service_hours);
    let items = match lang {
        Language::Chinese => vec![
            format!(
                r#"{} <b data-figure="members_reported">{}</b> 名在职党员到社区报到"#,
                region_word(lang, region),
                figures.members_reported
            ),
            format!(
                r#"<b data-figure="orgs_reported">{}</b> 个单位党组织报到"#,
                figures.orgs_reported
            ),
            format!(
                r#"共建对子 <b data-figure="pairings">{}</b> 个"#,
                figures.pairings
            ),
            format!(
                r#"微心愿 征集 <b data-figure="wishes_total">{}</b> 个、认领 <b data-figure="wishes_claimed">{}</b> 个、实现 <b data-figure="wishes_fulfilled">{}</b> 个"#,
                figures.wishes.total,
                figures.wishes.claimed_or_fulfilled(),
                figures.wishes.fulfilled
            ),
            format!(
                r#"服务活动 <b data-figure="activities">{}</b> 次、<b data-figure="participations">{}</b> 人次、<b data-figure="service_hours">{hours}</b> 小时"#,
                figures.activities, figures.participations
            ),
            format!(
                r#"解决问题 <b data-figure="projects_fulfilled">{}</b> 件"#,
                figures.projects.fulfilled
            ),
        ],
        Language::English => vec![
            format!(
                r#"<b data-figure="members_reported">{}</b> in-service party members reported in to their communities {}"#,
                figures.members_reported,
                region_word(lang, region)
            ),
            format!(
                r#"<b data-figure="orgs_reported">{}</b> unit party organisations reported in"#,
                figures.orgs_reported
            ),
            format!(
                r#"<b data-figure="pairings">{}</b> co-building pairings"#,
                figures.pairings
            ),
            format!(
                r#"Micro-wishes: <b data-figure="wishes_total">{}</b> collected, <b data-figure="wishes_claimed">{}</b> claimed, <b data-figure="wishes_fulfilled">{}</b> fulfilled"#,
                figures.wishes.total,
                figures.wishes.claimed_or_fulfilled(),
                figures.wishes.fulfilled
            ),
            format!(
                r#"Service activities: <b data-figure="activities">{}</b>, <b data-figure="participations">{}</b> person-times, <b data-figure="service_hours">{hours}</b> hours"#,
                figures.activities, figures.participations
            ),
            format!(
                r#"<b data-figure="projects_fulfilled">{}</b> problems solved"#,
                figures.projects.fulfilled
            ),
        ],
    };
    let mut out = String::from(r#"<ul class="headline">"#);
    for item in items {
        let _ = write!(out, "<li>{item}</li>");
    }
    out.push_str("</ul>");
    out
}

fn figures_table(lang: Language, figures: &Figures) -> String {
    let w = &figures.wishes;
    let p = &figures.projects;
    let rows: Vec<(&str, &str, &str, String)> = vec![
        (
            "communities",
            "社区",
            "communities",
            figures.communities.to_string(),
        ),
        (
            "communities_synced_24h",
            "24 小时内同步的社区",
            "communities synced in 24 h",
            figures.communities_synced_24h.to_string(),
        ),
        (
            "members_reported",
            "报到党员",
            "members reported in",
            figures.members_reported.to_string(),
        ),
        (
            "orgs_reported",
            "报到单位党组织",
            "organisations reported in",
            figures.orgs_reported.to_string(),
        ),
        (
            "pairings",
            "共建对子",
            "pairings",
            figures.pairings.to_string(),
        ),
        (
            "wishes.total",
            "微心愿 征集",
            "wishes collected",
            w.total.to_string(),
        ),
        (
            "wishes.submitted",
            "微心愿 待审核",
            "wishes submitted",
            w.submitted.to_string(),
        ),
        (
            "wishes.published",
            "微心愿 待认领（绿苹果）",
            "wishes published (green)",
            w.published.to_string(),
        ),
        (
            "wishes.claimed",
            "微心愿 已认领（红苹果）",
            "wishes claimed (red)",
            w.claimed.to_string(),
        ),
        (
            "wishes.fulfilled",
            "微心愿 已实现",
            "wishes fulfilled",
            w.fulfilled.to_string(),
        ),
        (
            "wishes.rejected",
            "微心愿 已驳回",
            "wishes rejected",
            w.rejected.to_string(),
        ),
        (
            "wishes.withdrawn",
            "微心愿 已撤回",
            "wishes withdrawn",
            w.withdrawn.to_string(),
        ),
        (
            "wishes_fulfilled_rate",
            "微心愿实现率",
            "wishes fulfilled rate",
            percent(figures.wishes_fulfilled_rate),
        ),
        (
            "median_days_to_claim",
            "认领用时中位数（天）",
            "median days to claim",
            optional_number(figures.median_days_to_claim),
        ),
        (
            "median_days_to_fulfil",
            "实现用时中位数（天）",
            "median days to fulfil",
            optional_number(figures.median_days_to_fulfil),
        ),
        (
            "members_with_claimed_wish",
            "领办微心愿的党员",
            "members holding a wish",
            figures.members_with_claimed_wish.to_string(),
        ),
        (
            "orgs_with_claimed_project",
            "认领项目的单位",
            "organisations holding a project",
            figures.orgs_with_claimed_project.to_string(),
        ),
        (
            "projects.total",
            "民生微项目 征集",
            "projects collected",
            p.total.to_string(),
        ),
        (
            "projects.claimed",
            "民生微项目 已认领",
            "projects claimed",
            p.claimed.to_string(),
        ),
        (
            "projects.fulfilled",
            "民生微项目 已解决",
            "projects fulfilled",
            p.fulfilled.to_string(),
        ),
        (
            "activities",
            "服务活动（次）",
            "activities",
            figures.activities.to_string(),
        ),
        (
            "participations",
            "参加人次",
            "person-times",
            figures.participations.to_string(),
        ),
        (
            "service_records",
            "服务记录",
            "service records",
            figures.service_records.to_string(),
        ),
        (
            "service_hours",
            "服务时长（小时）",
            "hours of service",
            number(figures.service_hours),
        ),
        (
            "points_earned",
            "爱心积分 存入",
            "points earned",
            figures.points_earned.to_string(),
        ),
        (
            "points_redeemed",
            "爱心积分 支取",
            "points redeemed",
            figures.points_redeemed.to_string(),
        ),
    ];
    let mut out = String::from(r#"<table class="figures">"#);
    for (key, zh, en, value) in rows {
        let _ = write!(
            out,
            r#"<tr><td class="text">{}</td><td class="text muted">{key}</td><td data-key="{key}">{}</td></tr>"#,
            tr(lang, zh, en),
            escape(&value)
        );
    }
    out.push_str("</table>");
    out
}

fn children_table(lang: Language, children: &[RegionFigures], period: &Period) -> String {
    let mut out = String::from("<table class=\"children\"><tr>");
    for heading in [
        tr(lang, "地区", "Region"),
        tr(lang, "社区", "Communities"),
        tr(lang, "报到党员", "Members"),
        tr(lang, "报到单位", "Orgs"),
        tr(lang, "心愿征集", "Wishes"),
        tr(lang, "认领", "Claimed"),
        tr(lang, "实现", "Fulfilled"),
        tr(lang, "人次", "Person-times"),
        tr(lang, "服务小时", "Hours"),
        tr(lang, "24 小时内同步", "Synced in 24 h"),
    ] {
        let _ = write!(out, "<th>{heading}</th>");
    }
    out.push_str("</tr>");
    for child in children {
        let f = &child.figures;
        let name = child
            .name
            .clone()
            .unwrap_or_else(|| child.region.as_str().to_owned());
        let _ = write!(
            out,
            r#"<tr><td><a href="{}" data-region="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class="{}">{}/{}</td></tr>"#,
            escape(&region_link("/", &child.region, period, lang)),
            child.region.as_str(),
            escape(&name),
            f.communities,
            f.members_reported,
            f.orgs_reported,
            f.wishes.total,
            f.wishes.claimed_or_fulfilled(),
            f.wishes.fulfilled,
            f.participations,
            number(f.service_hours),
            if f.communities_synced_24h < f.communities {
                "bad"
            } else {
                "good"
            },
            f.communities_synced_24h,
            f.communities,
        );
    }
    out.push_str("</table>");
    out
}

fn org_table(lang: Language, ranking: &[OrgRank], period: &Period) -> String {
    let mut out = String::from("<table class=\"orgs\"><tr>");
    for heading in [
        tr(lang, "名次", "Rank"),
        tr(lang, "单位党组织", "Organisation"),
        tr(lang, "报到党员", "Members"),
        tr(lang, "服务小时", "Hours"),
        tr(lang, "人次", "Person-times"),
        tr(lang, "认领心愿", "Wishes claimed"),
        tr(lang, "实现心愿", "Wishes fulfilled"),
        tr(lang, "认领项目", "Projects claimed"),
        tr(lang, "解决问题", "Problems solved"),
    ] {
        let _ = write!(out, "<th>{heading}</th>");
    }
    out.push_str("</tr>");
    for rank in ranking {
        let href = link(
            &format!("/orgs/{}", rank.org),
            &[
                ("from", &date_text(period.from())),
                ("to", &date_text(period.to())),
            ],
            lang,
        );
        let name = if rank.name.is_empty() {
            rank.org.to_string()
        } else {
            rank.name.clone()
        };
        let _ = write!(
            out,
            r#"<tr><td>{}</td><td class="text"><a href="{}" data-org="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>"#,
            rank.rank,
            escape(&href),
            rank.org,
            escape(&name),
            rank.members,
            number(rank.service_hours),
            rank.participations,
            rank.wishes_claimed,
            rank.wishes_fulfilled,
            rank.projects_claimed,
            rank.projects_fulfilled,
        );
    }
    out.push_str("</table>");
    out
}

fn community_table(lang: Language, ranking: &[figures::CommunityRank], period: &Period) -> String {
    let mut out = String::from("<table class=\"communities\"><tr>");
    for heading in [
        tr(lang, "名次", "Rank"),
        tr(lang, "社区", "Community"),
        tr(lang, "报到党员", "Members"),
        tr(lang, "服务小时", "Hours"),
        tr(lang, "人次", "Person-times"),
        tr(lang, "认领心愿", "Wishes claimed"),
        tr(lang, "实现心愿", "Wishes fulfilled"),
        tr(lang, "解决问题", "Problems solved"),
    ] {
        let _ = write!(out, "<th>{heading}</th>");
    }
    out.push_str("</tr>");
    for rank in ranking {
        let name = if rank.name.is_empty() {
            rank.code.to_string()
        } else {
            rank.name.clone()
        };
        let _ = write!(
            out,
            r#"<tr><td>{}</td><td class="text"><a href="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>"#,
            rank.rank,
            escape(&region_link("/", &rank.code.as_region(), period, lang)),
            escape(&name),
            rank.members,
            number(rank.service_hours),
            rank.participations,
            rank.wishes_claimed,
            rank.wishes_fulfilled,
            rank.projects_fulfilled,
        );
    }
    out.push_str("</table>");
    out
}

fn status_table(lang: Language, statuses: &[CommunityStatus]) -> String {
    let mut out = String::from("<table class=\"health\"><tr>");
    for heading in [
        tr(lang, "社区", "Community"),
        tr(lang, "最近连接", "Last seen"),
        tr(lang, "24 小时内同步", "Synced in 24 h"),
        tr(lang, "签名覆盖", "Attested"),
        tr(lang, "变更数", "Changes"),
        tr(lang, "无法读取的记录", "Unreadable records"),
    ] {
        let _ = write!(out, "<th>{heading}</th>");
    }
    out.push_str("</tr>");
    for status in statuses {
        let name = if status.name.is_empty() {
            status.code.to_string()
        } else {
            format!("{} {}", status.name, status.code)
        };
        let _ = write!(
            out,
            r#"<tr data-community="{}"><td class="text"><a href="{}">{}</a></td><td>{}</td><td class="{}">{}</td><td>{}</td><td>{}</td><td class="{}">{}</td></tr>"#,
            status.code,
            escape(&link("/", &[("region", status.code.as_str())], lang)),
            escape(&name),
            status
                .last_seen_at
                .map(|at| at.display_in_shanghai().to_string())
                .unwrap_or_else(|| tr(lang, "从未", "never").to_owned()),
            if status.is_synced_24h { "good" } else { "bad" },
            if status.is_synced_24h { "✓" } else { "✗" },
            if status.signer_revoked {
                format!(
                    "{} ⚠ {}",
                    percent(status.attested_share),
                    tr(lang, "签名密钥已吊销", "signed by a revoked key")
                )
            } else {
                percent(status.attested_share)
            },
            status.changes,
            if status.malformed > 0 { "bad" } else { "" },
            status.malformed,
        );
    }
    out.push_str("</table>");
    out
}

fn period_form(lang: Language, region: &RegionPrefix, period: &Period, action: &str) -> String {
    let mut out = format!(
        r#"<form class="period" method="get" action="{}"><input type="hidden" name="region" value="{}">"#,
        escape(action),
        region.as_str()
    );
    if lang == Language::English {
        out.push_str(r#"<input type="hidden" name="lang" value="en">"#);
    }
    let _ = write!(
        out,
        r#"<span>{}</span><label>{} <input type="date" name="from" value="{}"></label><label>{} <input type="date" name="to" value="{}"></label><button type="submit">{}</button><span class="muted">{}</span></form>"#,
        tr(lang, "统计期间", "Period"),
        tr(lang, "自", "from"),
        date_text(period.from()),
        tr(lang, "至", "to"),
        date_text(period.to()),
        tr(lang, "查询", "Show"),
        escape(&match (lang, period.is_all()) {
            (Language::Chinese, true) => "全部时间".to_owned(),
            (Language::English, true) => "all time".to_owned(),
            (Language::Chinese, false) => format!(
                "{} 至 {}",
                date_or(period.from(), "最早"),
                date_or(period.to(), "今天")
            ),
            (Language::English, false) => period.to_string(),
        }),
    );
    out
}

/// The page frame: header with navigation and the language switch, then the body.
fn page(lang: Language, title: &str, path: &str, region: &RegionPrefix, body: &str) -> Response {
    let other = match lang {
        Language::Chinese => Language::English,
        Language::English => Language::Chinese,
    };
    let switch = link(path, &[("region", region.as_str())], other);
    let html = format!(
        r#"<!DOCTYPE html><html lang="{html_lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{title} · {brand}</title><style>{STYLE}</style></head><body><header><span class="brand">{brand}</span><nav><a href="{home}">{overview}</a><a href="{rankings}">{rankings_label}</a><a href="{health}">{health_label}</a></nav><a class="lang" href="{switch}" hreflang="{other_lang}">{switch_label}</a></header><main>{body}</main></body></html>"#,
        html_lang = lang.html_lang(),
        title = escape(title),
        brand = tr(lang, "心愿树 · 双报到数据看板", "Wishtree · dual reporting"),
        home = escape(&link("/", &[], lang)),
        overview = tr(lang, "总览", "Overview"),
        rankings = escape(&link("/rankings", &[("region", region.as_str())], lang)),
        rankings_label = tr(lang, "排行", "Rankings"),
        health = escape(&link("/health", &[("region", region.as_str())], lang)),
        health_label = tr(lang, "同步状况", "Sync health"),
        switch = escape(&switch),
        other_lang = other.html_lang(),
        switch_label = match lang {
            Language::Chinese => "English",
            Language::English => "中文",
        },
    );
    Html(html).into_response()
}

fn error_page(lang: Language, error: ApiError) -> Response {
    let body = format!(
        r#"<h1>{}</h1><p class="bad" data-error>{}</p><p><a href="{}">{}</a></p>"#,
        tr(lang, "无法显示", "Cannot show this page"),
        escape(error.message()),
        escape(&link("/", &[], lang)),
        tr(lang, "返回总览", "Back to the overview"),
    );
    let mut response = page(
        lang,
        tr(lang, "错误", "Error"),
        "/",
        &RegionPrefix::everywhere(),
        &body,
    );
    *response.status_mut() = if error.status() == StatusCode::OK {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        error.status()
    };
    response
}

fn page_params(
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<(Language, Params), (Language, ApiError)> {
    let params = params(query).map_err(|error| (Language::Chinese, error))?;
    Ok((Language::from_query(params.text("lang")), params))
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

/// 全市 / 全区 / …: how the articles open a figure for a region of this level.
fn region_word(lang: Language, region: &RegionPrefix) -> String {
    let (zh, en) = match region.level() {
        None => ("全国", "nationwide"),
        Some(RegionLevel::Province) => ("全省", "across the province"),
        Some(RegionLevel::City) => ("全市", "citywide"),
        Some(RegionLevel::District) => ("全区", "across the district"),
        Some(RegionLevel::Street) => ("全街道", "across the street"),
        Some(RegionLevel::Community) => ("本社区", "in this community"),
    };
    tr(lang, zh, en).to_owned()
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

fn tr(lang: Language, zh: &'static str, en: &'static str) -> &'static str {
    match lang {
        Language::Chinese => zh,
        Language::English => en,
    }
}

/// A link to a region's page, keeping the period and the language.
fn region_link(path: &str, region: &RegionPrefix, period: &Period, lang: Language) -> String {
    link(
        path,
        &[
            ("region", region.as_str()),
            ("from", &date_text(period.from())),
            ("to", &date_text(period.to())),
        ],
        lang,
    )
}

/// A path with its query: empty values are left out, `lang=en` added for English.
fn link(path: &str, pairs: &[(&str, &str)], lang: Language) -> String {
    let mut query: Vec<String> = pairs
        .iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(key, value)| format!("{key}={}", encode(value)))
        .collect();
    if lang == Language::English {
        query.push("lang=en".to_owned());
    }
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", query.join("&"))
    }
}

/// Percent-encodes a query value (the values here are codes, dates and ids, but a
/// link must stay a link whatever it carries).
fn encode(value: &str) -> String {
    let mut out = String::new();
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

fn date_text(date: Option<wishtree_protocol::Date>) -> String {
    date.map(|d| d.to_string()).unwrap_or_default()
}

fn date_or(date: Option<wishtree_protocol::Date>, open: &str) -> String {
    date.map_or_else(|| open.to_owned(), |d| d.to_string())
}

/// A number as people read it: whole numbers without decimals, others with one.
fn number(value: f64) -> String {
    let text = format!("{value:.1}");
    text.strip_suffix(".0").map(str::to_owned).unwrap_or(text)
}

fn optional_number(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_owned(), number)
}

fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_owned(), |v| format!("{:.1}%", v * 100.0))
}

/// `2026-07` as `26-07`, short enough for a column under a chart.
fn short_months(labels: &[String]) -> Vec<String> {
    labels
        .iter()
        .map(|label| label.get(2..).unwrap_or(label).to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_keep_the_language_and_encode_values() {
        assert_eq!(
            link(
                "/",
                &[("region", "130902"), ("from", "")],
                Language::English
            ),
            "/?region=130902&lang=en"
        );
        assert_eq!(link("/", &[], Language::Chinese), "/");
        assert_eq!(encode("a&b=c 中"), "a%26b%3Dc%20%E4%B8%AD");
        assert_eq!(number(12.0), "12");
        assert_eq!(number(12.25), "12.2");
        assert_eq!(number(0.05), "0.1");
    }
}
