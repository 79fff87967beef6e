//! Re-deriving a community: rows replaced in one transaction when its document
//! changes, the refresh the hub store calls (with its latency in the metrics), nodes
//! seen without changes, attested shares counted from signed heads, versioned
//! migrations, and a view of the wrong community refused.

#![allow(clippy::unwrap_used)]

mod figures_support;

use figures_support::*;
use wishtree_hub::figures::{self, CommunitySync, FiguresError, Filter, Period};
use wishtree_hub::metrics::Metrics;
use wishtree_hub::schema;
use wishtree_hub::store::SqliteStore;
use wishtree_protocol::model::{Actor, EventKind};
use wishtree_protocol::view::CommunityView;

fn city_figures(connection: &rusqlite::Connection) -> figures::Figures {
    figures::figures(
        connection,
        &Filter {
            region: region("1309"),
            period: Period::all(),
            org: None,
            round: None,
        },
        NOW,
    )
    .unwrap()
}

#[test]
fn a_changed_document_replaces_its_rows_and_the_store_refresh_is_timed() {
    let dir = tempfile::tempdir().unwrap();
    // The store makes the figure tables on opening.
    let store = SqliteStore::open(&dir.path().join("hub.sqlite")).unwrap();
    let metrics = Metrics::new();

    let mut writer = Writer::new(code("130903001001"), "名人社区", 7, at_minute(0));
    let member = writer.add_member(None, date("2026-02-01"), at_minute(1));
    let wish = writer.submit_wish(at_minute(10));
    writer.wish_event(wish, EventKind::Publish, worker(), at_minute(11));
    let sync = CommunitySync {
        last_seen_at: Some(NOW),
        changed_at: Some(NOW),
        ..CommunitySync::default()
    };
    figures::refresh_community(&store, &writer.doc, &sync, &metrics).unwrap();
    let connection = rusqlite::Connection::open(store.path()).unwrap();
    let before = city_figures(&connection);
    assert_eq!(before.wishes.published, 1);
    assert_eq!(before.members_with_claimed_wish, 0);

    // The member claims the wish: the published wish becomes a claimed one, nothing
    // is counted twice.
    writer.wish_event(
        wish,
        EventKind::Claim,
        Actor::Member(member),
        at_minute(60 * 24 * 3),
    );
    figures::refresh_community(&store, &writer.doc, &sync, &metrics).unwrap();
    let after = city_figures(&connection);
    assert_eq!(after.wishes.total, 1);
    assert_eq!(after.wishes.published, 0);
    assert_eq!(after.wishes.claimed, 1);
    assert_eq!(after.members_with_claimed_wish, 1);
    assert_eq!(after.median_days_to_claim, Some(2.0));
    assert_eq!(metrics.figure_refreshes(), 2);
    assert!(
        metrics
            .render()
            .contains("wishtree_hub_figure_refresh_seconds_count 2")
    );
}

#[test]
fn a_node_seen_without_changes_counts_as_synced() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("hub.sqlite");
    let writer = Writer::new(code("130903001001"), "名人社区", 7, at_minute(0));
    deliver(
        &database,
        &writer.doc,
        Some(NOW.plus_millis(-3 * 86_400_000)),
    );
    let connection = rusqlite::Connection::open(&database).unwrap();
    assert_eq!(city_figures(&connection).communities_synced_24h, 0);
    figures::record_seen(&connection, code("130903001001"), NOW.plus_millis(-60_000)).unwrap();
    // An older sighting does not move the last one back.
    figures::record_seen(
        &connection,
        code("130903001001"),
        NOW.plus_millis(-9 * 86_400_000),
    )
    .unwrap();
    // A community whose document has not arrived yet is known by its code.
    figures::record_seen(&connection, code("130903002001"), NOW).unwrap();
    let figures = city_figures(&connection);
    assert_eq!(figures.communities, 2);
    assert_eq!(figures.communities_synced_24h, 2);
    let statuses = figures::community_statuses(&connection, &region("1309"), NOW).unwrap();
    assert_eq!(statuses[0].name, "名人社区");
    assert_eq!(statuses[1].name, "");
    // Re-deriving keeps the latest sighting when the sync side knows none.
    deliver(&database, &writer.doc, None);
    assert_eq!(city_figures(&connection).communities_synced_24h, 2);
}

#[test]
fn the_attested_share_counts_the_changes_below_the_signed_heads() {
    let mut writer = Writer::new(code("130903001001"), "名人社区", 7, at_minute(0));
    writer.add_member(None, date("2026-02-01"), at_minute(1));
    let signed = writer.doc.heads();
    let attested = writer.doc.automerge_mut().get_changes(&[]).len() as u64;
    writer.submit_wish(at_minute(2));
    writer.submit_wish(at_minute(3));
    let sync = CommunitySync::measure(&mut writer.doc, &signed, Some(NOW), Some(NOW));
    assert_eq!(sync.changes, attested + 2);
    assert_eq!(sync.attested_changes, attested);
    let all = writer.doc.heads();
    let full = CommunitySync::measure(&mut writer.doc, &all, None, None);
    assert_eq!(full.attested_changes, full.changes);
    // Heads the hub does not hold cover nothing.
    let unknown = [automerge::ChangeHash([7; 32])];
    assert_eq!(
        CommunitySync::measure(&mut writer.doc, &unknown, None, None).attested_changes,
        0
    );
}

#[test]
fn migrations_are_versioned_and_idempotent() {
    let mut connection = rusqlite::Connection::open_in_memory().unwrap();
    schema::migrate(&mut connection).unwrap();
    schema::migrate(&mut connection).unwrap();
    let version: i64 = connection
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .unwrap();
    assert_eq!(version, schema::VERSION);
    // The figures' second step flags communities whose signed heads a revoked key made.
    connection
        .prepare("SELECT signer_revoked FROM fig_communities")
        .unwrap();
    let tables: Vec<String> = connection
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'fig_%' ORDER BY name",
        )
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        tables,
        [
            "account_sessions",
            "account_tokens",
            "accounts",
            "attestations",
            "audit_log",
            "bulletins",
            "bundle_issuers",
            "communities",
            "doc_chunks",
            "member_elsewhere",
            "roster",
            "settings",
            "sync_peers",
            "throttle_failures",
            "unit_annual_texts"
        ],
        "every figure table is prefixed fig_, the rest are the store's, the accounts', the bulletins' and the members'"
    );
}

#[test]
fn a_view_of_another_community_is_refused_and_nothing_changes() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("hub.sqlite");
    let mut writer = Writer::new(code("130903001001"), "名人社区", 7, at_minute(0));
    writer.add_member(None, date("2026-02-01"), at_minute(1));
    deliver(&database, &writer.doc, Some(NOW));
    let other = Writer::new(code("130903001002"), "北环桥社区", 8, at_minute(0));
    let view = CommunityView::derive(&other.doc).unwrap();
    let mut connection = rusqlite::Connection::open(&database).unwrap();
    let transaction = connection.transaction().unwrap();
    let error = figures::rederive_community(
        &transaction,
        code("130903001001"),
        &view,
        &CommunitySync::default(),
    )
    .unwrap_err();
    drop(transaction);
    assert!(matches!(error, FiguresError::WrongCommunity { .. }));
    assert!(error.to_string().contains("130903001002"), "{error}");
    assert_eq!(city_figures(&connection).members_reported, 1);
}

#[test]
fn regions_are_named_and_unnamed() {
    let mut connection = rusqlite::Connection::open_in_memory().unwrap();
    schema::migrate(&mut connection).unwrap();
    figures::set_region_name(&connection, &region("130903"), " 运河区 ").unwrap();
    assert_eq!(
        figures::region_name(&connection, &region("130903")).unwrap(),
        Some("运河区".to_owned())
    );
    figures::set_region_name(&connection, &region("130903"), "").unwrap();
    assert_eq!(
        figures::region_name(&connection, &region("130903")).unwrap(),
        None
    );
}
