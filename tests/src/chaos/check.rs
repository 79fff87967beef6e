//! The checker, run once everything is healed: the replicas converge (and how long
//! that takes), every acknowledged write is on its node and at every hub above it,
//! no write was applied twice, the hubs' signed heads verify, the hubs' figures are
//! the figures derived afresh from their documents, and no log says a process
//! panicked.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;
use automerge::AutoCommit;
use wishtree_hub::figures::{CommunitySync, RAW_TABLES, rederive_community};
use wishtree_hub::store::{HubStore, SqliteStore, StoredDoc};
use wishtree_protocol::CommunityCode;
use wishtree_protocol::doc::CommunityDoc;
use wishtree_protocol::view::CommunityView;
use wishtree_testkit::socket::get_json;

use super::cluster::Cluster;
use super::schedule::Proc;
use super::writer::Ack;

/// How often convergence is looked at.
const POLL: Duration = Duration::from_millis(250);
/// The rollups beside the raw tables ([`RAW_TABLES`]), compared row by row too.
const ROLLUP_TABLES: [&str; 2] = ["fig_months", "fig_org_months"];
/// What a log line says when a process panicked, or (should a binary ever log it) that
/// something was applied twice.
const BAD_LOG_LINES: [&str; 2] = ["panicked", "applied twice"];

/// The hubs' stores, opened beside the running hubs (SQLite in WAL mode, so reads see
/// every committed merge).
pub struct HubStores(BTreeMap<Proc, SqliteStore>);

impl std::fmt::Debug for HubStores {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_list().entries(self.0.keys()).finish()
    }
}

impl HubStores {
    /// Opens the city's and the district's store.
    pub fn open(cluster: &Cluster) -> anyhow::Result<Self> {
        let mut stores = BTreeMap::new();
        for hub in [Proc::City, Proc::District] {
            let path = cluster
                .hub_dir(hub)
                .join(wishtree_hub::data_dir::DATABASE_FILE);
            stores.insert(hub, SqliteStore::open(&path)?);
        }
        Ok(Self(stores))
    }

    fn store(&self, hub: Proc) -> anyhow::Result<&SqliteStore> {
        self.0.get(&hub).context("not a hub")
    }

    /// The hub's copy of a community's document, if it has one.
    fn document(&self, hub: Proc, code: CommunityCode) -> anyhow::Result<Option<AutoCommit>> {
        let Some(bytes) = self.store(hub)?.doc_bytes(StoredDoc::Community(code))? else {
            return Ok(None);
        };
        Ok(Some(AutoCommit::load(&bytes)?))
    }
}

/// The heads of a document, as sorted hex.
fn heads_of(doc: &mut AutoCommit) -> Vec<String> {
    let mut heads: Vec<String> = doc.get_heads().iter().map(ToString::to_string).collect();
    heads.sort();
    heads
}

/// A node's heads by its API, if it answers.
fn node_heads(cluster: &Cluster, index: usize) -> Option<Vec<String>> {
    let address = (*cluster.nodes().get(index)?.http.lock().ok()?)?;
    let status = get_json(&format!("http://{address}/api/status"));
    let mut heads: Vec<String> = status["heads"]
        .as_array()?
        .iter()
        .filter_map(|head| head.as_str().map(str::to_owned))
        .collect();
    heads.sort();
    Some(heads)
}

/// What is not yet equal: one line per community whose replicas differ.
fn differences(cluster: &Cluster, stores: &HubStores) -> Vec<String> {
    let mut differences = Vec::new();
    for (index, node) in cluster.nodes().iter().enumerate() {
        let Some(at_node) = node_heads(cluster, index) else {
            differences.push(format!("node{index} does not answer"));
            continue;
        };
        for hub in cluster.hubs_of(index) {
            let at_hub = match stores.document(hub, node.code) {
                Ok(Some(mut doc)) => heads_of(&mut doc),
                Ok(None) => Vec::new(),
                Err(error) => {
                    differences.push(format!("{hub} cannot load {}: {error:#}", node.code));
                    continue;
                }
            };
            if at_hub != at_node {
                differences.push(format!(
                    "{} at {hub} has heads {at_hub:?}, node{index} {at_node:?}",
                    node.code
                ));
            }
        }
    }
    differences
}

/// Waits, up to `limit`, for every community's replicas (node, its hub, the city hub)
/// to hold the same heads: how long it took, or what still differs.
pub fn wait_converged(
    cluster: &Cluster,
    stores: &HubStores,
    limit: Duration,
) -> Result<Duration, Vec<String>> {
    let started = Instant::now();
    loop {
        let differences = differences(cluster, stores);
        if differences.is_empty() {
            return Ok(started.elapsed());
        }
        if started.elapsed() > limit {
            return Err(differences);
        }
        std::thread::sleep(POLL);
    }
}

/// What the check of the writes found.
#[derive(Debug, Default)]
pub struct WriteCheck {
    /// Acknowledged writes missing from a replica, one line each.
    pub lost: Vec<String>,
    /// Writes applied twice (two members of one write's name), one line each.
    pub doubled: Vec<String>,
}

/// Every acknowledged write on its node (by the node's API) and at every hub above it
/// (by the hub's store), once; and no write's name on two members.
pub fn check_writes(cluster: &Cluster, stores: &HubStores, acks: &[Ack]) -> WriteCheck {
    let mut check = WriteCheck::default();
    for (index, node) in cluster.nodes().iter().enumerate() {
        let mut replicas: Vec<(String, anyhow::Result<Members>)> =
            vec![(format!("node{index}"), node_members(cluster, index))];
        for hub in cluster.hubs_of(index) {
            replicas.push((hub.to_string(), hub_members(stores, hub, node.code)));
        }
        for (replica, members) in replicas {
            let members = match members {
                Ok(members) => members,
                Err(error) => {
                    check
                        .lost
                        .push(format!("{replica}: cannot read the members: {error:#}"));
                    continue;
                }
            };
            let ids: BTreeSet<&str> = members.iter().map(|(id, _)| id.as_str()).collect();
            for ack in acks.iter().filter(|ack| ack.node == index) {
                if !ids.contains(ack.id.as_str()) {
                    check.lost.push(format!(
                        "{replica} lacks {} ({}), acknowledged by node{index}",
                        ack.name, ack.id
                    ));
                }
            }
            let mut names: BTreeMap<&str, u32> = BTreeMap::new();
            for (_, name) in &members {
                *names.entry(name.as_str()).or_insert(0) += 1;
            }
            for (name, count) in names.into_iter().filter(|(_, count)| *count > 1) {
                check
                    .doubled
                    .push(format!("{replica}: {count} members named {name}"));
            }
        }
    }
    check
}

/// (id, name) of every member of a replica.
type Members = Vec<(String, String)>;

/// (id, name) of every member, by the node's API.
fn node_members(cluster: &Cluster, index: usize) -> anyhow::Result<Members> {
    let address = cluster
        .nodes()
        .get(index)
        .and_then(|node| *node.http.lock().ok()?)
        .context("the node is not running")?;
    let members = get_json(&format!("http://{address}/api/members"));
    let members = members.as_array().context("no member list")?;
    Ok(members
        .iter()
        .map(|member| {
            (
                member["id"].as_str().unwrap_or_default().to_owned(),
                member["name"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect())
}

/// (id, name) of every member in a hub's copy.
fn hub_members(stores: &HubStores, hub: Proc, code: CommunityCode) -> anyhow::Result<Members> {
    let Some(doc) = stores.document(hub, code)? else {
        return Ok(Vec::new());
    };
    let doc = CommunityDoc::from_automerge(doc, Some(code), [0; 16])?;
    let view = CommunityView::derive(&doc)?;
    Ok(view
        .members
        .iter()
        .map(|(id, member)| (id.to_string(), member.name.clone()))
        .collect())
}

/// What the check of the signed heads found: problems, and how many communities'
/// latest signed heads are exactly the hub's heads.
#[derive(Debug, Default)]
pub struct AttestCheck {
    /// Signed heads missing, not verifying or naming changes the hub lacks.
    pub problems: Vec<String>,
    /// (hub, community) pairs checked.
    pub checked: u64,
    /// Of those, signed heads equal to the hub's heads.
    pub current: u64,
}

/// Every community's latest signed heads at every hub holding it verify by the key
/// the city enrolled, and name only changes the hub holds.
pub fn check_attestations(cluster: &Cluster, stores: &HubStores) -> AttestCheck {
    let mut check = AttestCheck::default();
    let city = match stores.store(Proc::City) {
        Ok(city) => city,
        Err(error) => {
            check.problems.push(format!("{error:#}"));
            return check;
        }
    };
    for (index, node) in cluster.nodes().iter().enumerate() {
        for hub in cluster.hubs_of(index) {
            let found = (|| -> anyhow::Result<bool> {
                let key = city
                    .community_key(node.code)?
                    .context("the city has no key enrolled")?;
                let signed = stores
                    .store(hub)?
                    .attestation(node.code)?
                    .context("no signed heads")?;
                signed.verify_by(&key)?;
                let mut doc = stores.document(hub, node.code)?.context("no document")?;
                for head in &signed.heads {
                    if doc.get_change_by_hash(head).is_none() {
                        anyhow::bail!("signed head {head} is not in the document");
                    }
                }
                let mut signed_heads: Vec<String> =
                    signed.heads.iter().map(ToString::to_string).collect();
                signed_heads.sort();
                Ok(signed_heads == heads_of(&mut doc))
            })();
            check.checked += 1;
            match found {
                Ok(current) => check.current += u64::from(current),
                Err(error) => check
                    .problems
                    .push(format!("{} at {hub}: {error:#}", node.code)),
            }
        }
    }
    check
}

/// Waits, up to `limit`, until each hub's figure rows are derived from the state of
/// every document its store holds, by the hub's own measure (`run::stale_communities`,
/// which a starting hub re-derives): its figures worker rests while nodes sync, so the
/// rows trail the documents by seconds after a heal, and a hub stopped before they
/// catch up derives them at its next start, which a run does not reach. One line per
/// hub whose figures did not catch up.
pub fn wait_figures_current(cluster: &Cluster, limit: Duration) -> Vec<String> {
    let deadline = Instant::now() + limit;
    let mut problems = Vec::new();
    for hub in [Proc::City, Proc::District] {
        let path = cluster
            .hub_dir(hub)
            .join(wishtree_hub::data_dir::DATABASE_FILE);
        let stale = || -> anyhow::Result<Vec<CommunityCode>> {
            let store = std::sync::Arc::new(SqliteStore::open(&path)?);
            let figures = wishtree_hub::figure_store::FigureStore::Local(store.clone());
            wishtree_hub::run::stale_communities(store.as_ref(), &figures)
        };
        loop {
            match stale() {
                Ok(stale) if stale.is_empty() => break,
                Ok(stale) if Instant::now() >= deadline => {
                    problems.push(format!(
                        "{hub}: the figures of {} communities did not catch up with their documents within {limit:?}",
                        stale.len()
                    ));
                    break;
                }
                Err(error) if Instant::now() >= deadline => {
                    problems.push(format!(
                        "{hub}: cannot tell whether the figures caught up: {error:#}"
                    ));
                    break;
                }
                _ => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }
    problems
}

/// With the hub stopped: its figure rows of every community equal rows derived afresh
/// from the community's document in a copy of its store. One line per difference.
pub fn check_figures(hub: Proc, hub_dir: &Path, scratch: &Path) -> anyhow::Result<Vec<String>> {
    let path = hub_dir.join(wishtree_hub::data_dir::DATABASE_FILE);
    let copy = scratch.join(format!("{hub}-figures.sqlite"));
    SqliteStore::open(&path)?.backup(&copy)?;
    let store = SqliteStore::open(&copy)?;
    let original =
        rusqlite::Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let mut problems = Vec::new();
    for record in store.communities()? {
        let code = record.community;
        let Some(bytes) = store.doc_bytes(StoredDoc::Community(code))? else {
            continue;
        };
        let mut doc = CommunityDoc::load(&bytes, Some(code), [0; 16])?;
        let attested: Vec<_> = store
            .attestation(code)?
            .map(|signed| signed.heads)
            .unwrap_or_default();
        let sync = CommunitySync::measure(&mut doc, &attested, None, None);
        let view = CommunityView::derive(&doc)?;
        store.with_transaction(|transaction| {
            rederive_community(transaction, code, &view, &sync).map(|_| ())
        })?;
        let derived = rusqlite::Connection::open_with_flags(
            &copy,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )?;
        for table in RAW_TABLES.iter().chain(&ROLLUP_TABLES) {
            let held = rows(&original, table, code)?;
            let fresh = rows(&derived, table, code)?;
            if held != fresh {
                problems.push(format!(
                    "{hub}: {table} of {code} holds {} rows, derived afresh {} (first difference: {:?})",
                    held.len(),
                    fresh.len(),
                    held.iter()
                        .zip(&fresh)
                        .find(|(a, b)| a != b)
                        .map_or_else(|| "a missing row".to_owned(), |(a, b)| format!("{a} vs {b}"))
                ));
            }
        }
    }
    Ok(problems)
}

/// A community's rows of a figure table, each as text, sorted.
fn rows(
    connection: &rusqlite::Connection,
    table: &str,
    code: CommunityCode,
) -> anyhow::Result<Vec<String>> {
    let mut statement =
        connection.prepare(&format!("SELECT * FROM {table} WHERE community = ?1"))?;
    let columns = statement.column_count();
    let mut rows: Vec<String> = statement
        .query_map([code.as_str()], |row| {
            (0..columns)
                .map(|column| row.get::<_, rusqlite::types::Value>(column))
                .collect::<Result<Vec<_>, _>>()
                .map(|values| format!("{values:?}"))
        })?
        .collect::<Result<_, _>>()?;
    rows.sort();
    Ok(rows)
}

/// Every log line that says a process panicked (or applied something twice).
pub fn scan_logs(cluster: &Cluster) -> Vec<String> {
    let mut found = Vec::new();
    for (process, log) in cluster.logs() {
        let Ok(text) = std::fs::read_to_string(&log) else {
            continue;
        };
        for line in text.lines() {
            let lower = line.to_lowercase();
            if BAD_LOG_LINES.iter().any(|bad| lower.contains(bad)) {
                found.push(format!("{process}: {line}"));
            }
        }
    }
    found
}
