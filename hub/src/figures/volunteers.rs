//! Volunteers beyond the members (issue 14, item 5) in the figures: 离退休党员,
//! 学生党员 and 社区公益爱心人士 by kind, the wishes they hold and their service hours,
//! counted apart from the in-service members'. Their rows are tables of their own
//! (`fig_volunteers`, `fig_volunteer_wishes`, `fig_volunteer_services`; schema step
//! 16), so no member's figure, rollup or ranking can count them: a wish a volunteer
//! holds is a claimed wish in `wishes`, but never a member's claim.
//!
//! Periods as everywhere (`query.rs`): volunteers registered up to the end of the
//! period, wishes by the day they were submitted, service by its day. A volunteer
//! belongs to no unit organisation, so an organisation's figures have none. Not a
//! rollup measure: a community has tens of volunteers, so the raw rows are read.

use std::collections::BTreeMap;

use wishtree_protocol::id::{VolunteerId, VolunteerServiceId, WishId};
use wishtree_protocol::lifecycle::{ClaimState, ClaimStatus};
use wishtree_protocol::model::{Actor, Volunteer, VolunteerService, Wish};
use wishtree_protocol::view::{CommunityView, Voidable, WithStatus};

use super::FiguresError;
use super::measure::{Scope, region_range};
use super::period::Period;
use super::query::hours;
use super::together::{Statement, Together};
use crate::sql::{Db, DbExt, params};

/// Counts by kind of volunteer, and in all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct KindCounts {
    /// 离退休党员.
    pub retired: u64,
    /// 学生党员.
    pub student: u64,
    /// 社区公益爱心人士.
    pub resident: u64,
    /// All three.
    pub total: u64,
}

/// What volunteers beyond the members did in a region and period.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct VolunteerFigures {
    /// Volunteers registered up to the end of the period.
    pub registered: KindCounts,
    /// Wishes submitted in the period that a volunteer holds now (claimed or fulfilled).
    pub wishes_claimed: KindCounts,
    /// Of those, the fulfilled ones.
    pub wishes_fulfilled: KindCounts,
    /// Their service records of the period that count (not voided).
    pub service_records: KindCounts,
    /// Those records' minutes.
    pub service_minutes: KindCounts,
    /// Those records' hours in all, to two decimals.
    pub service_hours: f64,
}

impl KindCounts {
    pub(super) fn add(&mut self, kind: &str, count: u64) {
        match kind {
            "retired" => self.retired += count,
            "student" => self.student += count,
            "resident" => self.resident += count,
            // A kind this build does not know (a newer node wrote it) counts in the
            // total only, rather than under the wrong kind.
            _ => {}
        }
        self.total += count;
    }
}

/// Writes the volunteers' rows of one community, inside the re-derivation's
/// transaction (its rows were deleted with the others, [`super::RAW_TABLES`]); answers
/// how many rows it wrote. Nothing personal: the document holds only the worker's
/// label, and not even that is copied.
pub(super) fn insert_rows(
    db: &dyn Db,
    community: &str,
    view: &CommunityView,
) -> Result<u64, FiguresError> {
    let mut rows = insert_volunteers(db, community, view.volunteers.iter())?;
    rows += insert_volunteer_wishes(db, community, view.wishes.iter(), &view.volunteers)?;
    rows += insert_volunteer_services(
        db,
        community,
        view.volunteer_services.iter(),
        &view.volunteers,
    )?;
    Ok(rows)
}

/// Writes the rows of `volunteers` (`fig_volunteers`): each one's kind and the day they
/// registered. Returns how many.
pub(super) fn insert_volunteers<'v>(
    db: &dyn Db,
    community: &str,
    volunteers: impl Iterator<Item = (&'v VolunteerId, &'v Volunteer)>,
) -> Result<u64, FiguresError> {
    let mut rows = 0;
    for (id, volunteer) in volunteers {
        db.execute_later(
            "INSERT INTO fig_volunteers (community, id, kind, registered_day)
             VALUES (?1, ?2, ?3, ?4)",
            params![
                community,
                id.as_bytes().as_slice(),
                volunteer.kind.code(),
                volunteer.registered_on.to_days(),
            ],
        )?;
        rows += 1;
    }
    Ok(rows)
}

/// Gives the rows naming volunteer `id` among `community`'s wishes and records
/// (`fig_volunteer_wishes`, `fig_volunteer_services`) the kind `volunteer` has now, or
/// removes them when the document no longer lists the volunteer (no kind to count
/// under, as [`insert_volunteer_wishes`] has it).
pub(super) fn rekind_volunteer(
    db: &dyn Db,
    community: &str,
    id: &VolunteerId,
    volunteer: Option<&Volunteer>,
) -> Result<(), FiguresError> {
    for table in ["fig_volunteer_wishes", "fig_volunteer_services"] {
        match volunteer {
            Some(volunteer) => db.execute(
                &format!("UPDATE {table} SET kind = ?3 WHERE community = ?1 AND volunteer = ?2"),
                params![community, id.as_bytes().as_slice(), volunteer.kind.code()],
            )?,
            None => db.execute(
                &format!("DELETE FROM {table} WHERE community = ?1 AND volunteer = ?2"),
                params![community, id.as_bytes().as_slice()],
            )?,
        };
    }
    Ok(())
}

/// Writes the rows of volunteers' service records (`fig_volunteer_services`) among
/// `services`; `volunteers` gives each volunteer's kind (a record of a volunteer the
/// document does not list has none, and no row). Returns how many.
pub(super) fn insert_volunteer_services<'s>(
    db: &dyn Db,
    community: &str,
    services: impl Iterator<Item = (&'s VolunteerServiceId, &'s Voidable<VolunteerService>)>,
    volunteers: &BTreeMap<VolunteerId, Volunteer>,
) -> Result<u64, FiguresError> {
    let mut rows = 0;
    for (id, service) in services {
        let record = &service.entity;
        let Some(kind) = volunteers.get(&record.volunteer).map(|v| v.kind) else {
            continue;
        };
        db.execute_later(
            "INSERT INTO fig_volunteer_services (community, id, volunteer, kind, day, minutes,
                 is_voided)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                community,
                id.as_bytes().as_slice(),
                record.volunteer.as_bytes().as_slice(),
                kind.code(),
                record.date.to_days(),
                record.minutes,
                service.is_voided,
            ],
        )?;
        rows += 1;
    }
    Ok(rows)
}

/// Writes the rows of the wishes a volunteer holds (`fig_volunteer_wishes`) among
/// `wishes`; `volunteers` gives each volunteer's kind. Returns how many.
pub(super) fn insert_volunteer_wishes<'w>(
    db: &dyn Db,
    community: &str,
    wishes: impl Iterator<Item = (&'w WishId, &'w WithStatus<Wish, ClaimStatus>)>,
    volunteers: &BTreeMap<VolunteerId, Volunteer>,
) -> Result<u64, FiguresError> {
    let mut rows = 0;
    let kind_of = |id| volunteers.get(id).map(|v| v.kind);
    for (id, wish) in wishes {
        let status = &wish.status;
        let holds = matches!(status.state, ClaimState::Claimed | ClaimState::Fulfilled);
        let Some(Actor::Volunteer(volunteer)) = status.claimant.as_ref().filter(|_| holds) else {
            continue;
        };
        // A claim by a volunteer the document does not list (it was written
        // elsewhere by hand) has no kind to count under.
        let Some(kind) = kind_of(volunteer) else {
            continue;
        };
        db.execute_later(
            "INSERT INTO fig_volunteer_wishes (community, wish, volunteer, kind, state,
                 submitted_day)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                community,
                id.as_bytes().as_slice(),
                volunteer.as_bytes().as_slice(),
                kind.code(),
                status.state.code(),
                wish.entity.submitted_at.date_in_shanghai().to_days(),
            ],
        )?;
        rows += 1;
    }
    Ok(rows)
}

/// The volunteers' figures of `scope` in `period`, read into `figures` when
/// `together` runs; an organisation has none (no statement).
pub(crate) fn volunteer_figures<'a>(
    together: &mut Together<'a>,
    scope: Scope<'_>,
    period: &Period,
    figures: &'a mut VolunteerFigures,
) {
    if scope.org.is_some() {
        return;
    }
    let (low, high) = region_range(scope.region);
    let (first, last) = period.day_bounds();
    let (first, last) = (i64::from(first), i64::from(last));
    let VolunteerFigures {
        registered,
        wishes_claimed,
        wishes_fulfilled,
        service_records,
        service_minutes,
        service_hours,
    } = figures;
    together.add(
        Statement::new(
            "SELECT kind, COUNT(*) FROM fig_volunteers
             WHERE community >= ?1 AND community < ?2 AND registered_day <= ?3
             GROUP BY kind",
            vec![low.clone().into(), high.clone().into(), last.into()],
        ),
        |row| {
            registered.add(&row.get::<String>(0)?, count(row.get(1)?));
            Ok(())
        },
    );
    together.add(
        Statement::new(
            "SELECT kind, COUNT(*), COUNT(*) FILTER (WHERE state = 'fulfilled')
             FROM fig_volunteer_wishes
             WHERE community >= ?1 AND community < ?2 AND submitted_day BETWEEN ?3 AND ?4
             GROUP BY kind",
            vec![
                low.clone().into(),
                high.clone().into(),
                first.into(),
                last.into(),
            ],
        ),
        |row| {
            let kind: String = row.get(0)?;
            wishes_claimed.add(&kind, count(row.get(1)?));
            wishes_fulfilled.add(&kind, count(row.get(2)?));
            Ok(())
        },
    );
    together.add(
        Statement::new(
            "SELECT kind, COUNT(*), SUM(minutes) FROM fig_volunteer_services
             WHERE community >= ?1 AND community < ?2 AND day BETWEEN ?3 AND ?4
               AND is_voided = 0
             GROUP BY kind",
            vec![low.into(), high.into(), first.into(), last.into()],
        ),
        |row| {
            let kind: String = row.get(0)?;
            service_records.add(&kind, count(row.get(1)?));
            service_minutes.add(&kind, count(row.get(2)?));
            *service_hours = hours(service_minutes.total);
            Ok(())
        },
    );
}

fn count(value: Option<i64>) -> u64 {
    value
        .and_then(|value| u64::try_from(value).ok())
        .unwrap_or(0)
}
