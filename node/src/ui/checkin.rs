//! The check-in QR code of a running activity (签到码, `GET /activities/{id}/check-in`):
//! shown on the office screen or a tablet at the door, scanned by members' phones to
//! check in and out at the hub. The page reloads itself every minute with a fresh code
//! signed by the node's clock, well before the last one expires, so a photo of the
//! screen sent home is soon worthless.

use maud::{PreEscaped, html};
use serde_json::Value;
use wishtree_protocol::names::Language;

use super::html::{StatusBar, page, t};

/// How often the page draws a new code, in seconds (codes live five minutes).
pub const REFRESH_SECONDS: u32 = 60;

/// The page for `code`, the answer of `GET /api/activities/{id}/check-in-code`.
pub fn check_in_page(lang: Language, code: &Value, status: &StatusBar) -> String {
    let text = |key: &str| code[key].as_str().unwrap_or_default().to_owned();
    let activity = text("activity");
    let link = text("link");
    let body = html! {
        meta http-equiv="refresh" content=(REFRESH_SECONDS);
        div.member-card #check-in-code {
            p.card-title { (status.community) " · " (t(lang, "活动签到", "Check-in")) }
            p.card-name { (text("title")) }
            // The qrcode crate's drawing of the link: rects and a path.
            div.qr #check-in-qr { (PreEscaped(text("qr_svg"))) }
            p { (t(lang, "请党员用手机扫码：到场时签到，离开时再扫码签退。服务时长按本机时间计算，不超过活动时长。",
                   "Members scan this with their phone: check in on arrival, scan again to check out when leaving. Hours are what this computer's clock saw, at most the activity's length.")) }
            p.muted { (t(lang, "二维码每分钟更新一次。", "The code changes every minute.")) }
        }
        @if !link.starts_with("http") {
            p.flag #no-hub-web {
                (t(lang,
                   "本节点还没有设置市（区）平台的网址，手机扫码无法打开：请运维人员为本节点设置市（区）平台网址。",
                   "This node has no hub web address, so a phone cannot open the code: set it with wishtree-node init --hub-web."))
            }
        }
        p.no-print { a href={ "/activities/" (activity) } { (t(lang, "返回活动", "Back to the activity")) } }
    };
    page(
        lang,
        t(lang, "活动签到", "Check-in"),
        status,
        "/activities",
        body,
    )
}
