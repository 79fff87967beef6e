//! The pages of service posts (服务岗位): the posts with their seats and holders and the
//! form to open one; one post, with a seat claimed for a member or an organisation,
//! a holder's seat released, and the confirmation that withdraws the post.

use maud::html;
use wishtree_protocol::id::PostId;
use wishtree_protocol::lifecycle::PostStatus;
use wishtree_protocol::model::{Post, PostKind};
use wishtree_protocol::names::Language;
use wishtree_protocol::view::{CommunityView, WithStatus};

use super::closing::{Confirm, Words, confirmation_page};
use super::forms::{Filled, Form, NOTHING_TYPED, Refusal};
use super::html::{StatusBar, page, post_form, t};
use super::ledger::{Adding, Ledger, ListAsked, Value};
use super::pages::post_label;
use super::tree::{actor_name, claim_form, claimant_options};

/// The posts, the open ones first and the newest first among them, `list_page` of
/// them, with the form to open one.
pub fn posts_page(asked: ListAsked<'_>) -> String {
    let (view, filled) = (asked.view, &asked.filled);
    let lang = filled.lang;
    let mut posts: Vec<_> = view.posts.iter().collect();
    posts.sort_by_key(|(id, post)| {
        let newest = std::cmp::Reverse(post.entity.created_at);
        (post.status.is_withdrawn, newest, **id)
    });
    let ledger = Ledger::new("posts", t(lang, "服务岗位", "Service posts"), posts)
        .column(t(lang, "岗位", "Post"), |(id, post)| {
            Value::link(format!("/posts/{id}"), &post.entity.title)
        })
        .column(t(lang, "类别", "Kind"), |(_, post)| {
            Value::text(post_label(lang, post.entity.kind))
        })
        .column(
            t(lang, "已认领 / 席位", "Held / seats"),
            |(_, post)| Value::text(seats(post)),
        )
        .column(t(lang, "认领人", "Held by"), |(_, post)| {
            Value::text(holder_names(view, &post.status).join("、"))
        })
        .column(t(lang, "状态", "State"), |(_, post)| {
            Value::text(post_state(lang, post))
        })
        .closed_when(|(_, post)| post.status.is_withdrawn);
    let kinds = PostKind::ALL
        .iter()
        .map(|kind| (kind.code(), post_label(lang, *kind)));
    let fields = html! {
        (filled.select("kind", t(lang, "岗位类别", "Kind"), kinds))
        (filled.input("title", t(lang, "岗位名称", "Title")))
        (filled.textarea("detail", t(lang, "岗位职责（可不填）", "What it asks (optional)"), false))
        (filled.input("seats", t(lang, "席位（可认领的人数）", "Seats (how many may hold it)")))
    };
    ledger.page_adding(&asked, &ADD_POST, fields)
}

/// The form under the list page above, that adds to its ledger.
const ADD_POST: Adding = Adding {
    id: "post-form",
    title: ("设立服务岗位", "Open a post"),
    button: ("设岗", "Open"),
};

/// One post: what it is, its holders each with the release of their seat, the claim
/// of a free seat, and the way to withdraw it; `refusal` is why the last step was
/// refused.
pub fn post_page(
    lang: Language,
    view: &CommunityView,
    id: PostId,
    status: &StatusBar,
    refusal: Option<&Refusal>,
) -> Option<String> {
    let post = view.posts.get(&id)?;
    let filled = Filled::new(lang, &NOTHING_TYPED, refusal);
    let is_open = !post.status.is_withdrawn;
    let has_free_seat = is_open && seats_held(&post.status) < post.entity.seats;
    let body = html! {
        (filled.summary())
        (post_summary(lang, post))
        h2 { (t(lang, "在岗人员", "Holders")) }
        @if post.status.holders.is_empty() {
            p.empty #holders { (t(lang, "暂无", "None yet")) }
        } @else {
            ul #holders {
                @for holder in &post.status.holders {
                    li {
                        (actor_name(view, holder)) " "
                        @if is_open {
                            (post_form("inline", &format!("/posts/{id}/release"), None, html! {
                                input type="hidden" name="by" value=(holder.to_string());
                                button.secondary type="submit" { (t(lang, "卸任", "Release")) }
                            }))
                        }
                    }
                }
            }
        }
        @if has_free_seat {
            h2 { (t(lang, "认领席位", "Claim a seat")) }
            (claim_form(&filled, &format!("/posts/{id}/claim"), &claimant_options(view), t(lang, "认领岗位", "Claim")))
        }
        @if is_open {
            p { a.button.secondary #action-withdraw href={ "/posts/" (id.to_string()) "/withdraw" } { (t(lang, "撤销岗位", "Withdraw the post")) } }
        }
    };
    Some(page(lang, &post.entity.title, status, "/posts", body))
}

/// The confirmation that withdraws a post, asking why (kept in its history).
pub fn withdraw_page(
    lang: Language,
    view: &CommunityView,
    id: PostId,
    status: &StatusBar,
    form: &Form,
    refusal: Option<&Refusal>,
) -> Option<String> {
    let post = view.posts.get(&id)?;
    let filled = Filled::new(lang, form, refusal);
    let confirm = Confirm::new(format!("/posts/{id}"), "withdraw", false, "/posts");
    let what = post_summary(lang, post);
    Some(confirmation_page(
        &filled, status, what, &confirm, &WITHDRAW,
    ))
}

/// What the withdrawal of a post says.
const WITHDRAW: Words = Words {
    question: ("撤销这个服务岗位？", "Withdraw this post?"),
    consequence: (
        "撤销后岗位不再接受认领，在岗人员一并卸任，不再列入公示栏。",
        "A withdrawn post takes no more claims; its holders leave it, and it leaves the public board.",
    ),
    button: ("撤销岗位", "Withdraw"),
};

/// How many seats are held, of how many.
pub fn seats(post: &WithStatus<Post, PostStatus>) -> String {
    format!("{} / {}", seats_held(&post.status), post.entity.seats)
}

/// The state of a post, in words: open with free seats, full, or withdrawn.
pub fn post_state(lang: Language, post: &WithStatus<Post, PostStatus>) -> &'static str {
    if post.status.is_withdrawn {
        t(lang, "已撤销", "withdrawn")
    } else if seats_held(&post.status) >= post.entity.seats {
        t(lang, "已满员", "full")
    } else {
        t(lang, "招募中", "open")
    }
}

/// The names of a post's holders.
pub fn holder_names(view: &CommunityView, status: &PostStatus) -> Vec<String> {
    status
        .holders
        .iter()
        .map(|holder| actor_name(view, holder))
        .collect()
}

fn seats_held(status: &PostStatus) -> u32 {
    u32::try_from(status.holders.len()).unwrap_or(u32::MAX)
}

/// What a post is: its kind, what it asks, its seats and state.
fn post_summary(lang: Language, post: &WithStatus<Post, PostStatus>) -> maud::Markup {
    html! {
        table #post-record {
            tr { th scope="row" { (t(lang, "类别", "Kind")) } td { (post_label(lang, post.entity.kind)) } }
            tr { th scope="row" { (t(lang, "岗位职责", "What it asks")) } td { (post.entity.detail) } }
            tr { th scope="row" { (t(lang, "已认领 / 席位", "Held / seats")) } td #post-seats { (seats(post)) } }
            tr { th scope="row" { (t(lang, "状态", "State")) } td #post-state { (post_state(lang, post)) } }
        }
    }
}
