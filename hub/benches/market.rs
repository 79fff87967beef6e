//! The citywide market at the scale of a big city (issue 12): 3,000 communities with
//! 40,000 published wishes in the market table, and beside them 12,000 activities (half
//! of them past), 3,000 open posts and 1,000 projects; the phone's market page (`GET
//! /m/`, the whole city, then one district filtered by group) through the hub's real
//! router in-process. Prints p50 and p99 and a `target` line (p99 at most 50 ms).
//!
//! `cargo bench -p wishtree-hub --bench market`.

#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use rusqlite::{Connection, params};
use wishtree_hub::clock::Clock;
use wishtree_hub::http::{HubHttpState, router};
use wishtree_hub::metrics::Metrics;
use wishtree_protocol::Timestamp;
use wishtree_protocol::model::{BeneficiaryGroup, WishKind};
use wishtree_testkit::http::Request;
use wishtree_testkit::oneshot;

const COMMUNITIES: usize = 3_000;
const WISHES: usize = 40_000;
const ACTIVITIES: usize = 12_000;
const POSTS: usize = 3_000;
const PROJECTS: usize = 1_000;
/// The day the page is read on (days since 1970), which the activities straddle.
const TODAY: i64 = 20_700;
const RUNS: usize = 300;
const TARGET_P99: Duration = Duration::from_millis(50);

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hub.sqlite");
    let mut connection = Connection::open(&path).unwrap();
    connection
        .execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;")
        .unwrap();
    wishtree_hub::schema::migrate(&mut connection).unwrap();
    fill(&mut connection);
    drop(connection);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let state = HubHttpState::new(&path, Arc::new(Metrics::new()))
        .unwrap()
        .with_scope("1309".parse().unwrap())
        // Noon of TODAY in Shanghai, so that half the activities are upcoming.
        .with_clock(Clock::new(|| {
            Timestamp::from_millis(TODAY * 86_400_000 + 4 * 3_600_000)
        }));
    let app = router(state);
    for (name, path) in [
        ("market page, whole city", "/m/"),
        (
            "market page, one district, one group",
            "/m/?region=130903&group=elderly_alone",
        ),
    ] {
        let mut times = Vec::with_capacity(RUNS);
        for _ in 0..RUNS {
            let request = Request::get(path).header("Host", "127.0.0.1");
            let started = Instant::now();
            let answer = oneshot::send_blocking(runtime.handle(), &app, request);
            times.push(started.elapsed());
            assert_eq!(answer.status, 200, "{}", answer.text());
            assert!(answer.text().contains("market-wishes"));
            assert!(
                answer.text().contains("垃圾分类宣传"),
                "the offers are listed"
            );
        }
        times.sort();
        let (p50, p99) = (times[RUNS / 2], times[RUNS * 99 / 100]);
        println!("{name}: p50 {p50:.2?}, p99 {p99:.2?} over {RUNS} requests");
        println!(
            "target {name} p99 <= {TARGET_P99:?}: {} ({p99:.2?})",
            if p99 <= TARGET_P99 { "met" } else { "MISSED" }
        );
    }
}

/// 3,000 communities of the city 1309 in ten districts, 40,000 published wishes over
/// them, written straight into the tables the figures worker keeps.
fn fill(connection: &mut Connection) {
    let transaction = connection.transaction().unwrap();
    {
        let mut community = transaction
            .prepare(
                "INSERT INTO fig_communities (code, name, district, street) VALUES (?1, ?2, ?3, ?4)",
            )
            .unwrap();
        let mut wish = transaction
            .prepare(
                "INSERT INTO fig_market_wishes (community, id, title, kind, beneficiary_group,
                     resident_label, published_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .unwrap();
        let codes: Vec<String> = (0..COMMUNITIES)
            .map(|n| format!("1309{:02}{:03}{:03}", n % 10, n / 100 + 1, n % 100 + 1))
            .collect();
        for code in &codes {
            community
                .execute(params![code, format!("社区{code}"), &code[..6], &code[..9]])
                .unwrap();
        }
        let mut offer = transaction
            .prepare(
                "INSERT INTO fig_market_offers (community, kind, id, title, category, day)
                 VALUES (?1, ?2, ?3, ?4, '环境卫生', ?5)",
            )
            .unwrap();
        for (kind, count) in [
            ("activity", ACTIVITIES),
            ("post", POSTS),
            ("project", PROJECTS),
        ] {
            for n in 0..count {
                let mut id = [0u8; 16];
                id[..8].copy_from_slice(&(n as u64).to_be_bytes());
                let day = (kind == "activity").then(|| TODAY - 180 + (n as i64 % 360));
                offer
                    .execute(params![
                        codes[n % COMMUNITIES],
                        kind,
                        id.as_slice(),
                        format!("垃圾分类宣传 {n}"),
                        day,
                    ])
                    .unwrap();
            }
        }
        for n in 0..WISHES {
            let mut id = [0u8; 16];
            id[..8].copy_from_slice(&(n as u64).to_be_bytes());
            let group = BeneficiaryGroup::ALL[n % BeneficiaryGroup::ALL.len()];
            let kind = WishKind::ALL[n % WishKind::ALL.len()];
            wish.execute(params![
                codes[n % COMMUNITIES],
                id.as_slice(),
                format!("希望有一台微波炉 {n}"),
                kind.code(),
                group.code(),
                "行宫社区 彭女士",
                1_790_000_000_000_i64 + n as i64 * 60_000,
            ])
            .unwrap();
        }
    }
    transaction.commit().unwrap();
}
