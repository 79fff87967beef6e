//! Domain commands: everything a community node can do to its document.
//!
//! A command is plain data (ids are drawn by the driver, which has the random
//! source); [`CommunityDoc::apply`](crate::CommunityDoc::apply) (in `apply.rs`) checks
//! it against the current state and writes it one entity at a time. A command that
//! would be illegal *now* — claiming a wish that is already claimed on this replica —
//! is refused before anything is written, with the reason. The same conflict arising
//! between two offline replicas cannot be refused; it is resolved by the fold when
//! they merge (see [`crate::lifecycle`]).

mod apply;
mod checks;
mod facts;
mod party_orgs;
mod projects;
mod rounds;
mod streets;
mod volunteers;

use crate::card::CardSecretHash;
use crate::checkin::CheckInError;
use crate::doc::DocError;
use crate::id::{
    ActivityId, BenefitId, BranchId, CardId, CheckInCodeId, MemberId, OrgId, PairingId,
    PointsEntryId, PostId, ProjectId, RoundId, ServiceId, TeamId, VoidId, VolunteerId,
    VolunteerServiceId, WishId,
};
use crate::lifecycle::Refusal;
use crate::model::{
    Actor, BeneficiaryGroup, EvaluationGrade, EventKind, PostKind, ProjectKind, ScoringItem,
    ScoringUnit, Share, VolunteerKind, WishKind,
};
use crate::seal::SignedSeal;
use crate::street::{StreetHost, StreetRefusal};
use crate::text::{Detail, Label, Name, Title};
use crate::time::{Date, HalfYear, Timestamp};
use crate::uscc::CreditCode;

/// The longest service one record may claim: a whole day.
pub const MAX_SERVICE_MINUTES: u32 = 24 * 60;

/// A change a community worker asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Renames the community.
    SetCommunityName {
        /// The new name.
        name: Name,
    },
    /// Sets the points earned per hour of service of a category.
    SetPointsRate {
        /// The category.
        category: PostKind,
        /// Points per hour.
        points_per_hour: u32,
    },
    /// Sets the points a kind of service earns (积分项目), per hour or per time. A record
    /// of a kind with no rate set earns its category's points per hour, as before.
    SetScoringRate {
        /// The kind of service.
        item: ScoringItem,
        /// Points per unit, at most 1000.
        points: u32,
        /// Per hour or per time.
        per: ScoringUnit,
    },
    /// Adds a benefit to the catalogue (福利目录).
    AddBenefit {
        /// The new id.
        id: BenefitId,
        /// What it is.
        title: Title,
        /// Its cost in points, at least 1.
        cost: u32,
        /// How many there are to give out, if limited.
        stock: Option<u32>,
    },
    /// Withdraws a benefit from the catalogue: it can no longer be chosen.
    WithdrawBenefit {
        /// The benefit.
        id: BenefitId,
    },
    /// Spends a member's points on a benefit of the catalogue, at its cost.
    RedeemBenefit {
        /// The new entry id.
        id: PointsEntryId,
        /// Whose passbook.
        member: MemberId,
        /// The benefit.
        benefit: BenefitId,
    },
    /// Records a member who reported in.
    AddMember {
        /// The new id.
        id: MemberId,
        /// The ledger fields.
        member: MemberFields,
    },
    /// Corrects a member's ledger fields.
    UpdateMember {
        /// The member.
        id: MemberId,
        /// The ledger fields.
        member: MemberFields,
    },
    /// Records a unit organisation (its id is derived from its credit code).
    AddOrg {
        /// Its credit code.
        credit_code: CreditCode,
        /// Its name.
        name: Name,
        /// The day it reported in to this community, if it did.
        reported_in: Option<Date>,
    },
    /// Records that an organisation of the document reported in to the street this
    /// community hosts (双报到 to the 街道); refused on any other node.
    ReportInToStreet {
        /// The organisation.
        org: OrgId,
        /// What the city says of the street.
        street: StreetHost,
        /// The day it reported in.
        on: Date,
    },
    /// Records a party organisation of a unit (党支部 under its 单位), one of several:
    /// its id is derived from the credit code and the branch's name, so the same
    /// branch is one org in every community. A unit's own organisation is `AddOrg`.
    AddPartyOrg {
        /// The unit's credit code.
        credit_code: CreditCode,
        /// The unit's name.
        unit_name: Name,
        /// The branch's name, unique within the unit.
        party_org: Name,
        /// The day the branch reported in to this community, if it did.
        reported_in: Option<Date>,
    },
    /// Records a pairing agreement with an organisation.
    AddPairing {
        /// The new id.
        id: PairingId,
        /// The organisation.
        org: OrgId,
        /// What it pledged.
        commitments: Vec<Title>,
        /// The day it was signed.
        signed_on: Date,
        /// The street, for a pairing with the street (本街道) rather than the
        /// community; refused unless this community is the street's host.
        street: Option<StreetHost>,
    },
    /// Ends a pairing.
    EndPairing {
        /// The pairing.
        id: PairingId,
        /// Why.
        note: Detail,
    },
    /// Founds a functional branch.
    AddBranch {
        /// The new id.
        id: BranchId,
        /// Name.
        name: Name,
        /// The secretary, if chosen.
        secretary: Option<MemberId>,
        /// The founding day.
        founded_on: Date,
    },
    /// Forms a service team.
    AddTeam {
        /// The new id.
        id: TeamId,
        /// Name.
        name: Name,
        /// The skill it offers.
        focus: Label,
    },
    /// Opens a service post.
    AddPost {
        /// The new id.
        id: PostId,
        /// Kind.
        kind: PostKind,
        /// Title.
        title: Title,
        /// Detail.
        detail: Detail,
        /// How many may hold it.
        seats: u32,
    },
    /// Opens a collection round (批次) of wishes.
    AddRound {
        /// The new id.
        id: RoundId,
        /// Its name, e.g. 第一批, unused by the community's other rounds.
        name: Name,
        /// Its first day.
        opens: Date,
        /// Its last day, if known; on or after `opens`.
        closes: Option<Date>,
    },
    /// Closes a collection round on the node's today: wishes recorded later go in the
    /// next round.
    CloseRound {
        /// The round.
        id: RoundId,
    },
    /// Moves a recorded wish to another collection round (a worker's correction, or a
    /// wish carried over to the next round), or out of every round (未分批) with `None`.
    MoveWishToRound {
        /// The wish.
        id: WishId,
        /// The round it goes in.
        round: Option<RoundId>,
    },
    /// Records a wish a resident ordered (群众点单).
    SubmitWish {
        /// The new id.
        id: WishId,
        /// The wish.
        wish: WishFields,
    },
    /// Records a livelihood project or pressing problem.
    SubmitProject {
        /// The new id.
        id: ProjectId,
        /// Title.
        title: Title,
        /// Detail.
        detail: Detail,
        /// Kind.
        kind: ProjectKind,
        /// The street, for a street-level project; refused unless this community is
        /// the street's host.
        street: Option<StreetHost>,
    },
    /// Moves a wish along its lifecycle.
    WishEvent {
        /// The wish.
        id: WishId,
        /// What happens.
        kind: EventKind,
        /// Who does it: the claimant for claims, a worker otherwise.
        by: Actor,
        /// A note, e.g. how it was fulfilled.
        note: Detail,
    },
    /// Moves a project along its lifecycle.
    ProjectEvent {
        /// The project.
        id: ProjectId,
        /// What happens.
        kind: EventKind,
        /// Who does it.
        by: Actor,
        /// A note.
        note: Detail,
    },
    /// 认领意向书: a unit's letter of intent for a project, with its share and, in the
    /// note, the part it takes on.
    SendIntent {
        /// The project.
        id: ProjectId,
        /// The unit.
        unit: OrgId,
        /// Its share.
        share: Share,
        /// What it takes on.
        note: Detail,
    },
    /// 立项: approves a project with units that sent letters of intent (one for a
    /// claim alone, several for a joint claim, 共同承接), or adds units to an approved
    /// project before work starts. Written as one event per unit, in one change.
    ApproveProject {
        /// The project.
        id: ProjectId,
        /// The units, each with the share of its letter.
        units: Vec<OrgId>,
        /// A note, e.g. the approval's reference.
        note: Detail,
    },
    /// Claims, releases or withdraws a post.
    PostEvent {
        /// The post.
        id: PostId,
        /// What happens.
        kind: EventKind,
        /// Who does it.
        by: Actor,
        /// A note.
        note: Detail,
    },
    /// Plans or records an activity.
    AddActivity {
        /// The new id.
        id: ActivityId,
        /// The activity.
        activity: ActivityFields,
    },
    /// Records a member's attendance as a worker confirms it by hand (for a member
    /// without a phone, or entered after the fact): a service record of the activity's
    /// length and the points it earns. A sign-up or check-in of the member becomes
    /// attendance.
    AddParticipant {
        /// The activity.
        activity: ActivityId,
        /// The member.
        member: MemberId,
    },
    /// Signs a member up for an activity (报名): an intention, with no hours.
    SignUp {
        /// The activity.
        activity: ActivityId,
        /// The member.
        member: MemberId,
    },
    /// Checks a member in (签到) by a code the node showed; nothing is credited yet.
    CheckIn {
        /// The activity.
        activity: ActivityId,
        /// The member.
        member: MemberId,
        /// The code scanned.
        code: CheckInCodeId,
        /// The code's issue time: the node's clock when it showed the code.
        at: Timestamp,
    },
    /// Checks a member out (签退) by a later code: the time between the two codes'
    /// issue times, capped by the activity's length, is credited as service.
    CheckOut {
        /// The activity.
        activity: ActivityId,
        /// The member.
        member: MemberId,
        /// The code scanned.
        code: CheckInCodeId,
        /// The code's issue time, as for a check-in.
        at: Timestamp,
    },
    /// Records service outside an activity, and the points it earns.
    RecordService {
        /// The new id.
        id: ServiceId,
        /// Who served.
        member: MemberId,
        /// The day.
        date: Date,
        /// How long, in minutes.
        minutes: u32,
        /// Category.
        category: PostKind,
        /// The kind of service it scores as.
        item: ScoringItem,
        /// What was done.
        description: Detail,
    },
    /// Spends points from a member's passbook.
    Redeem {
        /// The new entry id.
        id: PointsEntryId,
        /// Whose passbook.
        member: MemberId,
        /// How many points.
        points: u32,
        /// For what.
        reason: Label,
    },
    /// Cancels a service record and the points it earned.
    VoidService {
        /// The new void id.
        id: VoidId,
        /// The record.
        service: ServiceId,
        /// Why.
        reason: Label,
    },
    /// Records a member card the node issued and signed (the secret's hash only).
    IssueCard {
        /// The card's id, as in its signed statement.
        id: CardId,
        /// The member.
        member: MemberId,
        /// When it was issued, as in the statement.
        issued: Timestamp,
        /// When it expires, as in the statement.
        expires: Timestamp,
        /// The hash of its secret.
        secret_hash: CardSecretHash,
    },
    /// Revokes a member card: the hub refuses it from the sync that brings this.
    RevokeCard {
        /// The card.
        id: CardId,
        /// Why, e.g. 手机丢失.
        reason: Label,
    },
    /// Cancels a passbook entry.
    VoidPoints {
        /// The new void id.
        id: VoidId,
        /// The entry.
        entry: PointsEntryId,
        /// Why.
        reason: Label,
    },
    /// Closes a half-year: writes the node's seal, signed over the document's heads as
    /// they are when the command is applied (the driver signs them just before).
    SealPeriod {
        /// The seal.
        seal: SignedSeal,
    },
    /// Records (or corrects) the community's evaluation of a member for a sealed
    /// half-year.
    Evaluate {
        /// The member.
        member: MemberId,
        /// The sealed half-year.
        period: HalfYear,
        /// The grade.
        grade: EvaluationGrade,
        /// The community's words; may be empty.
        comment: Detail,
    },
    /// Registers a volunteer beyond the members (离退休党员, 学生党员,
    /// 社区公益爱心人士); their name and phone go to the node's private tables.
    AddVolunteer {
        /// The new id.
        id: VolunteerId,
        /// What the city may see of them.
        volunteer: VolunteerFields,
    },
    /// Records a volunteer's service: hours counted apart from the members', earning no
    /// passbook points.
    RecordVolunteerService {
        /// The new id.
        id: VolunteerServiceId,
        /// Who served.
        volunteer: VolunteerId,
        /// The day.
        date: Date,
        /// How long, in minutes.
        minutes: u32,
        /// Category.
        category: PostKind,
        /// What was done.
        description: Detail,
    },
    /// Cancels a volunteer's service record.
    VoidVolunteerService {
        /// The new void id.
        id: VoidId,
        /// The record.
        service: VolunteerServiceId,
        /// Why.
        reason: Label,
    },
}

/// What the city may see of a volunteer: the worker's label, not the name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolunteerFields {
    /// The worker's label, e.g. 退休党员 王老师.
    pub label: Name,
    /// Retired, student or resident.
    pub kind: VolunteerKind,
    /// What they can do.
    pub specialties: Vec<Label>,
    /// The day they registered, not after today.
    pub registered_on: Date,
}

/// The ledger fields of a member (七清楚, without address and phone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberFields {
    /// Name.
    pub name: Name,
    /// Work unit.
    pub work_unit: Label,
    /// The unit organisation, if known.
    pub org: Option<OrgId>,
    /// Position.
    pub position: Label,
    /// Specialties.
    pub specialties: Vec<Label>,
    /// Kinds of service offered.
    pub intentions: Vec<PostKind>,
    /// The day of reporting in.
    pub reported_in: Date,
    /// Branch, if any.
    pub branch: Option<BranchId>,
    /// Team, if any.
    pub team: Option<TeamId>,
}

/// The fields of a new wish, as `POST /api/wishes` takes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WishFields {
    /// Title.
    pub title: Title,
    /// Detail.
    pub detail: Detail,
    /// Goods or service.
    pub kind: WishKind,
    /// Beneficiary group.
    pub group: BeneficiaryGroup,
    /// The resident's label chosen by the worker.
    pub resident_label: Name,
    /// Estimated value in yuan.
    pub estimated_value: Option<u32>,
    /// The collection round the worker picked; `None` puts the wish in the round open
    /// on the day it is recorded, if any.
    pub round: Option<RoundId>,
}

/// The fields of a new activity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityFields {
    /// Title.
    pub title: Title,
    /// Category.
    pub category: PostKind,
    /// The day.
    pub date: Date,
    /// Minutes each participant serves.
    pub minutes: u32,
    /// Organising organisation, if any.
    pub organiser: Option<OrgId>,
    /// Where.
    pub place: Label,
}

/// Why a command was refused. Nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// A referenced entity does not exist.
    #[error("there is no {kind} {id}")]
    NotFound {
        /// What kind.
        kind: &'static str,
        /// Its id.
        id: String,
    },
    /// The id of a new entity is taken.
    #[error("{kind} {id} already exists")]
    AlreadyExists {
        /// What kind.
        kind: &'static str,
        /// Its id.
        id: String,
    },
    /// The transition is not legal in the current state.
    #[error("{refusal}")]
    Refused {
        /// Why.
        refusal: Refusal,
    },
    /// A redemption larger than the balance.
    #[error("the passbook has {balance} points; {asked} cannot be redeemed")]
    InsufficientPoints {
        /// The balance.
        balance: i64,
        /// The points asked for.
        asked: u32,
    },
    /// The benefit was withdrawn from the catalogue.
    #[error("benefit {id} was withdrawn from the catalogue")]
    BenefitWithdrawn {
        /// The benefit.
        id: String,
    },
    /// Every one of a benefit's stock is given out.
    #[error("benefit {id} is out of stock")]
    OutOfStock {
        /// The benefit.
        id: String,
    },
    /// The member already takes part in the activity.
    #[error("the member already takes part in this activity")]
    AlreadyParticipating,
    /// A wish or project rejected or withdrawn, or a pairing ended, is closed for good,
    /// so it must say why: the reason stays in its history for whoever asks later.
    #[error("a {step} must give its reason in `note`")]
    ReasonRequired {
        /// The step, e.g. `reject`.
        step: &'static str,
    },
    /// The fact is already voided.
    #[error("{kind} {id} is already voided")]
    AlreadyVoided {
        /// What kind.
        kind: &'static str,
        /// Its id.
        id: String,
    },
    /// The card is already revoked.
    #[error("card {id} is already revoked")]
    AlreadyRevoked {
        /// The card.
        id: String,
    },
    /// A half-year can be sealed only once it is over, by the node's clock.
    #[error("{period} is not over yet; it can be sealed from {from}")]
    PeriodNotOver {
        /// The period.
        period: HalfYear,
        /// The first day it can be sealed.
        from: Date,
    },
    /// A member is evaluated for a half-year only once it is sealed.
    #[error("{period} is not sealed yet; seal it before evaluating its members")]
    NotSealed {
        /// The period.
        period: HalfYear,
    },
    /// The seal does not hold over this document as it is: a driver's bug, never a
    /// person's mistake.
    #[error("the seal cannot be written: {reason}")]
    BadSeal {
        /// What is wrong.
        reason: String,
    },
    /// A check-in or check-out the attendance rules refuse.
    #[error(transparent)]
    Attendance(#[from] CheckInError),
    /// A number is out of range.
    #[error("{field} must be {rule}")]
    OutOfRange {
        /// The field.
        field: &'static str,
        /// The rule, e.g. `between 1 and 1440`.
        rule: &'static str,
    },
    /// Another round of the community has this name.
    #[error("the community already has a round named {name}; choose another name")]
    RoundNameTaken {
        /// The name.
        name: String,
    },
    /// The round's days share a day with another round's, so a wish of that day would
    /// belong to two.
    #[error("the round's days overlap round {other}; a day belongs to one round")]
    RoundsOverlap {
        /// The other round's name.
        other: String,
    },
    /// The round is closed already.
    #[error("round {name} is closed already")]
    RoundClosed {
        /// The round's name.
        name: String,
    },
    /// The round has not opened yet, so it cannot close today.
    #[error("round {name} opens on {opens}; it cannot be closed before it opens")]
    RoundNotOpen {
        /// The round's name.
        name: String,
        /// Its first day.
        opens: Date,
    },
    /// The wish is in that round already.
    #[error("the wish is in {round} already; choose another round")]
    WishInRoundAlready {
        /// The round's name, or `no round (未分批)`.
        round: String,
    },
    /// The unit has a party organisation of that name in this community already.
    #[error(
        "unit {credit_code} already has a party organisation named {party_org}; choose it from the list or give another name"
    )]
    PartyOrgTaken {
        /// The unit's credit code.
        credit_code: CreditCode,
        /// The branch's name.
        party_org: String,
    },
    /// An approval must name at least one unit.
    #[error("name at least one unit to approve the project with")]
    NoUnits,
    /// A street-level record on a node that is not the street's host.
    #[error(transparent)]
    Street(#[from] StreetRefusal),
    /// The document could not be read or written.
    #[error(transparent)]
    Doc(#[from] DocError),
}
