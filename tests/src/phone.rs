//! A member's phone at the hub, as the pages' scripts drive it over a real socket:
//! exchanging a card for a card session (`POST /api/card-session`), then reading pages
//! and posting JSON (claims, check-ins) with that session's cookie.

use std::net::SocketAddr;

use serde_json::{Value, json};
use wishtree_testkit::http::{Answer, Request};
use wishtree_testkit::socket;

/// The phone's request to exchange `card` for a session, as the opener's script sends
/// it.
pub fn exchange(hub: SocketAddr, card: &str) -> Answer {
    post(hub, None, "/api/card-session", &json!({ "card": card }))
}

/// The card session cookie (`name=value`) for `card`; panics with the hub's answer if
/// the card is refused.
pub fn open_session(hub: SocketAddr, card: &str) -> String {
    let answer = exchange(hub, card);
    assert_eq!(answer.status, 200, "{}", answer.text());
    let set_cookie = answer.header("set-cookie").expect("a card session cookie");
    set_cookie
        .split(';')
        .next()
        .expect("a cookie has a name and value")
        .to_owned()
}

/// A JSON `POST` as the pages' scripts send it (same origin), with `cookie` if given.
pub fn post(hub: SocketAddr, cookie: Option<&str>, path: &str, body: &Value) -> Answer {
    let mut request = Request::json("POST", path, body)
        .header("Host", &hub.to_string())
        .header("Origin", &format!("http://{hub}"));
    if let Some(cookie) = cookie {
        request = request.header("Cookie", cookie);
    }
    socket::send(hub, &request).expect("the hub answers")
}

/// A page, with `cookie` if given.
pub fn get(hub: SocketAddr, cookie: Option<&str>, path: &str) -> Answer {
    let mut request = Request::get(path).header("Host", &hub.to_string());
    if let Some(cookie) = cookie {
        request = request.header("Cookie", cookie);
    }
    socket::send(hub, &request).expect("the hub answers")
}

/// A refusal's reason code and Chinese words, after checking its status.
pub fn refusal(answer: &Answer, status: u16) -> (String, String) {
    assert_eq!(answer.status, status, "{}", answer.text());
    let body: Value = answer.json();
    let text = |key: &str| body[key].as_str().unwrap_or_default().to_owned();
    (text("reason"), text("message_zh"))
}
