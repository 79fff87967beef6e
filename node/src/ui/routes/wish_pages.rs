//! The wish pages that only read: the confirmation page of a step that ends or undoes
//! a wish (its form posts to the step's own route, which answers GET with it), the
//! list of closed wishes, and the wishes of one state, paged.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use wishtree_protocol::id::WishId;
use wishtree_protocol::lifecycle::ClaimState;
use wishtree_protocol::names::Language;

use super::super::closing::{self, Closing};
use super::super::forms::Form;
use super::super::tree;
use super::{Lang, Listed, Listing, not_found, view_page};
use crate::http::AppState;

/// The page of `GET /wishes/{id}/{reject|withdraw|release}`: asks before a wish is
/// rejected, withdrawn or released, nothing typed yet.
pub(super) async fn confirm(
    state: AppState,
    lang: Language,
    id: String,
    closing: Closing,
) -> Response {
    view_page(&state, lang, move |view, bar| {
        let id: WishId = id.parse().map_err(|_| not_found(lang))?;
        closing::confirm_page(lang, view, id, closing, bar, &Form::default(), None)
            .ok_or_else(|| not_found(lang))
    })
    .await
}

/// `GET /wishes/closed`: the rejected and withdrawn wishes with their reasons.
pub(super) async fn closed(listing: Listing) -> Response {
    listing.show(closing::closed_page).await
}

/// `GET /wishes/in/{state}`: the wishes of one state, paged.
pub(super) async fn in_state(
    State(state): State<AppState>,
    Lang(lang): Lang,
    Path(claim_state): Path<String>,
    Query(listed): Query<Listed>,
) -> Response {
    view_page(&state, lang, move |view, bar| {
        let claim_state: ClaimState = claim_state.parse().map_err(|_| not_found(lang))?;
        Ok(tree::state_page(
            lang,
            view,
            claim_state,
            bar,
            listed.page.as_deref(),
        ))
    })
    .await
}
