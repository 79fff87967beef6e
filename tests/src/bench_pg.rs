//! A throwaway PostgreSQL cluster for the city benches (`benches/reconnect/`), started
//! the way `scripts/with-test-pg` starts one for the tests, so that `cargo bench` stays
//! one command: in a temporary directory, as the package's `postgres` user when the
//! bench runs as root (PostgreSQL refuses root), on 127.0.0.1 and a free port, with a
//! random password. Unlike the tests' cluster it keeps `fsync` on: the bench compares it
//! with SQLite at `synchronous=FULL`, so both pay for durable commits.
//!
//! The bench owns the server, so it can read the server's CPU time: the postmaster's
//! own and that of the backends it reaped (`cutime`/`cstime`), plus the live backends'.
//!
//! Bench harness code: a failure to start the cluster is the bench failing, so the
//! `unwrap` lint is allowed for the module.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command as Process, Stdio};

use crate::bench_city::free_tcp_port;

/// The role the cluster is created with, and the benches' databases' owner.
const USER: &str = "wishtree";

/// What the server counted so far (see [`PgCluster::counters`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct PgCounters {
    /// Transactions committed, a statement outside a transaction counting as one.
    pub commits: u64,
    /// Flushes of the WAL to disk: commits that shared a flush count once.
    pub wal_syncs: u64,
    pub wal_writes: u64,
}

impl std::ops::Sub for PgCounters {
    type Output = PgCounters;

    fn sub(self, before: PgCounters) -> PgCounters {
        PgCounters {
            commits: self.commits.saturating_sub(before.commits),
            wal_syncs: self.wal_syncs.saturating_sub(before.wal_syncs),
            wal_writes: self.wal_writes.saturating_sub(before.wal_writes),
        }
    }
}

/// A running PostgreSQL cluster in a temporary directory; stopped and removed on drop.
#[derive(Debug)]
pub struct PgCluster {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    password: String,
    /// Run the server's programs as `postgres` (the bench runs as root).
    as_postgres: bool,
}

impl PgCluster {
    /// The newest installed PostgreSQL's programs (`/usr/lib/postgresql/N/bin`), if any.
    pub fn installed() -> Option<PathBuf> {
        let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(Result::ok)
            .filter_map(|entry| {
                let version = entry.file_name().to_str()?.parse().ok()?;
                let bin = entry.path().join("bin");
                bin.join("postgres").exists().then_some((version, bin))
            })
            .collect();
        versions.sort();
        versions.pop().map(|(_, bin)| bin)
    }

    /// Creates and starts a cluster with the programs in `bin`.
    pub fn start(bin: &Path) -> Self {
        let as_postgres = std::fs::metadata("/proc/self").unwrap().uid() == 0;
        let dir = tempfile::Builder::new()
            .prefix("wishtree-bench-pg.")
            .tempdir()
            .unwrap();
        let password = {
            let mut bytes = [0u8; 16];
            getrandom::fill(&mut bytes).unwrap();
            hex::encode(bytes)
        };
        let password_file = dir.path().join("password");
        std::fs::write(&password_file, format!("{password}\n")).unwrap();
        if as_postgres {
            for path in [dir.path(), &password_file] {
                let status = Process::new("chown")
                    .arg("postgres")
                    .arg(path)
                    .status()
                    .unwrap();
                assert!(status.success(), "chown postgres {}", path.display());
            }
        }
        let mut cluster = PgCluster {
            bin: bin.to_owned(),
            dir,
            port: 0,
            password,
            as_postgres,
        };
        let output = cluster
            .server_program("initdb")
            .arg("-D")
            .arg(cluster.data())
            .args([
                "-U",
                USER,
                "--auth=scram-sha-256",
                "-E",
                "UTF8",
                "--no-locale",
            ])
            .arg(format!("--pwfile={}", password_file.display()))
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        // A free port can be taken between the look and the start: try a few.
        for _ in 0..5 {
            let port = free_tcp_port().port();
            let mut options = format!(
                "-c listen_addresses=127.0.0.1 -p {port} -k {} -c max_connections=400",
                cluster.dir.path().display()
            );
            // Every statement the hubs send, logged to a directory that outlives the
            // cluster, to count them by kind (`RECONNECT_PG_LOG=/tmp/dir`, writable by the
            // server's user).
            if let Ok(dir) = std::env::var("RECONNECT_PG_LOG") {
                options.push_str(&format!(
                    " -c logging_collector=on -c log_directory={dir} -c log_statement=all"
                ));
            }
            let status = cluster
                .server_program("pg_ctl")
                .arg("-D")
                .arg(cluster.data())
                .arg("-l")
                .arg(cluster.dir.path().join("log"))
                .args(["-w", "-s", "-o", &options, "start"])
                .stdout(Stdio::null())
                .status()
                .unwrap();
            if status.success() {
                cluster.port = port;
                return cluster;
            }
        }
        let log = std::fs::read_to_string(cluster.dir.path().join("log")).unwrap_or_default();
        panic!("PostgreSQL did not start:\n{log}");
    }

    /// Creates database `name` and returns its address, as `--store` takes it.
    pub fn database(&self, name: &str) -> String {
        let output = Process::new(self.bin.join("createdb"))
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                USER,
                name,
            ])
            .env("PGPASSWORD", &self.password)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "createdb {name} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        format!(
            "postgres://{USER}:{}@127.0.0.1:{}/{name}",
            self.password, self.port
        )
    }

    /// The server's commits (every database's, `pg_stat_database`) and WAL flushes to
    /// disk (`pg_stat_wal`) so far. Backends report their counts when idle, at most
    /// once a second, so a reading lags the work by up to a second.
    pub fn counters(&self) -> PgCounters {
        let output = Process::new(self.bin.join("psql"))
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", USER])
            .args(["-d", "postgres", "-A", "-t", "-c"])
            .arg(
                "SELECT (SELECT SUM(xact_commit) FROM pg_stat_database), wal_sync, wal_write \
                 FROM pg_stat_wal",
            )
            .env("PGPASSWORD", &self.password)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&output.stdout);
        let mut fields = text
            .trim()
            .split('|')
            .map(|field| field.parse().unwrap_or(0));
        PgCounters {
            commits: fields.next().unwrap_or(0),
            wal_syncs: fields.next().unwrap_or(0),
            wal_writes: fields.next().unwrap_or(0),
        }
    }

    /// CPU time (user plus system) the server's processes have used so far: the
    /// postmaster's own, its ended children's (which it reaped) and its live children's.
    pub fn cpu_seconds(&self) -> f64 {
        let Some(postmaster) = std::fs::read_to_string(self.data().join("postmaster.pid"))
            .ok()
            .and_then(|text| text.lines().next()?.trim().parse::<u32>().ok())
        else {
            return 0.0;
        };
        let mut ticks: u64 = stat_fields(postmaster)
            .and_then(|fields| fields.get(11..15).map(sum))
            .unwrap_or(0);
        for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<u32>().ok())
            else {
                continue;
            };
            let Some(fields) = stat_fields(pid) else {
                continue;
            };
            if fields.get(1).and_then(|ppid| ppid.parse::<u32>().ok()) == Some(postmaster) {
                ticks += fields.get(11..13).map(sum).unwrap_or(0);
            }
        }
        ticks as f64 / 100.0
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// A program of the server, run as `postgres` when the bench is root.
    fn server_program(&self, name: &str) -> Process {
        let program = self.bin.join(name);
        if self.as_postgres {
            let mut command = Process::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Process::new(program)
        }
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        if self.port == 0 {
            return;
        }
        let _ = self
            .server_program("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "fast", "-w", "-s", "stop"])
            .stdout(Stdio::null())
            .status();
    }
}

/// The fields of `/proc/<pid>/stat` after the command name (which is in parentheses
/// and may hold spaces): the state first, the parent's pid second.
fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    Some(rest.split_whitespace().map(str::to_owned).collect())
}

fn sum(fields: &[String]) -> u64 {
    fields
        .iter()
        .filter_map(|field| field.parse::<u64>().ok())
        .sum()
}
