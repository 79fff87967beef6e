//! The pages of unit party organisations (单位党组织) and their co-building pairings
//! (共建协议): the community's organisations, with the city's directory to add one from
//! (so a unit is one organisation in every community: its id comes from its credit
//! code, its name from the directory, and its branches are offered as the directory
//! lists them); one organisation with its members here, its
//! pairings and what it holds; the pairings with the form to sign one; one pairing,
//! and the confirmation that ends it with its reason.

use std::collections::BTreeMap;

use maud::{Markup, html};
use wishtree_protocol::city::DirectoryOrg;
use wishtree_protocol::id::{OrgId, PairingId};
use wishtree_protocol::lifecycle::{ClaimStatus, PairingStatus};
use wishtree_protocol::model::{Actor, EventKind, Org, Pairing};
use wishtree_protocol::names::Language;
use wishtree_protocol::uscc::CreditCode;
use wishtree_protocol::view::{CommunityView, WithStatus};

use super::closing::{Confirm, Words, confirmation_page};
use super::forms::{Filled, Form, Refusal};
use super::html::{Row, StatusBar, page, t, table, words};
use super::ledger::{Adding, Ledger, ListAsked, Value};
use super::tree::state_label;

/// The city's organisation directory, by credit code (empty until the hub sends it).
pub type Directory = BTreeMap<String, DirectoryOrg>;

/// How many directory entries a search shows: enough to pick from, few enough for a
/// phone; more typed narrows it.
const DIRECTORY_SHOWN: usize = 20;

/// The community's organisations, `list_page` of them; the directory searched for
/// `query`; and the form to add one, holding what `filled` holds.
pub fn orgs_page(
    view: &CommunityView,
    directory: &Directory,
    query: &str,
    status: &StatusBar,
    filled: Filled<'_>,
    list_page: Option<&str>,
) -> String {
    let lang = filled.lang;
    let orgs = super::collate::by_pinyin(&view.orgs, |org| &org.name);
    let ledger = Ledger::new("orgs", t(lang, "单位党组织", "Unit organisations"), orgs)
        .column(t(lang, "单位", "Unit"), |(id, org)| {
            Value::link(format!("/orgs/{id}"), &org.name)
        })
        .column(t(lang, "党组织", "Party organisation"), |(_, org)| {
            Value::text(party_org_label(lang, org))
        })
        .column(
            t(lang, "统一社会信用代码", "Credit code"),
            |(_, org)| Value::text(org.credit_code.as_str()),
        )
        .column(t(lang, "报到日期", "Reported in"), |(_, org)| {
            Value::text(org.reported_in.map(|d| d.to_string()).unwrap_or_default())
        })
        .column(t(lang, "报到党员", "Members"), |(id, _)| {
            Value::number(OrgCounts::of(view, **id).members)
        })
        .column(
            t(lang, "有效共建协议", "Active pairings"),
            |(id, _)| Value::number(OrgCounts::of(view, **id).active_pairings),
        )
        .column(t(lang, "全市名录", "City directory"), |(_, org)| {
            Value::text(listed_label(
                lang,
                directory.contains_key(org.credit_code.as_str()),
            ))
        });
    let branches = listed_branches(directory, filled.form.value("credit_code"));
    let fields = html! {
        (filled.input("credit_code", t(lang, "统一社会信用代码（18 位）", "Unified social credit code (18 characters)")))
        (filled.input(
            "name",
            t(lang, "单位名称（名录中已有的单位按名录名称保存，可不填）", "Unit's name (a unit in the directory keeps the directory's name)"),
        ))
        (filled.suggesting(
            "party_org",
            t(lang, "党组织：党支部名称，如 第一党支部（留空为单位党组织本级）", "Party organisation: the branch's name, e.g. 第一党支部 (empty for the unit's own)"),
            &branches,
        ))
        @if !branches.is_empty() {
            p.muted #listed-branches {
                (t(lang, "全市名录中该单位的党支部：", "The directory lists this unit's branches: "))
                (branches.join(t(lang, "、", ", ")))
                (t(lang, "。请从中选择，以免各社区写法不一；名录中没有的可直接填写。", ". Choose one, so that every community spells it alike; type one the directory lacks."))
            }
        }
        (filled.input("reported_in", t(lang, "报到日期（可不填，例如 2026-11-20）", "Reported in (optional, e.g. 2026-11-20)")))
    };
    let intro = html! {
        p { (t(lang, "本社区单位党组织", "Organisations here:")) " " b #org-count { (view.orgs.len()) } }
    };
    let form = html! {
        h2 #directory { (t(lang, "从全市单位名录中选择", "Choose from the city's directory")) }
        (directory_search(lang, view, directory, query))
        (ledger.form(&filled, &ADD_ORG, fields))
    };
    ledger.page(lang, status, list_page, intro, form)
}

/// The form under the list page above, that adds to its ledger.
const ADD_ORG: Adding = Adding {
    id: "org-form",
    title: ("添加单位党组织", "Add an organisation"),
    button: ("添加", "Add"),
};

/// One organisation: its record, its members here, its pairings, and the posts,
/// projects and wishes it holds.
pub fn org_page(
    lang: Language,
    view: &CommunityView,
    id: OrgId,
    directory: &Directory,
    status: &StatusBar,
) -> Option<String> {
    let org = view.orgs.get(&id)?;
    let me = Actor::Org(id);
    let record = [
        (t(lang, "单位", "Unit"), org.name.clone()),
        (
            t(lang, "党组织", "Party organisation"),
            party_org_label(lang, org).to_owned(),
        ),
        (
            t(lang, "统一社会信用代码", "Credit code"),
            org.credit_code.as_str().to_owned(),
        ),
        (
            t(lang, "报到日期", "Reported in"),
            org.reported_in.map(|d| d.to_string()).unwrap_or_default(),
        ),
        (
            t(lang, "全市名录", "City directory"),
            listed_label(lang, directory.contains_key(org.credit_code.as_str())).to_owned(),
        ),
    ];
    let members = view
        .members
        .iter()
        .filter(|(_, member)| member.org == Some(id))
        .map(|(member, m)| Linked::new(format!("/members/{member}"), &m.name, ""))
        .collect();
    let pairings = pairing_ledger(lang, view, |pairing| pairing.entity.org == id);
    let posts = view
        .posts
        .iter()
        .filter(|(_, post)| !post.status.is_withdrawn && post.status.holders.contains(&me))
        .map(|(post, p)| Linked::new(format!("/posts/{post}"), &p.entity.title, ""))
        .collect();
    // A joint project is the unit's as much as its lead's (共同承接).
    let projects = view
        .projects
        .iter()
        .filter(|(_, project)| project.status.is_claimant(id))
        .map(|(project, p)| {
            let stage = super::projects::stage_label(lang, p.status.stage);
            Linked::new(format!("/projects/{project}"), &p.entity.title, stage)
        })
        .collect();
    let wishes = claimed_by(lang, &me, "/wishes", &view.wishes, |w| &w.title);
    let body = html! {
        table #org-record {
            @for (head, value) in &record {
                tr { th scope="row" { (head) } td { (value) } }
            }
        }
        h2 { (t(lang, "在本社区报到的党员", "Members reported in here")) }
        (linked_list(lang, "org-members", members))
        h2 { (t(lang, "共建协议", "Pairings")) }
        (pairings.table(lang, "org-pairings"))
        p { a.button href={ "/pairings?org=" (id.to_string()) "#pairing-form" } { (t(lang, "签订共建协议", "Sign a pairing")) } }
        h2 { (t(lang, "认领的服务岗位", "Posts held")) }
        (linked_list(lang, "org-posts", posts))
        h2 { (t(lang, "认领的民生微项目", "Projects claimed")) }
        (linked_list(lang, "org-projects", projects))
        h2 { (t(lang, "认领的微心愿", "Wishes claimed")) }
        (linked_list(lang, "org-wishes", wishes))
    };
    Some(page(lang, &org.full_name(), status, "/orgs", body))
}

/// The pairings, `list_page` of them, with the form to sign one.
pub fn pairings_page(asked: ListAsked<'_>) -> String {
    let (view, filled) = (asked.view, &asked.filled);
    let lang = filled.lang;
    let fields = html! {
        (org_choice(filled, view))
        (filled.textarea(
            "commitments",
            t(lang, "承诺事项（每项之间用顿号或换行分隔）", "Commitments (one a line)"),
            false,
        ))
        (filled.input("signed_on", t(lang, "签订日期（例如 2026-11-20）", "Signed on (e.g. 2026-11-20)")))
        (super::streets::party_field(filled, asked.status))
    };
    let ledger = pairing_ledger(lang, view, |_| true);
    let form = if view.orgs.is_empty() {
        // A pairing posted with no organisation here still says why it was refused.
        let (zh, en) = ADD_PAIRING.title;
        html! {
            h2 { (t(lang, zh, en)) }
            (filled.summary())
            p.empty #no-orgs {
                (t(lang, "本社区还没有单位党组织，请先", "No organisation yet: first "))
                a href="/orgs#org-form" { (t(lang, "添加单位党组织", "add one")) }
            }
        }
    } else {
        ledger.form(filled, &ADD_PAIRING, fields)
    };
    ledger.page(lang, asked.status, asked.list_page, html! {}, form)
}

/// The choice of one of the community's organisations (`org`), in pinyin order.
/// Nobody is chosen until the worker chooses, unless the page was opened from an
/// organisation's own page.
pub fn org_choice(filled: &Filled<'_>, view: &CommunityView) -> Markup {
    let lang = filled.lang;
    let orgs = super::collate::by_pinyin(&view.orgs, |org| &org.name);
    let values: Vec<String> = orgs.iter().map(|(id, _)| id.to_string()).collect();
    // A branch is named with its unit (单位 党支部), so that it and the unit's own
    // organisation read apart.
    let names: Vec<String> = orgs.iter().map(|(_, org)| org.full_name()).collect();
    let options = std::iter::once(("", t(lang, "请选择单位党组织", "Choose an organisation")))
        .chain(
            values
                .iter()
                .zip(&names)
                .map(|(value, name)| (value.as_str(), name.as_str())),
        );
    filled.select("org", t(lang, "单位党组织", "Organisation"), options)
}

/// The form under the list page above, that adds to its ledger.
const ADD_PAIRING: Adding = Adding {
    id: "pairing-form",
    title: ("签订共建协议", "Sign a pairing"),
    button: ("签订", "Sign"),
};

/// One pairing: its organisation, commitments, dates and, when it has ended, why; an
/// active one links to the confirmation that ends it.
pub fn pairing_page(
    lang: Language,
    view: &CommunityView,
    id: PairingId,
    status: &StatusBar,
) -> Option<String> {
    let pairing = view.pairings.get(&id)?;
    let body = html! {
        (pairing_summary(lang, view, pairing))
        @if pairing.status.is_active() {
            p { a.button #action-end href={ "/pairings/" (id.to_string()) "/end" } { (t(lang, "终止协议", "End the pairing")) } }
        }
    };
    Some(page(
        lang,
        &pairing_title(lang, view, pairing),
        status,
        "/pairings",
        body,
    ))
}

/// The confirmation that ends a pairing, asking its reason (kept in its history), with
/// the reason typed so far and why the last attempt was refused.
pub fn end_pairing_page(
    lang: Language,
    view: &CommunityView,
    id: PairingId,
    status: &StatusBar,
    form: &Form,
    refusal: Option<&Refusal>,
) -> Option<String> {
    let pairing = view.pairings.get(&id)?;
    let filled = Filled::new(lang, form, refusal);
    let confirm = Confirm::new(format!("/pairings/{id}"), "end", true, "/pairings");
    let what = pairing_summary(lang, view, pairing);
    Some(confirmation_page(&filled, status, what, &confirm, &END))
}

/// What the end of a pairing says.
const END: Words = Words {
    question: ("终止这份共建协议？", "End this pairing?"),
    consequence: (
        "终止后协议不再列入公示栏，理由记入协议的办理经过，不能撤销。",
        "An ended pairing leaves the public board; the reason is kept in its history, for good.",
    ),
    button: ("确认终止", "End it"),
};

/// Whether an organisation is in the city's directory, in words.
fn listed_label(lang: Language, listed: bool) -> &'static str {
    if listed {
        t(lang, "已收录", "listed")
    } else {
        t(lang, "未收录", "not listed")
    }
}

/// The state of a pairing, in words.
pub fn pairing_state(lang: Language, status: &PairingStatus) -> &'static str {
    if status.is_active() {
        t(lang, "有效", "active")
    } else {
        t(lang, "已终止", "ended")
    }
}

/// Why a pairing ended, as its end event says.
pub fn end_reason(status: &PairingStatus) -> Option<&str> {
    status
        .history
        .iter()
        .find(|folded| folded.event.kind == EventKind::End)
        .map(|folded| folded.event.note.as_str())
}

/// What the list of organisations (and its CSV) counts of each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrgCounts {
    /// Members of the organisation reported in here.
    pub members: usize,
    /// Its pairings with this community not ended.
    pub active_pairings: usize,
}

impl OrgCounts {
    /// The counts of organisation `id`.
    pub fn of(view: &CommunityView, id: OrgId) -> Self {
        Self {
            members: view.members.values().filter(|m| m.org == Some(id)).count(),
            active_pairings: view
                .pairings
                .values()
                .filter(|p| p.entity.org == id && p.status.is_active())
                .count(),
        }
    }
}

/// The branches the city's directory lists for the unit of credit code `code` (as
/// typed), in the directory's order; none for a code not listed.
fn listed_branches<'d>(directory: &'d Directory, code: &str) -> Vec<&'d str> {
    code.parse::<CreditCode>()
        .ok()
        .and_then(|code| directory.get(code.as_str()))
        .map(|unit| unit.branches.values().map(String::as_str).collect())
        .unwrap_or_default()
}

/// The directory searched for `query` by name or by credit code: each unit found
/// either already here (a link to it) or with a link that fills the form with it.
fn directory_search(
    lang: Language,
    view: &CommunityView,
    directory: &Directory,
    query: &str,
) -> Markup {
    let query = query.trim();
    let code_query: String = query
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase();
    let found: Vec<(&String, &DirectoryOrg)> = if query.is_empty() {
        Vec::new()
    } else {
        directory
            .iter()
            .filter(|(code, org)| org.name.contains(query) || code.starts_with(&code_query))
            .collect()
    };
    let here: BTreeMap<&str, OrgId> = view
        .orgs
        .iter()
        .map(|(id, org)| (org.credit_code.as_str(), *id))
        .collect();
    let heads = words(
        lang,
        &[
            ("单位", "Unit"),
            ("统一社会信用代码", "Credit code"),
            ("操作", "Action"),
        ],
    );
    let rows = found
        .iter()
        .take(DIRECTORY_SHOWN)
        .map(|(code, org)| {
            let action = match here.get(code.as_str()) {
                Some(id) => html! { a href={ "/orgs/" (id.to_string()) } { (t(lang, "已在本社区", "already here")) } },
                None => html! {
                    a.choose href={ "/orgs?code=" (code) "#org-form" } { (t(lang, "选用", "Use")) }
                },
            };
            Row::new(vec![html! { (org.name) }, html! { (code) }, action])
        })
        .collect();
    html! {
        @if directory.is_empty() {
            p.empty #directory-empty {
                (t(
                    lang,
                    "尚未收到全市单位名录（与市/区平台同步后即可选择）；可在下方直接填写统一社会信用代码和名称。",
                    "The city's directory has not arrived yet (it comes with the first sync); type the credit code and name below.",
                ))
            }
        } @else {
            form.card method="get" action="/orgs#directory" role="search" {
                label for="q" { (t(lang, "单位名称或统一社会信用代码", "Unit name or credit code")) }
                input #q name="q" value=(query);
                p { button type="submit" { (t(lang, "查找", "Search")) } }
            }
            @if !query.is_empty() {
                (table(lang, Some("directory-found"), &heads, rows))
                @if found.len() > DIRECTORY_SHOWN {
                    p.muted { (t(lang, "只列出前 20 个，请多输入几个字缩小范围", "Only the first 20 are shown; type more to narrow it")) }
                }
            }
        }
    }
}

/// The ledger of the pairings `keep` keeps, the newest first, as agreements are
/// filed.
fn pairing_ledger<'a>(
    lang: Language,
    view: &'a CommunityView,
    keep: impl Fn(&WithStatus<Pairing, PairingStatus>) -> bool,
) -> Ledger<'a, (&'a PairingId, &'a WithStatus<Pairing, PairingStatus>)> {
    let mut pairings: Vec<_> = view.pairings.iter().filter(|(_, p)| keep(p)).collect();
    pairings.sort_by(|a, b| {
        b.1.entity
            .signed_on
            .cmp(&a.1.entity.signed_on)
            .then(a.0.cmp(b.0))
    });
    Ledger::new("pairings", t(lang, "共建协议", "Pairings"), pairings)
        .column(
            t(lang, "单位党组织", "Organisation"),
            |(id, pairing)| {
                Value::link(
                    format!("/pairings/{id}"),
                    org_name(view, pairing.entity.org),
                )
            },
        )
        .column(t(lang, "承诺事项", "Commitments"), |(_, pairing)| {
            Value::text(pairing.entity.commitments.join("；"))
        })
        .column(t(lang, "签订日期", "Signed on"), |(_, pairing)| {
            Value::text(pairing.entity.signed_on.to_string())
        })
        .column(t(lang, "状态", "State"), move |(_, pairing)| {
            Value::text(pairing_state(lang, &pairing.status))
        })
        .closed_when(|(_, pairing)| !pairing.status.is_active())
}

/// The name of an organisation of this community, its unit's and its branch's (empty
/// if the record is missing).
pub fn org_name(view: &CommunityView, id: OrgId) -> String {
    view.orgs.get(&id).map(Org::full_name).unwrap_or_default()
}

/// A party organisation's own name, or what a unit's own organisation is called.
pub fn party_org_label(lang: Language, org: &Org) -> &str {
    org.party_org
        .as_deref()
        .unwrap_or_else(|| t(lang, "单位党组织本级", "The unit's own"))
}

fn pairing_title(
    lang: Language,
    view: &CommunityView,
    pairing: &WithStatus<Pairing, PairingStatus>,
) -> String {
    format!(
        "{}{}",
        org_name(view, pairing.entity.org),
        t(lang, " · 共建协议", " · pairing")
    )
}

/// What a pairing says: its organisation, dates, state, commitments and end.
fn pairing_summary(
    lang: Language,
    view: &CommunityView,
    pairing: &WithStatus<Pairing, PairingStatus>,
) -> Markup {
    let org = pairing.entity.org;
    let ended = pairing
        .status
        .ended_at
        .map(|at| at.date_in_shanghai().to_string());
    html! {
        table #pairing-record {
            tr { th scope="row" { (t(lang, "单位党组织", "Organisation")) }
                 td { a href={ "/orgs/" (org.to_string()) } { (org_name(view, org)) } } }
            tr { th scope="row" { (t(lang, "签订日期", "Signed on")) } td { (pairing.entity.signed_on.to_string()) } }
            (super::streets::party_row(lang, pairing.entity.street))
            tr { th scope="row" { (t(lang, "状态", "State")) } td #pairing-state { (pairing_state(lang, &pairing.status)) } }
            @if let Some(ended) = ended {
                tr { th scope="row" { (t(lang, "终止日期", "Ended on")) } td { (ended) } }
                tr { th scope="row" { (t(lang, "终止理由", "Reason")) } td #end-reason { (end_reason(&pairing.status).unwrap_or_default()) } }
            }
        }
        h2 { (t(lang, "承诺事项", "Commitments")) }
        @if pairing.entity.commitments.is_empty() {
            p.empty { (t(lang, "暂无", "None yet")) }
        } @else {
            ul #commitments { @for item in &pairing.entity.commitments { li { (item) } } }
        }
    }
}

/// An item of a short list: where it links (nothing if it has no page), its text, and
/// a note after it.
struct Linked<'a> {
    href: String,
    text: &'a str,
    note: &'a str,
}

impl<'a> Linked<'a> {
    fn new(href: String, text: &'a str, note: &'a str) -> Self {
        Self { href, text, note }
    }
}

/// The records of `records` that `me` claimed, each linked to `{path}/{id}`, with
/// its state.
fn claimed_by<'v, Id: std::fmt::Display, E>(
    lang: Language,
    me: &Actor,
    path: &str,
    records: &'v BTreeMap<Id, WithStatus<E, ClaimStatus>>,
    title: fn(&E) -> &str,
) -> Vec<Linked<'v>> {
    records
        .iter()
        .filter(|(_, record)| record.status.claimant.as_ref() == Some(me))
        .map(|(id, record)| {
            let state = state_label(lang, record.status.state);
            Linked::new(format!("{path}/{id}"), title(&record.entity), state)
        })
        .collect()
}

/// A short list, or 暂无.
fn linked_list(lang: Language, id: &str, items: Vec<Linked<'_>>) -> Markup {
    html! {
        @if items.is_empty() {
            p.empty id=(id) { (t(lang, "暂无", "None yet")) }
        } @else {
            ul id=(id) {
                @for item in items {
                    li {
                        @if item.href.is_empty() { (item.text) } @else { a href=(item.href) { (item.text) } }
                        @if !item.note.is_empty() { " — " (item.note) }
                    }
                }
            }
        }
    }
}
