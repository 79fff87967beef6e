//! The city's campaigns (DESIGN §3: "每名在职党员至少领办 1 个微心愿", "每个单位党组织
//! 至少认领 1 个民生微项目") as the city document sets them, measured over the figure
//! rows: how many of those a campaign asks are reported in a region, how many met it,
//! how many are behind. No rule is a constant here: the city hub's operator sets each
//! (`wishtree-hub city campaign`), every hub derives `fig_campaigns` from the city
//! document it holds, and the dashboard reads them.

use wishtree_protocol::city::{CampaignRule, CityView};
use wishtree_protocol::{Date, RegionPrefix};

use super::measure::region_range;
use super::query::ratio;
use super::{FiguresError, Period};
use crate::sql::{Db, DbExt, ToCell, Value, params};

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
pub fn refresh_campaigns(db: &dyn Db, city: &CityView) -> Result<(), FiguresError> {
    let rows = city.campaigns.iter().map(|(id, campaign)| {
        [
            Value::from(id.as_bytes().to_vec()),
            Value::from(campaign.title.clone()),
            Value::from(campaign.rule.code()),
            Value::from(i64::from(campaign.minimum)),
            Value::from(i64::from(campaign.from.to_days())),
            Value::from(i64::from(campaign.to.to_days())),
        ]
    });
    replace_city_rows(
        db,
        "fig_campaigns",
        "INSERT INTO fig_campaigns (id, title, rule, minimum, from_day, to_day)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        rows,
    )
}

/// Replaces every row of `table`, derived from the city document, by `rows`, each
/// written by the statement `insert` with the row's values as its parameters.
pub(super) fn replace_city_rows<const N: usize>(
    db: &dyn Db,
    table: &'static str,
    insert: &str,
    rows: impl IntoIterator<Item = [Value; N]>,
) -> Result<(), FiguresError> {
    db.execute_later(&format!("DELETE FROM {table}"), params![])?;
    for row in rows {
        let values: Vec<&dyn ToCell> = row.iter().map(|value| value as &dyn ToCell).collect();
        db.execute_later(insert, &values)?;
    }
    Ok(())
}

/// Every campaign of the city and how far `region` is with it, by first day.
pub fn campaign_progress(
    db: &dyn Db,
    region: &RegionPrefix,
) -> Result<Vec<CampaignProgress>, FiguresError> {
    let campaigns: Vec<(String, String, u32, i32, i32)> = db.query_map(
        "SELECT title, rule, minimum, from_day, to_day FROM fig_campaigns
         ORDER BY from_day, title",
        params![],
        |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
            ))
        },
    )?;
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
        let (members, orgs) = super::query::reported(db, region, &period)?;
        let eligible = match rule {
            CampaignRule::MemberClaimsWish => members,
            CampaignRule::OrgClaimsProject => orgs,
        };
        let met = claimants_meeting(db, rule, region, minimum, (from_day, to_day))?;
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

/// Claimants in `region` holding at least `minimum` wishes (members: a member is one in
/// their community) or projects (organisations: a unit is one across the city)
/// collected in the days.
fn claimants_meeting(
    db: &dyn Db,
    rule: CampaignRule,
    region: &RegionPrefix,
    minimum: u32,
    (from_day, to_day): (i32, i32),
) -> Result<u64, FiguresError> {
    let (table, claimant) = match rule {
        CampaignRule::MemberClaimsWish => ("fig_wishes", "community, claimant_member"),
        // Every unit holding a project jointly claimed it (共同认领), not its lead alone.
        CampaignRule::OrgClaimsProject => ("fig_project_credits", "claimant_org"),
    };
    let (low, high) = region_range(region);
    let sql = format!(
        "SELECT COUNT(*) FROM (SELECT 1 FROM {table}
         WHERE community >= ?1 AND community < ?2 AND submitted_day BETWEEN ?3 AND ?4
           AND {last} IS NOT NULL
         GROUP BY {claimant} HAVING COUNT(*) >= ?5) AS claimants",
        last = claimant.rsplit(", ").next().unwrap_or(claimant),
    );
    let count: i64 = db.query_row(&sql, params![low, high, from_day, to_day, minimum], |row| {
        row.get(0)
    })?;
    Ok(u64::try_from(count).unwrap_or(0))
}
