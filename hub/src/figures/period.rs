//! Periods that figures are cut by (from/to dates, a month, a half-year), and how a
//! period splits into whole months (read from the rollups) and edge days (read from
//! the raw rows).

use std::fmt;

use wishtree_protocol::{Date, HalfYear};

/// A span of days, both ends included; a missing end is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Period {
    from: Option<Date>,
    to: Option<Date>,
}

/// Why a period was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    /// The period ends before it starts.
    #[error("the period starts on {from} but ends on {to}, before it starts; swap from and to")]
    Reversed {
        /// The first day given.
        from: Date,
        /// The last day given.
        to: Date,
    },
    /// A month that is not `YYYY-MM`.
    #[error(
        "`{0}` is not a month or half-year; write YYYY-MM (e.g. 2026-07) or YYYYH1/YYYYH2 (e.g. 2026H2)"
    )]
    Unknown(String),
}

/// Which rows a period reads: whole months from the rollups, the rest from raw rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Split {
    /// The months read from the rollups.
    pub(crate) months: Months,
    /// Day ranges (inclusive day numbers) read from the raw rows.
    pub(crate) days: Vec<(i32, i32)>,
}

/// The rollup rows a query reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Months {
    /// The all-time rows (`month = 0`).
    AllTime,
    /// The month rows from the first to the last, as `YYYYMM`, both included.
    Range(i64, i64),
    /// No rollup rows.
    Nothing,
}

/// The first and last month number a rollup can hold.
pub(crate) const FIRST_MONTH: i64 = 1;
pub(crate) const LAST_MONTH: i64 = 999_912;

impl Period {
    /// Every day.
    pub const fn all() -> Self {
        Self {
            from: None,
            to: None,
        }
    }

    /// From `from` to `to`, both included; either may be open.
    pub fn new(from: Option<Date>, to: Option<Date>) -> Result<Self, PeriodError> {
        if let (Some(from), Some(to)) = (from, to)
            && from > to
        {
            return Err(PeriodError::Reversed { from, to });
        }
        Ok(Self { from, to })
    }

    /// One calendar month.
    pub fn month(year: i32, month: u8) -> Option<Self> {
        let first = Date::new(year, month, 1)?;
        Some(Self {
            from: Some(first),
            to: Some(last_day_of_month(first)),
        })
    }

    /// One half-year (报到—服务—报告 period).
    pub fn half_year(half: HalfYear) -> Self {
        Self {
            from: Some(half.first_day()),
            to: Some(half.last_day()),
        }
    }

    /// Parses a month (`2026-07`) or a half-year (`2026H2`).
    pub fn parse_named(text: &str) -> Result<Self, PeriodError> {
        let unknown = || PeriodError::Unknown(text.chars().take(40).collect());
        if let Ok(half) = text.parse::<HalfYear>() {
            return Ok(Self::half_year(half));
        }
        let (year, month) = text.trim().split_once('-').ok_or_else(unknown)?;
        let (Ok(year), Ok(month)) = (year.parse::<i32>(), month.parse::<u8>()) else {
            return Err(unknown());
        };
        if !(1900..=9999).contains(&year) {
            return Err(unknown());
        }
        Self::month(year, month).ok_or_else(unknown)
    }

    /// The first day, if bounded.
    pub fn from(&self) -> Option<Date> {
        self.from
    }

    /// The last day, if bounded.
    pub fn to(&self) -> Option<Date> {
        self.to
    }

    /// Whether the period is every day.
    pub fn is_all(&self) -> bool {
        self.from.is_none() && self.to.is_none()
    }

    /// Whether the day lies in the period.
    pub fn contains(&self, date: Date) -> bool {
        self.from.is_none_or(|from| from <= date) && self.to.is_none_or(|to| date <= to)
    }

    /// The period for stocks (members, organisations, pairings): everything up to the
    /// end of this period.
    pub fn up_to_end(&self) -> Self {
        Self {
            from: None,
            to: self.to,
        }
    }

    /// The first and last day numbers, open ends as the extremes.
    pub(crate) fn day_bounds(&self) -> (i32, i32) {
        (
            self.from.map_or(i32::MIN, Date::to_days),
            self.to.map_or(i32::MAX, Date::to_days),
        )
    }

    /// Splits the period into whole months and edge days. With `all_time_row`, an
    /// unbounded period reads the all-time rollup rows.
    pub(crate) fn split(&self, all_time_row: bool) -> Split {
        if self.is_all() && all_time_row {
            return Split {
                months: Months::AllTime,
                days: Vec::new(),
            };
        }
        let first_whole = match self.from {
            None => FIRST_MONTH,
            Some(from) if from.day() == 1 => month_number(from),
            Some(from) => month_number(first_day_of_next_month(from)),
        };
        let last_whole = match self.to {
            None => LAST_MONTH,
            Some(to) if to == last_day_of_month(to) => month_number(to),
            Some(to) => month_number(previous_month_last_day(to)),
        };
        if first_whole > last_whole {
            let (first, last) = self.day_bounds();
            return Split {
                months: Months::Nothing,
                days: vec![(first, last)],
            };
        }
        let mut days = Vec::new();
        if let Some(from) = self.from
            && from.day() != 1
        {
            days.push((from.to_days(), last_day_of_month(from).to_days()));
        }
        if let Some(to) = self.to
            && to != last_day_of_month(to)
        {
            days.push((first_day_of_month(to).to_days(), to.to_days()));
        }
        Split {
            months: Months::Range(first_whole, last_whole),
            days,
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.from, self.to) {
            (None, None) => f.write_str("all time"),
            (Some(from), None) => write!(f, "from {from}"),
            (None, Some(to)) => write!(f, "up to {to}"),
            (Some(from), Some(to)) => write!(f, "{from} to {to}"),
        }
    }
}

/// The month of a date as `YYYYMM`.
pub(crate) fn month_number(date: Date) -> i64 {
    i64::from(date.year()) * 100 + i64::from(date.month())
}

/// The month number as `YYYY-MM`.
pub(crate) fn month_label(month: i64) -> String {
    format!("{:04}-{:02}", month / 100, month % 100)
}

fn first_day_of_month(date: Date) -> Date {
    Date::from_days(date.to_days() - i32::from(date.day()) + 1)
}

fn first_day_of_next_month(date: Date) -> Date {
    // Every month has at least 28 days, so day 28 + 4 lands in the next month.
    let later = Date::from_days(first_day_of_month(date).to_days() + 32);
    first_day_of_month(later)
}

fn last_day_of_month(date: Date) -> Date {
    Date::from_days(first_day_of_next_month(date).to_days() - 1)
}

fn previous_month_last_day(date: Date) -> Date {
    Date::from_days(first_day_of_month(date).to_days() - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> Date {
        text.parse().expect("test date")
    }

    fn check(from: Option<&str>, to: Option<&str>, months: Months, days: &[(&str, &str)]) {
        let period = Period::new(from.map(date), to.map(date)).expect("period");
        let split = period.split(true);
        assert_eq!(split.months, months, "{period}");
        let expected: Vec<(i32, i32)> = days
            .iter()
            .map(|(a, b)| (date(a).to_days(), date(b).to_days()))
            .collect();
        assert_eq!(split.days, expected, "{period}");
    }

    #[test]
    fn periods_split_into_whole_months_and_edge_days() {
        check(None, None, Months::AllTime, &[]);
        check(
            Some("2026-01-01"),
            Some("2026-06-30"),
            Months::Range(202601, 202606),
            &[],
        );
        check(
            Some("2026-01-15"),
            Some("2026-03-10"),
            Months::Range(202602, 202602),
            &[("2026-01-15", "2026-01-31"), ("2026-03-01", "2026-03-10")],
        );
        check(
            Some("2026-02-03"),
            Some("2026-02-20"),
            Months::Nothing,
            &[("2026-02-03", "2026-02-20")],
        );
        check(
            Some("2026-01-15"),
            Some("2026-02-10"),
            Months::Nothing,
            &[("2026-01-15", "2026-02-10")],
        );
        check(
            None,
            Some("2024-02-28"),
            Months::Range(FIRST_MONTH, 202401),
            &[("2024-02-01", "2024-02-28")],
        );
        check(
            Some("2025-12-31"),
            None,
            Months::Range(202601, LAST_MONTH),
            &[("2025-12-31", "2025-12-31")],
        );
    }

    #[test]
    fn named_periods_parse_and_bad_ones_are_named() {
        assert_eq!(
            Period::parse_named("2026H2").expect("half-year"),
            Period::new(Some(date("2026-07-01")), Some(date("2026-12-31"))).expect("period")
        );
        assert_eq!(
            Period::parse_named("2024-02").expect("month"),
            Period::new(Some(date("2024-02-01")), Some(date("2024-02-29"))).expect("period")
        );
        for bad in ["2026-13", "2026H3", "july", "20-01"] {
            let error = Period::parse_named(bad).expect_err(bad).to_string();
            assert!(error.contains(bad), "{error}");
        }
        let reversed = Period::new(Some(date("2026-02-01")), Some(date("2026-01-01")));
        assert!(reversed.is_err());
    }
}
