//! One run of the harness, from a seed: draw the schedule, start the city, write all
//! along while the faults happen, heal, check; and the [`Report`] that adds runs up
//! as Jepsen counts them.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use wishtree_testkit::socket::get_json;

use super::check::{self, HubStores};
use super::cluster::{Binaries, Cluster};
use super::schedule::{Action, Fault, Proc, Schedule, Topology};
use super::writer::Writers;

/// How one run goes.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The seed of the schedule and of the proxies' fates.
    pub seed: u64,
    /// The city's layout.
    pub topology: Topology,
    /// How long the faults go on.
    pub length: Duration,
    /// How often each writer writes.
    pub pace: Duration,
    /// How long the replicas are given to converge after the healing.
    pub converge_limit: Duration,
    /// Where the run's data directories and logs go (made; left for a look after).
    pub root: PathBuf,
    /// The binaries.
    pub binaries: Binaries,
}

/// What one run found.
#[derive(Debug, Clone, Default)]
pub struct RunOutcome {
    /// Its seed.
    pub seed: u64,
    /// Faults injected, by kind.
    pub faults: BTreeMap<&'static str, u64>,
    /// Writes sent.
    pub attempted: u64,
    /// Writes acknowledged.
    pub acked: u64,
    /// Writes refused for a full disk (507).
    pub disk_full: u64,
    /// Writes answered with another refusal.
    pub refused: u64,
    /// Writes not answered (the node down).
    pub unanswered: u64,
    /// Acknowledged writes missing from a replica after the healing.
    pub lost: Vec<String>,
    /// Writes applied twice.
    pub doubled: Vec<String>,
    /// Replicas still different when the limit ran out.
    pub diverged: Vec<String>,
    /// How long the replicas took to converge after the healing.
    pub converged_after: Option<Duration>,
    /// (hub, community) pairs whose latest signed heads are the hub's heads, of all.
    pub attested_current: (u64, u64),
    /// Everything else that went wrong: signed heads, figures, panics, processes that
    /// would not start or stop.
    pub problems: Vec<String>,
}

impl RunOutcome {
    /// Nothing lost, doubled, diverged or otherwise wrong.
    pub fn passed(&self) -> bool {
        self.lost.is_empty()
            && self.doubled.is_empty()
            && self.diverged.is_empty()
            && self.problems.is_empty()
            && self.acked > 0
    }
}

/// How long the nodes are given to connect before the faults start.
const CONNECT_LIMIT: Duration = Duration::from_secs(30);

/// Runs the schedule of `options.seed`, and checks.
pub fn run_schedule(options: &RunOptions) -> anyhow::Result<RunOutcome> {
    let schedule = Schedule::draw(options.seed, options.topology, options.length);
    let mut outcome = RunOutcome {
        seed: options.seed,
        faults: schedule.counts(),
        ..RunOutcome::default()
    };
    let mut cluster = Cluster::start(
        &options.root,
        options.topology,
        options.seed,
        options.binaries.clone(),
    )?;
    wait_connected(&cluster)?;
    let https: Vec<_> = cluster
        .nodes()
        .iter()
        .map(|node| node.http.clone())
        .collect();
    let writers = Writers::start(&https, options.pace);

    let started = Instant::now();
    for (at, action) in schedule.actions() {
        if let Some(wait) = (started + at).checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let done = match action {
            Action::Link(link, faults) => {
                cluster.set_link(link, faults);
                Ok(())
            }
            Action::Kill(process) => {
                cluster.kill_process(process);
                Ok(())
            }
            Action::Start(process) => cluster.start_process(process),
            Action::Stop(process) => cluster.stop_process(process),
            Action::Continue(process) => cluster.continue_process(process),
            Action::Backup(hub) => cluster.back_up(hub),
            Action::Restore(hub) => cluster.restore(hub),
            Action::Skew(process, seconds) => {
                cluster.set_skew(process, seconds);
                Ok(())
            }
            Action::FillDisk(node) => cluster.fill_disk(node),
            Action::FreeDisk(node) => cluster.free_disk(node),
        };
        if let Err(error) = done {
            outcome.problems.push(format!(
                "at {:.1} s, {action:?}: {error:#}",
                at.as_secs_f64()
            ));
        }
    }
    if let Some(wait) = (started + options.length).checked_duration_since(Instant::now()) {
        std::thread::sleep(wait);
    }

    let healed = Instant::now();
    if let Err(error) = cluster.heal() {
        outcome.problems.push(format!("healing: {error:#}"));
    }
    let logs = writers.finish();
    let filled: Vec<usize> = schedule
        .faults
        .iter()
        .filter_map(|(_, fault)| match fault {
            Fault::DiskFull { node, .. } => Some(*node),
            _ => None,
        })
        .collect();
    for (node, log) in logs.iter().enumerate() {
        if log.disk_full > 0 && !filled.contains(&node) {
            outcome.problems.push(format!(
                "node{node} refused {} writes for a full disk, but its disk was never filled",
                log.disk_full
            ));
        }
        outcome.disk_full += log.disk_full;
        outcome.attempted += log.attempted;
        outcome.acked += log.acked.len() as u64;
        outcome.refused += log.refused;
        outcome.unanswered += log.unanswered;
        outcome.problems.extend(
            log.refusals
                .iter()
                .map(|refusal| format!("a write was refused: {refusal}")),
        );
    }
    let acks: Vec<_> = logs.into_iter().flat_map(|log| log.acked).collect();

    let stores = HubStores::open(&cluster)?;
    let remaining = options.converge_limit.saturating_sub(healed.elapsed());
    match check::wait_converged(&cluster, &stores, remaining) {
        Ok(_) => outcome.converged_after = Some(healed.elapsed()),
        Err(differences) => outcome.diverged = differences,
    }
    let writes = check::check_writes(&cluster, &stores, &acks);
    outcome.lost = writes.lost;
    outcome.doubled = writes.doubled;
    let attested = check::check_attestations(&cluster, &stores);
    outcome.attested_current = (attested.current, attested.checked);
    outcome.problems.extend(attested.problems);
    drop(stores);
    let remaining = options.converge_limit.saturating_sub(healed.elapsed());
    outcome
        .problems
        .extend(check::wait_figures_current(&cluster, remaining));

    cluster.shut_down();
    for hub in [Proc::City, Proc::District] {
        match check::check_figures(hub, cluster.hub_dir(hub), &options.root) {
            Ok(problems) => outcome.problems.extend(problems),
            Err(error) => outcome
                .problems
                .push(format!("{hub}: the figures cannot be checked: {error:#}")),
        }
    }
    outcome.problems.extend(check::scan_logs(&cluster));
    if let Err(error) = cluster.unmount_disks() {
        outcome.problems.push(format!("{error:#}"));
    }
    outcome.problems.append(&mut cluster.problems);
    Ok(outcome)
}

/// Waits until every node says it is connected to its hub.
fn wait_connected(cluster: &Cluster) -> anyhow::Result<()> {
    let deadline = Instant::now() + CONNECT_LIMIT;
    let connected = |http: &std::sync::Mutex<Option<std::net::SocketAddr>>| {
        let address = *http
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        address.is_some_and(|address| {
            get_json(&format!("http://{address}/api/status"))["sync"]["hub_connected"] == true
        })
    };
    while !cluster.nodes().iter().all(|node| connected(&node.http)) {
        if Instant::now() > deadline {
            anyhow::bail!(
                "the nodes did not all connect within {} s",
                CONNECT_LIMIT.as_secs()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}

/// Runs added up.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Every run's outcome, in order.
    pub runs: Vec<RunOutcome>,
}

impl Report {
    /// Whether every run passed.
    pub fn passed(&self) -> bool {
        self.runs.iter().all(RunOutcome::passed)
    }

    fn sum(&self, field: impl Fn(&RunOutcome) -> u64) -> u64 {
        self.runs.iter().map(field).sum()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut faults: BTreeMap<&str, u64> = BTreeMap::new();
        for run in &self.runs {
            for (kind, count) in &run.faults {
                *faults.entry(kind).or_insert(0) += count;
            }
        }
        let mut converge: Vec<Duration> = self
            .runs
            .iter()
            .filter_map(|run| run.converged_after)
            .collect();
        converge.sort();
        writeln!(formatter, "chaos report")?;
        writeln!(formatter, "  schedules run          {}", self.runs.len())?;
        writeln!(
            formatter,
            "  faults injected        {}",
            faults.values().sum::<u64>()
        )?;
        for (kind, count) in &faults {
            writeln!(formatter, "    {kind:<28}{count}")?;
        }
        writeln!(
            formatter,
            "  writes sent            {} (acknowledged {}, refused {} + {} for a full disk, unanswered {})",
            self.sum(|run| run.attempted),
            self.sum(|run| run.acked),
            self.sum(|run| run.refused),
            self.sum(|run| run.disk_full),
            self.sum(|run| run.unanswered)
        )?;
        writeln!(
            formatter,
            "  writes lost            {}",
            self.sum(|run| run.lost.len() as u64)
        )?;
        writeln!(
            formatter,
            "  writes applied twice   {}",
            self.sum(|run| run.doubled.len() as u64)
        )?;
        writeln!(
            formatter,
            "  runs diverged          {}",
            self.runs
                .iter()
                .filter(|run| !run.diverged.is_empty())
                .count()
        )?;
        let seconds = |duration: Option<&Duration>| {
            duration.map_or_else(|| "-".to_owned(), |d| format!("{:.1} s", d.as_secs_f64()))
        };
        writeln!(
            formatter,
            "  converged after heal   p50 {}, max {}",
            seconds(converge.get(converge.len() / 2)),
            seconds(converge.last())
        )?;
        writeln!(
            formatter,
            "  signed heads current   {} of {}",
            self.sum(|run| run.attested_current.0),
            self.sum(|run| run.attested_current.1)
        )?;
        for run in self.runs.iter().filter(|run| !run.passed()) {
            writeln!(formatter, "  FAILED seed {}:", run.seed)?;
            let lines = run
                .lost
                .iter()
                .chain(&run.doubled)
                .chain(&run.diverged)
                .chain(&run.problems);
            for line in lines.take(20) {
                writeln!(formatter, "    {line}")?;
            }
            if run.acked == 0 {
                writeln!(formatter, "    no write was acknowledged")?;
            }
        }
        Ok(())
    }
}
