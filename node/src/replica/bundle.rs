//! The USB stick: a signed changes bundle of what the hub lacks, and importing a saved
//! document.

use std::time::Instant;

use automerge::ChangeHash;
use wishtree_protocol::{CommunityDoc, Timestamp};

use super::{ReceiveError, Received, Replica, setting};
use crate::identity::{self};
use crate::store::{DocName, RESTORE_ADVICE, StoreError};

/// What a changes bundle for the hub ([`Replica::export_bundle`]) holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BundleOptions {
    /// The whole history, instead of the changes the hub's last known heads do not
    /// cover.
    pub is_whole_history: bool,
    /// How long the hub accepts it.
    pub valid_for: std::time::Duration,
}

/// A signed changes bundle, ready to be written to a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedBundle {
    /// The bundle's bytes.
    pub bytes: Vec<u8>,
    /// Its seq among the node's bundles.
    pub seq: u64,
    /// How many changes it carries.
    pub changes: usize,
    /// The hub heads it builds on (empty: the whole history).
    pub base_heads: Vec<ChangeHash>,
    /// When the hub's heads were last learned (by sync), if they were.
    pub hub_heads_at: Option<Timestamp>,
    /// The heads it brings the hub to.
    pub heads: Vec<ChangeHash>,
    /// The seq of the node's signed heads it carries.
    pub attestation_seq: Option<u64>,
    /// When it goes stale.
    pub expires_at: Timestamp,
}

/// Why no bundle was written. Nothing was stored.
#[derive(Debug, thiserror::Error)]
pub enum BundleExportError {
    /// A bundle is addressed to the hub's key, and none is configured.
    #[error(
        "no hub is configured, and a bundle is addressed to the hub's key; create the node with --hub and --hub-key"
    )]
    NoHub,
    /// A stored bundle setting does not parse.
    #[error("the setting {key} in {path} is damaged; {RESTORE_ADVICE}")]
    BadSetting {
        /// The database.
        path: String,
        /// The setting.
        key: &'static str,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// An earlier store failure could not be recovered from.
    #[error("{0}")]
    Poisoned(String),
}

impl ExportedBundle {
    /// What to tell the worker who wrote it to `out`: what it holds and where it goes.
    pub fn summary(&self, out: &str) -> String {
        let since = if self.base_heads.is_empty() {
            "the whole history".to_owned()
        } else {
            format!(
                "the changes since the hub's heads as of the last sync ({})",
                self.hub_heads_at.map_or("time unknown".to_owned(), |at| at
                    .display_in_shanghai()
                    .to_string())
            )
        };
        let mut lines = format!(
            "wrote bundle {out}: {} bytes, {} changes ({since}), bundle seq {}, signed heads seq {}, expires {}\n\
             give this file to the hub operator: wishtree-hub import --data HUB_DIR {out}",
            self.bytes.len(),
            self.changes,
            self.seq,
            self.attestation_seq
                .map_or("none".to_owned(), |seq| seq.to_string()),
            self.expires_at.display_in_shanghai()
        );
        if !self.base_heads.is_empty() {
            lines.push_str(
                "\nif the hub refuses it for missing changes, write one with the whole history: wishtree-node export --bundle --all",
            );
        }
        lines
    }
}

impl Replica {
    /// Merges a whole document (an export of this community, from this node or
    /// another) into the community document and stores the new changes, signing the
    /// new heads. Refuses another community's document.
    pub fn import(&mut self, bytes: &[u8], now: Timestamp) -> Result<Received, ReceiveError> {
        self.check_usable().map_err(ReceiveError::Poisoned)?;
        let started = Instant::now();
        // The loaded copy is only merged from, never written, so its actor is moot.
        let mut other = CommunityDoc::load(bytes, Some(self.code), [0; 16])?;
        tracing::info!(
            "import: read {} bytes in {} ms; merging",
            bytes.len(),
            started.elapsed().as_millis()
        );
        let before = self.doc.heads();
        if let Err(error) = self.doc.merge(&mut other) {
            self.reload_after_failure();
            return Err(error.into());
        }
        let heads = self.doc.heads();
        if heads == before {
            return Ok(Received {
                is_changed: false,
                heads,
            });
        }
        if let Err(error) = self.persist_local(None, now) {
            self.reload_after_failure();
            return Err(error.into());
        }
        tracing::info!(
            "import: merged and stored in {} ms",
            started.elapsed().as_millis()
        );
        self.changes.send_modify(|notice| {
            notice.heads = heads.clone();
            notice.remote_batches += 1;
        });
        self.compact_if_due(DocName::Community);
        Ok(Received {
            is_changed: true,
            heads,
        })
    }

    /// Makes a signed changes bundle for the hub, for a USB stick when the network is
    /// gone (DESIGN §7): the changes the hub's heads, as last learned by sync, do not
    /// cover (or the whole history), addressed to the hub's key, with the node's latest
    /// signed heads. Its seq (one more than the last bundle's) and its hash (the next
    /// bundle's `previous`) are stored before it is returned, so that no seq is ever
    /// issued twice; a bundle that is then not written only leaves a gap, which the
    /// format allows.
    pub fn export_bundle(
        &mut self,
        options: &BundleOptions,
        now: Timestamp,
    ) -> Result<ExportedBundle, BundleExportError> {
        use wishtree_protocol::bundle::{Audience, Envelope, NewBundle, bundle_hash};
        self.check_usable().map_err(BundleExportError::Poisoned)?;
        let hub = self.hub.clone().ok_or(BundleExportError::NoHub)?;
        let bad_setting = |key| BundleExportError::BadSetting {
            path: self.store.path().display().to_string(),
            key,
        };
        let last_seq = match self.store.setting(setting::BUNDLE_SEQ)? {
            Some(text) => text
                .parse::<u64>()
                .map_err(|_| bad_setting(setting::BUNDLE_SEQ))?,
            None => 0,
        };
        // The hash is 32 bytes in hex, the form the key's secret is kept in.
        let previous = match self.store.setting(setting::BUNDLE_PREVIOUS)? {
            Some(text) => Some(
                identity::secret_from_hex(&text)
                    .ok_or_else(|| bad_setting(setting::BUNDLE_PREVIOUS))?,
            ),
            None => None,
        };
        let seq = last_seq + 1;
        let valid_ms = i64::try_from(options.valid_for.as_millis()).unwrap_or(i64::MAX);
        let envelope = Envelope {
            audience: Audience::Key(hub.key),
            seq,
            previous,
            issued_at: now,
            expires_at: now.plus_millis(valid_ms),
        };
        let base = if options.is_whole_history {
            Vec::new()
        } else {
            self.hub_link.heads.clone()
        };
        let attestation = self.last_attestation()?;
        let attestation_seq = attestation.as_ref().map(|signed| signed.seq);
        let new = NewBundle::changes(&mut self.doc, &base, attestation, envelope);
        let changes = self
            .doc
            .automerge_mut()
            .get_changes_meta(&new.base_heads)
            .len();
        let base_heads = new.base_heads.clone();
        let heads = new.heads.clone();
        let bytes = new.sign(&self.key);
        let hash = bundle_hash(&bytes);
        let transaction = self.store.transaction()?;
        transaction.put_setting(setting::BUNDLE_SEQ, &seq.to_string())?;
        transaction.put_setting(setting::BUNDLE_PREVIOUS, &identity::secret_to_hex(&hash))?;
        transaction.commit()?;
        Ok(ExportedBundle {
            bytes,
            seq,
            changes,
            base_heads,
            hub_heads_at: self.hub_link.last_synced_at,
            heads,
            attestation_seq,
            expires_at: envelope.expires_at,
        })
    }
}
