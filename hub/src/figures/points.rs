//! Points rankings (积分排名) of members for a half-year, within a community, a street,
//! a district or the city: the rows `fig_member_points` (one per member and half-year
//! with points, re-derived with the rest of a community's rows), the ranking of a
//! region read from them, and one member's standing (their place in their community,
//! street and city) for their own page.
//!
//! The rule of what counts and how ties share a place is `wishtree_protocol::ranking`,
//! which the node's page uses too; the queries here only order its rows. A city ranks
//! a quarter of a million members a half-year, so no request reads them all: how many
//! are ranked is summed from counts kept by triggers (`fig_points_ranked_district`, one
//! per district and half-year, for the city or a district; `fig_points_ranked`, one per
//! community, for a narrower region), the first of a wide region are read in order along
//! the ranked index (period, points DESC, member, community) without a sort, and a
//! member's place counts only those above them. The rows hold no names (the figure
//! tables hold nothing personal): the HTTP side names the members it shows from the
//! documents the hub holds (`http::points::name_members`).

use wishtree_protocol::id::MemberId;
use wishtree_protocol::ranking::earned_by_half_year;
use wishtree_protocol::view::CommunityView;
use wishtree_protocol::{CommunityCode, HalfYear, RegionLevel, RegionPrefix};

use super::FiguresError;
use super::measure::{indexed_by, off_index, region_range, unindexed};
use super::names::parse_code;
use crate::sql::{Batched, Db, DbExt, Row, params};

/// A region's members ranked by the points they earned in a half-year.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PointsRanking {
    /// The region.
    pub region: String,
    /// The half-year.
    pub period: String,
    /// How many members of the region earned points in it (all of them are ranked;
    /// `members` holds the first `limit`).
    pub ranked: u64,
    /// The members, best first.
    pub members: Vec<MemberPoints>,
}

/// One member in a ranking.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MemberPoints {
    /// Place, from 1; equal points share it.
    pub rank: u64,
    /// The member.
    pub member: MemberId,
    /// Their name, as their community's document gives it; empty until the HTTP side
    /// reads it there.
    pub name: String,
    /// Their community.
    pub community: CommunityCode,
    /// Its name.
    pub community_name: String,
    /// Points earned in the half-year.
    pub points: u64,
}

/// One member's place in a half-year: in their community, street and city.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Standing {
    /// Points earned in the half-year (0: not ranked).
    pub points: u64,
    /// Place in the community, and how many are ranked there.
    pub community: Option<Place>,
    /// Place in the street.
    pub street: Option<Place>,
    /// Place in the city.
    pub city: Option<Place>,
}

/// A place among how many.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Place {
    /// Place, from 1.
    pub rank: u64,
    /// Members ranked in that region.
    pub of: u64,
}

/// Writes a community's rows of `fig_member_points` (the caller deleted the old ones),
/// inside the re-derivation's transaction; answers how many.
pub(super) fn insert_rows(
    db: &dyn Db,
    code: CommunityCode,
    view: &CommunityView,
) -> Result<u64, FiguresError> {
    let mut rows = 0;
    for ((period, member), points) in earned_by_half_year(view) {
        db.execute_later(
            "INSERT INTO fig_member_points (community, member, period, points)
             VALUES (?1, ?2, ?3, ?4)",
            params![
                code.as_str(),
                member.as_bytes().as_slice(),
                period.to_string(),
                i64::try_from(points).unwrap_or(i64::MAX),
            ],
        )?;
        rows += 1;
    }
    Ok(rows)
}

/// How many members are ranked in `region` (`?2`..`?3`) in `period` (`?1`), and in
/// the whole table (every region the hub holds): sums of the counts kept per district
/// (`fig_points_ranked_district`) for the city or a district, and per community
/// (`fig_points_ranked`) for a narrower region, a few rows either way (the city's
/// communities were 3,000 rows a half-year, most of its ranking's time).
fn ranked_counts_sql(region: &RegionPrefix) -> &'static str {
    if region.as_str().len() <= RegionLevel::District.digits() {
        "SELECT COALESCE(SUM(CASE WHEN district >= ?2 AND district < ?3 THEN ranked END), 0),
                COALESCE(SUM(ranked), 0)
         FROM fig_points_ranked_district WHERE period = ?1"
    } else {
        "SELECT (SELECT COALESCE(SUM(ranked), 0) FROM fig_points_ranked
                 WHERE period = ?1 AND community >= ?2 AND community < ?3),
                (SELECT COALESCE(SUM(ranked), 0) FROM fig_points_ranked_district
                 WHERE period = ?1)"
    }
}

/// The two counts of [`ranked_counts_sql`].
fn ranked_counts(row: &Row<'_>) -> crate::sql::Result<(u64, u64)> {
    let (in_region, everywhere): (i64, i64) = (row.get(0)?, row.get(1)?);
    Ok((
        u64::try_from(in_region).unwrap_or(0),
        u64::try_from(everywhere).unwrap_or(0),
    ))
}

/// Whether a region's ranking reads the ranked index (`fig_member_points_rank`, in
/// ranking order) and skips members of other regions, rather than its own members
/// (`fig_member_points_region`) sorted. Walking in order reads about `wanted × all /
/// ranked` rows before it has `wanted` of the region's; sorting reads `ranked`. So a
/// wide region (the city, a district) walks and a street sorts its few thousand.
fn walks_in_order(wanted: u64, ranked: u64, everywhere: u64) -> bool {
    u128::from(wanted.max(1)) * u128::from(everywhere) <= u128::from(ranked) * u128::from(ranked)
}

/// The query of a ranking: `?1` the half-year, `?2`..`?3` the region's range, `?4` the
/// limit. The order is the tie rule of `wishtree_protocol::ranking` (points, then
/// member), then the community, as the index holds it, for a member ranked in two.
/// Walking, the community term is kept off the index (`+`) so that SQLite reads the
/// ranked index in order and stops at the limit, never sorting.
fn ranking_sql(db: &dyn Db, walk: bool) -> String {
    let (index, community) = if walk {
        ("fig_member_points_rank", unindexed(db, "p.community"))
    } else {
        ("fig_member_points_region", "p.community".to_owned())
    };
    let index = indexed_by(db, index);
    format!(
        "SELECT p.member, p.community, COALESCE(c.name, ''), p.points
         FROM fig_member_points p {index}
             LEFT JOIN fig_communities c ON c.code = p.community
         WHERE p.period = ?1 AND {community} >= ?2 AND {community} < ?3
         ORDER BY p.points DESC, p.member, p.community
         LIMIT ?4"
    )
}

/// The first `limit` members of `region` by the points they earned in `period`, with
/// how many are ranked in all.
pub fn points_ranking(
    db: &dyn Db,
    region: &RegionPrefix,
    period: HalfYear,
    limit: usize,
) -> Result<PointsRanking, FiguresError> {
    let period_text = period.to_string();
    let (low, high) = region_range(region);
    let counts = params![period_text, low, high];
    let limit_value = i64::try_from(limit).unwrap_or(i64::MAX);
    let listed = params![period_text, low, high, limit_value];
    let counting = ranked_counts_sql(region);
    let mut counted = (0, 0);
    let mut rows = Vec::new();
    let sorting = ranking_sql(db, false);
    if ranking_sql(db, true) == sorting {
        // The list's statement is the same whatever the counts (PostgreSQL, told no
        // index to read): both go at once, one round trip rather than two.
        db.run_all(&mut [
            Batched::new(counting, counts, &mut |row| {
                counted = ranked_counts(row)?;
                Ok(())
            }),
            Batched::new(&sorting, listed, &mut |row| {
                rows.push(member_row(row)?);
                Ok(())
            }),
        ])?;
    } else {
        counted = db.query_row(counting, counts, ranked_counts)?;
        let wanted = u64::try_from(limit).unwrap_or(u64::MAX).min(counted.0);
        let walk = walks_in_order(wanted, counted.0, counted.1);
        rows = db.query_map(&ranking_sql(db, walk), listed, member_row)?;
    }
    Ok(PointsRanking {
        region: region.as_str().to_owned(),
        period: period_text,
        ranked: counted.0,
        members: placed(rows)?,
    })
}

/// A ranked member as [`ranking_sql`] reads them: member, community, its name, points.
type MemberRow = (Vec<u8>, String, String, i64);

fn member_row(row: &Row<'_>) -> crate::sql::Result<MemberRow> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
}

/// The members of a ranking, in order, placed.
fn placed(rows: Vec<MemberRow>) -> Result<Vec<MemberPoints>, FiguresError> {
    let mut members: Vec<MemberPoints> = Vec::new();
    for (member, community, community_name, points) in rows {
        let points = u64::try_from(points).unwrap_or(0);
        // Ties share the place of the first of them (1, 2, 2, 4).
        let rank = match members.last() {
            Some(last) if last.points == points => last.rank,
            _ => members.len() as u64 + 1,
        };
        members.push(MemberPoints {
            rank,
            member: member_id(&member)?,
            name: String::new(),
            community: parse_code(&community)?,
            community_name,
            points,
        });
    }
    Ok(members)
}

/// A member's place in `period` in their community, street and city: two statements,
/// their points with how many are ranked in each region, then how many are above them
/// in each (on PostgreSQL each statement is a round trip; seven of them took 1.7 ms
/// where SQLite took 0.2, bench city of 300 communities).
pub fn standing(
    db: &dyn Db,
    community: CommunityCode,
    member: MemberId,
    period: HalfYear,
) -> Result<Standing, FiguresError> {
    let period_text = period.to_string();
    let levels = [
        RegionLevel::Community,
        RegionLevel::Street,
        RegionLevel::City,
    ];
    let ranges = levels.map(|level| region_range(&community.region(level)));
    // The community and the street count their communities' rows, the city its
    // districts' (`ranked_counts_sql`).
    let sql = "SELECT (SELECT points FROM fig_member_points
                       WHERE community = ?1 AND member = ?2 AND period = ?3),
                      (SELECT COALESCE(SUM(ranked), 0) FROM fig_points_ranked
                       WHERE period = ?3 AND community >= ?4 AND community < ?5),
                      (SELECT COALESCE(SUM(ranked), 0) FROM fig_points_ranked
                       WHERE period = ?3 AND community >= ?6 AND community < ?7),
                      COALESCE(SUM(CASE WHEN district >= ?8 AND district < ?9 THEN ranked END), 0),
                      COALESCE(SUM(ranked), 0)
               FROM fig_points_ranked_district WHERE period = ?3";
    let [(low0, high0), (low1, high1), (low2, high2)] = &ranges;
    let (points, of, everywhere): (Option<i64>, [i64; 3], i64) = db.query_row(
        sql,
        params![
            community.as_str(),
            member.as_bytes().as_slice(),
            period_text,
            low0,
            high0,
            low1,
            high1,
            low2,
            high2
        ],
        |row| {
            Ok((
                row.get(0)?,
                [row.get(1)?, row.get(2)?, row.get(3)?],
                row.get(4)?,
            ))
        },
    )?;
    let Some(points) = points else {
        return Ok(Standing {
            points: 0,
            community: None,
            street: None,
            city: None,
        });
    };
    let of = of.map(|of| u64::try_from(of).unwrap_or(0));
    let everywhere = u64::try_from(everywhere).unwrap_or(0);
    let above = |level: usize| {
        let first = 3 + 2 * level;
        format!(
            "(SELECT COUNT(*) {})",
            above_sql(
                db,
                of[level].saturating_mul(2) >= everywhere,
                first,
                first + 1
            )
        )
    };
    let above: [i64; 3] = db.query_row(
        &format!("SELECT {}, {}, {}", above(0), above(1), above(2)),
        params![period_text, points, low0, high0, low1, high1, low2, high2],
        |row| Ok([row.get(0)?, row.get(1)?, row.get(2)?]),
    )?;
    let place = |level: usize| {
        Some(Place {
            rank: u64::try_from(above[level]).unwrap_or(0) + 1,
            of: of[level],
        })
    };
    Ok(Standing {
        points: u64::try_from(points).unwrap_or(0),
        community: place(0),
        street: place(1),
        city: place(2),
    })
}

/// `FROM … WHERE …` of the members of a region above some points: the half-year is
/// `?1`, the points `?2`, the region's range `?{low}`..`?{high}`. A wide region counts
/// them along the ranked index (`along_ranking`: as many rows as are above in every
/// region, few for the members near the top), a narrow one reads its own rows.
fn above_sql(db: &dyn Db, along_ranking: bool, low: usize, high: usize) -> String {
    let (index, column) = if along_ranking {
        ("fig_member_points_rank", off_index(db, "community"))
    } else {
        ("fig_member_points_region", "community".to_owned())
    };
    let index = indexed_by(db, index);
    format!(
        "FROM fig_member_points {index}
         WHERE period = ?1 AND points > ?2 AND {column} >= ?{low} AND {column} < ?{high}"
    )
}

/// How many members of `region` earned more than `points` in `period`, counted as
/// [`standing`] counts them.
#[cfg(test)]
fn members_above(
    db: &dyn Db,
    region: &RegionPrefix,
    period: &str,
    points: i64,
    along_ranking: bool,
) -> Result<u64, FiguresError> {
    let (low, high) = region_range(region);
    let above: i64 = db.query_row(
        &format!("SELECT COUNT(*) {}", above_sql(db, along_ranking, 3, 4)),
        params![period, points, low, high],
        |row| row.get(0),
    )?;
    Ok(u64::try_from(above).unwrap_or(0))
}

fn member_id(bytes: &[u8]) -> Result<MemberId, FiguresError> {
    let bytes: [u8; 16] = bytes.try_into().map_err(|_| FiguresError::Corrupt {
        what: "member id",
        value: hex::encode(bytes),
    })?;
    Ok(MemberId::from_bytes(bytes))
}

#[cfg(test)]
mod tests {
    use rusqlite::{Connection, params};
    use wishtree_protocol::ranking::rank;

    use super::*;

    /// A generated city: 3 districts × 3 streets × 4 communities, members earning
    /// points in steps of 5 (many ties), two half-years, one member id ranked in two
    /// communities; then one community re-derived with other rows and one emptied, as
    /// re-derivation deletes and inserts, and some rows moved to another community and
    /// half-year, so the counts' triggers see all three.
    fn city(seed: u64) -> (Connection, Vec<CommunityCode>) {
        let mut connection = Connection::open_in_memory().expect("in memory");
        crate::schema::migrate(&mut connection).expect("migrated");
        let mut state = seed.wrapping_mul(6_364_136_223_846_793_005) | 1;
        let mut next = move |bound: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % bound
        };
        let codes: Vec<CommunityCode> = (0..36)
            .map(|n| {
                format!("1309{:02}{:03}{:03}", 2 + n / 12, 1 + n / 4 % 3, 1 + n % 4)
                    .parse()
                    .expect("a code")
            })
            .collect();
        let insert = |community: CommunityCode, member: u64, period: &str, points: u64| {
            let mut id = [0u8; 16];
            id[8..].copy_from_slice(&member.to_be_bytes());
            connection
                .execute(
                    "INSERT INTO fig_member_points (community, member, period, points)
                     VALUES (?1, ?2, ?3, ?4)",
                    params![community.as_str(), id.as_slice(), period, points as i64],
                )
                .expect("inserted");
        };
        for (n, code) in codes.iter().enumerate() {
            for member in 0..(5 + next(30)) {
                for period in ["2026H1", "2026H2"] {
                    if next(4) > 0 {
                        insert(*code, n as u64 * 100 + member, period, 5 * (1 + next(8)));
                    }
                }
            }
        }
        // One member serves in the first community and the last, with equal points.
        insert(codes[35], 99_999, "2026H1", 40);
        insert(codes[0], 99_999, "2026H1", 40);
        connection
            .execute(
                "DELETE FROM fig_member_points WHERE community = ?1",
                [codes[5].as_str()],
            )
            .expect("deleted");
        connection
            .execute(
                "DELETE FROM fig_member_points WHERE community = ?1",
                [codes[6].as_str()],
            )
            .expect("deleted");
        for member in 0..12 {
            insert(codes[6], 9_000 + member, "2026H1", 5 * (member % 3 + 1));
        }
        // Rows moved to a community of another district, and to another half-year.
        connection
            .execute(
                "UPDATE fig_member_points SET community = ?1 WHERE community = ?2",
                [codes[30].as_str(), codes[1].as_str()],
            )
            .expect("moved");
        connection
            .execute(
                "UPDATE fig_member_points SET period = '2027H1'
                 WHERE community = ?1 AND period = '2026H2'",
                [codes[2].as_str()],
            )
            .expect("moved");
        (connection, codes)
    }

    /// The region's ranking by a plain GROUP BY over every row, placed by the rule of
    /// `wishtree_protocol::ranking`.
    fn plain(
        connection: &Connection,
        region: &RegionPrefix,
        period: &str,
    ) -> Vec<(u64, MemberId, CommunityCode, u64)> {
        let mut statement = connection
            .prepare(
                "SELECT member, community, SUM(points) FROM fig_member_points
                 WHERE period = ?1 AND substr(community, 1, length(?2)) = ?2
                 GROUP BY member, community",
            )
            .expect("prepared");
        let rows = statement
            .query_map(params![period, region.as_str()], |row| {
                Ok((
                    row.get::<_, Vec<u8>>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, i64>(2)?,
                ))
            })
            .expect("queried")
            .map(|row| {
                let (member, community, points) = row.expect("a row");
                let key = (
                    member_id(&member).expect("an id"),
                    parse_code(&community).expect("a code"),
                );
                (key, u64::try_from(points).expect("positive"))
            });
        rank(rows)
            .into_iter()
            .map(|r| (r.rank, r.key.0, r.key.1, r.points))
            .collect()
    }

    fn regions(codes: &[CommunityCode]) -> Vec<RegionPrefix> {
        let mut regions: Vec<RegionPrefix> = ["", "1309", "130999"]
            .iter()
            .map(|r| r.parse().expect("a prefix"))
            .collect();
        for code in codes {
            for level in [RegionLevel::District, RegionLevel::Street] {
                regions.push(code.region(level));
            }
            regions.push(code.as_region());
        }
        regions.sort();
        regions.dedup();
        regions
    }

    /// The first `limit` members of `region`, read along the ranked index (`walk`) or
    /// sorted from the region's own rows.
    fn ranked_members(
        db: &dyn Db,
        region: &RegionPrefix,
        period: &str,
        limit: usize,
        walk: bool,
    ) -> Result<Vec<MemberPoints>, FiguresError> {
        let (low, high) = region_range(region);
        let limit = i64::try_from(limit).expect("small");
        let sql = ranking_sql(db, walk);
        placed(db.query_map(
            &sql,
            crate::sql::params![period, low, high, limit],
            member_row,
        )?)
    }

    /// How many members are ranked in `region` in `period`, and everywhere.
    fn counted_in(db: &dyn Db, region: &RegionPrefix, period: &str) -> (u64, u64) {
        let (low, high) = region_range(region);
        db.query_row(
            ranked_counts_sql(region),
            crate::sql::params![period, low, high],
            ranked_counts,
        )
        .expect("counted")
    }

    #[test]
    fn the_ranking_read_either_way_equals_a_plain_group_by_with_its_ties() {
        for seed in 1..=4 {
            let (connection, codes) = city(seed);
            for region in regions(&codes) {
                for period in ["2026H1", "2026H2", "2027H1"] {
                    let expected = plain(&connection, &region, period);
                    let half: HalfYear = period.parse().expect("a half-year");
                    let ranking =
                        points_ranking(&connection, &region, half, 10_000).expect("a ranking");
                    assert_eq!(ranking.ranked, expected.len() as u64, "{region} {period}");
                    for limit in [1, 7, 100, 10_000] {
                        for walk in [true, false] {
                            let found: Vec<_> =
                                ranked_members(&connection, &region, period, limit, walk)
                                    .expect("ranked")
                                    .into_iter()
                                    .map(|m| (m.rank, m.member, m.community, m.points))
                                    .collect();
                            let wanted: Vec<_> = expected.iter().copied().take(limit).collect();
                            assert_eq!(found, wanted, "{region} {period} {limit} walk {walk}");
                        }
                    }
                    for (rank, member, community, points) in expected.iter().step_by(5) {
                        let points = i64::try_from(*points).expect("small");
                        for along in [true, false] {
                            let above = members_above(&connection, &region, period, points, along)
                                .expect("counted");
                            assert_eq!(above + 1, *rank, "{region} {period} {member:?}");
                        }
                        // A standing names three regions: asked of the city's members.
                        if region.as_str() != "1309" {
                            continue;
                        }
                        let standing =
                            standing(&connection, *community, *member, half).expect("standing");
                        let place = |level| {
                            let within = plain(&connection, &community.region(level), period);
                            let at = within
                                .iter()
                                .find(|r| r.1 == *member && r.2 == *community)
                                .expect("ranked there");
                            Some(Place {
                                rank: at.0,
                                of: within.len() as u64,
                            })
                        };
                        assert_eq!(standing.community, place(RegionLevel::Community));
                        assert_eq!(standing.street, place(RegionLevel::Street));
                        assert_eq!(standing.city, place(RegionLevel::City));
                    }
                }
            }
            // The counts equal a GROUP BY of the rows; the emptied community has none.
            let counts = |sql: &str| -> Vec<(String, String, i64)> {
                let mut statement = connection.prepare(sql).expect("prepared");
                statement
                    .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
                    .expect("queried")
                    .map(|row| row.expect("a row"))
                    .collect()
            };
            assert_eq!(
                counts("SELECT period, community, ranked FROM fig_points_ranked ORDER BY 1, 2"),
                counts(
                    "SELECT period, community, COUNT(*) FROM fig_member_points
                     GROUP BY 1, 2 ORDER BY 1, 2"
                ),
            );
            assert_eq!(
                counts(
                    "SELECT period, district, ranked FROM fig_points_ranked_district
                     ORDER BY 1, 2"
                ),
                counts(
                    "SELECT period, substr(community, 1, 6), COUNT(*) FROM fig_member_points
                     GROUP BY 1, 2 ORDER BY 1, 2"
                ),
            );
        }
    }

    #[test]
    fn a_wide_region_reads_the_ranked_index_in_order_and_sorts_nothing() {
        let (connection, _) = city(9);
        for (walk, sorts) in [(true, false), (false, true)] {
            let plan: Vec<String> = connection
                .prepare(&format!(
                    "EXPLAIN QUERY PLAN {}",
                    ranking_sql(&connection, walk)
                ))
                .expect("explained")
                .query_map(params!["2026H1", "1309", "1309:", 20], |row| row.get(3))
                .expect("planned")
                .map(|row| row.expect("a plan row"))
                .collect();
            let plan = plan.join("; ");
            assert_eq!(plan.contains("TEMP B-TREE"), sorts, "{plan}");
        }
        // The city walks; a street of a city this size sorts.
        let (ranked, all) = counted_in(&connection, &"1309".parse().expect("city"), "2026H1");
        assert!(walks_in_order(100.min(ranked), ranked, all));
        let street: RegionPrefix = "130902001".parse().expect("a street");
        let (ranked, all) = counted_in(&connection, &street, "2026H1");
        assert!(!walks_in_order(100.min(ranked), ranked, all));
    }
}
