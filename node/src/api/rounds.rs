//! Collection rounds (批次): `GET|POST /api/rounds`, `GET /api/rounds/{id}`,
//! `POST /api/rounds/{id}/close`, and `POST /api/wishes/{id}/round`, which moves a
//! recorded wish to another round. A round's days may lie ahead (a worker plans the
//! next one), so they are read as plan dates, not as things that happened.

use serde_json::{Value, json};
use wishtree_protocol::command::Command;
use wishtree_protocol::id::{RoundId, WishId};
use wishtree_protocol::model::Round;
use wishtree_protocol::text::Name;
use wishtree_protocol::view::CommunityView;
use wishtree_protocol::{Date, Timestamp};

use super::{
    ApiError, ApiResult, Expected, FieldError, Fields, Input, create, execute, path_id, wish,
};
use crate::replica::Replica;

/// A round to open: `{name, opens, closes?}`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRound {
    /// Its name, e.g. 第一批.
    pub name: Name,
    /// Its first day.
    pub opens: Date,
    /// Its last day, if known.
    pub closes: Option<Date>,
}

impl Input for NewRound {
    const FIELDS: &'static [&'static str] = &["name", "opens", "closes"];

    fn read(fields: &Fields, _now: Timestamp) -> Result<Self, FieldError> {
        Ok(Self {
            name: fields.text("name", Name::parse)?,
            opens: fields.plan_date("opens")?,
            closes: fields.optional_plan_date("closes")?,
        })
    }
}

impl NewRound {
    /// The command that opens the round as `id`.
    pub fn into_command(self, id: RoundId) -> Command {
        Command::AddRound {
            id,
            name: self.name,
            opens: self.opens,
            closes: self.closes,
        }
    }
}

/// Where a wish moves: `{round}`, a round's id, or `none` for no round (未分批).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WishRound {
    /// The round, `None` for 未分批.
    pub round: Option<RoundId>,
}

impl Input for WishRound {
    const FIELDS: &'static [&'static str] = &["round"];

    fn read(fields: &Fields, _now: Timestamp) -> Result<Self, FieldError> {
        let RoundChoice(round) = fields.parsed("round", Expected::Id)?;
        Ok(Self { round })
    }
}

impl WishRound {
    /// The command that moves wish `id`.
    pub fn into_command(self, id: WishId) -> Command {
        Command::MoveWishToRound {
            id,
            round: self.round,
        }
    }
}

/// A round's id, or [`UNASSIGNED`] for none, as a form or body names it.
struct RoundChoice(Option<RoundId>);

impl std::str::FromStr for RoundChoice {
    type Err = <RoundId as std::str::FromStr>::Err;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim() {
            UNASSIGNED => Ok(Self(None)),
            text => text.parse().map(|id| Self(Some(id))),
        }
    }
}

/// `POST /api/wishes/{id}/round`: moves the wish to another round; answers the wish.
pub fn move_wish(replica: &mut Replica, id: &str, input: WishRound, now: Timestamp) -> ApiResult {
    let wish_id: WishId = path_id(id)?;
    execute(replica, &input.into_command(wish_id), None, now, |_| None)?;
    wish(replica, id)
}

/// `POST /api/rounds`: opens a round; answers it.
pub fn create_round(replica: &mut Replica, new: NewRound, now: Timestamp) -> ApiResult {
    create(
        replica,
        now,
        |id| new.into_command(id),
        |r, id| round(r, &id.to_string()),
    )
}

/// `GET /api/rounds`: every round, the earliest first.
pub fn list_rounds(replica: &mut Replica) -> ApiResult {
    let view = replica.view()?;
    let today = crate::now().date_in_shanghai();
    Ok(Value::Array(
        rounds_in_order(&view)
            .into_iter()
            .map(|(id, round)| round_json(&view, id, round, today))
            .collect(),
    ))
}

/// `GET /api/rounds/{id}`.
pub fn round(replica: &mut Replica, id: &str) -> ApiResult {
    let id: RoundId = path_id(id)?;
    let view = replica.view()?;
    let today = crate::now().date_in_shanghai();
    view.rounds
        .get(&id)
        .map(|round| round_json(&view, id, round, today))
        .ok_or_else(|| ApiError::not_found(format!("there is no {} {id}", RoundId::KIND)))
}

/// `POST /api/rounds/{id}/close`: closes a round on the node's today.
pub fn close_round(replica: &mut Replica, id: &str, now: Timestamp) -> ApiResult {
    let id: RoundId = path_id(id)?;
    execute(replica, &Command::CloseRound { id }, None, now, |_| None)?;
    round(replica, &id.to_string())
}

/// The rounds by their first day (then id), as every list shows them.
pub fn rounds_in_order(view: &CommunityView) -> Vec<(RoundId, &Round)> {
    let mut rounds: Vec<(RoundId, &Round)> =
        view.rounds.iter().map(|(id, round)| (*id, round)).collect();
    rounds.sort_by_key(|(id, round)| (round.opens, *id));
    rounds
}

/// How many wishes name the round.
pub fn wishes_in(view: &CommunityView, id: RoundId) -> usize {
    view.wishes
        .values()
        .filter(|wish| wish.entity.round == Some(id))
        .count()
}

fn round_json(view: &CommunityView, id: RoundId, round: &Round, today: Date) -> Value {
    json!({
        "id": id,
        "name": round.name,
        "opens": round.opens,
        "closes": round.closes,
        "is_closed": round.is_closed_on(today),
        "created_at": round.created_at,
        "wishes": wishes_in(view, id),
    })
}

/// Which wishes a list shows by round: `?round=` empty or absent for every wish,
/// `none` for those in no round (未分批), or a round's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RoundFilter {
    /// Every wish.
    #[default]
    Every,
    /// The wishes in no round.
    Unassigned,
    /// The wishes of one round.
    In(RoundId),
}

impl RoundFilter {
    /// Reads `?round=`: absent or blank is every wish.
    pub fn from_query(text: Option<&str>) -> Result<Self, ApiError> {
        match text.map(str::trim) {
            None | Some("") => Ok(Self::Every),
            Some(UNASSIGNED) => Ok(Self::Unassigned),
            Some(text) => text.parse().map(Self::In).map_err(|_| {
                ApiError::bad_request(
                    Some("round".into()),
                    format!("round: `{}` is not a round's id nor `none`", short(text)),
                )
            }),
        }
    }

    /// Whether a wish of round `round` is shown.
    pub fn admits(self, round: Option<RoundId>) -> bool {
        match self {
            Self::Every => true,
            Self::Unassigned => round.is_none(),
            Self::In(id) => round == Some(id),
        }
    }

    /// The value of `?round=` that asks for this.
    pub fn query_value(self) -> String {
        match self {
            Self::Every => String::new(),
            Self::Unassigned => UNASSIGNED.to_owned(),
            Self::In(id) => id.to_string(),
        }
    }
}

/// The `?round=` of the wishes in no round.
pub const UNASSIGNED: &str = "none";

fn short(text: &str) -> String {
    text.chars().take(40).collect()
}
