//! The commands of a project's stages ([`crate::project`]): each step checked against
//! the project's folded state now, and refused with its reason before anything is
//! written.

use crate::doc::CommunityDoc;
use crate::id::{OrgId, ProjectId};
use crate::model::{Actor, EventKind, LifecycleEvent, Org, Project, Share};
use crate::project::ProjectStatus;
use crate::text::Detail;
use crate::time::Timestamp;

use super::CommandError;
use super::checks::{event, require_reason};

impl CommunityDoc {
    /// 认领意向书: the unit's letter, checked against the project's stage.
    pub(super) fn send_intent(
        &mut self,
        id: ProjectId,
        unit: OrgId,
        share: Share,
        note: &Detail,
        now: Timestamp,
    ) -> Result<(), CommandError> {
        self.require_present::<Org>(unit)?;
        let event = LifecycleEvent {
            share: Some(share),
            ..event(EventKind::Intent, Actor::Org(unit), now, note)
        };
        self.append_project_events(id, &[event], note)
    }

    /// 立项 with `units`, one event each, all or none.
    pub(super) fn approve_project(
        &mut self,
        id: ProjectId,
        units: &[OrgId],
        note: &Detail,
        now: Timestamp,
    ) -> Result<(), CommandError> {
        if units.is_empty() {
            return Err(CommandError::NoUnits);
        }
        let mut events = Vec::with_capacity(units.len());
        for unit in units {
            self.require_present::<Org>(*unit)?;
            events.push(event(EventKind::Approve, Actor::Org(*unit), now, note));
        }
        self.append_project_events(id, &events, note)
    }

    /// Appends `events` to the project, each checked against the state the ones
    /// before it leave, all or none.
    pub(super) fn append_project_events(
        &mut self,
        id: ProjectId,
        events: &[LifecycleEvent],
        note: &Detail,
    ) -> Result<(), CommandError> {
        let mut all = self.require_events::<Project>(id)?;
        for event in events {
            ProjectStatus::fold(&all)
                .check(event)
                .map_err(|refusal| CommandError::Refused { refusal })?;
            require_reason(event.kind, note)?;
            all.push(event.clone());
        }
        for event in events {
            self.append_event::<Project>(id, event)?;
        }
        Ok(())
    }
}
