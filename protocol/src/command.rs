//! Domain commands: everything a community node can do to its document.
//!
//! A command is plain data (ids are drawn by the driver, which has the random
//! source); [`CommunityDoc::apply`] checks it against the current state and writes it
//! one entity at a time. A command that would be illegal *now* — claiming a wish that
//! is already claimed on this replica — is refused before anything is written, with
//! the reason. The same conflict arising between two offline replicas cannot be
//! refused; it is resolved by the fold when they merge (see [`crate::lifecycle`]).

use crate::doc::{CommunityDoc, DocError};
use crate::id::{
    ActivityId, BranchId, MemberId, OrgId, PairingId, PointsEntryId, PostId, ProjectId, ServiceId,
    TeamId, VoidId, WishId,
};
use crate::lifecycle::{ClaimStatus, Claimants, PairingStatus, PostStatus, Refusal};
use crate::model::{
    Activity, Actor, BeneficiaryGroup, Branch, EventKind, LifecycleEvent, Member, Org, Pairing,
    Participation, PointsEntry, PointsKind, Post, PostKind, Project, ProjectKind, ServiceRecord,
    Team, Void, Wish, WishKind,
};
use crate::text::{Detail, Label, Name, Title};
use crate::time::{Date, Timestamp};
use crate::uscc::CreditCode;
use crate::view::Passbook;

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
    /// Records a member's participation in an activity: a service record and the
    /// points it earns.
    AddParticipant {
        /// The activity.
        activity: ActivityId,
        /// The member.
        member: MemberId,
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
    /// Cancels a passbook entry.
    VoidPoints {
        /// The new void id.
        id: VoidId,
        /// The entry.
        entry: PointsEntryId,
        /// Why.
        reason: Label,
    },
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
    /// The member already takes part in the activity.
    #[error("the member already takes part in this activity")]
    AlreadyParticipating,
    /// The fact is already voided.
    #[error("{kind} {id} is already voided")]
    AlreadyVoided {
        /// What kind.
        kind: &'static str,
        /// Its id.
        id: String,
    },
    /// A number is out of range.
    #[error("{field} must be {rule}")]
    OutOfRange {
        /// The field.
        field: &'static str,
        /// The rule, e.g. `between 1 and 1440`.
        rule: &'static str,
    },
    /// The document could not be read or written.
    #[error(transparent)]
    Doc(#[from] DocError),
}

impl CommunityDoc {
    /// Checks and writes a command as pending operations. On error nothing is
    /// pending. Call [`CommunityDoc::commit`] to make the change.
    pub fn apply(
        &mut self,
        command: &Command,
        worker: &Actor,
        now: Timestamp,
    ) -> Result<(), CommandError> {
        let result = self.apply_unchecked(command, worker, now);
        if result.is_err() {
            self.rollback();
        }
        result
    }

    /// Applies one command and commits it as one change.
    pub fn execute(
        &mut self,
        command: &Command,
        worker: &Actor,
        now: Timestamp,
    ) -> Result<Option<automerge::ChangeHash>, CommandError> {
        self.apply(command, worker, now)?;
        Ok(self.commit(now))
    }

    /// The summed passbook of one member, read from this replica.
    pub fn passbook_of(&self, member: MemberId) -> Result<Passbook, DocError> {
        let (services, _) = self.entities::<ServiceRecord>()?;
        let (entries, _) = self.entities::<PointsEntry>()?;
        let (voids, _) = self.entities::<Void>()?;
        let mut view = crate::view::CommunityView::derive_passbook_only(services, entries, voids);
        Ok(view.remove(&member).unwrap_or_default())
    }

    fn apply_unchecked(
        &mut self,
        command: &Command,
        worker: &Actor,
        now: Timestamp,
    ) -> Result<(), CommandError> {
        match command {
            Command::SetCommunityName { name } => {
                let mut community = self.community()?;
                community.name = name.to_string();
                self.put_community(&community)?;
            }
            Command::SetPointsRate {
                category,
                points_per_hour,
            } => {
                if *points_per_hour > 1000 {
                    return Err(CommandError::OutOfRange {
                        field: "points_per_hour",
                        rule: "at most 1000",
                    });
                }
                let mut rules = self.rules();
                rules
                    .points_per_hour
                    .insert(category.code().to_owned(), *points_per_hour);
                self.put_rules(&rules)?;
            }
            Command::AddMember { id, member } => {
                self.require_absent::<Member>(*id)?;
                self.check_member_links(member)?;
                self.put_entity(*id, &member.to_member(now))?;
            }
            Command::UpdateMember { id, member } => {
                let existing = self.require::<Member>(*id)?;
                self.check_member_links(member)?;
                let mut updated = member.to_member(existing.created_at);
                updated.created_at = existing.created_at;
                self.put_entity(*id, &updated)?;
            }
            Command::AddOrg {
                credit_code,
                name,
                reported_in,
            } => {
                let id = Org::id_for(credit_code);
                let created_at = self.entity::<Org>(id)?.map_or(now, |org| org.created_at);
                let org = Org {
                    credit_code: *credit_code,
                    name: name.to_string(),
                    reported_in: *reported_in,
                    created_at,
                };
                self.put_entity(id, &org)?;
            }
            Command::AddPairing {
                id,
                org,
                commitments,
                signed_on,
            } => {
                self.require_absent::<Pairing>(*id)?;
                self.require::<Org>(*org)?;
                let pairing = Pairing {
                    org: *org,
                    commitments: commitments.iter().map(Title::to_string).collect(),
                    signed_on: *signed_on,
                    created_at: now,
                    events: Vec::new(),
                };
                self.put_entity(*id, &pairing)?;
            }
            Command::EndPairing { id, note } => {
                let events = self.require_events::<Pairing>(*id)?;
                if !PairingStatus::fold(&events).is_active() {
                    return Err(CommandError::Refused {
                        refusal: Refusal::Closed,
                    });
                }
                let event = event(EventKind::End, worker.clone(), now, note);
                self.append_event::<Pairing>(*id, &event)?;
            }
            Command::AddBranch {
                id,
                name,
                secretary,
                founded_on,
            } => {
                self.require_absent::<Branch>(*id)?;
                if let Some(secretary) = secretary {
                    self.require::<Member>(*secretary)?;
                }
                let branch = Branch {
                    name: name.to_string(),
                    secretary: *secretary,
                    founded_on: *founded_on,
                    created_at: now,
                };
                self.put_entity(*id, &branch)?;
            }
            Command::AddTeam { id, name, focus } => {
                self.require_absent::<Team>(*id)?;
                let team = Team {
                    name: name.to_string(),
                    focus: focus.to_string(),
                    created_at: now,
                };
                self.put_entity(*id, &team)?;
            }
            Command::AddPost {
                id,
                kind,
                title,
                detail,
                seats,
            } => {
                self.require_absent::<Post>(*id)?;
                if !(1..=1000).contains(seats) {
                    return Err(CommandError::OutOfRange {
                        field: "seats",
                        rule: "between 1 and 1000",
                    });
                }
                let post = Post {
                    kind: *kind,
                    title: title.to_string(),
                    detail: detail.to_string(),
                    seats: *seats,
                    created_at: now,
                    events: Vec::new(),
                };
                self.put_entity(*id, &post)?;
            }
            Command::SubmitWish { id, wish } => {
                self.require_absent::<Wish>(*id)?;
                if wish.estimated_value.is_some_and(|value| value > 1_000_000) {
                    return Err(CommandError::OutOfRange {
                        field: "estimated_value",
                        rule: "at most 1000000 yuan",
                    });
                }
                let wish = Wish {
                    title: wish.title.to_string(),
                    detail: wish.detail.to_string(),
                    kind: wish.kind,
                    group: wish.group,
                    resident_label: wish.resident_label.to_string(),
                    estimated_value: wish.estimated_value,
                    submitted_at: now,
                    events: Vec::new(),
                };
                self.put_entity(*id, &wish)?;
            }
            Command::SubmitProject {
                id,
                title,
                detail,
                kind,
            } => {
                self.require_absent::<Project>(*id)?;
                let project = Project {
                    title: title.to_string(),
                    detail: detail.to_string(),
                    kind: *kind,
                    submitted_at: now,
                    events: Vec::new(),
                };
                self.put_entity(*id, &project)?;
            }
            Command::WishEvent { id, kind, by, note } => {
                let events = self.require_events::<Wish>(*id)?;
                self.check_actor(by)?;
                let event = event(*kind, by.clone(), now, note);
                ClaimStatus::fold(&events, Claimants::MembersAndOrgs)
                    .check(&event, Claimants::MembersAndOrgs)
                    .map_err(|refusal| CommandError::Refused { refusal })?;
                self.append_event::<Wish>(*id, &event)?;
            }
            Command::ProjectEvent { id, kind, by, note } => {
                let events = self.require_events::<Project>(*id)?;
                self.check_actor(by)?;
                let event = event(*kind, by.clone(), now, note);
                ClaimStatus::fold(&events, Claimants::OrgsOnly)
                    .check(&event, Claimants::OrgsOnly)
                    .map_err(|refusal| CommandError::Refused { refusal })?;
                self.append_event::<Project>(*id, &event)?;
            }
            Command::PostEvent { id, kind, by, note } => {
                let post = self.require::<Post>(*id)?;
                self.check_actor(by)?;
                let event = event(*kind, by.clone(), now, note);
                PostStatus::fold(&post.events, post.seats)
                    .check(&event, post.seats)
                    .map_err(|refusal| CommandError::Refused { refusal })?;
                self.append_event::<Post>(*id, &event)?;
            }
            Command::AddActivity { id, activity } => {
                self.require_absent::<Activity>(*id)?;
                check_minutes(activity.minutes)?;
                if let Some(organiser) = activity.organiser {
                    self.require::<Org>(organiser)?;
                }
                let activity = Activity {
                    title: activity.title.to_string(),
                    category: activity.category,
                    date: activity.date,
                    minutes: activity.minutes,
                    organiser: activity.organiser,
                    place: activity.place.to_string(),
                    created_at: now,
                    participants: Default::default(),
                };
                self.put_entity(*id, &activity)?;
            }
            Command::AddParticipant { activity, member } => {
                let details = self.require::<Activity>(*activity)?;
                self.require_present::<Member>(*member)?;
                if details.participants.contains_key(&member.to_string()) {
                    return Err(CommandError::AlreadyParticipating);
                }
                self.put_participation(*activity, *member, &Participation { at: now })?;
                // The record and its points have ids derived from (activity, member),
                // so the same participation entered on two replicas is one record.
                let service = ServiceRecord::id_for_participation(*activity, *member);
                let record = ServiceRecord {
                    member: *member,
                    date: details.date,
                    minutes: details.minutes,
                    category: details.category,
                    description: details.title.clone(),
                    activity: Some(*activity),
                    points: 0,
                    recorded_at: now,
                };
                self.put_service_with_points(service, record)?;
            }
            Command::RecordService {
                id,
                member,
                date,
                minutes,
                category,
                description,
            } => {
                self.require_absent::<ServiceRecord>(*id)?;
                self.require_present::<Member>(*member)?;
                check_minutes(*minutes)?;
                let record = ServiceRecord {
                    member: *member,
                    date: *date,
                    minutes: *minutes,
                    category: *category,
                    description: description.to_string(),
                    activity: None,
                    points: 0,
                    recorded_at: now,
                };
                self.put_service_with_points(*id, record)?;
            }
            Command::Redeem {
                id,
                member,
                points,
                reason,
            } => {
                self.require_absent::<PointsEntry>(*id)?;
                self.require_present::<Member>(*member)?;
                if *points == 0 {
                    return Err(CommandError::OutOfRange {
                        field: "points",
                        rule: "at least 1",
                    });
                }
                let balance = self.passbook_of(*member)?.balance;
                if balance < i64::from(*points) {
                    return Err(CommandError::InsufficientPoints {
                        balance,
                        asked: *points,
                    });
                }
                let entry = PointsEntry {
                    member: *member,
                    kind: PointsKind::Redeem,
                    points: *points,
                    reason: reason.to_string(),
                    service: None,
                    at: now,
                };
                self.put_entity(*id, &entry)?;
            }
            Command::VoidService {
                id,
                service,
                reason,
            } => {
                self.require_absent::<Void>(*id)?;
                self.require::<ServiceRecord>(*service)?;
                let (voids, _) = self.entities::<Void>()?;
                if voids.iter().any(|(_, void)| void.service == Some(*service)) {
                    return Err(CommandError::AlreadyVoided {
                        kind: "service record",
                        id: service.to_string(),
                    });
                }
                // The points the record earned are derived from it and void with it.
                let void = Void {
                    service: Some(*service),
                    points_entry: None,
                    reason: reason.to_string(),
                    by: worker.clone(),
                    at: now,
                };
                self.put_entity(*id, &void)?;
            }
            Command::VoidPoints { id, entry, reason } => {
                self.require_absent::<Void>(*id)?;
                self.require::<PointsEntry>(*entry)?;
                let (voids, _) = self.entities::<Void>()?;
                if voids
                    .iter()
                    .any(|(_, void)| void.points_entry == Some(*entry))
                {
                    return Err(CommandError::AlreadyVoided {
                        kind: "passbook entry",
                        id: entry.to_string(),
                    });
                }
                let void = Void {
                    service: None,
                    points_entry: Some(*entry),
                    reason: reason.to_string(),
                    by: worker.clone(),
                    at: now,
                };
                self.put_entity(*id, &void)?;
            }
        }
        Ok(())
    }

    /// Writes a service record with the points it earns at the community's rate now.
    fn put_service_with_points(
        &mut self,
        id: ServiceId,
        mut record: ServiceRecord,
    ) -> Result<(), CommandError> {
        record.points = self.rules().points_for(record.category, record.minutes);
        self.put_entity(id, &record)?;
        Ok(())
    }

    fn require<E: crate::model::Entity>(&self, id: E::Id) -> Result<E, CommandError> {
        self.entity::<E>(id)?.ok_or_else(|| CommandError::NotFound {
            kind: entity_kind(E::COLLECTION),
            id: id.to_string(),
        })
    }

    fn require_present<E: crate::model::Entity>(&self, id: E::Id) -> Result<(), CommandError> {
        if !self.contains::<E>(id)? {
            return Err(CommandError::NotFound {
                kind: entity_kind(E::COLLECTION),
                id: id.to_string(),
            });
        }
        Ok(())
    }

    fn require_events<E: crate::model::Entity>(
        &self,
        id: E::Id,
    ) -> Result<Vec<LifecycleEvent>, CommandError> {
        self.events::<E>(id)?.ok_or_else(|| CommandError::NotFound {
            kind: entity_kind(E::COLLECTION),
            id: id.to_string(),
        })
    }

    fn require_absent<E: crate::model::Entity>(&self, id: E::Id) -> Result<(), CommandError> {
        if self.contains::<E>(id)? {
            return Err(CommandError::AlreadyExists {
                kind: entity_kind(E::COLLECTION),
                id: id.to_string(),
            });
        }
        Ok(())
    }

    fn check_actor(&self, actor: &Actor) -> Result<(), CommandError> {
        match actor {
            Actor::Member(id) => self.require_present::<Member>(*id),
            Actor::Org(id) => self.require_present::<Org>(*id),
            Actor::Worker(_) => Ok(()),
        }
    }

    fn check_member_links(&self, member: &MemberFields) -> Result<(), CommandError> {
        if let Some(org) = member.org {
            self.require::<Org>(org)?;
        }
        if let Some(branch) = member.branch {
            self.require::<Branch>(branch)?;
        }
        if let Some(team) = member.team {
            self.require::<Team>(team)?;
        }
        Ok(())
    }

    fn put_community(&mut self, community: &crate::model::Community) -> Result<(), DocError> {
        autosurgeon::reconcile_prop(
            self.automerge_mut(),
            automerge::ROOT,
            "community",
            community,
        )
        .map_err(|error| DocError::Reconcile {
            collection: "community",
            key: String::new(),
            error: Box::new(error),
        })
    }
}

impl MemberFields {
    fn to_member(&self, now: Timestamp) -> Member {
        Member {
            name: self.name.to_string(),
            work_unit: self.work_unit.to_string(),
            org: self.org,
            position: self.position.to_string(),
            specialties: self.specialties.iter().map(Label::to_string).collect(),
            intentions: self.intentions.clone(),
            reported_in: self.reported_in,
            branch: self.branch,
            team: self.team,
            created_at: now,
        }
    }
}

fn event(kind: EventKind, by: Actor, at: Timestamp, note: &Detail) -> LifecycleEvent {
    LifecycleEvent {
        kind,
        by,
        at,
        note: note.to_string(),
    }
}

fn check_minutes(minutes: u32) -> Result<(), CommandError> {
    if (1..=MAX_SERVICE_MINUTES).contains(&minutes) {
        Ok(())
    } else {
        Err(CommandError::OutOfRange {
            field: "minutes",
            rule: "between 1 and 1440 (one day)",
        })
    }
}

/// The singular word for a collection, for messages.
fn entity_kind(collection: &str) -> &'static str {
    match collection {
        "members" => MemberId::KIND,
        "orgs" => OrgId::KIND,
        "pairings" => PairingId::KIND,
        "branches" => BranchId::KIND,
        "teams" => TeamId::KIND,
        "posts" => PostId::KIND,
        "wishes" => WishId::KIND,
        "projects" => ProjectId::KIND,
        "activities" => ActivityId::KIND,
        "services" => ServiceId::KIND,
        "passbook" => PointsEntryId::KIND,
        "voids" => VoidId::KIND,
        _ => "entity",
    }
}
