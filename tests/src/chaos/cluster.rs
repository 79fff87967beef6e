//! The city of the harness as real processes: a city hub, a district hub under it and
//! the community nodes, each the built binary (`hub-process`, `node-process`) in a
//! data directory made once with the same library calls `init` and `enroll` make. Every
//! node dials its hub, and the district hub dials the city hub, through a
//! [`FaultProxy`]. The harness kills, starts, stops and continues them by pid; each
//! process's stderr (its JSON log lines) is appended to `logs/NAME.log`, across
//! restarts, for the checker's scan.

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use wishtree_hub::store::{EnrolledRole, HubStore};
use wishtree_protocol::CommunityCode;

use super::disk::{self, SmallDisk};
use super::proxy::{FaultProxy, LinkFaults};
use super::schedule::{Link, Proc, Topology};
use crate::city::{enroll, hub_key, init_hub, init_node};

/// How long a process may take to listen after it is started.
const START_LIMIT: Duration = Duration::from_secs(30);
/// How long a process may take to end after SIGINT.
const STOP_LIMIT: Duration = Duration::from_secs(30);
/// The city of the harness (沧州市), its district under the district hub, and the
/// district of the nodes that sync with the city hub directly.
const CITY: &str = "1309";
const DISTRICT: &str = "130903";
const OTHER_DISTRICT: &str = "130902";

/// Where the two binaries are.
#[derive(Debug, Clone)]
pub struct Binaries {
    /// `hub-process`: the `wishtree-hub` command line.
    pub hub: PathBuf,
    /// `node-process`: the `wishtree-node` command line.
    pub node: PathBuf,
}

impl Binaries {
    /// The binaries built beside the running executable (`target/debug/` for the
    /// `chaos` binary).
    pub fn beside_current_exe() -> anyhow::Result<Self> {
        let exe = std::env::current_exe().context("cannot find the running executable")?;
        let dir = exe
            .parent()
            .context("the running executable has no directory")?;
        let binaries = Self {
            hub: dir.join("hub-process"),
            node: dir.join("node-process"),
        };
        for binary in [&binaries.hub, &binaries.node] {
            if !binary.is_file() {
                bail!(
                    "{} is missing: build it with `cargo build -p wishtree-tests --bins`",
                    binary.display()
                );
            }
        }
        Ok(binaries)
    }
}

/// A community node of the harness.
#[derive(Debug, Clone)]
pub struct NodeInfo {
    /// Its community.
    pub code: CommunityCode,
    /// Its data directory.
    pub dir: PathBuf,
    /// Its HTTP address while it runs (a restarted node listens on a new port);
    /// the writers read it.
    pub http: Arc<Mutex<Option<SocketAddr>>>,
}

/// One process of the harness.
struct Process {
    child: Option<Child>,
    paused: bool,
    log: PathBuf,
    /// How far its clock reads off, in seconds, from its next start on
    /// (`WISHTREE_CLOCK_SKEW`).
    skew: i64,
}

/// The running city.
pub struct Cluster {
    topology: Topology,
    binaries: Binaries,
    city_dir: PathBuf,
    district_dir: PathBuf,
    city_quic: SocketAddr,
    district_quic: SocketAddr,
    nodes: Vec<NodeInfo>,
    /// Each node's disk, when the harness runs in its own mount namespace
    /// ([`disk::inside`]); else the nodes write to the machine's disk and a full-disk
    /// fault is refused.
    disks: Vec<SmallDisk>,
    proxies: BTreeMap<Link, FaultProxy>,
    processes: BTreeMap<Proc, Process>,
    /// What went wrong with a process (would not start, would not stop).
    pub problems: Vec<String>,
    /// How long each process took to end after SIGINT, at the last shut-down.
    pub stop_times: Vec<(Proc, Duration)>,
}

impl Cluster {
    /// Makes the data directories under `root`, starts the proxies (their faults drawn
    /// from `seed`) and every process, and returns once all listen.
    pub fn start(
        root: &Path,
        topology: Topology,
        seed: u64,
        binaries: Binaries,
    ) -> anyhow::Result<Self> {
        std::fs::create_dir_all(root.join("logs"))?;
        let city_dir = root.join("city");
        let district_dir = root.join("district");
        let city_quic = free_udp_port()?;
        let district_quic = free_udp_port()?;
        let mut proxies = BTreeMap::new();
        for (index, link) in topology.links().into_iter().enumerate() {
            let target = match link {
                Link::Node(node) if topology.under_district(node) => district_quic,
                Link::Node(_) | Link::DistrictUp => city_quic,
            };
            let link_seed = seed ^ (index as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            proxies.insert(link, FaultProxy::start(target, link_seed)?);
        }

        init_hub(&city_dir, CITY)?;
        let city_key = hub_key(&city_dir)?;
        let up = proxies
            .get(&Link::DistrictUp)
            .context("the district's link")?
            .address();
        wishtree_hub::cli::run(wishtree_hub::cli::Cli::try_parse_from([
            "wishtree-hub",
            "init",
            "--data",
            &district_dir.display().to_string(),
            "--city",
            CITY,
            "--district",
            DISTRICT,
            "--upstream",
            &up.to_string(),
            "--upstream-key",
            &city_key.to_string(),
        ])?)?;
        let city_store = wishtree_hub::data_dir::open_store(&city_dir)?;
        city_store.enroll(
            hub_key(&district_dir)?,
            EnrolledRole::Hub {
                scope: DISTRICT.parse()?,
            },
            wishtree_hub::clock::now(),
        )?;
        let district_key = hub_key(&district_dir)?;
        let mut nodes = Vec::new();
        let mut disks = Vec::new();
        for index in 0..topology.nodes {
            let under_district = topology.under_district(index);
            let code: CommunityCode = format!(
                "{}{:03}{:03}",
                if under_district {
                    DISTRICT
                } else {
                    OTHER_DISTRICT
                },
                index + 1,
                index + 1
            )
            .parse()?;
            let dir = root.join(format!("node{index}"));
            if disk::inside() {
                disks.push(SmallDisk::mount(&dir)?);
            }
            let proxy = proxies
                .get(&Link::Node(index))
                .context("the node's link")?
                .address();
            let key = if under_district {
                district_key
            } else {
                city_key
            };
            let replica = init_node(&dir, code, "混沌社区", "张书记", proxy, key)?;
            enroll(&city_dir, code, replica.public_key())?;
            drop(replica);
            nodes.push(NodeInfo {
                code,
                dir,
                http: Arc::new(Mutex::new(None)),
            });
        }
        drop(city_store);

        let processes = topology
            .processes()
            .into_iter()
            .map(|process| {
                let log = root.join("logs").join(format!("{process}.log"));
                (
                    process,
                    Process {
                        child: None,
                        paused: false,
                        log,
                        skew: 0,
                    },
                )
            })
            .collect();
        let mut cluster = Self {
            topology,
            binaries,
            city_dir,
            district_dir,
            city_quic,
            district_quic,
            nodes,
            disks,
            proxies,
            processes,
            problems: Vec::new(),
            stop_times: Vec::new(),
        };
        for process in topology.processes() {
            cluster.start_process(process)?;
        }
        Ok(cluster)
    }

    /// The layout.
    pub fn topology(&self) -> Topology {
        self.topology
    }

    /// The nodes.
    pub fn nodes(&self) -> &[NodeInfo] {
        &self.nodes
    }

    /// The data directory of a hub (`Proc::City` or `Proc::District`).
    pub fn hub_dir(&self, hub: Proc) -> &Path {
        match hub {
            Proc::District => &self.district_dir,
            _ => &self.city_dir,
        }
    }

    /// The hubs that must hold node `index`'s document: its own, and the city hub.
    pub fn hubs_of(&self, index: usize) -> Vec<Proc> {
        if self.topology.under_district(index) {
            vec![Proc::District, Proc::City]
        } else {
            vec![Proc::City]
        }
    }

    /// Every process's log file.
    pub fn logs(&self) -> Vec<(Proc, PathBuf)> {
        self.processes
            .iter()
            .map(|(process, state)| (*process, state.log.clone()))
            .collect()
    }

    /// Sets a link's faults.
    pub fn set_link(&self, link: Link, faults: LinkFaults) {
        if let Some(proxy) = self.proxies.get(&link) {
            proxy.set(faults);
        }
    }

    /// Fills node `index`'s disk to the last byte.
    pub fn fill_disk(&self, index: usize) -> anyhow::Result<()> {
        match self.disks.get(index) {
            Some(disk) => disk.fill(),
            None => bail!(
                "node{index} has no disk of its own to fill: run the harness in its mount namespace (`disk::run_inside`)"
            ),
        }
    }

    /// Empties node `index`'s disk of the filler.
    pub fn free_disk(&self, index: usize) -> anyhow::Result<()> {
        self.disks.get(index).map_or(Ok(()), SmallDisk::free)
    }

    /// Unmounts the nodes' disks (after the shut-down; what they held is gone), so the
    /// run's directory can be removed.
    pub fn unmount_disks(&mut self) -> anyhow::Result<()> {
        for disk in self.disks.drain(..) {
            disk.unmount()?;
        }
        Ok(())
    }

    /// Heals everything: every link healthy, every disk emptied, every paused process
    /// continued, every killed one started.
    pub fn heal(&mut self) -> anyhow::Result<()> {
        for proxy in self.proxies.values() {
            proxy.set(LinkFaults::healthy());
        }
        for disk in &self.disks {
            disk.free()?;
        }
        for process in self.topology.processes() {
            self.continue_process(process)?;
            self.start_process(process)?;
        }
        Ok(())
    }

    /// Starts `process` if it is not running, and waits until it listens.
    pub fn start_process(&mut self, process: Proc) -> anyhow::Result<()> {
        let state = self
            .processes
            .get_mut(&process)
            .context("no such process")?;
        if state.child.is_some() {
            return Ok(());
        }
        let (binary, args, ready) = match process {
            Proc::City | Proc::District => {
                let (dir, quic) = if process == Proc::City {
                    (&self.city_dir, self.city_quic)
                } else {
                    (&self.district_dir, self.district_quic)
                };
                let args = vec![
                    "run".to_owned(),
                    "--data".to_owned(),
                    dir.display().to_string(),
                    "--quic".to_owned(),
                    quic.to_string(),
                    "--http".to_owned(),
                    "127.0.0.1:0".to_owned(),
                ];
                (&self.binaries.hub, args, "dashboard: http://")
            }
            Proc::Node(index) => {
                let node = self.nodes.get(index).context("no such node")?;
                let args = vec![
                    "--data".to_owned(),
                    node.dir.display().to_string(),
                    "run".to_owned(),
                    "--http".to_owned(),
                    "127.0.0.1:0".to_owned(),
                ];
                (&self.binaries.node, args, "listening on http://")
            }
        };
        let (child, address) = spawn(binary, &args, &state.log, ready, state.skew)
            .with_context(|| format!("{process} did not start"))?;
        state.child = Some(child);
        state.paused = false;
        if let Proc::Node(index) = process {
            let address: SocketAddr = address
                .trim_end_matches('/')
                .parse()
                .with_context(|| format!("{process} printed no address: {address}"))?;
            if let Some(node) = self.nodes.get(index) {
                *lock(&node.http) = Some(address);
            }
        }
        Ok(())
    }

    /// Sets how far `process`'s clock reads off from its next start on.
    pub fn set_skew(&mut self, process: Proc, seconds: i64) {
        if let Some(state) = self.processes.get_mut(&process) {
            state.skew = seconds;
        }
    }

    /// SIGKILL, and waits for the process to be gone.
    pub fn kill_process(&mut self, process: Proc) {
        if let Proc::Node(index) = process
            && let Some(node) = self.nodes.get(index)
        {
            *lock(&node.http) = None;
        }
        if let Some(state) = self.processes.get_mut(&process)
            && let Some(mut child) = state.child.take()
        {
            let _ = child.kill();
            let _ = child.wait();
            state.paused = false;
        }
    }

    /// Where a hub's backup for a restore fault is kept.
    fn backup_path(&self, hub: Proc) -> PathBuf {
        self.hub_dir(hub).with_extension("backup.sqlite")
    }

    /// Backs a hub's store up beside the running hub (SQLite's online backup, as
    /// `wishtree-hub backup` makes it), replacing an older one.
    pub fn back_up(&mut self, hub: Proc) -> anyhow::Result<()> {
        let backup = self.backup_path(hub);
        if backup.exists() {
            std::fs::remove_file(&backup)?;
        }
        let store = self
            .hub_dir(hub)
            .join(wishtree_hub::data_dir::DATABASE_FILE);
        wishtree_hub::store::SqliteStore::open(&store)?.backup(&backup)?;
        Ok(())
    }

    /// Kills a hub, puts its store back to the last backup (as an operator restoring
    /// it would: the backup copied over, the old write-ahead log gone) and starts it.
    pub fn restore(&mut self, hub: Proc) -> anyhow::Result<()> {
        self.kill_process(hub);
        let store = self
            .hub_dir(hub)
            .join(wishtree_hub::data_dir::DATABASE_FILE);
        std::fs::copy(self.backup_path(hub), &store)?;
        for suffix in ["-wal", "-shm"] {
            let mut side = store.clone().into_os_string();
            side.push(suffix);
            let side = PathBuf::from(side);
            if side.exists() {
                std::fs::remove_file(side)?;
            }
        }
        self.start_process(hub)
    }

    /// SIGSTOP.
    pub fn stop_process(&mut self, process: Proc) -> anyhow::Result<()> {
        if let Some(state) = self.processes.get_mut(&process)
            && let Some(child) = &state.child
            && !state.paused
        {
            signal(child, "-STOP")?;
            state.paused = true;
        }
        Ok(())
    }

    /// SIGCONT.
    pub fn continue_process(&mut self, process: Proc) -> anyhow::Result<()> {
        if let Some(state) = self.processes.get_mut(&process)
            && let Some(child) = &state.child
            && state.paused
        {
            signal(child, "-CONT")?;
            state.paused = false;
        }
        Ok(())
    }

    /// Ends every process as an operator would (SIGINT, as Ctrl-C) and waits; one that
    /// does not end in time is a problem, and is killed.
    pub fn shut_down(&mut self) {
        let _ = self.heal_pauses();
        for (process, state) in &mut self.processes {
            let Some(mut child) = state.child.take() else {
                continue;
            };
            if let Proc::Node(index) = process
                && let Some(node) = self.nodes.get(*index)
            {
                *lock(&node.http) = None;
            }
            if signal(&child, "-INT").is_err() {
                let _ = child.kill();
            }
            let signalled = Instant::now();
            let deadline = signalled + STOP_LIMIT;
            loop {
                match child.try_wait() {
                    Ok(Some(status)) => {
                        self.stop_times.push((*process, signalled.elapsed()));
                        if !status.success() {
                            self.problems
                                .push(format!("{process} ended with {status} after SIGINT"));
                        }
                        break;
                    }
                    Ok(None) if Instant::now() < deadline => {
                        std::thread::sleep(Duration::from_millis(20));
                    }
                    _ => {
                        self.problems.push(format!(
                            "{process} did not end within {} s of SIGINT",
                            STOP_LIMIT.as_secs()
                        ));
                        let _ = child.kill();
                        let _ = child.wait();
                        break;
                    }
                }
            }
        }
    }

    fn heal_pauses(&mut self) -> anyhow::Result<()> {
        for process in self.topology.processes() {
            self.continue_process(process)?;
        }
        Ok(())
    }
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Cluster")
            .field("topology", &self.topology)
            .field("proxies", &self.proxies)
            .field("problems", &self.problems)
            .finish_non_exhaustive()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for state in self.processes.values_mut() {
            if let Some(mut child) = state.child.take() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
}

/// A lock whose holder panicked still guards a plain address.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Starts `binary` with `args`, its stderr appended to `log`, and waits for the stdout
/// line containing `ready`; returns the child and what follows `ready` on that line.
fn spawn(
    binary: &Path,
    args: &[String],
    log: &Path,
    ready: &'static str,
    skew: i64,
) -> anyhow::Result<(Child, String)> {
    let log = OpenOptions::new().create(true).append(true).open(log)?;
    let mut command = Command::new(binary);
    if skew != 0 {
        command.env(wishtree_common::clock::SKEW_VARIABLE, skew.to_string());
    }
    let mut child = command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log))
        .spawn()
        .with_context(|| format!("cannot run {}", binary.display()))?;
    let stdout = child.stdout.take().context("no stdout")?;
    let (sender, listening) = std::sync::mpsc::channel();
    // Drains stdout to its end, so the pipe never fills.
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some((_, rest)) = line.split_once(ready) {
                let _ = sender.send(rest.to_owned());
            }
        }
    });
    match listening.recv_timeout(START_LIMIT) {
        Ok(rest) => Ok((child, rest)),
        Err(_) => {
            let _ = child.kill();
            let status = child.wait().ok();
            bail!(
                "no `{ready}` line within {} s (exit: {status:?})",
                START_LIMIT.as_secs()
            )
        }
    }
}

/// Sends a signal (`-STOP`, `-CONT`, `-INT`) by pid, with the system's `kill`.
fn signal(child: &Child, signal: &str) -> anyhow::Result<()> {
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .context("cannot run kill")?;
    if !status.success() {
        bail!("kill {signal} {} failed", child.id());
    }
    Ok(())
}

/// A free loopback UDP port (bound, read and released).
fn free_udp_port() -> anyhow::Result<SocketAddr> {
    Ok(UdpSocket::bind("127.0.0.1:0")?.local_addr()?)
}
