//! Members and units reporting in (双报到) at the hub: a change that adds a unit, a
//! party branch of one, or a member (of a unit or of none) is derived entity by entity,
//! and leaves the same rows as a hub that remembers nothing derives whole — the
//! members' and organisations' rows, the rollups, and the report-back rows of the
//! unit's members (`fig_unit_members`), which a community without seals keeps beside
//! the figures. A member placed in a branch on reporting in is derived entity by
//! entity too, with their place in it (`fig_group_members`); and a unit reporting in
//! to the street at the community hosting it, with its row under the street's code (and
//! renamed, both rows with it); and a member's ledger corrected (their name, unit and
//! branch), with their rows.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::sync::Arc;

use tempfile::TempDir;
use wishtree_hub::figures;
use wishtree_hub::metrics::Metrics;
use wishtree_hub::sql::{DbExt, params};
use wishtree_hub::state::{Hub, HubOptions};
use wishtree_hub::store::{SqliteStore, StoredDoc};
use wishtree_protocol::city::{CityCommand, CityDoc};
use wishtree_protocol::command::{Command, MemberFields};
use wishtree_protocol::id::{BranchId, MemberId, OrgId};
use wishtree_protocol::street::StreetCode;
use wishtree_protocol::text::Name;
use wishtree_protocol::{CommunityCode, Date, RegionPrefix, Timestamp};
use wishtree_testkit::community::{Writer, credit_code, member_fields};

/// 2026-08-01 12:00 in Shanghai.
const NOW: Timestamp = Timestamp::from_millis(1_785_556_800_000);

/// The tables a member or organisation reporting in writes, and those summing them.
const TABLES: [&str; 7] = [
    "fig_members",
    "fig_orgs",
    "fig_group_members",
    "fig_unit_members",
    "fig_months",
    "fig_org_months",
    "fig_district_days",
];

fn code() -> CommunityCode {
    "130903001001".parse().unwrap()
}

fn day(text: &str) -> Date {
    text.parse().unwrap()
}

fn at(minutes: i64) -> Timestamp {
    Timestamp::from_millis(NOW.as_millis() - 30 * 86_400_000 + minutes * 60_000)
}

fn open_hub(path: &std::path::Path) -> Arc<Hub> {
    let local = Arc::new(SqliteStore::open(path).unwrap());
    Hub::new(
        local,
        wishtree_protocol::keys::KeyPair::from_secret([7; 32]),
        "1309".parse::<RegionPrefix>().unwrap(),
        Arc::new(Metrics::new()),
        HubOptions::default(),
    )
    .unwrap()
}

/// Every row of `TABLES` in the hub's file, each table's in a fixed order.
fn rows(path: &std::path::Path) -> BTreeMap<&'static str, Vec<String>> {
    let connection = rusqlite::Connection::open(path).unwrap();
    let mut out = BTreeMap::new();
    for table in TABLES {
        let mut statement = connection
            .prepare(&format!("SELECT * FROM {table}"))
            .unwrap();
        let columns = statement.column_count();
        let mut rows: Vec<String> = statement
            .query_map([], |row| {
                let values: Vec<rusqlite::types::Value> =
                    (0..columns).map(|i| row.get(i)).collect::<Result<_, _>>()?;
                Ok(format!("{values:?}"))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        rows.sort();
        out.insert(table, rows);
    }
    out
}

fn count(hub: &Hub, sql: &str) -> i64 {
    hub.figures()
        .read(|db| db.query_row(sql, params![], |row| row.get::<i64>(0)))
        .unwrap()
}

/// Sends the writer's changes since the last call to the hub and refreshes.
fn sync(hub: &Hub, writer: &mut Writer) {
    hub.store()
        .append_chunk(
            StoredDoc::Community(code()),
            &writer.doc.save_incremental(),
            NOW,
        )
        .unwrap();
    figures::refresh_one(hub, code()).unwrap();
}

/// Checks that a hub that remembers nothing of `hub`'s derivations (its heads
/// forgotten) derives the same rows whole as `hub` wrote entity by entity.
fn derived_whole_the_same(hub: Arc<Hub>, path: &std::path::Path) {
    let by_entity = rows(path);
    hub.figures()
        .write(|db| db.execute("DELETE FROM fig_derived_from", params![]))
        .unwrap();
    drop(hub);
    let forgetful = open_hub(path);
    figures::refresh_one(&forgetful, code()).unwrap();
    assert_eq!(forgetful.metrics().figure_refreshes_whole(), 1);
    assert_eq!(rows(path), by_entity);
}

fn add_member(
    writer: &mut Writer,
    org: Option<OrgId>,
    branch: Option<BranchId>,
    minute: i64,
) -> MemberId {
    let id = MemberId::from_bytes(writer.ids.bytes());
    writer.run(
        Command::AddMember {
            id,
            member: fields("李强", org, branch),
        },
        at(minute),
    );
    id
}

fn fields(name: &str, org: Option<OrgId>, branch: Option<BranchId>) -> MemberFields {
    MemberFields {
        name: Name::parse("name", name).unwrap(),
        branch,
        ..member_fields(org, day("2026-07-02"))
    }
}

#[test]
fn members_and_units_reporting_in_are_derived_by_entity_as_whole() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("hub.sqlite");
    let hub = open_hub(&path);
    let mut writer = Writer::new(code(), "名人社区", 1, at(0));
    let unit = writer.add_org(credit_code(1), "甲单位", Some(day("2026-06-01")), at(1));
    writer.add_member(Some(unit), day("2026-06-05"), at(2));
    let branch = BranchId::from_bytes(writer.ids.bytes());
    writer.run(
        Command::AddBranch {
            id: branch,
            name: Name::parse("name", "名人社区楼栋功能型党支部").unwrap(),
            secretary: None,
            founded_on: day("2026-06-10"),
        },
        at(3),
    );
    sync(&hub, &mut writer);
    assert_eq!(
        hub.metrics().figure_refreshes_whole(),
        1,
        "first derivation"
    );

    // A member placed in the branch on reporting in: followed entity by entity, with
    // their place in the branch, which the branch's figures count.
    add_member(&mut writer, Some(unit), Some(branch), 5);
    sync(&hub, &mut writer);
    assert_eq!(
        hub.metrics().figure_refreshes_whole(),
        1,
        "a member in a branch derived by entity"
    );
    assert_eq!(count(&hub, "SELECT COUNT(*) FROM fig_group_members"), 1);
    let filter = figures::Filter {
        region: "1309".parse().unwrap(),
        period: figures::Period::all(),
        org: None,
        round: None,
    };
    let groups = hub
        .figures()
        .read(|db| figures::figures(db, &filter, NOW))
        .unwrap()
        .groups;
    assert_eq!((groups.branches, groups.branch_members), (1, 1));

    // A second unit and a party branch of the first report in, and members of each
    // (and one of none): each change is followed entity by entity.
    let second = writer.add_org(credit_code(2), "乙单位", Some(day("2026-07-01")), at(10));
    sync(&hub, &mut writer);
    let moved = add_member(&mut writer, Some(second), None, 11);
    sync(&hub, &mut writer);
    let party = writer.add_party_org(
        credit_code(1),
        "甲单位",
        "第二党支部",
        Some(day("2026-07-03")),
        at(12),
    );
    add_member(&mut writer, Some(party), None, 13);
    add_member(&mut writer, None, None, 14);
    sync(&hub, &mut writer);
    assert_eq!(
        hub.metrics().figure_refreshes_whole(),
        1,
        "new members and units derived by entity"
    );
    assert_eq!(count(&hub, "SELECT COUNT(*) FROM fig_members"), 5);
    assert_eq!(count(&hub, "SELECT COUNT(*) FROM fig_orgs"), 3);
    assert_eq!(
        count(&hub, "SELECT COUNT(*) FROM fig_unit_members"),
        4,
        "the members of a unit are on the report-back rows"
    );
    assert_eq!(
        count(
            &hub,
            "SELECT members_reported FROM fig_months WHERE community = '130903001001'
             AND month = 0"
        ),
        5
    );

    // A member's ledger corrected — their name, which is on their report-back row,
    // then their unit and their branch — is followed entity by entity too.
    writer.run(
        Command::UpdateMember {
            id: moved,
            member: fields("李刚", Some(second), None),
        },
        at(15),
    );
    sync(&hub, &mut writer);
    writer.run(
        Command::UpdateMember {
            id: moved,
            member: fields("李刚", Some(party), Some(branch)),
        },
        at(16),
    );
    sync(&hub, &mut writer);
    assert_eq!(
        hub.metrics().figure_refreshes_whole(),
        1,
        "edited members derived by entity"
    );
    assert_eq!(
        count(
            &hub,
            "SELECT COUNT(*) FROM fig_unit_members WHERE name = '李刚'"
        ),
        1
    );

    derived_whole_the_same(hub, &path);
}

/// A unit that reports in to the street at the community that hosts it, in the change
/// that adds it: followed entity by entity, its row filed under the community and
/// under the street's own code, as a hub that remembers nothing derives them.
#[test]
fn a_unit_reporting_in_to_the_street_at_its_host_is_derived_by_entity_as_whole() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("hub.sqlite");
    let hub = open_hub(&path);
    let street = StreetCode::of(&code());
    hub.execute_city(
        &CityCommand::DesignateStreetHost {
            street: street.as_region(),
            community: code(),
        },
        NOW,
    )
    .unwrap();
    figures::refresh_city(&hub).unwrap();
    // What the node holds of the city: its own copy names it the host too.
    let mut city = CityDoc::new(&"1309".parse().unwrap(), [3; 16]).unwrap();
    city.execute(
        &CityCommand::DesignateStreetHost {
            street: street.as_region(),
            community: code(),
        },
        at(0),
    )
    .unwrap();
    let host = city.view().unwrap().street_host_of(&code());
    let mut writer = Writer::new(code(), "名人社区", 1, at(0));
    writer.add_org(credit_code(1), "甲单位", Some(day("2026-06-01")), at(1));
    sync(&hub, &mut writer);
    assert_eq!(
        hub.metrics().figure_refreshes_whole(),
        1,
        "first derivation"
    );

    let unit = writer.add_org(credit_code(2), "乙单位", Some(day("2026-07-01")), at(2));
    writer.run(
        Command::ReportInToStreet {
            org: unit,
            street: host,
            on: day("2026-07-02"),
        },
        at(3),
    );
    sync(&hub, &mut writer);
    assert_eq!(
        hub.metrics().figure_refreshes_whole(),
        1,
        "a new unit reported in to the street derived by entity"
    );
    let filed = street.own_records().as_str().to_owned();
    assert_eq!(
        count(
            &hub,
            &format!("SELECT COUNT(*) FROM fig_orgs WHERE community = '{filed}'")
        ),
        1,
        "the unit's row under the street's own code"
    );

    // The unit renamed (its credit code the same): followed entity by entity, its rows
    // under both codes rewritten.
    writer.add_org(credit_code(2), "乙单位党委", Some(day("2026-07-01")), at(4));
    sync(&hub, &mut writer);
    assert_eq!(
        hub.metrics().figure_refreshes_whole(),
        1,
        "a unit renamed derived by entity"
    );
    assert_eq!(
        count(
            &hub,
            &format!(
                "SELECT COUNT(*) FROM fig_orgs WHERE community = '{filed}' AND name = '乙单位党委'"
            )
        ),
        1,
        "the street's row renamed"
    );

    derived_whole_the_same(hub, &path);
}
