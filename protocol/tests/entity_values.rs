//! How the community document writes and finds its entities, checked against the
//! slower ways it replaced: a new entity is written in one batch from a value built
//! in memory (`doc::value`), which must be what reconciling it field by field writes;
//! and the collections' maps are looked up once and remembered, which must not
//! outlive a merge.

mod support;

use automerge::hydrate::Value as HydrateValue;
use automerge::transaction::Transactable;
use automerge::{ObjType, ROOT, ReadDoc};
use wishtree_protocol::CommunityDoc;
use wishtree_protocol::command::Command;
use wishtree_protocol::id::{PointsEntryId, PostId, ServiceId, VoidId};
use wishtree_protocol::model::Entity;
use wishtree_protocol::model::{
    Activity, Actor, EventKind, Member, Org, PointsEntry, Post, PostKind, ScoringItem, ScoringRate,
    ScoringUnit, ServiceRecord, Void, Wish,
};
use wishtree_protocol::text::{Detail, Label, Name, Title};
use wishtree_protocol::uscc::CreditCode;

use support::*;

#[test]
fn a_new_entity_written_in_one_batch_is_what_reconciling_writes() {
    let mut ids = Ids::new(41);
    let source = busy_community(&mut ids);
    let genesis = new_doc(&mut Ids::new(41));
    let mut batched = genesis.clone();
    let mut reconciled = genesis;
    copy::<Member>(&source, &mut batched, &mut reconciled);
    copy::<Org>(&source, &mut batched, &mut reconciled);
    copy::<Wish>(&source, &mut batched, &mut reconciled);
    copy::<Activity>(&source, &mut batched, &mut reconciled);
    copy::<ServiceRecord>(&source, &mut batched, &mut reconciled);
    copy::<PointsEntry>(&source, &mut batched, &mut reconciled);
    copy::<Post>(&source, &mut batched, &mut reconciled);
    copy::<Void>(&source, &mut batched, &mut reconciled);
    let whole = |doc: &mut CommunityDoc| -> HydrateValue {
        doc.commit(at(100));
        doc.automerge_mut().document().hydrate(None)
    };
    assert_eq!(whole(&mut batched), whole(&mut reconciled));
}

/// Writes every entity of kind `E` in `source` into `batched` through
/// `CommunityDoc::put_entity` and into `reconciled` through autosurgeon's reconcile,
/// field by field. There must be some.
fn copy<E: Entity>(
    source: &CommunityDoc,
    batched: &mut CommunityDoc,
    reconciled: &mut CommunityDoc,
) {
    let (entities, malformed) = source.entities::<E>().expect("read");
    assert!(malformed.is_empty(), "{malformed:?}");
    assert!(!entities.is_empty(), "no {} to compare", E::COLLECTION);
    for (id, entity) in &entities {
        batched.put_entity(*id, entity).expect("batched write");
        let doc = reconciled.automerge_mut();
        let collection = match doc.get(ROOT, E::COLLECTION).expect("read") {
            Some((_, collection)) => collection,
            None => doc
                .put_object(ROOT, E::COLLECTION, ObjType::Map)
                .expect("collection"),
        };
        autosurgeon::reconcile_prop(doc, &collection, id.to_string().as_str(), entity)
            .expect("reconciled write");
    }
}

/// A community where members reported in, an organisation and its pairing, a wish
/// went through its steps, an activity and a service earned points, points were
/// redeemed, a post was claimed and a service voided.
fn busy_community(ids: &mut Ids) -> CommunityDoc {
    let mut doc = new_doc(ids);
    let zhang = add_member(&mut doc, ids, "张婷");
    let li = add_member(&mut doc, ids, "李文杰");
    let code: CreditCode = "91350100M000100Y43".parse().expect("code");
    let run = |doc: &mut CommunityDoc, command: Command| {
        doc.execute(&command, &worker(), at(10)).expect("command");
    };
    run(
        &mut doc,
        Command::AddOrg {
            credit_code: code,
            name: Name::parse("name", "名创优品党支部").expect("name"),
            reported_in: Some(date("2026-04-12")),
        },
    );
    let wish = submit_wish(&mut doc, ids, "微波炉一台");
    for kind in [EventKind::Publish, EventKind::Claim] {
        let by = if kind == EventKind::Claim {
            Actor::Member(zhang)
        } else {
            worker()
        };
        run(&mut doc, wish_event(wish, kind, by));
    }
    let activity = add_activity(&mut doc, ids, 90);
    run(
        &mut doc,
        Command::AddParticipant {
            activity,
            member: li,
        },
    );
    let service = ServiceId::from_bytes(ids.bytes());
    run(
        &mut doc,
        Command::RecordService {
            id: service,
            member: zhang,
            date: date("2026-06-01"),
            minutes: 60,
            category: PostKind::Health,
            item: ScoringItem::Other,
            description: Detail::parse("description", "检测点执勤").expect("text"),
        },
    );
    run(
        &mut doc,
        Command::Redeem {
            id: PointsEntryId::from_bytes(ids.bytes()),
            member: zhang,
            points: 5,
            reason: Label::parse("reason", "兑换洗衣液").expect("reason"),
        },
    );
    let post = PostId::from_bytes(ids.bytes());
    run(
        &mut doc,
        Command::AddPost {
            id: post,
            kind: PostKind::Aid,
            title: Title::parse("title", "扶弱济困岗").expect("title"),
            detail: Detail::parse("detail", "").expect("detail"),
            seats: 2,
        },
    );
    run(
        &mut doc,
        Command::PostEvent {
            id: post,
            kind: EventKind::Claim,
            by: Actor::Member(li),
            note: Detail::parse("note", "").expect("note"),
        },
    );
    run(
        &mut doc,
        Command::VoidService {
            id: VoidId::from_bytes(ids.bytes()),
            service,
            reason: Label::parse("reason", "录入错误").expect("reason"),
        },
    );
    doc
}

/// Two replicas that each create a collection added after schema 1 (here `scoring`)
/// hold two maps under one root key; after a merge one of them wins. A replica must
/// then read the winner, not the map it looked up before the merge.
#[test]
fn after_a_merge_a_collection_both_replicas_created_is_read_as_a_reload_reads_it() {
    let mut ids = Ids::new(43);
    let genesis = new_doc(&mut ids);
    let rate = |item, points| Command::SetScoringRate {
        item,
        points,
        per: ScoringUnit::Time,
    };
    let mut a = genesis.clone();
    a.execute(&rate(ScoringItem::Wish, 5), &worker(), at(1))
        .expect("rate");
    let mut b =
        CommunityDoc::load(&genesis.clone().save(), Some(community()), ids.bytes()).expect("load");
    b.execute(&rate(ScoringItem::Project, 7), &worker(), at(2))
        .expect("rate");
    // Each way round: in one of them the replica's own map loses.
    for (mut into, mut from) in [(a.clone(), b.clone()), (b, a)] {
        let before = format!("{:?}", into.entities::<ScoringRate>().expect("read"));
        into.merge(&mut from).expect("merge");
        let merged = format!("{:?}", into.entities::<ScoringRate>().expect("read"));
        let reloaded =
            CommunityDoc::load(&into.save(), Some(community()), ids.bytes()).expect("reload");
        assert_eq!(
            merged,
            format!("{:?}", reloaded.entities::<ScoringRate>().expect("read")),
            "read before the merge: {before}"
        );
    }
}
