//! Applying a verified changes bundle to a document, and judging how much of the result
//! the community itself signed.
//!
//! All or nothing: the payload's changes are checked against the header before the
//! document is touched — every header head is in the document or the payload, every
//! change the payload needs is in the document or the payload, and every payload
//! change lies below the header's heads (nothing rides along that the heads do not
//! name) — then applied to a copy that replaces the document only on success. A
//! refused bundle leaves the document exactly as it was.
//!
//! The issuer's signature says who *carried* the changes; the community's signed heads
//! (the attestation) say whose they *are*. A district hub can sign anything it likes,
//! but cannot produce the community's signature over heads it altered or authored,
//! so [`VerifiedBundle::attestation_covers`] is what the city hub checks before it
//! counts a community's data as the community's own.

use std::collections::{HashMap, HashSet};

use automerge::{AutoCommit, Change, ChangeHash};

use super::{BundleError, BundleKind, Limits, VerifiedBundle, wire};
use crate::doc::CommunityDoc;
use crate::keys::PublicKey;
use crate::time::Timestamp;

/// What applying a changes bundle did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedChanges {
    /// The document's heads afterwards, sorted.
    pub heads: Vec<ChangeHash>,
    /// How many changes were new to the document.
    pub new_changes: usize,
    /// The community's signed heads the bundle carried, unchecked: see
    /// [`VerifiedBundle::attestation_covers`].
    pub attestation: Option<crate::attest::SignedHeads>,
}

/// How far a community's signed heads vouch for a document's heads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Coverage {
    /// Every head is one the community signed: the whole document is its own.
    Attested {
        /// The signer's seq of the signed heads.
        seq: u64,
        /// When the community signed them.
        at: Timestamp,
    },
    /// Some heads are not signed by the community: the changes above its signed heads
    /// were altered or authored by someone else. Keep the data and flag it.
    Unattested {
        /// The heads the community did not sign.
        heads: Vec<ChangeHash>,
    },
    /// The bundle carried no signed heads.
    NoAttestation,
    /// The community has no enrolled key on this side's roster.
    NoEnrolledKey,
    /// The signed heads are not signed by the community's enrolled key, or their
    /// signature does not verify: forged or damaged.
    BadAttestation {
        /// What was wrong.
        reason: String,
    },
}

impl VerifiedBundle {
    /// Applies the changes to a community's document, all or nothing (module doc).
    pub fn apply_changes(&self, doc: &mut CommunityDoc) -> Result<AppliedChanges, BundleError> {
        let code = doc.code();
        match self.header().community {
            Some(community) if community == code => {}
            other => {
                return Err(BundleError::WrongCommunity {
                    expected: code,
                    found: other.map_or_else(|| "none".to_owned(), |c| c.to_string()),
                });
            }
        }
        self.apply_changes_automerge(doc.automerge_mut())
    }

    /// Applies the changes to a bare automerge document, all or nothing. Prefer
    /// [`VerifiedBundle::apply_changes`], which also checks the community.
    pub fn apply_changes_automerge(
        &self,
        doc: &mut AutoCommit,
    ) -> Result<AppliedChanges, BundleError> {
        let header = self.header();
        if header.kind != BundleKind::Changes {
            return Err(BundleError::WrongKind {
                expected: BundleKind::Changes,
                found: header.kind,
            });
        }
        let limits = Limits::default();
        let changes = wire::decode_changes(self.payload(), &limits)?;
        let fresh = check_changes(doc, &header.heads, changes)?;
        let new_changes = fresh.len();
        if new_changes > 0 {
            // A copy keeps its save cursor (unlike a fork), so the driver's next
            // `save_incremental` holds exactly the new changes.
            let mut copy = doc.clone();
            copy.apply_changes(fresh)
                .map_err(|error| BundleError::Apply(error.to_string()))?;
            let missing = header
                .heads
                .iter()
                .filter(|head| copy.get_change_meta_by_hash(head).is_none())
                .count();
            if missing > 0 {
                return Err(BundleError::HeadsMismatch { missing, extra: 0 });
            }
            *doc = copy;
        }
        let mut heads = doc.get_heads();
        heads.sort();
        Ok(AppliedChanges {
            heads,
            new_changes,
            attestation: header.attestation.clone(),
        })
    }

    /// How far the community's signed heads in this bundle vouch for `heads_after`
    /// (the document's heads after applying it), given the community's key on this
    /// side's roster (`roster.key_for(community)`).
    ///
    /// A head counts as attested only if it is one of the signed heads. A head below
    /// a signed head that this side does not have cannot be told apart from one that
    /// was invented, so it counts as unattested until the rest arrives.
    pub fn attestation_covers(
        &self,
        heads_after: &[ChangeHash],
        enrolled: Option<&PublicKey>,
    ) -> Coverage {
        let Some(attestation) = &self.header().attestation else {
            return Coverage::NoAttestation;
        };
        let Some(enrolled) = enrolled else {
            return Coverage::NoEnrolledKey;
        };
        let attested = match attestation.verify_by(enrolled) {
            Ok(attested) => attested,
            Err(error) => {
                return Coverage::BadAttestation {
                    reason: error.to_string(),
                };
            }
        };
        let signed: HashSet<&ChangeHash> = attested.heads().iter().collect();
        let unattested: Vec<ChangeHash> = heads_after
            .iter()
            .filter(|head| !signed.contains(head))
            .copied()
            .collect();
        if unattested.is_empty() {
            Coverage::Attested {
                seq: attested.seq(),
                at: attested.signed().at,
            }
        } else {
            Coverage::Unattested { heads: unattested }
        }
    }
}

/// Checks the payload's changes against the document and the header's heads, and
/// returns those new to the document, without touching it.
fn check_changes(
    doc: &mut AutoCommit,
    heads: &[ChangeHash],
    changes: Vec<Change>,
) -> Result<Vec<Change>, BundleError> {
    let mut fresh: HashMap<ChangeHash, Change> = HashMap::with_capacity(changes.len());
    for change in changes {
        let hash = change.hash();
        if doc.get_change_meta_by_hash(&hash).is_none() {
            fresh.insert(hash, change);
        }
    }

    // Every header head is in the document already or arrives now.
    let missing = heads
        .iter()
        .filter(|head| !fresh.contains_key(head) && doc.get_change_meta_by_hash(head).is_none())
        .count();

    // Walk down from the header's heads through the new changes: every dependency is
    // new or already in the document, and every new change is reached.
    let mut reached: HashSet<ChangeHash> = HashSet::with_capacity(fresh.len());
    let mut stack: Vec<ChangeHash> = heads
        .iter()
        .filter(|head| fresh.contains_key(head))
        .copied()
        .collect();
    let mut missing_base = 0;
    while let Some(hash) = stack.pop() {
        if !reached.insert(hash) {
            continue;
        }
        let Some(change) = fresh.get(&hash) else {
            continue;
        };
        for dep in change.deps() {
            if fresh.contains_key(dep) {
                stack.push(*dep);
            } else if doc.get_change_meta_by_hash(dep).is_none() {
                missing_base += 1;
            }
        }
    }
    if missing_base > 0 {
        return Err(BundleError::MissingBase {
            missing: missing_base,
        });
    }
    let extra = fresh.len() - reached.len();
    if missing > 0 || extra > 0 {
        return Err(BundleError::HeadsMismatch { missing, extra });
    }

    // Dependencies first, as automerge applies them in order most cheaply.
    let mut ordered: Vec<Change> = fresh.into_values().collect();
    ordered.sort_by_key(|change| (change.seq(), change.hash()));
    Ok(ordered)
}
