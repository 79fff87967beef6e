//! The phone pages of `/m/card` and `/m/`, zh-CN, with their styles inline and no
//! asset from outside, readable at 360 px: the opener (which exchanges the card in the
//! URL fragment for a card session, or says why the card was refused), the member's own
//! pages — claims and sign-ups and what became of them, activities, passbook,
//! half-year reports, theirs only — and the market of published wishes, with the
//! activities, open posts and projects beside them.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use maud::{Markup, PreEscaped, html};
use wishtree_common::html::document;
use wishtree_protocol::inbox::InboxRequest;
use wishtree_protocol::model::{Actor, BeneficiaryGroup, PointsKind, WishKind};
use wishtree_protocol::names::Language;
use wishtree_protocol::report::HalfYearReport;
use wishtree_protocol::{Date, HalfYear, Timestamp};

use super::market::Filters;
use super::{CardHolder, Held};
use crate::figures::{MARKET_PAGE, MarketOffer, MarketPage, OfferKind, Place, Standing};

/// Phone first: one column, large type, 44 px touch targets, nothing wider than the
/// screen.
const STYLE: &str = r#"
*{box-sizing:border-box}
body{margin:0;font-family:"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;color:#222;background:#f6f4ef;font-size:16px;overflow-wrap:anywhere}
header{background:#b22222;color:#fff;padding:10px 14px;font-weight:bold}
main{max-width:640px;margin:0 auto;padding:10px 12px 40px}
h1{font-size:1.3em;margin:8px 0}h2{font-size:1.1em;margin:20px 0 8px;border-left:4px solid #b22222;padding-left:8px}
.figures{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:8px}
.figure{background:#fff;border-radius:6px;padding:10px;text-align:center}.figure b{display:block;color:#b22222;font-size:1.5em}
ul.items{list-style:none;padding:0;margin:0}ul.items li{background:#fff;border-radius:6px;padding:10px 12px;margin:6px 0}
.muted{color:#595959}.state{color:#b22222;font-weight:bold}
p.error,.error{background:#fdecea;border-left:4px solid #b22222;padding:10px 12px;color:#8a1c1c}
form.filters{display:grid;gap:6px;background:#fff;padding:10px;border-radius:6px}
input,select,button{font:inherit;min-height:44px;max-width:100%}
button{background:#b22222;color:#fff;border:0;border-radius:4px;padding:0 14px}
main a{color:#b22222;display:inline-block;min-height:44px;line-height:44px}
.wish-state{background:#fff;border-radius:6px;padding:12px;margin:10px 0;border-left:6px solid #888}
.wish-state.published{border-color:#2e7d32;background:#e8f5e9}.wish-state.claimed{border-color:#b22222;background:#fdecea}
.wish-state.fulfilled{border-color:#b8860b;background:#fff8e1}
"#;

/// Exchanges the card in the fragment once, then drops the fragment from the address
/// bar and the history, so the card is not left on the screen either.
const OPENER_SCRIPT: &str = r#"
(function () {
  var card = location.hash.slice(1);
  if (!card) { return; }
  history.replaceState(null, "", location.pathname);
  var out = document.getElementById("card-status");
  out.textContent = "正在核验会员卡…";
  fetch("/api/card-session", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    credentials: "same-origin",
    body: JSON.stringify({ card: card })
  }).then(function (answer) {
    return answer.json().then(function (body) { return [answer.ok, body]; });
  }).then(function (result) {
    if (result[0]) { location.replace("/m/card"); return; }
    out.className = "error";
    out.textContent = result[1].message_zh || "会员卡无法使用";
  }).catch(function () {
    out.className = "error";
    out.textContent = "网络连接失败，请稍后再试";
  });
})();
"#;

/// The page without a session: what to do, why a card was refused (`refused`), and the
/// script that exchanges a card in the fragment.
pub(super) fn opener(status: StatusCode, refused: Option<&str>) -> Response {
    let body = html! {
        header { "心愿树 · 党员服务" }
        main {
            h1 { "党员服务卡" }
            @match refused {
                Some(message) => p.error #card-status role="alert" { (message) },
                None => p #card-status role="status" { "请用手机扫描社区发放的会员卡上的二维码。" },
            }
            p.muted { "会员卡由所在社区发放；手机丢失或卡片失效时，请联系社区补发。" }
        }
        script { (PreEscaped(OPENER_SCRIPT)) }
    };
    respond(status, "党员服务卡", body)
}

/// The member's own pages: what the community document says about them, and nothing
/// about anyone else; their claims in other communities from what the hub holds of
/// those (`elsewhere`).
/// `standing` is the member's place in the points rankings of a half-year (积分排名),
/// from the figures; `None` if they could not be read.
pub(super) fn member_pages(
    holder: &CardHolder,
    elsewhere: &[Held],
    standing: Option<(HalfYear, &Standing)>,
    now: Timestamp,
) -> Response {
    let (card, view) = (&holder.card, &holder.view);
    let member_id = card.statement.member;
    let Some(member) = view.members.get(&member_id) else {
        return opener(
            StatusCode::FORBIDDEN,
            Some("社区台账中没有这位党员，请联系社区"),
        );
    };
    let me = Actor::Member(member_id);
    let book = view.passbooks.get(&member_id).cloned().unwrap_or_default();
    let minutes: u64 = view
        .counted_services()
        .filter(|(_, service)| service.member == member_id)
        .map(|(_, service)| u64::from(service.minutes))
        .sum();
    let claims: Vec<_> = view
        .wishes
        .values()
        .filter(|wish| wish.status.claimant.as_ref() == Some(&me))
        .collect();
    let mut activities: Vec<_> = view
        .participations()
        .filter(|(_, participant)| *participant == member_id)
        .filter_map(|(activity, _)| view.activities.get(&activity))
        .collect();
    activities.sort_by_key(|activity| std::cmp::Reverse(activity.date));
    let mut entries: Vec<_> = view
        .passbook
        .values()
        .filter(|entry| entry.entity.member == member_id)
        .collect();
    entries.sort_by_key(|entry| std::cmp::Reverse(entry.entity.at));
    let this_half = now.date_in_shanghai().half_year();
    let last_half = Date::from_days(this_half.first_day().to_days() - 1).half_year();
    let reports: Vec<HalfYearReport> = [this_half, last_half]
        .into_iter()
        .filter_map(|period| HalfYearReport::compute(view, member_id, period).ok())
        .collect();
    let body = html! {
        header { "心愿树 · " (view.community.name) }
        main {
            h1 #member-name { (member.name) }
            p.muted { "会员卡有效期至 " (card.statement.expires.date_in_shanghai().to_string()) }
            div.figures {
                div.figure { "积分余额" b #balance { (book.balance) } }
                div.figure { "服务时长（小时）" b #hours { (hours(minutes)) } }
            }
            @if let Some((period, standing)) = standing {
                h2 { "积分排名（" (period.label_zh()) "）" }
                @if standing.points == 0 {
                    p #member-rank.muted { "本期暂无积分，尚未上榜。" }
                } @else {
                    div.figures #member-rank {
                        div.figure { "本期积分" b #rank-points { (standing.points) } }
                        (place("社区排名", "rank-community", standing.community))
                        (place("街道排名", "rank-street", standing.street))
                        (place("全市排名", "rank-city", standing.city))
                    }
                }
            }
            h2 { "我的认领申请" }
            (list("member-requests", requests(holder, elsewhere).into_iter().map(|(title, state)| html! {
                (title) " " span.state { (state) }
            })))
            p { a href="/m/" { "去心愿超市认领心愿" } }
            h2 { "我的活动报名" }
            (list("member-sign-ups", sign_ups(holder).into_iter().map(|(title, state)| html! {
                (title) " " span.state { (state) }
            })))
            h2 { "我认领的心愿" }
            (list("member-claims", claims.iter().map(|wish| html! {
                (wish.entity.title) " "
                span.state { (wish.status.state.label_zh()) }
            })))
            h2 { "我参加的活动" }
            (list("member-activities", activities.iter().map(|activity| html! {
                (activity.title)
                br;
                span.muted { (activity.date.to_string()) " · " (hours(u64::from(activity.minutes))) " 小时" }
            })))
            h2 { "爱心存折" }
            (list("member-passbook", entries.iter().map(|entry| html! {
                (entry.entity.at.date_in_shanghai().to_string()) " "
                (entry.entity.kind.label_zh()) " "
                b { (if entry.entity.kind == PointsKind::Earn { "+" } else { "−" }) (entry.entity.points) }
                " " (entry.entity.reason)
                @if entry.is_voided { span.muted { "（已作废）" } }
            })))
            h2 { "半年报告" }
            (list("member-reports", reports.iter().map(|report| html! {
                b { (report.period.label_zh()) }
                br;
                span {
                    "参加活动 " (report.totals.activities_joined) " 次 · 服务 "
                    (format!("{:.1}", report.totals.service_hours)) " 小时 · 认领心愿 "
                    (report.totals.wishes_claimed) " 个 · 获得积分 " (report.totals.points_earned)
                }
            })))
        }
        p #card-status hidden {}
        script { (PreEscaped(OPENER_SCRIPT)) }
    };
    respond(StatusCode::OK, &member.name, body)
}

/// A place in a ranking as a figure: `3 / 120`.
fn place(label: &str, id: &str, place: Option<Place>) -> Markup {
    html! {
        div.figure {
            (label)
            b id=(id) {
                @match place {
                    Some(place) => { (place.rank) " / " (place.of) },
                    None => { "—" },
                }
            }
        }
    }
}

/// The member's claims made at the hub, newest first within each community — their
/// own community's, then the others' they claimed in (`elsewhere`) — with what became
/// of each: 待社区确认 until that community's node applied it, then 已认领 or
/// 未生效（已被他人先认领）.
fn requests(holder: &CardHolder, elsewhere: &[Held]) -> Vec<(String, &'static str)> {
    let (member, home) = (
        holder.card.statement.member,
        holder.card.statement.community,
    );
    let own = (&holder.view, &holder.inbox, &holder.outcomes);
    let others = elsewhere
        .iter()
        .map(|held| (&held.view, &held.inbox, &held.outcomes));
    std::iter::once(own)
        .chain(others)
        .flat_map(|(view, inbox, outcomes)| {
            inbox
                .iter()
                .rev()
                .filter_map(move |entry| match entry.request {
                    InboxRequest::Claim {
                        wish,
                        member: by,
                        home: from,
                        ..
                    } if by == member && from == home => Some((entry.id, wish)),
                    _ => None,
                })
                .map(move |(id, wish)| {
                    let title = view.wishes.get(&wish).map_or_else(
                        || "（心愿已不在台账中）".to_owned(),
                        |held| format!("{} · {}", held.entity.title, view.community.name),
                    );
                    let state = match outcomes.get(&id) {
                        None => "待社区确认",
                        Some(outcome) if outcome.applied => "已认领",
                        Some(_) => "未生效（已被他人先认领）",
                    };
                    (title, state)
                })
        })
        .collect()
}

/// The member's sign-ups made at the hub, newest first, with what became of each:
/// 待社区确认 until the node applied it, then 已报名 or 未生效（why）.
fn sign_ups(holder: &CardHolder) -> Vec<(String, String)> {
    let member = holder.card.statement.member;
    holder
        .inbox
        .iter()
        .rev()
        .filter_map(|entry| match entry.request {
            InboxRequest::SignUp {
                activity,
                member: by,
                ..
            } if by == member => Some((entry.id, activity)),
            _ => None,
        })
        .map(|(id, activity)| {
            let title = holder.view.activities.get(&activity).map_or_else(
                || "（活动已不在台账中）".to_owned(),
                |held| format!("{} · {}", held.title, held.date),
            );
            let state = match holder.outcomes.get(&id) {
                None => "待社区确认".to_owned(),
                Some(outcome) if outcome.applied => "已报名".to_owned(),
                Some(outcome) => format!("未生效（{}）", sign_up_refusal_zh(&outcome.reason)),
            };
            (title, state)
        })
        .collect()
}

/// Why the node did not take a sign-up, in Chinese, from the rule's English words.
fn sign_up_refusal_zh(reason: &str) -> &'static str {
    if reason.contains("already takes part") {
        "已报名过这个活动"
    } else if reason.starts_with("there is no activity") {
        "社区没有这个活动"
    } else if reason.starts_with("there is no member") {
        "社区台账中没有您的记录"
    } else {
        "社区未受理"
    }
}

/// The market: the published wishes under the filters, each with its claim button for a
/// phone with a card session.
pub(super) fn market(
    found: &MarketPage,
    offers: &[MarketOffer],
    filters: &Filters,
    signed_in: bool,
) -> Response {
    let wishes = &found.wishes;
    let shown_to = filters.page * MARKET_PAGE + wishes.len();
    // The same filters on another page.
    let page_link = |page: usize| {
        let mut query = form_urlencoded::Serializer::new(String::new());
        if let Some(region) = &filters.region {
            query.append_pair("region", region.as_str());
        }
        if let Some(group) = filters.group {
            query.append_pair("group", group.code());
        }
        if let Some(kind) = filters.kind {
            query.append_pair("kind", kind.code());
        }
        if let Some(offer) = filters.offer {
            query.append_pair("offer", offer.code());
        }
        query.append_pair("page", &page.to_string());
        format!("/m/?{}", query.finish())
    };
    let chosen = |value: Option<&str>, code: &str| value == Some(code);
    let group = filters.group.map(|group| group.code());
    let kind = filters.kind.map(|kind| kind.code());
    let body = html! {
        header { "心愿树 · 心愿超市" }
        main {
            h1 { "心愿超市" }
            form.filters method="get" action="/m/" {
                label for="region" { "地区代码（区或街道）" }
                input #region name="region" inputmode="numeric"
                    value=(filters.region.as_ref().map(|region| region.as_str().to_owned()).unwrap_or_default());
                label for="group" { "困难群众类别" }
                select #group name="group" {
                    option value="" { "全部" }
                    @for each in BeneficiaryGroup::ALL {
                        option value=(each.code()) selected[chosen(group, each.code())] { (each.label_zh()) }
                    }
                }
                label for="kind" { "心愿类型" }
                select #kind name="kind" {
                    option value="" { "全部" }
                    @for each in WishKind::ALL {
                        option value=(each.code()) selected[chosen(kind, each.code())] { (each.label_zh()) }
                    }
                }
                label for="offer" { "活动 · 岗位 · 项目" }
                select #offer name="offer" {
                    option value="" { "全部" }
                    @for each in [OfferKind::Activity, OfferKind::Post, OfferKind::Project] {
                        option value=(each.code()) selected[filters.offer == Some(each)] { (each.label_zh()) }
                    }
                }
                button type="submit" { "筛选" }
            }
            @if !signed_in {
                p.muted { "认领心愿请先扫描社区发放的会员卡。" }
            }
            p #claim-status role="status" {}
            p.muted #market-total { "共 " (found.total) " 个心愿待认领" }
            (list("market-wishes", wishes.iter().map(|wish| html! {
                b { (wish.title) }
                br;
                span.muted {
                    (wish.community_name) " · " (wish.resident_label) " · "
                    (wish.group.label_zh()) " · " (wish.kind.label_zh())
                }
                @if signed_in {
                    br;
                    button.claim type="button" data-wish=(wish.id.to_string())
                        data-community=(wish.community.as_str()) { "我来认领" }
                }
            })))
            p {
                @if filters.page > 0 { a #market-previous href=(page_link(filters.page - 1)) { "上一页" } " " }
                @if (shown_to as u64) < found.total { a #market-next href=(page_link(filters.page + 1)) { "下一页" } }
            }
            h2 { "近期活动 · 服务岗位 · 民生项目" }
            (list("market-offers", offers.iter().map(|offer| html! {
                b { (offer.title) }
                br;
                span.muted {
                    (offer.kind.label_zh()) " · " (offer.community_name) " · " (offer.category)
                    @if let Some(day) = offer.day { " · " (day.to_string()) }
                }
                @if signed_in && offer.kind == OfferKind::Activity {
                    br;
                    button.sign-up type="button" data-activity=(offer.id)
                        data-community=(offer.community.as_str()) { "我要报名" }
                }
            })))
        }
        script { (PreEscaped(CLAIM_SCRIPT)) }
    };
    respond(StatusCode::OK, "心愿超市", body)
}

/// Posts a claim or a sign-up as JSON (the JSON API needs no form token, and a foreign
/// page cannot send it), then says what the hub answered.
const CLAIM_SCRIPT: &str = r#"
function post(button, path, body) {
    var out = document.getElementById("claim-status");
    button.disabled = true;
    fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      credentials: "same-origin",
      body: JSON.stringify(body)
    }).then(function (answer) {
      return answer.json();
    }).then(function (body) {
      out.textContent = body.message_zh || "已提交";
      if (body.reason) { out.className = "error"; button.disabled = false; }
    }).catch(function () {
      out.className = "error";
      out.textContent = "网络连接失败，请稍后再试";
      button.disabled = false;
    });
}
document.querySelectorAll("button.claim").forEach(function (button) {
  button.addEventListener("click", function () {
    post(button, "/api/market/claims",
      { wish: button.dataset.wish, community: button.dataset.community });
  });
});
document.querySelectorAll("button.sign-up").forEach(function (button) {
  button.addEventListener("click", function () {
    post(button, "/api/market/sign-ups",
      { activity: button.dataset.activity, community: button.dataset.community });
  });
});
"#;

/// A list of items, or 暂无.
fn list(id: &str, items: impl Iterator<Item = Markup>) -> Markup {
    let items: Vec<Markup> = items.collect();
    html! {
        @if items.is_empty() {
            p.muted id=(id) { "暂无" }
        } @else {
            ul.items id=(id) { @for item in items { li { (item) } } }
        }
    }
}

fn hours(minutes: u64) -> String {
    let tenths = (minutes * 10 + 30) / 60;
    format!("{}.{}", tenths / 10, tenths % 10)
}

pub(super) fn respond(status: StatusCode, title: &str, body: Markup) -> Response {
    let page = document(Language::Chinese, &format!("{title} · 心愿树"), STYLE, body);
    (
        status,
        [("cache-control", "no-store")],
        Html(page.into_string()),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use wishtree_protocol::command::CommandError;
    use wishtree_protocol::id::{ActivityId, MemberId};

    use super::sign_up_refusal_zh;

    /// The node's own words for refusing a sign-up read in Chinese on the member's page,
    /// each its own; anything else reads as not taken.
    #[test]
    fn the_node_s_refusals_of_a_sign_up_read_in_chinese() {
        let missing = |kind, id: String| CommandError::NotFound { kind, id }.to_string();
        for (reason, expected) in [
            (
                CommandError::AlreadyParticipating.to_string(),
                "已报名过这个活动",
            ),
            (
                missing(
                    ActivityId::KIND,
                    ActivityId::from_bytes([1; 16]).to_string(),
                ),
                "社区没有这个活动",
            ),
            (
                missing(MemberId::KIND, MemberId::from_bytes([2; 16]).to_string()),
                "社区台账中没有您的记录",
            ),
            (
                "the entry is not signed by the hub's key".to_owned(),
                "社区未受理",
            ),
        ] {
            assert_eq!(sign_up_refusal_zh(&reason), expected, "{reason}");
        }
    }
}
