//! The unit's own words in its annual report (单位党组织年度报告): one text per unit and
//! year, written by the unit's account at the hub and kept beside the accounts
//! (`unit_annual_texts`, through [`super::AccountStore`]), since it is not derived from
//! any community's document.

use wishtree_protocol::Timestamp;

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
