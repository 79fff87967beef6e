//! The public board (公示): claimed wishes, posts and who holds them, and members'
//! pledges (亮身份、亮承诺、亮业绩).

use maud::html;
use wishtree_protocol::id::MemberId;
use wishtree_protocol::lifecycle::ClaimState;
use wishtree_protocol::model::{Actor, Member};
use wishtree_protocol::names::Language;
use wishtree_protocol::view::CommunityView;

use super::html::{Row, StatusBar, page, t, table, titled_table};
use super::ledger::{Ledger, Value};
use super::pages::{hours_of, intentions, post_label};
use super::tree::{actor_name, state_label};
use crate::api::RoundFilter;

/// The public board (公示): claimed wishes, posts and who holds them, and pledges.
pub fn board_page(
    lang: Language,
    view: &CommunityView,
    status: &StatusBar,
    round: RoundFilter,
) -> String {
    let mut claimed: Vec<_> = view
        .wishes
        .iter()
        .filter(|(_, w)| matches!(w.status.state, ClaimState::Claimed | ClaimState::Fulfilled))
        .filter(|(_, w)| round.admits(w.entity.round))
        .collect();
    claimed.sort_by_key(|(id, w)| (std::cmp::Reverse(w.status.claimed_at), **id));
    let wishes = claimed
        .into_iter()
        .map(|(_, wish)| {
            let claimant = wish.status.claimant.as_ref().map(|c| actor_name(view, c));
            Row::new(vec![
                html! { (wish.entity.title) },
                html! { (claimant.unwrap_or_default()) },
                html! { (state_label(lang, wish.status.state)) },
            ])
        })
        .collect();
    let posts = view
        .posts
        .values()
        .filter(|p| !p.status.is_withdrawn)
        .map(|post| {
            let holders: Vec<String> = post
                .status
                .holders
                .iter()
                .map(|h| actor_name(view, h))
                .collect();
            Row::new(vec![
                html! { (post.entity.title) },
                html! { (post_label(lang, post.entity.kind)) },
                html! { (holders.join("、")) },
            ])
        })
        .collect();
    let pledges = view
        .pairings
        .values()
        .filter(|p| p.status.is_active())
        .map(|pairing| {
            Row::new(vec![
                html! { (super::orgs::org_name(view, pairing.entity.org)) },
                html! { (pairing.entity.commitments.join("；")) },
                html! { (pairing.entity.signed_on.to_string()) },
            ])
        })
        .collect();
    let body = html! {
        h2 { (t(lang, "微心愿认领公示", "Wishes claimed")) }
        (super::rounds::round_filter(lang, view, "/board", round))
        (table(
            lang,
            Some("board-wishes"),
            &[t(lang, "心愿", "Wish"), t(lang, "认领人", "Claimed by"), t(lang, "状态", "State")],
            wishes,
        ))
        h2 { (t(lang, "服务岗位认领公示", "Service posts")) }
        (table(
            lang,
            None,
            &[t(lang, "岗位", "Post"), t(lang, "类别", "Kind"), t(lang, "认领人", "Held by")],
            posts,
        ))
        h2 { (t(lang, "党员亮身份、亮承诺、亮业绩", "Members: who they are, what they pledge, what they did")) }
        (member_pledges(lang, view).table(lang, "board-members"))
        (titled_table(lang, ("共建承诺公示", "Pairings and pledges"), &[("单位党组织", "Organisation"), ("承诺", "Pledges"), ("签订日期", "Signed")], pledges))
    };
    page(
        lang,
        t(lang, "公示栏", "Public board"),
        status,
        "/board",
        body,
    )
}

/// Each member shown on the board as the articles ask (亮身份、亮承诺、亮业绩): who
/// they are (unit, position, branch, team), what they pledged (the service they
/// offer and the posts they hold), and what they did (hours served, wishes
/// fulfilled). Only what the city may see: nothing personal.
fn member_pledges<'a>(
    lang: Language,
    view: &'a CommunityView,
) -> Ledger<'a, (&'a MemberId, &'a Member)> {
    let members = super::collate::by_pinyin(&view.members, |member| &member.name);
    let group = |name: Option<&'a str>| name.unwrap_or("");
    Ledger::new("board-members", "", members)
        .column(t(lang, "党员", "Member"), |(_, member)| {
            Value::text(&member.name)
        })
        .column(t(lang, "亮身份", "Who"), move |(_, member)| {
            let branch = group(
                member
                    .branch
                    .and_then(|id| view.branches.get(&id))
                    .map(|b| b.name.as_str()),
            );
            let team = group(
                member
                    .team
                    .and_then(|id| view.teams.get(&id))
                    .map(|t| t.name.as_str()),
            );
            let parts = [
                member.work_unit.as_str(),
                member.position.as_str(),
                branch,
                team,
            ];
            Value::text(
                parts
                    .iter()
                    .filter(|part| !part.is_empty())
                    .copied()
                    .collect::<Vec<_>>()
                    .join(" · "),
            )
        })
        .column(t(lang, "亮承诺", "Pledges"), move |(id, member)| {
            let me = Actor::Member(**id);
            let posts = view
                .posts
                .values()
                .filter(|post| !post.status.is_withdrawn && post.status.holders.contains(&me))
                .map(|post| post.entity.title.as_str());
            let offers = intentions(lang, &member.intentions);
            let pledged: Vec<&str> = std::iter::once(offers.as_str())
                .filter(|o| !o.is_empty())
                .chain(posts)
                .collect();
            Value::text(pledged.join("；"))
        })
        .column(t(lang, "亮业绩", "Done"), move |(id, _)| {
            let minutes: u64 = view
                .counted_services()
                .filter(|(_, service)| service.member == **id)
                .map(|(_, service)| u64::from(service.minutes))
                .sum();
            let me = Actor::Member(**id);
            let fulfilled = view
                .wishes
                .values()
                .filter(|wish| {
                    wish.status.state == ClaimState::Fulfilled
                        && wish.status.claimant.as_ref() == Some(&me)
                })
                .count();
            Value::text(match lang {
                Language::Chinese => {
                    format!("服务 {} 小时，实现微心愿 {fulfilled} 个", hours_of(minutes))
                }
                Language::English => format!(
                    "{} hours served, {fulfilled} wishes fulfilled",
                    hours_of(minutes)
                ),
            })
        })
}
