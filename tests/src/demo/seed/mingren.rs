//! 运河区名人社区 of the demo city.

use wishtree_protocol::command::Command;
use wishtree_protocol::id::{BranchId, PairingId, TeamId};
use wishtree_protocol::model::{Actor, BeneficiaryGroup, EventKind, PostKind, WishKind};
use wishtree_protocol::uscc::CreditCode;

use super::*;

/// 运河区名人社区: 220 members reported, a functional branch led by 程晓明 of the
/// intermediate court, nucleic-acid duty, the court's judges' workstation, and the
/// wishes collected in two rounds (第一批, 第二批).
pub(super) fn mingren(
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
            street: None,
        },
    );
    // 水月寺街道's own records are kept here, the community the city named its host:
    // the city office's branch reports in to the street and pairs with it (街道共建).
    let street = street_host("130903001001");
    b.push(
        158,
        Command::ReportInToStreet {
            org: office,
            street: street.clone(),
            on: date_days_ago(158),
        },
    );
    let street_pairing = PairingId::from_bytes((b.ids)());
    b.push(
        158,
        Command::AddPairing {
            id: street_pairing,
            org: office,
            commitments: vec![
                title_of("共建水月寺街道党群服务中心"),
                title_of("每月到街道开展一次政策宣讲"),
            ],
            signed_on: date_days_ago(158),
            street: Some(street),
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
    // Wishes are collected in rounds: the microwave in the first, the rest in the
    // second, still open.
    b.round(110, "第一批", 110, Some(60));
    b.round(59, "第二批", 59, None);
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
