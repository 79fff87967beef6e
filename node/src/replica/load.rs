//! Loading the node's three documents (community, city, inbox) from the chunks the
//! store keeps them in, and naming the damaged chunk when one does not load.

use automerge::AutoCommit;
use wishtree_protocol::city::CityDoc;
use wishtree_protocol::doc::DocError;
use wishtree_protocol::{CommunityCode, CommunityDoc, RegionLevel};

use super::open::OpenError;
use crate::store::{Chunk, DocName, Store};

/// Loads the community document from its chunks. When the whole does not load, the
/// chunks are tried one by one to name the first one at fault.
pub(super) fn load_community(
    store: &Store,
    code: CommunityCode,
    actor: [u8; 16],
) -> Result<(CommunityDoc, usize), OpenError> {
    let chunks = store.chunks(DocName::Community)?;
    let damaged = |reason: String| damaged(store, DocName::Community, reason);
    if chunks.is_empty() {
        return Err(damaged("it has no chunks".to_owned()));
    }
    if let Some(empty) = chunks.iter().find(|chunk| chunk.bytes.is_empty()) {
        return Err(damaged(format!("chunk {} is empty", empty.seq)));
    }
    match CommunityDoc::load(&joined(&[], &chunks), Some(code), actor) {
        Ok(doc) => Ok((doc, chunks.len())),
        Err(error @ (DocError::WrongCommunity { .. } | DocError::NotACommunityDocument(_))) => {
            Err(damaged(error.to_string()))
        }
        Err(error) => Err(damaged(
            find_bad_chunk(&[], &chunks).unwrap_or_else(|| error.to_string()),
        )),
    }
}

/// Loads the city document: its genesis, then the chunks the hub's changes were
/// stored in.
pub(super) fn load_city(
    store: &Store,
    code: CommunityCode,
    actor: [u8; 16],
) -> Result<(CityDoc, usize), OpenError> {
    let prefix = code.region(RegionLevel::City);
    let genesis = CityDoc::genesis(&prefix);
    let chunks = store.chunks(DocName::City)?;
    match CityDoc::load(&joined(&genesis, &chunks), Some(&prefix), actor) {
        Ok(city) => Ok((city, chunks.len())),
        Err(error) => Err(damaged(
            store,
            DocName::City,
            find_bad_chunk(&genesis, &chunks).unwrap_or_else(|| error.to_string()),
        )),
    }
}

/// Loads the community's inbox from the chunks the hub's changes were stored in (no
/// genesis of its own: the node holds what the hub sent, nothing before).
pub(super) fn load_inbox(store: &Store) -> Result<(AutoCommit, usize), OpenError> {
    let chunks = store.chunks(DocName::Inbox)?;
    let bytes = joined(&[], &chunks);
    if bytes.is_empty() {
        return Ok((AutoCommit::new(), 0));
    }
    match AutoCommit::load(&bytes) {
        Ok(inbox) => Ok((inbox, chunks.len())),
        Err(error) => Err(damaged(
            store,
            DocName::Inbox,
            find_bad_chunk(&[], &chunks).unwrap_or_else(|| error.to_string()),
        )),
    }
}

/// `base` followed by every chunk's bytes, in order: what automerge loads.
fn joined(base: &[u8], chunks: &[Chunk]) -> Vec<u8> {
    let total = base.len() + chunks.iter().map(|chunk| chunk.bytes.len()).sum::<usize>();
    let mut bytes = Vec::with_capacity(total);
    bytes.extend_from_slice(base);
    for chunk in chunks {
        bytes.extend_from_slice(&chunk.bytes);
    }
    bytes
}

fn damaged(store: &Store, doc: DocName, reason: String) -> OpenError {
    OpenError::DamagedDocument {
        path: store.path().display().to_string(),
        doc,
        reason,
    }
}

/// Names the first chunk at fault: the shortest run of chunks from the first that
/// does not load ends with it. Runs from the first load or fail monotonically (a
/// chunk only depends on those before it), so a binary search finds it.
fn find_bad_chunk(base: &[u8], chunks: &[Chunk]) -> Option<String> {
    let loads = |count: usize| AutoCommit::load(&joined(base, &chunks[..count])).map(drop);
    if loads(chunks.len()).is_ok() {
        return None;
    }
    // Invariant of the search: `good` chunks load, `bad` chunks do not.
    let (mut good, mut bad) = (0, chunks.len());
    while bad - good > 1 {
        let middle = (good + bad) / 2;
        if loads(middle).is_ok() {
            good = middle;
        } else {
            bad = middle;
        }
    }
    let chunk = &chunks[bad - 1];
    let error = loads(bad).err()?;
    Some(format!(
        "chunk {} ({} bytes) does not load: {error}",
        chunk.seq,
        chunk.bytes.len()
    ))
}
