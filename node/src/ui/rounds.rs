//! The pages of collection rounds (分批, 第一批 · 第二批 …): the list of rounds with the
//! form that opens one, one round with its wishes and the button that closes it, and
//! what the other pages take from rounds — the filter links of the wish tree and the
//! board (`?round=`), the round choice of the wish form, the form on a wish's page that
//! moves it to another round, and a wish's round by name (a wish recorded before
//! rounds, or outside every round, is 未分批).

use std::borrow::Cow;

use maud::{Markup, html};
use wishtree_protocol::id::{RoundId, WishId};
use wishtree_protocol::model::{Round, round_open_on};
use wishtree_protocol::names::Language;
use wishtree_protocol::view::CommunityView;
use wishtree_protocol::{Date, Timestamp};

use super::forms::{Filled, Form, Refusal};
use super::html::{StatusBar, page, post_form, submit, t};
use super::ledger::{Adding, Ledger, ListAsked, Value, record_table};
use crate::api::{RoundFilter, UNASSIGNED, rounds_in_order, wishes_in};

/// The rounds, the earliest first, with the form that opens one.
pub fn rounds_page(asked: ListAsked<'_>) -> String {
    let filled = &asked.filled;
    let lang = filled.lang;
    let fields = html! {
        (filled.required("name", t(lang, "批次名称（例如 第一批）", "Name (e.g. first round)")))
        (filled.required("opens", t(lang, "开始日期（例如 2026-11-01）", "Opens on (e.g. 2026-11-01)")))
        (filled.input("closes", t(lang, "截止日期（未定可不填）", "Closes on (empty while not known)")))
        p.muted { (t(lang,
            "登记心愿时按登记日期自动归入当天所在的批次，也可在心愿表单里另选；各批次的日期不能重叠。",
            "A wish goes in the round open on the day it is recorded, or the one chosen on the wish form; rounds' days may not overlap.")) }
    };
    round_ledger(lang, asked.view, today()).page_adding(&asked, &ADD_ROUND, fields)
}

/// The form under the list of rounds.
const ADD_ROUND: Adding = Adding {
    id: "round-form",
    title: ("新建批次", "Open a round"),
    button: ("新建", "Open"),
};

/// The rounds as a ledger: the list page's table and, built in Chinese, its CSV.
pub fn round_ledger(
    lang: Language,
    view: &CommunityView,
    today: Date,
) -> Ledger<'_, (RoundId, &Round)> {
    Ledger::new(
        "rounds",
        t(lang, "心愿征集批次", "Collection rounds"),
        rounds_in_order(view),
    )
    .column(t(lang, "批次", "Round"), |(id, round)| {
        Value::link(format!("/rounds/{id}"), round.name.clone())
    })
    .column(t(lang, "开始日期", "Opens"), |(_, round)| {
        Value::text(round.opens.to_string())
    })
    .column(t(lang, "截止日期", "Closes"), move |(_, round)| {
        Value::text(closes_text(lang, round))
    })
    .column(t(lang, "状态", "State"), move |(_, round)| {
        Value::text(state_text(lang, round, today))
    })
    .column(t(lang, "心愿数", "Wishes"), move |(id, _)| {
        Value::number(wishes_in(view, *id))
    })
    .closed_when(move |(_, round)| round.is_closed_on(today))
}

/// One round: its days, its state, its wishes, and while it is open the form that
/// closes it today.
pub fn round_page(
    lang: Language,
    view: &CommunityView,
    id: RoundId,
    status: &StatusBar,
    form: &Form,
    refusal: Option<&Refusal>,
) -> Option<String> {
    let round = view.rounds.get(&id)?;
    let today = today();
    let filled = Filled::new(lang, form, refusal);
    let rows = [
        (
            t(lang, "开始日期", "Opens"),
            html! { (round.opens.to_string()) },
        ),
        (
            t(lang, "截止日期", "Closes"),
            html! { (closes_text(lang, round)) },
        ),
        (
            t(lang, "状态", "State"),
            html! { span #record-state { (state_text(lang, round, today)) } },
        ),
        (
            t(lang, "心愿数", "Wishes"),
            html! { a #round-wishes href={ "/?round=" (id) } { (wishes_in(view, id)) } },
        ),
    ];
    let close = html! {
        @if round.can_close_on(today) {
            (post_form("card", &format!("/rounds/{id}/close"), Some("close-form"), html! {
                (filled.summary())
                p { (t(lang, "截止后，今天以后登记的心愿不再自动归入这一批次。", "Once closed, wishes recorded after today no longer go in this round.")) }
                (submit(t(lang, "今天截止", "Close today")))
            }))
        } @else {
            (filled.summary())
        }
    };
    let wishes: Vec<_> = view
        .wishes
        .iter()
        .filter(|(_, wish)| wish.entity.round == Some(id))
        .collect();
    let body = html! {
        (record_table("round-record", &rows))
        (close)
        h2 { (t(lang, "本批次的心愿", "Wishes of this round")) }
        @if wishes.is_empty() {
            p.empty { (t(lang, "本批次还没有心愿", "No wishes in this round yet")) }
        } @else {
            ul #round-wish-list {
                @for (wish_id, wish) in wishes {
                    li { a href={ "/wishes/" (wish_id) } { (wish.entity.title) } }
                }
            }
        }
    };
    Some(page(lang, &round.name, status, "/rounds", body))
}

/// The links that cut a page's wishes by round (`{path}?round=`), the one shown
/// marked; none while the community has no rounds.
pub fn round_filter(
    lang: Language,
    view: &CommunityView,
    path: &str,
    shown: RoundFilter,
) -> Markup {
    let mut choices = vec![(
        RoundFilter::Every,
        t(lang, "全部批次", "Every round").to_owned(),
    )];
    choices.extend(
        rounds_in_order(view)
            .into_iter()
            .map(|(id, round)| (RoundFilter::In(id), round.name.clone())),
    );
    choices.push((
        RoundFilter::Unassigned,
        t(lang, "未分批", "No round").to_owned(),
    ));
    html! {
        @if !view.rounds.is_empty() {
            p.no-print #round-filter {
                (t(lang, "按批次：", "By round: "))
                @for (filter, label) in choices {
                    @let href = match filter {
                        RoundFilter::Every => path.to_owned(),
                        other => format!("{path}?round={}", other.query_value()),
                    };
                    a href=(href) class=[(filter == shown).then_some("current")] { (label) } " "
                }
            }
        }
    }
}

/// The view with only the wishes `filter` admits, for a page cut by round.
pub fn cut(view: &CommunityView, filter: RoundFilter) -> Cow<'_, CommunityView> {
    if filter == RoundFilter::Every {
        return Cow::Borrowed(view);
    }
    let mut cut = view.clone();
    cut.wishes
        .retain(|_, wish| filter.admits(wish.entity.round));
    Cow::Owned(cut)
}

/// The round choices of the wish form: by the day it is recorded first (naming the
/// round open today), then every round.
pub fn round_choices(lang: Language, view: &CommunityView) -> Vec<(String, String)> {
    let open_today = round_open_on(&view.rounds, today()).and_then(|id| view.rounds.get(&id));
    let automatic = match (lang, open_today) {
        (Language::Chinese, Some(round)) => format!("按登记日期自动归入（今天属于{}）", round.name),
        (Language::Chinese, None) => "按登记日期自动归入（今天不在任何批次，未分批）".to_owned(),
        (Language::English, Some(round)) => format!("By the day recorded (today: {})", round.name),
        (Language::English, None) => "By the day recorded (today: no round)".to_owned(),
    };
    std::iter::once((String::new(), automatic))
        .chain(
            rounds_in_order(view)
                .into_iter()
                .map(|(id, round)| (id.to_string(), round.name.clone())),
        )
        .collect()
}

/// The form on wish `id`'s page that moves it to another round (posted to
/// `/wishes/{id}/round`): every round but its own, and 未分批 if it is in one; nothing
/// while the community has no round.
pub fn move_wish_form(
    filled: &Filled<'_>,
    view: &CommunityView,
    id: WishId,
    current: Option<RoundId>,
) -> Markup {
    if view.rounds.is_empty() {
        return html! {};
    }
    let lang = filled.lang;
    let mut choices = vec![(
        String::new(),
        t(lang, "请选择批次", "Choose a round").to_owned(),
    )];
    choices.extend(
        rounds_in_order(view)
            .into_iter()
            .filter(|(round, _)| Some(*round) != current)
            .map(|(round, named)| (round.to_string(), named.name.clone())),
    );
    if current.is_some() {
        choices.push((
            UNASSIGNED.to_owned(),
            t(lang, "未分批", "No round").to_owned(),
        ));
    }
    let options = choices
        .iter()
        .map(|(value, label)| (value.as_str(), label.as_str()));
    post_form(
        "inline",
        &format!("/wishes/{id}/round"),
        Some("round-form"),
        html! {
            (filled.select("round", t(lang, "调整征集批次", "Move to another round"), options))
            button #action-round type="submit" { (t(lang, "调整批次", "Move")) }
        },
    )
}

/// A wish's round by name, 未分批 for none.
pub fn round_name(lang: Language, view: &CommunityView, round: Option<RoundId>) -> String {
    round.and_then(|id| view.rounds.get(&id)).map_or_else(
        || t(lang, "未分批", "No round").to_owned(),
        |round| round.name.clone(),
    )
}

fn today() -> Date {
    Timestamp::date_in_shanghai(crate::now())
}

fn closes_text(lang: Language, round: &Round) -> String {
    round.closes.map_or_else(
        || t(lang, "未定", "Not set").to_owned(),
        |closes| closes.to_string(),
    )
}

fn state_text(lang: Language, round: &Round, today: Date) -> &'static str {
    if round.is_closed_on(today) {
        t(lang, "已截止", "Closed")
    } else if round.closes == Some(today) {
        t(lang, "今天截止", "Closes today")
    } else if today < round.opens {
        t(lang, "未开始", "Not open yet")
    } else {
        t(lang, "征集中", "Collecting")
    }
}
