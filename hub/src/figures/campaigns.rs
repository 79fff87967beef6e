//! The city's campaigns (DESIGN §3: "每名在职党员至少领办 1 个微心愿", "每个单位党组织
//! 至少认领 1 个民生微项目") as the city document sets them, measured over the figure
//! rows: how many of those a campaign asks are reported in a region, how many met it,
//! how many are behind. No rule is a constant here: the city hub's operator sets each
//! (`wishtree-hub city campaign`), every hub derives `fig_campaigns` from the city
//! document it holds, and the dashboard reads them.

use rusqlite::{Connection, Transaction, params};
use wishtree_protocol::city::{CampaignRule, CityView};
use wishtree_protocol::{Date, RegionPrefix, Timestamp};

use super::measure::region_range;
use super::query::ratio;
use super::{Figures, FiguresError, Filter, Period};

/// A campaign and how far a region is with it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CampaignProgress {
    /// Its title.
    pub title: String,
    /// What it asks of whom.
    pub rule: CampaignRule,
    /// How many each must claim.
    pub minimum: u32,
    /// Its first day.
    pub from: Date,
    /// Its last day.
    pub to: Date,
    /// Members (or organisations) reported in the region by its last day.
    pub eligible: u64,
    /// Of those, how many claimed at least `minimum` in it.
    pub met: u64,
    /// `eligible - met`.
    pub behind: u64,
    /// `met / eligible`.
    pub met_rate: Option<f64>,
}

/// Replaces the campaign rows by the campaigns of the city document, in the caller's
/// transaction.
pub fn refresh_campaigns(
    transaction: &Transaction<'_>,
    city: &CityView,
) -> Result<(), FiguresError> {
    transaction.execute("DELETE FROM fig_campaigns", [])?;
    let mut insert = transaction.prepare_cached(
        "INSERT INTO fig_campaigns (id, title, rule, minimum, from_day, to_day)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    for (id, campaign) in &city.campaigns {
        insert.execute(params![
            id.as_bytes().as_slice(),
            campaign.title,
            campaign.rule.code(),
            campaign.minimum,
            campaign.from.to_days(),
            campaign.to.to_days(),
        ])?;
    }
    Ok(())
}

/// Every campaign of the city and how far `region` is with it, by first day.
pub fn campaign_progress(
    connection: &Connection,
    region: &RegionPrefix,
    now: Timestamp,
) -> Result<Vec<CampaignProgress>, FiguresError> {
    let campaigns: Vec<(String, String, u32, i32, i32)> = connection
        .prepare_cached(
            "SELECT title, rule, minimum, from_day, to_day FROM fig_campaigns
             ORDER BY from_day, title",
        )?
        .query_map([], |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
            ))
        })?
        .collect::<Result<_, _>>()?;
    let mut progress = Vec::with_capacity(campaigns.len());
    for (title, rule, minimum, from_day, to_day) in campaigns {
        // A row another build wrote with a rule this one does not know is skipped.
        let Ok(rule) = rule.parse::<CampaignRule>() else {
            continue;
        };
        let (from, to) = (Date::from_days(from_day), Date::from_days(to_day));
        let period = Period::new(Some(from), Some(to)).map_err(|error| FiguresError::Corrupt {
            what: "campaign period",
            value: error.to_string(),
        })?;
        let filter = Filter {
            region: region.clone(),
            period,
            org: None,
        };
        let figures: Figures = super::figures(connection, &filter, now)?;
        let (eligible, met) = match rule {
            CampaignRule::MemberClaimsWish => (
                figures.members_reported,
                members_meeting(connection, region, minimum, from_day, to_day)?,
            ),
            CampaignRule::OrgClaimsProject => (
                figures.orgs_reported,
                orgs_meeting(connection, region, minimum, from_day, to_day)?,
            ),
        };
        // Claimants not reported in (a unit that claimed from elsewhere) never count
        // above the whole.
        let met = met.min(eligible);
        progress.push(CampaignProgress {
            title,
            rule,
            minimum,
            from,
            to,
            eligible,
            met,
            behind: eligible - met,
            met_rate: ratio(met, eligible),
        });
    }
    Ok(progress)
}

/// Members of `region` holding at least `minimum` wishes collected in the days.
fn members_meeting(
    connection: &Connection,
    region: &RegionPrefix,
    minimum: u32,
    from_day: i32,
    to_day: i32,
) -> Result<u64, FiguresError> {
    let (low, high) = region_range(region);
    let count: i64 = connection
        .prepare_cached(
            "SELECT COUNT(*) FROM (SELECT 1 FROM fig_wishes
             WHERE community >= ?1 AND community < ?2 AND submitted_day BETWEEN ?3 AND ?4
               AND claimant_member IS NOT NULL
             GROUP BY community, claimant_member HAVING COUNT(*) >= ?5)",
        )?
        .query_row(params![low, high, from_day, to_day, minimum], |row| {
            row.get(0)
        })?;
    Ok(u64::try_from(count).unwrap_or(0))
}

/// Organisations holding at least `minimum` projects of `region` collected in the
/// days.
fn orgs_meeting(
    connection: &Connection,
    region: &RegionPrefix,
    minimum: u32,
    from_day: i32,
    to_day: i32,
) -> Result<u64, FiguresError> {
    let (low, high) = region_range(region);
    let count: i64 = connection
        .prepare_cached(
            "SELECT COUNT(*) FROM (SELECT 1 FROM fig_projects
             WHERE community >= ?1 AND community < ?2 AND submitted_day BETWEEN ?3 AND ?4
               AND claimant_org IS NOT NULL
             GROUP BY claimant_org HAVING COUNT(*) >= ?5)",
        )?
        .query_row(params![low, high, from_day, to_day, minimum], |row| {
            row.get(0)
        })?;
    Ok(u64::try_from(count).unwrap_or(0))
}
