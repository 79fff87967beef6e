//! The wish apple tree (心愿苹果树): published wishes hang as green apples, claimed ones
//! turn red, fulfilled ones are harvested into the basket — and the pages around it:
//! one wish with its history and actions, and the intake form (群众点单).

use maud::{Markup, html};
use wishtree_protocol::id::WishId;
use wishtree_protocol::lifecycle::{ClaimState, ClaimStatus, Outcome};
use wishtree_protocol::model::{Actor, BeneficiaryGroup, Wish, WishKind};
use wishtree_protocol::names::Language;
use wishtree_protocol::view::{CommunityView, WithStatus};

use super::closing::{Closing, closed_count};
use super::forms::{Filled, Form, NOTHING_TYPED, Refusal};
use super::html::{Row, StatusBar, csv_link, page, post_form, submit, t, words};
use super::paging::Page;
use crate::api::RoundFilter;
use crate::store::ResidentPrivate;

/// The fields of the wish form a worker may leave empty, as `(name, 中文, English)`: the
/// resident's name and phone stay on this node only.
const OPTIONAL_WISH_FIELDS: [(&str, &str, &str); 3] = [
    (
        "resident_name",
        "居民姓名（仅保存在本机）",
        "Resident's name (kept on this node only)",
    ),
    (
        "resident_phone",
        "联系电话（仅保存在本机）",
        "Phone (kept on this node only)",
    ),
    (
        "estimated_value",
        "估价（元，可不填，例如 400）",
        "Estimated value in yuan (optional, e.g. 400)",
    ),
];

/// The home page: the tree, the basket, and the wishes waiting for each step.
pub fn tree_page(
    lang: Language,
    whole: &CommunityView,
    status: &StatusBar,
    notice: Option<&str>,
    round: RoundFilter,
) -> String {
    let view = &*super::rounds::cut(whole, round);
    let mut on_tree: Vec<(&WishId, &WithStatus<Wish, ClaimStatus>)> = view
        .wishes
        .iter()
        .filter(|(_, w)| w.status.is_on_tree())
        .collect();
    on_tree.sort_by_key(|(id, w)| (w.entity.submitted_at, **id));
    let harvested = view
        .wishes
        .values()
        .filter(|w| w.status.state == ClaimState::Fulfilled)
        .count();
    let claimants = wish_claimant_options(view);
    let sections = [
        (
            ClaimState::Submitted,
            t(lang, "待审核（群众点单）", "Submitted, to review"),
        ),
        (
            ClaimState::Published,
            t(lang, "待认领（绿苹果）", "Published, waiting for a claim"),
        ),
        (ClaimState::Claimed, t(lang, "已认领（红苹果）", "Claimed")),
        (
            ClaimState::Fulfilled,
            t(lang, "已实现（果篮）", "Fulfilled"),
        ),
    ];
    let body = html! {
        @if let Some(notice) = notice {
            p.notice { (notice) }
        }
        (super::rounds::round_filter(lang, whole, "/", round))
        div.tree {
            (tree_svg(lang, &on_tree, harvested))
            div {
                // Drawn marks, not emoji: not every office PC has an emoji font, and the
                // tick tells a claimed apple from a waiting one without colour.
                p.legend {
                    span { (legend_apple(false)) (t(lang, "绿苹果：待认领", "green: waiting for a claim")) }
                    span { (legend_apple(true)) (t(lang, "红苹果（带勾）：已认领", "red, ticked: claimed")) }
                    span { (t(lang, "果篮：已实现", "basket: fulfilled")) }
                }
                @for (state, heading) in sections {
                    (wish_section(lang, view, state, heading, &claimants))
                }
                p.no-print {
                    a #ledger-csv href="/wishes.csv" {
                        (t(lang, "下载本半年心愿台账（CSV）", "Download this half-year's wish ledger (CSV)"))
                    }
                }
                p {
                    a #closed-link href="/wishes/closed" {
                        (t(lang, "已关闭的心愿（驳回、撤回）", "Closed wishes (rejected, withdrawn)"))
                        " (" (closed_count(view)) ")"
                    }
                }
            }
        }
    };
    page(lang, t(lang, "心愿树", "Wish tree"), status, "/", body)
}

/// One wish: its fields, the resident (private, shown on this node only), its history
/// with what became of each event, and the actions its state allows.
pub fn wish_page(
    lang: Language,
    view: &CommunityView,
    id: WishId,
    resident: Option<&ResidentPrivate>,
    status: &StatusBar,
    refusal: Option<&Refusal>,
) -> Option<String> {
    let filled = Filled::new(lang, &NOTHING_TYPED, refusal);
    let wish = view.wishes.get(&id)?;
    let mut rows: Vec<(&str, String)> = vec![
        (t(lang, "心愿", "Wish"), wish.entity.title.clone()),
        (t(lang, "详情", "Detail"), wish.entity.detail.clone()),
        (
            t(lang, "类型", "Kind"),
            kind_label(lang, wish.entity.kind).to_owned(),
        ),
        (
            t(lang, "困难群体", "Group"),
            group_label(lang, wish.entity.group).to_owned(),
        ),
        (
            t(lang, "居民", "Resident"),
            wish.entity.resident_label.clone(),
        ),
    ];
    if let Some(resident) = resident {
        rows.push((
            t(
                lang,
                "居民姓名（仅本机）",
                "Resident's name (this node only)",
            ),
            resident.real_name.clone(),
        ));
        rows.push((
            t(lang, "联系电话（仅本机）", "Phone (this node only)"),
            resident.phone.clone(),
        ));
        if !resident.address.is_empty() {
            rows.push((
                t(lang, "住址（仅本机）", "Address (this node only)"),
                resident.address.clone(),
            ));
        }
    }
    if let Some(value) = wish.entity.estimated_value {
        rows.push((
            t(lang, "估价（元）", "Estimated value (yuan)"),
            value.to_string(),
        ));
    }
    rows.push((
        t(lang, "提交时间", "Submitted"),
        wish.entity.submitted_at.display_in_shanghai().to_string(),
    ));
    rows.push((
        t(lang, "征集批次", "Collection round"),
        super::rounds::round_name(lang, view, wish.entity.round),
    ));
    if let Some(claimant) = &wish.status.claimant {
        rows.push((t(lang, "认领人", "Claimed by"), actor_name(view, claimant)));
    }
    let history = words(
        lang,
        &[
            ("时间", "When"),
            ("操作", "What"),
            ("操作人", "Who"),
            ("结果", "Outcome"),
        ],
    );
    let history_rows = wish
        .status
        .history
        .iter()
        .map(|folded| Row {
            class: None,
            cells: vec![
                html! { (folded.event.at.display_in_shanghai().to_string()) },
                html! {
                    @match lang {
                        Language::Chinese => (folded.event.kind.label_zh()),
                        Language::English => (folded.event.kind.label_en()),
                    }
                    // The note is the reason of a rejection or withdrawal, or how a
                    // wish was fulfilled: it belongs with the step.
                    @if !folded.event.note.is_empty() {
                        div.note { (folded.event.note) }
                    }
                },
                html! { (actor_name(view, &folded.event.by)) },
                html! {
                    @match &folded.outcome {
                        Outcome::Applied => (t(lang, "生效", "applied")),
                        Outcome::Ignored { refusal } => span.flag {
                            @match lang {
                                Language::Chinese => { "未生效：" (refusal.describe_zh()) }
                                Language::English => { "ignored: " (refusal.to_string()) }
                            }
                        },
                    }
                },
            ],
        })
        .collect();
    let body = html! {
        (filled.summary())
        p #wish-state data-state=(wish.status.state.code()) {
            b { (state_label(lang, wish.status.state)) }
        }
        table {
            @for (head, value) in &rows {
                tr { th { (head) } td { (value) } }
            }
        }
        (actions(&filled, view, id, wish.status.state))
        (super::rounds::move_wish_form(&filled, view, id, wish.entity.round))
        h2 { (t(lang, "办理经过", "History")) }
        (super::html::table(lang, Some("history"), &history, history_rows))
    };
    Some(page(lang, &wish.entity.title, status, "/", body))
}

/// The intake form (群众点单), with the values of a refused attempt kept.
pub fn new_wish_page(
    lang: Language,
    view: &CommunityView,
    form: &Form,
    status: &StatusBar,
    refusal: Option<&Refusal>,
) -> String {
    let filled = Filled::new(lang, form, refusal);
    let rounds = super::rounds::round_choices(lang, view);
    let kinds = WishKind::ALL
        .iter()
        .map(|kind| (kind.code(), kind_label(lang, *kind)));
    let groups = BeneficiaryGroup::ALL
        .iter()
        .map(|group| (group.code(), group_label(lang, *group)));
    let fields = html! {
        (filled.summary())
        (filled.required(
            "title",
            t(lang, "心愿（例如：希望有一台微波炉）", "Wish (e.g. a microwave)"),
        ))
        label for="detail" { (t(lang, "详情", "Detail")) }
        textarea #detail name="detail" rows="3" { (form.value("detail")) }
        (filled.error("detail"))
        (filled.select("kind", t(lang, "类型", "Kind"), kinds))
        (filled.select("group", t(lang, "困难群体", "Group"), groups))
        (filled.required(
            "resident_label",
            t(lang, "公开称呼（例如：行宫社区 彭女士）", "Public label (e.g. Ms Peng)"),
        ))
        @for (name, zh, en) in OPTIONAL_WISH_FIELDS {
            (filled.input(name, t(lang, zh, en)))
        }
        @if !view.rounds.is_empty() {
            (filled.select("round", t(lang, "征集批次", "Collection round"),
                rounds.iter().map(|(value, label)| (value.as_str(), label.as_str()))))
        }
        (submit(t(lang, "登记", "Record")))
    };
    let body = html! {
        (post_form("card", "/wishes", Some("wish-form"), fields))
    };
    page(
        lang,
        t(lang, "群众点单：登记微心愿", "Record a resident's wish"),
        status,
        "/wishes/new",
        body,
    )
}

/// The name of an actor as people know it.
pub fn actor_name(view: &CommunityView, actor: &Actor) -> String {
    match actor {
        Actor::Member(id) => view.members.get(id).map_or_else(
            || format!("党员 {}", &id.to_string()[..8]),
            |m| m.name.clone(),
        ),
        Actor::Org(id) => view.orgs.get(id).map_or_else(
            || format!("组织 {}", &id.to_string()[..8]),
            |o| o.name.clone(),
        ),
        // The worker's label (退休党员 王老师), not the name kept in the private tables:
        // this is what the board and every list show.
        Actor::Volunteer(id) => view.volunteers.get(id).map_or_else(
            || format!("志愿者 {}", &id.to_string()[..8]),
            |v| v.label.clone(),
        ),
        Actor::Worker(name) => name.clone(),
        // Their name is in their own community's document, which this node does not
        // hold: the member is named by their home community and id.
        Actor::Outside(home, id) => format!("社区 {home} 的党员 {}", &id.to_string()[..8]),
    }
}

/// The Chinese or English label of a wish state.
pub fn state_label(lang: Language, state: ClaimState) -> &'static str {
    match lang {
        Language::Chinese => state.label_zh(),
        Language::English => state.label_en(),
    }
}

fn kind_label(lang: Language, kind: WishKind) -> &'static str {
    match lang {
        Language::Chinese => kind.label_zh(),
        Language::English => kind.label_en(),
    }
}

fn group_label(lang: Language, group: BeneficiaryGroup) -> &'static str {
    match lang {
        Language::Chinese => group.label_zh(),
        Language::English => group.label_en(),
    }
}

/// The apple tree as SVG: apples placed on a sunflower spiral inside the canopy, in
/// submission order, so an apple keeps its place as the tree fills.
fn tree_svg(
    lang: Language,
    on_tree: &[(&WishId, &WithStatus<Wish, ClaimStatus>)],
    harvested: usize,
) -> Markup {
    const GOLDEN_ANGLE: f64 = 2.399_963_229_728_653;
    let count = on_tree.len().max(1) as f64;
    let radius = (16.0 * (30.0 / count).sqrt()).clamp(7.0, 16.0);
    let apples = on_tree.iter().enumerate().map(|(index, (id, wish))| {
        let r = ((index as f64 + 0.5) / count).sqrt();
        let angle = index as f64 * GOLDEN_ANGLE;
        let x = 300.0 + 235.0 * r * angle.cos();
        let y = 230.0 + 165.0 * r * angle.sin();
        let (class, state) = if wish.status.state == ClaimState::Claimed {
            ("apple-red", "claimed")
        } else {
            ("apple-green", "published")
        };
        (**id, &wish.entity.title, x, y, class, state)
    });
    html! {
        svg #apple-tree viewBox="0 0 600 560" role="img" aria-label=(t(lang, "心愿苹果树", "wish apple tree")) {
            rect x="270" y="330" width="60" height="190" fill="#795548" {}
            ellipse cx="300" cy="230" rx="270" ry="200" fill="#a5d6a7" {}
            ellipse cx="210" cy="200" rx="150" ry="130" fill="#81c784" opacity=".6" {}
            ellipse cx="400" cy="210" rx="150" ry="130" fill="#81c784" opacity=".6" {}
            @for (id, title, x, y, class, state) in apples {
                a href={ "/wishes/" (id.to_string()) } {
                    g class="apple" id={ "apple-" (id.to_string()) } data-state=(state) {
                        title { (title) }
                        line x1=(format!("{x:.1}")) y1=(format!("{:.1}", y - radius))
                            x2=(format!("{:.1}", x + radius * 0.4)) y2=(format!("{:.1}", y - radius * 1.6))
                            stroke="#5d4037" stroke-width="2" {}
                        circle class=(class) cx=(format!("{x:.1}")) cy=(format!("{y:.1}")) r=(format!("{radius:.1}")) {}
                        @if state == "claimed" {
                            (tick(x, y, radius))
                        }
                    }
                }
            }
            g #basket data-count=(harvested) {
                path d="M420 470 h150 l-20 70 h-110 z" fill="#d7a86e" stroke="#8d6e63" stroke-width="3" {}
                text x="495" y="515" text-anchor="middle" font-size="20" fill="#4e342e" {
                    (t(lang, "已实现", "fulfilled")) " " (harvested)
                }
            }
        }
    }
}

/// The wishes in one state, the newest first, `list_page` of them, on a page of
/// their own: where the tree's lists lead when they hold more than one page.
pub fn state_page(
    lang: Language,
    view: &CommunityView,
    state: ClaimState,
    status: &StatusBar,
    list_page: Option<&str>,
) -> String {
    let claimants = wish_claimant_options(view);
    let wishes = wishes_in(view, state);
    let shown = Page::of(list_page, wishes.len());
    let path = format!("/wishes/in/{}", state.code());
    let body = html! {
        p { a href="/" { (t(lang, "返回心愿树", "Back to the wish tree")) } }
        (wish_list(lang, view, state, shown.slice(wishes), &claimants))
        (shown.links(lang, &path, &format!("list-{}", state.code())))
        (csv_link(lang, "wishes-csv", "/wishes.csv"))
    };
    page(lang, state_label(lang, state), status, "/", body)
}

/// A section of the tree page: the first page of the wishes in `state`, and a link to
/// the rest when there are more.
fn wish_section(
    lang: Language,
    view: &CommunityView,
    state: ClaimState,
    heading: &str,
    claimants: &[(String, String)],
) -> Markup {
    let wishes = wishes_in(view, state);
    let total = wishes.len();
    let first = Page::of(None, total);
    html! {
        h2 { (heading) " " span.muted { "(" (total) ")" } }
        (wish_list(lang, view, state, first.slice(wishes), claimants))
        @if first.count > 1 {
            p.pager {
                a href={ "/wishes/in/" (state.code()) "?page=2#list-" (state.code()) } {
                    @match lang {
                        Language::Chinese => { "下一页（共 " (total) " 个）" }
                        Language::English => { "Next page (" (total) " in all)" }
                    }
                }
            }
        }
    }
}

/// The wishes in `state`, the newest first.
fn wishes_in(
    view: &CommunityView,
    state: ClaimState,
) -> Vec<(&WishId, &WithStatus<Wish, ClaimStatus>)> {
    let mut wishes: Vec<_> = view
        .wishes
        .iter()
        .filter(|(_, w)| w.status.state == state)
        .collect();
    wishes.sort_by_key(|(id, w)| (std::cmp::Reverse(w.entity.submitted_at), **id));
    wishes
}

fn wish_list(
    lang: Language,
    view: &CommunityView,
    state: ClaimState,
    wishes: Vec<(&WishId, &WithStatus<Wish, ClaimStatus>)>,
    claimants: &[(String, String)],
) -> Markup {
    html! {
        @if wishes.is_empty() {
            p.empty { (t(lang, "暂无", "None yet")) }
        } @else {
            ul.wishes id={ "list-" (state.code()) } {
                @for (id, wish) in wishes {
                    li {
                        a href={ "/wishes/" (id.to_string()) } { (wish.entity.title) }
                        " "
                        span.muted {
                            (wish.entity.resident_label) " · " (group_label(lang, wish.entity.group))
                        }
                        @if let Some(claimant) = &wish.status.claimant {
                            " — " (actor_name(view, claimant))
                        }
                        @if state == ClaimState::Published {
                            (claim_form(&Filled::new(lang, &NOTHING_TYPED, None), &format!("/wishes/{id}/claim"), claimants, claim_label(lang)))
                        }
                    }
                }
            }
        }
    }
}

fn actions(filled: &Filled, view: &CommunityView, id: WishId, state: ClaimState) -> Markup {
    let lang = filled.lang;
    // The steps that end or undo a wish open their confirmation page first.
    let button = |closing: Closing| {
        html! {
            a.button.secondary id={ "action-" (closing.code()) }
                href={ "/wishes/" (id.to_string()) "/" (closing.code()) } { (closing.label(lang)) }
        }
    };
    let withdraw = button(Closing::Withdraw);
    html! {
        div.card #actions {
            @match state {
                ClaimState::Submitted => {
                    (post_form("inline", &format!("/wishes/{id}/publish"), None, html! {
                        button type="submit" #action-publish { (t(lang, "发布（社区下单）", "Publish")) }
                    }))
                    (button(Closing::Reject))
                    (withdraw)
                }
                ClaimState::Published => {
                    (claim_form(filled, &format!("/wishes/{id}/claim"), &wish_claimant_options(view), claim_label(lang)))
                    (withdraw)
                }
                ClaimState::Claimed => {
                    (post_form("inline", &format!("/wishes/{id}/fulfil"), None, html! {
                        input name="note" aria-label=(t(lang, "如何实现的（可不填）", "How it was fulfilled (optional)")) placeholder=(t(lang, "如何实现的（可不填）", "How it was fulfilled (optional)")) style="max-width:20rem";
                        button type="submit" #action-fulfil { (t(lang, "已实现", "Fulfilled")) }
                    }))
                    (button(Closing::Release))
                    (withdraw)
                }
                ClaimState::Fulfilled | ClaimState::Rejected | ClaimState::Withdrawn => {
                    span.muted { (t(lang, "已结束", "Closed")) }
                }
            }
        }
    }
}

/// The claim form posting to `action` (a wish's or a post seat's): nobody is chosen
/// until the worker chooses (请选择认领人), so one click cannot claim for the first
/// name on the list.
pub fn claim_form(
    filled: &Filled,
    action: &str,
    claimants: &[(String, String)],
    button: &str,
) -> Markup {
    let lang = filled.lang;
    post_form(
        "inline claim",
        action,
        None,
        html! {
            select name="by" aria-label=(t(lang, "认领人", "Claimant")) style="max-width:14rem" {
                option value="" selected { (t(lang, "请选择认领人", "Choose who claims")) }
                @for (value, label) in claimants {
                    option value=(value) { (label) }
                }
            }
            button.claim-button type="submit" { (button) }
            (filled.error("by"))
        },
    )
}

/// The words of a wish's claim button.
fn claim_label(lang: Language) -> &'static str {
    t(lang, "认领（党员接单）", "Claim")
}

/// Members and organisations who may claim a post, as (`member:<id>` / `org:<id>`,
/// name): a volunteer holds no post seat.
pub fn claimant_options(view: &CommunityView) -> Vec<(String, String)> {
    let mut options = sorted_options(
        view.members
            .iter()
            .map(|(id, m)| (format!("member:{id}"), m.name.clone())),
    );
    options.extend(org_options(view));
    options
}

/// Who may claim a wish: members, then volunteers (离退休党员, 学生党员,
/// 社区公益爱心人士) by their label and kind, then organisations.
pub fn wish_claimant_options(view: &CommunityView) -> Vec<(String, String)> {
    let mut options = sorted_options(
        view.members
            .iter()
            .map(|(id, m)| (format!("member:{id}"), m.name.clone())),
    );
    options.extend(sorted_options(view.volunteers.iter().map(|(id, v)| {
        let label = format!("{}（{}）", v.label, v.kind.label_zh());
        (format!("volunteer:{id}"), label)
    })));
    options.extend(org_options(view));
    options
}

fn org_options(view: &CommunityView) -> Vec<(String, String)> {
    sorted_options(
        view.orgs
            .iter()
            .map(|(id, o)| (format!("org:{id}"), format!("{}（单位）", o.name))),
    )
}

fn sorted_options(options: impl Iterator<Item = (String, String)>) -> Vec<(String, String)> {
    let mut options: Vec<(String, String)> = options.collect();
    super::collate::sort_by_pinyin(&mut options, |(_, name)| name);
    options
}

/// A white tick on a claimed apple, so its state shows without colour.
fn tick(x: f64, y: f64, radius: f64) -> Markup {
    let path = format!(
        "M{:.1} {:.1} L{:.1} {:.1} L{:.1} {:.1}",
        x - radius * 0.5,
        y,
        x - radius * 0.1,
        y + radius * 0.4,
        x + radius * 0.55,
        y - radius * 0.45,
    );
    html! {
        path.tick d=(path) fill="none" stroke="#fff" stroke-width=(format!("{:.1}", (radius / 4.0).max(2.0))) stroke-linecap="round" {}
    }
}

/// An apple as the legend draws it: the tree's shape, ticked when claimed.
fn legend_apple(is_claimed: bool) -> Markup {
    let class = if is_claimed {
        "apple-red"
    } else {
        "apple-green"
    };
    html! {
        svg width="22" height="22" viewBox="0 0 22 22" aria-hidden="true" {
            circle class=(class) cx="11" cy="11" r="9" {}
            @if is_claimed { (tick(11.0, 11.0, 9.0)) }
        }
    }
}
