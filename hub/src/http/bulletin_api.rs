//! The bulletins' JSON API (通报, issue 13): `GET /api/bulletins?region=…`, the issued
//! bulletins of a region (the account's own region when none is named), and `GET
//! /api/bulletins/{id}`, one bulletin as it was issued. Who may read, as the pages
//! (`dashboard/bulletin.rs`): a region's viewer the bulletins of regions in its scope
//! (403 for others), an organisation account none. A bulletin ranks units by name, so
//! each reading of one is written to the audit log first.

use std::collections::HashMap;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Extension, Path, Query, State};
use axum::response::{IntoResponse, Response};

use super::api::params;
use super::auth::Viewer;
use super::{ApiError, HubHttpState};
use crate::bulletins::{self, BulletinError};

/// `GET /api/bulletins?region=130903`: the region's issued bulletins, newest first.
pub(crate) async fn list(
    State(state): State<HubHttpState>,
    Extension(viewer): Extension<Viewer>,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Response, ApiError> {
    let params = params(query)?;
    let region = params.region(&viewer.access().home_region(state.scope()))?;
    check_reader(&viewer)?;
    viewer.check_region(&region)?;
    let asked = region.clone();
    let issued = state
        .read(move |connection| bulletins::bulletins_of(connection, &asked).map_err(internal))
        .await?;
    let bulletins: Vec<serde_json::Value> = issued
        .into_iter()
        .map(|issued| {
            serde_json::json!({
                "id": issued.id,
                "period": issued.period,
                "issued_at": issued.issued_at,
                "issued_by": issued.issued_by,
            })
        })
        .collect();
    Ok(Json(serde_json::json!({ "region": region, "bulletins": bulletins })).into_response())
}

/// `GET /api/bulletins/{id}`: the bulletin as it was issued.
pub(crate) async fn one(
    State(state): State<HubHttpState>,
    Extension(viewer): Extension<Viewer>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    check_reader(&viewer)?;
    let not_found = || {
        ApiError::not_found(format!(
            "id: there is no bulletin numbered `{}`",
            id.chars().take(20).collect::<String>()
        ))
    };
    let number = id.parse::<i64>().map_err(|_| not_found())?;
    let bulletin = state
        .read(move |connection| bulletins::bulletin(connection, number).map_err(internal))
        .await?
        .ok_or_else(not_found)?;
    viewer.check_region(&bulletin.data.region)?;
    state
        .audit(viewer.name(), "view bulletin", bulletin.id.to_string())
        .await?;
    Ok(Json(bulletin).into_response())
}

/// An organisation account reads its own unit's pages, not a region's bulletins.
fn check_reader(viewer: &Viewer) -> Result<(), ApiError> {
    if viewer.is_unit() {
        return Err(ApiError::forbidden(format!(
            "account {} is an organisation's account, which sees no bulletin; a region's viewer reads them",
            viewer.name()
        )));
    }
    Ok(())
}

fn internal(error: BulletinError) -> ApiError {
    tracing::error!(%error, "bulletin query failed");
    ApiError::internal(error.to_string())
}
