//! The communities' inboxes at the hub: what people did at the hub, appended as entries
//! signed by the hub's key (`wishtree_protocol::inbox`) and offered to the community's
//! node, which receives its inbox read-only. The hub writes only here and in the city
//! document; it never edits a community's document.

use automerge::AutoCommit;
use wishtree_protocol::frame::DocId;
use wishtree_protocol::id::InboxEntryId;
use wishtree_protocol::inbox::{InboxDoc, InboxEntry, InboxRequest};
use wishtree_protocol::{CommunityCode, Timestamp};

use super::{Hub, HubError, load_doc};
use crate::store::StoredDoc;

impl Hub {
    /// Appends `request` to `community`'s inbox as entry `id`, signed by the hub's key at
    /// `now`; stored before it returns, then offered to the node.
    pub fn append_inbox(
        &self,
        community: CommunityCode,
        id: InboxEntryId,
        request: InboxRequest,
        now: Timestamp,
    ) -> Result<InboxEntry, HubError> {
        let doc = DocId::Inbox(community);
        let entry = InboxEntry::sign(&self.key, id, community, now, request);
        self.with_doc(doc, |locked| {
            let held = locked.doc()?.clone();
            let (inbox, before) =
                match InboxDoc::from_automerge(held.clone(), community, self.actor()) {
                    Ok(inbox) => (inbox, held.clone().get_heads()),
                    // The first entry: the inbox starts from its genesis, stored with it.
                    Err(_) if held.clone().get_heads().is_empty() => {
                        let genesis = load_doc(doc, &InboxDoc::genesis(community))?;
                        let inbox = InboxDoc::from_automerge(genesis, community, self.actor())
                            .map_err(|error| inbox_error(community, &error))?;
                        (inbox, Vec::new())
                    }
                    Err(error) => return Err(inbox_error(community, &error)),
                };
            let mut inbox = inbox;
            inbox
                .append(&entry, now)
                .map_err(|error| inbox_error(community, &error))?;
            let mut written: AutoCommit = inbox.automerge().clone();
            let bytes = written.save_after(&before);
            self.store
                .append_chunk(StoredDoc::Inbox(community), &bytes, now)?;
            locked.replace(written);
            Ok::<_, HubError>(())
        })?;
        self.changed(doc);
        Ok(entry)
    }

    /// The entries of `community`'s inbox, in order (none before the first).
    pub fn inbox_entries(&self, community: CommunityCode) -> Result<Vec<InboxEntry>, HubError> {
        let held = self.snapshot(DocId::Inbox(community))?;
        if held.clone().get_heads().is_empty() {
            return Ok(Vec::new());
        }
        InboxDoc::from_automerge(held, community, self.actor())
            .and_then(|inbox| inbox.entries())
            .map_err(|error| inbox_error(community, &error))
    }
}

fn inbox_error(community: CommunityCode, error: &wishtree_protocol::DocError) -> HubError {
    HubError::Damaged {
        doc: DocId::Inbox(community),
        reason: error.to_string(),
    }
}
