//! The figures API of DESIGN §9, in JSON or CSV.

use std::collections::HashMap;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::csv::{self, Table};
use super::{ApiError, Format, HubHttpState, Params, parse_org};
use crate::figures::{self, Figures, Filter};

/// Figures with the region's name, as `/api/figures` answers.
#[derive(Debug, Serialize)]
struct Named<'a> {
    name: Option<String>,
    #[serde(flatten)]
    figures: &'a Figures,
}

pub(crate) async fn figures(
    State(state): State<HubHttpState>,
    uri: Uri,
    headers: HeaderMap,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Response, ApiError> {
    let params = params(query)?;
    let filter = Filter {
        region: params.region(state.scope())?,
        period: params.period()?,
        org: params.org()?,
    };
    let now = state.now();
    let region = filter.region.clone();
    let (name, figures) = state
        .read(move |connection| {
            let figures = figures::figures(connection, &filter, now)?;
            Ok((figures::region_name(connection, &filter.region)?, figures))
        })
        .await?;
    Ok(match Format::of(uri.path(), &headers) {
        Format::Json => Json(Named {
            name,
            figures: &figures,
        })
        .into_response(),
        Format::Csv => csv_response(
            &format!("figures-{}", file_part(region.as_str())),
            csv::figures_table(&[(name, &figures)]),
        ),
    })
}

pub(crate) async fn children(
    State(state): State<HubHttpState>,
    uri: Uri,
    headers: HeaderMap,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Response, ApiError> {
    let params = params(query)?;
    let region = params.region(state.scope())?;
    let period = params.period()?;
    let now = state.now();
    let name = format!("children-{}", file_part(region.as_str()));
    let children = state
        .read(move |connection| Ok(figures::children(connection, &region, &period, now)?))
        .await?;
    Ok(match Format::of(uri.path(), &headers) {
        Format::Json => Json(children).into_response(),
        Format::Csv => csv_response(&name, csv::children_table(&children)),
    })
}

pub(crate) async fn months(
    State(state): State<HubHttpState>,
    uri: Uri,
    headers: HeaderMap,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Response, ApiError> {
    let params = params(query)?;
    let region = params.region(state.scope())?;
    let period = params.period()?;
    let org = params.org()?;
    let name = format!("months-{}", file_part(region.as_str()));
    let months = state
        .read(move |connection| Ok(figures::monthly(connection, &region, org, &period)?))
        .await?;
    Ok(match Format::of(uri.path(), &headers) {
        Format::Json => Json(months).into_response(),
        Format::Csv => csv_response(&name, csv::months_table(&months)),
    })
}

pub(crate) async fn org_figures(
    State(state): State<HubHttpState>,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Response, ApiError> {
    let params = params(query)?;
    let org = parse_org(id.trim_end_matches(".csv"))?;
    let region = params.region(state.scope())?;
    let period = params.period()?;
    let now = state.now();
    let profile = state
        .read(move |connection| {
            Ok(figures::org_profile(
                connection, org, &region, &period, now,
            )?)
        })
        .await?
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "no community's records at this hub name organisation {org}"
            ))
        })?;
    Ok(match Format::of(uri.path(), &headers) {
        Format::Json => Json(profile).into_response(),
        Format::Csv => csv_response(
            &format!("org-{org}"),
            csv::figures_table(&[(Some(profile.name.clone()), &profile.figures)]),
        ),
    })
}

pub(crate) async fn org_communities(
    State(state): State<HubHttpState>,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Response, ApiError> {
    let params = params(query)?;
    let org = parse_org(&id)?;
    let region = params.region(state.scope())?;
    let period = params.period()?;
    let now = state.now();
    let profile = state
        .read(move |connection| {
            Ok(figures::org_profile(
                connection, org, &region, &period, now,
            )?)
        })
        .await?
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "no community's records at this hub name organisation {org}"
            ))
        })?;
    Ok(match Format::of(uri.path(), &headers) {
        Format::Json => Json(profile.communities).into_response(),
        Format::Csv => csv_response(
            &format!("org-{org}-communities"),
            csv::org_communities_table(&profile.communities),
        ),
    })
}

pub(crate) async fn org_ranking(
    State(state): State<HubHttpState>,
    uri: Uri,
    headers: HeaderMap,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Response, ApiError> {
    let params = params(query)?;
    let region = params.region(state.scope())?;
    let period = params.period()?;
    let by = params.rank_by()?;
    let limit = params.limit()?;
    let name = format!("org-ranking-{}", file_part(region.as_str()));
    let ranking = state
        .read(move |connection| {
            Ok(figures::org_ranking(
                connection, &region, &period, by, limit,
            )?)
        })
        .await?;
    Ok(match Format::of(uri.path(), &headers) {
        Format::Json => Json(ranking).into_response(),
        Format::Csv => csv_response(&name, csv::org_ranking_table(&ranking)),
    })
}

pub(crate) async fn community_ranking(
    State(state): State<HubHttpState>,
    uri: Uri,
    headers: HeaderMap,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Response, ApiError> {
    let params = params(query)?;
    let region = params.region(state.scope())?;
    let period = params.period()?;
    let by = params.rank_by()?;
    let limit = params.limit()?;
    let name = format!("community-ranking-{}", file_part(region.as_str()));
    let ranking = state
        .read(move |connection| {
            Ok(figures::community_ranking(
                connection, &region, &period, by, limit,
            )?)
        })
        .await?;
    Ok(match Format::of(uri.path(), &headers) {
        Format::Json => Json(ranking).into_response(),
        Format::Csv => csv_response(&name, csv::community_ranking_table(&ranking)),
    })
}

pub(crate) async fn communities(
    State(state): State<HubHttpState>,
    uri: Uri,
    headers: HeaderMap,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Response, ApiError> {
    let params = params(query)?;
    let region = params.region(state.scope())?;
    let now = state.now();
    let name = format!("communities-{}", file_part(region.as_str()));
    let statuses = state
        .read(move |connection| Ok(figures::community_statuses(connection, &region, now)?))
        .await?;
    Ok(match Format::of(uri.path(), &headers) {
        Format::Json => Json(statuses).into_response(),
        Format::Csv => csv_response(&name, csv::communities_table(&statuses)),
    })
}

pub(crate) fn params(
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Params, ApiError> {
    match query {
        Ok(Query(query)) => Ok(Params::new(query)),
        Err(rejection) => Err(ApiError::bad_request(format!(
            "the query string cannot be read: {}",
            rejection.body_text()
        ))),
    }
}

fn csv_response(name: &str, table: Table) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.csv\""),
            ),
        ],
        table.render(),
    )
        .into_response()
}

/// A region prefix for a file name; the whole country is `all`.
fn file_part(region: &str) -> &str {
    if region.is_empty() { "all" } else { region }
}
