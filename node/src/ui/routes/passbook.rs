//! The routes of service records, redemptions and corrections: each list with the
//! form that adds to it (the same typed inputs as `POST /api/services` and
//! `/api/redemptions`), one record with the form that voids it (as `POST /api/voids`
//! reads it, the record named by the path), the corrections, and the CSV ledgers.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use wishtree_protocol::id::{PointsEntryId, ServiceId, VoidId};
use wishtree_protocol::names::Language;
use wishtree_protocol::view::CommunityView;

use super::super::exports::ledger_file;
use super::super::forms::{Form, NOTHING_TYPED, Refusal};
use super::super::html::StatusBar;
use super::super::passbook;
use super::{
    Listing, Opened, PostedForm, RecordForm, create_listed, execute_status, ledger_csv, refusal,
    refused, saved,
};
use crate::api::{NewRedemption, NewService, NewVoid};
use crate::http::AppState;
use crate::replica::{Replica, random_bytes};

/// A record's page with its void form: `(lang, view, id, status bar, the void as
/// typed, why it was refused)`; `None` if there is no such record.
type VoidPage<I> =
    fn(Language, &CommunityView, I, &StatusBar, &Form, Option<&Refusal>) -> Option<String>;

pub(super) async fn services(listing: Listing) -> Response {
    let today = crate::now().date_in_shanghai().to_string();
    let defaults = [
        ("date", today.as_str()),
        ("hours", "1"),
        ("category", "aid"),
        ("item", "other"),
    ];
    listing.draw(&defaults, passbook::services_page).await
}

/// `POST /services`: a member's service, or a volunteer's (chosen as
/// `volunteer:<id>`), whose record has its own page.
pub(super) async fn create_service(posted: PostedForm) -> Response {
    let is_volunteer = posted.form.value("member").starts_with("volunteer:");
    let path = if is_volunteer {
        "/volunteer-services"
    } else {
        "/services"
    };
    create_listed(
        posted,
        path,
        passbook::services_page,
        NewService::into_command,
    )
    .await
}

/// `GET /services/{id}`, and GET on the address its void form posts to.
pub(super) async fn service(opened: Opened) -> Response {
    opened
        .draw(with_nothing_typed::<ServiceId>(passbook::service_page))
        .await
}

/// `POST /services/{id}/void`: the record voided with its reason.
pub(super) async fn void_service(posted: RecordForm) -> Response {
    void(posted, ("service", "/services"), passbook::service_page).await
}

/// `GET /services.csv`.
pub(super) async fn services_csv(State(state): State<AppState>) -> Response {
    ledger_csv(&state, |view| {
        ledger_file(view, &passbook::service_ledger(Language::Chinese, view))
    })
    .await
}

pub(super) async fn redemptions(listing: Listing) -> Response {
    listing.draw(&[], passbook::redemptions_page).await
}

pub(super) async fn create_redemption(posted: PostedForm) -> Response {
    create_listed(
        posted,
        "/redemptions",
        passbook::redemptions_page,
        NewRedemption::into_command,
    )
    .await
}

/// `GET /redemptions/{id}`, and GET on the address its void form posts to.
pub(super) async fn redemption(opened: Opened) -> Response {
    let draw = with_nothing_typed::<PointsEntryId>(passbook::redemption_page);
    opened.draw(draw).await
}

/// `POST /redemptions/{id}/void`: the redemption voided with its reason, its points
/// back in the passbook.
pub(super) async fn void_redemption(posted: RecordForm) -> Response {
    void(
        posted,
        ("points_entry", "/redemptions"),
        passbook::redemption_page,
    )
    .await
}

/// `GET /redemptions.csv`.
pub(super) async fn redemptions_csv(State(state): State<AppState>) -> Response {
    ledger_csv(&state, |view| {
        ledger_file(view, &passbook::redemption_ledger(Language::Chinese, view))
    })
    .await
}

pub(super) async fn voids(listing: Listing) -> Response {
    listing.show(passbook::voids_page).await
}

pub(super) async fn void_record(opened: Opened) -> Response {
    opened.draw::<VoidId>(passbook::void_page).await
}

/// `GET /voids.csv`.
pub(super) async fn voids_csv(State(state): State<AppState>) -> Response {
    ledger_csv(&state, |view| {
        ledger_file(view, &passbook::void_ledger(Language::Chinese, view))
    })
    .await
}

/// A record's page drawn with nothing typed in its void form.
pub(super) fn with_nothing_typed<I>(
    draw: VoidPage<I>,
) -> impl FnOnce(Language, &CommunityView, I, &StatusBar) -> Option<String> + Send + 'static
where
    I: 'static,
{
    move |lang, view, id, bar| draw(lang, view, id, bar, &NOTHING_TYPED, None)
}

/// Voids the record `id` of the ledger at `path` (named to the API's void input by
/// `field`): read as `POST /api/voids` reads it, the reason required; saved, the
/// browser goes back to the record, which now says it is voided; refused, `draw`
/// shows the record again with the reason as typed and why. A record that is not
/// there (or not of this ledger) is not found, and nothing is written.
pub(super) async fn void<I>(
    posted: RecordForm,
    (field, path): (&'static str, &'static str),
    draw: VoidPage<I>,
) -> Response
where
    I: std::str::FromStr + std::fmt::Display + Copy + Send + 'static,
{
    posted
        .run(move |replica, lang, id: I, form| {
            let refuse = |replica: &mut Replica, status: StatusCode, refusal: Refusal| {
                refused(replica, lang, status, |view, bar| {
                    draw(lang, view, id, bar, &form, Some(&refusal))
                })
            };
            let is_here = replica.view().is_ok_and(|view| {
                draw(lang, &view, id, &StatusBar::default(), &form, None).is_some()
            });
            if !is_here {
                return super::not_found_page(replica, lang);
            }
            let now = crate::now();
            let asked = form.clone().and(field, &id.to_string());
            let made = asked
                .read::<NewVoid>(now)
                .map_err(Refusal::from)
                .and_then(|new| match random_bytes::<16>() {
                    Ok(bytes) => Ok(new.into_command(VoidId::from_bytes(bytes))),
                    Err(error) => Err(Refusal::Rule(error.to_string())),
                });
            let command = match made {
                Ok(command) => command,
                Err(refusal) => return refuse(replica, StatusCode::BAD_REQUEST, refusal),
            };
            match replica.execute(&command, now) {
                Ok(_) => saved(&format!("{path}/{id}")),
                Err(error) => refuse(replica, execute_status(&error), refusal(lang, &error)),
            }
        })
        .await
}
