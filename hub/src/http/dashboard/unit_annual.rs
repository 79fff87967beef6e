//! A unit's annual report (单位党组织年度报告, issue 13): `/orgs/{id}/annual[.csv]`, a
//! year's report from the sealed figures of both half-years and the unit's pairings,
//! projects and service, with the unit's own text (a form, for the unit's own account
//! only). Access and audit as the other report-back pages (`unit.rs`).

use std::collections::HashMap;

use crate::figures::OrgScope;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Extension, Form, Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use wishtree_protocol::HalfYear;
use wishtree_protocol::names::Language;
use wishtree_webguard::FORM_TOKEN_FIELD;

use super::super::auth::Viewer;
use super::super::csv::{self, download};
use super::super::{ApiError, HubHttpState};
use super::PageRequest;
use super::layout::{error_page, link, number, tr};
use super::unit::{audit, not_found, open, service_line};
use crate::accounts::{ANNUAL_TEXT_LIMIT, AnnualText};
use crate::figures::{self, GRADES, HalfYearSummary, OrgProfile, Period};

/// What the annual report of a unit holds.
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct AnnualReport {
    pub(crate) year: i32,
    pub(crate) name: String,
    pub(crate) credit_code: String,
    /// The two half-years, first then second.
    pub(crate) halves: [HalfYearSummary; 2],
    /// The unit's pairings, projects and service over the year (its figures).
    pub(crate) profile: OrgProfile,
    /// The unit's own words, if written.
    pub(crate) text: Option<AnnualText>,
}

/// `GET /orgs/{id}/annual[.csv]?year=2026`.
pub(crate) async fn annual_page(
    State(state): State<HubHttpState>,
    Extension(viewer): Extension<Viewer>,
    Path(id): Path<String>,
    uri: Uri,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Response, Response> {
    let (request, org) = open(&state, viewer, &id, query).await?;
    let year = year(&request)?;
    let report = read_annual(&state, &request, org, year).await?;
    let Some(report) = report else {
        return Err(not_found(&request, &id));
    };
    let is_csv = uri.path().ends_with(".csv");
    audit(&state, &request, is_csv, &uri).await?;
    let lang = request.lang();
    if is_csv {
        return Ok(download(
            &csv::annual_table(lang, &report),
            &format!(
                "{}-{}-{year}.csv",
                tr(lang, "年度报告", "annual-report"),
                report.name
            ),
            &format!("annual-report-{}-{year}.csv", report.credit_code),
        ));
    }
    Ok(annual_render(&request, org, &report, None, StatusCode::OK))
}

/// `POST /orgs/{id}/annual`: the unit saves its own text for a year (its own account
/// only; the form carries the session's CSRF token, which the web guard checks).
pub(crate) async fn annual_save(
    State(state): State<HubHttpState>,
    Extension(viewer): Extension<Viewer>,
    Path(id): Path<String>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Result<Response, Response> {
    let now = state.now();
    let Ok(Form(fields)) = form else {
        return Err(error_page(
            Language::Chinese,
            "表单无法识别，请重新打开年度报告页面",
            StatusCode::BAD_REQUEST,
            now,
        ));
    };
    let query: HashMap<String, String> = ["year", "lang"]
        .iter()
        .filter_map(|key| Some(((*key).to_owned(), fields.get(*key)?.clone())))
        .collect();
    let (request, org) = open(&state, viewer, &id, Ok(Query(query))).await?;
    // Viewers read the unit's words; only the unit writes them.
    if !request.viewer().is_unit() {
        return Err(request.error(&ApiError::forbidden(format!(
            "account {} may read organisation {org}'s annual report, not write it",
            request.viewer().name()
        ))));
    }
    let year = year(&request)?;
    let text = fields.get("text").map(String::as_str).unwrap_or_default();
    let text = text.replace("\r\n", "\n");
    let problem = if text.chars().count() > ANNUAL_TEXT_LIMIT {
        Some(format!(
            "{}{ANNUAL_TEXT_LIMIT}{}",
            tr(
                request.lang(),
                "报告正文最多 ",
                "the text may have at most "
            ),
            tr(
                request.lang(),
                " 字，请删减后再保存",
                " characters; shorten it and save again"
            )
        ))
    } else if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        Some(
            tr(
                request.lang(),
                "报告正文含有无法显示的控制字符，请删除后再保存",
                "the text holds control characters; remove them and save again",
            )
            .to_owned(),
        )
    } else {
        None
    };
    if let Some(problem) = problem {
        let report = read_annual(&state, &request, org, year)
            .await?
            .ok_or_else(|| not_found(&request, &id))?;
        return Ok(annual_render(
            &request,
            org,
            &report,
            Some((&text, &problem)),
            StatusCode::BAD_REQUEST,
        ));
    }
    let who = request.viewer().name().to_owned();
    let saved = text.clone();
    state
        .accounts(move |accounts| {
            accounts.save_annual_text(org.id(), year, &saved, now, &who)?;
            accounts.audit(
                now,
                &who,
                "write",
                &format!("/orgs/{org}/annual?year={year}"),
            )?;
            Ok(())
        })
        .await
        .map_err(|error| request.error(&error))?;
    let back = link(
        &format!("/orgs/{org}/annual"),
        &[("year", &year.to_string())],
        request.lang(),
    );
    Ok(Redirect::to(&back).into_response())
}

async fn read_annual(
    state: &HubHttpState,
    request: &PageRequest,
    org: OrgScope,
    year: i32,
) -> Result<Option<AnnualReport>, Response> {
    let region = request.region().clone();
    let halves = [1, 2].map(|half| HalfYear::new(year, half));
    let [Some(first), Some(second)] = halves else {
        return Err(request.error(&ApiError::bad_request(format!(
            "year: {year} is out of range"
        ))));
    };
    let now = request.now();
    let report = state
        .read(move |connection| {
            let Some(profile) = figures::org_profile(
                connection,
                org,
                &region,
                &Period::new(Some(first.first_day()), Some(second.last_day()))
                    .map_err(|error| ApiError::bad_request(error.to_string()))?,
                now,
            )?
            else {
                return Ok(None);
            };
            let summary = |period| -> Result<HalfYearSummary, ApiError> {
                let rows = figures::unit_member_reports(connection, org, &region, period)?;
                Ok(HalfYearSummary::of(period, &rows))
            };
            let halves = [summary(first)?, summary(second)?];
            Ok(Some(AnnualReport {
                year,
                name: profile.name.clone(),
                credit_code: profile.credit_code.clone(),
                halves,
                profile,
                text: None,
            }))
        })
        .await
        .map_err(|error| request.error(&error))?;
    let Some(mut report) = report else {
        return Ok(None);
    };
    // The unit's words are the accounts' store's (shared by every hub process), the
    // figures this process's file.
    report.text = state
        .accounts(move |accounts| accounts.annual_text(org.id(), year))
        .await
        .map_err(|error| request.error(&error))?;
    Ok(Some(report))
}

fn annual_render(
    request: &PageRequest,
    org: OrgScope,
    report: &AnnualReport,
    refused: Option<(&str, &str)>,
    status: StatusCode,
) -> Response {
    let lang = request.lang();
    let year = report.year;
    let title = format!(
        "{} · {year}{}",
        report.name,
        tr(lang, " 年度单位党组织年度报告", " annual report")
    );
    let base = format!("/orgs/{org}/annual");
    let written = report.text.as_ref().map_or("", |text| text.text.as_str());
    let draft = refused.map_or(written, |(text, _)| text);
    let body = html! {
        h1 data-org=(org) { (report.name) " " (year) (tr(lang, " 年度报告", " annual report")) }
        p.muted { (tr(lang, "统一社会信用代码 ", "Credit code ")) (report.credit_code) }
        p.crumbs {
            a href=(link(&base, &[("year", &(year - 1).to_string())], lang)) { "‹ " (year - 1) }
            " · "
            a href=(link(&base, &[("year", &(year + 1).to_string())], lang)) { (year + 1) " ›" }
        }
        p.downloads {
            a href=(link(&format!("{base}.csv"), &[("year", &year.to_string())], lang)) { (tr(lang, "下载 CSV", "Download CSV")) }
            a href=(link(&format!("/orgs/{org}/reports"), &[("period", &format!("{year}H1"))], lang)) { (tr(lang, "党员半年报告", "Members' reports")) }
        }
        section.annual-report {
            h2 { (tr(lang, "一、党员到社区报到和服务情况", "1. Members reported in and their service")) }
            @for half in &report.halves {
                h3 { (half.period) }
                @if half.is_sealed() {
                    p.sealed data-sealed=(half.period) {
                        @match lang {
                            Language::Chinese => { (half.communities) " 个社区均已封存本半年度，" (half.verified) " 份党员报告已验签" }
                            Language::English => { "sealed in all " (half.communities) " communities; " (half.verified) " member reports verified" }
                        }
                    }
                } @else {
                    p.bad data-not-sealed=(half.period) {
                        @match lang {
                            Language::Chinese => { "本半年度尚未封存：" (half.communities) " 个社区中 " (half.communities_sealed) " 个已封存；未封存的数字不计入本报告" }
                            Language::English => { "not sealed yet: " (half.communities_sealed) " of " (half.communities) " communities sealed it; unsealed figures are not counted" }
                        }
                    }
                }
                ul {
                    @match lang {
                        Language::Chinese => {
                            li { "在社区报到的在职党员 " b { (half.members) } " 人次，已验签报告 " b { (half.verified) } " 份" @if half.failed > 0 { "，验签失败 " b.bad { (half.failed) } " 份" } }
                            li { "参加服务活动 " b { (half.totals.activities) } " 次，服务 " b { (number(half.totals.service_minutes as f64 / 60.0)) } " 小时" }
                            li { "认领微心愿 " b { (half.totals.wishes_claimed) } " 个、实现 " b { (half.totals.wishes_fulfilled) } " 个，认领服务岗位 " b { (half.totals.posts_held) } " 个，获得爱心积分 " b { (half.totals.points_earned) } }
                            li { "社区评价：" @for (grade, count) in GRADES.iter().zip(half.grades) { (grade.label_zh()) " " b { (count) } " 人　" } }
                        }
                        Language::English => {
                            li { b { (half.members) } " members reported in; " b { (half.verified) } " reports verified" @if half.failed > 0 { "; " b.bad { (half.failed) } " failed" } }
                            li { b { (half.totals.activities) } " activities, " b { (number(half.totals.service_minutes as f64 / 60.0)) } " hours of service" }
                            li { b { (half.totals.wishes_claimed) } " wishes claimed, " b { (half.totals.wishes_fulfilled) } " fulfilled, " b { (half.totals.posts_held) } " posts held, " b { (half.totals.points_earned) } " points" }
                            li { "Evaluations: " @for (grade, count) in GRADES.iter().zip(half.grades) { (grade.label_en()) " " b { (count) } "  " } }
                        }
                    }
                }
            }
            h2 { (tr(lang, "二、单位共建和认领情况", "2. The unit's pairings, projects and service")) }
            (service_line(lang, &report.profile))
            h2 { (tr(lang, "三、单位党组织报告", "3. The unit's own report")) }
            @if written.is_empty() {
                p.muted.unit-text { (tr(lang, "（单位尚未填写）", "(not written yet)")) }
            } @else {
                div.unit-text style="white-space:pre-wrap" { (written) }
            }
            @if let Some(text) = &report.text {
                p.muted { (tr(lang, "最后保存：", "Last saved: ")) (text.updated_at.display_in_shanghai()) " · " (text.updated_by) }
            }
        }
        @if request.viewer().is_unit() {
            @if let Some(token) = request.viewer().form_token() {
                form.unit-text method="post" action=(base) {
                    input type="hidden" name=(FORM_TOKEN_FIELD) value=(token);
                    input type="hidden" name="year" value=(year);
                    @if lang == Language::English { input type="hidden" name="lang" value="en"; }
                    label for="text" { (tr(lang, "单位党组织报告正文（最多 4000 字）", "The unit's text (at most 4000 characters)")) }
                    @if let Some((_, problem)) = refused {
                        p.error #text-problem role="alert" { (problem) }
                    }
                    textarea #text name="text" rows="12" style="width:100%" maxlength=(ANNUAL_TEXT_LIMIT)
                        aria-invalid=[refused.map(|_| "true")] aria-describedby=[refused.map(|_| "text-problem")] { (draft) }
                    button type="submit" { (tr(lang, "保存", "Save")) }
                }
            }
        }
    };
    let mut response = request.page(&title, &base, None, body);
    *response.status_mut() = status;
    response
}

/// The year asked for (`year=2026`), or this year.
#[allow(clippy::result_large_err)]
fn year(request: &PageRequest) -> Result<i32, Response> {
    match request.params().text("year") {
        None => Ok(request.now().date_in_shanghai().year()),
        Some(text) => text
            .parse::<i32>()
            .ok()
            .filter(|year| (2000..=2100).contains(year))
            .ok_or_else(|| {
                let message = tr(
                    request.lang(),
                    "年度无法识别：请写成四位数字，如 2026",
                    "year: write a year as four digits, e.g. 2026",
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
