//! Re-deriving a community entity by entity: only the rows of the entities a change
//! touched ([`EntityDelta`]) are removed and written again (with the rows beside them
//! that read them: a wish's market and volunteer rows, an activity's participations
//! and offer, a project's units, credits and offer, a post's seats and offer; a
//! volunteer's service record has its one row, and so has an organisation reporting
//! in or edited (under the street's code too, at its host); a member reporting in or
//! edited has theirs with their
//! places in a branch or team, a volunteer registered or edited theirs), and the rows
//! of other entities naming a touched member or volunteer are given the member's
//! organisation or the volunteer's kind as they are now (`rekey_member`,
//! `volunteers::rekind_volunteer`: the rows say whom they name, so they are found here
//! rather than by reading every record of the document again); the rollups are shifted
//! by the difference between the rows removed and written
//! (`rollups::shift_by_difference`), instead of every row of the community rewritten
//! and regrouped. The result equals [`super::rederive_community`]'s, row for row
//! (`hub/tests/figures_by_entity.rs` checks it after random changes).

use std::collections::{BTreeMap, BTreeSet};

use wishtree_protocol::id::MemberId;
use wishtree_protocol::view_delta::EntityDelta;
use wishtree_protocol::{CommunityCode, Date, HalfYear};

use super::FiguresError;
use super::derive::{CommunitySync, Rederived, write_community_row};
use super::entity_rows::{
    RowContext, StreetRows, insert_activities, insert_group_members, insert_members, insert_orgs,
    insert_pairings, insert_participations, insert_points, insert_projects, insert_services,
    insert_wishes,
};
use super::rollups::{prepare_delta_tables, shift_by_difference};
use crate::sql::{Db, DbExt, params};

/// Rewrites the rows of the entities `delta` touched, in the caller's transaction, and
/// shifts the rollups by the difference. The caller must know that the community's
/// rows were derived from the heads `delta` starts at, with no entity that could not
/// be read; otherwise it re-derives the whole community.
pub fn rederive_entities(
    db: &dyn Db,
    code: CommunityCode,
    delta: &EntityDelta,
    sync: &CommunitySync,
) -> Result<Rederived, FiguresError> {
    if delta.community.code != code {
        return Err(FiguresError::WrongCommunity {
            expected: code,
            found: delta.community.code,
        });
    }
    let community = code.as_str();
    prepare_delta_tables(db)?;
    let touched = &delta.touched;
    let wishes = ids(&touched.wishes);
    let activities = ids(&touched.activities);
    let projects = ids(&touched.projects);
    let posts = ids(&touched.posts);
    let volunteer_services = ids(&touched.volunteer_services);
    let members = ids(&touched.members);
    let keys: [(&str, &str, &[Vec<u8>]); 9] = [
        ("fig_members", "id", &members),
        ("fig_pairings", "id", &ids(&touched.pairings)),
        ("fig_wishes", "id", &wishes),
        ("fig_projects", "id", &projects),
        ("fig_project_credits", "project", &projects),
        ("fig_activities", "id", &activities),
        ("fig_participations", "activity", &activities),
        ("fig_services", "id", &ids(&touched.services)),
        ("fig_points", "id", &ids(&touched.passbook)),
    ];
    // The old rows of the rollups' tables are kept aside for the difference (in the
    // temporary tables `rollups::DELTA_TABLES` says).
    for (table, key, values) in &keys {
        let keep = format!(
            "INSERT INTO old_{table} SELECT * FROM {table}
             WHERE community = ?1 AND {key} = ?2"
        );
        let delete = format!("DELETE FROM {table} WHERE community = ?1 AND {key} = ?2");
        for value in values.iter() {
            db.execute_later(&keep, params![community, value])?;
            db.execute_later(&delete, params![community, value])?;
        }
    }
    let context = RowContext::new(community, &delta.orgs, &delta.members, &delta.rounds);
    // The rows of entities the change did not touch that name a touched member carry
    // the member's organisation: kept aside and given the new one, where it moved.
    for member in &touched.members {
        rekey_member(db, community, member, context.member_org.get(member))?;
    }
    // The rows beside them that no rollup sums.
    for (table, key, values) in [
        ("fig_volunteers", "id", &ids(&touched.volunteers)),
        ("fig_group_members", "member", &members),
        ("fig_orgs", "id", &ids(&touched.orgs)),
        ("fig_volunteer_wishes", "wish", &wishes),
        ("fig_market_wishes", "id", &wishes),
        ("fig_project_units", "project", &projects),
        ("fig_volunteer_services", "id", &volunteer_services),
        ("fig_posts", "id", &posts),
        ("fig_post_holders", "post", &posts),
    ] {
        let delete = format!("DELETE FROM {table} WHERE community = ?1 AND {key} = ?2");
        for value in values {
            db.execute_later(&delete, params![community, value])?;
        }
    }
    for (kind, values) in [
        (super::OfferKind::Activity, &activities),
        (super::OfferKind::Project, &projects),
        (super::OfferKind::Post, &posts),
    ] {
        for value in values {
            db.execute_later(
                "DELETE FROM fig_market_offers WHERE community = ?1 AND kind = ?2 AND id = ?3",
                params![community, kind.code(), value],
            )?;
        }
    }

    // An edited organisation's report-in to the street, at its host, is filed under the
    // street's code.
    let street = StreetRows::of(code, sync.hosts_street);
    if let Some(filed) = street.filed() {
        for org in ids(&touched.orgs) {
            db.execute_later(
                "DELETE FROM fig_orgs WHERE community = ?1 AND id = ?2",
                params![filed, org],
            )?;
        }
    }
    // `view_delta` follows no street's pairing or project: every other row here is
    // filed under the community's own code, whose rollups are shifted below.
    // A touched member's own rows are theirs in `fig_members` and their places in the
    // groups the delta read (a group's own row stands: a followed change touches none);
    // the rows naming them were given their organisation above. A touched
    // organisation's is its `fig_orgs` row: `view_delta` follows one only while its
    // citywide id is its key, the same as at the earlier heads, and no other key's, so
    // no other row reads what changed.
    let new_members = || {
        touched
            .members
            .iter()
            .filter_map(|id| Some((id, delta.members.get(id)?)))
    };
    let mut rows = insert_members(db, &context, new_members())?;
    rows += insert_group_members(db, &context, new_members(), &delta.branches, &delta.teams)?;
    rows += insert_orgs(
        db,
        community,
        &street,
        touched.orgs.iter().filter_map(|id| delta.orgs.get(id)),
    )?;
    rows += insert_pairings(db, &context, &street, delta.pairings.iter())?;
    rows += insert_wishes(db, &context, delta.wishes.iter())?;
    rows += insert_projects(db, &context, &street, delta.projects.iter())?;
    rows += insert_activities(db, &context, delta.activities.iter())?;
    rows += insert_participations(
        db,
        &context,
        delta.participations.iter().copied(),
        &delta.activities,
    )?;
    rows += insert_services(db, &context, delta.services.iter())?;
    rows += insert_points(db, &context, delta.passbook.iter())?;
    rows += super::volunteers::insert_volunteer_wishes(
        db,
        community,
        delta.wishes.iter(),
        &delta.volunteers,
    )?;
    // A touched volunteer's row, and their kind on the rows naming them.
    rows += super::volunteers::insert_volunteers(
        db,
        community,
        touched
            .volunteers
            .iter()
            .filter_map(|id| Some((id, delta.volunteers.get(id)?))),
    )?;
    for id in &touched.volunteers {
        super::volunteers::rekind_volunteer(db, community, id, delta.volunteers.get(id))?;
    }
    rows += super::volunteers::insert_volunteer_services(
        db,
        community,
        delta.volunteer_services.iter(),
        &delta.volunteers,
    )?;
    let resolve = |org| context.resolve(org);
    rows += super::posts::insert_posts(
        db,
        community,
        delta.posts.iter(),
        &context.member_org,
        &resolve,
    )?;
    super::market::insert_market_wishes(db, community, delta.wishes.iter())?;
    super::offers::insert_activity_offers(db, community, delta.activities.iter())?;
    super::offers::insert_project_offers(db, community, delta.projects.iter())?;
    super::offers::insert_post_offers(db, community, delta.posts.iter())?;
    for (table, key, values) in &keys {
        let keep = format!(
            "INSERT INTO new_{table} SELECT * FROM {table}
             WHERE community = ?1 AND {key} = ?2"
        );
        for value in values.iter() {
            db.execute_later(&keep, params![community, value])?;
        }
    }

    rows += rewrite_member_points(db, community)?;
    write_community_row(db, code, &delta.community.name, 0, sync)?;
    shift_by_difference(db, community)?;
    // The days the community's wishes waited are counted again from its wish rows
    // (a few dozen), when a wish was touched.
    if !wishes.is_empty() {
        super::wait_days::rebuild_wait_days(db, community)?;
    }
    Ok(Rederived { rows })
}

/// The rows that name a member and carry their organisation (its citywide id): the
/// table, the member's column and the organisation's.
const MEMBER_ORG_COLUMNS: [(&str, &str, &str); 4] = [
    ("fig_wishes", "claimant_member", "credited_org"),
    ("fig_participations", "member", "member_org"),
    ("fig_services", "member", "member_org"),
    ("fig_points", "member", "member_org"),
];

/// Gives the rows naming `member` ([`MEMBER_ORG_COLUMNS`]) the organisation `org` the
/// member has now, when the member's own row (kept aside in `old_fig_members`) had
/// another; the rows changed are kept aside before and after, for the rollups'
/// difference. The touched entities' rows were removed already, so these are the
/// others'. A member with no row was not in the document the rows were derived from:
/// no row names them yet (any record naming them came after them, in the change).
fn rekey_member(
    db: &dyn Db,
    community: &str,
    member: &MemberId,
    org: Option<&wishtree_protocol::id::OrgId>,
) -> Result<(), FiguresError> {
    let id = member.as_bytes().as_slice();
    let had: Option<Option<Vec<u8>>> = db.query_opt(
        "SELECT org FROM old_fig_members WHERE id = ?1",
        params![id],
        |row| row.get(0),
    )?;
    let now = org.map(|org| org.as_bytes().to_vec());
    match had {
        None => return Ok(()),
        Some(had) if had == now => return Ok(()),
        Some(_) => {}
    }
    for (table, member_column, org_column) in MEMBER_ORG_COLUMNS {
        let rows = format!("SELECT * FROM {table} WHERE community = ?1 AND {member_column} = ?2");
        db.execute_later(
            &format!("INSERT INTO old_{table} {rows}"),
            params![community, id],
        )?;
        db.execute_later(
            &format!(
                "UPDATE {table} SET {org_column} = ?3 WHERE community = ?1 AND {member_column} = ?2"
            ),
            params![community, id, now.clone()],
        )?;
        db.execute_later(
            &format!("INSERT INTO new_{table} {rows}"),
            params![community, id],
        )?;
    }
    Ok(())
}

/// Sums again the points per half-year (`fig_member_points`) of the members whose
/// passbook rows were removed or written, from their rows as they now are: the
/// entries earned, not voided, of some points (as `wishtree_protocol::ranking` sums
/// them).
fn rewrite_member_points(db: &dyn Db, community: &str) -> Result<u64, FiguresError> {
    let mut members: BTreeSet<Vec<u8>> = BTreeSet::new();
    for side in ["old", "new"] {
        db.for_each(
            &format!("SELECT DISTINCT member FROM {side}_fig_points"),
            params![],
            |row| {
                members.insert(row.get(0)?);
                Ok(())
            },
        )?;
    }
    let mut rows = 0;
    for member in members {
        db.execute_later(
            "DELETE FROM fig_member_points WHERE community = ?1 AND member = ?2",
            params![community, member],
        )?;
        let mut by_half_year: BTreeMap<HalfYear, i64> = BTreeMap::new();
        db.for_each(
            "SELECT day, points FROM fig_points
             WHERE community = ?1 AND member = ?2 AND kind = 'earn' AND is_voided = 0
                 AND points > 0",
            params![community, member],
            |row| {
                let day: i32 = row.get(0)?;
                let points: i64 = row.get(1)?;
                *by_half_year
                    .entry(Date::from_days(day).half_year())
                    .or_insert(0) += points;
                Ok(())
            },
        )?;
        for (period, points) in by_half_year {
            db.execute_later(
                "INSERT INTO fig_member_points (community, member, period, points)
                 VALUES (?1, ?2, ?3, ?4)",
                params![community, member, period.to_string(), points],
            )?;
            rows += 1;
        }
    }
    Ok(rows)
}

fn ids<I: AsIdBytes>(set: &BTreeSet<I>) -> Vec<Vec<u8>> {
    set.iter().map(|id| id.id_bytes()).collect()
}

/// The bytes an id is stored as in the figure rows.
trait AsIdBytes {
    fn id_bytes(&self) -> Vec<u8>;
}

macro_rules! as_id_bytes {
    ($($id:ty),*) => {
        $(impl AsIdBytes for $id {
            fn id_bytes(&self) -> Vec<u8> {
                self.as_bytes().to_vec()
            }
        })*
    };
}

as_id_bytes!(
    wishtree_protocol::id::WishId,
    wishtree_protocol::id::ActivityId,
    wishtree_protocol::id::ServiceId,
    wishtree_protocol::id::PointsEntryId,
    wishtree_protocol::id::PairingId,
    wishtree_protocol::id::ProjectId,
    wishtree_protocol::id::VolunteerServiceId,
    wishtree_protocol::id::PostId,
    wishtree_protocol::id::OrgId,
    wishtree_protocol::id::VolunteerId,
    MemberId
);
