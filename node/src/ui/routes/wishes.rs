//! The wish routes: the intake form, one wish, the steps of its life (publish, claim,
//! fulfil, release, reject, withdraw), and its move to another collection round.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use wishtree_protocol::command::{Command, CommandError};
use wishtree_protocol::id::WishId;
use wishtree_protocol::model::{EventKind, EventSubject};
use wishtree_protocol::names::Language;

use super::super::closing::{self, Closing};
use super::super::forms::{Form, Refusal};
use super::super::tree;
use super::extract::RecordForm;
use super::wish_pages::confirm;
use super::{
    Lang, PostedForm, create, execute_status, internal, not_found, not_found_page, page, refusal,
    refused, saved, status_bar, with_replica,
};
use crate::api::{Action, NewWish, WishRound};
use crate::http::AppState;
use crate::replica::{ExecuteError, Replica};

pub(super) async fn new_wish(State(state): State<AppState>, Lang(lang): Lang) -> Response {
    let form = Form::with(&[("kind", "goods"), ("group", "elderly_alone")]);
    page(&state, lang, move |replica| {
        let view = replica.view().map_err(internal)?;
        Ok(tree::new_wish_page(
            lang,
            &view,
            &form,
            &status_bar(replica),
            None,
        ))
    })
    .await
}

pub(super) async fn create_wish(posted: PostedForm) -> Response {
    posted
        .run(move |replica, lang, form| {
            let refuse = |replica: &mut Replica, refusal: Refusal| {
                refused(replica, lang, StatusCode::BAD_REQUEST, |view, bar| {
                    Some(tree::new_wish_page(lang, view, &form, bar, Some(&refusal)))
                })
            };
            let make = |new: NewWish, id: WishId| new.into_command(id);
            create(replica, lang, &form, "/wishes", make, refuse)
        })
        .await
}

pub(super) async fn wish(
    State(state): State<AppState>,
    Lang(lang): Lang,
    Path(id): Path<String>,
) -> Response {
    wish_page(state, lang, id).await
}

/// GET on the address an action posts to: for a step that ends or undoes a wish, its
/// confirmation page (the wish page links there); for another step, the wish's page,
/// so that the address a refused action leaves in the address bar still shows it.
pub(super) async fn wish_at_action(
    State(state): State<AppState>,
    Lang(lang): Lang,
    Path((id, action)): Path<(String, String)>,
) -> Response {
    match wish_action_kind(&action) {
        None => page(&state, lang, move |_| Err(not_found(lang))).await,
        Some(kind) => match Closing::of(kind) {
            Some(closing) => confirm(state, lang, id, closing).await,
            None => wish_page(state, lang, id).await,
        },
    }
}

async fn wish_page(state: AppState, lang: Language, id: String) -> Response {
    page(&state, lang, move |replica| {
        let id: WishId = id.parse().map_err(|_| not_found(lang))?;
        let view = replica.view().map_err(internal)?;
        let resident = replica.resident_private(id).map_err(internal)?;
        tree::wish_page(
            lang,
            &view,
            id,
            resident.as_ref(),
            &status_bar(replica),
            None,
        )
        .ok_or_else(|| not_found(lang))
    })
    .await
}

pub(super) async fn wish_action(
    State(state): State<AppState>,
    Lang(lang): Lang,
    Path((id, action)): Path<(String, String)>,
    form: Form,
) -> Response {
    with_replica(&state, move |replica| {
        let Ok(id) = id.parse::<WishId>() else {
            return not_found_page(replica, lang);
        };
        let Some(kind) = wish_action_kind(&action) else {
            return not_found_page(replica, lang);
        };
        let now = crate::now();
        let input = form.read::<Action>(now).and_then(|input| {
            let by = input.author(kind, EventSubject::Wish, replica.worker())?;
            Ok((by, input.note))
        });
        let closing = Closing::of(kind);
        // A refused confirmation is asked again on its own page, with the reason as
        // typed; another step's refusal shows on the wish's page.
        let refuse_input = |replica: &mut Replica, refusal: Refusal| match closing {
            Some(closing) => refused(replica, lang, StatusCode::BAD_REQUEST, |view, bar| {
                closing::confirm_page(lang, view, id, closing, bar, &form, Some(&refusal))
            }),
            None => wish_error(replica, lang, id, StatusCode::BAD_REQUEST, refusal),
        };
        let (by, note) = match input {
            Ok(input) => input,
            Err(error) => return refuse_input(replica, error.into()),
        };
        // A wish that leaves the tree keeps why: the protocol refuses a reject or a
        // withdrawal without its reason, and the confirmation page asks again.
        let command = Command::WishEvent { id, kind, by, note };
        match replica.execute(&command, now) {
            Ok(_) => saved(&format!("/wishes/{id}")),
            Err(error @ ExecuteError::Command(CommandError::ReasonRequired { .. })) => {
                refuse_input(replica, refusal(lang, &error))
            }
            Err(error) => {
                let status = execute_status(&error);
                wish_error(replica, lang, id, status, refusal(lang, &error))
            }
        }
    })
    .await
}

/// `POST /wishes/{id}/round`: the wish moves to the round chosen, with the same input
/// as `POST /api/wishes/{id}/round`; refused, its page again with why beside the choice
/// and nothing written.
pub(super) async fn move_wish_round(posted: RecordForm) -> Response {
    posted
        .run(move |replica, lang, id: WishId, form| {
            let now = crate::now();
            let input = match form.read::<WishRound>(now) {
                Ok(input) => input,
                Err(error) => {
                    return wish_error(replica, lang, id, StatusCode::BAD_REQUEST, error.into());
                }
            };
            match replica.execute(&input.into_command(id), now) {
                Ok(_) => saved(&format!("/wishes/{id}")),
                Err(error) => {
                    let status = execute_status(&error);
                    wish_error(replica, lang, id, status, refusal(lang, &error))
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
    refusal: Refusal,
) -> Response {
    let resident = replica.resident_private(id).ok().flatten();
    refused(replica, lang, status, |view, bar| {
        tree::wish_page(lang, view, id, resident.as_ref(), bar, Some(&refusal))
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
