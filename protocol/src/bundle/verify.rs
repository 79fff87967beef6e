//! The checks a receiver runs on a decoded bundle, in DESIGN §7's order, stopping at
//! the first failure: size bounds (in [`Bundle::decode`]), known and unrevoked issuer
//! in scope, audience, signature, expiry (and not from the future beyond the allowed
//! skew), payload hash, seq greater than the last accepted from the issuer.
//!
//! The cheap checks that need no cryptography come first, so that junk costs little;
//! the signature comes before anything that trusts the header's times and seq. The
//! payload hash, the one cost that grows with the bundle, comes before the seq all the
//! same: a tampered copy of a bundle already delivered must be named as tampered, not
//! as a harmless replay, and the bundle was read whole anyway.

use std::collections::HashMap;
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::{Audience, Bundle, BundleError, DEFAULT_SKEW, VerifiedBundle};
use crate::keys::{PublicKey, SigningContext};
use crate::region::RegionPrefix;
use crate::roster::{KeyStanding, Roster};
use crate::time::Timestamp;

/// What a receiver knows when it checks a bundle: the roster's view of keys, and the
/// last seq it accepted from each issuer. The driver implements it over its store.
pub trait ReceiverState {
    /// The standing of a key.
    fn known_key(&self, key: &PublicKey) -> KeyStanding;
    /// The seq of the last bundle accepted from `issuer`, if any.
    fn last_accepted(&self, issuer: &PublicKey) -> Option<u64>;
}

/// A [`ReceiverState`] in memory, for tests and tools.
#[derive(Debug, Clone, Default)]
pub struct InMemoryState {
    keys: HashMap<PublicKey, KeyStanding>,
    last: HashMap<PublicKey, u64>,
}

/// The receiving side: who it is and what time it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Receiver {
    /// This side's key, which a bundle's audience must name (or be any roster holder).
    pub me: PublicKey,
    /// The receiver's clock, passed in.
    pub now: Timestamp,
    /// How far in the future a bundle's issue time may lie, for clocks that differ.
    pub skew: Duration,
}

impl InMemoryState {
    /// Knows no key and no seq.
    pub fn new() -> Self {
        Self::default()
    }

    /// The standings of a roster's keys, with no seq accepted yet.
    pub fn from_roster(roster: &Roster) -> Self {
        let mut state = Self::new();
        for entry in &roster.entries {
            state.keys.insert(entry.key, roster.standing(&entry.key));
        }
        for revocation in &roster.revoked {
            state
                .keys
                .insert(revocation.key, roster.standing(&revocation.key));
        }
        state
    }

    /// Enrols `key` for `scope`.
    pub fn enrol(&mut self, key: PublicKey, scope: RegionPrefix) {
        self.keys.insert(key, KeyStanding::Active { scope });
    }

    /// Revokes `key` at `at`.
    pub fn revoke(&mut self, key: PublicKey, at: Timestamp) {
        self.keys.insert(key, KeyStanding::Revoked { at });
    }

    /// Records `seq` as the last accepted from `issuer`: what the driver does in the
    /// transaction that stores the bundle's data.
    pub fn accept(&mut self, issuer: PublicKey, seq: u64) {
        self.last.insert(issuer, seq);
    }
}

impl ReceiverState for InMemoryState {
    fn known_key(&self, key: &PublicKey) -> KeyStanding {
        self.keys.get(key).cloned().unwrap_or(KeyStanding::Unknown)
    }

    fn last_accepted(&self, issuer: &PublicKey) -> Option<u64> {
        self.last.get(issuer).copied()
    }
}

impl Receiver {
    /// The receiver `me` at `now`, allowing [`DEFAULT_SKEW`] of clock difference.
    pub fn new(me: PublicKey, now: Timestamp) -> Self {
        Self {
            me,
            now,
            skew: DEFAULT_SKEW,
        }
    }
}

impl Bundle {
    /// Runs the checks in the module doc, stopping at the first failure. Only this
    /// makes a [`VerifiedBundle`].
    pub fn verify<S: ReceiverState + ?Sized>(
        self,
        receiver: &Receiver,
        state: &S,
    ) -> Result<VerifiedBundle, BundleError> {
        let header = &self.header;
        let issuer = header.issuer;

        match state.known_key(&issuer) {
            KeyStanding::Unknown => {
                return Err(BundleError::UnknownKey {
                    issuer: issuer.to_string(),
                });
            }
            KeyStanding::Revoked { at } => {
                return Err(BundleError::RevokedKey {
                    issuer: issuer.short(),
                    at: at.display_in_shanghai().to_string(),
                });
            }
            KeyStanding::Active { scope } => {
                if !scope.covers(&header.scope) {
                    return Err(BundleError::OutOfScope {
                        issuer: issuer.short(),
                        scope: header.scope.padded(),
                        allowed: scope.padded(),
                    });
                }
            }
        }

        if let Audience::Key(audience) = header.audience
            && audience != receiver.me
        {
            return Err(BundleError::WrongAudience {
                audience: audience.short(),
                me: receiver.me.short(),
            });
        }

        issuer
            .verify(SigningContext::Bundle, &self.header_bytes, &self.signature)
            .map_err(|_| BundleError::HeaderAltered)?;

        if receiver.now > header.expires_at {
            return Err(BundleError::Expired {
                expires_at: header.expires_at.display_in_shanghai().to_string(),
            });
        }
        let skew = i64::try_from(receiver.skew.as_millis()).unwrap_or(i64::MAX);
        if header.issued_at > receiver.now.plus_millis(skew) {
            return Err(BundleError::FromTheFuture {
                issued_at: header.issued_at.display_in_shanghai().to_string(),
            });
        }

        let hash: [u8; 32] = Sha256::digest(&self.payload).into();
        if hash != header.payload_sha256 {
            return Err(BundleError::PayloadAltered);
        }

        if let Some(last) = state.last_accepted(&issuer) {
            if header.seq == last {
                return Err(BundleError::Replayed { seq: header.seq });
            }
            if header.seq < last {
                return Err(BundleError::OlderThanAccepted {
                    seq: header.seq,
                    last,
                });
            }
        }

        Ok(VerifiedBundle { bundle: self })
    }
}
