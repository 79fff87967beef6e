//! One community builder for tests and benches: [`Writer`] writes domain commands into
//! a community document, one change each, at chosen times, as a node's worker would;
//! [`Writer::design_size`] fills it to DESIGN's 1x size (or a multiple). Ids come from
//! a seeded [`Ids`], so a bench measures the same documents every run.

use wishtree_protocol::command::{
    ActivityFields, Command, MemberFields, VolunteerFields, WishFields,
};
use wishtree_protocol::id::{
    ActivityId, MemberId, OrgId, PairingId, ProjectId, RoundId, ServiceId, VoidId, VolunteerId,
    VolunteerServiceId, WishId,
};
use wishtree_protocol::model::{
    Actor, BeneficiaryGroup, EventKind, Member, Org, PostKind, ProjectKind, VolunteerKind, WishKind,
};
use wishtree_protocol::street::StreetHost;
use wishtree_protocol::text::{Detail, Label, Name, Title};
use wishtree_protocol::uscc::CreditCode;
use wishtree_protocol::{CommunityCode, CommunityDoc, Date, Timestamp};

/// The fields of a new member of `org` (if any) who reported in on `reported_in`, in
/// no branch or team: a test's member, where the test says nothing else of them.
pub fn member_fields(org: Option<OrgId>, reported_in: Date) -> MemberFields {
    MemberFields {
        name: Name::parse("name", "张婷").unwrap(),
        work_unit: Label::parse("work_unit", "市发改委").unwrap(),
        org,
        position: Label::parse("position", "科员").unwrap(),
        specialties: Vec::new(),
        intentions: vec![PostKind::Aid],
        reported_in,
        branch: None,
        team: None,
    }
}

/// The fields `member` has now: an `UpdateMember` that changes some of them starts
/// from these.
pub fn fields_of(member: &Member) -> MemberFields {
    MemberFields {
        name: Name::parse("name", &member.name).unwrap(),
        work_unit: Label::parse("work_unit", &member.work_unit).unwrap(),
        org: member.org,
        position: Label::parse("position", &member.position).unwrap(),
        specialties: member
            .specialties
            .iter()
            .map(|specialty| Label::parse("specialty", specialty).unwrap())
            .collect(),
        intentions: member.intentions.clone(),
        reported_in: member.reported_in,
        branch: member.branch,
        team: member.team,
    }
}

/// A deterministic source of ids (splitmix64).
#[derive(Debug, Clone)]
pub struct Ids(u64);

impl Ids {
    /// The ids that follow `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 16 bytes, as every id takes them.
    pub fn bytes(&mut self) -> [u8; 16] {
        let mut out = [0u8; 16];
        out[..8].copy_from_slice(&self.next().to_le_bytes());
        out[8..].copy_from_slice(&self.next().to_le_bytes());
        out
    }

    /// The next 64 bits.
    #[allow(clippy::should_implement_trait)] // Never ends, so not an `Iterator`.
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// The worker every builder's command is recorded by.
pub fn worker() -> Actor {
    Actor::Worker("陈玉萍".to_owned())
}

/// An empty note, as a lifecycle event without words carries.
pub fn note() -> Detail {
    Detail::parse("note", "").unwrap()
}

/// The note of a lifecycle step: empty, but 驳回 and 撤回 must say why.
pub fn note_for(kind: EventKind) -> Detail {
    let text = if kind.needs_reason() {
        "核实不符"
    } else {
        ""
    };
    Detail::parse("note", text).unwrap()
}

/// A valid credit code made from a number (the check character computed).
pub fn credit_code(number: u32) -> CreditCode {
    let body = format!("91130900MA{number:07}");
    let mut first = [0u8; 17];
    first.copy_from_slice(body.as_bytes());
    let check = CreditCode::check_character(&first).unwrap();
    format!("{body}{}", char::from(check)).parse().unwrap()
}

/// Writes commands into a community document, one change each, at chosen times.
#[derive(Debug)]
pub struct Writer {
    /// The document written.
    pub doc: CommunityDoc,
    /// Where the ids of new entities come from.
    pub ids: Ids,
}

/// What [`Writer::design_size`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesignSize {
    /// The members, in the order added.
    pub members: Vec<MemberId>,
    /// The wishes, in the order submitted.
    pub wishes: Vec<WishId>,
}

impl Writer {
    /// A new community `code` named `name`, created at `at`, its ids from `seed`.
    pub fn new(code: CommunityCode, name: &str, seed: u64, at: Timestamp) -> Self {
        let mut ids = Ids::new(seed);
        let doc = CommunityDoc::create(code, name, ids.bytes(), at).unwrap();
        Self { doc, ids }
    }

    /// Runs `command` as the worker at `at`; a refused command fails the test.
    pub fn run(&mut self, command: Command, at: Timestamp) {
        self.doc
            .execute(&command, &worker(), at)
            .unwrap_or_else(|error| panic!("{command:?}: {error}"));
    }

    /// DESIGN's 1x community times `scale`: 100 members, 40 wishes (published, every
    /// other one claimed by a member if `claim_every_other`) and 300 service records
    /// of an hour, the n-th command of each kind written at `at(n)`.
    pub fn design_size(
        &mut self,
        scale: usize,
        claim_every_other: bool,
        at: impl Fn(usize) -> Timestamp,
    ) -> DesignSize {
        let reported_in: Date = "2026-05-20".parse().unwrap();
        let members: Vec<MemberId> = (0..100 * scale)
            .map(|n| self.add_member(None, reported_in, at(n)))
            .collect();
        let wishes = (0..40 * scale)
            .map(|n| {
                let id = self.submit_wish(at(n));
                self.wish_event(id, EventKind::Publish, worker(), at(n));
                if claim_every_other && n % 2 == 0 {
                    let by = Actor::Member(members[n % members.len()]);
                    self.wish_event(id, EventKind::Claim, by, at(n));
                }
                id
            })
            .collect();
        let day: Date = "2026-08-03".parse().unwrap();
        for n in 0..300 * scale {
            self.record_service(members[n % members.len()], day, 60, at(n));
        }
        DesignSize { members, wishes }
    }

    /// Adds an organisation by its credit code; its id is derived from the code.
    pub fn add_org(
        &mut self,
        code: CreditCode,
        name: &str,
        reported_in: Option<Date>,
        at: Timestamp,
    ) -> OrgId {
        self.run(
            Command::AddOrg {
                credit_code: code,
                name: Name::parse("name", name).unwrap(),
                reported_in,
            },
            at,
        );
        Org::id_for(&code)
    }

    /// Adds the branch `party_org` of the unit with credit code `code`; its id is
    /// derived from both.
    pub fn add_party_org(
        &mut self,
        code: CreditCode,
        unit_name: &str,
        party_org: &str,
        reported_in: Option<Date>,
        at: Timestamp,
    ) -> OrgId {
        self.run(
            Command::AddPartyOrg {
                credit_code: code,
                unit_name: Name::parse("unit_name", unit_name).unwrap(),
                party_org: Name::parse("party_org", party_org).unwrap(),
                reported_in,
            },
            at,
        );
        Org::id_for_party_org(&code, party_org)
    }

    /// Adds a member of `org` (if any) who reported in on `reported_in`.
    pub fn add_member(&mut self, org: Option<OrgId>, reported_in: Date, at: Timestamp) -> MemberId {
        let id = MemberId::from_bytes(self.ids.bytes());
        self.run(
            Command::AddMember {
                id,
                member: member_fields(org, reported_in),
            },
            at,
        );
        id
    }

    /// Pairs the community with `org` from `signed_on`.
    pub fn add_pairing(&mut self, org: OrgId, signed_on: Date, at: Timestamp) -> PairingId {
        self.add_pairing_of(org, signed_on, None, at)
    }

    /// Pairs `org` from `signed_on` with the community, or with its street when
    /// `street` is given (the community must be the street's host).
    pub fn add_pairing_of(
        &mut self,
        org: OrgId,
        signed_on: Date,
        street: Option<StreetHost>,
        at: Timestamp,
    ) -> PairingId {
        let id = PairingId::from_bytes(self.ids.bytes());
        self.run(
            Command::AddPairing {
                id,
                org,
                commitments: vec![Title::parse("commitment", "每月开展一次志愿服务").unwrap()],
                signed_on,
                street,
            },
            at,
        );
        id
    }

    /// Submits a wish for goods worth 300 yuan; it is published by a
    /// [`Writer::wish_event`].
    pub fn submit_wish(&mut self, at: Timestamp) -> WishId {
        let id = WishId::from_bytes(self.ids.bytes());
        self.run(
            Command::SubmitWish {
                id,
                wish: WishFields {
                    title: Title::parse("title", "希望有一台微波炉").unwrap(),
                    detail: Detail::parse("detail", "方便为孩子热饭").unwrap(),
                    kind: WishKind::Goods,
                    group: BeneficiaryGroup::SingleParentChild,
                    resident_label: Name::parse("resident_label", "行宫社区 彭女士").unwrap(),
                    estimated_value: Some(300),
                    round: None,
                },
            },
            at,
        );
        id
    }

    /// Opens a collection round (批次): wishes submitted on its days go in it.
    pub fn add_round(
        &mut self,
        name: &str,
        opens: Date,
        closes: Option<Date>,
        at: Timestamp,
    ) -> RoundId {
        let id = RoundId::from_bytes(self.ids.bytes());
        let name = Name::parse("name", name).unwrap();
        self.run(
            Command::AddRound {
                id,
                name,
                opens,
                closes,
            },
            at,
        );
        id
    }

    /// Moves a wish along its lifecycle.
    pub fn wish_event(&mut self, id: WishId, kind: EventKind, by: Actor, at: Timestamp) {
        self.run(
            Command::WishEvent {
                id,
                kind,
                by,
                note: note_for(kind),
            },
            at,
        );
    }

    /// Submits a micro-project.
    pub fn submit_project(&mut self, at: Timestamp) -> ProjectId {
        self.submit_project_of(None, at)
    }

    /// Submits a micro-project of the community, or of its street when `street` is
    /// given (the community must be the street's host).
    pub fn submit_project_of(&mut self, street: Option<StreetHost>, at: Timestamp) -> ProjectId {
        let id = ProjectId::from_bytes(self.ids.bytes());
        self.run(
            Command::SubmitProject {
                id,
                title: Title::parse("title", "“扶”您上下楼").unwrap(),
                detail: Detail::parse("detail", "加装楼梯扶手").unwrap(),
                kind: ProjectKind::MicroProject,
                street,
            },
            at,
        );
        id
    }

    /// Moves a project along its lifecycle.
    pub fn project_event(&mut self, id: ProjectId, kind: EventKind, by: Actor, at: Timestamp) {
        self.run(
            Command::ProjectEvent {
                id,
                kind,
                by,
                note: note_for(kind),
            },
            at,
        );
    }

    /// Adds a safety activity on `day` lasting `minutes`.
    pub fn add_activity(
        &mut self,
        day: Date,
        minutes: u32,
        organiser: Option<OrgId>,
        at: Timestamp,
    ) -> ActivityId {
        let id = ActivityId::from_bytes(self.ids.bytes());
        self.run(
            Command::AddActivity {
                id,
                activity: ActivityFields {
                    title: Title::parse("title", "青少年七彩暑期安全教育").unwrap(),
                    category: PostKind::Safety,
                    date: day,
                    minutes,
                    organiser,
                    place: Label::parse("place", "社区居委会").unwrap(),
                },
            },
            at,
        );
        id
    }

    /// Signs `member` up for `activity`.
    pub fn participate(&mut self, activity: ActivityId, member: MemberId, at: Timestamp) {
        self.run(Command::AddParticipant { activity, member }, at);
    }

    /// Records `minutes` of service by `member` on `day`.
    pub fn record_service(
        &mut self,
        member: MemberId,
        day: Date,
        minutes: u32,
        at: Timestamp,
    ) -> ServiceId {
        let id = ServiceId::from_bytes(self.ids.bytes());
        self.run(
            Command::RecordService {
                id,
                member,
                date: day,
                minutes,
                category: PostKind::Aid,
                item: wishtree_protocol::model::ScoringItem::Other,
                description: Detail::parse("description", "陪独居老人聊天").unwrap(),
            },
            at,
        );
        id
    }

    /// Registers a volunteer of `kind` (beyond the members) on `registered_on`.
    pub fn add_volunteer(
        &mut self,
        kind: VolunteerKind,
        registered_on: Date,
        at: Timestamp,
    ) -> VolunteerId {
        let id = VolunteerId::from_bytes(self.ids.bytes());
        let volunteer = VolunteerFields {
            label: Name::parse("label", kind.label_zh()).unwrap(),
            kind,
            specialties: Vec::new(),
            registered_on,
        };
        self.run(Command::AddVolunteer { id, volunteer }, at);
        id
    }

    /// Records `minutes` of a volunteer's service on `day`.
    pub fn record_volunteer_service(
        &mut self,
        volunteer: VolunteerId,
        day: Date,
        minutes: u32,
        at: Timestamp,
    ) -> VolunteerServiceId {
        let id = VolunteerServiceId::from_bytes(self.ids.bytes());
        let description = Detail::parse("description", "陪独居老人聊天").unwrap();
        let command = Command::RecordVolunteerService {
            id,
            volunteer,
            date: day,
            minutes,
            category: PostKind::Aid,
            description,
        };
        self.run(command, at);
        id
    }

    /// Voids a volunteer's service record.
    pub fn void_volunteer_service(&mut self, service: VolunteerServiceId, at: Timestamp) {
        let id = VoidId::from_bytes(self.ids.bytes());
        let reason = Label::parse("reason", "录入错误").unwrap();
        self.run(
            Command::VoidVolunteerService {
                id,
                service,
                reason,
            },
            at,
        );
    }
}
