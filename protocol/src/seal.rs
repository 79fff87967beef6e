//! Seals (`wishtree-seal-v1`): a community's signature over the heads its records for
//! a half-year end at (DESIGN §7, 报到—服务—报告).
//!
//! Closing a half-year, the node signs the heads of its document and writes the seal
//! into the document itself ([`crate::model::Seal`]), so the seal travels wherever the
//! document goes. Reports for a sealed period are computed from the document *at the
//! sealed heads* ([`crate::report::SealedReport`]): anyone holding the document and the
//! community's enrolled key can re-derive a report and check it, and a record dated
//! into the period but written after the seal shows as a late amendment, never
//! silently counted. The signed bytes share the layout of signed heads
//! ([`crate::attest`]) with the period in place of the seq:
//!
//! ```text
//! "wishtree-seal-v1" 0x00 | community (12 ASCII digits) | year (i32 BE) | half (u8)
//! | at (i64 BE, ms) | head count (u32 BE) | heads (32 bytes each, sorted, distinct)
//! ```

use automerge::ChangeHash;

use crate::attest::{AttestError, check_heads, statement_bytes};
use crate::keys::{BadSignature, KeyPair, PublicKey, Signature, SigningContext};
use crate::region::CommunityCode;
use crate::time::{HalfYear, Timestamp};

/// A seal as it is checked: the statement and its signature.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SignedSeal {
    /// The community whose document is sealed.
    pub community: CommunityCode,
    /// The half-year closed.
    pub period: HalfYear,
    /// The heads the period's records end at, sorted and distinct.
    #[serde(with = "crate::attest::heads_serde")]
    pub heads: Vec<ChangeHash>,
    /// When it was sealed, by the node's clock.
    pub at: Timestamp,
    /// Who sealed: the community's node key.
    pub signer: PublicKey,
    /// The signature over the layout in the module doc.
    #[serde(skip)]
    pub signature: Signature,
}

/// Why a seal does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// The heads are not in signed form.
    #[error(transparent)]
    Heads(#[from] AttestError),
    /// The signature is wrong.
    #[error(transparent)]
    Signature(#[from] BadSignature),
    /// Signed by a key the reader does not hold for the community (the hub's roster,
    /// the node's own key).
    #[error("the seal of {period} is signed by {signer}, not a key enrolled for the community")]
    NotEnrolled {
        /// The period.
        period: HalfYear,
        /// The signing key, short form.
        signer: String,
    },
    /// The seal as stored in the document cannot be read.
    #[error("the seal of {period} cannot be read: {reason}")]
    Unreadable {
        /// The period.
        period: HalfYear,
        /// What is wrong.
        reason: String,
    },
    /// The document does not hold the sealed heads (a seal naming changes that are
    /// not there was not written by this document's node).
    #[error("the seal of {period} names changes the document does not hold")]
    UnknownHeads {
        /// The period.
        period: HalfYear,
    },
}

impl SignedSeal {
    /// Seals `period` of `community` at `heads` (sorted and deduplicated first).
    pub fn sign(
        key: &KeyPair,
        community: CommunityCode,
        period: HalfYear,
        heads: &[ChangeHash],
        at: Timestamp,
    ) -> Self {
        let mut heads = heads.to_vec();
        heads.sort();
        heads.dedup();
        let signature = key.sign(
            SigningContext::Seal,
            &signed_bytes(community, period, &heads, at),
        );
        Self {
            community,
            period,
            heads,
            at,
            signer: key.public(),
            signature,
        }
    }

    /// Checks the form and the signature, by whichever key signed.
    pub fn verify(&self) -> Result<(), SealError> {
        check_heads(&self.heads)?;
        self.signer.verify(
            SigningContext::Seal,
            &signed_bytes(self.community, self.period, &self.heads, self.at),
            &self.signature,
        )?;
        Ok(())
    }

    /// Checks as [`SignedSeal::verify`], and that `enrolled` is the signer.
    pub fn verify_by(&self, enrolled: &PublicKey) -> Result<(), SealError> {
        self.verify()?;
        if &self.signer != enrolled {
            return Err(SealError::NotEnrolled {
                period: self.period,
                signer: self.signer.short(),
            });
        }
        Ok(())
    }
}

fn signed_bytes(
    community: CommunityCode,
    period: HalfYear,
    heads: &[ChangeHash],
    at: Timestamp,
) -> Vec<u8> {
    statement_bytes(
        community,
        &[
            &period.year().to_be_bytes(),
            &[period.half()],
            &at.as_millis().to_be_bytes(),
        ],
        heads,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> (KeyPair, SignedSeal) {
        let key = KeyPair::from_secret([5; 32]);
        let seal = SignedSeal::sign(
            &key,
            "130903003001".parse().unwrap(),
            HalfYear::new(2026, 1).unwrap(),
            &[
                ChangeHash([7; 32]),
                ChangeHash([2; 32]),
                ChangeHash([7; 32]),
            ],
            Timestamp::from_millis(1_783_000_000_000),
        );
        (key, seal)
    }

    #[test]
    fn a_seal_verifies_by_its_key_and_its_heads_are_canonical() {
        let (key, seal) = sample();
        assert_eq!(seal.heads, vec![ChangeHash([2; 32]), ChangeHash([7; 32])]);
        assert_eq!(seal.verify_by(&key.public()), Ok(()));
        let other = KeyPair::from_secret([6; 32]).public();
        assert!(matches!(
            seal.verify_by(&other),
            Err(SealError::NotEnrolled { .. })
        ));
    }

    #[test]
    fn changing_any_signed_field_breaks_the_seal() {
        let (_, seal) = sample();
        let tampered = [
            SignedSeal {
                community: "130903003002".parse().unwrap(),
                ..seal.clone()
            },
            SignedSeal {
                period: HalfYear::new(2026, 2).unwrap(),
                ..seal.clone()
            },
            SignedSeal {
                heads: vec![ChangeHash([2; 32])],
                ..seal.clone()
            },
            SignedSeal {
                at: Timestamp::from_millis(1),
                ..seal.clone()
            },
        ];
        for seal in tampered {
            assert!(
                matches!(seal.verify(), Err(SealError::Signature(_))),
                "{seal:?}"
            );
        }
    }

    #[test]
    fn signed_heads_cannot_pass_for_a_seal() {
        // The same key over the same heads in another context is not a seal.
        let (key, seal) = sample();
        let heads = crate::attest::SignedHeads::sign(&key, seal.community, &seal.heads, 1, seal.at);
        let forged = SignedSeal {
            signature: heads.signature,
            ..seal
        };
        assert!(forged.verify().is_err());
    }
}
