//! The pages around the tree: the member ledger (七清楚), one member with their love
//! passbook, activities with sign-up, and the public board (公示).

use std::collections::BTreeMap;

use maud::html;
use wishtree_protocol::id::{ActivityId, MemberId};
use wishtree_protocol::lifecycle::ClaimState;
use wishtree_protocol::model::{Actor, PointsKind, PostKind};
use wishtree_protocol::names::Language;
use wishtree_protocol::view::CommunityView;

use super::forms::{Filled, Form, Refusal};
use super::html::{StatusBar, page, post_form, select_field, submit, t, table};
use super::tree::{actor_name, state_label};

/// A member's personal data, kept on this node only: (address, phone).
pub type PrivateMembers = BTreeMap<MemberId, (String, String)>;

/// The member ledger with the form to add a member.
pub fn members_page(
    lang: Language,
    view: &CommunityView,
    private: &PrivateMembers,
    status: &StatusBar,
    form: &Form,
    refusal: Option<&Refusal>,
) -> String {
    let filled = Filled {
        lang,
        form,
        refusal,
    };
    let mut members: Vec<_> = view.members.iter().collect();
    members.sort_by(|a, b| {
        a.1.reported_in
            .cmp(&b.1.reported_in)
            .then(a.1.name.cmp(&b.1.name))
    });
    let heads = [
        t(lang, "姓名", "Name"),
        t(lang, "所在单位", "Work unit"),
        t(lang, "现任职务", "Position"),
        t(lang, "个人特长", "Specialties"),
        t(lang, "服务志愿", "Offers"),
        t(lang, "家庭住址（仅本机）", "Address (this node)"),
        t(lang, "联系方式（仅本机）", "Phone (this node)"),
        t(lang, "报到日期", "Reported in"),
    ];
    let rows = html! {
        @for (id, member) in &members {
            @let (address, phone) = private
                .get(id)
                .map_or(("", ""), |(a, p)| (a.as_str(), p.as_str()));
            @let intentions: Vec<&str> = member
                .intentions
                .iter()
                .map(|k| post_label(lang, *k))
                .collect();
            tr {
                td { a href={ "/members/" (id.to_string()) } { (member.name) } }
                td { (member.work_unit) }
                td { (member.position) }
                td { (member.specialties.join("、")) }
                td { (intentions.join("、")) }
                td { (address) }
                td { (phone) }
                td { (member.reported_in.to_string()) }
            }
        }
    };
    let orgs: Vec<(String, &str)> = view
        .orgs
        .iter()
        .map(|(id, org)| (format!("org:{id}"), org.name.as_str()))
        .collect();
    let org_options =
        std::iter::once(("", "—")).chain(orgs.iter().map(|(value, name)| (value.as_str(), *name)));
    // The summary opens the form, so a refused registration shows its error where
    // the worker is looking, not a screen below.
    let fields = html! {
        (filled.summary())
        (filled.input("name", t(lang, "姓名", "Name")))
        (filled.input("work_unit", t(lang, "所在单位", "Work unit")))
        (filled.select("org", t(lang, "所在单位党组织", "Unit organisation"), org_options))
        (filled.input("position", t(lang, "现任职务", "Position")))
        (filled.input(
            "specialties",
            t(lang, "个人特长（用顿号或逗号分隔）", "Specialties (comma separated)"),
        ))
        label { (t(lang, "服务志愿", "Offers to serve in")) }
        @for kind in PostKind::ALL {
            label.inline style="font-weight:normal;margin-right:.8rem" {
                input type="checkbox" name="intentions" value=(kind.code())
                    checked[form.has_value("intentions", kind.code())];
                " " (post_label(lang, *kind))
            }
        }
        (filled.error("intentions"))
        (filled.input("reported_in", t(lang, "报到日期（例如 2026-11-20）", "Reported in (e.g. 2026-11-20)")))
        (filled.input(
            "address",
            t(lang, "家庭住址（仅保存在本机）", "Home address (this node only)"),
        ))
        (filled.input("phone", t(lang, "联系方式（仅保存在本机）", "Phone (this node only)")))
        (submit(t(lang, "登记", "Record")))
    };
    let body = html! {
        p { (t(lang, "已报到党员", "Members reported in:")) " " b #member-count { (members.len()) } }
        (table(Some("members"), &heads, rows))
        h2 { (t(lang, "登记报到党员", "Record a member")) }
        (post_form("card", "/members", Some("member-form"), fields))
    };
    page(
        lang,
        t(lang, "在职党员信息台账（七清楚）", "Member ledger"),
        status,
        "/members",
        body,
    )
}

/// One member: ledger, love passbook with its balance and flags, claims and service.
pub fn member_page(
    lang: Language,
    view: &CommunityView,
    id: MemberId,
    status: &StatusBar,
    form: &Form,
    refusal: Option<&Refusal>,
) -> Option<String> {
    let filled = Filled {
        lang,
        form,
        refusal,
    };
    let member = view.members.get(&id)?;
    let book = view.passbooks.get(&id).cloned().unwrap_or_default();
    let mut entries: Vec<_> = view
        .passbook
        .iter()
        .filter(|(_, e)| e.entity.member == id)
        .collect();
    entries.sort_by_key(|(entry_id, e)| (e.entity.at, **entry_id));
    let heads = [
        t(lang, "时间", "When"),
        t(lang, "类型", "Kind"),
        t(lang, "积分", "Points"),
        t(lang, "事由", "Reason"),
    ];
    let rows = html! {
        @for (entry_id, entry) in entries {
            tr class=[book.overdrawn_by.contains(entry_id).then_some("flag")] {
                td { (entry.entity.at.display_in_shanghai().to_string()) }
                td {
                    @match lang {
                        Language::Chinese => (entry.entity.kind.label_zh()),
                        Language::English => (entry.entity.kind.label_en()),
                    }
                }
                td {
                    (if entry.entity.kind == PointsKind::Earn { "+" } else { "−" })
                    (entry.entity.points)
                }
                td {
                    (entry.entity.reason)
                    @if entry.is_voided { (t(lang, "（已作废）", " (voided)")) }
                }
            }
        }
    };
    let me = Actor::Member(id);
    let redeem = html! {
        label for="points" { (t(lang, "支取积分", "Points to redeem")) }
        input #points name="points" inputmode="numeric" value=(form.value("points"));
        (filled.error("points"))
        (filled.input("reason", t(lang, "兑换内容", "For what")))
        (submit(t(lang, "支取", "Redeem")))
    };
    let body = html! {
        (filled.summary())
        p {
            (member.work_unit) " · " (member.position) " · "
            (t(lang, "报到于", "reported in")) " " (member.reported_in.to_string())
        }
        h2 { (t(lang, "爱心存折", "Love passbook")) }
        div.figures {
            div.figure { (t(lang, "余额", "Balance")) b #balance { (book.balance) } }
            div.figure { (t(lang, "累计存入", "Earned")) b { (book.earned) } }
            div.figure { (t(lang, "累计支取", "Redeemed")) b { (book.redeemed) } }
        }
        @if book.is_overdrawn() {
            p.flag #overdrawn {
                (t(
                    lang,
                    "余额为负：离线时在两处同时支取，请社区核对处理",
                    "Overdrawn: two redemptions made offline spent more than the balance; the community must settle it"
                ))
            }
        }
        (table(Some("passbook"), &heads, rows))
        (post_form("card", &format!("/members/{id}/redeem"), None, redeem))
        h2 { (t(lang, "认领的心愿", "Wishes claimed")) }
        ul {
            @for (wish_id, wish) in &view.wishes {
                @if wish.status.claimant.as_ref() == Some(&me) {
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
    };
    Some(page(lang, &member.name, status, "/members", body))
}

/// Activities, newest first, with the form to add one.
pub fn activities_page(
    lang: Language,
    view: &CommunityView,
    status: &StatusBar,
    form: &Form,
    refusal: Option<&Refusal>,
) -> String {
    let filled = Filled {
        lang,
        form,
        refusal,
    };
    let mut activities: Vec<_> = view.activities.iter().collect();
    activities.sort_by(|a, b| b.1.date.cmp(&a.1.date).then(a.0.cmp(b.0)));
    let counted: BTreeMap<ActivityId, usize> =
        view.participations()
            .fold(BTreeMap::new(), |mut counts, (activity, _)| {
                *counts.entry(activity).or_default() += 1;
                counts
            });
    let heads = [
        t(lang, "日期", "Date"),
        t(lang, "活动", "Activity"),
        t(lang, "类别", "Category"),
        t(lang, "时长（小时）", "Hours"),
        t(lang, "参加人数", "Participants"),
    ];
    let rows = html! {
        @for (id, activity) in activities {
            tr {
                td { (activity.date.to_string()) }
                td { a href={ "/activities/" (id.to_string()) } { (activity.title) } }
                td { (post_label(lang, activity.category)) }
                td { (hours(activity.minutes)) }
                td { (counted.get(id).copied().unwrap_or(0)) }
            }
        }
    };
    let categories = PostKind::ALL
        .iter()
        .map(|kind| (kind.code(), post_label(lang, *kind)));
    let fields = html! {
        (filled.summary())
        (filled.input("title", t(lang, "活动名称", "Title")))
        (filled.select("category", t(lang, "类别", "Category"), categories))
        (filled.input("date", t(lang, "日期（例如 2026-11-20）", "Date (e.g. 2026-11-20)")))
        (filled.input("hours", t(lang, "每人服务时长（小时）", "Hours each participant serves")))
        (filled.input("place", t(lang, "地点", "Place")))
        (submit(t(lang, "新建", "Create")))
    };
    let body = html! {
        (table(Some("activities"), &heads, rows))
        h2 { (t(lang, "新建活动", "New activity")) }
        (post_form("card", "/activities", Some("activity-form"), fields))
    };
    page(
        lang,
        t(lang, "志愿服务活动", "Service activities"),
        status,
        "/activities",
        body,
    )
}

/// One activity with its participants and the sign-up form.
pub fn activity_page(
    lang: Language,
    view: &CommunityView,
    id: ActivityId,
    status: &StatusBar,
    refusal: Option<&Refusal>,
) -> Option<String> {
    let filled = Filled {
        lang,
        form: &Form::default(),
        refusal,
    };
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
    members.sort_by(|a, b| a.1.name.cmp(&b.1.name));
    let ids: Vec<String> = members.iter().map(|(m, _)| m.to_string()).collect();
    // Nobody is chosen until the worker chooses, so one click cannot sign up the
    // first name on the list.
    let options = std::iter::once(("", t(lang, "请选择党员", "Choose a member"))).chain(
        ids.iter()
            .zip(&members)
            .map(|(value, (_, member))| (value.as_str(), member.name.as_str())),
    );
    let sign_up = html! {
        (select_field("member", t(lang, "报名参加", "Sign up"), options, ""))
        (filled.error("member"))
        (submit(t(lang, "报名", "Sign up")))
    };
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
        (post_form("card", &format!("/activities/{id}/participants"), None, sign_up))
    };
    Some(page(lang, &activity.title, status, "/activities", body))
}

/// The public board (公示): claimed wishes, posts and who holds them, and pledges.
pub fn board_page(lang: Language, view: &CommunityView, status: &StatusBar) -> String {
    let mut claimed: Vec<_> = view
        .wishes
        .iter()
        .filter(|(_, w)| matches!(w.status.state, ClaimState::Claimed | ClaimState::Fulfilled))
        .collect();
    claimed.sort_by_key(|(id, w)| (std::cmp::Reverse(w.status.claimed_at), **id));
    let wishes = html! {
        @for (_, wish) in claimed {
            tr {
                td { (wish.entity.title) }
                td {
                    @if let Some(claimant) = &wish.status.claimant {
                        (actor_name(view, claimant))
                    }
                }
                td { (state_label(lang, wish.status.state)) }
            }
        }
    };
    let posts = html! {
        @for post in view.posts.values().filter(|p| !p.status.is_withdrawn) {
            @let holders: Vec<String> = post
                .status
                .holders
                .iter()
                .map(|h| actor_name(view, h))
                .collect();
            tr {
                td { (post.entity.title) }
                td { (post_label(lang, post.entity.kind)) }
                td { (holders.join("、")) }
            }
        }
    };
    let pledges = html! {
        @for pairing in view.pairings.values().filter(|p| p.status.is_active()) {
            tr {
                td { (view.orgs.get(&pairing.entity.org).map_or("", |o| o.name.as_str())) }
                td { (pairing.entity.commitments.join("；")) }
                td { (pairing.entity.signed_on.to_string()) }
            }
        }
    };
    let body = html! {
        h2 { (t(lang, "微心愿认领公示", "Wishes claimed")) }
        (table(
            Some("board-wishes"),
            &[t(lang, "心愿", "Wish"), t(lang, "认领人", "Claimed by"), t(lang, "状态", "State")],
            wishes,
        ))
        h2 { (t(lang, "服务岗位认领公示", "Service posts")) }
        (table(
            None,
            &[t(lang, "岗位", "Post"), t(lang, "类别", "Kind"), t(lang, "认领人", "Held by")],
            posts,
        ))
        h2 { (t(lang, "共建承诺公示", "Pairings and pledges")) }
        (table(
            None,
            &[
                t(lang, "单位党组织", "Organisation"),
                t(lang, "承诺", "Pledges"),
                t(lang, "签订日期", "Signed"),
            ],
            pledges,
        ))
    };
    page(
        lang,
        t(lang, "公示栏", "Public board"),
        status,
        "/board",
        body,
    )
}

/// The label of a post kind in the reader's language.
pub fn post_label(lang: Language, kind: PostKind) -> &'static str {
    match lang {
        Language::Chinese => kind.label_zh(),
        Language::English => kind.label_en(),
    }
}

/// Minutes as hours with one decimal, as the pages show service time.
pub fn hours(minutes: u32) -> String {
    format!("{:.1}", f64::from(minutes) / 60.0)
}
