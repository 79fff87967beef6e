//! The one engine that sums the measures (`measure.rs`) over a region, a period and an
//! organisation, reading whole months from the rollups and edge days from the raw
//! rows: its statements built apart from their run ([`Sums`]), so that they go out
//! together, alone ([`sum_measures`]) or with the rest of a figure's.

use std::cell::RefCell;
use std::collections::BTreeMap;

use super::measure::{
    Group, Measure, Measures, SOURCES, Scope, Source, hex_text, off_index, plan_fresh,
    range_values, unindexed,
};
use super::party_orgs::OrgScope;
use super::period::{Months, Period};
use super::together::{Statement, Together};
use crate::sql::{self, Db, Value};

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

    /// Whether the statements are planned for their values on PostgreSQL: a region's
    /// sums by community or by unit, which read a row for each of hundreds or
    /// thousands (on their generic plans a month's city bulletin took 221–229 ms p50
    /// against 171–178 planned, bench city of 3,000). A total or a month's is a few
    /// rows; its generic plan serves (planned each time, the city's monthly trend took
    /// 0.24 → 0.57 ms).
    fn plan_fresh(&self) -> bool {
        plan_fresh(self.scope) && matches!(self.group, Group::Community | Group::Org)
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
            let statement = Statement::new(sql, values).fresh(self.plan_fresh());
            together.add(statement, move |row| {
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
    let sql = format!(
        "SELECT {key}, {sums} FROM fig_district_days
         WHERE day BETWEEN ?3 AND ?4 AND district >= ?1 AND district < ?2
         GROUP BY {group_by}",
        sums = sum_columns(measures),
    );
    SumStatement {
        sql,
        values: range_values(scope.region, first.into(), last.into()),
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
    let mut values = range_values(scope.region, first, last);
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
