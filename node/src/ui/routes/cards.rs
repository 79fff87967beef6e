//! The member card routes: issuing a card from the member's page (answered with the
//! printable card, since its secret is shown once), and revoking one with a reason.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use wishtree_protocol::command::Command;
use wishtree_protocol::id::{CardId, MemberId};
use wishtree_protocol::model::{CardRecord, Member};

use super::super::cards::{CardRefused, issued_card_page};
use super::super::forms::Refusal;
use super::super::pages::MemberWrite;
use super::members::member_refused;
use super::{
    Lang, RecordForm, execute_status, not_found_page, on_replica, refusal, saved, status_bar,
};
use crate::api::{self, ApiError, CardRevocation, NewCard};
use crate::http::AppState;
use crate::replica::Replica;

/// `POST /members/{id}/cards`: a new card, by the same typed input and operation as
/// `POST /api/members/{id}/cards`; answered with the card to print or scan (not a
/// redirect: the page holds the secret, which is nowhere to be read again).
pub(super) async fn issue_card(posted: RecordForm) -> Response {
    posted
        .run(move |replica, lang, id: MemberId, form| {
            let refuse = |replica: &mut Replica, refusal: Refusal| {
                let card = Some(CardRefused::Issue(&form, &refusal));
                member_refused(
                    replica,
                    lang,
                    id,
                    StatusCode::BAD_REQUEST,
                    MemberWrite::None,
                    card,
                )
            };
            let Ok(Some(member)) = replica.doc().entity::<Member>(id) else {
                return not_found_page(replica, lang);
            };
            let now = crate::now();
            let new: NewCard = match form.read(now) {
                Ok(new) => new,
                Err(error) => return refuse(replica, error.into()),
            };
            match api::issue_card(replica, &id.to_string(), new, now) {
                Ok(card) => {
                    let bar = status_bar(replica);
                    let page = issued_card_page(lang, &member.name, id, &card, &bar);
                    (StatusCode::CREATED, Html(page)).into_response()
                }
                Err(error) => refuse(replica, Refusal::Rule(not_issued(&error))),
            }
        })
        .await
}

/// `POST /cards/{id}/revoke`: the card revoked with its reason; back to its member's
/// cards.
pub(super) async fn revoke_card(posted: RecordForm) -> Response {
    posted
        .run(move |replica, lang, id: CardId, form| {
            let Ok(Some(record)) = replica.doc().entity::<CardRecord>(id) else {
                return not_found_page(replica, lang);
            };
            let member = record.member;
            let refuse = |replica: &mut Replica, status: StatusCode, refusal: Refusal| {
                let card = Some(CardRefused::Revoke(id, &form, &refusal));
                member_refused(replica, lang, member, status, MemberWrite::None, card)
            };
            let now = crate::now();
            let revocation: CardRevocation = match form.read(now) {
                Ok(revocation) => revocation,
                Err(error) => return refuse(replica, StatusCode::BAD_REQUEST, error.into()),
            };
            let command = Command::RevokeCard {
                id,
                reason: revocation.reason,
            };
            // Revoked twice (two tabs) is a conflict with the state, not the form's fault.
            match replica.execute(&command, now) {
                Ok(_) => saved(&format!("/members/{member}#cards")),
                Err(error) => refuse(replica, execute_status(&error), refusal(lang, &error)),
            }
        })
        .await
}

/// GET on `/cards/{id}/revoke`: the page of the card's member, where its form is.
pub(super) async fn card_member(
    State(state): State<AppState>,
    Lang(lang): Lang,
    Path(id): Path<String>,
) -> Response {
    let member = on_replica(&state, move |replica| {
        let id: CardId = id.parse().ok()?;
        replica
            .doc()
            .entity::<CardRecord>(id)
            .ok()
            .flatten()
            .map(|record| record.member)
    })
    .await;
    match member {
        Ok(Some(member)) => Redirect::to(&format!("/members/{member}#cards")).into_response(),
        _ => {
            let message = super::super::html::t(lang, "没有这张会员卡", "There is no such card");
            (StatusCode::NOT_FOUND, message).into_response()
        }
    }
}

/// Why a card was not issued, for the worker.
fn not_issued(error: &ApiError) -> String {
    format!("会员卡未发放（not issued）：{}", error.message())
}
