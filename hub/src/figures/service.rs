//! The service figures that every ranking row and every community of an organisation
//! carry — members, person-times, minutes and hours, wishes and projects held and done —
//! counted once from a group's measures, so the three row kinds cannot drift apart.

use super::measure::{Measure, Measures};
use super::query::hours;

/// The service figures of one row (a unit, a community, a unit in one community).
/// Flattened into the row's JSON, so the API's keys are the row's own.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct Service {
    /// Members reported in.
    pub members: u64,
    /// Participations (person-times).
    pub participations: u64,
    /// Minutes of service.
    pub service_minutes: u64,
    /// Hours of service, to two decimals.
    pub service_hours: f64,
    /// Wishes held (claimed or fulfilled).
    pub wishes_claimed: u64,
    /// Of those, fulfilled.
    pub wishes_fulfilled: u64,
    /// Projects held (claimed or fulfilled).
    pub projects_claimed: u64,
    /// Of those, fulfilled.
    pub projects_fulfilled: u64,
}

impl Service {
    /// The service figures of a group's summed measures.
    pub(crate) fn of(values: &Measures) -> Self {
        let service_minutes = values.count(Measure::ServiceMinutes);
        Self {
            members: values.count(Measure::MembersReported),
            participations: values.count(Measure::Participations),
            service_minutes,
            service_hours: hours(service_minutes),
            wishes_claimed: values.count(Measure::WishesClaimed)
                + values.count(Measure::WishesFulfilled),
            wishes_fulfilled: values.count(Measure::WishesFulfilled),
            projects_claimed: values.count(Measure::ProjectsClaimed)
                + values.count(Measure::ProjectsFulfilled),
            projects_fulfilled: values.count(Measure::ProjectsFulfilled),
        }
    }
}
