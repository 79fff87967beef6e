//! Time: instants in UTC, calendar dates, and the periods that figures are cut by.
//!
//! `protocol` reads no clock: the driver passes `now` in. Instants are UTC
//! milliseconds; people see them in Asia/Shanghai time, which has been UTC+8 all year
//! since 1991, so no time-zone database is needed. Calendar arithmetic uses the
//! days-from-civil algorithm of Howard Hinnant (public domain), proleptic Gregorian.

use std::fmt;
use std::str::FromStr;

/// Milliseconds of the Asia/Shanghai offset from UTC.
const SHANGHAI_OFFSET_MS: i64 = 8 * 3600 * 1000;
const MS_PER_DAY: i64 = 86_400_000;

/// An instant, in milliseconds since 1970-01-01T00:00:00Z.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(i64);

/// A calendar date (no time of day), as people write it: 2026-11-23.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: i32,
    month: u8,
    day: u8,
}

/// A half-year, the period of a member's report (报到—服务—报告): `2026H2`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HalfYear {
    year: i32,
    /// 1 for January–June, 2 for July–December.
    half: u8,
}

/// Why a text is not a date or a period.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeParseError {
    /// Not of the form `YYYY-MM-DD`, or no such day.
    #[error("`{0}` is not a date; write it as YYYY-MM-DD, e.g. 2026-11-23")]
    Date(String),
    /// Not of the form `YYYYH1` / `YYYYH2`.
    #[error("`{0}` is not a half-year; write it as YYYYH1 or YYYYH2, e.g. 2026H2")]
    HalfYear(String),
}

impl Timestamp {
    /// Wraps milliseconds since the Unix epoch.
    pub const fn from_millis(millis: i64) -> Self {
        Self(millis)
    }

    /// Milliseconds since the Unix epoch.
    pub const fn as_millis(self) -> i64 {
        self.0
    }

    /// The calendar date of this instant in Shanghai.
    pub fn date_in_shanghai(self) -> Date {
        Date::from_days((self.0 + SHANGHAI_OFFSET_MS).div_euclid(MS_PER_DAY) as i32)
    }

    /// The instant as Shanghai wall time, `2026-11-23 15:04`.
    pub fn display_in_shanghai(self) -> impl fmt::Display {
        ShanghaiTime(self)
    }

    /// Whole days from `self` to `later`, rounding down; negative if `later` is earlier.
    pub fn days_until(self, later: Timestamp) -> i64 {
        (later.0 - self.0).div_euclid(MS_PER_DAY)
    }

    /// The instant `millis` later.
    pub const fn plus_millis(self, millis: i64) -> Self {
        Self(self.0.saturating_add(millis))
    }
}

struct ShanghaiTime(Timestamp);

impl fmt::Display for ShanghaiTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let local = self.0.0 + SHANGHAI_OFFSET_MS;
        let date = Date::from_days(local.div_euclid(MS_PER_DAY) as i32);
        let minute_of_day = local.rem_euclid(MS_PER_DAY) / 60_000;
        write!(
            f,
            "{date} {:02}:{:02}",
            minute_of_day / 60,
            minute_of_day % 60
        )
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({} CST)", self.display_in_shanghai())
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        i64::deserialize(deserializer).map(Self)
    }
}

impl autosurgeon::Reconcile for Timestamp {
    type Key<'a> = autosurgeon::reconcile::NoKey;
    fn reconcile<R: autosurgeon::Reconciler>(&self, mut reconciler: R) -> Result<(), R::Error> {
        reconciler.timestamp(self.0)
    }
}

impl autosurgeon::Hydrate for Timestamp {
    fn hydrate_timestamp(millis: i64) -> Result<Self, autosurgeon::HydrateError> {
        Ok(Self(millis))
    }

    fn hydrate_int(millis: i64) -> Result<Self, autosurgeon::HydrateError> {
        Ok(Self(millis))
    }
}

impl Date {
    /// The date with these parts, if it exists.
    pub fn new(year: i32, month: u8, day: u8) -> Option<Self> {
        let valid = (1..=12).contains(&month)
            && day >= 1
            && day <= days_in_month(year, month)
            && (1900..=9999).contains(&year);
        valid.then_some(Self { year, month, day })
    }

    /// The year.
    pub const fn year(self) -> i32 {
        self.year
    }

    /// The month, 1 to 12.
    pub const fn month(self) -> u8 {
        self.month
    }

    /// The day of the month, 1 to 31.
    pub const fn day(self) -> u8 {
        self.day
    }

    /// The half-year the date falls in.
    pub const fn half_year(self) -> HalfYear {
        HalfYear {
            year: self.year,
            half: if self.month <= 6 { 1 } else { 2 },
        }
    }

    /// Days since 1970-01-01.
    pub fn to_days(self) -> i32 {
        let year = if self.month <= 2 {
            self.year - 1
        } else {
            self.year
        };
        let era = year.div_euclid(400);
        let year_of_era = year - era * 400;
        let month = i32::from(self.month);
        let day_of_year = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5
            + i32::from(self.day)
            - 1;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        era * 146_097 + day_of_era - 719_468
    }

    /// The date `days` after 1970-01-01.
    pub fn from_days(days: i32) -> Self {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let day_of_era = z - era * 146_097;
        let year_of_era =
            (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let mp = (5 * day_of_year + 2) / 153;
        let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = year_of_era + era * 400 + i32::from(month <= 2);
        Self { year, month, day }
    }

    /// The instant the day starts in Shanghai.
    pub fn start_in_shanghai(self) -> Timestamp {
        Timestamp(i64::from(self.to_days()) * MS_PER_DAY - SHANGHAI_OFFSET_MS)
    }

    /// Noon of the day in Shanghai: an instant that falls on this day whether it is
    /// read in Shanghai or in UTC.
    pub fn noon_in_shanghai(self) -> Timestamp {
        self.start_in_shanghai().plus_millis(MS_PER_DAY / 2)
    }

    /// The month as `YYYY-MM`, the key of monthly figures.
    pub fn month_key(self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }
}

impl HalfYear {
    /// The half-year `half` (1 or 2) of `year`.
    pub fn new(year: i32, half: u8) -> Option<Self> {
        ((1..=2).contains(&half) && (1900..=9999).contains(&year)).then_some(Self { year, half })
    }

    /// The year.
    pub fn year(self) -> i32 {
        self.year
    }

    /// 1 for January–June, 2 for July–December.
    pub fn half(self) -> u8 {
        self.half
    }

    /// The first day of the period.
    pub fn first_day(self) -> Date {
        Date {
            year: self.year,
            month: if self.half == 1 { 1 } else { 7 },
            day: 1,
        }
    }

    /// The last day of the period.
    pub fn last_day(self) -> Date {
        if self.half == 1 {
            Date {
                year: self.year,
                month: 6,
                day: 30,
            }
        } else {
            Date {
                year: self.year,
                month: 12,
                day: 31,
            }
        }
    }

    /// The day after the period: the first on which it is over (and can be sealed).
    pub fn day_after(self) -> Date {
        Date::from_days(self.last_day().to_days() + 1)
    }

    /// Whether the date lies in the period.
    pub fn contains(self, date: Date) -> bool {
        date.half_year() == self
    }

    /// The period as people say it in Chinese: `2026年下半年`.
    pub fn label_zh(self) -> String {
        format!(
            "{}年{}半年",
            self.year,
            if self.half == 1 { "上" } else { "下" }
        )
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl fmt::Debug for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Date({self})")
    }
}

impl FromStr for Date {
    type Err = TimeParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = || TimeParseError::Date(text.chars().take(40).collect());
        let bytes = text.as_bytes();
        if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
            return Err(error());
        }
        let number = |range: std::ops::Range<usize>| -> Result<u32, TimeParseError> {
            let part = &text[range];
            if part.bytes().all(|b| b.is_ascii_digit()) {
                part.parse().map_err(|_| error())
            } else {
                Err(error())
            }
        };
        let year = number(0..4)? as i32;
        let month = number(5..7)? as u8;
        let day = number(8..10)? as u8;
        Date::new(year, month, day).ok_or_else(error)
    }
}

impl Date {
    /// A date as people type it: `2026-11-20`, `2026/11/20`, `2026.11.20`,
    /// `2026年11月20日`, with one- or two-digit months and days, full-width digits
    /// and separators, and spaces around. The strict form of [`FromStr`] is what
    /// documents and the API's answers carry; this is for what arrives from a person.
    pub fn from_typed(text: &str) -> Result<Self, TimeParseError> {
        let error = || TimeParseError::Date(text.trim().chars().take(40).collect());
        let normal: String = text
            .trim()
            .chars()
            .map(|c| match c {
                // Full-width digits and punctuation, as a Chinese input method types them.
                '\u{FF10}'..='\u{FF19}' => char::from(b'0' + (c as u32 - 0xFF10) as u8),
                '／' | '．' | '－' | '。' | '年' | '月' => '-',
                '/' | '.' => '-',
                other => other,
            })
            .collect();
        let normal = normal.strip_suffix('日').unwrap_or(&normal);
        let mut parts = normal.split('-');
        let (Some(year), Some(month), Some(day), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(error());
        };
        let digits = |part: &str, lengths: std::ops::RangeInclusive<usize>| {
            (lengths.contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit()))
                .then(|| part.parse::<u32>().ok())
                .flatten()
                .ok_or_else(error)
        };
        let year = digits(year.trim(), 4..=4)? as i32;
        let month = digits(month.trim(), 1..=2)? as u8;
        let day = digits(day.trim(), 1..=2)? as u8;
        Date::new(year, month, day).ok_or_else(error)
    }
}

impl fmt::Display for HalfYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}H{}", self.year, self.half)
    }
}

impl fmt::Debug for HalfYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HalfYear({self})")
    }
}

impl FromStr for HalfYear {
    type Err = TimeParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = || TimeParseError::HalfYear(text.chars().take(40).collect());
        let (year, half) = text.split_once(['H', 'h']).ok_or_else(error)?;
        if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
            return Err(error());
        }
        let year: i32 = year.parse().map_err(|_| error())?;
        let half: u8 = match half {
            "1" => 1,
            "2" => 2,
            _ => return Err(error()),
        };
        HalfYear::new(year, half).ok_or_else(error)
    }
}

crate::text_form::text_form!(Date, "a date YYYY-MM-DD");
crate::text_form::text_form!(HalfYear, "a half-year YYYYH1 or YYYYH2");

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn shanghai_is_eight_hours_ahead() {
        // 2026-11-23T16:30:00Z is half past midnight on the 24th in Shanghai.
        let instant = Timestamp::from_millis(1_795_451_400_000);
        assert_eq!(
            instant.display_in_shanghai().to_string(),
            "2026-11-24 00:30"
        );
        assert_eq!(instant.date_in_shanghai().to_string(), "2026-11-24");
        let day: Date = "2026-11-24".parse().unwrap();
        assert_eq!(
            day.start_in_shanghai().display_in_shanghai().to_string(),
            "2026-11-24 00:00"
        );
    }

    #[test]
    fn dates_and_half_years_parse_and_refuse() {
        assert_eq!("2024-02-29".parse::<Date>().unwrap().to_days(), 19_782);
        assert!("2023-02-29".parse::<Date>().is_err());
        assert!("2026-1-05".parse::<Date>().is_err());
        assert!("２０２６-01-05".parse::<Date>().is_err());
        let half: HalfYear = "2026H2".parse().unwrap();
        assert_eq!(half.first_day().to_string(), "2026-07-01");
        assert_eq!(half.last_day().to_string(), "2026-12-31");
        assert!(half.contains("2026-07-01".parse().unwrap()));
        assert!(!half.contains("2026-06-30".parse().unwrap()));
        assert_eq!(half.label_zh(), "2026年下半年");
        assert_eq!(
            "2026H3".parse::<HalfYear>().unwrap_err().to_string(),
            "`2026H3` is not a half-year; write it as YYYYH1 or YYYYH2, e.g. 2026H2"
        );
    }

    proptest! {
        #[test]
        fn days_round_trip(days in -25_000i32..2_900_000) {
            let date = Date::from_days(days);
            prop_assert_eq!(date.to_days(), days);
            if let Ok(parsed) = date.to_string().parse::<Date>() {
                prop_assert_eq!(parsed, date);
            }
        }

        #[test]
        fn parsing_never_panics(text in "\\PC{0,12}") {
            let _ = text.parse::<Date>();
            let _ = text.parse::<HalfYear>();
            let _ = Date::from_typed(&text);
        }

        /// Every way a person may type a date reads as the same day as its ISO form.
        #[test]
        fn typed_dates_read_as_their_iso_form(days in -25_000i32..29_000) {
            let date = Date::from_days(days);
            let (y, m, d) = (date.year(), date.month(), date.day());
            let full_width = |text: String| -> String {
                text.chars()
                    .map(|c| match c.to_digit(10) {
                        Some(digit) => char::from_u32(0xFF10 + digit).unwrap_or(c),
                        None => c,
                    })
                    .collect()
            };
            for typed in [
                date.to_string(),
                format!("{y}/{m:02}/{d:02}"),
                format!("{y}.{m:02}.{d:02}"),
                format!("{y}/{m}/{d}"),
                format!("{y}.{m}.{d}"),
                format!(" {y}-{m}-{d} "),
                format!("{y}年{m}月{d}日"),
                full_width(format!("{y}/{m}/{d}")),
                full_width(date.to_string()),
            ] {
                prop_assert_eq!(Date::from_typed(&typed), Ok(date), "{}", typed);
            }
        }

        /// Junk around a date, or in place of one, is an error.
        #[test]
        fn junk_is_not_a_typed_date(days in -25_000i32..29_000, junk in "[a-z#+:]{1,3}") {
            let date = Date::from_days(days);
            let (after, before) = (format!("{date}{junk}"), format!("{junk}{date}"));
            prop_assert!(Date::from_typed(&after).is_err());
            prop_assert!(Date::from_typed(&before).is_err());
            prop_assert!(Date::from_typed(&junk).is_err());
        }
    }
}
