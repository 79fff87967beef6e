//! Points rankings (积分排名) of members for a half-year, within a community, a street,
//! a district or the city: the rows `fig_member_points` (one per member and half-year
//! with points, re-derived with the rest of a community's rows), the ranking of a
//! region read from them, and one member's standing (their place in their community,
//! street and city) for their own page.
//!
//! The rule of what counts and how ties share a place is `wishtree_protocol::ranking`,
//! which the node's page uses too; the queries here only sort its rows. The rows hold
//! no names (the figure tables hold nothing personal): the HTTP side names the members
//! it shows from the documents the hub holds (`http::points::name_members`).

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use wishtree_protocol::id::MemberId;
use wishtree_protocol::ranking::earned_by_half_year;
use wishtree_protocol::view::CommunityView;
use wishtree_protocol::{CommunityCode, HalfYear, RegionLevel, RegionPrefix};

use super::FiguresError;
use super::measure::region_range;
use super::names::parse_code;

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
    transaction: &Transaction<'_>,
    code: CommunityCode,
    view: &CommunityView,
) -> Result<u64, FiguresError> {
    let mut insert = transaction.prepare_cached(
        "INSERT INTO fig_member_points (community, member, period, points)
         VALUES (?1, ?2, ?3, ?4)",
    )?;
    let mut rows = 0;
    for ((period, member), points) in earned_by_half_year(view) {
        insert.execute(params![
            code.as_str(),
            member.as_bytes().as_slice(),
            period.to_string(),
            i64::try_from(points).unwrap_or(i64::MAX),
        ])?;
        rows += 1;
    }
    Ok(rows)
}

/// The first `limit` members of `region` by the points they earned in `period`, with
/// how many are ranked in all.
pub fn points_ranking(
    connection: &Connection,
    region: &RegionPrefix,
    period: HalfYear,
    limit: usize,
) -> Result<PointsRanking, FiguresError> {
    let (low, high) = region_range(region);
    let period_text = period.to_string();
    let ranked: i64 = connection
        .prepare_cached(
            "SELECT COUNT(*) FROM fig_member_points
             WHERE period = ?1 AND community >= ?2 AND community < ?3",
        )?
        .query_row(params![period_text, low, high], |row| row.get(0))?;
    let mut statement = connection.prepare_cached(
        "SELECT p.member, p.community, COALESCE(c.name, ''), p.points
         FROM fig_member_points p LEFT JOIN fig_communities c ON c.code = p.community
         WHERE p.period = ?1 AND p.community >= ?2 AND p.community < ?3
         ORDER BY p.points DESC, p.member, p.community
         LIMIT ?4",
    )?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = statement.query_map(params![period_text, low, high, limit], |row| {
        Ok((
            row.get::<_, Vec<u8>>(0)?,
            row.get::<_, String>(1)?,
            row.get::<_, String>(2)?,
            row.get::<_, i64>(3)?,
        ))
    })?;
    let mut members: Vec<MemberPoints> = Vec::new();
    for row in rows {
        let (member, community, community_name, points) = row?;
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
    Ok(PointsRanking {
        region: region.as_str().to_owned(),
        period: period_text,
        ranked: u64::try_from(ranked).unwrap_or(0),
        members,
    })
}

/// A member's place in `period` in their community, street and city.
pub fn standing(
    connection: &Connection,
    community: CommunityCode,
    member: MemberId,
    period: HalfYear,
) -> Result<Standing, FiguresError> {
    let period_text = period.to_string();
    let points: Option<i64> = connection
        .prepare_cached(
            "SELECT points FROM fig_member_points
             WHERE community = ?1 AND member = ?2 AND period = ?3",
        )?
        .query_row(
            params![
                community.as_str(),
                member.as_bytes().as_slice(),
                period_text
            ],
            |row| row.get(0),
        )
        .optional()?;
    let Some(points) = points else {
        return Ok(Standing {
            points: 0,
            community: None,
            street: None,
            city: None,
        });
    };
    let place = |level: RegionLevel| -> Result<Place, FiguresError> {
        let (low, high) = region_range(&community.region(level));
        let (above, of): (i64, i64) = connection
            .prepare_cached(
                "SELECT COALESCE(SUM(points > ?4), 0), COUNT(*) FROM fig_member_points
                 WHERE period = ?1 AND community >= ?2 AND community < ?3",
            )?
            .query_row(params![period_text, low, high, points], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })?;
        Ok(Place {
            rank: u64::try_from(above).unwrap_or(0) + 1,
            of: u64::try_from(of).unwrap_or(0),
        })
    };
    Ok(Standing {
        points: u64::try_from(points).unwrap_or(0),
        community: Some(place(RegionLevel::Community)?),
        street: Some(place(RegionLevel::Street)?),
        city: Some(place(RegionLevel::City)?),
    })
}

fn member_id(bytes: &[u8]) -> Result<MemberId, FiguresError> {
    let bytes: [u8; 16] = bytes.try_into().map_err(|_| FiguresError::Corrupt {
        what: "member id",
        value: hex::encode(bytes),
    })?;
    Ok(MemberId::from_bytes(bytes))
}
