//! A member's half-year report as a person's CSV, the same file on the node and at the
//! hub: the figures as `项目,数值` rows, one row per record, then the seal, the
//! community's evaluation and what was written after the seal (listed, not counted).

use wishtree_protocol::names::Language;
use wishtree_protocol::report::SealedReport;

use crate::csv::{Cell, SpreadsheetCsv};

/// The half-year report of one member, as a file name and its CSV text: the figures
/// as `项目,数值` rows, an empty row, one row per service (an activity's participation
/// once, under its activity's title), claimed wish and post held, then the seal rows.
pub fn sealed_report(sealed: &SealedReport) -> (String, String) {
    let report = &sealed.report;
    let mut csv = SpreadsheetCsv::new();
    let totals = &report.totals;
    let number = |value: String| Cell::Number(value);
    let summary = [
        ("党员", Cell::Text(report.member_name.clone())),
        ("所在单位", Cell::Text(report.work_unit.clone())),
        ("社区", Cell::Text(report.community_name.clone())),
        ("期间", Cell::Text(report.period.label_zh())),
        (
            "起止日期",
            Cell::Text(format!("{} 至 {}", report.first_day, report.last_day)),
        ),
        (
            "参加活动（次）",
            number(totals.activities_joined.to_string()),
        ),
        (
            "服务时长（小时）",
            number(format!("{:.1}", totals.service_hours)),
        ),
        (
            "认领微心愿（个）",
            number(totals.wishes_claimed.to_string()),
        ),
        (
            "实现微心愿（个）",
            number(totals.wishes_fulfilled.to_string()),
        ),
        ("认领岗位（个）", number(totals.posts_held.to_string())),
        ("获得积分", number(totals.points_earned.to_string())),
        ("支取积分", number(totals.points_redeemed.to_string())),
        ("期末积分余额", number(totals.points_balance.to_string())),
    ];
    csv.text_row(["项目", "数值"]);
    for (field, value) in summary {
        csv.row(&[Cell::Text(field.to_owned()), value]);
    }
    csv.blank_line();
    csv.text_row(["记录", "日期", "内容", "服务类别", "时长（小时）", "状态"]);
    let text = |value: &str| Cell::Text(value.to_owned());
    for service in &report.services {
        // A participation is a service record of its activity: one row, titled as
        // the activity, not a second row for the activity itself.
        let activity = service
            .activity
            .and_then(|id| report.activities.iter().find(|a| a.id == id));
        let (record, what) = match activity {
            Some(activity) => ("活动", activity.title.as_str()),
            None => ("服务", service.description.as_str()),
        };
        csv.row(&[
            text(record),
            text(&service.date.to_string()),
            text(what),
            text(service.category.label_zh()),
            number(format!("{:.1}", f64::from(service.minutes) / 60.0)),
            text(""),
        ]);
    }
    for wish in &report.wishes {
        csv.row(&[
            text("微心愿"),
            text(
                &wish
                    .fulfilled_on
                    .or(wish.claimed_on)
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
            ),
            text(&wish.title),
            text(""),
            text(""),
            text(wish.state.label_zh()),
        ]);
    }
    for post in &report.posts {
        csv.row(&[
            text("服务岗位"),
            text(&post.from.to_string()),
            text(&post.title),
            text(post.kind.label_zh()),
            text(""),
            text(if post.until.is_some() {
                "已卸任"
            } else {
                "在岗"
            }),
        ]);
    }
    seal_rows(&mut csv, sealed);
    (
        format!("党员半年报告-{}-{}.csv", report.member_name, report.period),
        csv.finish(),
    )
}

/// The seal, the community's evaluation and the records written after the seal (never
/// counted in the figures above), as the report page shows them.
fn seal_rows(csv: &mut SpreadsheetCsv, sealed: &SealedReport) {
    let text = |value: &str| Cell::Text(value.to_owned());
    csv.blank_line();
    let seal = match &sealed.seal {
        Some(seal) if seal.verified => {
            format!("已封存（{}），社区签名已核验", seal.at.date_in_shanghai())
        }
        Some(seal) => format!(
            "封存签名未通过核验：{}",
            seal.problem.as_deref().unwrap_or_default()
        ),
        None => "未封存".to_owned(),
    };
    csv.row(&[text("封存"), text(&seal)]);
    if let Some(evaluation) = &sealed.evaluation {
        csv.row(&[text("社区评价等次"), text(evaluation.grade.label_zh())]);
        csv.row(&[text("社区评语"), text(&evaluation.comment)]);
    }
    if sealed.amendments.is_empty() {
        return;
    }
    csv.blank_line();
    csv.text_row(["封存后的补录与更正（不计入本报告）", "日期", "内容", "变化"]);
    for amendment in &sealed.amendments {
        csv.row(&[
            text(amendment.record.label(Language::Chinese)),
            text(&amendment.date.map(|d| d.to_string()).unwrap_or_default()),
            text(&amendment.title),
            text(amendment.change.label(Language::Chinese)),
        ]);
    }
}
