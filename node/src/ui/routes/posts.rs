//! The routes of service posts: the list and the form to open one, one post, its steps
//! (a seat claimed or released, the post withdrawn after its confirmation) through
//! the same lifecycle as `POST /api/posts/{id}/{action}`, and the CSV ledger.

use axum::extract::{Path, State};
use axum::response::Response;
use wishtree_protocol::id::PostId;
use wishtree_protocol::model::EventKind;
use wishtree_protocol::names::Language;
use wishtree_protocol::view::CommunityView;

use super::super::exports;
use super::super::forms::{Form, Refusal};
use super::super::html::StatusBar;
use super::super::posts;
use super::reports::download;
use super::{Lang, Listing, Opened, PostedForm, create_listed, internal, step, step_page};
use crate::api::{NewPost, POSTS};
use crate::http::AppState;

pub(super) async fn posts(listing: Listing) -> Response {
    let defaults = [("kind", "convenience"), ("seats", "1")];
    listing.draw(&defaults, posts::posts_page).await
}

pub(super) async fn create_post(posted: PostedForm) -> Response {
    create_listed(posted, "/posts", posts::posts_page, NewPost::into_command).await
}

pub(super) async fn post(opened: Opened) -> Response {
    opened
        .draw(|lang, view, id: PostId, bar| posts::post_page(lang, view, id, bar, None))
        .await
}

/// GET on the address a step posts to: the withdrawal's confirmation, or for a claim
/// or a release the post's page.
pub(super) async fn post_at_action(
    State(state): State<AppState>,
    Lang(lang): Lang,
    Path(step_of): Path<(String, String)>,
) -> Response {
    step_page(&state, lang, step_of, &POSTS, post_step_page).await
}

/// `POST /posts/{id}/{claim|release|withdraw}` (`by` to claim or release).
pub(super) async fn post_action(
    State(state): State<AppState>,
    Lang(lang): Lang,
    Path(step_of): Path<(String, String)>,
    form: Form,
) -> Response {
    step(
        &state,
        lang,
        step_of,
        form,
        (&POSTS, "/posts"),
        post_step_page,
    )
    .await
}

/// The page of a post's step: a withdrawal is asked on its confirmation, another
/// step's refusal shows on the post's page.
fn post_step_page(
    lang: Language,
    view: &CommunityView,
    id: PostId,
    bar: &StatusBar,
    kind: EventKind,
    form: &Form,
    refusal: Option<&Refusal>,
) -> Option<String> {
    match kind {
        EventKind::Withdraw => posts::withdraw_page(lang, view, id, bar, form, refusal),
        _ => posts::post_page(lang, view, id, bar, refusal),
    }
}

/// `GET /posts.csv`: the posts as a person's CSV.
pub(super) async fn posts_csv(State(state): State<AppState>, Lang(lang): Lang) -> Response {
    download(&state, lang, move |replica| {
        let view = replica.view().map_err(internal)?;
        Ok(exports::post_ledger(&view))
    })
    .await
}
