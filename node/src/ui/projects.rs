//! The pages of livelihood micro-projects (民生微项目 / 突出问题): the projects and the
//! form to submit one; one project with the steps its state allows (publish, claim by
//! an organisation, fulfil; reject, withdraw and release asked first on a
//! confirmation page, with the steps and form the wishes use: [`Closing`],
//! [`confirmation_page`]).

use maud::{Markup, html};
use wishtree_protocol::id::ProjectId;
use wishtree_protocol::lifecycle::{ClaimState, ClaimStatus};
use wishtree_protocol::model::{Project, ProjectKind};
use wishtree_protocol::names::Language;
use wishtree_protocol::view::{CommunityView, WithStatus};

use super::closing::{Closing, closing_event, confirmation_page};
use super::forms::{Filled, Form, NOTHING_TYPED, Refusal};
use super::html::{StatusBar, page, post_form, t};
use super::ledger::{Adding, Ledger, ListAsked, Value};
use super::tree::{actor_name, claim_form, state_label};

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
    .column(t(lang, "状态", "State"), |(_, project)| {
        Value::text(state_label(lang, project.status.state))
    })
    .column(t(lang, "认领单位", "Claimed by"), |(_, project)| {
        Value::text(claimant(view, &project.status))
    })
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
/// state allows; `refusal` is why the last step was refused.
pub fn project_page(
    lang: Language,
    view: &CommunityView,
    id: ProjectId,
    status: &StatusBar,
    refusal: Option<&Refusal>,
) -> Option<String> {
    let project = view.projects.get(&id)?;
    let filled = Filled::new(lang, &NOTHING_TYPED, refusal);
    let body = html! {
        (filled.summary())
        (project_summary(lang, view, project))
        h2 { (t(lang, "办理经过", "History")) }
        ol #history {
            @for folded in &project.status.history {
                li {
                    (folded.event.at.display_in_shanghai().to_string()) " "
                    (match lang {
                        Language::Chinese => folded.event.kind.label_zh(),
                        Language::English => folded.event.kind.label_en(),
                    })
                    " · " (actor_name(view, &folded.event.by))
                    @if !folded.event.note.is_empty() { "：" (folded.event.note) }
                }
            }
        }
        div #actions { (actions(&filled, view, id, project.status.state)) }
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

/// The organisation that holds a project, by name (empty if none).
pub fn claimant(view: &CommunityView, status: &ClaimStatus) -> String {
    status
        .claimant
        .as_ref()
        .map(|actor| actor_name(view, actor))
        .unwrap_or_default()
}

/// The steps a project's state allows.
fn actions(filled: &Filled, view: &CommunityView, id: ProjectId, state: ClaimState) -> Markup {
    let lang = filled.lang;
    let step = |closing: Closing| {
        html! {
            a.button.secondary id={ "action-" (closing.code()) } href={ "/projects/" (id.to_string()) "/" (closing.code()) } { (closing.label(lang)) }
        }
    };
    // Only a unit organisation claims a project.
    let orgs: Vec<(String, String)> = super::collate::by_pinyin(&view.orgs, |org| &org.name)
        .into_iter()
        .map(|(org, o)| (format!("org:{org}"), o.name.clone()))
        .collect();
    html! {
        @match state {
            ClaimState::Submitted => {
                (post_form("inline", &format!("/projects/{id}/publish"), None, html! {
                    button #action-publish type="submit" { (t(lang, "公布认领", "Publish")) }
                }))
                (step(Closing::Reject))
                (step(Closing::Withdraw))
            }
            ClaimState::Published => {
                @if orgs.is_empty() {
                    p.empty { (t(lang, "还没有单位党组织可以认领，请先", "No organisation to claim it yet: first ")) a href="/orgs#org-form" { (t(lang, "添加单位党组织", "add one")) } }
                } @else {
                    (claim_form(filled, &format!("/projects/{id}/claim"), &orgs, t(lang, "单位认领", "Claim")))
                }
                (step(Closing::Withdraw))
            }
            ClaimState::Claimed => {
                (post_form("inline", &format!("/projects/{id}/fulfil"), None, html! {
                    input name="note" aria-label=(t(lang, "完成情况（可不填）", "How it was done (optional)")) placeholder=(t(lang, "完成情况（可不填）", "How it was done (optional)")) style="max-width:20rem";
                    button #action-fulfil type="submit" { (t(lang, "已完成", "Done")) }
                }))
                (step(Closing::Release))
                (step(Closing::Withdraw))
            }
            ClaimState::Fulfilled | ClaimState::Rejected | ClaimState::Withdrawn => {
                span.muted { (t(lang, "已结束", "Closed")) }
            }
        }
    }
}

/// What a project is: kind, what it needs, state, claimant, dates, why it closed.
fn project_summary(
    lang: Language,
    view: &CommunityView,
    project: &WithStatus<Project, ClaimStatus>,
) -> Markup {
    let reason = closing_event(&project.status).map(|event| event.note.clone());
    html! {
        table #project-record {
            tr { th scope="row" { (t(lang, "类型", "Kind")) } td { (kind_label(lang, project.entity.kind)) } }
            tr { th scope="row" { (t(lang, "项目内容", "What it needs")) } td { (project.entity.detail) } }
            tr { th scope="row" { (t(lang, "状态", "State")) } td #project-state data-state=(project.status.state.code()) { (state_label(lang, project.status.state)) } }
            tr { th scope="row" { (t(lang, "认领单位", "Claimed by")) } td { (claimant(view, &project.status)) } }
            tr { th scope="row" { (t(lang, "提交日期", "Submitted")) } td { (project.entity.submitted_at.date_in_shanghai().to_string()) } }
            @if let Some(reason) = reason {
                tr { th scope="row" { (t(lang, "关闭理由", "Why it closed")) } td #closing-reason { (reason) } }
            }
        }
    }
}
