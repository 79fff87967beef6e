//! A hub as a child process (`wishtree-hub run` in a process of its own), for the tests
//! that kill one with SIGKILL or run several on one store: only a process can be
//! killed, and only processes show that two hubs share nothing but their store.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, UdpSocket};
use std::path::Path;
use std::process::{Child, Command as Process, Stdio};
use std::time::{Duration, Instant};

/// Bound of every wait for a hub process.
const LIMIT: Duration = Duration::from_secs(30);

/// A free UDP port on loopback, for a hub's QUIC endpoint to be restarted on.
pub fn free_udp_port() -> SocketAddr {
    UdpSocket::bind("127.0.0.1:0")
        .and_then(|socket| socket.local_addr())
        .expect("loopback has a free UDP port")
}

/// The hub as a child process; killed when dropped, so a failing test leaves none.
#[derive(Debug)]
pub struct HubChild {
    child: Child,
    /// Where its dashboard and API listen.
    http: SocketAddr,
}

impl HubChild {
    /// Starts `binary` (the test's `CARGO_BIN_EXE_hub-process`) as `run` on `quic`,
    /// with `extra` arguments, and waits until it listens.
    pub fn start(binary: &str, data: &Path, quic: SocketAddr, extra: &[&str]) -> Self {
        let mut child = Process::new(binary)
            .args(["run", "--data"])
            .arg(data)
            .args(["--quic", &quic.to_string(), "--http", "127.0.0.1:0"])
            .args(extra.iter().map(OsStr::new))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the hub process runs");
        // The hub prints its addresses once it listens; the rest of stdout is drained
        // by the thread so that the pipe never fills.
        let stdout = child.stdout.take().expect("the hub process runs");
        let (ready, listening) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                // `dashboard: http://127.0.0.1:PORT/`
                if let Some(address) = line
                    .strip_prefix("dashboard: http://")
                    .and_then(|rest| rest.trim_end_matches('/').parse::<SocketAddr>().ok())
                {
                    let _ = ready.send(address);
                }
            }
        });
        match listening.recv_timeout(LIMIT) {
            Ok(http) => Self { child, http },
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the hub did not start listening within {LIMIT:?}");
            }
        }
    }

    /// Where its dashboard and API listen.
    pub fn http_addr(&self) -> SocketAddr {
        self.http
    }

    /// SIGKILL: no Bye, no close; the nodes' connections are left open.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGINT, as an operator's Ctrl-C, and waits for the process to end.
    pub fn stop(mut self) {
        let sent = Process::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .expect("the hub process runs");
        assert!(sent.success());
        let deadline = Instant::now() + LIMIT;
        while self
            .child
            .try_wait()
            .expect("the hub process runs")
            .is_none()
        {
            assert!(
                Instant::now() < deadline,
                "the hub did not stop after SIGINT"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for HubChild {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.kill();
        }
    }
}
