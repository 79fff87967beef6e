//! A resident's wish from the community's poster (群众扫码点单, issue 12 item 4):
//! `GET /m/wish/new?c=<community>` the form, `POST /m/wish/new` the submission,
//! `GET /m/wish/lookup?c=&code=` its state by receipt code. No account: the form is
//! protected against cross-site posting by the same nonce cookie as the login form.
//!
//! **Sealing at the hub, not in the browser.** The name, phone and address are sealed
//! to the node's encryption key (`wishtree_protocol::submission`) in this handler, the
//! moment the body is read, before anything is stored: the inbox entry, the SQLite
//! file and its WAL hold only the ciphertext, and no log line or error message names
//! them. Sealing in the browser would keep them from the hub's memory too, but needs
//! HPKE (X25519, HKDF, ChaCha20Poly1305) as inline JavaScript — the page may fetch
//! nothing from outside, WebCrypto has no ChaCha20 and X25519 only in recent
//! browsers, and a hand-written copy would be a second implementation to trust. The
//! limit: a hub operator who changes the hub's code could read the fields as they
//! arrive (as they could change a page's script); what the hub keeps, and what a
//! backup or a stolen disk shows, is ciphertext only.
//!
//! The hub seals only to a key the node published in its document and signed with the
//! key the roster enrols for that community now; a community whose node has not yet
//! synced one offers no form. Refusals, each with its own words and nothing appended:
//! a body over [`SUBMISSION_LIMIT`], a flood from one address ([`PER_ADDRESS`] in 15
//! minutes) or to one community ([`PER_COMMUNITY`]), a community the hub does not know,
//! and a body that is not the form. The same submission as JSON, for apps and
//! scripts, is `resident_api.rs`; both pass [`accept`].

use std::collections::HashMap;

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{Extensions, HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use wishtree_protocol::frame::DocId;
use wishtree_protocol::id::InboxEntryId;
use wishtree_protocol::inbox::InboxRequest;
use wishtree_protocol::lifecycle::ClaimState;
use wishtree_protocol::model::{BeneficiaryGroup, WishKind};
use wishtree_protocol::submission::{
    DetailsError, EncryptionKey, ReceiptCode, ResidentDetails, Submission,
};
use wishtree_protocol::text::Title;
use wishtree_protocol::view::CommunityView;
use wishtree_protocol::{CommunityCode, CommunityDoc};
use wishtree_webguard::FORM_TOKEN_FIELD;

use super::page::respond;
use crate::accounts::{LOGIN_COOKIE, LoginCookie, cookie_value, random};
use crate::http::HubHttpState;
use crate::http::auth::cookie_header;
use crate::state::Hub;

/// The largest submission read, in bytes: the form's fields at their limits fit in a
/// quarter of it.
pub(crate) const SUBMISSION_LIMIT: usize = 8 * 1024;
/// Submissions accepted from one address in 15 minutes: a family or a community
/// centre's shared phone, not a script.
pub(crate) const PER_ADDRESS: usize = 10;
/// Submissions accepted for one community in 15 minutes, from all addresses.
pub(crate) const PER_COMMUNITY: usize = 100;

/// Where the form posts to; the web guard checks its token against the nonce cookie.
pub(crate) const FORM_PATH: &str = "/m/wish/new";

/// Why a submission was refused: each with its status and its own words.
#[derive(Debug)]
pub(super) enum Refusal {
    TooLarge,
    Flood,
    UnknownCommunity,
    NoKey,
    Malformed,
    Field(DetailsError),
    Internal(String),
}

/// What the resident typed, kept to draw the form again beside a refusal. It lives
/// for this request only.
#[derive(Default)]
pub(super) struct Typed {
    fields: HashMap<String, String>,
}

/// `GET /m/wish/new?c=<community>`: the form, for a community the hub can seal to.
pub(crate) async fn wish_form(
    State(state): State<HubHttpState>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let community = query.get("c").and_then(|code| code.trim().parse().ok());
    let Some(community) = community else {
        return refusal_page(&Refusal::UnknownCommunity);
    };
    match sealing_target(&state, community).await {
        Ok((name, _)) => {
            let mut typed = Typed::default();
            typed.fields.insert("c".to_owned(), community.to_string());
            form_page(&state, &headers, &name, &typed, None, StatusCode::OK)
        }
        Err(refusal) => refusal_page(&refusal),
    }
}

/// `POST /m/wish/new`: the fields read, the personal ones sealed at once, the
/// submission appended to the community's inbox, and on to its receipt.
pub(crate) async fn submit_wish(
    State(state): State<HubHttpState>,
    extensions: Extensions,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let client = super::client_address(&extensions);
    let Ok(bytes) = axum::body::to_bytes(body, SUBMISSION_LIMIT).await else {
        return refusal_page(&Refusal::TooLarge);
    };
    let Some(typed) = Typed::read(&bytes) else {
        return refusal_page(&Refusal::Malformed);
    };
    match accept(&state, client, &typed).await {
        Ok((community, receipt)) => Redirect::to(&format!(
            "/m/wish/lookup?c={community}&code={receipt}&new=1"
        ))
        .into_response(),
        Err((refusal @ Refusal::Field(_), name)) => form_page(
            &state,
            &headers,
            &name,
            &typed,
            Some(&refusal),
            StatusCode::BAD_REQUEST,
        ),
        Err((refusal, _)) => refusal_page(&refusal),
    }
}

/// What the form and the JSON API (`resident_api.rs`) share once the fields are read:
/// the limits per community and address, the key to seal to, the fields checked and
/// the personal ones sealed, the submission appended, counted. Answers the community
/// and the receipt, or the refusal with the community's name (empty if unknown) to
/// draw the form again.
pub(super) async fn accept(
    state: &HubHttpState,
    client: std::net::IpAddr,
    typed: &Typed,
) -> Result<(CommunityCode, ReceiptCode), (Refusal, String)> {
    let now = state.now();
    let Some(community) = typed.get("c").trim().parse::<CommunityCode>().ok() else {
        return Err((Refusal::UnknownCommunity, String::new()));
    };
    // Taken before the work, so that submissions fired at once are each counted
    // before the next is let through; taken back if the submission is not appended.
    let attempt = match state
        .submission_throttle()
        .take(community.as_str(), client, now)
        .await
    {
        Ok(Some(attempt)) => attempt,
        Ok(None) => {
            tracing::warn!(%client, %community, "resident submission refused: too many");
            return Err((Refusal::Flood, String::new()));
        }
        Err(error) => {
            tracing::error!(%error, "resident submission refused: the limit cannot be read");
            return Err((
                Refusal::Internal(format!("the count of submissions cannot be read: {error}")),
                String::new(),
            ));
        }
    };
    let appended = sealed_and_appended(state, typed, community, now).await;
    match &appended {
        Ok(_) => tracing::info!(%community, "resident submission sealed and appended"),
        // Only what was appended counts.
        Err(_) => {
            if let Err(error) = attempt.forget().await {
                tracing::error!(%error, "a refused resident submission is counted");
            }
        }
    }
    appended.map(|receipt| (community, receipt))
}

/// The key to seal to, the fields checked and the personal ones sealed, the
/// submission appended: [`accept`]'s work once the limit let it through.
async fn sealed_and_appended(
    state: &HubHttpState,
    typed: &Typed,
    community: CommunityCode,
    now: wishtree_protocol::Timestamp,
) -> Result<ReceiptCode, (Refusal, String)> {
    let (name, key) = sealing_target(state, community)
        .await
        .map_err(|refusal| (refusal, String::new()))?;
    let sealed = seal(typed, community, key).map_err(|refusal| (refusal, name.clone()))?;
    let receipt = sealed.receipt;
    let Some(hub) = state.hub().cloned() else {
        return Err((
            Refusal::Internal("no documents behind this hub".to_owned()),
            name,
        ));
    };
    let appended = tokio::task::spawn_blocking(move || {
        let id = InboxEntryId::from_bytes(random().map_err(|error| error.to_string())?);
        let request = InboxRequest::Submission(Box::new(sealed));
        hub.append_inbox(community, id, request, now)
            .map(drop)
            .map_err(|error| error.to_string())
    })
    .await
    .map_err(|error| error.to_string())
    .and_then(|appended| appended);
    appended
        .map(|()| receipt)
        .map_err(|message| (Refusal::Internal(message), name))
}

/// `GET /m/wish/lookup?c=&code=`: what became of a submission, with nothing personal:
/// 待审核 until the worker publishes it, then green (待认领), red (已认领), fulfilled.
pub(crate) async fn lookup(
    State(state): State<HubHttpState>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let field = |name: &str| query.get(name).map(|value| value.trim()).unwrap_or("");
    let (c, code) = (field("c"), field("code"));
    if c.is_empty() && code.is_empty() {
        return lookup_page(c, code, None).draw(None);
    }
    let (Ok(community), Ok(receipt)) = (c.parse::<CommunityCode>(), code.parse::<ReceiptCode>())
    else {
        return lookup_page(
            c,
            code,
            Some(Found::Problem("社区代码或回执码不正确，请核对后重新输入")),
        )
        .draw(None);
    };
    let Some(hub) = state.hub().cloned() else {
        return lookup_page(
            c,
            code,
            Some(Found::Problem("平台暂时无法查询，请稍后再试")),
        )
        .draw(None);
    };
    let found = tokio::task::spawn_blocking(move || find(&hub, community, receipt))
        .await
        .unwrap_or(Found::Problem("平台暂时无法查询，请稍后再试"));
    let fresh = query.contains_key("new");
    lookup_page(c, code, Some(found)).draw(fresh.then(|| receipt.to_string()))
}

/// What a look-up found.
enum Found {
    /// At the hub, not yet taken in by the node.
    Waiting,
    /// In the community's ledger: its title and state.
    Wish { title: String, state: ClaimState },
    /// Nothing under that code.
    Nothing,
    /// The code could not be looked up.
    Problem(&'static str),
}

/// The community's name and the encryption key to seal to: the key the node published
/// in its document, signed by the node key the roster enrols now.
async fn sealing_target(
    state: &HubHttpState,
    community: CommunityCode,
) -> Result<(String, EncryptionKey), Refusal> {
    let Some(hub) = state.hub().cloned() else {
        return Err(Refusal::Internal("no documents behind this hub".to_owned()));
    };
    tokio::task::spawn_blocking(move || {
        let enrolled = hub
            .store()
            .community_key(community)
            .map_err(|error| Refusal::Internal(error.to_string()))?
            .ok_or(Refusal::UnknownCommunity)?;
        let held = hub
            .snapshot(DocId::Community(community))
            .map_err(|error| Refusal::Internal(error.to_string()))?;
        let doc = CommunityDoc::from_automerge(held, Some(community), [0; 16])
            .map_err(|_| Refusal::NoKey)?;
        let name = doc
            .community()
            .map(|community| community.name)
            .unwrap_or_default();
        let key = doc
            .encryption_keys()
            .map_err(|error| Refusal::Internal(error.to_string()))?
            .iter()
            .find_map(|statement| statement.verify(&enrolled).ok())
            .ok_or(Refusal::NoKey)?;
        Ok((name, key))
    })
    .await
    .map_err(|error| Refusal::Internal(error.to_string()))?
}

/// Checks the fields and seals the personal ones: nothing personal outlives this call
/// but the ciphertext.
fn seal(
    typed: &Typed,
    community: CommunityCode,
    key: EncryptionKey,
) -> Result<Submission, Refusal> {
    let title = Title::parse("title", typed.get("title")).map_err(|_| {
        Refusal::Field(DetailsError::new(
            "title",
            "title: write what is wished for, at most 200 characters",
            "请填写心愿（不超过200字）",
        ))
    })?;
    let kind = typed.get("kind").parse::<WishKind>().map_err(|_| {
        Refusal::Field(DetailsError::new(
            "kind",
            "kind: choose one",
            "请选择心愿类型",
        ))
    })?;
    let group = typed
        .get("group")
        .parse::<BeneficiaryGroup>()
        .map_err(|_| {
            Refusal::Field(DetailsError::new(
                "group",
                "group: choose one",
                "请选择困难群众类别",
            ))
        })?;
    let details =
        ResidentDetails::parse(typed.get("name"), typed.get("phone"), typed.get("address"))
            .map_err(Refusal::Field)?;
    let random = |error: crate::accounts::AccountError| Refusal::Internal(error.to_string());
    let receipt = ReceiptCode::from_bytes(random_bytes::<5>().map_err(random)?);
    let sealed = key
        .seal(
            community,
            receipt,
            &details,
            random_bytes::<32>().map_err(random)?,
        )
        .map_err(|error| Refusal::Internal(error.to_string()))?;
    Ok(Submission {
        receipt,
        title,
        kind,
        group,
        sealed,
    })
}

fn random_bytes<const N: usize>() -> Result<[u8; N], crate::accounts::AccountError> {
    random::<N>()
}

/// A receipt's state: the wish in the community document the hub holds, or an entry
/// still waiting in the inbox.
fn find(hub: &Hub, community: CommunityCode, receipt: ReceiptCode) -> Found {
    let wish = receipt.wish(community);
    let Ok(held) = hub.snapshot(DocId::Community(community)) else {
        return Found::Problem("平台暂时无法查询，请稍后再试");
    };
    let view = CommunityDoc::from_automerge(held, Some(community), [0; 16])
        .and_then(|doc| CommunityView::derive(&doc));
    if let Ok(view) = view
        && let Some(held) = view.wishes.get(&wish)
    {
        return Found::Wish {
            title: held.entity.title.clone(),
            state: held.status.state,
        };
    }
    let waiting = hub.inbox_entries(community).is_ok_and(|entries| {
        entries.iter().any(|entry| {
            matches!(&entry.request, InboxRequest::Submission(submission) if submission.receipt == receipt)
        })
    });
    if waiting {
        Found::Waiting
    } else {
        Found::Nothing
    }
}

impl Typed {
    /// The fields of a posted form; `None` if the body is not a form (not UTF-8, a
    /// field twice, or no community).
    fn read(bytes: &Bytes) -> Option<Self> {
        std::str::from_utf8(bytes).ok()?;
        let mut fields = HashMap::new();
        for (name, value) in form_urlencoded::parse(bytes) {
            if fields
                .insert(name.into_owned(), value.into_owned())
                .is_some()
            {
                return None;
            }
        }
        fields.contains_key("c").then_some(Self { fields })
    }

    /// A submission's fields from outside as they are typed: `c`, `title`, `kind`,
    /// `group`, `name`, `phone`, `address`.
    pub(super) fn of_fields(fields: HashMap<String, String>) -> Self {
        Self { fields }
    }

    fn get(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", String::as_str)
    }
}

impl Refusal {
    pub(super) fn status(&self) -> StatusCode {
        match self {
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Flood => StatusCode::TOO_MANY_REQUESTS,
            Self::UnknownCommunity => StatusCode::NOT_FOUND,
            Self::NoKey => StatusCode::SERVICE_UNAVAILABLE,
            Self::Malformed | Self::Field(_) => StatusCode::BAD_REQUEST,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub(super) fn message_zh(&self) -> String {
        match self {
            Self::TooLarge => format!(
                "提交内容过长（超过{} KB），请精简心愿和住址后重新提交",
                SUBMISSION_LIMIT / 1024
            ),
            Self::Flood => {
                format!("提交过于频繁：同一网络15分钟内最多提交{PER_ADDRESS}条心愿，请稍后再试")
            }
            Self::UnknownCommunity => {
                "找不到这个社区：请重新扫描社区张贴的海报上的二维码".to_owned()
            }
            Self::NoKey => {
                "这个社区暂时不能在线提交心愿（社区尚未连通平台），请直接联系社区".to_owned()
            }
            Self::Malformed => "表单无法识别，请重新扫描海报打开表单后再提交".to_owned(),
            Self::Field(error) => error.message_zh.clone(),
            // The hub's reason goes to the log, which never holds what was typed.
            Self::Internal(_) => "平台暂时无法受理，请稍后再试".to_owned(),
        }
    }
}

/// A page that says why, with nothing appended.
fn refusal_page(refusal: &Refusal) -> Response {
    if let Refusal::Internal(reason) = refusal {
        tracing::error!("a resident submission failed: {reason}");
    }
    let body = html! {
        header { "心愿树 · 群众点单" }
        main {
            h1 { "提交心愿" }
            p.error role="alert" data-refusal=(refusal.code()) { (refusal.message_zh()) }
        }
    };
    respond(refusal.status(), "提交心愿", body)
}

impl Refusal {
    /// A short code for tests and scripts.
    pub(super) fn code(&self) -> &'static str {
        match self {
            Self::TooLarge => "too_large",
            Self::Flood => "flood",
            Self::UnknownCommunity => "unknown_community",
            Self::NoKey => "no_key",
            Self::Malformed => "malformed",
            Self::Field(_) => "field",
            Self::Internal(_) => "internal",
        }
    }
}

/// The form, with a refusal beside its field when there is one; a fresh nonce cookie
/// if the browser has none.
fn form_page(
    state: &HubHttpState,
    headers: &HeaderMap,
    community_name: &str,
    typed: &Typed,
    refusal: Option<&Refusal>,
    status: StatusCode,
) -> Response {
    let key = state.session_key();
    let held = cookie_value(&cookie_header(headers), LOGIN_COOKIE)
        .and_then(|value| key.read_login_cookie(value).ok());
    let (login, set_cookie) = match held {
        Some(login) => (login, None),
        None => match random::<16>() {
            Ok(nonce) => {
                let login = LoginCookie { nonce };
                let value = key.login_cookie(&login);
                (login, Some(value))
            }
            Err(error) => return refusal_page(&Refusal::Internal(error.to_string())),
        },
    };
    let token = key.login_form_token(&login);
    let problem = |field: &str| match refusal {
        Some(Refusal::Field(error)) if error.field == field => Some(error.message_zh.as_str()),
        _ => None,
    };
    let chosen = |name: &str, code: &str| typed.get(name) == code;
    let text_field = |name: &str, label: &str, kind: &str, hint: &str| -> Markup {
        html! {
            label for=(name) { (label) }
            @if let Some(message) = problem(name) {
                p.error id=(format!("{name}-error")) role="alert" { (message) }
            }
            input id=(name) name=(name) type=(kind) value=(typed.get(name))
                autocomplete="off" aria-describedby=(format!("{name}-hint")) required;
            span.muted id=(format!("{name}-hint")) { (hint) }
        }
    };
    let body = html! {
        header { "心愿树 · 群众点单" }
        main {
            h1 { "提交微心愿" }
            p.muted { (community_name) " · 社区核实后发布到心愿树上，由党员认领帮办。" }
            form.filters method="post" action=(FORM_PATH) {
                input type="hidden" name=(FORM_TOKEN_FIELD) value=(token);
                input type="hidden" name="c" value=(typed.get("c"));
                (text_field("title", "我的心愿", "text", "例如：希望有一台微波炉"))
                label for="kind" { "心愿类型" }
                @if let Some(message) = problem("kind") { p.error role="alert" { (message) } }
                select #kind name="kind" required {
                    @for each in WishKind::ALL {
                        option value=(each.code()) selected[chosen("kind", each.code())] { (each.label_zh()) }
                    }
                }
                label for="group" { "困难群众类别" }
                @if let Some(message) = problem("group") { p.error role="alert" { (message) } }
                select #group name="group" required {
                    @for each in BeneficiaryGroup::ALL {
                        option value=(each.code()) selected[chosen("group", each.code())] { (each.label_zh()) }
                    }
                }
                p.muted { "以下个人信息加密后只有本社区能看到，平台不保存明文。" }
                (text_field("name", "姓名", "text", "只给社区工作者核实用"))
                (text_field("phone", "联系电话", "tel", "11位手机号或带区号的座机"))
                (text_field("address", "住址", "text", "例如：幸福里3号楼2单元101"))
                button type="submit" { "提交心愿" }
            }
            p { a href="/m/wish/lookup" { "已提交过？用回执码查询进度" } }
        }
    };
    let mut response = respond(status, "提交微心愿", body);
    if let Some(value) = set_cookie
        && let Ok(cookie) = HeaderValue::from_str(&format!(
            "{LOGIN_COOKIE}={value}; Path={FORM_PATH}; HttpOnly; SameSite=Strict"
        ))
    {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// The look-up page: a form for the community code and receipt, and what was found.
fn lookup_page(c: &str, code: &str, found: Option<Found>) -> LookupPage {
    LookupPage {
        c: c.to_owned(),
        code: code.to_owned(),
        found,
    }
}

/// The look-up page before it is drawn, so that a fresh receipt can be told apart.
struct LookupPage {
    c: String,
    code: String,
    found: Option<Found>,
}

impl LookupPage {
    fn draw(self, fresh: Option<String>) -> Response {
        let (state_class, words, title) = match &self.found {
            None => ("", String::new(), None),
            Some(Found::Waiting) => (
                "submitted",
                "待审核（已提交，等待社区接收）".to_owned(),
                None,
            ),
            Some(Found::Wish { title, state }) => (
                state.code(),
                match state {
                    ClaimState::Submitted => "待审核".to_owned(),
                    ClaimState::Published => "已发布，等待党员认领".to_owned(),
                    ClaimState::Claimed => "已有党员认领，正在帮办".to_owned(),
                    ClaimState::Fulfilled => "心愿已实现".to_owned(),
                    other => other.label_zh().to_owned(),
                },
                Some(title.clone()),
            ),
            Some(Found::Nothing) => (
                "",
                "没有找到这个回执码：请核对社区代码和回执码（社区接收前可能需要稍等）".to_owned(),
                None,
            ),
            Some(Found::Problem(message)) => ("", (*message).to_owned(), None),
        };
        let body = html! {
            header { "心愿树 · 群众点单" }
            main {
                h1 { "查询心愿进度" }
                @if let Some(receipt) = &fresh {
                    p.receipt role="status" {
                        "心愿已提交。请记下回执码："
                        b #receipt-code { (receipt) }
                    }
                }
                @if !words.is_empty() {
                    div #wish-state class=(format!("wish-state {state_class}")) data-state=(state_class) {
                        @if let Some(title) = &title { b { (title) } br; }
                        (words)
                    }
                }
                form.filters method="get" action="/m/wish/lookup" {
                    label for="c" { "社区代码（12位，海报上可见）" }
                    input #c name="c" inputmode="numeric" value=(self.c);
                    label for="code" { "回执码（8位）" }
                    input #code name="code" autocomplete="off" value=(self.code);
                    button type="submit" { "查询" }
                }
                p.muted { "查询结果只显示心愿和进度，不显示任何个人信息。" }
            }
        };
        respond(StatusCode::OK, "查询心愿进度", body)
    }
}
