//! The citywide market's table (`fig_market_wishes`): each community's published
//! wishes with what the market shows of them, replaced in the transaction that
//! re-derives the community's figures, so `/m/` reads one indexed table — newest
//! first, a page at a time — instead of loading every community's document.
//!
//! **Speed at a city's scale** (3,000 communities, 40,000 wishes; `benches/market.rs`).
//! Left to itself SQLite answers a wide region from the primary key's community range
//! and sorts every matching row to find the newest fifty: tens of milliseconds for the
//! whole city. A region wider than a street with many matches is therefore read down
//! the newest-first index (`+w.community` keeps the planner off the range), which stops
//! after one page; a street or a community, a few hundred rows at most, keeps the range
//! and its small sort, and so does a wide region whose filters leave few matches (a
//! district and one group): read newest first, it would walk past thousands of other
//! rows for each one it keeps. The count, taken first, decides; it reads the narrow
//! index over (community, group, kind) alone, never the rows with their titles.

use wishtree_protocol::id::WishId;
use wishtree_protocol::lifecycle::{ClaimState, ClaimStatus};
use wishtree_protocol::model::{BeneficiaryGroup, Wish, WishKind};
use wishtree_protocol::view::{CommunityView, WithStatus};
use wishtree_protocol::{CommunityCode, RegionPrefix};

use super::FiguresError;
use super::measure::{indexed_by, region_range, unindexed};
use crate::sql::{Db, DbExt, params};

/// Wishes on one page of the market.
pub const MARKET_PAGE: usize = 50;

/// The digits of a street's prefix: a region this long or longer holds few enough
/// wishes to sort them all.
const STREET_DIGITS: usize = 9;

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

/// Replaces `community`'s market rows by the published wishes of `view`, and its
/// other offers (`offers.rs`), inside the caller's transaction.
pub fn rederive_market(
    db: &dyn Db,
    community: &str,
    view: &CommunityView,
) -> Result<u64, FiguresError> {
    for table in ["fig_market_wishes", "fig_market_offers"] {
        db.execute_later(
            &format!("DELETE FROM {table} WHERE community = ?1"),
            params![community],
        )?;
    }
    let rows = insert_market_wishes(db, community, view.wishes.iter())?;
    Ok(rows + super::offers::insert_offers(db, community, view)?)
}

/// Writes the market's rows of the published wishes among `wishes`; returns how many.
pub(super) fn insert_market_wishes<'w>(
    db: &dyn Db,
    community: &str,
    wishes: impl Iterator<Item = (&'w WishId, &'w WithStatus<Wish, ClaimStatus>)>,
) -> Result<u64, FiguresError> {
    let mut rows = 0;
    for (id, wish) in wishes {
        if wish.status.state != ClaimState::Published {
            continue;
        }
        let published = wish.status.published_at.unwrap_or(wish.entity.submitted_at);
        db.execute_later(
            "INSERT INTO fig_market_wishes (community, id, title, kind, beneficiary_group,
                 resident_label, published_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                community,
                id.as_bytes().as_slice(),
                wish.entity.title,
                wish.entity.kind.code(),
                wish.entity.group.code(),
                wish.entity.resident_label,
                published.as_millis(),
            ],
        )?;
        rows += 1;
    }
    Ok(rows)
}

/// One page of the market under `query`. A row that no longer reads (a code this
/// build does not know) is left out rather than failing the page.
pub fn market_page(db: &dyn Db, query: &MarketQuery) -> Result<MarketPage, FiguresError> {
    let (low, high) = region_range(&query.region);
    let group = query.group.map(|group| group.code());
    let kind = query.kind.map(|kind| kind.code());
    let filter = "w.community >= ?1 AND w.community < ?2
         AND (?3 IS NULL OR w.beneficiary_group = ?3) AND (?4 IS NULL OR w.kind = ?4)";
    let total: i64 = db.query_row(
        &format!(
            "SELECT COUNT(*) FROM fig_market_wishes w {index} WHERE {filter}",
            index = indexed_by(db, "fig_market_wishes_filters"),
        ),
        params![low, high, group, kind],
        |row| row.get(0),
    )?;
    let offset = i64::try_from(query.page.saturating_mul(MARKET_PAGE)).unwrap_or(i64::MAX);
    let rows = db.query_map(
        &page_sql(db, &query.region, total),
        params![low, high, group, kind, MARKET_PAGE as i64, offset],
        |row| {
            Ok((
                row.get::<String>(0)?,
                row.get::<String>(1)?,
                row.get::<Vec<u8>>(2)?,
                row.get::<String>(3)?,
                row.get::<String>(4)?,
                row.get::<String>(5)?,
                row.get::<String>(6)?,
            ))
        },
    )?;
    let mut wishes = Vec::new();
    for (community, community_name, id, title, kind, group, resident_label) in rows {
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

/// Above this many matches a wide region is read newest first; at or below it, its
/// matches are gathered and sorted (a few milliseconds at most).
const SORT_AT_MOST: i64 = 1_000;

/// The query of one page of the `matches` wishes under `region`. See the module doc: a
/// region wider than a street with more than [`SORT_AT_MOST`] matches reads the
/// newest-first index, anything else its range of the primary key.
fn page_sql(db: &dyn Db, region: &RegionPrefix, matches: i64) -> String {
    let region_filter = if region.as_str().len() < STREET_DIGITS && matches > SORT_AT_MOST {
        let community = unindexed(db, "w.community");
        format!("{community} >= ?1 AND {community} < ?2")
    } else {
        "w.community >= ?1 AND w.community < ?2".to_owned()
    };
    format!(
        "SELECT w.community, COALESCE(c.name, ''), w.id, w.title, w.kind,
                w.beneficiary_group, w.resident_label
         FROM fig_market_wishes w LEFT JOIN fig_communities c ON c.code = w.community
         WHERE {region_filter}
           AND (?3 IS NULL OR w.beneficiary_group = ?3) AND (?4 IS NULL OR w.kind = ?4)
         ORDER BY w.published_at DESC, w.community, w.id
         LIMIT ?5 OFFSET ?6"
    )
}

#[cfg(test)]
mod tests {
    use rusqlite::{Connection, params};

    use super::*;

    /// A migrated database with `wishes` published wishes over communities of 1309, in
    /// ten districts, each a minute newer than the one before.
    fn market_of(wishes: usize) -> Connection {
        let mut connection = Connection::open_in_memory().expect("in memory");
        crate::schema::migrate(&mut connection).expect("migrated");
        for n in 0..wishes {
            let community = format!("1309{:02}001{:03}", n % 10, n % 7 + 1);
            let mut id = [0u8; 16];
            id[..8].copy_from_slice(&(n as u64).to_be_bytes());
            let group = BeneficiaryGroup::ALL[n % BeneficiaryGroup::ALL.len()];
            connection
                .execute(
                    "INSERT INTO fig_market_wishes (community, id, title, kind,
                         beneficiary_group, resident_label, published_at)
                     VALUES (?1, ?2, ?3, 'goods', ?4, '彭女士', ?5)",
                    params![
                        community,
                        id.as_slice(),
                        format!("心愿{n}"),
                        group.code(),
                        n as i64 * 60_000
                    ],
                )
                .expect("inserted");
        }
        connection
    }

    fn plan(connection: &Connection, region: &str, matches: i64) -> String {
        let region: RegionPrefix = region.parse().expect("a prefix");
        let mut statement = connection
            .prepare(&format!(
                "EXPLAIN QUERY PLAN {}",
                page_sql(connection, &region, matches)
            ))
            .expect("explained");
        let (low, high) = region_range(&region);
        let rows = statement
            .query_map(
                params![low, high, None::<String>, None::<String>, 50, 0],
                |row| row.get::<_, String>(3),
            )
            .expect("planned");
        rows.map(|row| row.expect("a plan row"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    #[test]
    fn a_wide_region_with_many_matches_reads_the_newest_index_and_sorts_nothing() {
        let connection = market_of(50);
        let (many, few) = (SORT_AT_MOST + 1, SORT_AT_MOST);
        for (region, matches, expected, sorts) in [
            ("1309", many, "fig_market_wishes_newest", false),
            ("130903", many, "fig_market_wishes_newest", false),
            ("130903", few, "(community>? AND community<?)", true),
            ("130903001", many, "(community>? AND community<?)", true),
            ("130903001001", many, "(community>? AND community<?)", true),
        ] {
            let plan = plan(&connection, region, matches);
            assert!(plan.contains(expected), "{region}: {plan}");
            assert_eq!(plan.contains("TEMP B-TREE"), sorts, "{region}: {plan}");
        }
    }

    #[test]
    fn either_plan_answers_the_newest_first_with_the_filters_and_the_count() {
        // Enough that the whole city reads newest first and the filtered regions sort.
        let connection = market_of(2_500);
        for (region, group) in [
            ("1309", None),
            ("1309", Some(BeneficiaryGroup::ALL[1])),
            ("130903", Some(BeneficiaryGroup::ALL[3])),
            ("130903001", None),
            ("130903001002", None),
        ] {
            let query = MarketQuery {
                region: region.parse().expect("a prefix"),
                group,
                kind: None,
                page: 1,
            };
            let found = market_page(&connection, &query).expect("a page");
            let expected: Vec<usize> = (0..2_500)
                .rev()
                .filter(|n| format!("1309{:02}001{:03}", n % 10, n % 7 + 1).starts_with(region))
                .filter(|n| {
                    group
                        .is_none_or(|g| BeneficiaryGroup::ALL[n % BeneficiaryGroup::ALL.len()] == g)
                })
                .collect();
            assert_eq!(found.total, expected.len() as u64, "{region} {group:?}");
            let titles: Vec<String> = found.wishes.iter().map(|w| w.title.clone()).collect();
            let wanted: Vec<String> = expected
                .iter()
                .skip(MARKET_PAGE)
                .take(MARKET_PAGE)
                .map(|n| format!("心愿{n}"))
                .collect();
            assert_eq!(titles, wanted, "{region} {group:?}");
        }
    }
}
