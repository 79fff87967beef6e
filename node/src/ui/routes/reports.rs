//! The read-only routes that look back: the public board and the half-year report.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use wishtree_protocol::HalfYear;
use wishtree_protocol::id::MemberId;

use super::super::{pages, report};
use super::{internal, language, not_found, page, status_bar};
use crate::http::AppState;
use crate::report::HalfYearReport;

pub(super) async fn board(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let lang = language(&headers);
    page(&state, lang, move |replica| {
        let view = replica.view().map_err(internal)?;
        Ok(pages::board_page(lang, &view, &status_bar(replica)))
    })
    .await
}

pub(super) async fn reports(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let lang = language(&headers);
    page(&state, lang, move |replica| {
        let view = replica.view().map_err(internal)?;
        let period = crate::now().date_in_shanghai().half_year();
        Ok(report::choose_page(
            lang,
            &view,
            period,
            &status_bar(replica),
        ))
    })
    .await
}

pub(super) async fn half_year(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let lang = language(&headers);
    page(&state, lang, move |replica| {
        let view = replica.view().map_err(internal)?;
        let member: MemberId = query
            .get("member")
            .and_then(|text| text.parse().ok())
            .ok_or_else(|| not_found(lang))?;
        let period: HalfYear = match query.get("period").filter(|text| !text.is_empty()) {
            Some(text) => {
                text.parse()
                    .map_err(|error: wishtree_protocol::time::TimeParseError| {
                        (StatusCode::BAD_REQUEST, error.to_string())
                    })?
            }
            None => crate::now().date_in_shanghai().half_year(),
        };
        let report = HalfYearReport::compute(&view, member, period).map_err(|_| not_found(lang))?;
        Ok(report::report_page(lang, &report, &status_bar(replica)))
    })
    .await
}
