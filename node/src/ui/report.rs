//! The half-year member report (报到—服务—报告) as pages: choosing a member and a
//! period, and the report itself, printable on A4 with boxes for the community's
//! opinion, the signatures and the stamp, with its CSV for people.

use maud::html;
use wishtree_protocol::names::Language;
use wishtree_protocol::view::CommunityView;
use wishtree_protocol::{Date, HalfYear};

use super::html::{Row, StatusBar, page, select_field, submit, t, text_input, titled_table};
use super::pages::{hours, post_label};
use super::seal::seal_section;
use super::tree::state_label;
use crate::report::SealedReport;

/// The form to choose a member and a half-year.
pub fn choose_page(
    lang: Language,
    view: &CommunityView,
    period: HalfYear,
    status: &StatusBar,
) -> String {
    let members = super::collate::by_pinyin(&view.members, |member| &member.name);
    let ids: Vec<String> = members.iter().map(|(id, _)| id.to_string()).collect();
    let options = ids
        .iter()
        .zip(&members)
        .map(|(value, (_, member))| (value.as_str(), member.name.as_str()));
    // Reading a report changes nothing, so this form is a GET and carries no token.
    let body = html! {
        form.card method="get" action="/reports/half-year" {
            (select_field("member", t(lang, "党员", "Member"), options, ""))
            (text_input(
                "period",
                t(lang, "半年（例如 2026H2）", "Half-year (e.g. 2026H2)"),
                &period.to_string(),
            ))
            (submit(t(lang, "生成报告", "Show the report")))
        }
    };
    page(
        lang,
        t(lang, "党员半年报告", "Half-year member report"),
        status,
        "/reports",
        body,
    )
}

/// One member's report for one half-year, with its seal (see [`super::seal`]); `today`
/// by the node's clock, `seal_error` why sealing was just refused.
pub fn report_page(
    lang: Language,
    sealed: &SealedReport,
    today: Date,
    seal_error: Option<&str>,
    status: &StatusBar,
) -> String {
    let report = &sealed.report;
    let title = match lang {
        Language::Chinese => format!(
            "{} {} 报到服务情况报告",
            report.member_name,
            report.period.label_zh()
        ),
        Language::English => format!("{}: report for {}", report.member_name, report.period),
    };
    let totals = &report.totals;
    let figures = [
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
    ];
    let services = report
        .services
        .iter()
        .map(|service| {
            Row::new(vec![
                html! { (service.date.to_string()) },
                html! { (post_label(lang, service.category)) },
                html! { (hours(service.minutes)) },
                html! { (service.description) },
            ])
        })
        .collect();
    let wishes = report
        .wishes
        .iter()
        .map(|wish| {
            Row::new(vec![
                html! { (wish.title) },
                html! { (wish.claimed_on.map(|d| d.to_string()).unwrap_or_default()) },
                html! { (wish.fulfilled_on.map(|d| d.to_string()).unwrap_or_default()) },
                html! { (state_label(lang, wish.state)) },
            ])
        })
        .collect();
    let body = html! {
        p {
            (report.community_name) " · " (report.work_unit) " · " (t(lang, "期间", "period")) " "
            (report.first_day.to_string()) " – " (report.last_day.to_string())
        }
        (seal_section(lang, sealed, today, seal_error))
        div.figures #report-totals {
            @for (zh, en, value, id) in figures {
                div.figure { (t(lang, zh, en)) b id={ "total-" (id) } { (value) } }
            }
        }
        (titled_table(lang, ("服务记录", "Service"), &[("日期", "Date"), ("类别", "Category"), ("时长（小时）", "Hours"), ("内容", "What")], services))
        (titled_table(lang, ("微心愿", "Wishes"), &[("心愿", "Wish"), ("认领日期", "Claimed"), ("实现日期", "Fulfilled"), ("现状", "State")], wishes))
        h2 { (t(lang, "认领岗位", "Posts held")) }
        ul {
            @for post in &report.posts {
                li {
                    (post.title) " (" (post_label(lang, post.kind)) ") " (post.from.to_string()) " – "
                    @match post.until {
                        Some(until) => (until.to_string()),
                        None => (t(lang, "至今", "now")),
                    }
                }
            }
        }
        p.no-print {
            a #report-csv href={
                "/reports/half-year.csv?member=" (report.member.to_string())
                "&period=" (report.period.to_string())
            } {
                (t(lang, "下载 CSV（可用 Excel 打开）", "Download CSV (opens in Excel)"))
            }
        }
        // What the paper needs that the screen does not: the community's opinion, the
        // member's signature and the stamp.
        section.sign-off #sign-off {
            div.box {
                b { (t(lang, "社区党组织意见", "The community party organisation's opinion")) }
            }
            div.stamp { (t(lang, "（盖章）", "(stamp)")) }
            p.line {
                (t(lang, "党员签名：", "Member's signature: ")) "＿＿＿＿＿＿＿＿　"
                (t(lang, "负责人签名：", "Signed for the community: ")) "＿＿＿＿＿＿＿＿　"
                (t(lang, "日期：", "Date: ")) "＿＿＿＿年＿＿月＿＿日"
            }
        }
    };
    page(lang, &title, status, "/reports", body)
}
