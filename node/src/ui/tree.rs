//! The wish apple tree (心愿苹果树): published wishes hang as green apples, claimed ones
//! turn red, fulfilled ones are harvested into the basket — and the pages around it:
//! one wish with its history and actions, and the intake form (群众点单).

use std::fmt::Write;

use wishtree_protocol::id::WishId;
use wishtree_protocol::lifecycle::{ClaimState, ClaimStatus, Outcome};
use wishtree_protocol::model::{Actor, BeneficiaryGroup, Wish, WishKind};
use wishtree_protocol::names::Language;
use wishtree_protocol::view::{CommunityView, WithStatus};

use super::forms::WishForm;
use super::html::{Page, StatusBar, esc, t};

/// The home page: the tree, the basket, and the wishes waiting for each step.
pub fn tree_page(
    lang: Language,
    view: &CommunityView,
    status: &StatusBar,
    notice: Option<&str>,
) -> String {
    let mut page = Page::new(lang, t(lang, "心愿树", "Wish tree"));
    if let Some(notice) = notice {
        page.push_fmt(format_args!("<p class=\"notice\">{}</p>", esc(notice)));
    }
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
    page.push("<div class=\"tree\">");
    page.push(&tree_svg(lang, &on_tree, harvested));
    page.push("<div>");
    page.push_fmt(format_args!(
        "<p class=\"legend\"><span>🍏 {}</span><span>🍎 {}</span><span>🧺 {}</span></p>",
        t(lang, "绿苹果：待认领", "green: waiting for a claim"),
        t(lang, "红苹果：已认领", "red: claimed"),
        t(lang, "果篮：已实现", "basket: fulfilled"),
    ));
    let claimants = claimant_options(view);
    wish_section(
        &mut page,
        lang,
        view,
        ClaimState::Submitted,
        t(lang, "待审核（群众点单）", "Submitted, to review"),
        &claimants,
    );
    wish_section(
        &mut page,
        lang,
        view,
        ClaimState::Published,
        t(lang, "待认领（绿苹果）", "Published, waiting for a claim"),
        &claimants,
    );
    wish_section(
        &mut page,
        lang,
        view,
        ClaimState::Claimed,
        t(lang, "已认领（红苹果）", "Claimed"),
        &claimants,
    );
    wish_section(
        &mut page,
        lang,
        view,
        ClaimState::Fulfilled,
        t(lang, "已实现（果篮）", "Fulfilled"),
        &claimants,
    );
    page.push("</div></div>");
    page.finish(status, "/")
}

/// One wish: its fields, the resident (private, shown on this node only), its history
/// with what became of each event, and the actions its state allows.
pub fn wish_page(
    lang: Language,
    view: &CommunityView,
    id: WishId,
    resident: Option<(&str, &str)>,
    status: &StatusBar,
    error: Option<&str>,
) -> Option<String> {
    let wish = view.wishes.get(&id)?;
    let mut page = Page::new(lang, wish.entity.title.clone());
    if let Some(error) = error {
        page.push_fmt(format_args!(
            "<p class=\"error\" id=\"error\">{}</p>",
            esc(error)
        ));
    }
    page.push_fmt(format_args!(
        "<p id=\"wish-state\" data-state=\"{}\"><b>{}</b></p>",
        wish.status.state.code(),
        state_label(lang, wish.status.state)
    ));
    page.push("<table>");
    let row = |page: &mut Page, head: &str, value: &str| {
        page.push_fmt(format_args!(
            "<tr><th>{}</th><td>{}</td></tr>",
            esc(head),
            esc(value)
        ));
    };
    row(&mut page, t(lang, "心愿", "Wish"), &wish.entity.title);
    row(&mut page, t(lang, "详情", "Detail"), &wish.entity.detail);
    row(
        &mut page,
        t(lang, "类型", "Kind"),
        kind_label(lang, wish.entity.kind),
    );
    row(
        &mut page,
        t(lang, "困难群体", "Group"),
        group_label(lang, wish.entity.group),
    );
    row(
        &mut page,
        t(lang, "居民", "Resident"),
        &wish.entity.resident_label,
    );
    if let Some((name, phone)) = resident {
        row(
            &mut page,
            t(
                lang,
                "居民姓名（仅本机）",
                "Resident's name (this node only)",
            ),
            name,
        );
        row(
            &mut page,
            t(lang, "联系电话（仅本机）", "Phone (this node only)"),
            phone,
        );
    }
    if let Some(value) = wish.entity.estimated_value {
        row(
            &mut page,
            t(lang, "估价（元）", "Estimated value (yuan)"),
            &value.to_string(),
        );
    }
    row(
        &mut page,
        t(lang, "提交时间", "Submitted"),
        &wish.entity.submitted_at.display_in_shanghai().to_string(),
    );
    if let Some(claimant) = &wish.status.claimant {
        row(
            &mut page,
            t(lang, "认领人", "Claimed by"),
            &actor_name(view, claimant),
        );
    }
    page.push("</table>");
    page.push(&actions(lang, view, id, wish.status.state));

    page.push_fmt(format_args!(
        "<h2>{}</h2><table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        t(lang, "经过", "History"),
        t(lang, "时间", "When"),
        t(lang, "操作", "What"),
        t(lang, "操作人", "Who"),
        t(lang, "结果", "Outcome"),
    ));
    for folded in &wish.status.history {
        let outcome = match &folded.outcome {
            Outcome::Applied => t(lang, "生效", "applied").to_owned(),
            Outcome::Ignored { refusal } => match lang {
                Language::Chinese => format!("未生效：{}", refusal.describe_zh()),
                Language::English => format!("ignored: {refusal}"),
            },
        };
        let class = if matches!(folded.outcome, Outcome::Applied) {
            ""
        } else {
            " class=\"flag\""
        };
        page.push_fmt(format_args!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td{class}>{}</td></tr>",
            folded.event.at.display_in_shanghai(),
            esc(match lang {
                Language::Chinese => folded.event.kind.label_zh(),
                Language::English => folded.event.kind.label_en(),
            }),
            esc(&actor_name(view, &folded.event.by)),
            esc(&outcome),
        ));
        if !folded.event.note.is_empty() {
            page.push_fmt(format_args!(
                "<tr><td></td><td colspan=\"3\" class=\"muted\">{}</td></tr>",
                esc(&folded.event.note)
            ));
        }
    }
    page.push("</table>");
    Some(page.finish(status, "/"))
}

/// The intake form (群众点单), with the values of a refused attempt kept.
pub fn new_wish_page(
    lang: Language,
    form: &WishForm,
    status: &StatusBar,
    error: Option<&str>,
) -> String {
    let mut page = Page::new(
        lang,
        t(lang, "群众点单：登记微心愿", "Record a resident's wish"),
    );
    if let Some(error) = error {
        page.push_fmt(format_args!(
            "<p class=\"error\" id=\"error\">{}</p>",
            esc(error)
        ));
    }
    page.open_post_form(format_args!(
        "class=\"card\" action=\"/wishes\" id=\"wish-form\""
    ));
    text_input(
        &mut page,
        "title",
        t(
            lang,
            "心愿（例如：希望有一台微波炉）",
            "Wish (e.g. a microwave)",
        ),
        &form.title,
        true,
    );
    page.push_fmt(format_args!(
        "<label for=\"detail\">{}</label><textarea id=\"detail\" name=\"detail\" rows=\"3\">{}</textarea>",
        t(lang, "详情", "Detail"),
        esc(&form.detail)
    ));
    page.push_fmt(format_args!(
        "<label for=\"kind\">{}</label><select id=\"kind\" name=\"kind\">",
        t(lang, "类型", "Kind")
    ));
    for kind in WishKind::ALL {
        option(
            &mut page,
            kind.code(),
            kind_label(lang, *kind),
            form.kind == kind.code(),
        );
    }
    page.push_fmt(format_args!(
        "</select><label for=\"group\">{}</label><select id=\"group\" name=\"group\">",
        t(lang, "困难群体", "Group")
    ));
    for group in BeneficiaryGroup::ALL {
        option(
            &mut page,
            group.code(),
            group_label(lang, *group),
            form.group == group.code(),
        );
    }
    page.push("</select>");
    text_input(
        &mut page,
        "resident_label",
        t(
            lang,
            "公开称呼（例如：行宫社区 彭女士）",
            "Public label (e.g. Ms Peng)",
        ),
        &form.resident_label,
        true,
    );
    text_input(
        &mut page,
        "resident_name",
        t(
            lang,
            "居民姓名（仅保存在本机）",
            "Resident's name (kept on this node only)",
        ),
        &form.resident_name,
        false,
    );
    text_input(
        &mut page,
        "resident_phone",
        t(
            lang,
            "联系电话（仅保存在本机）",
            "Phone (kept on this node only)",
        ),
        &form.resident_phone,
        false,
    );
    text_input(
        &mut page,
        "estimated_value",
        t(
            lang,
            "估价（元，可不填）",
            "Estimated value in yuan (optional)",
        ),
        &form.estimated_value,
        false,
    );
    page.push_fmt(format_args!(
        "<p><button type=\"submit\">{}</button></p></form>",
        t(lang, "登记", "Record")
    ));
    page.finish(status, "/wishes/new")
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
        Actor::Worker(name) => name.clone(),
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
) -> String {
    const GOLDEN_ANGLE: f64 = 2.399_963_229_728_653;
    let mut svg = String::with_capacity(4096 + on_tree.len() * 256);
    let _ = write!(
        svg,
        "<svg id=\"apple-tree\" viewBox=\"0 0 600 560\" role=\"img\" aria-label=\"{}\">\
         <rect x=\"270\" y=\"330\" width=\"60\" height=\"190\" fill=\"#795548\"/>\
         <ellipse cx=\"300\" cy=\"230\" rx=\"270\" ry=\"200\" fill=\"#a5d6a7\"/>\
         <ellipse cx=\"210\" cy=\"200\" rx=\"150\" ry=\"130\" fill=\"#81c784\" opacity=\".6\"/>\
         <ellipse cx=\"400\" cy=\"210\" rx=\"150\" ry=\"130\" fill=\"#81c784\" opacity=\".6\"/>",
        t(lang, "心愿苹果树", "wish apple tree")
    );
    let count = on_tree.len().max(1) as f64;
    let radius = (16.0 * (30.0 / count).sqrt()).clamp(7.0, 16.0);
    for (index, (id, wish)) in on_tree.iter().enumerate() {
        let r = ((index as f64 + 0.5) / count).sqrt();
        let angle = index as f64 * GOLDEN_ANGLE;
        let x = 300.0 + 235.0 * r * angle.cos();
        let y = 230.0 + 165.0 * r * angle.sin();
        let (class, state) = if wish.status.state == ClaimState::Claimed {
            ("apple-red", "claimed")
        } else {
            ("apple-green", "published")
        };
        let _ = write!(
            svg,
            "<a href=\"/wishes/{id}\"><g class=\"apple\" id=\"apple-{id}\" data-state=\"{state}\">\
             <title>{}</title>\
             <line x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#5d4037\" stroke-width=\"2\"/>\
             <circle class=\"{class}\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{radius:.1}\"/></g></a>",
            esc(&wish.entity.title),
            y - radius,
            x + radius * 0.4,
            y - radius * 1.6,
        );
    }
    let _ = write!(
        svg,
        "<g id=\"basket\" data-count=\"{harvested}\"><path d=\"M420 470 h150 l-20 70 h-110 z\" fill=\"#d7a86e\" stroke=\"#8d6e63\" stroke-width=\"3\"/>\
         <text x=\"495\" y=\"515\" text-anchor=\"middle\" font-size=\"20\" fill=\"#4e342e\">{} {harvested}</text></g></svg>",
        t(lang, "已实现", "fulfilled")
    );
    svg
}

fn wish_section(
    page: &mut Page,
    lang: Language,
    view: &CommunityView,
    state: ClaimState,
    heading: &str,
    claimants: &[(String, String)],
) {
    let mut wishes: Vec<_> = view
        .wishes
        .iter()
        .filter(|(_, w)| w.status.state == state)
        .collect();
    wishes.sort_by_key(|(id, w)| (std::cmp::Reverse(w.entity.submitted_at), **id));
    page.push_fmt(format_args!(
        "<h2>{} <span class=\"muted\">({})</span></h2>",
        esc(heading),
        wishes.len()
    ));
    if wishes.is_empty() {
        return;
    }
    page.push_fmt(format_args!(
        "<ul class=\"wishes\" id=\"list-{}\">",
        state.code()
    ));
    for (id, wish) in wishes.into_iter().take(50) {
        page.push_fmt(format_args!(
            "<li><a href=\"/wishes/{id}\">{}</a> <span class=\"muted\">{} · {}</span>",
            esc(&wish.entity.title),
            esc(&wish.entity.resident_label),
            group_label(lang, wish.entity.group)
        ));
        if let Some(claimant) = &wish.status.claimant {
            page.push_fmt(format_args!(" — {}", esc(&actor_name(view, claimant))));
        }
        if state == ClaimState::Published {
            claim_form(page, lang, *id, claimants);
        }
        page.push("</li>");
    }
    page.push("</ul>");
}

fn actions(lang: Language, view: &CommunityView, id: WishId, state: ClaimState) -> String {
    let mut page = Page::new(lang, "");
    let button = |page: &mut Page, action: &str, label: &str, secondary: bool| {
        page.open_post_form(format_args!(
            "class=\"inline\" action=\"/wishes/{id}/{action}\""
        ));
        page.push_fmt(format_args!(
            "<button type=\"submit\" id=\"action-{action}\"{}>{}</button></form>",
            if secondary {
                " class=\"secondary\""
            } else {
                ""
            },
            esc(label)
        ));
    };
    page.push("<div class=\"card\" id=\"actions\">");
    match state {
        ClaimState::Submitted => {
            button(
                &mut page,
                "publish",
                t(lang, "发布（社区下单）", "Publish"),
                false,
            );
            button(&mut page, "reject", t(lang, "驳回", "Reject"), true);
            button(&mut page, "withdraw", t(lang, "撤回", "Withdraw"), true);
        }
        ClaimState::Published => {
            claim_form(&mut page, lang, id, &claimant_options(view));
            button(&mut page, "withdraw", t(lang, "撤回", "Withdraw"), true);
        }
        ClaimState::Claimed => {
            page.open_post_form(format_args!(
                "class=\"inline\" action=\"/wishes/{id}/fulfil\""
            ));
            page.push_fmt(format_args!(
                "<input name=\"note\" placeholder=\"{}\" style=\"max-width:20rem\">\
                 <button type=\"submit\" id=\"action-fulfil\">{}</button></form>",
                t(
                    lang,
                    "如何实现的（可不填）",
                    "How it was fulfilled (optional)"
                ),
                t(lang, "已实现", "Fulfilled")
            ));
            button(
                &mut page,
                "release",
                t(lang, "放弃认领", "Release the claim"),
                true,
            );
            button(&mut page, "withdraw", t(lang, "撤回", "Withdraw"), true);
        }
        ClaimState::Fulfilled | ClaimState::Rejected | ClaimState::Withdrawn => {
            page.push_fmt(format_args!(
                "<span class=\"muted\">{}</span>",
                t(lang, "已结束", "Closed")
            ));
        }
    }
    page.push("</div>");
    page.into_body()
}

fn claim_form(page: &mut Page, lang: Language, id: WishId, claimants: &[(String, String)]) {
    page.open_post_form(format_args!(
        "class=\"inline claim\" action=\"/wishes/{id}/claim\""
    ));
    page.push_fmt(format_args!(
        "<select name=\"claimant\" aria-label=\"{}\" style=\"max-width:14rem\">",
        t(lang, "认领人", "Claimant")
    ));
    for (value, label) in claimants {
        option(page, value, label, false);
    }
    page.push_fmt(format_args!(
        "</select><button type=\"submit\" class=\"claim-button\">{}</button></form>",
        t(lang, "认领（党员接单）", "Claim")
    ));
}

/// Members and organisations who may claim, as (`member:<id>` / `org:<id>`, name).
fn claimant_options(view: &CommunityView) -> Vec<(String, String)> {
    let mut options: Vec<(String, String)> = view
        .members
        .iter()
        .map(|(id, m)| (format!("member:{id}"), m.name.clone()))
        .collect();
    options.sort_by(|a, b| a.1.cmp(&b.1));
    let mut orgs: Vec<(String, String)> = view
        .orgs
        .iter()
        .map(|(id, o)| (format!("org:{id}"), format!("{}（单位）", o.name)))
        .collect();
    orgs.sort_by(|a, b| a.1.cmp(&b.1));
    options.extend(orgs);
    options
}

fn text_input(page: &mut Page, name: &str, label: &str, value: &str, required: bool) {
    page.push_fmt(format_args!(
        "<label for=\"{name}\">{}</label><input id=\"{name}\" name=\"{name}\" value=\"{}\"{}>",
        esc(label),
        esc(value),
        if required { " required" } else { "" }
    ));
}

fn option(page: &mut Page, value: &str, label: &str, selected: bool) {
    page.push_fmt(format_args!(
        "<option value=\"{}\"{}>{}</option>",
        esc(value),
        if selected { " selected" } else { "" },
        esc(label)
    ));
}
