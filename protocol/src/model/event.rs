//! Lifecycle events: the append-only facts from which the state of a wish, project,
//! post or pairing is folded.

use autosurgeon::Reconcile;

use crate::model::actor::Actor;
use crate::names::define_names;
use crate::time::Timestamp;

define_names! {
    /// What a lifecycle event asks for.
    EventKind, "event kind" {
        /// 社区下单: the community publishes a submitted wish or project.
        Publish = ("publish", "发布", "publish"),
        /// 接单: a member or organisation claims it.
        Claim = ("claim", "认领", "claim"),
        /// The claimant gives it back; it is published again.
        Release = ("release", "放弃认领", "release"),
        /// It was done.
        Fulfil = ("fulfil", "实现", "fulfil"),
        /// The community turns a submitted wish down.
        Reject = ("reject", "驳回", "reject"),
        /// The community takes it off the tree.
        Withdraw = ("withdraw", "撤回", "withdraw"),
        /// A pairing comes to its end.
        End = ("end", "终止", "end"),
    }
}

impl EventKind {
    /// Whether a record taken this step must say why in its note: 驳回 and 撤回 take a
    /// wish or project off the tree for good, 终止 ends a pairing (共建协议) for good, and
    /// the reason stays in its history.
    pub fn needs_reason(self) -> bool {
        matches!(self, Self::Reject | Self::Withdraw | Self::End)
    }
}

/// One appended fact: `{kind, by, at, note}`.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, serde::Serialize)]
pub struct LifecycleEvent {
    /// What was asked for.
    pub kind: EventKind,
    /// Who asked.
    pub by: Actor,
    /// When, by the clock of the replica that wrote it.
    pub at: Timestamp,
    /// Free text, e.g. how a wish was fulfilled.
    pub note: String,
}

crate::scan::hydrate_by_scan!(LifecycleEvent { kind, by, at, note });
