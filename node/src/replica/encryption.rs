//! The node's encryption key for residents' sealed submissions (issue 12): an X25519
//! key apart from the node's ed25519 identity (`wishtree_protocol::submission`).
//!
//! Its seed is kept in the settings of `node.sqlite` beside the node's secret, so a
//! backup restores a node that can still open what was sealed to it. The node
//! publishes the public key in its own document, signed by its ed25519 key, at every
//! start where the document does not already say so (a new node at `init`, a data
//! directory made before this key existed, a node whose ed25519 key was rotated): the
//! hub seals only to a key whose statement verifies against the key the roster enrols.
//! Sealed submissions arrive through the inbox and are opened into `private_residents`
//! in the same transaction as the change that records the wish.

use wishtree_protocol::Timestamp;
use wishtree_protocol::id::InboxEntryId;
use wishtree_protocol::submission::{EncryptionKeyPair, SignedEncryptionKey, Submission};

use super::{ExecuteError, OpenError, PrivateRecord, Replica, random_bytes, setting};
use crate::store::{ResidentPrivate, StoreError};

impl Replica {
    /// The node's encryption key pair, if it has drawn one (every node that opened
    /// for writing has).
    pub fn encryption_key(&self) -> Result<Option<EncryptionKeyPair>, StoreError> {
        let stored = self.store.setting(setting::ENCRYPTION_SEED)?;
        let mut seed = [0u8; 32];
        Ok(stored
            .filter(|text| hex::decode_to_slice(text.trim(), &mut seed).is_ok())
            .map(|_| EncryptionKeyPair::from_seed(seed)))
    }

    /// The key pair, drawn and stored the first time.
    fn encryption_key_or_new(&mut self) -> Result<EncryptionKeyPair, OpenError> {
        if let Some(pair) = self.encryption_key()? {
            return Ok(pair);
        }
        let seed = random_bytes::<32>()?;
        let transaction = self.store.transaction()?;
        transaction.put_setting(setting::ENCRYPTION_SEED, &hex::encode(seed))?;
        transaction.commit()?;
        Ok(EncryptionKeyPair::from_seed(seed))
    }

    /// Publishes the encryption key in the community document, signed by the node's
    /// key, unless the document already holds that statement by that key. Read-only
    /// replicas publish nothing.
    pub(super) fn publish_encryption_key(&mut self, now: Timestamp) -> Result<(), OpenError> {
        if self.store.is_read_only() {
            return Ok(());
        }
        let key = self.encryption_key_or_new()?.public();
        let held = self.doc.encryption_keys().unwrap_or_default();
        if held
            .iter()
            .any(|held| held.key == key && held.signer == self.key.public())
        {
            return Ok(());
        }
        let statement = SignedEncryptionKey::sign(&self.key, self.code, key, now);
        let stored = self
            .doc
            .put_encryption_key(&statement)
            .map_err(|error| StoreError::Damaged {
                path: self.store.path().display().to_string(),
                reason: format!("the encryption key could not be written: {error}"),
            })
            .and_then(|()| {
                self.doc.commit(now);
                self.persist_local(None, now).map(drop)
            });
        if let Err(error) = stored {
            self.reload_after_failure();
            return Err(error.into());
        }
        tracing::info!("published the node's encryption key for sealed submissions");
        Ok(())
    }

    /// The personal fields of the submissions just applied, opened with the node's
    /// key, as private records to store with the change. One that does not open (not
    /// sealed to this node's key) keeps its wish without them; the worker sees no name
    /// and asks the resident, and the log says which entry, never what it held.
    pub(super) fn open_submissions(
        &self,
        submitted: &[(InboxEntryId, Box<Submission>)],
    ) -> Result<Vec<PrivateRecord>, ExecuteError> {
        if submitted.is_empty() {
            return Ok(Vec::new());
        }
        let Some(key) = self.encryption_key()? else {
            tracing::warn!("sealed submissions arrived before the node drew its encryption key");
            return Ok(Vec::new());
        };
        let mut records = Vec::with_capacity(submitted.len());
        for (entry, submission) in submitted {
            match key.open(self.code, submission.receipt, &submission.sealed) {
                Ok(details) => records.push(PrivateRecord::Resident {
                    wish: submission.wish(self.code),
                    data: ResidentPrivate {
                        real_name: details.name.into_string(),
                        phone: details.phone.to_string(),
                        address: details.address,
                    },
                }),
                Err(error) => {
                    tracing::warn!(%entry, "a sealed submission did not open: {error}");
                }
            }
        }
        Ok(records)
    }
}
