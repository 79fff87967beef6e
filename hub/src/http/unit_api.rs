//! The report-back API of a unit (issue 13): `GET /api/orgs/{id}/reports?period=2026H1`
//! (its members and their sealed half-year reports, JSON or CSV) and `GET
//! /api/orgs/{id}/members/{community}/{member}?period=…[&fields=…]` (one member's
//! report). Scope as the pages': [`HubHttpState::check_unit_members`]. Only what the
//! community document holds reaches the hub, so asking for a personal field (a phone,
//! an address) is refused with 403 rather than answered empty: the caller learns that
//! the hub never has it. Every answer is written to the audit log first.

use std::collections::HashMap;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use wishtree_protocol::id::MemberId;
use wishtree_protocol::names::Language;
use wishtree_protocol::uscc::CreditCode;
use wishtree_protocol::{CommunityCode, HalfYear, RegionPrefix};

use super::api::params;
use super::auth::Viewer;
use super::csv::{self, download};
use super::{ApiError, Format, HubHttpState, parse_org};
use crate::figures::{self, OrgScope};

/// The fields of a member the hub may answer, and those it never holds.
const MEMBER_FIELDS: [&str; 3] = ["name", "report", "service"];
const PERSONAL_FIELDS: [&str; 6] = [
    "phone",
    "address",
    "home_address",
    "contact",
    "id_number",
    "resident_name",
];

impl HubHttpState {
    /// Whether `viewer` may read unit `org`'s members by name over `region` (403 if
    /// not); for a region's viewer this asks whether the unit has members there.
    pub(crate) async fn check_unit_members(
        &self,
        viewer: &Viewer,
        org: OrgScope,
        region: &RegionPrefix,
    ) -> Result<(), ApiError> {
        let unit = self.check_org(viewer, org, region).await?;
        let has_members_there = if viewer.is_unit() {
            true
        } else {
            let region = region.clone();
            self.read(move |connection| Ok(figures::unit_has_members_in(connection, org, &region)?))
                .await?
        };
        viewer.check_unit_members(org, unit, region, has_members_there)
    }

    /// Whether `viewer` may read organisation `org`'s pages over `region` (403 if not);
    /// for an organisation account this asks the figure tables which unit a party
    /// organisation belongs to, so that a unit's account sees its branches. Returns
    /// that unit, when it was looked up.
    pub(crate) async fn check_org(
        &self,
        viewer: &Viewer,
        org: OrgScope,
        region: &RegionPrefix,
    ) -> Result<Option<CreditCode>, ApiError> {
        let unit = match org {
            OrgScope::Unit(code) => Some(code),
            OrgScope::PartyOrg(id) if viewer.is_unit() => {
                self.read(move |connection| Ok(figures::org_unit(connection, id)?))
                    .await?
            }
            OrgScope::PartyOrg(_) => None,
        };
        viewer.check_org(org, unit, region)?;
        Ok(unit)
    }
}

/// `GET /api/orgs/{id}/reports[.csv]?period=2026H1[&region=…]`.
pub(crate) async fn reports(
    State(state): State<HubHttpState>,
    Extension(viewer): Extension<Viewer>,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Response, ApiError> {
    let (org, region, period, lang) = asked(&state, &viewer, &id, query).await?;
    let rows = state
        .read(move |connection| {
            Ok(figures::unit_member_reports(
                connection, org, &region, period,
            )?)
        })
        .await?;
    let format = Format::of(uri.path(), &headers);
    let action = match format {
        Format::Csv => "export",
        Format::Json => "view",
    };
    state.audit(viewer.name(), action, uri.to_string()).await?;
    Ok(match format {
        Format::Json => {
            Json(serde_json::json!({ "org": org.id(), "period": period, "members": rows }))
                .into_response()
        }
        Format::Csv => download(
            &csv::member_reports_table(lang, &rows),
            &format!("member-reports-{org}-{period}.csv"),
            &format!("member-reports-{org}-{period}.csv"),
        ),
    })
}

/// `GET /api/orgs/{id}/members/{community}/{member}?period=2026H1[&fields=name,report]`.
pub(crate) async fn member(
    State(state): State<HubHttpState>,
    Extension(viewer): Extension<Viewer>,
    Path((id, community, member)): Path<(String, String, String)>,
    uri: Uri,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Response, ApiError> {
    let fields: Vec<String> = match &query {
        Ok(Query(query)) => query
            .get("fields")
            .map(|fields| {
                fields
                    .split(',')
                    .map(|field| field.trim().to_owned())
                    .filter(|field| !field.is_empty())
                    .collect()
            })
            .unwrap_or_default(),
        Err(_) => Vec::new(),
    };
    let (org, region, period, _) = asked(&state, &viewer, &id, query).await?;
    if let Some(field) = fields
        .iter()
        .find(|field| PERSONAL_FIELDS.contains(&field.as_str()))
    {
        tracing::info!(account = viewer.name(), field, "refused: a personal field");
        return Err(ApiError::forbidden(format!(
            "fields: `{field}` is personal data, which stays on the community's node; the hub holds only {}",
            MEMBER_FIELDS.join(", ")
        )));
    }
    if let Some(field) = fields
        .iter()
        .find(|field| !MEMBER_FIELDS.contains(&field.as_str()))
    {
        return Err(ApiError::bad_request(format!(
            "fields: `{}` is not a field of a member's report; ask for {}",
            field.chars().take(40).collect::<String>(),
            MEMBER_FIELDS.join(", ")
        )));
    }
    let community: CommunityCode = community
        .parse()
        .map_err(|error| ApiError::bad_request(format!("community: {error}")))?;
    let member: MemberId = member
        .parse()
        .map_err(|error| ApiError::bad_request(format!("member: {error}")))?;
    if !region.covers(&community.as_region()) {
        return Err(ApiError::forbidden(format!(
            "account {} sees the unit's members within region {}, and community {community} is outside it",
            viewer.name(),
            region.as_str()
        )));
    }
    let found = state
        .read(move |connection| {
            Ok(figures::unit_member_report(
                connection, org, community, member, period,
            )?)
        })
        .await?;
    let Some((name, report)) = found else {
        return Err(ApiError::not_found(format!(
            "community {community}'s records name no member {member} of organisation {org}"
        )));
    };
    state.audit(viewer.name(), "view", uri.to_string()).await?;
    Ok(Json(serde_json::json!({
        "org": org.id(),
        "community": community,
        "member": member,
        "name": name,
        "period": period,
        "sealed": report.is_some(),
        "report": report,
    }))
    .into_response())
}

/// The unit, the region (checked against the account) and the half-year of a request.
async fn asked(
    state: &HubHttpState,
    viewer: &Viewer,
    id: &str,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<(OrgScope, RegionPrefix, HalfYear, Language), ApiError> {
    let params = params(query)?;
    let org = parse_org(id)?;
    let region = params.region(&viewer.access().home_region(state.scope()))?;
    state.check_unit_members(viewer, org, &region).await?;
    let period = params
        .text("period")
        .ok_or_else(|| ApiError::bad_request("period: name a half-year, e.g. period=2026H1"))?
        .parse::<HalfYear>()
        .map_err(|error| ApiError::bad_request(format!("period: {error}")))?;
    Ok((
        org,
        region,
        period,
        Language::from_query(params.text("lang")),
    ))
}
