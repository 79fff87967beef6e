//! A seal as the community document keeps it: under `seals/{period}` (e.g.
//! `seals/2026H1`), as text a person can read in the document. See [`crate::seal`] for
//! what a seal means and how it is checked.

use autosurgeon::Reconcile;

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
