//! Sample data for the demo city, drawn from the situations the seed articles report:
//! 沧州市 with two districts (运河区, 新华区) and three communities — 名人社区 with its
//! functional branch and its members on nucleic-acid duty, 隆华社区 with the 发改委 that
//! repaired the broken road of 绿茵中街, 丽水社区 with its love passbooks (爱心存折) — and
//! the micro-wishes of the Miyun and Guangzhou articles (a microwave for a carer, a rice
//! cooker for an old woman, a schoolbag, someone to talk to).
//!
//! Everything here is ordinary domain commands, stamped days in the past so the
//! dashboard's monthly trends have a shape. Personal data (phones, addresses, real
//! names) is fictitious and goes to the node's private tables only.

use wishtree_protocol::command::{ActivityFields, Command, MemberFields, WishFields};
use wishtree_protocol::id::{
    ActivityId, BranchId, MemberId, PairingId, PointsEntryId, PostId, ProjectId, ServiceId, TeamId,
    WishId,
};
use wishtree_protocol::model::{
    Actor, BeneficiaryGroup, EventKind, Org, PostKind, ProjectKind, WishKind,
};
use wishtree_protocol::text::{Detail, Label, Name, Title};
use wishtree_protocol::uscc::CreditCode;
use wishtree_protocol::{CommunityCode, Date};

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
}

impl<'a> Builder<'a> {
    fn new(ids: &'a mut dyn FnMut() -> [u8; 16], worker: &str) -> Self {
        Self {
            ids,
            worker: Actor::Worker(worker.to_owned()),
            commands: Vec::new(),
            private_members: Vec::new(),
            private_residents: Vec::new(),
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
                description: detail_of(what),
            },
        );
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
        }
    }
}

/// 运河区名人社区: 220 members reported, a functional branch led by 程晓明 of the
/// intermediate court, nucleic-acid duty, the court's judges' workstation.
fn mingren(
    ids: &mut dyn FnMut() -> [u8; 16],
    orgs: &[(CreditCode, &'static str)],
) -> DemoCommunity {
    let mut b = Builder::new(ids, "刘炳浩");
    let court = b.org(170, &orgs[0], true);
    let office = b.org(160, &orgs[5], true);
    let cheng = b.member(
        168,
        "程晓明",
        "沧州市中级人民法院",
        Some(court),
        "审判员",
        &["法律咨询", "民事调解"],
        &[PostKind::LawPolicy],
    );
    let li = b.member(
        165,
        "李文杰",
        "运河区卫健局",
        None,
        "科员",
        &["组织协调"],
        &[PostKind::Health, PostKind::Safety],
    );
    let jiang = b.member(
        150,
        "姜红霞",
        "沧州市委办公室",
        Some(office),
        "二级调研员",
        &["政策宣讲"],
        &[PostKind::LawPolicy, PostKind::Aid],
    );
    let wang = b.member(
        140,
        "王建国",
        "沧州市中级人民法院",
        Some(court),
        "法官助理",
        &["普法宣传"],
        &[PostKind::LawPolicy],
    );
    let zhou = b.member(
        120,
        "周敏",
        "运河区教育局",
        None,
        "教师",
        &["课业辅导"],
        &[PostKind::Aid, PostKind::CultureSport],
    );
    let sun = b.member(
        90,
        "孙立新",
        "沧州市公安局运河分局",
        None,
        "民警",
        &["交通安全"],
        &[PostKind::Safety],
    );
    let branch = BranchId::from_bytes((b.ids)());
    b.push(
        160,
        Command::AddBranch {
            id: branch,
            name: name_of("名人社区功能型党支部"),
            secretary: Some(cheng),
            founded_on: date_days_ago(160),
        },
    );
    let team = TeamId::from_bytes((b.ids)());
    b.push(
        150,
        Command::AddTeam {
            id: team,
            name: name_of("法律援助服务队"),
            focus: label("法律咨询、纠纷调解"),
        },
    );
    let pairing = PairingId::from_bytes((b.ids)());
    b.push(
        165,
        Command::AddPairing {
            id: pairing,
            org: court,
            commitments: vec![
                title_of("设立人民法院法官工作站"),
                title_of("每季度开展法律宣讲"),
            ],
            signed_on: date_days_ago(165),
        },
    );
    b.post(
        150,
        PostKind::LawPolicy,
        "政策法律岗：法官工作站值班",
        2,
        &[Actor::Member(cheng), Actor::Member(wang)],
    );
    b.post(
        140,
        PostKind::Safety,
        "治安维稳岗：小区巡逻",
        3,
        &[Actor::Member(sun)],
    );
    b.activity(
        120,
        "常态化核酸检测志愿服务",
        PostKind::Health,
        240,
        None,
        "名人社区核酸检测点",
        &[cheng, li, jiang, wang, zhou],
    );
    b.activity(
        75,
        "法律宣讲进社区",
        PostKind::LawPolicy,
        120,
        Some(court),
        "名人社区党群服务中心",
        &[cheng, wang],
    );
    b.activity(
        30,
        "暑期青少年交通安全课",
        PostKind::Safety,
        90,
        None,
        "名人社区活动室",
        &[sun, zhou],
    );
    b.service(60, li, 180, PostKind::Health, "陪同独居老人就医");
    b.service(20, jiang, 120, PostKind::Aid, "走访慰问困难家庭");
    let microwave = b.wish(
        100,
        "希望有一台微波炉，方便给母亲热饭",
        "母亲重病且智力有障碍，自己午休时间短，想更快热饭",
        WishKind::Goods,
        BeneficiaryGroup::Disabled,
        "名人社区 彭女士",
        "彭程",
        Some(400),
    );
    b.wish_event(98, microwave, EventKind::Publish, b.worker.clone(), "");
    b.wish_event(95, microwave, EventKind::Claim, Actor::Member(li), "");
    b.wish_event(
        88,
        microwave,
        EventKind::Fulfil,
        Actor::Member(li),
        "送去一台全新的微波炉",
    );
    let talk = b.wish(
        40,
        "希望有人定期陪我说说话",
        "子女在外地，一个人住",
        WishKind::Service,
        BeneficiaryGroup::EmptyNest,
        "名人社区 王奶奶",
        "王月珍",
        None,
    );
    b.wish_event(38, talk, EventKind::Publish, b.worker.clone(), "");
    b.wish_event(36, talk, EventKind::Claim, Actor::Member(jiang), "");
    let schoolbag = b.wish(
        12,
        "新学期想要一个新书包",
        "单亲家庭，孩子上三年级",
        WishKind::Goods,
        BeneficiaryGroup::SingleParentChild,
        "名人社区 小宇",
        "刘宇",
        Some(150),
    );
    b.wish_event(10, schoolbag, EventKind::Publish, b.worker.clone(), "");
    b.wish(
        3,
        "希望有一个血压计",
        "高血压，经常忘记测量",
        WishKind::Goods,
        BeneficiaryGroup::ElderlyAlone,
        "名人社区 张大爷",
        "张德顺",
        Some(200),
    );
    b.finish("130903001001", "名人社区", "运河区", "水月寺街道", "刘炳浩")
}

/// 运河区隆华社区: the 发改委 that repaired the broken road of 绿茵中街 in two days.
fn longhua(
    ids: &mut dyn FnMut() -> [u8; 16],
    orgs: &[(CreditCode, &'static str)],
) -> DemoCommunity {
    let mut b = Builder::new(ids, "赵丽娟");
    let reform = b.org(175, &orgs[1], true);
    let mobile = b.org(130, &orgs[3], true);
    let zuo = b.member(
        170,
        "左亚宁",
        "沧州市发改委",
        Some(reform),
        "主任",
        &["项目协调"],
        &[PostKind::Convenience],
    );
    let yao = b.member(
        128,
        "姚雪峰",
        "中国移动沧州分公司",
        Some(mobile),
        "总经理",
        &["网络维护"],
        &[PostKind::Convenience, PostKind::Safety],
    );
    let liu = b.member(
        125,
        "刘海燕",
        "沧州市发改委",
        Some(reform),
        "科员",
        &["财务"],
        &[PostKind::Aid],
    );
    let chen = b.member(
        60,
        "陈志强",
        "运河区住建局",
        None,
        "工程师",
        &["房屋维修"],
        &[PostKind::Convenience],
    );
    let pairing = PairingId::from_bytes((b.ids)());
    b.push(
        170,
        Command::AddPairing {
            id: pairing,
            org: reform,
            commitments: vec![
                title_of("解决社区突出问题"),
                title_of("每月开展一次志愿服务"),
            ],
            signed_on: date_days_ago(170),
        },
    );
    let road = ProjectId::from_bytes((b.ids)());
    b.push(
        110,
        Command::SubmitProject {
            id: road,
            title: title_of("修复绿茵中街30余米断层路"),
            detail: detail_of("路面坑洼破损，每逢暴雨积水严重，路人骑车常摔倒"),
            kind: ProjectKind::PressingProblem,
        },
    );
    for (days, kind, by, note) in [
        (108, EventKind::Publish, b.worker.clone(), ""),
        (105, EventKind::Claim, Actor::Org(reform), ""),
        (
            103,
            EventKind::Fulfil,
            Actor::Org(reform),
            "两天修好断层路，2000余户居民受益",
        ),
    ] {
        b.push(
            days,
            Command::ProjectEvent {
                id: road,
                kind,
                by,
                note: detail_of(note),
            },
        );
    }
    let broadband = ProjectId::from_bytes((b.ids)());
    b.push(
        50,
        Command::SubmitProject {
            id: broadband,
            title: title_of("小区宽带义诊"),
            detail: detail_of("入户排查家庭宽带故障"),
            kind: ProjectKind::MicroProject,
        },
    );
    b.push(
        48,
        Command::ProjectEvent {
            id: broadband,
            kind: EventKind::Publish,
            by: b.worker.clone(),
            note: detail_of(""),
        },
    );
    b.push(
        45,
        Command::ProjectEvent {
            id: broadband,
            kind: EventKind::Claim,
            by: Actor::Org(mobile),
            note: detail_of(""),
        },
    );
    b.activity(
        125,
        "电信反诈知识宣传",
        PostKind::Safety,
        120,
        Some(mobile),
        "隆华社区广场",
        &[yao, liu],
    );
    b.activity(
        55,
        "清理背街小巷卫生死角",
        PostKind::Environment,
        150,
        Some(reform),
        "绿茵中街",
        &[zuo, liu, chen],
    );
    b.service(25, chen, 120, PostKind::Convenience, "为老旧小区检修楼道灯");
    let cooker = b.wish(
        80,
        "渴望有个电饭煲",
        "贫困老人，旧电饭煲坏了",
        WishKind::Goods,
        BeneficiaryGroup::LowIncome,
        "隆华社区 毛奶奶",
        "毛淑凤",
        Some(180),
    );
    b.wish_event(79, cooker, EventKind::Publish, b.worker.clone(), "");
    b.wish_event(78, cooker, EventKind::Claim, Actor::Member(zuo), "");
    b.wish_event(70, cooker, EventKind::Fulfil, Actor::Member(zuo), "");
    let fan = b.wish(
        20,
        "我需要一个电风扇",
        "夏天屋里闷热",
        WishKind::Goods,
        BeneficiaryGroup::ElderlyAlone,
        "隆华社区 李爷爷",
        "李长河",
        Some(120),
    );
    b.wish_event(18, fan, EventKind::Publish, b.worker.clone(), "");
    b.wish(
        5,
        "希望有人帮忙修理漏水的水龙头",
        "",
        WishKind::Service,
        BeneficiaryGroup::Disabled,
        "隆华社区 孙阿姨",
        "孙桂兰",
        None,
    );
    b.finish(
        "130903002003",
        "隆华社区",
        "运河区",
        "南环中路街道",
        "赵丽娟",
    )
}

/// 新华区丽水社区: love passbooks; 赵玉茹 has the most points.
fn lishui(ids: &mut dyn FnMut() -> [u8; 16], orgs: &[(CreditCode, &'static str)]) -> DemoCommunity {
    let mut b = Builder::new(ids, "赵刚");
    let hospital = b.org(150, &orgs[4], true);
    let city_office = b.org(140, &orgs[2], false);
    b.push(
        140,
        Command::SetPointsRate {
            category: PostKind::Health,
            points_per_hour: 15,
        },
    );
    let zhao = b.member(
        160,
        "赵玉茹",
        "沧州市粮食局",
        None,
        "会计",
        &["组织动员"],
        &[PostKind::Aid, PostKind::Health],
    );
    let zhang = b.member(
        150,
        "张昕",
        "沧州市政府办公室",
        Some(city_office),
        "常务副秘书长",
        &["协调"],
        &[PostKind::Environment],
    );
    let ma = b.member(
        130,
        "马晓东",
        "沧州中西医结合医院",
        Some(hospital),
        "医生",
        &["义诊", "健康讲座"],
        &[PostKind::Health],
    );
    let gao = b.member(
        100,
        "高雅",
        "新华区文化馆",
        None,
        "馆员",
        &["舞蹈"],
        &[PostKind::CultureSport],
    );
    let tian = b.member(
        45,
        "田野",
        "新华区税务局",
        None,
        "科员",
        &["电脑维修"],
        &[PostKind::Convenience],
    );
    b.activity(
        130,
        "检测点执勤与义务消杀",
        PostKind::Health,
        300,
        None,
        "粮贸宿舍",
        &[zhao, zhang],
    );
    b.activity(
        95,
        "健康义诊进社区",
        PostKind::Health,
        180,
        Some(hospital),
        "丽水社区卫生站",
        &[ma, zhao],
    );
    b.activity(
        60,
        "社区文艺晚会",
        PostKind::CultureSport,
        150,
        None,
        "丽水社区文化广场",
        &[gao, zhao, tian],
    );
    b.activity(
        15,
        "老旧小区环境整治",
        PostKind::Environment,
        120,
        Some(city_office),
        "丽水社区13个小区",
        &[zhang, tian, zhao],
    );
    b.service(70, zhao, 240, PostKind::Aid, "服务居家隔离人员");
    b.service(35, ma, 60, PostKind::Health, "为老人免费测血压、血糖");
    let redemption = PointsEntryId::from_bytes((b.ids)());
    b.push(
        10,
        Command::Redeem {
            id: redemption,
            member: zhao,
            points: 30,
            reason: label("兑换米面油"),
        },
    );
    let books = b.wish(
        50,
        "送我一套百科全书",
        "爱读书的困难学生",
        WishKind::Goods,
        BeneficiaryGroup::StudentHardship,
        "丽水社区 小林",
        "林晓",
        Some(260),
    );
    b.wish_event(49, books, EventKind::Publish, b.worker.clone(), "");
    b.wish_event(47, books, EventKind::Claim, Actor::Org(hospital), "");
    b.wish_event(40, books, EventKind::Fulfil, Actor::Org(hospital), "");
    let walkman = b.wish(
        25,
        "想要一台随身听",
        "独居老人，想听戏",
        WishKind::Goods,
        BeneficiaryGroup::ElderlyAlone,
        "丽水社区 刘爷爷",
        "刘福山",
        Some(100),
    );
    b.wish_event(24, walkman, EventKind::Publish, b.worker.clone(), "");
    b.wish_event(22, walkman, EventKind::Claim, Actor::Member(tian), "");
    let desk = b.wish(
        8,
        "希望有一张能写作业的书桌",
        "孩子只能在小桌子上弯腰写作业",
        WishKind::Goods,
        BeneficiaryGroup::StudentHardship,
        "丽水社区 伍奶奶",
        "伍秀英",
        Some(500),
    );
    b.wish_event(6, desk, EventKind::Publish, b.worker.clone(), "");
    b.post(
        120,
        PostKind::Health,
        "医疗保健岗：每周义诊",
        2,
        &[Actor::Member(ma)],
    );
    b.finish("130902004002", "丽水社区", "新华区", "建北街道", "赵刚")
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
