//! The read-only routes that look back: the public board, the half-year report, and
//! the CSV downloads for people (the report, the wish ledger).

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use wishtree_common::csv::attachment;
use wishtree_protocol::id::MemberId;
use wishtree_protocol::names::Language;
use wishtree_protocol::{HalfYear, Timestamp};

use super::super::forms::Form;
use super::super::{board, exports, report};
use super::{
    Lang, PostedForm, execute_message, execute_status, internal, not_found, page, problem_page,
    saved, status_bar, view_page,
};
use crate::api::NewEvaluation;
use crate::http::{AppState, on_replica};
use crate::replica::Replica;
use crate::report::{ReportError, SealedReport};

/// `GET /board[?round=<id>|none]`: the public board, its wishes of one round if asked.
pub(super) async fn board(
    State(state): State<AppState>,
    Lang(lang): Lang,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    view_page(&state, lang, move |view, bar| {
        let round = super::round_asked(lang, &query)?;
        Ok(board::board_page(lang, view, bar, round))
    })
    .await
}

pub(super) async fn reports(State(state): State<AppState>, Lang(lang): Lang) -> Response {
    view_page(&state, lang, move |view, bar| {
        let period = crate::now().date_in_shanghai().half_year();
        Ok(report::choose_page(lang, view, period, bar))
    })
    .await
}

pub(super) async fn half_year(
    State(state): State<AppState>,
    Lang(lang): Lang,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    page(&state, lang, move |replica| {
        let report = member_report(replica, lang, &query)?;
        let today = crate::now().date_in_shanghai();
        Ok(report::report_page(
            lang,
            &report,
            today,
            None,
            &status_bar(replica),
        ))
    })
    .await
}

/// `POST /reports/seal` with `member` and `period`: closes the half-year, then shows
/// the member's report again, now sealed; refused, the report with why.
pub(super) async fn seal(posted: PostedForm) -> Response {
    posted
        .run(move |replica, lang, form| {
            report_step(replica, lang, &form, |replica, period, now| {
                replica
                    .seal(period, now)
                    .map(drop)
                    .map_err(|error| (execute_status(&error), execute_message(lang, &error)))
            })
        })
        .await
}

/// `POST /reports/evaluate` with `member`, `period`, `grade` and `comment`: records the
/// community's evaluation of the member for the sealed half-year.
pub(super) async fn evaluate(posted: PostedForm) -> Response {
    posted
        .run(move |replica, lang, form| {
            let input = form.read::<NewEvaluation>(crate::now());
            report_step(replica, lang, &form, move |replica, _, now| {
                let input = input.map_err(|error| {
                    let message = match lang {
                        Language::Chinese => format!("评价未保存：{}", error.chinese()),
                        Language::English => error.english(),
                    };
                    (StatusCode::BAD_REQUEST, message)
                })?;
                let command = input.command();
                let worker = replica.worker().clone();
                replica
                    .execute_as(&command, &worker, None, now)
                    .map(drop)
                    .map_err(|error| (execute_status(&error), execute_message(lang, &error)))
            })
        })
        .await
}

/// A form posted from a member's report page (`member`, `period`): `step` runs on
/// the replica; done, the browser goes back to the report (saying 已保存); refused, the
/// report is drawn again with why at the top.
fn report_step(
    replica: &mut Replica,
    lang: Language,
    form: &Form,
    step: impl FnOnce(&mut Replica, HalfYear, Timestamp) -> Result<(), (StatusCode, String)>,
) -> Response {
    let query: HashMap<String, String> = ["member", "period"]
        .into_iter()
        .map(|name| (name.to_owned(), form.value(name).to_owned()))
        .collect();
    let period = match period_of(lang, &query) {
        Ok(period) => period,
        Err((status, message)) => {
            let html = problem_page(lang, status, &message, &status_bar(replica));
            return (status, Html(html)).into_response();
        }
    };
    let now = crate::now();
    let (status, message) = match step(replica, period, now) {
        // Back to the member's report, the id as parsed (never as typed).
        Ok(()) => {
            return match form.value("member").parse::<MemberId>() {
                Ok(member) => saved(&format!(
                    "/reports/half-year?member={member}&period={period}"
                )),
                Err(_) => saved("/reports"),
            };
        }
        Err(refusal) => refusal,
    };
    match member_report(replica, lang, &query) {
        Ok(report) => {
            let html = report::report_page(
                lang,
                &report,
                now.date_in_shanghai(),
                Some(&message),
                &status_bar(replica),
            );
            (status, Html(html)).into_response()
        }
        Err((status, message)) => {
            let html = problem_page(lang, status, &message, &status_bar(replica));
            (status, Html(html)).into_response()
        }
    }
}

/// `GET /reports/half-year.csv?member=ID&period=2026H2`: the report as a person's CSV.
pub(super) async fn half_year_csv(
    State(state): State<AppState>,
    Lang(lang): Lang,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    download(&state, lang, move |replica| {
        Ok(exports::half_year_report(&member_report(
            replica, lang, &query,
        )?))
    })
    .await
}

/// `GET /wishes.csv?period=2026H2`: the wish ledger of a half-year (this one if none).
pub(super) async fn wish_ledger_csv(
    State(state): State<AppState>,
    Lang(lang): Lang,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    download(&state, lang, move |replica| {
        let view = replica.view().map_err(internal)?;
        Ok(exports::wish_ledger(&view, period_of(lang, &query)?))
    })
    .await
}

/// The report of the `member` and `period` asked for; an unknown member is not found.
fn member_report(
    replica: &mut Replica,
    lang: Language,
    query: &HashMap<String, String>,
) -> Result<SealedReport, (StatusCode, String)> {
    let member: MemberId = query
        .get("member")
        .and_then(|text| text.parse().ok())
        .ok_or_else(|| not_found(lang))?;
    let period = period_of(lang, query)?;
    replica
        .sealed_report(member, period)
        .map_err(|error| match error {
            ReportError::NoSuchMember(_) => not_found(lang),
            ReportError::Doc(message) => internal(message),
        })
}

/// The `period` asked for, or the half-year of today.
pub(super) fn period_of(
    lang: Language,
    query: &HashMap<String, String>,
) -> Result<HalfYear, (StatusCode, String)> {
    match query.get("period").filter(|text| !text.is_empty()) {
        Some(text) => text
            .parse()
            .map_err(|error: wishtree_protocol::time::TimeParseError| {
                let message = match lang {
                    Language::Chinese => "半年度写法有误：请写成 2026H1 或 2026H2".to_owned(),
                    Language::English => error.to_string(),
                };
                (StatusCode::BAD_REQUEST, message)
            }),
        None => Ok(crate::now().date_in_shanghai().half_year()),
    }
}

/// Sends what `work` exports as a CSV attachment, or its error as a page.
pub(super) async fn download(
    state: &AppState,
    lang: Language,
    work: impl FnOnce(&mut Replica) -> Result<exports::Download, (StatusCode, String)> + Send + 'static,
) -> Response {
    let exported = on_replica(state, work).await;
    match exported {
        Ok(Ok(download)) => {
            let mut response = download.csv.into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            );
            if let Ok(value) = HeaderValue::from_str(&attachment(&download.file_name)) {
                headers.insert(header::CONTENT_DISPOSITION, value);
            }
            response
        }
        Ok(Err(error)) => page(state, lang, move |_| Err(error)).await,
        Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error.message()).into_response(),
    }
}
