//! The pages of the love passbook's records: individual service records (个人服务记录,
//! service outside an activity, with the form to record one), redemptions (积分兑换,
//! with the form to redeem), and corrections (更正记录): a service record or a
//! redemption voided, with its reason, from the record's own page. Nothing is ever
//! deleted: a void is the record of a mistake.

use maud::{Markup, html};
use wishtree_protocol::id::{MemberId, PointsEntryId, ServiceId, VoidId};
use wishtree_protocol::model::{
    PointsEntry, PointsKind, PostKind, ScoringItem, ServiceRecord, Void,
};
use wishtree_protocol::names::Language;
use wishtree_protocol::view::{CommunityView, Voidable};

use super::forms::{Filled, Form, Refusal};
use super::html::{StatusBar, page, post_form, submit, t};
use super::ledger::{Adding, Ledger, ListAsked, Value, record_table};
use super::pages::{hours, post_label};
use super::tree::actor_name;

/// The service records, the newest day first, `list_page` of them, with the form to
/// record service outside an activity.
pub fn services_page(asked: ListAsked<'_>) -> String {
    let (view, filled) = (asked.view, &asked.filled);
    let lang = filled.lang;
    let categories = PostKind::ALL
        .iter()
        .map(|kind| (kind.code(), post_label(lang, *kind)));
    let items = ScoringItem::ALL
        .iter()
        .filter(|item| **item != ScoringItem::Activity)
        .map(|item| (item.code(), super::scoring::item_label(lang, *item)));
    let servers = server_choices(lang, view);
    let fields = html! {
        (filled.select("member", t(lang, "党员或志愿者", "Member or volunteer"), servers.iter().map(|(v, l)| (v.as_str(), l.as_str()))))
        (filled.input("date", t(lang, "服务日期（例如 2026-11-20）", "Date (e.g. 2026-11-20)")))
        (filled.input("hours", t(lang, "服务时长（小时，例如 1.5）", "Hours (e.g. 1.5)")))
        (filled.select("category", t(lang, "服务类别", "Category"), categories))
        (filled.select("item", t(lang, "积分项目", "Kind of service"), items))
        (filled.textarea("description", t(lang, "服务内容（可不填）", "What was done (optional)"), false))
    };
    let ledger = service_ledger(lang, view);
    ledger.page_adding(&asked, &ADD_SERVICE, fields)
}

/// The form under the list page above, that adds to its ledger.
const ADD_SERVICE: Adding = Adding {
    id: "service-form",
    title: ("登记个人服务", "Record service"),
    button: ("登记", "Record"),
};

/// The service records as a ledger: the list page's table and, built in Chinese, its
/// CSV. An activity's participations are service records too, titled by the activity.
pub fn service_ledger(
    lang: Language,
    view: &CommunityView,
) -> Ledger<'_, (&ServiceId, &Voidable<ServiceRecord>)> {
    let mut services: Vec<_> = view.services.iter().collect();
    services.sort_by_key(|(id, record)| (std::cmp::Reverse(record.entity.date), **id));
    let title = t(lang, "个人服务记录", "Service records");
    Ledger::new("services", title, services)
        .column(t(lang, "日期", "Date"), |(id, record)| {
            Value::link(format!("/services/{id}"), record.entity.date.to_string())
        })
        .column(t(lang, "党员", "Member"), |(_, record)| {
            Value::text(member_name(view, record.entity.member))
        })
        .column(t(lang, "服务内容", "What"), |(_, record)| {
            Value::text(what_was_done(view, &record.entity))
        })
        .column(t(lang, "类别", "Category"), move |(_, record)| {
            Value::text(post_label(lang, record.entity.category))
        })
        .column(t(lang, "时长（小时）", "Hours"), |(_, record)| {
            Value::number(hours(record.entity.minutes))
        })
        .column(t(lang, "积分", "Points"), |(_, record)| {
            Value::number(record.entity.points)
        })
        .column(t(lang, "状态", "State"), move |(_, record)| {
            Value::text(voided_label(lang, record.is_voided))
        })
        .file_column(t(lang, "更正理由", "Why voided"), |(id, _)| {
            Value::text(void_of_service(view, **id).map_or("", |(_, void)| &void.reason))
        })
        .closed_when(|(_, record)| record.is_voided)
}

/// One service record: who, when, how long, what, the points it earned and, unless it
/// is voided, the form that voids it with a reason; `form` and `refusal` are the last
/// void as typed and why it was refused.
pub fn service_page(
    lang: Language,
    view: &CommunityView,
    id: ServiceId,
    status: &StatusBar,
    form: &Form,
    refusal: Option<&Refusal>,
) -> Option<String> {
    let record = view.services.get(&id)?;
    let service = &record.entity;
    let void = void_of_service(view, id);
    let rows = [
        (t(lang, "党员", "Member"), member_link(view, service.member)),
        (
            t(lang, "服务日期", "Date"),
            html! { (service.date.to_string()) },
        ),
        (
            t(lang, "服务内容", "What"),
            html! { (what_was_done(view, service)) },
        ),
        (
            t(lang, "服务类别", "Category"),
            html! { (post_label(lang, service.category)) },
        ),
        (
            t(lang, "时长（小时）", "Hours"),
            html! { (hours(service.minutes)) },
        ),
        (
            t(lang, "获得积分", "Points earned"),
            html! { (service.points) },
        ),
        (
            t(lang, "状态", "State"),
            html! { span #record-state { (voided_label(lang, record.is_voided)) } },
        ),
    ];
    let body = html! {
        (record_table("service-record", &rows))
        (correction(lang, view, &format!("/services/{id}/void"), void, Filled::new(lang, form, refusal)))
    };
    let title = t(lang, "个人服务记录", "Service record");
    Some(page(lang, title, status, "/services", body))
}

/// The redemptions, the newest first, `list_page` of them, with the form to redeem.
pub fn redemptions_page(asked: ListAsked<'_>) -> String {
    let (view, filled) = (asked.view, &asked.filled);
    let lang = filled.lang;
    let members = member_choices(lang, view);
    let fields = html! {
        (filled.select("member", t(lang, "党员", "Member"), members.iter().map(|(v, l)| (v.as_str(), l.as_str()))))
        (super::scoring::benefit_select(filled, view))
    };
    let ledger = redemption_ledger(lang, view);
    ledger.page_adding(&asked, &ADD_REDEMPTION, fields)
}

/// The form under the list page above, that adds to its ledger.
const ADD_REDEMPTION: Adding = Adding {
    id: "redemption-form",
    title: ("积分兑换", "Redeem points"),
    button: ("兑换", "Redeem"),
};

/// The redemptions as a ledger: the list page's table and, built in Chinese, its CSV.
pub fn redemption_ledger(
    lang: Language,
    view: &CommunityView,
) -> Ledger<'_, (&PointsEntryId, &Voidable<PointsEntry>)> {
    let mut redemptions: Vec<_> = view
        .passbook
        .iter()
        .filter(|(_, entry)| entry.entity.kind == PointsKind::Redeem)
        .collect();
    redemptions.sort_by_key(|(id, entry)| (std::cmp::Reverse(entry.entity.at), **id));
    let title = t(lang, "积分兑换记录", "Redemptions");
    Ledger::new("redemptions", title, redemptions)
        .column(t(lang, "日期", "Date"), |(id, entry)| {
            let day = entry.entity.at.date_in_shanghai().to_string();
            Value::link(format!("/redemptions/{id}"), day)
        })
        .column(t(lang, "党员", "Member"), |(_, entry)| {
            Value::text(member_name(view, entry.entity.member))
        })
        .column(t(lang, "兑换积分", "Points"), |(_, entry)| {
            Value::number(entry.entity.points)
        })
        .column(t(lang, "兑换事项", "For what"), |(_, entry)| {
            Value::text(&entry.entity.reason)
        })
        .column(t(lang, "状态", "State"), move |(_, entry)| {
            Value::text(voided_label(lang, entry.is_voided))
        })
        .file_column(t(lang, "更正理由", "Why voided"), |(id, _)| {
            Value::text(void_of_entry(view, **id).map_or("", |(_, void)| &void.reason))
        })
        .closed_when(|(_, entry)| entry.is_voided)
}

/// One redemption, and unless it is voided the form that voids it with a reason.
pub fn redemption_page(
    lang: Language,
    view: &CommunityView,
    id: PointsEntryId,
    status: &StatusBar,
    form: &Form,
    refusal: Option<&Refusal>,
) -> Option<String> {
    let entry = view
        .passbook
        .get(&id)
        .filter(|entry| entry.entity.kind == PointsKind::Redeem)?;
    let balance = view
        .passbooks
        .get(&entry.entity.member)
        .map_or(0, |passbook| passbook.balance);
    let rows = [
        (
            t(lang, "党员", "Member"),
            member_link(view, entry.entity.member),
        ),
        (
            t(lang, "兑换时间", "When"),
            html! { (entry.entity.at.display_in_shanghai().to_string()) },
        ),
        (
            t(lang, "兑换积分", "Points"),
            html! { (entry.entity.points) },
        ),
        (
            t(lang, "兑换事项", "For what"),
            html! { (entry.entity.reason) },
        ),
        (t(lang, "积分余额", "Balance now"), html! { (balance) }),
        (
            t(lang, "状态", "State"),
            html! { span #record-state { (voided_label(lang, entry.is_voided)) } },
        ),
    ];
    let void = void_of_entry(view, id);
    let body = html! {
        (record_table("redemption-record", &rows))
        (correction(lang, view, &format!("/redemptions/{id}/void"), void, Filled::new(lang, form, refusal)))
    };
    let title = t(lang, "积分兑换", "Redemption");
    Some(page(lang, title, status, "/redemptions", body))
}

/// The corrections, the newest first, `list_page` of them. A correction is made on
/// the page of the record it corrects, so the list says where.
pub fn voids_page(
    lang: Language,
    view: &CommunityView,
    status: &StatusBar,
    list_page: Option<&str>,
) -> String {
    let how = html! {
        p.muted #how-to-void {
            (t(lang, "更正在记录自己的页面上进行：打开", "A record is corrected on its own page: open the "))
            a href="/services" { (t(lang, "个人服务记录", "service records")) }
            (t(lang, "或", " or the "))
            a href="/redemptions" { (t(lang, "积分兑换记录", "redemptions")) }
            (t(lang, "，选择要更正的一条。", ", and choose the one to correct."))
        }
    };
    void_ledger(lang, view).page(lang, status, list_page, how, html! {})
}

/// The corrections as a ledger: the list page's table and, built in Chinese, its CSV.
pub fn void_ledger(lang: Language, view: &CommunityView) -> Ledger<'_, (&VoidId, &Void)> {
    let mut voids: Vec<_> = view.voids.iter().collect();
    voids.sort_by_key(|(id, void)| (std::cmp::Reverse(void.at), **id));
    let title = t(lang, "更正记录", "Corrections");
    Ledger::new("voids", title, voids)
        .column(t(lang, "更正时间", "When"), |(id, void)| {
            Value::link(
                format!("/voids/{id}"),
                void.at.display_in_shanghai().to_string(),
            )
        })
        .column(
            t(lang, "更正的记录", "Record corrected"),
            move |(_, void)| {
                let (href, text) = voided_record(lang, view, void);
                Value::link(href, text)
            },
        )
        .column(t(lang, "更正理由", "Reason"), |(_, void)| {
            Value::text(&void.reason)
        })
        .column(t(lang, "操作人", "By"), |(_, void)| {
            Value::text(actor_name(view, &void.by))
        })
}

/// One correction: when, by whom, why, and the record it voided.
pub fn void_page(
    lang: Language,
    view: &CommunityView,
    id: VoidId,
    status: &StatusBar,
) -> Option<String> {
    let void = view.voids.get(&id)?;
    let (href, text) = voided_record(lang, view, void);
    let rows = [
        (
            t(lang, "更正的记录", "Record corrected"),
            html! { a href=(href) { (text) } },
        ),
        (t(lang, "更正理由", "Reason"), html! { (void.reason) }),
        (
            t(lang, "操作人", "By"),
            html! { (actor_name(view, &void.by)) },
        ),
        (
            t(lang, "更正时间", "When"),
            html! { (void.at.display_in_shanghai().to_string()) },
        ),
    ];
    let body = record_table("void-record", &rows);
    Some(page(
        lang,
        t(lang, "更正记录", "Correction"),
        status,
        "/voids",
        body,
    ))
}

/// The members to choose from, by name, with nobody chosen first.
fn member_choices(lang: Language, view: &CommunityView) -> Vec<(String, String)> {
    let members = super::collate::by_pinyin(&view.members, |member| &member.name);
    let nobody = (
        String::new(),
        t(lang, "请选择党员", "Choose a member").to_owned(),
    );
    std::iter::once(nobody)
        .chain(
            members
                .into_iter()
                .map(|(id, m)| (id.to_string(), m.name.clone())),
        )
        .collect()
}

/// Who may have served: the members, then the volunteers beyond them
/// (`volunteer:<id>`, whose service is recorded apart and earns no points).
fn server_choices(lang: Language, view: &CommunityView) -> Vec<(String, String)> {
    let mut choices = member_choices(lang, view);
    let volunteers = super::collate::by_pinyin(&view.volunteers, |volunteer| &volunteer.label);
    choices.extend(volunteers.into_iter().map(|(id, volunteer)| {
        let kind = super::volunteers::kind_label(lang, volunteer.kind);
        (
            format!("volunteer:{id}"),
            format!("{}（{kind}）", volunteer.label),
        )
    }));
    choices
}

/// What a service record says was done: its activity's title for a participation.
fn what_was_done(view: &CommunityView, service: &ServiceRecord) -> String {
    match service.activity.and_then(|id| view.activities.get(&id)) {
        Some(activity) => activity.title.clone(),
        None => service.description.clone(),
    }
}

fn member_name(view: &CommunityView, id: MemberId) -> String {
    actor_name(view, &wishtree_protocol::model::Actor::Member(id))
}

fn member_link(view: &CommunityView, id: MemberId) -> Markup {
    html! { a href={ "/members/" (id.to_string()) } { (member_name(view, id)) } }
}

pub(super) fn voided_label(lang: Language, is_voided: bool) -> &'static str {
    if is_voided {
        t(lang, "已作废", "voided")
    } else {
        t(lang, "有效", "in effect")
    }
}

/// The void of a service record, if it has one.
fn void_of_service(view: &CommunityView, id: ServiceId) -> Option<(&VoidId, &Void)> {
    view.voids.iter().find(|(_, void)| void.service == Some(id))
}

/// The void of a passbook entry, if it has one.
fn void_of_entry(view: &CommunityView, id: PointsEntryId) -> Option<(&VoidId, &Void)> {
    view.voids
        .iter()
        .find(|(_, void)| void.points_entry == Some(id))
}

/// The record a void cancels: where its page is and what to call it.
fn voided_record(lang: Language, view: &CommunityView, void: &Void) -> (String, String) {
    if let Some(service) = void.volunteer_service {
        let what = view
            .volunteer_services
            .get(&service)
            .map_or_else(String::new, |record| {
                let volunteer = wishtree_protocol::model::Actor::Volunteer(record.entity.volunteer);
                format!("{} {}", actor_name(view, &volunteer), record.entity.date)
            });
        return (
            format!("/volunteer-services/{service}"),
            format!("{}：{what}", t(lang, "志愿服务记录", "Volunteer service")),
        );
    }
    match (void.service, void.points_entry) {
        (Some(service), _) => {
            let what = view
                .services
                .get(&service)
                .map_or_else(String::new, |record| {
                    format!(
                        "{} {}",
                        member_name(view, record.entity.member),
                        record.entity.date
                    )
                });
            (
                format!("/services/{service}"),
                format!("{}：{what}", t(lang, "服务记录", "Service")),
            )
        }
        (None, Some(entry)) => {
            let what = view.passbook.get(&entry).map_or_else(String::new, |entry| {
                format!(
                    "{} {}",
                    member_name(view, entry.entity.member),
                    entry.entity.reason
                )
            });
            (
                format!("/redemptions/{entry}"),
                format!("{}：{what}", t(lang, "积分兑换", "Redemption")),
            )
        }
        (None, None) => (String::new(), String::new()),
    }
}

/// The correction part of a record's page: the void that cancelled it, or the form
/// that voids it with a reason (posted to `action`).
pub(super) fn correction(
    lang: Language,
    view: &CommunityView,
    action: &str,
    void: Option<(&VoidId, &Void)>,
    filled: Filled<'_>,
) -> Markup {
    match void {
        Some((id, void)) => html! {
            h2 { (t(lang, "更正", "Correction")) }
            // A second void posted from a stale page says why it was refused.
            (filled.summary())
            p #void-reason {
                (t(lang, "已于 ", "Voided on ")) (void.at.display_in_shanghai().to_string())
                (t(lang, " 作废，理由：", ", because: ")) (void.reason)
                " · " (actor_name(view, &void.by)) " · "
                a href={ "/voids/" (id.to_string()) } { (t(lang, "查看更正记录", "the correction")) }
            }
        },
        None => html! {
            h2 { (t(lang, "更正这条记录", "Correct this record")) }
            p { (t(
                lang,
                "记录有误时作废它（积分一并扣回），理由记入更正记录；作废不能撤销，正确的记录请重新登记。",
                "A mistaken record is voided (its points go with it) and the reason kept; a void is for good: record the right one again.",
            )) }
            (post_form("card", action, Some("void-form"), html! {
                (filled.summary())
                (filled.required("reason", t(lang, "更正理由（必填）", "Reason (required)")))
                (submit(t(lang, "作废这条记录", "Void this record")))
            }))
        },
    }
}
