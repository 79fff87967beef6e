//! The citywide market's table (`fig_market_wishes`): each community's published
//! wishes with what the market shows of them, replaced in the transaction that
//! re-derives the community's figures, so `/m/` reads one indexed table — newest
//! first, a page at a time — instead of loading every community's document.

use rusqlite::{Connection, Transaction, params};
use wishtree_protocol::id::WishId;
use wishtree_protocol::lifecycle::ClaimState;
use wishtree_protocol::model::{BeneficiaryGroup, WishKind};
use wishtree_protocol::view::CommunityView;
use wishtree_protocol::{CommunityCode, RegionPrefix};

use super::FiguresError;

/// Wishes on one page of the market.
pub const MARKET_PAGE: usize = 50;

/// A published wish as the market shows it: nothing personal.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MarketWish {
    /// The wish's community.
    pub community: CommunityCode,
    /// Its name.
    pub community_name: String,
    /// The wish.
    pub id: WishId,
    /// Its title.
    pub title: String,
    /// Goods or service.
    pub kind: WishKind,
    /// The beneficiary group.
    pub group: BeneficiaryGroup,
    /// The label the worker chose for the resident.
    pub resident_label: String,
}

/// What the market is asked for: a region, and optionally a group and a kind.
#[derive(Debug, Clone)]
pub struct MarketQuery {
    /// Communities under this prefix.
    pub region: RegionPrefix,
    /// Only this beneficiary group.
    pub group: Option<BeneficiaryGroup>,
    /// Only this kind.
    pub kind: Option<WishKind>,
    /// The page, from 0.
    pub page: usize,
}

/// One page of the market and how many wishes match in all.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MarketPage {
    /// The wishes of the page, newest published first.
    pub wishes: Vec<MarketWish>,
    /// Matching wishes in all.
    pub total: u64,
}

/// Replaces `community`'s market rows by the published wishes of `view`, inside the
/// caller's transaction.
pub fn rederive_market(
    transaction: &Transaction<'_>,
    community: &str,
    view: &CommunityView,
) -> Result<u64, FiguresError> {
    transaction
        .prepare_cached("DELETE FROM fig_market_wishes WHERE community = ?1")?
        .execute([community])?;
    let mut insert = transaction.prepare_cached(
        "INSERT INTO fig_market_wishes (community, id, title, kind, beneficiary_group,
             resident_label, published_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    let mut rows = 0;
    for (id, wish) in &view.wishes {
        if wish.status.state != ClaimState::Published {
            continue;
        }
        let published = wish.status.published_at.unwrap_or(wish.entity.submitted_at);
        insert.execute(params![
            community,
            id.as_bytes().as_slice(),
            wish.entity.title,
            wish.entity.kind.code(),
            wish.entity.group.code(),
            wish.entity.resident_label,
            published.as_millis(),
        ])?;
        rows += 1;
    }
    Ok(rows)
}

/// One page of the market under `query`. A row that no longer reads (a code this
/// build does not know) is left out rather than failing the page.
pub fn market_page(
    connection: &Connection,
    query: &MarketQuery,
) -> Result<MarketPage, FiguresError> {
    let (low, high) = region_range(&query.region);
    let group = query.group.map(|group| group.code());
    let kind = query.kind.map(|kind| kind.code());
    let filter = "w.community >= ?1 AND w.community < ?2
         AND (?3 IS NULL OR w.beneficiary_group = ?3) AND (?4 IS NULL OR w.kind = ?4)";
    let total: i64 = connection
        .prepare_cached(&format!(
            "SELECT COUNT(*) FROM fig_market_wishes w WHERE {filter}"
        ))?
        .query_row(params![low, high, group, kind], |row| row.get(0))?;
    let offset = i64::try_from(query.page.saturating_mul(MARKET_PAGE)).unwrap_or(i64::MAX);
    let mut statement = connection.prepare_cached(&format!(
        "SELECT w.community, COALESCE(c.name, ''), w.id, w.title, w.kind,
                w.beneficiary_group, w.resident_label
         FROM fig_market_wishes w LEFT JOIN fig_communities c ON c.code = w.community
         WHERE {filter}
         ORDER BY w.published_at DESC, w.community, w.id
         LIMIT ?5 OFFSET ?6"
    ))?;
    let rows = statement.query_map(
        params![low, high, group, kind, MARKET_PAGE as i64, offset],
        |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, Vec<u8>>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, String>(4)?,
                row.get::<_, String>(5)?,
                row.get::<_, String>(6)?,
            ))
        },
    )?;
    let mut wishes = Vec::new();
    for row in rows {
        let (community, community_name, id, title, kind, group, resident_label) = row?;
        let read = || {
            Some(MarketWish {
                community: community.parse().ok()?,
                community_name,
                id: WishId::from_bytes(id.try_into().ok()?),
                title,
                kind: kind.parse().ok()?,
                group: group.parse().ok()?,
                resident_label,
            })
        };
        wishes.extend(read());
    }
    Ok(MarketPage {
        wishes,
        total: u64::try_from(total).unwrap_or(0),
    })
}

/// The community codes under a prefix, as a half-open text range: every code under
/// `1309` lies in [`1309`, `130:`), since `:` follows `9`.
fn region_range(region: &RegionPrefix) -> (String, String) {
    let low = region.as_str().to_owned();
    let high = format!("{low}:");
    (low, high)
}
