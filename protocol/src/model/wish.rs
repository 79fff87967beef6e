//! Micro-wishes (微心愿) and livelihood projects (民生微项目), the two things that
//! residents order, the community dispatches and members or organisations take.

use autosurgeon::Reconcile;

use crate::id::RoundId;
use crate::model::event::LifecycleEvent;
use crate::model::names::{BeneficiaryGroup, ProjectKind, WishKind};
use crate::street::StreetCode;
use crate::time::Timestamp;

/// A small need of a resident in difficulty.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, serde::Serialize)]
pub struct Wish {
    /// Title, e.g. 希望有一台微波炉.
    pub title: String,
    /// Detail.
    pub detail: String,
    /// Goods or service.
    pub kind: WishKind,
    /// The group of the resident.
    pub group: BeneficiaryGroup,
    /// The resident as the worker labels them for the city, e.g. 行宫社区 彭女士;
    /// the real name stays in the node's private tables.
    pub resident_label: String,
    /// Estimated value in yuan, for goods.
    pub estimated_value: Option<u32>,
    /// When it was submitted (群众点单).
    pub submitted_at: Timestamp,
    /// Lifecycle facts, folded in document order.
    pub events: Vec<LifecycleEvent>,
    /// The collection round (批次) it was collected in; `None` for a wish collected
    /// outside every round or written before rounds existed (未分批).
    pub round: Option<RoundId>,
}

/// A community-level need claimed by a unit organisation.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, serde::Serialize)]
pub struct Project {
    /// Title, e.g. “扶”您上下楼.
    pub title: String,
    /// Detail.
    pub detail: String,
    /// Micro-project or pressing problem.
    pub kind: ProjectKind,
    /// When it was submitted.
    pub submitted_at: Timestamp,
    /// Lifecycle facts, folded in document order.
    pub events: Vec<LifecycleEvent>,
    /// The street, for a street-level project (街道级项目); absent for a community's
    /// and in documents written before streets.
    pub street: Option<StreetCode>,
}

crate::scan::hydrate_by_scan!(Wish { title, detail, kind, group, resident_label, submitted_at, events; optional: estimated_value, round });

crate::scan::hydrate_by_scan!(Project { title, detail, kind, submitted_at, events; optional: street });
