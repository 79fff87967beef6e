//! The street as a party (issue 14, item 3; `crate::street`): a unit reported in to the
//! street, and the check every street-level record passes before it is written — this
//! community must be the host the city named for its street.

use crate::doc::CommunityDoc;
use crate::id::OrgId;
use crate::model::Org;
use crate::street::{StreetCode, StreetHost};
use crate::time::Date;

use super::CommandError;

impl CommunityDoc {
    /// The street a record names as its party: none for the community's own, the
    /// street when this community hosts it, the refusal otherwise.
    pub(super) fn street_party(
        &self,
        street: Option<&StreetHost>,
    ) -> Result<Option<StreetCode>, CommandError> {
        match street {
            None => Ok(None),
            Some(host) => Ok(Some(host.check(&self.code())?)),
        }
    }

    pub(super) fn report_in_to_street(
        &mut self,
        id: OrgId,
        street: &StreetHost,
        on: Date,
    ) -> Result<(), CommandError> {
        self.street_party(Some(street))?;
        let mut org = self.require::<Org>(id)?;
        org.street_reported_in = Some(on);
        self.put_entity(id, &org).map_err(CommandError::from)
    }
}
