//! The community's passbook scoring (积分标准: points per kind of service) and its
//! benefit catalogue (福利目录: what points buy), for the JSON API, the CLI and the UI.

use serde_json::{Value, json};
use wishtree_protocol::Timestamp;
use wishtree_protocol::command::Command;
use wishtree_protocol::id::BenefitId;
use wishtree_protocol::model::{Benefit, ScoringItem, ScoringUnit};
use wishtree_protocol::text::Title;
use wishtree_protocol::view::CommunityView;

use super::{ApiError, ApiResult, Expected, FieldError, Fields, Input, execute, new_id, path_id};
use crate::replica::Replica;

/// The points a kind of service earns: `{points, per}` (`per` is `hour` or `time`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NewScoringRate {
    /// The kind of service.
    pub item: ScoringItem,
    /// Points per unit.
    pub points: u32,
    /// Per hour or per time.
    pub per: ScoringUnit,
}

impl Input for NewScoringRate {
    const FIELDS: &'static [&'static str] = &["item", "points", "per"];

    fn read(fields: &Fields, _now: Timestamp) -> Result<Self, FieldError> {
        Ok(Self {
            item: fields.parsed("item", Expected::Choice)?,
            points: fields.number("points")?,
            per: fields.parsed("per", Expected::Choice)?,
        })
    }
}

impl NewScoringRate {
    /// The command that sets it.
    pub fn command(self) -> Command {
        Command::SetScoringRate {
            item: self.item,
            points: self.points,
            per: self.per,
        }
    }
}

/// A benefit for the catalogue: `{title, cost, stock?}`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewBenefit {
    /// What it is.
    pub title: Title,
    /// Its cost in points.
    pub cost: u32,
    /// How many there are, if limited.
    pub stock: Option<u32>,
}

impl Input for NewBenefit {
    const FIELDS: &'static [&'static str] = &["title", "cost", "stock"];

    fn read(fields: &Fields, _now: Timestamp) -> Result<Self, FieldError> {
        Ok(Self {
            title: fields.text("title", Title::parse)?,
            cost: fields.number("cost")?,
            stock: fields.optional_number("stock")?,
        })
    }
}

impl NewBenefit {
    /// The command that adds it as `id`.
    pub fn into_command(self, id: BenefitId) -> Command {
        Command::AddBenefit {
            id,
            title: self.title,
            cost: self.cost,
            stock: self.stock,
        }
    }
}

/// `GET /api/scoring`: every kind of service with the rate in force (`set: false` for
/// a kind the community has not set, which is scored by its category's points per
/// hour), and the category rates.
pub fn scoring(replica: &mut Replica) -> ApiResult {
    let view = replica.view()?;
    Ok(scoring_json(&view))
}

/// `PUT /api/scoring/{item}` with `{points, per}`: the item in the path wins over one
/// in the body.
pub fn set_scoring_rate(
    replica: &mut Replica,
    item: &str,
    mut body: Value,
    now: Timestamp,
) -> ApiResult {
    if let Value::Object(map) = &mut body {
        map.insert("item".to_owned(), Value::String(item.to_owned()));
    }
    let rate = NewScoringRate::from_json(body, now)?;
    execute(replica, &rate.command(), None, now, |_| None)?;
    scoring(replica)
}

/// `POST /api/benefits`: adds a benefit; answers it.
pub fn create_benefit(replica: &mut Replica, new: NewBenefit, now: Timestamp) -> ApiResult {
    let id = BenefitId::from_bytes(new_id()?);
    execute(replica, &new.into_command(id), None, now, |_| None)?;
    benefit(replica, &id.to_string())
}

/// `GET /api/benefits`: the catalogue, withdrawn benefits included and marked.
pub fn list_benefits(replica: &mut Replica) -> ApiResult {
    let view = replica.view()?;
    Ok(Value::Array(
        view.benefits
            .iter()
            .map(|(id, benefit)| benefit_json(&view, *id, benefit))
            .collect(),
    ))
}

/// `GET /api/benefits/{id}`.
pub fn benefit(replica: &mut Replica, id: &str) -> ApiResult {
    let id: BenefitId = path_id(id)?;
    let view = replica.view()?;
    view.benefits
        .get(&id)
        .map(|benefit| benefit_json(&view, id, benefit))
        .ok_or_else(|| ApiError::not_found(format!("there is no {} {id}", BenefitId::KIND)))
}

/// `POST /api/benefits/{id}/withdraw`: takes a benefit out of the catalogue.
pub fn withdraw_benefit(replica: &mut Replica, id: &str, now: Timestamp) -> ApiResult {
    let id: BenefitId = path_id(id)?;
    execute(replica, &Command::WithdrawBenefit { id }, None, now, |_| {
        None
    })?;
    benefit(replica, &id.to_string())
}

/// A benefit as the API shows it, with how many are left.
pub fn benefit_json(view: &CommunityView, id: BenefitId, benefit: &Benefit) -> Value {
    json!({
        "id": id,
        "title": benefit.title,
        "cost": benefit.cost,
        "stock": benefit.stock,
        "left": view.benefit_left(id),
        "is_active": benefit.is_active(),
        "created_at": benefit.created_at,
        "withdrawn_at": benefit.withdrawn_at,
    })
}

fn scoring_json(view: &CommunityView) -> Value {
    let items: Vec<Value> = ScoringItem::ALL
        .iter()
        .map(|item| match view.scoring.get(item) {
            Some(rate) => json!({
                "item": item.code(),
                "set": true,
                "points": rate.points,
                "per": rate.per.code(),
                "set_at": rate.set_at,
            }),
            None => json!({ "item": item.code(), "set": false }),
        })
        .collect();
    json!({
        "items": items,
        "points_per_hour_by_category": view.rules.points_per_hour,
        "default_points_per_hour": wishtree_protocol::model::CommunityRules::DEFAULT_POINTS_PER_HOUR,
    })
}
