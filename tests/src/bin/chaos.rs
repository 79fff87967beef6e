//! `chaos`: the long size of the chaos harness (issue 17), run by hand through
//! `scripts/chaos --runs 200`. Each run draws its schedule from a seed (printed; rerun
//! one with `--seed N --runs 1`), runs the real `hub-process` and `node-process`
//! binaries built beside it, and the report counts what Jepsen counts. It runs itself
//! again in a user and mount namespace of its own, where the nodes' disks are mounted.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use wishtree_tests::chaos::cluster::Binaries;
use wishtree_tests::chaos::disk;
use wishtree_tests::chaos::run::{Report, RunOptions, run_schedule};
use wishtree_tests::chaos::schedule::{Schedule, Topology};

/// Runs chaos schedules against a city of real processes and reports.
#[derive(Debug, Parser)]
#[command(name = "chaos", about, long_about = None)]
struct Args {
    /// How many schedules.
    #[arg(long, default_value_t = 20)]
    runs: u64,
    /// The first seed; run i uses seed + i. Drawn from the system if not given.
    #[arg(long)]
    seed: Option<u64>,
    /// Seconds of faults per schedule.
    #[arg(long, default_value_t = 40)]
    seconds: u64,
    /// Community nodes (half of them under the district hub).
    #[arg(long, default_value_t = 4)]
    nodes: usize,
    /// Milliseconds between two writes of one writer.
    #[arg(long, default_value_t = 100)]
    pace_ms: u64,
    /// Seconds the replicas are given to converge after the healing.
    #[arg(long, default_value_t = 120)]
    converge_limit: u64,
    /// Only print each schedule and its faults by kind, running nothing (to pick seeds).
    #[arg(long)]
    dry_run: bool,
    /// Where each run's data and logs go (a run that passed is removed).
    #[arg(long, default_value = "./chaos-runs")]
    dir: PathBuf,
}

fn main() -> ExitCode {
    let args = Args::parse();
    // The nodes' disks are tmpfs mounts, which need a mount namespace of our own.
    if !args.dry_run && !disk::inside() {
        let again: Vec<String> = std::env::args().skip(1).collect();
        return match disk::run_inside(&again) {
            Ok(status) if status.success() => ExitCode::SUCCESS,
            Ok(status) => ExitCode::from(u8::try_from(status.code().unwrap_or(2)).unwrap_or(2)),
            Err(error) => {
                eprintln!("error: {error:#}");
                ExitCode::from(2)
            }
        };
    }
    match run(&args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &Args) -> anyhow::Result<bool> {
    let binaries = match Binaries::beside_current_exe() {
        Err(_) if args.dry_run => Binaries {
            hub: PathBuf::new(),
            node: PathBuf::new(),
        },
        found => found?,
    };
    let first = match args.seed {
        Some(seed) => seed,
        None => {
            let mut bytes = [0u8; 8];
            getrandom::fill(&mut bytes)?;
            u64::from_le_bytes(bytes) >> 16
        }
    };
    anyhow::ensure!(args.nodes >= 4, "the harness runs at least four nodes");
    let topology = Topology { nodes: args.nodes };
    let length = Duration::from_secs(args.seconds);
    let mut report = Report::default();
    for index in 0..args.runs {
        let seed = first.wrapping_add(index);
        let schedule = Schedule::draw(seed, topology, length);
        println!("== run {} of {}, seed {seed}", index + 1, args.runs);
        print!("{schedule}");
        if args.dry_run {
            println!("   {:?}", schedule.counts());
            continue;
        }
        let root = args.dir.join(format!("seed-{seed}"));
        if root.exists() {
            std::fs::remove_dir_all(&root)?;
        }
        let options = RunOptions {
            seed,
            topology,
            length,
            pace: Duration::from_millis(args.pace_ms),
            converge_limit: Duration::from_secs(args.converge_limit),
            root: root.clone(),
            binaries: binaries.clone(),
        };
        let outcome = run_schedule(&options)?;
        let single = Report {
            runs: vec![outcome.clone()],
        };
        print!("{single}");
        if outcome.passed() {
            std::fs::remove_dir_all(&root)?;
        } else {
            println!("   kept {} for a look", root.display());
        }
        report.runs.push(outcome);
    }
    if args.dry_run {
        return Ok(true);
    }
    println!(
        "== all {} runs, seeds {first}..{}",
        args.runs,
        first.wrapping_add(args.runs)
    );
    print!("{report}");
    Ok(report.passed())
}
