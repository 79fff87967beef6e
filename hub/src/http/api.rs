//! The figures API of DESIGN §9, in JSON or CSV: one handler for every view, which
//! reads the query once, checks it against the account's scope, answers JSON with the
//! API's keys, and CSV for a person (see [`super::csv`]) under a file name that says
//! what and when (`排名-单位-沧州市-2026H2.csv`). Every CSV export, and every read of
//! per-organisation figures (a unit's profile, the units' ranking), is written to the
//! audit log before it is answered.

use std::collections::HashMap;

use crate::figures::OrgScope;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Extension, Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use wishtree_protocol::names::Language;
use wishtree_protocol::{HalfYear, RegionPrefix, Timestamp};

use super::auth::Viewer;
use super::csv::{self, NamedFigures, Table};
use super::{ApiError, Format, HubHttpState, Params, parse_org};
use crate::figures::{self, Figures, Filter, Period};

/// The paths of the API, each also answered with a `.csv` suffix.
pub(crate) const PATHS: [&str; 11] = [
    "/api/figures",
    "/api/figures/children",
    "/api/figures/months",
    "/api/orgs/{id}/figures",
    "/api/orgs/{id}/communities",
    "/api/rankings/orgs",
    "/api/rankings/communities",
    "/api/rankings/points",
    "/api/communities",
    "/api/campaigns",
    "/api/coverage",
];

/// Figures with the region's name, as `/api/figures` answers.
#[derive(Debug, Serialize)]
struct Named<'a> {
    name: Option<String>,
    #[serde(flatten)]
    figures: &'a Figures,
}

/// Which view a request asks for, from its path.
#[derive(Debug, Clone, Copy)]
enum View {
    Figures,
    Children,
    Months,
    OrgFigures(OrgScope),
    OrgCommunities(OrgScope),
    OrgRanking,
    CommunityRanking,
    PointsRanking,
    Communities,
    Campaigns,
    Coverage,
}

/// What a request asks, read once for every view.
struct Asked {
    params: Params,
    region: RegionPrefix,
    period: Period,
    lang: Language,
    now: Timestamp,
    /// The hub's documents, to name the members of a points ranking.
    hub: Option<std::sync::Arc<crate::state::Hub>>,
}

/// An answer: its JSON, its CSV table, and what the CSV file is named after.
struct Answer {
    json: serde_json::Value,
    table: Table,
    /// What the file holds, in Chinese and in English (`排名-单位`, `org-ranking`).
    what: (&'static str, &'static str),
    /// Whose figures: a region's or an organisation's name, or a code.
    whose: String,
}

/// Every view of the API.
pub(crate) async fn answer(
    State(state): State<HubHttpState>,
    Extension(viewer): Extension<Viewer>,
    uri: Uri,
    headers: HeaderMap,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Result<Response, ApiError> {
    let view = View::of(uri.path())?;
    let params = params(query)?;
    let region = params.region(&viewer.access().home_region(state.scope()))?;
    match view {
        View::OrgFigures(org) | View::OrgCommunities(org) => {
            state.check_org(&viewer, org, &region).await?;
        }
        _ => viewer.check_region(&region)?,
    }
    let asked = Asked {
        region,
        period: params.period()?,
        lang: Language::from_query(params.text("lang")),
        now: state.now(),
        hub: state.hub().cloned(),
        params,
    };
    // The order and the limit of the rankings are read before the query runs, so that a
    // bad one is refused as the rest are.
    let ranking = (asked.params.rank_by()?, asked.params.limit()?);
    let org = asked.params.org()?;
    asked.params.round()?;
    let (answer, asked) = state
        .read(move |connection| Ok((view.read(connection, &asked, ranking, org)?, asked)))
        .await?;
    let format = Format::of(uri.path(), &headers);
    let action = match (format, view) {
        (Format::Csv, _) => Some("export"),
        (
            Format::Json,
            View::OrgFigures(_) | View::OrgCommunities(_) | View::OrgRanking | View::PointsRanking,
        ) => Some("view"),
        (Format::Json, _) => None,
    };
    if let Some(action) = action {
        state.audit(viewer.name(), action, uri.to_string()).await?;
    }
    Ok(match format {
        Format::Json => Json(answer.json).into_response(),
        Format::Csv => csv_response(&answer, &asked),
    })
}

impl View {
    fn of(path: &str) -> Result<Self, ApiError> {
        let path = path.strip_suffix(".csv").unwrap_or(path);
        let segments: Vec<&str> = path.split('/').collect();
        let org = |id: &str| parse_org(id);
        Ok(match segments.as_slice() {
            ["", "api", "figures"] => Self::Figures,
            ["", "api", "figures", "children"] => Self::Children,
            ["", "api", "figures", "months"] => Self::Months,
            ["", "api", "orgs", id, "figures"] => Self::OrgFigures(org(id)?),
            ["", "api", "orgs", id, "communities"] => Self::OrgCommunities(org(id)?),
            ["", "api", "rankings", "orgs"] => Self::OrgRanking,
            ["", "api", "rankings", "communities"] => Self::CommunityRanking,
            ["", "api", "rankings", "points"] => Self::PointsRanking,
            ["", "api", "communities"] => Self::Communities,
            ["", "api", "campaigns"] => Self::Campaigns,
            ["", "api", "coverage"] => Self::Coverage,
            _ => return Err(ApiError::not_found(format!("there is no page at {path}"))),
        })
    }

    fn read(
        self,
        connection: &dyn crate::sql::Db,
        asked: &Asked,
        (by, limit): (figures::RankBy, usize),
        org: Option<OrgScope>,
    ) -> Result<Answer, ApiError> {
        let (region, period, now, lang) = (&asked.region, &asked.period, asked.now, asked.lang);
        let place = || -> Result<String, ApiError> {
            Ok(figures::region_name(connection, region)?
                .unwrap_or_else(|| file_part(region.as_str()).to_owned()))
        };
        let answer = |json: serde_json::Result<serde_json::Value>,
                      table,
                      what,
                      whose|
         -> Result<Answer, ApiError> {
            let json = json.map_err(|error| {
                ApiError::internal(format!("the answer cannot be written as JSON: {error}"))
            })?;
            Ok(Answer {
                json,
                table,
                what,
                whose,
            })
        };
        match self {
            Self::Figures => {
                let filter = Filter {
                    region: region.clone(),
                    period: *period,
                    org,
                    round: asked.params.round()?,
                };
                let figures = figures::figures(connection, &filter, now)?;
                let name = figures::region_name(connection, region)?;
                let table = csv::figures_table(
                    lang,
                    &[NamedFigures {
                        name: name.as_deref(),
                        figures: &figures,
                    }],
                );
                let json = serde_json::to_value(Named {
                    name,
                    figures: &figures,
                });
                answer(json, table, ("指标", "figures"), place()?)
            }
            Self::Children => {
                let round = asked.params.round()?;
                let children = figures::children(connection, region, period, round.as_ref(), now)?;
                answer(
                    serde_json::to_value(&children),
                    csv::children_table(lang, &children),
                    ("下级地区", "children"),
                    place()?,
                )
            }
            Self::Months => {
                let round = asked.params.round()?;
                let months = figures::monthly(connection, region, org, period, round.as_ref())?;
                answer(
                    serde_json::to_value(&months),
                    csv::months_table(lang, &months),
                    ("月度", "months"),
                    place()?,
                )
            }
            Self::OrgFigures(org) | Self::OrgCommunities(org) => {
                let profile = figures::org_profile(connection, org, region, period, now)?
                    .ok_or_else(|| {
                        ApiError::not_found(format!(
                            "no community's records at this hub name organisation {org}"
                        ))
                    })?;
                if let Self::OrgCommunities(_) = self {
                    let table = csv::org_communities_table(lang, &profile.communities);
                    answer(
                        serde_json::to_value(&profile.communities),
                        table,
                        ("单位各社区", "org-communities"),
                        profile.name.clone(),
                    )
                } else {
                    let named = NamedFigures {
                        name: Some(&profile.name),
                        figures: &profile.figures,
                    };
                    let table = csv::figures_table(lang, &[named]);
                    answer(
                        serde_json::to_value(&profile),
                        table,
                        ("单位指标", "org"),
                        profile.name.clone(),
                    )
                }
            }
            Self::OrgRanking => {
                let ranking = figures::org_ranking(connection, region, period, by, limit)?;
                answer(
                    serde_json::to_value(&ranking),
                    csv::org_ranking_table(lang, &ranking),
                    ("排名-单位", "org-ranking"),
                    place()?,
                )
            }
            Self::CommunityRanking => {
                let ranking = figures::community_ranking(connection, region, period, by, limit)?;
                answer(
                    serde_json::to_value(&ranking),
                    csv::community_ranking_table(lang, &ranking),
                    ("排名-社区", "community-ranking"),
                    place()?,
                )
            }
            Self::PointsRanking => {
                let half = points_period(period, now)?;
                let mut ranking = figures::points_ranking(connection, region, half, limit)?;
                super::points::name_members(asked.hub.as_deref(), &mut ranking.members);
                answer(
                    serde_json::to_value(&ranking),
                    csv::points_ranking_table(lang, &ranking.members),
                    ("积分排行", "points-ranking"),
                    place()?,
                )
            }
            Self::Communities => {
                let statuses = figures::community_statuses(connection, region, now)?;
                answer(
                    serde_json::to_value(&statuses),
                    csv::communities_table(lang, &statuses),
                    ("同步状况", "communities"),
                    place()?,
                )
            }
            Self::Campaigns => {
                let campaigns = figures::campaign_progress(connection, region)?;
                answer(
                    serde_json::to_value(&campaigns),
                    csv::campaigns_table(lang, &campaigns),
                    ("活动规则落实", "campaigns"),
                    place()?,
                )
            }
            Self::Coverage => {
                let coverage = figures::coverage(connection, region)?;
                answer(
                    serde_json::to_value(&coverage),
                    csv::coverage_table(lang, &coverage.by_unit),
                    ("报到覆盖率", "coverage"),
                    place()?,
                )
            }
        }
    }
}

/// The half-year a points ranking is for: the one asked for (`period=2026H1`), or this
/// one when no period is given; rankings are kept by half-year, so any other period is
/// refused.
pub(crate) fn points_period(period: &Period, now: Timestamp) -> Result<HalfYear, ApiError> {
    match (period.from(), period.to()) {
        (None, None) => Ok(now.date_in_shanghai().half_year()),
        (Some(from), _) if Period::half_year(from.half_year()) == *period => Ok(from.half_year()),
        _ => Err(ApiError::bad_request(
            "points rankings are kept by half-year: ask for period=2026H1 or period=2026H2",
        )),
    }
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

/// The CSV as a download: `filename*` (RFC 5987) names it in Chinese for the browsers
/// of today, `filename` in ASCII for anything older.
fn csv_response(answer: &Answer, asked: &Asked) -> Response {
    let (zh, en) = answer.what;
    let period = period_part(&asked.period);
    let readable = match asked.lang {
        Language::Chinese => format!("{zh}-{}-{period}.csv", answer.whose),
        Language::English => format!("{en}-{}-{period}.csv", answer.whose),
    };
    let ascii = format!("{en}-{}-{period}.csv", file_part(asked.region.as_str()));
    csv::download(&answer.table, &readable, &ascii)
}

/// A period for a file name: `2026H2`, `2026-07`, `2026-01-01_2026-03-31` or `all`.
fn period_part(period: &Period) -> String {
    let (Some(from), Some(to)) = (period.from(), period.to()) else {
        return match (period.from(), period.to()) {
            (Some(from), None) => format!("{from}_"),
            (None, Some(to)) => format!("_{to}"),
            _ => "all".to_owned(),
        };
    };
    let half: HalfYear = from.half_year();
    if Period::half_year(half) == *period {
        return half.to_string();
    }
    if Period::month(from.year(), from.month()).is_some_and(|month| month == *period) {
        return format!("{:04}-{:02}", from.year(), from.month());
    }
    format!("{from}_{to}")
}

/// A region prefix for a file name; the whole country is `all`.
fn file_part(region: &str) -> &str {
    if region.is_empty() { "all" } else { region }
}
