//! The pages around the tree: the member ledger (七清楚), one member with their love
//! passbook, activities with sign-up; the public board is [`super::board`].

use std::collections::BTreeMap;

use maud::html;
use wishtree_protocol::id::{ActivityId, MemberId};
use wishtree_protocol::model::{Activity, Actor, Member, PointsKind, PostKind};
use wishtree_protocol::names::Language;
use wishtree_protocol::view::CommunityView;

use super::forms::{Filled, Form, NOTHING_TYPED, Refusal, error_summary};
use super::html::{Row, StatusBar, page, post_form, select_field, submit, t, table, words};
use super::ledger::{Adding, Ledger, ListAsked, Value};
use super::tree::{actor_name, state_label};

/// A member's personal data, kept on this node only: (address, phone).
pub type PrivateMembers = BTreeMap<MemberId, (String, String)>;

/// What a member's page says about the last write made on it.
#[derive(Debug, Clone, Copy, Default)]
pub enum MemberWrite<'a> {
    /// Nothing to say: the page was opened.
    #[default]
    None,
    /// The redemption was refused: what was typed, and why.
    RedeemRefused(&'a Form, &'a Refusal),
    /// The ledger edit was refused: what was typed, and why.
    EditRefused(&'a Form, &'a Refusal),
}

/// The member ledger, `list_page` of it, with the form to add a member.
pub fn members_page(
    view: &CommunityView,
    private: &PrivateMembers,
    status: &StatusBar,
    filled: Filled<'_>,
    list_page: Option<&str>,
) -> String {
    let lang = filled.lang;
    let ledger = member_ledger(lang, view, private);
    let intro = html! {
        p { (t(lang, "已报到党员", "Members reported in:")) " " b #member-count { (ledger.len()) } }
    };
    let fields = member_fields(&filled, view);
    let form = ledger.form(&filled, &ADD_MEMBER, fields);
    ledger.page(lang, status, list_page, intro, form)
}

/// The form under the list page above, that adds to its ledger.
const ADD_MEMBER: Adding = Adding {
    id: "member-form",
    title: ("登记报到党员", "Record a member"),
    button: ("登记", "Record"),
};

/// The member ledger (七清楚), by name, with the two personal items this node keeps:
/// the list page's table and, built in Chinese, its CSV.
pub fn member_ledger<'a>(
    lang: Language,
    view: &'a CommunityView,
    private: &'a PrivateMembers,
) -> Ledger<'a, (&'a MemberId, &'a Member)> {
    let personal = |id: &MemberId| {
        private
            .get(id)
            .map_or(("", ""), |(a, p)| (a.as_str(), p.as_str()))
    };
    let members = super::collate::by_pinyin(&view.members, |member| &member.name);
    let title = t(lang, "在职党员信息台账（七清楚）", "Member ledger");
    Ledger::new("members", title, members)
        .column(t(lang, "姓名", "Name"), |(id, member)| {
            Value::link(format!("/members/{id}"), &member.name)
        })
        .column(t(lang, "所在单位", "Work unit"), |(_, member)| {
            Value::text(&member.work_unit)
        })
        .column(t(lang, "现任职务", "Position"), |(_, member)| {
            Value::text(&member.position)
        })
        .column(t(lang, "个人特长", "Specialties"), |(_, member)| {
            Value::text(member.specialties.join("、"))
        })
        .column(t(lang, "服务意向", "Offers"), move |(_, member)| {
            Value::text(intentions(lang, &member.intentions))
        })
        .column(
            t(lang, "家庭住址（仅本机）", "Address (this node)"),
            move |(id, _)| Value::text(personal(id).0),
        )
        .column(
            t(lang, "联系方式（仅本机）", "Phone (this node)"),
            move |(id, _)| Value::text(personal(id).1),
        )
        .column(t(lang, "报到日期", "Reported in"), |(_, member)| {
            Value::text(member.reported_in.to_string())
        })
        .file_column(t(lang, "单位党组织", "Organisation"), |(_, member)| {
            Value::text(
                member
                    .org
                    .map(|org| super::orgs::org_name(view, org))
                    .unwrap_or_default(),
            )
        })
        .file_column(t(lang, "功能型党支部", "Branch"), |(_, member)| {
            Value::text(
                member
                    .branch
                    .and_then(|id| view.branches.get(&id))
                    .map_or("", |b| b.name.as_str()),
            )
        })
        .file_column(t(lang, "服务队", "Team"), |(_, member)| {
            Value::text(
                member
                    .team
                    .and_then(|id| view.teams.get(&id))
                    .map_or("", |team| team.name.as_str()),
            )
        })
}

/// One member: the ledger's seven items (七清楚) with the personal ones kept on this
/// node, hours of service, the love passbook with its balance and flags, claims, and
/// the forms to redeem points and to edit the ledger. A refused form holds what was
/// typed; otherwise the edit form holds the member's own ledger.
pub fn member_page(
    lang: Language,
    view: &CommunityView,
    id: MemberId,
    private: (&str, &str),
    status: &StatusBar,
    write: MemberWrite<'_>,
    cards: maud::Markup,
) -> Option<String> {
    let member = view.members.get(&id)?;
    let (address, phone) = private;
    let own = own_ledger(member, address, phone);

    let (redeem_form, edit_form, refusal) = match write {
        MemberWrite::None => (&NOTHING_TYPED, &own, None),
        MemberWrite::RedeemRefused(typed, refusal) => (typed, &own, Some(refusal)),
        MemberWrite::EditRefused(typed, refusal) => (&NOTHING_TYPED, typed, Some(refusal)),
    };
    // One refusal at a time: the two forms have no field name in common, so the
    // message beside a field shows in the form that was posted.
    let redeem_filled = Filled::new(lang, redeem_form, refusal);
    let edit_filled = Filled::new(lang, edit_form, refusal);
    let book = view.passbooks.get(&id).cloned().unwrap_or_default();
    let mut entries: Vec<_> = view
        .passbook
        .iter()
        .filter(|(_, e)| e.entity.member == id)
        .collect();
    entries.sort_by_key(|(entry_id, e)| (e.entity.at, **entry_id));
    let heads = words(
        lang,
        &[
            ("时间", "When"),
            ("类型", "Kind"),
            ("积分", "Points"),
            ("事由", "Reason"),
        ],
    );
    let rows = entries
        .into_iter()
        .map(|(entry_id, entry)| Row {
            class: book.overdrawn_by.contains(entry_id).then_some("flag"),
            cells: vec![
                html! { (entry.entity.at.display_in_shanghai().to_string()) },
                html! {
                    @match lang {
                        Language::Chinese => (entry.entity.kind.label_zh()),
                        Language::English => (entry.entity.kind.label_en()),
                    }
                },
                html! {
                    (if entry.entity.kind == PointsKind::Earn { "+" } else { "−" })
                    (entry.entity.points)
                },
                html! {
                    (entry.entity.reason)
                    @if entry.is_voided { (t(lang, "（已作废）", " (voided)")) }
                },
            ],
        })
        .collect();
    let me = Actor::Member(id);
    let minutes: u64 = view
        .counted_services()
        .filter(|(_, service)| service.member == id)
        .map(|(_, service)| u64::from(service.minutes))
        .sum();
    let org = member
        .org
        .map(|org| super::orgs::org_name(view, org))
        .unwrap_or_default();
    let ledger = [
        (t(lang, "姓名", "Name"), member.name.clone()),
        (t(lang, "所在单位", "Work unit"), member.work_unit.clone()),
        (
            t(lang, "所在单位党组织", "Unit organisation"),
            org.to_owned(),
        ),
        (t(lang, "现任职务", "Position"), member.position.clone()),
        (
            t(lang, "个人特长", "Specialties"),
            member.specialties.join("、"),
        ),
        (
            t(lang, "服务意向", "Offers"),
            intentions(lang, &member.intentions),
        ),
        (
            t(lang, "家庭住址（仅本机）", "Address (this node)"),
            address.to_owned(),
        ),
        (
            t(lang, "联系方式（仅本机）", "Phone (this node)"),
            phone.to_owned(),
        ),
        (
            t(lang, "报到日期", "Reported in"),
            member.reported_in.to_string(),
        ),
    ];
    let redeem = html! {
        (super::scoring::benefit_select(&redeem_filled, view))
        (submit(t(lang, "兑换", "Redeem")))
    };
    let claimed: Vec<_> = view
        .wishes
        .iter()
        .filter(|(_, wish)| wish.status.claimant.as_ref() == Some(&me))
        .collect();
    let body = html! {
        (error_summary(lang, refusal))
        table #ledger {
            @for (head, value) in &ledger {
                tr { th scope="row" { (head) } td { (value) } }
            }
        }
        div.figures {
            div.figure { (t(lang, "服务时长（小时）", "Hours of service")) b #member-hours { (hours_of(minutes)) } }
            div.figure { (t(lang, "积分余额", "Points balance")) b #balance { (book.balance) } }
            div.figure { (t(lang, "累计存入", "Earned")) b { (book.earned) } }
            div.figure { (t(lang, "累计支取", "Redeemed")) b { (book.redeemed) } }
        }
        h2 { (t(lang, "爱心存折", "Love passbook")) }
        (super::scoring::member_standing(lang, view, id))
        @if book.is_overdrawn() {
            p.flag #overdrawn {
                (t(
                    lang,
                    "余额为负：离线时在两处同时支取，请社区核对处理",
                    "Overdrawn: two redemptions made offline spent more than the balance; the community must settle it"
                ))
            }
        }
        (table(lang, Some("passbook"), &heads, rows))
        (post_form("card", &format!("/members/{id}/redeem"), None, redeem))
        h2 { (t(lang, "认领的心愿", "Wishes claimed")) }
        @if claimed.is_empty() {
            p.empty { (t(lang, "暂无", "None yet")) }
        } @else {
            ul #member-wishes {
                @for (wish_id, wish) in claimed {
                    li {
                        a href={ "/wishes/" (wish_id.to_string()) } { (wish.entity.title) }
                        " — " (state_label(lang, wish.status.state))
                    }
                }
            }
        }
        p {
            a href={ "/reports/half-year?member=" (id.to_string()) } {
                (t(lang, "半年报告（报到—服务—报告）", "Half-year report"))
            }
        }
        (cards)
        h2 #edit { (t(lang, "修改台账", "Edit the ledger")) }
        (post_form(
            "card",
            &format!("/members/{id}"),
            Some("member-edit-form"),
            html! { (member_fields(&edit_filled, view)) (submit(t(lang, "保存", "Save"))) },
        ))
    };
    Some(page(lang, &member.name, status, "/members", body))
}

/// The fields of the ledger form, to add a member or edit one, holding what `filled`
/// holds, each with its message beside it.
pub fn member_fields(filled: &Filled, view: &CommunityView) -> maud::Markup {
    let lang = filled.lang;
    // A unit's branches are named with their unit, so a member is linked to the right one.
    let org_names: Vec<(String, String)> = view
        .orgs
        .iter()
        .map(|(id, org)| (format!("org:{id}"), org.full_name()))
        .collect();
    let orgs = choices(
        org_names
            .iter()
            .map(|(value, name)| (value.clone(), name.as_str())),
    );
    let branches = choices(
        view.branches
            .iter()
            .map(|(id, branch)| (id.to_string(), branch.name.as_str())),
    );
    let teams = choices(
        view.teams
            .iter()
            .map(|(id, team)| (id.to_string(), team.name.as_str())),
    );
    html! {
        (filled.input("name", t(lang, "姓名", "Name")))
        (filled.input("work_unit", t(lang, "所在单位", "Work unit")))
        (filled.select("org", t(lang, "所在单位党组织", "Unit organisation"), as_options(&orgs)))
        (filled.input("position", t(lang, "现任职务", "Position")))
        (filled.input(
            "specialties",
            t(lang, "个人特长（用顿号或逗号分隔）", "Specialties (comma separated)"),
        ))
        fieldset {
            legend { (t(lang, "服务意向", "Offers to serve in")) }
            @for kind in PostKind::ALL {
                label.choice {
                    input type="checkbox" name="intentions" value=(kind.code())
                        checked[filled.form.has_value("intentions", kind.code())];
                    (post_label(lang, *kind))
                }
            }
        }
        (filled.error("intentions"))
        (filled.input("reported_in", t(lang, "报到日期（例如 2026-11-20）", "Reported in (e.g. 2026-11-20)")))
        (filled.input(
            "address",
            t(lang, "家庭住址（仅保存在本机）", "Home address (this node only)"),
        ))
        (filled.input("phone", t(lang, "联系方式（仅保存在本机）", "Phone (this node only)")))
        (filled.select("branch", t(lang, "功能型党支部（可不选）", "Functional branch (optional)"), as_options(&branches)))
        (filled.select("team", t(lang, "服务队（可不选）", "Service team (optional)"), as_options(&teams)))
    }
}

/// The choices of a select that may be left empty: "—" first, then (value, label).
fn choices<'v>(records: impl Iterator<Item = (String, &'v str)>) -> Vec<(String, &'v str)> {
    std::iter::once((String::new(), "—"))
        .chain(records)
        .collect()
}

/// [`choices`] as a select's options.
fn as_options<'c>(choices: &'c [(String, &'c str)]) -> impl Iterator<Item = (&'c str, &'c str)> {
    choices
        .iter()
        .map(|(value, label)| (value.as_str(), *label))
}

/// The member's own ledger as the edit form starts with it, written as the form's
/// fields are (the organisation as `org:<id>`, one `intentions` per service offered).
fn own_ledger(member: &Member, address: &str, phone: &str) -> Form {
    let org = member
        .org
        .map(|org| format!("org:{org}"))
        .unwrap_or_default();
    let reported_in = member.reported_in.to_string();
    let specialties = member.specialties.join("、");
    let branch = member.branch.map(|id| id.to_string()).unwrap_or_default();
    let team = member.team.map(|id| id.to_string()).unwrap_or_default();
    let form = Form::with(&[
        ("name", &member.name),
        ("work_unit", &member.work_unit),
        ("org", &org),
        ("position", &member.position),
        ("specialties", &specialties),
        ("reported_in", &reported_in),
        ("address", address),
        ("phone", phone),
        ("branch", &branch),
        ("team", &team),
    ]);
    member
        .intentions
        .iter()
        .fold(form, |form, kind| form.and("intentions", kind.code()))
}

/// Activities, newest first, `list_page` of them, with the form to add one.
pub fn activities_page(asked: ListAsked<'_>) -> String {
    let (view, filled) = (asked.view, &asked.filled);
    let lang = filled.lang;
    let ledger = activity_ledger(lang, view);
    let categories = PostKind::ALL
        .iter()
        .map(|kind| (kind.code(), post_label(lang, *kind)));
    let fields = html! {
        (filled.input("title", t(lang, "活动名称", "Title")))
        (filled.select("category", t(lang, "类别", "Category"), categories))
        (filled.input("date", t(lang, "日期（例如 2026-11-20）", "Date (e.g. 2026-11-20)")))
        (filled.input("hours", t(lang, "每人服务时长（小时）", "Hours each participant serves")))
        (filled.input("place", t(lang, "地点", "Place")))
    };
    ledger.page_adding(&asked, &ADD_ACTIVITY, fields)
}

/// The form under the list page above, that adds to its ledger.
const ADD_ACTIVITY: Adding = Adding {
    id: "activity-form",
    title: ("新建活动", "New activity"),
    button: ("新建", "Create"),
};

/// The activities, newest first, with how many took part: the list page's table
/// and, built in Chinese, its CSV (with the place).
pub fn activity_ledger(
    lang: Language,
    view: &CommunityView,
) -> Ledger<'_, (&ActivityId, &Activity)> {
    let mut activities: Vec<_> = view.activities.iter().collect();
    activities.sort_by(|a, b| b.1.date.cmp(&a.1.date).then(a.0.cmp(b.0)));
    let counted: BTreeMap<ActivityId, usize> =
        view.participations()
            .fold(BTreeMap::new(), |mut counts, (activity, _)| {
                *counts.entry(activity).or_default() += 1;
                counts
            });
    let title = t(lang, "志愿服务活动", "Service activities");
    Ledger::new("activities", title, activities)
        .column(t(lang, "日期", "Date"), |(_, activity)| {
            Value::text(activity.date.to_string())
        })
        .column(t(lang, "活动", "Activity"), |(id, activity)| {
            Value::link(format!("/activities/{id}"), &activity.title)
        })
        .column(t(lang, "类别", "Category"), move |(_, activity)| {
            Value::text(post_label(lang, activity.category))
        })
        .column(t(lang, "时长（小时）", "Hours"), |(_, activity)| {
            Value::number(hours(activity.minutes))
        })
        .column(t(lang, "参加人数", "Participants"), move |(id, _)| {
            Value::number(counted.get(*id).copied().unwrap_or(0))
        })
        .file_column(t(lang, "地点", "Place"), |(_, activity)| {
            Value::text(&activity.place)
        })
}

/// One activity with the members who attended, those signed up or checked in and not
/// yet attended, the link to its check-in QR code, and the worker's confirmation of
/// attendance by hand (确认出勤, for a member without a phone).
pub fn activity_page(
    lang: Language,
    view: &CommunityView,
    id: ActivityId,
    status: &StatusBar,
    refusal: Option<&Refusal>,
) -> Option<String> {
    let filled = Filled::new(lang, &NOTHING_TYPED, refusal);
    let activity = view.activities.get(&id)?;
    let participants: Vec<MemberId> = view
        .participations()
        .filter(|(activity_id, _)| *activity_id == id)
        .map(|(_, member)| member)
        .collect();
    let mut members: Vec<_> = view
        .members
        .iter()
        .filter(|(m, _)| !participants.contains(m))
        .collect();
    super::collate::sort_by_pinyin(&mut members, |(_, member)| &member.name);
    let ids: Vec<String> = members.iter().map(|(m, _)| m.to_string()).collect();
    // Nobody is chosen until the worker chooses, so one click cannot sign up the
    // first name on the list.
    let options = std::iter::once(("", t(lang, "请选择党员", "Choose a member"))).chain(
        ids.iter()
            .zip(&members)
            .map(|(value, (_, member))| (value.as_str(), member.name.as_str())),
    );
    let confirm = html! {
        (select_field("member", t(lang, "确认出勤（无手机的党员或补录）", "Confirm attendance (members without a phone, or after the fact)"), options, ""))
        (filled.error("member"))
        (submit(t(lang, "确认出勤", "Confirm attendance")))
    };
    // Signed up or checked in, not attended yet: intentions, no hours.
    let pending: Vec<(MemberId, &'static str)> = activity
        .participants
        .iter()
        .filter(|(_, participation)| !participation.is_attended())
        .filter_map(|(member, participation)| {
            let stage = participation.stage?;
            Some((
                member.parse().ok()?,
                t(lang, stage.label_zh(), stage.label_en()),
            ))
        })
        .collect();
    let body = html! {
        (filled.summary())
        p {
            (activity.date.to_string()) " · " (post_label(lang, activity.category)) " · "
            (hours(activity.minutes)) " " (t(lang, "小时", "hours")) " · " (activity.place)
        }
        h2 {
            (t(lang, "参加党员", "Participants")) " "
            span.muted #participant-count { (participants.len()) }
        }
        ul #participants {
            @for member in &participants {
                li {
                    a href={ "/members/" (member.to_string()) } {
                        (actor_name(view, &Actor::Member(*member)))
                    }
                }
            }
        }
        @if !pending.is_empty() {
            h2 { (t(lang, "已报名或已签到（未计时长）", "Signed up or checked in (no hours yet)")) }
            ul #pending-participants {
                @for (member, stage) in &pending {
                    li { (actor_name(view, &Actor::Member(*member))) " · " (stage) }
                }
            }
        }
        p { a #check-in-link href={ "/activities/" (id.to_string()) "/check-in" } {
            (t(lang, "显示签到二维码（活动当天）", "Show the check-in QR code (on the day)"))
        } }
        (post_form("card", &format!("/activities/{id}/participants"), None, confirm))
    };
    Some(page(lang, &activity.title, status, "/activities", body))
}

/// The label of a post kind in the reader's language.
pub fn post_label(lang: Language, kind: PostKind) -> &'static str {
    match lang {
        Language::Chinese => kind.label_zh(),
        Language::English => kind.label_en(),
    }
}

/// A member's service intentions, named in the reader's language.
pub fn intentions(lang: Language, kinds: &[PostKind]) -> String {
    let names: Vec<&str> = kinds.iter().map(|kind| post_label(lang, *kind)).collect();
    names.join("、")
}

/// Minutes as hours with one decimal, as the pages show service time.
pub fn hours(minutes: u32) -> String {
    hours_of(u64::from(minutes))
}

/// A sum of minutes as hours with one decimal.
pub fn hours_of(minutes: u64) -> String {
    // Minutes summed over a member's service stay far below 2^52: the cast is exact.
    format!("{:.1}", minutes as f64 / 60.0)
}
