//! Statistical region codes (统计用区划代码) and their prefixes.
//!
//! A code has 12 digits: province 2, city 4, district 6, street 9, community 12. The
//! figures of a district are the figures of every community whose code starts with
//! the district's 6 digits, so roll-ups are prefix matches and a region is named by its
//! prefix. Codes are typed by people on Chinese keyboards, so full-width digits and
//! spaces are accepted on input and normalised; everything else is refused.

use std::fmt;
use std::str::FromStr;

/// A level of the region hierarchy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionLevel {
    /// 省, 2 digits.
    Province,
    /// 市, 4 digits.
    City,
    /// 区 / 县, 6 digits.
    District,
    /// 街道 / 乡镇, 9 digits.
    Street,
    /// 社区 / 村, 12 digits.
    Community,
}

impl RegionLevel {
    /// Every level, from the widest.
    pub const ALL: [Self; 5] = [
        Self::Province,
        Self::City,
        Self::District,
        Self::Street,
        Self::Community,
    ];

    /// How many leading digits name a region of this level.
    pub const fn digits(self) -> usize {
        match self {
            Self::Province => 2,
            Self::City => 4,
            Self::District => 6,
            Self::Street => 9,
            Self::Community => 12,
        }
    }

    /// The level one step narrower, if any.
    pub const fn child(self) -> Option<Self> {
        match self {
            Self::Province => Some(Self::City),
            Self::City => Some(Self::District),
            Self::District => Some(Self::Street),
            Self::Street => Some(Self::Community),
            Self::Community => None,
        }
    }

    /// The Chinese name of the level.
    pub const fn label_zh(self) -> &'static str {
        match self {
            Self::Province => "省",
            Self::City => "市",
            Self::District => "区",
            Self::Street => "街道",
            Self::Community => "社区",
        }
    }

    /// The English name of the level.
    pub const fn label_en(self) -> &'static str {
        match self {
            Self::Province => "province",
            Self::City => "city",
            Self::District => "district",
            Self::Street => "street",
            Self::Community => "community",
        }
    }

    fn from_digits(count: usize) -> Option<Self> {
        Self::ALL.into_iter().find(|level| level.digits() == count)
    }
}

/// Why a text is not a region code or prefix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegionParseError {
    /// A character other than a digit or a space.
    #[error("region code `{text}` has `{found}`, which is not a digit")]
    NotADigit {
        /// The text given.
        text: String,
        /// The offending character.
        found: char,
    },
    /// A community code must have exactly 12 digits.
    #[error("region code `{text}` has {count} digits; a community code has 12")]
    NotTwelveDigits {
        /// The text given.
        text: String,
        /// How many digits it had.
        count: usize,
    },
    /// A 12-digit code whose last three digits are zero names a street, not a community.
    #[error(
        "region code `{text}` names a {level}, not a community; a community code does not end in 000"
    )]
    NotACommunity {
        /// The text given.
        text: String,
        /// The level the code does name.
        level: &'static str,
    },
    /// A prefix must have 2, 4, 6, 9 or 12 digits.
    #[error("region `{text}` has {count} digits; a region has 2, 4, 6, 9 or 12")]
    BadPrefixLength {
        /// The text given.
        text: String,
        /// How many digits it had.
        count: usize,
    },
}

/// The 12-digit code of one community: the key of its document and of its node.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CommunityCode([u8; 12]);

/// A region at any level, named by the leading digits of its codes; the empty prefix
/// is the whole country.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct RegionPrefix(String);

impl CommunityCode {
    /// The code as text, 12 ASCII digits.
    pub fn as_str(&self) -> &str {
        // Invariant: the bytes are ASCII digits, checked by `from_str`.
        std::str::from_utf8(&self.0).expect("a community code is ASCII digits")
    }

    /// The region of the given level that holds this community.
    pub fn region(&self, level: RegionLevel) -> RegionPrefix {
        RegionPrefix(self.as_str()[..level.digits()].to_owned())
    }

    /// The community itself as a region.
    pub fn as_region(&self) -> RegionPrefix {
        self.region(RegionLevel::Community)
    }
}

impl RegionPrefix {
    /// The whole country: every code matches it.
    pub fn everywhere() -> Self {
        Self(String::new())
    }

    /// Digits known to be a prefix's, e.g. a street's own records' code
    /// (`StreetCode::own_records`).
    pub(crate) fn from_digits_unchecked(digits: String) -> Self {
        Self(digits)
    }

    /// The digits of the prefix.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The level the prefix names, or `None` for the whole country.
    pub fn level(&self) -> Option<RegionLevel> {
        RegionLevel::from_digits(self.0.len())
    }

    /// The level of the regions directly under this one.
    pub fn child_level(&self) -> Option<RegionLevel> {
        match self.level() {
            None => Some(RegionLevel::Province),
            Some(level) => level.child(),
        }
    }

    /// Whether the community lies in this region.
    pub fn contains(&self, community: &CommunityCode) -> bool {
        community.as_str().starts_with(&self.0)
    }

    /// Whether every community of `other` lies in this region.
    pub fn covers(&self, other: &RegionPrefix) -> bool {
        other.0.starts_with(&self.0)
    }

    /// The 12-digit code with the prefix padded by zeros, as statistical tables print it.
    pub fn padded(&self) -> String {
        format!("{:0<12}", self.0)
    }
}

impl FromStr for CommunityCode {
    type Err = RegionParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let digits = normalise_digits(text)?;
        if digits.len() != 12 {
            return Err(RegionParseError::NotTwelveDigits {
                text: shorten(text),
                count: digits.len(),
            });
        }
        let level = level_of_full_code(&digits);
        if level != RegionLevel::Community {
            return Err(RegionParseError::NotACommunity {
                text: shorten(text),
                level: level.label_en(),
            });
        }
        let mut bytes = [0u8; 12];
        bytes.copy_from_slice(digits.as_bytes());
        Ok(Self(bytes))
    }
}

impl FromStr for RegionPrefix {
    type Err = RegionParseError;

    /// Accepts a prefix of 0, 2, 4, 6, 9 or 12 digits, or a 12-digit code padded
    /// with zeros (`110105000000` is the district `110105`).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let digits = normalise_digits(text)?;
        if digits.len() == 12 {
            let level = level_of_full_code(&digits);
            return Ok(Self(digits[..level.digits()].to_owned()));
        }
        if digits.is_empty() || RegionLevel::from_digits(digits.len()).is_some() {
            Ok(Self(digits))
        } else {
            Err(RegionParseError::BadPrefixLength {
                text: shorten(text),
                count: digits.len(),
            })
        }
    }
}

impl fmt::Display for CommunityCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for CommunityCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CommunityCode({})", self.as_str())
    }
}

impl fmt::Display for RegionPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RegionPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RegionPrefix({:?})", self.0)
    }
}

crate::text_form::text_form!(CommunityCode, "a 12-digit community code");
crate::text_form::text_form!(RegionPrefix, "a region code");

/// Keeps the digits of `text`, turning full-width digits into ASCII and dropping
/// spaces (ASCII and the ideographic space), and refuses anything else.
fn normalise_digits(text: &str) -> Result<String, RegionParseError> {
    let mut digits = String::with_capacity(12);
    for c in text.chars() {
        match c {
            '0'..='9' => digits.push(c),
            '０'..='９' => {
                // Full-width digits are U+FF10..U+FF19, in the order of '0'..'9'.
                let value = c as u32 - '０' as u32;
                digits.push(char::from(b'0' + value as u8));
            }
            ' ' | '\u{3000}' | '-' => {}
            found => {
                return Err(RegionParseError::NotADigit {
                    text: shorten(text),
                    found,
                });
            }
        }
    }
    Ok(digits)
}

/// The level a full 12-digit code names, judged by its trailing zeros.
fn level_of_full_code(digits: &str) -> RegionLevel {
    let tail_is_zero = |from: usize| digits[from..].bytes().all(|b| b == b'0');
    if tail_is_zero(2) {
        RegionLevel::Province
    } else if tail_is_zero(4) {
        RegionLevel::City
    } else if tail_is_zero(6) {
        RegionLevel::District
    } else if tail_is_zero(9) {
        RegionLevel::Street
    } else {
        RegionLevel::Community
    }
}

fn shorten(text: &str) -> String {
    text.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn community_codes_roll_up_by_prefix() {
        let code: CommunityCode = "110105007003".parse().unwrap();
        assert_eq!(code.region(RegionLevel::Province).as_str(), "11");
        assert_eq!(code.region(RegionLevel::City).as_str(), "1101");
        assert_eq!(code.region(RegionLevel::District).as_str(), "110105");
        assert_eq!(code.region(RegionLevel::Street).as_str(), "110105007");
        let district: RegionPrefix = "110105".parse().unwrap();
        assert!(district.contains(&code));
        assert!(!"110106".parse::<RegionPrefix>().unwrap().contains(&code));
        assert!(RegionPrefix::everywhere().contains(&code));
        assert_eq!(district.level(), Some(RegionLevel::District));
        assert_eq!(district.child_level(), Some(RegionLevel::Street));
        assert_eq!(district.padded(), "110105000000");
    }

    #[test]
    fn padded_codes_name_their_level() {
        let street: RegionPrefix = "110105007000".parse().unwrap();
        assert_eq!(street.as_str(), "110105007");
        let city: RegionPrefix = "130900000000".parse().unwrap();
        assert_eq!(city.as_str(), "1309");
    }

    #[test]
    fn full_width_digits_and_spaces_are_normalised() {
        let code: CommunityCode = "１１０１０５ ００７ ００３".parse().unwrap();
        assert_eq!(code.as_str(), "110105007003");
    }

    #[test]
    fn bad_codes_say_what_is_wrong() {
        let check = |text: &str, expect: &str| {
            assert_eq!(
                text.parse::<CommunityCode>().unwrap_err().to_string(),
                expect
            );
        };
        check(
            "11010500700",
            "region code `11010500700` has 11 digits; a community code has 12",
        );
        check(
            "110105007000",
            "region code `110105007000` names a street, not a community; a community code does not end in 000",
        );
        check(
            "1101050070a3",
            "region code `1101050070a3` has `a`, which is not a digit",
        );
        assert_eq!(
            "11010".parse::<RegionPrefix>().unwrap_err().to_string(),
            "region `11010` has 5 digits; a region has 2, 4, 6, 9 or 12"
        );
    }

    proptest! {
        #[test]
        fn parsing_never_panics(text in "\\PC{0,30}") {
            let _ = text.parse::<CommunityCode>();
            let _ = text.parse::<RegionPrefix>();
        }

        #[test]
        fn every_level_prefix_of_a_community_contains_it(digits in "[0-9]{9}[1-9][0-9]{2}") {
            let code: CommunityCode = digits.parse().unwrap();
            for level in RegionLevel::ALL {
                prop_assert!(code.region(level).contains(&code));
                prop_assert_eq!(code.region(level).level(), Some(level));
            }
        }
    }
}
