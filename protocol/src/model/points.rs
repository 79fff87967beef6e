//! The community's passbook scoring (细化成分值) and its benefit catalogue (福利目录):
//! points per kind of service under `scoring/{item}`, and the benefits points buy under
//! `benefits/{id}`. Both collections were added after schema 1 (see
//! [`super::LATE_COLLECTIONS`]).

use autosurgeon::Reconcile;

use crate::model::names::ScoringUnit;
use crate::time::Timestamp;

/// The points a kind of service earns, as the community set it last. A record keeps
/// the points computed when it was written, so changing a rate never changes the
/// points of an older record.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, serde::Serialize)]
pub struct ScoringRate {
    /// Points per [`ScoringRate::per`].
    pub points: u32,
    /// Per hour of service or per time (record).
    pub per: ScoringUnit,
    /// When it was set.
    pub set_at: Timestamp,
}

/// A benefit of the catalogue (福利), which a member's points buy.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, serde::Serialize)]
pub struct Benefit {
    /// What it is, e.g. 理发一次.
    pub title: String,
    /// What it costs in points, at least 1.
    pub cost: u32,
    /// How many the community has to give out in all; `None` for no limit. What is
    /// left is this less the redemptions of it that count.
    pub stock: Option<u32>,
    /// When it was added.
    pub created_at: Timestamp,
    /// When it was withdrawn from the catalogue; a withdrawn benefit cannot be chosen,
    /// and its past redemptions still read.
    pub withdrawn_at: Option<Timestamp>,
}

impl ScoringRate {
    /// The points `minutes` of service earn at this rate, rounded to the nearest point.
    pub fn points_for(&self, minutes: u32) -> u32 {
        match self.per {
            ScoringUnit::Time => self.points,
            ScoringUnit::Hour => {
                let points = (u64::from(self.points) * u64::from(minutes) + 30) / 60;
                u32::try_from(points).unwrap_or(u32::MAX)
            }
        }
    }
}

impl Benefit {
    /// Whether it can be chosen for a redemption.
    pub fn is_active(&self) -> bool {
        self.withdrawn_at.is_none()
    }
}

crate::scan::hydrate_by_scan!(ScoringRate {
    points,
    per,
    set_at
});

crate::scan::hydrate_by_scan!(Benefit { title, cost, created_at; optional: stock, withdrawn_at });
