//! The figures of DESIGN §9 for a region and a period, the same for each of its
//! children, and month by month. Rankings, organisation profiles, sync health and
//! names have modules of their own beside this one.
//!
//! What a period means: facts are counted in the period their day falls in — a wish
//! or project by the day it was submitted (its state is its state now), an activity
//! and its participations by the activity's day, a service record by its day, a
//! passbook entry by the day it was made. Stocks — members and organisations reported
//! in, pairings in force — are counted up to the end of the period. With an
//! organisation, the figures are those credited to it: its members, the wishes it
//! or its members hold, the projects it holds, the activities it organises, and the
//! communities whose records name it.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use wishtree_protocol::id::OrgId;
use wishtree_protocol::{Date, RegionPrefix, Timestamp};

use super::FiguresError;
use super::children::{
    DaysWaited, children_figures, has_wide_medians, median, wide_region_days, wide_region_medians,
};
use super::counting::{
    claiming_members_counting, claiming_orgs_counting, communities_counting, count_orgs_reported,
    orgs_reported_counting,
};
use super::measure::{
    Group, Measure, Measures, Scope, off_index, org_term, range_values, region_range, unindexed,
};
use super::party_orgs::OrgScope;
use super::period::Period;
use super::posts::{GroupFigures, PostFigures, group_figures, post_figures};
use super::project_stages::{StageCounts, org_project_states, stages_statement};
use super::rounds::{RoundCut, cut_by_round};
use super::sums::{Sums, sum_measures};
use super::together::{Statement, Together};
use super::volunteers::{VolunteerFigures, volunteer_figures};
use crate::sql::{Db, DbExt, Dialect, Value, params};

/// What figures are asked about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    /// The region, by code prefix.
    pub region: RegionPrefix,
    /// The period.
    pub period: Period,
    /// One party organisation or unit, or every one.
    pub org: Option<OrgScope>,
    /// One collection round (批次) by name, or every wish: cuts the wish figures only
    /// (see [`super::rounds`]).
    pub round: Option<RoundCut>,
}

/// The figures of a region, period and (optionally) organisation: the keys of DESIGN §9
/// and the compliance figures of the Guangzhou rule.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Figures {
    /// The region asked about.
    pub region: RegionPrefix,
    /// The first day of the period, if bounded.
    pub from: Option<Date>,
    /// The last day of the period, if bounded.
    pub to: Option<Date>,
    /// The organisation asked about, if any.
    pub org: Option<OrgId>,
    /// The collection round the wish figures are cut by, if any.
    pub round: Option<RoundCut>,
    /// Communities with records at the hub (with an organisation: those whose records
    /// name it).
    pub communities: u64,
    /// Of those, the ones whose node was seen in the last 24 hours.
    pub communities_synced_24h: u64,
    /// Members reported in, up to the end of the period (报到党员).
    pub members_reported: u64,
    /// Distinct unit organisations reported in, up to the end of the period.
    pub orgs_reported: u64,
    /// Pairings in force, signed up to the end of the period (共建对子).
    pub pairings: u64,
    /// Wishes submitted in the period, by their state now.
    pub wishes: StateCounts,
    /// Fulfilled wishes over wishes not rejected; `None` when there are none.
    pub wishes_fulfilled_rate: Option<f64>,
    /// Median whole days from submission to the claim, of claimed and fulfilled wishes.
    pub median_days_to_claim: Option<f64>,
    /// Median whole days from submission to fulfilment, of fulfilled wishes.
    pub median_days_to_fulfil: Option<f64>,
    /// Members holding the claim of at least one wish of the period (Guangzhou rule).
    pub members_with_claimed_wish: u64,
    /// `members_with_claimed_wish / members_reported`.
    pub members_with_claimed_wish_rate: Option<f64>,
    /// Organisations holding the claim of at least one project of the period.
    pub orgs_with_claimed_project: u64,
    /// `orgs_with_claimed_project / orgs_reported`.
    pub orgs_with_claimed_project_rate: Option<f64>,
    /// Livelihood projects and pressing problems submitted in the period, by state;
    /// fulfilled ones are the problems solved (解决问题).
    pub projects: StateCounts,
    /// The same projects by Guangzhou's stages, and the joint ones; an organisation's
    /// counts every project it took on, jointly or alone.
    pub project_stages: StageCounts,
    /// Service activities in the period.
    pub activities: u64,
    /// Participations in those activities (人次).
    pub participations: u64,
    /// Service records that count (not voided).
    pub service_records: u64,
    /// Their minutes.
    pub service_minutes: u64,
    /// Their hours, to two decimals.
    pub service_hours: f64,
    /// Love-passbook points earned.
    pub points_earned: u64,
    /// Love-passbook points redeemed.
    pub points_redeemed: u64,
    /// Volunteers beyond the members (离退休党员, 学生党员, 社区公益爱心人士), their
    /// wishes and service, counted apart: none of it is in the members' figures above.
    pub volunteers: VolunteerFigures,
    /// Service posts and their seats, up to the end of the period (设岗定责).
    pub posts: PostFigures,
    /// Functional branches and service teams, up to the end of the period.
    pub groups: GroupFigures,
}

/// Counts of wishes or projects by state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct StateCounts {
    /// Every one (征集).
    pub total: u64,
    /// Submitted, not yet published.
    pub submitted: u64,
    /// Published, a green apple.
    pub published: u64,
    /// Claimed, a red apple.
    pub claimed: u64,
    /// Fulfilled.
    pub fulfilled: u64,
    /// Rejected.
    pub rejected: u64,
    /// Withdrawn.
    pub withdrawn: u64,
}

/// The figures of one region directly under another.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RegionFigures {
    /// The region.
    pub region: RegionPrefix,
    /// Its name, if the hub knows it.
    pub name: Option<String>,
    /// Its figures.
    pub figures: Figures,
}

impl StateCounts {
    /// Claimed now or fulfilled: every wish or project a claim was kept on (认领).
    pub fn claimed_or_fulfilled(&self) -> u64 {
        self.claimed + self.fulfilled
    }

    pub(super) fn wishes(sums: &Measures) -> Self {
        Self {
            total: sums.count(Measure::WishesTotal),
            submitted: sums.count(Measure::WishesSubmitted),
            published: sums.count(Measure::WishesPublished),
            claimed: sums.count(Measure::WishesClaimed),
            fulfilled: sums.count(Measure::WishesFulfilled),
            rejected: sums.count(Measure::WishesRejected),
            withdrawn: sums.count(Measure::WishesWithdrawn),
        }
    }

    /// Adds `count` wishes or projects in `state` (a state code), and to the total.
    pub(super) fn add(&mut self, state: &str, count: u64) {
        self.total += count;
        match state {
            "submitted" => self.submitted += count,
            "published" => self.published += count,
            "claimed" => self.claimed += count,
            "fulfilled" => self.fulfilled += count,
            "rejected" => self.rejected += count,
            "withdrawn" => self.withdrawn += count,
            _ => {}
        }
    }

    fn projects(sums: &Measures) -> Self {
        Self {
            total: sums.count(Measure::ProjectsTotal),
            submitted: sums.count(Measure::ProjectsSubmitted),
            published: sums.count(Measure::ProjectsPublished),
            claimed: sums.count(Measure::ProjectsClaimed),
            fulfilled: sums.count(Measure::ProjectsFulfilled),
            rejected: sums.count(Measure::ProjectsRejected),
            withdrawn: sums.count(Measure::ProjectsWithdrawn),
        }
    }
}

/// Hours from minutes, to two decimals, as every figure shows them.
pub fn hours(minutes: u64) -> f64 {
    (minutes as f64 / 60.0 * 100.0).round() / 100.0
}

/// What [`figures`] reads of a region before it puts the figures together: the same
/// whether one region is read alone or each child of a parent in one grouped pass
/// (`children.rs`).
#[derive(Debug, Clone, Default)]
pub(super) struct Parts {
    pub(super) sums: Measures,
    pub(super) communities: u64,
    pub(super) communities_synced_24h: u64,
    pub(super) orgs_reported: u64,
    pub(super) members_with_claimed_wish: u64,
    pub(super) orgs_with_claimed_project: u64,
    pub(super) projects: StateCounts,
    pub(super) project_stages: StageCounts,
    pub(super) volunteers: VolunteerFigures,
    pub(super) posts: PostFigures,
    pub(super) groups: GroupFigures,
    pub(super) median_days_to_claim: Option<f64>,
    pub(super) median_days_to_fulfil: Option<f64>,
}

impl Parts {
    /// The parts of a region with these sums, its projects counted from them, and
    /// nothing else yet.
    pub(super) fn new(sums: Measures) -> Self {
        let mut parts = Self::default();
        parts.set_sums(sums);
        parts
    }

    /// Sets the sums, and the projects counted from them.
    pub(super) fn set_sums(&mut self, sums: Measures) {
        self.projects = StateCounts::projects(&sums);
        self.sums = sums;
    }
}

/// The figures of `region` from what was read of it; a round's cut is applied after.
pub(super) fn assemble(
    region: &RegionPrefix,
    period: &Period,
    org: Option<OrgScope>,
    round: Option<&RoundCut>,
    parts: Parts,
) -> Figures {
    let Parts {
        sums,
        communities,
        communities_synced_24h,
        orgs_reported,
        members_with_claimed_wish,
        orgs_with_claimed_project,
        projects,
        project_stages,
        volunteers,
        posts,
        groups,
        median_days_to_claim,
        median_days_to_fulfil,
    } = parts;
    let wishes = StateCounts::wishes(&sums);
    let members_reported = sums.count(Measure::MembersReported);
    let service_minutes = sums.count(Measure::ServiceMinutes);
    Figures {
        region: region.clone(),
        from: period.from(),
        to: period.to(),
        org: org.map(OrgScope::id),
        round: round.cloned(),
        communities,
        communities_synced_24h,
        members_reported,
        orgs_reported,
        pairings: sums.count(Measure::Pairings),
        wishes,
        wishes_fulfilled_rate: ratio(
            wishes.fulfilled,
            wishes.total.saturating_sub(wishes.rejected),
        ),
        median_days_to_claim,
        median_days_to_fulfil,
        members_with_claimed_wish,
        members_with_claimed_wish_rate: ratio(members_with_claimed_wish, members_reported),
        orgs_with_claimed_project,
        orgs_with_claimed_project_rate: ratio(orgs_with_claimed_project, orgs_reported),
        projects,
        project_stages,
        activities: sums.count(Measure::Activities),
        participations: sums.count(Measure::Participations),
        service_records: sums.count(Measure::ServiceRecords),
        service_minutes,
        service_hours: hours(service_minutes),
        points_earned: sums.count(Measure::PointsEarned),
        points_redeemed: sums.count(Measure::PointsRedeemed),
        volunteers,
        posts,
        groups,
    }
}

/// The figures of a region, period and organisation, at `now` (for the 24-hour sync
/// window).
pub fn figures(db: &dyn Db, filter: &Filter, now: Timestamp) -> Result<Figures, FiguresError> {
    let scope = Scope {
        region: &filter.region,
        org: filter.org,
    };
    let period = &filter.period;
    // Everything of the figure only reads, and only SQLite's medians need the sums
    // before they run (their offsets): there the sums are read first, the rest after.
    // A city's or a district's medians come from its days waited, and on PostgreSQL a
    // narrower region's or an organisation's from its wishes counted by each number of
    // days: neither needs the sums, which go with the rest, one round trip for all
    // (two before). SQLite walks the days in order to the middle, half of them.
    let wide = scope.org.is_none() && has_wide_medians(scope.region);
    let counted = !wide && db.dialect() == Dialect::Postgres;
    let sums_with_the_rest = (wide || counted).then(|| Sums::new(scope, period, Group::Nothing));
    let sums = match sums_with_the_rest {
        Some(_) => Measures::default(),
        None => sum_measures(db, scope, period, Group::Nothing)?
            .remove("")
            .unwrap_or_default(),
    };
    let mut parts = Parts::new(sums);
    let days_waited = RefCell::<DaysWaited>::default();
    let wishes = StateCounts::wishes(&parts.sums);
    let medians = (!wide && !counted).then(|| {
        [
            median_days(
                db,
                scope,
                period,
                "claim_days",
                wishes.claimed_or_fulfilled(),
            ),
            median_days(db, scope, period, "fulfil_days", wishes.fulfilled),
        ]
    });
    let mut counts: [Vec<u64>; 4] = Default::default();
    let mut median_values: [Vec<i64>; 2] = Default::default();
    let mut days_counts: [BTreeMap<i64, i64>; 2] = Default::default();
    let mut org_projects = StateCounts::default();
    let mut together = Together::default();
    let countings = [
        communities_counting(db, scope, now),
        orgs_reported_counting(db, scope, period),
        claiming_members_counting(db, scope, period),
        claiming_orgs_counting(db, scope, period),
    ];
    for (counting, counts) in countings.into_iter().zip(&mut counts) {
        counting.add_to(&mut together, counts);
    }
    // An organisation's projects are read once each: a unit's party organisations
    // that took one on together hold it once (see `org_project_states`).
    if let Some(org) = scope.org {
        together.add(org_project_states(db, scope, org, period), |row| {
            let count: i64 = row.get(1)?;
            org_projects.add(&row.get::<String>(0)?, u64::try_from(count).unwrap_or(0));
            Ok(())
        });
    }
    together.add(stages_statement(db, scope, period), |row| {
        parts.project_stages.add_row(row)
    });
    volunteer_figures(&mut together, scope, period, &mut parts.volunteers);
    post_figures(&mut together, scope, period, &mut parts.posts);
    group_figures(&mut together, scope, period, &mut parts.groups);
    if let Some(sums) = &sums_with_the_rest {
        sums.add_to(db, &mut together);
    }
    if wide {
        wide_region_days(db, scope.region, period, &mut together, &days_waited);
    }
    for (statement, values) in medians.into_iter().flatten().zip(&mut median_values) {
        if let Some(statement) = statement {
            together.add(statement, |row| {
                values.push(row.get(0)?);
                Ok(())
            });
        }
    }
    if counted {
        for (column, counts) in ["claim_days", "fulfil_days"]
            .into_iter()
            .zip(&mut days_counts)
        {
            together.add(days_counted(db, scope, period, column), |row| {
                counts.insert(row.get(0)?, row.get(1)?);
                Ok(())
            });
        }
    }
    together.run(db)?;
    if let Some(sums) = sums_with_the_rest {
        parts.set_sums(sums.into_sums().remove("").unwrap_or_default());
    }
    let [communities, orgs_reported, claiming_members, claiming_orgs] = counts;
    (parts.communities, parts.communities_synced_24h) = (communities[0], communities[1]);
    parts.orgs_reported = orgs_reported[0];
    parts.members_with_claimed_wish = claiming_members[0];
    parts.orgs_with_claimed_project = claiming_orgs[0];
    if scope.org.is_some() {
        parts.projects = org_projects;
    }
    (parts.median_days_to_claim, parts.median_days_to_fulfil) = if wide {
        wide_region_medians(scope.region, &days_waited.into_inner(), &parts.sums)
    } else if counted {
        let wishes = StateCounts::wishes(&parts.sums);
        let [claim, fulfil] = &days_counts;
        (
            median(claim, wishes.claimed_or_fulfilled()),
            median(fulfil, wishes.fulfilled),
        )
    } else {
        (mean_days(&median_values[0]), mean_days(&median_values[1]))
    };
    let mut figures = assemble(
        &filter.region,
        period,
        filter.org,
        filter.round.as_ref(),
        parts,
    );
    if let Some(round) = &filter.round {
        cut_by_round(db, scope, period, round, &mut figures)?;
    }
    Ok(figures)
}

/// The figures of each region directly under `region` that has communities at the
/// hub, in code order, their wish figures cut by `round` if one is asked. A community
/// has no children.
pub fn children(
    db: &dyn Db,
    region: &RegionPrefix,
    period: &Period,
    round: Option<&RoundCut>,
    now: Timestamp,
) -> Result<Vec<RegionFigures>, FiguresError> {
    let regions = child_regions(db, region)?;
    let mut names = BTreeMap::new();
    let figures = children_figures(db, region, &regions, period, round, now, &mut names)?;
    let mut out = Vec::with_capacity(regions.len() + 1);
    for (child, figures) in regions.into_iter().zip(figures) {
        out.push(RegionFigures {
            name: names.remove(child.as_str()),
            region: child,
            figures,
        });
    }
    out.extend(super::streets::street_own_row(db, region, period, now)?);
    Ok(out)
}

/// The regions directly under `region` that have communities at the hub.
pub fn child_regions(
    db: &dyn Db,
    region: &RegionPrefix,
) -> Result<Vec<RegionPrefix>, FiguresError> {
    let Some(level) = region.child_level() else {
        return Ok(Vec::new());
    };
    // The distinct prefixes, not every community's code: a city's 15 districts rather
    // than its 3,000 codes (a round trip's rows on PostgreSQL).
    let (low, high) = region_range(region);
    let children: BTreeSet<String> = db
        .query_map(
            "SELECT DISTINCT substr(code, 1, CAST(?3 AS INTEGER)) FROM fig_communities
             WHERE code >= ?1 AND code < ?2",
            params![low, high, level.digits() as i64],
            |row| row.get(0),
        )?
        .into_iter()
        .collect();
    let mut out = Vec::new();
    for child in children {
        // Invariant: a prefix cut from a community code at a level parses back.
        out.push(child.parse().map_err(|_| FiguresError::Corrupt {
            what: "region prefix",
            value: child.clone(),
        })?);
    }
    Ok(out)
}

/// Members and organisations reported in to `region` by the end of `period`: what a
/// campaign is measured against, without the rest of [`figures`].
pub(crate) fn reported(
    db: &dyn Db,
    region: &RegionPrefix,
    period: &Period,
) -> Result<(u64, u64), FiguresError> {
    let scope = Scope { region, org: None };
    let sums = sum_measures(db, scope, period, Group::Nothing)?
        .remove("")
        .unwrap_or_default();
    let orgs = count_orgs_reported(db, scope, period)?;
    Ok((sums.count(Measure::MembersReported), orgs))
}

/// The statement of the median of a day column over the wishes of a scope and period,
/// given how many wishes have a value (known from the summed states, so only one
/// ordered read is needed): the one or two middle values, whose mean
/// ([`mean_days`]) is the median. None when no wish has a value.
fn median_days(
    db: &dyn Db,
    scope: Scope<'_>,
    period: &Period,
    column: &str,
    count: u64,
) -> Option<Statement> {
    if count == 0 {
        return None;
    }
    let (first, last) = period.day_bounds();
    let (org_clause, org) = org_term(scope, "credited_org", 7);
    let (community, day) = median_terms(db, scope);
    let (take, skip) = if count % 2 == 1 {
        (1, (count - 1) / 2)
    } else {
        (2, count / 2 - 1)
    };
    let sql = format!(
        "SELECT {column} FROM fig_wishes
         WHERE {community} >= ?1 AND {community} < ?2 AND {day} BETWEEN ?3 AND ?4
           AND {column} IS NOT NULL {org_clause}
         ORDER BY {column} LIMIT ?5 OFFSET ?6"
    );
    let mut values = range_values(scope.region, first.into(), last.into());
    values.extend([Value::from(take as i64), Value::from(skip as i64)]);
    values.extend(org);
    Some(Statement::new(sql, values))
}

/// The community and day terms of a median's statement: the whole city walks the
/// column's partial index in order, a narrower region sorts the values of its partial
/// index by community, an organisation walks its own (`fig_wishes_claim_org`,
/// `fig_wishes_fulfil_org`); none reads a row.
fn median_terms(db: &dyn Db, scope: Scope<'_>) -> (String, String) {
    match (scope.org, scope.region.as_str().len() <= 4) {
        (Some(_), _) => (off_index(db, "community"), unindexed(db, "submitted_day")),
        (None, true) => (unindexed(db, "community"), unindexed(db, "submitted_day")),
        (None, false) => ("community".to_owned(), unindexed(db, "submitted_day")),
    }
}

/// The statement of how many wishes of a scope and period waited each number of days
/// in a day column, through the indexes [`median_days`] reads, for [`median`] to take
/// the median from.
fn days_counted(db: &dyn Db, scope: Scope<'_>, period: &Period, column: &str) -> Statement {
    let (first, last) = period.day_bounds();
    let (org_clause, org) = org_term(scope, "credited_org", 5);
    let (community, day) = median_terms(db, scope);
    let sql = format!(
        "SELECT {column}, COUNT(*) FROM fig_wishes
         WHERE {community} >= ?1 AND {community} < ?2 AND {day} BETWEEN ?3 AND ?4
           AND {column} IS NOT NULL {org_clause}
         GROUP BY {column}"
    );
    let mut values = range_values(scope.region, first.into(), last.into());
    values.extend(org);
    Statement::new(sql, values)
}

/// The mean of the middle values [`median_days`] read; None when there are none.
fn mean_days(values: &[i64]) -> Option<f64> {
    (!values.is_empty())
        .then(|| values.iter().map(|&v| v as f64).sum::<f64>() / values.len() as f64)
}

pub(super) fn ratio(numerator: u64, denominator: u64) -> Option<f64> {
    (denominator > 0).then(|| numerator as f64 / denominator as f64)
}
