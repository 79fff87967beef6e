//! Bundles (`wishtree-bundle-v1`): signed, self-contained files or messages that carry
//! a community's changes, figures or the roster between hubs, or on a USB stick when
//! the network is gone (DESIGN §7).
//!
//! A bundle is checked by whoever receives it, whoever carried it: who issued it (a key
//! on the roster, in scope, not revoked), for whom, that nothing in it was altered,
//! that it is not stale and not a replay. The byte layout is in [`wire`] and in
//! `docs/bundle-format.md`; the checks, in DESIGN's order, are in [`verify`]; applying
//! the changes of a checked bundle to a document is in [`apply`].
//!
//! The steps of a receiver:
//!
//! ```text
//! bytes ──Bundle::decode(limits)──▶ Bundle ──verify(receiver, state)──▶ VerifiedBundle
//!       ──apply_changes(doc)──▶ AppliedChanges ──attestation_covers(heads, key)──▶ Coverage
//! ```
//!
//! Only [`Bundle::verify`] makes a [`VerifiedBundle`], and only a verified bundle can
//! be applied or its payload read: the type records that the checks ran.
//!
//! **The caller stores the new seq in the same transaction as the data.** After
//! [`VerifiedBundle::apply_changes`] succeeds, the driver writes the document's new
//! chunk and `seq` as the last accepted from the issuer ([`ReceiverState::last_accepted`])
//! in one transaction. Stored apart, a crash between the two writes would either
//! refuse the next bundle or accept a replay of this one.

pub mod apply;
pub mod verify;
pub mod wire;

use automerge::ChangeHash;
use sha2::{Digest, Sha256};

use crate::attest::SignedHeads;
use crate::doc::CommunityDoc;
use crate::keys::{KeyPair, PublicKey, Signature, SigningContext};
use crate::region::{CommunityCode, RegionPrefix};
use crate::roster::SignedRoster;
use crate::time::Timestamp;

/// Re-exported where bundles were first checked against a roster.
pub use crate::roster::KeyStanding;
pub use apply::{AppliedChanges, Coverage};
pub use verify::{InMemoryState, Receiver, ReceiverState};

/// The first 8 bytes of every bundle.
pub const MAGIC: &[u8; 8] = b"WTBUNDLE";
/// The format version this build writes and reads.
pub const FORMAT_VERSION: u16 = 1;
/// The clock difference tolerated between issuer and receiver by default: 10 minutes.
pub const DEFAULT_SKEW: std::time::Duration = std::time::Duration::from_secs(600);

/// What a bundle carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BundleKind {
    /// Automerge changes of one community's document.
    Changes,
    /// Figure tables derived by a hub (opaque to this module).
    Figures,
    /// A signed roster ([`SignedRoster`] bytes).
    Roster,
}

/// Who a bundle is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Audience {
    /// Whoever holds the city roster may accept it, e.g. a roster bundle.
    AnyRosterHolder,
    /// Only the holder of this key, e.g. the city hub or one peer district hub.
    Key(PublicKey),
}

/// Size bounds checked before anything else, so that a hostile file cannot make the
/// receiver allocate or hash without limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest bundle accepted, in bytes, all parts included.
    pub max_bytes: u64,
    /// The most heads (base heads, heads, attested heads) a header may name, each.
    pub max_heads: usize,
    /// The most changes a changes payload may hold.
    pub max_changes: usize,
}

/// The header of a bundle: every field is inside the signed bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The format version, [`FORMAT_VERSION`].
    pub version: u16,
    /// Who issued and signed the bundle.
    pub issuer: PublicKey,
    /// What the payload is.
    pub kind: BundleKind,
    /// The region the content is about; must lie within the issuer's scope.
    pub scope: RegionPrefix,
    /// Who may accept it.
    pub audience: Audience,
    /// The issuer's sequence number: each bundle it issues has a greater one.
    pub seq: u64,
    /// When it was issued, by the issuer's clock.
    pub issued_at: Timestamp,
    /// After this instant it is refused as stale.
    pub expires_at: Timestamp,
    /// The hash ([`Bundle::hash`]) of the issuer's previous bundle, if any.
    pub previous: Option<[u8; 32]>,
    /// The community whose document the changes are of (kind changes only).
    pub community: Option<CommunityCode>,
    /// The heads the payload builds on (what the receiver already has); empty for the
    /// whole history. Sorted and distinct.
    pub base_heads: Vec<ChangeHash>,
    /// The heads of the document the payload brings the receiver to. Sorted and
    /// distinct.
    pub heads: Vec<ChangeHash>,
    /// The community's own signed heads, carried so that a receiver can check that a
    /// hub in between did not alter or invent the community's changes.
    pub attestation: Option<SignedHeads>,
    /// The length of the payload in bytes.
    pub payload_len: u64,
    /// The SHA-256 of the payload.
    pub payload_sha256: [u8; 32],
}

/// A decoded bundle, not yet checked. Its payload is reachable only through
/// [`Bundle::verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundle {
    header: Header,
    /// The signed bytes, magic to payload hash, exactly as received.
    header_bytes: Vec<u8>,
    payload: Vec<u8>,
    signature: Signature,
}

/// A bundle whose checks all passed. Only [`Bundle::verify`] makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedBundle {
    bundle: Bundle,
}

/// A bundle to be made: its header fields and payload. Build one with
/// [`NewBundle::changes`], [`NewBundle::figures`] or [`NewBundle::roster`], adjust a
/// field if needed, and [`NewBundle::sign`] it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBundle {
    /// What the payload is.
    pub kind: BundleKind,
    /// The region the content is about.
    pub scope: RegionPrefix,
    /// The community of a changes bundle.
    pub community: Option<CommunityCode>,
    /// The heads the payload builds on.
    pub base_heads: Vec<ChangeHash>,
    /// The heads the payload brings the receiver to.
    pub heads: Vec<ChangeHash>,
    /// The community's signed heads, if carried.
    pub attestation: Option<SignedHeads>,
    /// Who it is for, its place in the issuer's sequence and its validity window.
    pub envelope: Envelope,
    /// The payload.
    pub payload: Vec<u8>,
}

/// The fields of a bundle that say who it is for and when it is good: the same for
/// every kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Envelope {
    /// Who may accept it.
    pub audience: Audience,
    /// The issuer's sequence number, greater than that of any bundle it issued before.
    pub seq: u64,
    /// The hash of the issuer's previous bundle, if any.
    pub previous: Option<[u8; 32]>,
    /// When it is issued.
    pub issued_at: Timestamp,
    /// When it goes stale.
    pub expires_at: Timestamp,
}

/// Why a bundle was refused. Each variant is one reason, so that a receiver can say
/// exactly what was wrong and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BundleError {
    /// Larger than the receiver accepts.
    #[error(
        "the bundle is {size} bytes, more than the {limit} bytes accepted; ask for a bundle built on what this side already has"
    )]
    Oversized {
        /// Its size (or the size it declares).
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The bytes end before the bundle does.
    #[error("the bundle ends inside its {field}: it was cut short — copy it again")]
    Truncated {
        /// The field the bytes ended in.
        field: &'static str,
    },
    /// Does not start with `WTBUNDLE`.
    #[error("this is not a wishtree bundle (it does not start with WTBUNDLE)")]
    BadMagic,
    /// A format version this build does not read.
    #[error(
        "the bundle has format version {0}; this build reads version 1 — update wishtree to read it"
    )]
    UnsupportedVersion(u16),
    /// A field holds a value no bundle writer produces.
    #[error("the bundle's {field} is malformed: {reason}")]
    Malformed {
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// More heads than the limit.
    #[error("the bundle's {field} name {count} heads; at most {limit} are accepted")]
    TooManyHeads {
        /// Which list.
        field: &'static str,
        /// How many it names.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// Bytes after the signature.
    #[error(
        "the bundle has {count} bytes after its signature: something was appended to it — copy it again"
    )]
    TrailingBytes {
        /// How many.
        count: u64,
    },
    /// The issuer is not on the roster this side holds.
    #[error(
        "the bundle was issued by key {issuer}, which is not on the roster; enrol the key or update the roster"
    )]
    UnknownKey {
        /// The issuer's key in full, as `enroll --key` takes it.
        issuer: String,
    },
    /// The issuer's key was revoked.
    #[error("the bundle was issued by key {issuer}, which was revoked on {at}; it is refused")]
    RevokedKey {
        /// The issuer, short form.
        issuer: String,
        /// When it was revoked, Shanghai time.
        at: String,
    },
    /// The bundle's region or community is outside what the issuer may speak for.
    #[error("key {issuer} may issue bundles for region {allowed}, not for {scope}")]
    OutOfScope {
        /// The issuer, short form.
        issuer: String,
        /// The scope (or community) the bundle names.
        scope: String,
        /// The issuer's scope on the roster.
        allowed: String,
    },
    /// Addressed to another key.
    #[error(
        "the bundle is addressed to key {audience}, not to this side ({me}); deliver it to its addressee"
    )]
    WrongAudience {
        /// The addressee, short form.
        audience: String,
        /// This side's key, short form.
        me: String,
    },
    /// The signature does not verify over the header: a header byte was changed.
    #[error(
        "the bundle's signature does not match its header: the header was altered after signing"
    )]
    HeaderAltered,
    /// Past its expiry.
    #[error("the bundle expired on {expires_at}; ask the issuer for a fresh one")]
    Expired {
        /// The expiry, Shanghai time.
        expires_at: String,
    },
    /// Issued later than now plus the allowed skew.
    #[error(
        "the bundle says it was issued on {issued_at}, later than this side's clock allows; check the clocks of both sides"
    )]
    FromTheFuture {
        /// The issue time, Shanghai time.
        issued_at: String,
    },
    /// The same seq as the last bundle accepted from the issuer.
    #[error("the bundle (seq {seq}) was already accepted from this issuer: a replay")]
    Replayed {
        /// Its seq.
        seq: u64,
    },
    /// A smaller seq than the last accepted: a rollback to older data.
    #[error(
        "the bundle (seq {seq}) is older than the last one accepted from this issuer (seq {last}); it would roll data back"
    )]
    OlderThanAccepted {
        /// Its seq.
        seq: u64,
        /// The last accepted.
        last: u64,
    },
    /// The payload's hash differs from the signed one.
    #[error("the bundle's payload does not match its signed hash: the payload was altered")]
    PayloadAltered,
    /// The operation needs another kind of bundle.
    #[error("the bundle carries {found:?}, not {expected:?}")]
    WrongKind {
        /// What was needed.
        expected: BundleKind,
        /// What it carries.
        found: BundleKind,
    },
    /// Changes of another community than the document's.
    #[error("the bundle carries changes of community {found}, not of {expected}")]
    WrongCommunity {
        /// The document's community.
        expected: CommunityCode,
        /// The bundle's.
        found: String,
    },
    /// The payload is not a list of automerge changes.
    #[error("the bundle's payload is not a list of document changes: {0}")]
    PayloadNotChanges(String),
    /// The payload builds on changes the document does not have.
    #[error(
        "the bundle builds on {missing} changes this document does not have; ask for a bundle of the whole history"
    )]
    MissingBase {
        /// How many dependencies are missing.
        missing: usize,
    },
    /// Applying the payload would not give the heads the header names.
    #[error(
        "the bundle's changes do not lead to the heads it names ({missing} heads missing, {extra} changes beyond them); nothing was applied"
    )]
    HeadsMismatch {
        /// Header heads neither in the document nor in the payload.
        missing: usize,
        /// Payload changes that are not below the header's heads.
        extra: usize,
    },
    /// Automerge refused the changes.
    #[error("the document refused the bundle's changes: {0}")]
    Apply(String),
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_bytes: 256 * 1024 * 1024,
            max_heads: crate::attest::MAX_HEADS,
            max_changes: 1_000_000,
        }
    }
}

impl Bundle {
    /// Decodes a bundle, checking its size and form but not its signature. Never
    /// panics, whatever the bytes.
    pub fn decode(bytes: &[u8], limits: &Limits) -> Result<Self, BundleError> {
        wire::decode(bytes, limits)
    }

    /// The header, as read: unchecked until [`Bundle::verify`].
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The hash that names this bundle in its issuer's next bundle's `previous`:
    /// SHA-256 of all its bytes.
    pub fn hash(&self) -> [u8; 32] {
        let mut hasher = Sha256::new();
        hasher.update(&self.header_bytes);
        hasher.update(&self.payload);
        hasher.update(self.signature.to_bytes());
        hasher.finalize().into()
    }

    /// The size of the bundle in bytes.
    pub fn len(&self) -> u64 {
        (self.header_bytes.len() + self.payload.len() + 64) as u64
    }

    /// Never true: a bundle has at least a header and a signature.
    pub fn is_empty(&self) -> bool {
        false
    }
}

impl VerifiedBundle {
    /// The checked header.
    pub fn header(&self) -> &Header {
        &self.bundle.header
    }

    /// The checked payload.
    pub fn payload(&self) -> &[u8] {
        &self.bundle.payload
    }

    /// The bundle's hash, see [`Bundle::hash`].
    pub fn hash(&self) -> [u8; 32] {
        self.bundle.hash()
    }

    /// The roster a roster bundle carries, still to be verified with the city key.
    pub fn roster(&self) -> Result<SignedRoster, BundleError> {
        let kind = self.bundle.header.kind;
        if kind != BundleKind::Roster {
            return Err(BundleError::WrongKind {
                expected: BundleKind::Roster,
                found: kind,
            });
        }
        SignedRoster::from_bytes(&self.bundle.payload).map_err(|_| BundleError::Malformed {
            field: "payload",
            reason: "not a signed roster",
        })
    }
}

impl NewBundle {
    /// A changes bundle of `doc`: the changes not below `base_heads` (what the receiver
    /// already has; empty for the whole history), up to the document's heads. Base
    /// heads the document does not know are dropped, since no change can be left out
    /// for them. The scope is the community itself.
    pub fn changes(
        doc: &mut CommunityDoc,
        base_heads: &[ChangeHash],
        attestation: Option<SignedHeads>,
        envelope: Envelope,
    ) -> Self {
        let community = doc.code();
        let automerge = doc.automerge_mut();
        let mut base: Vec<ChangeHash> = base_heads
            .iter()
            .copied()
            .filter(|hash| automerge.get_change_meta_by_hash(hash).is_some())
            .collect();
        base.sort();
        base.dedup();
        let mut changes = automerge.get_changes(&base);
        let payload = wire::encode_changes(&mut changes);
        Self {
            kind: BundleKind::Changes,
            scope: community.as_region(),
            community: Some(community),
            base_heads: base,
            heads: doc.heads(),
            attestation,
            envelope,
            payload,
        }
    }

    /// A figures bundle about `scope`.
    pub fn figures(scope: RegionPrefix, payload: Vec<u8>, envelope: Envelope) -> Self {
        Self {
            kind: BundleKind::Figures,
            scope,
            community: None,
            base_heads: Vec::new(),
            heads: Vec::new(),
            attestation: None,
            envelope,
            payload,
        }
    }

    /// A roster bundle; its scope is the roster's city.
    pub fn roster(roster: &SignedRoster, envelope: Envelope) -> Self {
        Self {
            kind: BundleKind::Roster,
            scope: roster.city().clone(),
            community: None,
            base_heads: Vec::new(),
            heads: Vec::new(),
            attestation: None,
            envelope,
            payload: roster.to_bytes(),
        }
    }

    /// Signs the bundle with the issuer's key and returns its bytes. Heads lists are
    /// sorted and deduplicated first, as the format requires.
    pub fn sign(mut self, issuer: &KeyPair) -> Vec<u8> {
        self.base_heads.sort();
        self.base_heads.dedup();
        self.heads.sort();
        self.heads.dedup();
        let header = Header {
            version: FORMAT_VERSION,
            issuer: issuer.public(),
            kind: self.kind,
            scope: self.scope,
            audience: self.envelope.audience,
            seq: self.envelope.seq,
            issued_at: self.envelope.issued_at,
            expires_at: self.envelope.expires_at,
            previous: self.envelope.previous,
            community: self.community,
            base_heads: self.base_heads,
            heads: self.heads,
            attestation: self.attestation,
            payload_len: self.payload.len() as u64,
            payload_sha256: Sha256::digest(&self.payload).into(),
        };
        let mut bytes = wire::encode_header(&header);
        let signature = issuer.sign(SigningContext::Bundle, &bytes);
        bytes.reserve(self.payload.len() + 64);
        bytes.extend_from_slice(&self.payload);
        bytes.extend_from_slice(&signature.to_bytes());
        bytes
    }
}

/// The hash of an encoded bundle, as [`Bundle::hash`] computes it: for the
/// `previous` field of the issuer's next bundle.
pub fn bundle_hash(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}
