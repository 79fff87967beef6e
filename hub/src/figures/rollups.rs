//! Keeping the rollup tables: a community's monthly rows and its organisations'
//! (`fig_months`, `fig_org_months`) rebuilt from its raw rows, and its district's
//! (`fig_district_months`, `fig_district_org_months`, `fig_district_days`) shifted by
//! the difference, so that a city's or a district's sums read per district. What
//! each measure counts is `measure::SOURCES`; reading the sums is `measure.rs`.

use super::measure::{Measure, SOURCES, Source};
use crate::sql::{Db, DbExt, Dialect, Result, params};

/// Rebuilds the rollup rows of one community from its raw rows, and adds them to its
/// district's months and days. Its old raw rows' days were taken out of the district's
/// before they were deleted ([`shift_district_days`] with -1), or it had none.
pub(crate) fn rebuild_rollups(db: &dyn Db, community: &str) -> Result<()> {
    shift_district_months(db, community, -1)?;
    db.execute_later(
        "DELETE FROM fig_months WHERE community = ?1",
        params![community],
    )?;
    db.execute_later(
        "DELETE FROM fig_org_months WHERE community = ?1",
        params![community],
    )?;
    for source in &SOURCES {
        let columns: Vec<&str> = source.measures.iter().map(|(m, _)| m.column()).collect();
        let expressions: Vec<&str> = source.measures.iter().map(|(_, e)| *e).collect();
        let updates: Vec<String> = columns
            .iter()
            .map(|c| format!("{c} = excluded.{c}"))
            .collect();
        // The community is selected as the bound `?1`, not its column: PostgreSQL takes
        // only grouped columns outside aggregates.
        db.execute_later(
            &format!(
                "INSERT INTO fig_months (community, month, {columns})
                 SELECT ?1, month, {expressions} FROM {table}
                 WHERE community = ?1 AND {filter} GROUP BY month
                 ON CONFLICT (community, month) DO UPDATE SET {updates}",
                columns = columns.join(", "),
                expressions = expressions.join(", "),
                table = source.table,
                filter = source.filter,
                updates = updates.join(", "),
            ),
            params![community],
        )?;
        db.execute_later(
            &format!(
                "INSERT INTO fig_org_months (org, community, month, {columns})
                 SELECT {org}, ?1, month, {expressions} FROM {table}
                 WHERE community = ?1 AND {org} IS NOT NULL AND {filter} GROUP BY {org}, month
                 ON CONFLICT (org, community, month) DO UPDATE SET {updates}",
                columns = columns.join(", "),
                expressions = expressions.join(", "),
                table = source.credited,
                org = source.org,
                filter = source.filter,
                updates = updates.join(", "),
            ),
            params![community],
        )?;
    }
    insert_totals(db, community, "")?;
    shift_district_months(db, community, 1)?;
    super::wait_days::rebuild_wait_days(db, community)?;
    shift_district_days(db, community, 1)
}

/// Writes the community's totals (month 0) from its monthly rows, and those of its
/// organisations that `orgs` (a condition on `fig_org_months` starting with `AND`, or
/// nothing for all) picks; their old totals must be gone.
fn insert_totals(db: &dyn Db, community: &str, orgs: &str) -> Result<()> {
    let all_columns: Vec<&str> = Measure::ALL.iter().map(|m| m.column()).collect();
    let sums: Vec<String> = all_columns.iter().map(|c| format!("SUM({c})")).collect();
    db.execute_later(
        &format!(
            "INSERT INTO fig_months (community, month, {columns}, members_with_claimed_wish)
             SELECT community, 0, {sums},
                 (SELECT COUNT(DISTINCT claimant_member) FROM fig_wishes
                  WHERE community = ?1 AND claimant_member IS NOT NULL)
             FROM fig_months WHERE community = ?1 AND month <> 0 GROUP BY community",
            columns = all_columns.join(", "),
            sums = sums.join(", "),
        ),
        params![community],
    )?;
    db.execute_later(
        &format!(
            "INSERT INTO fig_org_months (org, community, month, {columns}, members_with_claimed_wish)
             SELECT org, ?1, 0, {sums},
                 (SELECT COUNT(DISTINCT w.claimant_member) FROM fig_wishes w
                  WHERE w.community = ?1 AND w.credited_org = fig_org_months.org
                    AND w.claimant_member IS NOT NULL)
             FROM fig_org_months WHERE community = ?1 AND month <> 0 {orgs} GROUP BY org",
            columns = all_columns.join(", "),
            sums = sums.join(", "),
            orgs = orgs,
        ),
        params![community],
    )?;
    Ok(())
}

/// Adds a community's monthly rollup rows, and its organisations', to its district's
/// (`sign` 1), or takes them out (`sign` -1), dropping the district months no
/// community has a row in any more.
fn shift_district_months(db: &dyn Db, community: &str, sign: i64) -> Result<()> {
    shift_district_months_of(db, community, sign, ("", ""))
}

/// As [`shift_district_months`], for the community's rows that `which` (a condition
/// on `fig_months`, one on `fig_org_months`, each starting with `AND`) picks.
fn shift_district_months_of(
    db: &dyn Db,
    community: &str,
    sign: i64,
    which: (&str, &str),
) -> Result<()> {
    let mut columns: Vec<&str> = Measure::ALL.iter().map(|m| m.column()).collect();
    columns.push("members_with_claimed_wish");
    let signed: Vec<String> = columns.iter().map(|c| format!("?2 * {c}")).collect();
    // The same condition picks the district's rows that may have emptied: the
    // columns are the same.
    for (table, keys, from, emptied) in [
        (
            "fig_district_months",
            "month",
            format!("fig_months WHERE community = ?1 {}", which.0),
            which.0,
        ),
        (
            "fig_district_org_months",
            "month, org",
            format!("fig_org_months WHERE community = ?1 {}", which.1),
            which.1,
        ),
    ] {
        let from = from.as_str();
        shift_district_rows(
            db,
            DistrictRows {
                table,
                keys,
                select_keys: keys,
                conflict: keys,
                rows: "?2",
                columns: &columns,
                signed: &signed,
                from,
                emptied,
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
pub(crate) fn shift_district_days(db: &dyn Db, community: &str, sign: i64) -> Result<()> {
    for source in &SOURCES {
        let rows = format!("{} WHERE community = ?1 AND", source.table);
        shift_district_days_of(db, community, sign, source, &rows, "")?;
    }
    Ok(())
}

/// Shifts the district's days by the sums of `source`'s rows that `rows_where`
/// picks (a table and its condition so far, ending in `WHERE` or `AND`: the
/// source's filter follows); `emptied` picks the district days that may have emptied
/// (a condition starting with `AND`, or nothing for all of the community's district).
fn shift_district_days_of(
    db: &dyn Db,
    community: &str,
    sign: i64,
    source: &Source,
    rows_where: &str,
    emptied: &str,
) -> Result<()> {
    let columns: Vec<&str> = source.measures.iter().map(|(m, _)| m.column()).collect();
    let signed: Vec<String> = source
        .measures
        .iter()
        .map(|(_, e)| format!("?2 * {e}"))
        .collect();
    // A day falls in one month: grouping by both is grouping by the day, with the
    // month a grouped column (PostgreSQL takes no other outside aggregates).
    let from = format!(
        "{rows_where} {filter} GROUP BY {day}, month",
        filter = source.filter,
        day = source.day,
    );
    shift_district_rows(
        db,
        DistrictRows {
            table: "fig_district_days",
            keys: "day, month",
            conflict: "day",
            select_keys: &format!("{}, month", source.day),
            rows: "?2 * COUNT(*)",
            columns: &columns,
            signed: &signed,
            from: &from,
            emptied,
        },
        community,
        sign,
    )
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
    /// Which of the district's rows may have emptied (a condition starting with `AND`),
    /// or nothing for every row of the district.
    emptied: &'a str,
}

/// Adds (or with `sign` -1 takes out) one community's sums in a district rollup, and
/// after taking out deletes the district's rows that no row is summed in any more.
fn shift_district_rows(
    db: &dyn Db,
    shift: DistrictRows<'_>,
    community: &str,
    sign: i64,
) -> Result<()> {
    let DistrictRows {
        table,
        keys,
        select_keys,
        conflict,
        rows,
        columns,
        signed,
        from,
        emptied,
    } = shift;
    let updates: Vec<String> = columns
        .iter()
        .map(|c| format!("{c} = {table}.{c} + excluded.{c}"))
        .collect();
    // The district is cut from the bound community (`?1`, the community of every row
    // summed), not from the column, which is not grouped.
    db.execute_later(
        &format!(
            "INSERT INTO {table} (district, {keys}, rows, {columns})
             SELECT substr(?1, 1, 6), {select_keys}, {rows}, {signed} FROM {from}
             ON CONFLICT ({conflict}, district) DO UPDATE SET
                 rows = {table}.rows + excluded.rows, {updates}",
            columns = columns.join(", "),
            signed = signed.join(", "),
            updates = updates.join(", "),
        ),
        params![community, sign],
    )?;
    if sign < 0 {
        // `+district` keeps SQLite from planning by an index on the district (as the
        // statement was written before the move to `Db`); PostgreSQL has no unary
        // plus on text, and plans for itself.
        let district = match db.dialect() {
            Dialect::Sqlite => "+district",
            Dialect::Postgres => "district",
        };
        db.execute_later(
            &format!(
                "DELETE FROM {table} WHERE {district} = substr(?1, 1, 6) AND rows <= 0 {emptied}"
            ),
            params![community],
        )?;
    }
    Ok(())
}

/// The temporary tables a re-derivation by entity fills: for each raw table `T` it
/// touched, `old_T` with the rows it removed and `new_T` with those it wrote. They are
/// named without a schema: both SQLite and PostgreSQL look for a name among the
/// temporary tables first, and no figure table has these names.
pub(crate) const DELTA_TABLES: [&str; 9] = [
    "fig_members",
    "fig_pairings",
    "fig_wishes",
    "fig_projects",
    "fig_project_credits",
    "fig_activities",
    "fig_participations",
    "fig_services",
    "fig_points",
];

/// Makes (once per connection) and empties the temporary tables of a re-derivation by
/// entity: the old and new rows of [`DELTA_TABLES`], and the months and organisations'
/// months they touch.
pub(crate) fn prepare_delta_tables(db: &dyn Db) -> Result<()> {
    for table in DELTA_TABLES {
        for side in ["old", "new"] {
            // Not held (`execute_later`): the held statements after it are prepared
            // before any of them runs, and must find the table.
            db.execute(
                &format!(
                    "CREATE TEMP TABLE IF NOT EXISTS {side}_{table} AS
                     SELECT * FROM {table} WHERE FALSE"
                ),
                params![],
            )?;
            db.execute_later(&format!("DELETE FROM {side}_{table}"), params![])?;
        }
    }
    // The column types as each database names them (PostgreSQL has no BLOB).
    let (months, org_months) = match db.dialect() {
        Dialect::Sqlite => (
            "month INTEGER PRIMARY KEY",
            "org BLOB, month INTEGER, PRIMARY KEY (org, month)",
        ),
        Dialect::Postgres => (
            "month BIGINT PRIMARY KEY",
            "org BYTEA, month BIGINT, PRIMARY KEY (org, month)",
        ),
    };
    for (table, columns) in [("delta_months", months), ("delta_org_months", org_months)] {
        db.execute(
            &format!("CREATE TEMP TABLE IF NOT EXISTS {table} ({columns})"),
            params![],
        )?;
        db.execute_later(&format!("DELETE FROM {table}"), params![])?;
    }
    Ok(())
}

/// Shifts the community's rollups by the difference between the rows a re-derivation
/// by entity removed (`old_T`) and wrote (`new_T`): the months they fall in
/// are taken out of the district's, the old rows' sums subtracted from them and the
/// new rows' added, the months no row counts in any more dropped, the totals (month 0)
/// of the community and of the organisations touched summed again, and the months put
/// back into the district's. The same rows as [`rebuild_rollups`] makes, without
/// regrouping the community. A source credited to organisations through a table of
/// its own (projects, `fig_project_credits`) shifts the organisations' months by that
/// table's old and new rows, and the community's by its own table's.
pub(crate) fn shift_by_difference(db: &dyn Db, community: &str) -> Result<()> {
    let sources: Vec<_> = SOURCES
        .iter()
        .filter(|source| {
            DELTA_TABLES.contains(&source.table) && DELTA_TABLES.contains(&source.credited)
        })
        .collect();
    // The months and organisations' months touched, with their totals.
    for source in &sources {
        for side in ["old", "new"] {
            let table = format!("{side}_{}", source.table);
            let credited = format!("{side}_{}", source.credited);
            db.execute_later(
                &format!(
                    "INSERT INTO delta_months (month)
                     SELECT DISTINCT month FROM {table} WHERE TRUE
                     ON CONFLICT DO NOTHING"
                ),
                params![],
            )?;
            db.execute_later(
                &format!(
                    "INSERT INTO delta_org_months (org, month)
                     SELECT DISTINCT {org}, month FROM {credited} WHERE {org} IS NOT NULL
                     UNION SELECT DISTINCT {org}, 0 FROM {credited} WHERE {org} IS NOT NULL
                     ON CONFLICT DO NOTHING",
                    org = source.org,
                ),
                params![],
            )?;
        }
    }
    db.execute_later(
        "INSERT INTO delta_months (month) VALUES (0) ON CONFLICT DO NOTHING",
        params![],
    )?;
    let touched = (
        "AND month IN (SELECT month FROM delta_months)",
        "AND (org, month) IN (SELECT org, month FROM delta_org_months)",
    );
    shift_district_months_of(db, community, -1, touched)?;

    for source in &sources {
        let columns: Vec<&str> = source.measures.iter().map(|(m, _)| m.column()).collect();
        let signed: Vec<String> = source
            .measures
            .iter()
            .map(|(_, e)| format!("?2 * ({e})"))
            .collect();
        let updates: Vec<String> = columns
            .iter()
            .map(|c| format!("{c} = {{table}}.{c} + excluded.{c}"))
            .collect();
        for (side, sign) in [("old", -1i64), ("new", 1)] {
            let from = format!("{side}_{}", source.table);
            let credited = format!("{side}_{}", source.credited);
            db.execute_later(
                &format!(
                    "INSERT INTO fig_months (community, month, {columns})
                     SELECT ?1, month, {signed} FROM {from}
                     WHERE {filter} GROUP BY month
                     ON CONFLICT (community, month) DO UPDATE SET {updates}",
                    columns = columns.join(", "),
                    signed = signed.join(", "),
                    filter = source.filter,
                    updates = updates.join(", ").replace("{table}", "fig_months"),
                ),
                params![community, sign],
            )?;
            db.execute_later(
                &format!(
                    "INSERT INTO fig_org_months (org, community, month, {columns})
                     SELECT {org}, ?1, month, {signed} FROM {credited}
                     WHERE {org} IS NOT NULL AND {filter} GROUP BY {org}, month
                     ON CONFLICT (org, community, month) DO UPDATE SET {updates}",
                    columns = columns.join(", "),
                    signed = signed.join(", "),
                    org = source.org,
                    filter = source.filter,
                    updates = updates.join(", ").replace("{table}", "fig_org_months"),
                ),
                params![community, sign],
            )?;
            // The district's days, by the same rows.
            let emptied = format!("AND day IN (SELECT {} FROM {from})", source.day);
            shift_district_days_of(
                db,
                community,
                sign,
                source,
                &format!("{from} WHERE"),
                &emptied,
            )?;
        }
    }

    // A month is kept while a row counts in it: every measure but the points counts
    // its rows, so a month of zeros is empty unless a passbook entry of no points
    // counts in it.
    let all_columns: Vec<&str> = Measure::ALL.iter().map(|m| m.column()).collect();
    let zeros: Vec<String> = all_columns.iter().map(|c| format!("{c} = 0")).collect();
    let zeros = zeros.join(" AND ");
    db.execute_later(
        &format!(
            "DELETE FROM fig_months WHERE community = ?1 AND month <> 0 {months} AND {zeros}
                 AND NOT EXISTS (SELECT 1 FROM fig_points p WHERE p.community = ?1
                     AND p.month = fig_months.month AND p.is_voided = 0)",
            months = touched.0,
        ),
        params![community],
    )?;
    db.execute_later(
        &format!(
            "DELETE FROM fig_org_months WHERE community = ?1 AND month <> 0 {months} AND {zeros}
                 AND NOT EXISTS (SELECT 1 FROM fig_points p WHERE p.community = ?1
                     AND p.month = fig_org_months.month AND p.member_org = fig_org_months.org
                     AND p.is_voided = 0)",
            months = touched.1,
        ),
        params![community],
    )?;

    db.execute_later(
        "DELETE FROM fig_months WHERE community = ?1 AND month = 0",
        params![community],
    )?;
    db.execute_later(
        "DELETE FROM fig_org_months WHERE community = ?1 AND month = 0
                 AND org IN (SELECT org FROM delta_org_months)",
        params![community],
    )?;
    insert_totals(
        db,
        community,
        "AND org IN (SELECT org FROM delta_org_months)",
    )?;
    shift_district_months_of(db, community, 1, touched)
}
