//! The routes of unit organisations and pairings: the list with the city's directory
//! and the form to add one, one organisation, the pairings and the form to sign one,
//! one pairing and the confirmation that ends it, and their CSV ledgers.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use wishtree_protocol::id::{OrgId, PairingId};
use wishtree_protocol::uscc::CreditCode;

use super::super::exports;
use super::super::forms::{Filled, Form, NOTHING_TYPED, Refusal};
use super::super::html::t;
use super::super::ledger::ListAsked;
use super::super::orgs::{self, Directory};
use super::reports::download;
use super::{
    Lang, Opened, PostedForm, RecordForm, create_of_party, execute_status, internal, page,
    record_page, refusal, refused, saved, status_bar, submit, view_page,
};
use crate::api::{NewOrg, NewPairing, PairingEnd};
use crate::http::AppState;
use crate::replica::Replica;

/// What the lists of organisations and pairings take in their address: the page, a
/// directory search (`q`), a directory unit chosen for the form (`code`), and the
/// organisation a new pairing is for (`org`). Other keys are ignored.
#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct OrgsQuery {
    page: Option<String>,
    q: Option<String>,
    code: Option<String>,
    org: Option<String>,
}

pub(super) async fn orgs(
    State(state): State<AppState>,
    Lang(lang): Lang,
    Query(query): Query<OrgsQuery>,
) -> Response {
    page(&state, lang, move |replica| {
        let view = replica.view().map_err(internal)?;
        let directory = directory(replica).map_err(internal)?;
        let form = chosen(&directory, query.code.as_deref().unwrap_or(""));
        let filled = Filled::new(lang, &form, None);
        let search = query.q.as_deref().unwrap_or("");
        let bar = status_bar(replica);
        let list_page = query.page.as_deref();
        Ok(orgs::orgs_page(
            &view, &directory, search, &bar, filled, list_page,
        ))
    })
    .await
}

/// `POST /orgs`: a unit's own organisation or one of its branches (a branch name typed
/// in `party_org`), added by the same typed input as `POST /api/orgs`. A unit in the
/// city's directory keeps the directory's name, so it is named alike in every
/// community; one not there is added with the code and name typed (the code's check
/// character checked). A unit already here is refused: this form adds, it does not
/// rename.
pub(super) async fn create_org(posted: PostedForm) -> Response {
    posted
        .run(move |replica, lang, form| {
            // A city document that cannot be read shows no directory: the unit can
            // still be typed with its code, and the document's fault is on every page
            // that reads it.
            let directory = directory(replica).unwrap_or_default();
            let refuse = |replica: &mut Replica, status: StatusCode, refusal: Refusal| {
                refused(replica, lang, status, |view, bar| {
                    let filled = Filled::new(lang, &form, Some(&refusal));
                    Some(orgs::orgs_page(view, &directory, "", bar, filled, None))
                })
            };
            let listed = form
                .value("credit_code")
                .parse::<CreditCode>()
                .ok()
                .and_then(|code| directory.get(code.as_str()));
            let named = match listed {
                Some(unit) => form.clone().and("name", &unit.name),
                None => form.clone(),
            };
            let new: NewOrg = match named.read(crate::now()) {
                Ok(new) => new,
                Err(error) => return refuse(replica, StatusCode::BAD_REQUEST, error.into()),
            };
            let id = new.id();
            // A branch already here is refused by the protocol, beside its name.
            let is_here = new.party_org.is_none()
                && replica.view().is_ok_and(|view| view.orgs.contains_key(&id));
            if is_here {
                let message = t(
                    lang,
                    "这个单位已在本社区台账中，请从上面的列表打开它",
                    "This unit is already recorded here; open it from the list above",
                );
                let refusal = Refusal::Rule(message.to_owned());
                return refuse(replica, StatusCode::CONFLICT, refusal);
            }
            let command = new.into_command();
            let done = format!("/orgs/{id}");
            let refuse =
                |replica: &mut Replica, refusal| refuse(replica, StatusCode::BAD_REQUEST, refusal);
            submit(replica, lang, &command, None, &done, refuse)
        })
        .await
}

pub(super) async fn org(
    State(state): State<AppState>,
    Lang(lang): Lang,
    Path(id): Path<String>,
) -> Response {
    record_page(&state, lang, id, move |replica, view, id: OrgId, bar| {
        let directory = directory(replica).map_err(internal)?;
        Ok(orgs::org_page(lang, view, id, &directory, bar))
    })
    .await
}

/// `GET /orgs.csv`: the organisations as a person's CSV.
pub(super) async fn orgs_csv(State(state): State<AppState>, Lang(lang): Lang) -> Response {
    download(&state, lang, move |replica| {
        let view = replica.view().map_err(internal)?;
        let directory = directory(replica).map_err(internal)?;
        Ok(exports::org_ledger(&view, &directory))
    })
    .await
}

/// `GET /pairings`, its form signed today, for the organisation whose page it was
/// opened from (`?org=`), if any.
pub(super) async fn pairings(
    State(state): State<AppState>,
    Lang(lang): Lang,
    Query(query): Query<OrgsQuery>,
) -> Response {
    view_page(&state, lang, move |view, status| {
        let today = crate::now().date_in_shanghai().to_string();
        let org = query.org.unwrap_or_default();
        let form = Form::with(&[("org", &org), ("signed_on", &today)]);
        let filled = Filled::new(lang, &form, None);
        let list_page = query.page.as_deref();
        let asked = ListAsked {
            view,
            status,
            filled,
            list_page,
        };
        Ok(orgs::pairings_page(asked))
    })
    .await
}

pub(super) async fn create_pairing(posted: PostedForm) -> Response {
    create_of_party(
        posted,
        "/pairings",
        orgs::pairings_page,
        NewPairing::into_command,
    )
    .await
}

pub(super) async fn pairing(opened: Opened) -> Response {
    opened.draw::<PairingId>(orgs::pairing_page).await
}

/// `GET /pairings/{id}/end`: the confirmation, asking the reason.
pub(super) async fn confirm_end(opened: Opened) -> Response {
    let draw = |lang, view: &_, id: PairingId, bar: &_| {
        orgs::end_pairing_page(lang, view, id, bar, &NOTHING_TYPED, None)
    };
    opened.draw(draw).await
}

/// `POST /pairings/{id}/end`: the pairing ended with its reason (the protocol refuses
/// an end without one); a refusal asks again on the confirmation, as typed.
pub(super) async fn end_pairing(posted: RecordForm) -> Response {
    posted
        .run(move |replica, lang, id: PairingId, form| {
            let refuse = |replica: &mut Replica, status: StatusCode, refusal: Refusal| {
                refused(replica, lang, status, |view, bar| {
                    orgs::end_pairing_page(lang, view, id, bar, &form, Some(&refusal))
                })
            };
            let now = crate::now();
            let end: PairingEnd = match form.read(now) {
                Ok(end) => end,
                Err(error) => return refuse(replica, StatusCode::BAD_REQUEST, error.into()),
            };
            match replica.execute(&end.into_command(id), now) {
                Ok(_) => saved(&format!("/pairings/{id}")),
                Err(error) => refuse(replica, execute_status(&error), refusal(lang, &error)),
            }
        })
        .await
}

/// `GET /pairings.csv`: the pairings as a person's CSV.
pub(super) async fn pairings_csv(State(state): State<AppState>, Lang(lang): Lang) -> Response {
    download(&state, lang, move |replica| {
        let view = replica.view().map_err(internal)?;
        Ok(exports::pairing_ledger(&view))
    })
    .await
}

/// The city's organisation directory as this node last received it.
fn directory(replica: &Replica) -> Result<Directory, wishtree_protocol::doc::DocError> {
    Ok(replica.city_view()?.orgs)
}

/// The add form filled with the directory's unit of credit code `code`, if it has one;
/// otherwise with the code as given (nothing if none).
fn chosen(directory: &Directory, code: &str) -> Form {
    let listed = code
        .parse::<CreditCode>()
        .ok()
        .and_then(|parsed| directory.get(parsed.as_str()).map(|unit| (parsed, unit)));
    match listed {
        Some((parsed, unit)) => {
            Form::with(&[("credit_code", parsed.as_str()), ("name", &unit.name)])
        }
        None if code.is_empty() => Form::default(),
        None => Form::with(&[("credit_code", code)]),
    }
}
