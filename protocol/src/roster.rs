//! The city roster (`wishtree-roster-v1`): which key speaks for which community or
//! district, and which keys were revoked, signed by the city key; and key rotation
//! statements (`wishtree-rotate-v1`) signed by the key being replaced.
//!
//! District hubs and nodes accept a roster only if the city key signed it and its
//! version is greater than the one they hold, so an old roster cannot be replayed to
//! bring a revoked key back. The signed bytes are a fixed layout, like the signed
//! heads of `attest.rs`; all integers big-endian:
//!
//! ```text
//! "wishtree-roster-v1" 0x00 | city: len u8 + ASCII digits | version u64 | issued_at i64 ms
//! | entries: u32 count, each key [32] | role u8 (1 node + community 12 digits
//!                                               | 2 hub + len u8 + scope digits)
//!                               | enrolled_at i64
//! | revoked: u32 count, each key [32] | at i64 | reason: u32 length + UTF-8
//! ```
//!
//! [`Roster::sign`] sorts entries by key and revocations by key and time first, so one
//! roster has one encoding. A signed roster travels as those bytes followed by the
//! 64-byte signature.
//!
//! **Revoked is not erased.** A revoked key stays among the entries, so data it signed
//! before its revocation can still be checked ([`Roster::was_valid_at`]) and is kept
//! and flagged rather than dropped.

use crate::keys::{KeyPair, PublicKey, Signature, SigningContext};
use crate::region::{CommunityCode, RegionPrefix};
use crate::time::Timestamp;

/// The longest revocation reason accepted, in bytes.
pub const MAX_REASON_BYTES: usize = 1024;

/// The city's list of enrolled and revoked keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roster {
    /// The city the roster is of.
    pub city: RegionPrefix,
    /// Grows with every roster the city issues.
    pub version: u64,
    /// When the city issued it.
    pub issued_at: Timestamp,
    /// The enrolled keys, revoked ones included.
    pub entries: Vec<RosterEntry>,
    /// The revocations.
    pub revoked: Vec<Revocation>,
}

/// One enrolled key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterEntry {
    /// The key.
    pub key: PublicKey,
    /// What it speaks for.
    pub role: Role,
    /// When it was enrolled; data it signed earlier is not vouched for.
    pub enrolled_at: Timestamp,
}

/// What a key speaks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// A community's node.
    Node {
        /// The community.
        community: CommunityCode,
    },
    /// A hub (district or city) for the communities of `scope`.
    Hub {
        /// The region.
        scope: RegionPrefix,
    },
}

/// A revoked key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    /// The key.
    pub key: PublicKey,
    /// From when it is no longer valid.
    pub at: Timestamp,
    /// Why, for people: "node lost", "rotated to ABCDEFG".
    pub reason: String,
}

/// A roster with the city's signature, as it travels. Its roster is reachable only
/// through [`SignedRoster::verify`] or [`SignedRoster::accept`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedRoster {
    roster: Roster,
    /// The signed bytes (without the context), exactly as received or made.
    body: Vec<u8>,
    signature: Signature,
}

/// A key announcing its successor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyRotation {
    /// The key being replaced; it signs the statement.
    pub old: PublicKey,
    /// The key that replaces it.
    pub new: PublicKey,
    /// From when the new key speaks instead of the old.
    pub at: Timestamp,
}

/// A rotation statement with the old key's signature. Signed bytes:
/// `"wishtree-rotate-v1" 0x00 | old [32] | new [32] | at i64 ms`; it travels as those
/// 72 bytes followed by the 64-byte signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignedRotation {
    rotation: KeyRotation,
    signature: Signature,
}

/// Why a roster or rotation statement was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RosterError {
    /// The bytes end early.
    #[error("the roster ends inside its {field}: it was cut short")]
    Truncated {
        /// The field.
        field: &'static str,
    },
    /// A field holds a value no roster writer produces.
    #[error("the roster's {field} is malformed: {reason}")]
    Malformed {
        /// The field.
        field: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
    /// Not signed by the city key, or altered after signing.
    #[error(
        "the roster is not signed by the city key {city}, or was altered after signing; it is refused"
    )]
    NotSignedByCity {
        /// The city key, short form.
        city: String,
    },
    /// The same version as the one held.
    #[error("the roster has version {version}, the one already held")]
    SameVersion {
        /// Its version.
        version: u64,
    },
    /// An older version than the one held: a rollback.
    #[error(
        "the roster has version {version}, older than the version {held} held; an old roster cannot replace a newer one"
    )]
    OlderVersion {
        /// Its version.
        version: u64,
        /// The version held.
        held: u64,
    },
    /// The rotation statement's signature does not verify by the old key.
    #[error("the key rotation statement is not signed by the key it replaces ({old})")]
    RotationNotSignedByOld {
        /// The old key, short form.
        old: String,
    },
    /// A rotation of a key that is not enrolled and active.
    #[error("key {key} is not an active key of the roster, so it cannot be rotated")]
    NotActive {
        /// The key, short form.
        key: String,
    },
}

/// What the receiver's roster says of a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyStanding {
    /// Not on the roster.
    Unknown,
    /// Enrolled, and may speak for the communities of `scope`.
    Active {
        /// The region the key may issue data about: a node's community, a hub's
        /// district, the city.
        scope: RegionPrefix,
    },
    /// Enrolled once, revoked at `at`.
    Revoked {
        /// When the revocation took effect.
        at: Timestamp,
    },
}

impl Roster {
    /// What the roster says of `key`. A key with any revocation is revoked (from its
    /// earliest); see [`Roster::was_valid_at`] for data signed before.
    pub fn standing(&self, key: &PublicKey) -> KeyStanding {
        if let Some(at) = self.revoked_at(key) {
            return KeyStanding::Revoked { at };
        }
        match self.entries.iter().find(|entry| &entry.key == key) {
            None => KeyStanding::Unknown,
            Some(entry) => KeyStanding::Active {
                scope: match &entry.role {
                    Role::Node { community } => community.as_region(),
                    Role::Hub { scope } => scope.clone(),
                },
            },
        }
    }

    /// The community's current key: its unrevoked node key, the latest enrolled if
    /// there are several.
    pub fn key_for(&self, community: &CommunityCode) -> Option<PublicKey> {
        self.entries
            .iter()
            .filter(|entry| matches!(&entry.role, Role::Node { community: c } if c == community))
            .filter(|entry| self.revoked_at(&entry.key).is_none())
            .max_by_key(|entry| entry.enrolled_at)
            .map(|entry| entry.key)
    }

    /// Whether `key` was enrolled and not yet revoked at `at`: whether data it signed
    /// at that time is vouched for, even if the key was revoked since.
    pub fn was_valid_at(&self, key: &PublicKey, at: Timestamp) -> bool {
        let enrolled = self
            .entries
            .iter()
            .any(|entry| &entry.key == key && entry.enrolled_at <= at);
        enrolled && self.revoked_at(key).is_none_or(|revoked| at < revoked)
    }

    /// Applies a verified rotation: enrols the new key in the old one's role from the
    /// rotation's time and revokes the old key from then. The city then signs the
    /// result as the next version.
    pub fn rotate(&mut self, rotation: &SignedRotation) -> Result<(), RosterError> {
        let rotation = *rotation.verify()?;
        let role = match self.standing(&rotation.old) {
            KeyStanding::Active { .. } => self
                .entries
                .iter()
                .find(|entry| entry.key == rotation.old)
                .map(|entry| entry.role.clone()),
            _ => None,
        };
        let Some(role) = role else {
            return Err(RosterError::NotActive {
                key: rotation.old.short(),
            });
        };
        self.entries.push(RosterEntry {
            key: rotation.new,
            role,
            enrolled_at: rotation.at,
        });
        self.revoked.push(Revocation {
            key: rotation.old,
            at: rotation.at,
            reason: format!("rotated to {}", rotation.new.short()),
        });
        Ok(())
    }

    /// Signs the roster with the city key, after sorting it into its one encoding.
    pub fn sign(mut self, city: &KeyPair) -> SignedRoster {
        self.entries.sort_by_key(|entry| entry.key.to_bytes());
        // A key is listed once; the first of several entries is the one kept.
        self.entries.dedup_by_key(|entry| entry.key.to_bytes());
        self.revoked
            .sort_by_key(|revocation| (revocation.key.to_bytes(), revocation.at));
        for revocation in &mut self.revoked {
            truncate_utf8(&mut revocation.reason, MAX_REASON_BYTES);
        }
        let body = encode_roster(&self);
        let signature = city.sign(SigningContext::Roster, &body);
        SignedRoster {
            roster: self,
            body,
            signature,
        }
    }

    fn revoked_at(&self, key: &PublicKey) -> Option<Timestamp> {
        self.revoked
            .iter()
            .filter(|revocation| &revocation.key == key)
            .map(|revocation| revocation.at)
            .min()
    }
}

impl SignedRoster {
    /// Reads a signed roster from its bytes, checking form only. Never panics.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, RosterError> {
        if bytes.len() < 64 {
            return Err(RosterError::Truncated { field: "signature" });
        }
        let (body, signature) = bytes.split_at(bytes.len() - 64);
        let mut signature_bytes = [0u8; 64];
        signature_bytes.copy_from_slice(signature);
        Ok(Self {
            roster: decode_roster(body)?,
            body: body.to_vec(),
            signature: Signature::from_bytes(signature_bytes),
        })
    }

    /// The bytes: the signed body and the signature.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(self.body.len() + 64);
        bytes.extend_from_slice(&self.body);
        bytes.extend_from_slice(&self.signature.to_bytes());
        bytes
    }

    /// The city the roster claims to be of (unchecked).
    pub fn city(&self) -> &RegionPrefix {
        &self.roster.city
    }

    /// The version the roster claims (unchecked).
    pub fn version(&self) -> u64 {
        self.roster.version
    }

    /// The roster, if the city key signed it.
    pub fn verify(&self, city_key: &PublicKey) -> Result<&Roster, RosterError> {
        city_key
            .verify(SigningContext::Roster, &self.body, &self.signature)
            .map_err(|_| RosterError::NotSignedByCity {
                city: city_key.short(),
            })?;
        Ok(&self.roster)
    }

    /// The roster, if the city key signed it and it is newer than the version `held`
    /// (none held: any version).
    pub fn accept(&self, city_key: &PublicKey, held: Option<u64>) -> Result<&Roster, RosterError> {
        let roster = self.verify(city_key)?;
        match held {
            Some(held) if roster.version == held => Err(RosterError::SameVersion {
                version: roster.version,
            }),
            Some(held) if roster.version < held => Err(RosterError::OlderVersion {
                version: roster.version,
                held,
            }),
            _ => Ok(roster),
        }
    }
}

impl KeyRotation {
    /// Signs the statement with the old key. The statement names `old.public()` as
    /// the old key, whatever `self.old` said.
    pub fn sign(self, old: &KeyPair) -> SignedRotation {
        let rotation = Self {
            old: old.public(),
            ..self
        };
        let signature = old.sign(SigningContext::KeyRotation, &rotation_bytes(&rotation));
        SignedRotation {
            rotation,
            signature,
        }
    }
}

impl SignedRotation {
    /// The statement, if the old key signed it.
    pub fn verify(&self) -> Result<&KeyRotation, RosterError> {
        self.rotation
            .old
            .verify(
                SigningContext::KeyRotation,
                &rotation_bytes(&self.rotation),
                &self.signature,
            )
            .map_err(|_| RosterError::RotationNotSignedByOld {
                old: self.rotation.old.short(),
            })?;
        Ok(&self.rotation)
    }

    /// The 136 bytes it travels as.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = rotation_bytes(&self.rotation);
        bytes.extend_from_slice(&self.signature.to_bytes());
        bytes
    }

    /// Reads a statement from its bytes, checking form only. Never panics.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, RosterError> {
        let mut reader = Reader { bytes, position: 0 };
        let old = reader.key("old key")?;
        let new = reader.key("new key")?;
        let at = Timestamp::from_millis(reader.i64("time")?);
        let signature = Signature::from_bytes(reader.array::<64>("signature")?);
        if reader.remaining() != 0 {
            return Err(RosterError::Malformed {
                field: "rotation",
                reason: "bytes after the signature",
            });
        }
        Ok(Self {
            rotation: KeyRotation { old, new, at },
            signature,
        })
    }

    /// The statement, unchecked.
    pub fn statement(&self) -> &KeyRotation {
        &self.rotation
    }
}

fn rotation_bytes(rotation: &KeyRotation) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(72);
    bytes.extend_from_slice(&rotation.old.to_bytes());
    bytes.extend_from_slice(&rotation.new.to_bytes());
    bytes.extend_from_slice(&rotation.at.as_millis().to_be_bytes());
    bytes
}

fn encode_roster(roster: &Roster) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + roster.entries.len() * 60);
    put_prefix(&mut out, &roster.city);
    out.extend_from_slice(&roster.version.to_be_bytes());
    out.extend_from_slice(&roster.issued_at.as_millis().to_be_bytes());
    out.extend_from_slice(&(roster.entries.len() as u32).to_be_bytes());
    for entry in &roster.entries {
        out.extend_from_slice(&entry.key.to_bytes());
        match &entry.role {
            Role::Node { community } => {
                out.push(1);
                out.extend_from_slice(community.as_str().as_bytes());
            }
            Role::Hub { scope } => {
                out.push(2);
                put_prefix(&mut out, scope);
            }
        }
        out.extend_from_slice(&entry.enrolled_at.as_millis().to_be_bytes());
    }
    out.extend_from_slice(&(roster.revoked.len() as u32).to_be_bytes());
    for revocation in &roster.revoked {
        out.extend_from_slice(&revocation.key.to_bytes());
        out.extend_from_slice(&revocation.at.as_millis().to_be_bytes());
        out.extend_from_slice(&(revocation.reason.len() as u32).to_be_bytes());
        out.extend_from_slice(revocation.reason.as_bytes());
    }
    out
}

fn decode_roster(body: &[u8]) -> Result<Roster, RosterError> {
    let mut reader = Reader {
        bytes: body,
        position: 0,
    };
    let city = reader.prefix("city")?;
    let version = reader.u64("version")?;
    let issued_at = Timestamp::from_millis(reader.i64("issued_at")?);
    let count = reader.u32("entries")? as usize;
    // An entry takes at least 53 bytes; the bound keeps the allocation honest.
    let mut entries = Vec::with_capacity(count.min(reader.remaining() / 53));
    for _ in 0..count {
        let key = reader.key("entry key")?;
        let role = match reader.u8("role")? {
            1 => Role::Node {
                community: reader.community()?,
            },
            2 => Role::Hub {
                scope: reader.prefix("hub scope")?,
            },
            _ => {
                return Err(RosterError::Malformed {
                    field: "role",
                    reason: "not 1 (node) or 2 (hub)",
                });
            }
        };
        let enrolled_at = Timestamp::from_millis(reader.i64("enrolled_at")?);
        entries.push(RosterEntry {
            key,
            role,
            enrolled_at,
        });
    }
    let count = reader.u32("revocations")? as usize;
    let mut revoked = Vec::with_capacity(count.min(reader.remaining() / 44));
    for _ in 0..count {
        let key = reader.key("revoked key")?;
        let at = Timestamp::from_millis(reader.i64("revoked at")?);
        let length = reader.u32("reason")? as usize;
        if length > MAX_REASON_BYTES {
            return Err(RosterError::Malformed {
                field: "reason",
                reason: "longer than 1024 bytes",
            });
        }
        let reason = std::str::from_utf8(reader.take(length, "reason")?)
            .map_err(|_| RosterError::Malformed {
                field: "reason",
                reason: "not UTF-8",
            })?
            .to_owned();
        revoked.push(Revocation { key, at, reason });
    }
    if reader.remaining() != 0 {
        return Err(RosterError::Malformed {
            field: "roster",
            reason: "bytes after the last revocation",
        });
    }
    if entries
        .windows(2)
        .any(|pair| pair[0].key.to_bytes() >= pair[1].key.to_bytes())
    {
        return Err(RosterError::Malformed {
            field: "entries",
            reason: "not sorted by key, or a key listed twice",
        });
    }
    Ok(Roster {
        city,
        version,
        issued_at,
        entries,
        revoked,
    })
}

fn put_prefix(out: &mut Vec<u8>, prefix: &RegionPrefix) {
    let digits = prefix.as_str().as_bytes();
    // Invariant: a region prefix has at most 12 digits.
    out.push(digits.len() as u8);
    out.extend_from_slice(digits);
}

fn truncate_utf8(text: &mut String, max: usize) {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
}

/// A cursor over untrusted bytes: every read checks the length first.
struct Reader<'a> {
    bytes: &'a [u8],
    position: usize,
}

impl<'a> Reader<'a> {
    fn remaining(&self) -> usize {
        self.bytes.len() - self.position
    }

    fn take(&mut self, count: usize, field: &'static str) -> Result<&'a [u8], RosterError> {
        if count > self.remaining() {
            return Err(RosterError::Truncated { field });
        }
        let taken = &self.bytes[self.position..self.position + count];
        self.position += count;
        Ok(taken)
    }

    fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], RosterError> {
        let mut array = [0u8; N];
        array.copy_from_slice(self.take(N, field)?);
        Ok(array)
    }

    fn u8(&mut self, field: &'static str) -> Result<u8, RosterError> {
        Ok(self.array::<1>(field)?[0])
    }

    fn u32(&mut self, field: &'static str) -> Result<u32, RosterError> {
        Ok(u32::from_be_bytes(self.array(field)?))
    }

    fn u64(&mut self, field: &'static str) -> Result<u64, RosterError> {
        Ok(u64::from_be_bytes(self.array(field)?))
    }

    fn i64(&mut self, field: &'static str) -> Result<i64, RosterError> {
        Ok(i64::from_be_bytes(self.array(field)?))
    }

    fn key(&mut self, field: &'static str) -> Result<PublicKey, RosterError> {
        PublicKey::from_bytes(&self.array(field)?).map_err(|_| RosterError::Malformed {
            field,
            reason: "not a valid ed25519 public key",
        })
    }

    fn community(&mut self) -> Result<CommunityCode, RosterError> {
        let digits = self.take(12, "community")?;
        std::str::from_utf8(digits)
            .ok()
            .filter(|text| text.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|text| text.parse().ok())
            .ok_or(RosterError::Malformed {
                field: "community",
                reason: "not the 12-digit code of a community",
            })
    }

    fn prefix(&mut self, field: &'static str) -> Result<RegionPrefix, RosterError> {
        let length = self.u8(field)? as usize;
        let malformed = RosterError::Malformed {
            field,
            reason: "not a region prefix of 0, 2, 4, 6, 9 or 12 ASCII digits in canonical form",
        };
        if !matches!(length, 0 | 2 | 4 | 6 | 9 | 12) {
            return Err(malformed);
        }
        let digits = self.take(length, field)?;
        let text = std::str::from_utf8(digits).map_err(|_| malformed.clone())?;
        if !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(malformed);
        }
        let prefix: RegionPrefix = text.parse().map_err(|_| malformed.clone())?;
        if prefix.as_str() != text {
            return Err(malformed);
        }
        Ok(prefix)
    }
}
