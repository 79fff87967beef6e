//! The records the people's interface leaves in the community document: a member card
//! (党员服务卡), which the hub checks a card against on every request (see
//! [`crate::card`]), and the outcome of an inbox entry (see [`crate::inbox`]).

use autosurgeon::Reconcile;

use crate::card::CardSecretHash;
use crate::id::{ActivityId, MemberId, WishId};
use crate::region::CommunityCode;
use crate::time::Timestamp;

/// One card issued to a member. The card's secret is not here, only its hash; nothing
/// personal beyond the member's id. Revocation is a fact set once: `revoked_at` and
/// `revoked_reason` are written together by the node, the only writer of the document.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, serde::Serialize)]
pub struct CardRecord {
    /// The member the card opens.
    pub member: MemberId,
    /// When it was issued (the statement's `issued`).
    pub issued: Timestamp,
    /// When it expires (the statement's `expires`).
    pub expires: Timestamp,
    /// The hash of the card's secret.
    pub secret_hash: CardSecretHash,
    /// When the community revoked it, if it did.
    pub revoked_at: Option<Timestamp>,
    /// Why (e.g. 手机丢失), if revoked.
    pub revoked_reason: Option<String>,
}

impl CardRecord {
    /// Whether the card was revoked.
    pub fn is_revoked(&self) -> bool {
        self.revoked_at.is_some()
    }
}

crate::scan::hydrate_by_scan!(CardRecord { member, issued, expires, secret_hash; optional: revoked_at, revoked_reason });

/// What the node did with an entry of its inbox (`crate::inbox`), recorded in the
/// community document at the entry's id: written once, in the change that ran the
/// entry's command, so an entry is applied at most once.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, serde::Serialize)]
pub struct InboxOutcome {
    /// The entry's place in the inbox when it was applied.
    pub seq: u64,
    /// What was asked (`claim`, `check_in`, `check_out`, `submission`, `sign_up`).
    pub kind: String,
    /// The wish it was about, for a claim.
    pub wish: Option<WishId>,
    /// The member who asked.
    pub member: Option<MemberId>,
    /// The member's home community, for a claim by a member of another community.
    pub home: Option<CommunityCode>,
    /// The activity, for a check-in, a check-out or a sign-up.
    pub activity: Option<ActivityId>,
    /// Whether the command ran (已认领); if not, `reason` says why (未生效).
    pub applied: bool,
    /// Why it was refused, in English as the rules say it; empty when applied.
    pub reason: String,
    /// When the node applied it.
    pub at: Timestamp,
}

crate::scan::hydrate_by_scan!(InboxOutcome { seq, kind, applied, reason, at; optional: wish, member, home, activity });
