//! What the organisation department should look at first: communities whose published
//! wishes wait too long for someone to claim them.

use wishtree_protocol::{CommunityCode, Date, RegionPrefix};

use super::FiguresError;
use super::measure::region_range;
use super::names::parse_code;
use crate::sql::{Db, DbExt, params};

/// How many days a published wish may wait unclaimed before the dashboard raises it,
/// counted from the day it was submitted (the hub keeps no day of publishing).
pub const WISH_WAITING_ALERT_DAYS: i32 = 30;

/// A community with wishes waiting longer than [`WISH_WAITING_ALERT_DAYS`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct WaitingWishes {
    /// The community.
    pub code: CommunityCode,
    /// Its name (empty until its document arrives).
    pub name: String,
    /// Its published wishes submitted that many days before `today` or earlier.
    pub wishes: u64,
    /// The day the oldest of them was submitted.
    pub oldest: Date,
}

/// The communities of `region` with published wishes submitted at least
/// [`WISH_WAITING_ALERT_DAYS`] days before `today`, the most waiting first.
pub fn waiting_wishes(
    db: &dyn Db,
    region: &RegionPrefix,
    today: Date,
) -> Result<Vec<WaitingWishes>, FiguresError> {
    let (low, high) = region_range(region);
    let latest = today.to_days() - WISH_WAITING_ALERT_DAYS;
    // The community's name is grouped by too (one per community), as PostgreSQL asks
    // of every column selected.
    let rows = db.query_map(
        "SELECT w.community, COALESCE(c.name, ''), COUNT(*), MIN(w.submitted_day)
         FROM fig_wishes w LEFT JOIN fig_communities c ON c.code = w.community
         WHERE w.community >= ?1 AND w.community < ?2 AND w.state = 'published'
           AND w.submitted_day <= ?3
         GROUP BY w.community, c.name ORDER BY COUNT(*) DESC, w.community",
        params![low, high, latest],
        |row| {
            Ok((
                row.get::<String>(0)?,
                row.get::<String>(1)?,
                row.get::<i64>(2)?,
                row.get::<i32>(3)?,
            ))
        },
    )?;
    rows.into_iter()
        .map(|(code, name, wishes, oldest)| {
            Ok(WaitingWishes {
                code: parse_code(&code)?,
                name,
                wishes: u64::try_from(wishes).unwrap_or(0),
                oldest: Date::from_days(oldest),
            })
        })
        .collect()
}
