//! Upgrades: every release keeps a hub data directory it made, under
//! `tests/fixtures/upgrade/<release>/` (written by `scripts/make-upgrade-fixtures`),
//! and `tests/fixtures/hub-schema-versions.sqlite` is the database of the release
//! before those (see `store.rs`). This build opens each one, migrates it, and must
//! hold the same documents, and figures equal both to what the release stored and to
//! what this build derives again from the documents. Expected values come from the
//! fixture's own chunks, read with plain SQL before this build's store touches it.

#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use automerge::{AutoCommit, ChangeHash};
use rusqlite::Connection;
use wishtree_hub::data_dir::DATABASE_FILE;
use wishtree_hub::figures::{self, Figures, Filter, OrgScope, Period};
use wishtree_hub::metrics::Metrics;
use wishtree_hub::state::{Hub, HubOptions};
use wishtree_hub::store::{HubStore, SqliteStore, StoredDoc};
use wishtree_protocol::keys::KeyPair;
use wishtree_protocol::model::Org;
use wishtree_protocol::uscc::CreditCode;
use wishtree_protocol::view::CommunityView;
use wishtree_protocol::{CommunityCode, CommunityDoc, RegionPrefix, Timestamp};

/// What a release wrote, read with plain SQL: each document's chunks in order.
struct AsWritten {
    documents: BTreeMap<String, Vec<u8>>,
    city: RegionPrefix,
}

#[test]
fn every_release_s_hub_opens_migrated_with_the_same_documents_and_figures() {
    let fixtures = fixtures();
    assert!(
        fixtures.len() >= 2,
        "no upgrade fixture found: {fixtures:?}"
    );
    let mut with_units = 0;
    for fixture in fixtures {
        if check(&fixture) > 0 {
            with_units += 1;
        }
    }
    // The unit checks below compare something: 0.2.0's fixture records a unit.
    assert!(with_units > 0, "no fixture records a unit organisation");
}

/// Checks one fixture; how many units its documents record.
fn check(fixture: &Path) -> usize {
    let shown = fixture.display();
    // A copy: the fixture stays as the release wrote it.
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join(DATABASE_FILE);
    std::fs::copy(fixture, &database).unwrap();
    let written = read_as_written(&database);

    let store = SqliteStore::open(&database)
        .unwrap_or_else(|error| panic!("{shown} does not open: {error}"));
    let version: i64 = Connection::open(&database)
        .unwrap()
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .unwrap();
    assert_eq!(version, wishtree_hub::schema::VERSION, "{shown}");

    // The documents: the same heads as the release stored.
    let mut communities = Vec::new();
    let mut units = BTreeSet::new();
    let mut wishes = 0;
    for (key, bytes) in &written.documents {
        let doc = StoredDoc::from_storage_key(key).unwrap();
        let held = store.doc_bytes(doc).unwrap().unwrap();
        assert_eq!(
            heads(&held),
            heads(bytes),
            "{shown}: document {key} changed"
        );
        if let StoredDoc::Community(code) = doc {
            let doc = CommunityDoc::load(bytes, Some(code), [0; 16]).unwrap();
            let view = CommunityView::derive(&doc).unwrap();
            wishes += view.wishes.len();
            // Written before branches: every organisation is its unit's own.
            for org in view.orgs.values() {
                assert_eq!(org.party_org, None, "{shown}: {org:?}");
                units.insert(org.credit_code);
            }
            communities.push(code);
        }
    }
    assert!(!communities.is_empty(), "{shown}: no community to compare");

    // The figures as the release stored them, read by this build ...
    let now = wishtree_hub::clock::now();
    let regions = regions(&written.city, &communities);
    let kept = figures_of(&store, &regions, now);
    let kept_rankings = rankings_of(&store, &regions);
    let kept_units = units_of(&store, &written.city, &units, now);
    let city = &kept[0];
    assert_eq!(city.communities, communities.len() as u64, "{shown}");
    assert_eq!(city.wishes.total, wishes as u64, "{shown}");
    // Documents written before volunteers have none, and the step that made their
    // tables filled nothing.
    assert_eq!(
        city.volunteers,
        figures::VolunteerFigures::default(),
        "{shown}"
    );

    // ... equal the figures this build derives again from the documents.
    let hub = Hub::new(
        Arc::new(store),
        KeyPair::from_secret([1; 32]),
        written.city.clone(),
        Arc::new(Metrics::new()),
        HubOptions::default(),
    )
    .unwrap();
    for code in &communities {
        figures::refresh_one(&hub, *code).unwrap();
    }
    assert_eq!(
        figures_of(hub.local(), &regions, now),
        kept,
        "{shown}: the figures differ from the documents' after the upgrade"
    );
    // The points rankings the migration filled from the stored rows equal those derived
    // from the documents.
    assert_eq!(
        rankings_of(hub.local(), &regions),
        kept_rankings,
        "{shown}: the points rankings differ from the documents' after the upgrade"
    );
    // A unit with one organisation reads as before, kept or derived again. (0.1.0's
    // fixture records no organisation; 0.2.0's does.)
    assert_eq!(
        units_of(hub.local(), &written.city, &units, now),
        kept_units,
        "{shown}: the units' figures differ from the documents' after the upgrade"
    );
    units.len()
}

/// Each unit's figures in the city, asked by its credit code (the unit with all its
/// party organisations) after checking that they equal its own organisation's (by the
/// id every release gave it), and the city's ranking of organisations.
fn units_of(
    store: &SqliteStore,
    city: &RegionPrefix,
    units: &BTreeSet<CreditCode>,
    now: Timestamp,
) -> (Vec<Figures>, Vec<figures::OrgRank>) {
    let read = |org: OrgScope| {
        let filter = Filter {
            region: city.clone(),
            period: Period::all(),
            org: Some(org),
            round: None,
        };
        store
            .with_transaction(|transaction| figures::figures(transaction, &filter, now))
            .unwrap()
    };
    let mut by_unit = Vec::new();
    for code in units {
        let unit = read(OrgScope::Unit(*code));
        assert_eq!(unit, read(OrgScope::PartyOrg(Org::id_for(code))), "{code}");
        by_unit.push(unit);
    }
    let ranking = store
        .with_transaction(|transaction| {
            figures::org_ranking(
                transaction,
                city,
                &Period::all(),
                figures::RankBy::default(),
                1000,
            )
        })
        .unwrap();
    assert!(ranking.iter().all(|rank| rank.party_org.is_none()));
    (by_unit, ranking)
}

/// Every region's points ranking for the half-years around the fixtures.
fn rankings_of(store: &SqliteStore, regions: &[RegionPrefix]) -> Vec<figures::PointsRanking> {
    let halves = ["2025H2", "2026H1", "2026H2", "2027H1"];
    regions
        .iter()
        .flat_map(|region| halves.iter().map(move |half| (region, half)))
        .map(|(region, half)| {
            let half = half.parse().unwrap();
            store
                .with_transaction(|transaction| {
                    figures::points_ranking(transaction, region, half, 1000)
                })
                .unwrap()
        })
        .collect()
}

fn read_as_written(database: &Path) -> AsWritten {
    let connection = Connection::open(database).unwrap();
    let mut documents: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut chunks = connection
        .prepare("SELECT doc, bytes FROM doc_chunks ORDER BY doc, seq")
        .unwrap();
    let rows = chunks
        .query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, Vec<u8>>(1)?))
        })
        .unwrap();
    for row in rows {
        let (doc, bytes) = row.unwrap();
        documents.entry(doc).or_default().extend(bytes);
    }
    let city: String = connection
        .query_row("SELECT value FROM settings WHERE key = 'city'", [], |row| {
            row.get(0)
        })
        .unwrap();
    AsWritten {
        documents,
        city: city.parse().unwrap(),
    }
}

fn heads(bytes: &[u8]) -> Vec<ChangeHash> {
    let mut heads = AutoCommit::load(bytes).unwrap().get_heads();
    heads.sort();
    heads
}

/// The city first, then each community's district, then each community.
fn regions(city: &RegionPrefix, communities: &[CommunityCode]) -> Vec<RegionPrefix> {
    let mut regions = vec![city.clone()];
    for code in communities {
        regions.push(code.as_str()[..6].parse().unwrap());
        regions.push(code.as_region());
    }
    regions
}

fn figures_of(store: &SqliteStore, regions: &[RegionPrefix], now: Timestamp) -> Vec<Figures> {
    regions
        .iter()
        .map(|region| {
            let filter = Filter {
                region: region.clone(),
                period: Period::all(),
                org: None,
                round: None,
            };
            store
                .with_transaction(|transaction| figures::figures(transaction, &filter, now))
                .unwrap()
        })
        .collect()
}

/// The database of the release before the fixtures, then one directory per release.
fn fixtures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut releases: Vec<PathBuf> = std::fs::read_dir(root.join("upgrade"))
        .unwrap()
        .map(|entry| entry.unwrap().path().join(DATABASE_FILE))
        .filter(|path| path.exists())
        .collect();
    releases.sort();
    let mut found = vec![root.join("hub-schema-versions.sqlite")];
    found.extend(releases);
    found
}
