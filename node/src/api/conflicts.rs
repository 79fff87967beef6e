//! Conflicts for staff (冲突待处理): `GET /api/conflicts`, every fact a concurrent
//! offline edit made ineffective, as [`wishtree_protocol::conflicts`] reads them from
//! the folds and the inbox's outcomes.

use wishtree_protocol::conflicts::Conflict;
use wishtree_protocol::model::InboxOutcome;

use super::{ApiError, ApiResult};
use crate::replica::Replica;

/// The community's conflicts, the newest first.
pub fn conflicts(replica: &mut Replica) -> Result<Vec<Conflict>, ApiError> {
    let view = replica.view()?;
    let (inbox, _) = replica.doc().entities::<InboxOutcome>()?;
    Ok(wishtree_protocol::conflicts::conflicts(&view, &inbox))
}

/// `GET /api/conflicts`.
pub fn list_conflicts(replica: &mut Replica) -> ApiResult {
    serde_json::to_value(conflicts(replica)?).map_err(|error| ApiError::Internal {
        message: format!("the conflicts cannot be written as JSON: {error}"),
    })
}
