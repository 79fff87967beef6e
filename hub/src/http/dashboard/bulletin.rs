//! The bulletins' pages (通报): the list of a region's issued bulletins with the form
//! that issues one (`GET`/`POST /bulletins?region=…`), an issued bulletin as it was
//! issued (`/bulletins/{id}`, printable on A4) and as CSV (`/bulletins/{id}/csv`).
//!
//! Who may do what, checked here on every request: a viewer sees the bulletins of
//! regions in its scope (403 for others, an organisation account sees none); a city
//! or district viewer may also issue them, a street viewer only reads (the hub's
//! operator issues with `wishtree-hub bulletin issue`). A refused issue comes back to
//! the form with the reason beside the period, in the page's language.

use std::collections::HashMap;

use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Extension, Form, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use wishtree_protocol::names::Language;
use wishtree_protocol::{RegionLevel, RegionPrefix};

use super::super::auth::Viewer;
use super::super::{ApiError, HubHttpState};
use super::bulletin_view::{bulletin_body, bulletin_csv, title};
use super::layout::{error_page, link, tr};
use super::{PageRequest, Shows};
use crate::accounts::Access;
use crate::bulletins::{self, Bulletin, BulletinError, BulletinPeriod, Issued};
use crate::figures;

/// What the list page shows besides the form.
struct Listing {
    name: Option<String>,
    issued: Vec<Issued>,
    children: Vec<(RegionPrefix, Option<String>)>,
}

/// A refused issue: what was typed and why.
struct Problem {
    typed: String,
    message: String,
    status: StatusCode,
}

/// `GET /bulletins?region=…`: the region's issued bulletins and the issue form.
pub(crate) async fn bulletins_page(
    State(state): State<HubHttpState>,
    Extension(viewer): Extension<Viewer>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Response, Response> {
    let request = PageRequest::read(&state, viewer, query, Shows::Region).await?;
    list_page(&state, &request, None).await
}

/// `POST /bulletins`: issues the bulletin of the form's region and period.
pub(crate) async fn issue_bulletin(
    State(state): State<HubHttpState>,
    Extension(viewer): Extension<Viewer>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Result<Response, Response> {
    let Ok(Form(fields)) = form else {
        let message = "通报发布表单无法识别，请重新打开通报页面";
        return Err(error_page(
            Language::Chinese,
            message,
            StatusCode::BAD_REQUEST,
            state.now(),
        ));
    };
    let typed: String = fields
        .get("period")
        .map(|text| text.trim().chars().take(20).collect())
        .unwrap_or_default();
    // The form's region and language are read as a page's query is: the region must
    // be the account's to see, or the answer is the 403 page.
    let asked: HashMap<String, String> = fields
        .into_iter()
        .filter(|(key, _)| key == "region" || key == "lang")
        .collect();
    let request = PageRequest::read(&state, viewer, Ok(Query(asked)), Shows::Region).await?;
    let lang = request.lang();
    if !may_issue(request.viewer()) {
        let message = tr(
            lang,
            "您的账号只能查看通报：通报由市、区账号或平台管理员发布",
            "your account may read bulletins but not issue them: city and district accounts and the hub's operator issue them",
        );
        return Err(error_page(
            lang,
            message,
            StatusCode::FORBIDDEN,
            request.now(),
        ));
    }
    let refused = |error: BulletinError| Problem {
        typed: typed.clone(),
        message: match lang {
            Language::Chinese => error.message_zh(),
            Language::English => error.to_string(),
        },
        status: match error {
            BulletinError::Duplicate { .. } => StatusCode::CONFLICT,
            _ => StatusCode::BAD_REQUEST,
        },
    };
    let period: BulletinPeriod = match typed.parse() {
        Ok(period) => period,
        Err(error) => return list_page(&state, &request, Some(refused(error))).await,
    };
    let by = request.viewer().name().to_owned();
    let issued = gather_and_record(&state, request.region().clone(), period, by, request.now())
        .await
        .map_err(|error| request.error(&error))?;
    let bulletin = match issued {
        Ok(bulletin) => bulletin,
        Err(error) if error.is_refusal() => {
            return list_page(&state, &request, Some(refused(error))).await;
        }
        Err(error) => return Err(request.error(&internal(error))),
    };
    state
        .audit(
            request.viewer().name(),
            "issue bulletin",
            format!(
                "{} {} {}",
                bulletin.id,
                bulletin.data.region.as_str(),
                bulletin.data.period
            ),
        )
        .await
        .map_err(|error| request.error(&error))?;
    Ok(Redirect::to(&link(&format!("/bulletins/{}", bulletin.id), &[], lang)).into_response())
}

/// Gathers the bulletin on a read connection and stores it on the writing one, which
/// is held only for the insert: the hub's failure outside, a refusal inside.
async fn gather_and_record(
    state: &HubHttpState,
    region: RegionPrefix,
    period: BulletinPeriod,
    by: String,
    now: wishtree_protocol::Timestamp,
) -> Result<Result<Bulletin, BulletinError>, ApiError> {
    let draft = state
        .read(move |connection| Ok(bulletins::prepare(connection, &region, period, now)))
        .await?;
    match draft {
        Ok(draft) => {
            state
                .write(move |connection| Ok(bulletins::record(connection, draft, &by, now)))
                .await
        }
        Err(error) => Ok(Err(error)),
    }
}

/// `GET /bulletins/{id}`: the bulletin as it was issued.
pub(crate) async fn bulletin_page(
    State(state): State<HubHttpState>,
    Extension(viewer): Extension<Viewer>,
    Path(id): Path<String>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Response, Response> {
    let (request, bulletin) = open(&state, viewer, &id, query).await?;
    let lang = request.lang();
    let data = &bulletin.data;
    let body = html! {
        (bulletin_body(lang, &bulletin))
        p.downloads {
            a href=(link(&format!("/bulletins/{}/csv", bulletin.id), &[], lang)) {
                (tr(lang, "下载通报（CSV 表格）", "Download as CSV"))
            }
            a href=(link("/bulletins", &[("region", data.region.as_str())], lang)) {
                (tr(lang, "本地区历次通报", "The region's bulletins"))
            }
            span.muted { (tr(lang, "打印：用浏览器的打印功能，版式为 A4。", "Print with the browser's print command; the layout is A4.")) }
        }
    };
    Ok(request.page(&title(lang, data), "/bulletins", None, body))
}

/// `GET /bulletins/{id}/csv`: the bulletin as it was issued, as a spreadsheet.
pub(crate) async fn bulletin_csv_file(
    State(state): State<HubHttpState>,
    Extension(viewer): Extension<Viewer>,
    Path(id): Path<String>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Response, Response> {
    let (_, bulletin) = open(&state, viewer, &id, query).await?;
    let file = format!(
        "通报-{}-{}.csv",
        bulletin.data.region_name, bulletin.data.period
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                wishtree_common::csv::attachment(&file),
            ),
        ],
        bulletin_csv(&bulletin),
    )
        .into_response())
}

/// Reads bulletin `id` for `viewer`: 404 for a number the hub has not issued, 403 for
/// a region outside the account's scope; the reading is written to the audit log (a
/// bulletin ranks units by name).
async fn open(
    state: &HubHttpState,
    viewer: Viewer,
    id: &str,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<(PageRequest, Bulletin), Response> {
    let query = query.map(|Query(query)| {
        Query(
            query
                .into_iter()
                .filter(|(key, _)| key == "lang")
                .collect::<HashMap<_, _>>(),
        )
    });
    let is_unit = viewer.is_unit();
    let request = PageRequest::read(state, viewer, query, Shows::Region).await?;
    let not_found = || {
        request.error(&ApiError::not_found(format!(
            "there is no bulletin numbered {}",
            id.chars().take(20).collect::<String>()
        )))
    };
    let Ok(number) = id.parse::<i64>() else {
        return Err(not_found());
    };
    let bulletin = state
        .read(move |connection| bulletins::bulletin(connection, number).map_err(internal))
        .await
        .map_err(|error| request.error(&error))?;
    let Some(bulletin) = bulletin else {
        return Err(not_found());
    };
    let allowed = if is_unit {
        Err(ApiError::forbidden(
            "an organisation account sees no bulletin",
        ))
    } else {
        request.viewer().check_region(&bulletin.data.region)
    };
    if let Err(error) = allowed {
        return Err(request.error(&error));
    }
    state
        .audit(
            request.viewer().name(),
            "view bulletin",
            bulletin.id.to_string(),
        )
        .await
        .map_err(|error| request.error(&error))?;
    Ok((request, bulletin))
}

/// The list page, with the form showing `problem` if an issue was refused.
async fn list_page(
    state: &HubHttpState,
    request: &PageRequest,
    problem: Option<Problem>,
) -> Result<Response, Response> {
    let region = request.region().clone();
    let listing = state
        .read(move |connection| {
            let issued = bulletins::bulletins_of(connection, &region).map_err(internal)?;
            let mut children = Vec::new();
            if region.level() < Some(RegionLevel::Street) {
                for child in figures::child_regions(connection, &region)? {
                    let name = figures::region_name(connection, &child)?;
                    children.push((child, name));
                }
            }
            Ok(Listing {
                name: figures::region_name(connection, &region)?,
                issued,
                children,
            })
        })
        .await
        .map_err(|error| request.error(&error))?;
    let lang = request.lang();
    let region = request.region();
    let place = listing
        .name
        .clone()
        .unwrap_or_else(|| region.as_str().to_owned());
    let title = match lang {
        Language::Chinese => format!("{place} 通报"),
        Language::English => format!("Bulletins: {place}"),
    };
    let status = problem
        .as_ref()
        .map_or(StatusCode::OK, |problem| problem.status);
    let body = html! {
        h1 data-region=(region.as_str()) { (title) }
        @if may_issue(request.viewer()) && (problem.is_some() || region.level().is_some_and(|level| level <= RegionLevel::Street)) {
            (issue_form(request, problem.as_ref()))
        }
        h2 { (tr(lang, "已发布的通报", "Issued bulletins")) }
        (issued_table(lang, &listing.issued))
        @if !listing.children.is_empty() {
            h2 { (tr(lang, "下级地区的通报", "Bulletins of the regions below")) }
            ul.children {
                @for (child, name) in &listing.children {
                    li { a href=(link("/bulletins", &[("region", child.as_str())], lang)) { (name.clone().unwrap_or_else(|| child.as_str().to_owned())) } }
                }
            }
        }
    };
    let mut response = request.page(&title, "/bulletins", None, body);
    *response.status_mut() = status;
    Ok(response)
}

fn issue_form(request: &PageRequest, problem: Option<&Problem>) -> Markup {
    let lang = request.lang();
    let today = request.now().date_in_shanghai();
    let token = request.viewer().form_token().unwrap_or_default();
    html! {
        form.period.no-print method="post" action="/bulletins" {
            input type="hidden" name=(wishtree_webguard::FORM_TOKEN_FIELD) value=(token);
            input type="hidden" name="region" value=(request.region().as_str());
            @if lang == Language::English { input type="hidden" name="lang" value="en"; }
            label for="bulletin-period" { (tr(lang, "发布通报，期间：", "Issue a bulletin for: ")) }
            input #bulletin-period name="period" list="bulletin-periods" required
                placeholder=(tr(lang, "2026-11 或 2026H1", "2026-11 or 2026H1"))
                value=(problem.map_or("", |problem| problem.typed.as_str()))
                aria-invalid=[problem.map(|_| "true")]
                aria-describedby=[problem.map(|_| "bulletin-problem")];
            datalist #bulletin-periods {
                @for period in BulletinPeriod::recent_closed(today) {
                    option value=(period) { (period.label_zh()) }
                }
            }
            button type="submit" { (tr(lang, "发布", "Issue")) }
            @if let Some(problem) = problem {
                p.error #bulletin-problem role="alert" data-error { (problem.message) }
            }
            span.muted { (tr(lang, "月度通报写作 2026-11，半年度通报写作 2026H1；期满后方可发布，发布后不再改动。",
                "A month as 2026-11, a half-year as 2026H1; only once it is over; an issued bulletin never changes.")) }
        }
    }
}

fn issued_table(lang: Language, issued: &[Issued]) -> Markup {
    let headings = [
        tr(lang, "期间", "Period"),
        tr(lang, "类别", "Kind"),
        tr(lang, "发布时间", "Issued at"),
        tr(lang, "发布人", "Issued by"),
    ];
    super::tables::table(
        "bulletins",
        &headings,
        html! {
            @if issued.is_empty() {
                tr { td.text colspan="4" { (tr(lang, "尚未发布通报", "none issued yet")) } }
            }
            @for bulletin in issued {
                tr data-bulletin=(bulletin.id) {
                    td.text { a href=(link(&format!("/bulletins/{}", bulletin.id), &[], lang)) { (bulletin.period.label_zh()) } }
                    td { (tr(lang, bulletin.period.kind().label_zh(), bulletin.period.kind().code())) }
                    td { (bulletin.issued_at.display_in_shanghai()) }
                    td { (bulletin.issued_by) }
                }
            }
        },
    )
}

/// Whether the account may issue bulletins: a city or district viewer (a wider scope,
/// as tests give, too); a street viewer and an organisation account may not.
fn may_issue(viewer: &Viewer) -> bool {
    matches!(viewer.access(), Access::Region(scope) if scope.as_str().len() <= 6)
}

fn internal(error: BulletinError) -> ApiError {
    tracing::error!(%error, "bulletin query failed");
    ApiError::internal(error.to_string())
}
