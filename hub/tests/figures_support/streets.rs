//! Streets as parties in the figures property test: the street-level records a
//! community's plan writes (units reported in to the street, pairings with it,
//! projects of it), written with the community named host in the writer's own city
//! view — so any community can write them — while the hub's city names at most one
//! host; and the figures the plan calls for: a record counts for its street, district
//! and city, never for its community, and only the hub's host's records count at all.

use std::collections::BTreeMap;

use proptest::prelude::*;
use wishtree_hub::figures::{self, Filter, Period};
use wishtree_hub::sql::Db;
use wishtree_protocol::city::{CityCommand, CityDoc};
use wishtree_protocol::command::Command;
use wishtree_protocol::id::OrgId;
use wishtree_protocol::street::{StreetCode, StreetHost};
use wishtree_protocol::{CommunityCode, Date, RegionPrefix, Timestamp};

use super::Writer;

/// The street-level records of one community's plan.
#[derive(Debug, Clone, Default)]
pub struct StreetPlan {
    /// (organisation pick among the community's, reported-in day).
    pub report_ins: Vec<(usize, i32)>,
    /// (organisation pick, signed day).
    pub pairings: Vec<(usize, i32)>,
    /// Submitted minutes of the street's projects, left in 征集.
    pub projects: Vec<i64>,
}

/// What the plan says of a community's street-level records, in the figures' terms.
#[derive(Debug, Default)]
pub struct StreetFacts {
    /// The street, when the hub's city names the community its host (otherwise the
    /// records are ignored and nothing here counts).
    pub hosted: Option<StreetCode>,
    /// Units reported in to the street, each on its earliest day.
    pub report_ins: BTreeMap<OrgId, Date>,
    /// (organisation, signed day).
    pub pairings: Vec<(OrgId, Date)>,
    /// Submitted days of its projects.
    pub projects: Vec<Date>,
}

pub fn street_plan() -> impl Strategy<Value = StreetPlan> {
    (
        prop::collection::vec((any::<usize>(), 0i32..300), 0..3),
        prop::collection::vec((any::<usize>(), 0i32..300), 0..3),
        prop::collection::vec(0i64..300 * 1440, 0..3),
    )
        .prop_map(|(report_ins, pairings, projects)| StreetPlan {
            report_ins,
            pairings,
            projects,
        })
}

/// What a city naming `community` host of its street says of that street.
pub fn hosted_here(community: CommunityCode) -> StreetHost {
    let mut city = CityDoc::new(&"1309".parse().unwrap(), [3; 16]).unwrap();
    let designate = CityCommand::DesignateStreetHost {
        street: StreetCode::of(&community).as_region(),
        community,
    };
    city.execute(&designate, Timestamp::from_millis(0)).unwrap();
    city.view().unwrap().street_host_of(&community)
}

/// Writes the plan's street-level records (none without organisations for the
/// report-ins and pairings), returning them as facts; `hosted` is what the hub's city
/// will say.
pub fn write_street(
    w: &mut Writer,
    code: CommunityCode,
    plan: &StreetPlan,
    orgs: &[OrgId],
    hosted: bool,
    day: impl Fn(i32) -> Date,
    minute: impl Fn(i64) -> Timestamp,
) -> StreetFacts {
    let street = hosted_here(code);
    let mut facts = StreetFacts {
        hosted: hosted.then(|| StreetCode::of(&code)),
        ..StreetFacts::default()
    };
    let pick = |index: usize| (!orgs.is_empty()).then(|| orgs[index % orgs.len()]);
    for (org, reported) in &plan.report_ins {
        let Some(org) = pick(*org) else { continue };
        let on = day(*reported);
        let command = Command::ReportInToStreet {
            org,
            street: street.clone(),
            on,
        };
        w.run(command, minute(4));
        // A second report-in of the unit replaces the first.
        facts.report_ins.insert(org, on);
    }
    for (org, signed) in &plan.pairings {
        let Some(org) = pick(*org) else { continue };
        w.add_pairing_of(org, day(*signed), Some(street.clone()), minute(4));
        facts.pairings.push((org, day(*signed)));
    }
    for submitted in &plan.projects {
        let at = minute(*submitted);
        w.submit_project_of(Some(street.clone()), at);
        facts.projects.push(at.date_in_shanghai());
    }
    facts
}

/// Whether a region takes in a street's own records: the street or wider, never a
/// community.
pub fn takes_in(region: &RegionPrefix, street: StreetCode) -> bool {
    region.as_str().len() <= 9 && street.as_region().as_str().starts_with(region.as_str())
}

/// A street's children are its communities and, when its host's records are at the
/// hub, the row 街道本级; their pairings and projects add up to the street's.
pub fn check_street_children<'a>(
    db: &dyn Db,
    streets: impl Iterator<Item = &'a StreetFacts> + Clone,
    regions: &[RegionPrefix],
    now: Timestamp,
) -> Result<(), TestCaseError> {
    for region in regions.iter().filter(|r| r.as_str().len() == 9) {
        let filter = Filter {
            region: region.clone(),
            period: Period::all(),
            org: None,
            round: None,
        };
        let street = figures::figures(db, &filter, now).unwrap();
        let children = figures::children(db, region, &Period::all(), None, now).unwrap();
        let own = children
            .iter()
            .filter(|child| child.name.as_deref() == Some(figures::STREET_OWN_NAME))
            .count();
        let has_own = streets.clone().any(|facts| {
            facts.hosted.is_some_and(|code| code.as_region() == *region)
                && (!facts.report_ins.is_empty()
                    || !facts.pairings.is_empty()
                    || !facts.projects.is_empty())
        });
        prop_assert_eq!(own, usize::from(has_own), "{:?}", region);
        let pairings: u64 = children.iter().map(|child| child.figures.pairings).sum();
        let projects: u64 = children.iter().map(|c| c.figures.projects.total).sum();
        prop_assert_eq!(pairings, street.pairings, "{:?}", region);
        prop_assert_eq!(projects, street.projects.total, "{:?}", region);
    }
    Ok(())
}
