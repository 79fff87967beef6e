//! Text typed by people: names, titles and details, checked once where they enter.
//!
//! Any Unicode a person can mean is kept exactly: rare CJK ideographs beyond the
//! Basic Multilingual Plane (U+20000 and up), full-width digits, emoji. Refused, with
//! an error that names the character and its position, is what a person cannot see
//! or did not mean: control characters, the zero-width and bidirectional-override
//! characters that make two equal-looking names differ (in one-line text), and text
//! over the length limit. Surrounding spaces are trimmed.

use std::fmt;

/// Why a text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// Nothing left after trimming spaces.
    #[error("{field} is empty")]
    Empty {
        /// The field, e.g. `name`.
        field: &'static str,
    },
    /// Longer than the field allows.
    #[error("{field} has {length} characters; at most {limit} are allowed")]
    TooLong {
        /// The field.
        field: &'static str,
        /// Its length in characters.
        length: usize,
        /// The limit in characters.
        limit: usize,
    },
    /// A character a person cannot see or did not mean.
    #[error(
        "{field} has an invisible or control character U+{code:04X} at position {position}; remove it"
    )]
    Invisible {
        /// The field.
        field: &'static str,
        /// The code point.
        code: u32,
        /// Its position, counting characters from 1.
        position: usize,
    },
}

/// What a kind of text allows.
#[derive(Debug, Clone, Copy)]
struct Rules {
    limit: usize,
    multi_line: bool,
    may_be_empty: bool,
}

/// Defines a checked text newtype.
macro_rules! define_text {
    ($(#[$meta:meta])* $name:ident, $rules:expr) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);

        impl $name {
            /// Checks `text` for the field `field`, trimming surrounding spaces.
            pub fn parse(field: &'static str, text: &str) -> Result<Self, TextError> {
                check(field, text, $rules).map(Self)
            }

            /// The text.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The text, owned.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.0, f)
            }
        }

        impl From<$name> for String {
            fn from(text: $name) -> String {
                text.0
            }
        }
    };
}

define_text!(
    /// A one-line name of a person, organisation, team or place: 1 to 100 characters.
    Name,
    Rules { limit: 100, multi_line: false, may_be_empty: false }
);
define_text!(
    /// A one-line title of a wish, project, post or activity: 1 to 200 characters.
    Title,
    Rules { limit: 200, multi_line: false, may_be_empty: false }
);
define_text!(
    /// A short one-line text that may be empty (a position, a place): 0 to 100 characters.
    Label,
    Rules { limit: 100, multi_line: false, may_be_empty: true }
);
define_text!(
    /// Free text that may span lines: 0 to 4,000 characters.
    Detail,
    Rules { limit: 4000, multi_line: true, may_be_empty: true }
);

fn check(field: &'static str, text: &str, rules: Rules) -> Result<String, TextError> {
    let trimmed = text.trim_matches(|c: char| c.is_whitespace());
    if trimmed.is_empty() && !rules.may_be_empty {
        return Err(TextError::Empty { field });
    }
    let mut length = 0;
    for (index, c) in trimmed.chars().enumerate() {
        length += 1;
        if is_refused(c, rules.multi_line) {
            return Err(TextError::Invisible {
                field,
                code: c as u32,
                position: index + 1,
            });
        }
    }
    if length > rules.limit {
        return Err(TextError::TooLong {
            field,
            length,
            limit: rules.limit,
        });
    }
    Ok(trimmed.to_owned())
}

fn is_refused(c: char, multi_line: bool) -> bool {
    let bidi_control = matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
    if c.is_control() {
        return !(multi_line && matches!(c, '\n' | '\t' | '\r'));
    }
    if bidi_control {
        return true;
    }
    let invisible = matches!(
        c,
        '\u{00AD}' | '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}'
    );
    // Zero-width joiners belong in emoji sequences inside free text; in a one-line
    // name they only make two equal-looking names differ.
    invisible && !(multi_line && c == '\u{200D}')
}

/// A phone number as people write it, checked: a mainland mobile (11 digits from 13–19,
/// `+86` allowed before it), a landline with its area code (0 and 9 to 11 more digits,
/// e.g. `010-69012345`), or a local number of 7 or 8 digits. Spaces, hyphens,
/// brackets and full-width digits are accepted as typed and dropped: the number keeps
/// its digits only, so one phone is written one way.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Phone(String);

/// Why a phone number was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{field} `{text}` is not a phone number; write a mobile (11 digits, e.g. 13912345678) or a landline with its area code (e.g. 010-69012345)"
)]
pub struct PhoneError {
    /// The field, e.g. `phone`.
    pub field: &'static str,
    /// What was typed, cut to 40 characters.
    pub text: String,
}

impl PhoneError {
    /// The reason in Chinese, for the page where it was typed.
    pub fn describe_zh(&self) -> String {
        format!(
            "“{}”不是有效的电话号码：请填写11位手机号（如 13912345678）或带区号的座机（如 010-69012345）",
            self.text
        )
    }
}

impl Phone {
    /// Checks `text` as a phone number for `field`.
    pub fn parse(field: &'static str, text: &str) -> Result<Self, PhoneError> {
        let refuse = || PhoneError {
            field,
            text: text.trim().chars().take(40).collect(),
        };
        let mut digits = String::new();
        for (index, c) in text.trim().chars().enumerate() {
            match c {
                '0'..='9' => digits.push(c),
                // Full-width digits, as a Chinese input method types them.
                '０'..='９' => digits.push(char::from(b'0' + (u32::from(c) - 0xFF10) as u8)),
                '+' | '＋' if index == 0 => {}
                ' ' | '\u{3000}' | '-' | '－' | '(' | ')' | '（' | '）' => {}
                _ => return Err(refuse()),
            }
        }
        let has_country_code = text.trim_start().starts_with(['+', '＋']);
        let national = match digits.strip_prefix("86") {
            Some(rest) if has_country_code || (rest.len() == 11 && rest.starts_with('1')) => {
                rest.to_owned()
            }
            _ if has_country_code => return Err(refuse()),
            _ => digits,
        };
        let bytes = national.as_bytes();
        let is_mobile = bytes.len() == 11 && bytes[0] == b'1' && (b'3'..=b'9').contains(&bytes[1]);
        let is_landline = (10..=12).contains(&bytes.len()) && bytes[0] == b'0';
        let is_local = (7..=8).contains(&bytes.len()) && !matches!(bytes[0], b'0' | b'1');
        if is_mobile || is_landline || is_local {
            Ok(Self(national))
        } else {
            Err(refuse())
        }
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Phone({:?})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn rare_ideographs_and_full_width_digits_are_kept() {
        for text in ["𠀀𪚥𰻞", "张𡃁", "３号楼２单元", "王　小明", "😀👨‍👩‍👧"]
        {
            let name = Detail::parse("detail", text).unwrap();
            assert_eq!(name.as_str(), text);
        }
        assert_eq!(Name::parse("name", "𠀀𪚥𰻞").unwrap().as_str(), "𠀀𪚥𰻞");
        assert_eq!(Name::parse("name", "  彭女士 ").unwrap().as_str(), "彭女士");
    }

    #[test]
    fn invisible_characters_are_refused_with_their_position() {
        assert_eq!(
            Name::parse("name", "张\u{200B}婷").unwrap_err().to_string(),
            "name has an invisible or control character U+200B at position 2; remove it"
        );
        assert!(Name::parse("name", "a\u{202E}b").is_err());
        assert!(Detail::parse("detail", "a\u{202E}b").is_err());
        assert!(Name::parse("name", "a\nb").is_err());
        assert!(Detail::parse("detail", "第一行\n第二行").is_ok());
    }

    #[test]
    fn long_and_empty_text_is_refused() {
        let long: String = "𠀀".repeat(101);
        assert_eq!(
            Name::parse("name", &long).unwrap_err().to_string(),
            "name has 101 characters; at most 100 are allowed"
        );
        assert_eq!(
            Name::parse("name", " \u{3000} ").unwrap_err().to_string(),
            "name is empty"
        );
        assert_eq!(Detail::parse("detail", "").unwrap().as_str(), "");
    }

    #[test]
    fn phone_numbers_are_read_as_people_write_them() {
        for (typed, kept) in [
            ("13912345678", Some("13912345678")),
            ("139 1234 5678", Some("13912345678")),
            ("139-1234-5678", Some("13912345678")),
            ("+86 139 1234 5678", Some("13912345678")),
            ("8613912345678", Some("13912345678")),
            ("１３９１２３４５６７８", Some("13912345678")),
            ("010-69012345", Some("01069012345")),
            ("（0311）8765432", Some("03118765432")),
            ("69012345", Some("69012345")),
            ("1391234567", None),
            ("12912345678", None),
            ("139123456789", None),
            ("abc", None),
            ("138\u{200B}00000001", None),
            ("+1 650 253 0000", None),
            ("", None),
        ] {
            let parsed = Phone::parse("phone", typed);
            assert_eq!(parsed.as_ref().ok().map(Phone::as_str), kept, "{typed:?}");
        }
        let error = Phone::parse("phone", "1391234").unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("phone `1391234` is not a phone number")
        );
        assert!(error.describe_zh().contains("不是有效的电话号码"));
    }

    proptest! {
        #[test]
        fn arbitrary_phones_never_panic(text in "\\PC{0,40}") {
            let _ = Phone::parse("phone", &text);
        }

        #[test]
        fn accepted_text_is_kept_exactly(text in "[\\p{Han}\\p{L}\\p{N}][\\p{Han}\\p{L}\\p{N}\\p{P} ]{0,60}[\\p{Han}\\p{L}\\p{N}]") {
            let title = Title::parse("title", &text).unwrap();
            prop_assert_eq!(title.as_str(), text.as_str());
        }

        #[test]
        fn arbitrary_text_never_panics(text in "\\PC{0,300}|[\\x00-\\x{10FFFF}]{0,50}") {
            let _ = Name::parse("name", &text);
            let _ = Detail::parse("detail", &text);
        }
    }
}
