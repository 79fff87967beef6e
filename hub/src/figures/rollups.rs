//! Keeping the rollup tables: a community's monthly rows and its organisations'
//! (`fig_months`, `fig_org_months`) rebuilt from its raw rows, and its district's
//! (`fig_district_months`, `fig_district_org_months`, `fig_district_days`) shifted by
//! the difference, so that a city's or a district's sums read per district. What
//! each measure counts is `measure::SOURCES`; reading the sums is `measure.rs`.

use rusqlite::Connection;

use super::measure::{Measure, SOURCES};

/// Rebuilds the rollup rows of one community from its raw rows, and adds them to its
/// district's months and days. Its old raw rows' days were taken out of the district's
/// before they were deleted ([`shift_district_days`] with -1), or it had none.
pub(crate) fn rebuild_rollups(connection: &Connection, community: &str) -> rusqlite::Result<()> {
    shift_district_months(connection, community, -1)?;
    connection.execute("DELETE FROM fig_months WHERE community = ?1", [community])?;
    connection.execute(
        "DELETE FROM fig_org_months WHERE community = ?1",
        [community],
    )?;
    for source in &SOURCES {
        let columns: Vec<&str> = source.measures.iter().map(|(m, _)| m.column()).collect();
        let expressions: Vec<&str> = source.measures.iter().map(|(_, e)| *e).collect();
        let updates: Vec<String> = columns
            .iter()
            .map(|c| format!("{c} = excluded.{c}"))
            .collect();
        connection
            .prepare_cached(&format!(
                "INSERT INTO fig_months (community, month, {columns})
                 SELECT community, month, {expressions} FROM {table}
                 WHERE community = ?1 AND {filter} GROUP BY month
                 ON CONFLICT (community, month) DO UPDATE SET {updates}",
                columns = columns.join(", "),
                expressions = expressions.join(", "),
                table = source.table,
                filter = source.filter,
                updates = updates.join(", "),
            ))?
            .execute([community])?;
        connection
            .prepare_cached(&format!(
                "INSERT INTO fig_org_months (org, community, month, {columns})
                 SELECT {org}, community, month, {expressions} FROM {table}
                 WHERE community = ?1 AND {org} IS NOT NULL AND {filter} GROUP BY {org}, month
                 ON CONFLICT (org, community, month) DO UPDATE SET {updates}",
                columns = columns.join(", "),
                expressions = expressions.join(", "),
                table = source.credited,
                org = source.org,
                filter = source.filter,
                updates = updates.join(", "),
            ))?
            .execute([community])?;
    }
    let all_columns: Vec<&str> = Measure::ALL.iter().map(|m| m.column()).collect();
    let sums: Vec<String> = all_columns.iter().map(|c| format!("SUM({c})")).collect();
    connection
        .prepare_cached(&format!(
            "INSERT INTO fig_months (community, month, {columns}, members_with_claimed_wish)
             SELECT community, 0, {sums},
                 (SELECT COUNT(DISTINCT claimant_member) FROM fig_wishes
                  WHERE community = ?1 AND claimant_member IS NOT NULL)
             FROM fig_months WHERE community = ?1 GROUP BY community",
            columns = all_columns.join(", "),
            sums = sums.join(", "),
        ))?
        .execute([community])?;
    connection
        .prepare_cached(&format!(
            "INSERT INTO fig_org_months (org, community, month, {columns}, members_with_claimed_wish)
             SELECT org, community, 0, {sums},
                 (SELECT COUNT(DISTINCT w.claimant_member) FROM fig_wishes w
                  WHERE w.community = ?1 AND w.credited_org = fig_org_months.org
                    AND w.claimant_member IS NOT NULL)
             FROM fig_org_months WHERE community = ?1 GROUP BY org",
            columns = all_columns.join(", "),
            sums = sums.join(", "),
        ))?
        .execute([community])?;
    shift_district_months(connection, community, 1)?;
    super::wait_days::rebuild_wait_days(connection, community)?;
    shift_district_days(connection, community, 1)
}

/// Adds a community's monthly rollup rows, and its organisations', to its district's
/// (`sign` 1), or takes them out (`sign` -1), dropping the district months no
/// community has a row in any more.
fn shift_district_months(
    connection: &Connection,
    community: &str,
    sign: i64,
) -> rusqlite::Result<()> {
    let mut columns: Vec<&str> = Measure::ALL.iter().map(|m| m.column()).collect();
    columns.push("members_with_claimed_wish");
    let signed: Vec<String> = columns.iter().map(|c| format!("?2 * {c}")).collect();
    for (table, keys, from) in [
        (
            "fig_district_months",
            "month",
            "fig_months WHERE community = ?1",
        ),
        (
            "fig_district_org_months",
            "month, org",
            "fig_org_months WHERE community = ?1",
        ),
    ] {
        shift_district_rows(
            connection,
            DistrictRows {
                table,
                keys,
                select_keys: keys,
                conflict: keys,
                rows: "?2",
                columns: &columns,
                signed: &signed,
                from,
            },
            community,
            sign,
        )?;
    }
    Ok(())
}

/// Adds the sums of a community's raw rows, per day, to its district's days (`sign`
/// 1), or takes them out (`sign` -1, before the rows are deleted), dropping the
/// district days no raw row counts in any more. Re-derivation takes a community's
/// days out before it deletes the raw rows; [`rebuild_rollups`] puts them back in.
pub(crate) fn shift_district_days(
    connection: &Connection,
    community: &str,
    sign: i64,
) -> rusqlite::Result<()> {
    for source in &SOURCES {
        let columns: Vec<&str> = source.measures.iter().map(|(m, _)| m.column()).collect();
        let signed: Vec<String> = source
            .measures
            .iter()
            .map(|(_, e)| format!("?2 * {e}"))
            .collect();
        let from = format!(
            "{table} WHERE community = ?1 AND {filter} GROUP BY {day}",
            table = source.table,
            filter = source.filter,
            day = source.day,
        );
        shift_district_rows(
            connection,
            DistrictRows {
                table: "fig_district_days",
                keys: "day, month",
                conflict: "day",
                select_keys: &format!("{}, month", source.day),
                rows: "?2 * COUNT(*)",
                columns: &columns,
                signed: &signed,
                from: &from,
            },
            community,
            sign,
        )?;
    }
    Ok(())
}

/// What a district rollup sums from a community's rows: the table, its key columns
/// besides the district and what the select list gives for them, its primary key
/// besides the district, the row count, the measure columns with their
/// signed expressions (`?2` is the sign), and the rows summed (`?1` is the community).
struct DistrictRows<'a> {
    table: &'a str,
    keys: &'a str,
    select_keys: &'a str,
    conflict: &'a str,
    rows: &'a str,
    columns: &'a [&'a str],
    signed: &'a [String],
    from: &'a str,
}

/// Adds (or with `sign` -1 takes out) one community's sums in a district rollup, and
/// after taking out deletes the district's rows that no row is summed in any more.
fn shift_district_rows(
    connection: &Connection,
    shift: DistrictRows<'_>,
    community: &str,
    sign: i64,
) -> rusqlite::Result<()> {
    let DistrictRows {
        table,
        keys,
        select_keys,
        conflict,
        rows,
        columns,
        signed,
        from,
    } = shift;
    let updates: Vec<String> = columns
        .iter()
        .map(|c| format!("{c} = {table}.{c} + excluded.{c}"))
        .collect();
    connection
        .prepare_cached(&format!(
            "INSERT INTO {table} (district, {keys}, rows, {columns})
             SELECT substr(community, 1, 6), {select_keys}, {rows}, {signed} FROM {from}
             ON CONFLICT ({conflict}, district) DO UPDATE SET
                 rows = {table}.rows + excluded.rows, {updates}",
            columns = columns.join(", "),
            signed = signed.join(", "),
            updates = updates.join(", "),
        ))?
        .execute(rusqlite::params![community, sign])?;
    if sign < 0 {
        connection
            .prepare_cached(&format!(
                "DELETE FROM {table} WHERE +district = substr(?1, 1, 6) AND rows <= 0"
            ))?
            .execute([community])?;
    }
    Ok(())
}
