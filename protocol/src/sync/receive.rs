//! A peer's sync message applied to a document as the peer's [`Access`] allows: the
//! rule every host keeps (the hub's, the in-memory one), written once.

use automerge::sync::SyncDoc;
use automerge::{AutoCommit, sync};

use super::{Access, HostError};
use crate::frame::DocId;

/// Applies `message` from a peer to `document`, updating the peer's sync `state`, and
/// says whether the document changed.
///
/// A read-only peer's message is tried on a copy (what a peer reads is small: the city
/// document); if it would change the document it is refused with
/// [`HostError::Forbidden`] and `document` is left as it was. A message automerge cannot
/// apply is [`HostError::Invalid`]; with [`Access::ReadWrite`] it may be half-applied to
/// `document` by then, so a host that keeps `document` drops it and loads it again.
pub fn receive_message(
    document: &mut AutoCommit,
    state: &mut sync::State,
    doc: &DocId,
    message: sync::Message,
    access: Access,
) -> Result<bool, HostError> {
    let before = document.get_heads();
    let invalid = |error: automerge::AutomergeError| HostError::Invalid(error.to_string());
    if access == Access::ReadOnly {
        let mut trial = document.clone();
        trial
            .sync()
            .receive_sync_message(state, message)
            .map_err(invalid)?;
        if trial.get_heads() != before {
            return Err(HostError::Forbidden(format!(
                "{doc} is written by the hub only; this node may not change it"
            )));
        }
        return Ok(false);
    }
    document
        .sync()
        .receive_sync_message(state, message)
        .map_err(invalid)?;
    Ok(document.get_heads() != before)
}
