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
        /// 认领意向书: a unit sends a letter of intent to take a project on, with its
        /// share; several units may (共同认领).
        Intent = ("intent", "认领意向书", "letter of intent"),
        /// 立项: the community approves a project with a unit that sent a letter of
        /// intent as one of its claimants (共同承接 when there are several).
        Approve = ("approve", "立项", "approve"),
        /// 实施: work on an approved project begins.
        Start = ("start", "实施", "start"),
        /// 终止: an open project is ended before it is done.
        Terminate = ("terminate", "终止项目", "terminate"),
    }
}

impl EventKind {
    /// Whether a record taken this step must say why in its note: 驳回 and 撤回 take a
    /// wish or project off the tree for good, 终止 ends a pairing (共建协议) for good, and
    /// the reason stays in its history.
    pub fn needs_reason(self) -> bool {
        matches!(
            self,
            Self::Reject | Self::Withdraw | Self::End | Self::Terminate
        )
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
    /// Free text, e.g. how a wish was fulfilled, or the part of a project a unit's
    /// letter of intent takes on.
    pub note: String,
    /// The share a letter of intent offers ([`EventKind::Intent`]); absent on every
    /// other event, and on every event written before projects had stages.
    pub share: Option<Share>,
}

/// A unit's share of a jointly claimed project (共同认领): a whole percent from 1 to
/// 100. A percent rather than only words, so that the shares of a project can be
/// checked (together at most 100%) and summed per unit; what the unit takes on (the
/// materials, the building work, …) is said in words in its letter's note.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Share(u8);

/// Why text is not a share.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a share is a whole percent from 1 to 100, e.g. 40 or 40%")]
pub struct ShareParseError;

impl Share {
    /// The whole project, the share of a unit that claimed it alone.
    pub const WHOLE: Share = Share(100);

    /// The share of `percent`, if it is from 1 to 100.
    pub fn from_percent(percent: u32) -> Option<Self> {
        u8::try_from(percent)
            .ok()
            .filter(|percent| (1..=100).contains(percent))
            .map(Share)
    }

    /// The share in percent.
    pub fn percent(self) -> u32 {
        u32::from(self.0)
    }
}

impl std::fmt::Display for Share {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}%", self.0)
    }
}

impl std::str::FromStr for Share {
    type Err = ShareParseError;

    /// Accepts what people type: `40`, `40%`, `40％`, with spaces around.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let digits = text.trim().trim_end_matches(['%', '％']).trim();
        if digits.is_empty() || digits.len() > 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ShareParseError);
        }
        digits
            .parse::<u32>()
            .ok()
            .and_then(Share::from_percent)
            .ok_or(ShareParseError)
    }
}

crate::text_form::text_form!(Share, "a share in percent");

crate::scan::hydrate_by_scan!(LifecycleEvent { kind, by, at, note; optional: share });
