//! The figures refresh worker: re-derives the figure rows of communities whose
//! documents changed, off the sync path.
//!
//! Sessions only mark a community dirty ([`Hub::mark_dirty`]); this worker takes the
//! whole dirty set at once, so a burst of changes to one community costs one
//! re-derivation, and a node's change reaches the dashboard within a second while the
//! node does not wait for it. While many nodes sync at once (a city reconnecting) the
//! worker yields the cores to their sessions ([`SYNC_FIRST`]) and catches up after.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use automerge::ChangeHash;
use tokio::sync::watch;
use wishtree_protocol::city::CityDoc;
use wishtree_protocol::frame::DocId;
use wishtree_protocol::view_delta::Derivation;
use wishtree_protocol::{CommunityCode, CommunityDoc, Timestamp};

use crate::figure_store::FigureStore;
use crate::figures::{self, CommunitySync};
use crate::schema::VERSION;
use crate::sql::{Db, DbExt, params};
use crate::state::Hub;
use crate::store::CommunityRecord;

/// Runs until `shutdown` turns true, refreshing dirty communities.
pub async fn refresh_worker(hub: Arc<Hub>, mut shutdown: watch::Receiver<bool>) {
    loop {
        let batch: Vec<CommunityCode> = {
            let mut dirty = hub
                .dirty
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            dirty.drain().collect()
        };
        let seen: Vec<(CommunityCode, Timestamp)> = hub
            .seen
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .drain()
            .collect();
        if !seen.is_empty() {
            let seen_hub = Arc::clone(&hub);
            let recorded =
                tokio::task::spawn_blocking(move || record_seen_batch(&seen_hub, &seen)).await;
            match recorded {
                Ok(Ok(())) => {}
                Ok(Err(error)) => tracing::warn!("cannot record which nodes were seen: {error}"),
                Err(error) => tracing::warn!("recording which nodes were seen failed: {error}"),
            }
        }
        if hub.city_dirty.swap(false, Ordering::SeqCst) {
            let city_hub = Arc::clone(&hub);
            match tokio::task::spawn_blocking(move || refresh_city(&city_hub)).await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => tracing::warn!("the campaigns were not refreshed: {error}"),
                Err(error) => tracing::warn!("refreshing the campaigns failed: {error}"),
            }
        }
        if batch.is_empty() {
            tokio::select! {
                () = hub.dirty_notify.notified() => continue,
                _ = shutdown.changed() => return,
            }
        }
        let worker_hub = Arc::clone(&hub);
        let stopping = shutdown.clone();
        let refreshed = tokio::task::spawn_blocking(move || {
            // One read of the communities' records per batch, not one per community
            // (that was quadratic when every community of a city is dirty at once).
            let records: HashMap<CommunityCode, CommunityRecord> =
                match worker_hub.store().communities() {
                    Ok(records) => records
                        .into_iter()
                        .map(|record| (record.community, record))
                        .collect(),
                    Err(error) => {
                        tracing::warn!("figures were not refreshed: {error}");
                        return;
                    }
                };
            for code in batch {
                // A stopping hub does not finish the batch (it can be every community
                // of the city after a start); the figures are re-derived at the next
                // start anyway.
                if *stopping.borrow() {
                    return;
                }
                let syncs_before = syncing(&worker_hub);
                let started = std::time::Instant::now();
                if let Err(error) = refresh_with(&worker_hub, code, records.get(&code)) {
                    tracing::warn!("figures of community {code} were not refreshed: {error}");
                }
                if syncing(&worker_hub) != syncs_before {
                    // Nodes are syncing: leave them the cores (see SYNC_FIRST).
                    std::thread::sleep((started.elapsed() * SYNC_FIRST).min(LONGEST_YIELD));
                }
            }
        })
        .await;
        if let Err(error) = refreshed {
            tracing::error!("the figures worker failed: {error}");
        }
        if *shutdown.borrow() {
            return;
        }
    }
}

/// While nodes sync, the figures worker rests this many times as long as it worked
/// after each community: it takes at most an eighth of one core from the sessions,
/// whose merges and handshakes a node waits for, and catches up at full speed once
/// they are done. Resting between communities, it holds no lock while it rests (a
/// lower thread priority would let it be preempted inside a transaction, with the
/// store's connection held and the merges waiting behind it).
/// At 3, the first sync of 10,000 nodes took 111.6 and 100.1 s (reconnect bench, two
/// runs); at 7, 95.3 and 83.2 s.
const SYNC_FIRST: u32 = 7;
/// The longest rest after one community, whatever it took.
const LONGEST_YIELD: std::time::Duration = std::time::Duration::from_millis(250);

/// A number that moves whenever a session starts or a merge is stored.
fn syncing(hub: &Hub) -> u64 {
    hub.metrics().sync_sessions_total() + hub.metrics().merges()
}

/// Records in one transaction that these communities' nodes connected: in the store's
/// communities and in the figures' sync health.
fn record_seen_batch(hub: &Hub, seen: &[(CommunityCode, Timestamp)]) -> anyhow::Result<()> {
    // A store of its own (PostgreSQL) is written apart from the figures' file; the
    // figures are then in it too (`data_dir::open_stores`).
    if hub.store().is_shared() {
        for (code, at) in seen {
            hub.store().record_seen(*code, *at)?;
        }
        hub.figures().write(|db| {
            for (code, at) in seen {
                figures::record_seen(db, *code, *at)?;
            }
            Ok::<_, figures::FiguresError>(())
        })?;
        return Ok(());
    }
    hub.local().with_transaction(|transaction| {
        for (code, at) in seen {
            crate::store::record_seen_in(transaction, *code, *at)?;
            figures::record_seen(transaction, *code, *at)?;
        }
        Ok::<_, figures::FiguresError>(())
    })?;
    Ok(())
}

/// Re-derives the figure rows that come from the city document: the campaigns and the
/// directory of units with their declared members; and, as a designation may have
/// moved a street's records from one community to another, the rows of every host and
/// of every community whose rows were last derived as a host.
///
/// A host's derivation replaces all of its street's rows, whoever's records they were;
/// a former host's derivation takes the street out of what its rows were derived from
/// (`DerivedFrom`), so that if the designation comes back to it, its rows are derived
/// whole again and its street records are written again. A street whose host the hub
/// holds no document of keeps no rows: they would be a former host's records.
pub fn refresh_city(hub: &Hub) -> anyhow::Result<()> {
    // Held from before the city document is read, as a community's (`refresh_with`).
    let deriving = hub.figures().lock_derivations()?;
    let automerge = hub.snapshot(DocId::City)?;
    // A district hub that has not received the city document yet has nothing to derive.
    if automerge.clone().get_heads().is_empty() {
        return Ok(());
    }
    let city = CityDoc::from_automerge(automerge, None, [0; 16])?.view()?;
    // A host the hub holds no document of yet has nothing to re-derive.
    let mut hosts = BTreeSet::new();
    // The codes the street rows of those hosts are filed under.
    let mut hosted = BTreeSet::new();
    for (street, host) in &city.street_hosts {
        if hub
            .store()
            .doc_bytes(crate::store::StoredDoc::Community(*host))?
            .is_some()
        {
            hosts.insert(*host);
            hosted.insert(street.own_records().as_str().to_owned());
        }
    }
    let former = hub.figures().write(|db| {
        figures::refresh_campaigns(db, &city)?;
        figures::refresh_directory(db, &city)?;
        for filed in super::derive::filed_street_codes(db)? {
            if !hosted.contains(&filed) {
                super::derive::forget_street_rows(db, &filed)?;
            }
        }
        derived_as_hosts(db)
    })?;
    drop(deriving);
    for code in former.iter().filter(|code| !hosts.contains(code)) {
        refresh_one(hub, *code)?;
    }
    for host in &hosts {
        refresh_one(hub, *host)?;
    }
    Ok(())
}

/// The communities whose rows were last derived while they hosted their street.
fn derived_as_hosts(db: &dyn Db) -> Result<Vec<CommunityCode>, figures::FiguresError> {
    let codes = db.query_map(
        "SELECT community FROM fig_derived_from WHERE hosts_street = 1",
        params![],
        |row| row.get::<String>(0),
    )?;
    // A code that does not read back is no community the hub derives.
    Ok(codes.iter().filter_map(|code| code.parse().ok()).collect())
}

/// Whether the city document the hub holds names `code` the host of its street.
fn hosts_street(hub: &Hub, code: CommunityCode) -> anyhow::Result<bool> {
    let automerge = hub.snapshot(DocId::City)?;
    if automerge.clone().get_heads().is_empty() {
        return Ok(false);
    }
    let city = CityDoc::from_automerge(automerge, None, [0; 16])?;
    Ok(city.street_host_of(&code)?.check(&code).is_ok())
}

/// Re-derives one community's figure rows from the hub's copy of its document.
pub fn refresh_one(hub: &Hub, code: CommunityCode) -> anyhow::Result<()> {
    let record = hub
        .store()
        .communities()?
        .into_iter()
        .find(|record| record.community == code);
    refresh_with(hub, code, record.as_ref())
}

/// Re-derives one community's figure rows, given its record in the store.
fn refresh_with(
    hub: &Hub,
    code: CommunityCode,
    record: Option<&CommunityRecord>,
) -> anyhow::Result<()> {
    let store = hub.store();
    let last_seen_at = record.and_then(|record| record.last_seen_at);
    let changed_at = record.and_then(|record| record.last_change_at);
    // On figures the hub's processes share, the community's lock is held from before
    // the document is read to the last write: a process that derived while this one
    // waited read no more of the document than this one reads now, so the rows never
    // go back to an older state of it.
    let _deriving = hub.figures().lock_derivations()?;
    let automerge = hub.snapshot(DocId::Community(code))?;
    // A node that connected but has sent nothing yet has no document at the hub:
    // it is counted as seen, with no rows.
    if automerge.clone().get_heads().is_empty() {
        if let Some(at) = last_seen_at {
            hub.figures()
                .write(|db| figures::record_seen(db, code, at))?;
        }
        return Ok(());
    }
    let mut doc = CommunityDoc::from_automerge(automerge, Some(code), [0; 16])?;
    let signed = store.attestation(code)?;
    let signer_revoked = match &signed {
        Some(signed) => store
            .enrollment(&signed.signer)?
            .is_some_and(|enrollment| enrollment.revoked.is_some()),
        None => false,
    };
    let attested: Vec<_> = signed.map(|signed| signed.heads).unwrap_or_default();
    let mut sync = CommunitySync::measure(&mut doc, &attested, last_seen_at, changed_at);
    sync.signer_revoked = signer_revoked;
    let seals = crate::seals::tally(store.as_ref(), &mut doc)?;
    sync.seals = seals.seals;
    sync.seals_failed = seals.failed;
    sync.hosts_street = hosts_street(hub, code)?;
    // The rows were derived from these heads (kept in memory, and in the local store
    // with the rows, for after a restart): the change since is read entity by entity.
    // The entry is taken out while the rows are rewritten, and put back only once they
    // are; the stored one is written in the transaction that writes the rows.
    //
    // On figures other processes derive into too, what the rows were derived from is
    // read from the tables, never from memory: another process may have moved them on.
    let mut derived_from = hub
        .derived_from
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let remembered = derived_from.remove(&code);
    let previous = match remembered {
        Some(previous) if !hub.figures().is_shared() => Some(previous),
        _ => stored_derived_from(hub.figures(), code)?,
    };
    let before = previous
        .filter(|previous| previous.hosts_street == sync.hosts_street)
        .map(|previous| previous.heads)
        .unwrap_or_default();
    let now_from = DerivedFrom {
        heads: doc.heads(),
        hosts_street: sync.hosts_street,
    };
    let started = std::time::Instant::now();
    let view = match Derivation::since(&mut doc, &before)? {
        Derivation::Entities(delta) => {
            hub.figures().write(|db| {
                figures::rederive_entities(db, code, &delta, &sync)?;
                // A new or edited member's unit row; with seals, the report-back rows
                // are all derived again below.
                if sync.seals == 0 {
                    figures::rewrite_unit_members(db, code, &delta)?;
                }
                store_derived_from(db, code, Some(&now_from))
            })?;
            hub.metrics().observe_figure_refresh(started.elapsed());
            derived_from.insert(code, now_from);
            None
        }
        Derivation::Whole { view, reason } => {
            tracing::debug!("figures of community {code} derived whole: {reason:?}");
            hub.metrics().figure_refreshed_whole();
            // Rows derived with entities that could not be read are derived whole next
            // time: one of them may be read again by then.
            let kept = view.malformed.is_empty().then_some(&now_from);
            hub.figures().write(|db| {
                figures::rederive_community(db, code, &view, &sync)?;
                store_derived_from(db, code, kept)
            })?;
            hub.metrics().observe_figure_refresh(started.elapsed());
            if kept.is_some() {
                derived_from.insert(code, now_from);
            }
            Some(view)
        }
    };
    drop(derived_from);
    // The report-back rows read the members and their organisations, whose rows a
    // change followed entity by entity rewrites (a new or edited member's, above), and
    // the sealed half-years, whose reports compare with every record now: without
    // seals, such a change leaves them as they are; with seals they are derived from
    // the whole view.
    let view = match view {
        Some(view) => view,
        None if sync.seals == 0 => return Ok(()),
        None => Box::new(wishtree_protocol::view::CommunityView::derive(&doc)?),
    };
    // The seals' signers are asked of the roster before the local transaction opens;
    // the reports then trust exactly those.
    let enrolled = crate::seals::enrolled_signers(store.as_ref(), &mut doc)?;
    hub.figures().write(|db| {
        figures::rederive_unit_reports(db, &mut doc, &view, |key| enrolled.contains(key))
    })?;
    Ok(())
}

/// What a community's figure rows were last derived from: the document's heads, and
/// whether the community hosted its street then (a change of host moves rows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DerivedFrom {
    heads: Vec<ChangeHash>,
    hosts_street: bool,
}

/// What the local store says `code`'s rows were derived from, if they were derived
/// whole or by entity under this schema version and are not marked for a whole
/// re-derivation (a schema step that changes what rows hold marks them).
fn stored_derived_from(
    figures: &FigureStore,
    code: CommunityCode,
) -> anyhow::Result<Option<DerivedFrom>> {
    let found = figures.read(|db| {
        db.query_opt(
            "SELECT d.heads, d.hosts_street FROM fig_derived_from d
             JOIN fig_communities c ON c.code = d.community
             WHERE d.community = ?1 AND d.version = ?2 AND c.is_derived = 1",
            params![code.as_str(), VERSION],
            |row| Ok((row.get::<Vec<u8>>(0)?, row.get::<bool>(1)?)),
        )
    })?;
    let Some((bytes, hosts_street)) = found else {
        return Ok(None);
    };
    // Heads that do not read back are forgotten: the rows are then derived whole.
    let heads: Option<Vec<ChangeHash>> = bytes
        .chunks(32)
        .map(|hash| ChangeHash::try_from(hash).ok())
        .collect();
    Ok(heads.map(|heads| DerivedFrom {
        heads,
        hosts_street,
    }))
}

/// Records (or, with `None`, forgets) what `code`'s rows were derived from, in the
/// transaction that wrote them when it can.
fn store_derived_from(
    db: &dyn Db,
    code: CommunityCode,
    from: Option<&DerivedFrom>,
) -> Result<(), figures::FiguresError> {
    match from {
        Some(from) => {
            let heads: Vec<u8> = from.heads.iter().flat_map(|head| head.0).collect();
            db.execute_later(
                "INSERT INTO fig_derived_from (community, heads, hosts_street, version)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (community) DO UPDATE SET heads = excluded.heads,
                     hosts_street = excluded.hosts_street, version = excluded.version",
                params![code.as_str(), heads, from.hosts_street, VERSION],
            )?;
        }
        None => {
            db.execute_later(
                "DELETE FROM fig_derived_from WHERE community = ?1",
                params![code.as_str()],
            )?;
        }
    }
    Ok(())
}
