//! Sign-up for an activity at the hub (报名, issue 12 item 3): `POST
//! /api/market/sign-ups`, which a card session makes from the market's list of
//! activities and the hub appends to the community's inbox as a sign-up entry (kind 6)
//! for the node to apply as its own `Command::SignUp`. A sign-up is an intention:
//! hours come from attendance (`attend.rs`).
//!
//! Refused here, each with its own words and nothing appended: no card session, a card
//! or address over its limit, a body that is not one, an activity of another
//! community than the member's (the node signs up its own members only), an activity
//! the community does not have, one whose day is past, and a second sign-up — the
//! document already holds one, or an entry for it waits for the node. The node checks
//! again when it applies the entry, and its outcome is what the member's page shows.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{Extensions, HeaderMap, StatusCode};
use axum::response::Response;
use wishtree_protocol::CommunityCode;
use wishtree_protocol::id::ActivityId;
use wishtree_protocol::inbox::InboxRequest;

use super::market::id_and_community;
use super::{CardHolder, Limited, append_request, member_request, refusal};
use crate::http::HubHttpState;

/// Why the hub refuses a sign-up before the node sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SignUpRefusal {
    OtherCommunity,
    NoSuchActivity,
    Over,
    AlreadySignedUp,
}

/// `POST /api/market/sign-ups` with `{"activity": ID, "community": CODE}`: the
/// signed-in member's sign-up, appended to their community's inbox (202, `pending`),
/// or refused with why. `community` defaults to the member's own.
pub(crate) async fn sign_up(
    State(state): State<HubHttpState>,
    headers: HeaderMap,
    extensions: Extensions,
    body: Bytes,
) -> Response {
    let holder = match member_request(&state, &headers, &extensions, Limited::SignUp).await {
        Ok(holder) => holder,
        Err(refused) => return refused,
    };
    let Some((activity, community)) = id_and_community::<ActivityId>(&body, "activity") else {
        return refusal(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "the body must be {\"activity\": ID, \"community\": CODE}",
            "请求无法识别",
        );
    };
    let home = holder.card.statement.community;
    let today = state.now().date_in_shanghai();
    if let Err(refused) = sign_up_rules(
        &holder,
        activity,
        community.unwrap_or(home),
        today.to_days(),
    ) {
        return refused.response();
    }
    let request = InboxRequest::SignUp {
        activity,
        member: holder.card.statement.member,
        card: holder.card.statement.card,
    };
    append_request(&state, home, request, None, "已提交报名，待社区确认").await
}

/// The hub's checks before it appends (see the module doc), on `today` (days).
fn sign_up_rules(
    holder: &CardHolder,
    activity: ActivityId,
    community: CommunityCode,
    today: i32,
) -> Result<(), SignUpRefusal> {
    if community != holder.card.statement.community {
        return Err(SignUpRefusal::OtherCommunity);
    }
    let Some(details) = holder.view.activities.get(&activity) else {
        return Err(SignUpRefusal::NoSuchActivity);
    };
    if details.date.to_days() < today {
        return Err(SignUpRefusal::Over);
    }
    let member = holder.card.statement.member;
    if details.participants.contains_key(&member.to_string()) {
        return Err(SignUpRefusal::AlreadySignedUp);
    }
    let waiting = holder.inbox.iter().any(|entry| {
        matches!(entry.request, InboxRequest::SignUp { activity: a, member: m, .. }
            if a == activity && m == member)
            && !holder.outcomes.contains_key(&entry.id)
    });
    if waiting {
        return Err(SignUpRefusal::AlreadySignedUp);
    }
    Ok(())
}

impl SignUpRefusal {
    fn response(self) -> Response {
        let (status, reason, english, zh) = match self {
            Self::OtherCommunity => (
                StatusCode::FORBIDDEN,
                "other_community",
                "only the member's own community's activities can be signed up for at the hub",
                "只能报名本社区的活动；其他社区的活动请联系该社区",
            ),
            Self::NoSuchActivity => (
                StatusCode::NOT_FOUND,
                "no_such_activity",
                "the community has no such activity",
                "没有找到这个活动：它可能已被社区取消",
            ),
            Self::Over => (
                StatusCode::CONFLICT,
                "activity_over",
                "the activity's day is past: it is no longer open for sign-up",
                "活动已经结束，不能再报名",
            ),
            Self::AlreadySignedUp => (
                StatusCode::CONFLICT,
                "already_signed_up",
                "the member has signed up for this activity already",
                "您已报名这个活动，无需重复报名",
            ),
        };
        refusal(status, reason, english, zh)
    }
}
