//! The writers: one thread per node that adds members through the node's JSON API
//! (`POST /api/members`) all along, through kills, pauses and partitions, and logs
//! each write the node acknowledged (201 with the member's id). A write with no answer
//! (the node killed or not listening) is not acknowledged and so may or may not have
//! happened, as Jepsen's indeterminate operations; an acknowledged one must survive.
//! A write refused for a full disk (507) is counted apart: the run checks that only a
//! node whose disk was filled refused so.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use wishtree_testkit::http::Request;
use wishtree_testkit::socket::send;

/// A write the node acknowledged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ack {
    /// The node, by index.
    pub node: usize,
    /// The member's id, as the node answered it.
    pub id: String,
    /// The member's name: unique per write, so a write applied twice shows as two
    /// members of one name.
    pub name: String,
}

/// What one writer did.
#[derive(Debug, Clone, Default)]
pub struct WriterLog {
    /// Requests sent.
    pub attempted: u64,
    /// The acknowledged writes.
    pub acked: Vec<Ack>,
    /// Refused because the node's disk was full (507), as it must be while it is.
    pub disk_full: u64,
    /// Answered otherwise, but not with 201.
    pub refused: u64,
    /// The first few of those answers.
    pub refusals: Vec<String>,
    /// Not answered: no node listening, or the connection cut.
    pub unanswered: u64,
}

/// The running writers.
#[derive(Debug)]
pub struct Writers {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<WriterLog>>,
}

impl Writers {
    /// One writer per node, on the node's current HTTP address, a write every `pace`.
    pub fn start(nodes: &[Arc<Mutex<Option<SocketAddr>>>], pace: Duration) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let threads = nodes
            .iter()
            .enumerate()
            .map(|(node, http)| {
                let http = Arc::clone(http);
                let stop = Arc::clone(&stop);
                std::thread::spawn(move || write_all_along(node, &http, &stop, pace))
            })
            .collect();
        Self { stop, threads }
    }

    /// Stops the writers and returns their logs, by node.
    pub fn finish(self) -> Vec<WriterLog> {
        self.stop.store(true, Ordering::Relaxed);
        self.threads
            .into_iter()
            .map(|thread| thread.join().unwrap_or_default())
            .collect()
    }
}

fn write_all_along(
    node: usize,
    http: &Mutex<Option<SocketAddr>>,
    stop: &AtomicBool,
    pace: Duration,
) -> WriterLog {
    let mut log = WriterLog::default();
    while !stop.load(Ordering::Relaxed) {
        let address = *http
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some(address) = address else {
            std::thread::sleep(pace);
            continue;
        };
        let name = format!("成员{node}之{}", log.attempted);
        log.attempted += 1;
        let body = serde_json::json!({
            "name": name,
            "work_unit": "沧州市发展和改革委员会",
            "position": "科员",
            "reported_in": "2026-03-01",
        });
        match send(address, &Request::json("POST", "/api/members", &body)) {
            Ok(answer) => {
                let id = serde_json::from_slice::<serde_json::Value>(&answer.body)
                    .ok()
                    .and_then(|body| body["id"].as_str().map(str::to_owned));
                match id {
                    Some(id) if answer.status == 201 => log.acked.push(Ack { node, id, name }),
                    _ if answer.status == 507 => log.disk_full += 1,
                    _ => {
                        log.refused += 1;
                        if log.refusals.len() < 10 {
                            log.refusals
                                .push(format!("{}: {}", answer.status, answer.text()));
                        }
                    }
                }
            }
            Err(_) => log.unanswered += 1,
        }
        std::thread::sleep(pace);
    }
    log
}
