//! [`CommunityDoc::apply`]: each command checked against the current state, then
//! written one entity at a time, with the helpers it needs.

use crate::checkin::CheckInError;
use crate::doc::{CommunityDoc, DocError};
use crate::id::{BenefitId, MemberId, PointsEntryId, ServiceId};
use crate::lifecycle::{ClaimStatus, Claimants, PairingStatus, PostStatus, Refusal};
use crate::model::{
    Activity, Actor, AttendanceStage, Benefit, Branch, CardRecord, Evaluation, EventKind,
    LifecycleEvent, Member, Org, Pairing, Participation, PointsEntry, PointsKind, Post, Project,
    ScoringItem, ScoringRate, Seal, ServiceRecord, Team, Void, Wish,
};
use crate::seal::SignedSeal;
use crate::text::{Detail, Label, Title};
use crate::time::Timestamp;
use crate::view::Passbook;

use super::{Command, CommandError, MAX_SERVICE_MINUTES, MemberFields};

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
            Command::SetScoringRate { item, points, per } => {
                if *points > 1000 {
                    return Err(CommandError::OutOfRange {
                        field: "points",
                        rule: "at most 1000",
                    });
                }
                let rate = ScoringRate {
                    points: *points,
                    per: *per,
                    set_at: now,
                };
                self.put_entity(*item, &rate)?;
            }
            Command::AddBenefit {
                id,
                title,
                cost,
                stock,
            } => {
                self.require_absent::<Benefit>(*id)?;
                if *cost == 0 {
                    return Err(CommandError::OutOfRange {
                        field: "cost",
                        rule: "at least 1",
                    });
                }
                let benefit = Benefit {
                    title: title.to_string(),
                    cost: *cost,
                    stock: *stock,
                    created_at: now,
                    withdrawn_at: None,
                };
                self.put_entity(*id, &benefit)?;
            }
            Command::WithdrawBenefit { id } => {
                let mut benefit = self.require::<Benefit>(*id)?;
                if !benefit.is_active() {
                    return Err(CommandError::BenefitWithdrawn { id: id.to_string() });
                }
                benefit.withdrawn_at = Some(now);
                self.put_entity(*id, &benefit)?;
            }
            Command::RedeemBenefit {
                id,
                member,
                benefit: benefit_id,
            } => {
                let benefit = self.require::<Benefit>(*benefit_id)?;
                if !benefit.is_active() {
                    return Err(CommandError::BenefitWithdrawn {
                        id: benefit_id.to_string(),
                    });
                }
                if let Some(stock) = benefit.stock {
                    let (entries, _) = self.entities::<PointsEntry>()?;
                    let (voids, _) = self.entities::<Void>()?;
                    if crate::view::redemptions_of(*benefit_id, &entries, &voids)
                        >= u64::from(stock)
                    {
                        return Err(CommandError::OutOfStock {
                            id: benefit_id.to_string(),
                        });
                    }
                }
                self.put_redemption(
                    *id,
                    *member,
                    benefit.cost,
                    &benefit.title,
                    Some(*benefit_id),
                    now,
                )?;
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
                require_reason(EventKind::End, note)?;
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
                require_reason(*kind, note)?;
                self.append_event::<Wish>(*id, &event)?;
            }
            Command::ProjectEvent { id, kind, by, note } => {
                let events = self.require_events::<Project>(*id)?;
                self.check_actor(by)?;
                let event = event(*kind, by.clone(), now, note);
                ClaimStatus::fold(&events, Claimants::OrgsOnly)
                    .check(&event, Claimants::OrgsOnly)
                    .map_err(|refusal| CommandError::Refused { refusal })?;
                require_reason(*kind, note)?;
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
                let held = participation(&details, *member);
                if held.as_ref().is_some_and(Participation::is_attended) {
                    return Err(CommandError::AlreadyParticipating);
                }
                let mut attended =
                    held.unwrap_or_else(|| Participation::at_stage(AttendanceStage::Attended, now));
                attended.stage = Some(AttendanceStage::Attended);
                self.attend(
                    *activity,
                    &details,
                    *member,
                    details.minutes,
                    &attended,
                    now,
                )?;
            }
            Command::SignUp { activity, member } => {
                let details = self.require::<Activity>(*activity)?;
                self.require_present::<Member>(*member)?;
                if participation(&details, *member).is_some() {
                    return Err(CommandError::AlreadyParticipating);
                }
                let signed_up = Participation::at_stage(AttendanceStage::SignedUp, now);
                self.put_participation(*activity, *member, &signed_up)?;
            }
            Command::CheckIn {
                activity,
                member,
                code,
                at,
            } => {
                let details = self.require_activity(*activity)?;
                self.require_present::<Member>(*member)?;
                let held = participation(&details, *member);
                let mut checked_in = match held {
                    Some(held) if held.is_attended() => {
                        return Err(CommandError::AlreadyParticipating);
                    }
                    Some(held) if held.check_in_code == Some(*code) => {
                        return Err(CheckInError::Replayed.into());
                    }
                    Some(held) if held.stage == Some(AttendanceStage::CheckedIn) => {
                        return Err(CheckInError::AlreadyCheckedIn.into());
                    }
                    Some(held) => held,
                    None => Participation::at_stage(AttendanceStage::CheckedIn, now),
                };
                checked_in.stage = Some(AttendanceStage::CheckedIn);
                checked_in.checked_in = Some(*at);
                checked_in.check_in_code = Some(*code);
                self.put_participation(*activity, *member, &checked_in)?;
            }
            Command::CheckOut {
                activity,
                member,
                code,
                at,
            } => {
                let details = self.require_activity(*activity)?;
                self.require_present::<Member>(*member)?;
                let held = participation(&details, *member)
                    .filter(|held| held.stage == Some(AttendanceStage::CheckedIn));
                let (Some(mut held), Some(since)) =
                    (held.clone(), held.and_then(|held| held.checked_in))
                else {
                    return Err(CheckInError::NotCheckedIn.into());
                };
                if held.check_in_code == Some(*code) {
                    return Err(CheckInError::Replayed.into());
                }
                // The node's two clock readings, never the phone's; capped by the
                // activity's length, so lingering earns nothing more.
                let seen = at.as_millis().saturating_sub(since.as_millis()) / 60_000;
                let minutes = u32::try_from(seen).unwrap_or(u32::MAX).min(details.minutes);
                if minutes == 0 {
                    return Err(CommandError::OutOfRange {
                        field: "minutes",
                        rule: "at least one minute between check-in and check-out",
                    });
                }
                held.stage = Some(AttendanceStage::Attended);
                held.checked_out = Some(*at);
                self.attend(*activity, &details, *member, minutes, &held, now)?;
            }
            Command::RecordService {
                id,
                member,
                date,
                minutes,
                category,
                item,
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
                    item: Some(*item),
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
            } => self.put_redemption(*id, *member, *points, reason.as_str(), None, now)?,
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
            Command::IssueCard {
                id,
                member,
                issued,
                expires,
                secret_hash,
            } => {
                self.require_absent::<CardRecord>(*id)?;
                self.require_present::<Member>(*member)?;
                if expires <= issued {
                    return Err(CommandError::OutOfRange {
                        field: "expires",
                        rule: "later than the day the card is issued",
                    });
                }
                let record = CardRecord {
                    member: *member,
                    issued: *issued,
                    expires: *expires,
                    secret_hash: *secret_hash,
                    revoked_at: None,
                    revoked_reason: None,
                };
                self.put_entity(*id, &record)?;
            }
            Command::RevokeCard { id, reason } => {
                let mut record = self.require::<CardRecord>(*id)?;
                if record.is_revoked() {
                    return Err(CommandError::AlreadyRevoked { id: id.to_string() });
                }
                if reason.as_str().trim().is_empty() {
                    return Err(CommandError::ReasonRequired { step: "revoke" });
                }
                record.revoked_at = Some(now);
                record.revoked_reason = Some(reason.to_string());
                self.put_entity(*id, &record)?;
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
            Command::SealPeriod { seal } => self.put_seal(seal, now)?,
            Command::Evaluate {
                member,
                period,
                grade,
                comment,
            } => {
                self.require_present::<Member>(*member)?;
                if !self.contains::<Seal>(*period)? {
                    return Err(CommandError::NotSealed { period: *period });
                }
                let evaluation = Evaluation {
                    member: *member,
                    period: *period,
                    grade: *grade,
                    comment: comment.to_string(),
                    by: worker.clone(),
                    at: now,
                };
                self.put_entity(Evaluation::id_for(*member, *period), &evaluation)?;
            }
        }
        Ok(())
    }

    /// Writes a seal: only for a half-year that is over by `now`, once, signed by the
    /// document's own community over its current heads.
    fn put_seal(&mut self, seal: &SignedSeal, now: Timestamp) -> Result<(), CommandError> {
        let from = seal.period.day_after();
        if now.date_in_shanghai() < from {
            return Err(CommandError::PeriodNotOver {
                period: seal.period,
                from,
            });
        }
        self.require_absent::<Seal>(seal.period)?;
        let bad = |reason: String| CommandError::BadSeal { reason };
        if seal.community != self.code() {
            return Err(bad(format!("it is {}'s seal", seal.community)));
        }
        let mut heads = self.heads();
        heads.sort();
        if seal.heads != heads {
            return Err(bad(
                "it does not name the document's current heads".to_owned()
            ));
        }
        seal.verify().map_err(|error| bad(error.to_string()))?;
        self.put_entity(seal.period, &Seal::from(seal))?;
        Ok(())
    }

    /// Writes a service record with the points it earns at the community's rate now:
    /// its kind's rate if the community set one, its category's points per hour if not.
    fn put_service_with_points(
        &mut self,
        id: ServiceId,
        mut record: ServiceRecord,
    ) -> Result<(), CommandError> {
        let rate = match record.item {
            Some(item) => self.entity::<ScoringRate>(item)?,
            None => None,
        };
        record.points = match rate {
            Some(rate) => rate.points_for(record.minutes),
            None => self.rules().points_for(record.category, record.minutes),
        };
        self.put_entity(id, &record)?;
        Ok(())
    }

    /// Writes a redemption of `points` from `member`'s passbook, refusing one the
    /// balance does not cover (offline replicas can still overdraw together; the view
    /// flags that).
    fn put_redemption(
        &mut self,
        id: PointsEntryId,
        member: MemberId,
        points: u32,
        reason: &str,
        benefit: Option<BenefitId>,
        now: Timestamp,
    ) -> Result<(), CommandError> {
        self.require_absent::<PointsEntry>(id)?;
        self.require_present::<Member>(member)?;
        if points == 0 {
            return Err(CommandError::OutOfRange {
                field: "points",
                rule: "at least 1",
            });
        }
        let balance = self.passbook_of(member)?.balance;
        if balance < i64::from(points) {
            return Err(CommandError::InsufficientPoints {
                balance,
                asked: points,
            });
        }
        let entry = PointsEntry {
            member,
            kind: PointsKind::Redeem,
            points,
            reason: reason.to_owned(),
            service: None,
            benefit,
            at: now,
        };
        self.put_entity(id, &entry)?;
        Ok(())
    }

    fn require<E: crate::model::Entity>(&self, id: E::Id) -> Result<E, CommandError> {
        self.entity::<E>(id)?.ok_or_else(|| CommandError::NotFound {
            kind: E::KIND,
            id: id.to_string(),
        })
    }

    fn require_present<E: crate::model::Entity>(&self, id: E::Id) -> Result<(), CommandError> {
        if !self.contains::<E>(id)? {
            return Err(CommandError::NotFound {
                kind: E::KIND,
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
            kind: E::KIND,
            id: id.to_string(),
        })
    }

    fn require_absent<E: crate::model::Entity>(&self, id: E::Id) -> Result<(), CommandError> {
        if self.contains::<E>(id)? {
            return Err(CommandError::AlreadyExists {
                kind: E::KIND,
                id: id.to_string(),
            });
        }
        Ok(())
    }

    /// The activity of a check-in or check-out: one the node has no record of is the
    /// member's refusal, in their words, not a worker's.
    fn require_activity(&self, id: crate::id::ActivityId) -> Result<Activity, CommandError> {
        self.entity::<Activity>(id)?
            .ok_or_else(|| CheckInError::NoSuchActivity.into())
    }

    /// Writes an attended participation and its service record of `minutes`, with the
    /// points it earns. The record's id is derived from (activity, member), so the
    /// same participation entered on two replicas is one record.
    fn attend(
        &mut self,
        activity: crate::id::ActivityId,
        details: &Activity,
        member: MemberId,
        minutes: u32,
        participation: &Participation,
        now: Timestamp,
    ) -> Result<(), CommandError> {
        self.put_participation(activity, member, participation)?;
        let service = ServiceRecord::id_for_participation(activity, member);
        let record = ServiceRecord {
            member,
            date: details.date,
            minutes,
            category: details.category,
            description: details.title.clone(),
            activity: Some(activity),
            item: Some(ScoringItem::Activity),
            points: 0,
            recorded_at: now,
        };
        self.put_service_with_points(service, record)
    }

    fn check_actor(&self, actor: &Actor) -> Result<(), CommandError> {
        match actor {
            Actor::Member(id) => self.require_present::<Member>(*id),
            Actor::Org(id) => self.require_present::<Org>(*id),
            // A member of another community is known to their own community's
            // document, which this node does not hold; the hub checked their card.
            Actor::Worker(_) | Actor::Outside(..) => Ok(()),
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

/// `member`'s participation in `activity`, if any.
fn participation(activity: &Activity, member: MemberId) -> Option<Participation> {
    activity.participants.get(&member.to_string()).cloned()
}

fn event(kind: EventKind, by: Actor, at: Timestamp, note: &Detail) -> LifecycleEvent {
    LifecycleEvent {
        kind,
        by,
        at,
        note: note.to_string(),
    }
}

/// A step that closes a record for good keeps why
/// ([`EventKind::needs_reason`]).
fn require_reason(kind: EventKind, note: &Detail) -> Result<(), CommandError> {
    if kind.needs_reason() && note.as_str().trim().is_empty() {
        Err(CommandError::ReasonRequired { step: kind.code() })
    } else {
        Ok(())
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
