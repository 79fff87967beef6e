//! 已保存: a write that was saved says so once, on the page it lands on.
//!
//! A saved form redirects (post/redirect/get), so the page that should say "saved" is
//! drawn by the next request. The redirect leaves a short-lived cookie ([`saved`]);
//! [`announce`], a layer over the UI's routes, sees it on that next page, fills the
//! frame's notice slot ([`NOTICE_SLOT`]) and clears the cookie. So every form says it
//! once, in the reader's language, and no handler carries a flag for it.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;

use super::{cookie, language};
use crate::ui::html::{NOTICE_SLOT, t};

/// The cookie a saved write leaves for the page after it.
const SAVED: &str = "saved";

/// The redirect after a saved write: to `to`, which will say 已保存.
pub(super) fn saved(to: &str) -> Response {
    let mut response = Redirect::to(to).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_static("saved=1; Path=/; Max-Age=60; SameSite=Strict; HttpOnly"),
    );
    response
}

/// Puts 已保存 into the first page drawn after a saved write, and forgets it.
pub(super) async fn announce(request: Request, next: Next) -> Response {
    let pending = cookie(request.headers(), SAVED) == Some("1");
    let lang = language(request.headers());
    let response = next.run(request).await;
    if !pending || response.status() != StatusCode::OK || !is_html(response.headers()) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    // Our own page, drawn in full already: reading it whole costs nothing new.
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let page = String::from_utf8_lossy(&bytes);
    let notice = html! { p.notice #notice role="status" { (t(lang, "已保存", "Saved")) } };
    let page = page.replacen(NOTICE_SLOT, &notice.into_string(), 1);
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.append(
        header::SET_COOKIE,
        HeaderValue::from_static("saved=; Path=/; Max-Age=0; SameSite=Strict; HttpOnly"),
    );
    Response::from_parts(parts, Body::from(page))
}

fn is_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"))
}
