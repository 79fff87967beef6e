//! Party organisations and their units in the figures (issue 14, item 4). A unit
//! (单位, its credit code) may have several party organisations (党组织: its own, 本级,
//! and branches); the figure rows name the party organisation a member, claim or
//! activity is credited to, and `fig_orgs` gives each one's unit. So figures asked of
//! one party organisation read its id, and figures asked of a unit read the ids of
//! every party organisation `fig_orgs` files under its credit code, through the index
//! `fig_orgs_unit` — no figure row is copied per unit, and a unit with one
//! organisation reads exactly the rows it read before branches existed.

use std::collections::BTreeMap;
use std::fmt;

use wishtree_protocol::id::OrgId;
use wishtree_protocol::model::Org;
use wishtree_protocol::uscc::CreditCode;

use super::FiguresError;
use crate::sql::{Db, DbExt, Kind, ToCell, Value, params};

/// Whose figures: one party organisation, or a unit with all its party organisations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgScope {
    /// One party organisation (a branch, or a unit's own organisation) by its id.
    PartyOrg(OrgId),
    /// A unit by its credit code: its own organisation and every branch, summed.
    Unit(CreditCode),
}

/// What the communities recorded of a party organisation, or of a unit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrgNames {
    /// The unit's name.
    pub name: String,
    /// The unit's credit code.
    pub credit_code: String,
    /// The branch's name; `None` for a unit's own organisation and for a unit.
    pub party_org: Option<String>,
}

/// One party organisation of a unit, as a unit's page lists them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct UnitPartyOrg {
    /// The party organisation.
    pub org: OrgId,
    /// The branch's name; absent for the unit's own organisation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub party_org: Option<String>,
}

impl OrgScope {
    /// The id the figures show for the scope: the party organisation's, or for a unit
    /// its own organisation's (the id a unit had before branches existed).
    pub fn id(self) -> OrgId {
        match self {
            Self::PartyOrg(org) => org,
            Self::Unit(code) => Org::id_for(&code),
        }
    }

    /// The clause that keeps the rows whose `column` names the scope, bound as
    /// parameter `index` to [`Self::value`].
    pub(super) fn clause(self, column: &str, index: usize) -> String {
        match self {
            Self::PartyOrg(_) => format!("AND {column} = ?{index}"),
            Self::Unit(_) => {
                format!("AND {column} IN (SELECT id FROM fig_orgs WHERE credit_code = ?{index})")
            }
        }
    }

    /// The value bound for [`Self::clause`].
    pub(super) fn value(self) -> Value {
        match self {
            Self::PartyOrg(org) => Value::Blob(org.as_bytes().to_vec()),
            Self::Unit(code) => Value::Text(code.as_str().to_owned()),
        }
    }
}

impl fmt::Display for OrgScope {
    /// As the pages' addresses name it: a party organisation by its id, a unit by its
    /// credit code ([`crate::http`]'s `parse_org` reads both).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::PartyOrg(org) => write!(f, "{org}"),
            Self::Unit(code) => f.write_str(code.as_str()),
        }
    }
}

/// A party organisation's or a unit's names as the communities recorded them (the
/// record of a community it reported in to first); `None` if no community's records
/// name it.
pub fn org_name(db: &dyn Db, scope: OrgScope) -> Result<Option<OrgNames>, FiguresError> {
    let filter = match scope {
        OrgScope::PartyOrg(_) => "id = ?1",
        OrgScope::Unit(_) => "credit_code = ?1",
    };
    // A unit is named as its own organisation's record names it, if it has one.
    let sql = format!(
        "SELECT name, credit_code, party_org FROM fig_orgs WHERE {filter}
         ORDER BY party_org IS NOT NULL, reported_day IS NULL, reported_day, community LIMIT 1"
    );
    let names = db.query_opt(&sql, params![scope.value()], |row| {
        Ok(OrgNames {
            name: row.get(0)?,
            credit_code: row.get(1)?,
            party_org: row.get(2)?,
        })
    })?;
    Ok(names.map(|names| match scope {
        OrgScope::Unit(_) => OrgNames {
            party_org: None,
            ..names
        },
        OrgScope::PartyOrg(_) => names,
    }))
}

/// Party organisations named in one statement of [`party_org_names`].
const NAMED_AT_ONCE: usize = 64;

/// The names of party organisations, as [`org_name`] gives each: read
/// [`NAMED_AT_ONCE`] at a time (the statement's text fixed, the missing ids `NULL`),
/// the record [`org_name`] would take chosen here. A city bulletin names every unit
/// ranked: one statement each was 671 round trips to PostgreSQL, bench city of 300
/// communities.
pub(super) fn party_org_names(
    db: &dyn Db,
    orgs: &[OrgId],
) -> Result<BTreeMap<OrgId, OrgNames>, FiguresError> {
    let sql = format!(
        "SELECT id, name, credit_code, party_org, reported_day, community FROM fig_orgs
         WHERE id IN ({})",
        (1..=NAMED_AT_ONCE)
            .map(|n| format!("?{n}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    // The record `org_name` orders first: a unit's own organisation's, reported, the
    // earliest day, the lowest community code.
    type Key = (bool, bool, Option<i64>, String);
    let mut chosen: BTreeMap<OrgId, (Key, OrgNames)> = BTreeMap::new();
    for chunk in orgs.chunks(NAMED_AT_ONCE) {
        let values: Vec<Value> = (0..NAMED_AT_ONCE)
            .map(|n| match chunk.get(n) {
                Some(org) => Value::Blob(org.as_bytes().to_vec()),
                None => Value::Null(Kind::Blob),
            })
            .collect();
        let cells: Vec<&dyn ToCell> = values.iter().map(|value| value as &dyn ToCell).collect();
        db.for_each(&sql, &cells, |row| {
            let id: [u8; 16] = row.get(0)?;
            let party_org: Option<String> = row.get(3)?;
            let day: Option<i64> = row.get(4)?;
            let key = (party_org.is_some(), day.is_none(), day, row.get(5)?);
            let org = OrgId::from_bytes(id);
            if chosen.get(&org).is_some_and(|(kept, _)| *kept <= key) {
                return Ok(());
            }
            let names = OrgNames {
                name: row.get(1)?,
                credit_code: row.get(2)?,
                party_org,
            };
            chosen.insert(org, (key, names));
            Ok(())
        })?;
    }
    Ok(chosen
        .into_iter()
        .map(|(org, (_, names))| (org, names))
        .collect())
}

/// The unit a party organisation belongs to, by its credit code; `None` if no
/// community's records name the organisation.
pub fn org_unit(db: &dyn Db, org: OrgId) -> Result<Option<CreditCode>, FiguresError> {
    let code: Option<String> = db.query_opt(
        "SELECT credit_code FROM fig_orgs WHERE id = ?1 LIMIT 1",
        params![org.as_bytes().as_slice()],
        |row| row.get(0),
    )?;
    code.map(|code| {
        code.parse().map_err(|_| FiguresError::Corrupt {
            what: "credit code",
            value: code,
        })
    })
    .transpose()
}

/// The party organisations of a unit the communities' records name, the unit's own
/// first and then its branches by name; none for a scope of one party organisation.
pub fn party_orgs_of(db: &dyn Db, scope: OrgScope) -> Result<Vec<UnitPartyOrg>, FiguresError> {
    let OrgScope::Unit(code) = scope else {
        return Ok(Vec::new());
    };
    let rows = db.query_map(
        "SELECT id, MAX(party_org) AS branch FROM fig_orgs WHERE credit_code = ?1
         GROUP BY id ORDER BY branch IS NOT NULL, branch, id",
        params![code.as_str()],
        |row| Ok((row.get::<Vec<u8>>(0)?, row.get::<Option<String>>(1)?)),
    )?;
    rows.into_iter()
        .map(|(id, party_org)| {
            Ok(UnitPartyOrg {
                org: org_id_of(&id)?,
                party_org,
            })
        })
        .collect()
}

/// An organisation id as the figure tables keep it (16 bytes).
pub(super) fn org_id_of(bytes: &[u8]) -> Result<OrgId, FiguresError> {
    <[u8; 16]>::try_from(bytes)
        .map(OrgId::from_bytes)
        .map_err(|_| FiguresError::Corrupt {
            what: "organisation id",
            value: hex::encode(bytes),
        })
}
