//! The children of a region read in one grouped pass (`figures::children`) are, child
//! by child, exactly the figures of each child read alone (`figures::figures`), for
//! every period and round, and a street's own row (街道本级) is its own code's.

use proptest::prelude::*;
use wishtree_hub::figures::{self, Filter, Period, RegionFigures, RoundCut};
use wishtree_hub::sql::Db;
use wishtree_protocol::street::StreetCode;
use wishtree_protocol::{RegionLevel, RegionPrefix, Timestamp};

/// Compares `figures::children` of every region in `regions` that has children with
/// each child's figures read alone, for each period and round (`None`: uncut).
pub fn check_children_alone(
    db: &dyn Db,
    regions: &[RegionPrefix],
    periods: &[Period],
    rounds: &[Option<&str>],
    now: Timestamp,
) -> Result<(), TestCaseError> {
    let rounds: Vec<Option<RoundCut>> = rounds
        .iter()
        .map(|name| name.and_then(|name| RoundCut::parse(name).unwrap()))
        .collect();
    for region in regions.iter().filter(|r| r.child_level().is_some()) {
        let regions_under = figures::child_regions(db, region).unwrap();
        for period in periods {
            for round in &rounds {
                let children = figures::children(db, region, period, round.as_ref(), now).unwrap();
                let alone = |child: &RegionPrefix, round: Option<RoundCut>| {
                    let filter = Filter {
                        region: child.clone(),
                        period: *period,
                        org: None,
                        round,
                    };
                    figures::figures(db, &filter, now).unwrap()
                };
                prop_assert!(children.len() >= regions_under.len());
                for (got, child) in children.iter().zip(&regions_under) {
                    let expected = RegionFigures {
                        region: child.clone(),
                        name: figures::region_name(db, child).unwrap(),
                        figures: alone(child, round.clone()),
                    };
                    prop_assert_eq!(got, &expected, "{:?} {} {:?}", region, period, round);
                }
                // The street's own row, if any, is its own code's figures, uncut: its
                // records are no wishes of any round.
                let own = &children[regions_under.len()..];
                if let Some(row) = own.first() {
                    prop_assert_eq!(own.len(), 1);
                    prop_assert_eq!(region.level(), Some(RegionLevel::Street));
                    let street: StreetCode = region.as_str().parse().unwrap();
                    prop_assert_eq!(&row.region, &street.own_records());
                    prop_assert_eq!(row.name.as_deref(), Some(figures::STREET_OWN_NAME));
                    prop_assert_eq!(&row.figures, &alone(&row.region, None));
                }
            }
        }
    }
    Ok(())
}
