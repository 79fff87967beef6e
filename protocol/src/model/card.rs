//! The record of a member card (党员服务卡) in the community document: what the hub
//! checks a card against on every request (see [`crate::card`]).

use autosurgeon::Reconcile;

use crate::card::CardSecretHash;
use crate::id::MemberId;
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
