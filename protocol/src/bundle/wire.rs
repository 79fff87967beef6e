//! The byte layout of a bundle, version 1: a fixed hand-written layout (like the
//! signed heads of `attest.rs`), not a serde encoding, so that what is signed cannot
//! drift with a library version. `docs/bundle-format.md` is the full specification;
//! in short, all integers big-endian:
//!
//! ```text
//! magic "WTBUNDLE" | version u16 | issuer [32] | kind u8 (1 changes, 2 figures, 3 roster)
//! | scope: len u8 (0,2,4,6,9,12) + ASCII digits
//! | audience: u8 (0 any roster holder | 1 key) [+ key 32]
//! | seq u64 | issued_at i64 ms | expires_at i64 ms | previous [32] (zeros: none)
//! | community: u8 (0 none | 1) [+ 12 ASCII digits]
//! | base heads: u32 count + 32 each | heads: u32 count + 32 each
//! | attestation: u8 (0 none | 1) [+ community 12 | seq u64 | at i64 | signer 32
//!                                  | signature 64 | u32 count + 32 each]
//! | payload length u64 | payload sha256 [32]          ← end of the signed header
//! | payload | signature [64] over "wishtree-bundle-v1" 0x00 ‖ header
//! ```
//!
//! A changes payload is a list of automerge changes: `count u32`, then for each
//! `length u32 + the change's chunk bytes`.

use automerge::{Change, ChangeHash};

use super::{Audience, Bundle, BundleError, BundleKind, FORMAT_VERSION, Header, Limits, MAGIC};
use crate::attest::SignedHeads;
use crate::guard::decode_untrusted;
use crate::keys::{PublicKey, Signature};
use crate::region::{CommunityCode, RegionPrefix};
use crate::time::Timestamp;

/// Encodes a header: the bytes the signature covers.
pub fn encode_header(header: &Header) -> Vec<u8> {
    let heads = header.base_heads.len()
        + header.heads.len()
        + header.attestation.as_ref().map_or(0, |a| a.heads.len());
    let mut out = Vec::with_capacity(400 + 32 * heads);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&header.version.to_be_bytes());
    out.extend_from_slice(&header.issuer.to_bytes());
    out.push(kind_byte(header.kind));
    let scope = header.scope.as_str().as_bytes();
    // Invariant: a region prefix has at most 12 digits.
    out.push(scope.len() as u8);
    out.extend_from_slice(scope);
    match header.audience {
        Audience::AnyRosterHolder => out.push(0),
        Audience::Key(key) => {
            out.push(1);
            out.extend_from_slice(&key.to_bytes());
        }
    }
    out.extend_from_slice(&header.seq.to_be_bytes());
    out.extend_from_slice(&header.issued_at.as_millis().to_be_bytes());
    out.extend_from_slice(&header.expires_at.as_millis().to_be_bytes());
    out.extend_from_slice(&header.previous.unwrap_or([0; 32]));
    match header.community {
        None => out.push(0),
        Some(community) => {
            out.push(1);
            out.extend_from_slice(community.as_str().as_bytes());
        }
    }
    put_heads(&mut out, &header.base_heads);
    put_heads(&mut out, &header.heads);
    match &header.attestation {
        None => out.push(0),
        Some(attestation) => {
            out.push(1);
            out.extend_from_slice(attestation.community.as_str().as_bytes());
            out.extend_from_slice(&attestation.seq.to_be_bytes());
            out.extend_from_slice(&attestation.at.as_millis().to_be_bytes());
            out.extend_from_slice(&attestation.signer.to_bytes());
            out.extend_from_slice(&attestation.signature.to_bytes());
            put_heads(&mut out, &attestation.heads);
        }
    }
    out.extend_from_slice(&header.payload_len.to_be_bytes());
    out.extend_from_slice(&header.payload_sha256);
    out
}

/// Encodes changes as a changes payload, each in its compressed chunk form.
pub fn encode_changes(changes: &mut [Change]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&(changes.len() as u32).to_be_bytes());
    for change in changes {
        let bytes = change.bytes();
        out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
        out.extend_from_slice(&bytes);
    }
    out
}

/// Decodes a changes payload. Never panics.
pub fn decode_changes(payload: &[u8], limits: &Limits) -> Result<Vec<Change>, BundleError> {
    let mut reader = Reader::new(payload);
    let count = reader.u32("change count").map_err(payload_error)? as usize;
    if count > limits.max_changes {
        return Err(BundleError::PayloadNotChanges(format!(
            "it holds {count} changes, more than the {} accepted",
            limits.max_changes
        )));
    }
    // Each change takes at least its 4-byte length, so a count larger than a quarter
    // of the bytes is a lie; checking it first keeps the allocation bounded.
    if count > reader.remaining() / 4 {
        return Err(BundleError::PayloadNotChanges(
            "it is cut short: fewer bytes than changes".to_owned(),
        ));
    }
    let mut changes = Vec::with_capacity(count);
    for index in 0..count {
        let length = reader.u32("change length").map_err(payload_error)? as usize;
        let bytes = reader.take(length, "change").map_err(payload_error)?;
        let unreadable = |why: String| {
            BundleError::PayloadNotChanges(format!("change {} cannot be read: {why}", index + 1))
        };
        let change = match decode_untrusted(|| Change::try_from(bytes)) {
            Some(Ok(change)) => change,
            Some(Err(error)) => return Err(unreadable(error.to_string())),
            None => return Err(unreadable("its columns are malformed".to_owned())),
        };
        changes.push(change);
    }
    if reader.remaining() != 0 {
        return Err(BundleError::PayloadNotChanges(
            "bytes follow the last change".to_owned(),
        ));
    }
    Ok(changes)
}

/// Decodes a bundle: size bounds first, then the header field by field, the payload
/// and the signature. Never panics, whatever the bytes.
pub(super) fn decode(bytes: &[u8], limits: &Limits) -> Result<Bundle, BundleError> {
    if bytes.len() as u64 > limits.max_bytes {
        return Err(BundleError::Oversized {
            size: bytes.len() as u64,
            limit: limits.max_bytes,
        });
    }
    let mut reader = Reader::new(bytes);
    let magic = reader.rest(MAGIC.len());
    if magic != &MAGIC[..magic.len()] {
        return Err(BundleError::BadMagic);
    }
    reader.take(MAGIC.len(), "magic")?;
    let version = reader.u16("format version")?;
    if version != FORMAT_VERSION {
        return Err(BundleError::UnsupportedVersion(version));
    }
    let issuer = reader.key("issuer")?;
    let kind = match reader.u8("kind")? {
        1 => BundleKind::Changes,
        2 => BundleKind::Figures,
        3 => BundleKind::Roster,
        _ => {
            return Err(malformed(
                "kind",
                "not 1 (changes), 2 (figures) or 3 (roster)",
            ));
        }
    };
    let scope = reader.scope()?;
    let audience = match reader.u8("audience")? {
        0 => Audience::AnyRosterHolder,
        1 => Audience::Key(reader.key("audience")?),
        _ => {
            return Err(malformed(
                "audience",
                "not 0 (any roster holder) or 1 (a key)",
            ));
        }
    };
    let seq = reader.u64("seq")?;
    let issued_at = Timestamp::from_millis(reader.i64("issued_at")?);
    let expires_at = Timestamp::from_millis(reader.i64("expires_at")?);
    if expires_at < issued_at {
        return Err(malformed("expires_at", "earlier than issued_at"));
    }
    let previous = reader.array::<32>("previous")?;
    let previous = (previous != [0; 32]).then_some(previous);
    let community = match reader.u8("community")? {
        0 => None,
        1 => Some(reader.community("community")?),
        _ => return Err(malformed("community", "not 0 (none) or 1 (present)")),
    };
    let base_heads = reader.heads("base heads", limits)?;
    let heads = reader.heads("heads", limits)?;
    let attestation = match reader.u8("attestation")? {
        0 => None,
        1 => {
            let community = reader.community("attestation")?;
            let seq = reader.u64("attestation")?;
            let at = Timestamp::from_millis(reader.i64("attestation")?);
            let signer = reader.key("attestation")?;
            let signature = Signature::from_bytes(reader.array::<64>("attestation")?);
            let heads = reader.heads("attested heads", limits)?;
            Some(SignedHeads {
                community,
                heads,
                seq,
                at,
                signer,
                signature,
            })
        }
        _ => return Err(malformed("attestation", "not 0 (none) or 1 (present)")),
    };
    let payload_len = reader.u64("payload length")?;
    let payload_sha256 = reader.array::<32>("payload hash")?;
    let header_end = reader.position();

    // The fields must agree with the kind: a changes bundle names its community, in
    // scope, and any signed heads are of that community.
    match kind {
        BundleKind::Changes => {
            let Some(code) = community else {
                return Err(malformed("community", "a changes bundle must name it"));
            };
            if !scope.contains(&code) {
                return Err(malformed("community", "outside the bundle's scope"));
            }
            if heads.is_empty() {
                return Err(malformed("heads", "a changes bundle must name them"));
            }
            if let Some(attestation) = &attestation
                && attestation.community != code
            {
                return Err(malformed(
                    "attestation",
                    "signed heads of another community than the bundle's",
                ));
            }
        }
        BundleKind::Figures | BundleKind::Roster => {
            if community.is_some()
                || !base_heads.is_empty()
                || !heads.is_empty()
                || attestation.is_some()
            {
                return Err(malformed(
                    "header",
                    "only a changes bundle names a community, heads or signed heads",
                ));
            }
        }
    }

    let size = (header_end as u64)
        .saturating_add(payload_len)
        .saturating_add(64);
    if size > limits.max_bytes {
        return Err(BundleError::Oversized {
            size,
            limit: limits.max_bytes,
        });
    }
    let payload_len =
        usize::try_from(payload_len).map_err(|_| BundleError::Truncated { field: "payload" })?;
    let payload = reader.take(payload_len, "payload")?.to_vec();
    let signature = Signature::from_bytes(reader.array::<64>("signature")?);
    if reader.remaining() != 0 {
        return Err(BundleError::TrailingBytes {
            count: reader.remaining() as u64,
        });
    }
    Ok(Bundle {
        header: Header {
            version,
            issuer,
            kind,
            scope,
            audience,
            seq,
            issued_at,
            expires_at,
            previous,
            community,
            base_heads,
            heads,
            attestation,
            payload_len: payload_len as u64,
            payload_sha256,
        },
        header_bytes: bytes[..header_end].to_vec(),
        payload,
        signature,
    })
}

/// A cursor over untrusted bytes: every read checks the length first.
struct Reader<'a> {
    bytes: &'a [u8],
    position: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, position: 0 }
    }

    fn position(&self) -> usize {
        self.position
    }

    fn remaining(&self) -> usize {
        self.bytes.len() - self.position
    }

    /// Up to `count` bytes from the cursor, without moving it.
    fn rest(&self, count: usize) -> &'a [u8] {
        &self.bytes[self.position..self.position + count.min(self.remaining())]
    }

    fn take(&mut self, count: usize, field: &'static str) -> Result<&'a [u8], BundleError> {
        if count > self.remaining() {
            return Err(BundleError::Truncated { field });
        }
        let taken = &self.bytes[self.position..self.position + count];
        self.position += count;
        Ok(taken)
    }

    fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], BundleError> {
        let mut array = [0u8; N];
        array.copy_from_slice(self.take(N, field)?);
        Ok(array)
    }

    fn u8(&mut self, field: &'static str) -> Result<u8, BundleError> {
        Ok(self.array::<1>(field)?[0])
    }

    fn u16(&mut self, field: &'static str) -> Result<u16, BundleError> {
        Ok(u16::from_be_bytes(self.array(field)?))
    }

    fn u32(&mut self, field: &'static str) -> Result<u32, BundleError> {
        Ok(u32::from_be_bytes(self.array(field)?))
    }

    fn u64(&mut self, field: &'static str) -> Result<u64, BundleError> {
        Ok(u64::from_be_bytes(self.array(field)?))
    }

    fn i64(&mut self, field: &'static str) -> Result<i64, BundleError> {
        Ok(i64::from_be_bytes(self.array(field)?))
    }

    fn key(&mut self, field: &'static str) -> Result<PublicKey, BundleError> {
        PublicKey::from_bytes(&self.array(field)?)
            .map_err(|_| malformed(field, "not a valid ed25519 public key"))
    }

    fn community(&mut self, field: &'static str) -> Result<CommunityCode, BundleError> {
        let digits = self.take(12, field)?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return Err(malformed(field, "a community code is 12 ASCII digits"));
        }
        // Invariant: ASCII digits are UTF-8.
        let text = std::str::from_utf8(digits).map_err(|_| malformed(field, "not ASCII"))?;
        text.parse()
            .map_err(|_| malformed(field, "not the code of a community"))
    }

    fn scope(&mut self) -> Result<RegionPrefix, BundleError> {
        let length = self.u8("scope")? as usize;
        if !matches!(length, 0 | 2 | 4 | 6 | 9 | 12) {
            return Err(malformed(
                "scope",
                "a region prefix has 0, 2, 4, 6, 9 or 12 digits",
            ));
        }
        let digits = self.take(length, "scope")?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return Err(malformed("scope", "a region prefix is ASCII digits"));
        }
        let text = std::str::from_utf8(digits).map_err(|_| malformed("scope", "not ASCII"))?;
        let scope: RegionPrefix = text
            .parse()
            .map_err(|_| malformed("scope", "not a region prefix"))?;
        // A 12-digit text padded with zeros parses as a shorter prefix; only the
        // canonical form is accepted, so that one scope has one encoding.
        if scope.as_str() != text {
            return Err(malformed("scope", "not in canonical form"));
        }
        Ok(scope)
    }

    fn heads(
        &mut self,
        field: &'static str,
        limits: &Limits,
    ) -> Result<Vec<ChangeHash>, BundleError> {
        let count = self.u32(field)? as usize;
        if count > limits.max_heads {
            return Err(BundleError::TooManyHeads {
                field,
                count,
                limit: limits.max_heads,
            });
        }
        // The capacity is bounded by the bytes present too, whatever the limit says.
        let mut heads = Vec::with_capacity(count.min(self.remaining() / 32));
        for _ in 0..count {
            heads.push(ChangeHash(self.array(field)?));
        }
        if heads.windows(2).any(|pair| pair[0] >= pair[1]) {
            return Err(malformed(field, "heads must be sorted and distinct"));
        }
        Ok(heads)
    }
}

fn kind_byte(kind: BundleKind) -> u8 {
    match kind {
        BundleKind::Changes => 1,
        BundleKind::Figures => 2,
        BundleKind::Roster => 3,
    }
}

fn put_heads(out: &mut Vec<u8>, heads: &[ChangeHash]) {
    out.extend_from_slice(&(heads.len() as u32).to_be_bytes());
    for head in heads {
        out.extend_from_slice(&head.0);
    }
}

fn malformed(field: &'static str, reason: &'static str) -> BundleError {
    BundleError::Malformed { field, reason }
}

fn payload_error(error: BundleError) -> BundleError {
    match error {
        BundleError::Truncated { field } => {
            BundleError::PayloadNotChanges(format!("it is cut short inside a {field}"))
        }
        other => other,
    }
}
