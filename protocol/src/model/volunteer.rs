//! Volunteers beyond the in-service members (issue 14, item 5): retired party members
//! (离退休党员), student party members (学生党员) and public-spirited residents
//! (社区公益爱心人士). They claim wishes and serve, and are counted apart from the
//! members who reported in: their service is kept in a collection of its own, so no
//! member's figure, report, ranking or passbook can take it in by mistake.

use autosurgeon::Reconcile;

use crate::id::VolunteerId;
use crate::model::names::{PostKind, VolunteerKind};
use crate::time::{Date, Timestamp};

/// A volunteer the community registered. The real name and phone are personal data
/// and stay in the node's private tables; the document carries the worker's label.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, serde::Serialize)]
pub struct Volunteer {
    /// The volunteer as the worker labels them for the city, e.g. 退休党员 王老师.
    pub label: String,
    /// Retired, student or resident.
    pub kind: VolunteerKind,
    /// What they can do (特长).
    pub specialties: Vec<String>,
    /// The day they registered with the community.
    pub registered_on: Date,
    /// When the record was made.
    pub created_at: Timestamp,
}

/// A volunteer's service: who, when, how long and what. Immutable; corrected by a
/// [`crate::model::Void`] naming it. It earns no love-passbook points: the passbook,
/// its benefits and its rankings are the reported members'.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, serde::Serialize)]
pub struct VolunteerService {
    /// The volunteer who served.
    pub volunteer: VolunteerId,
    /// The day of service.
    pub date: Date,
    /// How long, in minutes.
    pub minutes: u32,
    /// Category of service.
    pub category: PostKind,
    /// What was done.
    pub description: String,
    /// When the record was made.
    pub recorded_at: Timestamp,
}

crate::scan::hydrate_by_scan!(Volunteer {
    label,
    kind,
    specialties,
    registered_on,
    created_at
});

crate::scan::hydrate_by_scan!(VolunteerService {
    volunteer,
    date,
    minutes,
    category,
    description,
    recorded_at
});
