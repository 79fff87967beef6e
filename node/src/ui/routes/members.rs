//! The member routes: the ledger and its form, one member with their passbook, and
//! redeeming points.

use axum::extract::{Path, RawForm, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use wishtree_protocol::id::{MemberId, PointsEntryId};

use super::super::forms::{Form, Refusal};
use super::super::pages;
use super::{
    execute_status, internal, language, not_found, not_found_page, page, refusal, refused,
    status_bar, submit, with_replica,
};
use crate::api::{NewMember, NewRedemption};
use crate::http::AppState;
use crate::replica::{Replica, random_bytes};

pub(super) async fn members(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let lang = language(&headers);
    page(&state, move |replica| {
        let view = replica.view().map_err(internal)?;
        let private = private_members(replica)?;
        let today = crate::now().date_in_shanghai().to_string();
        let form = Form::with(&[("reported_in", &today)]);
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

pub(super) async fn create_member(
    State(state): State<AppState>,
    headers: HeaderMap,
    raw: RawForm,
) -> Response {
    let lang = language(&headers);
    let form = Form::from_body(&raw.0);
    with_replica(&state, move |replica| {
        let refuse = |replica: &mut Replica, refusal: Refusal| {
            let private = private_members(replica).unwrap_or_default();
            refused(replica, lang, StatusCode::BAD_REQUEST, |view, bar| {
                Some(pages::members_page(
                    lang,
                    view,
                    &private,
                    bar,
                    &form,
                    Some(&refusal),
                ))
            })
        };
        let now = crate::now();
        let new: NewMember = match form.read(now) {
            Ok(new) => new,
            Err(error) => return refuse(replica, error.into()),
        };
        let id = match random_bytes::<16>() {
            Ok(bytes) => MemberId::from_bytes(bytes),
            Err(error) => return refuse(replica, Refusal::Rule(error.to_string())),
        };
        let (command, private) = new.into_command(id);
        let done = format!("/members/{id}");
        submit(replica, lang, &command, private.as_ref(), &done, refuse)
    })
    .await
}

pub(super) async fn member(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let lang = language(&headers);
    page(&state, move |replica| {
        let id: MemberId = id.parse().map_err(|_| not_found(lang))?;
        let view = replica.view().map_err(internal)?;
        pages::member_page(
            lang,
            &view,
            id,
            &status_bar(replica),
            &Form::default(),
            None,
        )
        .ok_or_else(|| not_found(lang))
    })
    .await
}

pub(super) async fn redeem(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    raw: RawForm,
) -> Response {
    let lang = language(&headers);
    let form = Form::from_body(&raw.0);
    with_replica(&state, move |replica| {
        let Ok(id) = id.parse::<MemberId>() else {
            return not_found_page(replica, lang);
        };
        let refuse = |replica: &mut Replica, status: StatusCode, refusal: Refusal| {
            refused(replica, lang, status, |view, bar| {
                pages::member_page(lang, view, id, bar, &form, Some(&refusal))
            })
        };
        let now = crate::now();
        let new: NewRedemption = match form.clone().and("member", &id.to_string()).read(now) {
            Ok(new) => new,
            Err(error) => return refuse(replica, StatusCode::BAD_REQUEST, error.into()),
        };
        let entry = match random_bytes::<16>() {
            Ok(bytes) => PointsEntryId::from_bytes(bytes),
            Err(error) => {
                return refuse(
                    replica,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    Refusal::Rule(error.to_string()),
                );
            }
        };
        match replica.execute(&new.into_command(entry), now) {
            Ok(_) => Redirect::to(&format!("/members/{id}")).into_response(),
            Err(error) => refuse(replica, execute_status(&error), refusal(lang, &error)),
        }
    })
    .await
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
