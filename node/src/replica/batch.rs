//! Group commit: writes that arrive together share one SQLite transaction and one
//! disk sync, and each is answered only after that transaction is on disk.
//!
//! [`GroupCommit::write`] queues its work. If no one leads, its caller leads: it takes
//! the replica's lock, then everything queued, runs each work in turn against the
//! replica in batch mode ([`Replica::execute_as`] applies and commits each change in
//! memory only), stores the batch — one chunk for all its changes, one signature over
//! the new heads, the personal data — in one transaction, and only then hands each
//! caller its answer. Works that queued while that batch was syncing make the next
//! batch, led on a blocking thread until the queue is empty, so the first leader is
//! answered as soon as its own batch is on disk. If a transaction fails, the documents
//! are reloaded from the store and every work that wrote is answered with the store's
//! error instead.
//!
//! The replica's lock is held from the first work of a batch until its answers are
//! handed out, so no reader and no sync session ever sees a change that is not on
//! disk: what the replica holds in memory between two calls is what the store holds.
//! A writer alone pays one transaction and one sync, on its own thread; writers that
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
    queue: Mutex<Queue>,
}

/// The writes waiting, and whether a leader will take them. Both change under one
/// lock, so a write either finds a leader that will still take it or leads itself.
#[derive(Debug, Default)]
struct Queue {
    jobs: Vec<Job>,
    led: bool,
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
            queue: Mutex::new(Queue::default()),
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
        let job = Job(Box::new(move |replica: &mut Replica| {
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
        }));
        if !self.enqueue(job) {
            // A leader is running batches; it takes this work in its next one.
            return answered.await.map_err(|_| WorkStopped);
        }
        if tokio::runtime::Handle::current().runtime_flavor()
            == tokio::runtime::RuntimeFlavor::MultiThread
        {
            // This write leads one batch on its own thread, the runtime moving the
            // thread's other tasks to another: no hand-over to a blocking thread and
            // back, which cost a lone write two thread wake-ups (about a third of the
            // HTTP path's own time, node bench). Writes that queued meanwhile are led
            // on a blocking thread, so that this one is answered now.
            if tokio::task::block_in_place(|| self.lead_batch(crate::now)) {
                let this = Arc::clone(self);
                tokio::task::spawn_blocking(move || this.lead_all(crate::now));
            }
        } else {
            let this = Arc::clone(self);
            tokio::task::spawn_blocking(move || this.lead_all(crate::now))
                .await
                .map_err(|_| WorkStopped)?;
        }
        answered.await.map_err(|_| WorkStopped)
    }

    /// Leads batches until nothing is queued.
    fn lead_all(&self, now: impl Fn() -> wishtree_protocol::Timestamp + Copy) {
        while self.lead_batch(now) {}
    }

    /// Runs whatever is queued as one batch; blocks on the replica's lock. Answers
    /// whether more work queued meanwhile: then the caller still leads and must run
    /// another batch; if not, it no longer leads.
    fn lead_batch(&self, now: impl Fn() -> wishtree_protocol::Timestamp) -> bool {
        // If this panics, whatever is queued is dropped (its callers are told the
        // write stopped) and the next write leads; no write waits for a dead leader.
        let abdication = Abdication(self);
        let mut replica = self.replica.blocking_lock();
        // Taken only once the lock is held: whatever queued while the previous batch
        // was syncing joins this one.
        let jobs = std::mem::take(&mut self.queue().jobs);
        replica.batch = Some(Batch::default());
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
        let flushed = replica.flush_batch(now());
        for delivery in deliveries.into_iter().flatten() {
            delivery(flushed.as_ref().map(|_| ()));
        }
        drop(replica);
        std::mem::forget(abdication);
        let mut queue = self.queue();
        queue.led = !queue.jobs.is_empty();
        queue.led
    }

    /// How many writes wait for the next batch.
    pub fn queued(&self) -> usize {
        self.queue().jobs.len()
    }

    /// Queues a job; answers whether its caller must lead (no one else does).
    fn enqueue(&self, job: Job) -> bool {
        let mut queue = self.queue();
        queue.jobs.push(job);
        !std::mem::replace(&mut queue.led, true)
    }

    fn queue(&self) -> std::sync::MutexGuard<'_, Queue> {
        // A job is pushed or the whole queue taken, nothing that can panic half-way.
        self.queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Dropped only if a leader panics: gives up the lead and drops what is queued.
struct Abdication<'a>(&'a GroupCommit);

impl Drop for Abdication<'_> {
    fn drop(&mut self) {
        let mut queue = self.0.queue();
        queue.led = false;
        queue.jobs.clear();
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
