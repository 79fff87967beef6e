//! Report-in coverage (报到覆盖率): each unit of the city's directory that declared how
//! many in-service members it has, against how many of them are reported in to a
//! community ("220名在职党员已经全部到社区报到"), and the units that are behind.
//!
//! The denominator is the unit's whole in-service membership, from the city document
//! (`wishtree-hub city members`); the numerator counts its members reported in to the
//! communities of the region asked, whichever of the unit's party organisations (its
//! own, or a branch) they belong to. For the city that is the unit's coverage; for a
//! district it is the part of the unit that reported in there.

use wishtree_protocol::RegionPrefix;
use wishtree_protocol::city::CityView;
use wishtree_protocol::id::OrgId;
use wishtree_protocol::model::Org;

use super::FiguresError;
use super::measure::region_range;
use super::party_orgs::org_id_of;
use super::query::ratio;
use crate::sql::{Db, DbExt, Kind, Value, params};

/// One unit's coverage.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct UnitCoverage {
    /// The unit's organisation.
    pub org: OrgId,
    /// Its credit code.
    pub credit_code: String,
    /// Its name.
    pub name: String,
    /// In-service members it declared.
    pub in_service_members: u64,
    /// Of its members, those reported in to a community of the region (never above the
    /// declaration).
    pub reported: u64,
    /// `in_service_members - reported`.
    pub behind: u64,
    /// `reported / in_service_members`.
    pub share: Option<f64>,
}

/// The coverage of a region: every declaring unit, and the sums.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Coverage {
    /// Units that declared their in-service members.
    pub units: u64,
    /// Units all of whose declared members are reported in.
    pub units_complete: u64,
    /// Members the units declared.
    pub in_service_members: u64,
    /// Of those, reported in.
    pub reported: u64,
    /// `reported / in_service_members`.
    pub share: Option<f64>,
    /// Each unit, the most behind first.
    pub by_unit: Vec<UnitCoverage>,
}

/// Replaces the directory rows by the city document's, in the caller's transaction.
pub fn refresh_directory(db: &dyn Db, city: &CityView) -> Result<(), FiguresError> {
    // A key that is not a credit code (a hand-edited document) is not a unit.
    let rows = city.orgs.iter().filter_map(|(credit_code, org)| {
        let code = credit_code.parse().ok()?;
        Some([
            Value::from(Org::id_for(&code).as_bytes().to_vec()),
            Value::from(credit_code.clone()),
            Value::from(org.name.clone()),
            org.in_service_members
                .map_or(Value::Null(Kind::Int), |members| {
                    Value::from(i64::from(members))
                }),
        ])
    });
    super::campaigns::replace_city_rows(
        db,
        "fig_directory",
        "INSERT INTO fig_directory (org, credit_code, name, in_service_members)
         VALUES (?1, ?2, ?3, ?4)",
        rows,
    )
}

/// The coverage of `region`.
pub fn coverage(db: &dyn Db, region: &RegionPrefix) -> Result<Coverage, FiguresError> {
    let (low, high) = region_range(region);
    let rows = db.query_map(
        "SELECT d.org, d.credit_code, d.name, d.in_service_members,
                (SELECT COUNT(*) FROM fig_members m
                 WHERE m.org IN (SELECT id FROM fig_orgs WHERE credit_code = d.credit_code)
                   AND m.community >= ?1 AND m.community < ?2)
         FROM fig_directory d WHERE d.in_service_members IS NOT NULL",
        params![low, high],
        |row| {
            Ok((
                row.get::<Vec<u8>>(0)?,
                row.get::<String>(1)?,
                row.get::<String>(2)?,
                row.get::<i64>(3)?,
                row.get::<i64>(4)?,
            ))
        },
    )?;
    let mut by_unit = Vec::with_capacity(rows.len());
    for (org, credit_code, name, declared, reported) in rows {
        let org = org_id_of(&org)?;
        let declared = u64::try_from(declared).unwrap_or(0);
        let reported = u64::try_from(reported).unwrap_or(0).min(declared);
        by_unit.push(UnitCoverage {
            org,
            credit_code,
            name,
            in_service_members: declared,
            reported,
            behind: declared - reported,
            share: ratio(reported, declared),
        });
    }
    by_unit.sort_by(|a, b| {
        b.behind
            .cmp(&a.behind)
            .then_with(|| a.credit_code.cmp(&b.credit_code))
    });
    let in_service_members: u64 = by_unit.iter().map(|unit| unit.in_service_members).sum();
    let reported: u64 = by_unit.iter().map(|unit| unit.reported).sum();
    Ok(Coverage {
        units: by_unit.len() as u64,
        units_complete: by_unit.iter().filter(|unit| unit.behind == 0).count() as u64,
        in_service_members,
        reported,
        share: ratio(reported, in_service_members),
        by_unit,
    })
}
