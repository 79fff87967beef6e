//! Sync health: when each community was last seen and whether it synced in the last
//! day, how much of its document its own key signed, and what could not be read.

use wishtree_protocol::{CommunityCode, RegionPrefix, Timestamp};

use super::FiguresError;
use super::measure::region_range;
use super::names::parse_code;
use super::query::ratio;
use crate::sql::{Db, DbExt, params};

/// How long a community may go unseen before sync health flags it.
pub const SYNC_WINDOW_MS: i64 = 24 * 3600 * 1000;

/// Sync and attestation status of one community.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CommunityStatus {
    /// The community.
    pub code: CommunityCode,
    /// Its name, from its document (empty until its document arrives).
    pub name: String,
    /// When its node was last seen.
    pub last_seen_at: Option<Timestamp>,
    /// When its document last changed at the hub.
    pub last_change_at: Option<Timestamp>,
    /// Whether the node was seen in the last 24 hours.
    pub is_synced_24h: bool,
    /// Changes in the hub's copy of its document.
    pub changes: u64,
    /// Of those, the ones covered by the node's signed heads.
    pub attested_changes: u64,
    /// `attested_changes / changes`; `None` before any change arrived.
    pub attested_share: Option<f64>,
    /// Entities of its document that could not be read (and are not counted).
    pub malformed: u64,
    /// Its latest signed heads were made by a key revoked since: the data is kept,
    /// flagged for a look (a lost or stolen node).
    pub signer_revoked: bool,
    /// Half-years the community sealed.
    pub seals: u64,
    /// Of those, seals that do not hold against the roster: flagged for a look.
    pub seals_failed: u64,
}

/// Sync and attestation status of every community in a region, in code order.
pub fn community_statuses(
    db: &dyn Db,
    region: &RegionPrefix,
    now: Timestamp,
) -> Result<Vec<CommunityStatus>, FiguresError> {
    let (low, high) = region_range(region);
    let rows = db.query_map(
        "SELECT code, name, last_seen_at, last_change_at, changes, attested_changes, malformed,
                signer_revoked, seals, seals_failed
         FROM fig_communities WHERE code >= ?1 AND code < ?2 ORDER BY code",
        params![low, high],
        |row| {
            Ok((
                row.get::<String>(0)?,
                row.get::<String>(1)?,
                row.get::<Option<i64>>(2)?,
                row.get::<Option<i64>>(3)?,
                row.get::<i64>(4)?,
                row.get::<i64>(5)?,
                row.get::<i64>(6)?,
                row.get::<bool>(7)?,
                row.get::<i64>(8)?,
                row.get::<i64>(9)?,
            ))
        },
    )?;
    let mut out = Vec::new();
    for (
        code,
        name,
        last_seen,
        last_change,
        changes,
        attested,
        malformed,
        signer_revoked,
        seals,
        seals_failed,
    ) in rows
    {
        let changes = u64::try_from(changes).unwrap_or(0);
        let attested_changes = u64::try_from(attested).unwrap_or(0);
        out.push(CommunityStatus {
            code: parse_code(&code)?,
            name,
            last_seen_at: last_seen.map(Timestamp::from_millis),
            last_change_at: last_change.map(Timestamp::from_millis),
            is_synced_24h: last_seen.is_some_and(|seen| seen >= now.as_millis() - SYNC_WINDOW_MS),
            changes,
            attested_changes,
            attested_share: ratio(attested_changes, changes),
            malformed: u64::try_from(malformed).unwrap_or(0),
            signer_revoked,
            seals: u64::try_from(seals).unwrap_or(0),
            seals_failed: u64::try_from(seals_failed).unwrap_or(0),
        });
    }
    Ok(out)
}
