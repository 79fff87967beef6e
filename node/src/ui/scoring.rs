//! The pages of passbook scoring: the points table (积分标准, points per kind of
//! service, with the form that sets one), the benefit catalogue (福利目录, with the form
//! that adds a benefit and, on a benefit's page, the one that withdraws it), the
//! benefits a redemption is chosen from, and the community's points ranking (积分排行)
//! for a half-year (`protocol::ranking`, the rule the hub's rankings follow).

use std::collections::BTreeSet;

use maud::{Markup, html};
use wishtree_protocol::HalfYear;
use wishtree_protocol::id::{BenefitId, MemberId};
use wishtree_protocol::model::{Benefit, CommunityRules, ScoringItem, ScoringRate, ScoringUnit};
use wishtree_protocol::names::Language;
use wishtree_protocol::ranking::{community_ranking, earned_by_half_year};
use wishtree_protocol::view::CommunityView;

use super::forms::{Filled, Form, Refusal};
use super::html::{Row, StatusBar, page, post_form, submit, t, table};
use super::ledger::{Adding, Ledger, ListAsked, Value, record_table};

/// The points table: every kind of service with the rate in force, and the form that
/// sets one.
pub fn scoring_page(asked: ListAsked<'_>) -> String {
    let (view, filled) = (asked.view, &asked.filled);
    let lang = filled.lang;
    let items = ScoringItem::ALL
        .iter()
        .map(|item| (item.code(), item_label(lang, *item)));
    let units = ScoringUnit::ALL
        .iter()
        .map(|unit| (unit.code(), unit_label(lang, *unit)));
    let fields = html! {
        (filled.select("item", t(lang, "服务项目", "Kind of service"), items))
        (filled.input("points", t(lang, "积分（0 到 1000）", "Points (0 to 1000)")))
        (filled.select("per", t(lang, "计分方式", "Counted"), units))
    };
    scoring_ledger(lang, view).page_adding(&asked, &SET_RATE, fields)
}

/// The form under the points table.
const SET_RATE: Adding = Adding {
    id: "scoring-form",
    title: ("设置积分标准", "Set a rate"),
    button: ("保存", "Save"),
};

/// The points table as a ledger (its page and, in Chinese, its CSV).
pub fn scoring_ledger(
    lang: Language,
    view: &CommunityView,
) -> Ledger<'_, (ScoringItem, Option<&ScoringRate>)> {
    let rows = ScoringItem::ALL
        .iter()
        .map(|item| (*item, view.scoring.get(item)))
        .collect();
    Ledger::new("scoring", t(lang, "积分标准", "Points table"), rows)
        .column(
            t(lang, "服务项目", "Kind of service"),
            move |(item, _)| Value::text(item_label(lang, *item)),
        )
        .column(t(lang, "积分", "Points"), move |(_, rate)| {
            Value::text(rate_text(lang, *rate))
        })
        .column(t(lang, "设置时间", "Set on"), |(_, rate)| {
            Value::text(rate.map_or_else(String::new, |rate| {
                rate.set_at.display_in_shanghai().to_string()
            }))
        })
}

/// The catalogue, the active benefits first, with the form that adds one.
pub fn benefits_page(asked: ListAsked<'_>) -> String {
    let filled = &asked.filled;
    let lang = filled.lang;
    let fields = html! {
        (filled.input("title", t(lang, "福利名称（例如 理发一次）", "Benefit (e.g. a haircut)")))
        (filled.input("cost", t(lang, "所需积分", "Cost in points")))
        (filled.input("stock", t(lang, "数量（不限可不填）", "How many (empty: no limit)")))
    };
    benefit_ledger(lang, asked.view).page_adding(&asked, &ADD_BENEFIT, fields)
}

/// The form under the catalogue.
const ADD_BENEFIT: Adding = Adding {
    id: "benefit-form",
    title: ("添加福利", "Add a benefit"),
    button: ("添加", "Add"),
};

/// The catalogue as a ledger.
pub fn benefit_ledger(lang: Language, view: &CommunityView) -> Ledger<'_, (&BenefitId, &Benefit)> {
    let mut benefits: Vec<_> = view.benefits.iter().collect();
    benefits.sort_by_key(|(id, benefit)| (!benefit.is_active(), benefit.cost, **id));
    Ledger::new(
        "benefits",
        t(lang, "福利目录", "Benefit catalogue"),
        benefits,
    )
    .column(t(lang, "福利", "Benefit"), |(id, benefit)| {
        Value::link(format!("/benefits/{id}"), benefit.title.clone())
    })
    .column(t(lang, "所需积分", "Cost"), |(_, benefit)| {
        Value::number(benefit.cost)
    })
    .column(t(lang, "剩余数量", "Left"), move |(id, _)| {
        Value::text(left_text(lang, view, **id))
    })
    .column(t(lang, "状态", "State"), move |(_, benefit)| {
        Value::text(state_label(lang, benefit))
    })
    .closed_when(|(_, benefit)| !benefit.is_active())
}

/// One benefit, and while it is in the catalogue the form that withdraws it.
pub fn benefit_page(
    lang: Language,
    view: &CommunityView,
    id: BenefitId,
    status: &StatusBar,
    form: &Form,
    refusal: Option<&Refusal>,
) -> Option<String> {
    let benefit = view.benefits.get(&id)?;
    let filled = Filled::new(lang, form, refusal);
    let rows = [
        (t(lang, "福利", "Benefit"), html! { (benefit.title) }),
        (t(lang, "所需积分", "Cost"), html! { (benefit.cost) }),
        (
            t(lang, "剩余数量", "Left"),
            html! { (left_text(lang, view, id)) },
        ),
        (
            t(lang, "状态", "State"),
            html! { span #record-state { (state_label(lang, benefit)) } },
        ),
    ];
    let withdraw = html! {
        @if benefit.is_active() {
            (post_form("card", &format!("/benefits/{id}/withdraw"), Some("withdraw-form"), html! {
                (filled.summary())
                p { (t(lang, "撤下后不能再兑换这项福利，已兑换的记录保留。", "Once withdrawn it cannot be chosen; its redemptions stay.")) }
                (submit(t(lang, "撤下这项福利", "Withdraw this benefit")))
            }))
        } @else {
            (filled.summary())
        }
    };
    let body = html! { (record_table("benefit-record", &rows)) (withdraw) };
    Some(page(
        lang,
        t(lang, "福利", "Benefit"),
        status,
        "/benefits",
        body,
    ))
}

/// The benefits a redemption can be chosen from (active, not out of stock), by cost,
/// with nothing chosen first.
pub fn benefit_choices(lang: Language, view: &CommunityView) -> Vec<(String, String)> {
    let mut active: Vec<_> = view
        .benefits
        .iter()
        .filter(|(id, benefit)| benefit.is_active() && view.benefit_left(**id) != Some(0))
        .collect();
    active.sort_by_key(|(id, benefit)| (benefit.cost, **id));
    let nothing = (
        String::new(),
        t(lang, "请选择福利", "Choose a benefit").to_owned(),
    );
    std::iter::once(nothing)
        .chain(active.into_iter().map(|(id, benefit)| {
            let label = match lang {
                Language::Chinese => format!("{}（{} 积分）", benefit.title, benefit.cost),
                Language::English => format!("{} ({} points)", benefit.title, benefit.cost),
            };
            (id.to_string(), label)
        }))
        .collect()
}

/// A member's place in the community's points ranking (积分排名) for each half-year they
/// earned points in, newest first, each linked to that ranking: shown in the member's
/// passbook section. The node holds its own community only; the street's and city's
/// rankings are the hub's (`/m/card`, `/rankings/points`).
pub fn member_standing(lang: Language, view: &CommunityView, member: MemberId) -> Markup {
    let periods: BTreeSet<HalfYear> = earned_by_half_year(view)
        .into_keys()
        .filter(|(_, earner)| *earner == member)
        .map(|(period, _)| period)
        .collect();
    let standings: Vec<(HalfYear, u64, u64, usize)> = periods
        .into_iter()
        .rev()
        .filter_map(|period| {
            let ranked = community_ranking(view, period);
            let place = ranked.iter().find(|place| place.key == member)?;
            Some((period, place.rank, place.points, ranked.len()))
        })
        .collect();
    html! {
        @if !standings.is_empty() {
            ul #member-standing {
                @for (period, rank, points, ranked) in standings {
                    li data-period=(period) {
                        a href={ "/ranking?period=" (period) } { (period_label(lang, period)) }
                        @match lang {
                            Language::Chinese => { " 本社区积分排名：第 " b.rank { (rank) } " 名（共 " (ranked) " 人上榜），本期积分 " (points) }
                            Language::English => { " community points ranking: " b.rank { (rank) } " of " (ranked) ", " (points) " points" }
                        }
                    }
                }
            }
        }
    }
}

/// The community's members ranked by the points they earned in `period`, with links
/// to the half-years before and after.
pub fn ranking_page(
    lang: Language,
    view: &CommunityView,
    period: HalfYear,
    status: &StatusBar,
) -> String {
    let ranked = community_ranking(view, period);
    let heads = [
        t(lang, "名次", "Rank"),
        t(lang, "党员", "Member"),
        t(lang, "积分", "Points"),
        t(lang, "积分余额", "Balance"),
    ];
    let rows = ranked.iter().map(|place| {
        let name = view
            .members
            .get(&place.key)
            .map_or_else(|| place.key.to_string(), |member| member.name.clone());
        let balance = view
            .passbooks
            .get(&place.key)
            .map_or(0, |book| book.balance);
        Row::new(vec![
            html! { (place.rank) },
            html! { a href={ "/members/" (place.key.to_string()) } { (name) } },
            html! { (place.points) },
            html! { (balance) },
        ])
    });
    let around = |period: HalfYear| format!("/ranking?period={period}");
    let previous = HalfYear::new(
        period.year() - i32::from(period.half() == 1),
        3 - period.half(),
    );
    let next = HalfYear::new(
        period.year() + i32::from(period.half() == 2),
        3 - period.half(),
    );
    let body = html! {
        p #ranking-period {
            b { (period_label(lang, period)) }
            @if let Some(previous) = previous { " · " a href=(around(previous)) { (t(lang, "上一期", "Previous")) } }
            @if let Some(next) = next { " · " a href=(around(next)) { (t(lang, "下一期", "Next")) } }
        }
        p.muted { (t(lang,
            "按本期存入的积分排名（作废的不计），积分相同名次相同；本期没有积分的党员不上榜。",
            "Ranked by the points earned in the period (voided ones not counted); equal points share a place; members without points are not listed.")) }
        @if ranked.is_empty() {
            p.empty #ranking-empty { (t(lang, "本期暂无积分", "No points in this period yet")) }
        } @else {
            (table(lang, Some("ranking"), &heads, rows.collect()))
        }
    };
    page(
        lang,
        t(lang, "积分排行", "Points ranking"),
        status,
        "/ranking",
        body,
    )
}

/// A kind of service as the pages name it.
pub fn item_label(lang: Language, item: ScoringItem) -> &'static str {
    t(lang, item.label_zh(), item.label_en())
}

fn unit_label(lang: Language, unit: ScoringUnit) -> &'static str {
    t(lang, unit.label_zh(), unit.label_en())
}

fn period_label(lang: Language, period: HalfYear) -> String {
    match lang {
        Language::Chinese => period.label_zh(),
        Language::English => period.to_string(),
    }
}

/// A rate as people say it; an item not set is scored by its category's hourly rate.
fn rate_text(lang: Language, rate: Option<&ScoringRate>) -> String {
    match (lang, rate) {
        (Language::Chinese, Some(rate)) => format!("{}{} 分", rate.per.label_zh(), rate.points),
        (Language::English, Some(rate)) => format!("{} {}", rate.points, rate.per.label_en()),
        (Language::Chinese, None) => format!(
            "未设置：按服务类别每小时计分（默认 {} 分）",
            CommunityRules::DEFAULT_POINTS_PER_HOUR
        ),
        (Language::English, None) => format!(
            "not set: by its category's points per hour (default {})",
            CommunityRules::DEFAULT_POINTS_PER_HOUR
        ),
    }
}

fn left_text(lang: Language, view: &CommunityView, id: BenefitId) -> String {
    view.benefit_left(id).map_or_else(
        || t(lang, "不限", "no limit").to_owned(),
        |left| left.to_string(),
    )
}

fn state_label(lang: Language, benefit: &Benefit) -> &'static str {
    if benefit.is_active() {
        t(lang, "可兑换", "available")
    } else {
        t(lang, "已撤下", "withdrawn")
    }
}

/// The markup of a select of benefits, for the redeem forms.
pub fn benefit_select(filled: &Filled<'_>, view: &CommunityView) -> Markup {
    let lang = filled.lang;
    let choices = benefit_choices(lang, view);
    html! {
        (filled.select("benefit", t(lang, "兑换福利", "Benefit"), choices.iter().map(|(v, l)| (v.as_str(), l.as_str()))))
        @if choices.len() == 1 {
            p.muted #no-benefits {
                (t(lang, "福利目录里还没有可兑换的福利：", "The catalogue has no benefit to choose yet: "))
                a href="/benefits" { (t(lang, "添加福利", "add one")) }
            }
        }
    }
}
