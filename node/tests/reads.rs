//! A read runs its work on the replica under the replica's lock, on the handler's own
//! thread on a multi-thread runtime and on a blocking thread on a current-thread one. On
//! either, a panic in the work is answered as an internal error and lets the lock go.

#![allow(clippy::unwrap_used)]

mod support;

use wishtree_node::api::ApiError;
use wishtree_node::http::{AppState, on_replica};

fn a_panicking_read_is_answered_and_the_next_read_runs(runtime: tokio::runtime::Runtime) {
    let dir = tempfile::tempdir().unwrap();
    let state = AppState::new(support::init_node(dir.path()));
    // Spawned, so that on a multi-thread runtime the reads run on a worker thread, as a
    // handler's do.
    let reads = runtime.spawn(async move {
        let stopped = on_replica(&state, |_| -> u32 { panic!("a bug in a read") }).await;
        match stopped {
            Err(ApiError::Internal { message }) => {
                assert!(message.contains("stopped half-way"), "{message}");
            }
            other => panic!("a panicking read answered {other:?}"),
        }
        let code = on_replica(&state, |replica| replica.code()).await.unwrap();
        assert_eq!(code.as_str(), support::COMMUNITY);
    });
    runtime.block_on(reads).unwrap();
}

#[test]
fn on_a_multi_thread_runtime() {
    a_panicking_read_is_answered_and_the_next_read_runs(
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap(),
    );
}

#[test]
fn on_a_current_thread_runtime() {
    a_panicking_read_is_answered_and_the_next_read_runs(
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap(),
    );
}
