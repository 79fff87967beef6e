//! Sample data for the demo city, drawn from the situations the seed articles report:
//! 沧州市 with two districts (运河区, 新华区) and three communities — 名人社区 with its
//! functional branch and its members on nucleic-acid duty, 隆华社区 with the 发改委 that
//! repaired the broken road of 绿茵中街, 丽水社区 with its love passbooks (爱心存折) — and
//! the micro-wishes of the Miyun and Guangzhou articles (a microwave for a carer, a rice
//! cooker for an old woman, a schoolbag, someone to talk to) — one of them taken by a
//! retired party member of 丽水社区 who volunteers there (离退休党员).
//!
//! Everything here is ordinary domain commands, stamped days in the past so the
//! dashboard's monthly trends have a shape. Personal data (phones, addresses, real
//! names) is fictitious and goes to the node's private tables only.

use wishtree_protocol::command::{
    ActivityFields, Command, MemberFields, VolunteerFields, WishFields,
};
use wishtree_protocol::id::{
    ActivityId, MemberId, PostId, RoundId, ServiceId, VolunteerId, WishId,
};
use wishtree_protocol::model::{
    Actor, BeneficiaryGroup, EventKind, Org, PostKind, VolunteerKind, WishKind,
};
use wishtree_protocol::text::{Detail, Label, Name, Title};
use wishtree_protocol::uscc::CreditCode;
use wishtree_protocol::{CommunityCode, Date, Timestamp};

mod lishui;
mod longhua;
mod mingren;

use lishui::lishui;
use longhua::longhua;
use mingren::mingren;

/// One community of the demo city.
#[derive(Debug, Clone)]
pub struct DemoCommunity {
    /// Its code.
    pub code: CommunityCode,
    /// Its name.
    pub name: &'static str,
    /// The district it lies in, e.g. 运河区.
    pub district: &'static str,
    /// The street (街道) it lies in.
    pub street: &'static str,
    /// The community worker who operates its node.
    pub worker: &'static str,
    /// The commands that fill its document, each with how many days ago it happened.
    pub commands: Vec<(u32, Command)>,
    /// Personal data of members for the node's private tables: (member, address, phone).
    pub private_members: Vec<(MemberId, String, String)>,
    /// Personal data of residents for the node's private tables: (wish, name, phone).
    pub private_residents: Vec<(WishId, String, String)>,
    /// Personal data of volunteers for the node's private tables: (volunteer, name,
    /// phone).
    pub private_volunteers: Vec<(VolunteerId, String, String)>,
}

/// The city of the demo: its code prefix and name.
pub const CITY: (&str, &str) = ("1309", "沧州市");

/// The districts of the demo city: (code prefix, name).
pub const DISTRICTS: [(&str, &str); 2] = [("130903", "运河区"), ("130902", "新华区")];

/// The streets of the demo city: (code prefix, name).
pub const STREETS: [(&str, &str); 3] = [
    ("130903001", "水月寺街道"),
    ("130903002", "南环中路街道"),
    ("130902004", "建北街道"),
];

/// The three communities of the demo city, with their data. `ids` draws fresh random
/// ids (the driver's random source).
pub fn demo_city(ids: &mut dyn FnMut() -> [u8; 16]) -> Vec<DemoCommunity> {
    let orgs = city_orgs();
    vec![mingren(ids, &orgs), longhua(ids, &orgs), lishui(ids, &orgs)]
}

/// The streets whose own records a community of the demo city keeps (街道本级, issue 14
/// item 3): (street, host community). The runner writes them into the hub's city
/// document; the seed's street-level commands carry what the same document says.
pub const STREET_HOSTS: [(&str, &str); 1] = [("130903001", "130903001001")];

/// What the demo's city document says of the street of `community`, for a seed command
/// that names the street as its party (the nodes are seeded before they receive the
/// city document from the hub).
fn street_host(community: &str) -> wishtree_protocol::street::StreetHost {
    use wishtree_protocol::city::{CityCommand, CityDoc};
    // Invariant: the demo's codes are constants that parse, and every designation
    // names a community of its street.
    let mut city = CityDoc::new(&CITY.0.parse().expect("the demo city's code"), [0; 16])
        .expect("a fresh city document");
    for (street, host) in STREET_HOSTS {
        let designate = CityCommand::DesignateStreetHost {
            street: street.parse().expect("a street code"),
            community: host.parse().expect("a community code"),
        };
        city.execute(&designate, Timestamp::from_millis(0))
            .expect("the demo's designation");
    }
    let community = community.parse().expect("a community code");
    city.view()
        .expect("the city's view")
        .street_host_of(&community)
}

/// The unit party organisations of the demo city: (credit code, name).
pub fn city_orgs() -> Vec<(CreditCode, &'static str)> {
    [
        ("11130900MB0000001", "沧州市中级人民法院党组"),
        ("11130900MB0000002", "沧州市发展和改革委员会党组"),
        ("11130900MB0000003", "沧州市人民政府办公室机关党委"),
        ("91130900MA0000004", "中国移动沧州分公司党委"),
        ("12130900MB0000005", "沧州中西医结合医院党委"),
        ("11130900MB0000006", "沧州市委办公室机关党支部"),
    ]
    .into_iter()
    .map(|(first, name)| (credit_code(first), name))
    .collect()
}

/// How many in-service members each unit of [`city_orgs`] declares, in its order: the
/// denominators of the report-in coverage the dashboard shows.
pub const DECLARED_MEMBERS: [u32; 6] = [6, 8, 5, 10, 12, 4];

/// Builds a valid credit code from its first seventeen characters.
fn credit_code(first_seventeen: &str) -> CreditCode {
    let mut first = [0u8; 17];
    first.copy_from_slice(first_seventeen.as_bytes());
    // Invariant: the literals above use only the code's alphabet.
    let check =
        CreditCode::check_character(&first).expect("demo codes use the credit code alphabet");
    format!("{first_seventeen}{}", char::from(check))
        .parse()
        .expect("a code with its own check character is valid")
}

/// Accumulates the commands of one community.
struct Builder<'a> {
    ids: &'a mut dyn FnMut() -> [u8; 16],
    worker: Actor,
    commands: Vec<(u32, Command)>,
    private_members: Vec<(MemberId, String, String)>,
    private_residents: Vec<(WishId, String, String)>,
    private_volunteers: Vec<(VolunteerId, String, String)>,
}

impl<'a> Builder<'a> {
    fn new(ids: &'a mut dyn FnMut() -> [u8; 16], worker: &str) -> Self {
        Self {
            ids,
            worker: Actor::Worker(worker.to_owned()),
            commands: Vec::new(),
            private_members: Vec::new(),
            private_residents: Vec::new(),
            private_volunteers: Vec::new(),
        }
    }

    fn push(&mut self, days_ago: u32, command: Command) {
        self.commands.push((days_ago, command));
    }

    fn org(
        &mut self,
        days_ago: u32,
        (code, name): &(CreditCode, &str),
        reported: bool,
    ) -> wishtree_protocol::id::OrgId {
        self.push(
            days_ago,
            Command::AddOrg {
                credit_code: *code,
                name: name_of(name),
                reported_in: reported.then(|| date_days_ago(days_ago)),
            },
        );
        Org::id_for(code)
    }

    #[allow(clippy::too_many_arguments)]
    fn member(
        &mut self,
        days_ago: u32,
        name: &str,
        work_unit: &str,
        org: Option<wishtree_protocol::id::OrgId>,
        position: &str,
        specialties: &[&str],
        intentions: &[PostKind],
    ) -> MemberId {
        let id = MemberId::from_bytes((self.ids)());
        let number = self.private_members.len() + 1;
        self.push(
            days_ago,
            Command::AddMember {
                id,
                member: MemberFields {
                    name: name_of(name),
                    work_unit: label(work_unit),
                    org,
                    position: label(position),
                    specialties: specialties.iter().map(|s| label(s)).collect(),
                    intentions: intentions.to_vec(),
                    reported_in: date_days_ago(days_ago),
                    branch: None,
                    team: None,
                },
            },
        );
        self.private_members.push((
            id,
            format!("{}号楼{}单元", number % 12 + 1, number % 4 + 1),
            format!("1380317{:04}", 1000 + number),
        ));
        id
    }

    /// A collection round (批次) opened `opens` days ago and, if given, closing
    /// `closes` days ago; the wishes recorded on its days go in it.
    fn round(&mut self, days_ago: u32, name: &str, opens: u32, closes: Option<u32>) -> RoundId {
        let id = RoundId::from_bytes((self.ids)());
        self.push(
            days_ago,
            Command::AddRound {
                id,
                name: name_of(name),
                opens: date_days_ago(opens),
                closes: closes.map(date_days_ago),
            },
        );
        id
    }

    #[allow(clippy::too_many_arguments)]
    fn wish(
        &mut self,
        days_ago: u32,
        title: &str,
        detail: &str,
        kind: WishKind,
        group: BeneficiaryGroup,
        resident_label: &str,
        resident_name: &str,
        value: Option<u32>,
    ) -> WishId {
        let id = WishId::from_bytes((self.ids)());
        self.push(
            days_ago,
            Command::SubmitWish {
                id,
                wish: WishFields {
                    title: title_of(title),
                    detail: detail_of(detail),
                    kind,
                    group,
                    resident_label: name_of(resident_label),
                    estimated_value: value,
                    round: None,
                },
            },
        );
        let number = self.private_residents.len() + 1;
        self.private_residents.push((
            id,
            resident_name.to_owned(),
            format!("1393170{:04}", 2000 + number),
        ));
        id
    }

    fn wish_event(&mut self, days_ago: u32, id: WishId, kind: EventKind, by: Actor, note: &str) {
        self.push(
            days_ago,
            Command::WishEvent {
                id,
                kind,
                by,
                note: detail_of(note),
            },
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn activity(
        &mut self,
        days_ago: u32,
        title: &str,
        category: PostKind,
        minutes: u32,
        organiser: Option<wishtree_protocol::id::OrgId>,
        place: &str,
        participants: &[MemberId],
    ) -> ActivityId {
        let id = ActivityId::from_bytes((self.ids)());
        self.push(
            days_ago,
            Command::AddActivity {
                id,
                activity: ActivityFields {
                    title: title_of(title),
                    category,
                    date: date_days_ago(days_ago),
                    minutes,
                    organiser,
                    place: label(place),
                },
            },
        );
        for member in participants {
            self.push(
                days_ago,
                Command::AddParticipant {
                    activity: id,
                    member: *member,
                },
            );
        }
        id
    }

    fn service(
        &mut self,
        days_ago: u32,
        member: MemberId,
        minutes: u32,
        category: PostKind,
        what: &str,
    ) {
        let id = ServiceId::from_bytes((self.ids)());
        self.push(
            days_ago,
            Command::RecordService {
                id,
                member,
                date: date_days_ago(days_ago),
                minutes,
                category,
                item: wishtree_protocol::model::ScoringItem::Other,
                description: detail_of(what),
            },
        );
    }

    /// Registers a volunteer beyond the members, labelled for the city; their `name`
    /// goes to the private tables.
    fn volunteer(
        &mut self,
        days_ago: u32,
        label_for_city: &str,
        kind: VolunteerKind,
        name: &str,
        specialties: &[&str],
    ) -> VolunteerId {
        let id = VolunteerId::from_bytes((self.ids)());
        let volunteer = VolunteerFields {
            label: name_of(label_for_city),
            kind,
            specialties: specialties.iter().map(|s| label(s)).collect(),
            registered_on: date_days_ago(days_ago),
        };
        self.push(days_ago, Command::AddVolunteer { id, volunteer });
        let number = self.private_volunteers.len() + 1;
        let phone = format!("1370317{:04}", 3000 + number);
        self.private_volunteers.push((id, name.to_owned(), phone));
        id
    }

    fn post(
        &mut self,
        days_ago: u32,
        kind: PostKind,
        title: &str,
        seats: u32,
        holders: &[Actor],
    ) -> PostId {
        let id = PostId::from_bytes((self.ids)());
        self.push(
            days_ago,
            Command::AddPost {
                id,
                kind,
                title: title_of(title),
                detail: detail_of(""),
                seats,
            },
        );
        for holder in holders {
            self.push(
                days_ago,
                Command::PostEvent {
                    id,
                    kind: EventKind::Claim,
                    by: holder.clone(),
                    note: detail_of(""),
                },
            );
        }
        id
    }

    fn finish(
        self,
        code: &str,
        name: &'static str,
        district: &'static str,
        street: &'static str,
        worker: &'static str,
    ) -> DemoCommunity {
        DemoCommunity {
            // Invariant: the demo codes are literals of valid community codes.
            code: code.parse().expect("demo community codes are valid"),
            name,
            district,
            street,
            worker,
            commands: self.commands,
            private_members: self.private_members,
            private_residents: self.private_residents,
            private_volunteers: self.private_volunteers,
        }
    }
}

/// The date `days` before the demo's reference day, 2026-11-20.
pub fn date_days_ago(days: u32) -> Date {
    let reference = Date::new(2026, 11, 20).map_or(0, Date::to_days);
    Date::from_days(reference - days as i32)
}

fn name_of(text: &str) -> Name {
    // Invariant: the demo's literals are valid names.
    Name::parse("name", text).expect("demo names are valid")
}

fn title_of(text: &str) -> Title {
    Title::parse("title", text).expect("demo titles are valid")
}

fn label(text: &str) -> Label {
    Label::parse("label", text).expect("demo labels are valid")
}

fn detail_of(text: &str) -> Detail {
    Detail::parse("detail", text).expect("demo details are valid")
}

#[cfg(test)]
mod tests {
    use wishtree_protocol::lifecycle::ClaimState;
    use wishtree_protocol::view::CommunityView;
    use wishtree_protocol::{CommunityDoc, Timestamp};

    use super::*;

    #[test]
    fn every_demo_command_applies_and_the_communities_look_as_the_articles_say() {
        let mut counter = 0u64;
        let mut ids = move || {
            counter += 1;
            let mut bytes = [0u8; 16];
            bytes[..8].copy_from_slice(&counter.to_le_bytes());
            bytes
        };
        let city = demo_city(&mut ids);
        assert_eq!(city.len(), 3);
        let today = Date::new(2026, 11, 20).unwrap().start_in_shanghai();
        for community in city {
            let mut doc =
                CommunityDoc::create(community.code, community.name, ids(), today).unwrap();
            let worker = Actor::Worker(community.worker.to_owned());
            for (days_ago, command) in &community.commands {
                let at =
                    Timestamp::from_millis(today.as_millis() - i64::from(*days_ago) * 86_400_000);
                doc.execute(command, &worker, at)
                    .unwrap_or_else(|e| panic!("{}: {command:?}: {e}", community.name));
            }
            let view = CommunityView::derive(&doc).unwrap();
            assert!(view.members.len() >= 4, "{}", community.name);
            assert!(
                view.wishes
                    .values()
                    .any(|w| w.status.state == ClaimState::Fulfilled)
            );
            assert!(
                view.wishes
                    .values()
                    .any(|w| w.status.state == ClaimState::Published)
            );
            assert!(view.participations().count() >= 4);
            assert!(view.malformed.is_empty());
            assert_eq!(community.private_members.len(), view.members.len());
        }
    }
}
