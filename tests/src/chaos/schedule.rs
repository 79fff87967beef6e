//! Fault schedules drawn from a seed: the same seed gives the same faults at the same
//! moments, so a failing run is replayed by its seed (`scripts/chaos --seed N`).
//!
//! The city is laid out by a [`Topology`]: the first half of the nodes sync with the
//! district hub, which syncs with the city hub; the others sync with the city hub
//! directly. Each node's link, and the district hub's link up, is one proxy.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use super::Rng;
use super::proxy::LinkFaults;

/// How long the nodes are given to connect before the first fault.
const FIRST_FAULT: (Duration, Duration) = (Duration::from_secs(1), Duration::from_secs(2));
/// The gap between the moments a fault is drawn.
const GAP: (Duration, Duration) = (Duration::from_millis(300), Duration::from_millis(2500));
/// A pause must outlast the 15 s idle timeout of `wishtree-net`, so the peer gives the
/// paused process up and the paused one, woken, finds its connection dead.
const PAUSE: (Duration, Duration) = (Duration::from_secs(16), Duration::from_secs(19));
/// How long a killed process stays down before the harness starts it again.
const DOWN: (Duration, Duration) = (Duration::ZERO, Duration::from_secs(2));
/// How long a partition lasts.
const PARTITION: (Duration, Duration) = (Duration::from_secs(1), Duration::from_secs(8));
/// How long a lossy, slow link stays so.
const DEGRADED: (Duration, Duration) = (Duration::from_secs(2), Duration::from_secs(10));
/// How long a node's disk stays full.
const DISK_FULL: (Duration, Duration) = (Duration::from_secs(2), Duration::from_secs(8));
/// The most a node's clock is set off, either way: a week.
const MAX_SKEW_DAYS: u64 = 7;
/// How old a hub's backup is when the hub is put back to it.
const RESTORE_AGE: (Duration, Duration) = (Duration::from_secs(3), Duration::from_secs(12));
/// The worst a degraded link gets: 30 % loss, 1.5 s delay and 0.5 s jitter (2 s in all).
const MAX_LOSS: f64 = 0.3;
const MAX_DELAY: Duration = Duration::from_millis(1500);
const MAX_JITTER: Duration = Duration::from_millis(500);
const MAX_DUPLICATE: f64 = 0.1;
const MAX_REORDER: f64 = 0.2;

/// How many nodes, and which sync through the district hub.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Topology {
    /// Community nodes (at least four in the harness).
    pub nodes: usize,
}

impl Topology {
    /// Whether node `index` syncs with the district hub (else with the city hub).
    pub fn under_district(&self, index: usize) -> bool {
        index < self.nodes.div_ceil(2)
    }

    /// Every process.
    pub fn processes(&self) -> Vec<Proc> {
        let mut all = vec![Proc::City, Proc::District];
        all.extend((0..self.nodes).map(Proc::Node));
        all
    }

    /// Every link.
    pub fn links(&self) -> Vec<Link> {
        let mut all = vec![Link::DistrictUp];
        all.extend((0..self.nodes).map(Link::Node));
        all
    }
}

/// A process of the harness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Proc {
    /// The city hub.
    City,
    /// The district hub, under the city hub.
    District,
    /// A community node, by index.
    Node(usize),
}

impl fmt::Display for Proc {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::City => formatter.write_str("city"),
            Self::District => formatter.write_str("district"),
            Self::Node(index) => write!(formatter, "node{index}"),
        }
    }
}

/// A link through a proxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Link {
    /// The district hub to the city hub.
    DistrictUp,
    /// A node to its hub.
    Node(usize),
}

impl fmt::Display for Link {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::DistrictUp => formatter.write_str("district-city"),
            Self::Node(index) => write!(formatter, "node{index}-hub"),
        }
    }
}

/// A fault, as drawn.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// These links carry nothing for `hold`.
    Partition {
        /// Which partition (a report's kind).
        kind: PartitionKind,
        /// The links cut.
        links: Vec<Link>,
        /// For how long.
        hold: Duration,
    },
    /// The link loses, delays, duplicates and reorders for `hold`.
    Degrade {
        /// The link.
        link: Link,
        /// What it does.
        faults: LinkFaults,
        /// For how long.
        hold: Duration,
    },
    /// SIGKILL, and a new start after `down`.
    Kill {
        /// The process.
        process: Proc,
        /// How long it stays dead.
        down: Duration,
    },
    /// A backup of a hub's store now; after `age`, the hub killed, put back to that
    /// backup and started: its nodes must bring it up to date, not the other way.
    Restore {
        /// The hub (`Proc::City` or `Proc::District`).
        hub: Proc,
        /// How old the backup is when it is put back.
        age: Duration,
    },
    /// SIGSTOP, and SIGCONT after `hold` (longer than the idle timeout).
    Pause {
        /// The process.
        process: Proc,
        /// How long it stays stopped.
        hold: Duration,
    },
    /// A node's clock set off by `seconds` (days either way; 0 puts it right): the node
    /// is killed and started again after `down` reading the skewed clock, which it keeps
    /// through later restarts until another skew.
    Skew {
        /// The node, by index.
        node: usize,
        /// How far off its clock reads, in seconds.
        seconds: i64,
        /// How long it stays dead.
        down: Duration,
    },
    /// A node's disk filled to the last byte, and emptied again after `hold`: its
    /// writes are refused (507) meanwhile, and nothing it acknowledged may be lost.
    DiskFull {
        /// The node, by index.
        node: usize,
        /// How long the disk stays full.
        hold: Duration,
    },
}

/// Which processes a partition separates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartitionKind {
    /// One node from its hub.
    NodeFromHub,
    /// The district hub from the city hub.
    DistrictFromCity,
    /// Half the nodes from their hubs at once.
    HalfTheCity,
}

impl Fault {
    /// The kind, as the report counts it.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Partition {
                kind: PartitionKind::NodeFromHub,
                ..
            } => "partition node|hub",
            Self::Partition {
                kind: PartitionKind::DistrictFromCity,
                ..
            } => "partition district|city",
            Self::Partition {
                kind: PartitionKind::HalfTheCity,
                ..
            } => "partition half the city",
            Self::Degrade { .. } => "loss+latency+dup+reorder",
            Self::Kill { .. } => "sigkill",
            Self::Pause { .. } => "sigstop>idle",
            Self::Restore { .. } => "hub restored from backup",
            Self::Skew { .. } => "node clock skew",
            Self::DiskFull { .. } => "node disk full",
        }
    }
}

/// What the harness does at a moment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Action {
    /// Sets a link's faults (a cut, a degradation, or healthy again).
    Link(Link, LinkFaults),
    /// SIGKILL.
    Kill(Proc),
    /// Starts a killed process again.
    Start(Proc),
    /// SIGSTOP.
    Stop(Proc),
    /// SIGCONT.
    Continue(Proc),
    /// Backs a hub's store up (online, beside the running hub).
    Backup(Proc),
    /// Kills a hub, puts its store back to the backup, and starts it.
    Restore(Proc),
    /// From the process's next start on, its clock reads this many seconds off.
    Skew(Proc, i64),
    /// Fills a node's disk.
    FillDisk(usize),
    /// Empties a node's disk of the filler.
    FreeDisk(usize),
}

/// The faults of one run, drawn from `seed`.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    /// The seed it was drawn from.
    pub seed: u64,
    /// How long the faults go on; everything is healed then.
    pub length: Duration,
    /// The faults, by the moment they start.
    pub faults: Vec<(Duration, Fault)>,
}

impl Schedule {
    /// Draws the faults of a run of `length` over `topology` from `seed`.
    pub fn draw(seed: u64, topology: Topology, length: Duration) -> Self {
        let mut rng = Rng::new(seed);
        let mut busy_links: BTreeMap<Link, Duration> = BTreeMap::new();
        let mut busy_processes: BTreeMap<Proc, Duration> = BTreeMap::new();
        let processes = topology.processes();
        let links = topology.links();
        let mut faults = Vec::new();
        let mut at = rng.between(FIRST_FAULT.0, FIRST_FAULT.1);
        while at < length {
            let fault = draw_fault(&mut rng, topology, &processes, &links);
            let (held_links, held_process, until) = match &fault {
                Fault::Partition { links, hold, .. } => (links.clone(), None, at + *hold),
                Fault::Degrade { link, hold, .. } => (vec![*link], None, at + *hold),
                Fault::Kill { process, down } => (Vec::new(), Some(*process), at + *down),
                Fault::Pause { process, hold } => (Vec::new(), Some(*process), at + *hold),
                Fault::Restore { hub, age } => (Vec::new(), Some(*hub), at + *age),
                Fault::Skew { node, down, .. } => (Vec::new(), Some(Proc::Node(*node)), at + *down),
                Fault::DiskFull { node, hold } => (Vec::new(), Some(Proc::Node(*node)), at + *hold),
            };
            let free = held_links
                .iter()
                .all(|link| busy_links.get(link).is_none_or(|end| *end <= at))
                && held_process.is_none_or(|process| {
                    busy_processes.get(&process).is_none_or(|end| *end <= at)
                });
            // A pause cut short by the healing would not outlast the idle timeout.
            let fits = !matches!(fault, Fault::Pause { .. }) || until <= length;
            if free && fits {
                for link in held_links {
                    busy_links.insert(link, until);
                }
                if let Some(process) = held_process {
                    busy_processes.insert(process, until);
                }
                faults.push((at, fault));
            }
            at += rng.between(GAP.0, GAP.1);
        }
        Self {
            seed,
            length,
            faults,
        }
    }

    /// What the harness does and when, in order; what would fall after the end is left
    /// to the healing.
    pub fn actions(&self) -> Vec<(Duration, Action)> {
        let mut actions = Vec::new();
        for (at, fault) in &self.faults {
            let at = *at;
            match fault {
                Fault::Partition { links, hold, .. } => {
                    for link in links {
                        actions.push((at, Action::Link(*link, LinkFaults::cut())));
                        actions.push((at + *hold, Action::Link(*link, LinkFaults::healthy())));
                    }
                }
                Fault::Degrade { link, faults, hold } => {
                    actions.push((at, Action::Link(*link, *faults)));
                    actions.push((at + *hold, Action::Link(*link, LinkFaults::healthy())));
                }
                Fault::Kill { process, down } => {
                    actions.push((at, Action::Kill(*process)));
                    actions.push((at + *down, Action::Start(*process)));
                }
                Fault::Pause { process, hold } => {
                    actions.push((at, Action::Stop(*process)));
                    actions.push((at + *hold, Action::Continue(*process)));
                }
                Fault::Restore { hub, age } => {
                    actions.push((at, Action::Backup(*hub)));
                    actions.push((at + *age, Action::Restore(*hub)));
                }
                Fault::Skew {
                    node,
                    seconds,
                    down,
                } => {
                    let process = Proc::Node(*node);
                    actions.push((at, Action::Skew(process, *seconds)));
                    actions.push((at, Action::Kill(process)));
                    actions.push((at + *down, Action::Start(process)));
                }
                Fault::DiskFull { node, hold } => {
                    actions.push((at, Action::FillDisk(*node)));
                    actions.push((at + *hold, Action::FreeDisk(*node)));
                }
            }
        }
        actions.retain(|(at, _)| *at < self.length);
        // Stable: a heal and a new fault at the same moment keep their drawn order.
        actions.sort_by_key(|(at, _)| *at);
        actions
    }

    /// How many faults of each kind.
    pub fn counts(&self) -> BTreeMap<&'static str, u64> {
        let mut counts = BTreeMap::new();
        for (_, fault) in &self.faults {
            *counts.entry(fault.kind()).or_insert(0) += 1;
        }
        counts
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            formatter,
            "schedule of seed {} ({} s):",
            self.seed,
            self.length.as_secs()
        )?;
        for (at, fault) in &self.faults {
            write!(formatter, "  {:>6.2} s  ", at.as_secs_f64())?;
            match fault {
                Fault::Partition { links, hold, .. } => {
                    let names: Vec<String> = links.iter().map(Link::to_string).collect();
                    write!(
                        formatter,
                        "cut {} for {:.1} s",
                        names.join(" "),
                        hold.as_secs_f64()
                    )?;
                }
                Fault::Degrade { link, faults, hold } => write!(
                    formatter,
                    "degrade {link} for {:.1} s: loss {:.0} %, delay {} ms + {} ms jitter, dup {:.0} %, reorder {:.0} %",
                    hold.as_secs_f64(),
                    faults.loss * 100.0,
                    faults.delay.as_millis(),
                    faults.jitter.as_millis(),
                    faults.duplicate * 100.0,
                    faults.reorder * 100.0
                )?,
                Fault::Kill { process, down } => write!(
                    formatter,
                    "SIGKILL {process}, restarted after {:.1} s",
                    down.as_secs_f64()
                )?,
                Fault::Pause { process, hold } => write!(
                    formatter,
                    "SIGSTOP {process} for {:.1} s",
                    hold.as_secs_f64()
                )?,
                Fault::Restore { hub, age } => write!(
                    formatter,
                    "back {hub} up; {:.1} s later restore it from that backup",
                    age.as_secs_f64()
                )?,
                Fault::Skew {
                    node,
                    seconds,
                    down,
                } => write!(
                    formatter,
                    "SIGKILL node{node}, restarted after {:.1} s with its clock {:+.1} days off",
                    down.as_secs_f64(),
                    *seconds as f64 / 86_400.0
                )?,
                Fault::DiskFull { node, hold } => write!(
                    formatter,
                    "fill node{node}'s disk for {:.1} s",
                    hold.as_secs_f64()
                )?,
            }
            writeln!(formatter)?;
        }
        Ok(())
    }
}

/// One fault, its kind weighted so kills are the most common (the long size aims at
/// about five kills per schedule).
fn draw_fault(rng: &mut Rng, topology: Topology, processes: &[Proc], links: &[Link]) -> Fault {
    let pick = |rng: &mut Rng, count: usize| usize::try_from(rng.below(count as u64)).unwrap_or(0);
    match rng.below(100) {
        0..31 => Fault::Kill {
            process: processes[pick(rng, processes.len())],
            down: rng.between(DOWN.0, DOWN.1),
        },
        31..35 => {
            // A week either way, to the second; one in four puts the clock right.
            let seconds = if rng.chance(0.25) {
                0
            } else {
                let magnitude = 1 + rng.below(MAX_SKEW_DAYS * 86_400);
                let magnitude = i64::try_from(magnitude).unwrap_or(i64::MAX);
                if rng.chance(0.5) {
                    magnitude
                } else {
                    -magnitude
                }
            };
            Fault::Skew {
                node: pick(rng, topology.nodes),
                seconds,
                down: rng.between(DOWN.0, DOWN.1),
            }
        }
        35..45 => Fault::Pause {
            process: processes[pick(rng, processes.len())],
            hold: rng.between(PAUSE.0, PAUSE.1),
        },
        45..60 => Fault::Partition {
            kind: PartitionKind::NodeFromHub,
            links: vec![Link::Node(pick(rng, topology.nodes))],
            hold: rng.between(PARTITION.0, PARTITION.1),
        },
        60..68 => Fault::Partition {
            kind: PartitionKind::DistrictFromCity,
            links: vec![Link::DistrictUp],
            hold: rng.between(PARTITION.0, PARTITION.1),
        },
        68..75 => {
            // Half the nodes, drawn by a partial shuffle.
            let mut nodes: Vec<usize> = (0..topology.nodes).collect();
            for index in 0..nodes.len() {
                let other = index + pick(rng, nodes.len() - index);
                nodes.swap(index, other);
            }
            nodes.truncate(topology.nodes / 2);
            nodes.sort_unstable();
            Fault::Partition {
                kind: PartitionKind::HalfTheCity,
                links: nodes.into_iter().map(Link::Node).collect(),
                hold: rng.between(PARTITION.0, PARTITION.1),
            }
        }
        75..79 => Fault::DiskFull {
            node: pick(rng, topology.nodes),
            hold: rng.between(DISK_FULL.0, DISK_FULL.1),
        },
        97.. => Fault::Restore {
            hub: if rng.chance(0.5) {
                Proc::City
            } else {
                Proc::District
            },
            age: rng.between(RESTORE_AGE.0, RESTORE_AGE.1),
        },
        _ => Fault::Degrade {
            link: links[pick(rng, links.len())],
            faults: LinkFaults {
                cut: false,
                loss: rng.unit() * MAX_LOSS,
                delay: rng.below_duration(MAX_DELAY),
                jitter: rng.below_duration(MAX_JITTER),
                duplicate: rng.unit() * MAX_DUPLICATE,
                reorder: rng.unit() * MAX_REORDER,
            },
            hold: rng.between(DEGRADED.0, DEGRADED.1),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CITY: Topology = Topology { nodes: 4 };

    #[test]
    fn a_seed_replays_the_same_schedule_and_another_seed_does_not() {
        let length = Duration::from_secs(60);
        let first = Schedule::draw(42, CITY, length);
        assert_eq!(first, Schedule::draw(42, CITY, length));
        assert_ne!(first, Schedule::draw(43, CITY, length));
        assert!(first.faults.len() > 10, "{first}");
    }

    #[test]
    fn faults_on_one_process_or_link_never_overlap_and_pauses_outlast_the_idle_timeout() {
        for seed in 0..50 {
            let schedule = Schedule::draw(seed, CITY, Duration::from_secs(40));
            let mut ends: BTreeMap<String, Duration> = BTreeMap::new();
            for (at, fault) in &schedule.faults {
                let (targets, until) = match fault {
                    Fault::Partition { links, hold, .. } => {
                        (links.iter().map(Link::to_string).collect(), *at + *hold)
                    }
                    Fault::Degrade { link, hold, .. } => (vec![link.to_string()], *at + *hold),
                    Fault::Kill { process, down } => (vec![process.to_string()], *at + *down),
                    Fault::Pause { process, hold } => {
                        assert!(*hold > Duration::from_secs(15));
                        assert!(*at + *hold <= schedule.length);
                        (vec![process.to_string()], *at + *hold)
                    }
                    Fault::Restore { hub, age } => {
                        assert!(matches!(hub, Proc::City | Proc::District));
                        (vec![hub.to_string()], *at + *age)
                    }
                    Fault::Skew {
                        node,
                        seconds,
                        down,
                    } => {
                        assert!(seconds.unsigned_abs() <= 7 * 86_400);
                        (vec![Proc::Node(*node).to_string()], *at + *down)
                    }
                    Fault::DiskFull { node, hold } => {
                        (vec![Proc::Node(*node).to_string()], *at + *hold)
                    }
                };
                for target in targets {
                    let end = ends.entry(target.clone()).or_default();
                    assert!(*end <= *at, "seed {seed}: {target} overlaps\n{schedule}");
                    *end = until;
                }
            }
            // Every fault that starts also ends, before the healing or by it.
            let actions = schedule.actions();
            assert!(actions.windows(2).all(|pair| pair[0].0 <= pair[1].0));
        }
    }

    #[test]
    fn degraded_links_stay_within_the_bounds_of_the_issue() {
        let schedule = Schedule::draw(7, CITY, Duration::from_secs(600));
        let degraded: Vec<LinkFaults> = schedule
            .faults
            .iter()
            .filter_map(|(_, fault)| match fault {
                Fault::Degrade { faults, .. } => Some(*faults),
                _ => None,
            })
            .collect();
        assert!(degraded.len() > 20);
        for faults in degraded {
            assert!(faults.loss <= 0.3);
            assert!(faults.delay + faults.jitter <= Duration::from_secs(2));
        }
        let counts = schedule.counts();
        for kind in [
            "sigkill",
            "sigstop>idle",
            "partition node|hub",
            "partition district|city",
            "partition half the city",
            "hub restored from backup",
            "node clock skew",
            "node disk full",
        ] {
            assert!(
                counts.get(kind).is_some_and(|count| *count > 0),
                "{counts:?}"
            );
        }
    }
}
