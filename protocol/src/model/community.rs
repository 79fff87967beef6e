//! The community a document belongs to, and its own rules (the points rates).

use std::collections::BTreeMap;

use autosurgeon::Reconcile;

use crate::model::names::PostKind;
use crate::region::CommunityCode;

/// The community (社区) that runs a node: one document each.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, serde::Serialize)]
pub struct Community {
    /// Its 12-digit statistical code.
    pub code: CommunityCode,
    /// Its name, e.g. 行宫社区.
    pub name: String,
}

/// Rules a community sets for itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Reconcile, serde::Serialize)]
pub struct CommunityRules {
    /// Love-passbook points earned per hour of service, by category. A category
    /// missing here earns [`CommunityRules::DEFAULT_POINTS_PER_HOUR`].
    pub points_per_hour: BTreeMap<String, u32>,
}

impl CommunityRules {
    /// The rate of a category nobody has set.
    pub const DEFAULT_POINTS_PER_HOUR: u32 = 10;

    /// The points earned by `minutes` of service in `category`, rounded to the
    /// nearest whole point.
    pub fn points_for(&self, category: PostKind, minutes: u32) -> u32 {
        let rate = self
            .points_per_hour
            .get(category.code())
            .copied()
            .unwrap_or(Self::DEFAULT_POINTS_PER_HOUR);
        let points = (u64::from(rate) * u64::from(minutes) + 30) / 60;
        u32::try_from(points).unwrap_or(u32::MAX)
    }
}

crate::scan::hydrate_by_scan!(Community { code, name });

crate::scan::hydrate_by_scan!(CommunityRules { points_per_hour });
