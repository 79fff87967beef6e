//! The names the figure tables keep for regions and communities (organisations':
//! `party_orgs.rs`), and
//! the community codes under a region.

use wishtree_protocol::{CommunityCode, RegionPrefix};

use super::FiguresError;
use super::measure::region_range;
use crate::sql::{Db, DbExt, params};

/// The name the hub knows for a region: a community's from its document, a district's
/// or street's as set with [`super::set_region_name`].
pub fn region_name(db: &dyn Db, region: &RegionPrefix) -> Result<Option<String>, FiguresError> {
    if let Ok(code) = region.as_str().parse::<CommunityCode>() {
        return Ok(community_name(db, code)?.filter(|name| !name.is_empty()));
    }
    Ok(db.query_opt(
        "SELECT name FROM fig_region_names WHERE prefix = ?1",
        params![region.as_str()],
        |row| row.get(0),
    )?)
}

/// Whether the hub knows `region`: a community under it has records here, or the
/// region has a recorded name. A code the hub knows nothing of is not a region of zeros.
pub fn region_is_known(db: &dyn Db, region: &RegionPrefix) -> Result<bool, FiguresError> {
    let (low, high) = region_range(region);
    Ok(db.query_row(
        "SELECT EXISTS (SELECT 1 FROM fig_communities WHERE code >= ?1 AND code < ?2)
             OR EXISTS (SELECT 1 FROM fig_region_names WHERE prefix = ?3)",
        params![low, high, region.as_str()],
        |row| row.get(0),
    )?)
}

pub(super) fn community_name(
    db: &dyn Db,
    code: CommunityCode,
) -> Result<Option<String>, FiguresError> {
    Ok(db.query_opt(
        "SELECT name FROM fig_communities WHERE code = ?1",
        params![code.as_str()],
        |row| row.get(0),
    )?)
}

pub(super) fn community_codes(
    db: &dyn Db,
    region: &RegionPrefix,
) -> Result<Vec<CommunityCode>, FiguresError> {
    let (low, high) = region_range(region);
    let codes = db.query_map(
        "SELECT code FROM fig_communities WHERE code >= ?1 AND code < ?2",
        params![low, high],
        |row| row.get::<String>(0),
    )?;
    codes.iter().map(|code| parse_code(code)).collect()
}

pub(super) fn parse_code(code: &str) -> Result<CommunityCode, FiguresError> {
    code.parse().map_err(|_| FiguresError::Corrupt {
        what: "community code",
        value: code.to_owned(),
    })
}
