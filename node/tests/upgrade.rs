//! Upgrades: every release keeps a node data directory it made, under
//! `tests/fixtures/upgrade/<release>/` (written by `scripts/make-upgrade-fixtures`).
//! This build opens each one, migrates it, and must show exactly the records the
//! release's document holds, with the personal data beside them, and go on writing.
//! The expected values are read from the fixture's own chunks and rows before this
//! build's store touches the file, never written down from today's output.

#![allow(clippy::unwrap_used)]

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use rusqlite::Connection;
use wishtree_node::api::Input;
use wishtree_node::replica::{DATABASE_FILE, KEY_FILE, Replica};
use wishtree_protocol::CommunityDoc;
use wishtree_protocol::view::CommunityView;

/// What a release wrote, read with plain SQL: the community document from its chunks
/// in order, the personal rows, the schema version.
struct AsWritten {
    view: CommunityView,
    personal: BTreeSet<(String, String, String)>,
    version: i64,
}

#[test]
fn every_release_s_node_opens_migrated_with_the_same_records() {
    let fixtures = fixtures();
    assert!(!fixtures.is_empty(), "no upgrade fixture found");
    let current = current_version();
    for fixture in fixtures {
        check(&fixture, current);
    }
}

fn check(fixture: &Path, current: i64) {
    let shown = fixture.display();
    // A copy: the fixture stays as the release wrote it.
    let dir = tempfile::tempdir().unwrap();
    for file in [DATABASE_FILE, KEY_FILE] {
        std::fs::copy(fixture.join(file), dir.path().join(file)).unwrap();
    }
    let written = read_as_written(&dir.path().join(DATABASE_FILE));
    assert!(
        written.version <= current,
        "{shown}: a fixture newer than this build"
    );

    let mut replica =
        Replica::open(dir.path()).unwrap_or_else(|error| panic!("{shown} does not open: {error}"));
    assert_eq!(replica.integrity_check().unwrap(), Vec::<String>::new());
    assert_eq!(
        *replica.view().unwrap(),
        written.view,
        "{shown}: the records differ after the upgrade"
    );
    let status = replica.status().unwrap();
    assert_eq!(status.counts.members, written.view.members.len());
    assert_eq!(status.counts.wishes, written.view.wishes.len());
    assert!(
        !written.view.wishes.is_empty() && !written.view.members.is_empty(),
        "{shown}: a fixture with nothing in it tests nothing"
    );

    // Still a working node: a write goes through and the file is at this build's schema.
    let member = wishtree_node::api::NewMember::from_json(
        serde_json::json!({"name": "升级后", "reported_in": "2026-03-02"}),
        wishtree_node::now(),
    )
    .unwrap();
    wishtree_node::api::create_member(&mut replica, member, wishtree_node::now()).unwrap();
    opens_a_round(&mut replica, &written.view, &shown.to_string());
    drop(replica);
    let after = read_as_written(&dir.path().join(DATABASE_FILE));
    assert_eq!(
        after.version, current,
        "{shown}: not migrated to this build's schema"
    );
    assert_eq!(
        after.personal, written.personal,
        "{shown}: personal data changed"
    );
    assert_eq!(after.view.members.len(), written.view.members.len() + 1);
    assert_eq!(after.view.rounds.len(), 1, "{shown}: the round is stored");
}

/// Rounds on a document written before them: its wishes read as 未分批; the first
/// round creates the collection, a new wish goes in it, and the old wishes stay as
/// they were.
fn opens_a_round(replica: &mut Replica, written: &CommunityView, shown: &str) {
    assert!(written.rounds.is_empty(), "{shown}");
    assert!(
        written
            .wishes
            .values()
            .all(|wish| wish.entity.round.is_none())
    );
    let now = wishtree_node::now();
    let today = now.date_in_shanghai().to_string();
    let new = wishtree_node::api::NewRound::from_json(
        serde_json::json!({"name": "第一批", "opens": today}),
        now,
    )
    .unwrap();
    let round = wishtree_node::api::create_round(replica, new, now).unwrap();
    let wish =
        wishtree_node::api::NewWish::from_json(support::wish_body("升级后的心愿"), now).unwrap();
    let wish = wishtree_node::api::create_wish(replica, wish, now).unwrap();
    assert_eq!(wish["round"], round["id"], "{shown}");
    let view = replica.view().unwrap();
    for (id, old) in &written.wishes {
        assert_eq!(&view.wishes[id], old, "{shown}: an old wish changed");
    }
}

/// A release's node, upgraded, takes volunteers beyond the members (late collections
/// made by their first write): one claims a published wish and serves, and the
/// members' records, service and passbooks stay exactly as the release wrote them.
#[test]
fn an_upgraded_node_takes_volunteers_apart_from_its_members() {
    use wishtree_protocol::command::Command;
    use wishtree_protocol::lifecycle::ClaimState;
    use wishtree_protocol::model::{Actor, EventKind};

    for fixture in fixtures() {
        let shown = fixture.display();
        let dir = tempfile::tempdir().unwrap();
        for file in [DATABASE_FILE, KEY_FILE] {
            std::fs::copy(fixture.join(file), dir.path().join(file)).unwrap();
        }
        let mut replica = Replica::open(dir.path()).unwrap();
        let before = replica.view().unwrap();
        assert!(before.volunteers.is_empty(), "{shown}");
        let now = wishtree_node::now();
        let new = wishtree_node::api::NewVolunteer::from_json(
            serde_json::json!({"label": "退休党员 王老师", "kind": "retired",
                               "name": "王建国", "registered_on": "2026-03-02"}),
            now,
        )
        .unwrap();
        let created = wishtree_node::api::create_volunteer(&mut replica, new, now).unwrap();
        let volunteer: wishtree_protocol::id::VolunteerId =
            created["id"].as_str().unwrap().parse().unwrap();
        let published = before
            .wishes
            .iter()
            .find(|(_, wish)| wish.status.state == ClaimState::Published)
            .map(|(id, _)| *id)
            .unwrap_or_else(|| panic!("{shown}: no published wish to claim"));
        let claim = Command::WishEvent {
            id: published,
            kind: EventKind::Claim,
            by: Actor::Volunteer(volunteer),
            note: wishtree_protocol::text::Detail::parse("note", "").unwrap(),
        };
        replica.execute(&claim, now).unwrap();
        let service = wishtree_node::api::NewService::from_json(
            serde_json::json!({"member": format!("volunteer:{volunteer}"),
                               "date": "2026-03-02", "minutes": 90, "category": "aid"}),
            now,
        )
        .unwrap();
        wishtree_node::api::create_service(&mut replica, service, now).unwrap();

        let after = replica.view().unwrap();
        assert_eq!(after.members, before.members, "{shown}");
        assert_eq!(after.services, before.services, "{shown}");
        assert_eq!(after.passbooks, before.passbooks, "{shown}");
        assert_eq!(after.volunteers.len(), 1, "{shown}");
        assert_eq!(after.counted_volunteer_services().count(), 1, "{shown}");
        for (id, wish) in &before.wishes {
            if *id == published {
                let claimant = after.wishes[id].status.claimant.clone();
                assert_eq!(claimant, Some(Actor::Volunteer(volunteer)), "{shown}");
            } else {
                assert_eq!(after.wishes[id], *wish, "{shown}");
            }
        }
        // What was written reads back from the chunks alone, as the hub would.
        drop(replica);
        let stored = read_as_written(&dir.path().join(DATABASE_FILE));
        assert_eq!(stored.view.volunteers, after.volunteers, "{shown}");
    }
}

fn read_as_written(database: &Path) -> AsWritten {
    let connection = Connection::open(database).unwrap();
    let mut bytes = Vec::new();
    let mut chunks = connection
        .prepare("SELECT bytes FROM doc_chunks WHERE doc = 'community' ORDER BY seq")
        .unwrap();
    for chunk in chunks
        .query_map([], |row| row.get::<_, Vec<u8>>(0))
        .unwrap()
    {
        bytes.extend(chunk.unwrap());
    }
    let doc = CommunityDoc::load(&bytes, None, [0; 16]).unwrap();
    let mut rows = connection
        .prepare("SELECT member_id, address, phone FROM private_members")
        .unwrap();
    let personal = rows
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap();
    let version = connection
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .unwrap();
    AsWritten {
        view: CommunityView::derive(&doc).unwrap(),
        personal,
        version,
    }
}

/// The schema version this build gives a new node.
fn current_version() -> i64 {
    let dir = tempfile::tempdir().unwrap();
    drop(support::init_node(dir.path()));
    Connection::open(dir.path().join(DATABASE_FILE))
        .unwrap()
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .unwrap()
}

/// One directory per release, oldest first.
fn fixtures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/upgrade");
    let mut found: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.join(DATABASE_FILE).exists())
        .collect();
    found.sort();
    found
}
