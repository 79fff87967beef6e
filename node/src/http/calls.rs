//! How a handler calls the replica: a read under the replica's lock where blocking is
//! allowed ([`on_replica`]), a write in the next group commit ([`on_replica_write`]).

use std::panic::AssertUnwindSafe;

use super::AppState;
use crate::api::{ApiError, ApiResult};
#[cfg(doc)]
use crate::replica::GroupCommit;
use crate::replica::Replica;

/// Runs `work` on the replica, holding its lock for that call, where blocking is
/// allowed: on a multi-thread runtime on this task's own thread, the runtime moving the
/// thread's other tasks to another (as a group commit's leader runs, [`GroupCommit`]):
/// a hand-over to a blocking thread and back cost a read about 30 µs of its 100
/// (`GET /api/status`, p50). Elsewhere on a blocking thread.
pub async fn on_replica<T: Send + 'static>(
    state: &AppState,
    work: impl FnOnce(&mut Replica) -> T + Send + 'static,
) -> Result<T, ApiError> {
    let replica = state.replica.clone();
    let run = move || {
        let mut replica = replica.blocking_lock();
        work(&mut replica)
    };
    let stopped = |why: String| ApiError::Internal {
        message: format!("the request stopped half-way: {why}"),
    };
    if tokio::runtime::Handle::current().runtime_flavor()
        == tokio::runtime::RuntimeFlavor::MultiThread
    {
        // A panic in `work` is answered, as a blocking thread's would be; the replica's
        // lock is let go as it unwinds.
        tokio::task::block_in_place(|| std::panic::catch_unwind(AssertUnwindSafe(run)))
            .map_err(|_| stopped("it panicked".to_owned()))
    } else {
        tokio::task::spawn_blocking(run)
            .await
            .map_err(|error| stopped(error.to_string()))
    }
}

/// Runs a write on the replica in the next group commit ([`GroupCommit`]): answered
/// once it is on disk, or with the store's error if its batch could not be stored.
pub async fn on_replica_write(
    state: &AppState,
    work: impl FnOnce(&mut Replica) -> ApiResult + Send + 'static,
) -> ApiResult {
    state
        .writes
        .write(work, |error| Err(ApiError::from_store(error)))
        .await
        .map_err(|stopped| ApiError::Internal {
            message: stopped.to_string(),
        })?
}
