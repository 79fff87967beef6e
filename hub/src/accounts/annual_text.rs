//! The unit's own words in its annual report (单位党组织年度报告): one text per unit and
//! year, written by the unit's account at the hub and kept in the hub's SQLite file
//! beside the accounts (`unit_annual_texts`), since it is not derived from any
//! community's document. Functions over a connection, as the accounts' rows are.

use rusqlite::{Connection, OptionalExtension, params};
use wishtree_protocol::Timestamp;
use wishtree_protocol::id::OrgId;

use super::AccountError;

/// The most characters a unit's text may have (about three printed A4 pages).
pub const ANNUAL_TEXT_LIMIT: usize = 4000;

/// A unit's text for a year, with who last wrote it and when.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AnnualText {
    /// The text, as written.
    pub text: String,
    /// When it was last saved.
    pub updated_at: Timestamp,
    /// The account that saved it.
    pub updated_by: String,
}

/// The text `org` wrote for `year`, if any.
pub fn annual_text(
    connection: &Connection,
    org: OrgId,
    year: i32,
) -> Result<Option<AnnualText>, AccountError> {
    Ok(connection
        .prepare_cached(
            "SELECT text, updated_at, updated_by FROM unit_annual_texts
             WHERE org = ?1 AND year = ?2",
        )?
        .query_row(params![org.as_bytes().as_slice(), year], |row| {
            Ok(AnnualText {
                text: row.get(0)?,
                updated_at: Timestamp::from_millis(row.get(1)?),
                updated_by: row.get(2)?,
            })
        })
        .optional()?)
}

/// Replaces `org`'s text for `year`. The caller has checked the length and who asks.
pub fn save_annual_text(
    connection: &Connection,
    org: OrgId,
    year: i32,
    text: &str,
    at: Timestamp,
    by: &str,
) -> Result<(), AccountError> {
    connection.execute(
        "INSERT INTO unit_annual_texts (org, year, text, updated_at, updated_by)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (org, year) DO UPDATE SET
             text = excluded.text, updated_at = excluded.updated_at,
             updated_by = excluded.updated_by",
        params![org.as_bytes().as_slice(), year, text, at.as_millis(), by],
    )?;
    Ok(())
}
