//! A unit's report-back pages (报到—服务—报告, issue 13): `/orgs/{id}/reports`, each of
//! its members' sealed half-year reports and evaluations across every community they
//! serve, marked 已验签, 验签失败 or 未封存 (`?print=all` lays every member's report out
//! one to an A4 page); `/orgs/{id}/members/{community}/{member}`, one member's report;
//! `/orgs/{id}/annual`, the annual report (单位党组织年度报告) of a year from the sealed
//! figures of both half-years, with the unit's own text (a form, for the unit's own
//! account). Each list also downloads as CSV (`….csv`).
//!
//! Who sees them: the unit's own account, and a region's viewer for a unit with members
//! reported in within its region, of those members only (`Viewer::check_unit_members`).
//! Every view and every download is written to the audit log before it is answered.

use std::collections::HashMap;
use std::fmt::Write;

use crate::figures::{OrgNames, OrgScope};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use maud::{Markup, PreEscaped, html};
use serde_json::Value;
use wishtree_protocol::id::MemberId;
use wishtree_protocol::names::Language;
use wishtree_protocol::report::SealedReport;
use wishtree_protocol::{CommunityCode, HalfYear};

use super::super::auth::Viewer;
use super::super::csv::{self, download};
use super::super::{ApiError, HubHttpState, parse_org};
use super::layout::{error_page, link, number, tr};
use super::tables::table;
use super::{PageRequest, Shows};
use crate::figures::{self, MemberBehind, MemberReportRow, OrgProfile, Period, SealMark};

/// `GET /orgs/{id}/reports[.csv]?period=2026H1`.
pub(crate) async fn reports_page(
    State(state): State<HubHttpState>,
    Extension(viewer): Extension<Viewer>,
    Path(id): Path<String>,
    uri: Uri,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Response, Response> {
    let (request, org) = open(&state, viewer, &id, query).await?;
    let period = half_year(&request)?;
    let (region, now) = (request.region().clone(), request.now());
    let (rows, profile) = state
        .read(move |connection| {
            let rows = figures::unit_member_reports(connection, org, &region, period)?;
            let profile =
                figures::org_profile(connection, org, &region, &Period::half_year(period), now)?;
            Ok((rows, profile))
        })
        .await
        .map_err(|error| request.error(&error))?;
    let Some(profile) = profile else {
        return Err(not_found(&request, &id));
    };
    let is_csv = uri.path().ends_with(".csv");
    audit(&state, &request, is_csv, &uri).await?;
    let lang = request.lang();
    if is_csv {
        let table = csv::member_reports_table(lang, &rows);
        return Ok(download(
            &table,
            &format!(
                "{}-{}-{period}.csv",
                tr(lang, "党员报告", "member-reports"),
                profile.name
            ),
            &format!("member-reports-{}-{period}.csv", profile.credit_code),
        ));
    }
    let base = format!("/orgs/{org}/reports");
    if request.params().text("print") == Some("all") {
        return print_all(&state, &request, org, &profile, period, &rows).await;
    }
    let title = format!(
        "{} · {}",
        profile.name,
        tr(lang, "党员半年报告", "Members' half-year reports")
    );
    let verified = rows
        .iter()
        .filter(|row| row.seal == SealMark::Verified)
        .count();
    let period_text = period.to_string();
    let body = html! {
        h1 data-org=(org) { (title) }
        (half_year_links(&request, &base, period))
        p {
            @match lang {
                Language::Chinese => { (period_text) "：本单位在职党员 " b { (rows.len()) } " 人次在社区报到，其中 " b { (verified) } " 份半年报告已封存并验签" }
                Language::English => { (period_text) ": " b { (rows.len()) } " members of the unit reported in; " b { (verified) } " sealed reports verified" }
            }
        }
        (service_line(lang, &profile))
        p.downloads {
            a href=(link(&format!("{base}.csv"), &[("period", &period_text), ("region", request.region().as_str())], lang)) { (tr(lang, "下载 CSV", "Download CSV")) }
            a href=(link(&base, &[("period", &period_text), ("print", "all"), ("region", request.region().as_str())], lang)) { (tr(lang, "逐人打印（A4）", "Print one member per page (A4)")) }
            a href=(link(&format!("/orgs/{org}/annual"), &[("year", &period.year().to_string())], lang)) { (tr(lang, "年度报告", "Annual report")) }
        }
        (reports_table(&request, org, period, &rows))
    };
    Ok(request.page(&title, &base, None, body))
}

/// `GET /orgs/{id}/members/{community}/{member}?period=2026H1`: one member's report.
pub(crate) async fn member_page(
    State(state): State<HubHttpState>,
    Extension(viewer): Extension<Viewer>,
    Path((id, community, member)): Path<(String, String, String)>,
    uri: Uri,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Response, Response> {
    let (request, found) = read_member(&state, viewer, &id, &community, &member, query).await?;
    audit(&state, &request, false, &uri).await?;
    let MemberFound {
        org,
        community,
        member,
        period,
        name,
        unit_name,
        report,
    } = found;
    let lang = request.lang();
    let title = format!("{name} · {}", tr(lang, "半年报告", "Half-year report"));
    let base = format!("/orgs/{org}/members/{community}/{member}");
    let period_text = period.to_string();
    let body = html! {
        p.crumbs { a href=(link(&format!("/orgs/{org}/reports"), &[("period", &period_text)], lang)) { (unit_name) " · " (tr(lang, "党员半年报告", "Members' reports")) } }
        (half_year_links(&request, &base, period))
        @if report.is_some() {
            p.downloads { a href=(link(&format!("{base}/csv"), &[("period", &period_text)], lang)) { (tr(lang, "下载本人报告 CSV", "Download the report as CSV")) } }
        }
        (member_section(lang, &name, period, report.as_ref()))
    };
    Ok(request.page(&title, &base, None, body))
}

/// `GET /orgs/{id}/members/{community}/{member}/csv?period=2026H1`: the member's sealed
/// report as the node writes the same file (`wishtree_common::report_csv`), so that
/// node and hub have one writer of it. 404 while the half-year is not sealed.
pub(crate) async fn member_csv(
    State(state): State<HubHttpState>,
    Extension(viewer): Extension<Viewer>,
    Path((id, community, member)): Path<(String, String, String)>,
    uri: Uri,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Response, Response> {
    let (request, found) = read_member(&state, viewer, &id, &community, &member, query).await?;
    let Some(report) = found.report else {
        let message = tr(
            request.lang(),
            "未封存：社区尚未封存本半年度，报告待封存后才能下载",
            "not sealed: the community has not sealed this half-year yet",
        );
        return Err(error_page(
            request.lang(),
            message,
            StatusCode::NOT_FOUND,
            request.now(),
        ));
    };
    // The row was written by this hub from a `SealedReport`; a row that no longer
    // reads as one is the hub's fault, not the caller's.
    let sealed: SealedReport = serde_json::from_value(report).map_err(|error| {
        request.error(&ApiError::internal(format!(
            "the stored report does not read back: {error}"
        )))
    })?;
    audit(&state, &request, true, &uri).await?;
    let (file_name, text) = wishtree_common::report_csv::sealed_report(&sealed);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                wishtree_common::csv::attachment(&file_name),
            ),
        ],
        text,
    )
        .into_response())
}

/// One member of a unit as the member's pages read them.
struct MemberFound {
    org: OrgScope,
    community: CommunityCode,
    member: MemberId,
    period: HalfYear,
    name: String,
    unit_name: String,
    /// The sealed report as stored, `None` while the half-year is not sealed.
    report: Option<Value>,
}

/// Reads member `member` of unit `id` in `community` for the page's half-year: 404 for
/// a member the community's records do not name as the unit's, 403 for a community
/// outside the viewer's region.
async fn read_member(
    state: &HubHttpState,
    viewer: Viewer,
    id: &str,
    community: &str,
    member: &str,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<(PageRequest, MemberFound), Response> {
    let (request, org) = open(state, viewer, id, query).await?;
    let period = half_year(&request)?;
    let (Ok(community), Ok(member)) = (
        community.parse::<CommunityCode>(),
        member.parse::<MemberId>(),
    ) else {
        return Err(not_found(&request, id));
    };
    // A region's viewer sees the unit's members within its region only.
    if !request.region().covers(&community.as_region()) {
        return Err(request.error(&ApiError::forbidden(format!(
            "community {community} is outside region {}",
            request.region().as_str()
        ))));
    }
    let found = state
        .read(move |connection| {
            let found = figures::unit_member_report(connection, org, community, member, period)?;
            let name = figures::org_name(connection, org)?;
            Ok((found, name))
        })
        .await
        .map_err(|error| request.error(&error))?;
    let (
        Some((name, report)),
        Some(OrgNames {
            name: unit_name, ..
        }),
    ) = found
    else {
        return Err(not_found(&request, id));
    };
    let found = MemberFound {
        org,
        community,
        member,
        period,
        name,
        unit_name,
        report,
    };
    Ok((request, found))
}

/// The unit's members behind on each campaign that asks every member: by name for the
/// unit's own account (`names`), by count for a viewer.
pub(super) fn behind_section(
    lang: Language,
    campaigns: &[(String, u32, Vec<MemberBehind>)],
    names: bool,
) -> Markup {
    html! {
        @if !campaigns.is_empty() {
            h2 { (tr(lang, "本单位党员达到活动要求情况", "The unit's members behind on the campaigns")) }
            @for (title, minimum, behind) in campaigns {
                h3 { (title) }
                @if behind.is_empty() {
                    p.good data-behind="0" { (tr(lang, "本单位在职党员均已达到要求", "Every member of the unit met it")) }
                } @else {
                    p data-behind=(behind.len()) {
                        @match lang {
                            Language::Chinese => { "尚未达到要求（至少 " (minimum) " 个）的党员 " b { (behind.len()) } " 名" @if names { "：" } }
                            Language::English => { b { (behind.len()) } " members have not claimed " (minimum) " yet" @if names { ":" } }
                        }
                    }
                    @if names {
                        (table("behind", &[tr(lang, "社区", "Community"), tr(lang, "姓名", "Name"), tr(lang, "已认领", "Claimed")], html! {
                            @for member in behind {
                                tr { td.text { (member.community_name) } td.text.member-name { (member.name) } td { (member.claimed) } }
                            }
                        }))
                    }
                }
            }
        }
    }
}

/// Reads the page's request for the report-back pages of unit `id`.
pub(super) async fn open(
    state: &HubHttpState,
    viewer: Viewer,
    id: &str,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<(PageRequest, OrgScope), Response> {
    let org = parse_org(id).ok();
    let request = PageRequest::read(state, viewer, query, Shows::UnitMembers(org)).await?;
    let org = org.ok_or_else(|| not_found(&request, id))?;
    Ok((request, org))
}

/// Every member's report laid out one to a printed page.
async fn print_all(
    state: &HubHttpState,
    request: &PageRequest,
    org: OrgScope,
    profile: &OrgProfile,
    period: HalfYear,
    rows: &[MemberReportRow],
) -> Result<Response, Response> {
    let keys: Vec<(CommunityCode, MemberId, String)> = rows
        .iter()
        .map(|row| (row.community, row.member, row.name.clone()))
        .collect();
    let reports = state
        .read(move |connection| {
            let mut reports = Vec::with_capacity(keys.len());
            for (community, member, name) in keys {
                let found =
                    figures::unit_member_report(connection, org, community, member, period)?;
                reports.push((name, found.and_then(|(_, report)| report)));
            }
            Ok(reports)
        })
        .await
        .map_err(|error| request.error(&error))?;
    let lang = request.lang();
    let title = format!(
        "{} · {period} {}",
        profile.name,
        tr(lang, "党员半年报告", "member reports")
    );
    let body = html! {
        h1 data-org=(org) { (title) }
        @for (name, report) in &reports {
            (member_section(lang, name, period, report.as_ref()))
        }
    };
    Ok(request.page(&title, &format!("/orgs/{org}/reports"), None, body))
}

/// One member's report: the seal's mark, the evaluation, the figures, what they did,
/// and what was written after the seal. A section that starts a new printed page.
fn member_section(lang: Language, name: &str, period: HalfYear, report: Option<&Value>) -> Markup {
    let text = |value: &Value, key: &str| value[key].as_str().unwrap_or_default().to_owned();
    let count = |value: &Value, key: &str| value[key].as_f64().map_or_else(String::new, number);
    html! {
        section.member-report {
            h2 { (name) " · " (period) }
            @match report {
                None => p.bad data-seal="not_sealed" { (tr(lang, "未封存：社区尚未封存本半年度，报告待封存后生成", "Not sealed: the community has not sealed this half-year yet")) },
                Some(report) => {
                    @let seal = &report["seal"];
                    p.muted { (text(report, "community_name")) " · " (text(report, "work_unit")) " · " (text(report, "first_day")) " — " (text(report, "last_day")) }
                    @if seal["verified"].as_bool() == Some(true) {
                        p.good data-seal="verified" { "✔ " (tr(lang, "已验签", "Seal verified")) " · " (tr(lang, "封存于 ", "sealed ")) (seal["at"].as_str().unwrap_or_default()) }
                    } @else {
                        p.bad data-seal="failed" { (tr(lang, "验签失败：", "Seal failed: ")) (text(seal, "problem")) }
                    }
                    @let evaluation = &report["evaluation"];
                    @if evaluation.is_object() {
                        @let grade = evaluation["grade"].as_str().and_then(|g| g.parse::<wishtree_protocol::model::EvaluationGrade>().ok());
                        p.evaluation { (tr(lang, "社区评价等次：", "Community's grade: ")) b { (grade.map_or("", |g| lang.pick(g.label_zh(), g.label_en()))) } " " (text(evaluation, "comment")) }
                    } @else {
                        p.muted { (tr(lang, "社区尚未评价", "Not evaluated yet")) }
                    }
                    @let totals = &report["totals"];
                    ul {
                        li { (tr(lang, "参加服务活动（次）", "Activities joined")) " " b { (count(totals, "activities_joined")) } }
                        li { (tr(lang, "服务时长（小时）", "Hours of service")) " " b { (count(totals, "service_hours")) } }
                        li { (tr(lang, "认领 / 实现微心愿", "Wishes claimed / fulfilled")) " " b { (count(totals, "wishes_claimed")) } " / " b { (count(totals, "wishes_fulfilled")) } }
                        li { (tr(lang, "认领服务岗位", "Posts held")) " " b { (count(totals, "posts_held")) } }
                        li { (tr(lang, "获得爱心积分", "Points earned")) " " b { (count(totals, "points_earned")) } }
                    }
                    @let services = report["services"].as_array().map(Vec::as_slice).unwrap_or_default();
                    @if !services.is_empty() {
                        (table("services", &[tr(lang, "日期", "Date"), tr(lang, "服务内容", "Service"), tr(lang, "分钟", "Minutes")], html! {
                            @for service in services {
                                tr { td { (text(service, "date")) } td.text { (text(service, "description")) } td { (count(service, "minutes")) } }
                            }
                        }))
                    }
                    @let amendments = report["amendments"].as_array().map(Vec::as_slice).unwrap_or_default();
                    @if !amendments.is_empty() {
                        h3 { (tr(lang, "封存后补录、更正（不计入上述数字）", "Written after the seal (not counted above)")) }
                        ul.amendments {
                            @for amendment in amendments {
                                li data-amendment=(text(amendment, "change")) { (text(amendment, "date")) " " (text(amendment, "title")) " · " (change_label(lang, &text(amendment, "change"))) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn change_label(lang: Language, change: &str) -> &'static str {
    match change {
        "added" => tr(lang, "封存后补录", "added after the seal"),
        "removed" => tr(lang, "封存后作废", "voided after the seal"),
        _ => tr(lang, "封存后更改", "changed after the seal"),
    }
}

/// The list of the unit's members and their reports, each row written straight into
/// one string: a unit's list runs to thousands of rows, and building each as markup
/// (with its own link through a URL serializer) cost more than reading them.
fn reports_table(
    request: &PageRequest,
    org: OrgScope,
    period: HalfYear,
    rows: &[MemberReportRow],
) -> Markup {
    let lang = request.lang();
    let headings = [
        tr(lang, "社区", "Community"),
        tr(lang, "姓名", "Name"),
        tr(lang, "封存", "Seal"),
        tr(lang, "等次", "Grade"),
        tr(lang, "评语", "Comment"),
        tr(lang, "活动", "Activities"),
        tr(lang, "服务小时", "Hours"),
        tr(lang, "认领心愿", "Wishes claimed"),
        tr(lang, "实现心愿", "Wishes fulfilled"),
        tr(lang, "岗位", "Posts"),
        tr(lang, "积分", "Points"),
        tr(lang, "封存后补录", "Amendments"),
    ];
    // Every member's link ends in the same query (`?period=2026H1`, and the language).
    let query = link("", &[("period", &period.to_string())], lang).replace('&', "&amp;");
    let verified = seal_mark(lang, &SealMark::Verified).into_string();
    let not_sealed = seal_mark(lang, &SealMark::NotSealed).into_string();
    let mut html = String::with_capacity(rows.len() * 512);
    for row in rows {
        let totals = &row.totals;
        let seal = match &row.seal {
            SealMark::Verified => verified.clone(),
            SealMark::NotSealed => not_sealed.clone(),
            failed => seal_mark(lang, failed).into_string(),
        };
        let grade = row
            .grade
            .map_or("", |grade| lang.pick(grade.label_zh(), grade.label_en()));
        // Writing into a String cannot fail, here and below.
        let _ = write!(
            html,
            "<tr data-member=\"{}\"><td class=\"text\">",
            row.member
        );
        escape_into(&mut html, &row.community_name);
        let _ = write!(
            html,
            "</td><td class=\"text\"><a href=\"/orgs/{org}/members/{}/{}{query}\">",
            row.community, row.member
        );
        escape_into(&mut html, &row.name);
        let _ = write!(
            html,
            "</a></td><td class=\"text\">{seal}</td><td class=\"text\">{grade}</td><td class=\"text\">"
        );
        escape_into(&mut html, &row.comment);
        let _ = write!(
            html,
            "</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            totals.activities,
            number(totals.service_minutes as f64 / 60.0),
            totals.wishes_claimed,
            totals.wishes_fulfilled,
            totals.posts_held,
            totals.points_earned,
            row.amendments,
        );
    }
    table("member-reports", &headings, PreEscaped(html))
}

/// Appends `text` to `html` escaped as maud escapes it.
fn escape_into(html: &mut String, text: &str) {
    // Writing into a String cannot fail.
    let _ = maud::Escaper::new(html).write_str(text);
}

/// 已验签 · 验签失败 · 未封存, with a class a test and a reader can tell apart.
fn seal_mark(lang: Language, seal: &SealMark) -> Markup {
    match seal {
        SealMark::Verified => {
            html! { span.good data-seal="verified" { "✔ " (tr(lang, "已验签", "verified")) } }
        }
        SealMark::Failed(problem) => {
            html! { span.bad data-seal="failed" title=(problem) { (tr(lang, "验签失败", "seal failed")) } }
        }
        SealMark::NotSealed => {
            html! { span.muted data-seal="not_sealed" { (tr(lang, "未封存", "not sealed")) } }
        }
    }
}

/// The unit's pairings, projects and service in a period, in one paragraph.
pub(super) fn service_line(lang: Language, profile: &OrgProfile) -> Markup {
    let f = &profile.figures;
    html! {
        p.service {
            @match lang {
                Language::Chinese => { "共建对子 " b { (f.pairings) } " 个；认领民生微项目 " b { (f.projects.claimed_or_fulfilled()) } " 个、解决 " b { (f.projects.fulfilled) } " 件；党员服务 " b { (f.participations) } " 人次、" b { (number(f.service_hours)) } " 小时" }
                Language::English => { b { (f.pairings) } " pairings; " b { (f.projects.claimed_or_fulfilled()) } " projects claimed, " b { (f.projects.fulfilled) } " solved; members served " b { (f.participations) } " person-times, " b { (number(f.service_hours)) } " hours" }
            }
        }
    }
}

/// Links to the half-years around `period`.
fn half_year_links(request: &PageRequest, base: &str, period: HalfYear) -> Markup {
    let lang = request.lang();
    let year = period.year();
    let periods: Vec<HalfYear> = [
        (year - 1, 1),
        (year - 1, 2),
        (year, 1),
        (year, 2),
        (year + 1, 1),
    ]
    .into_iter()
    .filter_map(|(year, half)| HalfYear::new(year, half))
    .collect();
    html! {
        p.crumbs.half-years {
            (tr(lang, "半年度：", "Half-year: "))
            @for shown in periods {
                @if shown == period {
                    b { (shown) } " "
                } @else {
                    a href=(link(base, &[("period", &shown.to_string()), ("region", request.region().as_str())], lang)) { (shown) } " "
                }
            }
        }
    }
}

/// The half-year asked for (`period=2026H1`), or the last one that has ended.
#[allow(clippy::result_large_err)]
fn half_year(request: &PageRequest) -> Result<HalfYear, Response> {
    match request.params().text("period") {
        None => {
            let today = request.now().date_in_shanghai().half_year();
            let last = match today.half() {
                1 => HalfYear::new(today.year() - 1, 2),
                _ => HalfYear::new(today.year(), 1),
            };
            last.ok_or_else(|| {
                request.error(&ApiError::bad_request("no half-year before this one"))
            })
        }
        Some(text) => text.parse::<HalfYear>().map_err(|_| {
            let message = tr(
                request.lang(),
                "半年度无法识别：请写成如 2026H1（上半年）或 2026H2（下半年）",
                "period: write a half-year as 2026H1 or 2026H2",
            );
            error_page(
                request.lang(),
                message,
                StatusCode::BAD_REQUEST,
                request.now(),
            )
        }),
    }
}

pub(super) fn not_found(request: &PageRequest, id: &str) -> Response {
    let message = match request.lang() {
        Language::Chinese => "本平台没有这个单位党组织或党员的记录：请从本单位页面进入".to_owned(),
        Language::English => format!(
            "no community's records at this hub name this member of organisation {}",
            id.chars().take(40).collect::<String>()
        ),
    };
    error_page(
        request.lang(),
        &message,
        StatusCode::NOT_FOUND,
        request.now(),
    )
}

/// Writes who looked at, or downloaded, the unit's per-member data.
pub(super) async fn audit(
    state: &HubHttpState,
    request: &PageRequest,
    is_export: bool,
    uri: &Uri,
) -> Result<(), Response> {
    let action = if is_export { "export" } else { "view" };
    state
        .audit(request.viewer().name(), action, uri.to_string())
        .await
        .map_err(|error| request.error(&error))
}
