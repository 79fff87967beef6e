//! What the node reports of itself: counts, heads, chunks, the state of its sync with
//! the hub, and the database's integrity check.

use wishtree_protocol::Timestamp;
use wishtree_protocol::doc::DocError;

use super::Replica;
use crate::store::StoreError;

/// How the node stands with its hub: what the status bar shows. The sync client sets
/// the link's state (connecting, connected, lost and why) and feeds the hub's heads in
/// through [`Replica::receive_sync_message`]; the count is computed from those heads.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SyncStatus {
    /// The hub's address, if one is configured.
    pub hub_address: Option<String>,
    /// The hub's key as text, if one is configured.
    pub hub_key: Option<String>,
    /// Whether a sync session with the hub is open now.
    pub hub_connected: bool,
    /// Whether the sync client is dialing the hub now (it is not connected then).
    pub hub_connecting: bool,
    /// Since when `hub_connected` has had its value: connected since, or disconnected
    /// since (the session was lost, or the sync client started without one). `None`
    /// while the sync client has not started.
    pub hub_since: Option<Timestamp>,
    /// When the hub last sent a sync message about the community document.
    pub last_synced_at: Option<Timestamp>,
    /// Changes of the community document the hub's last known heads do not cover.
    pub changes_not_at_hub: usize,
    /// Why the hub refused the node or cannot be reached, with what to do, as the sync
    /// client last reported it (e.g. "not enrolled at the hub").
    pub hub_problem: Option<String>,
}

/// The figures `status` shows.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct NodeStatus {
    /// Code and name.
    pub community: wishtree_protocol::model::Community,
    /// The node's key as text.
    pub node_key: String,
    /// The data directory.
    pub data_dir: String,
    /// The schema the community document declares.
    pub schema: u64,
    /// How many of each record.
    pub counts: Counts,
    /// The heads of the community document, as hex.
    pub heads: Vec<String>,
    /// The seq of the node's latest signed heads.
    pub attestation_seq: u64,
    /// Stored chunks of each document.
    pub chunks: ChunkCounts,
    /// How the node stands with its hub.
    pub sync: SyncStatus,
}

/// Record counts for `status`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    /// Members.
    pub members: usize,
    /// Organisations.
    pub orgs: usize,
    /// Pairings.
    pub pairings: usize,
    /// Branches.
    pub branches: usize,
    /// Teams.
    pub teams: usize,
    /// Posts.
    pub posts: usize,
    /// Wishes.
    pub wishes: usize,
    /// Projects.
    pub projects: usize,
    /// Activities.
    pub activities: usize,
    /// Participations that count.
    pub participations: usize,
    /// Service records, voided ones included.
    pub services: usize,
    /// Passbook entries, voided ones included.
    pub passbook_entries: usize,
    /// Voids.
    pub voids: usize,
    /// Entities that could not be read.
    pub malformed: usize,
}

/// Stored chunks per document.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ChunkCounts {
    /// The community document.
    pub community: usize,
    /// The city document.
    pub city: usize,
}

impl Replica {
    /// Stored chunks of each document.
    pub fn chunk_counts(&self) -> ChunkCounts {
        ChunkCounts {
            community: self.community_chunks,
            city: self.city_chunks,
        }
    }

    /// How the node stands with its hub.
    pub fn sync_status(&mut self) -> SyncStatus {
        let heads = self.doc.heads();
        let hub_heads = self.hub_link.heads.clone();
        let pending = match &self.pending_cache {
            Some((cached_heads, cached_hub, count))
                if *cached_heads == heads && *cached_hub == hub_heads =>
            {
                *count
            }
            _ => {
                // The status bar asks after every write: reading through
                // `automerge_mut` would have the next write look its collections up again.
                let count = self.doc.changes_after(&hub_heads);
                self.pending_cache = Some((heads, hub_heads, count));
                count
            }
        };
        SyncStatus {
            hub_address: self.hub.as_ref().map(|hub| hub.address.clone()),
            hub_key: self.hub.as_ref().map(|hub| hub.key.to_string()),
            hub_connected: self.hub_link.connected,
            hub_connecting: self.hub_link.connecting,
            hub_since: self.hub_link.since,
            last_synced_at: self.hub_link.last_synced_at,
            changes_not_at_hub: pending,
            hub_problem: self.hub_link.problem.clone(),
        }
    }

    /// The figures `status` shows.
    pub fn status(&mut self) -> Result<NodeStatus, DocError> {
        let view = self.view()?;
        let counts = Counts {
            members: view.members.len(),
            orgs: view.orgs.len(),
            pairings: view.pairings.len(),
            branches: view.branches.len(),
            teams: view.teams.len(),
            posts: view.posts.len(),
            wishes: view.wishes.len(),
            projects: view.projects.len(),
            activities: view.activities.len(),
            participations: view.participations().count(),
            services: view.services.len(),
            passbook_entries: view.passbook.len(),
            voids: view.voids.len(),
            malformed: view.malformed.len(),
        };
        Ok(NodeStatus {
            community: view.community.clone(),
            node_key: self.key.public().to_string(),
            data_dir: self.data_dir.display().to_string(),
            schema: view.schema,
            counts,
            heads: self.doc.heads().iter().map(ToString::to_string).collect(),
            attestation_seq: self.attestation_seq,
            chunks: self.chunk_counts(),
            sync: self.sync_status(),
        })
    }

    /// `PRAGMA integrity_check` of the database: empty when sound.
    pub fn integrity_check(&self) -> Result<Vec<String>, StoreError> {
        self.store.integrity_check()
    }
}
