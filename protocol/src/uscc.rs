//! The unified social credit code (统一社会信用代码) of an organisation, GB 32100-2015.
//!
//! Eighteen characters from a 31-character alphabet (digits and capitals without I,
//! O, Z, S, V); the last is a check character over the first seventeen. The code is
//! how the same unit organisation is recognised in every community of a city, so a
//! mistyped code must be caught where it is typed, not merged as a second org.

use std::fmt;
use std::str::FromStr;

const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// A unified social credit code whose check character is right.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CreditCode([u8; 18]);

/// Why a text is not a unified social credit code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreditCodeError {
    /// Not 18 characters.
    #[error("credit code `{text}` has {count} characters; a unified social credit code has 18")]
    Length {
        /// The text given.
        text: String,
        /// Its length.
        count: usize,
    },
    /// A character outside the code's alphabet.
    #[error(
        "credit code `{text}` has `{found}` at position {position}, which no credit code contains (no I, O, Z, S or V)"
    )]
    Character {
        /// The text given.
        text: String,
        /// The character.
        found: char,
        /// Its position, from 1.
        position: usize,
    },
    /// The check character does not match: a character was mistyped.
    #[error(
        "credit code `{text}` fails its check character (expected `{expected}` at the end); a character was mistyped"
    )]
    Check {
        /// The text given.
        text: String,
        /// The check character the first 17 characters call for.
        expected: char,
    },
}

impl CreditCode {
    /// The code as text.
    pub fn as_str(&self) -> &str {
        // Invariant: every byte is from ALPHABET, which is ASCII.
        std::str::from_utf8(&self.0).expect("a credit code is ASCII")
    }

    /// The check character that the first seventeen characters call for.
    pub fn check_character(first_seventeen: &[u8; 17]) -> Option<u8> {
        let mut sum = 0;
        for (byte, weight) in first_seventeen.iter().zip(WEIGHTS) {
            sum += alphabet_value(*byte)? * weight;
        }
        let check = (31 - sum % 31) % 31;
        Some(ALPHABET[check as usize])
    }
}

impl FromStr for CreditCode {
    type Err = CreditCodeError;

    /// Accepts lower case and full-width forms and ignores spaces; checks the last
    /// character.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let shown = || text.chars().take(40).collect::<String>();
        let mut bytes = Vec::with_capacity(18);
        for c in text.chars().filter(|c| !matches!(c, ' ' | '\u{3000}')) {
            let ascii = fullwidth_to_ascii(c).to_ascii_uppercase();
            if !ascii.is_ascii() || alphabet_value(ascii as u8).is_none() {
                return Err(CreditCodeError::Character {
                    text: shown(),
                    found: c,
                    position: bytes.len() + 1,
                });
            }
            bytes.push(ascii as u8);
            if bytes.len() > 18 {
                break;
            }
        }
        let count = text
            .chars()
            .filter(|c| !matches!(c, ' ' | '\u{3000}'))
            .count();
        let Ok(code) = <[u8; 18]>::try_from(bytes.as_slice()) else {
            return Err(CreditCodeError::Length {
                text: shown(),
                count,
            });
        };
        let mut first = [0u8; 17];
        first.copy_from_slice(&code[..17]);
        // Invariant: every byte was checked against the alphabet above.
        let expected = Self::check_character(&first).expect("alphabet checked");
        if code[17] != expected {
            return Err(CreditCodeError::Check {
                text: shown(),
                expected: char::from(expected),
            });
        }
        Ok(Self(code))
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CreditCode({})", self.as_str())
    }
}

crate::text_form::text_form!(CreditCode, "a credit code");

fn alphabet_value(byte: u8) -> Option<u32> {
    ALPHABET.iter().position(|&b| b == byte).map(|i| i as u32)
}

fn fullwidth_to_ascii(c: char) -> char {
    match c {
        // Full-width forms U+FF01..U+FF5E map to ASCII U+0021..U+007E.
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Builds a valid code from 17 alphabet indices.
    fn code_from(indices: &[usize; 17]) -> String {
        let mut first = [0u8; 17];
        for (slot, index) in first.iter_mut().zip(indices) {
            *slot = ALPHABET[*index];
        }
        let check = CreditCode::check_character(&first).unwrap();
        let mut text = String::from_utf8(first.to_vec()).unwrap();
        text.push(char::from(check));
        text
    }

    #[test]
    fn published_codes_pass() {
        // Codes printed on public business licences.
        for text in ["91350100M000100Y43", "91110000600037341L"] {
            assert_eq!(text.parse::<CreditCode>().unwrap().as_str(), text);
        }
        assert_eq!(
            "９１３５０１００ｍ０００１００ｙ４３"
                .parse::<CreditCode>()
                .unwrap()
                .as_str(),
            "91350100M000100Y43"
        );
    }

    #[test]
    fn mistakes_are_named() {
        assert_eq!(
            "91350100M000100Y44"
                .parse::<CreditCode>()
                .unwrap_err()
                .to_string(),
            "credit code `91350100M000100Y44` fails its check character (expected `3` at the end); a character was mistyped"
        );
        assert_eq!(
            "91350100M000100Y4"
                .parse::<CreditCode>()
                .unwrap_err()
                .to_string(),
            "credit code `91350100M000100Y4` has 17 characters; a unified social credit code has 18"
        );
        assert!(matches!(
            "91350100O000100Y43".parse::<CreditCode>(),
            Err(CreditCodeError::Character { position: 9, .. })
        ));
    }

    proptest! {
        #[test]
        fn every_single_substitution_is_caught(
            indices in proptest::array::uniform17(0usize..31),
            position in 0usize..18,
            replacement in 1usize..31,
        ) {
            let text = code_from(&indices);
            prop_assert!(text.parse::<CreditCode>().is_ok());
            let mut bytes = text.into_bytes();
            let old = alphabet_value(bytes[position]).unwrap() as usize;
            bytes[position] = ALPHABET[(old + replacement) % 31];
            let typo = String::from_utf8(bytes).unwrap();
            prop_assert!(typo.parse::<CreditCode>().is_err());
        }

        #[test]
        fn parsing_never_panics(text in "\\PC{0,30}") {
            let _ = text.parse::<CreditCode>();
        }
    }
}
