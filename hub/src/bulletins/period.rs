//! The period of a bulletin: a calendar month (`2026-11`, 月度通报) or a half-year
//! (`2026H1`, 半年度通报), written as text everywhere (the form, the CLI, the stored
//! JSON).

use std::fmt;
use std::str::FromStr;

use wishtree_protocol::{Date, HalfYear};

use super::BulletinError;
use crate::figures::Period;

/// A bulletin's period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BulletinPeriod {
    /// A calendar month.
    Month {
        /// The year.
        year: i32,
        /// The month, 1 to 12.
        month: u8,
    },
    /// A half-year.
    Half(HalfYear),
}

/// The two kinds of bulletin; a change is measured against the same kind only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BulletinKind {
    /// 月度通报.
    Monthly,
    /// 半年度通报.
    HalfYearly,
}

impl BulletinPeriod {
    /// Its kind.
    pub fn kind(self) -> BulletinKind {
        match self {
            Self::Month { .. } => BulletinKind::Monthly,
            Self::Half(_) => BulletinKind::HalfYearly,
        }
    }

    /// Its first day.
    pub fn first_day(self) -> Date {
        match self {
            // Invariant: a `Month` is only made from a month that parsed (1 to 12).
            Self::Month { year, month } => Date::new(year, month, 1).unwrap_or(Date::from_days(0)),
            Self::Half(half) => half.first_day(),
        }
    }

    /// Its last day.
    pub fn last_day(self) -> Date {
        self.period().to().unwrap_or_else(|| self.first_day())
    }

    /// The figures' period of the same days.
    pub fn period(self) -> Period {
        match self {
            Self::Month { year, month } => Period::month(year, month).unwrap_or_default(),
            Self::Half(half) => Period::half_year(half),
        }
    }

    /// Whether the period is over on `today`: its bulletin may be issued.
    pub fn is_closed_on(self, today: Date) -> bool {
        today > self.last_day()
    }

    /// The period as people say it in Chinese: `2026年11月`, `2026年上半年`.
    pub fn label_zh(self) -> String {
        match self {
            Self::Month { year, month } => format!("{year}年{month}月"),
            Self::Half(half) => half.label_zh(),
        }
    }

    /// The period in English: `2026-11`, `first half of 2026`.
    pub fn label_en(self) -> String {
        match self {
            Self::Month { .. } => self.to_string(),
            Self::Half(half) => format!(
                "{} half of {}",
                if half.half() == 1 { "first" } else { "second" },
                half.year()
            ),
        }
    }

    /// The latest closed months and half-years on `today`, newest first: what the
    /// issue form offers.
    pub fn recent_closed(today: Date) -> Vec<Self> {
        let mut out = Vec::new();
        let (mut year, mut month) = (today.year(), today.month());
        for _ in 0..3 {
            (year, month) = if month == 1 {
                (year - 1, 12)
            } else {
                (year, month - 1)
            };
            out.push(Self::Month { year, month });
        }
        let current = today.half_year();
        let previous = if current.half() == 1 {
            HalfYear::new(current.year() - 1, 2)
        } else {
            HalfYear::new(current.year(), 1)
        };
        out.extend(previous.map(Self::Half));
        out
    }
}

impl BulletinKind {
    /// The kind as the store writes it.
    pub fn code(self) -> &'static str {
        match self {
            Self::Monthly => "month",
            Self::HalfYearly => "half",
        }
    }

    /// The kind in Chinese.
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Monthly => "月度通报",
            Self::HalfYearly => "半年度通报",
        }
    }
}

impl FromStr for BulletinPeriod {
    type Err = BulletinError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let bad = || BulletinError::BadPeriod(text.chars().take(20).collect());
        if let Ok(half) = text.parse::<HalfYear>() {
            return Ok(Self::Half(half));
        }
        let (year, month) = text.split_once('-').ok_or_else(bad)?;
        let (Ok(year), Ok(month)) = (year.parse::<i32>(), month.parse::<u8>()) else {
            return Err(bad());
        };
        if !(1900..=9999).contains(&year) || !(1..=12).contains(&month) {
            return Err(bad());
        }
        Ok(Self::Month { year, month })
    }
}

impl fmt::Display for BulletinPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Month { year, month } => write!(f, "{year:04}-{month:02}"),
            Self::Half(half) => write!(f, "{half}"),
        }
    }
}

impl serde::Serialize for BulletinPeriod {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for BulletinPeriod {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> Date {
        text.parse().unwrap()
    }

    #[test]
    fn periods_parse_close_and_name_themselves() {
        // (typed, shown, last day, the first day it is closed)
        for (typed, shown, last, closed) in [
            ("2026-11", "2026-11", "2026-11-30", "2026-12-01"),
            ("2024-2", "2024-02", "2024-02-29", "2024-03-01"),
            ("2026H1", "2026H1", "2026-06-30", "2026-07-01"),
            ("2026H2", "2026H2", "2026-12-31", "2027-01-01"),
        ] {
            let period: BulletinPeriod = typed.parse().unwrap();
            assert_eq!(period.to_string(), shown);
            assert_eq!(period.last_day(), date(last), "{typed}");
            assert!(!period.is_closed_on(date(last)), "{typed}");
            assert!(period.is_closed_on(date(closed)), "{typed}");
            assert_eq!(shown.parse::<BulletinPeriod>().unwrap(), period);
        }
        for bad in ["2026-13", "2026-0", "2026H3", "november", "", "26-11-01"] {
            assert!(matches!(
                bad.parse::<BulletinPeriod>(),
                Err(BulletinError::BadPeriod(_))
            ));
        }
        assert_eq!(
            BulletinPeriod::recent_closed(date("2026-01-15"))
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            ["2025-12", "2025-11", "2025-10", "2025H2"]
        );
    }
}
