//! Residents' sealed wish submissions (群众扫码点单, DESIGN §10, issue 12 item 4).
//!
//! A resident scans the community's poster, opens the hub's form and types a wish: the
//! title, kind and beneficiary group travel in clear (they are what the market shows
//! anyway), while the name, phone and address are sealed to the node's encryption key
//! with HPKE (RFC 9180, base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
//! ChaCha20Poly1305) the moment the hub receives them. The hub stores and forwards only
//! the ciphertext, in the community's inbox; the node opens it into its private tables.
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
//!
//! **The receipt code** (回执码) is 8 characters of Crockford base32 (40 random bits),
//! drawn by the hub; the wish's id is derived from the community and the receipt, so
//! the hub can answer a look-up (`/m/wish/lookup`) from the community document alone.
//!
//! Randomness is a parameter (a 32-byte seed from the driver), as everywhere in this
//! crate.

use std::fmt;
use std::str::FromStr;

use automerge::transaction::Transactable;
use automerge::{ROOT, ReadDoc, ScalarValue, Value};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hpke::aead::ChaCha20Poly1305;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable, Kem as _, OpModeR, OpModeS, Serializable};
use sha2::{Digest, Sha256};

use crate::command::{Command, WishFields};
use crate::doc::{CommunityDoc, DocError};
use crate::id::WishId;
use crate::keys::{KeyPair, PublicKey, Signature, SigningContext};
use crate::model::{BeneficiaryGroup, WishKind};
use crate::region::CommunityCode;
use crate::text::{Detail, Name, Phone, TextError, Title};
use crate::time::Timestamp;

/// The HPKE `info` of every sealed submission: the format's name.
pub const HPKE_INFO: &[u8] = b"wishtree-submission-v1";
/// The largest sealed blob a decoder reads, in bytes: three fields at their limits
/// with room to spare. A larger one is refused before anything is decrypted.
pub const MAX_SEALED_BYTES: usize = 2048;
/// The longest address a resident may type, in characters.
pub const MAX_ADDRESS_CHARS: usize = 200;

/// The encapsulated key's length (X25519).
const ENCAPPED_BYTES: usize = 32;
/// The AEAD tag's length (ChaCha20Poly1305).
const TAG_BYTES: usize = 16;
/// The signed statement's length without its signature.
const STATEMENT_BYTES: usize = 12 + 32 + 8 + 32;
/// Where `encryption_key` lives in the community document (a root scalar, written by
/// the node only; a document without it reads as having none).
const DOC_KEY: &str = "encryption_key";
/// The alphabet of the receipt code: Crockford's base32 (no I, L, O, U).
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

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

/// What a resident keeps to themselves: sealed at the hub, opened only by the node.
#[derive(Clone, PartialEq, Eq)]
pub struct ResidentDetails {
    /// The real name.
    pub name: Name,
    /// The phone number.
    pub phone: Phone,
    /// The address (one line).
    pub address: String,
}

/// Personal details sealed to a node's key: the encapsulated key, then the ciphertext.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedDetails {
    encapped: [u8; ENCAPPED_BYTES],
    ciphertext: Vec<u8>,
}

/// A resident's receipt code (回执码): 40 random bits, written as 8 characters.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReceiptCode([u8; 5]);

/// A resident's submission as the hub appends it to the inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    /// The receipt code the resident was given.
    pub receipt: ReceiptCode,
    /// The wish's title, in clear.
    pub title: Title,
    /// Goods or service.
    pub kind: WishKind,
    /// The beneficiary group.
    pub group: BeneficiaryGroup,
    /// The name, phone and address, sealed to the node's key.
    pub sealed: SealedDetails,
}

/// A submission as the inbox document stores it (text forms, the sealed bytes in
/// base64url).
#[derive(Debug, Clone, PartialEq, Eq, autosurgeon::Reconcile, autosurgeon::Hydrate)]
pub(crate) struct StoredSubmission {
    receipt: String,
    title: String,
    wish_kind: WishKind,
    group: BeneficiaryGroup,
    sealed: String,
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

/// Why a field the resident typed was refused: the field and a message in Chinese.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetailsError {
    /// The form field (`name`, `phone`, `address`).
    pub field: &'static str,
    /// What is wrong, in English.
    pub english: String,
    /// What is wrong, in Chinese, for the page beside the field.
    pub message_zh: String,
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

impl ResidentDetails {
    /// The fields as a resident typed them, checked; a refusal names its field.
    pub fn parse(name: &str, phone: &str, address: &str) -> Result<Self, DetailsError> {
        let name = Name::parse("name", name).map_err(|error| DetailsError {
            field: "name",
            english: error.to_string(),
            message_zh: text_error_zh("姓名", &error),
        })?;
        // Unlike `PhoneError`'s own words, these do not repeat what was typed: personal
        // data is in no message.
        let phone = Phone::parse("phone", phone).map_err(|_| DetailsError {
            field: "phone",
            english: "phone: write a mobile (11 digits) or a landline with its area code"
                .to_owned(),
            message_zh: "请填写有效的电话号码：11位手机号或带区号的座机".to_owned(),
        })?;
        let address = Detail::parse("address", address)
            .ok()
            .map(Detail::into_string)
            .filter(|address| !address.is_empty() && !address.contains(['\n', '\r', '\t']))
            .filter(|address| address.chars().count() <= MAX_ADDRESS_CHARS)
            .ok_or_else(|| DetailsError {
                field: "address",
                english: format!(
                    "address: write one line of at most {MAX_ADDRESS_CHARS} characters"
                ),
                message_zh: format!("请填写住址（一行，不超过{MAX_ADDRESS_CHARS}字）"),
            })?;
        Ok(Self {
            name,
            phone,
            address,
        })
    }

    /// The plaintext layout: three u16-length-prefixed UTF-8 fields.
    pub fn encode(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(64 + self.address.len());
        for field in [self.name.as_str(), self.phone.as_str(), &self.address] {
            // Invariant: each field is checked to far fewer than 65,535 bytes.
            let length = u16::try_from(field.len()).unwrap_or(u16::MAX);
            bytes.extend_from_slice(&length.to_be_bytes());
            bytes.extend_from_slice(&field.as_bytes()[..usize::from(length)]);
        }
        bytes
    }

    /// Reads the plaintext layout, checking every field as [`Self::parse`] does.
    pub fn decode(mut bytes: &[u8]) -> Result<Self, SealError> {
        let mut fields = [""; 3];
        for field in &mut fields {
            let (length, rest) = bytes
                .split_first_chunk::<2>()
                .ok_or(SealError::Malformed("a field's length is cut short"))?;
            let length = usize::from(u16::from_be_bytes(*length));
            if rest.len() < length {
                return Err(SealError::Malformed("a field is cut short"));
            }
            let (text, rest) = rest.split_at(length);
            *field = std::str::from_utf8(text)
                .map_err(|_| SealError::Malformed("a field is not UTF-8"))?;
            bytes = rest;
        }
        if !bytes.is_empty() {
            return Err(SealError::Malformed("bytes follow the last field"));
        }
        Self::parse(fields[0], fields[1], fields[2])
            .map_err(|_| SealError::Malformed("a field breaks its rules"))
    }
}

impl fmt::Debug for ResidentDetails {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Personal data: never in a log, not even a debug one.
        f.write_str("ResidentDetails(..)")
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

impl ReceiptCode {
    /// The code from 5 random bytes.
    pub fn from_bytes(bytes: [u8; 5]) -> Self {
        Self(bytes)
    }

    /// Its 5 bytes.
    pub fn as_bytes(&self) -> &[u8; 5] {
        &self.0
    }

    /// The id of the wish a submission under this receipt becomes in `community`.
    pub fn wish(self, community: CommunityCode) -> WishId {
        WishId::derive(&[
            b"resident submission",
            community.as_str().as_bytes(),
            &self.0,
        ])
    }
}

impl fmt::Display for ReceiptCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = self
            .0
            .iter()
            .fold(0u64, |acc, byte| acc << 8 | u64::from(*byte));
        let text: String = (0..8)
            .rev()
            .map(|place| char::from(CROCKFORD[((value >> (place * 5)) & 31) as usize]))
            .collect();
        f.write_str(&text)
    }
}

impl fmt::Debug for ReceiptCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ReceiptCode({self})")
    }
}

impl FromStr for ReceiptCode {
    type Err = SealError;

    /// Reads a code as people type it: any case, spaces and dashes ignored, and the
    /// letters Crockford reads as digits (O as 0, I and L as 1).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let refuse = SealError::Malformed("a receipt code is 8 letters and digits");
        if text.len() > 32 {
            return Err(refuse);
        }
        let mut value = 0u64;
        let mut count = 0;
        for c in text.chars().filter(|c| !matches!(c, ' ' | '-')) {
            let c = match c.to_ascii_uppercase() {
                'O' => '0',
                'I' | 'L' => '1',
                other => other,
            };
            let digit = CROCKFORD
                .iter()
                .position(|&letter| char::from(letter) == c)
                .ok_or(refuse.clone())?;
            value = value << 5 | digit as u64;
            count += 1;
        }
        if count != 8 {
            return Err(refuse);
        }
        let bytes = value.to_be_bytes();
        Ok(Self(array(&bytes[3..8])))
    }
}

impl Submission {
    /// The id of the wish it becomes in `community`.
    pub fn wish(&self, community: CommunityCode) -> WishId {
        self.receipt.wish(community)
    }

    /// The command the node runs for it: a submitted wish (群众点单), labelled for the
    /// worker to review; the personal fields go to the node's private tables apart.
    pub fn command(&self, community: CommunityCode) -> Command {
        Command::SubmitWish {
            id: self.wish(community),
            wish: WishFields {
                title: self.title.clone(),
                // Invariant: short lines of Chinese are valid texts.
                detail: Detail::parse("detail", "居民扫码提交，待社区核实")
                    .expect("a valid detail"),
                kind: self.kind,
                group: self.group,
                resident_label: Name::parse("resident_label", "扫码提交的居民")
                    .expect("a valid label"),
                estimated_value: None,
            },
        }
    }

    /// The bytes the hub signs after the inbox's common prefix (kind 5; 2 to 4 are
    /// check-ins and claims from another community).
    pub(crate) fn signed_bytes(&self, bytes: &mut Vec<u8>) {
        bytes.push(5);
        bytes.extend_from_slice(&self.receipt.0);
        for text in [self.kind.code(), self.group.code(), self.title.as_str()] {
            length_prefixed(bytes, text.as_bytes());
        }
        length_prefixed(bytes, &self.sealed.to_bytes());
    }
}

impl StoredSubmission {
    pub(crate) fn of(submission: &Submission) -> Self {
        Self {
            receipt: submission.receipt.to_string(),
            title: submission.title.to_string(),
            wish_kind: submission.kind,
            group: submission.group,
            sealed: URL_SAFE_NO_PAD.encode(submission.sealed.to_bytes()),
        }
    }

    /// The submission, if every field reads (the hub wrote it; a bad one is skipped).
    pub(crate) fn read(self) -> Option<Submission> {
        if self.sealed.len() > MAX_SEALED_BYTES.div_ceil(3) * 4 {
            return None;
        }
        let sealed = URL_SAFE_NO_PAD.decode(&self.sealed).ok()?;
        Some(Submission {
            receipt: self.receipt.parse().ok()?,
            title: Title::parse("title", &self.title).ok()?,
            kind: self.wish_kind,
            group: self.group,
            sealed: SealedDetails::from_bytes(&sealed).ok()?,
        })
    }
}

impl CommunityDoc {
    /// The encryption key statements published in the document: one, or several
    /// when replicas that each published one merged (a test's two replicas of one
    /// community, a node re-initialised). The reader keeps the one signed by the key
    /// it trusts; a value that does not read as a statement is left out.
    pub fn encryption_keys(&self) -> Result<Vec<SignedEncryptionKey>, DocError> {
        Ok(self
            .automerge()
            .get_all(ROOT, DOC_KEY)?
            .into_iter()
            .filter_map(|(value, _)| match value {
                Value::Scalar(value) => match value.as_ref() {
                    ScalarValue::Str(text) => SignedEncryptionKey::from_text(text).ok(),
                    _ => None,
                },
                Value::Object(_) => None,
            })
            .collect())
    }

    /// Publishes the node's encryption key statement (the node only), pending until
    /// the next commit.
    pub fn put_encryption_key(&mut self, statement: &SignedEncryptionKey) -> Result<(), DocError> {
        self.automerge_mut()
            .put(ROOT, DOC_KEY, statement.to_text())
            .map_err(DocError::from)
    }
}

impl DetailsError {
    /// A refusal of `field`.
    pub fn new(field: &'static str, english: &str, message_zh: &str) -> Self {
        Self {
            field,
            english: english.to_owned(),
            message_zh: message_zh.to_owned(),
        }
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
    bytes.extend_from_slice(&receipt.0);
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

fn length_prefixed(bytes: &mut Vec<u8>, part: &[u8]) {
    bytes.extend_from_slice(&(part.len() as u32).to_be_bytes());
    bytes.extend_from_slice(part);
}

fn text_error_zh(label: &str, error: &TextError) -> String {
    match error {
        TextError::Empty { .. } => format!("请填写{label}"),
        TextError::TooLong { limit, .. } => format!("{label}太长：不超过{limit}字"),
        TextError::Invisible { .. } => format!("{label}含有不可见字符，请重新输入"),
    }
}

/// A fixed-size array from a slice of that length.
fn array<const N: usize>(bytes: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(bytes);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn community() -> CommunityCode {
        "110105001001".parse().expect("a code")
    }

    fn details() -> ResidentDetails {
        ResidentDetails::parse("王秀英", "13912345678", "幸福里3号楼2单元101").expect("valid")
    }

    #[test]
    fn sealed_details_open_with_the_node_key_only_for_their_receipt() {
        let node = EncryptionKeyPair::from_seed([7; 32]);
        let receipt = ReceiptCode::from_bytes([1, 2, 3, 4, 5]);
        let sealed = node
            .public()
            .seal(community(), receipt, &details(), [9; 32])
            .expect("sealed");
        let bytes = sealed.to_bytes();
        assert!(
            !bytes
                .windows(6)
                .any(|w| w == "王秀英".as_bytes()[..6].as_ref())
        );
        let read = SealedDetails::from_bytes(&bytes).expect("read");
        assert_eq!(node.open(community(), receipt, &read), Ok(details()));
        let other = ReceiptCode::from_bytes([1, 2, 3, 4, 6]);
        assert_eq!(
            node.open(community(), other, &read),
            Err(SealError::DoesNotOpen)
        );
        let stranger = EncryptionKeyPair::from_seed([8; 32]);
        assert_eq!(
            stranger.open(community(), receipt, &read),
            Err(SealError::DoesNotOpen)
        );
    }

    #[test]
    fn a_statement_verifies_only_against_its_signer() {
        let node = KeyPair::from_secret([3; 32]);
        let key = EncryptionKeyPair::from_seed([4; 32]).public();
        let signed = SignedEncryptionKey::sign(&node, community(), key, Timestamp::from_millis(5));
        let read = SignedEncryptionKey::from_text(&signed.to_text()).expect("read");
        assert_eq!(read.verify(&node.public()), Ok(key));
        let other = KeyPair::from_secret([5; 32]).public();
        assert_eq!(read.verify(&other), Err(SealError::NotSigned));
    }

    #[test]
    fn receipt_codes_read_back_as_people_type_them() {
        let code = ReceiptCode::from_bytes([0xde, 0xad, 0xbe, 0xef, 0x01]);
        let text = code.to_string();
        assert_eq!(text.len(), 8);
        assert_eq!(text.to_lowercase().parse::<ReceiptCode>(), Ok(code));
        let spaced = format!("{}-{}", &text[..4], &text[4..]);
        assert_eq!(spaced.parse::<ReceiptCode>(), Ok(code));
        assert!("1234567".parse::<ReceiptCode>().is_err());
        assert!("1234567U".parse::<ReceiptCode>().is_err());
    }

    #[test]
    fn each_field_is_refused_by_its_name_without_repeating_it() {
        for (name, phone, address, field) in [
            ("", "13912345678", "一号楼", "name"),
            ("王", "139-abc-0000", "一号楼", "phone"),
            ("王", "13912345678", "", "address"),
            ("王", "13912345678", &"长".repeat(201), "address"),
        ] {
            let error = ResidentDetails::parse(name, phone, address).expect_err("refused");
            assert_eq!(error.field, field);
            assert!(!error.message_zh.is_empty());
            assert!(phone.len() < 3 || !error.message_zh.contains(phone));
        }
    }
}
