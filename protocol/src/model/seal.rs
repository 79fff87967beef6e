//! Closing a half-year, as the community document keeps it: the seal under
//! `seals/{period}` (e.g. `seals/2026H1`), as text a person can read in the document
//! (see [`crate::seal`] for what a seal means and how it is checked), and the
//! community's evaluation of each member for a sealed period under `evaluations/{id}`.

use autosurgeon::Reconcile;

use crate::id::{EvaluationId, MemberId};
use crate::model::{Actor, EvaluationGrade};

use crate::region::CommunityCode;
use crate::seal::{SealError, SignedSeal};
use crate::time::{HalfYear, Timestamp};

/// A closed half-year: the heads its records end at, signed by the node.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, serde::Serialize)]
pub struct Seal {
    /// The sealed heads, as hex.
    pub heads: Vec<String>,
    /// When it was sealed, by the node's clock.
    pub at: Timestamp,
    /// The signing key, as text.
    pub signer: String,
    /// The signature, as hex.
    pub signature: String,
}

crate::scan::hydrate_by_scan!(Seal {
    heads,
    at,
    signer,
    signature
});

impl From<&SignedSeal> for Seal {
    fn from(seal: &SignedSeal) -> Self {
        Self {
            heads: seal.heads.iter().map(ToString::to_string).collect(),
            at: seal.at,
            signer: seal.signer.to_string(),
            signature: hex::encode(seal.signature.to_bytes()),
        }
    }
}

impl Seal {
    /// The statement to check: this seal read as `community`'s seal of `period`.
    pub fn signed(
        &self,
        community: CommunityCode,
        period: HalfYear,
    ) -> Result<SignedSeal, SealError> {
        let unreadable = |reason: &str| SealError::Unreadable {
            period,
            reason: reason.to_owned(),
        };
        let heads = self
            .heads
            .iter()
            .map(|head| head.parse())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| unreadable("a head is not a change hash"))?;
        let signer = self
            .signer
            .parse()
            .map_err(|_| unreadable("the signer is not a key"))?;
        let signature = <[u8; 64] as hex::FromHex>::from_hex(&self.signature)
            .map_err(|_| unreadable("the signature is not 128 hex digits"))?;
        Ok(SignedSeal {
            community,
            period,
            heads,
            at: self.at,
            signer,
            signature: crate::keys::Signature::from_bytes(signature),
        })
    }
}

/// The community's evaluation of a member for a sealed half-year (an 等次 and a
/// comment), recorded after the seal and signed with the next heads like any fact.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, serde::Serialize, serde::Deserialize)]
pub struct Evaluation {
    /// The member.
    pub member: MemberId,
    /// The half-year.
    pub period: HalfYear,
    /// The grade.
    pub grade: EvaluationGrade,
    /// The community's words.
    pub comment: String,
    /// Who recorded it.
    pub by: Actor,
    /// When it was recorded (last).
    pub at: Timestamp,
}

crate::scan::hydrate_by_scan!(Evaluation {
    member,
    period,
    grade,
    comment,
    by,
    at
});

impl Evaluation {
    /// The id of `member`'s evaluation for `period`: one per member and period.
    pub fn id_for(member: MemberId, period: HalfYear) -> EvaluationId {
        EvaluationId::derive(&[member.as_bytes(), period.to_string().as_bytes()])
    }
}
