//! Rankings of party organisations (最美机关党支部: each branch on its own, shown with
//! its unit's name) and communities of a region for a period, by the measure a viewer
//! picks.

use std::fmt;
use std::str::FromStr;

use wishtree_protocol::id::OrgId;
use wishtree_protocol::{CommunityCode, RegionPrefix};

use super::FiguresError;
use super::measure::{Group, Measure, Measures, Scope};
use super::names::{community_name, parse_code};
use super::party_orgs::party_org_names;
use super::period::Period;
use super::service::Service;
use super::sums::sum_measures;
use crate::sql::Db;

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
    /// Its unit's name as a community recorded it.
    pub name: String,
    /// The branch's name (e.g. 第一党支部); absent for a unit's own organisation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub party_org: Option<String>,
    /// Its unified social credit code.
    pub credit_code: String,
    /// Its service figures (members, person-times, hours, wishes, projects).
    #[serde(flatten)]
    pub service: Service,
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
    /// Its service figures (members, person-times, hours, wishes, projects).
    #[serde(flatten)]
    pub service: Service,
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

/// The unit organisations of a region ranked (最美机关党支部): by `by`, then by hours
/// of service, then by id. At most `limit`.
pub fn org_ranking(
    db: &dyn Db,
    region: &RegionPrefix,
    period: &Period,
    by: RankBy,
    limit: usize,
) -> Result<Vec<OrgRank>, FiguresError> {
    let mut orgs = Vec::new();
    for (id, values) in ranked(db, region, period, Group::Org, by, limit)? {
        let org: OrgId = id.parse().map_err(|_| FiguresError::Corrupt {
            what: "organisation id",
            value: id.clone(),
        })?;
        orgs.push((org, values));
    }
    let ids: Vec<OrgId> = orgs.iter().map(|(org, _)| *org).collect();
    let mut names = party_org_names(db, &ids)?;
    let mut out = Vec::new();
    for (org, values) in orgs {
        let names = names.remove(&org).unwrap_or_default();
        out.push(OrgRank {
            rank: out.len() as u32 + 1,
            org,
            name: names.name,
            party_org: names.party_org,
            credit_code: names.credit_code,
            service: Service::of(&values),
            activities: values.count(Measure::Activities),
        });
    }
    Ok(out)
}

/// The communities of a region ranked by `by`, then by hours of service, then by code.
/// At most `limit`.
pub fn community_ranking(
    db: &dyn Db,
    region: &RegionPrefix,
    period: &Period,
    by: RankBy,
    limit: usize,
) -> Result<Vec<CommunityRank>, FiguresError> {
    let mut out = Vec::new();
    for (code, values) in ranked(db, region, period, Group::Community, by, limit)? {
        let code = parse_code(&code)?;
        out.push(CommunityRank {
            rank: out.len() as u32 + 1,
            code,
            name: community_name(db, code)?.unwrap_or_default(),
            service: Service::of(&values),
        });
    }
    Ok(out)
}

/// The sums of a region's groups (organisations or communities) in a period, ranked by
/// `by`, then by hours of service, then by the group's key (an id, a code); at most
/// `limit`.
fn ranked(
    db: &dyn Db,
    region: &RegionPrefix,
    period: &Period,
    group: Group,
    by: RankBy,
    limit: usize,
) -> Result<Vec<(String, Measures)>, FiguresError> {
    let scope = Scope { region, org: None };
    let mut ranked: Vec<(String, Measures)> = sum_measures(db, scope, period, group)?
        .into_iter()
        .collect();
    ranked.sort_by(|(a_key, a), (b_key, b)| {
        by.value(b)
            .cmp(&by.value(a))
            .then(
                b.value(Measure::ServiceMinutes)
                    .cmp(&a.value(Measure::ServiceMinutes)),
            )
            .then(a_key.cmp(b_key))
    });
    ranked.truncate(limit);
    Ok(ranked)
}
