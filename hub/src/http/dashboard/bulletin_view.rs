//! An issued bulletin (通报) drawn from what was stored: the page body (headline with
//! the change since the previous bulletin, charts, rankings, who is behind) and the
//! same as one CSV file. Nothing here reads the figure tables: a past bulletin reads
//! as it was issued, whatever synced in since.

use maud::{Markup, PreEscaped, html};
use wishtree_common::csv::{Cell, SpreadsheetCsv};
use wishtree_protocol::RegionLevel;
use wishtree_protocol::names::Language;

use super::super::csv::code;
use super::super::service::SERVICE_COLUMNS;
use super::super::svg::{self, Bar, Step};
use super::layout::{
    CLAIMED_TINT, COLLECTED_TINT, FULFILLED_TINT, SERVICE, number, percent, short_months, tr,
};
use super::tables::{service_cells, service_headings, table};
use crate::bulletins::{Bulletin, BulletinData, Headline, HeadlineChange, Ranked};

/// One headline figure: the API's key, its words, how it is read from a headline and
/// from a change.
struct HeadlineRow {
    key: &'static str,
    zh: &'static str,
    en: &'static str,
    value: fn(&Headline) -> f64,
    change: fn(&HeadlineChange) -> f64,
}

// One figure a line, as the table reads.
#[rustfmt::skip]
const HEADLINE_ROWS: [HeadlineRow; 10] = [
    row("members_reported", "报到党员（名）", "Members reported in", |h| h.members_reported as f64, |c| c.members_reported as f64),
    row("orgs_reported", "报到单位党组织（个）", "Unit organisations reported in", |h| h.orgs_reported as f64, |c| c.orgs_reported as f64),
    row("coverage_reported", "申报在职党员中已报到（名）", "Declared members reported in", |h| h.members_declared_reported as f64, |c| c.members_declared_reported as f64),
    row("wishes_collected", "微心愿征集（个）", "Wishes collected", |h| h.wishes_collected as f64, |c| c.wishes_collected as f64),
    row("wishes_claimed", "微心愿认领（个）", "Wishes claimed", |h| h.wishes_claimed as f64, |c| c.wishes_claimed as f64),
    row("wishes_fulfilled", "微心愿实现（个）", "Wishes fulfilled", |h| h.wishes_fulfilled as f64, |c| c.wishes_fulfilled as f64),
    row("projects_fulfilled", "解决问题（件）", "Problems solved", |h| h.projects_fulfilled as f64, |c| c.projects_fulfilled as f64),
    row("activities", "服务活动（次）", "Service activities", |h| h.activities as f64, |c| c.activities as f64),
    row("participations", "参加人次", "Person-times", |h| h.participations as f64, |c| c.participations as f64),
    row("service_hours", "服务时长（小时）", "Hours of service", |h| h.service_hours(), |c| crate::figures::hours(c.service_minutes.unsigned_abs()) * c.service_minutes.signum() as f64),
];

/// The body of a bulletin's page.
pub(super) fn bulletin_body(lang: Language, bulletin: &Bulletin) -> Markup {
    let data = &bulletin.data;
    let headline = &data.headline;
    html! {
        article.bulletin data-bulletin=(bulletin.id) data-region=(data.region.as_str()) data-period=(data.period) {
            h1 { (title(lang, data)) }
            p.meta {
                (kind_label(lang, data)) " · "
                (tr(lang, "统计期间 ", "Period ")) (data.period.first_day()) (tr(lang, " 至 ", " to ")) (data.period.last_day()) " · "
                (tr(lang, "发布：", "Issued by ")) span data-issued-by { (bulletin.issued_by) } " "
                span data-issued-at { (bulletin.issued_at.display_in_shanghai()) }
            }
            h2 { (tr(lang, "一、总体情况", "1. Overall")) }
            p.lead { (sentence(lang, data)) }
            (change_table(lang, data))
            div.grid {
                div.card.chart-box { (funnel(lang, headline)) }
                @if !data.children.is_empty() {
                    div.card.chart-box { (children_chart(lang, data)) }
                }
            }
            @if data.months.len() > 1 {
                div.card.chart-box { (months_chart(lang, data)) }
            }
            h2 { (tr(lang, "二、排行", "2. Rankings")) }
            @if !data.children.is_empty() {
                h3 { (children_heading(lang, data)) }
                (ranked_table(lang, "children", &data.children))
            }
            @if !data.communities.is_empty() {
                h3 { (tr(lang, "社区服务时长前十", "Top communities by hours of service")) }
                (ranked_table(lang, "communities", &data.communities))
            }
            h3 { (tr(lang, "单位党组织服务时长前十（最美机关党支部）", "Top unit organisations by hours of service")) }
            (ranked_table(lang, "orgs", &data.orgs))
            h2 { (tr(lang, "三、需要关注的单位和社区", "3. Units and communities behind")) }
            p.muted { (tr(lang, "以下截至通报发布时。", "As of the bulletin's issue.")) }
            (behind(lang, data))
        }
    }
}

/// The bulletin's title: 沧州市2026年11月双报到工作通报.
pub(super) fn title(lang: Language, data: &BulletinData) -> String {
    match lang {
        Language::Chinese => format!(
            "{}{}“双报到”工作通报",
            data.region_name,
            data.period.label_zh()
        ),
        Language::English => format!(
            "Dual reporting bulletin: {}, {}",
            data.region_name,
            data.period.label_en()
        ),
    }
}

/// The bulletin as one CSV file: the headline with the change, then each ranking and
/// each list of who is behind, one block after another.
pub(crate) fn bulletin_csv(bulletin: &Bulletin) -> String {
    let data = &bulletin.data;
    let mut csv = SpreadsheetCsv::new();
    csv.text_row([title(Language::Chinese, data)]);
    csv.row(&[
        Cell::Text("发布".to_owned()),
        Cell::Text(bulletin.issued_by.clone()),
        Cell::Number(bulletin.issued_at.display_in_shanghai().to_string()),
    ]);
    csv.blank_line();
    csv.text_row(["指标", "本期", "上期", "较上期"]);
    let change = data.change();
    for row in &HEADLINE_ROWS {
        let previous = data.previous.as_ref().map(|p| (row.value)(&p.headline));
        csv.row(&[
            Cell::Text(row.zh.to_owned()),
            Cell::Number(number((row.value)(&data.headline))),
            Cell::Number(previous.map(number).unwrap_or_default()),
            Cell::Number(change.map(|c| signed((row.change)(&c))).unwrap_or_default()),
        ]);
    }
    for (heading, rows) in [
        (children_heading(Language::Chinese, data), &data.children),
        ("社区服务时长前十", &data.communities),
        ("单位党组织服务时长前十", &data.orgs),
        ("本期无服务记录的单位党组织", &data.behind.idle_orgs),
    ] {
        if rows.is_empty() {
            continue;
        }
        csv.blank_line();
        csv.text_row([heading]);
        let mut header = vec!["名次", "名称", "代码"];
        header.extend(SERVICE_COLUMNS.iter().map(|column| column.zh));
        csv.text_row(header);
        for ranked in rows {
            let service = ranked.service();
            let mut cells = vec![
                Cell::Number(ranked.rank.to_string()),
                Cell::Text(ranked.name.clone()),
                code(&ranked.code),
            ];
            cells.extend(
                SERVICE_COLUMNS
                    .iter()
                    .map(|column| Cell::Number(number((column.value)(&service)))),
            );
            csv.row(&cells);
        }
    }
    if !data.behind.units.is_empty() {
        csv.blank_line();
        csv.text_row(["尚未全部报到的单位"]);
        csv.text_row([
            "单位",
            "统一社会信用代码",
            "申报在职党员",
            "已报到",
            "尚未报到",
        ]);
        for unit in &data.behind.units {
            csv.row(&[
                Cell::Text(unit.name.clone()),
                code(&unit.credit_code),
                Cell::Number(unit.declared.to_string()),
                Cell::Number(unit.reported.to_string()),
                Cell::Number(unit.behind.to_string()),
            ]);
        }
    }
    csv.finish()
}

/// The headline as the articles word it.
fn sentence(lang: Language, data: &BulletinData) -> Markup {
    let h = &data.headline;
    let hours = number(h.service_hours());
    match lang {
        Language::Chinese => html! {
            (data.region_name) "截至" (data.period.last_day()) "共有在职党员 " b { (h.members_reported) } " 名到社区报到，"
            "单位党组织 " b { (h.orgs_reported) } " 个；"
            @if h.members_declared > 0 {
                "各单位申报的 " (h.members_declared) " 名在职党员中已报到 " (h.members_declared_reported) " 名（报到率 " (percent(h.coverage())) "）；"
            }
            "本期征集微心愿 " b { (h.wishes_collected) } " 个、认领 " b { (h.wishes_claimed) } " 个、实现 " b { (h.wishes_fulfilled) } " 个，"
            "解决问题 " b { (h.projects_fulfilled) } " 件，开展服务活动 " (h.activities) " 次、" b { (h.participations) } " 人次，服务 " b { (hours) } " 小时。"
        },
        Language::English => html! {
            (h.members_reported) " members and " (h.orgs_reported) " unit organisations reported in by " (data.period.last_day()) "; "
            (h.wishes_collected) " wishes collected, " (h.wishes_claimed) " claimed, " (h.wishes_fulfilled) " fulfilled; "
            (h.projects_fulfilled) " problems solved; " (h.participations) " person-times, " (hours) " hours of service."
        },
    }
}

/// Each headline figure this period, at the previous bulletin, and the change.
fn change_table(lang: Language, data: &BulletinData) -> Markup {
    let change = data.change();
    let previous_heading = match &data.previous {
        Some(previous) => match lang {
            Language::Chinese => format!("上期（{}）", previous.period.label_zh()),
            Language::English => format!("Previous ({})", previous.period),
        },
        None => tr(lang, "上期", "Previous").to_owned(),
    };
    let headings = [
        tr(lang, "指标", "Figure"),
        tr(lang, "本期", "This period"),
        previous_heading.as_str(),
        tr(lang, "较上期", "Change"),
    ];
    html! {
        (table("headline-change", &headings, html! {
            @for row in &HEADLINE_ROWS {
                tr {
                    td.text { (tr(lang, row.zh, row.en)) }
                    td data-figure=(row.key) { (number((row.value)(&data.headline))) }
                    td { (data.previous.as_ref().map_or_else(|| "—".to_owned(), |p| number((row.value)(&p.headline)))) }
                    @match change {
                        Some(change) => {
                            @let value = (row.change)(&change);
                            td data-change=(row.key) class=(if value < 0.0 { "bad" } else { "" }) { (signed(value)) }
                        }
                        None => td { "—" }
                    }
                }
            }
        }))
        @if data.previous.is_none() {
            p.muted { (tr(lang, "本地区首次发布此类通报，暂无上期数据可比。", "The region's first bulletin of this kind: nothing to compare with.")) }
        }
    }
}

fn funnel(lang: Language, headline: &Headline) -> Markup {
    let title = tr(
        lang,
        "微心愿：征集 → 认领 → 实现",
        "Micro-wishes: collected → claimed → fulfilled",
    );
    let step = |zh, en, value, color| Step {
        label: tr(lang, zh, en).to_owned(),
        value,
        color,
    };
    let steps = [
        step(
            "征集",
            "collected",
            headline.wishes_collected,
            COLLECTED_TINT,
        ),
        step("认领", "claimed", headline.wishes_claimed, CLAIMED_TINT),
        step(
            "实现",
            "fulfilled",
            headline.wishes_fulfilled,
            FULFILLED_TINT,
        ),
    ];
    html! {
        h3 { (title) }
        (PreEscaped(svg::funnel(title, &steps)))
    }
}

fn children_chart(lang: Language, data: &BulletinData) -> Markup {
    let title = match lang {
        Language::Chinese => format!("{}服务时长（小时）", children_heading(lang, data)),
        Language::English => format!("{}: hours of service", children_heading(lang, data)),
    };
    let bars: Vec<Bar> = data
        .children
        .iter()
        .map(|child| hours_bar(&child.name, child.service_minutes))
        .collect();
    html! {
        h3 { (title) }
        (PreEscaped(svg::horizontal_bars(&title, &bars, SERVICE)))
    }
}

fn months_chart(lang: Language, data: &BulletinData) -> Markup {
    let title = tr(lang, "每月服务时长（小时）", "Hours of service by month");
    let labels: Vec<String> = data.months.iter().map(|m| m.month.clone()).collect();
    let bars: Vec<Bar> = data
        .months
        .iter()
        .map(|month| hours_bar(&month.month, month.service_minutes))
        .collect();
    html! {
        h3 { (title) }
        (PreEscaped(svg::columns(title, &short_months(&labels), &bars, SERVICE)))
    }
}

/// A bar of hours of service.
fn hours_bar(label: &str, minutes: u64) -> Bar {
    let hours = crate::figures::hours(minutes);
    Bar {
        label: label.to_owned(),
        value: hours,
        shown: number(hours),
        href: None,
    }
}

fn ranked_table(lang: Language, class: &str, rows: &[Ranked]) -> Markup {
    let headings = service_headings(lang, &[tr(lang, "名次", "Rank"), tr(lang, "名称", "Name")]);
    table(
        class,
        &headings,
        html! {
            @if rows.is_empty() {
                tr { td.text colspan=(headings.len()) { (tr(lang, "暂无", "none")) } }
            }
            @for row in rows {
                tr data-code=(row.code) {
                    td { (row.rank) }
                    td.text { (row.name) }
                    (service_cells(&row.service()))
                }
            }
        },
    )
}

/// Who is behind: campaigns, units not all reported in, idle units, wishes waiting,
/// communities whose sync or seals need a look.
fn behind(lang: Language, data: &BulletinData) -> Markup {
    let behind = &data.behind;
    html! {
        ul.behind {
            @for campaign in &behind.campaigns {
                li data-behind="campaign" {
                    b { (campaign.title) } (tr(lang, "：", ": "))
                    (campaign.met) " / " (campaign.eligible) (tr(lang, " 达到，", " met, "))
                    span class=(if campaign.behind > 0 { "bad" } else { "good" }) data-campaign-behind=(campaign.behind) {
                        (tr(lang, "未达到 ", "behind: ")) (campaign.behind)
                    }
                    @if lang == Language::Chinese {
                        "（" (campaign.rule.label_zh()) "，至少 " (campaign.minimum) " 个）"
                    }
                }
            }
            @if behind.units_total > 0 {
                li data-behind="units" {
                    (behind.units_total) (tr(lang, " 个单位尚有在职党员未到社区报到：", " units have members not yet reported in: "))
                    @for (index, unit) in behind.units.iter().enumerate() {
                        @if index > 0 { (tr(lang, "、", ", ")) }
                        (unit.name) (tr(lang, "（尚有 ", " (")) (unit.behind) (tr(lang, " 名）", ")"))
                    }
                    @if behind.units_total > behind.units.len() as u64 { (tr(lang, " 等", " and more")) }
                }
            }
            @if behind.idle_orgs_total > 0 {
                li data-behind="idle-orgs" {
                    (behind.idle_orgs_total) (tr(lang, " 个单位党组织本期没有服务记录：", " unit organisations recorded no service: "))
                    @for (index, org) in behind.idle_orgs.iter().enumerate() {
                        @if index > 0 { (tr(lang, "、", ", ")) }
                        (org.name)
                    }
                    @if behind.idle_orgs_total > behind.idle_orgs.len() as u64 { (tr(lang, " 等", " and more")) }
                }
            }
            @for waiting in &behind.waiting {
                li data-behind="waiting-wishes" {
                    (waiting.name) (tr(lang, "：", ": ")) (waiting.wishes)
                    (tr(lang, " 个微心愿发布后长期无人认领（最早 ", " wishes waiting for a claim (the oldest submitted "))
                    (waiting.oldest) (tr(lang, " 提交）", ")"))
                }
            }
            @if behind.unhealthy_total > 0 {
                li data-behind="unhealthy" {
                    (behind.unhealthy_total) (tr(lang, " 个社区 24 小时内未同步或封存核验未通过：", " communities not synced in a day or with a failed seal: "))
                    @for (index, community) in behind.unhealthy.iter().enumerate() {
                        @if index > 0 { (tr(lang, "、", ", ")) }
                        (if community.name.is_empty() { community.code.to_string() } else { community.name.clone() })
                    }
                    @if behind.unhealthy_total > behind.unhealthy.len() as u64 { (tr(lang, " 等", " and more")) }
                }
            }
        }
        @if behind.campaigns.is_empty() && behind.units_total == 0 && behind.idle_orgs_total == 0
            && behind.waiting.is_empty() && behind.unhealthy_total == 0 {
            p.good { (tr(lang, "本期没有落后的单位和社区。", "Nobody is behind this period.")) }
        }
    }
}

fn kind_label(lang: Language, data: &BulletinData) -> &'static str {
    match lang {
        Language::Chinese => data.period.kind().label_zh(),
        Language::English => match data.period.kind() {
            crate::bulletins::BulletinKind::Monthly => "Monthly bulletin",
            crate::bulletins::BulletinKind::HalfYearly => "Half-yearly bulletin",
        },
    }
}

fn children_heading(lang: Language, data: &BulletinData) -> &'static str {
    match data.region.child_level() {
        Some(RegionLevel::District) => tr(lang, "各区", "Districts"),
        Some(RegionLevel::Street) => tr(lang, "各街道", "Streets"),
        _ => tr(lang, "各社区", "Communities"),
    }
}

/// A change with its sign: `+3`, `-2`, `0`.
fn signed(value: f64) -> String {
    if value > 0.0 {
        format!("+{}", number(value))
    } else {
        number(value)
    }
}

const fn row(
    key: &'static str,
    zh: &'static str,
    en: &'static str,
    value: fn(&Headline) -> f64,
    change: fn(&HeadlineChange) -> f64,
) -> HeadlineRow {
    HeadlineRow {
        key,
        zh,
        en,
        value,
        change,
    }
}
