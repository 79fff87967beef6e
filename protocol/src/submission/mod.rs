//! Residents' sealed wish submissions (群众扫码点单, DESIGN §10, issue 12 item 4).
//!
//! A resident scans the community's poster, opens the hub's form and types a wish: the
//! title, kind and beneficiary group travel in clear (they are what the market shows
//! anyway), while the name, phone and address are sealed to the node's encryption key
//! with HPKE (RFC 9180, base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
//! ChaCha20Poly1305) the moment the hub receives them. The hub stores and forwards only
//! the ciphertext, in the community's inbox; the node opens it into its private tables.
//!
//! The sealing itself — the node's encryption key, its signed statement, HPKE — is
//! `encryption.rs`.
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

mod encryption;

pub use encryption::{
    EncryptionKey, EncryptionKeyPair, HPKE_INFO, MAX_SEALED_BYTES, SealError, SealedDetails,
    SignedEncryptionKey,
};

use std::fmt;
use std::str::FromStr;

use automerge::transaction::Transactable;
use automerge::{ROOT, ReadDoc, ScalarValue, Value};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::command::{Command, WishFields};
use crate::doc::{CommunityDoc, DocError};
use crate::id::WishId;
use crate::model::{BeneficiaryGroup, WishKind};
use crate::region::CommunityCode;
use crate::text::{Detail, Name, Phone, TextError, Title};
use encryption::array;

/// The longest address a resident may type, in characters.
pub const MAX_ADDRESS_CHARS: usize = 200;

/// Where `encryption_key` lives in the community document (a root scalar, written by
/// the node only; a document without it reads as having none).
const DOC_KEY: &str = "encryption_key";
/// The alphabet of the receipt code: Crockford's base32 (no I, L, O, U).
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

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
                round: None,
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
