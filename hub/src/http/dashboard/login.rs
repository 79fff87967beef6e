//! Signing in and out (`GET`/`POST /login`, `POST /logout`): the zh-CN login form in
//! the dashboard's frame, the password checked with argon2 off the async runtime,
//! failed logins throttled per account and per client address (429 with a Chinese
//! page; 503 when the count cannot be read, never a try uncounted) and logged without
//! the password, and the session cookie set or cleared.
//!
//! Both forms carry the CSRF token the web guard checks (see [`super::super::guarded`]):
//! the login form the token of the browser's login cookie, which the login page sets,
//! and the logout button the token of the session.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::OnceLock;

use axum::extract::connect_info::ConnectInfo;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Extension, Form, Query, State};
use axum::http::{Extensions, HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use wishtree_common::password::{hash_password, verify_password};
use wishtree_protocol::names::Language;
use wishtree_webguard::{FORM_TOKEN_FIELD, Peer};

use super::super::HubHttpState;
use super::super::auth::{Viewer, cookie_header};
use super::layout::{Frame, error_page, page, tr};
use crate::accounts::{
    self, LOGIN_COOKIE, LoginCookie, SESSION_COOKIE, SESSION_LIFETIME_MS, SessionCookie,
    cookie_value,
};

/// What the login form shows: the name typed, why the login was refused, where to go.
struct LoginForm<'a> {
    lang: Language,
    name: &'a str,
    problem: Option<&'static str>,
    next: &'a str,
    token: String,
}

/// `GET /login`: the form, with a login cookie for its CSRF token; a browser already
/// signed in goes on to where it was headed.
pub(crate) async fn login_page(
    State(state): State<HubHttpState>,
    headers: HeaderMap,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> Response {
    let query = query.map(|Query(query)| query).unwrap_or_default();
    let lang = Language::from_query(query.get("lang").map(String::as_str));
    let next = safe_next(query.get("next").map(String::as_str));
    let key = state.session_key();
    let cookies = cookie_header(&headers);
    let now = state.now();
    let cookie = cookie_value(&cookies, SESSION_COOKIE)
        .and_then(|value| key.read_session_cookie(value, now).ok());
    // Only a session the store still holds goes on: a revoked account's cookie, still
    // signed, would otherwise be sent back and forth between here and the page.
    if let Some(cookie) = cookie {
        let live = state
            .accounts(move |accounts| accounts.session_account(&cookie.id, now))
            .await;
        if matches!(live, Ok(Some(_))) {
            return Redirect::to(next).into_response();
        }
    }
    let (login, set_cookie) = match cookie_value(&cookies, LOGIN_COOKIE)
        .and_then(|value| key.read_login_cookie(value).ok())
    {
        Some(login) => (login, None),
        None => match random::<16>() {
            Ok(nonce) => {
                let login = LoginCookie { nonce };
                (login, Some(key.login_cookie(&login)))
            }
            Err(message) => {
                return error_page(
                    lang,
                    message,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    state.now(),
                );
            }
        },
    };
    let form = LoginForm {
        lang,
        name: "",
        problem: None,
        next,
        token: key.login_form_token(&login),
    };
    let mut response = form.render(state.now(), StatusCode::OK);
    if let Some(value) = set_cookie {
        set(
            &mut response,
            &format!("{LOGIN_COOKIE}={value}; Path=/login; HttpOnly; SameSite=Strict"),
        );
    }
    response
}

/// `POST /login`: the name and password checked; a session cookie and on to `next`,
/// or the form again with why.
pub(crate) async fn login(
    State(state): State<HubHttpState>,
    headers: HeaderMap,
    extensions: Extensions,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    let now = state.now();
    let Ok(Form(fields)) = form else {
        return error_page(
            Language::Chinese,
            "登录表单无法识别，请重新打开登录页面",
            StatusCode::BAD_REQUEST,
            now,
        );
    };
    let field = |name: &str| fields.get(name).map(String::as_str).unwrap_or_default();
    let lang = Language::from_query(fields.get("lang").map(String::as_str));
    let name = field("name").trim();
    let name: String = name.chars().take(64).collect();
    let password = field("password");
    let next = safe_next(Some(field("next")));
    let client = extensions
        .get::<ConnectInfo<Peer>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.remote.ip());
    let key = state.session_key().clone();
    let token = cookie_value(&cookie_header(&headers), LOGIN_COOKIE)
        .and_then(|value| key.read_login_cookie(value).ok())
        .map(|login| key.login_form_token(&login))
        .unwrap_or_default();
    let again = |problem: &'static str, status: StatusCode| {
        LoginForm {
            lang,
            name: &name,
            problem: Some(problem),
            next,
            token: token.clone(),
        }
        .render(now, status)
    };
    if name.is_empty() || password.is_empty() {
        return again("请填写账号和密码", StatusCode::BAD_REQUEST);
    }
    // Counted as a failure before the password is checked, taken back if it is right:
    // tries fired at once are each counted before the next is let through.
    let attempt = match state.throttle().take(&name, client, now).await {
        Ok(Some(attempt)) => attempt,
        Ok(None) => {
            tracing::warn!(account = name, %client, "login refused: too many failures");
            let message = tr(
                lang,
                "登录失败次数过多：请 15 分钟后再试；如忘记密码，请联系平台管理员",
                "too many failed logins: try again in 15 minutes, or ask the hub's operator",
            );
            return error_page(lang, message, StatusCode::TOO_MANY_REQUESTS, now);
        }
        // Refused, never let through uncounted: a guesser must not gain by a store's
        // failure.
        Err(error) => {
            tracing::error!(account = name, %client, %error, "login refused: the throttle cannot be read");
            let message = tr(
                lang,
                "暂时无法登录：平台无法核对登录失败次数，请稍后再试",
                "cannot log in now: the hub cannot read its count of failed logins; try again later",
            );
            return error_page(lang, message, StatusCode::SERVICE_UNAVAILABLE, now);
        }
    };
    let (password, asked) = (password.to_owned(), name.clone());
    let checked = state
        .accounts(move |accounts| {
            let candidate = accounts.login_candidate(&asked)?;
            // An unknown name costs the same argon2 run as a known one, so the time of
            // the answer does not tell which names exist.
            let hash = candidate
                .as_ref()
                .map_or_else(|| dummy_hash().to_owned(), |(_, hash)| hash.clone());
            let matches = verify_password(&password, &hash);
            Ok(candidate
                .map(|(account, _)| account)
                .filter(|account| matches && account.is_active()))
        })
        .await;
    let account = match checked {
        Ok(Some(account)) => {
            if let Err(error) = attempt.forget().await {
                tracing::error!(account = name, %client, %error, "a right password is counted as a failure");
            }
            account
        }
        // Counted already, by the attempt.
        Ok(None) => {
            tracing::warn!(account = name, %client, "failed login");
            if let Err(error) = state
                .audit(&name, "login-failed", format!("from {client}"))
                .await
            {
                tracing::error!(
                    "the failed login is not in the audit log: {}",
                    error.message()
                );
            }
            return again("账号或密码不正确", StatusCode::UNAUTHORIZED);
        }
        // The hub failed, not the password: no failure of the name's.
        Err(error) => {
            if let Err(error) = attempt.forget().await {
                tracing::error!(account = name, %client, %error, "a login the hub failed is counted as a failure");
            }
            return error_page(lang, error.message(), error.status(), now);
        }
    };
    let session = match random::<16>() {
        Ok(id) => SessionCookie {
            id,
            expires_at: now.plus_millis(SESSION_LIFETIME_MS),
        },
        Err(message) => return error_page(lang, message, StatusCode::INTERNAL_SERVER_ERROR, now),
    };
    let opened = state
        .accounts(move |accounts| {
            accounts.open_session(&account, &session.id, now, session.expires_at)?;
            accounts.audit(
                now,
                account.name.as_str(),
                "login",
                &format!("from {client}"),
            )?;
            Ok(())
        })
        .await;
    if let Err(error) = opened {
        return error_page(lang, error.message(), error.status(), now);
    }
    let mut response = Redirect::to(next).into_response();
    set(
        &mut response,
        &format!(
            "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}",
            key.session_cookie(&session),
            SESSION_LIFETIME_MS / 1000
        ),
    );
    set(
        &mut response,
        &format!("{LOGIN_COOKIE}=; Path=/login; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    response
}

/// `POST /logout`: the session's row deleted and its cookie cleared.
pub(crate) async fn logout(
    State(state): State<HubHttpState>,
    Extension(viewer): Extension<Viewer>,
) -> Response {
    if let Some(session) = viewer.session().copied() {
        let (name, now) = (viewer.name().to_owned(), state.now());
        let closed = state
            .accounts(move |accounts| {
                accounts.close_session(&session.id)?;
                accounts.audit(now, &name, "logout", "")
            })
            .await;
        if let Err(error) = closed {
            return error.into_response();
        }
    }
    let mut response = Redirect::to("/login").into_response();
    set(
        &mut response,
        &format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    response
}

impl LoginForm<'_> {
    fn render(&self, now: wishtree_protocol::Timestamp, status: StatusCode) -> Response {
        let lang = self.lang;
        let title = tr(lang, "登录", "Log in");
        let body = html! {
            h1 { (title) }
            form.login method="post" action="/login" {
                input type="hidden" name=(FORM_TOKEN_FIELD) value=(self.token);
                input type="hidden" name="next" value=(self.next);
                @if lang == Language::English { input type="hidden" name="lang" value="en"; }
                @if let Some(problem) = self.problem {
                    p.error id="login-problem" role="alert" data-error { (problem) }
                }
                label for="name" { (tr(lang, "账号", "Account")) }
                input id="name" type="text" name="name" value=(self.name) autocomplete="username" required
                    aria-invalid=[self.problem.map(|_| "true")]
                    aria-describedby=[self.problem.map(|_| "login-problem")];
                label for="password" { (tr(lang, "密码", "Password")) }
                input id="password" type="password" name="password" autocomplete="current-password" required
                    aria-invalid=[self.problem.map(|_| "true")];
                button type="submit" { (title) }
            }
            p.muted { (tr(lang, "账号由平台管理员开设；忘记密码请联系管理员。", "Accounts are created by the hub's operator; ask them if you forgot your password.")) }
        };
        let frame = Frame {
            lang,
            title,
            path: "/login",
            query: &[],
            period: None,
            as_of: now,
            viewer: None,
        };
        let mut response = page(&frame, body);
        *response.status_mut() = status;
        response
    }
}

/// Where a login leads: a path of this hub, never another site (`//evil.example`),
/// in printable ASCII as the login's redirect sends it (a browser percent-encodes the rest).
fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/\\")
                && path.bytes().all(|byte| byte.is_ascii_graphic()) =>
        {
            path
        }
        _ => "/",
    }
}

fn set(response: &mut Response, cookie: &str) {
    if let Ok(value) = header::HeaderValue::from_str(cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

fn random<const N: usize>() -> Result<[u8; N], &'static str> {
    accounts::random().map_err(|_| "no randomness for a session: the operating system gave none")
}

/// A hash no password matches in practice, to spend an unknown name's argon2 run on.
fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| hash_password("no account has this password", [0; 16]).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn a_login_leads_only_to_a_path_of_this_hub() {
        for (next, expected) in [
            (Some("/rankings?region=130903"), "/rankings?region=130903"),
            (Some("/"), "/"),
            (Some("//evil.example/"), "/"),
            (Some("/\\evil.example"), "/"),
            (Some("https://evil.example/"), "/"),
            (Some("/a\r\nSet-Cookie: x=y"), "/"),
            (Some("/a b"), "/"),
            (Some("/中文"), "/"),
            (Some(""), "/"),
            (None, "/"),
        ] {
            assert_eq!(safe_next(next), expected, "{next:?}");
        }
    }
}
