//! Bundle verification throughput (decode and every check of `Bundle::verify`) against
//! the raw cryptography of the same bytes in the same run: one strict ed25519
//! verification of the signed header and SHA-256 over all the bundle's bytes.
//!
//! Two bundles: a small one (one service record on top of what the receiver has) and a
//! large one (the whole history of a community of DESIGN's 1x size: 100 members, 40
//! wishes, 300 service records, built with domain commands).
//!
//! `cargo bench -p wishtree-protocol --bench bundle`. Target: at least 0.8x raw
//! throughput. The figures are medians, because the machines are noisy.

#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use ed25519_dalek::{Signature, VerifyingKey};
use sha2::{Digest, Sha256};
use wishtree_protocol::bundle::{
    Audience, Bundle, Envelope, InMemoryState, Limits, NewBundle, Receiver,
};
use wishtree_protocol::command::{Command, MemberFields, WishFields};
use wishtree_protocol::id::{MemberId, ServiceId, WishId};
use wishtree_protocol::keys::KeyPair;
use wishtree_protocol::model::{Actor, BeneficiaryGroup, EventKind, PostKind, WishKind};
use wishtree_protocol::text::{Detail, Label, Name, Title};
use wishtree_protocol::{CommunityDoc, Date, Timestamp};

const NOW: i64 = 1_790_000_000_000;

fn main() {
    let node = KeyPair::from_secret([2; 32]);
    let city = KeyPair::from_secret([1; 32]);
    let mut ids = Ids(11);
    let mut doc = community(&mut ids);

    let large = NewBundle::changes(&mut doc, &[], None, envelope(&city, 1)).sign(&node);
    let base = doc.heads();
    let service = Command::RecordService {
        id: ServiceId::from_bytes(ids.bytes()),
        member: first_member(&doc),
        date: "2026-08-01".parse().unwrap(),
        minutes: 90,
        category: PostKind::Environment,
        item: wishtree_protocol::model::ScoringItem::Other,
        description: Detail::parse("description", "清理小区卫生死角").unwrap(),
    };
    doc.execute(&service, &worker(), Timestamp::from_millis(NOW))
        .unwrap();
    let small = NewBundle::changes(&mut doc, &base, None, envelope(&city, 1)).sign(&node);

    let mut state = InMemoryState::new();
    state.enrol(node.public(), doc.code().as_region());
    let receiver = Receiver::new(city.public(), Timestamp::from_millis(NOW + 60_000));
    let key = VerifyingKey::from_bytes(&node.public().to_bytes()).unwrap();

    println!("bundle verification (decode + all checks) against raw ed25519 + sha256 (medians)");
    println!(
        "{:<34} {:>10} {:>12} {:>12} {:>10} {:>12} {:>7}",
        "bundle", "bytes", "verify", "bundles/s", "MB/s", "raw MB/s", "ratio"
    );
    for (label, bytes, rounds) in [
        ("small (one service record)", &small, 2000),
        ("large (1x community history)", &large, 200),
    ] {
        let header_len = {
            let bundle = Bundle::decode(bytes, &Limits::default()).unwrap();
            bytes.len() - 64 - bundle.header().payload_len as usize
        };
        let mut signed = b"wishtree-bundle-v1\0".to_vec();
        signed.extend_from_slice(&bytes[..header_len]);
        let signature = Signature::from_bytes(&bytes[bytes.len() - 64..].try_into().unwrap());

        let mut ours = Vec::with_capacity(rounds);
        let mut raw = Vec::with_capacity(rounds);
        for _ in 0..rounds {
            // Alternate, so that both see the same machine state.
            let start = Instant::now();
            let bundle = Bundle::decode(black_box(bytes), &Limits::default()).unwrap();
            black_box(bundle.verify(&receiver, &state).unwrap());
            ours.push(start.elapsed());

            let start = Instant::now();
            key.verify_strict(black_box(&signed), &signature).unwrap();
            black_box(Sha256::digest(black_box(bytes.as_slice())));
            raw.push(start.elapsed());
        }
        let (ours, raw) = (median(&mut ours), median(&mut raw));
        let megabytes = bytes.len() as f64 / 1e6;
        println!(
            "{:<34} {:>10} {:>12?} {:>12.0} {:>10.1} {:>12.1} {:>6.2}x",
            label,
            bytes.len(),
            ours,
            1.0 / ours.as_secs_f64(),
            megabytes / ours.as_secs_f64(),
            megabytes / raw.as_secs_f64(),
            raw.as_secs_f64() / ours.as_secs_f64()
        );
    }
}

fn envelope(city: &KeyPair, seq: u64) -> Envelope {
    Envelope {
        audience: Audience::Key(city.public()),
        seq,
        previous: None,
        issued_at: Timestamp::from_millis(NOW),
        expires_at: Timestamp::from_millis(NOW + 7 * 86_400_000),
    }
}

fn worker() -> Actor {
    Actor::Worker("陈玉萍".to_owned())
}

fn first_member(doc: &CommunityDoc) -> MemberId {
    doc.ids::<wishtree_protocol::model::Member>().unwrap()[0]
}

/// A community of DESIGN's 1x size, built with domain commands.
fn community(ids: &mut Ids) -> CommunityDoc {
    let code = "110118001002".parse().unwrap();
    let now = Timestamp::from_millis(NOW - 86_400_000);
    let mut doc = CommunityDoc::create(code, "行宫社区", ids.bytes(), now).unwrap();
    let members: Vec<MemberId> = (0..100)
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
            doc.execute(&Command::AddMember { id, member }, &worker(), now)
                .unwrap();
            id
        })
        .collect();
    for i in 0..40 {
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
        doc.execute(&Command::SubmitWish { id, wish }, &worker(), now)
            .unwrap();
        let publish = Command::WishEvent {
            id,
            kind: EventKind::Publish,
            by: worker(),
            note: Detail::parse("note", "").unwrap(),
        };
        doc.execute(&publish, &worker(), now).unwrap();
    }
    for i in 0..300 {
        let command = Command::RecordService {
            id: ServiceId::from_bytes(ids.bytes()),
            member: members[i % members.len()],
            date: "2026-07-01".parse().unwrap(),
            minutes: 60,
            category: PostKind::Aid,
            item: wishtree_protocol::model::ScoringItem::Other,
            description: Detail::parse("description", "走访慰问困难家庭").unwrap(),
        };
        doc.execute(&command, &worker(), now).unwrap();
    }
    doc
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
