//! 冲突待处理: the facts a concurrent offline edit made ineffective
//! ([`wishtree_protocol::conflicts`]), each with what it was about, why it did not take
//! effect, and what the worker can do, linked to the page where they do it. Nothing
//! here decides: the folds did.

use maud::{Markup, html};
use wishtree_protocol::conflicts::Conflict;
use wishtree_protocol::lifecycle::Refusal;
use wishtree_protocol::model::{EventKind, LifecycleEvent};
use wishtree_protocol::names::Language;
use wishtree_protocol::view::CommunityView;

use super::html::{Row, StatusBar, page, t, table, words};
use super::tree::actor_name;

/// The page: every conflict, the newest first, or a line saying there is none.
pub fn conflicts_page(
    lang: Language,
    view: &CommunityView,
    conflicts: &[Conflict],
    status: &StatusBar,
) -> String {
    let heads = words(
        lang,
        &[
            ("时间", "When"),
            ("记录", "Record"),
            ("未生效的操作", "What did not take effect"),
            ("原因", "Why"),
            ("怎么处理", "What to do"),
        ],
    );
    let rows = conflicts
        .iter()
        .map(|conflict| {
            let (record, what, why, action) = describe(lang, view, conflict);
            Row::new(vec![
                html! { (conflict.at().display_in_shanghai().to_string()) },
                record,
                html! { (what) },
                html! { (why) },
                action,
            ])
        })
        .collect();
    let body = html! {
        p.muted { (t(lang,
            "两台电脑（或恢复备份前后）离线时各自登记的记录合并后，有些操作不能同时生效：同一心愿被认领两次、岗位名额被重复占用、积分被重复支取等。下列操作已保存在记录中，但没有生效，请逐项处理。",
            "When records made apart (two computers offline, or before and after a restored backup) are merged, some steps cannot all take effect: a wish claimed twice, a post seat taken twice, points spent twice. These steps are kept but did not take effect; settle each.")) }
        @if conflicts.is_empty() {
            p.empty #no-conflicts { (t(lang, "没有待处理的冲突", "No conflicts to settle")) }
        } @else {
            (table(lang, Some("conflicts"), &heads, rows))
        }
    };
    page(
        lang,
        t(lang, "冲突待处理", "Conflicts"),
        status,
        "/conflicts",
        body,
    )
}

/// A conflict's record (linked), what did not take effect, why, and what to do.
fn describe(
    lang: Language,
    view: &CommunityView,
    conflict: &Conflict,
) -> (Markup, String, String, Markup) {
    let lifecycle =
        |href: String, title: &str, event: &LifecycleEvent, refusal: &Refusal, action: Markup| {
            (
                link(&href, title),
                did(lang, view, event),
                refused(lang, refusal),
                action,
            )
        };
    match conflict {
        Conflict::Wish {
            wish,
            event,
            refusal,
        } => {
            let title = view
                .wishes
                .get(wish)
                .map_or("", |w| w.entity.title.as_str());
            let href = format!("/wishes/{wish}");
            let action = match refusal {
                Refusal::ClaimedFirstBy { claimant } => {
                    let zh = format!(
                        "联系{}改认领其他心愿（本心愿已由{}认领）",
                        actor_name(view, &event.by),
                        actor_name(view, claimant)
                    );
                    step(lang, &href, &zh, "Ask them to claim another wish")
                }
                _ => step(
                    lang,
                    &href,
                    "核对该心愿的办理经过",
                    "Check the wish's history",
                ),
            };
            lifecycle(href, title, event, refusal, action)
        }
        Conflict::Project {
            project,
            event,
            refusal,
        } => {
            let title = view
                .projects
                .get(project)
                .map_or("", |p| p.entity.title.as_str());
            let href = format!("/projects/{project}");
            let action = step(
                lang,
                &href,
                "核对该项目的办理经过，与相关单位沟通",
                "Check the project's history with the units",
            );
            lifecycle(href, title, event, refusal, action)
        }
        Conflict::Post {
            post,
            event,
            refusal,
        } => {
            let title = view.posts.get(post).map_or("", |p| p.entity.title.as_str());
            let href = format!("/posts/{post}");
            let action = match refusal {
                Refusal::PostFull { .. } => {
                    let zh = format!(
                        "联系{}改认领其他岗位，或增加本岗位名额",
                        actor_name(view, &event.by)
                    );
                    step(
                        lang,
                        &href,
                        &zh,
                        "Ask them to take another post, or add a seat",
                    )
                }
                _ => step(
                    lang,
                    &href,
                    "核对该岗位的认领经过",
                    "Check the post's history",
                ),
            };
            lifecycle(href, title, event, refusal, action)
        }
        Conflict::Pairing {
            pairing,
            event,
            refusal,
        } => {
            let org = view
                .pairings
                .get(pairing)
                .and_then(|p| view.orgs.get(&p.entity.org))
                .map_or("", |org| org.name.as_str());
            let href = format!("/pairings/{pairing}");
            let action = step(
                lang,
                &href,
                "核对该共建协议的经过",
                "Check the pairing's history",
            );
            lifecycle(href, org, event, refusal, action)
        }
        Conflict::Overdrawn {
            member,
            entry,
            points,
            balance,
            ..
        } => {
            let name = view.members.get(member).map_or("", |m| m.name.as_str());
            let what = match lang {
                Language::Chinese => format!("支取 {points} 积分"),
                Language::English => format!("redeemed {points} points"),
            };
            let why = match lang {
                Language::Chinese => format!("积分被重复支取，余额现为 {balance}"),
                Language::English => format!("points spent twice; the balance is now {balance}"),
            };
            let action = step(
                lang,
                &format!("/redemptions/{entry}#void-form"),
                "作废该条积分记录（或与党员商定补足积分）",
                "Void this passbook entry (or agree how to make it up)",
            );
            (link(&format!("/members/{member}"), name), what, why, action)
        }
        Conflict::Inbox { outcome, .. } => {
            let member = outcome
                .member
                .and_then(|id| view.members.get(&id))
                .map_or("", |m| m.name.as_str());
            let why = inbox_reason_zh(lang, &outcome.reason);
            match (outcome.wish, outcome.activity) {
                (Some(wish), _) => {
                    let title = view
                        .wishes
                        .get(&wish)
                        .map_or("", |w| w.entity.title.as_str());
                    let href = format!("/wishes/{wish}");
                    let what = match lang {
                        Language::Chinese => format!("{member}在市平台认领"),
                        Language::English => format!("{member} claimed at the platform"),
                    };
                    let action = step(
                        lang,
                        &href,
                        &format!("联系{member}改认领其他心愿"),
                        "Ask them to claim another wish",
                    );
                    (link(&href, title), what, why, action)
                }
                (None, Some(activity)) => {
                    let title = view
                        .activities
                        .get(&activity)
                        .map_or("", |a| a.title.as_str());
                    let href = format!("/activities/{activity}");
                    let what = match lang {
                        Language::Chinese => format!("{member}在市平台报名"),
                        Language::English => format!("{member} signed up at the platform"),
                    };
                    let action = step(
                        lang,
                        &href,
                        &format!("告知{member}报名未生效的原因"),
                        "Tell them why the sign-up did not count",
                    );
                    (link(&href, title), what, why, action)
                }
                (None, None) => (html! {}, outcome.kind.clone(), why, html! {}),
            }
        }
    }
}

/// Who did what: 李文杰 认领.
fn did(lang: Language, view: &CommunityView, event: &LifecycleEvent) -> String {
    let kind: EventKind = event.kind;
    let step = match lang {
        Language::Chinese => kind.label_zh(),
        Language::English => kind.label_en(),
    };
    format!("{} {step}", actor_name(view, &event.by))
}

fn refused(lang: Language, refusal: &Refusal) -> String {
    match lang {
        Language::Chinese => refusal.describe_zh(),
        Language::English => refusal.to_string(),
    }
}

/// What the node recorded as the reason it refused an entry of its inbox (the rules'
/// English words), said to a worker.
fn inbox_reason_zh(lang: Language, reason: &str) -> String {
    if lang == Language::English {
        return reason.to_owned();
    }
    if reason.starts_with("claimed by someone else first") {
        "已被他人先认领"
    } else if reason.contains("already takes part") {
        "该党员已报名或已确认出勤"
    } else if reason.starts_with("there is no member") {
        "本社区台账中没有该党员"
    } else {
        "社区未受理"
    }
    .to_owned()
}

fn link(href: &str, text: &str) -> Markup {
    html! { a href=(href) { (text) } }
}

/// What to do, linked to where it is done.
fn step(lang: Language, href: &str, zh: &str, en: &str) -> Markup {
    html! { a.action href=(href) { (if lang == Language::Chinese { zh } else { en }) } }
}
