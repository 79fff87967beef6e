//! The command that records a party organisation of a unit (issue 14, item 4): one
//! branch (党支部) of several under a unit's credit code. The unit's own organisation
//! (本级) stays `AddOrg`, whose id is the credit code's alone.

use crate::doc::CommunityDoc;
use crate::model::Org;
use crate::text::Name;
use crate::time::{Date, Timestamp};
use crate::uscc::CreditCode;

use super::CommandError;

impl CommunityDoc {
    /// Writes the branch `party_org` of the unit `credit_code`, refused if the unit has
    /// a branch of that name here already (spaces aside: the id ignores them). The
    /// name was trimmed and limited to [`Name`]'s 100 characters where it entered.
    pub(super) fn add_party_org(
        &mut self,
        credit_code: CreditCode,
        unit_name: &Name,
        party_org: &Name,
        reported_in: Option<Date>,
        now: Timestamp,
    ) -> Result<(), CommandError> {
        let id = Org::id_for_party_org(&credit_code, party_org.as_str());
        if let Some(existing) = self.entity::<Org>(id)? {
            return Err(CommandError::PartyOrgTaken {
                credit_code,
                party_org: existing.party_org.unwrap_or_default(),
            });
        }
        let org = Org {
            credit_code,
            name: unit_name.to_string(),
            party_org: Some(party_org.to_string()),
            reported_in,
            created_at: now,
            street_reported_in: None,
        };
        self.put_entity(id, &org).map_err(CommandError::from)
    }
}
