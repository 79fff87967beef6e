//! The names the figure tables keep for regions and communities (organisations':
//! `party_orgs.rs`), and
//! the community codes under a region.

use rusqlite::{Connection, OptionalExtension, params};
use wishtree_protocol::{CommunityCode, RegionPrefix};

use super::FiguresError;
use super::measure::region_range;

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

/// Whether the hub knows `region`: a community under it has records here, or the
/// region has a recorded name. A code the hub knows nothing of is not a region of zeros.
pub fn region_is_known(
    connection: &Connection,
    region: &RegionPrefix,
) -> Result<bool, FiguresError> {
    let (low, high) = region_range(region);
    Ok(connection
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM fig_communities WHERE code >= ?1 AND code < ?2)
                 OR EXISTS (SELECT 1 FROM fig_region_names WHERE prefix = ?3)",
        )?
        .query_row(params![low, high, region.as_str()], |row| row.get(0))?)
}

pub(super) fn community_name(
    connection: &Connection,
    code: CommunityCode,
) -> Result<Option<String>, FiguresError> {
    Ok(connection
        .prepare_cached("SELECT name FROM fig_communities WHERE code = ?1")?
        .query_row([code.as_str()], |row| row.get(0))
        .optional()?)
}

pub(super) fn community_codes(
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

pub(super) fn parse_code(code: &str) -> Result<CommunityCode, FiguresError> {
    code.parse().map_err(|_| FiguresError::Corrupt {
        what: "community code",
        value: code.to_owned(),
    })
}
