//! The member routes: the ledger and its form, one member with their passbook, and
//! redeeming points.

use std::collections::HashMap;

use axum::extract::{Path, Query, RawForm, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use wishtree_protocol::command::Command;
use wishtree_protocol::id::{MemberId, PointsEntryId};
use wishtree_protocol::names::Language;
use wishtree_protocol::text::{Label, Phone};

use super::super::forms::{FormError, MemberForm, RedeemForm};
use super::super::html::{Said, t};
use super::super::pages;
use super::{
    execute_message, execute_status, internal, language, not_found, not_found_page, page,
    parse_form, refused, repeated, status_bar, with_replica,
};
use crate::api::NewMember;
use crate::http::AppState;
use crate::replica::{PrivateRecord, Replica, random_bytes};
use crate::store::MemberPrivate;

pub(super) async fn members(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let lang = language(&headers);
    page(&state, lang, move |replica| {
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
            query.get("page").map(String::as_str),
        ))
    })
    .await
}

pub(super) async fn create_member(
    State(state): State<AppState>,
    headers: HeaderMap,
    raw: RawForm,
) -> Response {
    let lang = language(&headers);
    let form: MemberForm = parse_form(&raw);
    let intentions = repeated(&raw, "intention");
    with_replica(&state, move |replica| {
        let refuse = |replica: &mut Replica, message: String| {
            let private = private_members(replica).unwrap_or_default();
            refused(replica, lang, StatusCode::BAD_REQUEST, |view, bar| {
                Some(pages::members_page(
                    lang,
                    view,
                    &private,
                    bar,
                    &form,
                    Some(&message),
                    None,
                ))
            })
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

pub(super) async fn member(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let lang = language(&headers);
    // A write that succeeded redirects here with `saved`, to say so once.
    let notice = query
        .contains_key("saved")
        .then(|| t(lang, "已保存", "Saved"));
    page(&state, lang, move |replica| {
        let id: MemberId = id.parse().map_err(|_| not_found(lang))?;
        let view = replica.view().map_err(internal)?;
        let private = replica
            .member_private(id)
            .map_err(internal)?
            .unwrap_or_default();
        pages::member_page(
            lang,
            &view,
            id,
            (&private.address, &private.phone),
            &status_bar(replica),
            None,
            notice.map(Said::Notice),
        )
        .ok_or_else(|| not_found(lang))
    })
    .await
}

/// `POST /members/{id}`: the ledger edited, through the JSON API's member update, so
/// the page and the API keep one rule; a refusal shows the form again as typed.
pub(super) async fn update_member(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    raw: RawForm,
) -> Response {
    let lang = language(&headers);
    let form: MemberForm = parse_form(&raw);
    let intentions = repeated(&raw, "intention");
    with_replica(&state, move |replica| {
        let Ok(member) = id.parse::<MemberId>() else {
            return not_found_page(replica, lang);
        };
        let refuse = |replica: &mut Replica, status: StatusCode, message: String| {
            let offered: Vec<&str> = intentions.iter().map(String::as_str).collect();
            member_refused(
                replica,
                lang,
                member,
                status,
                Some((&form, &offered)),
                &message,
            )
        };
        let new = match form
            .parse(&intentions)
            .and_then(|(fields, address, phone)| {
                Ok(NewMember {
                    member: fields,
                    address: Some(
                        Label::parse("address", &address).map_err(|e| FormError(e.to_string()))?,
                    ),
                    phone: Some(checked_phone(lang, &phone)?),
                })
            }) {
            Ok(new) => new,
            Err(error) => return refuse(replica, StatusCode::BAD_REQUEST, error.0),
        };
        match crate::api::update_member(replica, &id, new, crate::now()) {
            Ok(_) => Redirect::to(&format!("/members/{member}?saved")).into_response(),
            Err(error) => {
                let status = StatusCode::from_u16(error.status_code())
                    .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                refuse(replica, status, error.message())
            }
        }
    })
    .await
}

pub(super) async fn redeem(
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
        let refuse = |replica: &mut Replica, status: StatusCode, message: String| {
            member_refused(replica, lang, id, status, None, &message)
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
            Ok(_) => Redirect::to(&format!("/members/{id}?saved")).into_response(),
            Err(error) => refuse(
                replica,
                execute_status(&error),
                execute_message(lang, &error),
            ),
        }
    })
    .await
}

/// The member's page shown again after a refused write, with why, and with the edit
/// form as typed when the edit was refused.
fn member_refused(
    replica: &mut Replica,
    lang: Language,
    id: MemberId,
    status: StatusCode,
    edit: Option<(&MemberForm, &[&str])>,
    message: &str,
) -> Response {
    let private = replica
        .member_private(id)
        .ok()
        .flatten()
        .unwrap_or_default();
    refused(replica, lang, status, |view, bar| {
        pages::member_page(
            lang,
            view,
            id,
            (&private.address, &private.phone),
            bar,
            edit,
            Some(Said::Error(message)),
        )
    })
}

/// The phone as typed, checked and kept as its digits; empty stays empty.
fn checked_phone(lang: Language, typed: &str) -> Result<Label, FormError> {
    let digits = if typed.trim().is_empty() {
        String::new()
    } else {
        let phone = Phone::parse("phone", typed).map_err(|error| {
            FormError(match lang {
                Language::Chinese => error.describe_zh(),
                Language::English => error.to_string(),
            })
        })?;
        phone.as_str().to_owned()
    };
    Label::parse("phone", &digits).map_err(|error| FormError(error.to_string()))
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
