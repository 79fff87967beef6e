//! The city document at the hub: written by the `city` command, read back when another
//! process wrote it.

use wishtree_protocol::Timestamp;
use wishtree_protocol::city::{CityCommand, CityDoc};
use wishtree_protocol::frame::DocId;

use super::{Hub, HubError, load_doc};
use crate::store::StoredDoc;

impl Hub {
    /// Applies a command to the city document, stores it, and offers it to every
    /// connected node.
    pub fn execute_city(&self, command: &CityCommand, now: Timestamp) -> Result<(), HubError> {
        self.with_doc(DocId::City, |locked| {
            let doc = locked.doc()?.clone();
            let before = doc.clone().get_heads();
            let mut city = CityDoc::from_automerge(doc, Some(&self.city), self.actor())
                .map_err(|error| HubError::City(error.to_string()))?;
            city.execute(command, now)
                .map_err(|error| HubError::City(error.to_string()))?;
            let mut doc = city.into_automerge();
            let bytes = doc.save_after(&before);
            self.store.append_chunk(StoredDoc::City, &bytes, now)?;
            let mut heads = doc.get_heads();
            heads.sort();
            *lock(&self.city_heads) = heads;
            locked.replace(doc);
            Ok::<_, HubError>(())
        })?;
        self.changed(DocId::City);
        Ok(())
    }

    /// Reloads the city document from the store if another process (the `city`
    /// command) wrote to it, and offers the change to connected nodes and to the
    /// figures worker.
    pub fn reload_city_if_changed(&self) -> Result<bool, HubError> {
        let bytes = self.store.doc_bytes(StoredDoc::City)?.unwrap_or_default();
        let stored = load_doc(DocId::City, &bytes)?;
        let mut stored_heads = stored.clone().get_heads();
        stored_heads.sort();
        // Compared with what this process last knew, not with the document in memory:
        // a document first loaded after the other process wrote holds the write
        // already, and the write must still be announced.
        if *lock(&self.city_heads) == stored_heads {
            return Ok(false);
        }
        self.with_doc(DocId::City, |locked| {
            let held = locked.doc()?;
            let mut held_heads = held.get_heads();
            held_heads.sort();
            if held_heads == stored_heads {
                return Ok(());
            }
            let mut merged = held.clone();
            let mut stored = stored;
            merged
                .merge(&mut stored)
                .map_err(|error| HubError::Damaged {
                    doc: DocId::City,
                    reason: error.to_string(),
                })?;
            locked.replace(merged);
            Ok::<_, HubError>(())
        })?;
        *lock(&self.city_heads) = stored_heads;
        self.changed(DocId::City);
        Ok(true)
    }
}

fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
