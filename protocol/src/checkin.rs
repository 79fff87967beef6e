//! Check-in codes (签到码, `wishtree-checkin-v1`, DESIGN §10 "Attendance is not
//! sign-up"): what the node shows as a QR code while an activity runs, signed by the
//! node's key with the node's clock, valid for a few minutes. A member scans it at the
//! hub with their card session to check in, and again at the end to check out; the hub
//! appends each to the community's inbox, and the node credits the time between the
//! two codes' issue times — both its own clock, never the phone's — capped by the
//! activity's length (`Command::CheckOut`).
//!
//! ```text
//! base64url, no padding, of:
//! version (1) | community (12 ASCII digits) | activity (16) | code id (16)
//! | issued (i64 BE, ms) | expires (i64 BE, ms) | signature (64)
//! ```
//!
//! 125 bytes, 167 characters. The signed bytes are a fixed layout:
//!
//! ```text
//! "wishtree-checkin-v1" 0x00 | community | activity | code id | issued | expires
//! ```
//!
//! A code is checked at the hub against the node key the roster holds for its
//! community ([`CheckInCode::verify`]), and again by the node against its own key when
//! the inbox entry arrives, so a hub cannot make up attendance the node never showed.
//! Each refusal is a [`CheckInError`] with its own words for the member.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::card::Reader;
use crate::id::{ActivityId, CheckInCodeId};
use crate::keys::{KeyPair, PublicKey, Signature, SigningContext};
use crate::region::CommunityCode;
use crate::time::Timestamp;

/// The version byte of the text form.
pub const CHECK_IN_VERSION: u8 = 1;
/// The length of a code's bytes.
pub const CHECK_IN_BYTES: usize = 1 + 12 + 16 + 16 + 8 + 8 + 64;
/// The length of a code's text.
pub const CHECK_IN_TEXT_LEN: usize = (CHECK_IN_BYTES * 8).div_ceil(6);
/// How long a code the node shows stays valid: long enough to scan it at the door
/// and to get a signal, short enough that a photo sent home is soon worthless.
pub const CHECK_IN_VALID_MS: i64 = 5 * 60 * 1000;

/// A check-in code: which activity, which code, when the node showed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckInCode {
    /// The community whose node signed it.
    pub community: CommunityCode,
    /// The activity.
    pub activity: ActivityId,
    /// The code's id, drawn by the node (a code is used once per member).
    pub id: CheckInCodeId,
    /// When the node showed it, by the node's clock.
    pub issued: Timestamp,
    /// When it stops being accepted.
    pub expires: Timestamp,
    /// The node's signature over the layout in the module doc.
    pub signature: Signature,
}

/// Whether a member arrives or leaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// 签到.
    In,
    /// 签退.
    Out,
}

/// Why a check-in or check-out is refused, each with its own words
/// ([`CheckInError::message_zh`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckInError {
    /// Not a check-in code.
    #[error("the text is not a check-in code ({0}); scan the QR code shown at the activity")]
    Malformed(&'static str),
    /// Not signed by the node key of the community it names.
    #[error("the check-in code's signature does not verify: it was altered or forged")]
    BadSignature,
    /// Past its expiry.
    #[error("the check-in code expired at {0}; scan the code shown now")]
    Expired(String),
    /// The code is of another community than the member's card.
    #[error(
        "the check-in code is of community {0}; a member checks in to their own community's activities"
    )]
    OtherCommunity(CommunityCode),
    /// This member already used this code.
    #[error("this check-in code was already used; scan the code shown now")]
    Replayed,
    /// A check-out with no check-in before it.
    #[error("there is no check-in to this activity to check out from; check in first")]
    NotCheckedIn,
    /// A second check-in without a check-out between.
    #[error("already checked in to this activity; scan again at the end to check out")]
    AlreadyCheckedIn,
    /// The community document has no such activity.
    #[error("the community has no such activity")]
    NoSuchActivity,
}

impl Direction {
    /// The text form: `in` or `out`.
    pub const fn code(self) -> &'static str {
        match self {
            Self::In => "in",
            Self::Out => "out",
        }
    }
}

impl std::str::FromStr for Direction {
    type Err = CheckInError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "in" => Ok(Self::In),
            "out" => Ok(Self::Out),
            _ => Err(CheckInError::Malformed("direction must be in or out")),
        }
    }
}

impl CheckInCode {
    /// The code the node with `key` shows for `activity` at `now`, valid for
    /// [`CHECK_IN_VALID_MS`].
    pub fn issue(
        key: &KeyPair,
        community: CommunityCode,
        activity: ActivityId,
        id: CheckInCodeId,
        now: Timestamp,
    ) -> Self {
        let expires = Timestamp::from_millis(now.as_millis().saturating_add(CHECK_IN_VALID_MS));
        let signature = key.sign(
            SigningContext::CheckIn,
            &signed_fields(community, activity, id, now, expires),
        );
        Self {
            community,
            activity,
            id,
            issued: now,
            expires,
            signature,
        }
    }

    /// The text for a link or a QR code.
    pub fn to_text(&self) -> String {
        let mut bytes = Vec::with_capacity(CHECK_IN_BYTES);
        bytes.push(CHECK_IN_VERSION);
        bytes.extend_from_slice(&signed_fields(
            self.community,
            self.activity,
            self.id,
            self.issued,
            self.expires,
        ));
        bytes.extend_from_slice(&self.signature.to_bytes());
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// Reads a code's text; the length is checked before anything is decoded, and any
    /// text answers a code or an error, never a panic.
    pub fn from_text(text: &str) -> Result<Self, CheckInError> {
        let text = text.trim().trim_start_matches('#');
        if text.len() != CHECK_IN_TEXT_LEN {
            return Err(CheckInError::Malformed("wrong length"));
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|_| CheckInError::Malformed("not base64url"))?;
        let mut reader = Reader(&bytes);
        let short = |_| CheckInError::Malformed("too short");
        if reader.take::<1>().map_err(short)? != [CHECK_IN_VERSION] {
            return Err(CheckInError::Malformed("unknown version"));
        }
        let community = std::str::from_utf8(&reader.take::<12>().map_err(short)?)
            .ok()
            .and_then(|code| code.parse::<CommunityCode>().ok())
            .ok_or(CheckInError::Malformed("bad community code"))?;
        let activity = ActivityId::from_bytes(reader.take().map_err(short)?);
        let id = CheckInCodeId::from_bytes(reader.take().map_err(short)?);
        let issued = Timestamp::from_millis(i64::from_be_bytes(reader.take().map_err(short)?));
        let expires = Timestamp::from_millis(i64::from_be_bytes(reader.take().map_err(short)?));
        let signature = Signature::from_bytes(reader.take().map_err(short)?);
        Ok(Self {
            community,
            activity,
            id,
            issued,
            expires,
            signature,
        })
    }

    /// Whether the node key `node` signed this code.
    pub fn is_signed_by(&self, node: &PublicKey) -> bool {
        node.verify(
            SigningContext::CheckIn,
            &signed_fields(
                self.community,
                self.activity,
                self.id,
                self.issued,
                self.expires,
            ),
            &self.signature,
        )
        .is_ok()
    }

    /// The hub's checks, in order: signed by `node` (the key the roster holds for the
    /// code's community), of the member's `home` community, not expired at `now`.
    pub fn verify(
        &self,
        node: &PublicKey,
        home: CommunityCode,
        now: Timestamp,
    ) -> Result<(), CheckInError> {
        if !self.is_signed_by(node) {
            return Err(CheckInError::BadSignature);
        }
        if self.community != home {
            return Err(CheckInError::OtherCommunity(self.community));
        }
        if self.expires <= now {
            return Err(CheckInError::Expired(
                self.expires.display_in_shanghai().to_string(),
            ));
        }
        Ok(())
    }

    /// The fields the signature covers, in their fixed layout (without the context).
    pub(crate) fn fields(&self) -> Vec<u8> {
        signed_fields(
            self.community,
            self.activity,
            self.id,
            self.issued,
            self.expires,
        )
    }
}

impl CheckInError {
    /// The refusal in Chinese, for the member's phone.
    pub fn message_zh(&self) -> String {
        match self {
            Self::Malformed(_) => "无法识别这个签到码，请重新扫描活动现场的二维码".to_owned(),
            Self::BadSignature => "签到码的签名无效，可能被篡改或伪造，不能签到".to_owned(),
            Self::Expired(at) => format!("签到码已于 {at} 过期，请扫描现场屏幕上的新码"),
            Self::OtherCommunity(code) => {
                format!("这是其他社区（{code}）的签到码，只能参加本人报到社区的活动")
            }
            Self::Replayed => "这个签到码您已经用过了，请扫描现场屏幕上的新码".to_owned(),
            Self::NotCheckedIn => "您还没有签到，不能签退：请先扫码签到".to_owned(),
            Self::AlreadyCheckedIn => "您已经签到，活动结束时请再扫码签退".to_owned(),
            Self::NoSuchActivity => "社区没有这项活动".to_owned(),
        }
    }
}

fn signed_fields(
    community: CommunityCode,
    activity: ActivityId,
    id: CheckInCodeId,
    issued: Timestamp,
    expires: Timestamp,
) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(12 + 16 + 16 + 16);
    bytes.extend_from_slice(community.as_str().as_bytes());
    bytes.extend_from_slice(activity.as_bytes());
    bytes.extend_from_slice(id.as_bytes());
    bytes.extend_from_slice(&issued.as_millis().to_be_bytes());
    bytes.extend_from_slice(&expires.as_millis().to_be_bytes());
    bytes
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use proptest::prelude::*;

    use super::*;

    fn community() -> CommunityCode {
        "130903001001".parse().unwrap()
    }

    fn code(key: &KeyPair) -> CheckInCode {
        CheckInCode::issue(
            key,
            community(),
            ActivityId::from_bytes([4; 16]),
            CheckInCodeId::from_bytes([5; 16]),
            Timestamp::from_millis(1_000),
        )
    }

    #[test]
    fn a_code_round_trips_and_verifies_only_as_shown() {
        let key = KeyPair::from_secret([9; 32]);
        let shown = code(&key);
        let text = shown.to_text();
        assert_eq!(text.len(), CHECK_IN_TEXT_LEN);
        let read = CheckInCode::from_text(&format!("#{text}")).unwrap();
        assert_eq!(read, shown);
        let node = key.public();
        let now = Timestamp::from_millis(2_000);
        assert_eq!(read.verify(&node, community(), now), Ok(()));
        let other = KeyPair::from_secret([8; 32]).public();
        assert_eq!(
            read.verify(&other, community(), now),
            Err(CheckInError::BadSignature)
        );
        let elsewhere: CommunityCode = "130903001002".parse().unwrap();
        assert_eq!(
            read.verify(&node, elsewhere, now),
            Err(CheckInError::OtherCommunity(community()))
        );
        let late = Timestamp::from_millis(1_000 + CHECK_IN_VALID_MS);
        assert!(matches!(
            read.verify(&node, community(), late),
            Err(CheckInError::Expired(_))
        ));
        // A later expiry typed into the code breaks the signature.
        let mut stretched = read;
        stretched.expires = Timestamp::from_millis(i64::MAX);
        assert_eq!(
            stretched.verify(&node, community(), late),
            Err(CheckInError::BadSignature)
        );
    }

    proptest! {
        #[test]
        fn any_text_is_a_code_or_an_error(text in ".{0,200}") {
            let _ = CheckInCode::from_text(&text);
        }

        #[test]
        fn any_bytes_of_the_right_length_are_a_code_or_an_error(
            bytes in proptest::collection::vec(any::<u8>(), CHECK_IN_BYTES)
        ) {
            let _ = CheckInCode::from_text(&URL_SAFE_NO_PAD.encode(bytes));
        }
    }
}
