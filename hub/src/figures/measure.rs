//! The additive measures of the figures, where each is counted in the raw tables, and
//! the one engine that sums them over a region, a period and an organisation, reading
//! whole months from the rollups and edge days from the raw rows.

use std::cell::RefCell;
use std::collections::BTreeMap;

use wishtree_protocol::RegionPrefix;

use super::party_orgs::OrgScope;
use super::period::{Months, Period};
use super::together::{Statement, Together};
use crate::sql::{self, Db, Dialect, Value};

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

    fn add(&mut self, measure: Measure, value: i64) {
        self.0[measure as usize] += value;
    }

    fn set(&mut self, measure: Measure, value: i64) {
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

/// Sums every measure over a scope and period, grouped. Stocks are summed up to the
/// end of the period, except when grouping by month, where every measure counts what
/// happened in its month. Its statements go out together ([`Db::run_all`]).
pub(crate) fn sum_measures(
    db: &dyn Db,
    scope: Scope<'_>,
    period: &Period,
    group: Group,
) -> sql::Result<BTreeMap<String, Measures>> {
    let sums = Sums::new(scope, period, group);
    let mut together = Together::default();
    sums.add_to(db, &mut together);
    together.run(db)?;
    Ok(sums.into_sums())
}

/// The sums [`sum_measures`] answers, read by statements that go out with others:
/// [`Sums::add_to`] adds them to a figure's [`Together`], [`Sums::into_sums`] takes the
/// sums after it ran. On PostgreSQL a period with edge days is several statements (a
/// rollup's months, each edge's days, the stocks' again): sent one at a time, a round
/// trip each.
pub(crate) struct Sums<'s> {
    scope: Scope<'s>,
    period: &'s Period,
    group: Group,
    /// What the statements read: the period's sums, and its stocks up to its end.
    read: [RefCell<BTreeMap<String, Measures>>; 2],
}

/// One statement of the sums: its rows are a key (a `NULL` one is left out) and one
/// sum per measure, of the period or, with `stocks`, of the stocks up to its end.
struct SumStatement {
    sql: String,
    values: Vec<Value>,
    measures: Vec<Measure>,
    stocks: bool,
}

impl<'s> Sums<'s> {
    /// The sums of every measure over a scope and period, grouped, not yet read.
    pub(crate) fn new(scope: Scope<'s>, period: &'s Period, group: Group) -> Self {
        Sums {
            scope,
            period,
            group,
            read: Default::default(),
        }
    }

    /// Whether the stocks are read apart, up to the period's end.
    fn stocks_apart(&self) -> bool {
        self.group != Group::Month && self.period.from().is_some()
    }

    /// Adds the statements of the sums to `together`.
    pub(super) fn add_to<'d>(&'d self, db: &dyn Db, together: &mut Together<'d>) {
        let mut statements = sum_span(db, self.scope, self.period, self.group, false);
        if self.stocks_apart() {
            let to_end = self.period.up_to_end();
            statements.extend(sum_span(db, self.scope, &to_end, self.group, true));
        }
        for SumStatement {
            sql,
            values,
            measures,
            stocks,
        } in statements
        {
            together.add(Statement::new(sql, values), move |row| {
                let Some(key) = row.get::<Option<String>>(0)? else {
                    return Ok(());
                };
                let mut read = self.read[usize::from(stocks)].borrow_mut();
                let values = read.entry(key).or_default();
                for (index, measure) in measures.iter().enumerate() {
                    values.add(*measure, row.get::<Option<i64>>(index + 1)?.unwrap_or(0));
                }
                Ok(())
            });
        }
    }

    /// The sums, once the statements ran: the stocks up to the period's end in place
    /// of the period's.
    pub(crate) fn into_sums(self) -> BTreeMap<String, Measures> {
        let stocks_apart = self.stocks_apart();
        let [sums, stocks] = self.read;
        let mut sums = sums.into_inner();
        if stocks_apart {
            for values in sums.values_mut() {
                for measure in Measure::ALL.into_iter().filter(|m| m.is_stock()) {
                    values.set(measure, 0);
                }
            }
            for (key, stock) in stocks.into_inner() {
                let values = sums.entry(key).or_default();
                for measure in Measure::ALL.into_iter().filter(|m| m.is_stock()) {
                    values.set(measure, stock.value(measure));
                }
            }
        }
        sums
    }
}

/// The statements of the sums over one period: whole months from the rollups, edge
/// days from raw rows. With `only_stocks`, only the stock measures are read.
fn sum_span(
    db: &dyn Db,
    scope: Scope<'_>,
    period: &Period,
    group: Group,
    only_stocks: bool,
) -> Vec<SumStatement> {
    let split = period.split(group != Group::Month);
    let measures: Vec<Measure> = Measure::ALL
        .into_iter()
        .filter(|m| !only_stocks || m.is_stock())
        .collect();
    let mut statements = Vec::new();
    statements.extend(sum_rollup(db, scope, split.months, group, &measures));
    for (first, last) in split.days {
        if reads_districts(scope, group) {
            statements.push(sum_district_days(scope, (first, last), group, &measures));
            continue;
        }
        for source in SOURCES
            .iter()
            .filter(|s| !only_stocks || s.measures.iter().any(|(m, _)| m.is_stock()))
        {
            statements.push(sum_raw(db, scope, source, (first, last), group));
        }
    }
    for statement in &mut statements {
        statement.stocks = only_stocks;
    }
    statements
}

/// Whether a sum reads the districts' rollups (`fig_district_months`,
/// `fig_district_days`): a city or a district (or every region), no organisation, summed
/// whole or by month.
fn reads_districts(scope: Scope<'_>, group: Group) -> bool {
    scope.org.is_none()
        && matches!(group, Group::Nothing | Group::Month)
        && scope.region.as_str().len() <= 6
}

/// The districts' days of a span, summed as [`sum_raw`] sums the raw rows.
fn sum_district_days(
    scope: Scope<'_>,
    (first, last): (i32, i32),
    group: Group,
    measures: &[Measure],
) -> SumStatement {
    let (key, group_by) = match group {
        Group::Month => ("CAST(month AS TEXT)", "month"),
        _ => ("''", "1"),
    };
    let (low, high) = region_range(scope.region);
    let sql = format!(
        "SELECT {key}, {sums} FROM fig_district_days
         WHERE day BETWEEN ?3 AND ?4 AND district >= ?1 AND district < ?2
         GROUP BY {group_by}",
        sums = sum_columns(measures),
    );
    SumStatement {
        sql,
        values: vec![
            Value::from(low),
            Value::from(high),
            Value::from(i64::from(first)),
            Value::from(i64::from(last)),
        ],
        measures: measures.to_vec(),
        stocks: false,
    }
}

/// `SUM(column)` of each measure, for a rollup's select list.
fn sum_columns(measures: &[Measure]) -> String {
    let sums: Vec<String> = measures
        .iter()
        .map(|m| format!("SUM({})", m.column()))
        .collect();
    sums.join(", ")
}

/// The region's range and the days or months of a sum's statement, and the
/// organisation's id when there is one (`?5`).
fn sum_values(scope: Scope<'_>, first: i64, last: i64) -> Vec<Value> {
    let (low, high) = region_range(scope.region);
    let mut values = vec![
        Value::from(low),
        Value::from(high),
        Value::from(first),
        Value::from(last),
    ];
    values.extend(scope.org.map(OrgScope::value));
    values
}

fn sum_rollup(
    db: &dyn Db,
    scope: Scope<'_>,
    months: Months,
    group: Group,
    measures: &[Measure],
) -> Option<SumStatement> {
    let (low_month, high_month, month_clause) = match months {
        Months::Nothing => return None,
        Months::AllTime => (0, 0, "month = ?3 AND month = ?4".to_owned()),
        // An organisation's months are read through its own index.
        Months::Range(first, last) if scope.org.is_some() => (
            first,
            last,
            format!("{} BETWEEN ?3 AND ?4", unindexed(db, "month")),
        ),
        Months::Range(first, last) => (first, last, "month BETWEEN ?3 AND ?4".to_owned()),
    };
    let by_org = scope.org.is_some() || group == Group::Org;
    // A city or a district not grouped by community reads the districts' sums.
    let by_district = group != Group::Community && scope.region.as_str().len() <= 6;
    let (table, community) = match (by_org, by_district) {
        (true, true) => ("fig_district_org_months", "district"),
        (true, false) => ("fig_org_months", "community"),
        (false, true) => ("fig_district_months", "district"),
        (false, false) => ("fig_months", "community"),
    };
    // Grouping by the organisation's column (not its text) follows the key's order.
    let (key, group_by) = match group {
        Group::Nothing => ("''".to_owned(), "1"),
        Group::Community => ("community".to_owned(), "community"),
        Group::Org => (hex_text(db, "org"), "org"),
        Group::Month => ("CAST(month AS TEXT)".to_owned(), "month"),
    };
    let org_clause = scope
        .org
        .map(|org| org.clause("org", 5))
        .unwrap_or_default();
    let sql = format!(
        "SELECT {key}, {sums} FROM {table}
         WHERE {community} >= ?1 AND {community} < ?2 AND {month_clause} {org_clause}
         GROUP BY {group_by}",
        sums = sum_columns(measures),
    );
    Some(SumStatement {
        sql,
        values: sum_values(scope, low_month, high_month),
        measures: measures.to_vec(),
        stocks: false,
    })
}

fn sum_raw(
    db: &dyn Db,
    scope: Scope<'_>,
    source: &Source,
    (first, last): (i32, i32),
    group: Group,
) -> SumStatement {
    let (key, group_by) = match group {
        Group::Nothing => ("''".to_owned(), "1".to_owned()),
        Group::Community => ("community".to_owned(), "community".to_owned()),
        Group::Org => (hex_text(db, source.org), source.org.to_owned()),
        Group::Month => ("CAST(month AS TEXT)".to_owned(), "month".to_owned()),
    };
    let expressions: Vec<&str> = source.measures.iter().map(|(_, e)| *e).collect();
    let org_clause = match (scope.org, group) {
        (Some(org), _) => org.clause(source.org, 5),
        (None, Group::Org) => format!("AND {} IS NOT NULL", source.org),
        (None, _) => String::new(),
    };
    // A wide region reads the day index, an organisation its own index; a narrow
    // region reads its communities' rows. The unary `+` keeps SQLite from using an
    // index for that term, which it cannot judge without statistics.
    let (community, day) = if scope.org.is_some() {
        (off_index(db, "community"), source.day.to_owned())
    } else if scope.region.as_str().len() <= 4 {
        (unindexed(db, "community"), source.day.to_owned())
    } else {
        ("community".to_owned(), unindexed(db, source.day))
    };
    let sql = format!(
        "SELECT {key}, {expressions} FROM {table}
         WHERE {community} >= ?1 AND {community} < ?2 AND {day} BETWEEN ?3 AND ?4
           AND {filter} {org_clause}
         GROUP BY {group_by}",
        expressions = expressions.join(", "),
        table = source.table_for(scope.org.is_some() || group == Group::Org),
        filter = source.filter,
    );
    SumStatement {
        sql,
        values: sum_values(scope, i64::from(first), i64::from(last)),
        measures: source.measures.iter().map(|(m, _)| *m).collect(),
        stocks: false,
    }
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
/// where PostgreSQL's statistics do not help: a statement prepared once runs after its
/// fifth run on a generic plan, made for any parameters without knowing how wide a
/// range of codes is, and for a member's place in the city that plan read the
/// region's index (1.2 ms, bench city of 300 communities) where the ranked index takes
/// 0.25 ms.
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
