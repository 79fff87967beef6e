//! Figures: the tables the hub derives from every community's document, and the
//! queries the organisation department's dashboard and API are built from (DESIGN §5,
//! §9).
//!
//! Each time a community's document changes, [`rederive_community`] replaces that
//! community's rows in one transaction: one row per member, organisation, pairing,
//! wish, project, activity, participation, service record and passbook entry
//! (`fig_*` tables, in the hub's SQLite file or the PostgreSQL its processes share:
//! `crate::figure_store`; the SQL runs on either through `crate::sql::Db`), then
//! rebuilds the community's monthly
//! rollups from those rows. Figures are SQL over the tables filtered by region-code
//! prefix, period and organisation: whole months are read from the rollups and the
//! edge days of a period from the raw rows, so the city's figures read a few thousand
//! rows, not millions, and both paths count with the same SQL (`measure.rs`).
//!
//! The hub store calls [`refresh_community`] (or [`rederive_community`] in its own
//! transaction) when a document changed and [`record_seen`] when a node connected
//! without changes. The hub's refresh worker keeps the heads it derived each
//! community from and, when the change since touched only wishes, service records,
//! passbook entries, activities or voids, rewrites only those entities' rows and
//! shifts the rollups by the difference ([`rederive_entities`]; the same rows). The
//! tables are made with the store's (`crate::schema`).

mod alerts;
mod by_entity;
mod campaigns;
mod children;
mod counting;
mod coverage;
mod derive;
mod entity_rows;
mod health;
mod market;
mod measure;
mod monthly;
mod names;
mod offers;
mod org_profile;
mod party_orgs;
mod period;
mod points;
mod posts;
mod project_stages;
mod query;
mod ranking;
mod refresh;
mod rollups;
mod rounds;
mod service;
mod streets;
mod sums;
mod together;
mod unit_reports;
mod volunteers;
mod wait_days;

use wishtree_protocol::{CommunityCode, DocError};

pub use alerts::{WISH_WAITING_ALERT_DAYS, WaitingWishes, waiting_wishes};
pub use by_entity::rederive_entities;
pub use campaigns::{CampaignProgress, campaign_progress, refresh_campaigns};
pub use coverage::{Coverage, UnitCoverage, coverage, refresh_directory};
pub use derive::{
    CommunitySync, RAW_TABLES, Rederived, rebuild_community_rollups, record_seen,
    rederive_community, refresh_community, refresh_community_view, set_region_name,
};
pub use health::{CommunityStatus, SYNC_WINDOW_MS, community_statuses};
pub use market::{MARKET_PAGE, MarketPage, MarketQuery, MarketWish, market_page, rederive_market};
pub use monthly::{MonthFigures, monthly};
pub use names::{region_is_known, region_name};
pub use offers::{MarketOffer, OFFERS_PAGE, OfferKind, OffersQuery, market_offers};
pub use org_profile::{OrgInCommunity, OrgProfile, org_profile};
pub use party_orgs::{OrgNames, OrgScope, UnitPartyOrg, org_name, org_unit, party_orgs_of};
pub use period::{Period, PeriodError};
pub use points::{MemberPoints, Place, PointsRanking, Standing, points_ranking, standing};
pub use posts::{GroupFigures, PostFigures};
pub use project_stages::StageCounts;
pub use query::{
    Figures, Filter, RegionFigures, StateCounts, child_regions, children, figures, hours,
};
pub use ranking::{CommunityRank, OrgRank, RankBy, RankByError, community_ranking, org_ranking};
pub use refresh::{DerivedFrom, refresh_city, refresh_one, refresh_worker};
pub use rounds::{RoundCut, RoundCutError, round_names};
pub use service::Service;
pub use streets::STREET_OWN_NAME;
pub use unit_reports::{
    GRADES, HalfYearSummary, MemberBehind, MemberReportRow, MemberTotals, SealMark,
    rederive_unit_reports, rewrite_unit_members, unit_has_members_in, unit_member_report,
    unit_member_reports, unit_members_behind,
};
pub use volunteers::{KindCounts, VolunteerFigures};

/// Why figures could not be derived or read.
#[derive(Debug, thiserror::Error)]
pub enum FiguresError {
    /// The figure tables were made by a newer release, or could not be made.
    #[error("the figure tables cannot be used: {0}")]
    Schema(#[from] wishtree_common::migrations::MigrationError),
    /// A view of another community was handed in.
    #[error(
        "the view is of community {found}, not of {expected}; re-derive each community from its own document"
    )]
    WrongCommunity {
        /// The community being re-derived.
        expected: CommunityCode,
        /// The community the view belongs to.
        found: CommunityCode,
    },
    /// The document could not be read.
    #[error("the community document cannot be read: {0}")]
    Doc(#[from] DocError),
    /// A value in the figure tables does not parse (the database was edited by hand).
    #[error(
        "the figure tables hold a {what} `{value}` that does not parse; re-derive the communities"
    )]
    Corrupt {
        /// What kind of value.
        what: &'static str,
        /// The value.
        value: String,
    },
    /// A sealed member report could not be computed from the document.
    #[error("a sealed member report cannot be computed: {0}")]
    Report(String),
    /// An SQLite error.
    #[error("figure database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// An error of the figures' database, SQLite or PostgreSQL (`crate::sql`).
    #[error("figure database error: {0}")]
    Sql(#[from] crate::sql::SqlError),
}
