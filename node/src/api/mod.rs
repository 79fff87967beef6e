//! The operations behind the JSON API and the command line: a typed input in, a
//! command run on the replica, the record out as JSON.
//!
//! Both the HTTP handlers ([`crate::http`]) and the CLI call these functions, so a
//! record created by `wishtree-node wish add` is checked and answered exactly as one
//! posted to `POST /api/wishes`; the web UI reads the same inputs from its forms
//! (see [`fields`]). Every function takes `&mut Replica` and does
//! blocking work: call it from a blocking thread (see [`crate::http`]).

mod activities;
mod cards;
mod community;
mod conflicts;
pub mod fields;
mod members;
mod orgs;
mod passbook;
mod posts;
mod problem;
mod projects;
pub mod render;
mod rounds;
mod scoring;
mod streets;
mod teams;
mod volunteers;
mod wishes;

use std::str::FromStr;

use serde_json::{Value, json};
use wishtree_protocol::Timestamp;
use wishtree_protocol::command::{Command, CommandError};
use wishtree_protocol::model::{Actor, AuthorError, Entity, EventKind, EventSubject};
use wishtree_protocol::text::Detail;

pub use self::activities::{
    CHECK_IN_PATH, NewActivity, NewParticipant, activity, add_participant, check_in_code,
    create_activity, list_activities, sign_up,
};
pub use self::cards::{
    CARD_PATH, CardRevocation, DEFAULT_CARD_DAYS, MAX_CARD_DAYS, NewCard, cards_of, hub_link,
    issue_card, member_cards, poster_link, qr_svg, revoke_card,
};
pub use self::community::{
    CommunityName, NewEvaluation, PeriodToSeal, PointsRate, evaluate, half_year_report,
    list_evaluations, list_seals, rename_community, seal_period, set_points_rate, status,
};
pub use self::conflicts::{conflicts, list_conflicts};
pub use self::fields::{Expected, FieldError, Fields, Input, Problem};

pub use self::members::{NewMember, create_member, list_members, member, update_member};
pub use self::orgs::{
    NewOrg, NewPairing, PairingEnd, create_org, create_pairing, end_pairing, list_orgs,
    list_pairings, org, pairing,
};
pub use self::passbook::{
    NewRedemption, NewService, NewVoid, RedemptionChoice, Server, VoidTarget, create_redemption,
    create_service, create_void, list_services, list_voids, passbook, service,
};
pub use self::posts::{NewPost, POSTS, create_post, list_posts, post};
pub use self::projects::{
    Approval, NewIntent, NewProject, PROJECTS, approve_project, create_project, list_projects,
    project, send_intent,
};
pub use self::rounds::{
    NewRound, RoundFilter, UNASSIGNED, WishRound, close_round, create_round, list_rounds,
    move_wish, round, rounds_in_order, wishes_in,
};
pub use self::scoring::{
    NewBenefit, NewScoringRate, benefit, benefit_json, create_benefit, list_benefits, scoring,
    set_scoring_rate, withdraw_benefit,
};
pub use self::streets::{
    NewStreetReportIn, Party, hosts_street, report_in_to_street, street_for, street_host,
};
pub use self::teams::{NewBranch, NewTeam, create_branch, create_team, list_branches, list_teams};
pub use self::volunteers::{
    NewVolunteer, create_volunteer, list_volunteers, volunteer, volunteer_service_at,
};
pub use self::wishes::{NewWish, WISHES, create_wish, list_wishes, wish};
use crate::replica::{ExecuteError, PrivateRecord, Replica, random_bytes};
use crate::store::StoreError;

/// What an operation answers: a JSON record or list.
pub type ApiResult = Result<Value, ApiError>;

/// Why an operation was refused or failed. Each maps to one HTTP status.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// 400: the input is invalid; `field` names the field at fault.
    BadRequest {
        /// The field, if one is at fault.
        field: Option<String>,
        /// What was wrong.
        message: String,
    },
    /// 404: an id names nothing.
    NotFound {
        /// What was not found.
        message: String,
    },
    /// 409: the request is not legal in the current state, which is attached.
    Conflict {
        /// Why.
        message: String,
        /// The current state of the record concerned.
        state: Option<Value>,
    },
    /// 413: the body is larger than the limit.
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// 503: the node cannot write now (read-only, or an unrecovered store failure).
    Unavailable {
        /// Why.
        message: String,
    },
    /// 507: the disk is full; nothing was saved.
    DiskFull {
        /// What to do.
        message: String,
    },
    /// 500: anything else; nothing was saved.
    Internal {
        /// What failed.
        message: String,
    },
}

impl ApiError {
    /// A 400 error.
    pub fn bad_request(field: Option<String>, message: impl Into<String>) -> Self {
        Self::BadRequest {
            field,
            message: message.into(),
        }
    }

    /// A 404 error.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::NotFound {
            message: message.into(),
        }
    }

    /// The HTTP status code.
    pub fn status_code(&self) -> u16 {
        match self {
            Self::BadRequest { .. } => 400,
            Self::NotFound { .. } => 404,
            Self::Conflict { .. } => 409,
            Self::TooLarge { .. } => 413,
            Self::Unavailable { .. } => 503,
            Self::DiskFull { .. } => 507,
            Self::Internal { .. } => 500,
        }
    }

    /// The message, for people.
    pub fn message(&self) -> String {
        match self {
            Self::BadRequest { message, .. }
            | Self::NotFound { message }
            | Self::Conflict { message, .. }
            | Self::Unavailable { message }
            | Self::DiskFull { message }
            | Self::Internal { message } => message.clone(),
            Self::TooLarge { limit } => {
                format!("the body is larger than {limit} bytes; send less at once")
            }
        }
    }

    /// The JSON body of the error: `{"error": …}`, with `field` or `state` when known.
    pub fn to_json(&self) -> Value {
        let mut body = json!({ "error": self.message() });
        match self {
            Self::BadRequest {
                field: Some(field), ..
            } => body["field"] = Value::String(field.clone()),
            Self::Conflict {
                state: Some(state), ..
            } => body["state"] = state.clone(),
            _ => {}
        }
        body
    }

    /// The answer to a store failure; also what a write of a group commit whose
    /// transaction failed is answered ([`crate::replica::GroupCommit`]).
    pub fn from_store(error: &StoreError) -> Self {
        match error {
            StoreError::DiskFull { .. } => Self::DiskFull {
                message: error.to_string(),
            },
            StoreError::ReadOnly { .. } => Self::Unavailable {
                message: error.to_string(),
            },
            other => Self::Internal {
                message: other.to_string(),
            },
        }
    }

    pub(crate) fn from_execute(error: ExecuteError, state: Option<Value>) -> Self {
        match error {
            ExecuteError::Command(CommandError::NotFound { kind, id }) => {
                Self::not_found(format!("there is no {kind} {id}"))
            }
            ExecuteError::NoSuchEntity { .. } => Self::not_found(error.to_string()),
            ExecuteError::Command(CommandError::OutOfRange { field, rule }) => {
                FieldError::new(field, Problem::OutOfRange { rule }).into()
            }
            ExecuteError::Command(CommandError::ReasonRequired { .. }) => {
                Self::bad_request(Some("note".to_owned()), error.to_string())
            }
            ExecuteError::Command(CommandError::Street(refusal)) => {
                FieldError::new("party", Problem::Street(refusal)).into()
            }
            ExecuteError::Command(CommandError::PartyOrgTaken { .. }) => {
                FieldError::new("party_org", Problem::PartyOrgTaken).into()
            }
            ExecuteError::Command(CommandError::NoUnits) => {
                Self::bad_request(Some("units".to_owned()), error.to_string())
            }
            ExecuteError::Command(
                CommandError::RoundNameTaken { .. }
                | CommandError::RoundsOverlap { .. }
                | CommandError::WishInRoundAlready { .. },
            ) => round_field_error(&error)
                .map_or_else(|| Self::bad_request(None, error.to_string()), Self::from),
            ExecuteError::Command(
                CommandError::AlreadyExists { .. }
                | CommandError::Refused { .. }
                | CommandError::InsufficientPoints { .. }
                | CommandError::BenefitWithdrawn { .. }
                | CommandError::OutOfStock { .. }
                | CommandError::AlreadyParticipating
                | CommandError::Attendance(_)
                | CommandError::AlreadyVoided { .. }
                | CommandError::AlreadyRevoked { .. }
                | CommandError::PeriodNotOver { .. }
                | CommandError::NotSealed { .. }
                | CommandError::RoundClosed { .. }
                | CommandError::RoundNotOpen { .. },
            ) => Self::Conflict {
                message: error.to_string(),
                state,
            },
            ExecuteError::Command(CommandError::Doc(doc)) => Self::Internal {
                message: doc.to_string(),
            },
            ExecuteError::Command(CommandError::BadSeal { .. }) => Self::Internal {
                message: error.to_string(),
            },
            ExecuteError::Store(store) => Self::from_store(&store),
            ExecuteError::Poisoned(message) => Self::Unavailable { message },
        }
    }
}

impl From<FieldError> for ApiError {
    fn from(error: FieldError) -> Self {
        Self::BadRequest {
            message: error.english(),
            field: Some(error.field),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        Self::from_store(&error)
    }
}

impl From<wishtree_protocol::DocError> for ApiError {
    fn from(error: wishtree_protocol::DocError) -> Self {
        Self::Internal {
            message: error.to_string(),
        }
    }
}

/// A round's refusal that is one field's fault (its name taken, its days overlapping
/// another round's): the field, and why, as the API and the web UI both show it.
pub fn round_field_error(error: &ExecuteError) -> Option<FieldError> {
    match error {
        ExecuteError::Command(CommandError::RoundNameTaken { .. }) => {
            Some(FieldError::new("name", Problem::RoundNameTaken))
        }
        ExecuteError::Command(CommandError::RoundsOverlap { other }) => Some(FieldError::new(
            "opens",
            Problem::RoundsOverlap(other.clone()),
        )),
        ExecuteError::Command(CommandError::WishInRoundAlready { round }) => Some(FieldError::new(
            "round",
            Problem::InRoundAlready(round.clone()),
        )),
        _ => None,
    }
}

/// The actions of a claimable lifecycle: a wish's.
const CLAIM_ACTIONS: [EventKind; 6] = [
    EventKind::Publish,
    EventKind::Claim,
    EventKind::Release,
    EventKind::Fulfil,
    EventKind::Reject,
    EventKind::Withdraw,
];

/// What one kind of lifecycle takes at `/api/{collection}/{id}/{action}`: the actions
/// it allows, its subject for the claimant rule, the command an event makes, and the
/// record it answers with. One for each of wishes, projects and posts ([`Lifecycle::act`]).
pub struct Lifecycle<E: Entity> {
    actions: &'static [EventKind],
    subject: EventSubject,
    event: fn(E::Id, EventKind, Actor, Detail) -> Command,
    record: fn(&mut Replica, &str) -> ApiResult,
}

/// What a lifecycle action takes (`{by?, note?}`): who acts, if not the node's worker,
/// and a note — the reason of a rejection, how a wish was fulfilled.
#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    /// `member:<id>` or `org:<id>`: needed to claim.
    pub by: Option<Actor>,
    /// The note kept in the record's history.
    pub note: Detail,
}

impl Input for Action {
    const FIELDS: &'static [&'static str] = &["by", "note"];

    fn read(fields: &Fields, _now: Timestamp) -> Result<Self, FieldError> {
        Ok(Self {
            by: fields.optional_parsed("by", Expected::Claimant)?,
            note: fields.text_or_empty("note", Detail::parse)?,
        })
    }
}

impl Action {
    /// The author of a `kind` event on `subject`, by the rule of [`Actor::author`]:
    /// the claimant given, else the node's `worker`. Only a claim or a release speaks
    /// for someone else; the other actions are the worker's.
    pub fn author(
        &self,
        kind: EventKind,
        subject: EventSubject,
        worker: &Actor,
    ) -> Result<Actor, FieldError> {
        Actor::author(kind, subject, self.by.clone(), worker).map_err(|error| {
            let problem = match error {
                AuthorError::NotAClaimant(_) => Problem::NotAClaimant,
                AuthorError::MissingClaimant => Problem::NoClaimant,
            };
            FieldError::new("by", problem)
        })
    }
}

impl<E: Entity> Lifecycle<E> {
    /// A lifecycle that takes `actions`.
    const fn with_actions(
        actions: &'static [EventKind],
        subject: EventSubject,
        event: fn(E::Id, EventKind, Actor, Detail) -> Command,
        record: fn(&mut Replica, &str) -> ApiResult,
    ) -> Self {
        Self {
            actions,
            subject,
            event,
            record,
        }
    }

    /// The lifecycle of a claimable record (a wish): every claim action.
    const fn claimable(
        subject: EventSubject,
        event: fn(E::Id, EventKind, Actor, Detail) -> Command,
        record: fn(&mut Replica, &str) -> ApiResult,
    ) -> Self {
        Self::with_actions(&CLAIM_ACTIONS, subject, event, record)
    }
}

impl<E: Entity> std::fmt::Debug for Lifecycle<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lifecycle")
            .field("collection", &E::COLLECTION)
            .field("actions", &self.actions)
            .finish_non_exhaustive()
    }
}

impl<E: Entity> Lifecycle<E>
where
    <E::Id as FromStr>::Err: std::fmt::Display,
{
    /// The step whose code is `action`, if the record takes it (for the UI's paths).
    pub fn kind(&self, action: &str) -> Option<EventKind> {
        self.actions
            .iter()
            .copied()
            .find(|kind| kind.code() == action)
    }

    /// The command of step `kind` on record `id`, its author checked by the rule of
    /// [`Action::author`] (`worker` acting unless someone claims or releases).
    pub fn command(
        &self,
        id: E::Id,
        kind: EventKind,
        input: Action,
        worker: &Actor,
    ) -> Result<Command, FieldError> {
        let by = input.author(kind, self.subject, worker)?;
        Ok((self.event)(id, kind, by, input.note))
    }

    /// `action` on the record `id`: the action and its author checked, the event's
    /// command run as the node's worker, the record answered (on refusal, with its
    /// state as it is).
    pub fn act(
        &self,
        replica: &mut Replica,
        id: &str,
        action: &str,
        input: Action,
        now: Timestamp,
    ) -> ApiResult {
        let id: E::Id = path_id(id)?;
        require::<E>(replica, id)?;
        let kind = action_kind(action, self.actions, E::COLLECTION)?;
        let command = self.command(id, kind, input, replica.worker())?;
        let record = self.record;
        let id = id.to_string();
        execute(replica, &command, None, now, |replica| {
            record(replica, &id).ok()
        })?;
        record(replica, &id)
    }
}

/// Runs a command as the node's worker; on refusal, `state` gives the record's
/// current state for the 409 answer.
fn execute(
    replica: &mut Replica,
    command: &Command,
    private: Option<&PrivateRecord>,
    now: Timestamp,
    state: impl FnOnce(&mut Replica) -> Option<Value>,
) -> Result<(), ApiError> {
    let worker = replica.worker().clone();
    match replica.execute_as(command, &worker, private, now) {
        Ok(_) => Ok(()),
        Err(error) => {
            let is_conflict = matches!(
                error,
                ExecuteError::Command(
                    CommandError::Refused { .. }
                        | CommandError::InsufficientPoints { .. }
                        | CommandError::BenefitWithdrawn { .. }
                        | CommandError::OutOfStock { .. }
                        | CommandError::AlreadyParticipating
                        | CommandError::AlreadyVoided { .. }
                        | CommandError::AlreadyExists { .. }
                        | CommandError::NotSealed { .. }
                )
            );
            let state = if is_conflict { state(replica) } else { None };
            Err(ApiError::from_execute(error, state))
        }
    }
}

/// The entity with that id, or 404.
fn require<E: Entity>(replica: &Replica, id: E::Id) -> Result<E, ApiError> {
    replica
        .doc()
        .entity::<E>(id)?
        .ok_or_else(|| ApiError::not_found(format!("there is no {} {id}", E::KIND)))
}

/// An id from a URL path.
fn path_id<T: FromStr>(text: &str) -> Result<T, ApiError>
where
    T::Err: std::fmt::Display,
{
    text.parse()
        .map_err(|error| ApiError::bad_request(Some("id".into()), format!("{error}")))
}

fn query_value<T: FromStr>(field: &'static str, value: Option<&str>) -> Result<T, ApiError>
where
    T::Err: std::fmt::Display,
{
    let text = value
        .filter(|text| !text.is_empty())
        .ok_or_else(|| ApiError::bad_request(Some(field.into()), format!("{field} is missing")))?;
    text.parse()
        .map_err(|error| ApiError::bad_request(Some(field.into()), format!("{field}: {error}")))
}

fn action_kind(action: &str, allowed: &[EventKind], what: &str) -> Result<EventKind, ApiError> {
    action
        .parse::<EventKind>()
        .ok()
        .filter(|kind| allowed.contains(kind))
        .ok_or_else(|| {
            let names: Vec<&str> = allowed.iter().map(|kind| kind.code()).collect();
            ApiError::not_found(format!(
                "{what} have no action `{}`; the actions are {}",
                action.chars().take(40).collect::<String>(),
                names.join(", ")
            ))
        })
}

/// A new record: a fresh id, the command `make` builds with it run as the node's
/// worker (with its private record, if any), and the record answered by `record`.
fn create<Id: From<[u8; 16]> + Copy, W: Into<Write>>(
    replica: &mut Replica,
    now: Timestamp,
    make: impl FnOnce(Id) -> W,
    record: impl FnOnce(&mut Replica, Id) -> ApiResult,
) -> ApiResult {
    let id = Id::from(new_id()?);
    let Write { command, private } = make(id).into();
    execute(replica, &command, private.as_ref(), now, |_| None)?;
    record(replica, id)
}

/// What a write stores: the command, and the personal data kept beside it on this node.
struct Write {
    command: Command,
    private: Option<PrivateRecord>,
}

impl From<Command> for Write {
    fn from(command: Command) -> Self {
        let private = None;
        Self { command, private }
    }
}

impl From<(Command, Option<PrivateRecord>)> for Write {
    fn from((command, private): (Command, Option<PrivateRecord>)) -> Self {
        Self { command, private }
    }
}

fn new_id() -> Result<[u8; 16], ApiError> {
    random_bytes().map_err(|error| ApiError::Internal {
        message: error.to_string(),
    })
}

fn list(items: impl Iterator<Item = Value>) -> Value {
    Value::Array(items.collect())
}
