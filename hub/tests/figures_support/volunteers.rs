//! Volunteers beyond the members in the figures property test: what a community's
//! plan says of them, how its writer registers them and records (and voids) their
//! service, and the figures the plan calls for — computed from the plan alone.

use std::collections::BTreeMap;

use proptest::prelude::*;
use wishtree_hub::figures::{KindCounts, VolunteerFigures};
use wishtree_protocol::id::{VolunteerId, VolunteerServiceId};
use wishtree_protocol::model::VolunteerKind;
use wishtree_protocol::{Date, Timestamp};

use super::Writer;

/// One volunteer of a community's plan.
#[derive(Debug, Clone)]
pub struct VolunteerPlan {
    /// Picks the kind.
    pub kind: usize,
    /// The registration day, counted from the plan's first day.
    pub registered: i32,
    /// (day, minutes, voided) of each service record.
    pub services: Vec<(i32, u32, bool)>,
}

/// What the plan says of a community's volunteers, in the terms of the figures.
#[derive(Debug, Default)]
pub struct VolunteerFacts {
    /// Each volunteer's kind.
    pub kinds: BTreeMap<VolunteerId, VolunteerKind>,
    /// (kind, registration day).
    pub registered: Vec<(VolunteerKind, Date)>,
    /// Service records that count: (kind, day, minutes).
    pub services: Vec<(VolunteerKind, Date, u32)>,
    /// Wishes a volunteer holds: (kind, submitted day, fulfilled).
    pub wishes: Vec<(VolunteerKind, Date, bool)>,
}

pub fn volunteer_plan() -> impl Strategy<Value = VolunteerPlan> {
    (
        0usize..3,
        0i32..300,
        prop::collection::vec((0i32..300, 1u32..400, prop::bool::weighted(0.25)), 0..3),
    )
        .prop_map(|(kind, registered, services)| VolunteerPlan {
            kind,
            registered,
            services,
        })
}

/// Registers the plan's volunteers and records their service, each at `at`; answers
/// their ids, the facts, and the records to void in the plan's second phase.
pub fn write_volunteers(
    w: &mut Writer,
    plans: &[VolunteerPlan],
    day: impl Fn(i32) -> Date,
    at: Timestamp,
) -> (Vec<VolunteerId>, VolunteerFacts, Vec<VolunteerServiceId>) {
    let mut facts = VolunteerFacts::default();
    let mut ids = Vec::new();
    let mut to_void = Vec::new();
    for plan in plans {
        let kind = VolunteerKind::ALL[plan.kind % VolunteerKind::ALL.len()];
        let id = w.add_volunteer(kind, day(plan.registered), at);
        facts.kinds.insert(id, kind);
        facts.registered.push((kind, day(plan.registered)));
        for (service_day, minutes, voided) in &plan.services {
            let service = w.record_volunteer_service(id, day(*service_day), *minutes, at);
            if *voided {
                to_void.push(service);
            } else {
                facts.services.push((kind, day(*service_day), *minutes));
            }
        }
        ids.push(id);
    }
    (ids, facts, to_void)
}

/// The volunteers' figures of the communities `facts` in a period (`within` a day, or
/// by its end, `by_end`); an organisation's are none.
pub fn expected_volunteers<'f>(
    facts: impl Iterator<Item = &'f VolunteerFacts>,
    within: impl Fn(Date) -> bool,
    by_end: impl Fn(Date) -> bool,
    for_org: bool,
) -> VolunteerFigures {
    let mut figures = VolunteerFigures::default();
    if for_org {
        return figures;
    }
    for community in facts {
        for (kind, registered) in &community.registered {
            if by_end(*registered) {
                add(&mut figures.registered, *kind, 1);
            }
        }
        for (kind, submitted, fulfilled) in &community.wishes {
            if within(*submitted) {
                add(&mut figures.wishes_claimed, *kind, 1);
                add(&mut figures.wishes_fulfilled, *kind, u64::from(*fulfilled));
            }
        }
        for (kind, service_day, minutes) in &community.services {
            if within(*service_day) {
                add(&mut figures.service_records, *kind, 1);
                add(&mut figures.service_minutes, *kind, u64::from(*minutes));
            }
        }
    }
    let minutes = figures.service_minutes.total;
    figures.service_hours = (minutes as f64 / 60.0 * 100.0).round() / 100.0;
    figures
}

fn add(counts: &mut KindCounts, kind: VolunteerKind, count: u64) {
    match kind {
        VolunteerKind::Retired => counts.retired += count,
        VolunteerKind::Student => counts.student += count,
        VolunteerKind::Resident => counts.resident += count,
    }
    counts.total += count;
}
