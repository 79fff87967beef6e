//! Projects by stage and joint claims (issue 14): how many projects of a region and
//! period are in each of Guangzhou's stages (`wishtree_protocol::project`), and how
//! many were taken on jointly. A region counts a joint project once; an organisation
//! counts every project it took on, alone or jointly, once (`fig_project_units`, one row
//! per unit and project). Not a rollup measure: the rows are few (one per project) and
//! a unit's count needs the per-unit rows, which the rollups, credited to one
//! organisation per row, do not have.

use std::collections::BTreeMap;

use wishtree_protocol::RegionPrefix;

use super::FiguresError;
use super::measure::{Scope, off_index, plan_fresh, range_values, region_range, unindexed};
use super::party_orgs::OrgScope;
use super::period::Period;
use super::together::{Statement, Together};
use crate::sql::{self, Db, DbExt, Row, Value, params};

/// Projects submitted in a period, by their stage now, and the joint ones.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct StageCounts {
    /// 征集.
    pub collecting: u64,
    /// 认领意向书.
    pub intents: u64,
    /// 立项.
    pub approved: u64,
    /// 实施.
    pub in_progress: u64,
    /// 完成.
    pub done: u64,
    /// 终止.
    pub terminated: u64,
    /// Of all these, the ones taken on by more than one unit (共同认领).
    pub joint: u64,
}

impl StageCounts {
    pub(super) fn add(&mut self, stage: &str, count: u64, joint: u64) {
        let slot = match stage {
            "collecting" => &mut self.collecting,
            "intents" => &mut self.intents,
            "approved" => &mut self.approved,
            "in_progress" => &mut self.in_progress,
            "done" => &mut self.done,
            "terminated" => &mut self.terminated,
            // A stage this build does not know (a newer hub wrote it) counts nowhere
            // rather than in the wrong place.
            _ => return,
        };
        *slot += count;
        self.joint += joint;
    }

    /// Adds a row of [`stages_statement`]: a stage, its count and its joint ones.
    pub(super) fn add_row(&mut self, row: &Row<'_>) -> sql::Result<()> {
        let stage: String = row.get(0)?;
        let count: i64 = row.get(1)?;
        let joint: Option<i64> = row.get(2)?;
        self.add(
            &stage,
            u64::try_from(count).unwrap_or(0),
            u64::try_from(joint.unwrap_or(0)).unwrap_or(0),
        );
        Ok(())
    }
}

/// The projects of `scope` submitted in `period`, by stage.
pub(crate) fn stage_counts(
    db: &dyn Db,
    scope: Scope<'_>,
    period: &Period,
) -> Result<StageCounts, FiguresError> {
    let mut counts = StageCounts::default();
    let mut together = Together::default();
    together.add(stages_statement(db, scope, period), |row| {
        counts.add_row(row)
    });
    together.run(db)?;
    Ok(counts)
}

/// The statement of [`stage_counts`], whose rows go to [`StageCounts::add_row`].
pub(super) fn stages_statement(db: &dyn Db, scope: Scope<'_>, period: &Period) -> Statement {
    let (first, last) = period.day_bounds();
    let org = scope.org.map(OrgScope::value);
    // A wide region reads the covering index by day (`fig_projects_stages`), a narrow
    // one its communities' rows.
    let sql = match scope.org {
        None if scope.region.as_str().len() <= 4 => format!(
            "SELECT stage, COUNT(*), COUNT(*) FILTER (WHERE units > 1) FROM fig_projects
             WHERE {community} >= ?1 AND {community} < ?2 AND submitted_day BETWEEN ?3 AND ?4
             GROUP BY stage",
            community = unindexed(db, "community"),
        ),
        // `+submitted_day`: a district's or street's rows by the primary key (a
        // district's 1,600 projects, 0.4 ms), not the whole city's day index (2 ms).
        // PostgreSQL too: its generic plan of the statement, made for any region,
        // read the day index (a district's streets 10 × 1.3 ms against SQLite's
        // 10 × 0.05, bench city of 3,000 communities).
        None => "SELECT stage, COUNT(*), COUNT(*) FILTER (WHERE units > 1) FROM fig_projects
             WHERE community >= ?1 AND community < ?2 AND +submitted_day BETWEEN ?3 AND ?4
             GROUP BY stage"
            .to_owned(),
        // A unit's branches that took one project on together count it once.
        Some(scope_org) => format!(
            "SELECT p.stage, COUNT(*), COUNT(*) FILTER (WHERE p.units > 1) FROM fig_projects p
             WHERE (p.community, p.id) IN (SELECT u.community, u.project
                 FROM fig_project_units u
                 WHERE {community} >= ?1 AND {community} < ?2 {org})
               AND p.submitted_day BETWEEN ?3 AND ?4
             GROUP BY p.stage",
            community = off_index(db, "u.community"),
            org = scope_org.clause("u.org", 5)
        ),
    };
    let mut values = range_values(scope.region, first.into(), last.into());
    values.extend(org);
    // A region's generic plan sorts what planned for the region it hashes (the city's
    // projects by stage 1.35 ms, 0.1 + 0.8 planned fresh, bench city of 300).
    Statement::new(sql, values).fresh(plan_fresh(scope))
}

/// A unit's fulfilled projects by the month they were submitted in, each project once
/// however many of the unit's organisations it credits: the organisations' month
/// rollups, a row per organisation, count a project its branches took on together
/// once per branch.
pub(crate) fn unit_projects_fulfilled_by_month(
    db: &dyn Db,
    region: &RegionPrefix,
    unit: OrgScope,
    period: &Period,
) -> Result<BTreeMap<i64, u64>, FiguresError> {
    let (low, high) = region_range(region);
    let (first, last) = period.day_bounds();
    let sql = format!(
        "SELECT p.month, COUNT(*) FROM fig_projects p
         WHERE (p.community, p.id) IN (SELECT c.community, c.project FROM fig_project_credits c
             WHERE c.community >= ?1 AND c.community < ?2 {})
           AND p.submitted_day BETWEEN ?3 AND ?4 AND p.state = 'fulfilled'
         GROUP BY p.month",
        unit.clause("c.claimant_org", 5)
    );
    let rows = db.query_map(&sql, params![low, high, first, last, unit.value()], |row| {
        Ok((row.get::<i64>(0)?, row.get::<i64>(1)?))
    })?;
    Ok(rows
        .into_iter()
        .map(|(month, count)| (month, u64::try_from(count).unwrap_or(0)))
        .collect())
}

/// The projects credited to the party organisation or unit `org` (its lead claim or a
/// joint one, `fig_project_credits`) submitted in `period`, by their wish-style state:
/// each project once, however many of a unit's party organisations hold it, where the
/// organisations' month rollups (summed per party organisation) would count it for
/// each. Its rows are a state and its count.
pub(crate) fn org_project_states(
    db: &dyn Db,
    scope: Scope<'_>,
    org: OrgScope,
    period: &Period,
) -> Statement {
    let (low, high) = region_range(scope.region);
    let (first, last) = period.day_bounds();
    let sql = format!(
        "SELECT p.state, COUNT(*) FROM fig_projects p
         WHERE (p.community, p.id) IN (SELECT c.community, c.project FROM fig_project_credits c
             WHERE {community} >= ?1 AND {community} < ?2 {org})
           AND p.submitted_day BETWEEN ?3 AND ?4
         GROUP BY p.state",
        community = off_index(db, "c.community"),
        org = org.clause("c.claimant_org", 5)
    );
    let values = vec![
        Value::from(low),
        Value::from(high),
        Value::from(i64::from(first)),
        Value::from(i64::from(last)),
        org.value(),
    ];
    Statement::new(sql, values)
}
