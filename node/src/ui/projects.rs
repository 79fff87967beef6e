//! The pages of livelihood micro-projects (民生微项目 / 突出问题): the projects and the
//! form to submit one; one project with the steps its stage allows (Guangzhou's flow,
//! [`wishtree_protocol::project`]: a unit's letter of intent with its share, 立项 with
//! one or several of the units that sent one, 实施, 完成; 终止 — and reject, withdraw
//! and release of projects from before stages — asked first on a confirmation page,
//! with the steps and form the wishes use: [`Closing`], [`confirmation_page`]).

use maud::{Markup, html};
use wishtree_protocol::id::ProjectId;
use wishtree_protocol::model::{Org, Project, ProjectKind};
use wishtree_protocol::names::Language;
use wishtree_protocol::project::{ProjectStage, ProjectStatus, UnitShare};
use wishtree_protocol::view::{CommunityView, WithStatus};

use super::closing::{Closing, confirmation_page};
use super::forms::{Filled, Form, Refusal};
use super::html::{StatusBar, page, post_form, t};
use super::ledger::{Adding, Ledger, ListAsked, Value};
use super::tree::actor_name;

/// The projects, the newest first, `list_page` of them, with the form to submit one.
pub fn projects_page(asked: ListAsked<'_>) -> String {
    let (view, filled) = (asked.view, &asked.filled);
    let lang = filled.lang;
    let mut projects: Vec<_> = view.projects.iter().collect();
    projects.sort_by_key(|(id, project)| (std::cmp::Reverse(project.entity.submitted_at), **id));
    let ledger = Ledger::new(
        "projects",
        t(lang, "民生微项目", "Livelihood projects"),
        projects,
    )
    .column(t(lang, "项目", "Project"), |(id, project)| {
        Value::link(format!("/projects/{id}"), &project.entity.title)
    })
    .column(t(lang, "类型", "Kind"), |(_, project)| {
        Value::text(kind_label(lang, project.entity.kind))
    })
    .column(t(lang, "阶段", "Stage"), |(_, project)| {
        Value::text(stage_label(lang, project.status.stage))
    })
    .column(
        t(lang, "承接单位（份额）", "Claimed by (share)"),
        |(_, project)| Value::text(claimants(view, &project.status)),
    )
    .column(t(lang, "提交日期", "Submitted"), |(_, project)| {
        Value::text(project.entity.submitted_at.date_in_shanghai().to_string())
    });
    let kinds = ProjectKind::ALL
        .iter()
        .map(|kind| (kind.code(), kind_label(lang, *kind)));
    let fields = html! {
        (filled.input("title", t(lang, "项目名称（例如 加装楼道扶手）", "Title (e.g. stair handrails)")))
        (filled.select("kind", t(lang, "类型", "Kind"), kinds))
        (filled.textarea("detail", t(lang, "项目内容（可不填）", "What it needs (optional)"), false))
        (super::streets::party_field(filled, asked.status))
    };
    ledger.page_adding(&asked, &ADD_PROJECT, fields)
}

/// The form under the list page above, that adds to its ledger.
const ADD_PROJECT: Adding = Adding {
    id: "project-form",
    title: ("征集民生微项目", "Submit a project"),
    button: ("提交", "Submit"),
};

/// One project: what it is, where it stands, its history with notes, and the steps its
/// stage allows; `form` is what was typed in a refused step, `refusal` why.
pub fn project_page(
    lang: Language,
    view: &CommunityView,
    id: ProjectId,
    status: &StatusBar,
    form: &Form,
    refusal: Option<&Refusal>,
) -> Option<String> {
    let project = view.projects.get(&id)?;
    let filled = Filled::new(lang, form, refusal);
    let body = html! {
        (filled.summary())
        (project_summary(lang, view, project))
        h2 { (t(lang, "办理经过", "History")) }
        ol #history {
            @for folded in &project.status.claim.history {
                li {
                    (folded.event.at.display_in_shanghai().to_string()) " "
                    (match lang {
                        Language::Chinese => folded.event.kind.label_zh(),
                        Language::English => folded.event.kind.label_en(),
                    })
                    " · " (actor_name(view, &folded.event.by))
                    @if let Some(share) = folded.event.share { " " (share.to_string()) }
                    @if !folded.event.note.is_empty() { "：" (folded.event.note) }
                }
            }
        }
        div #actions { (actions(&filled, view, id, &project.status)) }
    };
    Some(page(lang, &project.entity.title, status, "/projects", body))
}

/// The confirmation of `closing` for one project, with the reason typed so far.
pub fn confirm_page(
    lang: Language,
    view: &CommunityView,
    id: ProjectId,
    closing: Closing,
    status: &StatusBar,
    form: &Form,
    refusal: Option<&Refusal>,
) -> Option<String> {
    let project = view.projects.get(&id)?;
    let (question, consequence) = match closing {
        Closing::Reject => (
            ("驳回这个项目？", "Reject this project?"),
            (
                "驳回后项目不再公布认领，理由记入办理经过。",
                "The project will not be published; the reason is kept in its history.",
            ),
        ),
        Closing::Withdraw => (
            ("撤回这个项目？", "Withdraw this project?"),
            (
                "撤回后项目终止，理由记入办理经过。",
                "The project ends; the reason is kept in its history.",
            ),
        ),
        Closing::Release => (
            (
                "放弃对这个项目的认领？",
                "Release the claim on this project?",
            ),
            (
                "放弃后项目重新公布，等待其他单位认领。",
                "The project is published again for another organisation to claim.",
            ),
        ),
        Closing::Terminate => (
            ("终止这个项目？", "Terminate this project?"),
            (
                "终止后项目不再推进，理由记入办理经过。",
                "The project goes no further; the reason is kept in its history.",
            ),
        ),
    };
    let filled = Filled::new(lang, form, refusal);
    let confirm = closing.confirm(format!("/projects/{id}"), "/projects");
    let what = project_summary(lang, view, project);
    let words = closing.words(question, consequence);
    Some(confirmation_page(&filled, status, what, &confirm, &words))
}

/// The label of a project kind in the reader's language.
pub fn kind_label(lang: Language, kind: ProjectKind) -> &'static str {
    match lang {
        Language::Chinese => kind.label_zh(),
        Language::English => kind.label_en(),
    }
}

/// The label of a project stage in the reader's language.
pub fn stage_label(lang: Language, stage: ProjectStage) -> &'static str {
    match lang {
        Language::Chinese => stage.label_zh(),
        Language::English => stage.label_en(),
    }
}

/// The units that took a project on, with their shares (区发改委 60%、区住建局 40%);
/// empty if none.
pub fn claimants(view: &CommunityView, status: &ProjectStatus) -> String {
    units_text(view, &status.claimants)
}

/// Units with their shares, by name.
fn units_text(view: &CommunityView, units: &[UnitShare]) -> String {
    units
        .iter()
        .map(|unit| format!("{} {}", org_name(view, unit), unit.share))
        .collect::<Vec<_>>()
        .join("、")
}

fn org_name(view: &CommunityView, unit: &UnitShare) -> String {
    view.orgs
        .get(&unit.unit)
        .map_or_else(|| unit.unit.to_string(), Org::full_name)
}

/// The steps a project's stage allows.
fn actions(filled: &Filled, view: &CommunityView, id: ProjectId, status: &ProjectStatus) -> Markup {
    let lang = filled.lang;
    let step = |closing: Closing| {
        html! {
            a.button.secondary id={ "action-" (closing.code()) } href={ "/projects/" (id.to_string()) "/" (closing.code()) } { (closing.label(lang)) }
        }
    };
    let simple = |action: &str, button: &str| {
        post_form(
            "inline",
            &format!("/projects/{id}/{action}"),
            None,
            html! {
                button id={ "action-" (action) } type="submit" { (button) }
            },
        )
    };
    html! {
        @match status.stage {
            ProjectStage::Collecting | ProjectStage::Intents => {
                @if status.stage == ProjectStage::Collecting && !status.is_published {
                    (simple("publish", t(lang, "公布征集", "Publish")))
                }
                (intent_form(filled, view, id))
                @if !status.intents.is_empty() {
                    (approval_form(filled, view, id, status))
                }
                (step(Closing::Terminate))
            }
            ProjectStage::Approved => {
                (simple("start", t(lang, "开始实施", "Start")))
                @if status.claimants.len() < status.intents.len() {
                    (approval_form(filled, view, id, status))
                }
                (step(Closing::Terminate))
            }
            ProjectStage::InProgress => {
                (post_form("inline", &format!("/projects/{id}/fulfil"), None, html! {
                    input name="note" aria-label=(t(lang, "完成情况（可不填）", "How it was done (optional)")) placeholder=(t(lang, "完成情况（可不填）", "How it was done (optional)")) style="max-width:20rem";
                    button #action-fulfil type="submit" { (t(lang, "项目完成", "Done")) }
                }))
                (step(Closing::Terminate))
            }
            ProjectStage::Done | ProjectStage::Terminated => {
                span.muted { (t(lang, "已结束", "Closed")) }
            }
        }
    }
}

/// 认领意向书: a unit of the community, its share and what it takes on.
fn intent_form(filled: &Filled, view: &CommunityView, id: ProjectId) -> Markup {
    let lang = filled.lang;
    let orgs: Vec<(String, String)> = super::collate::by_pinyin(&view.orgs, |org| &org.name)
        .into_iter()
        .map(|(org, o)| (org.to_string(), o.full_name()))
        .collect();
    if orgs.is_empty() {
        return html! {
            p.empty { (t(lang, "还没有单位党组织可以递交认领意向书，请先", "No organisation to send a letter of intent yet: first ")) a href="/orgs#org-form" { (t(lang, "添加单位党组织", "add one")) } }
        };
    }
    let options = orgs
        .iter()
        .map(|(value, label)| (value.as_str(), label.as_str()));
    post_form(
        "stacked",
        &format!("/projects/{id}/intents"),
        Some("intent-form"),
        html! {
            h3 { (t(lang, "认领意向书", "Letter of intent")) }
            (filled.select("unit", t(lang, "递交单位", "Unit"), options))
            (filled.input("share", t(lang, "承担份额（%，1–100）", "Share (%, 1–100)")))
            (filled.input("part", t(lang, "承担内容（例如 提供扶手材料，可不填）", "What it takes on (optional)")))
            button #action-intent type="submit" { (t(lang, "递交意向书", "Send the letter")) }
        },
    )
}

/// 立项: the units that sent letters, to approve the project with (several make a
/// joint claim), with what their letters offer.
fn approval_form(
    filled: &Filled,
    view: &CommunityView,
    id: ProjectId,
    status: &ProjectStatus,
) -> Markup {
    let lang = filled.lang;
    let waiting: Vec<&UnitShare> = status
        .intents
        .iter()
        .filter(|intent| !status.is_claimant(intent.unit))
        .collect();
    post_form(
        "stacked",
        &format!("/projects/{id}/approval"),
        Some("approval-form"),
        html! {
            h3 { (t(lang, "立项：选择承接单位（可多选，共同承接）", "Approve: choose the units (several for a joint claim)")) }
            // The message first, so that it sits beside the list it is about.
            fieldset #units {
                (filled.error("units"))
                @for intent in waiting {
                    label {
                        input type="checkbox" name="units" value=(intent.unit.to_string()) checked[filled.form.has_value("units", &intent.unit.to_string())];
                        " " (org_name(view, intent)) " " (intent.share.to_string())
                        @if !intent.part.is_empty() { "（" (intent.part) "）" }
                    }
                }
            }
            button #action-approve type="submit" { (t(lang, "立项", "Approve")) }
        },
    )
}

/// What a project is: kind, what it needs, stage, the units and their shares, the
/// letters of intent, dates, why it was terminated.
fn project_summary(
    lang: Language,
    view: &CommunityView,
    project: &WithStatus<Project, ProjectStatus>,
) -> Markup {
    let status = &project.status;
    let reason = status.terminated.as_ref().map(|(_, reason)| reason.clone());
    html! {
        table #project-record {
            tr { th scope="row" { (t(lang, "类型", "Kind")) } td { (kind_label(lang, project.entity.kind)) } }
            tr { th scope="row" { (t(lang, "项目内容", "What it needs")) } td { (project.entity.detail) } }
            (super::streets::party_row(lang, project.entity.street))
            tr { th scope="row" { (t(lang, "阶段", "Stage")) } td #project-stage data-stage=(status.stage.code()) { (stage_label(lang, status.stage)) } }
            tr { th scope="row" { (t(lang, "承接单位（份额）", "Claimed by (share)")) } td #project-claimants { (claimants(view, status)) } }
            tr { th scope="row" { (t(lang, "认领意向书", "Letters of intent")) } td #project-intents { (units_text(view, &status.intents)) } }
            tr { th scope="row" { (t(lang, "提交日期", "Submitted")) } td { (project.entity.submitted_at.date_in_shanghai().to_string()) } }
            @if let Some(reason) = reason {
                tr { th scope="row" { (t(lang, "终止理由", "Why it ended")) } td #closing-reason { (reason) } }
            }
        }
    }
}
