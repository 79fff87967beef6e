//! The figures of DESIGN §9 and the views built on them: children of a region,
//! monthly trends, rankings of organisations and communities, an organisation's
//! profile across communities, and sync health.
//!
//! What a period means: facts are counted in the period their day falls in — a wish
//! or project by the day it was submitted (its state is its state now), an activity
//! and its participations by the activity's day, a service record by its day, a
//! passbook entry by the day it was made. Stocks — members and organisations reported
//! in, pairings in force — are counted up to the end of the period. With an
//! organisation, the figures are those credited to it: its members, the wishes it
//! or its members hold, the projects it holds, the activities it organises, and the
//! communities whose records name it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use rusqlite::{Connection, OptionalExtension, ToSql, params, params_from_iter};
use wishtree_protocol::id::OrgId;
use wishtree_protocol::{CommunityCode, Date, RegionPrefix, Timestamp};

use super::FiguresError;
use super::measure::{Group, Measure, Measures, Scope, region_range, sum_measures};
use super::period::{Period, month_label};

/// How long a community may go unseen before sync health flags it.
pub const SYNC_WINDOW_MS: i64 = 24 * 3600 * 1000;

/// What figures are asked about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    /// The region, by code prefix.
    pub region: RegionPrefix,
    /// The period.
    pub period: Period,
    /// One unit organisation, or every one.
    pub org: Option<OrgId>,
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

/// What rankings order by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RankBy {
    /// Hours of service (the default).
    #[default]
    ServiceHours,
    /// Wishes claimed (claimed or fulfilled).
    WishesClaimed,
    /// Wishes fulfilled.
    WishesFulfilled,
    /// Projects claimed (claimed or fulfilled).
    ProjectsClaimed,
    /// Projects fulfilled.
    ProjectsFulfilled,
    /// Participations.
    Participations,
    /// Members reported in.
    Members,
}

/// Why a ranking order was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a ranking order; use service_hours, wishes_claimed, wishes_fulfilled, projects_claimed, projects_fulfilled, participations or members"
)]
pub struct RankByError(pub String);

/// One organisation in a ranking (最美机关党支部).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct OrgRank {
    /// Place, from 1.
    pub rank: u32,
    /// The organisation.
    pub org: OrgId,
    /// Its name as a community recorded it.
    pub name: String,
    /// Its unified social credit code.
    pub credit_code: String,
    /// Its members reported in.
    pub members: u64,
    /// Its members' participations.
    pub participations: u64,
    /// Its members' minutes of service.
    pub service_minutes: u64,
    /// Its members' hours of service, to two decimals.
    pub service_hours: f64,
    /// Wishes it or its members hold (claimed or fulfilled).
    pub wishes_claimed: u64,
    /// Of those, fulfilled.
    pub wishes_fulfilled: u64,
    /// Projects it holds (claimed or fulfilled).
    pub projects_claimed: u64,
    /// Of those, fulfilled.
    pub projects_fulfilled: u64,
    /// Activities it organised.
    pub activities: u64,
}

/// One community in a ranking.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CommunityRank {
    /// Place, from 1.
    pub rank: u32,
    /// The community.
    pub code: CommunityCode,
    /// Its name, from its document.
    pub name: String,
    /// Members reported in.
    pub members: u64,
    /// Participations.
    pub participations: u64,
    /// Minutes of service.
    pub service_minutes: u64,
    /// Hours of service, to two decimals.
    pub service_hours: f64,
    /// Wishes claimed or fulfilled.
    pub wishes_claimed: u64,
    /// Wishes fulfilled.
    pub wishes_fulfilled: u64,
    /// Projects claimed or fulfilled.
    pub projects_claimed: u64,
    /// Projects fulfilled.
    pub projects_fulfilled: u64,
}

/// A unit organisation across the communities whose records name it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct OrgProfile {
    /// The organisation.
    pub org: OrgId,
    /// Its name.
    pub name: String,
    /// Its unified social credit code.
    pub credit_code: String,
    /// Its figures.
    pub figures: Figures,
    /// Its members' service, community by community.
    pub communities: Vec<OrgInCommunity>,
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
    /// Members of the organisation reported in there.
    pub members: u64,
    /// Their participations.
    pub participations: u64,
    /// Their minutes of service.
    pub service_minutes: u64,
    /// Their hours of service, to two decimals.
    pub service_hours: f64,
    /// Wishes held by the organisation or its members.
    pub wishes_claimed: u64,
    /// Of those, fulfilled.
    pub wishes_fulfilled: u64,
    /// Projects held by the organisation.
    pub projects_claimed: u64,
    /// Of those, fulfilled.
    pub projects_fulfilled: u64,
}

/// Sync and attestation status of one community.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CommunityStatus {
    /// The community.
    pub code: CommunityCode,
    /// Its name, from its document (empty until its document arrives).
    pub name: String,
    /// When its node was last seen.
    pub last_seen_at: Option<Timestamp>,
    /// When its document last changed at the hub.
    pub last_change_at: Option<Timestamp>,
    /// Whether the node was seen in the last 24 hours.
    pub is_synced_24h: bool,
    /// Changes in the hub's copy of its document.
    pub changes: u64,
    /// Of those, the ones covered by the node's signed heads.
    pub attested_changes: u64,
    /// `attested_changes / changes`; `None` before any change arrived.
    pub attested_share: Option<f64>,
    /// Entities of its document that could not be read (and are not counted).
    pub malformed: u64,
    /// Its latest signed heads were made by a key revoked since: the data is kept,
    /// flagged for a look (a lost or stolen node).
    pub signer_revoked: bool,
}

impl StateCounts {
    /// Claimed now or fulfilled: every wish or project a claim was kept on (认领).
    pub fn claimed_or_fulfilled(&self) -> u64 {
        self.claimed + self.fulfilled
    }

    fn wishes(sums: &Measures) -> Self {
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

impl RankBy {
    /// Every order, as the API names them.
    pub const ALL: [RankBy; 7] = [
        Self::ServiceHours,
        Self::WishesClaimed,
        Self::WishesFulfilled,
        Self::ProjectsClaimed,
        Self::ProjectsFulfilled,
        Self::Participations,
        Self::Members,
    ];

    /// The name in the API.
    pub const fn code(self) -> &'static str {
        match self {
            Self::ServiceHours => "service_hours",
            Self::WishesClaimed => "wishes_claimed",
            Self::WishesFulfilled => "wishes_fulfilled",
            Self::ProjectsClaimed => "projects_claimed",
            Self::ProjectsFulfilled => "projects_fulfilled",
            Self::Participations => "participations",
            Self::Members => "members",
        }
    }

    fn value(self, sums: &Measures) -> i64 {
        let claimed = |claimed, fulfilled| sums.value(claimed) + sums.value(fulfilled);
        match self {
            Self::ServiceHours => sums.value(Measure::ServiceMinutes),
            Self::WishesClaimed => claimed(Measure::WishesClaimed, Measure::WishesFulfilled),
            Self::WishesFulfilled => sums.value(Measure::WishesFulfilled),
            Self::ProjectsClaimed => claimed(Measure::ProjectsClaimed, Measure::ProjectsFulfilled),
            Self::ProjectsFulfilled => sums.value(Measure::ProjectsFulfilled),
            Self::Participations => sums.value(Measure::Participations),
            Self::Members => sums.value(Measure::MembersReported),
        }
    }
}

impl FromStr for RankBy {
    type Err = RankByError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|by| by.code() == text)
            .ok_or_else(|| RankByError(text.chars().take(40).collect()))
    }
}

impl fmt::Display for RankBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Hours from minutes, to two decimals, as every figure shows them.
pub fn hours(minutes: u64) -> f64 {
    (minutes as f64 / 60.0 * 100.0).round() / 100.0
}

/// The figures of a region, period and organisation, at `now` (for the 24-hour sync
/// window).
pub fn figures(
    connection: &Connection,
    filter: &Filter,
    now: Timestamp,
) -> Result<Figures, FiguresError> {
    let scope = Scope {
        region: &filter.region,
        org: filter.org,
    };
    let period = &filter.period;
    let sums = sum_measures(connection, scope, period, Group::Nothing)?
        .remove("")
        .unwrap_or_default();
    let (communities, communities_synced_24h) = count_communities(connection, scope, now)?;
    let orgs_reported = count_orgs_reported(connection, scope, period)?;
    let members_with_claimed_wish = count_claiming_members(connection, scope, period)?;
    let orgs_with_claimed_project = count_claiming_orgs(connection, scope, period)?;
    let wishes = StateCounts::wishes(&sums);
    let projects = StateCounts::projects(&sums);
    let median_days_to_claim = median_days(
        connection,
        scope,
        period,
        "claim_days",
        wishes.claimed_or_fulfilled(),
    )?;
    let median_days_to_fulfil =
        median_days(connection, scope, period, "fulfil_days", wishes.fulfilled)?;
    let members_reported = sums.count(Measure::MembersReported);
    let service_minutes = sums.count(Measure::ServiceMinutes);
    Ok(Figures {
        region: filter.region.clone(),
        from: period.from(),
        to: period.to(),
        org: filter.org,
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
        activities: sums.count(Measure::Activities),
        participations: sums.count(Measure::Participations),
        service_records: sums.count(Measure::ServiceRecords),
        service_minutes,
        service_hours: hours(service_minutes),
        points_earned: sums.count(Measure::PointsEarned),
        points_redeemed: sums.count(Measure::PointsRedeemed),
    })
}

/// The figures of each region directly under `region` that has communities at the
/// hub, in code order. A community has no children.
pub fn children(
    connection: &Connection,
    region: &RegionPrefix,
    period: &Period,
    now: Timestamp,
) -> Result<Vec<RegionFigures>, FiguresError> {
    let mut out = Vec::new();
    for child in child_regions(connection, region)? {
        let figures = figures(
            connection,
            &Filter {
                region: child.clone(),
                period: *period,
                org: None,
            },
            now,
        )?;
        out.push(RegionFigures {
            name: region_name(connection, &child)?,
            region: child,
            figures,
        });
    }
    Ok(out)
}

/// The regions directly under `region` that have communities at the hub.
pub fn child_regions(
    connection: &Connection,
    region: &RegionPrefix,
) -> Result<Vec<RegionPrefix>, FiguresError> {
    let Some(level) = region.child_level() else {
        return Ok(Vec::new());
    };
    let mut children = BTreeSet::new();
    for code in community_codes(connection, region)? {
        children.insert(code.region(level).as_str().to_owned());
    }
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

/// What happened month by month in a region (and organisation), from the first month
/// with a fact to the last within the period; a month cut by the period counts only
/// its days inside it.
pub fn monthly(
    connection: &Connection,
    region: &RegionPrefix,
    org: Option<OrgId>,
    period: &Period,
) -> Result<Vec<MonthFigures>, FiguresError> {
    let sums = sum_measures(connection, Scope { region, org }, period, Group::Month)?;
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
    let mut out = Vec::new();
    for (month, values) in by_month {
        let service_minutes = values.count(Measure::ServiceMinutes);
        out.push(MonthFigures {
            month: month_label(month),
            members_reported: values.count(Measure::MembersReported),
            wishes_total: values.count(Measure::WishesTotal),
            wishes_claimed: values.count(Measure::WishesClaimed)
                + values.count(Measure::WishesFulfilled),
            wishes_fulfilled: values.count(Measure::WishesFulfilled),
            projects_fulfilled: values.count(Measure::ProjectsFulfilled),
            activities: values.count(Measure::Activities),
            participations: values.count(Measure::Participations),
            service_minutes,
            service_hours: hours(service_minutes),
            points_earned: values.count(Measure::PointsEarned),
            points_redeemed: values.count(Measure::PointsRedeemed),
        });
    }
    Ok(out)
}

/// The unit organisations of a region ranked (最美机关党支部): by `by`, then by hours
/// of service, then by id. At most `limit`.
pub fn org_ranking(
    connection: &Connection,
    region: &RegionPrefix,
    period: &Period,
    by: RankBy,
    limit: usize,
) -> Result<Vec<OrgRank>, FiguresError> {
    let scope = Scope { region, org: None };
    let sums = sum_measures(connection, scope, period, Group::Org)?;
    let mut ranked: Vec<(String, Measures)> = sums.into_iter().collect();
    ranked.sort_by(|(a_id, a), (b_id, b)| {
        by.value(b)
            .cmp(&by.value(a))
            .then(
                b.value(Measure::ServiceMinutes)
                    .cmp(&a.value(Measure::ServiceMinutes)),
            )
            .then(a_id.cmp(b_id))
    });
    let mut out = Vec::new();
    for (id, values) in ranked.into_iter().take(limit) {
        let org: OrgId = id.parse().map_err(|_| FiguresError::Corrupt {
            what: "organisation id",
            value: id.clone(),
        })?;
        let (name, credit_code) = org_name(connection, org)?.unwrap_or_default();
        let service_minutes = values.count(Measure::ServiceMinutes);
        out.push(OrgRank {
            rank: out.len() as u32 + 1,
            org,
            name,
            credit_code,
            members: values.count(Measure::MembersReported),
            participations: values.count(Measure::Participations),
            service_minutes,
            service_hours: hours(service_minutes),
            wishes_claimed: values.count(Measure::WishesClaimed)
                + values.count(Measure::WishesFulfilled),
            wishes_fulfilled: values.count(Measure::WishesFulfilled),
            projects_claimed: values.count(Measure::ProjectsClaimed)
                + values.count(Measure::ProjectsFulfilled),
            projects_fulfilled: values.count(Measure::ProjectsFulfilled),
            activities: values.count(Measure::Activities),
        });
    }
    Ok(out)
}

/// The communities of a region ranked by `by`, then by hours of service, then by code.
/// At most `limit`.
pub fn community_ranking(
    connection: &Connection,
    region: &RegionPrefix,
    period: &Period,
    by: RankBy,
    limit: usize,
) -> Result<Vec<CommunityRank>, FiguresError> {
    let scope = Scope { region, org: None };
    let sums = sum_measures(connection, scope, period, Group::Community)?;
    let mut ranked: Vec<(String, Measures)> = sums.into_iter().collect();
    ranked.sort_by(|(a_code, a), (b_code, b)| {
        by.value(b)
            .cmp(&by.value(a))
            .then(
                b.value(Measure::ServiceMinutes)
                    .cmp(&a.value(Measure::ServiceMinutes)),
            )
            .then(a_code.cmp(b_code))
    });
    let mut out = Vec::new();
    for (code, values) in ranked.into_iter().take(limit) {
        let code = parse_code(&code)?;
        let service_minutes = values.count(Measure::ServiceMinutes);
        out.push(CommunityRank {
            rank: out.len() as u32 + 1,
            code,
            name: community_name(connection, code)?.unwrap_or_default(),
            members: values.count(Measure::MembersReported),
            participations: values.count(Measure::Participations),
            service_minutes,
            service_hours: hours(service_minutes),
            wishes_claimed: values.count(Measure::WishesClaimed)
                + values.count(Measure::WishesFulfilled),
            wishes_fulfilled: values.count(Measure::WishesFulfilled),
            projects_claimed: values.count(Measure::ProjectsClaimed)
                + values.count(Measure::ProjectsFulfilled),
            projects_fulfilled: values.count(Measure::ProjectsFulfilled),
        });
    }
    Ok(out)
}

/// An organisation's figures in a region and period, and its members' service in each
/// community whose records name it; `None` if no community's records name it.
pub fn org_profile(
    connection: &Connection,
    org: OrgId,
    region: &RegionPrefix,
    period: &Period,
    now: Timestamp,
) -> Result<Option<OrgProfile>, FiguresError> {
    let Some((name, credit_code)) = org_name(connection, org)? else {
        return Ok(None);
    };
    let filter = Filter {
        region: region.clone(),
        period: *period,
        org: Some(org),
    };
    let figures = figures(connection, &filter, now)?;
    let scope = Scope {
        region,
        org: Some(org),
    };
    let mut sums = sum_measures(connection, scope, period, Group::Community)?;
    let (low, high) = region_range(region);
    let (_, last_day) = period.day_bounds();
    let mut statement = connection.prepare_cached(
        "SELECT o.community, c.name, MAX(o.reported_day IS NOT NULL AND o.reported_day <= ?4)
         FROM fig_orgs o JOIN fig_communities c ON c.code = o.community
         WHERE o.id = ?1 AND o.community >= ?2 AND o.community < ?3
         GROUP BY o.community ORDER BY o.community",
    )?;
    let rows = statement
        .query_map(
            params![org.as_bytes().as_slice(), low, high, last_day],
            |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, bool>(2)?,
                ))
            },
        )?
        .collect::<Result<Vec<_>, _>>()?;
    let mut communities = Vec::new();
    for (code, community_name, is_reported) in rows {
        let values = sums.remove(&code).unwrap_or_default();
        let service_minutes = values.count(Measure::ServiceMinutes);
        communities.push(OrgInCommunity {
            code: parse_code(&code)?,
            name: community_name,
            is_reported,
            members: values.count(Measure::MembersReported),
            participations: values.count(Measure::Participations),
            service_minutes,
            service_hours: hours(service_minutes),
            wishes_claimed: values.count(Measure::WishesClaimed)
                + values.count(Measure::WishesFulfilled),
            wishes_fulfilled: values.count(Measure::WishesFulfilled),
            projects_claimed: values.count(Measure::ProjectsClaimed)
                + values.count(Measure::ProjectsFulfilled),
            projects_fulfilled: values.count(Measure::ProjectsFulfilled),
        });
    }
    Ok(Some(OrgProfile {
        org,
        name,
        credit_code,
        figures,
        communities,
    }))
}

/// Sync and attestation status of every community in a region, in code order.
pub fn community_statuses(
    connection: &Connection,
    region: &RegionPrefix,
    now: Timestamp,
) -> Result<Vec<CommunityStatus>, FiguresError> {
    let (low, high) = region_range(region);
    let mut statement = connection.prepare_cached(
        "SELECT code, name, last_seen_at, last_change_at, changes, attested_changes, malformed,
                signer_revoked
         FROM fig_communities WHERE code >= ?1 AND code < ?2 ORDER BY code",
    )?;
    let rows = statement
        .query_map(params![low, high], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, Option<i64>>(2)?,
                row.get::<_, Option<i64>>(3)?,
                row.get::<_, i64>(4)?,
                row.get::<_, i64>(5)?,
                row.get::<_, i64>(6)?,
                row.get::<_, bool>(7)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut out = Vec::new();
    for (code, name, last_seen, last_change, changes, attested, malformed, signer_revoked) in rows {
        let changes = u64::try_from(changes).unwrap_or(0);
        let attested_changes = u64::try_from(attested).unwrap_or(0);
        out.push(CommunityStatus {
            code: parse_code(&code)?,
            name,
            last_seen_at: last_seen.map(Timestamp::from_millis),
            last_change_at: last_change.map(Timestamp::from_millis),
            is_synced_24h: last_seen.is_some_and(|seen| seen >= now.as_millis() - SYNC_WINDOW_MS),
            changes,
            attested_changes,
            attested_share: ratio(attested_changes, changes),
            malformed: u64::try_from(malformed).unwrap_or(0),
            signer_revoked,
        });
    }
    Ok(out)
}

/// The name the hub knows for a region: a community's from its document, a district's
/// or street's as set with [`super::set_region_name`].
pub fn region_name(
    connection: &Connection,
    region: &RegionPrefix,
) -> Result<Option<String>, FiguresError> {
    if let Ok(code) = region.as_str().parse::<CommunityCode>() {
        return Ok(community_name(connection, code)?.filter(|name| !name.is_empty()));
    }
    Ok(connection
        .prepare_cached("SELECT name FROM fig_region_names WHERE prefix = ?1")?
        .query_row([region.as_str()], |row| row.get(0))
        .optional()?)
}

/// An organisation's name and credit code as the communities recorded them (the
/// record of a community it reported in to first).
pub fn org_name(
    connection: &Connection,
    org: OrgId,
) -> Result<Option<(String, String)>, FiguresError> {
    Ok(connection
        .prepare_cached(
            "SELECT name, credit_code FROM fig_orgs WHERE id = ?1
             ORDER BY reported_day IS NULL, reported_day, community LIMIT 1",
        )?
        .query_row([org.as_bytes().as_slice()], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .optional()?)
}

fn community_name(
    connection: &Connection,
    code: CommunityCode,
) -> Result<Option<String>, FiguresError> {
    Ok(connection
        .prepare_cached("SELECT name FROM fig_communities WHERE code = ?1")?
        .query_row([code.as_str()], |row| row.get(0))
        .optional()?)
}

fn community_codes(
    connection: &Connection,
    region: &RegionPrefix,
) -> Result<Vec<CommunityCode>, FiguresError> {
    let (low, high) = region_range(region);
    let mut statement = connection
        .prepare_cached("SELECT code FROM fig_communities WHERE code >= ?1 AND code < ?2")?;
    let codes = statement
        .query_map(params![low, high], |row| row.get::<_, String>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    codes.iter().map(|code| parse_code(code)).collect()
}

fn parse_code(code: &str) -> Result<CommunityCode, FiguresError> {
    code.parse().map_err(|_| FiguresError::Corrupt {
        what: "community code",
        value: code.to_owned(),
    })
}

fn count_communities(
    connection: &Connection,
    scope: Scope<'_>,
    now: Timestamp,
) -> Result<(u64, u64), FiguresError> {
    let (low, high) = region_range(scope.region);
    let since = now.as_millis() - SYNC_WINDOW_MS;
    let (count, synced): (i64, i64) = match scope.org {
        None => connection
            .prepare_cached(
                "SELECT COUNT(*), COALESCE(SUM(last_seen_at >= ?3), 0) FROM fig_communities
                 WHERE code >= ?1 AND code < ?2",
            )?
            .query_row(params![low, high, since], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })?,
        Some(org) => connection
            .prepare_cached(
                "SELECT COUNT(*), COALESCE(SUM(last_seen_at >= ?3), 0) FROM fig_communities
                 WHERE code >= ?1 AND code < ?2
                   AND code IN (SELECT community FROM fig_orgs WHERE id = ?4)",
            )?
            .query_row(
                params![low, high, since, org.as_bytes().as_slice()],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )?,
    };
    Ok((
        u64::try_from(count).unwrap_or(0),
        u64::try_from(synced).unwrap_or(0),
    ))
}

fn count_orgs_reported(
    connection: &Connection,
    scope: Scope<'_>,
    period: &Period,
) -> Result<u64, FiguresError> {
    let (low, high) = region_range(scope.region);
    let (_, last_day) = period.day_bounds();
    let (org_clause, org) = org_term(scope, "id", 4);
    // A wide region reads the index on the id in order, so counting distinct ids needs
    // no sort.
    let community = wide_or_narrow(scope);
    let sql = format!(
        "SELECT COUNT(*) FROM (SELECT id FROM fig_orgs
         WHERE {community} >= ?1 AND {community} < ?2 AND reported_day <= ?3 {org_clause}
         GROUP BY id)"
    );
    let mut values: Vec<&dyn ToSql> = vec![&low, &high, &last_day];
    values.extend(org.as_ref().map(|org| org as &dyn ToSql));
    let count: i64 = connection
        .prepare_cached(&sql)?
        .query_row(params_from_iter(values), |row| row.get(0))?;
    Ok(u64::try_from(count).unwrap_or(0))
}

fn count_claiming_members(
    connection: &Connection,
    scope: Scope<'_>,
    period: &Period,
) -> Result<u64, FiguresError> {
    let (low, high) = region_range(scope.region);
    let org = scope.org.map(|org| org.as_bytes().to_vec());
    let count: i64 = if period.is_all() {
        // Members belong to one community, so the all-time distinct counts of the
        // communities add up.
        let table = if org.is_some() {
            "fig_org_months"
        } else {
            "fig_months"
        };
        let org_clause = if org.is_some() { "AND org = ?3" } else { "" };
        let sql = format!(
            "SELECT COALESCE(SUM(members_with_claimed_wish), 0) FROM {table}
             WHERE community >= ?1 AND community < ?2 AND month = 0 {org_clause}"
        );
        let mut statement = connection.prepare_cached(&sql)?;
        match &org {
            Some(org) => statement.query_row(params![low, high, org], |row| row.get(0))?,
            None => statement.query_row(params![low, high], |row| row.get(0))?,
        }
    } else {
        let (first, last) = period.day_bounds();
        // A region reads the partial index of claimants (the whole of it for a wide
        // region); an organisation reads its own index.
        let (community, day) = match (scope.org, scope.region.as_str().len() <= 4) {
            (Some(_), _) => ("+community", "submitted_day"),
            (None, true) => ("+community", "+submitted_day"),
            (None, false) => ("community", "+submitted_day"),
        };
        let (org_clause, org) = org_term(scope, "credited_org", 5);
        let sql = format!(
            "SELECT COUNT(*) FROM (SELECT 1 FROM fig_wishes
             WHERE {community} >= ?1 AND {community} < ?2 AND {day} BETWEEN ?3 AND ?4
               AND claimant_member IS NOT NULL {org_clause}
             GROUP BY community, claimant_member)"
        );
        let mut values: Vec<&dyn ToSql> = vec![&low, &high, &first, &last];
        values.extend(org.as_ref().map(|org| org as &dyn ToSql));
        connection
            .prepare_cached(&sql)?
            .query_row(params_from_iter(values), |row| row.get(0))?
    };
    Ok(u64::try_from(count).unwrap_or(0))
}

fn count_claiming_orgs(
    connection: &Connection,
    scope: Scope<'_>,
    period: &Period,
) -> Result<u64, FiguresError> {
    let (low, high) = region_range(scope.region);
    let (first, last) = period.day_bounds();
    let (org_clause, org) = org_term(scope, "claimant_org", 5);
    let community = wide_or_narrow(scope);
    let sql = format!(
        "SELECT COUNT(*) FROM (SELECT claimant_org FROM fig_projects
         WHERE {community} >= ?1 AND {community} < ?2 AND submitted_day BETWEEN ?3 AND ?4
           AND claimant_org IS NOT NULL {org_clause}
         GROUP BY claimant_org)"
    );
    let mut values: Vec<&dyn ToSql> = vec![&low, &high, &first, &last];
    values.extend(org.as_ref().map(|org| org as &dyn ToSql));
    let count: i64 = connection
        .prepare_cached(&sql)?
        .query_row(params_from_iter(values), |row| row.get(0))?;
    Ok(u64::try_from(count).unwrap_or(0))
}

/// The median of a day column over the wishes of a scope and period, given how many
/// wishes have a value (known from the summed states, so only one ordered read is
/// needed).
fn median_days(
    connection: &Connection,
    scope: Scope<'_>,
    period: &Period,
    column: &str,
    count: u64,
) -> Result<Option<f64>, FiguresError> {
    if count == 0 {
        return Ok(None);
    }
    let (low, high) = region_range(scope.region);
    let (first, last) = period.day_bounds();
    let (org_clause, org) = org_term(scope, "credited_org", 7);
    // The whole city walks the column's partial index in order, a narrower region
    // sorts the values of its partial index by community, an organisation reads its
    // own index; none reads a row.
    let (community, day) = match (scope.org, scope.region.as_str().len() <= 4) {
        (Some(_), _) => ("+community", "submitted_day"),
        (None, true) => ("+community", "+submitted_day"),
        (None, false) => ("community", "+submitted_day"),
    };
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
    let (take, skip) = (take as i64, skip as i64);
    let mut bound: Vec<&dyn ToSql> = vec![&low, &high, &first, &last, &take, &skip];
    bound.extend(org.as_ref().map(|org| org as &dyn ToSql));
    let mut statement = connection.prepare_cached(&sql)?;
    let values = statement
        .query_map(params_from_iter(bound), |row| row.get::<_, i64>(0))?
        .collect::<Result<Vec<_>, _>>()?;
    if values.is_empty() {
        return Ok(None);
    }
    Ok(Some(
        values.iter().map(|&v| v as f64).sum::<f64>() / values.len() as f64,
    ))
}

/// The community column as a wide region (or an organisation) writes it, `+community`,
/// so that SQLite reads another index, or as a narrow region does, by its codes.
fn wide_or_narrow(scope: Scope<'_>) -> &'static str {
    if scope.org.is_some() || scope.region.as_str().len() <= 4 {
        "+community"
    } else {
        "community"
    }
}

/// The clause that limits rows to one organisation, bound as parameter `index`, and
/// the value to bind; nothing without an organisation. Written out rather than as
/// `(?n IS NULL OR col = ?n)` so that SQLite can use the organisation's index.
fn org_term(scope: Scope<'_>, column: &str, index: usize) -> (String, Option<Vec<u8>>) {
    match scope.org {
        Some(org) => (
            format!("AND {column} = ?{index}"),
            Some(org.as_bytes().to_vec()),
        ),
        None => (String::new(), None),
    }
}

fn ratio(numerator: u64, denominator: u64) -> Option<f64> {
    (denominator > 0).then(|| numerator as f64 / denominator as f64)
}
