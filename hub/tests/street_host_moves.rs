//! A street host designation that moves (issue 14): the city names community A the
//! host of its street, then B, then A again, then a community whose document the hub
//! does not hold. After each city refresh the street's figures count the street-level
//! records of the current host alone — never a former host's beside them — and each
//! community's own figures stay what its own records say. On a lone hub's SQLite file
//! and on a PostgreSQL database of the test's own.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use tempfile::TempDir;
use wishtree_hub::figure_store::FigureStore;
use wishtree_hub::figures::{self, Filter, Period};
use wishtree_hub::metrics::Metrics;
use wishtree_hub::sql::SqlError;
use wishtree_hub::state::{Hub, HubOptions};
use wishtree_hub::store::{HubStore, PgStore, SqliteStore, StoredDoc};
use wishtree_protocol::city::{CityCommand, CityDoc};
use wishtree_protocol::street::{StreetCode, StreetHost};
use wishtree_protocol::{CommunityCode, Date, RegionPrefix, Timestamp};
use wishtree_testkit::community::{Writer, credit_code};
use wishtree_testkit::postgres::TestDatabase;

/// 2026-08-01 12:00 in Shanghai.
const NOW: Timestamp = Timestamp::from_millis(1_785_556_800_000);
const STREET: &str = "130903003";
const A: &str = "130903003001";
const B: &str = "130903003002";
/// A community of the street that never synced: the hub holds no document of it.
const C: &str = "130903003003";

fn code(text: &str) -> CommunityCode {
    text.parse().unwrap()
}

fn region(text: &str) -> RegionPrefix {
    text.parse().unwrap()
}

fn day(text: &str) -> Date {
    text.parse().unwrap()
}

fn at(minutes: i64) -> Timestamp {
    Timestamp::from_millis(NOW.as_millis() - 30 * 86_400_000 + minutes * 60_000)
}

/// The street as a node that believes itself the host writes its records with.
fn hosted_here(community: CommunityCode) -> StreetHost {
    let mut city = CityDoc::new(&region("1309"), [3; 16]).unwrap();
    let designate = CityCommand::DesignateStreetHost {
        street: StreetCode::of(&community).as_region(),
        community,
    };
    city.execute(&designate, at(0)).unwrap();
    city.view().unwrap().street_host_of(&community)
}

/// A's document: a unit paired with the community and one project of its own; as the
/// street, a pairing with the unit and two projects.
fn document_a() -> Vec<u8> {
    let mut w = Writer::new(code(A), "A社区", 1, at(0));
    let org = w.add_org(credit_code(1), "甲单位", Some(day("2026-06-01")), at(1));
    w.add_pairing(org, day("2026-06-02"), at(2));
    w.submit_project(at(3));
    let street = hosted_here(code(A));
    w.add_pairing_of(org, day("2026-06-03"), Some(street.clone()), at(4));
    w.submit_project_of(Some(street.clone()), at(5));
    w.submit_project_of(Some(street), at(6));
    w.doc.save()
}

/// B's document: a unit paired with the community; as the street, one project.
fn document_b() -> Vec<u8> {
    let mut w = Writer::new(code(B), "B社区", 2, at(0));
    let org = w.add_org(credit_code(2), "乙单位", Some(day("2026-06-01")), at(1));
    w.add_pairing(org, day("2026-06-02"), at(2));
    w.submit_project_of(Some(hosted_here(code(B))), at(3));
    w.doc.save()
}

/// Pairings and projects, the two figures both kinds of record feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Counts {
    pairings: u64,
    projects: u64,
}

const fn counts(pairings: u64, projects: u64) -> Counts {
    Counts { pairings, projects }
}

/// What a user checks on the dashboard after a move.
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    street: Counts,
    district: Counts,
    /// The street's row 街道本级, if it has one.
    street_own: Option<Counts>,
    /// The street's children added up (its communities and 街道本级).
    children_sum: Counts,
    a: Counts,
    b: Counts,
}

fn seen(hub: &Hub) -> Seen {
    hub.figures()
        .read(|db| {
            let of = |text: &str| {
                let filter = Filter {
                    region: region(text),
                    period: Period::all(),
                    org: None,
                    round: None,
                };
                let figures = figures::figures(db, &filter, NOW).unwrap();
                counts(figures.pairings, figures.projects.total)
            };
            let children = figures::children(db, &region(STREET), &Period::all(), None, NOW)
                .unwrap()
                .into_iter()
                .map(|child| {
                    let own = child.name.as_deref() == Some(figures::STREET_OWN_NAME);
                    (
                        own,
                        counts(child.figures.pairings, child.figures.projects.total),
                    )
                })
                .collect::<Vec<_>>();
            let street_own = children.iter().find(|(own, _)| *own).map(|(_, c)| *c);
            let children_sum = children.iter().fold(counts(0, 0), |sum, (_, c)| {
                counts(sum.pairings + c.pairings, sum.projects + c.projects)
            });
            Ok::<_, SqlError>(Seen {
                street: of(STREET),
                district: of("130903"),
                street_own,
                children_sum,
                a: of(A),
                b: of(B),
            })
        })
        .unwrap()
}

/// What the figures must say with `host`'s street records counted (none when the
/// host's document is not at the hub): the communities' own records always count,
/// A's one pairing and one project and B's one pairing.
fn expected(host: Option<Counts>) -> Seen {
    let own = counts(2, 1);
    let street = host.map_or(own, |host| {
        counts(own.pairings + host.pairings, own.projects + host.projects)
    });
    Seen {
        street,
        district: street,
        street_own: host,
        children_sum: street,
        a: counts(1, 1),
        b: counts(1, 0),
    }
}

fn designate(hub: &Hub, host: &str) {
    let command = CityCommand::DesignateStreetHost {
        street: region(STREET),
        community: code(host),
    };
    hub.execute_city(&command, NOW).unwrap();
    figures::refresh_city(hub).unwrap();
}

fn check_moves(hub: &Hub) {
    let a_street = Some(counts(1, 2));
    let b_street = Some(counts(0, 1));
    hub.store()
        .append_chunk(StoredDoc::Community(code(A)), &document_a(), NOW)
        .unwrap();
    hub.store()
        .append_chunk(StoredDoc::Community(code(B)), &document_b(), NOW)
        .unwrap();
    designate(hub, A);
    figures::refresh_one(hub, code(B)).unwrap();
    assert_eq!(seen(hub), expected(a_street), "A hosts the street");

    designate(hub, B);
    assert_eq!(seen(hub), expected(b_street), "moved from A to B");

    // Back to A, whose rows were last derived while it hosted the street; and to B
    // again, likewise.
    designate(hub, A);
    assert_eq!(seen(hub), expected(a_street), "moved back to A");
    designate(hub, B);
    assert_eq!(seen(hub), expected(b_street), "moved back to B");

    // A host the hub holds no document of: no street records count until it syncs.
    designate(hub, C);
    assert_eq!(
        seen(hub),
        expected(None),
        "moved to a community not at the hub"
    );

    // Re-deriving every community after the moves changes nothing.
    figures::refresh_one(hub, code(A)).unwrap();
    figures::refresh_one(hub, code(B)).unwrap();
    assert_eq!(seen(hub), expected(None), "every community derived again");
}

fn key() -> wishtree_protocol::keys::KeyPair {
    wishtree_protocol::keys::KeyPair::from_secret([7; 32])
}

#[test]
fn a_moved_designation_counts_the_new_host_s_street_records_alone() {
    let dir = TempDir::new().unwrap();
    let local = Arc::new(SqliteStore::open(&dir.path().join("hub.sqlite")).unwrap());
    let hub = Hub::new(
        local,
        key(),
        region("1309"),
        Arc::new(Metrics::new()),
        HubOptions::default(),
    )
    .unwrap();
    check_moves(&hub);
}

#[test]
fn a_moved_designation_counts_the_new_host_s_street_records_alone_on_postgres() {
    // Skipped loudly without a cluster (`scripts/with-test-pg`).
    let Some(database) = TestDatabase::create("street host move test on PostgreSQL") else {
        return;
    };
    let dir = TempDir::new().unwrap();
    let local = Arc::new(SqliteStore::open(&dir.path().join("hub.sqlite")).unwrap());
    let store = Arc::new(PgStore::open(database.url()).unwrap());
    let hub = Hub::with_stores(
        Arc::clone(&store) as Arc<dyn HubStore>,
        FigureStore::Shared(store),
        local,
        key(),
        region("1309"),
        Arc::new(Metrics::new()),
        HubOptions::default(),
    )
    .unwrap();
    check_moves(&hub);
    // The hub's connections close before the database is dropped.
    drop(hub);
    drop(database);
}
