//! Seals at the hub (DESIGN §7). A community's sealed half-years are checked against
//! the roster — a seal holds only if its signature does, its signer is a key enrolled
//! for that community, and the document holds the heads it names — and a member's
//! sealed report is re-derived from the hub's copy of the document with the same code
//! the node runs (`wishtree_protocol::report::SealedReport`), so the hub and the node
//! agree on every figure of a sealed period.

use wishtree_protocol::frame::DocId;
use wishtree_protocol::id::MemberId;
use wishtree_protocol::keys::PublicKey;
use wishtree_protocol::model::Seal;
use wishtree_protocol::report::SealedReport;
use wishtree_protocol::view::CommunityView;
use wishtree_protocol::{CommunityCode, CommunityDoc, DocError, HalfYear};

use crate::state::Hub;
use crate::store::{EnrolledRole, HubStore, StoreError};

/// A document's seals, and how many of them do not hold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SealTally {
    /// Sealed half-years in the document (unreadable ones included).
    pub seals: u64,
    /// Of those, the ones that do not hold.
    pub failed: u64,
}

/// Why seals could not be checked.
#[derive(Debug, thiserror::Error)]
pub enum SealCheckError {
    /// The roster could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The document could not be read.
    #[error(transparent)]
    Doc(#[from] DocError),
}

/// Checks every seal of `doc` against the roster in `store`.
pub fn tally(
    store: &(impl HubStore + ?Sized),
    doc: &mut CommunityDoc,
) -> Result<SealTally, SealCheckError> {
    let (seals, malformed) = doc.entities::<Seal>()?;
    let mut tally = SealTally {
        seals: (seals.len() + malformed.len()) as u64,
        failed: malformed.len() as u64,
    };
    let code = doc.code();
    for (period, seal) in seals {
        let Ok(signed) = seal.signed(code, period) else {
            tally.failed += 1;
            continue;
        };
        let automerge = doc.automerge_mut();
        let heads_held = signed
            .heads
            .iter()
            .all(|head| automerge.get_change_meta_by_hash(head).is_some());
        let holds =
            heads_held && signed.verify().is_ok() && is_enrolled_for(store, code, &signed.signer)?;
        if !holds {
            tally.failed += 1;
        }
    }
    Ok(tally)
}

/// `member`'s report for `period` from the hub's copy of `code`'s document, against
/// the period's seal as the roster judges it.
pub fn sealed_report(
    hub: &Hub,
    code: CommunityCode,
    member: MemberId,
    period: HalfYear,
) -> anyhow::Result<SealedReport> {
    let automerge = hub.snapshot(DocId::Community(code))?;
    let mut doc = CommunityDoc::from_automerge(automerge, Some(code), [0; 16])?;
    let view = CommunityView::derive(&doc)?;
    // The roster is asked about the one key that signed, before the report is
    // computed: the check inside it cannot fail on a store error.
    let signer = doc
        .entity::<Seal>(period)?
        .and_then(|seal| seal.signer.parse::<PublicKey>().ok());
    let enrolled = match signer {
        Some(key) if is_enrolled_for(hub.store().as_ref(), code, &key)? => Some(key),
        _ => None,
    };
    Ok(SealedReport::compute(
        &mut doc,
        &view,
        member,
        period,
        |key| Some(*key) == enrolled,
    )?)
}

/// The keys that signed a seal of `doc` and are enrolled for its community: the
/// signers the figures' member reports trust (`figures::rederive_unit_reports`).
pub fn enrolled_signers(
    store: &(impl HubStore + ?Sized),
    doc: &mut CommunityDoc,
) -> Result<Vec<PublicKey>, SealCheckError> {
    let (seals, _malformed) = doc.entities::<Seal>()?;
    let mut enrolled = Vec::new();
    for (_, seal) in seals {
        let Ok(key) = seal.signer.parse::<PublicKey>() else {
            continue;
        };
        if !enrolled.contains(&key) && is_enrolled_for(store, doc.code(), &key)? {
            enrolled.push(key);
        }
    }
    Ok(enrolled)
}

/// Whether `key` is (or was: a seal made before a rotation or a revocation still
/// holds; the revocation is flagged on its own) enrolled for `code`'s node.
fn is_enrolled_for(
    store: &(impl HubStore + ?Sized),
    code: CommunityCode,
    key: &PublicKey,
) -> Result<bool, StoreError> {
    Ok(store.enrollment(key)?.is_some_and(
        |enrollment| matches!(enrollment.role, EnrolledRole::Node { community } if community == code),
    ))
}
