//! Service posts (服务岗位) and the members or organisations that hold them.

use autosurgeon::Reconcile;

use crate::model::event::LifecycleEvent;
use crate::model::names::PostKind;
use crate::time::Timestamp;

/// A service post a member or organisation can claim, e.g. 扶弱济困岗.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, serde::Serialize)]
pub struct Post {
    /// One of the eight kinds.
    pub kind: PostKind,
    /// Title.
    pub title: String,
    /// What the post does.
    pub detail: String,
    /// How many may hold it at once.
    pub seats: u32,
    /// When the record was made.
    pub created_at: Timestamp,
    /// Lifecycle facts: `claim`, `release`, `withdraw`.
    pub events: Vec<LifecycleEvent>,
}

crate::scan::hydrate_by_scan!(Post {
    kind,
    title,
    detail,
    seats,
    created_at,
    events
});
