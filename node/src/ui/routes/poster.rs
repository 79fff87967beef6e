//! `GET /poster`: the community's printable poster for residents (issue 12).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::extract::Lang;
use super::{page, status_bar};
use crate::api;
use crate::http::AppState;
use crate::ui::poster::poster_page;

/// The poster: the hub's wish form for this community, as a link and a QR code.
pub(super) async fn poster(State(state): State<AppState>, Lang(lang): Lang) -> Response {
    page(&state, lang, move |replica| {
        let internal = |error: api::ApiError| (StatusCode::INTERNAL_SERVER_ERROR, error.message());
        let link = api::poster_link(replica).map_err(internal)?;
        let qr = api::qr_svg(&link).map_err(internal)?;
        let code = replica.code();
        Ok(poster_page(lang, code, &link, &qr, &status_bar(replica)))
    })
    .await
}
