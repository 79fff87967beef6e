//! Check-in and check-out at the hub (签到 · 签退, DESIGN §10): the page a member's
//! phone opens by scanning the code the node shows for a running activity
//! (`/m/checkin#<code>`), and `POST /api/market/checkins`, which checks the code and
//! appends the check-in or check-out to the community's inbox for the node to apply
//! (`wishtree_protocol::checkin`, `Command::CheckIn`/`CheckOut`).
//!
//! Refused here, each with its own words and nothing appended: no card session, a
//! card or address over its limit, a code that is not one, forged, of another
//! community than the member's, expired, already used by this member, for an
//! activity the community does not have, a check-out with no check-in before it, a
//! second check-in. The node checks the code against its own key again when it
//! applies the entry.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{Extensions, HeaderMap, StatusCode};
use axum::response::Response;
use maud::{PreEscaped, html};
use serde_json::Value;
use wishtree_protocol::checkin::{CheckInCode, CheckInError, Direction};
use wishtree_protocol::inbox::InboxRequest;

use super::{CardHolder, Limited, append_request, member_request, page, refusal};
use crate::http::HubHttpState;

/// The largest body `POST /api/market/checkins` reads: a code is 167 characters.
const CHECK_IN_LIMIT: usize = 1024;

/// `GET /m/checkin`: the page a scanned check-in code opens; the code stays in the
/// fragment, and the page's script posts it with the member's choice.
pub(crate) async fn check_in_page() -> Response {
    let body = html! {
        header { "心愿树 · 活动签到" }
        main {
            h1 { "活动签到" }
            p.muted { "请先用本机扫描过会员卡。到场时点“签到”，离开时再扫现场的码点“签退”；服务时长按社区电脑的时间计算。" }
            p { button #check-in type="button" { "签到" } " " button #check-out type="button" { "签退" } }
            p #checkin-status role="status" {}
        }
        script { (PreEscaped(CHECK_IN_SCRIPT)) }
    };
    page::respond(StatusCode::OK, "活动签到", body)
}

/// `POST /api/market/checkins` with `{"code": TEXT, "direction": "in"|"out"}`.
pub(crate) async fn check_in(
    State(state): State<HubHttpState>,
    headers: HeaderMap,
    extensions: Extensions,
    body: Bytes,
) -> Response {
    let holder = match member_request(&state, &headers, &extensions, Limited::CheckIn).await {
        Ok(holder) => holder,
        Err(refused) => return refused,
    };
    let Some((code, direction)) = check_in_of(&body) else {
        return refusal(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "the body must be {\"code\": TEXT, \"direction\": \"in\"|\"out\"}",
            "请求无法识别",
        );
    };
    let code = match CheckInCode::from_text(&code) {
        Ok(code) => code,
        Err(error) => return refused(&error),
    };
    let home = holder.card.statement.community;
    if code.community != home {
        return refused(&CheckInError::OtherCommunity(code.community));
    }
    if let Err(error) = code.verify(&holder.node_key, home, state.now()) {
        return refused(&error);
    }
    if let Err(error) = attendance_rules(&holder, &code, direction) {
        return refused(&error);
    }
    let request = InboxRequest::Attend {
        direction,
        code,
        member: holder.card.statement.member,
        card: holder.card.statement.card,
    };
    let message = match direction {
        Direction::In => "已签到，待社区确认；活动结束时请再扫码签退",
        Direction::Out => "已签退，待社区确认后计入服务时长",
    };
    append_request(&state, home, request, None, message).await
}

/// The member's attendance as the hub sees it, before the node does: the activity is
/// the community's, this member has not used this code, a check-out follows a
/// check-in, a check-in does not follow one. The latest of the member's entries for
/// the activity that the node has not refused decides.
fn attendance_rules(
    holder: &CardHolder,
    code: &CheckInCode,
    direction: Direction,
) -> Result<(), CheckInError> {
    if !holder.view.activities.contains_key(&code.activity) {
        return Err(CheckInError::NoSuchActivity);
    }
    let member = holder.card.statement.member;
    let mine = holder.inbox.iter().filter_map(|entry| match entry.request {
        InboxRequest::Attend {
            direction,
            code: used,
            member: by,
            ..
        } if by == member && used.activity == code.activity => Some((entry, direction, used)),
        _ => None,
    });
    let mut latest = None;
    for (entry, went, used) in mine {
        if used.id == code.id {
            return Err(CheckInError::Replayed);
        }
        let refused = holder
            .outcomes
            .get(&entry.id)
            .is_some_and(|outcome| !outcome.applied);
        if !refused {
            latest = Some(went);
        }
    }
    match (direction, latest) {
        (Direction::Out, Some(Direction::In)) | (Direction::In, None | Some(Direction::Out)) => {
            Ok(())
        }
        (Direction::Out, _) => Err(CheckInError::NotCheckedIn),
        (Direction::In, Some(Direction::In)) => Err(CheckInError::AlreadyCheckedIn),
    }
}

/// The code and direction of a body, bounded before it is parsed.
pub(super) fn check_in_of(body: &[u8]) -> Option<(String, Direction)> {
    if body.len() > CHECK_IN_LIMIT {
        return None;
    }
    let body: Value = serde_json::from_slice(body).ok()?;
    let code = body.get("code")?.as_str()?.to_owned();
    let direction = body.get("direction")?.as_str()?.parse().ok()?;
    Some((code, direction))
}

fn refused(error: &CheckInError) -> Response {
    let (status, reason) = match error {
        CheckInError::Malformed(_) => (StatusCode::BAD_REQUEST, "malformed_code"),
        CheckInError::BadSignature => (StatusCode::FORBIDDEN, "forged_code"),
        CheckInError::Expired(_) => (StatusCode::GONE, "expired_code"),
        CheckInError::OtherCommunity(_) => (StatusCode::FORBIDDEN, "other_community"),
        CheckInError::Replayed => (StatusCode::CONFLICT, "replayed_code"),
        CheckInError::NotCheckedIn => (StatusCode::CONFLICT, "not_checked_in"),
        CheckInError::AlreadyCheckedIn => (StatusCode::CONFLICT, "already_checked_in"),
        CheckInError::NoSuchActivity => (StatusCode::NOT_FOUND, "no_such_activity"),
    };
    refusal(status, reason, &error.to_string(), &error.message_zh())
}

/// Posts the code in the fragment with the member's choice, as JSON (no form token is
/// needed, and a foreign page cannot send it), and shows what the hub answered.
const CHECK_IN_SCRIPT: &str = r#"
(function () {
  var code = location.hash.slice(1);
  var out = document.getElementById("checkin-status");
  if (!code) { out.className = "error"; out.textContent = "没有签到码：请扫描活动现场的二维码"; return; }
  function send(direction, button) {
    button.disabled = true;
    fetch("/api/market/checkins", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      credentials: "same-origin",
      body: JSON.stringify({ code: code, direction: direction })
    }).then(function (answer) {
      return answer.json();
    }).then(function (body) {
      out.className = body.reason ? "error" : "";
      out.textContent = body.message_zh || "已提交";
      button.disabled = false;
    }).catch(function () {
      out.className = "error";
      out.textContent = "网络连接失败，请稍后再试";
      button.disabled = false;
    });
  }
  var checkIn = document.getElementById("check-in");
  var checkOut = document.getElementById("check-out");
  checkIn.addEventListener("click", function () { send("in", checkIn); });
  checkOut.addEventListener("click", function () { send("out", checkOut); });
})();
"#;
