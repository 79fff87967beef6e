//! 运河区隆华社区 of the demo city.

use wishtree_protocol::command::Command;
use wishtree_protocol::id::{PairingId, ProjectId};
use wishtree_protocol::model::{
    Actor, BeneficiaryGroup, EventKind, PostKind, ProjectKind, Share, WishKind,
};
use wishtree_protocol::uscc::CreditCode;

use super::*;

/// 运河区隆华社区: the 发改委 that repaired the broken road of 绿茵中街 in two days.
pub(super) fn longhua(
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
            street: None,
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
            street: None,
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
            street: None,
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
    // 共同认领: two units send letters of intent with their shares, the community
    // approves both (共同承接), and the work is under way (实施).
    let handrails = ProjectId::from_bytes((b.ids)());
    b.push(
        30,
        Command::SubmitProject {
            id: handrails,
            title: title_of("老旧楼道加装扶手"),
            detail: detail_of("6栋、7栋楼道无扶手，老人上下楼不便"),
            kind: ProjectKind::MicroProject,
            street: None,
        },
    );
    for (days, unit, percent, part) in [
        (28, reform, 60, "协调资金，采购扶手材料"),
        (27, mobile, 40, "组织党员志愿者安装"),
    ] {
        b.push(
            days,
            Command::SendIntent {
                id: handrails,
                unit,
                share: Share::from_percent(percent).expect("a share from 1 to 100"),
                note: detail_of(part),
            },
        );
    }
    b.push(
        25,
        Command::ApproveProject {
            id: handrails,
            units: vec![reform, mobile],
            note: detail_of("社区两委会议同意立项"),
        },
    );
    b.push(
        20,
        Command::ProjectEvent {
            id: handrails,
            kind: EventKind::Start,
            by: b.worker.clone(),
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
