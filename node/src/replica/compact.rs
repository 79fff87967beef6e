//! Keeping the chunk table short (a full save replaces the increments), and backups.

use std::path::Path;
use std::time::Instant;

use super::{Replica, sorted_heads};
use crate::store::{DocName, StoreError};

impl Replica {
    /// Sets after how many chunks a document is compacted (tests and benches).
    pub fn set_compact_after(&mut self, chunks: usize) {
        self.compact_after = chunks.max(2);
    }

    /// The whole community document as one automerge save, for `export`.
    pub fn save(&mut self) -> Vec<u8> {
        self.doc.save()
    }

    /// Writes a consistent copy of the database to `out` (SQLite online backup).
    pub fn backup_to(
        &self,
        out: &Path,
        progress: impl FnMut(crate::store::BackupProgress),
    ) -> Result<(), StoreError> {
        self.store.backup_to(out, progress)
    }

    /// Folds a document's chunks into one full save, in one transaction.
    pub fn compact(&mut self, doc: DocName) -> Result<(), StoreError> {
        if self.store.is_read_only() {
            return Err(StoreError::ReadOnly {
                path: self.store.path().display().to_string(),
            });
        }
        let started = Instant::now();
        let chunks = self.chunks_stored(doc);
        if doc != DocName::Community && chunks == 0 {
            // Nothing received: the city's genesis needs no storing, an empty inbox none.
            return Ok(());
        }
        let (bytes, heads) = {
            let automerge = self.held(doc).0;
            (automerge.save(), sorted_heads(automerge))
        };
        tracing::info!(
            "compacting {chunks} chunks of the {doc} document into one save of {} bytes",
            bytes.len()
        );
        let transaction = self.store.transaction()?;
        transaction.replace_chunks(doc, &bytes)?;
        transaction.commit()?;
        let (_, saved, stored_chunks) = self.held(doc);
        *saved = heads;
        *stored_chunks = 1;
        tracing::info!(
            "compacted the {doc} document in {} ms",
            started.elapsed().as_millis()
        );
        Ok(())
    }

    pub(super) fn compact_if_due(&mut self, doc: DocName) {
        let chunks = self.chunks_stored(doc);
        if chunks >= self.compact_after
            && let Err(error) = self.compact(doc)
        {
            // The chunks are all stored; compaction is tried again after the next one.
            tracing::warn!("compaction of the {doc} document failed: {error}");
        }
    }
}
