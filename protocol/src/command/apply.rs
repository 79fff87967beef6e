//! [`CommunityDoc::apply`]: each command checked against the current state, then
//! written one entity at a time. The checks it shares are in `checks.rs`, the shared
//! writes in `facts.rs`, the project stages in `projects.rs`.

use crate::checkin::CheckInError;
use crate::doc::{CommunityDoc, DocError};
use crate::id::MemberId;
use crate::lifecycle::{ClaimStatus, Claimants, PairingStatus, PostStatus, Refusal};
use crate::model::{
    Activity, Actor, AttendanceStage, Benefit, Branch, CardRecord, Evaluation, EventKind, Member,
    Org, Pairing, Participation, PointsEntry, Post, Project, ScoringRate, Seal, ServiceRecord,
    Team, Void, VolunteerService, Wish,
};
use crate::text::Title;
use crate::time::Timestamp;
use crate::view::Passbook;

use super::checks::{check_minutes, event, participation, require_reason};
use super::{Command, CommandError};

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
                let before = self.entity::<Org>(id)?;
                let org = Org {
                    credit_code: *credit_code,
                    name: name.to_string(),
                    party_org: None,
                    reported_in: *reported_in,
                    created_at: before.as_ref().map_or(now, |org| org.created_at),
                    // A rename keeps the street's report-in, which this command does
                    // not speak of.
                    street_reported_in: before.and_then(|org| org.street_reported_in),
                };
                self.put_entity(id, &org)?;
            }
            Command::ReportInToStreet { org, street, on } => {
                self.report_in_to_street(*org, street, *on)?
            }
            Command::AddPartyOrg {
                credit_code,
                unit_name,
                party_org,
                reported_in,
            } => self.add_party_org(*credit_code, unit_name, party_org, *reported_in, now)?,
            Command::AddPairing {
                id,
                org,
                commitments,
                signed_on,
                street,
            } => {
                self.require_absent::<Pairing>(*id)?;
                self.require::<Org>(*org)?;
                let pairing = Pairing {
                    org: *org,
                    commitments: commitments.iter().map(Title::to_string).collect(),
                    signed_on: *signed_on,
                    created_at: now,
                    events: Vec::new(),
                    street: self.street_party(street.as_ref())?,
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
            Command::AddRound {
                id,
                name,
                opens,
                closes,
            } => self.add_round(*id, name, *opens, *closes, now)?,
            Command::CloseRound { id } => self.close_round(*id, now)?,
            Command::MoveWishToRound { id, round } => self.move_wish_to_round(*id, *round)?,
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
                    round: self.round_for_wish(wish.round, now)?,
                };
                self.put_entity(*id, &wish)?;
            }
            Command::SubmitProject {
                id,
                title,
                detail,
                kind,
                street,
            } => {
                self.require_absent::<Project>(*id)?;
                let project = Project {
                    title: title.to_string(),
                    detail: detail.to_string(),
                    kind: *kind,
                    submitted_at: now,
                    events: Vec::new(),
                    street: self.street_party(street.as_ref())?,
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
                self.check_actor(by)?;
                let event = event(*kind, by.clone(), now, note);
                self.append_project_events(*id, &[event], note)?;
            }
            Command::SendIntent {
                id,
                unit,
                share,
                note,
            } => self.send_intent(*id, *unit, *share, note, now)?,
            Command::ApproveProject { id, units, note } => {
                self.approve_project(*id, units, note, now)?;
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
                let record = self.with_points(record)?;
                // Found absent above, so written without looking again.
                self.put_new_entity(*id, &record)?;
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
                    volunteer_service: None,
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
                    volunteer_service: None,
                    reason: reason.to_string(),
                    by: worker.clone(),
                    at: now,
                };
                self.put_entity(*id, &void)?;
            }
            Command::SealPeriod { seal } => self.put_seal(seal, now)?,
            Command::AddVolunteer { id, volunteer } => self.add_volunteer(*id, volunteer, now)?,
            Command::RecordVolunteerService {
                id,
                volunteer,
                date,
                minutes,
                category,
                description,
            } => {
                let service = VolunteerService {
                    volunteer: *volunteer,
                    date: *date,
                    minutes: *minutes,
                    category: *category,
                    description: description.to_string(),
                    recorded_at: now,
                };
                self.record_volunteer_service(*id, &service)?;
            }
            Command::VoidVolunteerService {
                id,
                service,
                reason,
            } => self.void_volunteer_service(*id, *service, reason, worker, now)?,
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
}
