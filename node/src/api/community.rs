//! The community itself: its status, its name, its points rules and the half-year
//! report of a member.

use serde_json::Value;
use wishtree_protocol::command::Command;
use wishtree_protocol::id::MemberId;
use wishtree_protocol::model::PostKind;
use wishtree_protocol::text::Name;
use wishtree_protocol::{HalfYear, Timestamp};

use super::{ApiError, ApiResult, FieldError, Fields, Input, execute, query_value};
use crate::replica::Replica;
use crate::report::{HalfYearReport, ReportError};

/// `GET /api/status`.
pub fn status(replica: &mut Replica) -> ApiResult {
    let status = replica.status()?;
    Ok(serde_json::to_value(status).unwrap_or(Value::Null))
}

/// The community's new name: `{name}`.
#[derive(Debug, Clone, PartialEq)]
pub struct CommunityName {
    /// The name.
    pub name: Name,
}

impl Input for CommunityName {
    const FIELDS: &'static [&'static str] = &["name"];

    fn read(fields: &Fields, _now: Timestamp) -> Result<Self, FieldError> {
        Ok(Self {
            name: fields.text("name", Name::parse)?,
        })
    }
}

/// Points a category earns an hour: `{points_per_hour}`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PointsRate {
    /// The points.
    pub points_per_hour: u32,
}

impl Input for PointsRate {
    const FIELDS: &'static [&'static str] = &["points_per_hour"];

    fn read(fields: &Fields, _now: Timestamp) -> Result<Self, FieldError> {
        Ok(Self {
            points_per_hour: fields.number("points_per_hour")?,
        })
    }
}

/// `PUT /api/community` with `{name}`: renames the community.
pub fn rename_community(replica: &mut Replica, new: CommunityName, now: Timestamp) -> ApiResult {
    let command = Command::SetCommunityName { name: new.name };
    execute(replica, &command, None, now, |_| None)?;
    Ok(serde_json::to_value(replica.doc().community()?).unwrap_or(Value::Null))
}

/// `PUT /api/rules/points-per-hour/{category}` with `{points_per_hour}`.
pub fn set_points_rate(
    replica: &mut Replica,
    category: &str,
    rate: PointsRate,
    now: Timestamp,
) -> ApiResult {
    let category: PostKind = category.parse().map_err(|error| {
        ApiError::bad_request(Some("category".into()), format!("category: {error}"))
    })?;
    let command = Command::SetPointsRate {
        category,
        points_per_hour: rate.points_per_hour,
    };
    execute(replica, &command, None, now, |_| None)?;
    Ok(serde_json::to_value(replica.doc().rules()).unwrap_or(Value::Null))
}

/// `GET /api/reports/half-year?member=ID&period=2026H2`.
pub fn half_year_report(
    replica: &mut Replica,
    member: Option<&str>,
    period: Option<&str>,
) -> Result<HalfYearReport, ApiError> {
    let member: MemberId = query_value("member", member)?;
    let period: HalfYear = query_value("period", period)?;
    let view = replica.view()?;
    HalfYearReport::compute(&view, member, period).map_err(|error| match error {
        ReportError::NoSuchMember(_) => ApiError::not_found(error.to_string()),
    })
}
