//! The figures as CSV tables a person opens in Excel or WPS, one per view of the
//! dashboard: headers in Chinese (with `lang=en`, the API's keys), names rather than
//! ids, yes and no in words, and codes kept as text. The spreadsheet form (the
//! byte-order mark, quoting, formula cells neutralised) is `wishtree_common::csv`'s.
//!
//! A region or credit code is written as `="130903"`: opened as it is, a spreadsheet
//! reads `130903001002` as a number and shows `1.30903E+11`. Excel and WPS both
//! evaluate `="…"` to the text inside and show it as written; the other common trick,
//! a leading tab, stays inside the cell's value (a lookup against the code then fails)
//! and is itself a character our formula neutraliser guards against.

use wishtree_common::csv::{Cell, SpreadsheetCsv};
use wishtree_protocol::Timestamp;
use wishtree_protocol::names::Language;

use super::dashboard::AnnualReport;
use super::service::{HasService, SERVICE_COLUMNS};
use crate::figures::{
    CampaignProgress, CommunityRank, CommunityStatus, Figures, HalfYearSummary, MemberPoints,
    MemberReportRow, MonthFigures, OrgInCommunity, OrgRank, RegionFigures, SealMark, UnitCoverage,
};

/// A table on its way to CSV.
#[derive(Debug, Default)]
pub(crate) struct Table {
    header: Vec<&'static str>,
    rows: Vec<Vec<Cell>>,
}

/// Figures with the name of what they are the figures of (a region, an organisation).
#[derive(Debug, Clone, Copy)]
pub(crate) struct NamedFigures<'a> {
    pub(crate) name: Option<&'a str>,
    pub(crate) figures: &'a Figures,
}

/// One column: the API's key, the Chinese header, and the cell of a row in a language.
struct Column<T> {
    key: &'static str,
    zh: &'static str,
    cell: fn(&T, Language) -> Cell,
}

impl<T> Column<T> {
    /// The header in Chinese, or the API's key in English.
    fn header(&self, lang: Language) -> &'static str {
        match lang {
            Language::Chinese => self.zh,
            Language::English => self.key,
        }
    }
}

impl Table {
    /// The CSV text, BOM first, every text cell neutralised.
    pub(crate) fn render(&self) -> String {
        let mut csv = SpreadsheetCsv::new();
        csv.text_row(&self.header);
        for row in &self.rows {
            csv.row(row);
        }
        csv.finish()
    }

    fn of<T>(lang: Language, columns: &[Column<T>], rows: &[T]) -> Self {
        Self {
            header: columns.iter().map(|column| column.header(lang)).collect(),
            rows: rows
                .iter()
                .map(|row| {
                    columns
                        .iter()
                        .map(|column| (column.cell)(row, lang))
                        .collect()
                })
                .collect(),
        }
    }

    /// A table of rows with service figures: `head`, the service columns, `tail`.
    fn with_service<T: HasService>(
        lang: Language,
        head: &[Column<T>],
        tail: &[Column<T>],
        rows: &[T],
    ) -> Self {
        let mut table = Self::of(lang, head, rows);
        table
            .header
            .extend(SERVICE_COLUMNS.iter().map(|column| match lang {
                Language::Chinese => column.zh,
                Language::English => column.key,
            }));
        let tail = Self::of(lang, tail, rows);
        table.header.extend(tail.header);
        for ((cells, row), tail) in table.rows.iter_mut().zip(rows).zip(tail.rows) {
            let service = row.service();
            cells.extend(
                SERVICE_COLUMNS
                    .iter()
                    .map(|column| count((column.value)(&service))),
            );
            cells.extend(tail);
        }
        table
    }
}

/// A unit's members and their half-year reports (report-back to the unit).
pub(crate) fn member_reports_table(lang: Language, rows: &[MemberReportRow]) -> Table {
    Table::of(lang, &MEMBER_REPORTS, rows)
}

/// A unit's annual report: one row per half-year, the unit's text in a last row.
pub(crate) fn annual_table(lang: Language, report: &AnnualReport) -> Table {
    let mut table = Table::of(lang, &HALF_YEARS, &report.halves);
    let mut last = vec![text(&format!("{}", report.year)), text(&report.name)];
    last.push(text(
        report
            .text
            .as_ref()
            .map_or("", |written| written.text.as_str()),
    ));
    table
        .header
        .extend([lang.pick("单位党组织报告", "unit_text")]);
    table.rows.push(last);
    table
}

/// The CSV of `table` as a download named `readable` (RFC 5987 `filename*`, for the
/// browsers of today) and `ascii` (`filename`, for anything older; any character but
/// letters, digits and `-_.` becomes `_`).
pub(crate) fn download(table: &Table, readable: &str, ascii: &str) -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    let ascii: String = ascii
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = readable
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"),
            ),
        ],
        table.render(),
    )
        .into_response()
}

pub(crate) fn figures_table(lang: Language, rows: &[NamedFigures<'_>]) -> Table {
    Table::of(lang, &figures_columns(), rows)
}

pub(crate) fn children_table(lang: Language, children: &[RegionFigures]) -> Table {
    let rows: Vec<NamedFigures<'_>> = children
        .iter()
        .map(|child| NamedFigures {
            name: child.name.as_deref(),
            figures: &child.figures,
        })
        .collect();
    figures_table(lang, &rows)
}

pub(crate) fn months_table(lang: Language, months: &[MonthFigures]) -> Table {
    Table::of(lang, &MONTHS, months)
}

pub(crate) fn org_ranking_table(lang: Language, ranking: &[OrgRank]) -> Table {
    Table::with_service(lang, &ORG_RANKING, &ORG_ACTIVITIES, ranking)
}

pub(crate) fn community_ranking_table(lang: Language, ranking: &[CommunityRank]) -> Table {
    Table::with_service(lang, &COMMUNITY_RANKING, &[], ranking)
}

pub(crate) fn org_communities_table(lang: Language, communities: &[OrgInCommunity]) -> Table {
    Table::with_service(lang, &ORG_COMMUNITIES, &[], communities)
}

pub(crate) fn communities_table(lang: Language, statuses: &[CommunityStatus]) -> Table {
    Table::of(lang, &COMMUNITIES, statuses)
}

/// Each declaring unit's report-in coverage, the most behind first.
pub(crate) fn coverage_table(lang: Language, units: &[UnitCoverage]) -> Table {
    Table::of(lang, &COVERAGE, units)
}

/// Members ranked by the points they earned in a half-year.
pub(crate) fn points_ranking_table(lang: Language, members: &[MemberPoints]) -> Table {
    Table::of(lang, &POINTS_RANKING, members)
}

/// The city's campaigns and how far the region is with each.
pub(crate) fn campaigns_table(lang: Language, campaigns: &[CampaignProgress]) -> Table {
    Table::of(lang, &CAMPAIGNS, campaigns)
}

/// The columns of a figures row, in order; the nested state counts are flattened as
/// `wishes_<state>`, `projects_<state>` and `project_stages_<stage>`, the volunteers'
/// as `volunteers_<kind>` and `volunteer_*`, the posts' as `post_*`, the groups' as
/// `branches`, `teams` and their members.
// One column a line, as a table reads.
#[rustfmt::skip]
fn figures_columns<'a>() -> [Column<NamedFigures<'a>>; 63] {
    [
        column("region", "地区代码", |r, _| code(r.figures.region.as_str())),
        column("name", "地区或单位", |r, _| text(r.name.unwrap_or_default())),
        column("from", "起始日期", |r, _| date(r.figures.from)),
        column("to", "截止日期", |r, _| date(r.figures.to)),
        column("communities", "社区数", |r, _| count(r.figures.communities)),
        column("communities_synced_24h", "24小时内同步的社区", |r, _| count(r.figures.communities_synced_24h)),
        column("members_reported", "报到党员", |r, _| count(r.figures.members_reported)),
        column("orgs_reported", "报到单位党组织", |r, _| count(r.figures.orgs_reported)),
        column("pairings", "共建对子", |r, _| count(r.figures.pairings)),
        column("wishes_total", "微心愿征集", |r, _| count(r.figures.wishes.total)),
        column("wishes_submitted", "微心愿待审核", |r, _| count(r.figures.wishes.submitted)),
        column("wishes_published", "微心愿待认领", |r, _| count(r.figures.wishes.published)),
        column("wishes_claimed", "微心愿已认领", |r, _| count(r.figures.wishes.claimed)),
        column("wishes_fulfilled", "微心愿已实现", |r, _| count(r.figures.wishes.fulfilled)),
        column("wishes_rejected", "微心愿已驳回", |r, _| count(r.figures.wishes.rejected)),
        column("wishes_withdrawn", "微心愿已撤回", |r, _| count(r.figures.wishes.withdrawn)),
        column("wishes_fulfilled_rate", "微心愿实现率", |r, _| ratio(r.figures.wishes_fulfilled_rate)),
        column("median_days_to_claim", "认领用时中位数（天）", |r, _| ratio(r.figures.median_days_to_claim)),
        column("median_days_to_fulfil", "实现用时中位数（天）", |r, _| ratio(r.figures.median_days_to_fulfil)),
        column("members_with_claimed_wish", "领办微心愿的党员", |r, _| count(r.figures.members_with_claimed_wish)),
        column("members_with_claimed_wish_rate", "领办微心愿的党员占比", |r, _| ratio(r.figures.members_with_claimed_wish_rate)),
        column("orgs_with_claimed_project", "认领项目的单位", |r, _| count(r.figures.orgs_with_claimed_project)),
        column("orgs_with_claimed_project_rate", "认领项目的单位占比", |r, _| ratio(r.figures.orgs_with_claimed_project_rate)),
        column("projects_total", "民生微项目征集", |r, _| count(r.figures.projects.total)),
        column("projects_submitted", "民生微项目待审核", |r, _| count(r.figures.projects.submitted)),
        column("projects_published", "民生微项目待认领", |r, _| count(r.figures.projects.published)),
        column("projects_claimed", "民生微项目已认领", |r, _| count(r.figures.projects.claimed)),
        column("projects_fulfilled", "民生微项目已解决", |r, _| count(r.figures.projects.fulfilled)),
        column("projects_rejected", "民生微项目已驳回", |r, _| count(r.figures.projects.rejected)),
        column("projects_withdrawn", "民生微项目已撤回", |r, _| count(r.figures.projects.withdrawn)),
        column("project_stages_collecting", "民生微项目 征集", |r, _| count(r.figures.project_stages.collecting)),
        column("project_stages_intents", "民生微项目 认领意向书", |r, _| count(r.figures.project_stages.intents)),
        column("project_stages_approved", "民生微项目 立项", |r, _| count(r.figures.project_stages.approved)),
        column("project_stages_in_progress", "民生微项目 实施", |r, _| count(r.figures.project_stages.in_progress)),
        column("project_stages_done", "民生微项目 完成", |r, _| count(r.figures.project_stages.done)),
        column("project_stages_terminated", "民生微项目 终止", |r, _| count(r.figures.project_stages.terminated)),
        column("project_stages_joint", "共同认领的民生微项目", |r, _| count(r.figures.project_stages.joint)),
        column("activities", "服务活动（次）", |r, _| count(r.figures.activities)),
        column("participations", "参加人次", |r, _| count(r.figures.participations)),
        column("service_records", "服务记录", |r, _| count(r.figures.service_records)),
        column("service_minutes", "服务时长（分钟）", |r, _| count(r.figures.service_minutes)),
        column("service_hours", "服务时长（小时）", |r, _| count(r.figures.service_hours)),
        column("points_earned", "爱心积分存入", |r, _| count(r.figures.points_earned)),
        column("points_redeemed", "爱心积分支取", |r, _| count(r.figures.points_redeemed)),
        column("volunteers_retired", "志愿者 离退休党员", |r, _| count(r.figures.volunteers.registered.retired)),
        column("volunteers_student", "志愿者 学生党员", |r, _| count(r.figures.volunteers.registered.student)),
        column("volunteers_resident", "志愿者 社区公益爱心人士", |r, _| count(r.figures.volunteers.registered.resident)),
        column("volunteers_total", "志愿者 合计", |r, _| count(r.figures.volunteers.registered.total)),
        column("volunteer_wishes_claimed", "志愿者认领的微心愿", |r, _| count(r.figures.volunteers.wishes_claimed.total)),
        column("volunteer_wishes_fulfilled", "志愿者实现的微心愿", |r, _| count(r.figures.volunteers.wishes_fulfilled.total)),
        column("volunteer_service_records", "志愿者服务记录", |r, _| count(r.figures.volunteers.service_records.total)),
        column("volunteer_service_hours", "志愿者服务时长（小时）", |r, _| count(r.figures.volunteers.service_hours)),
        column("volunteer_service_minutes_retired", "离退休党员服务时长（分钟）", |r, _| count(r.figures.volunteers.service_minutes.retired)),
        column("volunteer_service_minutes_student", "学生党员服务时长（分钟）", |r, _| count(r.figures.volunteers.service_minutes.student)),
        column("volunteer_service_minutes_resident", "社区公益爱心人士服务时长（分钟）", |r, _| count(r.figures.volunteers.service_minutes.resident)),
        column("round", "微心愿征集批次", |r, _| text(r.figures.round.as_ref().map_or("", |round| round.as_str()))),
        column("posts", "服务岗位", |r, _| count(r.figures.posts.posts)),
        column("post_seats", "岗位数（个）", |r, _| count(r.figures.posts.seats)),
        column("post_seats_held", "已认领岗位（个）", |r, _| count(r.figures.posts.seats_held)),
        column("branches", "功能型党支部", |r, _| count(r.figures.groups.branches)),
        column("branch_members", "功能型党支部党员", |r, _| count(r.figures.groups.branch_members)),
        column("teams", "服务团队", |r, _| count(r.figures.groups.teams)),
        column("team_members", "服务团队成员", |r, _| count(r.figures.groups.team_members)),
    ]
}

// One column a line, as a table reads.
#[rustfmt::skip]
const MONTHS: [Column<MonthFigures>; 12] = [
    column("month", "月份", |m, _| text(&m.month)),
    column("members_reported", "报到党员", |m, _| count(m.members_reported)),
    column("wishes_total", "微心愿征集", |m, _| count(m.wishes_total)),
    column("wishes_claimed", "微心愿认领", |m, _| count(m.wishes_claimed)),
    column("wishes_fulfilled", "微心愿实现", |m, _| count(m.wishes_fulfilled)),
    column("projects_fulfilled", "解决问题", |m, _| count(m.projects_fulfilled)),
    column("activities", "服务活动（次）", |m, _| count(m.activities)),
    column("participations", "参加人次", |m, _| count(m.participations)),
    column("service_minutes", "服务时长（分钟）", |m, _| count(m.service_minutes)),
    column("service_hours", "服务时长（小时）", |m, _| count(m.service_hours)),
    column("points_earned", "爱心积分存入", |m, _| count(m.points_earned)),
    column("points_redeemed", "爱心积分支取", |m, _| count(m.points_redeemed)),
];

// One column a line, as a table reads.
#[rustfmt::skip]
const ORG_RANKING: [Column<OrgRank>; 4] = [
    column("rank", "名次", |r, _| count(r.rank)),
    column("name", "单位", |r, _| text(&r.name)),
    column("party_org", "党组织", |r, lang| text(party_org_cell(r.party_org.as_deref(), lang))),
    column("credit_code", "统一社会信用代码", |r, _| code(&r.credit_code)),
];

/// A ranked party organisation's own name, or what a unit's own organisation is called.
fn party_org_cell(party_org: Option<&str>, lang: Language) -> &str {
    party_org.unwrap_or(match lang {
        Language::Chinese => "本级",
        Language::English => "the unit's own",
    })
}

// One column a line, as a table reads.
#[rustfmt::skip]
const ORG_ACTIVITIES: [Column<OrgRank>; 1] =
    [column("activities", "组织服务活动", |r, _| {
        count(r.activities)
    })];

// One column a line, as a table reads.
#[rustfmt::skip]
const COMMUNITY_RANKING: [Column<CommunityRank>; 3] = [
    column("rank", "名次", |r, _| count(r.rank)),
    column("code", "社区代码", |r, _| code(r.code.as_str())),
    column("name", "社区", |r, _| text(&r.name)),
];

// One column a line, as a table reads.
#[rustfmt::skip]
const ORG_COMMUNITIES: [Column<OrgInCommunity>; 3] = [
    column("code", "社区代码", |c, _| code(c.code.as_str())),
    column("name", "社区", |c, _| text(&c.name)),
    column("is_reported", "单位已报到", |c, lang| yes_no(c.is_reported, lang)),
];

// One column a line, as a table reads.
#[rustfmt::skip]
const COMMUNITIES: [Column<CommunityStatus>; 12] = [
    column("code", "社区代码", |s, _| code(s.code.as_str())),
    column("name", "社区", |s, _| text(&s.name)),
    column("last_seen_at", "上次同步", |s, _| time(s.last_seen_at)),
    column("last_change_at", "数据上次更新", |s, _| time(s.last_change_at)),
    column("is_synced_24h", "24小时内同步", |s, lang| yes_no(s.is_synced_24h, lang)),
    column("changes", "记录更新次数", |s, _| count(s.changes)),
    column("attested_changes", "经社区签名确认的更新", |s, _| count(s.attested_changes)),
    column("attested_share", "签名确认比例", |s, _| ratio(s.attested_share)),
    column("malformed", "无法读取的记录", |s, _| count(s.malformed)),
    column("signer_revoked", "签名密钥已吊销", |s, lang| yes_no(s.signer_revoked, lang)),
    column("seals", "已封存的半年度", |s, _| count(s.seals)),
    column("seals_failed", "封存签名未通过核验", |s, _| count(s.seals_failed)),
];

// One column a line, as a table reads.
#[rustfmt::skip]
const COVERAGE: [Column<UnitCoverage>; 6] = [
    column("credit_code", "统一社会信用代码", |u, _| code(&u.credit_code)),
    column("name", "单位", |u, _| text(&u.name)),
    column("in_service_members", "在职党员（申报）", |u, _| count(u.in_service_members)),
    column("reported", "已到社区报到", |u, _| count(u.reported)),
    column("behind", "尚未报到", |u, _| count(u.behind)),
    column("share", "报到比例", |u, _| ratio(u.share)),
];

// One column a line, as a table reads.
#[rustfmt::skip]
const CAMPAIGNS: [Column<CampaignProgress>; 9] = [
    column("title", "活动", |c, _| text(&c.title)),
    column("rule", "要求", |c, lang| text(lang.pick(c.rule.label_zh(), c.rule.label_en()))),
    column("minimum", "至少（个）", |c, _| count(c.minimum)),
    column("from", "起始日期", |c, _| date(Some(c.from))),
    column("to", "截止日期", |c, _| date(Some(c.to))),
    column("eligible", "应达到", |c, _| count(c.eligible)),
    column("met", "已达到", |c, _| count(c.met)),
    column("behind", "未达到", |c, _| count(c.behind)),
    column("met_rate", "达到比例", |c, _| ratio(c.met_rate)),
];

// One column a line, as a table reads.
#[rustfmt::skip]
const POINTS_RANKING: [Column<MemberPoints>; 5] = [
    column("rank", "名次", |m, _| count(m.rank)),
    column("name", "党员", |m, _| text(&m.name)),
    column("community", "社区代码", |m, _| code(m.community.as_str())),
    column("community_name", "社区", |m, _| text(&m.community_name)),
    column("points", "积分", |m, _| count(m.points)),
];

// One column a line, as a table reads.
#[rustfmt::skip]
const MEMBER_REPORTS: [Column<MemberReportRow>; 14] = [
    column("community", "社区代码", |r, _| code(r.community.as_str())),
    column("community_name", "社区", |r, _| text(&r.community_name)),
    column("name", "姓名", |r, _| text(&r.name)),
    column("seal", "封存", |r, lang| text(match (&r.seal, lang) {
        (SealMark::Verified, Language::Chinese) => "已验签",
        (SealMark::Failed(_), Language::Chinese) => "验签失败",
        (SealMark::NotSealed, Language::Chinese) => "未封存",
        (SealMark::Verified, Language::English) => "verified",
        (SealMark::Failed(_), Language::English) => "failed",
        (SealMark::NotSealed, Language::English) => "not_sealed",
    })),
    column("grade", "等次", |r, lang| text(r.grade.map_or("", |grade| lang.pick(grade.label_zh(), grade.label_en())))),
    column("comment", "评语", |r, _| text(&r.comment)),
    column("activities", "参加活动（次）", |r, _| count(r.totals.activities)),
    column("service_minutes", "服务时长（分钟）", |r, _| count(r.totals.service_minutes)),
    column("wishes_claimed", "认领微心愿", |r, _| count(r.totals.wishes_claimed)),
    column("wishes_fulfilled", "实现微心愿", |r, _| count(r.totals.wishes_fulfilled)),
    column("posts_held", "认领服务岗位", |r, _| count(r.totals.posts_held)),
    column("points_earned", "爱心积分", |r, _| count(r.totals.points_earned)),
    column("amendments", "封存后补录", |r, _| count(r.amendments)),
    column("problem", "验签问题", |r, _| text(match &r.seal { SealMark::Failed(problem) => problem, _ => "" })),
];

// One column a line, as a table reads.
#[rustfmt::skip]
const HALF_YEARS: [Column<HalfYearSummary>; 16] = [
    column("period", "半年度", |h, _| text(&h.period.to_string())),
    column("is_sealed", "已全部封存", |h, lang| yes_no(h.is_sealed(), lang)),
    column("communities", "社区数", |h, _| count(h.communities)),
    column("communities_sealed", "已封存社区", |h, _| count(h.communities_sealed)),
    column("members", "报到党员（人次）", |h, _| count(h.members)),
    column("verified", "已验签报告", |h, _| count(h.verified)),
    column("failed", "验签失败", |h, _| count(h.failed)),
    column("not_sealed", "未封存", |h, _| count(h.not_sealed)),
    column("activities", "参加活动（次）", |h, _| count(h.totals.activities)),
    column("service_minutes", "服务时长（分钟）", |h, _| count(h.totals.service_minutes)),
    column("wishes_claimed", "认领微心愿", |h, _| count(h.totals.wishes_claimed)),
    column("wishes_fulfilled", "实现微心愿", |h, _| count(h.totals.wishes_fulfilled)),
    column("points_earned", "爱心积分", |h, _| count(h.totals.points_earned)),
    column("grade_excellent", "优秀", |h, _| count(h.grades[0])),
    column("grade_qualified", "合格", |h, _| count(h.grades[1])),
    column("grade_basically_or_un", "基本合格/不合格", |h, _| count(h.grades[2] + h.grades[3])),
];

const fn column<T>(
    key: &'static str,
    zh: &'static str,
    cell: fn(&T, Language) -> Cell,
) -> Column<T> {
    Column { key, zh, cell }
}

/// A number the program wrote.
fn count(value: impl ToString) -> Cell {
    Cell::Number(value.to_string())
}

/// Text from outside, neutralised when written.
fn text(value: &str) -> Cell {
    Cell::Text(value.to_owned())
}

/// A code a spreadsheet must keep as text (see the module's note); anything but letters
/// and digits is written as neutralised text instead.
pub(crate) fn code(value: &str) -> Cell {
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Cell::Number(format!("=\"{value}\""))
    } else {
        text(value)
    }
}

fn ratio(value: Option<f64>) -> Cell {
    Cell::Number(value.map(|v| v.to_string()).unwrap_or_default())
}

fn date(value: Option<wishtree_protocol::Date>) -> Cell {
    Cell::Number(value.map(|d| d.to_string()).unwrap_or_default())
}

fn time(value: Option<Timestamp>) -> Cell {
    Cell::Number(
        value
            .map(|at| at.display_in_shanghai().to_string())
            .unwrap_or_default(),
    )
}

fn yes_no(value: bool, lang: Language) -> Cell {
    Cell::Number(
        match (lang, value) {
            (Language::Chinese, true) => "是",
            (Language::Chinese, false) => "否",
            (Language::English, true) => "true",
            (Language::English, false) => "false",
        }
        .to_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figures::Service;

    #[test]
    fn a_table_renders_with_a_bom_codes_as_text_and_names_neutralised() {
        let communities = [OrgInCommunity {
            code: "130903001002".parse().unwrap(),
            name: "=1+1,x".into(),
            is_reported: true,
            service: Service {
                members: 2,
                service_minutes: 90,
                service_hours: 1.5,
                ..Service::default()
            },
        }];
        let zh = org_communities_table(Language::Chinese, &communities).render();
        assert!(
            zh.starts_with("\u{feff}社区代码,社区,单位已报到,报到党员"),
            "{zh}"
        );
        assert!(
            zh.contains("\r\n\"=\"\"130903001002\"\"\",\"'=1+1,x\",是,2,1.5,90,0,"),
            "{zh}"
        );
        let en = org_communities_table(Language::English, &communities).render();
        assert!(
            en.starts_with("\u{feff}code,name,is_reported,members"),
            "{en}"
        );
        assert!(en.contains(",true,2,"), "{en}");
        assert_eq!(code("9113/x"), Cell::Text("9113/x".into()));
    }
}
