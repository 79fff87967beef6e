//! Streets as parties (issue 14, item 3): the `street` column of the three tables a
//! street-level record is derived into. A street's own records (a unit reported in to
//! the street, a pairing with it, its projects) are kept in its host community's
//! document; the hub files their rows under the street's code padded with `000` (as
//! statistical tables print a street, and as no community's code ends), with `street`
//! naming the street, so that a community's range of codes leaves them out and the
//! street's, its district's and the city's take them in, rollups included
//! (`figures::derive`). Nothing to fill: documents written before streets have no
//! street-level record, and every existing row is a community's (`street` NULL).
pub(super) const STREET_STEP: &str = "
ALTER TABLE fig_orgs ADD COLUMN street TEXT;
ALTER TABLE fig_pairings ADD COLUMN street TEXT;
ALTER TABLE fig_projects ADD COLUMN street TEXT;";
