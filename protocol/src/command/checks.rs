//! The checks commands make before they write: a record present or absent, an actor
//! the document knows, a reason given, a number in range.

use crate::checkin::CheckInError;
use crate::doc::CommunityDoc;
use crate::id::{ActivityId, MemberId};
use crate::model::{
    Activity, Actor, Branch, EventKind, LifecycleEvent, Member, Org, Participation, Team, Volunteer,
};
use crate::text::Detail;
use crate::time::Timestamp;

use super::{CommandError, MAX_SERVICE_MINUTES, MemberFields};

impl CommunityDoc {
    pub(super) fn require<E: crate::model::Entity>(&self, id: E::Id) -> Result<E, CommandError> {
        self.entity::<E>(id)?.ok_or_else(|| CommandError::NotFound {
            kind: E::KIND,
            id: id.to_string(),
        })
    }

    pub(super) fn require_present<E: crate::model::Entity>(
        &self,
        id: E::Id,
    ) -> Result<(), CommandError> {
        if !self.contains::<E>(id)? {
            return Err(CommandError::NotFound {
                kind: E::KIND,
                id: id.to_string(),
            });
        }
        Ok(())
    }

    pub(super) fn require_events<E: crate::model::Entity>(
        &self,
        id: E::Id,
    ) -> Result<Vec<LifecycleEvent>, CommandError> {
        self.events::<E>(id)?.ok_or_else(|| CommandError::NotFound {
            kind: E::KIND,
            id: id.to_string(),
        })
    }

    pub(super) fn require_absent<E: crate::model::Entity>(
        &self,
        id: E::Id,
    ) -> Result<(), CommandError> {
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
    pub(super) fn require_activity(&self, id: ActivityId) -> Result<Activity, CommandError> {
        self.entity::<Activity>(id)?
            .ok_or_else(|| CheckInError::NoSuchActivity.into())
    }

    pub(super) fn check_actor(&self, actor: &Actor) -> Result<(), CommandError> {
        match actor {
            Actor::Member(id) => self.require_present::<Member>(*id),
            Actor::Org(id) => self.require_present::<Org>(*id),
            Actor::Volunteer(id) => self.require_present::<Volunteer>(*id),
            // A member of another community is known to their own community's
            // document, which this node does not hold; the hub checked their card.
            Actor::Worker(_) | Actor::Outside(..) => Ok(()),
        }
    }

    pub(super) fn check_member_links(&self, member: &MemberFields) -> Result<(), CommandError> {
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
}

/// `member`'s participation in `activity`, if any.
pub(super) fn participation(activity: &Activity, member: MemberId) -> Option<Participation> {
    activity.participants.get(&member.to_string()).cloned()
}

pub(super) fn event(kind: EventKind, by: Actor, at: Timestamp, note: &Detail) -> LifecycleEvent {
    LifecycleEvent {
        kind,
        by,
        at,
        note: note.to_string(),
        share: None,
    }
}

/// A step that closes a record for good keeps why
/// ([`EventKind::needs_reason`]).
pub(super) fn require_reason(kind: EventKind, note: &Detail) -> Result<(), CommandError> {
    if kind.needs_reason() && note.as_str().trim().is_empty() {
        Err(CommandError::ReasonRequired { step: kind.code() })
    } else {
        Ok(())
    }
}

pub(super) fn check_minutes(minutes: u32) -> Result<(), CommandError> {
    if (1..=MAX_SERVICE_MINUTES).contains(&minutes) {
        Ok(())
    } else {
        Err(CommandError::OutOfRange {
            field: "minutes",
            rule: "between 1 and 1440 (one day)",
        })
    }
}
