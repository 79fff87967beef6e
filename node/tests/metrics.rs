//! The node's `/metrics` as Prometheus scrapes it: writes and their latency, and the sync
//! state an operator alerts on (not connected, changes piling up, no sync for a day).

#![allow(clippy::unwrap_used)]

mod support;

use support::{TestNode, member_body};
use wishtree_testkit::http::Request;

/// The value of the sample `name` on the page.
fn sample(page: &str, name: &str) -> f64 {
    page.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no sample {name} in:\n{page}"))
        .parse()
        .unwrap()
}

fn metrics(node: &TestNode) -> String {
    let answer = node.send(Request::get("/metrics"));
    assert_eq!(answer.status, 200);
    assert!(
        answer
            .header("content-type")
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    answer.text()
}

#[test]
fn metrics_count_writes_and_show_what_the_hub_does_not_have_yet() {
    let node = TestNode::start();
    let before = metrics(&node);
    assert_eq!(sample(&before, "wishtree_node_writes_total"), 0.0);
    assert_eq!(sample(&before, "wishtree_node_hub_connected"), 0.0);
    assert_eq!(sample(&before, "wishtree_node_seconds_since_sync"), -1.0);
    let pending_before = sample(&before, "wishtree_node_changes_not_at_hub");

    for name in ["张婷", "李强"] {
        let (status, body) = node.post("/api/members", &member_body(name));
        assert_eq!(status, 201, "{body}");
    }
    let after = metrics(&node);
    assert_eq!(sample(&after, "wishtree_node_writes_total"), 2.0);
    assert_eq!(sample(&after, "wishtree_node_write_seconds_count"), 2.0);
    assert_eq!(
        sample(&after, "wishtree_node_write_seconds_bucket{le=\"+Inf\"}"),
        2.0
    );
    assert!(sample(&after, "wishtree_node_write_seconds_sum") > 0.0);
    assert_eq!(
        sample(&after, "wishtree_node_changes_not_at_hub"),
        pending_before + 2.0
    );
    // Every sample is a number, as Prometheus requires.
    for line in after.lines().filter(|line| !line.starts_with('#')) {
        let value = line.rsplit(' ').next().unwrap();
        assert!(value.parse::<f64>().is_ok(), "{line}");
    }
}
