//! The pages of the groups reported members form here: functional party branches
//! (功能型党支部, with their secretary and founding day) and service teams (服务队,
//! grouped by skill); each list with the form to found one, and one group with its
//! members. A member joins a branch or a team on the member's own ledger form.

use maud::html;
use wishtree_protocol::id::{BranchId, MemberId, TeamId};
use wishtree_protocol::model::{Branch, Member, Team};
use wishtree_protocol::names::Language;
use wishtree_protocol::view::CommunityView;

use super::html::{StatusBar, page, t};
use super::ledger::{Adding, Ledger, ListAsked, Value, record_table};

/// The functional branches, by name, `list_page` of them, with the form to found one.
pub fn branches_page(asked: ListAsked<'_>) -> String {
    let (view, filled) = (asked.view, &asked.filled);
    let lang = filled.lang;
    let members = super::collate::by_pinyin(&view.members, |member| &member.name);
    let values: Vec<String> = members.iter().map(|(id, _)| id.to_string()).collect();
    let secretaries = std::iter::once(("", t(lang, "暂未选定", "Not chosen yet"))).chain(
        values
            .iter()
            .zip(&members)
            .map(|(value, (_, member))| (value.as_str(), member.name.as_str())),
    );
    let fields = html! {
        (filled.input("name", t(lang, "支部名称（例如 行宫社区在职党员功能型党支部）", "Name")))
        (filled.select("secretary", t(lang, "支部书记（可暂不选）", "Secretary (optional)"), secretaries))
        (filled.input("founded_on", t(lang, "成立日期（例如 2026-11-20）", "Founded on (e.g. 2026-11-20)")))
    };
    let ledger = branch_ledger(lang, view);
    ledger.page_adding(&asked, &ADD_BRANCH, fields)
}

/// The form under the list page above, that adds to its ledger.
const ADD_BRANCH: Adding = Adding {
    id: "branch-form",
    title: ("成立功能型党支部", "Found a branch"),
    button: ("成立", "Found"),
};

/// The branches as a ledger: the list page's table and, built in Chinese, its CSV.
pub fn branch_ledger(lang: Language, view: &CommunityView) -> Ledger<'_, (&BranchId, &Branch)> {
    let branches = super::collate::by_pinyin(&view.branches, |branch| &branch.name);
    let title = t(lang, "功能型党支部", "Functional branches");
    Ledger::new("branches", title, branches)
        .column(t(lang, "支部名称", "Branch"), |(id, branch)| {
            Value::link(format!("/branches/{id}"), &branch.name)
        })
        .column(t(lang, "支部书记", "Secretary"), |(_, branch)| {
            Value::text(
                branch
                    .secretary
                    .map_or_else(String::new, |id| name_of(view, id)),
            )
        })
        .column(t(lang, "成立日期", "Founded on"), |(_, branch)| {
            Value::text(branch.founded_on.to_string())
        })
        .column(t(lang, "党员人数", "Members"), |(id, _)| {
            Value::number(in_group(view, |member| member.branch == Some(**id)).len())
        })
}

/// One branch: its record and its members.
pub fn branch_page(
    lang: Language,
    view: &CommunityView,
    id: BranchId,
    status: &StatusBar,
) -> Option<String> {
    let branch = view.branches.get(&id)?;
    let secretary = branch
        .secretary
        .map_or_else(String::new, |id| name_of(view, id));
    let rows = [
        (t(lang, "支部书记", "Secretary"), html! { (secretary) }),
        (
            t(lang, "成立日期", "Founded on"),
            html! { (branch.founded_on.to_string()) },
        ),
    ];
    let members = in_group(view, |member| member.branch == Some(id));
    Some(group_page(
        lang,
        status,
        (&branch.name, "/branches"),
        record_table("branch-record", &rows),
        members,
    ))
}

/// The service teams, by name, `list_page` of them, with the form to form one.
pub fn teams_page(asked: ListAsked<'_>) -> String {
    let (view, filled) = (asked.view, &asked.filled);
    let lang = filled.lang;
    let fields = html! {
        (filled.input("name", t(lang, "服务队名称（例如 法律援助服务队）", "Name (e.g. legal aid team)")))
        (filled.input("focus", t(lang, "服务特长（例如 政策宣讲、法律援助、医疗保健）", "What it offers (e.g. legal aid)")))
    };
    let ledger = team_ledger(lang, view);
    ledger.page_adding(&asked, &ADD_TEAM, fields)
}

/// The form under the list page above, that adds to its ledger.
const ADD_TEAM: Adding = Adding {
    id: "team-form",
    title: ("组建服务队", "Form a team"),
    button: ("组建", "Form"),
};

/// The teams as a ledger: the list page's table and, built in Chinese, its CSV.
pub fn team_ledger(lang: Language, view: &CommunityView) -> Ledger<'_, (&TeamId, &Team)> {
    let teams = super::collate::by_pinyin(&view.teams, |team| &team.name);
    let title = t(lang, "党员志愿服务队", "Service teams");
    Ledger::new("teams", title, teams)
        .column(t(lang, "服务队", "Team"), |(id, team)| {
            Value::link(format!("/teams/{id}"), &team.name)
        })
        .column(t(lang, "服务特长", "Offers"), |(_, team)| {
            Value::text(&team.focus)
        })
        .column(t(lang, "队员人数", "Members"), |(id, _)| {
            Value::number(in_group(view, |member| member.team == Some(**id)).len())
        })
}

/// One team: what it offers and its members.
pub fn team_page(
    lang: Language,
    view: &CommunityView,
    id: TeamId,
    status: &StatusBar,
) -> Option<String> {
    let team = view.teams.get(&id)?;
    let rows = [(t(lang, "服务特长", "Offers"), html! { (team.focus) })];
    let members = in_group(view, |member| member.team == Some(id));
    Some(group_page(
        lang,
        status,
        (&team.name, "/teams"),
        record_table("team-record", &rows),
        members,
    ))
}

/// The page of a group: its record, then its members, each linked, with the way to
/// add one (on the member's own ledger form).
fn group_page(
    lang: Language,
    status: &StatusBar,
    (title, nav): (&str, &str),
    record: maud::Markup,
    members: Vec<(&MemberId, &Member)>,
) -> String {
    let body = html! {
        (record)
        h2 { (t(lang, "成员", "Members")) " " b #group-count { (members.len()) } }
        @if members.is_empty() {
            p.empty #group-members { (t(lang, "暂无", "None yet")) }
        } @else {
            ul #group-members {
                @for (id, member) in &members {
                    li { a href={ "/members/" (id.to_string()) "#edit" } { (member.name) } " — " (member.work_unit) }
                }
            }
        }
        p.muted { (t(
            lang,
            "党员加入支部或服务队：打开党员的台账，在“修改台账”中选择。",
            "A member joins on their own ledger: open the member and choose under Edit the ledger.",
        )) }
    };
    page(lang, title, status, nav, body)
}

/// The members `keep` keeps, by name.
fn in_group(view: &CommunityView, keep: impl Fn(&Member) -> bool) -> Vec<(&MemberId, &Member)> {
    super::collate::by_pinyin(&view.members, |member| &member.name)
        .into_iter()
        .filter(|(_, member)| keep(member))
        .collect()
}

fn name_of(view: &CommunityView, id: MemberId) -> String {
    view.members
        .get(&id)
        .map_or_else(String::new, |member| member.name.clone())
}
