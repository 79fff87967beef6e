//! Points rankings (积分排名): the one rule of how members are ranked by the points they
//! earned in a half-year, which the node's page, the hub's figures and the tests all use.
//!
//! A member's points for a half-year are the points of their earned passbook entries
//! that count (not voided) dated in it by the entry's day in Shanghai — the same
//! entries and days as the figures' `points_earned`, so a ranking sums to the figure.
//! Only members who earned points are ranked. Equal points share a place and the next
//! place is skipped (1, 2, 2, 4); within a place members are listed by id, so every
//! replica lists them alike.

use std::collections::BTreeMap;

use crate::id::MemberId;
use crate::model::PointsKind;
use crate::time::HalfYear;
use crate::view::CommunityView;

/// One member's place in a ranking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Ranked<K> {
    /// Place, from 1; members with equal points share it.
    pub rank: u64,
    /// Who.
    pub key: K,
    /// Points earned in the period.
    pub points: u64,
}

/// The points each member of a community earned, by half-year: the rows the hub's
/// figures store and the community's ranking is made of.
pub fn earned_by_half_year(view: &CommunityView) -> BTreeMap<(HalfYear, MemberId), u64> {
    let mut earned = BTreeMap::new();
    for entry in view.passbook.values() {
        if entry.is_voided || entry.entity.kind != PointsKind::Earn || entry.entity.points == 0 {
            continue;
        }
        let period = entry.entity.at.date_in_shanghai().half_year();
        *earned.entry((period, entry.entity.member)).or_insert(0) += u64::from(entry.entity.points);
    }
    earned
}

/// The community's members ranked by the points they earned in `period`.
pub fn community_ranking(view: &CommunityView, period: HalfYear) -> Vec<Ranked<MemberId>> {
    let points = earned_by_half_year(view)
        .into_iter()
        .filter(|((half, _), _)| *half == period)
        .map(|((_, member), points)| (member, points));
    rank(points)
}

/// Ranks `(key, points)` pairs: most points first, equal points sharing a place, ties
/// listed by key; pairs with no points are left out.
pub fn rank<K: Ord + Copy>(points: impl IntoIterator<Item = (K, u64)>) -> Vec<Ranked<K>> {
    let mut sorted: Vec<(K, u64)> = points.into_iter().filter(|(_, p)| *p > 0).collect();
    sorted.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut ranked = Vec::with_capacity(sorted.len());
    let mut place = 0;
    let mut previous = None;
    for (index, (key, points)) in sorted.into_iter().enumerate() {
        if previous != Some(points) {
            place = index as u64 + 1;
            previous = Some(points);
        }
        ranked.push(Ranked {
            rank: place,
            key,
            points,
        });
    }
    ranked
}

#[cfg(test)]
mod tests {
    use super::rank;

    #[test]
    fn equal_points_share_a_place_and_skip_the_next() {
        let ranked = rank([('a', 5), ('b', 9), ('c', 5), ('d', 0), ('e', 1)]);
        let places: Vec<(char, u64, u64)> =
            ranked.iter().map(|r| (r.key, r.rank, r.points)).collect();
        assert_eq!(places, [('b', 1, 9), ('a', 2, 5), ('c', 2, 5), ('e', 4, 1)]);
    }
}
