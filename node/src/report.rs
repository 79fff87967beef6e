//! The half-year member report rendered for people and spreadsheets: the figures are
//! computed in `wishtree_protocol::report`; this file only writes them as CSV.

use wishtree_common::csv::{Cell, SpreadsheetCsv};
use wishtree_protocol::Date;

pub use wishtree_protocol::report::{
    Amendment, HalfYearReport, ReportActivity, ReportError, ReportPost, ReportService,
    ReportTotals, ReportWish, SealCheck, SealedReport,
};

/// Writes a [`HalfYearReport`] as CSV; a trait because the report type lives in
/// `protocol`, which knows nothing of spreadsheets.
pub trait ReportCsv {
    /// The report as CSV for a spreadsheet: UTF-8 with a byte-order mark (so that
    /// Excel reads the Chinese), the figures as `field,value` rows, an empty row, then
    /// one row per record. Text cells that a spreadsheet would run as a formula
    /// (starting with `=`, `+`, `-`, `@`, tab or carriage return) are prefixed with `'`.
    fn to_csv(&self) -> String;
}

impl ReportCsv for HalfYearReport {
    fn to_csv(&self) -> String {
        report_rows(self).finish()
    }
}

/// A sealed period's report adds, after the records, a `seal` row (the day sealed,
/// the signer, `verified` or `not_verified`), an `evaluation` row (the day, the
/// comment, the grade) and one `amendment` row per record changed after the seal (its
/// change in the last column).
impl ReportCsv for SealedReport {
    fn to_csv(&self) -> String {
        let mut csv = report_rows(&self.report);
        let text = |value: &str| Cell::Text(value.to_owned());
        if let Some(seal) = &self.seal {
            csv.row(&[
                text("seal"),
                text(""),
                text(&seal.at.date_in_shanghai().to_string()),
                text(&seal.signer),
                text(""),
                text(""),
                text(if seal.verified {
                    "verified"
                } else {
                    "not_verified"
                }),
            ]);
        }
        if let Some(evaluation) = &self.evaluation {
            csv.row(&[
                text("evaluation"),
                text(""),
                text(&evaluation.at.date_in_shanghai().to_string()),
                text(&evaluation.comment),
                text(""),
                text(""),
                text(evaluation.grade.code()),
            ]);
        }
        for amendment in &self.amendments {
            let change = serde_json::to_value(amendment.change).unwrap_or_default();
            let record = serde_json::to_value(amendment.record).unwrap_or_default();
            csv.row(&[
                text(&format!(
                    "amendment:{}",
                    record.as_str().unwrap_or_default()
                )),
                text(&amendment.id),
                text(&amendment.date.map(|d| d.to_string()).unwrap_or_default()),
                text(&amendment.title),
                text(""),
                text(""),
                text(change.as_str().unwrap_or_default()),
            ]);
        }
        csv.finish()
    }
}

/// The rows of a report: the figures, an empty row, one row per record.
fn report_rows(report: &HalfYearReport) -> SpreadsheetCsv {
    let mut csv = SpreadsheetCsv::new();
    let totals = &report.totals;
    let summary: [(&str, Cell); 15] = [
        ("member", Cell::Text(report.member.to_string())),
        ("member_name", Cell::Text(report.member_name.clone())),
        ("work_unit", Cell::Text(report.work_unit.clone())),
        ("community", Cell::Text(report.community_name.clone())),
        ("period", Cell::Text(report.period.to_string())),
        (
            "activities_joined",
            Cell::Number(totals.activities_joined.to_string()),
        ),
        (
            "service_records",
            Cell::Number(totals.service_records.to_string()),
        ),
        (
            "service_minutes",
            Cell::Number(totals.service_minutes.to_string()),
        ),
        (
            "service_hours",
            Cell::Number(format!("{:.1}", totals.service_hours)),
        ),
        (
            "wishes_claimed",
            Cell::Number(totals.wishes_claimed.to_string()),
        ),
        (
            "wishes_fulfilled",
            Cell::Number(totals.wishes_fulfilled.to_string()),
        ),
        ("posts_held", Cell::Number(totals.posts_held.to_string())),
        (
            "points_earned",
            Cell::Number(totals.points_earned.to_string()),
        ),
        (
            "points_redeemed",
            Cell::Number(totals.points_redeemed.to_string()),
        ),
        (
            "points_balance",
            Cell::Number(totals.points_balance.to_string()),
        ),
    ];
    for (field, value) in summary {
        csv.row(&[Cell::Text(field.to_owned()), value]);
    }
    csv.blank_line();
    let header = [
        "record", "id", "date", "title", "category", "minutes", "state",
    ];
    csv.text_row(header);
    let text = |value: &str| Cell::Text(value.to_owned());
    let date = |value: Option<Date>| Cell::Text(value.map(|d| d.to_string()).unwrap_or_default());
    for activity in &report.activities {
        csv.row(&[
            text("activity"),
            text(&activity.id.to_string()),
            date(Some(activity.date)),
            text(&activity.title),
            text(activity.category.code()),
            Cell::Number(activity.minutes.to_string()),
            text(""),
        ]);
    }
    for service in &report.services {
        csv.row(&[
            text("service"),
            text(&service.id.to_string()),
            date(Some(service.date)),
            text(&service.description),
            text(service.category.code()),
            Cell::Number(service.minutes.to_string()),
            text(""),
        ]);
    }
    for wish in &report.wishes {
        csv.row(&[
            text("wish"),
            text(&wish.id.to_string()),
            date(wish.fulfilled_on.or(wish.claimed_on)),
            text(&wish.title),
            text(""),
            text(""),
            text(wish.state.code()),
        ]);
    }
    for post in &report.posts {
        csv.row(&[
            text("post"),
            text(&post.id.to_string()),
            date(Some(post.from)),
            text(&post.title),
            text(post.kind.code()),
            text(""),
            text(if post.until.is_some() {
                "released"
            } else {
                "held"
            }),
        ]);
    }
    csv
}

#[cfg(test)]
mod tests {
    use wishtree_protocol::command::{Command, MemberFields};
    use wishtree_protocol::id::{MemberId, ServiceId};
    use wishtree_protocol::model::{Actor, PostKind};
    use wishtree_protocol::text::{Detail, Label, Name};
    use wishtree_protocol::view::CommunityView;
    use wishtree_protocol::{CommunityDoc, Timestamp};

    use super::*;

    fn on(date: &str) -> Timestamp {
        date.parse::<Date>().unwrap().noon_in_shanghai()
    }

    #[test]
    fn csv_has_a_bom_and_neutralises_formulas() {
        let mut doc = CommunityDoc::create(
            "110118001002".parse().unwrap(),
            "行宫社区",
            [1; 16],
            on("2026-01-02"),
        )
        .unwrap();
        let worker = Actor::Worker("陈玉萍".into());
        let wang = MemberId::from_bytes([11; 16]);
        let member = MemberFields {
            name: Name::parse("name", "王建国").unwrap(),
            work_unit: Label::parse("work_unit", "=HYPERLINK(\"x\")").unwrap(),
            org: None,
            position: Label::parse("position", "").unwrap(),
            specialties: vec![],
            intentions: vec![],
            reported_in: "2026-01-05".parse().unwrap(),
            branch: None,
            team: None,
        };
        doc.execute(
            &Command::AddMember { id: wang, member },
            &worker,
            on("2026-01-05"),
        )
        .unwrap();
        let service = Command::RecordService {
            id: ServiceId::from_bytes([12; 16]),
            member: wang,
            date: "2026-08-03".parse().unwrap(),
            minutes: 30,
            category: PostKind::Aid,
            item: wishtree_protocol::model::ScoringItem::Other,
            description: Detail::parse("description", "-陪老人聊天").unwrap(),
        };
        doc.execute(&service, &worker, on("2026-08-03")).unwrap();
        let view = CommunityView::derive(&doc).unwrap();
        let csv = HalfYearReport::compute(&view, wang, "2026H2".parse().unwrap())
            .unwrap()
            .to_csv();
        assert!(csv.starts_with("\u{feff}member,"));
        assert!(
            csv.contains("work_unit,\"'=HYPERLINK(\"\"x\"\")\"\r\n"),
            "{csv}"
        );
        assert!(csv.contains(",'-陪老人聊天,aid,30,"), "{csv}");
        assert!(csv.contains("service_hours,0.5\r\n"));
        assert!(csv.contains("points_balance,5\r\n"));
    }
}
