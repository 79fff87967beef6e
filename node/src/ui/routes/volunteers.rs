//! The routes of volunteers beyond the members (issue 14, item 5): the list with the
//! form to register one (the same typed input as `POST /api/volunteers`), one
//! volunteer with their personal data and the form that records their service (as
//! `POST /api/services` reads it, the volunteer named by the path), one service record
//! with the form that voids it, and the CSV ledger.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use wishtree_protocol::id::{ServiceId, VolunteerId, VolunteerServiceId};
use wishtree_protocol::names::Language;

use super::super::exports::ledger_file;
use super::super::forms::{Filled, Form, Refusal};
use super::super::volunteers;
use super::passbook::{void, with_nothing_typed};
use super::reports::download;
use super::{
    Lang, Listing, Opened, PostedForm, RecordForm, create, internal, not_found, page, refused,
    status_bar,
};
use crate::api::{NewService, NewVolunteer};
use crate::http::AppState;
use crate::replica::Replica;

/// Adds the volunteers' pages to the UI's router.
pub(super) fn routes(router: Router<AppState>) -> Router<AppState> {
    router
        .route("/volunteers", get(list).post(create_volunteer))
        .route("/volunteers.csv", get(csv))
        .route("/volunteers/{id}", get(volunteer))
        .route(
            "/volunteers/{id}/services",
            get(volunteer).post(record_service),
        )
        .route("/volunteer-services/{id}", get(service))
        .route(
            "/volunteer-services/{id}/void",
            get(service).post(void_service),
        )
}

async fn list(listing: Listing) -> Response {
    let today = crate::now().date_in_shanghai().to_string();
    let defaults = [("registered_on", today.as_str()), ("kind", "retired")];
    listing.draw(&defaults, volunteers::volunteers_page).await
}

async fn create_volunteer(posted: PostedForm) -> Response {
    posted
        .run(move |replica, lang, form| {
            let refuse = |replica: &mut Replica, refusal: Refusal| {
                refused(replica, lang, StatusCode::BAD_REQUEST, |view, bar| {
                    let filled = Filled::new(lang, &form, Some(&refusal));
                    Some(volunteers::volunteers_page(
                        super::super::ledger::ListAsked {
                            view,
                            status: bar,
                            filled,
                            list_page: None,
                        },
                    ))
                })
            };
            let make = |new: NewVolunteer, id: VolunteerId| new.into_command(id);
            create(replica, lang, &form, "/volunteers", make, refuse)
        })
        .await
}

/// `GET /volunteers/{id}`, and GET on the address its service form posts to.
async fn volunteer(
    State(state): State<AppState>,
    Lang(lang): Lang,
    Path(id): Path<String>,
) -> Response {
    page(&state, lang, move |replica| {
        let id: VolunteerId = id.parse().map_err(|_| not_found(lang))?;
        let today = crate::now().date_in_shanghai().to_string();
        let form = Form::with(&[("date", &today), ("hours", "1"), ("category", "aid")]);
        volunteer_page(replica, id, &Filled::new(lang, &form, None))?.ok_or_else(|| not_found(lang))
    })
    .await
}

/// `POST /volunteers/{id}/services`: the volunteer's service, read by the services'
/// own typed input; saved, the browser goes to the new record; refused, the
/// volunteer's page shows the form again as typed and why.
async fn record_service(posted: RecordForm) -> Response {
    posted
        .run(move |replica, lang, id: VolunteerId, form| {
            let refuse = |replica: &mut Replica, refusal: Refusal| {
                let filled = Filled::new(lang, &form, Some(&refusal));
                match volunteer_page(replica, id, &filled) {
                    Ok(Some(html)) => (StatusCode::BAD_REQUEST, Html(html)).into_response(),
                    Ok(None) => super::not_found_page(replica, lang),
                    Err(error) => error.into_response(),
                }
            };
            if replica
                .view()
                .is_ok_and(|view| !view.volunteers.contains_key(&id))
            {
                return super::not_found_page(replica, lang);
            }
            let asked = form.clone().and("member", &format!("volunteer:{id}"));
            let make = |new: NewService, service: ServiceId| (new.into_command(service), None);
            create(replica, lang, &asked, "/volunteer-services", make, refuse)
        })
        .await
}

async fn service(opened: Opened) -> Response {
    opened
        .draw(with_nothing_typed::<VolunteerServiceId>(
            volunteers::volunteer_service_page,
        ))
        .await
}

/// `POST /volunteer-services/{id}/void`: the record voided with its reason.
async fn void_service(posted: RecordForm) -> Response {
    let at = ("volunteer_service", "/volunteer-services");
    void(posted, at, volunteers::volunteer_service_page).await
}

/// `GET /volunteers.csv`, with the name and phone: the node's own file.
async fn csv(State(state): State<AppState>) -> Response {
    download(&state, Language::Chinese, move |replica| {
        let view = replica.view().map_err(internal)?;
        let private = replica.store().volunteers_private().map_err(internal)?;
        let ledger = volunteers::volunteer_ledger(Language::Chinese, &view, &private);
        Ok(ledger_file(&view, &ledger))
    })
    .await
}

/// The volunteer's page with their personal data, `filled` in its service form;
/// `None` if there is no such volunteer.
fn volunteer_page(
    replica: &mut Replica,
    id: VolunteerId,
    filled: &Filled<'_>,
) -> Result<Option<String>, (StatusCode, String)> {
    let view = replica.view().map_err(internal)?;
    let private = replica.volunteer_private(id).map_err(internal)?;
    let private = private.unwrap_or_default();
    let bar = status_bar(replica);
    Ok(volunteers::volunteer_page(
        &view, id, &private, &bar, filled,
    ))
}
