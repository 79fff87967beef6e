//! The UI's routes: thin handlers that read the replica's derived view or turn a
//! posted form into a domain command, through the same replica lock as the JSON API
//! ([`crate::http::on_replica`]). A refused form is shown again, with what was typed
//! and why, and nothing is stored; an accepted one redirects (post/redirect/get).

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, Query, RawForm, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use wishtree_protocol::HalfYear;
use wishtree_protocol::command::Command;
use wishtree_protocol::id::{ActivityId, MemberId, PointsEntryId, WishId};
use wishtree_protocol::model::EventKind;
use wishtree_protocol::names::Language;
use wishtree_protocol::text::Label;

use super::forms::{ActionForm, ActivityForm, MemberForm, ParticipantForm, RedeemForm, WishForm};
use super::html::StatusBar;
use super::{pages, report, tree};
use crate::http::{AppState, on_replica};
use crate::replica::{ExecuteError, PrivateRecord, Replica, random_bytes};
use crate::report::HalfYearReport;
use crate::store::{MemberPrivate, ResidentPrivate};

/// The routes of the web UI, to mount beside the JSON API.
pub fn ui_router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/lang/{lang}", get(set_language))
        .route("/wishes/new", get(new_wish))
        .route("/wishes", post(create_wish))
        .route("/wishes/{id}", get(wish))
        .route("/wishes/{id}/{action}", post(wish_action))
        .route("/members", get(members).post(create_member))
        .route("/members/{id}", get(member))
        .route("/members/{id}/redeem", post(redeem))
        .route("/activities", get(activities).post(create_activity))
        .route("/activities/{id}", get(activity))
        .route("/activities/{id}/participants", post(join_activity))
        .route("/board", get(board))
        .route("/reports", get(reports))
        .route("/reports/half-year", get(half_year))
}

/// The language of the reader: the `lang` cookie set by `/lang/{lang}`, Chinese by
/// default.
fn language(headers: &HeaderMap) -> Language {
    let cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .find_map(|pair| pair.trim().strip_prefix("lang="));
    Language::from_query(cookie)
}

async fn set_language(Path(lang): Path<String>, headers: HeaderMap) -> Response {
    let lang = Language::from_query(Some(&lang));
    // Back to the page the switch was clicked on, if it was one of ours.
    let back = headers
        .get(header::REFERER)
        .and_then(|value| value.to_str().ok())
        .and_then(|referer| referer.find("://").map(|i| &referer[i + 3..]))
        .and_then(|rest| rest.find('/').map(|i| rest[i..].to_owned()))
        .unwrap_or_else(|| "/".to_owned());
    let mut response = Redirect::to(&back).into_response();
    if let Ok(cookie) = HeaderValue::from_str(&format!(
        "lang={lang}; Path=/; Max-Age=31536000; SameSite=Lax"
    )) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

async fn home(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let lang = language(&headers);
    page(&state, move |replica| {
        let view = replica.view().map_err(internal)?;
        Ok(tree::tree_page(lang, &view, &status_bar(replica), None))
    })
    .await
}

async fn new_wish(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let lang = language(&headers);
    let form = WishForm {
        kind: "goods".to_owned(),
        group: "elderly_alone".to_owned(),
        ..WishForm::default()
    };
    page(&state, move |replica| {
        Ok(tree::new_wish_page(lang, &form, &status_bar(replica), None))
    })
    .await
}

async fn create_wish(State(state): State<AppState>, headers: HeaderMap, form: RawForm) -> Response {
    let lang = language(&headers);
    let form: WishForm = parse_form(&form);
    with_replica(&state, move |replica| {
        let refuse = |replica: &mut Replica, message: String| {
            let html = tree::new_wish_page(lang, &form, &status_bar(replica), Some(&message));
            (StatusCode::BAD_REQUEST, Html(html)).into_response()
        };
        let (fields, name, phone) = match form.parse() {
            Ok(parsed) => parsed,
            Err(error) => return refuse(replica, error.0),
        };
        let id = match random_bytes::<16>() {
            Ok(bytes) => WishId::from_bytes(bytes),
            Err(error) => return refuse(replica, error.to_string()),
        };
        let command = Command::SubmitWish { id, wish: fields };
        let result = if name.is_empty() && phone.is_empty() {
            replica.execute(&command, crate::now())
        } else {
            let private = PrivateRecord::Resident {
                wish: id,
                data: ResidentPrivate {
                    real_name: name,
                    phone,
                },
            };
            replica.execute_with_private(&command, &private, crate::now())
        };
        match result {
            Ok(_) => Redirect::to(&format!("/wishes/{id}")).into_response(),
            Err(error) => refuse(replica, execute_message(lang, &error)),
        }
    })
    .await
}

async fn wish(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let lang = language(&headers);
    page(&state, move |replica| {
        let id: WishId = id.parse().map_err(|_| not_found(lang))?;
        let view = replica.view().map_err(internal)?;
        let resident = replica.resident_private(id).map_err(internal)?;
        let resident = resident
            .as_ref()
            .map(|r| (r.real_name.as_str(), r.phone.as_str()));
        tree::wish_page(lang, &view, id, resident, &status_bar(replica), None)
            .ok_or_else(|| not_found(lang))
    })
    .await
}

async fn wish_action(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, action)): Path<(String, String)>,
    form: RawForm,
) -> Response {
    let lang = language(&headers);
    let form: ActionForm = parse_form(&form);
    with_replica(&state, move |replica| {
        let Ok(id) = id.parse::<WishId>() else {
            return not_found_page(replica, lang);
        };
        let Some(kind) = wish_action_kind(&action) else {
            return not_found_page(replica, lang);
        };
        let by = match form.claimant(kind, replica.worker()) {
            Ok(actor) => actor,
            Err(error) => return wish_error(replica, lang, id, StatusCode::BAD_REQUEST, error.0),
        };
        let note = match form.note() {
            Ok(note) => note,
            Err(error) => return wish_error(replica, lang, id, StatusCode::BAD_REQUEST, error.0),
        };
        let command = Command::WishEvent { id, kind, by, note };
        match replica.execute(&command, crate::now()) {
            Ok(_) => Redirect::to(&format!("/wishes/{id}")).into_response(),
            Err(error) => {
                let status = execute_status(&error);
                wish_error(replica, lang, id, status, execute_message(lang, &error))
            }
        }
    })
    .await
}

async fn members(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let lang = language(&headers);
    page(&state, move |replica| {
        let view = replica.view().map_err(internal)?;
        let private = private_members(replica)?;
        let form = MemberForm {
            reported_in: crate::now().date_in_shanghai().to_string(),
            ..MemberForm::default()
        };
        Ok(pages::members_page(
            lang,
            &view,
            &private,
            &status_bar(replica),
            &form,
            None,
        ))
    })
    .await
}

async fn create_member(
    State(state): State<AppState>,
    headers: HeaderMap,
    raw: RawForm,
) -> Response {
    let lang = language(&headers);
    let form: MemberForm = parse_form(&raw);
    let intentions = repeated(&raw, "intention");
    with_replica(&state, move |replica| {
        let refuse = |replica: &mut Replica, message: String| {
            let view = match replica.view() {
                Ok(view) => view,
                Err(error) => return internal(error).into_response(),
            };
            let private = private_members(replica).unwrap_or_default();
            let html = pages::members_page(
                lang,
                &view,
                &private,
                &status_bar(replica),
                &form,
                Some(&message),
            );
            (StatusCode::BAD_REQUEST, Html(html)).into_response()
        };
        let (fields, address, phone) = match form.parse(&intentions) {
            Ok(parsed) => parsed,
            Err(error) => return refuse(replica, error.0),
        };
        let id = match random_bytes::<16>() {
            Ok(bytes) => MemberId::from_bytes(bytes),
            Err(error) => return refuse(replica, error.to_string()),
        };
        let command = Command::AddMember { id, member: fields };
        let private = PrivateRecord::Member {
            id,
            data: MemberPrivate { address, phone },
        };
        match replica.execute_with_private(&command, &private, crate::now()) {
            Ok(_) => Redirect::to(&format!("/members/{id}")).into_response(),
            Err(error) => refuse(replica, execute_message(lang, &error)),
        }
    })
    .await
}

async fn member(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let lang = language(&headers);
    page(&state, move |replica| {
        let id: MemberId = id.parse().map_err(|_| not_found(lang))?;
        let view = replica.view().map_err(internal)?;
        pages::member_page(lang, &view, id, &status_bar(replica), None)
            .ok_or_else(|| not_found(lang))
    })
    .await
}

async fn redeem(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: RawForm,
) -> Response {
    let lang = language(&headers);
    let form: RedeemForm = parse_form(&form);
    with_replica(&state, move |replica| {
        let Ok(id) = id.parse::<MemberId>() else {
            return not_found_page(replica, lang);
        };
        let refuse = |replica: &mut Replica, status: StatusCode, message: String| match replica
            .view()
        {
            Ok(view) => {
                match pages::member_page(lang, &view, id, &status_bar(replica), Some(&message)) {
                    Some(html) => (status, Html(html)).into_response(),
                    None => not_found_page(replica, lang),
                }
            }
            Err(error) => internal(error).into_response(),
        };
        let Ok(points) = form.points.trim().parse::<u32>() else {
            return refuse(
                replica,
                StatusCode::BAD_REQUEST,
                format!("points `{}` is not a whole number", form.points),
            );
        };
        let reason = match Label::parse("reason", &form.reason) {
            Ok(reason) => reason,
            Err(error) => return refuse(replica, StatusCode::BAD_REQUEST, error.to_string()),
        };
        let entry = match random_bytes::<16>() {
            Ok(bytes) => PointsEntryId::from_bytes(bytes),
            Err(error) => {
                return refuse(
                    replica,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    error.to_string(),
                );
            }
        };
        let command = Command::Redeem {
            id: entry,
            member: id,
            points,
            reason,
        };
        match replica.execute(&command, crate::now()) {
            Ok(_) => Redirect::to(&format!("/members/{id}")).into_response(),
            Err(error) => refuse(
                replica,
                execute_status(&error),
                execute_message(lang, &error),
            ),
        }
    })
    .await
}

async fn activities(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let lang = language(&headers);
    page(&state, move |replica| {
        let view = replica.view().map_err(internal)?;
        let form = ActivityForm {
            date: crate::now().date_in_shanghai().to_string(),
            hours: "2".to_owned(),
            category: "aid".to_owned(),
            ..ActivityForm::default()
        };
        Ok(pages::activities_page(
            lang,
            &view,
            &status_bar(replica),
            &form,
            None,
        ))
    })
    .await
}

async fn create_activity(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: RawForm,
) -> Response {
    let lang = language(&headers);
    let form: ActivityForm = parse_form(&form);
    with_replica(&state, move |replica| {
        let refuse = |replica: &mut Replica, message: String| match replica.view() {
            Ok(view) => {
                let html = pages::activities_page(
                    lang,
                    &view,
                    &status_bar(replica),
                    &form,
                    Some(&message),
                );
                (StatusCode::BAD_REQUEST, Html(html)).into_response()
            }
            Err(error) => internal(error).into_response(),
        };
        let fields = match form.parse() {
            Ok(fields) => fields,
            Err(error) => return refuse(replica, error.0),
        };
        let id = match random_bytes::<16>() {
            Ok(bytes) => ActivityId::from_bytes(bytes),
            Err(error) => return refuse(replica, error.to_string()),
        };
        match replica.execute(
            &Command::AddActivity {
                id,
                activity: fields,
            },
            crate::now(),
        ) {
            Ok(_) => Redirect::to(&format!("/activities/{id}")).into_response(),
            Err(error) => refuse(replica, execute_message(lang, &error)),
        }
    })
    .await
}

async fn activity(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let lang = language(&headers);
    page(&state, move |replica| {
        let id: ActivityId = id.parse().map_err(|_| not_found(lang))?;
        let view = replica.view().map_err(internal)?;
        pages::activity_page(lang, &view, id, &status_bar(replica), None)
            .ok_or_else(|| not_found(lang))
    })
    .await
}

async fn join_activity(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: RawForm,
) -> Response {
    let lang = language(&headers);
    let form: ParticipantForm = parse_form(&form);
    with_replica(&state, move |replica| {
        let Ok(activity) = id.parse::<ActivityId>() else {
            return not_found_page(replica, lang);
        };
        let refuse =
            |replica: &mut Replica, status: StatusCode, message: String| match replica.view() {
                Ok(view) => match pages::activity_page(
                    lang,
                    &view,
                    activity,
                    &status_bar(replica),
                    Some(&message),
                ) {
                    Some(html) => (status, Html(html)).into_response(),
                    None => not_found_page(replica, lang),
                },
                Err(error) => internal(error).into_response(),
            };
        let Ok(member) = form.member.parse::<MemberId>() else {
            return refuse(
                replica,
                StatusCode::BAD_REQUEST,
                "choose a member to sign up".to_owned(),
            );
        };
        match replica.execute(&Command::AddParticipant { activity, member }, crate::now()) {
            Ok(_) => Redirect::to(&format!("/activities/{activity}")).into_response(),
            Err(error) => refuse(
                replica,
                execute_status(&error),
                execute_message(lang, &error),
            ),
        }
    })
    .await
}

async fn board(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let lang = language(&headers);
    page(&state, move |replica| {
        let view = replica.view().map_err(internal)?;
        Ok(pages::board_page(lang, &view, &status_bar(replica)))
    })
    .await
}

async fn reports(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let lang = language(&headers);
    page(&state, move |replica| {
        let view = replica.view().map_err(internal)?;
        let period = crate::now().date_in_shanghai().half_year();
        Ok(report::choose_page(
            lang,
            &view,
            period,
            &status_bar(replica),
        ))
    })
    .await
}

async fn half_year(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let lang = language(&headers);
    page(&state, move |replica| {
        let view = replica.view().map_err(internal)?;
        let member: MemberId = query
            .get("member")
            .and_then(|text| text.parse().ok())
            .ok_or_else(|| not_found(lang))?;
        let period: HalfYear = match query.get("period").filter(|text| !text.is_empty()) {
            Some(text) => {
                text.parse()
                    .map_err(|error: wishtree_protocol::time::TimeParseError| {
                        (StatusCode::BAD_REQUEST, error.to_string())
                    })?
            }
            None => crate::now().date_in_shanghai().half_year(),
        };
        let report = HalfYearReport::compute(&view, member, period).map_err(|_| not_found(lang))?;
        Ok(report::report_page(lang, &report, &status_bar(replica)))
    })
    .await
}

/// What the status bar shows, from the replica.
fn status_bar(replica: &mut Replica) -> StatusBar {
    let community = replica
        .doc()
        .community()
        .map(|community| community.name)
        .unwrap_or_default();
    let sync = replica.sync_status();
    StatusBar {
        community,
        hub_configured: sync.hub_address.is_some(),
        hub_connected: sync.hub_connected,
        hub_address: sync.hub_address.clone().unwrap_or_default(),
        hub_connecting: sync.hub_connecting,
        hub_since: sync.hub_since,
        last_sync: sync.last_synced_at,
        changes_not_at_hub: sync.changes_not_at_hub,
        hub_problem: sync.hub_problem,
    }
}

/// Renders a page on the replica's thread; an error becomes its status and message.
async fn page(
    state: &AppState,
    work: impl FnOnce(&mut Replica) -> Result<String, (StatusCode, String)> + Send + 'static,
) -> Response {
    match on_replica(state, work).await {
        Ok(Ok(html)) => Html(html).into_response(),
        Ok(Err((status, message))) => (status, Html(format!("<!doctype html><meta charset=\"utf-8\"><p>{}</p><p><a href=\"/\">心愿树 · wishtree</a></p>", super::html::esc(&message)))).into_response(),
        Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error.message()).into_response(),
    }
}

/// Runs a form handler on the replica's thread.
async fn with_replica(
    state: &AppState,
    work: impl FnOnce(&mut Replica) -> Response + Send + 'static,
) -> Response {
    match on_replica(state, work).await {
        Ok(response) => response,
        Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error.message()).into_response(),
    }
}

fn wish_error(
    replica: &mut Replica,
    lang: Language,
    id: WishId,
    status: StatusCode,
    message: String,
) -> Response {
    let view = match replica.view() {
        Ok(view) => view,
        Err(error) => return internal(error).into_response(),
    };
    let resident = replica.resident_private(id).ok().flatten();
    let resident = resident
        .as_ref()
        .map(|r| (r.real_name.as_str(), r.phone.as_str()));
    match tree::wish_page(
        lang,
        &view,
        id,
        resident,
        &status_bar(replica),
        Some(&message),
    ) {
        Some(html) => (status, Html(html)).into_response(),
        None => not_found_page(replica, lang),
    }
}

fn not_found_page(replica: &mut Replica, lang: Language) -> Response {
    let _ = replica;
    let (status, message) = not_found(lang);
    (status, Html(message)).into_response()
}

fn not_found(lang: Language) -> (StatusCode, String) {
    (
        StatusCode::NOT_FOUND,
        super::html::t(lang, "没有找到这条记录", "There is no such record").to_owned(),
    )
}

fn internal(error: impl std::fmt::Display) -> (StatusCode, String) {
    (StatusCode::INTERNAL_SERVER_ERROR, error.to_string())
}

fn private_members(replica: &mut Replica) -> Result<pages::PrivateMembers, (StatusCode, String)> {
    Ok(replica
        .store()
        .members_private()
        .map_err(internal)?
        .into_iter()
        .map(|(id, data)| (id, (data.address, data.phone)))
        .collect())
}

fn wish_action_kind(action: &str) -> Option<EventKind> {
    match action {
        "publish" => Some(EventKind::Publish),
        "claim" => Some(EventKind::Claim),
        "release" => Some(EventKind::Release),
        "fulfil" => Some(EventKind::Fulfil),
        "reject" => Some(EventKind::Reject),
        "withdraw" => Some(EventKind::Withdraw),
        _ => None,
    }
}

/// The status of a refused command: 409 for a rule, 404 for a missing record.
fn execute_status(error: &ExecuteError) -> StatusCode {
    use wishtree_protocol::command::CommandError;
    match error {
        ExecuteError::Command(CommandError::NotFound { .. }) => StatusCode::NOT_FOUND,
        ExecuteError::Command(CommandError::OutOfRange { .. }) => StatusCode::BAD_REQUEST,
        ExecuteError::Command(CommandError::Doc(_)) => StatusCode::INTERNAL_SERVER_ERROR,
        ExecuteError::Command(_) => StatusCode::CONFLICT,
        ExecuteError::NoSuchEntity { .. } => StatusCode::NOT_FOUND,
        ExecuteError::Store(_) | ExecuteError::Poisoned(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}

/// Why a command was refused, in the reader's language where the rules have words.
fn execute_message(lang: Language, error: &ExecuteError) -> String {
    use wishtree_protocol::command::CommandError;
    match (lang, error) {
        (Language::Chinese, ExecuteError::Command(CommandError::Refused { refusal })) => {
            format!("操作未生效：{}", refusal.describe_zh())
        }
        (
            Language::Chinese,
            ExecuteError::Command(CommandError::InsufficientPoints { balance, asked }),
        ) => {
            format!("积分不足：余额 {balance}，不能支取 {asked}")
        }
        (Language::Chinese, ExecuteError::Command(CommandError::AlreadyParticipating)) => {
            "该党员已报名参加这项活动".to_owned()
        }
        (Language::Chinese, other) => format!("操作未保存：{other}"),
        (Language::English, other) => other.to_string(),
    }
}

/// Parses a urlencoded form into a struct whose fields all default, so a missing field
/// shows as empty on the re-rendered form instead of failing the request.
fn parse_form<T: serde::de::DeserializeOwned + Default>(form: &RawForm) -> T {
    let pairs: Vec<(String, String)> = form_pairs(form);
    // Keep the last value of each key; repeated keys (checkboxes) are read separately.
    let map: HashMap<String, String> = pairs.into_iter().collect();
    serde_json::to_value(map)
        .ok()
        .and_then(|value| serde_json::from_value(value).ok())
        .unwrap_or_default()
}

/// Every value of a repeated field (checkboxes).
fn repeated(form: &RawForm, key: &str) -> Vec<String> {
    form_pairs(form)
        .into_iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v)
        .collect()
}

fn form_pairs(form: &RawForm) -> Vec<(String, String)> {
    // Decoding never fails on what a browser sends; anything else reads as no fields,
    // and the form is shown again asking for them.
    serde_urlencoded::from_bytes(&form.0).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_form_bytes_read_as_no_fields() {
        for bytes in [
            &b"%zz%4&=&&x"[..],
            b"\xff\xfe=1",
            b"name=%E5%BD%AD+%E7%A8%8B",
        ] {
            let form = RawForm(axum::body::Bytes::copy_from_slice(bytes));
            let _: WishForm = parse_form(&form);
        }
        let form = RawForm(axum::body::Bytes::from_static(b"title=%E5%BD%AD+%E7%A8%8B"));
        let parsed: WishForm = parse_form(&form);
        assert_eq!(parsed.title, "彭 程");
    }

    #[test]
    fn unknown_form_fields_and_repeats_are_handled() {
        let form = RawForm(axum::body::Bytes::from_static(
            b"name=%E5%BC%A0%E5%A9%B7&intention=aid&intention=health&junk=1",
        ));
        let parsed: MemberForm = parse_form(&form);
        assert_eq!(parsed.name, "张婷");
        assert_eq!(repeated(&form, "intention"), vec!["aid", "health"]);
    }

    #[test]
    fn the_language_comes_from_the_cookie() {
        let mut headers = HeaderMap::new();
        assert_eq!(language(&headers), Language::Chinese);
        headers.insert(header::COOKIE, HeaderValue::from_static("a=b; lang=en"));
        assert_eq!(language(&headers), Language::English);
    }
}
