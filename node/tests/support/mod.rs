//! Helpers shared by the node's integration tests: a node served in-process on port 0,
//! a minimal HTTP/1.1 client over loopback, and the node binary as a child process.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use wishtree_node::http::AppState;
use wishtree_node::replica::{InitOptions, Replica};
use wishtree_node::server::{Access, serve};
use wishtree_protocol::text::Name;

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

/// A node served in-process on 127.0.0.1, port 0, until dropped.
pub struct TestNode {
    pub dir: tempfile::TempDir,
    pub address: SocketAddr,
    runtime: Option<tokio::runtime::Runtime>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
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
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let address = listener.local_addr().unwrap();
        let (shutdown, stopped) = tokio::sync::oneshot::channel::<()>();
        runtime.spawn(async move {
            serve(listener, AppState::new(replica), access, async move {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        });
        Self {
            dir,
            address,
            runtime: Some(runtime),
            shutdown: Some(shutdown),
        }
    }

    pub fn get(&self, path: &str) -> (u16, Value) {
        json_of(request(self.address, "GET", path, None, &[]))
    }

    pub fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        json_of(request(
            self.address,
            "POST",
            path,
            Some(body.to_string().as_bytes()),
            &[],
        ))
    }

    pub fn put(&self, path: &str, body: &Value) -> (u16, Value) {
        json_of(request(
            self.address,
            "PUT",
            path,
            Some(body.to_string().as_bytes()),
            &[],
        ))
    }

    pub fn post_raw(&self, path: &str, body: &[u8]) -> (u16, Value) {
        json_of(request(self.address, "POST", path, Some(body), &[]))
    }
}

impl TestNode {
    /// Stops serving and lets the replica go, keeping the data directory.
    pub fn stop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(Duration::from_secs(5));
        }
    }
}

impl Drop for TestNode {
    fn drop(&mut self) {
        self.stop();
    }
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).unwrap()
    }
}

/// One HTTP/1.1 request on its own connection, answered in full.
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
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(Duration::from_secs(20)))?;
    let body = body.unwrap_or(&[]);
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    // The node's own address unless the test poses as a page that names another.
    if !headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("host"))
    {
        head.push_str(&format!("Host: {address}\r\n"));
    }
    let has_type = headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("content-type"));
    if !body.is_empty() && !has_type {
        head.push_str("Content-Type: application/json\r\n");
    }
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    // A refused large body may be answered before it is all sent.
    let _ = stream.write_all(body);
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let split = raw
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no complete answer"))?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| std::io::Error::other("no status line"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let is_chunked = headers.iter().any(|(name, value)| {
        name.eq_ignore_ascii_case("transfer-encoding") && value.contains("chunked")
    });
    if is_chunked {
        body = dechunk(&body).ok_or_else(|| std::io::Error::other("bad chunked body"))?;
    }
    let length = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.parse::<usize>().ok());
    if length.is_some_and(|length| length != body.len()) {
        return Err(std::io::Error::other("the answer was cut short"));
    }
    Ok(Answer {
        status,
        headers,
        body,
    })
}

fn dechunk(mut raw: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = raw.windows(2).position(|w| w == b"\r\n")?;
        let size =
            usize::from_str_radix(std::str::from_utf8(&raw[..line_end]).ok()?.trim(), 16).ok()?;
        raw = &raw[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(raw.get(..size)?);
        raw = raw.get(size + 2..)?;
    }
}

pub fn json_of(answer: Answer) -> (u16, Value) {
    let value = if answer.body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&answer.body)
            .unwrap_or_else(|error| panic!("not JSON ({error}): {}", answer.text()))
    };
    (answer.status, value)
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
