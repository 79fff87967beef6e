//! The commands of volunteers beyond the members (issue 14, item 5): registering one,
//! recording their service, voiding a record. Their claims of wishes are ordinary
//! `WishEvent`s by `Actor::Volunteer`, checked by the same fold as a member's.

use crate::doc::CommunityDoc;
use crate::id::{VoidId, VolunteerId, VolunteerServiceId};
use crate::model::{Actor, Entity, Void, Volunteer, VolunteerService};
use crate::text::Label;
use crate::time::Timestamp;

use super::checks::check_minutes;
use super::{CommandError, VolunteerFields};

impl CommunityDoc {
    pub(super) fn add_volunteer(
        &mut self,
        id: VolunteerId,
        fields: &VolunteerFields,
        now: Timestamp,
    ) -> Result<(), CommandError> {
        self.require_absent::<Volunteer>(id)?;
        let volunteer = Volunteer {
            label: fields.label.to_string(),
            kind: fields.kind,
            specialties: fields.specialties.iter().map(Label::to_string).collect(),
            registered_on: fields.registered_on,
            created_at: now,
        };
        self.put_entity(id, &volunteer).map_err(CommandError::from)
    }

    pub(super) fn record_volunteer_service(
        &mut self,
        id: VolunteerServiceId,
        service: &VolunteerService,
    ) -> Result<(), CommandError> {
        self.require_absent::<VolunteerService>(id)?;
        self.require_present::<Volunteer>(service.volunteer)?;
        check_minutes(service.minutes)?;
        self.put_entity(id, service).map_err(CommandError::from)
    }

    pub(super) fn void_volunteer_service(
        &mut self,
        id: VoidId,
        service: VolunteerServiceId,
        reason: &Label,
        worker: &Actor,
        now: Timestamp,
    ) -> Result<(), CommandError> {
        self.require_absent::<Void>(id)?;
        self.require_present::<VolunteerService>(service)?;
        if reason.as_str().trim().is_empty() {
            return Err(CommandError::ReasonRequired { step: "void" });
        }
        let (voids, _) = self.entities::<Void>()?;
        if voids
            .iter()
            .any(|(_, void)| void.volunteer_service == Some(service))
        {
            return Err(CommandError::AlreadyVoided {
                kind: VolunteerService::KIND,
                id: service.to_string(),
            });
        }
        let void = Void {
            service: None,
            points_entry: None,
            volunteer_service: Some(service),
            reason: reason.to_string(),
            by: worker.clone(),
            at: now,
        };
        self.put_entity(id, &void).map_err(CommandError::from)
    }
}
