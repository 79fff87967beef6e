//! An organisation across every community whose records name it: its figures and
//! what its members did, community by community.

use wishtree_protocol::id::OrgId;
use wishtree_protocol::{CommunityCode, RegionPrefix, Timestamp};

use super::FiguresError;
use super::measure::{Group, Scope, off_index, region_range};
use super::names::parse_code;
use super::party_orgs::{OrgScope, UnitPartyOrg, org_name, party_orgs_of};
use super::period::Period;
use super::query::{Figures, Filter, figures};
use super::service::Service;
use super::sums::sum_measures;
use crate::sql::{Db, DbExt, params};

/// A party organisation, or a unit with all its party organisations, across the
/// communities whose records name it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct OrgProfile {
    /// The organisation (for a unit, its own organisation's id).
    pub org: OrgId,
    /// Its unit's name.
    pub name: String,
    /// The branch's name; absent for a unit and for a unit's own organisation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub party_org: Option<String>,
    /// Its unified social credit code.
    pub credit_code: String,
    /// Its figures.
    pub figures: Figures,
    /// Its members' service, community by community.
    pub communities: Vec<OrgInCommunity>,
    /// For a unit, its party organisations (its own, then its branches), each with a
    /// page of its own; empty for one party organisation.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub party_orgs: Vec<UnitPartyOrg>,
}

/// What an organisation and its members did in one community.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct OrgInCommunity {
    /// The community.
    pub code: CommunityCode,
    /// Its name.
    pub name: String,
    /// Whether the organisation reported in to it (up to the end of the period).
    pub is_reported: bool,
    /// Its service figures (members, person-times, hours, wishes, projects).
    #[serde(flatten)]
    pub service: Service,
}

/// An organisation's figures in a region and period, and its members' service in each
/// community whose records name it; `None` if no community's records name it.
pub fn org_profile(
    db: &dyn Db,
    org: OrgScope,
    region: &RegionPrefix,
    period: &Period,
    now: Timestamp,
) -> Result<Option<OrgProfile>, FiguresError> {
    let Some(names) = org_name(db, org)? else {
        return Ok(None);
    };
    let filter = Filter {
        region: region.clone(),
        period: *period,
        org: Some(org),
        round: None,
    };
    let figures = figures(db, &filter, now)?;
    let scope = Scope {
        region,
        org: Some(org),
    };
    let mut sums = sum_measures(db, scope, period, Group::Community)?;
    let (low, high) = region_range(region);
    let (_, last_day) = period.day_bounds();
    // Reported by the period's end in any of the records: the largest of 1s and 0s (a
    // NULL day compares as unknown, so 0). The community's name is grouped by too (one
    // per community), as PostgreSQL asks of every column selected. The organisation's
    // records are read by its own index: PostgreSQL's generic plan read the region's
    // by their codes (9.4 ms against SQLite's 1.1 for the city's largest unit, bench
    // city of 3,000 communities).
    let sql = format!(
        "SELECT o.community, c.name,
             MAX(CASE WHEN o.reported_day <= ?4 THEN 1 ELSE 0 END)
         FROM fig_orgs o JOIN fig_communities c ON c.code = o.community
         WHERE {community} >= ?2 AND {community} < ?3 {org}
         GROUP BY o.community, c.name ORDER BY o.community",
        community = off_index(db, "o.community"),
        org = org.clause("o.id", 1)
    );
    let rows = db.query_map(&sql, params![org.value(), low, high, last_day], |row| {
        Ok((
            row.get::<String>(0)?,
            row.get::<String>(1)?,
            row.get::<bool>(2)?,
        ))
    })?;
    let mut communities = Vec::new();
    for (code, community_name, is_reported) in rows {
        let values = sums.remove(&code).unwrap_or_default();
        communities.push(OrgInCommunity {
            code: parse_code(&code)?,
            name: community_name,
            is_reported,
            service: Service::of(&values),
        });
    }
    Ok(Some(OrgProfile {
        party_orgs: party_orgs_of(db, org)?,
        org: org.id(),
        name: names.name,
        party_org: names.party_org,
        credit_code: names.credit_code,
        figures,
        communities,
    }))
}
