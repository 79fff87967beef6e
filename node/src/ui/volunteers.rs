//! The pages of volunteers beyond the members (志愿者, issue 14 item 5): 离退休党员,
//! 学生党员 and 社区公益爱心人士. The list with the form to register one (the worker's
//! label is what the city sees; the real name and phone stay on this node), one
//! volunteer with the wishes they hold, their service and the form to record more,
//! and one service record with its correction. A volunteer claims a wish on the wish
//! tree, chosen among the claimants there; their hours never enter a member's
//! passbook, report or ranking.

use std::collections::BTreeMap;

use maud::html;
use wishtree_protocol::id::{VolunteerId, VolunteerServiceId};
use wishtree_protocol::lifecycle::ClaimState;
use wishtree_protocol::model::{Actor, PostKind, Volunteer, VolunteerKind, VolunteerService};
use wishtree_protocol::names::Language;
use wishtree_protocol::view::{CommunityView, Voidable};

use super::forms::{Filled, Form, Refusal};
use super::html::{StatusBar, page, post_form, submit, t};
use super::ledger::{Adding, Ledger, ListAsked, Value, record_table};
use super::pages::{hours, hours_of, post_label};
use super::passbook::{correction, voided_label};
use crate::store::VolunteerPrivate;

/// The volunteers, by label, `list_page` of them, with the form to register one.
pub fn volunteers_page(asked: ListAsked<'_>) -> String {
    let (view, filled) = (asked.view, &asked.filled);
    let lang = filled.lang;
    let kinds = VolunteerKind::ALL
        .iter()
        .map(|kind| (kind.code(), kind_label(lang, *kind)));
    let fields = html! {
        (filled.input("label", t(lang, "称呼（市、区平台看到的，例如 退休党员 王老师）", "Label the city sees (e.g. retired member Mr Wang)")))
        (filled.select("kind", t(lang, "类别", "Kind"), kinds))
        (filled.input("name", t(lang, "姓名（只存本机）", "Name (kept on this computer only)")))
        (filled.input("phone", t(lang, "联系电话（只存本机，可不填）", "Phone (kept on this computer only, optional)")))
        (filled.input("specialties", t(lang, "特长（用逗号分隔，可不填）", "Specialties (comma separated, optional)")))
        (filled.input("registered_on", t(lang, "登记日期（例如 2026-11-20）", "Registered on (e.g. 2026-11-20)")))
    };
    // The page shows no personal column; only the file does.
    let no_personal = BTreeMap::new();
    volunteer_ledger(lang, view, &no_personal).page_adding(&asked, &ADD_VOLUNTEER, fields)
}

/// The form under the list page above, that adds to its ledger.
const ADD_VOLUNTEER: Adding = Adding {
    id: "volunteer-form",
    title: ("登记志愿者", "Register a volunteer"),
    button: ("登记", "Register"),
};

/// The volunteers as a ledger: the list page's table and, built in Chinese, its CSV,
/// whose last columns are the name and phone `private` holds (the node's own file).
pub fn volunteer_ledger<'a>(
    lang: Language,
    view: &'a CommunityView,
    private: &'a BTreeMap<VolunteerId, VolunteerPrivate>,
) -> Ledger<'a, (&'a VolunteerId, &'a Volunteer)> {
    let volunteers = super::collate::by_pinyin(&view.volunteers, |volunteer| &volunteer.label);
    let title = t(lang, "志愿者", "Volunteers");
    Ledger::new("volunteers", title, volunteers)
        .column(t(lang, "称呼", "Label"), |(id, volunteer)| {
            Value::link(format!("/volunteers/{id}"), &volunteer.label)
        })
        .column(t(lang, "类别", "Kind"), move |(_, volunteer)| {
            Value::text(kind_label(lang, volunteer.kind))
        })
        .column(t(lang, "特长", "Specialties"), |(_, volunteer)| {
            Value::text(volunteer.specialties.join("、"))
        })
        .column(
            t(lang, "登记日期", "Registered on"),
            |(_, volunteer)| Value::text(volunteer.registered_on.to_string()),
        )
        .column(t(lang, "认领心愿", "Wishes held"), |(id, _)| {
            Value::number(wishes_held(view, **id).len())
        })
        .column(
            t(lang, "服务时长（小时）", "Hours served"),
            |(id, _)| {
                let minutes = view
                    .counted_volunteer_services()
                    .filter(|(_, service)| service.volunteer == **id)
                    .map(|(_, service)| u64::from(service.minutes))
                    .sum();
                Value::text(hours_of(minutes))
            },
        )
        .file_column(
            t(lang, "姓名（仅本机）", "Name (this node)"),
            |(id, _)| Value::text(private.get(*id).map_or("", |p| p.name.as_str())),
        )
        .file_column(
            t(lang, "联系电话（仅本机）", "Phone (this node)"),
            |(id, _)| Value::text(private.get(*id).map_or("", |p| p.phone.as_str())),
        )
}

/// One volunteer: their record with the personal data, the wishes they hold, their
/// service records and the form that records more (`filled` as last typed).
pub fn volunteer_page(
    view: &CommunityView,
    id: VolunteerId,
    private: &VolunteerPrivate,
    status: &StatusBar,
    filled: &Filled<'_>,
) -> Option<String> {
    let lang = filled.lang;
    let volunteer = view.volunteers.get(&id)?;
    let rows = [
        (t(lang, "称呼", "Label"), html! { (volunteer.label) }),
        (
            t(lang, "类别", "Kind"),
            html! { (kind_label(lang, volunteer.kind)) },
        ),
        (t(lang, "姓名", "Name"), html! { (private.name) }),
        (t(lang, "联系电话", "Phone"), html! { (private.phone) }),
        (
            t(lang, "特长", "Specialties"),
            html! { (volunteer.specialties.join("、")) },
        ),
        (
            t(lang, "登记日期", "Registered on"),
            html! { (volunteer.registered_on.to_string()) },
        ),
    ];
    let wishes = wishes_held(view, id);
    let categories = PostKind::ALL
        .iter()
        .map(|kind| (kind.code(), post_label(lang, *kind)));
    let services = service_ledger(lang, view, id);
    let body = html! {
        (record_table("volunteer-record", &rows))
        p.muted { (t(lang, "姓名和电话只存在本机，不同步到市、区平台。", "Name and phone stay on this computer; they are not synced.")) }
        h2 { (t(lang, "认领的微心愿", "Wishes held")) " " b #volunteer-wishes-count { (wishes.len()) } }
        @if wishes.is_empty() {
            p.empty #volunteer-wishes { (t(lang, "暂无。认领心愿：在心愿树上打开待认领的心愿，认领人选这位志愿者。", "None yet. To claim, open a published wish on the tree and choose this volunteer.")) }
        } @else {
            ul #volunteer-wishes {
                @for (wish, title, state) in &wishes {
                    li { a href={ "/wishes/" (wish.to_string()) } { (title) } " — " (super::tree::state_label(lang, *state)) }
                }
            }
        }
        h2 { (t(lang, "服务记录", "Service")) }
        (services.table(lang, "volunteer-services"))
        h2 { (t(lang, "登记服务", "Record service")) }
        (post_form("card", &format!("/volunteers/{id}/services"), Some("volunteer-service-form"), html! {
            (filled.summary())
            (filled.input("date", t(lang, "服务日期（例如 2026-11-20）", "Date (e.g. 2026-11-20)")))
            (filled.input("hours", t(lang, "服务时长（小时，例如 1.5）", "Hours (e.g. 1.5)")))
            (filled.select("category", t(lang, "服务类别", "Category"), categories))
            (filled.textarea("description", t(lang, "服务内容（可不填）", "What was done (optional)"), false))
            (submit(t(lang, "登记", "Record")))
        }))
    };
    Some(page(lang, &volunteer.label, status, "/volunteers", body))
}

/// One volunteer's service record and, unless it is voided, the form that voids it
/// with a reason (`form` and `refusal` as last typed and why refused).
pub fn volunteer_service_page(
    lang: Language,
    view: &CommunityView,
    id: VolunteerServiceId,
    status: &StatusBar,
    form: &Form,
    refusal: Option<&Refusal>,
) -> Option<String> {
    let record = view.volunteer_services.get(&id)?;
    let service = &record.entity;
    let volunteer = Actor::Volunteer(service.volunteer);
    let rows = [
        (
            t(lang, "志愿者", "Volunteer"),
            html! { a href={ "/volunteers/" (service.volunteer.to_string()) } { (super::tree::actor_name(view, &volunteer)) } },
        ),
        (
            t(lang, "服务日期", "Date"),
            html! { (service.date.to_string()) },
        ),
        (t(lang, "服务内容", "What"), html! { (service.description) }),
        (
            t(lang, "服务类别", "Category"),
            html! { (post_label(lang, service.category)) },
        ),
        (
            t(lang, "时长（小时）", "Hours"),
            html! { (hours(service.minutes)) },
        ),
        (
            t(lang, "状态", "State"),
            html! { span #record-state { (voided_label(lang, record.is_voided)) } },
        ),
    ];
    let void = view
        .voids
        .iter()
        .find(|(_, void)| void.volunteer_service == Some(id));
    let action = format!("/volunteer-services/{id}/void");
    let body = html! {
        (record_table("volunteer-service-record", &rows))
        (correction(lang, view, &action, void, Filled::new(lang, form, refusal)))
    };
    let title = t(lang, "志愿服务记录", "Volunteer service record");
    Some(page(lang, title, status, "/volunteers", body))
}

/// A volunteer kind in the reader's language.
pub fn kind_label(lang: Language, kind: VolunteerKind) -> &'static str {
    match lang {
        Language::Chinese => kind.label_zh(),
        Language::English => kind.label_en(),
    }
}

/// One volunteer's service records, the newest day first, as a table.
fn service_ledger(
    lang: Language,
    view: &CommunityView,
    volunteer: VolunteerId,
) -> Ledger<'_, (&VolunteerServiceId, &Voidable<VolunteerService>)> {
    let mut services: Vec<_> = view
        .volunteer_services
        .iter()
        .filter(|(_, record)| record.entity.volunteer == volunteer)
        .collect();
    services.sort_by_key(|(id, record)| (std::cmp::Reverse(record.entity.date), **id));
    Ledger::new("volunteer-services", "", services)
        .column(t(lang, "日期", "Date"), |(id, record)| {
            Value::link(
                format!("/volunteer-services/{id}"),
                record.entity.date.to_string(),
            )
        })
        .column(t(lang, "服务内容", "What"), |(_, record)| {
            Value::text(&record.entity.description)
        })
        .column(t(lang, "类别", "Category"), move |(_, record)| {
            Value::text(post_label(lang, record.entity.category))
        })
        .column(t(lang, "时长（小时）", "Hours"), |(_, record)| {
            Value::text(hours(record.entity.minutes))
        })
        .column(t(lang, "状态", "State"), move |(_, record)| {
            Value::text(voided_label(lang, record.is_voided))
        })
        .closed_when(|(_, record)| record.is_voided)
}

/// The wishes a volunteer holds now (claimed or fulfilled), with title and state.
fn wishes_held(
    view: &CommunityView,
    volunteer: VolunteerId,
) -> Vec<(wishtree_protocol::id::WishId, &str, ClaimState)> {
    let actor = Actor::Volunteer(volunteer);
    view.wishes
        .iter()
        .filter(|(_, wish)| {
            matches!(
                wish.status.state,
                ClaimState::Claimed | ClaimState::Fulfilled
            ) && wish.status.claimant.as_ref() == Some(&actor)
        })
        .map(|(id, wish)| (*id, wish.entity.title.as_str(), wish.status.state))
        .collect()
}
