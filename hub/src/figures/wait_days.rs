//! Keeping the counts of days wishes waited (`fig_wait_days` per community,
//! `fig_district_wait_days` per district; schema `wait_days.rs`), from which the
//! children of a city or a district take their medians of days to claim and to fulfil
//! (`children.rs`) without reading every wish.

use crate::sql::{Db, Result, params};

/// Rebuilds one community's counts from its wish rows, and shifts its district's by
/// the difference: the old counts are taken out before they are deleted, the new ones
/// put in. Called when the community's rollups are rebuilt, after its raw rows were
/// replaced.
pub(crate) fn rebuild_wait_days(db: &dyn Db, community: &str) -> Result<()> {
    shift_district(db, community, -1)?;
    db.execute_later(
        "DELETE FROM fig_wait_days WHERE community = ?1",
        params![community],
    )?;
    // The union is named (`AS w`): PostgreSQL before 16 wants every subquery in FROM
    // named.
    db.execute_later(
        "INSERT INTO fig_wait_days (community, month, days, claims, fulfilments)
             SELECT ?1, month, days, SUM(claims), SUM(fulfilments) FROM (
                 SELECT month, claim_days AS days, 1 AS claims, 0 AS fulfilments
                     FROM fig_wishes WHERE community = ?1 AND claim_days IS NOT NULL
                 UNION ALL SELECT month, fulfil_days, 0, 1
                     FROM fig_wishes WHERE community = ?1 AND fulfil_days IS NOT NULL) AS w
             GROUP BY month, days",
        params![community],
    )?;
    shift_district(db, community, 1)
}

/// Adds the community's counts to its district's (`sign` 1) or takes them out (`sign`
/// -1, deleting the district's rows that count nothing any more).
fn shift_district(db: &dyn Db, community: &str, sign: i64) -> Result<()> {
    db.execute_later(
        "INSERT INTO fig_district_wait_days (district, month, days, claims, fulfilments)
             SELECT substr(community, 1, 6), month, days, ?2 * claims, ?2 * fulfilments
             FROM fig_wait_days WHERE community = ?1
             ON CONFLICT (district, month, days) DO UPDATE SET
                 claims = fig_district_wait_days.claims + excluded.claims,
                 fulfilments = fig_district_wait_days.fulfilments + excluded.fulfilments",
        params![community, sign],
    )?;
    if sign < 0 {
        db.execute_later(
            "DELETE FROM fig_district_wait_days
             WHERE district = substr(?1, 1, 6) AND claims <= 0 AND fulfilments <= 0",
            params![community],
        )?;
    }
    Ok(())
}
