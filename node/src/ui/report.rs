//! The half-year member report (报到—服务—报告) as pages: choosing a member and a
//! period, and the report itself, printable, with its CSV from the JSON API.

use wishtree_protocol::HalfYear;
use wishtree_protocol::names::Language;
use wishtree_protocol::view::CommunityView;

use super::html::{Page, StatusBar, esc, t};
use super::pages::post_label;
use super::tree::state_label;
use crate::report::HalfYearReport;

/// The form to choose a member and a half-year.
pub fn choose_page(
    lang: Language,
    view: &CommunityView,
    period: HalfYear,
    status: &StatusBar,
) -> String {
    let mut page = Page::new(lang, t(lang, "党员半年报告", "Half-year member report"));
    page.push_fmt(format_args!(
        "<form class=\"card\" method=\"get\" action=\"/reports/half-year\"><label for=\"member\">{}</label><select id=\"member\" name=\"member\">",
        t(lang, "党员", "Member")
    ));
    let mut members: Vec<_> = view.members.iter().collect();
    members.sort_by(|a, b| a.1.name.cmp(&b.1.name));
    for (id, member) in members {
        page.push_fmt(format_args!(
            "<option value=\"{id}\">{}</option>",
            esc(&member.name)
        ));
    }
    page.push_fmt(format_args!(
        "</select><label for=\"period\">{}</label><input id=\"period\" name=\"period\" value=\"{period}\">\
         <p><button type=\"submit\">{}</button></p></form>",
        t(lang, "半年（例如 2026H2）", "Half-year (e.g. 2026H2)"),
        t(lang, "生成报告", "Show the report"),
    ));
    page.finish(status, "/reports")
}

/// One member's report for one half-year.
pub fn report_page(lang: Language, report: &HalfYearReport, status: &StatusBar) -> String {
    let title = match lang {
        Language::Chinese => format!(
            "{} {} 报到服务情况报告",
            report.member_name,
            report.period.label_zh()
        ),
        Language::English => format!("{}: report for {}", report.member_name, report.period),
    };
    let mut page = Page::new(lang, title);
    page.push_fmt(format_args!(
        "<p>{} · {} · {} {} – {}</p>",
        esc(&report.community_name),
        esc(&report.work_unit),
        t(lang, "期间", "period"),
        report.first_day,
        report.last_day
    ));
    let totals = &report.totals;
    page.push("<div class=\"figures\" id=\"report-totals\">");
    for (zh, en, value, id) in [
        (
            "参加活动（次）",
            "Activities joined",
            totals.activities_joined.to_string(),
            "activities",
        ),
        (
            "服务时长（小时）",
            "Hours of service",
            format!("{:.1}", totals.service_hours),
            "hours",
        ),
        (
            "认领微心愿（个）",
            "Wishes claimed",
            totals.wishes_claimed.to_string(),
            "wishes-claimed",
        ),
        (
            "实现微心愿（个）",
            "Wishes fulfilled",
            totals.wishes_fulfilled.to_string(),
            "wishes-fulfilled",
        ),
        (
            "认领岗位（个）",
            "Posts held",
            totals.posts_held.to_string(),
            "posts",
        ),
        (
            "获得积分",
            "Points earned",
            totals.points_earned.to_string(),
            "points-earned",
        ),
        (
            "支取积分",
            "Points redeemed",
            totals.points_redeemed.to_string(),
            "points-redeemed",
        ),
        (
            "期末积分余额",
            "Balance at the end",
            totals.points_balance.to_string(),
            "balance",
        ),
    ] {
        page.push_fmt(format_args!(
            "<div class=\"figure\">{}<b id=\"total-{id}\">{}</b></div>",
            t(lang, zh, en),
            esc(&value)
        ));
    }
    page.push("</div>");

    page.push_fmt(format_args!(
        "<h2>{}</h2><table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        t(lang, "服务记录", "Service"),
        t(lang, "日期", "Date"),
        t(lang, "类别", "Category"),
        t(lang, "时长（小时）", "Hours"),
        t(lang, "内容", "What"),
    ));
    for service in &report.services {
        page.push_fmt(format_args!(
            "<tr><td>{}</td><td>{}</td><td>{:.1}</td><td>{}</td></tr>",
            service.date,
            post_label(lang, service.category),
            f64::from(service.minutes) / 60.0,
            esc(&service.description)
        ));
    }
    page.push("</table>");
    page.push_fmt(format_args!(
        "<h2>{}</h2><table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        t(lang, "微心愿", "Wishes"),
        t(lang, "心愿", "Wish"),
        t(lang, "认领日期", "Claimed"),
        t(lang, "实现日期", "Fulfilled"),
        t(lang, "现状", "State"),
    ));
    for wish in &report.wishes {
        page.push_fmt(format_args!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&wish.title),
            wish.claimed_on.map(|d| d.to_string()).unwrap_or_default(),
            wish.fulfilled_on.map(|d| d.to_string()).unwrap_or_default(),
            state_label(lang, wish.state)
        ));
    }
    page.push("</table>");
    page.push_fmt(format_args!(
        "<h2>{}</h2><ul>",
        t(lang, "认领岗位", "Posts held")
    ));
    for post in &report.posts {
        page.push_fmt(format_args!(
            "<li>{} ({}) {} – {}</li>",
            esc(&post.title),
            post_label(lang, post.kind),
            post.from,
            post.until
                .map(|d| d.to_string())
                .unwrap_or_else(|| t(lang, "至今", "now").to_owned())
        ));
    }
    page.push("</ul>");
    page.push_fmt(format_args!(
        "<p><a id=\"report-csv\" href=\"/api/reports/half-year?member={}&amp;period={}&amp;format=csv\">{}</a></p>",
        report.member,
        report.period,
        t(lang, "下载 CSV（可用 Excel 打开）", "Download CSV (opens in Excel)")
    ));
    page.finish(status, "/reports")
}
