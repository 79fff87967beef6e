//! Figures cut by collection round (批次): each wish row keeps the name of the round
//! its community placed it in (`fig_wishes.round`, schema step 17; NULL for a wish in
//! no round, 未分批, as every wish written before rounds is). A round is cut by its
//! name rather than its id, because a round is a community's own record: across a
//! street or a city, 第一批 is each community's first round, which is what the people
//! reading the figures mean. The cut applies to the wish figures only (counts by
//! state, the fulfilled rate, the medians, members holding a claim; by month, the
//! wishes collected, claimed and fulfilled); members, units, activities and service
//! belong to no round and stay the region's and period's.

use std::collections::BTreeSet;

use super::FiguresError;
use super::measure::{Scope, region_range};
use super::monthly::MonthFigures;
use super::party_orgs::OrgScope;
use super::period::Period;
use super::period::month_label;
use super::query::{Figures, StateCounts, ratio};
use crate::sql::{self, Db, DbExt, Row, ToCell, params};

/// A round asked for by name, as `?round=` gives it: trimmed, 1 to 40 characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct RoundCut(String);

/// Why `?round=` was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("round must be a round's name of 1 to 40 characters, e.g. 第一批")]
pub struct RoundCutError;

impl RoundCut {
    /// The longest name taken.
    pub const MAX_CHARS: usize = 40;

    /// Reads a round's name; blank is no round asked.
    pub fn parse(text: &str) -> Result<Option<Self>, RoundCutError> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        if text.chars().count() > Self::MAX_CHARS || text.chars().any(char::is_control) {
            return Err(RoundCutError);
        }
        Ok(Some(Self(text.to_owned())))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The names of the rounds with wishes in `region`, in order: what the dashboard's
/// select offers.
pub fn round_names(
    db: &dyn Db,
    region: &wishtree_protocol::RegionPrefix,
) -> Result<Vec<String>, FiguresError> {
    let (low, high) = region_range(region);
    let names = db.query_map(
        "SELECT DISTINCT round FROM fig_wishes
         WHERE community >= ?1 AND community < ?2 AND round IS NOT NULL ORDER BY round",
        params![low, high],
        |row| row.get::<String>(0),
    )?;
    Ok(names)
}

/// Replaces the wish figures of `figures` by those of the wishes of `round` alone.
pub(super) fn cut_by_round(
    db: &dyn Db,
    scope: Scope<'_>,
    period: &Period,
    round: &RoundCut,
    figures: &mut Figures,
) -> Result<(), FiguresError> {
    let mut cut = RoundWishes::default();
    wishes_of_round(db, scope, period, round, RoundWishes::SELECT, "", |row| {
        cut.add(row)
    })?;
    cut.apply(figures);
    Ok(())
}

/// The wishes of a round, read one row at a time (a region's, or each child's in the
/// grouped pass of `children.rs`), and the wish figures they make.
#[derive(Debug, Default)]
pub(super) struct RoundWishes {
    wishes: StateCounts,
    claimants: BTreeSet<(String, Vec<u8>)>,
    claim_days: Vec<i64>,
    fulfil_days: Vec<i64>,
}

impl RoundWishes {
    /// The columns [`Self::add`] reads, first in the select list.
    pub(super) const SELECT: &'static str =
        "state, community, claimant_member, claim_days, fulfil_days";
    /// How many they are: the next column is the caller's.
    pub(super) const COLUMNS: usize = 5;

    /// Counts one wish row selected with [`Self::SELECT`].
    pub(super) fn add(&mut self, row: &Row<'_>) -> sql::Result<()> {
        let state: String = row.get(0)?;
        self.wishes.add(&state, 1);
        if let Some(member) = row.get::<Option<Vec<u8>>>(2)? {
            self.claimants.insert((row.get::<String>(1)?, member));
        }
        self.claim_days.extend(row.get::<Option<i64>>(3)?);
        self.fulfil_days.extend(row.get::<Option<i64>>(4)?);
        Ok(())
    }

    /// Replaces the wish figures of `figures` by those of the wishes counted.
    pub(super) fn apply(mut self, figures: &mut Figures) {
        let wishes = self.wishes;
        let members_with_claimed_wish = self.claimants.len() as u64;
        figures.wishes = wishes;
        figures.wishes_fulfilled_rate = ratio(
            wishes.fulfilled,
            wishes.total.saturating_sub(wishes.rejected),
        );
        figures.median_days_to_claim = median(&mut self.claim_days);
        figures.median_days_to_fulfil = median(&mut self.fulfil_days);
        figures.members_with_claimed_wish = members_with_claimed_wish;
        figures.members_with_claimed_wish_rate =
            ratio(members_with_claimed_wish, figures.members_reported);
    }
}

/// Replaces the wish columns of each month of `months` by those of the wishes of
/// `round` alone. Every month with a wish of the round is in `months` already: the
/// wish itself is a fact of its month.
pub(super) fn cut_months_by_round(
    db: &dyn Db,
    scope: Scope<'_>,
    period: &Period,
    round: &RoundCut,
    months: &mut [MonthFigures],
) -> Result<(), FiguresError> {
    let mut counts = std::collections::BTreeMap::new();
    let select = "month, COUNT(*), COUNT(*) FILTER (WHERE state IN ('claimed', 'fulfilled')),
         COUNT(*) FILTER (WHERE state = 'fulfilled')";
    wishes_of_round(db, scope, period, round, select, "GROUP BY month", |row| {
        let count =
            |index| -> sql::Result<u64> { Ok(u64::try_from(row.get::<i64>(index)?).unwrap_or(0)) };
        let month = month_label(row.get(0)?);
        counts.insert(month, (count(1)?, count(2)?, count(3)?));
        Ok(())
    })?;
    for month in months {
        let (total, claimed, fulfilled) = counts.remove(&month.month).unwrap_or_default();
        month.wishes_total = total;
        month.wishes_claimed = claimed;
        month.wishes_fulfilled = fulfilled;
    }
    Ok(())
}

/// Runs `SELECT {select} FROM fig_wishes` over the wishes of `round` in `scope` and
/// `period`, then `tail` (a `GROUP BY`), handing each row to `each`.
pub(super) fn wishes_of_round(
    db: &dyn Db,
    scope: Scope<'_>,
    period: &Period,
    round: &RoundCut,
    select: &str,
    tail: &str,
    each: impl FnMut(&Row<'_>) -> sql::Result<()>,
) -> Result<(), FiguresError> {
    let (low, high) = region_range(scope.region);
    let (first, last) = period.day_bounds();
    let org = scope.org.map(OrgScope::value);
    let org_clause = scope
        .org
        .map(|org| org.clause("credited_org", 6))
        .unwrap_or_default();
    let sql = format!(
        "SELECT {select} FROM fig_wishes
         WHERE round = ?1 AND community >= ?2 AND community < ?3
           AND submitted_day BETWEEN ?4 AND ?5 {org_clause} {tail}"
    );
    let name = round.as_str();
    let mut values: Vec<&dyn ToCell> = vec![&name, &low, &high, &first, &last];
    values.extend(org.as_ref().map(|org| org as &dyn ToCell));
    db.for_each(&sql, &values, each)?;
    Ok(())
}

/// The median, as the uncut figures take it: the middle value, or the mean of the two.
fn median(values: &mut [i64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let middle = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        values[middle] as f64
    } else {
        (values[middle - 1] + values[middle]) as f64 / 2.0
    })
}
