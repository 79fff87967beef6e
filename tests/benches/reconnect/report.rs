//! The reconnect bench's report: one table per store, the stores side by side as
//! ratios against SQLite's one process, and the target lines.

use crate::{CORES, PHASES, StoreKind, StoreRun, TWO_PROCESSES_GOAL};
use wishtree_tests::bench_city::load_average;

/// One store's table and notes.
pub(crate) fn store(run: &StoreRun, nodes: usize) {
    println!();
    println!(
        "{} (load average {} at its start, {} at its end; enrolment {:.1} s)",
        run.kind.label(),
        run.load_at_start,
        run.load_at_end,
        run.enrolment.as_secs_f64()
    );
    println!(
        "{:<12} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>13} {:>8} {:>7} {:>9} {:>8} {:>6}",
        "phase",
        "lone s",
        "ideal s",
        "p50 s",
        "p90 s",
        "all s",
        "docs/s",
        "hub RSS MB",
        "hub CPU",
        "pg CPU",
        "bench CPU",
        "attempts",
        "fails"
    );
    for (index, name) in PHASES.iter().enumerate() {
        let result = &run.phases[index];
        let usage = &run.usage[index];
        let ideal = result.lone.as_secs_f64() * nodes as f64 / CORES;
        let rss = usage
            .iter()
            .map(|usage| (usage.peak_rss_kb / 1024).to_string())
            .collect::<Vec<_>>()
            .join("+");
        let hub_cpu: f64 = usage.iter().map(|usage| usage.cpu_seconds).sum();
        println!(
            "{:<12} {:>7.3} {:>7.1} {:>7.1} {:>7.1} {:>7.1} {:>7.1} {:>13} {:>6.1} s {:>5.1} s {:>7.1} s {:>8} {:>6}",
            name,
            result.lone.as_secs_f64(),
            ideal,
            result.quantile(0.5),
            result.quantile(0.9),
            result.all.as_secs_f64(),
            result.documents_per_second(),
            rss,
            hub_cpu,
            run.postgres_cpu[index],
            result.bench_cpu_seconds,
            result.attempts,
            result.failures,
        );
    }
    println!(
        "  hub restart until listening: {:.2} s (before the reconnect clock starts); after the crash {:.2} s",
        run.restart_ready.as_secs_f64(),
        run.phases[2].restart_ready.as_secs_f64()
    );
    println!(
        "  check: the hub's store holds every node's heads: {} ({} of {nodes} differ, checked in {:.1} s)",
        yes(run.mismatched == 0),
        run.mismatched,
        run.verified.as_secs_f64()
    );
    if run.kind.is_postgres() {
        println!("  PostgreSQL's commits and WAL flushes (pg_stat_database, pg_stat_wal):");
        for (index, name) in PHASES.iter().enumerate() {
            let counters = run.postgres_counters[index];
            let documents = (run.phases[index].times.len() + 1) as f64;
            println!(
                "    {name:<11} {} commits, {} WAL flushes, {} WAL writes: {:.1} commits and {:.2} flushes per document",
                counters.commits,
                counters.wal_syncs,
                counters.wal_writes,
                counters.commits as f64 / documents,
                counters.wal_syncs as f64 / documents,
            );
        }
    }
    println!("  hub at the end of each phase (its /metrics, each process):");
    for (index, name) in PHASES.iter().enumerate() {
        println!("    {name:<11} {}", run.metrics[index]);
    }
    println!(
        "  hub log: {}",
        run.data
            .iter()
            .map(|dir| dir.join("hub-*.out").display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
}

/// The stores side by side, the legend, and the target lines.
pub(crate) fn compare(runs: &[StoreRun], nodes: usize) {
    let find = |kind: StoreKind| runs.iter().find(|run| run.kind == kind);
    let sqlite = find(StoreKind::Sqlite);
    println!();
    println!(
        "  lone = one node alone (solo before the others start); ideal = lone x {nodes} / {CORES} cores;"
    );
    println!(
        "  p50/p90/all = time from the release of the others until that share of all nodes is caught up;"
    );
    println!(
        "  docs/s = documents synced in the phase (all nodes but the lone one; all in the crash) / all;"
    );
    println!(
        "  attempts/fails = connection attempts and those that failed (handshake, refusal, loss);"
    );
    println!(
        "  hub RSS = each process's peak; hub CPU = all its processes'; pg CPU = the PostgreSQL server's"
    );
    println!(
        "  crash = SIGKILL with every session open, restart at once; its clock starts when the \
         restarted hub listens, lone is none (all nodes at once)"
    );
    println!(
        "  load average at the end: {} (other work on the machine skews every figure)",
        load_average()
    );
    if let Some(sqlite) = sqlite {
        println!();
        println!("documents per second against SQLite's one process, same run:");
        for (index, name) in PHASES.iter().enumerate() {
            let base = sqlite.phases[index].documents_per_second();
            let ratios: Vec<String> = runs
                .iter()
                .filter(|run| run.kind.is_postgres())
                .map(|run| {
                    format!(
                        "{}/sqlite {:.2}x ({:.1} against {base:.1} docs/s)",
                        run.kind.name(),
                        run.phases[index].documents_per_second() / base,
                        run.phases[index].documents_per_second()
                    )
                })
                .collect();
            println!("  {name:<11} {}", ratios.join(", "));
        }
    }
    if let (Some(sqlite), Some(two)) = (sqlite, find(StoreKind::PostgresTwoProcesses)) {
        for (index, name) in PHASES.iter().enumerate() {
            let ratio = two.phases[index].documents_per_second()
                / sqlite.phases[index].documents_per_second();
            let verdict = if ratio >= TWO_PROCESSES_GOAL {
                "met"
            } else {
                "MISSED"
            };
            println!(
                "target two PostgreSQL processes, {name}: {verdict} ({ratio:.2}x against {TWO_PROCESSES_GOAL}x; {})",
                ceiling(sqlite, index)
            );
        }
    }
    let Some(sqlite) = sqlite else { return };
    let peak_rss_kb = sqlite
        .usage
        .iter()
        .flatten()
        .map(|usage| usage.peak_rss_kb)
        .max()
        .unwrap_or(0);
    let [first, reconnect, crash] = &sqlite.phases;
    // Issue 4's targets are for a city of 3,000 nodes; issue 16's for 10,000: first
    // sync and reconnect each within 100 s, the hub within 3 GB.
    let (seconds, rss_mb, phases) = if nodes >= 10_000 {
        (
            100.0,
            3072,
            vec![
                ("first_sync_all_in_sync", first),
                ("reconnect_all_in_sync", reconnect),
            ],
        )
    } else {
        (
            30.0,
            1536,
            vec![
                ("reconnect_all_in_sync", reconnect),
                ("crash_all_in_sync", crash),
            ],
        )
    };
    let mut lines: Vec<(&str, String, String, bool)> = phases
        .into_iter()
        .map(|(name, phase)| {
            (
                name,
                format!("{:.1} s", phase.all.as_secs_f64()),
                format!("{seconds} s"),
                phase.all.as_secs_f64() <= seconds,
            )
        })
        .collect();
    lines.push((
        "hub_peak_rss",
        format!("{} MB", peak_rss_kb / 1024),
        format!("{rss_mb} MB"),
        peak_rss_kb <= rss_mb * 1024,
    ));
    for (name, figure, goal, met) in lines {
        let verdict = if met { "met" } else { "MISSED" };
        println!("target {name}: {verdict} ({figure} against {goal})");
    }
}

/// The most any store could give in phase `index` on this machine, against SQLite's
/// run: every core busy with work that costs, a document, the CPU SQLite's run spent
/// on it (its hub and the simulated nodes). A store in another process cannot cost
/// less: the hub's own work is the same, and the store's moves into a server that
/// adds its own; so a ratio above this ceiling needs more cores, not other code.
fn ceiling(sqlite: &StoreRun, index: usize) -> String {
    let phase = &sqlite.phases[index];
    let documents = phase.documents_per_second() * phase.all.as_secs_f64();
    let cpu: f64 = sqlite.usage[index]
        .iter()
        .map(|usage| usage.cpu_seconds)
        .sum::<f64>()
        + phase.bench_cpu_seconds;
    if documents <= 0.0 || cpu <= 0.0 {
        return "no ceiling: nothing measured".to_owned();
    }
    let per_document_ms = 1000.0 * cpu / documents;
    let most = CORES / (cpu / documents);
    format!(
        "ceiling on {CORES} cores {:.2}x: SQLite's run spent {per_document_ms:.1} ms of CPU a document, hub and nodes, so no store passes {most:.0} docs/s here",
        most / phase.documents_per_second()
    )
}

fn yes(value: bool) -> &'static str {
    if value { "yes" } else { "NO" }
}
