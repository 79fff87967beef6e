//! Re-deriving a community's figure rows from the view of its document, in one
//! transaction, each time the document changes at the hub.

use std::time::Instant;

use automerge::ChangeHash;
use wishtree_protocol::id::OrgId;
use wishtree_protocol::view::CommunityView;
use wishtree_protocol::{CommunityCode, CommunityDoc, RegionLevel, Timestamp};

use super::FiguresError;
use super::entity_rows::{
    RowContext, StreetRows, insert_activities, insert_group_members, insert_members, insert_orgs,
    insert_pairings, insert_participations, insert_points, insert_projects, insert_services,
    insert_wishes,
};
use super::rollups::{rebuild_rollups, shift_district_days};
use crate::metrics::Metrics;
use crate::sql::{Db, DbExt, params};
use crate::store::SqliteStore;

/// What the hub store knows about a community's document beyond its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CommunitySync {
    /// When the community's node was last seen; `None` keeps what the tables hold
    /// (a document that arrived on a USB stick says nothing about the node).
    pub last_seen_at: Option<Timestamp>,
    /// When the document changed at the hub (now, usually).
    pub changed_at: Option<Timestamp>,
    /// Changes in the hub's copy of the document.
    pub changes: u64,
    /// Of those, the changes covered by the node's latest verified signed heads.
    pub attested_changes: u64,
    /// Those signed heads were made by a key revoked since: the data is kept, flagged.
    pub signer_revoked: bool,
    /// Half-years the community sealed.
    pub seals: u64,
    /// Of those, seals that do not hold (see [`crate::seals`]).
    pub seals_failed: u64,
    /// The city names this community the host of its street, so its street-level
    /// records count (as the street's); any other community's are ignored.
    pub hosts_street: bool,
}

/// What a re-derivation wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rederived {
    /// Raw rows written (members, orgs, pairings, wishes, projects, activities,
    /// participations, service records and passbook entries).
    pub rows: u64,
}

impl CommunitySync {
    /// Counts the changes of a document and those covered by attested heads (the
    /// heads of the community's latest verified [`wishtree_protocol::attest::SignedHeads`]).
    /// Heads the document does not hold yet cover nothing.
    pub fn measure(
        doc: &mut CommunityDoc,
        attested_heads: &[ChangeHash],
        last_seen_at: Option<Timestamp>,
        changed_at: Option<Timestamp>,
    ) -> Self {
        let automerge = doc.automerge_mut();
        let changes = automerge.get_changes_meta(&[]).len() as u64;
        let known: Vec<ChangeHash> = attested_heads
            .iter()
            .copied()
            .filter(|head| automerge.get_change_meta_by_hash(head).is_some())
            .collect();
        // Changes not below the attested heads are the unattested ones.
        let attested_changes = if known.is_empty() {
            0
        } else {
            changes.saturating_sub(automerge.get_changes_meta(&known).len() as u64)
        };
        Self {
            last_seen_at,
            changed_at,
            changes,
            attested_changes,
            signer_revoked: false,
            seals: 0,
            seals_failed: 0,
            hosts_street: false,
        }
    }
}

/// The raw figure tables: one row per entity of a community (and per member and
/// half-year with points, `fig_member_points`), each keyed by `community` (the rollups
/// `fig_months` and `fig_org_months` are built from them).
pub const RAW_TABLES: [&str; 19] = [
    "fig_members",
    "fig_orgs",
    "fig_pairings",
    "fig_wishes",
    "fig_projects",
    "fig_project_units",
    "fig_project_credits",
    "fig_activities",
    "fig_participations",
    "fig_services",
    "fig_points",
    "fig_member_points",
    "fig_volunteers",
    "fig_volunteer_wishes",
    "fig_volunteer_services",
    "fig_posts",
    "fig_post_holders",
    "fig_groups",
    "fig_group_members",
];

/// Replaces every figure row of `code` by rows derived from `view`, and rebuilds the
/// community's rollups, inside the caller's transaction. Nothing personal is copied:
/// ids, days, states, minutes and points, organisation names and credit codes, and
/// the community's name.
pub fn rederive_community(
    db: &dyn Db,
    code: CommunityCode,
    view: &CommunityView,
    sync: &CommunitySync,
) -> Result<Rederived, FiguresError> {
    if view.community.code != code {
        return Err(FiguresError::WrongCommunity {
            expected: code,
            found: view.community.code,
        });
    }
    let community = code.as_str();
    // The street's own records, when this community hosts them, are filed apart
    // (`StreetRows`); the host's re-derivation replaces them as its own.
    let street = StreetRows::of(code, sync.hosts_street);
    // The district's days hold this community's old rows until they are taken out;
    // `rebuild_rollups` puts the new ones in.
    for filed in std::iter::once(community).chain(street.filed()) {
        delete_filed(db, filed)?;
    }

    let context = RowContext::new(community, &view.orgs, &view.members, &view.rounds);
    let resolve = |org: OrgId| context.resolve(org);
    let member_org = &context.member_org;
    let mut rows = 0u64;

    rows += insert_members(db, &context, view.members.iter())?;
    rows += insert_group_members(
        db,
        &context,
        view.members.iter(),
        &view.branches,
        &view.teams,
    )?;
    rows += insert_orgs(db, community, &street, view.orgs.values())?;
    rows += insert_pairings(db, &context, &street, view.pairings.iter())?;
    rows += insert_wishes(db, &context, view.wishes.iter())?;
    rows += insert_projects(db, &context, &street, view.projects.iter())?;
    rows += insert_activities(db, &context, view.activities.iter())?;
    rows += insert_participations(db, &context, view.participations(), &view.activities)?;
    rows += insert_services(db, &context, view.services.iter())?;
    rows += insert_points(db, &context, view.passbook.iter())?;

    rows += super::points::insert_rows(db, code, view)?;
    rows += super::volunteers::insert_rows(db, community, view)?;
    rows += super::posts::insert_rows(db, community, view, member_org, &resolve)?;

    write_community_row(db, code, &view.community.name, view.malformed.len(), sync)?;

    for filed in std::iter::once(community).chain(street.filed()) {
        rebuild_rollups(db, filed)?;
    }
    // The market's rows are not figures: not counted in `rows`.
    super::market::rederive_market(db, community, view)?;
    Ok(Rederived { rows })
}

/// Takes every raw row filed under `filed` (a community's code, or a street's padded
/// with `000`) out of the tables and out of its district's days; the caller rebuilds
/// the rollups of `filed` once the new rows, if any, are in.
fn delete_filed(db: &dyn Db, filed: &str) -> Result<(), FiguresError> {
    shift_district_days(db, filed, -1)?;
    for table in RAW_TABLES {
        db.execute_later(
            &format!("DELETE FROM {table} WHERE community = ?1"),
            params![filed],
        )?;
    }
    Ok(())
}

/// The codes the hub holds street rows under (`StreetRows`): one per street whose
/// host's records were derived, the street's code padded with `000`. A street-level
/// record is a unit reported in to the street, a pairing or a project, the three kinds
/// of row with a `street`; the rest of a project's rows are filed with it.
pub(super) fn filed_street_codes(db: &dyn Db) -> Result<Vec<String>, FiguresError> {
    Ok(db.query_map(
        "SELECT community FROM fig_orgs WHERE street IS NOT NULL
         UNION SELECT community FROM fig_pairings WHERE street IS NOT NULL
         UNION SELECT community FROM fig_projects WHERE street IS NOT NULL",
        params![],
        |row| row.get::<String>(0),
    )?)
}

/// Removes a street's own rows (`filed`, its code padded with `000`) and their rollups,
/// when no community the hub derives hosts the street any more: the city moved the
/// designation to a community whose document is not at the hub yet. Its rows come back
/// with that host's first derivation.
pub(super) fn forget_street_rows(db: &dyn Db, filed: &str) -> Result<(), FiguresError> {
    delete_filed(db, filed)?;
    rebuild_rollups(db, filed)?;
    Ok(())
}

/// Writes the community's own row (`fig_communities`): its name, its sync health and
/// how many of its entities could not be read.
pub(super) fn write_community_row(
    db: &dyn Db,
    code: CommunityCode,
    name: &str,
    malformed: usize,
    sync: &CommunitySync,
) -> Result<(), FiguresError> {
    // The later of the two times either may lack, as a `CASE`: SQLite's scalar `MAX`
    // is PostgreSQL's `GREATEST`, and neither database knows the other's.
    db.execute_later(
        "INSERT INTO fig_communities (code, name, district, street, last_seen_at,
                 last_change_at, changes, attested_changes, malformed, is_derived,
                 signer_revoked, seals, seals_failed)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1, ?10, ?11, ?12)
             ON CONFLICT (code) DO UPDATE SET
                 name = excluded.name,
                 last_seen_at = CASE
                     WHEN fig_communities.last_seen_at IS NULL
                         OR excluded.last_seen_at > fig_communities.last_seen_at
                     THEN excluded.last_seen_at
                     ELSE fig_communities.last_seen_at END,
                 last_change_at = COALESCE(excluded.last_change_at, fig_communities.last_change_at),
                 changes = excluded.changes,
                 attested_changes = excluded.attested_changes,
                 malformed = excluded.malformed,
                 is_derived = 1,
                 signer_revoked = excluded.signer_revoked,
                 seals = excluded.seals,
                 seals_failed = excluded.seals_failed",
        params![
            code.as_str(),
            name,
            code.region(RegionLevel::District).as_str(),
            code.region(RegionLevel::Street).as_str(),
            sync.last_seen_at.map(Timestamp::as_millis),
            sync.changed_at.map(Timestamp::as_millis),
            sync.changes as i64,
            sync.attested_changes.min(sync.changes) as i64,
            malformed as i64,
            sync.signer_revoked,
            sync.seals as i64,
            sync.seals_failed as i64,
        ],
    )?;
    Ok(())
}

/// Notes that a community's node connected at `at` without changing its document.
/// A community the hub holds no document of yet counts from now on, named by its code.
pub fn record_seen(db: &dyn Db, code: CommunityCode, at: Timestamp) -> Result<(), FiguresError> {
    db.execute_later(
        "INSERT INTO fig_communities (code, name, district, street, last_seen_at)
         VALUES (?1, '', ?2, ?3, ?4)
         ON CONFLICT (code) DO UPDATE SET
             last_seen_at = CASE
                 WHEN fig_communities.last_seen_at > excluded.last_seen_at
                 THEN fig_communities.last_seen_at
                 ELSE excluded.last_seen_at END",
        params![
            code.as_str(),
            code.region(RegionLevel::District).as_str(),
            code.region(RegionLevel::Street).as_str(),
            at.as_millis(),
        ],
    )?;
    Ok(())
}

/// Names a district or street (a community's name comes from its document). An empty
/// name removes it, and the dashboard shows the code.
pub fn set_region_name(
    db: &dyn Db,
    prefix: &wishtree_protocol::RegionPrefix,
    name: &str,
) -> Result<(), FiguresError> {
    let name = name.trim();
    if name.is_empty() {
        db.execute_later(
            "DELETE FROM fig_region_names WHERE prefix = ?1",
            params![prefix.as_str()],
        )?;
    } else {
        db.execute_later(
            "INSERT INTO fig_region_names (prefix, name) VALUES (?1, ?2)
             ON CONFLICT (prefix) DO UPDATE SET name = excluded.name",
            params![prefix.as_str(), name],
        )?;
    }
    Ok(())
}

/// The one call for the hub's sync side after a community's document changed:
/// derives the view, re-derives the community's rows in one transaction of the
/// store, and records how long it took as the figure refresh latency.
pub fn refresh_community(
    store: &SqliteStore,
    doc: &CommunityDoc,
    sync: &CommunitySync,
    metrics: &Metrics,
) -> Result<Rederived, FiguresError> {
    let started = Instant::now();
    let view = CommunityView::derive(doc)?;
    refresh_community_view(store, doc.code(), &view, sync, metrics, started)
}

/// As [`refresh_community`], from a view the caller derived (the figures worker derives
/// it once for the figures and the report-back rows); `started` is when the work began,
/// for the refresh metric.
pub fn refresh_community_view(
    store: &SqliteStore,
    code: CommunityCode,
    view: &CommunityView,
    sync: &CommunitySync,
    metrics: &Metrics,
    started: Instant,
) -> Result<Rederived, FiguresError> {
    let rederived =
        store.with_transaction(|transaction| rederive_community(transaction, code, view, sync))?;
    metrics.observe_figure_refresh(started.elapsed());
    Ok(rederived)
}

/// Rebuilds one community's rollups from its raw rows, in the caller's transaction.
/// [`rederive_community`] does this itself; this is for rows written some other way
/// (a bulk load). The raw rows are added to the district's days
/// (`fig_district_days`): a community whose rows are replaced some other way must have
/// had none before, or be re-derived instead.
pub fn rebuild_community_rollups(db: &dyn Db, code: CommunityCode) -> Result<(), FiguresError> {
    rebuild_rollups(db, code.as_str())?;
    Ok(())
}
