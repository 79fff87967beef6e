//! Members (在职党员) and the ledger fields the city may see (七清楚 without the two
//! personal items, which stay in the node's private tables).

use autosurgeon::Reconcile;

use crate::id::{BranchId, OrgId, TeamId};
use crate::model::names::PostKind;
use crate::time::{Date, Timestamp};

/// An in-service party member who reported in to this community.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, serde::Serialize)]
pub struct Member {
    /// Name.
    pub name: String,
    /// Work unit (所在单位), as written.
    pub work_unit: String,
    /// The unit party organisation of the work unit, if it is known to the city.
    pub org: Option<OrgId>,
    /// Position held (现任职务).
    pub position: String,
    /// Specialties (个人特长).
    pub specialties: Vec<String>,
    /// The kinds of service the member offers (服务志愿).
    pub intentions: Vec<PostKind>,
    /// The day the member reported in.
    pub reported_in: Date,
    /// The functional branch the member belongs to, if any.
    pub branch: Option<BranchId>,
    /// The service team, if any.
    pub team: Option<TeamId>,
    /// When the record was made.
    pub created_at: Timestamp,
}

crate::scan::hydrate_by_scan!(Member { name, work_unit, position, specialties, intentions, reported_in, created_at; optional: org, branch, team });
