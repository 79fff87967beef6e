//! The wish routes: the intake form, one wish, and the steps of its life (publish,
//! claim, fulfil, release, reject, withdraw).

use axum::extract::{Path, RawForm, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use wishtree_protocol::command::Command;
use wishtree_protocol::id::WishId;
use wishtree_protocol::model::EventKind;
use wishtree_protocol::names::Language;

use super::super::closing::{self, Closing};
use super::super::forms::{ActionForm, WishForm};
use super::super::tree;
use super::{
    execute_message, execute_status, internal, language, not_found, not_found_page, page,
    parse_form, refused, status_bar, with_replica,
};
use crate::http::AppState;
use crate::replica::{PrivateRecord, Replica, random_bytes};
use crate::store::ResidentPrivate;

pub(super) async fn new_wish(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let lang = language(&headers);
    let form = WishForm {
        kind: "goods".to_owned(),
        group: "elderly_alone".to_owned(),
        ..WishForm::default()
    };
    page(&state, lang, move |replica| {
        Ok(tree::new_wish_page(lang, &form, &status_bar(replica), None))
    })
    .await
}

pub(super) async fn create_wish(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: RawForm,
) -> Response {
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

pub(super) async fn wish(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let lang = language(&headers);
    page(&state, lang, move |replica| {
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

pub(super) async fn wish_action(
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
        // A wish that leaves the tree keeps why: the confirmation page asks for it, and
        // a post without it (a form sent twice, a script) is refused the same way.
        if let Some(closing) = Closing::of(kind)
            && closing.needs_reason()
            && note.as_str().trim().is_empty()
        {
            let message = closing.missing_reason(lang);
            return refused(replica, lang, StatusCode::BAD_REQUEST, |view, bar| {
                closing::confirm_page(lang, view, id, closing, bar, "", Some(message))
            });
        }
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

fn wish_error(
    replica: &mut Replica,
    lang: Language,
    id: WishId,
    status: StatusCode,
    message: String,
) -> Response {
    let resident = replica.resident_private(id).ok().flatten();
    let resident = resident
        .as_ref()
        .map(|r| (r.real_name.as_str(), r.phone.as_str()));
    refused(replica, lang, status, |view, bar| {
        tree::wish_page(lang, view, id, resident, bar, Some(&message))
    })
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
