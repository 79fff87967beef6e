//! What the hub tells of a change: the broadcast, the sessions following a document,
//! and the communities the figures worker must re-derive or record as seen.

use tokio::sync::{broadcast, mpsc};
use wishtree_protocol::frame::DocId;
use wishtree_protocol::sync::Event;
use wishtree_protocol::{CommunityCode, Timestamp};

use super::Hub;

impl Hub {
    /// Tells of every document that changes at the hub.
    pub fn subscribe(&self) -> broadcast::Receiver<DocId> {
        self.changes.subscribe()
    }

    /// Sends `events` an [`Event::Changed`] each time one of `docs` changes at the hub,
    /// until its receiver is dropped.
    pub fn follow(&self, docs: &[DocId], events: &mpsc::UnboundedSender<Event>) {
        let mut followers = self
            .followers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for doc in docs {
            let list = followers.entry(*doc).or_default();
            // Sessions that ended are dropped here too, for documents that rarely change.
            list.retain(|follower| !follower.is_closed());
            list.push(events.clone());
        }
    }

    /// Tells the subscribers and the following sessions that `doc` changed.
    pub(crate) fn changed(&self, doc: DocId) {
        let _ = self.changes.send(doc);
        if doc == DocId::City {
            self.city_dirty
                .store(true, std::sync::atomic::Ordering::SeqCst);
            self.dirty_notify.notify_one();
        }
        let mut followers = self
            .followers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(list) = followers.get_mut(&doc) {
            list.retain(|follower| follower.send(Event::Changed(doc)).is_ok());
        }
    }

    /// Notes that a community's node connected; the figures worker records it with
    /// others in one transaction.
    pub fn mark_seen(&self, community: CommunityCode, at: Timestamp) {
        self.seen
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(community, at);
        self.dirty_notify.notify_one();
    }

    /// Marks a community's figures stale for the refresh worker.
    pub fn mark_dirty(&self, community: CommunityCode) {
        self.dirty
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(community);
        self.dirty_notify.notify_one();
    }
}
