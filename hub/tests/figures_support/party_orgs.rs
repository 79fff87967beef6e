//! The party organisations the figures' property test draws from (issue 14, item 4):
//! units' own organisations and two branches of one unit, and which of them a filter
//! by party organisation or by unit takes in.

use wishtree_hub::figures::{Filter, OrgScope};
use wishtree_protocol::id::OrgId;
use wishtree_protocol::model::Org;
use wishtree_protocol::uscc::CreditCode;
use wishtree_testkit::community::credit_code;

/// How many party organisations the plans draw from: the own organisations of units
/// 1 to 3 (what every document before branches had), then two branches of unit 1, so
/// that unit 1 has three party organisations and its figures sum them.
pub const POOL: usize = 5;

/// The unit's credit code and the branch's name of pool organisation `index`.
pub fn pool_entry(index: usize) -> (CreditCode, Option<&'static str>) {
    match index {
        3 => (credit_code(1), Some("第一党支部")),
        4 => (credit_code(1), Some("第二党支部")),
        _ => (credit_code(index as u32 + 1), None),
    }
}

/// The id of pool organisation `index`.
pub fn pool_org(index: usize) -> OrgId {
    match pool_entry(index) {
        (code, Some(branch)) => Org::id_for_party_org(&code, branch),
        (code, None) => Org::id_for(&code),
    }
}

/// The name of the unit of pool organisation `index`, as its communities record it.
pub fn unit_name(index: usize) -> String {
    let unit = if index < 3 { index } else { 0 };
    format!("单位{unit}")
}

/// The unit a pool organisation belongs to.
pub fn unit_of(org: OrgId) -> Option<CreditCode> {
    (0..POOL)
        .find(|index| pool_org(*index) == org)
        .map(|index| pool_entry(index).0)
}

/// Whether the rows of organisation `org` count for `filter`'s organisation or unit.
pub fn org_matches(filter: &Filter, org: Option<OrgId>) -> bool {
    match filter.org {
        None => true,
        Some(OrgScope::PartyOrg(id)) => org == Some(id),
        Some(OrgScope::Unit(code)) => org.and_then(unit_of) == Some(code),
    }
}
