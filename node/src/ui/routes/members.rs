//! The member routes: the ledger and its form, one member with their passbook and the
//! edit of their ledger, and redeeming points.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use wishtree_protocol::id::{MemberId, PointsEntryId};
use wishtree_protocol::names::Language;

use super::super::cards::{self, CardRefused};
use super::super::exports;
use super::super::forms::{Filled, Form, Refusal};
use super::super::pages::{self, MemberWrite};
use super::reports::download;
use super::{
    Lang, Listed, PostedForm, RecordForm, create, execute_status, internal, not_found, page,
    refusal, refused, saved, status_bar, submit,
};
use crate::api::{self, NewMember, NewRedemption};
use crate::http::AppState;
use crate::replica::{Replica, random_bytes};

pub(super) async fn members(
    State(state): State<AppState>,
    Lang(lang): Lang,
    Query(listed): Query<Listed>,
) -> Response {
    page(&state, lang, move |replica| {
        let view = replica.view().map_err(internal)?;
        let private = private_members(replica)?;
        let today = crate::now().date_in_shanghai().to_string();
        let form = Form::with(&[("reported_in", &today)]);
        let filled = Filled::new(lang, &form, None);
        let bar = status_bar(replica);
        let page = listed.page.as_deref();
        Ok(pages::members_page(&view, &private, &bar, filled, page))
    })
    .await
}

pub(super) async fn create_member(posted: PostedForm) -> Response {
    posted
        .run(move |replica, lang, form| {
            let refuse = |replica: &mut Replica, refusal: Refusal| {
                let private = private_members(replica).unwrap_or_default();
                refused(replica, lang, StatusCode::BAD_REQUEST, |view, bar| {
                    let filled = Filled::new(lang, &form, Some(&refusal));
                    Some(pages::members_page(view, &private, bar, filled, None))
                })
            };
            let make = |new: NewMember, id: MemberId| new.into_command(id);
            create(replica, lang, &form, "/members", make, refuse)
        })
        .await
}

/// `GET /members/{id}`, and GET on the addresses its forms post to.
pub(super) async fn member(
    State(state): State<AppState>,
    Lang(lang): Lang,
    Path(id): Path<String>,
) -> Response {
    page(&state, lang, move |replica| {
        let id: MemberId = id.parse().map_err(|_| not_found(lang))?;
        let view = replica.view().map_err(internal)?;
        let private = replica
            .member_private(id)
            .map_err(internal)?
            .unwrap_or_default();
        let cards = cards_section(replica, lang, id, None);
        pages::member_page(
            lang,
            &view,
            id,
            (&private.address, &private.phone),
            &status_bar(replica),
            MemberWrite::None,
            cards,
        )
        .ok_or_else(|| not_found(lang))
    })
    .await
}

/// `POST /members/{id}`: the ledger edited, read by the same typed input as
/// `PUT /api/members/{id}` and the CLI, so one rule (the phone's too) holds for all; a
/// refusal shows the form again as typed.
pub(super) async fn update_member(posted: RecordForm) -> Response {
    posted
        .run(move |replica, lang, id: MemberId, form| {
            // As for a new member: a refusal is the form's to correct (400); a member who is
            // not there reads as not found.
            let refuse = |replica: &mut Replica, refusal: Refusal| {
                let write = MemberWrite::EditRefused(&form, &refusal);
                member_refused(replica, lang, id, StatusCode::BAD_REQUEST, write, None)
            };
            let new: NewMember = match form.read(crate::now()) {
                Ok(new) => new,
                Err(error) => return refuse(replica, error.into()),
            };
            let (command, private) = new.into_update(id);
            let done = format!("/members/{id}");
            submit(replica, lang, &command, private.as_ref(), &done, refuse)
        })
        .await
}

pub(super) async fn redeem(posted: RecordForm) -> Response {
    posted
        .run(move |replica, lang, id: MemberId, form| {
            let refuse = |replica: &mut Replica, status: StatusCode, refusal: Refusal| {
                member_refused(
                    replica,
                    lang,
                    id,
                    status,
                    MemberWrite::RedeemRefused(&form, &refusal),
                    None,
                )
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
                Ok(_) => saved(&format!("/members/{id}")),
                Err(error) => refuse(replica, execute_status(&error), refusal(lang, &error)),
            }
        })
        .await
}

/// The member's page shown again after a refused write, with why, and with the form
/// that was refused as typed (a card's form: `card`).
pub(super) fn member_refused(
    replica: &mut Replica,
    lang: Language,
    id: MemberId,
    status: StatusCode,
    write: MemberWrite<'_>,
    card: Option<CardRefused<'_>>,
) -> Response {
    let private = replica
        .member_private(id)
        .ok()
        .flatten()
        .unwrap_or_default();
    let cards = cards_section(replica, lang, id, card);
    refused(replica, lang, status, |view, bar| {
        pages::member_page(
            lang,
            view,
            id,
            (&private.address, &private.phone),
            bar,
            write,
            cards,
        )
    })
}

/// The cards section of member `id`'s page (empty if the cards cannot be read: the
/// rest of the page still shows).
fn cards_section(
    replica: &Replica,
    lang: Language,
    id: MemberId,
    refused: Option<CardRefused<'_>>,
) -> maud::Markup {
    match api::cards_of(replica, id) {
        Ok(cards) => cards::cards_section(lang, id, &cards, crate::now(), refused),
        Err(error) => maud::html! { p.error { (error.message()) } },
    }
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

/// `GET /members.csv`: the member ledger with the two personal items this node keeps.
pub(super) async fn members_csv(State(state): State<AppState>) -> Response {
    download(&state, Language::Chinese, move |replica| {
        let view = replica.view().map_err(internal)?;
        let private = private_members(replica)?;
        let ledger = pages::member_ledger(Language::Chinese, &view, &private);
        Ok(exports::ledger_file(&view, &ledger))
    })
    .await
}
