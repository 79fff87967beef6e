//! The monthly trend of a region or organisation: what happened month by month, a
//! chart's series and a CSV's rows.

use std::collections::BTreeMap;

use wishtree_protocol::RegionPrefix;

use super::FiguresError;
use super::measure::{Group, Measure, Measures, Scope};
use super::party_orgs::OrgScope;
use super::period::{Period, month_label};
use super::project_stages::unit_projects_fulfilled_by_month;
use super::query::hours;
use super::rounds::{RoundCut, cut_months_by_round};
use super::sums::sum_measures;
use crate::sql::Db;

/// What happened in one month.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MonthFigures {
    /// `YYYY-MM`.
    pub month: String,
    /// Members who reported in that month.
    pub members_reported: u64,
    /// Wishes submitted that month (征集).
    pub wishes_total: u64,
    /// Of those, claimed or fulfilled now (认领).
    pub wishes_claimed: u64,
    /// Of those, fulfilled now (实现).
    pub wishes_fulfilled: u64,
    /// Projects fulfilled, of those submitted that month.
    pub projects_fulfilled: u64,
    /// Activities.
    pub activities: u64,
    /// Participations.
    pub participations: u64,
    /// Minutes of service.
    pub service_minutes: u64,
    /// Hours of service, to two decimals.
    pub service_hours: f64,
    /// Points earned.
    pub points_earned: u64,
    /// Points redeemed.
    pub points_redeemed: u64,
}

/// What happened month by month in a region (and organisation), from the first month
/// with a fact to the last within the period; a month cut by the period counts only
/// its days inside it. With `round`, each month's wish columns count the wishes of that
/// round alone (see [`super::rounds`]); the other columns belong to no round.
pub fn monthly(
    db: &dyn Db,
    region: &RegionPrefix,
    org: Option<OrgScope>,
    period: &Period,
    round: Option<&RoundCut>,
) -> Result<Vec<MonthFigures>, FiguresError> {
    let scope = Scope { region, org };
    let sums = sum_measures(db, scope, period, Group::Month)?;
    let mut by_month: BTreeMap<i64, Measures> = sums
        .into_iter()
        .filter_map(|(month, values)| Some((month.parse::<i64>().ok()?, values)))
        .collect();
    // Months without a fact between the first and the last are shown as zeros, so a
    // chart's axis is time.
    if let (Some(&first), Some(&last)) = (by_month.keys().next(), by_month.keys().next_back()) {
        let mut month = first;
        while month < last {
            by_month.entry(month).or_default();
            month = if month % 100 == 12 {
                (month / 100 + 1) * 100 + 1
            } else {
                month + 1
            };
        }
    }
    // A unit counts a project its branches took on together once (as its figures do).
    let unit_projects = match org {
        Some(unit @ OrgScope::Unit(_)) => {
            Some(unit_projects_fulfilled_by_month(db, region, unit, period)?)
        }
        _ => None,
    };
    let mut out = Vec::new();
    for (month, values) in by_month {
        let service_minutes = values.count(Measure::ServiceMinutes);
        let projects_fulfilled = match &unit_projects {
            Some(once) => once.get(&month).copied().unwrap_or(0),
            None => values.count(Measure::ProjectsFulfilled),
        };
        out.push(MonthFigures {
            month: month_label(month),
            members_reported: values.count(Measure::MembersReported),
            wishes_total: values.count(Measure::WishesTotal),
            wishes_claimed: values.count(Measure::WishesClaimed)
                + values.count(Measure::WishesFulfilled),
            wishes_fulfilled: values.count(Measure::WishesFulfilled),
            projects_fulfilled,
            activities: values.count(Measure::Activities),
            participations: values.count(Measure::Participations),
            service_minutes,
            service_hours: hours(service_minutes),
            points_earned: values.count(Measure::PointsEarned),
            points_redeemed: values.count(Measure::PointsRedeemed),
        });
    }
    if let Some(round) = round {
        cut_months_by_round(db, scope, period, round, &mut out)?;
    }
    Ok(out)
}
