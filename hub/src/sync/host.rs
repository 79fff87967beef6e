//! One sync session's [`Host`] over the shared [`Hub`]: everything a session receives
//! is appended to the store before the session answers; automerge's sync state per
//! (peer, document) is kept in memory and saved after every message that changed it, so
//! a reconnect costs about the size of the new changes.

use std::sync::Arc;

use automerge::sync::SyncDoc;
use automerge::{AutoCommit, ChangeHash, sync};
use wishtree_protocol::CommunityCode;
use wishtree_protocol::Timestamp;
use wishtree_protocol::attest::SignedHeads;
use wishtree_protocol::frame::{DocId, Hello, Scope};
use wishtree_protocol::keys::PublicKey;
use wishtree_protocol::sync::{Access, AttestOutcome, Grant, Host, HostError, receive_message};

use crate::state::{COMPACT_AFTER, COMPACT_BATCH_BYTES, Hub, HubError, stored};
use crate::store::{EnrolledRole, HubStore};

impl Hub {
    /// A session's view of the hub: the [`Host`] it drives. `upstream` is set when the
    /// peer is the hub above this one, to which this hub passes signed heads.
    pub fn host(self: &Arc<Self>, upstream: bool) -> HubHost {
        HubHost {
            hub: Arc::clone(self),
            upstream,
            node_of: None,
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
}

impl HubHost {
    /// The hub.
    pub fn hub(&self) -> &Arc<Hub> {
        &self.hub
    }
}

impl Host for HubHost {
    fn admit(&mut self, peer: &PublicKey, hello: &Hello, now: Timestamp) -> Result<Grant, String> {
        let grant = self.hub.admit(peer, hello, now)?;
        // Admission checked that a peer asking for one community is that community's node.
        if let Scope::Community(code) = hello.scope {
            self.node_of = Some(code);
        }
        Ok(grant)
    }

    fn heads(&mut self, doc: &DocId) -> Vec<ChangeHash> {
        let _ = self.hub.preload(*doc);
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
        let hub = &self.hub;
        hub.preload(*doc).map_err(storage)?;
        let mut guard = hub.lock();
        let state = &mut *guard;
        let mut sync_state = hub.sync_state(state, peer, *doc).map_err(storage)?.clone();
        let message = hub
            .cached(state, *doc)
            .map_err(storage)?
            .sync()
            .generate_sync_message(&mut sync_state);
        state.sync_states.insert((*peer, *doc), sync_state);
        Ok(message)
    }

    fn receive(
        &mut self,
        peer: &PublicKey,
        doc: &DocId,
        message: sync::Message,
        access: Access,
        now: Timestamp,
    ) -> Result<bool, HostError> {
        let hub = &self.hub;
        let started = std::time::Instant::now();
        hub.preload(*doc).map_err(storage)?;
        let mut guard = hub.lock();
        let state = &mut *guard;
        let mut sync_state = hub.sync_state(state, peer, *doc).map_err(storage)?.clone();
        let document = hub.cached(state, *doc).map_err(storage)?;
        let applied = apply_message(hub, document, &mut sync_state, doc, message, access, now);
        let changed = match applied {
            Ok(changed) => changed,
            Err((error, reload)) => {
                if reload {
                    // What was half-applied is dropped; the store has the last good state.
                    state.docs.remove(doc);
                    *state.generations.entry(*doc).or_default() += 1;
                }
                return Err(error);
            }
        };
        if changed {
            *state.generations.entry(*doc).or_default() += 1;
        }
        // The encoded state is what both sides share; an unchanged one (a message that
        // brought nothing new) is not written again, which saves a disk flush.
        let encoded = sync_state.encode();
        let previous = state.saved_states.get(&(*peer, *doc));
        if previous != Some(&encoded) {
            hub.store()
                .save_sync_state(peer, stored(*doc), &encoded)
                .map_err(|error| storage(error.into()))?;
            state.saved_states.insert((*peer, *doc), encoded);
        }
        state.sync_states.insert((*peer, *doc), sync_state);
        drop(guard);
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
        match self.hub.store().enrollment(peer) {
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
        let mut state = self.hub.lock();
        for ((key, _), sync_state) in state.sync_states.iter_mut() {
            if key == peer {
                *sync_state = sync::State::decode(&sync_state.encode()).unwrap_or_default();
            }
        }
    }
}

/// Applies a sync message to the cached document and appends what it brought to the
/// store. On error, says whether the cached copy must be dropped and reloaded.
fn apply_message(
    hub: &Hub,
    document: &mut AutoCommit,
    sync_state: &mut sync::State,
    doc: &DocId,
    message: sync::Message,
    access: Access,
    now: Timestamp,
) -> Result<bool, (HostError, bool)> {
    let before = document.get_heads();
    let changed = receive_message(document, sync_state, doc, message, access).map_err(|error| {
        // Only a writable peer's message is applied in place, and may be half-applied.
        let reload = access == Access::ReadWrite && matches!(error, HostError::Invalid(_));
        (error, reload)
    })?;
    if !changed {
        return Ok(false);
    }
    let bytes = document.save_after(&before);
    hub.store()
        .append_chunk(stored(*doc), &bytes, now)
        .map_err(|error| (storage(error.into()), true))?;
    // A large batch (a first sync brings a community's whole history) is folded into
    // one full save at once: automerge loads a saved document several times faster than
    // it applies the same history change by change, and after a restart every
    // reconnecting node's document is loaded.
    if bytes.len() > COMPACT_BATCH_BYTES
        || hub.store().chunk_count(stored(*doc)).unwrap_or(0) > COMPACT_AFTER
    {
        let full = document.save();
        if let Err(error) = hub.store().compact(stored(*doc), &full) {
            tracing::warn!("compacting {doc} failed (the chunks stay): {error}");
        }
    }
    Ok(true)
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
