//! One sync session's [`Host`] over the shared [`Hub`]: everything a session receives
//! is appended to the store before the session answers; automerge's sync state per
//! (peer, document) is kept in memory and saved after every message that changed it, so
//! a reconnect costs about the size of the new changes.

use std::collections::HashSet;
use std::sync::Arc;

use automerge::sync::SyncDoc;
use automerge::{AutoCommit, ChangeHash, sync};
use wishtree_protocol::CommunityCode;
use wishtree_protocol::Timestamp;
use wishtree_protocol::attest::SignedHeads;
use wishtree_protocol::frame::{DocId, Hello, Scope};
use wishtree_protocol::keys::PublicKey;
use wishtree_protocol::sync::{Access, AttestOutcome, Grant, Host, HostError, receive_message};

use crate::quota::Growth;
use crate::state::{COMPACT_AFTER, COMPACT_BATCH_BYTES, Hub, HubError, Locked, stored};
use crate::store::{ChunkStats, EnrolledRole, Enrollment, MergeWrite};

impl Hub {
    /// A session's view of the hub: the [`Host`] it drives. `upstream` is set when the
    /// peer is the hub above this one, to which this hub passes signed heads.
    pub fn host(self: &Arc<Self>, upstream: bool) -> HubHost {
        HubHost {
            hub: Arc::clone(self),
            upstream,
            node_of: None,
            session: None,
            touched: HashSet::new(),
            admitted: None,
        }
    }
}

/// One session's [`Host`] over the shared [`Hub`].
#[derive(Debug, Clone)]
pub struct HubHost {
    hub: Arc<Hub>,
    upstream: bool,
    /// The community whose node the peer is, once admitted as one: every message it
    /// sends is an exchange, and sync health counts the last one, not the handshake.
    node_of: Option<CommunityCode>,
    /// This session's number once admitted ([`Hub::open_session`]).
    session: Option<u64>,
    /// The documents this session exchanged messages about, whose sync states are
    /// reset when it ends.
    touched: HashSet<DocId>,
    /// The peer's roster entry as admission read it, until the session's first roster
    /// offer uses it.
    admitted: Option<Enrollment>,
}

impl HubHost {
    /// The hub.
    pub fn hub(&self) -> &Arc<Hub> {
        &self.hub
    }

    /// Refuses a step of a session that a newer session of the same peer replaced:
    /// the peer's sync states are the newer one's now.
    fn check_current(&self, peer: &PublicKey) -> Result<(), HostError> {
        match self.session {
            Some(number) if !self.hub.is_current_session(peer, number) => Err(
                HostError::Forbidden("a newer session of this peer replaced this one".to_owned()),
            ),
            _ => Ok(()),
        }
    }
}

impl Host for HubHost {
    fn admit(&mut self, peer: &PublicKey, hello: &Hello, now: Timestamp) -> Result<Grant, String> {
        let (grant, enrollment) = self.hub.admit(peer, hello, now)?;
        self.admitted = Some(enrollment);
        // Admission checked that a peer asking for one community is that community's node.
        if let Scope::Community(code) = hello.scope {
            self.node_of = Some(code);
        }
        self.session = Some(self.hub.open_session(peer));
        Ok(grant)
    }

    fn heads(&mut self, doc: &DocId) -> Vec<ChangeHash> {
        self.hub.heads(*doc).unwrap_or_else(|error| {
            tracing::warn!("{error}");
            Vec::new()
        })
    }

    fn generate(
        &mut self,
        peer: &PublicKey,
        doc: &DocId,
    ) -> Result<Option<sync::Message>, HostError> {
        self.check_current(peer)?;
        self.touched.insert(*doc);
        self.hub
            .reading_doc(*doc, |locked| {
                let (document, sync_state) = locked.doc_and_sync_state(peer)?;
                Ok::<_, HubError>(document.sync().generate_sync_message(sync_state))
            })
            .map_err(storage)
    }

    fn receive(
        &mut self,
        peer: &PublicKey,
        doc: &DocId,
        message: sync::Message,
        access: Access,
        now: Timestamp,
    ) -> Result<bool, HostError> {
        self.check_current(peer)?;
        let hub = &self.hub;
        let started = std::time::Instant::now();
        self.touched.insert(*doc);
        // A message larger than a whole document may be is refused unread.
        let quotas = hub.quota_book().quotas();
        let sent: usize = message.changes.iter().map(<[u8]>::len).sum();
        if let DocId::Community(code) = doc
            && sent as u64 > quotas.document_bytes
        {
            let growth = Growth {
                stored_bytes: sent as u64,
                changes: 0,
                largest_change: 0,
            };
            if let Err(reason) = hub.quota_book().admit(*code, growth, now) {
                hub.metrics().quota_refused();
                return Err(HostError::Forbidden(reason));
            }
        }
        // Only this document's lock is held: sessions of other documents merge at once.
        let changed = hub
            .with_doc(*doc, |locked| {
                let (document, sync_state) = locked.doc_and_sync_state(peer)?;
                // The state as it was, kept if the message is refused or not stored.
                let before = sync_state.clone();
                let merged = apply_message(document, sync_state, doc, message, access);
                let stored = merged.and_then(|merge| {
                    let stats = within_quota(locked, doc, &merge, now)?;
                    store_merge(locked, peer, doc, &merge, stats, now)
                        .map(|()| merge.chunk.is_some())
                });
                match stored {
                    Ok(changed) => Ok(changed),
                    Err((error, reload)) => {
                        let (_, sync_state) = locked.doc_and_sync_state(peer)?;
                        *sync_state = before;
                        if reload {
                            // What was applied is dropped; the store has the last good
                            // state.
                            locked.drop_doc();
                        }
                        Err(Failed(error))
                    }
                }
            })
            .map_err(|Failed(error)| error)?;
        if let Some(code) = self.node_of {
            // The node's "last synced" is the last message it had from the hub; the hub
            // counts the last message it had from the node, whether or not it brought
            // a change, so that a link open for days stays healthy while it syncs.
            hub.mark_seen(code, now);
        }
        if changed {
            hub.metrics().observe_merge(started.elapsed());
            hub.changed(*doc);
            if let DocId::Community(code) = doc {
                hub.mark_dirty(*code);
                // A community is synced when its changes reach this hub, directly or
                // through a district hub (whose nodes this hub never admits, so
                // admission alone would leave them unseen). Changes from the hub above
                // are not news from the community.
                if !self.upstream {
                    hub.mark_seen(*code, now);
                }
            }
        }
        Ok(changed)
    }

    fn attestation_for(&mut self, _peer: &PublicKey, doc: &DocId) -> Option<SignedHeads> {
        // Only the hub above needs the communities' signed heads; a node has its own.
        let (true, DocId::Community(code)) = (self.upstream, doc) else {
            return None;
        };
        let signed = self.hub.store().attestation(*code).ok().flatten()?;
        // Heads by a key the city's roster no longer holds for the community (revoked,
        // or rotated away) would only be refused above: they stay here, flagged.
        let current = self.hub.store().community_key(*code).ok().flatten();
        if current != Some(signed.signer) {
            tracing::debug!(
                "not passing up the signed heads of {code}: their key {} is not its current one",
                signed.signer.short()
            );
            return None;
        }
        Some(signed)
    }

    fn record_attestation(
        &mut self,
        _peer: &PublicKey,
        signed: SignedHeads,
        now: Timestamp,
    ) -> Result<AttestOutcome, HostError> {
        let community = signed.community;
        let store = self.hub.store();
        let enrolled = store
            .community_key(community)
            .map_err(|error| storage(error.into()))?;
        let Some(enrolled) = enrolled.filter(|key| *key == signed.signer) else {
            // Refused for this community only: the peer may be a district hub passing
            // on the heads of many communities, and the others must still get through.
            let signer = store
                .enrollment(&signed.signer)
                .map_err(|error| storage(error.into()))?;
            return Ok(AttestOutcome::Refused(refusal_of_signer(
                community,
                &signed.signer,
                signer.as_ref(),
                enrolled.as_ref(),
            )));
        };
        let attested = match signed.verify_by(&enrolled) {
            Ok(attested) => attested,
            Err(error) => {
                return Ok(AttestOutcome::Refused(format!(
                    "signed heads refused: {error}"
                )));
            }
        };
        let recorded = store
            .record_attestation(&attested, now)
            .map_err(|error| storage(error.into()))?;
        if recorded {
            self.hub.mark_dirty(community);
            // New signed heads are the community's own word that it synced, whichever
            // hub they came through.
            self.hub.mark_seen(community, now);
            // The hub above wants the new signed heads too.
            let _ = self.hub.changes.send(DocId::Community(community));
        }
        Ok(AttestOutcome::Kept)
    }

    fn docs_in(&mut self, scope: &Scope) -> Vec<DocId> {
        match scope {
            Scope::Community(code) => vec![DocId::Community(*code)],
            Scope::Region(prefix) => self.hub.communities_in(prefix),
        }
    }

    fn roster_for(&mut self, peer: &PublicKey) -> Option<Vec<u8>> {
        // The session's first offer follows its admission at once: the roster entry
        // read then serves. A later one (the roster changed) reads it again.
        let enrollment = match self
            .admitted
            .take()
            .filter(|admitted| admitted.key == *peer)
        {
            Some(admitted) => Ok(Some(admitted)),
            None => self.hub.store().enrollment(peer),
        };
        match enrollment {
            Ok(Some(enrollment))
                if enrollment.revoked.is_none()
                    && matches!(enrollment.role, EnrolledRole::Hub { .. }) =>
            {
                match self.hub.signed_roster(self.hub.clock().now()) {
                    Ok(roster) => Some(roster),
                    Err(error) => {
                        tracing::warn!("cannot sign the roster for {}: {error}", peer.short());
                        None
                    }
                }
            }
            _ => None,
        }
    }

    fn receive_roster(&mut self, peer: &PublicKey, roster: &[u8]) -> Result<(), HostError> {
        if !self.upstream {
            return Err(HostError::Forbidden(
                "only the hub above may send this hub a roster".to_owned(),
            ));
        }
        self.hub
            .install_roster(peer, roster)
            .map_err(|error| match error {
                HubError::Store(error) => HostError::Storage(error.to_string()),
                other => HostError::Forbidden(other.to_string()),
            })
    }

    fn end(&mut self, peer: &PublicKey, _now: Timestamp) {
        self.hub.close_session(peer, self.session, &self.touched);
    }
}

/// What a sync message did to the held document, to be stored before the session
/// answers.
struct Merge {
    /// The changes it brought, if any.
    chunk: Option<Vec<u8>>,
    /// The whole document, if its chunks are to be folded into one.
    full_save: Option<Vec<u8>>,
    /// How many changes the message brought.
    changes: u64,
    /// The largest of them, in bytes.
    largest_change: u64,
}

/// Applies a sync message to the held document. On error, says whether the held copy
/// must be dropped and loaded again.
///
/// A first sync is the costly one: the node's whole history arrives. automerge answers
/// a peer that has no heads with its whole saved document in one chunk, and loads such
/// a chunk into an empty document as a saved document, heads checked. Those bytes are
/// what the hub stores, as they came: encoding every change again (`save_after`) and
/// saving the document once more to fold the chunks cost the hub twice what loading
/// did (see ARCHITECTURE.md, "A first sync").
fn apply_message(
    document: &mut AutoCommit,
    sync_state: &mut sync::State,
    doc: &DocId,
    message: sync::Message,
    access: Access,
) -> Result<Merge, (HostError, bool)> {
    let before = document.get_heads();
    let whole = whole_document(&before, &message);
    let changed = receive_message(document, sync_state, doc, message, access).map_err(|error| {
        // Only a writable peer's message is applied in place, and may be half-applied.
        let reload = access == Access::ReadWrite && matches!(error, HostError::Invalid(_));
        (error, reload)
    })?;
    if !changed {
        return Ok(Merge {
            chunk: None,
            full_save: None,
            changes: 0,
            largest_change: 0,
        });
    }
    // The quota sees every new change, encoded: one pass that also gives the chunk to
    // store when the message was not a whole document.
    let new_changes = document.get_changes(&before);
    let changes = new_changes.len() as u64;
    let largest_change = new_changes
        .iter()
        .map(|change| change.raw_bytes().len() as u64)
        .max()
        .unwrap_or(0);
    if let Some(bytes) = whole {
        // automerge loaded exactly these bytes into the empty document (one chunk,
        // nothing left over), so loading them again gives the same document.
        return Ok(Merge {
            chunk: Some(bytes),
            full_save: None,
            changes,
            largest_change,
        });
    }
    let bytes: Vec<u8> = new_changes
        .iter()
        .flat_map(|change| change.raw_bytes().iter().copied())
        .collect();
    // A large batch of changes (a history sent change by change) is folded into one
    // full save at once: automerge loads a saved document several times faster than it
    // applies the same history change by change, and after a restart every
    // reconnecting node's document is loaded.
    let full_save = (bytes.len() > COMPACT_BATCH_BYTES).then(|| document.save());
    Ok(Merge {
        chunk: Some(bytes),
        full_save,
        changes,
        largest_change,
    })
}

/// The bytes of `message`, if it brings the whole document to a hub that has none of
/// it (`before` is empty) in one automerge chunk with nothing after it: loaded, they are
/// the document, and they can be stored as they are.
fn whole_document(before: &[ChangeHash], message: &sync::Message) -> Option<Vec<u8>> {
    if !before.is_empty() || message.changes.len() != 1 {
        return None;
    }
    let bytes = message.changes.iter().next()?;
    (chunk_length(bytes) == Some(bytes.len())).then(|| bytes.to_vec())
}

/// The length of the automerge chunk `bytes` begin with, header included: the magic
/// bytes, a 4-byte checksum, the chunk's type, and its length as a LEB128 number.
fn chunk_length(bytes: &[u8]) -> Option<usize> {
    const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
    const FIXED: usize = MAGIC.len() + 4 + 1;
    if bytes.get(..MAGIC.len())? != MAGIC {
        return None;
    }
    let mut length: u64 = 0;
    for (index, byte) in bytes.get(FIXED..)?.iter().enumerate().take(10) {
        length |= u64::from(byte & 0x7f).checked_shl(7 * index as u32)?;
        if byte & 0x80 == 0 {
            let header = FIXED + index + 1;
            return usize::try_from(length).ok()?.checked_add(header);
        }
    }
    None
}

/// Checks a merge into a community's document against the community's quota
/// ([`crate::quota`]), before anything is stored; refused, the held document (which
/// has the merge applied) must be dropped. Returns the document's chunks as stored.
fn within_quota(
    locked: &mut Locked<'_>,
    doc: &DocId,
    merge: &Merge,
    now: Timestamp,
) -> Result<ChunkStats, (HostError, bool)> {
    let Some(chunk) = &merge.chunk else {
        return Ok(ChunkStats::default());
    };
    let hub = locked.hub();
    let stats = hub
        .store()
        .chunk_stats(stored(*doc))
        .map_err(|error| (storage(error.into()), true))?;
    if let DocId::Community(code) = doc {
        let stored_bytes = match &merge.full_save {
            Some(full) => full.len() as u64,
            None => stats.bytes + chunk.len() as u64,
        };
        let growth = Growth {
            stored_bytes,
            changes: merge.changes,
            largest_change: merge.largest_change,
        };
        if let Err(reason) = hub.quota_book().admit(*code, growth, now) {
            hub.metrics().quota_refused();
            tracing::warn!("{reason}");
            return Err((HostError::Forbidden(reason), true));
        }
    }
    Ok(stats)
}

/// Stores a merge and the peer's sync state (if it changed) in one transaction. On
/// error the held document must be dropped if the merge changed it.
fn store_merge(
    locked: &mut Locked<'_>,
    peer: &PublicKey,
    doc: &DocId,
    merge: &Merge,
    stats: ChunkStats,
    now: Timestamp,
) -> Result<(), (HostError, bool)> {
    let mut full_save = merge.full_save.clone();
    if merge.chunk.is_some() && full_save.is_none() && stats.count >= COMPACT_AFTER {
        full_save = Some(locked.doc().map_err(|error| (storage(error), true))?.save());
    }
    // The encoded state is what both sides share; an unchanged one (a message that
    // brought nothing new) is not written again, which saves a disk sync.
    let sync_state = locked.sync_state_to_save(peer);
    if merge.chunk.is_none() && sync_state.is_none() {
        return Ok(());
    }
    let write = MergeWrite {
        doc: stored(*doc),
        chunk: merge.chunk.as_deref(),
        full_save: full_save.as_deref(),
        sync_state: sync_state.as_deref().map(|state| (peer, state)),
        at: now,
    };
    locked
        .hub()
        .store()
        .store_merge(&write)
        .map_err(|error| (storage(error.into()), merge.chunk.is_some()))?;
    if let Some(encoded) = sync_state {
        locked.sync_state_saved(peer, encoded);
    }
    Ok(())
}

/// Why signed heads of `community` by `signer` are refused, when `current` (if any) is
/// the community's key: the roster says whether the signer was revoked, and when.
fn refusal_of_signer(
    community: CommunityCode,
    signer: &PublicKey,
    enrollment: Option<&crate::store::Enrollment>,
    current: Option<&PublicKey>,
) -> String {
    match (enrollment, current) {
        (Some(enrollment), _) if enrollment.revoked.is_some() => {
            let revocation = enrollment.revoked.as_ref().map_or_else(String::new, |r| {
                format!(" on {} ({})", r.at.display_in_shanghai(), r.reason)
            });
            format!(
                "signed heads of community {community} are by key {}, which was revoked at the city{revocation}: its data stays, flagged; the community syncs attested again once the city enrolls its node's new key",
                signer.short()
            )
        }
        (_, Some(current)) => format!(
            "signed heads of community {community} are by key {}, not by its enrolled key {}: they are not kept",
            signer.short(),
            current.short()
        ),
        (_, None) => format!(
            "signed heads of community {community}, which has no key enrolled at the city: enroll its node's key at the city hub (wishtree-hub enroll --community {community} KEY)"
        ),
    }
}

fn storage(error: HubError) -> HostError {
    HostError::Storage(error.to_string())
}

/// What went wrong with the hub's side of a session is its storage, as the peer sees it.
struct Failed(HostError);

impl From<HubError> for Failed {
    fn from(error: HubError) -> Self {
        Self(storage(error))
    }
}

impl From<HostError> for Failed {
    fn from(error: HostError) -> Self {
        Self(error)
    }
}

#[cfg(test)]
mod tests;
