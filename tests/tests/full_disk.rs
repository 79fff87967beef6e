//! A node's disk fills up (issue 17): its writes are refused with a clear error (507),
//! nothing it acknowledged is lost, reads go on, and writing resumes when space
//! returns — then everything reaches the hub.
//!
//! The node's data directory is a small tmpfs. Mounting one needs root, so the test
//! runs itself again alone in a user and mount namespace of its own (`unshare
//! --map-root-user --mount`), where any user may mount one; the hub and the node run
//! in-process there on loopback, as in `e2e_sync.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use wishtree_protocol::CommunityCode;
use wishtree_protocol::frame::DocId;
use wishtree_testkit::http::Request;
use wishtree_testkit::socket::send;
use wishtree_tests::city::{
    any_port, enroll_on, hub_key, init_hub, init_node, start_hub, start_node, wait_until,
};

/// Set in the namespace the test runs itself again in.
const INSIDE: &str = "WISHTREE_TEST_DISK_NAMESPACE";
const TEST: &str = "a_full_disk_refuses_writes_clearly_loses_nothing_and_writing_resumes";
const LIMIT: Duration = Duration::from_secs(20);

#[test]
fn a_full_disk_refuses_writes_clearly_loses_nothing_and_writing_resumes() {
    if std::env::var_os(INSIDE).is_none() {
        let exe = std::env::current_exe().unwrap();
        let output = Command::new("unshare")
            .args(["--user", "--map-root-user", "--mount"])
            .arg(exe)
            .args(["--exact", TEST, "--nocapture", "--test-threads=1"])
            .env(INSIDE, "1")
            .output()
            .expect("unshare (util-linux) runs");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(output.status.success(), "{text}");
        assert!(text.contains("1 passed"), "the test ran inside: {text}");
        return;
    }
    inside_the_namespace();
}

fn inside_the_namespace() {
    let dir = tempfile::tempdir().unwrap();
    let community: CommunityCode = "130903001001".parse().unwrap();
    let hub_dir = dir.path().join("hub");
    let node_dir = dir.path().join("node");
    std::fs::create_dir(&node_dir).unwrap();
    // 8 MiB: a new node's files and a few hundred members fit; a filler takes the rest.
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=8m", "tmpfs"])
        .arg(&node_dir)
        .status()
        .unwrap();
    assert!(mounted.success(), "mount a tmpfs in the namespace");

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    init_hub(&hub_dir, "1309").unwrap();
    let hub = runtime
        .block_on(start_hub(&hub_dir, any_port(), any_port()))
        .unwrap();
    let replica = init_node(
        &node_dir,
        community,
        "名人社区",
        "张书记",
        hub.quic_addr,
        hub_key(&hub_dir).unwrap(),
    )
    .unwrap();
    enroll_on(&hub_dir, community, replica.public_key(), None).unwrap();
    drop(replica);
    let node = runtime.block_on(start_node(&node_dir, any_port())).unwrap();

    let mut acknowledged = Vec::new();
    for n in 0..20 {
        let (status, body) = add_member(node.http_addr, &format!("党员{n}"));
        assert_eq!(status, 201, "{body}");
        acknowledged.push(body["id"].as_str().unwrap().to_owned());
    }

    // The disk fills up: writes are refused, saying so, until one is.
    let filler = fill(&node_dir.join("filler"));
    let mut refusal = None;
    for n in 0..200 {
        let (status, body) = add_member(node.http_addr, &format!("满盘{n}"));
        match status {
            201 => acknowledged.push(body["id"].as_str().unwrap().to_owned()),
            507 => {
                refusal = Some(body);
                break;
            }
            other => panic!("a write on a full disk answered {other}: {body}"),
        }
    }
    let refusal = refusal.expect("a write on a full disk is refused");
    let message = refusal["error"].as_str().unwrap_or_default();
    assert!(message.contains("disk"), "a clear reason: {refusal}");

    // Reads go on, and hold every acknowledged write.
    let listed = member_ids(node.http_addr);
    for id in &acknowledged {
        assert!(
            listed.contains(id),
            "acknowledged {id} is listed on a full disk"
        );
    }

    // Space returns: writing resumes, and everything reaches the hub.
    std::fs::remove_file(&filler).unwrap();
    let (status, body) = add_member(node.http_addr, "空间恢复后");
    assert_eq!(status, 201, "{body}");
    acknowledged.push(body["id"].as_str().unwrap().to_owned());
    let listed = member_ids(node.http_addr);
    for id in &acknowledged {
        assert!(listed.contains(id), "acknowledged {id} is kept");
    }
    let node_heads = || {
        let mut heads = node.replica.try_lock().map(|mut r| r.heads()).ok()?;
        heads.sort();
        Some(heads)
    };
    runtime
        .block_on(wait_until(
            LIMIT,
            "the node's writes to reach the hub",
            || {
                let mut held = hub.hub().heads(DocId::Community(community)).unwrap();
                held.sort();
                node_heads().is_some_and(|heads| heads == held)
            },
        ))
        .unwrap();
    runtime.block_on(async {
        node.stop().await;
        hub.stop().await;
    });
    let _ = Command::new("umount").arg(&node_dir).status();
}

/// `POST /api/members`: the status and the JSON answer.
fn add_member(address: SocketAddr, name: &str) -> (u16, serde_json::Value) {
    let body = serde_json::json!({
        "name": name,
        "work_unit": "沧州市发展和改革委员会",
        "position": "科员",
        "reported_in": "2026-03-01",
    });
    let answer = send(address, &Request::json("POST", "/api/members", &body)).unwrap();
    let json = serde_json::from_slice(&answer.body).unwrap_or(serde_json::Value::Null);
    (answer.status, json)
}

/// The ids `GET /api/members` lists.
fn member_ids(address: SocketAddr) -> Vec<String> {
    let answer = send(address, &Request::get("/api/members")).unwrap();
    assert_eq!(answer.status, 200, "{}", answer.text());
    let members: serde_json::Value = serde_json::from_slice(&answer.body).unwrap();
    members
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|member| member["id"].as_str().map(str::to_owned))
        .collect()
}

/// Writes `path` until the disk is full; returns it.
fn fill(path: &Path) -> std::path::PathBuf {
    let mut file = std::fs::File::create(path).unwrap();
    let block = vec![0u8; 64 * 1024];
    loop {
        match file.write_all(&block).and_then(|()| file.sync_all()) {
            Ok(()) => {}
            Err(error) if error.raw_os_error() == Some(28) => break,
            Err(error) => panic!("filling the disk: {error}"),
        }
    }
    // The last partial block too: not one byte is left.
    while file.write_all(&[0u8; 512]).is_ok() && file.sync_all().is_ok() {}
    path.to_owned()
}
