//! 新华区丽水社区 of the demo city.

use wishtree_protocol::command::Command;
use wishtree_protocol::id::{BenefitId, PointsEntryId, VolunteerServiceId};
use wishtree_protocol::model::{
    Actor, BeneficiaryGroup, EventKind, PostKind, ScoringItem, ScoringUnit, VolunteerKind, WishKind,
};
use wishtree_protocol::uscc::CreditCode;

use super::*;

/// 新华区丽水社区: love passbooks with scoring items and a benefit catalogue; 赵玉茹 has
/// the most points and redeems a benefit. A retired party member (离退休党员) volunteers:
/// he keeps an old man company and cuts hair, counted apart from the members.
pub(super) fn lishui(
    ids: &mut dyn FnMut() -> [u8; 16],
    orgs: &[(CreditCode, &'static str)],
) -> DemoCommunity {
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
    // 积分项目 and 福利清单: points per kind of service (细化成分值), and what points buy.
    for (item, points, per) in [
        (ScoringItem::Other, 20, ScoringUnit::Hour),
        (ScoringItem::Activity, 5, ScoringUnit::Time),
        (ScoringItem::Wish, 10, ScoringUnit::Time),
    ] {
        b.push(145, Command::SetScoringRate { item, points, per });
    }
    let haircut = BenefitId::from_bytes((b.ids)());
    for (id, title, cost, stock) in [
        (haircut, "社区理发服务一次", 20, Some(30)),
        (
            BenefitId::from_bytes((b.ids)()),
            "体检套餐一份",
            120,
            Some(5),
        ),
    ] {
        b.push(
            145,
            Command::AddBenefit {
                id,
                title: title_of(title),
                cost,
                stock,
            },
        );
    }
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
    // 赵玉茹 chooses a benefit from the catalogue: its cost, not a typed number.
    let haircut_redemption = PointsEntryId::from_bytes((b.ids)());
    b.push(
        8,
        Command::RedeemBenefit {
            id: haircut_redemption,
            member: zhao,
            benefit: haircut,
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
    let wang = b.volunteer(
        90,
        "退休党员 王老师",
        VolunteerKind::Retired,
        "王建民",
        &["理发", "读报"],
    );
    let company = b.wish(
        30,
        "想找人陪我读读报、聊聊天",
        "老伴去世后一个人在家，眼睛不好",
        WishKind::Service,
        BeneficiaryGroup::EmptyNest,
        "丽水社区 孙大爷",
        "孙德胜",
        None,
    );
    b.wish_event(29, company, EventKind::Publish, b.worker.clone(), "");
    b.wish_event(27, company, EventKind::Claim, Actor::Volunteer(wang), "");
    b.wish_event(
        12,
        company,
        EventKind::Fulfil,
        Actor::Volunteer(wang),
        "每周二上门读报",
    );
    let visit = VolunteerServiceId::from_bytes((b.ids)());
    b.push(
        12,
        Command::RecordVolunteerService {
            id: visit,
            volunteer: wang,
            date: date_days_ago(12),
            minutes: 120,
            category: PostKind::Aid,
            description: detail_of("上门陪孙大爷读报、理发"),
        },
    );
    b.post(
        120,
        PostKind::Health,
        "医疗保健岗：每周义诊",
        2,
        &[Actor::Member(ma)],
    );
    b.finish("130902004002", "丽水社区", "新华区", "建北街道", "赵刚")
}
