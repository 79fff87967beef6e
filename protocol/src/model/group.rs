//! Functional party branches (功能型党支部) and service teams (服务团队).

use autosurgeon::Reconcile;

use crate::id::MemberId;
use crate::time::{Date, Timestamp};

/// A functional party branch formed in the community from reported members.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, serde::Serialize)]
pub struct Branch {
    /// Name.
    pub name: String,
    /// The branch secretary, if chosen.
    pub secretary: Option<MemberId>,
    /// The day it was founded.
    pub founded_on: Date,
    /// When the record was made.
    pub created_at: Timestamp,
}

/// A team of members grouped by skill: policy, legal aid, education, health,
/// mediation, mutual care.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, serde::Serialize)]
pub struct Team {
    /// Name, e.g. 法律援助服务队.
    pub name: String,
    /// The skill the team offers.
    pub focus: String,
    /// When the record was made.
    pub created_at: Timestamp,
}

crate::scan::hydrate_by_scan!(Branch { name, founded_on, created_at; optional: secretary });

crate::scan::hydrate_by_scan!(Team {
    name,
    focus,
    created_at
});
