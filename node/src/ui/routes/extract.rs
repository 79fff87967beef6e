//! What a handler of the pages takes as its arguments, read from the request before
//! it runs: the reader's language ([`Lang`]), the page of a list ([`Listed`],
//! [`Listing`]), one record's page ([`Opened`]), a posted form ([`PostedForm`]) and a
//! form posted about one record ([`RecordForm`]).

use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use wishtree_protocol::names::Language;
use wishtree_protocol::view::CommunityView;

use super::super::forms::{Filled, Form};
use super::super::html::StatusBar;
use super::super::ledger::ListAsked;
use super::{ListPage, not_found_page, record_page, view_page, with_replica};
use crate::http::AppState;
use crate::replica::Replica;

/// The reader's language, as a handler's argument ([`language`]).
pub(super) struct Lang(pub(super) Language);

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(language(&parts.headers)))
    }
}

/// The page of a paged list asked for (`?page=2`), if any; other keys are ignored.
#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct Listed {
    pub(super) page: Option<String>,
}

/// A list page asked for (`/posts?page=2`), as a handler's argument: the reader's
/// language and the page of the list ([`Listing::draw`]).
pub(super) struct Listing {
    pub(super) state: AppState,
    pub(super) lang: Language,
    pub(super) list_page: Option<String>,
}

impl FromRequestParts<AppState> for Listing {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        // A query that is not ours (`?page=x&y`) reads as the first page.
        let listed = Query::<Listed>::from_request_parts(parts, state)
            .await
            .map(|Query(listed)| listed)
            .unwrap_or_default();
        let lang = language(&parts.headers);
        Ok(Self {
            state: state.clone(),
            lang,
            list_page: listed.page,
        })
    }
}

impl Listing {
    /// Draws a list page with no form on it: `list` is given the language, the view,
    /// the status bar and the page of the list asked for.
    pub(super) async fn show(
        self,
        list: fn(Language, &CommunityView, &StatusBar, Option<&str>) -> String,
    ) -> Response {
        let Self {
            state,
            lang,
            list_page,
        } = self;
        view_page(&state, lang, move |view, bar| {
            Ok(list(lang, view, bar, list_page.as_deref()))
        })
        .await
    }

    /// Draws the list page `list`, its form holding `defaults` (the values a new
    /// record most often has).
    pub(super) async fn draw(self, defaults: &[(&str, &str)], list: ListPage) -> Response {
        let Self {
            state,
            lang,
            list_page,
        } = self;
        let form = Form::with(defaults);
        view_page(&state, lang, move |view, bar| {
            let filled = Filled::new(lang, &form, None);
            let list_page = list_page.as_deref();
            Ok(list(ListAsked {
                view,
                status: bar,
                filled,
                list_page,
            }))
        })
        .await
    }
}

/// A record's page asked for (`/posts/{id}`), as a handler's argument: the reader's
/// language and the record's id as written in the path ([`Opened::draw`]).
pub(super) struct Opened {
    pub(super) state: AppState,
    pub(super) lang: Language,
    pub(super) id: String,
}

impl FromRequestParts<AppState> for Opened {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let Path(id) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let lang = language(&parts.headers);
        Ok(Self {
            state: state.clone(),
            lang,
            id,
        })
    }
}

impl Opened {
    /// Draws the record's page from the view: `draw` is given the language, the view,
    /// the id parsed and the status bar, and gives `None` when the record is not there
    /// (the styled not-found page, as for an id that is not one).
    pub(super) async fn draw<I: std::str::FromStr + Send + 'static>(
        self,
        draw: impl FnOnce(Language, &CommunityView, I, &StatusBar) -> Option<String> + Send + 'static,
    ) -> Response {
        let lang = self.lang;
        record_page(&self.state, lang, self.id, move |_, view, id: I, bar| {
            Ok(draw(lang, view, id, bar))
        })
        .await
    }
}

/// The language of the reader: the `lang` cookie set by `/lang/{lang}`, Chinese by
/// default.
pub(super) fn language(headers: &HeaderMap) -> Language {
    Language::from_query(cookie(headers, "lang"))
}

/// The value of the request's cookie `name`, if it has one.
pub(super) fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .find_map(|pair| {
            let (key, value) = pair.trim().split_once('=')?;
            (key == name).then_some(value)
        })
}

/// A posted form, as a handler's argument: the reader's language and the form as
/// typed, to handle on the replica's thread ([`PostedForm::run`]).
pub(super) struct PostedForm {
    pub(super) state: AppState,
    pub(super) lang: Language,
    pub(super) form: Form,
}

impl FromRequest<AppState> for PostedForm {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let lang = language(request.headers());
        let form = Form::from_request(request, state).await?;
        let state = state.clone();
        Ok(Self { state, lang, form })
    }
}

impl PostedForm {
    /// Runs `work` on the replica's thread.
    pub(super) async fn run(
        self,
        work: impl FnOnce(&mut Replica, Language, Form) -> Response + Send + 'static,
    ) -> Response {
        let Self { state, lang, form } = self;
        with_replica(&state, move |replica| work(replica, lang, form)).await
    }
}

/// A form posted about one record (`/members/{id}`, `/activities/{id}/participants`),
/// as a handler's argument: the record's id as written in the path, and the form.
pub(super) struct RecordForm {
    pub(super) id: String,
    pub(super) posted: PostedForm,
}

impl FromRequest<AppState> for RecordForm {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let Path(id) = Path::<String>::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let posted = PostedForm::from_request(Request::from_parts(parts, body), state).await?;
        Ok(Self { id, posted })
    }
}

impl RecordForm {
    /// Runs `work` on the replica's thread with the id parsed, or draws the styled
    /// not-found page if it is not one.
    pub(super) async fn run<I: std::str::FromStr + Send + 'static>(
        self,
        work: impl FnOnce(&mut Replica, Language, I, Form) -> Response + Send + 'static,
    ) -> Response {
        let id = self.id;
        self.posted
            .run(move |replica, lang, form| match id.parse::<I>() {
                Ok(id) => work(replica, lang, id, form),
                Err(_) => not_found_page(replica, lang),
            })
            .await
    }
}
