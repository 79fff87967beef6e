//! The routes of service posts: the list and the form to open one, one post, its steps
//! (a seat claimed or released, the post withdrawn after its confirmation) through
//! the same lifecycle as `POST /api/posts/{id}/{action}`, and the CSV ledger.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use wishtree_protocol::id::PostId;
use wishtree_protocol::model::EventKind;

use super::super::exports;
use super::super::forms::{Filled, Form, Refusal};
use super::super::posts;
use super::reports::download;
use super::{
    Lang, Listed, PostedForm, create_listed, execute_status, internal, not_found_page, record_page,
    refusal, refused, saved, view_page, with_replica,
};
use crate::api::{Action, NewPost, POSTS};
use crate::http::AppState;
use crate::replica::Replica;

pub(super) async fn posts(
    State(state): State<AppState>,
    Lang(lang): Lang,
    Query(listed): Query<Listed>,
) -> Response {
    view_page(&state, lang, move |view, bar| {
        let form = Form::with(&[("kind", "convenience"), ("seats", "1")]);
        let filled = Filled::new(lang, &form, None);
        Ok(posts::posts_page(view, bar, filled, listed.page.as_deref()))
    })
    .await
}

pub(super) async fn create_post(posted: PostedForm) -> Response {
    create_listed(posted, "/posts", posts::posts_page, NewPost::into_command).await
}

pub(super) async fn post(
    State(state): State<AppState>,
    Lang(lang): Lang,
    Path(id): Path<String>,
) -> Response {
    record_page(&state, lang, id, move |_, view, id: PostId, bar| {
        Ok(posts::post_page(lang, view, id, bar, None))
    })
    .await
}

/// GET on the address a step posts to: the withdrawal's confirmation, or for a claim
/// or a release the post's page, so a refused step's address can be reloaded.
pub(super) async fn post_at_action(
    State(state): State<AppState>,
    Lang(lang): Lang,
    Path((id, action)): Path<(String, String)>,
) -> Response {
    let kind = POSTS.kind(&action);
    record_page(&state, lang, id, move |_, view, id: PostId, bar| {
        Ok(match kind {
            Some(EventKind::Withdraw) => {
                posts::withdraw_page(lang, view, id, bar, &Form::default(), None)
            }
            Some(_) => posts::post_page(lang, view, id, bar, None),
            None => None,
        })
    })
    .await
}

/// `POST /posts/{id}/{claim|release|withdraw}`: read as the API reads it (`by` to claim
/// or release); a refused withdrawal is asked again on its confirmation, another
/// step's refusal shows on the post's page.
pub(super) async fn post_action(
    State(state): State<AppState>,
    Lang(lang): Lang,
    Path((id, action)): Path<(String, String)>,
    form: Form,
) -> Response {
    with_replica(&state, move |replica| {
        let (Ok(id), Some(kind)) = (id.parse::<PostId>(), POSTS.kind(&action)) else {
            return not_found_page(replica, lang);
        };
        let refuse = |replica: &mut Replica, status: StatusCode, refusal: Refusal| {
            refused(replica, lang, status, |view, bar| match kind {
                EventKind::Withdraw => {
                    posts::withdraw_page(lang, view, id, bar, &form, Some(&refusal))
                }
                _ => posts::post_page(lang, view, id, bar, Some(&refusal)),
            })
        };
        let now = crate::now();
        let command = form
            .read::<Action>(now)
            .and_then(|input| POSTS.command(id, kind, input, replica.worker()));
        let command = match command {
            Ok(command) => command,
            Err(error) => return refuse(replica, StatusCode::BAD_REQUEST, error.into()),
        };
        match replica.execute(&command, now) {
            Ok(_) => saved(&format!("/posts/{id}")),
            Err(error) => refuse(replica, execute_status(&error), refusal(lang, &error)),
        }
    })
    .await
}

/// `GET /posts.csv`: the posts as a person's CSV.
pub(super) async fn posts_csv(State(state): State<AppState>, Lang(lang): Lang) -> Response {
    download(&state, lang, move |replica| {
        let view = replica.view().map_err(internal)?;
        Ok(exports::post_ledger(&view))
    })
    .await
}
