//! A bound on session steps in flight at once, served in order of rank: the hub's
//! sessions wait here before each step (a merge, a store), the oldest session first.
//!
//! With a first-come queue (a fair semaphore), every step of every session waits
//! behind one step of each of the others: when a city reconnects, thousands of
//! sessions advance together and all finish at the end, each document is dropped from
//! the hub's bounded cache between two steps of its own session and loaded again for
//! the next. Ten thousand nodes crawled at that. Served by rank (the order in which the
//! hub accepted the connections), the sessions that came first finish first, while
//! their documents are still in memory, and the rest follow in turn.
//!
//! A permit goes from the step that ends straight to the waiter of lowest rank (ties:
//! the one that asked first); one nobody waits for goes back to the gate. The limit
//! can be moved while the gate is in use ([`StepGate::set_limit`]): the hub lowers it
//! while handshakes queue, so that they get a core.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::oneshot;

/// The gate: `permits` steps at once, waiters served lowest rank first.
#[derive(Debug)]
pub struct StepGate {
    state: Mutex<GateState>,
}

#[derive(Debug)]
struct GateState {
    /// Steps allowed at once now ([`StepGate::set_limit`]).
    limit: usize,
    /// Permits out (may exceed a lowered limit until they come back).
    in_use: usize,
    asked: u64,
    /// Waiters by (rank, when they asked); the lowest is served first.
    queue: BinaryHeap<Reverse<(u64, u64)>>,
    waiting: HashMap<u64, oneshot::Sender<StepPermit>>,
}

/// The right to run one step; the next waiter gets it when this is dropped.
#[derive(Debug)]
pub struct StepPermit {
    /// `None` once handed on (or never handed out): dropping it then does nothing.
    gate: Option<Arc<StepGate>>,
}

impl StepGate {
    /// A gate for `permits` steps at once (at least one).
    pub fn new(permits: usize) -> Arc<Self> {
        Arc::new(Self {
            state: Mutex::new(GateState {
                limit: permits.max(1),
                in_use: 0,
                asked: 0,
                queue: BinaryHeap::new(),
                waiting: HashMap::new(),
            }),
        })
    }

    /// Waits for a permit; among waiters, the lowest `rank` is served first.
    pub async fn acquire(self: &Arc<Self>, rank: u64) -> StepPermit {
        loop {
            let receiver = {
                let mut state = self.lock();
                if state.in_use < state.limit {
                    state.in_use += 1;
                    return StepPermit {
                        gate: Some(Arc::clone(self)),
                    };
                }
                let (sender, receiver) = oneshot::channel();
                let asked = state.asked;
                state.asked += 1;
                state.queue.push(Reverse((rank, asked)));
                state.waiting.insert(asked, sender);
                receiver
            };
            // A sender is only dropped unsent with the gate itself, which this call
            // holds; ask again rather than assume.
            if let Ok(permit) = receiver.await {
                return permit;
            }
        }
    }

    /// Permits free now (for tests and metrics).
    pub fn available(&self) -> usize {
        let state = self.lock();
        state.limit.saturating_sub(state.in_use)
    }

    /// Allows `permits` steps at once from now on (at least one): a lower limit takes
    /// effect as steps end, a higher one at once.
    pub fn set_limit(self: &Arc<Self>, permits: usize) {
        let mut state = self.lock();
        state.limit = permits.max(1);
        while state.in_use < state.limit && self.hand_on(&mut state) {
            state.in_use += 1;
        }
    }

    fn lock(&self) -> MutexGuard<'_, GateState> {
        // Every change under the lock is a push, a pop or a counter: none is left
        // half-made by a panic.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Hands a released permit to the waiter of lowest rank still waiting, or frees it
    /// (and frees it too while more are out than the limit allows now).
    fn release(self: &Arc<Self>) {
        let mut state = self.lock();
        if state.in_use > state.limit || !self.hand_on(&mut state) {
            state.in_use -= 1;
        }
    }

    /// Gives a permit to the waiter of lowest rank still waiting; false if none is.
    fn hand_on(self: &Arc<Self>, state: &mut GateState) -> bool {
        while let Some(Reverse((_, asked))) = state.queue.pop() {
            let Some(sender) = state.waiting.remove(&asked) else {
                continue;
            };
            let permit = StepPermit {
                gate: Some(Arc::clone(self)),
            };
            match sender.send(permit) {
                Ok(()) => return true,
                // Its waiter gave up: the permit was not handed on, and must not
                // release itself while the lock is held.
                Err(mut unsent) => unsent.gate = None,
            }
        }
        false
    }
}

impl Drop for StepPermit {
    fn drop(&mut self) {
        if let Some(gate) = self.gate.take() {
            gate.release();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn waiters_are_served_lowest_rank_first_and_permits_come_back() {
        let gate = StepGate::new(1);
        let held = gate.acquire(5).await;
        assert_eq!(gate.available(), 0);
        let (order_tx, mut order) = tokio::sync::mpsc::unbounded_channel();
        let mut tasks = Vec::new();
        for rank in [30_u64, 10, 20, 10] {
            let waiter_gate = Arc::clone(&gate);
            let order_tx = order_tx.clone();
            tasks.push(tokio::spawn(async move {
                let _permit = waiter_gate.acquire(rank).await;
                order_tx.send(rank).unwrap();
            }));
            // Each waiter is queued before the next asks (the ties keep that order).
            while gate.lock().queue.len() < tasks.len() {
                tokio::task::yield_now().await;
            }
        }
        drop(held);
        for task in tasks {
            task.await.unwrap();
        }
        drop(order_tx);
        let mut served = Vec::new();
        while let Some(rank) = order.recv().await {
            served.push(rank);
        }
        assert_eq!(served, vec![10, 10, 20, 30]);
        assert_eq!(gate.available(), 1, "the last permit came back to the gate");
    }

    #[tokio::test]
    async fn a_lowered_limit_holds_back_waiters_until_it_is_raised() {
        let gate = StepGate::new(2);
        let first = gate.acquire(1).await;
        let second = gate.acquire(2).await;
        gate.set_limit(1);
        let waiting = {
            let gate = Arc::clone(&gate);
            tokio::spawn(async move { gate.acquire(3).await })
        };
        while gate.lock().queue.is_empty() {
            tokio::task::yield_now().await;
        }
        // Two out, one allowed: the first to come back is not handed on.
        drop(first);
        assert_eq!(gate.lock().in_use, 1);
        assert_eq!(gate.lock().queue.len(), 1, "the waiter still waits");
        // Raised: the waiter gets the free permit at once.
        gate.set_limit(2);
        let third = waiting.await.unwrap();
        assert_eq!(gate.lock().in_use, 2);
        drop((second, third));
        assert_eq!(gate.available(), 2);
    }

    #[tokio::test]
    async fn a_waiter_that_gave_up_does_not_take_the_permit_with_it() {
        let gate = StepGate::new(1);
        let held = gate.acquire(1).await;
        let waiting = {
            let gate = Arc::clone(&gate);
            tokio::spawn(async move { gate.acquire(0).await })
        };
        while gate.lock().queue.is_empty() {
            tokio::task::yield_now().await;
        }
        waiting.abort();
        assert!(waiting.await.is_err(), "the waiter was cancelled");
        drop(held);
        assert_eq!(gate.available(), 1);
        let _again = gate.acquire(2).await;
        assert_eq!(gate.available(), 0);
    }
}
