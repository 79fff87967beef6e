//! Entity ids: random 128-bit values, one newtype per kind of entity.
//!
//! Two replicas that work offline for days must never hand out the same id, so ids
//! are never counters: the driver draws 16 random bytes (`protocol` has no random
//! source of its own) and wraps them. A few ids are instead *derived* from what they
//! name — the same organisation or the same participation gets the same id on every
//! replica, so that concurrent offline writes of one fact land on one key and are
//! counted once.
//!
//! The text form, used as document keys and in URLs, is 32 lowercase hex digits.

use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha256};

/// Why a text is not an id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a {kind} id: an id is 32 hex digits")]
pub struct IdParseError {
    /// The kind of id that was expected, e.g. `wish`.
    pub kind: &'static str,
    /// The text that was given, shortened to 40 characters.
    pub text: String,
}

/// Defines an id newtype with its text form, serde and autosurgeon mappings.
macro_rules! define_id {
    ($(#[$meta:meta])* $name:ident, $kind:literal) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name([u8; 16]);

        impl $name {
            /// What this id names, in words (used in error messages).
            pub const KIND: &'static str = $kind;

            /// Wraps 16 random bytes drawn by the caller.
            pub const fn from_bytes(bytes: [u8; 16]) -> Self {
                Self(bytes)
            }

            /// The raw bytes.
            pub const fn as_bytes(&self) -> &[u8; 16] {
                &self.0
            }

            /// Derives an id from the parts it names, the same on every replica.
            pub fn derive(parts: &[&[u8]]) -> Self {
                Self(crate::id::derive_bytes($kind, parts))
            }
        }

        impl From<[u8; 16]> for $name {
            fn from(bytes: [u8; 16]) -> Self {
                Self(bytes)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&hex::encode(self.0))
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self)
            }
        }

        impl FromStr for $name {
            type Err = IdParseError;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                hex::FromHex::from_hex(text).map(Self).map_err(|_| IdParseError {
                    kind: $kind,
                    text: text.chars().take(40).collect(),
                })
            }
        }

        $crate::text_form::text_form!($name, "an id of 32 hex digits");
    };
}

define_id!(
    /// A reported-in member (在职党员).
    MemberId,
    "member"
);
define_id!(
    /// A unit party organisation (单位党组织), derived from its unified social credit code.
    OrgId,
    "organisation"
);
define_id!(
    /// An org–community pairing (共建对子).
    PairingId,
    "pairing"
);
define_id!(
    /// A functional party branch (功能型党支部).
    BranchId,
    "branch"
);
define_id!(
    /// A service team (服务团队).
    TeamId,
    "team"
);
define_id!(
    /// A service post (服务岗位).
    PostId,
    "post"
);
define_id!(
    /// A micro-wish (微心愿).
    WishId,
    "wish"
);
define_id!(
    /// A livelihood micro-project or pressing problem (民生微项目 / 突出问题).
    ProjectId,
    "project"
);
define_id!(
    /// A service activity (志愿服务活动).
    ActivityId,
    "activity"
);
define_id!(
    /// A service record (服务记录); derived from (activity, member) for participations.
    ServiceId,
    "service record"
);
define_id!(
    /// A love-passbook entry (爱心存折); derived from the service record for earned points.
    PointsEntryId,
    "passbook entry"
);
define_id!(
    /// A void: the fact that cancels an earlier service record or passbook entry.
    VoidId,
    "void"
);

define_id!(
    /// The community's evaluation of a member for a sealed half-year; derived from
    /// (member, period), so a member has one per period.
    EvaluationId,
    "evaluation"
);

define_id!(
    /// A campaign of the city document, e.g. 每名在职党员至少领办 1 个微心愿.
    CampaignId,
    "campaign"
);

define_id!(
    /// A member card (党员服务卡): one of the cards issued to a member.
    CardId,
    "card"
);

define_id!(
    /// An entry of a community's inbox (收件箱), drawn by the hub.
    InboxEntryId,
    "inbox entry"
);

define_id!(
    /// A benefit of a community's catalogue (福利目录).
    BenefitId,
    "benefit"
);

define_id!(
    /// A collection round of wishes (批次, e.g. 第一批), drawn by the node.
    RoundId,
    "round"
);

define_id!(
    /// A check-in code (签到码) the node showed for an activity, drawn by the node.
    CheckInCodeId,
    "check-in code"
);

define_id!(
    /// A volunteer beyond the in-service members (离退休党员, 学生党员,
    /// 社区公益爱心人士), drawn by the node.
    VolunteerId,
    "volunteer"
);

define_id!(
    /// A volunteer's service record (志愿服务记录), drawn by the node.
    VolunteerServiceId,
    "volunteer service record"
);

/// Hashes a domain-separated list of parts down to 16 bytes.
pub(crate) fn derive_bytes(kind: &str, parts: &[&[u8]]) -> [u8; 16] {
    let mut hasher = Sha256::new();
    hasher.update(b"wishtree-id-v1\0");
    hasher.update(kind.as_bytes());
    for part in parts {
        // Length-prefix every part so that ("ab", "c") and ("a", "bc") differ.
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    let digest = hasher.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    bytes
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn text_form_round_trips(bytes in any::<[u8; 16]>()) {
            let id = WishId::from_bytes(bytes);
            let text = id.to_string();
            prop_assert_eq!(text.len(), 32);
            prop_assert_eq!(text.parse::<WishId>().unwrap(), id);
        }

        #[test]
        fn parsing_arbitrary_text_never_panics(text in ".{0,40}") {
            let _ = text.parse::<MemberId>();
        }
    }

    #[test]
    fn bad_text_names_the_kind() {
        let error = "12zz".parse::<WishId>().unwrap_err();
        assert_eq!(
            error.to_string(),
            "`12zz` is not a wish id: an id is 32 hex digits"
        );
    }

    #[test]
    fn only_32_hex_digits_make_an_id() {
        let zeros = "0".repeat(30);
        let wish = WishId::from_bytes([0xab; 16]);
        assert_eq!("AB".repeat(16).parse::<WishId>(), Ok(wish));
        // `u8::from_str_radix` takes "+f" as 15, so a hand-written decoder let a plus in.
        for bad in [
            format!("+f{zeros}"),
            format!("-f{zeros}"),
            format!(" f{zeros}"),
            format!("é{zeros}"),
            format!("0{zeros}"),
            format!("000{zeros}"),
            String::new(),
        ] {
            assert!(bad.parse::<WishId>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn derived_ids_separate_their_parts_and_kinds() {
        assert_ne!(
            ServiceId::derive(&[b"ab", b"c"]),
            ServiceId::derive(&[b"a", b"bc"])
        );
        assert_ne!(
            ServiceId::derive(&[b"x"]).as_bytes(),
            PointsEntryId::derive(&[b"x"]).as_bytes()
        );
        assert_eq!(ServiceId::derive(&[b"x"]), ServiceId::derive(&[b"x"]));
    }
}
