//! The community itself: its status, its name, its points rules and the half-year
//! report of a member.

use serde_json::Value;
use wishtree_protocol::command::Command;
use wishtree_protocol::id::MemberId;
use wishtree_protocol::model::{Evaluation, EvaluationGrade, PostKind, Seal};
use wishtree_protocol::text::{Detail, Name};
use wishtree_protocol::{HalfYear, Timestamp};

use super::{ApiError, ApiResult, Expected, FieldError, Fields, Input, execute, query_value};
use crate::replica::Replica;
use crate::report::{ReportError, SealedReport};

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

/// `GET /api/reports/half-year?member=ID&period=2026H2`: the report, from the sealed
/// state if the period is sealed, with `seal` and the late `amendments`.
pub fn half_year_report(
    replica: &mut Replica,
    member: Option<&str>,
    period: Option<&str>,
) -> Result<SealedReport, ApiError> {
    let member: MemberId = query_value("member", member)?;
    let period: HalfYear = query_value("period", period)?;
    replica
        .sealed_report(member, period)
        .map_err(|error| match error {
            ReportError::NoSuchMember(_) => ApiError::not_found(error.to_string()),
            ReportError::Doc(message) => ApiError::Internal { message },
        })
}

/// The half-year to close: `{period}`, e.g. `2026H1`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PeriodToSeal {
    /// The period.
    pub period: HalfYear,
}

impl Input for PeriodToSeal {
    const FIELDS: &'static [&'static str] = &["period"];

    fn read(fields: &Fields, _now: Timestamp) -> Result<Self, FieldError> {
        Ok(Self {
            period: fields.parsed("period", Expected::Period)?,
        })
    }
}

/// `POST /api/seals` with `{period}`: closes a half-year that is over, signing the
/// heads its records end at. Answers the seal.
pub fn seal_period(replica: &mut Replica, input: PeriodToSeal, now: Timestamp) -> ApiResult {
    let period = input.period;
    replica
        .seal(period, now)
        .map_err(|error| ApiError::from_execute(error, None))?;
    let seal = replica
        .doc()
        .entity::<Seal>(period)?
        .ok_or_else(|| ApiError::Internal {
            message: format!("the seal of {period} was written but cannot be read back"),
        })?;
    Ok(seal_json(replica, period, &seal))
}

/// `GET /api/seals`: every sealed half-year, each with its check.
pub fn list_seals(replica: &mut Replica) -> ApiResult {
    let (seals, _) = replica.doc().entities::<Seal>()?;
    let listed = seals
        .iter()
        .map(|(period, seal)| seal_json(replica, *period, seal))
        .collect();
    Ok(Value::Array(listed))
}

/// A seal as the API shows it, checked against this node's key.
fn seal_json(replica: &Replica, period: HalfYear, seal: &Seal) -> Value {
    let verdict = seal
        .signed(replica.code(), period)
        .and_then(|signed| signed.verify_by(&replica.public_key()));
    serde_json::json!({
        "period": period.to_string(),
        "at": seal.at,
        "heads": seal.heads,
        "signer": seal.signer,
        "verified": verdict.is_ok(),
    })
}

/// The community's evaluation of a member for a sealed half-year:
/// `{member, period, grade, comment?}`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvaluation {
    /// The member.
    pub member: MemberId,
    /// The sealed half-year.
    pub period: HalfYear,
    /// The grade (`excellent`, `qualified`, `basically_qualified`, `unqualified`).
    pub grade: EvaluationGrade,
    /// The community's words.
    pub comment: Detail,
}

impl Input for NewEvaluation {
    const FIELDS: &'static [&'static str] = &["member", "period", "grade", "comment"];

    fn read(fields: &Fields, _now: Timestamp) -> Result<Self, FieldError> {
        Ok(Self {
            member: fields.parsed("member", Expected::Id)?,
            period: fields.parsed("period", Expected::Period)?,
            grade: fields.parsed("grade", Expected::Choice)?,
            comment: fields.text_or_empty("comment", Detail::parse)?,
        })
    }
}

impl NewEvaluation {
    /// The command that records it.
    pub fn command(self) -> Command {
        Command::Evaluate {
            member: self.member,
            period: self.period,
            grade: self.grade,
            comment: self.comment,
        }
    }
}

/// `POST /api/evaluations`: records (or corrects) a member's evaluation for a sealed
/// half-year. Answers the evaluation.
pub fn evaluate(replica: &mut Replica, input: NewEvaluation, now: Timestamp) -> ApiResult {
    let id = Evaluation::id_for(input.member, input.period);
    execute(replica, &input.command(), None, now, |_| None)?;
    let evaluation = replica.doc().entity::<Evaluation>(id)?;
    Ok(serde_json::to_value(evaluation).unwrap_or(Value::Null))
}

/// `GET /api/evaluations?period=2026H1`: the evaluations of a half-year (all without
/// `period`), by member.
pub fn list_evaluations(replica: &mut Replica, period: Option<&str>) -> ApiResult {
    let period: Option<HalfYear> = match period.filter(|text| !text.is_empty()) {
        Some(text) => Some(query_value("period", Some(text))?),
        None => None,
    };
    let (evaluations, _) = replica.doc().entities::<Evaluation>()?;
    let mut listed: Vec<Evaluation> = evaluations
        .into_iter()
        .map(|(_, evaluation)| evaluation)
        .filter(|evaluation| period.is_none_or(|period| evaluation.period == period))
        .collect();
    listed.sort_by_key(|evaluation| (evaluation.period, evaluation.member));
    Ok(serde_json::to_value(listed).unwrap_or(Value::Null))
}
