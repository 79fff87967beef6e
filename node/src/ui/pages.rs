//! The pages around the tree: the member ledger (七清楚), one member with their love
//! passbook, activities with sign-up, and the public board (公示).

use std::collections::BTreeMap;

use wishtree_protocol::id::{ActivityId, MemberId};
use wishtree_protocol::lifecycle::ClaimState;
use wishtree_protocol::model::{Actor, PointsKind, PostKind};
use wishtree_protocol::names::Language;
use wishtree_protocol::view::CommunityView;

use super::forms::{ActivityForm, MemberForm};
use super::html::{Page, StatusBar, esc, t};
use super::tree::actor_name;

/// A member's personal data, kept on this node only: (address, phone).
pub type PrivateMembers = BTreeMap<MemberId, (String, String)>;

/// The member ledger with the form to add a member.
pub fn members_page(
    lang: Language,
    view: &CommunityView,
    private: &PrivateMembers,
    status: &StatusBar,
    form: &MemberForm,
    error: Option<&str>,
) -> String {
    let mut page = Page::new(lang, t(lang, "在职党员信息台账（七清楚）", "Member ledger"));
    let mut members: Vec<_> = view.members.iter().collect();
    members.sort_by(|a, b| {
        a.1.reported_in
            .cmp(&b.1.reported_in)
            .then(a.1.name.cmp(&b.1.name))
    });
    page.push_fmt(format_args!(
        "<p>{} <b id=\"member-count\">{}</b></p><table id=\"members\"><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        t(lang, "已报到党员", "Members reported in:"),
        members.len(),
        t(lang, "姓名", "Name"),
        t(lang, "所在单位", "Work unit"),
        t(lang, "现任职务", "Position"),
        t(lang, "个人特长", "Specialties"),
        t(lang, "服务志愿", "Offers"),
        t(lang, "家庭住址（仅本机）", "Address (this node)"),
        t(lang, "联系方式（仅本机）", "Phone (this node)"),
        t(lang, "报到日期", "Reported in"),
    ));
    for (id, member) in members {
        let (address, phone) = private
            .get(id)
            .map_or(("", ""), |(a, p)| (a.as_str(), p.as_str()));
        let intentions: Vec<&str> = member
            .intentions
            .iter()
            .map(|k| post_label(lang, *k))
            .collect();
        page.push_fmt(format_args!(
            "<tr><td><a href=\"/members/{id}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&member.name),
            esc(&member.work_unit),
            esc(&member.position),
            esc(&member.specialties.join("、")),
            esc(&intentions.join("、")),
            esc(address),
            esc(phone),
            member.reported_in,
        ));
    }
    page.push("</table>");

    page.push_fmt(format_args!(
        "<h2>{}</h2>",
        t(lang, "登记报到党员", "Record a member")
    ));
    if let Some(error) = error {
        page.push_fmt(format_args!(
            "<p class=\"error\" id=\"error\">{}</p>",
            esc(error)
        ));
    }
    page.open_post_form(format_args!(
        "class=\"card\" action=\"/members\" id=\"member-form\""
    ));
    input(&mut page, "name", t(lang, "姓名", "Name"), &form.name);
    input(
        &mut page,
        "work_unit",
        t(lang, "所在单位", "Work unit"),
        &form.work_unit,
    );
    page.push_fmt(format_args!(
        "<label for=\"org\">{}</label><select id=\"org\" name=\"org\"><option value=\"\">—</option>",
        t(lang, "所在单位党组织", "Unit organisation")
    ));
    for (id, org) in &view.orgs {
        let value = format!("org:{id}");
        page.push_fmt(format_args!(
            "<option value=\"{value}\"{}>{}</option>",
            if form.org == value { " selected" } else { "" },
            esc(&org.name)
        ));
    }
    page.push("</select>");
    input(
        &mut page,
        "position",
        t(lang, "现任职务", "Position"),
        &form.position,
    );
    input(
        &mut page,
        "specialties",
        t(
            lang,
            "个人特长（用顿号或逗号分隔）",
            "Specialties (comma separated)",
        ),
        &form.specialties,
    );
    page.push_fmt(format_args!(
        "<label>{}</label>",
        t(lang, "服务志愿", "Offers to serve in")
    ));
    for kind in PostKind::ALL {
        page.push_fmt(format_args!(
            "<label class=\"inline\" style=\"font-weight:normal;margin-right:.8rem\"><input type=\"checkbox\" name=\"intention\" value=\"{}\"> {}</label>",
            kind.code(),
            post_label(lang, *kind)
        ));
    }
    input(
        &mut page,
        "reported_in",
        t(lang, "报到日期（YYYY-MM-DD）", "Reported in (YYYY-MM-DD)"),
        &form.reported_in,
    );
    input(
        &mut page,
        "address",
        t(
            lang,
            "家庭住址（仅保存在本机）",
            "Home address (this node only)",
        ),
        &form.address,
    );
    input(
        &mut page,
        "phone",
        t(lang, "联系方式（仅保存在本机）", "Phone (this node only)"),
        &form.phone,
    );
    page.push_fmt(format_args!(
        "<p><button type=\"submit\">{}</button></p></form>",
        t(lang, "登记", "Record")
    ));
    page.finish(status, "/members")
}

/// One member: ledger, love passbook with its balance and flags, claims and service.
pub fn member_page(
    lang: Language,
    view: &CommunityView,
    id: MemberId,
    status: &StatusBar,
    error: Option<&str>,
) -> Option<String> {
    let member = view.members.get(&id)?;
    let mut page = Page::new(lang, member.name.clone());
    if let Some(error) = error {
        page.push_fmt(format_args!(
            "<p class=\"error\" id=\"error\">{}</p>",
            esc(error)
        ));
    }
    page.push_fmt(format_args!(
        "<p>{} · {} · {} {}</p>",
        esc(&member.work_unit),
        esc(&member.position),
        t(lang, "报到于", "reported in"),
        member.reported_in
    ));
    let book = view.passbooks.get(&id).cloned().unwrap_or_default();
    page.push_fmt(format_args!(
        "<h2>{}</h2><div class=\"figures\"><div class=\"figure\">{}<b id=\"balance\">{}</b></div><div class=\"figure\">{}<b>{}</b></div><div class=\"figure\">{}<b>{}</b></div></div>",
        t(lang, "爱心存折", "Love passbook"),
        t(lang, "余额", "Balance"),
        book.balance,
        t(lang, "累计存入", "Earned"),
        book.earned,
        t(lang, "累计支取", "Redeemed"),
        book.redeemed,
    ));
    if book.is_overdrawn() {
        page.push_fmt(format_args!(
            "<p class=\"flag\" id=\"overdrawn\">{}</p>",
            t(
                lang,
                "余额为负：离线时在两处同时支取，请社区核对处理",
                "Overdrawn: two redemptions made offline spent more than the balance; the community must settle it"
            )
        ));
    }
    page.push_fmt(format_args!(
        "<table id=\"passbook\"><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        t(lang, "时间", "When"),
        t(lang, "类型", "Kind"),
        t(lang, "积分", "Points"),
        t(lang, "事由", "Reason"),
    ));
    let mut entries: Vec<_> = view
        .passbook
        .iter()
        .filter(|(_, e)| e.entity.member == id)
        .collect();
    entries.sort_by_key(|(entry_id, e)| (e.entity.at, **entry_id));
    for (entry_id, entry) in entries {
        let flag = if book.overdrawn_by.contains(entry_id) {
            " class=\"flag\""
        } else {
            ""
        };
        let sign = if entry.entity.kind == PointsKind::Earn {
            "+"
        } else {
            "−"
        };
        page.push_fmt(format_args!(
            "<tr{flag}><td>{}</td><td>{}</td><td>{sign}{}</td><td>{}{}</td></tr>",
            entry.entity.at.display_in_shanghai(),
            match lang {
                Language::Chinese => entry.entity.kind.label_zh(),
                Language::English => entry.entity.kind.label_en(),
            },
            entry.entity.points,
            esc(&entry.entity.reason),
            if entry.is_voided {
                t(lang, "（已作废）", " (voided)")
            } else {
                ""
            },
        ));
    }
    page.push("</table>");
    page.open_post_form(format_args!(
        "class=\"card\" action=\"/members/{id}/redeem\""
    ));
    page.push_fmt(format_args!(
        "<label for=\"points\">{}</label>\
         <input id=\"points\" name=\"points\" inputmode=\"numeric\"><label for=\"reason\">{}</label><input id=\"reason\" name=\"reason\">\
         <p><button type=\"submit\">{}</button></p></form>",
        t(lang, "支取积分", "Points to redeem"),
        t(lang, "兑换内容", "For what"),
        t(lang, "支取", "Redeem"),
    ));

    page.push_fmt(format_args!(
        "<h2>{}</h2><ul>",
        t(lang, "认领的心愿", "Wishes claimed")
    ));
    let me = Actor::Member(id);
    for (wish_id, wish) in &view.wishes {
        if wish.status.claimant.as_ref() == Some(&me) {
            page.push_fmt(format_args!(
                "<li><a href=\"/wishes/{wish_id}\">{}</a> — {}</li>",
                esc(&wish.entity.title),
                super::tree::state_label(lang, wish.status.state)
            ));
        }
    }
    page.push("</ul>");
    page.push_fmt(format_args!(
        "<p><a href=\"/reports/half-year?member={id}\">{}</a></p>",
        t(lang, "半年报告（报到—服务—报告）", "Half-year report")
    ));
    Some(page.finish(status, "/members"))
}

/// Activities, newest first, with the form to add one.
pub fn activities_page(
    lang: Language,
    view: &CommunityView,
    status: &StatusBar,
    form: &ActivityForm,
    error: Option<&str>,
) -> String {
    let mut page = Page::new(lang, t(lang, "志愿服务活动", "Service activities"));
    let mut activities: Vec<_> = view.activities.iter().collect();
    activities.sort_by(|a, b| b.1.date.cmp(&a.1.date).then(a.0.cmp(b.0)));
    page.push_fmt(format_args!(
        "<table id=\"activities\"><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
        t(lang, "日期", "Date"),
        t(lang, "活动", "Activity"),
        t(lang, "类别", "Category"),
        t(lang, "时长（小时）", "Hours"),
        t(lang, "参加人数", "Participants"),
    ));
    let counted: BTreeMap<ActivityId, usize> =
        view.participations()
            .fold(BTreeMap::new(), |mut counts, (activity, _)| {
                *counts.entry(activity).or_default() += 1;
                counts
            });
    for (id, activity) in activities {
        page.push_fmt(format_args!(
            "<tr><td>{}</td><td><a href=\"/activities/{id}\">{}</a></td><td>{}</td><td>{:.1}</td><td>{}</td></tr>",
            activity.date,
            esc(&activity.title),
            post_label(lang, activity.category),
            f64::from(activity.minutes) / 60.0,
            counted.get(id).copied().unwrap_or(0),
        ));
    }
    page.push("</table>");
    page.push_fmt(format_args!(
        "<h2>{}</h2>",
        t(lang, "新建活动", "New activity")
    ));
    if let Some(error) = error {
        page.push_fmt(format_args!(
            "<p class=\"error\" id=\"error\">{}</p>",
            esc(error)
        ));
    }
    page.open_post_form(format_args!(
        "class=\"card\" action=\"/activities\" id=\"activity-form\""
    ));
    input(
        &mut page,
        "title",
        t(lang, "活动名称", "Title"),
        &form.title,
    );
    page.push_fmt(format_args!(
        "<label for=\"category\">{}</label><select id=\"category\" name=\"category\">",
        t(lang, "类别", "Category")
    ));
    for kind in PostKind::ALL {
        page.push_fmt(format_args!(
            "<option value=\"{}\"{}>{}</option>",
            kind.code(),
            if form.category == kind.code() {
                " selected"
            } else {
                ""
            },
            post_label(lang, *kind)
        ));
    }
    page.push("</select>");
    input(
        &mut page,
        "date",
        t(lang, "日期（YYYY-MM-DD）", "Date (YYYY-MM-DD)"),
        &form.date,
    );
    input(
        &mut page,
        "hours",
        t(
            lang,
            "每人服务时长（小时）",
            "Hours each participant serves",
        ),
        &form.hours,
    );
    input(&mut page, "place", t(lang, "地点", "Place"), &form.place);
    page.push_fmt(format_args!(
        "<p><button type=\"submit\">{}</button></p></form>",
        t(lang, "新建", "Create")
    ));
    page.finish(status, "/activities")
}

/// One activity with its participants and the sign-up form.
pub fn activity_page(
    lang: Language,
    view: &CommunityView,
    id: ActivityId,
    status: &StatusBar,
    error: Option<&str>,
) -> Option<String> {
    let activity = view.activities.get(&id)?;
    let mut page = Page::new(lang, activity.title.clone());
    if let Some(error) = error {
        page.push_fmt(format_args!(
            "<p class=\"error\" id=\"error\">{}</p>",
            esc(error)
        ));
    }
    page.push_fmt(format_args!(
        "<p>{} · {} · {:.1} {} · {}</p>",
        activity.date,
        post_label(lang, activity.category),
        f64::from(activity.minutes) / 60.0,
        t(lang, "小时", "hours"),
        esc(&activity.place)
    ));
    let participants: Vec<MemberId> = view
        .participations()
        .filter(|(activity_id, _)| *activity_id == id)
        .map(|(_, member)| member)
        .collect();
    page.push_fmt(format_args!(
        "<h2>{} <span class=\"muted\" id=\"participant-count\">{}</span></h2><ul id=\"participants\">",
        t(lang, "参加党员", "Participants"),
        participants.len()
    ));
    for member in &participants {
        page.push_fmt(format_args!(
            "<li><a href=\"/members/{member}\">{}</a></li>",
            esc(&actor_name(view, &Actor::Member(*member)))
        ));
    }
    page.push("</ul>");
    page.open_post_form(format_args!(
        "class=\"card\" action=\"/activities/{id}/participants\""
    ));
    page.push_fmt(format_args!(
        "<label for=\"member\">{}</label><select id=\"member\" name=\"member\">",
        t(lang, "报名参加", "Sign up")
    ));
    let mut members: Vec<_> = view
        .members
        .iter()
        .filter(|(m, _)| !participants.contains(m))
        .collect();
    members.sort_by(|a, b| a.1.name.cmp(&b.1.name));
    for (member_id, member) in members {
        page.push_fmt(format_args!(
            "<option value=\"{member_id}\">{}</option>",
            esc(&member.name)
        ));
    }
    page.push_fmt(format_args!(
        "</select><p><button type=\"submit\">{}</button></p></form>",
        t(lang, "报名", "Sign up")
    ));
    Some(page.finish(status, "/activities"))
}

/// The public board (公示): claimed wishes, posts and who holds them, and pledges.
pub fn board_page(lang: Language, view: &CommunityView, status: &StatusBar) -> String {
    let mut page = Page::new(lang, t(lang, "公示栏", "Public board"));
    page.push_fmt(format_args!(
        "<h2>{}</h2><table id=\"board-wishes\"><tr><th>{}</th><th>{}</th><th>{}</th></tr>",
        t(lang, "微心愿认领公示", "Wishes claimed"),
        t(lang, "心愿", "Wish"),
        t(lang, "认领人", "Claimed by"),
        t(lang, "状态", "State"),
    ));
    let mut claimed: Vec<_> = view
        .wishes
        .iter()
        .filter(|(_, w)| matches!(w.status.state, ClaimState::Claimed | ClaimState::Fulfilled))
        .collect();
    claimed.sort_by_key(|(id, w)| (std::cmp::Reverse(w.status.claimed_at), **id));
    for (_, wish) in claimed {
        let claimant = wish
            .status
            .claimant
            .as_ref()
            .map(|c| actor_name(view, c))
            .unwrap_or_default();
        page.push_fmt(format_args!(
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&wish.entity.title),
            esc(&claimant),
            super::tree::state_label(lang, wish.status.state)
        ));
    }
    page.push("</table>");
    page.push_fmt(format_args!(
        "<h2>{}</h2><table><tr><th>{}</th><th>{}</th><th>{}</th></tr>",
        t(lang, "服务岗位认领公示", "Service posts"),
        t(lang, "岗位", "Post"),
        t(lang, "类别", "Kind"),
        t(lang, "认领人", "Held by"),
    ));
    for post in view.posts.values().filter(|p| !p.status.is_withdrawn) {
        let holders: Vec<String> = post
            .status
            .holders
            .iter()
            .map(|h| actor_name(view, h))
            .collect();
        page.push_fmt(format_args!(
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&post.entity.title),
            post_label(lang, post.entity.kind),
            esc(&holders.join("、"))
        ));
    }
    page.push("</table>");
    page.push_fmt(format_args!(
        "<h2>{}</h2><table><tr><th>{}</th><th>{}</th><th>{}</th></tr>",
        t(lang, "共建承诺公示", "Pairings and pledges"),
        t(lang, "单位党组织", "Organisation"),
        t(lang, "承诺", "Pledges"),
        t(lang, "签订日期", "Signed"),
    ));
    for pairing in view.pairings.values().filter(|p| p.status.is_active()) {
        let org = view
            .orgs
            .get(&pairing.entity.org)
            .map_or("", |o| o.name.as_str());
        page.push_fmt(format_args!(
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(org),
            esc(&pairing.entity.commitments.join("；")),
            pairing.entity.signed_on
        ));
    }
    page.push("</table>");
    page.finish(status, "/board")
}

/// The label of a post kind in the reader's language.
pub fn post_label(lang: Language, kind: PostKind) -> &'static str {
    match lang {
        Language::Chinese => kind.label_zh(),
        Language::English => kind.label_en(),
    }
}

fn input(page: &mut Page, name: &str, label: &str, value: &str) {
    page.push_fmt(format_args!(
        "<label for=\"{name}\">{}</label><input id=\"{name}\" name=\"{name}\" value=\"{}\">",
        esc(label),
        esc(value)
    ));
}
