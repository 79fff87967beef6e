//! The domain model: the entities of a community document, as `GLOSSARY.md` names them.
//!
//! Every entity maps to the document with autosurgeon and lives in a top-level map of
//! its collection, keyed by its id. The [`Entity`] trait ties a type to its
//! collection so that [`crate::doc::CommunityDoc`] can read and write one entity at a
//! time.

use std::fmt::Display;
use std::str::FromStr;

use autosurgeon::{Hydrate, Reconcile};

mod actor;
mod card;
mod community;
mod event;
mod group;
mod member;
mod names;
mod org;
mod points;
mod post;
mod round;
mod seal;
mod service;
mod volunteer;
mod wish;

pub use actor::{Actor, ActorParseError, AuthorError, EventSubject};
pub use card::{CardRecord, InboxOutcome};
pub use community::{Community, CommunityRules};
pub use event::{EventKind, LifecycleEvent, Share, ShareParseError};
pub use group::{Branch, Team};
pub use member::Member;
pub use names::{
    AttendanceStage, BeneficiaryGroup, EvaluationGrade, PointsKind, PostKind, ProjectKind,
    ScoringItem, ScoringUnit, VolunteerKind, WishKind,
};
pub use org::{Org, Pairing};
pub use points::{Benefit, ScoringRate};
pub use post::Post;
pub use round::{Round, round_open_on};
pub use seal::{Evaluation, Seal};
pub use service::{Activity, Participation, PointsEntry, ServiceRecord, Void};
pub use volunteer::{Volunteer, VolunteerService};
pub use wish::{Project, Wish};

use crate::id::{
    ActivityId, BenefitId, BranchId, CardId, EvaluationId, InboxEntryId, MemberId, OrgId,
    PairingId, PointsEntryId, PostId, ProjectId, RoundId, ServiceId, TeamId, VoidId, VolunteerId,
    VolunteerServiceId, WishId,
};

/// A kind of entity kept in a top-level map of the document.
pub trait Entity: Hydrate + Reconcile + Clone {
    /// The id type that keys the collection.
    type Id: Copy + Ord + Display + FromStr + std::fmt::Debug;
    /// The key of the collection at the document root.
    const COLLECTION: &'static str;
    /// What one of them is called in messages (its id's `KIND`, e.g. `wish`).
    const KIND: &'static str;
}

macro_rules! entity {
    ($ty:ty, $id:ty, $collection:literal) => {
        impl Entity for $ty {
            type Id = $id;
            const COLLECTION: &'static str = $collection;
            const KIND: &'static str = <$id>::KIND;
        }
    };
}

entity!(Member, MemberId, "members");
entity!(Org, OrgId, "orgs");
entity!(Pairing, PairingId, "pairings");
entity!(Branch, BranchId, "branches");
entity!(Team, TeamId, "teams");
entity!(Post, PostId, "posts");
entity!(Wish, WishId, "wishes");
entity!(Project, ProjectId, "projects");
entity!(Activity, ActivityId, "activities");
entity!(ServiceRecord, ServiceId, "services");
entity!(PointsEntry, PointsEntryId, "passbook");
entity!(Void, VoidId, "voids");
entity!(CardRecord, CardId, "cards");
entity!(InboxOutcome, InboxEntryId, "inbox");
entity!(Evaluation, EvaluationId, "evaluations");
entity!(Benefit, BenefitId, "benefits");
entity!(Volunteer, VolunteerId, "volunteers");
entity!(VolunteerService, VolunteerServiceId, "volunteer_services");
entity!(Round, RoundId, "rounds");

// A scoring rate is keyed by the kind of service it scores.
impl Entity for ScoringRate {
    type Id = ScoringItem;
    const COLLECTION: &'static str = "scoring";
    const KIND: &'static str = "scoring rate";
}

// Seals are keyed by their period, which is not an id.
impl Entity for Seal {
    type Id = crate::time::HalfYear;
    const COLLECTION: &'static str = "seals";
    const KIND: &'static str = "seal";
}

/// Every collection at the document root, in the order the schema lists them.
pub const COLLECTIONS: [&str; 12] = [
    "members",
    "orgs",
    "pairings",
    "branches",
    "teams",
    "posts",
    "wishes",
    "projects",
    "activities",
    "services",
    "passbook",
    "voids",
];

/// Collections added after schema 1, in the order they were added. The genesis change
/// does not create them (its bytes must never change, see [`crate::doc`]): the first
/// write to one creates its map. Only a community's node writes its document, so no
/// two replicas race to create the same map; a document without the map reads as one
/// with the map empty.
pub const LATE_COLLECTIONS: [&str; 9] = [
    "seals",
    "evaluations",
    "cards",
    "inbox",
    "scoring",
    "benefits",
    "volunteers",
    "volunteer_services",
    "rounds",
];
