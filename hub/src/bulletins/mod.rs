//! Bulletins (通报, issue 13 item 7): a monthly or half-yearly report of a region's
//! figures — the headline, the change since the region's previous bulletin of the same
//! kind, the rankings below it, the units and communities behind — issued once for a
//! closed period and kept as it was issued ("公开晾晒、定期通报").
//!
//! A bulletin is data, not a page: [`prepare`] gathers it from the figure tables
//! (`build.rs`), [`record`] stores it as JSON with who issued it and when
//! (`store.rs`), and every later reading renders from that JSON. The figures move on
//! as late records sync in; an issued bulletin does not. The change since the previous
//! bulletin is computed from the two stored headlines, so it too stays as issued.
//!
//! The dashboard's pages (`http/dashboard/bulletin.rs`) and the CLI (`wishtree-hub
//! bulletin issue`) are the two drivers; both call [`prepare`] and [`record`].

mod build;
mod period;
mod store;

use wishtree_protocol::city::CampaignRule;
use wishtree_protocol::{CommunityCode, Date, RegionPrefix, Timestamp};

pub use build::build;
pub use period::{BulletinKind, BulletinPeriod};
pub use store::{Draft, Issued, bulletin, bulletins_of, issue, prepare, record};

use crate::figures::FiguresError;

/// How many rows each ranking and each list of who is behind keeps.
pub const LIST_LENGTH: usize = 10;

/// An issued bulletin: what was stored, as it was stored.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Bulletin {
    /// Its number at this hub.
    pub id: i64,
    /// When it was issued.
    pub issued_at: Timestamp,
    /// Who issued it: an account's name, or the operator at the CLI.
    pub issued_by: String,
    /// What it says.
    pub data: BulletinData,
}

/// What a bulletin says, gathered at its issue.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BulletinData {
    /// The region.
    pub region: RegionPrefix,
    /// Its name when issued (the code when the hub knew no name).
    pub region_name: String,
    /// The month or half-year, as `2026-11` or `2026H1`.
    pub period: BulletinPeriod,
    /// The headline figures of the period.
    pub headline: Headline,
    /// The region's previous bulletin of the same kind, if one was issued.
    pub previous: Option<Previous>,
    /// The regions directly below, most hours of service first.
    pub children: Vec<Ranked>,
    /// The communities with the most hours of service (city and district bulletins).
    pub communities: Vec<Ranked>,
    /// The unit organisations with the most hours of service (最美机关党支部).
    pub orgs: Vec<Ranked>,
    /// Month by month within the period.
    pub months: Vec<MonthRow>,
    /// Who is behind, as of the issue.
    pub behind: Behind,
}

/// The headline figures of a region and period (members and units are counted up to
/// the period's end; the rest within it).
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Headline {
    /// Communities with records at the hub.
    pub communities: u64,
    /// Members reported in (报到党员).
    pub members_reported: u64,
    /// Unit organisations reported in.
    pub orgs_reported: u64,
    /// In-service members the region's units declared (报到率's denominator).
    pub members_declared: u64,
    /// Of those, reported in to a community of the region.
    pub members_declared_reported: u64,
    /// Wishes collected (征集).
    pub wishes_collected: u64,
    /// Of those, claimed or fulfilled (认领).
    pub wishes_claimed: u64,
    /// Of those, fulfilled (实现).
    pub wishes_fulfilled: u64,
    /// Projects solved (解决问题).
    pub projects_fulfilled: u64,
    /// Service activities.
    pub activities: u64,
    /// Person-times (人次).
    pub participations: u64,
    /// Minutes of service.
    pub service_minutes: u64,
}

/// The previous bulletin a change is measured from.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Previous {
    /// Its period.
    pub period: BulletinPeriod,
    /// When it was issued.
    pub issued_at: Timestamp,
    /// Its headline, as it was issued.
    pub headline: Headline,
}

/// One row of a ranking: a region, a community or a unit.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Ranked {
    /// Place, from 1.
    pub rank: u32,
    /// Its name (its code when it has none).
    pub name: String,
    /// Its region or community code, or the unit's credit code.
    pub code: String,
    /// Members reported in.
    pub members: u64,
    /// Person-times.
    pub participations: u64,
    /// Minutes of service.
    pub service_minutes: u64,
    /// Wishes claimed or fulfilled.
    pub wishes_claimed: u64,
    /// Wishes fulfilled.
    pub wishes_fulfilled: u64,
    /// Projects claimed or fulfilled.
    pub projects_claimed: u64,
    /// Projects solved.
    pub projects_fulfilled: u64,
}

/// One month of the period.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MonthRow {
    /// `YYYY-MM`.
    pub month: String,
    /// Wishes collected.
    pub wishes_collected: u64,
    /// Of those, claimed or fulfilled.
    pub wishes_claimed: u64,
    /// Of those, fulfilled.
    pub wishes_fulfilled: u64,
    /// Minutes of service.
    pub service_minutes: u64,
}

/// The units and communities behind, as of the bulletin's issue.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Behind {
    /// The city's campaigns that overlap the period, and who has not met them.
    pub campaigns: Vec<CampaignBehind>,
    /// Units whose declared members are not all reported in, the most behind first.
    pub units: Vec<UnitBehind>,
    /// How many units are behind in all (the list keeps the first [`LIST_LENGTH`]).
    pub units_total: u64,
    /// Units with members reported in and no service in the period.
    pub idle_orgs: Vec<Ranked>,
    /// How many such units in all.
    pub idle_orgs_total: u64,
    /// Communities with published wishes waiting too long for a claim.
    pub waiting: Vec<WaitingCommunity>,
    /// Communities whose node has not synced in the last day, or whose seal failed.
    pub unhealthy: Vec<UnhealthyCommunity>,
    /// How many such communities in all.
    pub unhealthy_total: u64,
}

/// A campaign and how many have not met it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CampaignBehind {
    /// Its title.
    pub title: String,
    /// What it asks of whom.
    pub rule: CampaignRule,
    /// How many each must claim.
    pub minimum: u32,
    /// Reported in and asked.
    pub eligible: u64,
    /// Of those, met it.
    pub met: u64,
    /// Of those, behind.
    pub behind: u64,
}

/// A unit whose declared members are not all reported in.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct UnitBehind {
    /// Its name.
    pub name: String,
    /// Its credit code.
    pub credit_code: String,
    /// In-service members it declared.
    pub declared: u64,
    /// Of those, reported in.
    pub reported: u64,
    /// Not yet reported in.
    pub behind: u64,
}

/// A community with wishes waiting too long.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct WaitingCommunity {
    /// The community.
    pub code: CommunityCode,
    /// Its name.
    pub name: String,
    /// Its published wishes waiting.
    pub wishes: u64,
    /// The day the oldest was submitted.
    pub oldest: Date,
}

/// A community whose sync or seals need a look.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct UnhealthyCommunity {
    /// The community.
    pub code: CommunityCode,
    /// Its name.
    pub name: String,
    /// When its node was last seen.
    pub last_seen_at: Option<Timestamp>,
    /// Seals that did not verify.
    pub seals_failed: u64,
}

/// The change of each headline figure since the previous bulletin.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HeadlineChange {
    /// Members reported in.
    pub members_reported: i64,
    /// Unit organisations reported in.
    pub orgs_reported: i64,
    /// Declared members reported in.
    pub members_declared_reported: i64,
    /// Wishes collected.
    pub wishes_collected: i64,
    /// Wishes claimed.
    pub wishes_claimed: i64,
    /// Wishes fulfilled.
    pub wishes_fulfilled: i64,
    /// Projects solved.
    pub projects_fulfilled: i64,
    /// Activities.
    pub activities: i64,
    /// Person-times.
    pub participations: i64,
    /// Minutes of service.
    pub service_minutes: i64,
}

/// Why a bulletin could not be issued or read.
#[derive(Debug, thiserror::Error)]
pub enum BulletinError {
    /// The period is neither a month nor a half-year.
    #[error("`{0}` is not a month or half-year; write a month as 2026-11 or a half-year as 2026H1")]
    BadPeriod(String),
    /// The period has not ended.
    #[error("{period} is not over: it ends on {last_day}; issue its bulletin from {day_after} on")]
    Open {
        /// The period.
        period: BulletinPeriod,
        /// Its last day.
        last_day: Date,
        /// The first day it may be issued.
        day_after: Date,
    },
    /// The region is not a city, district or street.
    #[error(
        "bulletins are issued for a city (4 digits), district (6) or street (9), not region `{0}`"
    )]
    BadRegion(String),
    /// The region already has a bulletin for the period.
    #[error(
        "region {region} has a bulletin for {period} already, issued by {issued_by} at {issued_at}; an issued bulletin is never issued again"
    )]
    Duplicate {
        /// The region.
        region: RegionPrefix,
        /// The period.
        period: BulletinPeriod,
        /// Who issued it.
        issued_by: String,
        /// When, in Shanghai time.
        issued_at: String,
        /// Its number.
        id: i64,
    },
    /// The store holds a bulletin this build cannot read.
    #[error("bulletin {id} cannot be read ({reason}); was it written by a newer release?")]
    Damaged {
        /// Its number.
        id: i64,
        /// What did not parse.
        reason: String,
    },
    /// The figures could not be read.
    #[error(transparent)]
    Figures(#[from] FiguresError),
    /// The database failed (SQLite, as a transaction of the hub's store reports it).
    #[error("the hub database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The database failed (`crate::sql`, SQLite or PostgreSQL).
    #[error("the hub database: {0}")]
    Sql(#[from] crate::sql::SqlError),
}

impl BulletinError {
    /// What went wrong in Chinese, for the person at the form: what was wrong and what
    /// to do.
    pub fn message_zh(&self) -> String {
        match self {
            Self::BadPeriod(text) => {
                format!("期间“{text}”无法识别：月度通报写作 2026-11，半年度通报写作 2026H1")
            }
            Self::Open {
                period, day_after, ..
            } => format!(
                "{}尚未结束，不能发布通报：请于 {day_after} 起发布",
                period.label_zh()
            ),
            Self::BadRegion(code) => format!(
                "地区“{code}”不能发布通报：通报按市（4 位）、区（6 位）、街道（9 位）地区代码发布"
            ),
            Self::Duplicate {
                period,
                issued_by,
                issued_at,
                ..
            } => format!(
                "本地区{}的通报已由 {issued_by} 于 {issued_at} 发布，不能重复发布；请查看已发布的通报",
                period.label_zh()
            ),
            Self::Damaged { .. } | Self::Figures(_) | Self::Sqlite(_) | Self::Sql(_) => {
                "通报数据暂时无法读取，请稍后再试或联系平台管理员".to_owned()
            }
        }
    }

    /// Whether the error is about what was asked (a person can fix it), rather than
    /// the hub.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            Self::BadPeriod(_) | Self::Open { .. } | Self::BadRegion(_) | Self::Duplicate { .. }
        )
    }
}

impl Headline {
    /// Hours of service, to two decimals.
    pub fn service_hours(&self) -> f64 {
        crate::figures::hours(self.service_minutes)
    }

    /// `members_declared_reported / members_declared`.
    pub fn coverage(&self) -> Option<f64> {
        (self.members_declared > 0)
            .then(|| self.members_declared_reported as f64 / self.members_declared as f64)
    }

    /// Each figure of `self` less the same of `previous`.
    pub fn change_since(&self, previous: &Headline) -> HeadlineChange {
        let less = |now: u64, then: u64| now as i64 - then as i64;
        HeadlineChange {
            members_reported: less(self.members_reported, previous.members_reported),
            orgs_reported: less(self.orgs_reported, previous.orgs_reported),
            members_declared_reported: less(
                self.members_declared_reported,
                previous.members_declared_reported,
            ),
            wishes_collected: less(self.wishes_collected, previous.wishes_collected),
            wishes_claimed: less(self.wishes_claimed, previous.wishes_claimed),
            wishes_fulfilled: less(self.wishes_fulfilled, previous.wishes_fulfilled),
            projects_fulfilled: less(self.projects_fulfilled, previous.projects_fulfilled),
            activities: less(self.activities, previous.activities),
            participations: less(self.participations, previous.participations),
            service_minutes: less(self.service_minutes, previous.service_minutes),
        }
    }
}

impl Ranked {
    /// The row's figures as every ranking's service columns read them.
    pub fn service(&self) -> crate::figures::Service {
        crate::figures::Service {
            members: self.members,
            participations: self.participations,
            service_minutes: self.service_minutes,
            service_hours: crate::figures::hours(self.service_minutes),
            wishes_claimed: self.wishes_claimed,
            wishes_fulfilled: self.wishes_fulfilled,
            projects_claimed: self.projects_claimed,
            projects_fulfilled: self.projects_fulfilled,
        }
    }
}

impl BulletinData {
    /// The change since the previous bulletin, from the two stored headlines.
    pub fn change(&self) -> Option<HeadlineChange> {
        self.previous
            .as_ref()
            .map(|previous| self.headline.change_since(&previous.headline))
    }
}
