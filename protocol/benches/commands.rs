//! The cost of one domain command against a raw automerge put of the same data,
//! measured in the same run on documents of DESIGN's 1x community size (100 members,
//! 40 wishes, 300 service records) and 10x.
//!
//! `cargo bench -p wishtree-protocol --bench commands`. Target: at most 2x raw. The
//! figures are ratios of medians, because the machines are noisy.

#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{AutoCommit, ObjType, ROOT, ReadDoc, Value};
use wishtree_protocol::command::{Command, MemberFields, WishFields};
use wishtree_protocol::id::{MemberId, ServiceId, WishId};
use wishtree_protocol::model::{Actor, BeneficiaryGroup, EventKind, PostKind, WishKind};
use wishtree_protocol::text::{Detail, Label, Name, Title};
use wishtree_protocol::{CommunityDoc, Date, Timestamp};

const ROUNDS: usize = 400;

fn main() {
    println!("command cost against a raw automerge put of the same data (medians)");
    println!(
        "{:<6} {:<22} {:>12} {:>12} {:>7}",
        "scale", "command", "domain", "raw", "ratio"
    );
    for scale in [1, 10] {
        let mut ids = Ids(scale as u64);
        let (doc, members, wishes) = community(scale, &mut ids);
        run_pair(
            scale,
            "append service record",
            &doc,
            &mut ids,
            &members,
            &wishes,
            Kind::Service,
        );
        run_pair(
            scale,
            "claim wish",
            &doc,
            &mut ids,
            &members,
            &wishes,
            Kind::Claim,
        );
        run_pair(
            scale,
            "claim, long history",
            &doc,
            &mut ids,
            &members,
            &wishes,
            Kind::ClaimCycle,
        );
    }
}

#[derive(Clone, Copy)]
enum Kind {
    /// A service record with the points it earns.
    Service,
    /// A claim of a published wish; each wish once, as in a real day.
    Claim,
    /// Claims of wishes claimed and released over and over, so that the history the
    /// rules fold grows to ~20 events at 1x: the cost of a long history.
    ClaimCycle,
}

fn run_pair(
    scale: usize,
    label: &str,
    doc: &CommunityDoc,
    ids: &mut Ids,
    members: &[MemberId],
    wishes: &[WishId],
    kind: Kind,
) {
    let worker = Actor::Worker("陈玉萍".to_owned());
    let mut domain_doc = doc.clone();
    let mut raw_doc = doc.automerge().clone();
    let rounds = match kind {
        Kind::Claim => wishes.len(),
        Kind::ClaimCycle => wishes.len() * 10,
        Kind::Service => ROUNDS,
    };
    let mut domain = Vec::with_capacity(rounds);
    let mut raw = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let member = members[round % members.len()];
        let now = Timestamp::from_millis(1_790_000_000_000 + round as i64);
        match kind {
            Kind::Service => {
                let id = ServiceId::from_bytes(ids.bytes());
                let command = Command::RecordService {
                    id,
                    member,
                    date: "2026-08-01".parse().unwrap(),
                    minutes: 90,
                    category: PostKind::Environment,
                    item: wishtree_protocol::model::ScoringItem::Other,
                    description: Detail::parse("description", "清理小区卫生死角").unwrap(),
                };
                let start = Instant::now();
                black_box(domain_doc.execute(&command, &worker, now).unwrap());
                domain.push(start.elapsed());

                let start = Instant::now();
                raw_service(&mut raw_doc, id, member, now);
                raw.push(start.elapsed());
            }
            Kind::Claim | Kind::ClaimCycle => {
                let wish = wishes[round % wishes.len()];
                // Each wish is claimed once, then released, so that every round is a
                // legal claim; only the claims are timed.
                let claim = Command::WishEvent {
                    id: wish,
                    kind: EventKind::Claim,
                    by: Actor::Member(member),
                    note: Detail::parse("note", "").unwrap(),
                };
                let start = Instant::now();
                black_box(domain_doc.execute(&claim, &worker, now).unwrap());
                domain.push(start.elapsed());
                let start = Instant::now();
                raw_event(
                    &mut raw_doc,
                    wish,
                    "claim",
                    &format!("member:{member}"),
                    now,
                );
                raw.push(start.elapsed());
                if matches!(kind, Kind::Claim) {
                    continue;
                }
                let release = Command::WishEvent {
                    id: wish,
                    kind: EventKind::Release,
                    by: Actor::Member(member),
                    note: Detail::parse("note", "").unwrap(),
                };
                domain_doc.execute(&release, &worker, now).unwrap();
                raw_event(
                    &mut raw_doc,
                    wish,
                    "release",
                    &format!("member:{member}"),
                    now,
                );
            }
        }
    }
    let (domain, raw) = (median(&mut domain), median(&mut raw));
    println!(
        "{:<6} {:<22} {:>12?} {:>12?} {:>6.2}x",
        format!("{scale}x"),
        label,
        domain,
        raw,
        domain.as_secs_f64() / raw.as_secs_f64()
    );
}

/// What `RecordService` writes, as plain automerge puts: the record with the points
/// it earns, and a commit.
fn raw_service(doc: &mut AutoCommit, id: ServiceId, member: MemberId, now: Timestamp) {
    let services = map_at(doc, "services");
    let record = doc
        .put_object(&services, id.to_string(), ObjType::Map)
        .unwrap();
    doc.put(&record, "member", member.to_string()).unwrap();
    doc.put(&record, "date", "2026-08-01").unwrap();
    doc.put(&record, "minutes", 90u64).unwrap();
    doc.put(&record, "category", "environment").unwrap();
    doc.put(&record, "description", "清理小区卫生死角").unwrap();
    doc.put(&record, "activity", ()).unwrap();
    doc.put(&record, "points", 15u64).unwrap();
    doc.put(
        &record,
        "recorded_at",
        automerge::ScalarValue::Timestamp(now.as_millis()),
    )
    .unwrap();
    black_box(doc.commit_with(CommitOptions::default().with_time(now.as_millis() / 1000)));
}

/// What a lifecycle event writes: one map appended to the wish's events, and a commit.
fn raw_event(doc: &mut AutoCommit, wish: WishId, kind: &str, by: &str, now: Timestamp) {
    let wishes = map_at(doc, "wishes");
    let Some((Value::Object(_), wish)) = doc.get(&wishes, wish.to_string()).unwrap() else {
        panic!("wish exists");
    };
    let Some((Value::Object(_), events)) = doc.get(&wish, "events").unwrap() else {
        panic!("events exist");
    };
    let end = doc.length(&events);
    let event = doc.insert_object(&events, end, ObjType::Map).unwrap();
    doc.put(&event, "kind", kind).unwrap();
    doc.put(&event, "by", by).unwrap();
    doc.put(
        &event,
        "at",
        automerge::ScalarValue::Timestamp(now.as_millis()),
    )
    .unwrap();
    doc.put(&event, "note", "").unwrap();
    black_box(doc.commit_with(CommitOptions::default().with_time(now.as_millis() / 1000)));
}

fn map_at(doc: &AutoCommit, key: &str) -> automerge::ObjId {
    match doc.get(ROOT, key).unwrap() {
        Some((Value::Object(ObjType::Map), id)) => id,
        _ => panic!("{key} map"),
    }
}

/// A community of `scale` times DESIGN's 1x size, built with domain commands.
fn community(scale: usize, ids: &mut Ids) -> (CommunityDoc, Vec<MemberId>, Vec<WishId>) {
    let code = "110118001002".parse().unwrap();
    let now = Timestamp::from_millis(1_780_000_000_000);
    let worker = Actor::Worker("陈玉萍".to_owned());
    let mut doc = CommunityDoc::create(code, "行宫社区", ids.bytes(), now).unwrap();
    let members: Vec<MemberId> = (0..100 * scale)
        .map(|i| {
            let id = MemberId::from_bytes(ids.bytes());
            let member = MemberFields {
                name: Name::parse("name", &format!("党员{i}")).unwrap(),
                work_unit: Label::parse("work_unit", "密云区城关派出所").unwrap(),
                org: None,
                position: Label::parse("position", "民警").unwrap(),
                specialties: vec![Label::parse("specialty", "安全教育").unwrap()],
                intentions: vec![PostKind::Safety, PostKind::Aid],
                reported_in: Date::new(2026, 5, 20).unwrap(),
                branch: None,
                team: None,
            };
            doc.execute(&Command::AddMember { id, member }, &worker, now)
                .unwrap();
            id
        })
        .collect();
    let wishes: Vec<WishId> = (0..40 * scale)
        .map(|i| {
            let id = WishId::from_bytes(ids.bytes());
            let wish = WishFields {
                title: Title::parse("title", &format!("心愿{i}：希望有一台微波炉")).unwrap(),
                detail: Detail::parse("detail", "母亲重病，想更快热饭").unwrap(),
                kind: WishKind::Goods,
                group: BeneficiaryGroup::Disabled,
                resident_label: Name::parse("resident_label", "彭女士").unwrap(),
                estimated_value: Some(400),
                round: None,
            };
            doc.execute(&Command::SubmitWish { id, wish }, &worker, now)
                .unwrap();
            let publish = Command::WishEvent {
                id,
                kind: EventKind::Publish,
                by: worker.clone(),
                note: Detail::parse("note", "").unwrap(),
            };
            doc.execute(&publish, &worker, now).unwrap();
            id
        })
        .collect();
    for i in 0..300 * scale {
        let command = Command::RecordService {
            id: ServiceId::from_bytes(ids.bytes()),
            member: members[i % members.len()],
            date: "2026-07-01".parse().unwrap(),
            minutes: 60,
            category: PostKind::Aid,
            item: wishtree_protocol::model::ScoringItem::Other,
            description: Detail::parse("description", "走访慰问困难家庭").unwrap(),
        };
        doc.execute(&command, &worker, now).unwrap();
    }
    (doc, members, wishes)
}

fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

struct Ids(u64);

impl Ids {
    fn bytes(&mut self) -> [u8; 16] {
        let mut out = [0u8; 16];
        for chunk in out.chunks_mut(8) {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            chunk.copy_from_slice(&(z ^ (z >> 31)).to_le_bytes());
        }
        out
    }
}
