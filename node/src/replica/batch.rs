//! Group commit: writes that arrive together share one SQLite transaction and one
//! disk sync, and each is answered only after that transaction is on disk.
//!
//! A write through the API or a form waits for the replica's lock; while one write's
//! transaction is syncing, the next ones queue. [`GroupCommit::write`] queues its work
//! and then takes the lock; whoever gets it first runs every queued work in turn
//! against the replica in batch mode ([`Replica::execute_as`] applies and commits each
//! change in memory only), stores the batch — one chunk for all its changes, one
//! signature over the new heads, the personal data — in one transaction, and only then
//! hands each caller its answer. If that transaction fails, the documents are reloaded
//! from the store and every work that wrote is answered with the store's error instead.
//!
//! The replica's lock is held from the first work of a batch until its answers are
//! handed out, so no reader and no sync session ever sees a change that is not on
//! disk: what the replica holds in memory between two calls is what the store holds.
//! A writer alone pays what it paid before (one transaction, one sync); writers that
//! come together share the sync.

use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::{PrivateRecord, Replica, SharedReplica};
use crate::store::{DocName, StoreError};

/// The queue of writes waiting for the replica, shared by every handler. See the
/// module doc.
#[derive(Debug)]
pub struct GroupCommit {
    replica: SharedReplica,
    queue: Mutex<Vec<Job>>,
}

/// The writes of a batch not yet flushed.
#[derive(Debug, Default)]
pub(super) struct Batch {
    /// When each write that changed the document began, for the write metrics.
    changes: Vec<Instant>,
    /// Personal data to store with the batch.
    private: Vec<PrivateRecord>,
    /// How many calls wrote anything (a change or personal data).
    writes: u64,
}

/// What the flush of a batch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flushed {
    /// Works in the batch.
    pub works: usize,
    /// Document changes stored by its one transaction.
    pub changes: usize,
}

/// One queued work: run on the replica, it answers how to deliver its result once
/// the batch is flushed (or failed).
struct Job(Box<dyn FnOnce(&mut Replica) -> Delivery + Send>);

type Delivery = Box<dyn FnOnce(Result<(), &StoreError>) + Send>;

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Job")
    }
}

/// The caller's work did not finish: it panicked.
#[derive(Debug, thiserror::Error)]
#[error("the write stopped half-way; nothing of it was stored")]
pub struct WorkStopped;

impl GroupCommit {
    /// The queue in front of `replica`.
    pub fn new(replica: SharedReplica) -> Self {
        Self {
            replica,
            queue: Mutex::new(Vec::new()),
        }
    }

    /// Runs `work` on the replica in the next batch and answers what it returned once
    /// the batch is on disk. If the batch's transaction fails and `work` wrote
    /// anything, the answer is `lost(error)` instead: nothing of it was kept.
    pub async fn write<T: Send + 'static>(
        self: &Arc<Self>,
        work: impl FnOnce(&mut Replica) -> T + Send + 'static,
        lost: impl FnOnce(&StoreError) -> T + Send + 'static,
    ) -> Result<T, WorkStopped> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        self.enqueue(Job(Box::new(move |replica: &mut Replica| {
            let writes_before = replica.batched_writes();
            let value = work(replica);
            let wrote = replica.batched_writes() != writes_before;
            Box::new(move |flushed: Result<(), &StoreError>| {
                let value = match flushed {
                    Err(error) if wrote => lost(error),
                    _ => value,
                };
                // The caller may have gone (its connection closed); the write stands.
                let _ = answer.send(value);
            })
        })));
        let this = Arc::clone(self);
        // When this returns, the work ran in this batch or in an earlier one, and was
        // answered: a leader answers every work it took before it lets go of the lock.
        tokio::task::spawn_blocking(move || this.lead(crate::now))
            .await
            .map_err(|_| WorkStopped)?;
        answered.await.map_err(|_| WorkStopped)
    }

    /// Runs whatever is queued as one batch, if anything is; blocks on the replica's
    /// lock. Answers what the flush did (`None` if another caller took the queue).
    pub fn lead(&self, now: impl Fn() -> wishtree_protocol::Timestamp) -> Option<Flushed> {
        let mut replica = self.replica.blocking_lock();
        // Taken only once the lock is held: whatever queued while the previous batch
        // was syncing joins this one.
        let jobs = std::mem::take(&mut *self.queue());
        if jobs.is_empty() {
            return None;
        }
        replica.batch = Some(Batch::default());
        let works = jobs.len();
        let deliveries: Vec<Option<Delivery>> = jobs
            .into_iter()
            .map(|Job(job)| {
                let ran = std::panic::catch_unwind(AssertUnwindSafe(|| job(&mut replica)));
                if ran.is_err() {
                    // Its caller is told it stopped (its answer channel is gone); what it
                    // had half-applied is dropped, what it committed is flushed.
                    replica.doc.rollback();
                }
                ran.ok()
            })
            .collect();
        let changes = replica
            .batch
            .as_ref()
            .map_or(0, |batch| batch.changes.len());
        let flushed = replica.flush_batch(now());
        for delivery in deliveries.into_iter().flatten() {
            delivery(flushed.as_ref().map(|_| ()));
        }
        Some(Flushed { works, changes })
    }

    /// How many writes wait for the next batch.
    pub fn queued(&self) -> usize {
        self.queue().len()
    }

    fn enqueue(&self, job: Job) {
        self.queue().push(job);
    }

    fn queue(&self) -> std::sync::MutexGuard<'_, Vec<Job>> {
        // A job is pushed or the whole queue taken, nothing that can panic half-way.
        self.queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Batch {
    /// Records one batched write.
    pub(super) fn add(&mut self, changed: bool, private: Option<PrivateRecord>, started: Instant) {
        if changed {
            self.changes.push(started);
        }
        if changed || private.is_some() {
            self.writes += 1;
        }
        self.private.extend(private);
    }
}

impl Replica {
    /// The personal data of the current batch, latest first.
    pub(super) fn batched_private(&self) -> impl Iterator<Item = &PrivateRecord> {
        self.batch
            .iter()
            .flat_map(|batch| batch.private.iter().rev())
    }

    /// How many calls wrote in the current batch (0 outside one).
    fn batched_writes(&self) -> u64 {
        self.batch.as_ref().map_or(0, |batch| batch.writes)
    }

    /// Ends batch mode: stores the batch's changes as one chunk with one signature
    /// over the new heads and its personal data, in one transaction. On failure the
    /// documents are reloaded from the store.
    fn flush_batch(&mut self, now: wishtree_protocol::Timestamp) -> Result<(), StoreError> {
        let Some(batch) = self.batch.take() else {
            return Ok(());
        };
        if batch.writes == 0 {
            return Ok(());
        }
        match self.persist_local(&batch.private, now) {
            Ok((heads, _)) => {
                for started in &batch.changes {
                    self.write_metrics
                        .record::<(), ()>(&Ok(()), started.elapsed());
                }
                if !batch.changes.is_empty() {
                    let commits = batch.changes.len() as u64;
                    self.changes.send_modify(|notice| {
                        notice.heads = heads;
                        notice.local_commits += commits;
                    });
                    self.compact_if_due(DocName::Community);
                }
                Ok(())
            }
            Err(error) => {
                for _ in &batch.changes {
                    self.write_metrics
                        .record::<(), _>(&Err(()), std::time::Duration::ZERO);
                }
                self.reload_after_failure();
                Err(error)
            }
        }
    }
}
