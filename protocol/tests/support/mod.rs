//! Helpers shared by the protocol's integration tests: a deterministic id source and
//! command builders with the fields a worker would fill in.

#![allow(dead_code, unreachable_pub)]

use wishtree_protocol::command::{ActivityFields, Command, MemberFields, WishFields};
use wishtree_protocol::id::{ActivityId, MemberId, WishId};
use wishtree_protocol::model::{Actor, BeneficiaryGroup, EventKind, PostKind, WishKind};
use wishtree_protocol::text::{Detail, Label, Name, Title};
use wishtree_protocol::{CommunityCode, CommunityDoc, Date, Timestamp};

/// A deterministic source of ids and actor bytes (splitmix64).
pub struct Ids(u64);

impl Ids {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn bytes(&mut self) -> [u8; 16] {
        let mut out = [0u8; 16];
        out[..8].copy_from_slice(&self.next().to_le_bytes());
        out[8..].copy_from_slice(&self.next().to_le_bytes());
        out
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

pub fn community() -> CommunityCode {
    "110118001002".parse().expect("valid code")
}

pub fn at(minute: i64) -> Timestamp {
    Timestamp::from_millis(1_790_000_000_000 + minute * 60_000)
}

pub fn worker() -> Actor {
    Actor::Worker("陈玉萍".to_owned())
}

pub fn date(text: &str) -> Date {
    text.parse().expect("valid date")
}

pub fn new_doc(ids: &mut Ids) -> CommunityDoc {
    CommunityDoc::create(community(), "行宫社区", ids.bytes(), at(0)).expect("create")
}

pub fn member_fields(name: &str) -> MemberFields {
    MemberFields {
        name: Name::parse("name", name).expect("name"),
        work_unit: Label::parse("work_unit", "密云区城关派出所").expect("unit"),
        org: None,
        position: Label::parse("position", "民警").expect("position"),
        specialties: vec![Label::parse("specialty", "安全教育").expect("specialty")],
        intentions: vec![PostKind::Safety],
        reported_in: date("2026-05-20"),
        branch: None,
        team: None,
    }
}

pub fn add_member(doc: &mut CommunityDoc, ids: &mut Ids, name: &str) -> MemberId {
    let id = MemberId::from_bytes(ids.bytes());
    doc.execute(
        &Command::AddMember {
            id,
            member: member_fields(name),
        },
        &worker(),
        at(1),
    )
    .expect("add member");
    id
}

pub fn wish_fields(title: &str) -> WishFields {
    WishFields {
        title: Title::parse("title", title).expect("title"),
        detail: Detail::parse("detail", "母亲重病，午休时间短，想更快热饭").expect("detail"),
        kind: WishKind::Goods,
        group: BeneficiaryGroup::Disabled,
        resident_label: Name::parse("resident_label", "行宫社区 彭女士").expect("label"),
        estimated_value: Some(400),
        round: None,
    }
}

pub fn submit_wish(doc: &mut CommunityDoc, ids: &mut Ids, title: &str) -> WishId {
    let id = WishId::from_bytes(ids.bytes());
    doc.execute(
        &Command::SubmitWish {
            id,
            wish: wish_fields(title),
        },
        &worker(),
        at(2),
    )
    .expect("submit wish");
    id
}

pub fn wish_event(id: WishId, kind: EventKind, by: Actor) -> Command {
    Command::WishEvent {
        id,
        kind,
        by,
        note: reason(kind),
    }
}

/// The note of a step: 驳回 and 撤回 must say why.
pub fn reason(kind: EventKind) -> Detail {
    let text = if kind.needs_reason() {
        "核实不符"
    } else {
        ""
    };
    Detail::parse("note", text).expect("note")
}

pub fn activity_fields(title: &str, minutes: u32) -> ActivityFields {
    ActivityFields {
        title: Title::parse("title", title).expect("title"),
        category: PostKind::Safety,
        date: date("2026-07-15"),
        minutes,
        organiser: None,
        place: Label::parse("place", "惠新苑社区居委会").expect("place"),
    }
}

pub fn add_activity(doc: &mut CommunityDoc, ids: &mut Ids, minutes: u32) -> ActivityId {
    let id = ActivityId::from_bytes(ids.bytes());
    doc.execute(
        &Command::AddActivity {
            id,
            activity: activity_fields("青少年七彩暑期安全教育", minutes),
        },
        &worker(),
        at(3),
    )
    .expect("add activity");
    id
}
