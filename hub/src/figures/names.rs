//! The names the figure tables keep for regions and communities (organisations':
//! `party_orgs.rs`).

use wishtree_protocol::{CommunityCode, RegionLevel, RegionPrefix};

use super::FiguresError;
use super::measure::region_range;
use super::together::Statement;
use crate::sql::{Db, DbExt, Value, params};

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

/// The statement of the names of `region`'s children, regions of one level `length`
/// digits long, as [`region_name`] gives each: its rows are a child's code and its
/// name.
pub(super) fn child_names_statement(region: &RegionPrefix, length: usize) -> Statement {
    let (low, high) = region_range(region);
    if length == RegionLevel::Community.digits() {
        Statement::new(
            "SELECT code, name FROM fig_communities
             WHERE code >= ?1 AND code < ?2 AND name <> ''",
            vec![Value::from(low), Value::from(high)],
        )
    } else {
        Statement::new(
            "SELECT prefix, name FROM fig_region_names
             WHERE prefix >= ?1 AND prefix < ?2 AND length(prefix) = ?3",
            vec![
                Value::from(low),
                Value::from(high),
                Value::from(length as i64),
            ],
        )
    }
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

pub(super) fn parse_code(code: &str) -> Result<CommunityCode, FiguresError> {
    code.parse().map_err(|_| FiguresError::Corrupt {
        what: "community code",
        value: code.to_owned(),
    })
}
