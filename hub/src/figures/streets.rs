//! A street's own records in its figures (issue 14, item 3): the row 街道本级 among a
//! street's children, beside its communities. The rows are filed under the street's
//! own code (`StreetCode::own_records`, see `derive.rs`), so its figures are those of
//! that code, read as any region's are, and the street's children sum to the street.

use wishtree_protocol::street::StreetCode;
use wishtree_protocol::{RegionLevel, RegionPrefix, Timestamp};

use super::FiguresError;
use super::period::Period;
use super::query::{Filter, RegionFigures, figures};
use crate::sql::{Db, DbExt, params};

/// The name of a street's own row among its children.
pub const STREET_OWN_NAME: &str = "街道本级";

/// The row 街道本级 of `region`'s children: when `region` is a street with records of
/// its own at the hub, their figures; `None` otherwise.
pub(super) fn street_own_row(
    db: &dyn Db,
    region: &RegionPrefix,
    period: &Period,
    now: Timestamp,
) -> Result<Option<RegionFigures>, FiguresError> {
    if region.level() != Some(RegionLevel::Street) {
        return Ok(None);
    }
    let Ok(street) = region.as_str().parse::<StreetCode>() else {
        return Ok(None);
    };
    let own = street.own_records();
    let any: Option<i64> = db.query_opt(
        "SELECT 1 FROM fig_orgs WHERE community = ?1
         UNION ALL SELECT 1 FROM fig_pairings WHERE community = ?1
         UNION ALL SELECT 1 FROM fig_projects WHERE community = ?1 LIMIT 1",
        params![own.as_str()],
        |row| row.get(0),
    )?;
    if any.is_none() {
        return Ok(None);
    }
    let filter = Filter {
        region: own.clone(),
        period: *period,
        org: None,
        round: None,
    };
    Ok(Some(RegionFigures {
        figures: figures(db, &filter, now)?,
        region: own,
        name: Some(STREET_OWN_NAME.to_owned()),
    }))
}
