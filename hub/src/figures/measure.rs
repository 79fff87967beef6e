//! The additive measures of the figures, where each is counted in the raw tables, and
//! the helpers of the statements that read them; `sums.rs` sums them.

use wishtree_protocol::RegionPrefix;

use super::party_orgs::OrgScope;
use crate::sql::{Db, Dialect, Value};

/// A measure that sums across communities and months.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Measure {
    MembersReported,
    Pairings,
    WishesTotal,
    WishesSubmitted,
    WishesPublished,
    WishesClaimed,
    WishesFulfilled,
    WishesRejected,
    WishesWithdrawn,
    ProjectsTotal,
    ProjectsSubmitted,
    ProjectsPublished,
    ProjectsClaimed,
    ProjectsFulfilled,
    ProjectsRejected,
    ProjectsWithdrawn,
    Activities,
    Participations,
    ServiceRecords,
    ServiceMinutes,
    PointsEarned,
    PointsRedeemed,
}

/// Values of every measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Measures([i64; Measure::COUNT]);

/// How summed rows are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Group {
    /// One group, keyed by the empty string.
    Nothing,
    /// By community.
    Community,
    /// By the citywide organisation id the row is credited to.
    Org,
    /// By month (`YYYYMM` as text).
    Month,
}

/// Which rows a query sums: a region, and optionally one organisation.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scope<'a> {
    pub(crate) region: &'a RegionPrefix,
    pub(crate) org: Option<OrgScope>,
}

/// A raw table and the measures counted in it.
pub(super) struct Source {
    pub(super) table: &'static str,
    /// The table read when rows are credited to organisations, with the same columns:
    /// `table` itself, but for projects, which a joint claim credits to every unit
    /// holding them (`fig_project_credits`, a row per project and unit).
    pub(super) credited: &'static str,
    /// The day column that periods cut by.
    pub(super) day: &'static str,
    /// The column naming the organisation a row is credited to.
    pub(super) org: &'static str,
    /// Which rows count.
    pub(super) filter: &'static str,
    /// The measures and their aggregate expressions.
    pub(super) measures: &'static [(Measure, &'static str)],
}

/// Every raw table with its measures: the one definition of what each measure
/// counts, used both to build the rollups and to read edge days.
pub(super) const SOURCES: [Source; 8] = [
    Source {
        table: "fig_members",
        credited: "fig_members",
        day: "reported_day",
        org: "org",
        filter: "TRUE",
        measures: &[(Measure::MembersReported, "COUNT(*)")],
    },
    Source {
        table: "fig_pairings",
        credited: "fig_pairings",
        day: "signed_day",
        org: "org",
        filter: "ended_day IS NULL",
        measures: &[(Measure::Pairings, "COUNT(*)")],
    },
    Source {
        table: "fig_wishes",
        credited: "fig_wishes",
        day: "submitted_day",
        org: "credited_org",
        filter: "TRUE",
        measures: &[
            (Measure::WishesTotal, "COUNT(*)"),
            (
                Measure::WishesSubmitted,
                "COUNT(*) FILTER (WHERE state = 'submitted')",
            ),
            (
                Measure::WishesPublished,
                "COUNT(*) FILTER (WHERE state = 'published')",
            ),
            (
                Measure::WishesClaimed,
                "COUNT(*) FILTER (WHERE state = 'claimed')",
            ),
            (
                Measure::WishesFulfilled,
                "COUNT(*) FILTER (WHERE state = 'fulfilled')",
            ),
            (
                Measure::WishesRejected,
                "COUNT(*) FILTER (WHERE state = 'rejected')",
            ),
            (
                Measure::WishesWithdrawn,
                "COUNT(*) FILTER (WHERE state = 'withdrawn')",
            ),
        ],
    },
    Source {
        table: "fig_projects",
        credited: "fig_project_credits",
        day: "submitted_day",
        org: "claimant_org",
        filter: "TRUE",
        measures: &[
            (Measure::ProjectsTotal, "COUNT(*)"),
            (
                Measure::ProjectsSubmitted,
                "COUNT(*) FILTER (WHERE state = 'submitted')",
            ),
            (
                Measure::ProjectsPublished,
                "COUNT(*) FILTER (WHERE state = 'published')",
            ),
            (
                Measure::ProjectsClaimed,
                "COUNT(*) FILTER (WHERE state = 'claimed')",
            ),
            (
                Measure::ProjectsFulfilled,
                "COUNT(*) FILTER (WHERE state = 'fulfilled')",
            ),
            (
                Measure::ProjectsRejected,
                "COUNT(*) FILTER (WHERE state = 'rejected')",
            ),
            (
                Measure::ProjectsWithdrawn,
                "COUNT(*) FILTER (WHERE state = 'withdrawn')",
            ),
        ],
    },
    Source {
        table: "fig_activities",
        credited: "fig_activities",
        day: "day",
        org: "organiser",
        filter: "TRUE",
        measures: &[(Measure::Activities, "COUNT(*)")],
    },
    Source {
        table: "fig_participations",
        credited: "fig_participations",
        day: "day",
        org: "member_org",
        filter: "TRUE",
        measures: &[(Measure::Participations, "COUNT(*)")],
    },
    Source {
        table: "fig_services",
        credited: "fig_services",
        day: "day",
        org: "member_org",
        filter: "is_voided = 0",
        measures: &[
            (Measure::ServiceRecords, "COUNT(*)"),
            (Measure::ServiceMinutes, "SUM(minutes)"),
        ],
    },
    Source {
        table: "fig_points",
        credited: "fig_points",
        day: "day",
        org: "member_org",
        filter: "is_voided = 0",
        measures: &[
            (
                Measure::PointsEarned,
                "SUM(CASE WHEN kind = 'earn' THEN points ELSE 0 END)",
            ),
            (
                Measure::PointsRedeemed,
                "SUM(CASE WHEN kind = 'redeem' THEN points ELSE 0 END)",
            ),
        ],
    },
];

impl Source {
    /// The table to read: [`Self::credited`] when rows are credited to organisations.
    pub(super) fn table_for(&self, by_org: bool) -> &'static str {
        if by_org { self.credited } else { self.table }
    }
}

impl Measure {
    pub(crate) const COUNT: usize = 22;

    pub(crate) const ALL: [Measure; Self::COUNT] = [
        Self::MembersReported,
        Self::Pairings,
        Self::WishesTotal,
        Self::WishesSubmitted,
        Self::WishesPublished,
        Self::WishesClaimed,
        Self::WishesFulfilled,
        Self::WishesRejected,
        Self::WishesWithdrawn,
        Self::ProjectsTotal,
        Self::ProjectsSubmitted,
        Self::ProjectsPublished,
        Self::ProjectsClaimed,
        Self::ProjectsFulfilled,
        Self::ProjectsRejected,
        Self::ProjectsWithdrawn,
        Self::Activities,
        Self::Participations,
        Self::ServiceRecords,
        Self::ServiceMinutes,
        Self::PointsEarned,
        Self::PointsRedeemed,
    ];

    /// The rollup column.
    pub(crate) const fn column(self) -> &'static str {
        match self {
            Self::MembersReported => "members_reported",
            Self::Pairings => "pairings",
            Self::WishesTotal => "wishes_total",
            Self::WishesSubmitted => "wishes_submitted",
            Self::WishesPublished => "wishes_published",
            Self::WishesClaimed => "wishes_claimed",
            Self::WishesFulfilled => "wishes_fulfilled",
            Self::WishesRejected => "wishes_rejected",
            Self::WishesWithdrawn => "wishes_withdrawn",
            Self::ProjectsTotal => "projects_total",
            Self::ProjectsSubmitted => "projects_submitted",
            Self::ProjectsPublished => "projects_published",
            Self::ProjectsClaimed => "projects_claimed",
            Self::ProjectsFulfilled => "projects_fulfilled",
            Self::ProjectsRejected => "projects_rejected",
            Self::ProjectsWithdrawn => "projects_withdrawn",
            Self::Activities => "activities",
            Self::Participations => "participations",
            Self::ServiceRecords => "service_records",
            Self::ServiceMinutes => "service_minutes",
            Self::PointsEarned => "points_earned",
            Self::PointsRedeemed => "points_redeemed",
        }
    }

    /// Whether the measure is a stock, counted up to the end of a period (members,
    /// pairings) rather than within it.
    pub(crate) const fn is_stock(self) -> bool {
        matches!(self, Self::MembersReported | Self::Pairings)
    }
}

impl Measures {
    pub(crate) fn value(&self, measure: Measure) -> i64 {
        self.0[measure as usize]
    }

    /// The value as a count (measures are sums of non-negative numbers).
    pub(crate) fn count(&self, measure: Measure) -> u64 {
        u64::try_from(self.value(measure)).unwrap_or(0)
    }

    /// Adds every value of `other`: the sums of two sets of communities.
    pub(crate) fn merge(&mut self, other: &Measures) {
        for (value, more) in self.0.iter_mut().zip(other.0) {
            *value += more;
        }
    }

    pub(super) fn add(&mut self, measure: Measure, value: i64) {
        self.0[measure as usize] += value;
    }

    pub(super) fn set(&mut self, measure: Measure, value: i64) {
        self.0[measure as usize] = value;
    }
}

/// The region as a half-open range of community codes: `prefix <= code < prefix:`
/// (`:` sorts right after `9`), which an index on the code can serve.
pub(crate) fn region_range(region: &RegionPrefix) -> (String, String) {
    let low = region.as_str().to_owned();
    let high = format!("{low}:");
    (low, high)
}

/// The first four values of most figure statements: the region's range of community
/// codes ([`region_range`], `?1` and `?2`) and the first and last day or month of the
/// period (`?3` and `?4`).
pub(crate) fn range_values(region: &RegionPrefix, first: i64, last: i64) -> Vec<Value> {
    let (low, high) = region_range(region);
    vec![
        Value::from(low),
        Value::from(high),
        Value::from(first),
        Value::from(last),
    ]
}

/// `column` written so that SQLite reads no index for the term it stands in (`+column`):
/// without statistics SQLite cannot judge which index serves a figure best, so the
/// statements steer it. PostgreSQL plans by its statistics, and has no unary `+` for
/// text, so it gets the column as it is.
pub(super) fn unindexed(db: &dyn Db, column: &str) -> String {
    match db.dialect() {
        Dialect::Sqlite => format!("+{column}"),
        Dialect::Postgres => column.to_owned(),
    }
}

/// `column`, a text column, written so that neither database reads an index for the
/// term it stands in: SQLite's `+column`, PostgreSQL's `(column || '')`. For the terms
/// where PostgreSQL's statistics do not help: a statement prepared once runs on a
/// generic plan (`store::postgres::SESSION_SETTINGS`), made for any parameters without
/// knowing how wide a range of codes is, and for a member's place in the city that
/// plan read the region's index (1.2 ms, bench city of 300 communities) where the
/// ranked index takes 0.25 ms.
pub(crate) fn off_index(db: &dyn Db, column: &str) -> String {
    match db.dialect() {
        Dialect::Sqlite => format!("+{column}"),
        Dialect::Postgres => format!("({column} || '')"),
    }
}

/// The clause that limits rows to one party organisation or unit, bound as parameter
/// `index`, and the value to bind; nothing without one. Written out rather than as
/// `(?n IS NULL OR col = ?n)` so that SQLite can use the organisation's index.
pub(super) fn org_term(scope: Scope<'_>, column: &str, index: usize) -> (String, Option<Value>) {
    match scope.org {
        Some(org) => (org.clause(column, index), Some(org.value())),
        None => (String::new(), None),
    }
}

/// Whether a scope's statement is planned for its values on PostgreSQL rather than
/// by the prepared statement's generic plan: a region's, whose generic plan takes a
/// range of codes for a few rows and sorts what it should hash (the city's distinct
/// units reported: 1.8 ms generic, 0.2 + 1.0 planned fresh, bench city of 300
/// communities). An organisation's statements keep their generic plans, which read
/// its own index.
pub(super) fn plan_fresh(scope: Scope<'_>) -> bool {
    scope.org.is_none()
}

/// `INDEXED BY {index}`, SQLite's order to read a table through that index, where its
/// own choice without statistics is slow; PostgreSQL has no such hint (its planner
/// judges by statistics), so it gets nothing.
pub(super) fn indexed_by(db: &dyn Db, index: &str) -> String {
    match db.dialect() {
        Dialect::Sqlite => format!("INDEXED BY {index}"),
        Dialect::Postgres => String::new(),
    }
}

/// A blob column as lowercase hex text (organisation ids, as keys and in addresses):
/// the dialects name the function differently.
pub(super) fn hex_text(db: &dyn Db, column: &str) -> String {
    match db.dialect() {
        Dialect::Sqlite => format!("lower(hex({column}))"),
        Dialect::Postgres => format!("encode({column}, 'hex')"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::MEASURE_COLUMNS;

    #[test]
    fn rollup_columns_follow_the_measures() {
        let columns: Vec<&str> = MEASURE_COLUMNS
            .split(',')
            .filter_map(|line| line.split_whitespace().next())
            .collect();
        let mut expected: Vec<&str> = Measure::ALL.iter().map(|m| m.column()).collect();
        expected.push("members_with_claimed_wish");
        assert_eq!(columns, expected);
        for (index, measure) in Measure::ALL.into_iter().enumerate() {
            assert_eq!(measure as usize, index);
            let counted = SOURCES
                .iter()
                .flat_map(|s| s.measures)
                .filter(|(m, _)| *m == measure)
                .count();
            assert_eq!(
                counted, 1,
                "{measure:?} is counted in exactly one raw table"
            );
        }
    }
}
