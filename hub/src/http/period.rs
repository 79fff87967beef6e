//! The period a request asks for (`from`/`to` dates or a named `period`), read the way
//! people type dates (2026-11-20, 2026/11/20, 2026.11.20), and why it was refused, worded
//! in English for the API and in Chinese for the dashboard.

use wishtree_protocol::Date;
use wishtree_protocol::names::Language;

use super::Params;
use crate::figures::{Period, PeriodError};

/// Why the period of a request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PeriodProblem {
    /// `from` or `to` is not a date.
    NotADate {
        /// `from` or `to`.
        key: &'static str,
        /// What was typed, cut to 40 characters.
        text: String,
    },
    /// A named period that is neither a month nor a half-year.
    NotANamedPeriod(String),
    /// Both a named period and dates.
    NamedAndDates,
    /// The period ends before it starts.
    Reversed {
        /// The first day given.
        from: Date,
        /// The last day given.
        to: Date,
    },
}

impl PeriodProblem {
    /// The problem in `lang`: what was wrong and how to write it instead.
    pub(crate) fn message(&self, lang: Language) -> String {
        match (self, lang) {
            (Self::NotADate { key, text }, Language::English) => {
                format!("{key}: `{text}` is not a date; write it as YYYY-MM-DD (e.g. 2026-07-01)")
            }
            (Self::NotADate { key, text }, Language::Chinese) => {
                let field = if *key == "from" {
                    "起始日期"
                } else {
                    "截止日期"
                };
                format!("{field}“{text}”不是有效日期，请写成 2026-07-01 或 2026/07/01")
            }
            (Self::NotANamedPeriod(text), Language::English) => format!(
                "period: `{text}` is not a month or half-year; write YYYY-MM (e.g. 2026-07) or YYYYH1/YYYYH2 (e.g. 2026H2)"
            ),
            (Self::NotANamedPeriod(text), Language::Chinese) => {
                format!("统计期间“{text}”无法识别，请写成月份（如 2026-07）或半年（如 2026H2）")
            }
            (Self::NamedAndDates, Language::English) => {
                "period: give either period or from/to, not both".to_owned()
            }
            (Self::NamedAndDates, Language::Chinese) => {
                "请只选一种方式：统计期间，或起止日期".to_owned()
            }
            (Self::Reversed { from, to }, Language::English) => format!(
                "from/to: the period starts on {from} but ends on {to}, before it starts; swap from and to"
            ),
            (Self::Reversed { from, to }, Language::Chinese) => {
                format!("起始日期 {from} 晚于截止日期 {to}，请对调两个日期")
            }
        }
    }
}

impl Params {
    /// `from` and `to` (dates), or `period` (a month `2026-07` or a half-year `2026H2`).
    pub(crate) fn period_or_problem(&self) -> Result<Period, PeriodProblem> {
        let date = |key: &'static str| -> Result<Option<Date>, PeriodProblem> {
            self.text(key)
                .map(|text| {
                    parse_date(text).ok_or_else(|| PeriodProblem::NotADate {
                        key,
                        text: text.chars().take(40).collect(),
                    })
                })
                .transpose()
        };
        let (from, to) = (date("from")?, date("to")?);
        match self.text("period") {
            Some(_) if from.is_some() || to.is_some() => Err(PeriodProblem::NamedAndDates),
            Some(named) => Ok(Period::parse_named(named)?),
            None => Ok(Period::new(from, to)?),
        }
    }
}

impl From<PeriodError> for PeriodProblem {
    fn from(error: PeriodError) -> Self {
        match error {
            PeriodError::Reversed { from, to } => Self::Reversed { from, to },
            PeriodError::Unknown(text) => Self::NotANamedPeriod(text),
        }
    }
}

/// A date as people type it: year, month and day parted by `-`, `/` or `.`, the month
/// and day with or without a leading zero.
pub(crate) fn parse_date(text: &str) -> Option<Date> {
    let mut parts = text.trim().split(['-', '/', '.']);
    let (Some(year), Some(month), Some(day), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let digits = |part: &str, most: usize| {
        !part.is_empty() && part.len() <= most && part.bytes().all(|b| b.is_ascii_digit())
    };
    if !(year.len() == 4 && digits(year, 4) && digits(month, 2) && digits(day, 2)) {
        return None;
    }
    Date::new(year.parse().ok()?, month.parse().ok()?, day.parse().ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_read_as_people_type_them() {
        for (text, expected) in [
            ("2026-11-20", Some("2026-11-20")),
            ("2026/11/20", Some("2026-11-20")),
            ("2026.11.20", Some("2026-11-20")),
            (" 2026/1/5 ", Some("2026-01-05")),
            ("2026-02-30", None),
            ("2026-11", None),
            ("2026-11-20-1", None),
            ("26/11/20", None),
            ("2026/+1/20", None),
            ("yesterday", None),
            ("", None),
        ] {
            assert_eq!(
                parse_date(text).map(|d| d.to_string()).as_deref(),
                expected,
                "{text:?}"
            );
        }
    }
}
