//! The street's pages (街道, issue 14 item 3) on the node of the community the city
//! names host of its street: the units reported in to the street with the form to
//! record one, the street's pairings and its projects; and the party field (本社区 /
//! 本街道) of the pairing and project forms. On any other node `/street` says which
//! community keeps the street's records, and offers nothing to write.

use maud::{Markup, html};
use wishtree_protocol::names::Language;
use wishtree_protocol::street::{StreetCode, StreetHost};
use wishtree_protocol::view::CommunityView;

use super::forms::Filled;
use super::html::{Row, StatusBar, page, post_form, submit, t, table};
use super::orgs::{org_choice, org_name};
use super::projects::stage_label;
use crate::api::Party;

/// The party field of a pairing's or a project's form: offered on the street's host,
/// or wherever a party was typed (so a refused one is shown beside its field).
pub fn party_field(filled: &Filled<'_>, status: &StatusBar) -> Markup {
    if !status.hosts_street && filled.form.value("party").is_empty() {
        return html! {};
    }
    let lang = filled.lang;
    let options = Party::ALL
        .into_iter()
        .map(|party| (party.code(), party_label(lang, party)));
    filled.select("party", t(lang, "签订方 / 项目归属", "Party"), options)
}

/// The row of a pairing's or project's page that names its party: 本街道 for the
/// street's, nothing for the community's own (every record before streets).
pub fn party_row(lang: Language, street: Option<StreetCode>) -> Markup {
    match street {
        None => html! {},
        Some(street) => html! {
            tr { th scope="row" { (t(lang, "归属", "Party")) }
                 td #party data-street=(street.as_str()) { (party_label(lang, Party::Street)) "（" (street.as_str()) "）" } }
        },
    }
}

/// A party in the reader's words.
pub fn party_label(lang: Language, party: Party) -> &'static str {
    match party {
        Party::Community => t(lang, "本社区", "This community"),
        Party::Street => t(lang, "本街道", "The street"),
    }
}

/// `/street`: the street's own records kept here, with the form of a unit's report-in
/// to the street (`filled`, as typed and refused); or, on a node that is not the
/// host, why they are not kept here.
pub fn street_page(
    view: &CommunityView,
    street: &StreetHost,
    status: &StatusBar,
    filled: &Filled<'_>,
) -> String {
    let lang = filled.lang;
    let code = street.street();
    let title = format!(
        "{}（{code}）",
        t(lang, "街道本级", "The street's own records")
    );
    let body = match street.check(&view.community.code) {
        Err(refusal) => html! {
            p #not-host { (match lang {
                Language::Chinese => refusal.message_zh(),
                Language::English => refusal.to_string(),
            }) }
        },
        Ok(_) => html! {
            h2 { (t(lang, "向街道报到的单位党组织", "Units reported in to the street")) }
            (report_ins(lang, view))
            h2 #report-in-title { (t(lang, "登记单位向街道报到", "Record a unit's report-in")) }
            (report_in_form(view, filled))
            h2 { (t(lang, "街道共建协议", "The street's pairings")) }
            (pairings(lang, view))
            p { a href="/pairings#pairing-form" { (t(lang, "以街道名义签订共建协议", "Sign a pairing for the street")) } }
            h2 { (t(lang, "街道民生微项目", "The street's projects")) }
            (projects(lang, view))
            p { a href="/projects#project-form" { (t(lang, "征集街道民生微项目", "Submit a project for the street")) } }
            // The street's records are in the community's ledgers, marked 本街道.
            p #street-exports {
                (t(lang, "导出（表格中“本街道”为街道本级记录）：", "Export (the street's own records are marked 本街道): "))
                a href="/orgs.csv" { (t(lang, "单位党组织台账", "organisations")) } " · "
                a href="/pairings.csv" { (t(lang, "共建协议台账", "pairings")) } " · "
                a href="/projects.csv" { (t(lang, "民生微项目台账", "projects")) }
            }
        },
    };
    page(lang, &title, status, "/street", body)
}

fn report_ins(lang: Language, view: &CommunityView) -> Markup {
    let heads = [
        t(lang, "单位党组织", "Organisation"),
        t(lang, "统一社会信用代码", "Credit code"),
        t(lang, "报到日期", "Reported in"),
    ];
    let units = view.orgs.iter().filter_map(|(id, org)| {
        let day = org.street_reported_in?;
        Some([
            html! { a href={ "/orgs/" (id.to_string()) } { (org.name) } },
            html! { (org.credit_code.as_str()) },
            html! { (day.to_string()) },
        ])
    });
    street_table(lang, "street-units", heads, units)
}

fn report_in_form(view: &CommunityView, filled: &Filled<'_>) -> Markup {
    let lang = filled.lang;
    post_form(
        "card",
        "/street/report-ins",
        Some("report-in-form"),
        html! {
            (filled.summary())
            (org_choice(filled, view))
            (filled.input("on", t(lang, "报到日期（例如 2026-11-20）", "Reported in on (e.g. 2026-11-20)")))
            (submit(t(lang, "登记报到", "Record")))
        },
    )
}

fn pairings(lang: Language, view: &CommunityView) -> Markup {
    let heads = [
        t(lang, "单位党组织", "Organisation"),
        t(lang, "签订日期", "Signed on"),
        t(lang, "状态", "State"),
    ];
    let state = |active: bool| match active {
        true => t(lang, "有效", "Active"),
        false => t(lang, "已终止", "Ended"),
    };
    let street_pairings = view
        .pairings
        .iter()
        .filter(|(_, p)| p.entity.street.is_some());
    let rows = street_pairings.map(|(id, pairing)| {
        [
            html! { a href={ "/pairings/" (id.to_string()) } { (org_name(view, pairing.entity.org)) } },
            html! { (pairing.entity.signed_on.to_string()) },
            html! { (state(pairing.status.is_active())) },
        ]
    });
    street_table(lang, "street-pairings", heads, rows)
}

fn projects(lang: Language, view: &CommunityView) -> Markup {
    let heads = [
        t(lang, "项目", "Project"),
        t(lang, "阶段", "Stage"),
        t(lang, "提交日期", "Submitted"),
    ];
    let street_projects = view
        .projects
        .iter()
        .filter(|(_, p)| p.entity.street.is_some());
    let rows = street_projects.map(|(id, project)| {
        [
            html! { a href={ "/projects/" (id.to_string()) } { (project.entity.title) } },
            html! { (stage_label(lang, project.status.stage)) },
            html! { (project.entity.submitted_at.date_in_shanghai().to_string()) },
        ]
    });
    street_table(lang, "street-projects", heads, rows)
}

/// One of the street page's three lists: a table of three columns, or 暂无.
fn street_table(
    lang: Language,
    id: &str,
    heads: [&str; 3],
    rows: impl Iterator<Item = [Markup; 3]>,
) -> Markup {
    let rows = rows.map(|cells| Row::new(cells.into())).collect();
    table(lang, Some(id), &heads, rows)
}
