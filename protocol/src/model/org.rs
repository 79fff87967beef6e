//! Unit party organisations (单位党组织) and their pairings with the community.

use autosurgeon::Reconcile;

use crate::id::OrgId;
use crate::model::event::LifecycleEvent;
use crate::street::StreetCode;
use crate::time::{Date, Timestamp};
use crate::uscc::CreditCode;

/// A unit party organisation: a government office, company or school branch whose
/// members live in many communities. Its id is derived from its credit code, so the
/// same organisation is one org in every community of the city.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, serde::Serialize)]
pub struct Org {
    /// The unified social credit code of the unit.
    pub credit_code: CreditCode,
    /// Name, e.g. 沧州市发改委党组.
    pub name: String,
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

crate::scan::hydrate_by_scan!(Org { credit_code, name, created_at; optional: reported_in, street_reported_in });

crate::scan::hydrate_by_scan!(Pairing { org, commitments, signed_on, created_at, events; optional: street });
