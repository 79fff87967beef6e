//! The sealing half of residents' submissions: the node's X25519 encryption key, its
//! statement signed by the node's ed25519 key, and the HPKE seal and open of a
//! resident's personal details (RFC 9180, base mode, DHKEM(X25519, HKDF-SHA256),
//! HKDF-SHA256, ChaCha20Poly1305). What is sealed and the submission around it live in
//! `super`.
//!
//! **The node's encryption key** is an X25519 key apart from its ed25519 identity, so a
//! signing key is never used for key agreement. The node publishes it in its own
//! document as a [`SignedEncryptionKey`] (`wishtree-sealkey-v1`), signed by its ed25519
//! key; the hub seals only to a key whose statement verifies against the key the
//! roster enrols for that community now. Signed bytes:
//!
//! ```text
//! "wishtree-sealkey-v1" 0x00 | community (12 ASCII digits) | x25519 public [32]
//! | at (i64 BE, ms) | signer (ed25519 public [32])
//! ```
//!
//! The statement travels as those bytes (without the context) and the 64-byte
//! signature, in base64url.
//!
//! **What is sealed** is [`ResidentDetails`] as three u16-length-prefixed UTF-8 fields;
//! the HPKE `info` names the format and the AAD binds the ciphertext to its community
//! and receipt code, so it cannot be moved to another submission. A sealed blob is the
//! 32-byte encapsulated key followed by the ciphertext and its 16-byte tag.
//! Randomness is a parameter (a 32-byte seed from the driver), as everywhere in this
//! crate.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hpke::aead::ChaCha20Poly1305;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable, Kem as _, OpModeR, OpModeS, Serializable};
use sha2::{Digest, Sha256};

use super::{ReceiptCode, ResidentDetails};
use crate::keys::{KeyPair, PublicKey, Signature, SigningContext};
use crate::region::CommunityCode;
use crate::time::Timestamp;

/// The HPKE `info` of every sealed submission: the format's name.
pub const HPKE_INFO: &[u8] = b"wishtree-submission-v1";
/// The largest sealed blob a decoder reads, in bytes: three fields at their limits
/// with room to spare. A larger one is refused before anything is decrypted.
pub const MAX_SEALED_BYTES: usize = 2048;

/// The encapsulated key's length (X25519).
const ENCAPPED_BYTES: usize = 32;
/// The AEAD tag's length (ChaCha20Poly1305).
const TAG_BYTES: usize = 16;
/// The signed statement's length without its signature.
const STATEMENT_BYTES: usize = 12 + 32 + 8 + 32;

/// The KEM of every submission.
type Kem = X25519HkdfSha256;

/// A node's X25519 key pair for sealed submissions, kept from a 32-byte seed.
#[derive(Clone)]
pub struct EncryptionKeyPair {
    seed: [u8; 32],
    private: <Kem as hpke::Kem>::PrivateKey,
    public: EncryptionKey,
}

/// A node's public X25519 key, to which the hub seals.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct EncryptionKey([u8; 32]);

/// A node's encryption key, signed by the node's ed25519 key (see the module doc).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedEncryptionKey {
    /// The community whose node it is.
    pub community: CommunityCode,
    /// The X25519 public key.
    pub key: EncryptionKey,
    /// When the node published it.
    pub at: Timestamp,
    /// The ed25519 key that signed it.
    pub signer: PublicKey,
    signature: Signature,
}

/// Personal details sealed to a node's key: the encapsulated key, then the ciphertext.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedDetails {
    encapped: [u8; ENCAPPED_BYTES],
    ciphertext: Vec<u8>,
}

/// Why sealed bytes, a statement or a receipt were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// The bytes are not of the format.
    #[error("the sealed submission is malformed: {0}")]
    Malformed(&'static str),
    /// Larger than [`MAX_SEALED_BYTES`].
    #[error("the sealed submission has {0} bytes; at most {MAX_SEALED_BYTES} are read")]
    TooLarge(usize),
    /// Not sealed to this key, or altered, or moved to another submission.
    #[error(
        "the sealed submission does not open with this node's key: not sealed to it, or altered"
    )]
    DoesNotOpen,
    /// HPKE refused to seal (a degenerate public key).
    #[error("the node's encryption key cannot be sealed to")]
    CannotSeal,
    /// The statement is not signed by the community's enrolled key.
    #[error("the encryption key is not signed by the community's enrolled node key")]
    NotSigned,
}

impl EncryptionKeyPair {
    /// The key pair derived from `seed` (32 random bytes from the driver, kept).
    pub fn from_seed(seed: [u8; 32]) -> Self {
        let (private, public) = Kem::derive_keypair(&seed);
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(&public.to_bytes());
        Self {
            seed,
            private,
            public: EncryptionKey(bytes),
        }
    }

    /// The seed, to store.
    pub fn seed(&self) -> [u8; 32] {
        self.seed
    }

    /// The public key.
    pub fn public(&self) -> EncryptionKey {
        self.public
    }

    /// Opens details sealed for `community` under `receipt`.
    pub fn open(
        &self,
        community: CommunityCode,
        receipt: ReceiptCode,
        sealed: &SealedDetails,
    ) -> Result<ResidentDetails, SealError> {
        let encapped = <Kem as hpke::Kem>::EncappedKey::from_bytes(&sealed.encapped)
            .map_err(|_| SealError::DoesNotOpen)?;
        let plain = hpke::single_shot_open::<ChaCha20Poly1305, HkdfSha256, Kem>(
            &OpModeR::Base,
            &self.private,
            &encapped,
            HPKE_INFO,
            &sealed.ciphertext,
            &aad(community, receipt),
        )
        .map_err(|_| SealError::DoesNotOpen)?;
        ResidentDetails::decode(&plain)
    }
}

impl fmt::Debug for EncryptionKeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The seed is the secret: never printed.
        f.debug_struct("EncryptionKeyPair")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

impl EncryptionKey {
    /// The key from its 32 bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Its 32 bytes.
    pub fn to_bytes(self) -> [u8; 32] {
        self.0
    }

    /// Seals `details` to this key for `community` under `receipt`; `seed` is 32 random
    /// bytes for the ephemeral key (drawn by the driver).
    pub fn seal(
        &self,
        community: CommunityCode,
        receipt: ReceiptCode,
        details: &ResidentDetails,
        seed: [u8; 32],
    ) -> Result<SealedDetails, SealError> {
        let recipient = <Kem as hpke::Kem>::PublicKey::from_bytes(&self.0)
            .map_err(|_| SealError::CannotSeal)?;
        let (encapped, ciphertext) =
            hpke::single_shot_seal_with_rng::<ChaCha20Poly1305, HkdfSha256, Kem>(
                &OpModeS::Base,
                &recipient,
                HPKE_INFO,
                &details.encode(),
                &aad(community, receipt),
                &mut SeedRng::new(seed),
            )
            .map_err(|_| SealError::CannotSeal)?;
        let mut bytes = [0u8; ENCAPPED_BYTES];
        bytes.copy_from_slice(&encapped.to_bytes());
        Ok(SealedDetails {
            encapped: bytes,
            ciphertext,
        })
    }
}

impl fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EncryptionKey({})", hex::encode(self.0))
    }
}

impl SignedEncryptionKey {
    /// The node's statement that `key` is its encryption key, signed by `node` at `at`.
    pub fn sign(
        node: &KeyPair,
        community: CommunityCode,
        key: EncryptionKey,
        at: Timestamp,
    ) -> Self {
        let signer = node.public();
        let body = statement_bytes(community, key, at, &signer);
        let signature = node.sign(SigningContext::EncryptionKey, &body);
        Self {
            community,
            key,
            at,
            signer,
            signature,
        }
    }

    /// The key, if `enrolled` (the roster's key for the community now) signed it.
    pub fn verify(&self, enrolled: &PublicKey) -> Result<EncryptionKey, SealError> {
        if &self.signer != enrolled {
            return Err(SealError::NotSigned);
        }
        let body = statement_bytes(self.community, self.key, self.at, &self.signer);
        enrolled
            .verify(SigningContext::EncryptionKey, &body, &self.signature)
            .map_err(|_| SealError::NotSigned)?;
        Ok(self.key)
    }

    /// The statement's text (base64url of its bytes and signature).
    pub fn to_text(&self) -> String {
        let mut bytes = statement_bytes(self.community, self.key, self.at, &self.signer);
        bytes.extend_from_slice(&self.signature.to_bytes());
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// Reads a statement's text; its signature is checked by [`Self::verify`].
    pub fn from_text(text: &str) -> Result<Self, SealError> {
        // Bounded before decoding: the text has one length.
        if text.len() > (STATEMENT_BYTES + 64).div_ceil(3) * 4 {
            return Err(SealError::Malformed("the key statement is too long"));
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|_| SealError::Malformed("the key statement is not base64url"))?;
        if bytes.len() != STATEMENT_BYTES + 64 {
            return Err(SealError::Malformed(
                "the key statement has the wrong length",
            ));
        }
        let community = std::str::from_utf8(&bytes[..12])
            .ok()
            .and_then(|code| code.parse::<CommunityCode>().ok())
            .ok_or(SealError::Malformed(
                "the key statement's community is not a code",
            ))?;
        let key = EncryptionKey(array(&bytes[12..44]));
        let at = Timestamp::from_millis(i64::from_be_bytes(array(&bytes[44..52])));
        let signer = PublicKey::from_bytes(&array(&bytes[52..84]))
            .map_err(|_| SealError::Malformed("the key statement's signer is not a key"))?;
        let signature = Signature::from_bytes(array(&bytes[84..148]));
        Ok(Self {
            community,
            key,
            at,
            signer,
            signature,
        })
    }
}

impl SealedDetails {
    /// Its bytes: the encapsulated key, then the ciphertext.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(ENCAPPED_BYTES + self.ciphertext.len());
        bytes.extend_from_slice(&self.encapped);
        bytes.extend_from_slice(&self.ciphertext);
        bytes
    }

    /// Reads sealed bytes from outside, bounded before anything is copied.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SealError> {
        if bytes.len() > MAX_SEALED_BYTES {
            return Err(SealError::TooLarge(bytes.len()));
        }
        if bytes.len() < ENCAPPED_BYTES + TAG_BYTES {
            return Err(SealError::Malformed("shorter than a key and a tag"));
        }
        let (encapped, ciphertext) = bytes.split_at(ENCAPPED_BYTES);
        Ok(Self {
            encapped: array(encapped),
            ciphertext: ciphertext.to_vec(),
        })
    }
}

/// A deterministic CSPRNG over one 32-byte seed (SHA-256 in counter mode), so that
/// HPKE's ephemeral key comes from the driver's random source and this crate reads
/// none. HPKE's X25519 encapsulation draws 32 bytes, one block.
struct SeedRng {
    seed: [u8; 32],
    counter: u64,
}

impl SeedRng {
    fn new(seed: [u8; 32]) -> Self {
        Self { seed, counter: 0 }
    }

    fn block(&mut self) -> [u8; 32] {
        let mut hasher = Sha256::new();
        hasher.update(b"wishtree-seed-rng-v1");
        hasher.update(self.seed);
        hasher.update(self.counter.to_be_bytes());
        self.counter += 1;
        hasher.finalize().into()
    }
}

impl hpke::rand_core::TryRng for SeedRng {
    type Error = std::convert::Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Ok(u32::from_be_bytes(array(&self.block()[..4])))
    }

    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        Ok(u64::from_be_bytes(array(&self.block()[..8])))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        for chunk in dst.chunks_mut(32) {
            let block = self.block();
            chunk.copy_from_slice(&block[..chunk.len()]);
        }
        Ok(())
    }
}

impl hpke::rand_core::TryCryptoRng for SeedRng {}

fn aad(community: CommunityCode, receipt: ReceiptCode) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(17);
    bytes.extend_from_slice(community.as_str().as_bytes());
    bytes.extend_from_slice(receipt.as_bytes());
    bytes
}

fn statement_bytes(
    community: CommunityCode,
    key: EncryptionKey,
    at: Timestamp,
    signer: &PublicKey,
) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(STATEMENT_BYTES);
    bytes.extend_from_slice(community.as_str().as_bytes());
    bytes.extend_from_slice(&key.0);
    bytes.extend_from_slice(&at.as_millis().to_be_bytes());
    bytes.extend_from_slice(&signer.to_bytes());
    bytes
}

/// A fixed-size array from a slice of that length.
pub(super) fn array<const N: usize>(bytes: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(bytes);
    out
}
