//! The counts a region's or an organisation's figures read beside its sums:
//! communities (and those seen in the last day), organisations reported in, members
//! holding a claim, units holding a project. Each is a [`Counting`], a statement built
//! apart from its run, so that [`super::query::figures`] sends all four with its other
//! statements at once ([`Together`]), and a region's children count them one region
//! at a time ([`count_orgs_reported`], [`count_claiming_orgs`]).

use wishtree_protocol::{RegionLevel, Timestamp};

use super::FiguresError;
use super::health::SYNC_WINDOW_MS;
use super::measure::{
    Scope, off_index, org_term, plan_fresh, range_values, region_range, unindexed,
};
use super::party_orgs::OrgScope;
use super::period::Period;
use super::together::{Statement, Together};
use crate::sql::{Db, Value};

/// A statement of one row of counts (integers), with its values: built apart from
/// its run, so that a figure's counts go to the database together with its other
/// statements ([`Together`]; on PostgreSQL one round trip for all, not one each).
pub(super) struct Counting {
    statement: Statement,
    /// How many counts its row holds.
    columns: usize,
}

impl Counting {
    fn new(sql: String, values: Vec<Value>, columns: usize, fresh: bool) -> Self {
        Counting {
            statement: Statement::new(sql, values).fresh(fresh),
            columns,
        }
    }

    /// The counts of one statement.
    pub(super) fn read(self, db: &dyn Db) -> Result<Vec<u64>, FiguresError> {
        let mut counts = Vec::new();
        let mut together = Together::default();
        self.add_to(&mut together, &mut counts);
        together.run(db)?;
        Ok(counts)
    }

    /// Adds the statement to those sent together, its counts to go to `counts`.
    pub(super) fn add_to<'a>(self, together: &mut Together<'a>, counts: &'a mut Vec<u64>) {
        let columns = self.columns;
        together.add_row(self.statement, move |row| {
            for index in 0..columns {
                let count: i64 = row.get(index)?;
                counts.push(u64::try_from(count).unwrap_or(0));
            }
            Ok(())
        });
    }
}

/// Communities of the scope, and those seen in the last 24 hours (two counts).
pub(super) fn communities_counting(db: &dyn Db, scope: Scope<'_>, now: Timestamp) -> Counting {
    let (low, high) = region_range(scope.region);
    let since = now.as_millis() - SYNC_WINDOW_MS;
    let sql = match scope.org {
        None => "SELECT COUNT(*), COUNT(*) FILTER (WHERE last_seen_at >= ?3) FROM fig_communities
             WHERE code >= ?1 AND code < ?2"
            .to_owned(),
        // From the organisation's own records (its index), not every community of the
        // region probed for them.
        Some(org) => format!(
            "SELECT COUNT(*), COUNT(*) FILTER (WHERE last_seen_at >= ?3) FROM fig_communities
             WHERE code IN (SELECT community FROM fig_orgs
                            WHERE {community} >= ?1 AND {community} < ?2 {org})",
            community = off_index(db, "community"),
            org = org.clause("id", 4)
        ),
    };
    let mut values = vec![Value::from(low), Value::from(high), Value::from(since)];
    values.extend(scope.org.map(OrgScope::value));
    Counting::new(sql, values, 2, false)
}

pub(super) fn count_orgs_reported(
    db: &dyn Db,
    scope: Scope<'_>,
    period: &Period,
) -> Result<u64, FiguresError> {
    Ok(orgs_reported_counting(db, scope, period).read(db)?[0])
}

/// Distinct organisations reported in to the scope by the end of the period.
pub(super) fn orgs_reported_counting(db: &dyn Db, scope: Scope<'_>, period: &Period) -> Counting {
    let (low, high) = region_range(scope.region);
    let (_, last_day) = period.day_bounds();
    if scope.org.is_none() && scope.region.as_str().len() == RegionLevel::District.digits() {
        // A district reads its own rows of `fig_district_orgs`, in unit order: counting
        // distinct units needs no sort, where its communities' rows of `fig_orgs` did.
        return Counting::new(
            "SELECT COUNT(*) FROM (SELECT id FROM fig_district_orgs
             WHERE district = ?1 AND reported_day <= ?2 GROUP BY id) AS ids"
                .to_owned(),
            vec![Value::from(low), Value::from(i64::from(last_day))],
            1,
            false,
        );
    }
    let (org_clause, org) = org_term(scope, "id", 4);
    // A wide region reads the index on the id in order, so counting distinct ids needs
    // no sort.
    let community = wide_or_narrow(db, scope);
    let sql = format!(
        "SELECT COUNT(*) FROM (SELECT id FROM fig_orgs
         WHERE {community} >= ?1 AND {community} < ?2 AND reported_day <= ?3 {org_clause}
         GROUP BY id) AS ids"
    );
    let mut values = vec![
        Value::from(low),
        Value::from(high),
        Value::from(i64::from(last_day)),
    ];
    values.extend(org);
    Counting::new(sql, values, 1, plan_fresh(scope))
}

/// Members of the scope holding the claim of a wish of the period.
pub(super) fn claiming_members_counting(
    db: &dyn Db,
    scope: Scope<'_>,
    period: &Period,
) -> Counting {
    let (low, high) = region_range(scope.region);
    let (sql, mut values) = if period.is_all() {
        // Members belong to one community, so the all-time distinct counts of the
        // communities add up.
        let table = if scope.org.is_some() {
            "fig_org_months"
        } else {
            "fig_months"
        };
        let (org_clause, _) = org_term(scope, "org", 3);
        let sql = format!(
            "SELECT COALESCE(SUM(members_with_claimed_wish), 0) FROM {table}
             WHERE community >= ?1 AND community < ?2 AND month = 0 {org_clause}"
        );
        (sql, vec![Value::from(low), Value::from(high)])
    } else {
        let (first, last) = period.day_bounds();
        // A region reads the partial index of claimants (the whole of it for a wide
        // region); an organisation reads its own index.
        let (community, day) = match (scope.org, scope.region.as_str().len() <= 4) {
            (Some(_), _) => (off_index(db, "community"), "submitted_day".to_owned()),
            (None, true) => (unindexed(db, "community"), unindexed(db, "submitted_day")),
            (None, false) => ("community".to_owned(), unindexed(db, "submitted_day")),
        };
        let (org_clause, _) = org_term(scope, "credited_org", 5);
        let sql = format!(
            "SELECT COUNT(*) FROM (SELECT 1 FROM fig_wishes
             WHERE {community} >= ?1 AND {community} < ?2 AND {day} BETWEEN ?3 AND ?4
               AND claimant_member IS NOT NULL {org_clause}
             GROUP BY community, claimant_member) AS claimants"
        );
        let values = range_values(scope.region, first.into(), last.into());
        (sql, values)
    };
    values.extend(scope.org.map(OrgScope::value));
    Counting::new(sql, values, 1, false)
}

pub(super) fn count_claiming_orgs(
    db: &dyn Db,
    scope: Scope<'_>,
    period: &Period,
) -> Result<u64, FiguresError> {
    Ok(claiming_orgs_counting(db, scope, period).read(db)?[0])
}

/// Party organisations and units of the scope holding a project of the period.
pub(super) fn claiming_orgs_counting(db: &dyn Db, scope: Scope<'_>, period: &Period) -> Counting {
    let (first, last) = period.day_bounds();
    let (org_clause, org) = org_term(scope, "org", 5);
    // Every unit of a joint project holds it (共同承接), not only its lead. Each unit's
    // row carries its project's day: a wide region reads the units' day index in unit
    // order, counting distinct units without a sort or a project row.
    let community = wide_or_narrow(db, scope);
    let sql = format!(
        "SELECT COUNT(DISTINCT org) FROM fig_project_units
         WHERE {community} >= ?1 AND {community} < ?2 AND submitted_day BETWEEN ?3 AND ?4
           {org_clause}"
    );
    let mut values = range_values(scope.region, first.into(), last.into());
    values.extend(org);
    Counting::new(sql, values, 1, plan_fresh(scope))
}

/// The community column as a wide region (or an organisation) writes it, `+community`,
/// so that SQLite reads another index, or as a narrow region does, by its codes.
fn wide_or_narrow(db: &dyn Db, scope: Scope<'_>) -> String {
    if scope.org.is_some() {
        // Kept off the index on PostgreSQL too: an organisation's statement is planned
        // once for any region (a generic plan), and that plan read the region's rows
        // by their codes for the city's largest unit (2.6 ms where its own index takes
        // 0.2, bench city of 3,000 communities).
        off_index(db, "community")
    } else if scope.region.as_str().len() <= 4 {
        unindexed(db, "community")
    } else {
        "community".to_owned()
    }
}
