//! The market's other offers (`fig_market_offers`, issue 12 item 3): beside the
//! published wishes (`market.rs`), each community's activities, open service posts and
//! published livelihood projects, with only what `/m/` shows anyone of them — title,
//! category and, for an activity, its day — replaced in the transaction that
//! re-derives the community's figures. An activity stays in the table after its day;
//! the page asks for those from today on, so "upcoming" is the reader's today, not
//! the day of the last sync.

use wishtree_protocol::id::{ActivityId, PostId, ProjectId};
use wishtree_protocol::lifecycle::PostStatus;
use wishtree_protocol::model::{Activity, Post, Project};
use wishtree_protocol::project::{ProjectStage, ProjectStatus};
use wishtree_protocol::view::{CommunityView, WithStatus};
use wishtree_protocol::{CommunityCode, Date, RegionPrefix};

use super::FiguresError;
use super::measure::{region_range, unindexed};
use crate::sql::{Db, DbExt, params};

/// Offers on one page of the market.
pub const OFFERS_PAGE: usize = 30;

/// What kind of offer a row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OfferKind {
    /// A service activity (志愿服务活动) members sign up for.
    Activity,
    /// A service post (服务岗位) with a seat free.
    Post,
    /// A published livelihood micro-project (民生微项目), for unit organisations.
    Project,
}

/// An offer as the market shows it: nothing personal.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MarketOffer {
    /// The offer's community.
    pub community: CommunityCode,
    /// Its name.
    pub community_name: String,
    /// Activity, post or project.
    pub kind: OfferKind,
    /// Its id (an activity's, a post's or a project's), as 32 hex digits.
    pub id: String,
    /// Its title.
    pub title: String,
    /// The category's Chinese label (a post kind, or a project kind).
    pub category: String,
    /// An activity's day.
    pub day: Option<Date>,
}

/// What the offers are asked for.
#[derive(Debug, Clone)]
pub struct OffersQuery {
    /// Communities under this prefix.
    pub region: RegionPrefix,
    /// Only this kind of offer.
    pub kind: Option<OfferKind>,
    /// Activities from this day on (today, for the reader).
    pub from_day: Date,
}

impl OfferKind {
    /// The kind's code in the table and the query string.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Activity => "activity",
            Self::Post => "post",
            Self::Project => "project",
        }
    }

    /// The kind's Chinese name.
    pub const fn label_zh(self) -> &'static str {
        match self {
            Self::Activity => "志愿服务活动",
            Self::Post => "服务岗位",
            Self::Project => "民生微项目",
        }
    }

    /// The kind of a code, if it is one.
    pub fn of_code(code: &str) -> Option<Self> {
        [Self::Activity, Self::Post, Self::Project]
            .into_iter()
            .find(|kind| kind.code() == code)
    }
}

/// Writes `community`'s offer rows, what `view` offers now — every activity, the posts
/// not withdrawn with a seat free, the published projects — inside the caller's
/// transaction, which cleared the old ones (`market::rederive_market`).
pub(super) fn insert_offers(
    db: &dyn Db,
    community: &str,
    view: &CommunityView,
) -> Result<u64, FiguresError> {
    let mut rows = insert_activity_offers(db, community, view.activities.iter())?;
    rows += insert_post_offers(db, community, view.posts.iter())?;
    rows += insert_project_offers(db, community, view.projects.iter())?;
    Ok(rows)
}

/// Writes the market's offers of `posts`, those not withdrawn with a seat free;
/// returns how many.
pub(super) fn insert_post_offers<'p>(
    db: &dyn Db,
    community: &str,
    posts: impl Iterator<Item = (&'p PostId, &'p WithStatus<Post, PostStatus>)>,
) -> Result<u64, FiguresError> {
    let mut rows = 0;
    for (id, post) in posts {
        let seats = usize::try_from(post.entity.seats).unwrap_or(usize::MAX);
        if post.status.is_withdrawn || post.status.holders.len() >= seats {
            continue;
        }
        db.execute_later(
            "INSERT INTO fig_market_offers (community, kind, id, title, category, day)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                community,
                OfferKind::Post.code(),
                id.as_bytes().as_slice(),
                post.entity.title,
                post.entity.kind.label_zh(),
                None::<i32>,
            ],
        )?;
        rows += 1;
    }
    Ok(rows)
}

/// Writes the market's offers of `projects`, those open to units; returns how many.
pub(super) fn insert_project_offers<'p>(
    db: &dyn Db,
    community: &str,
    projects: impl Iterator<Item = (&'p ProjectId, &'p WithStatus<Project, ProjectStatus>)>,
) -> Result<u64, FiguresError> {
    let mut rows = 0;
    for (id, project) in projects {
        // Open to units: published, and still taking letters of intent (征集, 认领意向书).
        let open = matches!(
            project.status.stage,
            ProjectStage::Collecting | ProjectStage::Intents
        );
        if !(project.status.is_published && open) {
            continue;
        }
        db.execute_later(
            "INSERT INTO fig_market_offers (community, kind, id, title, category, day)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                community,
                OfferKind::Project.code(),
                id.as_bytes().as_slice(),
                project.entity.title,
                project.entity.kind.label_zh(),
                None::<i32>,
            ],
        )?;
        rows += 1;
    }
    Ok(rows)
}

/// Writes the market's offers of `activities`; returns how many.
pub(super) fn insert_activity_offers<'a>(
    db: &dyn Db,
    community: &str,
    activities: impl Iterator<Item = (&'a ActivityId, &'a Activity)>,
) -> Result<u64, FiguresError> {
    let mut rows = 0;
    for (id, activity) in activities {
        db.execute_later(
            "INSERT INTO fig_market_offers (community, kind, id, title, category, day)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                community,
                OfferKind::Activity.code(),
                id.as_bytes().as_slice(),
                activity.title,
                activity.category.label_zh(),
                activity.date.to_days(),
            ],
        )?;
        rows += 1;
    }
    Ok(rows)
}

/// The first [`OFFERS_PAGE`] offers under `query`: activities from its day on, soonest
/// first, then posts and projects by community. One query per kind, each reading its
/// own stretch of the `(kind, day, community)` index — activities from the day on,
/// never the past ones before it — and stopping after a page.
pub fn market_offers(db: &dyn Db, query: &OffersQuery) -> Result<Vec<MarketOffer>, FiguresError> {
    let (low, high) = region_range(&query.region);
    let kinds = match query.kind {
        Some(kind) => vec![kind],
        None => vec![OfferKind::Activity, OfferKind::Post, OfferKind::Project],
    };
    let mut offers = Vec::new();
    for kind in kinds {
        let left = OFFERS_PAGE.saturating_sub(offers.len());
        if left == 0 {
            break;
        }
        // Only activities have a day; the others' is NULL and needs no bound (`?4` is
        // bound all the same: SQLite numbers parameters, gaps allowed, and PostgreSQL is
        // told every parameter's type).
        let from_day = if kind == OfferKind::Activity {
            "AND o.day >= ?4"
        } else {
            ""
        };
        let community = unindexed(db, "o.community");
        let sql = format!(
            "SELECT o.community, COALESCE(c.name, ''), o.id, o.title, o.category, o.day
             FROM fig_market_offers o LEFT JOIN fig_communities c ON c.code = o.community
             WHERE o.kind = ?3 {from_day} AND {community} >= ?1 AND {community} < ?2
             ORDER BY o.day, o.community, o.id
             LIMIT ?5"
        );
        let rows = db.query_map(
            &sql,
            params![
                low,
                high,
                kind.code(),
                query.from_day.to_days(),
                left as i64
            ],
            |row| {
                Ok((
                    row.get::<String>(0)?,
                    row.get::<String>(1)?,
                    row.get::<Vec<u8>>(2)?,
                    row.get::<String>(3)?,
                    row.get::<String>(4)?,
                    row.get::<Option<i32>>(5)?,
                ))
            },
        )?;
        for (community, community_name, id, title, category, day) in rows {
            // A row that no longer reads (a code this build does not know) is left out.
            let Ok(community) = community.parse() else {
                continue;
            };
            offers.push(MarketOffer {
                community,
                community_name,
                kind,
                id: hex::encode(id),
                title,
                category,
                day: day.map(Date::from_days),
            });
        }
    }
    Ok(offers)
}
