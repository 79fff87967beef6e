//! The dashboard: server-rendered HTML (maud templates, which escape by default),
//! Chinese first with an English switch (`?lang=en`), every style and chart inside the
//! page (city intranets have no CDN).
//!
//! One module per page — the overview of a region with drill-down city → district →
//! street → community (`/?region=…`, [`overview`]), an organisation across its
//! communities (`/orgs/{id}`, [`org`]), the rankings (`/rankings`) and sync health
//! (`/health`) — over the shared frame and helpers of [`layout`] and the tables of
//! [`tables`]. Headline numbers carry `data-figure` attributes named as the API's keys,
//! so a test (or a screen reader's user) can tell which figure each number is.

mod health;
mod layout;
mod org;
mod overview;
mod rankings;
mod tables;

use std::collections::HashMap;

use axum::extract::Query;
use axum::extract::rejection::QueryRejection;
use wishtree_protocol::names::Language;

pub(crate) use self::health::health_page;
pub(crate) use self::org::org_page;
pub(crate) use self::overview::overview;
pub(crate) use self::rankings::rankings_page;
use super::api::params;
use super::{ApiError, Params};

/// The language and the parameters of a page's query; a query that does not parse is
/// answered in Chinese, the dashboard's first language.
fn page_params(
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<(Language, Params), (Language, ApiError)> {
    let params = params(query).map_err(|error| (Language::Chinese, error))?;
    Ok((Language::from_query(params.text("lang")), params))
}
