//! Closed sets of names (kinds, groups, categories) and the one macro that maps them.
//!
//! Each set is a Rust enum whose variants have one code name (the `GLOSSARY.md` name,
//! used in the document, in JSON and in CSV), a Chinese label and an English label for
//! the UIs. The macro gives every set the same text form everywhere, so a name read
//! from a document, a request or a CSV file is parsed by one function.

use std::fmt;

/// Why a text is not one of the names of a set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a {set}: expected one of {expected}")]
pub struct NameParseError {
    /// The set that was expected, e.g. `beneficiary group`.
    pub set: &'static str,
    /// The text that was given, shortened to 40 characters.
    pub text: String,
    /// The names of the set, comma separated.
    pub expected: String,
}

/// Defines a closed set of names; see the module doc.
macro_rules! define_names {
    (
        $(#[$meta:meta])*
        $name:ident, $set:literal {
            $( $(#[$vmeta:meta])* $variant:ident = ($code:literal, $zh:literal, $en:literal), )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every name of the set, in display order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The code name used in documents, JSON and CSV.
            pub const fn code(self) -> &'static str {
                match self { $(Self::$variant => $code,)+ }
            }

            /// The Chinese label for the UI.
            pub const fn label_zh(self) -> &'static str {
                match self { $(Self::$variant => $zh,)+ }
            }

            /// The English label for the UI.
            pub const fn label_en(self) -> &'static str {
                match self { $(Self::$variant => $en,)+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::names::NameParseError;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                match text {
                    $($code => Ok(Self::$variant),)+
                    _ => Err($crate::names::NameParseError {
                        set: $set,
                        text: text.chars().take(40).collect(),
                        expected: $crate::names::join_codes(&[$($code),+]),
                    }),
                }
            }
        }

        $crate::text_form::text_form!($name, $set);
    };
}

pub(crate) use define_names;

pub(crate) fn join_codes(codes: &[&str]) -> String {
    codes.join(", ")
}

/// A label in the language the reader chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    /// 简体中文, the default.
    #[default]
    Chinese,
    /// English.
    English,
}

impl Language {
    /// Parses the `lang` query value of the UIs (`zh` or `en`); anything else is Chinese.
    pub fn from_query(value: Option<&str>) -> Self {
        match value {
            Some("en") => Self::English,
            _ => Self::Chinese,
        }
    }

    /// The one of two words in this language.
    pub fn pick<T>(self, zh: T, en: T) -> T {
        match self {
            Self::Chinese => zh,
            Self::English => en,
        }
    }

    /// The value of the HTML `lang` attribute.
    pub fn html_lang(self) -> &'static str {
        match self {
            Self::Chinese => "zh-CN",
            Self::English => "en",
        }
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Chinese => "zh",
            Self::English => "en",
        })
    }
}
