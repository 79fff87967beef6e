//! Unit party organisations (单位党组织) and their pairings with the community.
//!
//! A party organisation (`PartyOrg` in the glossary) is not its unit (`Unit`, the
//! credit code): a unit may have several branches (党支部), each ranked and reporting on
//! its own. An [`Org`] record is one party organisation; with no `party_org` name it is
//! the unit's own organisation (单位党组织本级), whose id is the one every document
//! written before branches existed gives the unit, so old documents read as before.

use autosurgeon::Reconcile;

use crate::id::OrgId;
use crate::model::event::LifecycleEvent;
use crate::street::StreetCode;
use crate::time::{Date, Timestamp};
use crate::uscc::CreditCode;

/// A unit party organisation: a government office, company or school branch whose
/// members live in many communities. Its id is derived from its credit code (and its
/// branch's name, if it is a branch), so the same organisation is one org in every
/// community of the city.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, serde::Serialize)]
pub struct Org {
    /// The unified social credit code of the unit.
    pub credit_code: CreditCode,
    /// Name, e.g. 沧州市发改委党组: the unit's, as the city's directory gives it.
    pub name: String,
    /// The branch's name (e.g. 第一党支部) if the record is one party organisation of
    /// several under the unit; absent for the unit's own organisation (本级) and in every
    /// document written before branches existed.
    pub party_org: Option<String>,
    /// The day the organisation reported in to this community, if it did.
    pub reported_in: Option<Date>,
    /// When the record was made.
    pub created_at: Timestamp,
    /// The day the organisation reported in to the street (街道) this community hosts
    /// the records of, if it did; absent in documents written before streets.
    pub street_reported_in: Option<Date>,
}

impl Org {
    /// The id every replica gives the organisation with this code.
    pub fn id_for(credit_code: &CreditCode) -> OrgId {
        OrgId::derive(&[credit_code.as_str().as_bytes()])
    }

    /// The id every replica gives the branch `party_org` of the unit with this code.
    /// Spaces are not part of a branch's name here, so that `第一 党支部` typed in one
    /// community is the same branch as `第一党支部` in another.
    pub fn id_for_party_org(credit_code: &CreditCode, party_org: &str) -> OrgId {
        let name = Self::party_org_key(party_org);
        OrgId::derive(&[
            credit_code.as_str().as_bytes(),
            b"party_org",
            name.as_bytes(),
        ])
    }

    /// A branch's name as its id knows it, without spaces: the city directory keys a
    /// unit's branches by it too.
    pub fn party_org_key(party_org: &str) -> String {
        party_org.chars().filter(|c| !c.is_whitespace()).collect()
    }

    /// The organisation as a person reads it: the unit's name, then the branch's if
    /// it is a branch (`沧州市发改委 第一党支部`).
    pub fn full_name(&self) -> String {
        match &self.party_org {
            Some(party_org) => format!("{} {party_org}", self.name),
            None => self.name.clone(),
        }
    }

    /// The citywide id of this record: its branch's, or the unit's own organisation's.
    pub fn id(&self) -> OrgId {
        match &self.party_org {
            Some(party_org) => Self::id_for_party_org(&self.credit_code, party_org),
            None => Self::id_for(&self.credit_code),
        }
    }
}

/// A co-building pairing (共建对子) between an organisation and this community.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, serde::Serialize)]
pub struct Pairing {
    /// The organisation.
    pub org: OrgId,
    /// What the organisation pledged (承诺书).
    pub commitments: Vec<String>,
    /// The day the agreement was signed.
    pub signed_on: Date,
    /// When the record was made.
    pub created_at: Timestamp,
    /// Lifecycle facts: `end`.
    pub events: Vec<LifecycleEvent>,
    /// The street, when the pairing is with the street (街道) rather than with the
    /// community; absent in documents written before streets.
    pub street: Option<StreetCode>,
}

crate::scan::hydrate_by_scan!(Org { credit_code, name, created_at; optional: reported_in, street_reported_in, party_org });

crate::scan::hydrate_by_scan!(Pairing { org, commitments, signed_on, created_at, events; optional: street });
