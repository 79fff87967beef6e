//! The figures of every region directly under another in one grouped pass (issue 16):
//! each query that [`super::query::figures`] makes for one region is made once for the
//! parent, grouped by the child's code prefix (`substr(community, 1, length)`), and
//! the rows are split per child. The medians of a city's or a district's children come
//! from the counts of days waited (`fig_district_wait_days`, `wait_days.rs`) for whole
//! months and from the wishes of the edge days; a street's children read their wishes'
//! days at once. Each child's figures are exactly what `figures` gives for it alone
//! (a test holds the two side by side).

use std::cell::RefCell;
use std::collections::BTreeMap;

use wishtree_protocol::{RegionPrefix, Timestamp};

use super::FiguresError;
use super::counting::{count_claiming_orgs, count_orgs_reported};
use super::health::SYNC_WINDOW_MS;
use super::measure::{Group, Measures, Scope, indexed_by, region_range, unindexed};
use super::names::child_names_statement;
use super::period::{Months, Period};
use super::posts::PostFigures;
use super::project_stages::stage_counts;
use super::query::{Figures, Parts, StateCounts, assemble};
use super::rounds::{RoundCut, RoundWishes, wishes_of_round};
use super::sums::Sums;
use super::together::{Statement, Together};
use crate::sql::{self, Db, Dialect, Row, Value};

/// The figures of each of `children`, regions of one length directly under `parent`,
/// in the order given, their wish figures cut by `round` if one is asked; their names
/// (`names::child_names_statement`) go to `names`, read with the rest.
pub(super) fn children_figures(
    db: &dyn Db,
    parent: &RegionPrefix,
    children: &[RegionPrefix],
    period: &Period,
    round: Option<&RoundCut>,
    now: Timestamp,
    names: &mut BTreeMap<String, String>,
) -> Result<Vec<Figures>, FiguresError> {
    let Some(length) = children.first().map(|child| child.as_str().len()) else {
        return Ok(Vec::new());
    };
    let pass = Pass {
        db,
        parent,
        length: length as i64,
        period,
    };
    // PostgreSQL reads the children's distinct units, claiming units and projects by
    // stage grouped by child prefix, three statements for the parent: read per child,
    // each was a round trip and its generic plan, made for any range, read more than
    // the child's rows (a district's 5 streets: 15 statements, 10.5 ms against
    // SQLite's 0.9, bench city of 300 communities).
    let grouped = db.dialect() == Dialect::Postgres;
    // Streets and communities (children narrower than a district) take their sums on
    // PostgreSQL from the parent's sums by community, one statement or a few for all
    // of them (the rows a child's own would read: its communities' months, and its
    // edge days); a district reads its districts' rollups, a row each, and stays apart.
    // SQLite reads them per child, as `figures` reads them: a child's sums are a row or
    // a few of its district rollups or its communities' months, and its distinct units
    // and its projects by stage a range of the primary key each. Grouped by child
    // prefix, the same rows cost more on SQLite: it sorts every row of the parent to
    // group them (the bench city's 36,000 units reported in, CPU of the sqlite3 shell:
    // 8.8–12.6 ms against 15 × 0.6–0.8 ms; its 24,000 projects by stage: 12.6–14.0 ms
    // against 15 × 0.4 ms).
    let by_community = (grouped && length > 6).then(|| {
        let scope = Scope {
            region: parent,
            org: None,
        };
        Sums::new(scope, period, Group::Community)
    });
    let by_child: Vec<Sums<'_>> = match by_community {
        Some(_) => Vec::new(),
        None => children
            .iter()
            .map(|child| {
                let scope = Scope {
                    region: child,
                    org: None,
                };
                Sums::new(scope, period, Group::Nothing)
            })
            .collect(),
    };
    let parts = RefCell::new(
        children
            .iter()
            .map(|child| (child.as_str().to_owned(), Parts::default()))
            .collect::<BTreeMap<_, _>>(),
    );
    let days = RefCell::default();
    // Every statement but a round's only reads, none needs another's rows: on
    // PostgreSQL they go out together, one round trip for all (a district's children:
    // 14 statements, 13 round trips before; children of the city 9.2 → 7.6 ms, the
    // test build against the bench city of 300 communities).
    let mut together = Together::default();
    together.add(child_names_statement(parent, length), |row| {
        names.insert(row.get(0)?, row.get(1)?);
        Ok(())
    });
    match &by_community {
        Some(sums) => sums.add_to(db, &mut together),
        None => {
            for sums in &by_child {
                sums.add_to(db, &mut together);
            }
        }
    }
    if grouped {
        pass.orgs(&mut together, &parts);
        pass.project_stages(&mut together, &parts);
    }
    pass.communities(now, &mut together, &parts);
    pass.volunteers(&mut together, &parts);
    pass.posts(&mut together, &parts);
    pass.groups(&mut together, &parts);
    // A round replaces the wish figures whole, the medians and claimants included.
    if round.is_none() {
        pass.members_with_claimed_wish(&mut together, &parts);
        pass.read_days_waited(&mut together, &days);
    }
    together.run(db)?;
    let mut parts = parts.into_inner();
    match by_community {
        Some(sums) => {
            let mut by_child: BTreeMap<String, Measures> = BTreeMap::new();
            for (community, values) in sums.into_sums() {
                if let Some(child) = community.get(..length) {
                    by_child.entry(child.to_owned()).or_default().merge(&values);
                }
            }
            for (child, part) in &mut parts {
                part.set_sums(by_child.remove(child).unwrap_or_default());
            }
        }
        None => {
            for (child, sums) in children.iter().zip(by_child) {
                let sums = sums.into_sums().remove("").unwrap_or_default();
                if let Some(part) = parts.get_mut(child.as_str()) {
                    part.set_sums(sums);
                }
            }
        }
    }
    for child in children {
        let Some(part) = parts.get_mut(child.as_str()) else {
            continue;
        };
        part.volunteers.service_hours = super::query::hours(part.volunteers.service_minutes.total);
        if !grouped {
            let scope = Scope {
                region: child,
                org: None,
            };
            part.orgs_reported = count_orgs_reported(db, scope, period)?;
            part.orgs_with_claimed_project = count_claiming_orgs(db, scope, period)?;
            part.project_stages = stage_counts(db, scope, period)?;
        }
    }
    let mut cuts: BTreeMap<String, RoundWishes> = BTreeMap::new();
    match round {
        Some(round) => pass.cut_by_round(round, &mut cuts)?,
        None => set_medians(&days.into_inner(), &mut parts),
    }
    let mut out = Vec::with_capacity(children.len());
    for child in children {
        let parts = parts.remove(child.as_str()).unwrap_or_default();
        let mut figures = assemble(child, period, None, round, parts);
        if round.is_some() {
            cuts.remove(child.as_str())
                .unwrap_or_default()
                .apply(&mut figures);
        }
        out.push(figures);
    }
    Ok(out)
}

/// Median days to claim and to fulfil.
pub(super) type Medians = (Option<f64>, Option<f64>);

/// The medians of days to claim and to fulfil of a city or a district (or wider)
/// with these sums, read as its children's are: from the districts' counts of days
/// waited for whole months and the wishes of the edge days, not by sorting the days
/// of all its wishes (on PostgreSQL the city's two sorted reads took 2 ms of its 5,
/// bench city of 300 communities). Only for a region [`has_wide_medians`] says is
/// wide: a narrower one's medians are read by sorting its wishes' days. Its
/// statements are added to `together`, and [`wide_region_medians`] takes the medians
/// from `days` after it ran.
pub(super) fn wide_region_days<'d>(
    db: &dyn Db,
    region: &RegionPrefix,
    period: &Period,
    together: &mut Together<'d>,
    days: &'d RefCell<DaysWaited>,
) {
    let pass = Pass {
        db,
        parent: region,
        length: region.as_str().len() as i64,
        period,
    };
    pass.read_days_waited(together, days);
}

/// The medians of a region whose days waited [`wide_region_days`] read.
pub(super) fn wide_region_medians(
    region: &RegionPrefix,
    days: &DaysWaited,
    sums: &Measures,
) -> Medians {
    let mut parts = BTreeMap::from([(region.as_str().to_owned(), Parts::new(*sums))]);
    set_medians(days, &mut parts);
    let part = parts.remove(region.as_str()).unwrap_or_default();
    (part.median_days_to_claim, part.median_days_to_fulfil)
}

/// Whether a region's medians are read as [`wide_region_medians`] reads them: a city's
/// or a district's.
pub(super) fn has_wide_medians(region: &RegionPrefix) -> bool {
    region.as_str().len() <= 6
}

/// One grouped pass: the parent's range of codes, the children's code length and
/// the period.
struct Pass<'a> {
    db: &'a dyn Db,
    parent: &'a RegionPrefix,
    length: i64,
    period: &'a Period,
}

/// Which wish column a median is taken of.
#[derive(Debug, Clone, Copy)]
enum Waited {
    Claim,
    Fulfil,
}

/// Each child's parts, as the statements of one pass read them.
type PartsOf = RefCell<BTreeMap<String, Parts>>;

impl Pass<'_> {
    /// Adds `sql` to `together`, whose first column is the child's code and whose
    /// parameters start with the parent's range and the code length (`?1`, `?2`,
    /// `?3`), to hand each row to `each` with the child's parts (rows of codes that are
    /// not children, a street's own records among its communities, are left out). The
    /// length is bound as a 64-bit integer, and PostgreSQL's `substr` takes a 32-bit
    /// one: the statements cast it (`CAST(?3 AS INTEGER)`, nothing to SQLite).
    fn add<'d>(
        &self,
        together: &mut Together<'d>,
        sql: impl Into<String>,
        more: Vec<Value>,
        parts: &'d PartsOf,
        mut each: impl FnMut(&mut Parts, &Row<'_>) -> sql::Result<()> + 'd,
    ) {
        let (low, high) = region_range(self.parent);
        let mut values = vec![
            Value::from(low),
            Value::from(high),
            Value::from(self.length),
        ];
        values.extend(more);
        // Planned for the parent: a generic plan takes a range of codes for a few rows
        // and sorts them to group (the city's districts' days waited 1.1 ms, 0.06 +
        // 0.43 planned fresh, bench city of 300).
        together.add(Statement::new(sql, values).fresh(true), move |row| {
            let child: String = row.get(0)?;
            if let Some(part) = parts.borrow_mut().get_mut(&child) {
                each(part, row)?;
            }
            Ok(())
        });
    }

    fn communities<'d>(&self, now: Timestamp, together: &mut Together<'d>, parts: &'d PartsOf) {
        let since = now.as_millis() - SYNC_WINDOW_MS;
        self.add(
            together,
            "SELECT substr(code, 1, CAST(?3 AS INTEGER)), COUNT(*),
                 COUNT(*) FILTER (WHERE last_seen_at >= ?4)
             FROM fig_communities WHERE code >= ?1 AND code < ?2 GROUP BY 1",
            vec![Value::from(since)],
            parts,
            |part, row| {
                part.communities = count(row.get(1)?);
                part.communities_synced_24h = count(row.get(2)?);
                Ok(())
            },
        );
    }

    /// The distinct units reported in by the end of the period and the distinct
    /// units holding a project of the period, per child, as
    /// [`count_orgs_reported`] and [`count_claiming_orgs`] count them for one region.
    fn orgs<'d>(&self, together: &mut Together<'d>, parts: &'d PartsOf) {
        let (first, last) = self.days();
        self.add(
            together,
            "SELECT substr(community, 1, CAST(?3 AS INTEGER)), COUNT(DISTINCT id)
             FROM fig_orgs
             WHERE community >= ?1 AND community < ?2 AND reported_day <= ?4
             GROUP BY 1",
            vec![last.clone()],
            parts,
            |part, row| {
                part.orgs_reported = count(row.get(1)?);
                Ok(())
            },
        );
        self.add(
            together,
            "SELECT substr(community, 1, CAST(?3 AS INTEGER)), COUNT(DISTINCT org)
             FROM fig_project_units
             WHERE community >= ?1 AND community < ?2 AND submitted_day BETWEEN ?4 AND ?5
             GROUP BY 1",
            vec![first, last],
            parts,
            |part, row| {
                part.orgs_with_claimed_project = count(row.get(1)?);
                Ok(())
            },
        );
    }

    /// The first and last day of the period, as values.
    fn days(&self) -> (Value, Value) {
        let (first, last) = self.period.day_bounds();
        (Value::from(i64::from(first)), Value::from(i64::from(last)))
    }

    /// Each child's projects of the period by stage, as [`stage_counts`] counts a
    /// region's.
    fn project_stages<'d>(&self, together: &mut Together<'d>, parts: &'d PartsOf) {
        let (first, last) = self.days();
        self.add(
            together,
            "SELECT substr(community, 1, CAST(?3 AS INTEGER)), stage, COUNT(*),
                 COUNT(*) FILTER (WHERE units > 1)
             FROM fig_projects
             WHERE community >= ?1 AND community < ?2 AND submitted_day BETWEEN ?4 AND ?5
             GROUP BY 1, 2",
            vec![first, last],
            parts,
            |part, row| {
                let stage: String = row.get(1)?;
                let joint: Option<i64> = row.get(3)?;
                part.project_stages
                    .add(&stage, count(row.get(2)?), count(joint.unwrap_or(0)));
                Ok(())
            },
        );
    }

    fn members_with_claimed_wish<'d>(&self, together: &mut Together<'d>, parts: &'d PartsOf) {
        let set = |part: &mut Parts, row: &Row<'_>| {
            part.members_with_claimed_wish = count(row.get(1)?);
            Ok(())
        };
        if self.period.is_all() {
            // Members belong to one community: the communities' all-time counts add up.
            return self.add(
                together,
                "SELECT substr(community, 1, CAST(?3 AS INTEGER)),
                     COALESCE(SUM(members_with_claimed_wish), 0)
                 FROM fig_months WHERE month = 0 AND community >= ?1 AND community < ?2
                 GROUP BY 1",
                Vec::new(),
                parts,
                set,
            );
        }
        let (first, last) = self.days();
        let sql = format!(
            "SELECT substr(community, 1, CAST(?3 AS INTEGER)), COUNT(*) FROM (
                 SELECT community FROM fig_wishes
                 WHERE community >= ?1 AND community < ?2 AND {day} BETWEEN ?4 AND ?5
                   AND claimant_member IS NOT NULL
                 GROUP BY community, claimant_member) AS claimants
             GROUP BY 1",
            day = unindexed(self.db, "submitted_day"),
        );
        self.add(together, sql, vec![first, last], parts, set);
    }

    /// Each child's volunteers, their wishes and their service; the hours are taken
    /// from the minutes after the run.
    fn volunteers<'d>(&self, together: &mut Together<'d>, parts: &'d PartsOf) {
        let (first, last) = self.days();
        self.add(
            together,
            "SELECT substr(community, 1, CAST(?3 AS INTEGER)), kind, COUNT(*) FROM fig_volunteers
             WHERE community >= ?1 AND community < ?2 AND registered_day <= ?4
             GROUP BY 1, 2",
            vec![last.clone()],
            parts,
            |part, row| {
                let kind: String = row.get(1)?;
                part.volunteers.registered.add(&kind, count(row.get(2)?));
                Ok(())
            },
        );
        self.add(
            together,
            "SELECT substr(community, 1, CAST(?3 AS INTEGER)), kind, COUNT(*),
                 COUNT(*) FILTER (WHERE state = 'fulfilled')
             FROM fig_volunteer_wishes
             WHERE community >= ?1 AND community < ?2 AND submitted_day BETWEEN ?4 AND ?5
             GROUP BY 1, 2",
            vec![first.clone(), last.clone()],
            parts,
            |part, row| {
                let kind: String = row.get(1)?;
                let volunteers = &mut part.volunteers;
                volunteers.wishes_claimed.add(&kind, count(row.get(2)?));
                volunteers.wishes_fulfilled.add(&kind, count(row.get(3)?));
                Ok(())
            },
        );
        self.add(
            together,
            "SELECT substr(community, 1, CAST(?3 AS INTEGER)), kind, COUNT(*), SUM(minutes)
             FROM fig_volunteer_services
             WHERE community >= ?1 AND community < ?2 AND day BETWEEN ?4 AND ?5
               AND is_voided = 0
             GROUP BY 1, 2",
            vec![first, last],
            parts,
            |part, row| {
                let kind: String = row.get(1)?;
                let volunteers = &mut part.volunteers;
                volunteers.service_records.add(&kind, count(row.get(2)?));
                volunteers.service_minutes.add(&kind, count(row.get(3)?));
                Ok(())
            },
        );
    }

    fn posts<'d>(&self, together: &mut Together<'d>, parts: &'d PartsOf) {
        let (_, last) = self.days();
        self.add(
            together,
            "SELECT substr(p.community, 1, CAST(?3 AS INTEGER)), COUNT(*),
                 COALESCE(SUM(p.seats), 0),
                 COALESCE(SUM((SELECT COUNT(*) FROM fig_post_holders h
                               WHERE h.community = p.community AND h.post = p.id)), 0)
             FROM fig_posts p
             WHERE p.community >= ?1 AND p.community < ?2 AND p.made_day <= ?4
               AND p.is_withdrawn = 0
             GROUP BY 1",
            vec![last],
            parts,
            |part, row| {
                part.posts = PostFigures {
                    posts: count(row.get(1)?),
                    seats: count(row.get(2)?),
                    seats_held: count(row.get(3)?),
                };
                Ok(())
            },
        );
    }

    fn groups<'d>(&self, together: &mut Together<'d>, parts: &'d PartsOf) {
        let (_, last) = self.days();
        self.add(
            together,
            "SELECT substr(g.community, 1, CAST(?3 AS INTEGER)), g.kind, COUNT(DISTINCT g.id),
                 COUNT(m.member)
             FROM fig_groups g
             LEFT JOIN fig_group_members m
                 ON m.community = g.community AND m.group_id = g.id AND m.kind = g.kind
             WHERE g.community >= ?1 AND g.community < ?2 AND g.made_day <= ?4
             GROUP BY 1, 2",
            vec![last],
            parts,
            |part, row| {
                let kind: String = row.get(1)?;
                let (groups, places) = (count(row.get(2)?), count(row.get(3)?));
                let figures = &mut part.groups;
                match kind.as_str() {
                    "branch" => (figures.branches, figures.branch_members) = (groups, places),
                    "team" => (figures.teams, figures.team_members) = (groups, places),
                    _ => {}
                }
                Ok(())
            },
        );
    }

    /// Adds the statements of the medians of days to claim and to fulfil of every
    /// child to `together`, their days waited to go to `days` (shared: the statements
    /// add to the same counts): a city's or a district's children (a district or wider
    /// each) read the districts' counts for whole months and the wishes of the edge
    /// days; narrower children read their wishes' days. [`set_medians`] takes the
    /// medians from them.
    fn read_days_waited<'d>(&self, together: &mut Together<'d>, days: &'d RefCell<DaysWaited>) {
        let add = move |child: String, waited: Waited, value: i64, wishes: i64| {
            let mut days = days.borrow_mut();
            let counts = days.entry(child).or_default();
            *counts[waited as usize].entry(value).or_default() += wishes;
        };
        let (low, high) = region_range(self.parent);
        let ranges = if self.length <= 6 {
            let split = self.period.split(false);
            if let Months::Range(first, last) = split.months {
                let values = vec![
                    Value::from(low.clone()),
                    Value::from(high.clone()),
                    Value::from(self.length),
                    Value::from(first),
                    Value::from(last),
                ];
                together.add(
                    Statement::new(
                        "SELECT substr(district, 1, CAST(?3 AS INTEGER)), days, SUM(claims),
                             SUM(fulfilments)
                         FROM fig_district_wait_days
                         WHERE district >= ?1 AND district < ?2 AND month BETWEEN ?4 AND ?5
                         GROUP BY 1, 2",
                        values,
                    ),
                    move |row| {
                        let child: String = row.get(0)?;
                        let value: i64 = row.get(1)?;
                        add(child.clone(), Waited::Claim, value, row.get(2)?);
                        add(child, Waited::Fulfil, value, row.get(3)?);
                        Ok(())
                    },
                );
            }
            split.days
        } else {
            vec![self.period.day_bounds()]
        };
        // The parent's wishes of those days, both ranges at once, from the index
        // alone (no wish row is read). A wide parent's edge days are read by day
        // (`fig_wishes_claimed_by_day`, `fig_wishes_fulfilled_by_day`: the days
        // waited of a few days' wishes), a narrower parent's period through its
        // communities' partial indexes (`fig_wishes_claim_region`, …), which hold the
        // day. Read by community, the city's two edge ranges of 2026-03-15..05-10 went
        // through every claimed wish of the city (7.7 and 5.2 ms); read by day through
        // an index without the days waited, they looked up 8,500 rows per range and
        // column (10–20 ms each).
        let wide = self.length <= 6;
        for (waited, column, by_day) in [
            (Waited::Claim, "claim_days", "fig_wishes_claimed_by_day"),
            (Waited::Fulfil, "fulfil_days", "fig_wishes_fulfilled_by_day"),
        ] {
            let sql = if wide {
                let range = |first: usize| {
                    format!(
                        "SELECT substr(community, 1, CAST(?3 AS INTEGER)) AS child, {column}
                         FROM fig_wishes {indexed}
                         WHERE submitted_day BETWEEN ?{first} AND ?{last}
                           AND {column} IS NOT NULL AND {community} >= ?1 AND {community} < ?2",
                        indexed = indexed_by(self.db, by_day),
                        community = unindexed(self.db, "community"),
                        last = first + 1,
                    )
                };
                format!(
                    "SELECT child, {column}, COUNT(*) FROM ({} UNION ALL {}) AS edges
                     GROUP BY 1, 2",
                    range(4),
                    range(6)
                )
            } else {
                format!(
                    "SELECT substr(community, 1, CAST(?3 AS INTEGER)), {column}, COUNT(*)
                     FROM fig_wishes
                     WHERE community >= ?1 AND community < ?2 AND {column} IS NOT NULL
                       AND ({day} BETWEEN ?4 AND ?5 OR {day} BETWEEN ?6 AND ?7)
                     GROUP BY 1, 2",
                    day = unindexed(self.db, "submitted_day"),
                )
            };
            for pair in ranges.chunks(2) {
                // An empty second range when there is one.
                let (first, last) = pair[0];
                let (second_first, second_last) = pair.get(1).copied().unwrap_or((1, 0));
                let values = vec![
                    Value::from(low.clone()),
                    Value::from(high.clone()),
                    Value::from(self.length),
                    Value::from(i64::from(first)),
                    Value::from(i64::from(last)),
                    Value::from(i64::from(second_first)),
                    Value::from(i64::from(second_last)),
                ];
                together.add(Statement::new(sql.clone(), values), move |row| {
                    add(row.get(0)?, waited, row.get(1)?, row.get(2)?);
                    Ok(())
                });
            }
        }
    }

    /// Reads the wishes of `round` under the parent once, each child's apart.
    fn cut_by_round(
        &self,
        round: &RoundCut,
        cuts: &mut BTreeMap<String, RoundWishes>,
    ) -> Result<(), FiguresError> {
        let scope = Scope {
            region: self.parent,
            org: None,
        };
        let length = usize::try_from(self.length).unwrap_or(0);
        let select = format!("{}, substr(community, 1, {length})", RoundWishes::SELECT);
        wishes_of_round(self.db, scope, self.period, round, &select, "", |row| {
            let child: String = row.get(RoundWishes::COLUMNS)?;
            cuts.entry(child).or_default().add(row)
        })
    }
}

/// Days waited, per child: how many wishes waited each number of days, to be claimed
/// and to be fulfilled.
pub(super) type DaysWaited = BTreeMap<String, [BTreeMap<i64, i64>; 2]>;

/// Each child's medians from its days waited and its summed wish states.
fn set_medians(days: &DaysWaited, parts: &mut BTreeMap<String, Parts>) {
    for (child, part) in parts.iter_mut() {
        let Some([claim, fulfil]) = days.get(child) else {
            continue;
        };
        let wishes = StateCounts::wishes(&part.sums);
        part.median_days_to_claim = median(claim, wishes.claimed_or_fulfilled());
        part.median_days_to_fulfil = median(fulfil, wishes.fulfilled);
    }
}

/// The median as `figures` takes it of a column sorted with `LIMIT` and `OFFSET`:
/// `count` is the number of wishes that should have a value (from the summed
/// states), so the middle one or two are at that offset among the values there are,
/// and missing ones are left out.
pub(super) fn median(counts: &BTreeMap<i64, i64>, count: u64) -> Option<f64> {
    if count == 0 {
        return None;
    }
    let (take, skip) = if count % 2 == 1 {
        (1, (count - 1) / 2)
    } else {
        (2, count / 2 - 1)
    };
    let values: Vec<i64> = (skip..skip + take)
        .filter_map(|position| value_at(counts, position))
        .collect();
    if values.is_empty() {
        return None;
    }
    Some(values.iter().map(|&v| v as f64).sum::<f64>() / values.len() as f64)
}

/// The value at `position` (from 0) of the values counted in `counts`, in order.
fn value_at(counts: &BTreeMap<i64, i64>, position: u64) -> Option<i64> {
    let mut before = 0u64;
    for (&value, &wishes) in counts {
        before += u64::try_from(wishes).unwrap_or(0);
        if position < before {
            return Some(value);
        }
    }
    None
}

fn count(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(values: &[(i64, i64)], count: u64, expected: Option<f64>) {
        let counts: BTreeMap<i64, i64> = values.iter().copied().collect();
        assert_eq!(median(&counts, count), expected, "{values:?} of {count}");
    }

    #[test]
    fn medians_of_counts_take_the_offsets_of_the_sorted_values() {
        check(&[], 0, None);
        check(&[(3, 1)], 0, None);
        check(&[(3, 1)], 1, Some(3.0));
        check(&[(1, 1), (5, 1)], 2, Some(3.0));
        check(&[(1, 2), (4, 1)], 3, Some(1.0));
        check(&[(1, 1), (2, 1), (4, 2)], 4, Some(3.0));
        // Fewer values than the states say: the offset still counts from the states.
        check(&[(7, 1)], 2, Some(7.0));
        check(&[(7, 1)], 3, None);
        check(&[(2, 0), (9, 1)], 1, Some(9.0));
    }
}
