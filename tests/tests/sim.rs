//! Sync through outages on the simulated network: whatever partitions, lost, duplicated,
//! reordered and corrupted frames and paused stores a schedule throws at one hub and
//! three community nodes, once the network heals every replica is equal and no write a
//! node acknowledged is lost.
//!
//! `PROPTEST_CASES=1000 cargo test -p wishtree-tests --test sim` runs more schedules.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use wishtree_protocol::frame::DocId;
use wishtree_tests::sim::{Direction, Party, Sim, Step, random_steps, records};

const NODES: usize = 3;

/// Enough deliveries for any schedule here to settle several times over.
const SETTLE: usize = 20_000;

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(256)
}

fn step() -> impl Strategy<Value = Step> {
    let node = || 0..NODES;
    let direction = || prop_oneof![Just(Direction::ToHub), Just(Direction::ToNode)];
    let party = prop_oneof![Just(Party::Hub), node().prop_map(Party::Node)];
    prop_oneof![
        20 => (node(), direction()).prop_map(|(n, d)| Step::Deliver(n, d)),
        38 => node().prop_map(Step::DeliverAny),
        14 => node().prop_map(Step::Write),
        3 => Just(Step::CityWrite),
        6 => node().prop_map(Step::Connect),
        2 => node().prop_map(Step::Disconnect),
        1 => (node(), direction()).prop_map(|(n, d)| Step::Drop(n, d)),
        4 => (node(), direction()).prop_map(|(n, d)| Step::Duplicate(n, d)),
        5 => (node(), direction()).prop_map(|(n, d)| Step::Reorder(n, d)),
        1 => (node(), direction()).prop_map(|(n, d)| Step::Corrupt(n, d)),
        1 => party.clone().prop_map(Step::Pause),
        5 => party.prop_map(Step::Resume),
    ]
}

fn settle_and_check(sim: &mut Sim) {
    sim.run_until_quiescent(SETTLE);
    if let Err(problem) = sim.check_converged() {
        panic!("{problem}\nstats: {:?}", sim.stats());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn after_healing_every_replica_is_equal_and_no_acknowledged_write_is_lost(
        steps in prop::collection::vec(step(), 0..300)
    ) {
        let mut sim = Sim::new(NODES);
        sim.run(&steps);
        sim.run_until_quiescent(SETTLE);
        let converged = sim.check_converged();
        prop_assert!(converged.is_ok(), "{:?}\nstats: {:?}", converged, sim.stats());
    }
}

#[test]
fn schedules_drawn_from_seeds_converge() {
    for seed in 0..16 {
        let mut sim = Sim::new(NODES);
        sim.run(&random_steps(seed, NODES, 400));
        sim.run_until_quiescent(SETTLE);
        if let Err(problem) = sim.check_converged() {
            panic!("seed {seed}: {problem}\nstats: {:?}", sim.stats());
        }
    }
}

#[test]
fn a_node_offline_for_many_writes_catches_up_when_it_reconnects() {
    let mut sim = Sim::new(NODES);
    for node in 0..NODES {
        sim.apply(Step::Connect(node));
    }
    settle_and_check(&mut sim);

    sim.apply(Step::Disconnect(0));
    for round in 0..200 {
        sim.apply(Step::Write(0));
        // The others keep syncing live meanwhile.
        if round % 20 == 0 {
            sim.apply(Step::Write(1));
            sim.apply(Step::Deliver(1, Direction::ToHub));
            sim.apply(Step::Deliver(1, Direction::ToNode));
        }
    }
    let code = sim.node(0).code();
    let at_hub = records(sim.hub().doc(&DocId::Community(code)).unwrap());
    assert!(at_hub.is_empty(), "nothing reached the hub while offline");

    settle_and_check(&mut sim);
    let at_hub = records(sim.hub().doc(&DocId::Community(code)).unwrap());
    assert_eq!(at_hub.len(), 200);
    assert_eq!(&at_hub, sim.node(0).acknowledged());
}

#[test]
fn a_write_reaches_the_hub_live_while_connected() {
    let mut sim = Sim::new(1);
    sim.apply(Step::Connect(0));
    settle_and_check(&mut sim);

    sim.apply(Step::Write(0));
    // One frame, no reconnect: the session offered the change as soon as it was made.
    assert_eq!(sim.node(0).in_flight(), (1, 0));
    sim.apply(Step::Deliver(0, Direction::ToHub));
    let code = sim.node(0).code();
    let at_hub = records(sim.hub().doc(&DocId::Community(code)).unwrap());
    assert_eq!(&at_hub, sim.node(0).acknowledged());
}

#[test]
fn the_hub_storage_paused_mid_sync_ends_the_session_and_a_reconnect_converges() {
    let mut sim = Sim::new(NODES);
    for node in 0..NODES {
        sim.apply(Step::Write(node));
        sim.apply(Step::Connect(node));
    }
    // The hub answers the first Hello, then its store stops answering.
    sim.apply(Step::Deliver(0, Direction::ToHub));
    sim.apply(Step::Pause(Party::Hub));
    for node in 0..NODES {
        for _ in 0..4 {
            sim.apply(Step::Deliver(node, Direction::ToHub));
            sim.apply(Step::Deliver(node, Direction::ToNode));
        }
        sim.apply(Step::Write(node));
    }
    assert!(
        sim.stats().ended_internal >= 1,
        "a session on the paused hub ended: {:?}",
        sim.stats()
    );
    // The hub's store failing does not cost a node a write.
    assert_eq!(sim.stats().writes_refused, 0);
    settle_and_check(&mut sim);
    for node in sim.nodes() {
        assert_eq!(node.acknowledged().len(), 2);
    }
}

#[test]
fn a_duplicated_hello_ends_the_session_and_a_reconnect_converges() {
    let mut sim = Sim::new(1);
    sim.apply(Step::Write(0));
    sim.apply(Step::Connect(0));
    sim.apply(Step::Duplicate(0, Direction::ToHub));
    assert_eq!(sim.node(0).in_flight(), (2, 0));
    sim.apply(Step::Deliver(0, Direction::ToHub));
    assert!(sim.node(0).is_connected());
    sim.apply(Step::Deliver(0, Direction::ToHub));
    assert_eq!(sim.stats().ended_bad_frame, 1, "{:?}", sim.stats());
    assert!(!sim.node(0).is_connected());
    settle_and_check(&mut sim);
}

#[test]
fn a_node_whose_own_storage_is_paused_refuses_writes_and_loses_none_it_acknowledged() {
    let mut sim = Sim::new(1);
    sim.apply(Step::Connect(0));
    sim.apply(Step::Write(0));
    sim.apply(Step::Pause(Party::Node(0)));
    sim.apply(Step::Write(0));
    sim.apply(Step::Deliver(0, Direction::ToHub));
    sim.apply(Step::Deliver(0, Direction::ToNode));
    assert_eq!(sim.stats().writes_refused, 1);
    settle_and_check(&mut sim);
    assert_eq!(sim.node(0).acknowledged().len(), 1);
}
