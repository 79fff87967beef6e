//! Helpers shared by the node's integration tests: a node served in-process on port 0
//! (answering in-process through `wishtree_testkit::oneshot`, or over loopback through
//! `wishtree_testkit::socket`), and the node binary as a child process.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};

use serde_json::Value;
use wishtree_node::http::AppState;
use wishtree_node::replica::{InitOptions, Replica};
use wishtree_node::server::{Access, guarded_app, serve};
use wishtree_protocol::text::Name;
use wishtree_testkit::server::InProcessServer;
pub use wishtree_testkit::{Answer, Request};
use wishtree_testkit::{oneshot, socket};

pub mod ui;

pub const COMMUNITY: &str = "110118001002";
pub const OTHER_COMMUNITY: &str = "110118001003";
pub const PASSWORD: &str = "correct horse";

/// A node initialised in a fresh directory.
pub fn init_node(dir: &Path) -> Replica {
    init_node_of(dir, COMMUNITY)
}

/// A node of `community` initialised in `dir`.
pub fn init_node_of(dir: &Path, community: &str) -> Replica {
    let options = InitOptions {
        community: community.parse().unwrap(),
        name: Name::parse("name", "行宫社区").unwrap(),
        hub: None,
        password: Some(PASSWORD.to_owned()),
        worker: Some(Name::parse("worker", "陈玉萍").unwrap()),
    };
    Replica::init(dir, &options, wishtree_node::now()).unwrap()
}

/// A node served in-process on 127.0.0.1, port 0, until dropped. Its `get`, `post`,
/// `put` and `send` go to the node's guarded router in-process; where a connection is
/// the point (the guard's bound address, the login throttle), tests use [`request`]
/// on `address`.
pub struct TestNode {
    pub dir: tempfile::TempDir,
    pub address: SocketAddr,
    /// Taken by `stop`, so that the replica it holds is let go.
    router: Option<axum::Router>,
    server: InProcessServer,
}

impl TestNode {
    pub fn start() -> Self {
        Self::start_with(Access::Open)
    }

    pub fn start_with(access: Access) -> Self {
        Self::start_prepared(access, |_| ())
    }

    /// A node whose replica `prepare` changes before it is served.
    pub fn start_prepared(access: Access, prepare: impl FnOnce(&mut Replica)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut replica = init_node(dir.path());
        prepare(&mut replica);
        let state = AppState::new(replica);
        let served = state.clone();
        let server = InProcessServer::start(move |listener, shutdown| {
            serve(listener, served, access, shutdown)
        });
        let router = server
            .runtime()
            .block_on(guarded_app(state, access, Vec::new(), server.address))
            .unwrap();
        Self {
            dir,
            address: server.address,
            router: Some(router),
            server,
        }
    }

    /// `request` answered by the node's router in-process. `Host` is the node's
    /// address, and a body without a type is JSON, unless the request names them.
    pub fn send(&self, request: Request) -> Answer {
        let request = with_defaults(self.address, request);
        let router = self.router.as_ref().expect("the node was stopped");
        oneshot::send_blocking(self.server.runtime(), router, request)
    }

    pub fn get(&self, path: &str) -> (u16, Value) {
        json_of(self.send(Request::get(path)))
    }

    pub fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        json_of(self.send(Request::json("POST", path, body)))
    }

    pub fn put(&self, path: &str, body: &Value) -> (u16, Value) {
        json_of(self.send(Request::json("PUT", path, body)))
    }

    pub fn post_raw(&self, path: &str, body: &[u8]) -> (u16, Value) {
        json_of(self.send(Request::new("POST", path).body(body)))
    }

    /// Stops serving and lets the replica go, keeping the data directory.
    pub fn stop(&mut self) {
        self.router = None;
        self.server.stop();
    }
}

impl Drop for TestNode {
    fn drop(&mut self) {
        // Before the data directory goes.
        self.stop();
    }
}

/// One request over a real connection to `address`, answered in full.
pub fn request(
    address: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&[u8]>,
    headers: &[(&str, &str)],
) -> Answer {
    try_request(address, method, path, body, headers).unwrap()
}

/// As [`request`], but a connection failure is an error (the node may be gone).
pub fn try_request(
    address: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&[u8]>,
    headers: &[(&str, &str)],
) -> std::io::Result<Answer> {
    let request = Request::new(method, path)
        .headers(headers)
        .body(body.unwrap_or_default());
    socket::send(address, &with_defaults(address, request))
}

/// The node's own address as `Host`, and JSON as a body's type, unless the test poses
/// as a page that names others.
fn with_defaults(address: SocketAddr, mut request: Request) -> Request {
    if !request.has_header("host") {
        request = request.header("Host", &address.to_string());
    }
    if !request.body.is_empty() && !request.has_header("content-type") {
        request = request.header("Content-Type", "application/json");
    }
    request
}

pub fn json_of(answer: Answer) -> (u16, Value) {
    (answer.status, answer.json())
}

/// The form token in a page the node rendered, as the browser would send it back.
pub fn form_token(page: &str) -> String {
    let start = page
        .find("name=\"csrf_token\" value=\"")
        .unwrap_or_else(|| panic!("no form token in the page: {page}"))
        + "name=\"csrf_token\" value=\"".len();
    page[start..start + 64].to_owned()
}

/// The node binary.
pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_wishtree-node"))
}

/// Runs the node binary to completion: (success, stdout, stderr).
pub fn cli(args: &[&str]) -> (bool, String, String) {
    let output = Command::new(binary())
        .args(args)
        .env_remove("WISHTREE_DATA")
        .env("RUST_LOG", "info")
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        !stderr.contains("panicked"),
        "the binary panicked on {args:?}: {stderr}"
    );
    (output.status.success(), stdout, stderr)
}

/// `wishtree-node [before…] init --data DIR --community C --name 行宫社区`, which must
/// succeed; its stdout (the key lines).
pub fn cli_init(before: &[&str], dir: &Path, community: &str) -> String {
    let mut args = before.to_vec();
    args.extend([
        "init",
        "--data",
        dir.to_str().unwrap(),
        "--community",
        community,
        "--name",
        "行宫社区",
    ]);
    let (ok, stdout, stderr) = cli(&args);
    assert!(ok, "{stderr}");
    stdout
}

/// `wishtree-node run` as a child process, listening on a port of its choosing.
pub struct RunningNode {
    pub child: Child,
    pub address: SocketAddr,
    _stdout: BufReader<ChildStdout>,
}

impl RunningNode {
    /// Starts `wishtree-node run --data DIR --http 127.0.0.1:0` and waits for its
    /// "listening" line.
    pub fn start(dir: &Path) -> Self {
        Self::start_with_env(dir, &[])
    }

    /// As [`RunningNode::start`], with extra environment variables.
    pub fn start_with_env(dir: &Path, envs: &[(&str, &str)]) -> Self {
        let mut child = Command::new(binary())
            .args(["run", "--data"])
            .arg(dir)
            .args(["--http", "127.0.0.1:0"])
            .env("RUST_LOG", "warn")
            .envs(envs.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let address = line
            .trim()
            .rsplit("http://")
            .next()
            .and_then(|address| address.parse().ok())
            .unwrap_or_else(|| panic!("no listening line from the node: {line:?}"));
        Self {
            child,
            address,
            _stdout: stdout,
        }
    }

    /// SIGKILL: no chance to flush or clean up.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for RunningNode {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A member body a worker would post.
pub fn member_body(name: &str) -> Value {
    serde_json::json!({
        "name": name,
        "work_unit": "密云区城关派出所",
        "position": "民警",
        "specialties": ["安全教育"],
        "intentions": ["safety"],
        "reported_in": "2026-05-20",
        "address": "行宫东街 3 号",
        "phone": "13800000000",
    })
}

/// A wish body a worker would post.
pub fn wish_body(title: &str) -> Value {
    serde_json::json!({
        "title": title,
        "detail": "母亲重病，想更快热饭",
        "kind": "goods",
        "group": "disabled",
        "resident_label": "行宫社区 彭女士",
        "estimated_value": 400,
        "resident_name": "彭秀英",
        "resident_phone": "13900000000",
    })
}

/// Hands `node` the hub's copy of the city document, `city`, by exchanging sync
/// messages as the hub would until both sides are quiet.
pub fn receive_city(node: &mut Replica, city: &mut wishtree_protocol::city::CityDoc) {
    use automerge::sync::{State, SyncDoc};
    use wishtree_node::store::DocName;
    let now = wishtree_node::now();
    let hub_key = wishtree_protocol::keys::KeyPair::from_secret([9; 32]).public();
    let mut hub_state = State::new();
    for _ in 0..10 {
        let mut quiet = true;
        if let Some(message) = city
            .automerge_mut()
            .sync()
            .generate_sync_message(&mut hub_state)
        {
            quiet = false;
            node.receive_sync_message(&hub_key, DocName::City, message, now)
                .unwrap();
        }
        if let Some(message) = node.generate_sync_message(&hub_key, DocName::City).unwrap() {
            quiet = false;
            city.automerge_mut()
                .sync()
                .receive_sync_message(&mut hub_state, message)
                .unwrap();
        }
        if quiet {
            return;
        }
    }
    panic!("the city document did not settle in 10 rounds");
}

/// A node whose city directory (received from the hub) lists `units` as (credit code,
/// name).
pub fn node_with_directory(units: &[(&str, &str)]) -> TestNode {
    use wishtree_protocol::city::CityCommand;
    let commands = units
        .iter()
        .map(|(code, name)| CityCommand::PutOrg {
            credit_code: code.parse().unwrap(),
            name: Name::parse("name", name).unwrap(),
        })
        .collect();
    node_with_city(commands)
}

/// A node that received the city document the hub wrote with `commands`.
pub fn node_with_city(commands: Vec<wishtree_protocol::city::CityCommand>) -> TestNode {
    use wishtree_protocol::city::CityDoc;
    TestNode::start_prepared(Access::Open, move |replica| {
        // The city of the test community (110118001002) is 1101.
        let prefix: wishtree_protocol::RegionPrefix = "1101".parse().unwrap();
        let mut city = CityDoc::new(&prefix, [7; 16]).unwrap();
        for command in &commands {
            city.execute(command, wishtree_node::now()).unwrap();
        }
        receive_city(replica, &mut city);
    })
}
