//! Signing in through a login form, as a browser does: the tests of the hub's
//! dashboard and API, in-process or over a socket, all sign in here.
//!
//! `GET /login` sets a cookie and renders a form with a `csrf_token` field; `POST
//! /login` with both answers a redirect that sets the session cookie; any page then
//! carries the session's `csrf_token` for its other forms (the logout button).
//! Generic over how a request is sent, so it serves [`crate::oneshot`] and
//! [`crate::socket`] alike.

use crate::http::{Answer, Request};

/// A signed-in browser: the `Cookie` header to send, and the token its forms carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// `name=value` of the session cookie, for a `Cookie` header.
    pub cookie: String,
    /// The `csrf_token` of the session's forms.
    pub form_token: String,
}

impl Session {
    /// `request` with the session's cookie.
    pub fn on(&self, request: Request) -> Request {
        request.header("Cookie", &self.cookie)
    }
}

/// Signs in as `name` with `password` by the form at `/login`; panics, showing the
/// answer, if the login is refused.
pub fn log_in(send: &mut dyn FnMut(Request) -> Answer, name: &str, password: &str) -> Session {
    let page = send(Request::get("/login"));
    assert_eq!(page.status, 200, "the login page: {}", page.text());
    let login_cookie = cookies(&page).join("; ");
    let token = form_token(&page.text()).expect("the login form carries a csrf_token");
    let body = form(&[
        ("csrf_token", &token),
        ("name", name),
        ("password", password),
        ("next", "/"),
    ]);
    let answer = send(
        Request::new("POST", "/login")
            .header("Cookie", &login_cookie)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body),
    );
    assert_eq!(answer.status, 303, "the login as {name}: {}", answer.text());
    let cookie = cookies(&answer)
        .into_iter()
        .find(|cookie| !cookie.ends_with('='))
        .expect("the login sets a session cookie");
    // The session's own token is on every page it is shown, in the logout form; the
    // login page sends a signed-in browser on, so ask for a page that answers.
    let page = send(Request::get("/login").header("Cookie", &cookie));
    let page = match page.header("location") {
        Some(location) => send(Request::get(location).header("Cookie", &cookie)),
        None => page,
    };
    let form_token = form_token(&page.text()).unwrap_or_default();
    Session { cookie, form_token }
}

/// The `name=value` pairs an answer's `Set-Cookie` headers set (a cleared cookie is
/// `name=`).
pub fn cookies(answer: &Answer) -> Vec<String> {
    answer
        .headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("set-cookie"))
        .filter_map(|(_, value)| value.split(';').next())
        .map(|pair| pair.trim().to_owned())
        .collect()
}

/// The value of the first `csrf_token` field of a page.
pub fn form_token(html: &str) -> Option<String> {
    let at = html.find("name=\"csrf_token\"")?;
    let rest = &html[at..];
    let value = rest.find("value=\"")? + "value=\"".len();
    let end = rest[value..].find('"')?;
    Some(rest[value..value + end].to_owned())
}

/// A form body of `pairs`, URL-encoded.
pub fn form(pairs: &[(&str, &str)]) -> String {
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        serializer.append_pair(name, value);
    }
    serializer.finish()
}
