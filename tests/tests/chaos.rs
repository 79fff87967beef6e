//! The CI size of the chaos harness (issue 17): a fixed set of seeds whose schedules
//! hold every kind of fault, against a city of real processes (a city hub, a district
//! hub, four nodes), each run checked as Jepsen counts: no acknowledged write lost,
//! no replica diverged, figures and signed heads right, no panic. And the checker
//! shown to fail when it should. The long size is `scripts/chaos --runs 200`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use wishtree_testkit::http::Request;
use wishtree_testkit::socket::send;
use wishtree_tests::chaos::check::{self, HubStores};
use wishtree_tests::chaos::cluster::{Binaries, Cluster};
use wishtree_tests::chaos::disk;
use wishtree_tests::chaos::proxy::LinkFaults;
use wishtree_tests::chaos::run::{Report, RunOptions, run_schedule};
use wishtree_tests::chaos::schedule::{Link, Proc, Schedule, Topology};
use wishtree_tests::chaos::writer::{Ack, Writers};

/// Seeds whose 25 s schedules, together, hold every kind of fault: 14 kills, pauses
/// past the idle timeout, all three partitions, loss and a node's clock days off (and
/// is the seed that found the hub's shared sync state); 18 two full disks; 28 a hub
/// restored from a backup and a full disk (`scripts/chaos --dry-run` prints schedules
/// to pick seeds from).
const SEEDS: [u64; 3] = [14, 18, 28];
const LENGTH: Duration = Duration::from_secs(25);
const CITY: Topology = Topology { nodes: 4 };

/// The runs share two cores; one at a time keeps their timing honest.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn binaries() -> Binaries {
    Binaries {
        hub: PathBuf::from(env!("CARGO_BIN_EXE_hub-process")),
        node: PathBuf::from(env!("CARGO_BIN_EXE_node-process")),
    }
}

const CI_SEEDS_TEST: &str = "the_ci_seeds_lose_no_acknowledged_write_and_converge";

/// Runs in a mount namespace of its own (the test runs itself again there), where the
/// nodes' disks are small tmpfs mounts that a full-disk fault fills.
#[test]
fn the_ci_seeds_lose_no_acknowledged_write_and_converge() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if !disk::inside() {
        let args = [CI_SEEDS_TEST, "--exact", "--nocapture", "--test-threads=1"];
        let output = disk::command_inside(&args.map(str::to_owned))
            .unwrap()
            .output()
            .expect("unshare (util-linux) runs");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        println!("{text}");
        assert!(
            output.status.success(),
            "the CI seeds failed inside their namespace"
        );
        assert!(text.contains("1 passed"), "the test ran inside");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut report = Report::default();
    for seed in SEEDS {
        let schedule = Schedule::draw(seed, CITY, LENGTH);
        print!("{schedule}");
        let outcome = run_schedule(&RunOptions {
            seed,
            topology: CITY,
            length: LENGTH,
            pace: Duration::from_millis(100),
            converge_limit: Duration::from_secs(90),
            root: dir.path().join(format!("seed-{seed}")),
            binaries: binaries(),
        })
        .unwrap();
        report.runs.push(outcome);
    }
    print!("{report}");
    assert!(report.passed(), "{report}");
    let kinds: std::collections::BTreeSet<&str> = report
        .runs
        .iter()
        .flat_map(|run| run.faults.keys().copied())
        .collect();
    assert_eq!(
        kinds.len(),
        9,
        "every kind of fault was injected: {kinds:?}"
    );
    assert!(report.runs.iter().all(|run| run.acked > 100));
    assert!(
        report.runs.iter().any(|run| run.disk_full > 0),
        "a node with a full disk refused writes: {report}"
    );
}

/// The checker is not a test that cannot fail: a replica cut off is reported as
/// diverged, an acknowledged write that is nowhere as lost, a figure row changed by
/// hand as a difference, and a panic in a log as a problem.
#[test]
fn the_checker_reports_divergence_loss_doctored_figures_and_panics() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let mut cluster = Cluster::start(dir.path(), CITY, 99, binaries()).unwrap();
    let https: Vec<_> = cluster.nodes().iter().map(|n| n.http.clone()).collect();
    let writers = Writers::start(&https, Duration::from_millis(50));
    std::thread::sleep(Duration::from_secs(2));
    let logs = writers.finish();
    let mut acks: Vec<Ack> = logs.into_iter().flat_map(|log| log.acked).collect();
    assert!(!acks.is_empty());
    let stores = HubStores::open(&cluster).unwrap();
    check::wait_converged(&cluster, &stores, Duration::from_secs(60)).unwrap();
    let clean = check::check_writes(&cluster, &stores, &acks);
    assert!(
        clean.lost.is_empty() && clean.doubled.is_empty(),
        "{clean:?}"
    );

    // Node 0 cut off, then written to: its replicas differ, and stay so.
    cluster.set_link(Link::Node(0), LinkFaults::cut());
    let address = cluster.nodes()[0].http.lock().unwrap().unwrap();
    let body = serde_json::json!({"name": "孤岛成员", "reported_in": "2026-03-01"});
    let answer = send(address, &Request::json("POST", "/api/members", &body)).unwrap();
    assert_eq!(answer.status, 201, "{}", answer.text());
    let diverged = check::wait_converged(&cluster, &stores, Duration::from_secs(3)).unwrap_err();
    assert!(
        diverged.iter().any(|line| line.contains("at district")),
        "{diverged:?}"
    );

    // A write acknowledged but nowhere, and one made twice (a second member of a name).
    acks.push(Ack {
        node: 1,
        id: "00000000000000000000000000000000".to_owned(),
        name: "不存在".to_owned(),
    });
    let again = acks.iter().find(|ack| ack.node == 2).unwrap().name.clone();
    let address = cluster.nodes()[2].http.lock().unwrap().unwrap();
    let body = serde_json::json!({"name": again, "reported_in": "2026-03-01"});
    assert_eq!(
        send(address, &Request::json("POST", "/api/members", &body))
            .unwrap()
            .status,
        201
    );
    let found = check::check_writes(&cluster, &stores, &acks);
    assert_eq!(
        found.lost.len(),
        3,
        "missing on node1, at the district and at the city: {found:?}"
    );
    assert!(found.lost.iter().all(|line| line.contains("不存在")));
    assert!(
        found.doubled.iter().any(|line| line.starts_with("node2")),
        "{found:?}"
    );
    drop(stores);

    // A figure row changed by hand, once the hubs are stopped.
    cluster.shut_down();
    println!("stopped after SIGINT: {:?}", cluster.stop_times);
    assert!(cluster.problems.is_empty(), "{:?}", cluster.problems);
    let city_db = cluster
        .hub_dir(Proc::City)
        .join(wishtree_hub::data_dir::DATABASE_FILE);
    for scratch in ["a", "b"] {
        std::fs::create_dir_all(dir.path().join(scratch)).unwrap();
    }
    let before = check::check_figures(
        Proc::City,
        cluster.hub_dir(Proc::City),
        &dir.path().join("a"),
    )
    .unwrap();
    assert!(before.is_empty(), "{before:?}");
    let changed = rusqlite::Connection::open(&city_db)
        .unwrap()
        .execute(
            "UPDATE fig_members SET reported_day = reported_day + 1 WHERE id = \
             (SELECT id FROM fig_members LIMIT 1)",
            [],
        )
        .unwrap();
    assert_eq!(changed, 1);
    let problems = check::check_figures(
        Proc::City,
        cluster.hub_dir(Proc::City),
        &dir.path().join("b"),
    )
    .unwrap();
    assert!(
        problems.iter().any(|line| line.contains("fig_members")),
        "{problems:?}"
    );

    // A panic in a log.
    assert!(check::scan_logs(&cluster).is_empty());
    let (_, log) = cluster.logs().into_iter().next().unwrap();
    std::fs::write(
        &log,
        "thread 'tokio-runtime-worker' panicked at src/x.rs:1:1\n",
    )
    .unwrap();
    assert_eq!(check::scan_logs(&cluster).len(), 1);
}
