//! An in-memory [`Host`]: documents, sync states and a roster held in maps.
//!
//! It is the host of the protocol tests and of the simulated network in `tests/`, and
//! a reference for what the node's and the hub's hosts over SQLite must do. It can be
//! paused to stand for a store that does not answer: while paused every write fails
//! with [`HostError::Storage`], and nothing is half-applied.

use std::collections::{BTreeMap, HashMap, HashSet};

use automerge::{AutoCommit, ChangeHash, sync, sync::SyncDoc};

use super::{Access, AttestOutcome, Grant, Host, HostError, receive_message};
use crate::attest::SignedHeads;
use crate::frame::{DocId, Hello, Scope};
use crate::keys::PublicKey;
use crate::region::CommunityCode;
use crate::time::Timestamp;

/// Documents and per-peer sync state in memory. See the module doc.
#[derive(Debug, Default)]
pub struct MemoryHost {
    docs: BTreeMap<DocId, AutoCommit>,
    states: HashMap<(PublicKey, DocId), sync::State>,
    /// Listener side: the keys it admits and what each may sync.
    roster: HashMap<PublicKey, Scope>,
    /// Keys taken out of the roster: heads they signed are refused.
    revoked: HashSet<PublicKey>,
    /// Signed heads received, the latest per community.
    attestations: BTreeMap<CommunityCode, SignedHeads>,
    /// Signed heads this host passes on for a document (a node's own).
    own_attestations: BTreeMap<DocId, SignedHeads>,
    paused: bool,
}

impl MemoryHost {
    /// An empty host.
    pub fn new() -> Self {
        Self::default()
    }

    /// Puts a document (replacing any held).
    pub fn insert_doc(&mut self, doc: DocId, document: AutoCommit) {
        self.docs.insert(doc, document);
    }

    /// A document held.
    pub fn doc(&self, doc: &DocId) -> Option<&AutoCommit> {
        self.docs.get(doc)
    }

    /// A document held, to write to.
    pub fn doc_mut(&mut self, doc: &DocId) -> Option<&mut AutoCommit> {
        self.docs.get_mut(doc)
    }

    /// The documents held.
    pub fn doc_ids(&self) -> impl Iterator<Item = &DocId> {
        self.docs.keys()
    }

    /// Admits `key` for `scope` (listener side).
    pub fn enroll(&mut self, key: PublicKey, scope: Scope) {
        self.roster.insert(key, scope);
    }

    /// Takes `key` out of the roster; heads it signed are refused from now on.
    pub fn revoke(&mut self, key: &PublicKey) {
        self.roster.remove(key);
        self.revoked.insert(*key);
    }

    /// Sets the signed heads this host passes on for `doc`.
    pub fn set_own_attestation(&mut self, doc: DocId, signed: SignedHeads) {
        self.own_attestations.insert(doc, signed);
    }

    /// The latest signed heads received for a community.
    pub fn attestation(&self, community: CommunityCode) -> Option<&SignedHeads> {
        self.attestations.get(&community)
    }

    /// Pauses or resumes storage.
    pub fn set_paused(&mut self, paused: bool) {
        self.paused = paused;
    }

    fn state(&mut self, peer: &PublicKey, doc: &DocId) -> &mut sync::State {
        self.states.entry((*peer, *doc)).or_default()
    }
}

impl Host for MemoryHost {
    fn admit(&mut self, peer: &PublicKey, hello: &Hello, _now: Timestamp) -> Result<Grant, String> {
        let Some(scope) = self.roster.get(peer) else {
            return Err(format!(
                "this node is not enrolled at the hub: give the hub operator this key: {peer}"
            ));
        };
        if *scope != hello.scope {
            return Err(format!(
                "this key is enrolled for {scope}, not for {}",
                hello.scope
            ));
        }
        let mut docs: Vec<(DocId, Access)> = self
            .docs
            .keys()
            .filter(|doc| **doc != DocId::City && scope.covers(doc))
            .map(|doc| (*doc, Access::ReadWrite))
            .collect();
        if let Scope::Community(code) = scope
            && !docs.iter().any(|(doc, _)| *doc == DocId::Community(*code))
        {
            docs.push((DocId::Community(*code), Access::ReadWrite));
        }
        docs.push((DocId::City, Access::ReadOnly));
        Ok(Grant { docs })
    }

    fn heads(&mut self, doc: &DocId) -> Vec<ChangeHash> {
        self.docs
            .get_mut(doc)
            .map(AutoCommit::get_heads)
            .unwrap_or_default()
    }

    fn generate(
        &mut self,
        peer: &PublicKey,
        doc: &DocId,
    ) -> Result<Option<sync::Message>, HostError> {
        if self.paused {
            return Err(HostError::Storage("storage is paused".to_owned()));
        }
        let mut state = self.state(peer, doc).clone();
        let document = self.docs.entry(*doc).or_default();
        let message = document.sync().generate_sync_message(&mut state);
        self.states.insert((*peer, *doc), state);
        Ok(message)
    }

    fn receive(
        &mut self,
        peer: &PublicKey,
        doc: &DocId,
        message: sync::Message,
        access: Access,
        _now: Timestamp,
    ) -> Result<bool, HostError> {
        if self.paused {
            return Err(HostError::Storage("storage is paused".to_owned()));
        }
        // Applied to copies first, so that a refused or failed message leaves both the
        // document and the sync state as they were.
        let mut state = self.state(peer, doc).clone();
        let mut document = self.docs.get(doc).cloned().unwrap_or_default();
        let changed = receive_message(&mut document, &mut state, doc, message, access)?;
        self.docs.insert(*doc, document);
        self.states.insert((*peer, *doc), state);
        Ok(changed)
    }

    fn attestation_for(&mut self, _peer: &PublicKey, doc: &DocId) -> Option<SignedHeads> {
        self.own_attestations.get(doc).cloned()
    }

    fn record_attestation(
        &mut self,
        peer: &PublicKey,
        signed: SignedHeads,
        _now: Timestamp,
    ) -> Result<AttestOutcome, HostError> {
        let community = signed.community;
        // Heads signed by a revoked key are refused for their community only: the peer
        // may be a district hub passing on many communities' heads.
        if self.revoked.contains(&signed.signer) {
            return Ok(AttestOutcome::Refused(format!(
                "signed heads of {community} are by a key revoked at the hub"
            )));
        }
        // A node's own heads must be signed by its own key.
        if matches!(self.roster.get(peer), Some(Scope::Community(_))) && signed.signer != *peer {
            return Err(HostError::Forbidden(format!(
                "signed heads of {community} are not signed by this node's key"
            )));
        }
        signed
            .verify()
            .map_err(|error| HostError::Forbidden(error.to_string()))?;
        let newer = self
            .attestations
            .get(&community)
            .is_none_or(|held| held.signer != signed.signer || held.seq < signed.seq);
        if newer {
            self.attestations.insert(community, signed);
        }
        Ok(AttestOutcome::Kept)
    }

    fn end(&mut self, peer: &PublicKey, _now: Timestamp) {
        for ((key, _), state) in self.states.iter_mut() {
            if key == peer {
                // Only what both sides share survives a reconnect: the encoded form
                // keeps exactly that.
                *state = sync::State::decode(&state.encode()).unwrap_or_default();
            }
        }
    }
}
