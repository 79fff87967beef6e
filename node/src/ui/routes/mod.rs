//! The UI's routes: thin handlers that read the replica's derived view or turn a
//! posted form into a domain command, through the same replica lock as the JSON API
//! ([`crate::http::on_replica`]). A refused form is shown again, with what was typed
//! and why at the field at fault, and nothing is stored; an accepted one redirects
//! (post/redirect/get). Every path a form posts to also answers GET with its page, so
//! the address a refused form leaves in the address bar can be reloaded or switched to
//! the other language.

use axum::Router;
use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{MethodRouter, get};
use maud::html;
use wishtree_protocol::command::Command;
use wishtree_protocol::model::{Entity, EventKind};
use wishtree_protocol::names::Language;
use wishtree_protocol::street::StreetHost;
use wishtree_protocol::view::CommunityView;

use super::forms::{Filled, Form, Refusal};
use super::html::{StatusBar, t};
use super::ledger::ListAsked;
use super::tree;
use crate::api::{Action, Input, Lifecycle, Party, street_for};
use crate::http::{AppState, on_replica};
use crate::replica::{PrivateRecord, Replica, random_bytes};

mod activities;
mod cards;
mod extract;
mod groups;
mod members;
mod orgs;
mod passbook;
mod poster;
mod posts;
mod projects;
mod refusals;
mod reports;
mod rounds;
mod saved;
mod scoring;
mod streets;
mod volunteers;
mod wish_pages;
mod wishes;

use activities::{activities, activities_csv, activity, check_in, create_activity, join_activity};
use cards::{card_member, issue_card, revoke_card};
use extract::{Lang, Listed, Listing, Opened, PostedForm, RecordForm, cookie, language};
use groups::{branch, branches, branches_csv, create_branch, create_team, team, teams, teams_csv};
use members::{create_member, member, members, members_csv, redeem, update_member};
use orgs::{
    confirm_end, create_org, create_pairing, end_pairing, org, orgs, orgs_csv, pairing, pairings,
    pairings_csv,
};
use passbook::{
    create_redemption, create_service, redemption, redemptions, redemptions_csv, service, services,
    services_csv, void_record, void_redemption, void_service, voids, voids_csv,
};
use posts::{create_post, post, post_action, post_at_action, posts, posts_csv};
use projects::{
    approve_project, create_project, project, project_action, project_at_action, projects,
    projects_csv, send_intent,
};
use refusals::{execute_message, execute_status, refusal};
use reports::{board, evaluate, half_year, half_year_csv, reports, seal, wish_ledger_csv};
use rounds::{close_round, create_round, round, rounds, rounds_csv};
use saved::saved;
use scoring::{
    benefit, benefits, benefits_csv, create_benefit, ranking, scoring, scoring_csv, set_rate,
    withdraw_benefit,
};
use wish_pages::{closed, in_state};
use wishes::{create_wish, move_wish_round, new_wish, wish, wish_action, wish_at_action};

/// The routes of the web UI, to mount beside the JSON API.
pub fn ui_router() -> Router<AppState> {
    let router = volunteers::routes(Router::new())
        .route("/", get(home))
        .route("/lang/{lang}", get(set_language))
        .route("/street", get(streets::street))
        .route(
            "/street/report-ins",
            get(streets::street).post(streets::report_in),
        )
        .route("/wishes/new", get(new_wish))
        .route("/wishes", get(new_wish).post(create_wish))
        .route("/wishes/closed", get(closed))
        .route("/wishes/in/{state}", get(in_state))
        .route("/wishes/{id}", get(wish))
        .route("/wishes/{id}/round", get(wish).post(move_wish_round))
        .route(
            "/wishes/{id}/{action}",
            get(wish_at_action).post(wish_action),
        )
        .route("/members/{id}/redeem", get(member).post(redeem))
        .route("/members/{id}/cards", get(member).post(issue_card))
        .route("/cards/{id}/revoke", get(card_member).post(revoke_card))
        .route(
            "/activities/{id}/participants",
            get(activity).post(join_activity),
        )
        .route("/activities/{id}/check-in", get(check_in))
        .route("/pairings/{id}/end", get(confirm_end).post(end_pairing))
        .route("/services/{id}/void", get(service).post(void_service))
        .route(
            "/redemptions/{id}/void",
            get(redemption).post(void_redemption),
        )
        .route(
            "/posts/{id}/{action}",
            get(post_at_action).post(post_action),
        )
        .route("/projects/{id}/intents", get(project).post(send_intent))
        .route(
            "/projects/{id}/approval",
            get(project).post(approve_project),
        )
        .route(
            "/projects/{id}/{action}",
            get(project_at_action).post(project_action),
        )
        .route("/scoring", get(scoring).post(set_rate))
        .route("/scoring.csv", get(scoring_csv))
        .route(
            "/benefits/{id}/withdraw",
            get(benefit).post(withdraw_benefit),
        )
        .route("/rounds/{id}/close", get(round).post(close_round))
        .route("/conflicts", get(conflicts))
        .route("/ranking", get(ranking))
        .route("/board", get(board))
        .route("/poster", get(poster::poster))
        .route("/reports", get(reports))
        .route("/reports/half-year", get(half_year))
        .route("/reports/half-year.csv", get(half_year_csv))
        .route("/reports/seal", axum::routing::post(seal))
        .route("/reports/evaluate", axum::routing::post(evaluate))
        .route("/wishes.csv", get(wish_ledger_csv));
    let ledgers: [Ledger; 13] = [
        (
            "members",
            get(members).post(create_member),
            get(members_csv),
            get(member).post(update_member),
        ),
        (
            "activities",
            get(activities).post(create_activity),
            get(activities_csv),
            get(activity),
        ),
        ("orgs", get(orgs).post(create_org), get(orgs_csv), get(org)),
        (
            "pairings",
            get(pairings).post(create_pairing),
            get(pairings_csv),
            get(pairing),
        ),
        (
            "posts",
            get(posts).post(create_post),
            get(posts_csv),
            get(post),
        ),
        (
            "projects",
            get(projects).post(create_project),
            get(projects_csv),
            get(project),
        ),
        (
            "branches",
            get(branches).post(create_branch),
            get(branches_csv),
            get(branch),
        ),
        (
            "teams",
            get(teams).post(create_team),
            get(teams_csv),
            get(team),
        ),
        (
            "services",
            get(services).post(create_service),
            get(services_csv),
            get(service),
        ),
        (
            "redemptions",
            get(redemptions).post(create_redemption),
            get(redemptions_csv),
            get(redemption),
        ),
        ("voids", get(voids), get(voids_csv), get(void_record)),
        (
            "benefits",
            get(benefits).post(create_benefit),
            get(benefits_csv),
            get(benefit),
        ),
        (
            "rounds",
            get(rounds).post(create_round),
            get(rounds_csv),
            get(round),
        ),
    ];
    ledgers
        .into_iter()
        .fold(router, |router, (name, list, csv, record)| {
            // A ledger's list and what adds to it, its CSV, and one of its records.
            router
                .route(&format!("/{name}"), list)
                .route(&format!("/{name}.csv"), csv)
                .route(&format!("/{name}/{{id}}"), record)
        })
        .fallback(unknown_path)
        .layer(axum::middleware::from_fn(saved::announce))
}

/// A ledger's routes: its name (`/{name}`), its list and what adds to it, its CSV
/// (`/{name}.csv`), and one of its records (`/{name}/{id}`).
type Ledger = (
    &'static str,
    MethodRouter<AppState>,
    MethodRouter<AppState>,
    MethodRouter<AppState>,
);

async fn set_language(Path(lang): Path<String>, headers: HeaderMap) -> Response {
    let lang = Language::from_query(Some(&lang));
    // Back to the page the switch was clicked on, if it was one of ours.
    let back = headers
        .get(header::REFERER)
        .and_then(|value| value.to_str().ok())
        .and_then(|referer| referer.find("://").map(|i| &referer[i + 3..]))
        .and_then(|rest| rest.find('/').map(|i| rest[i..].to_owned()))
        .unwrap_or_else(|| "/".to_owned());
    let mut response = Redirect::to(&back).into_response();
    if let Ok(cookie) = HeaderValue::from_str(&format!(
        "lang={lang}; Path=/; Max-Age=31536000; SameSite=Lax"
    )) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

/// `GET /[?round=<id>|none]`: the wish tree, of one round if asked.
async fn home(
    State(state): State<AppState>,
    Lang(lang): Lang,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    view_page(&state, lang, move |view, bar| {
        let round = round_asked(lang, &query)?;
        Ok(tree::tree_page(lang, view, bar, None, round))
    })
    .await
}

/// `GET /conflicts`: 冲突待处理, what concurrent offline edits made ineffective.
async fn conflicts(State(state): State<AppState>, Lang(lang): Lang) -> Response {
    page(&state, lang, move |replica| {
        let view = replica.view().map_err(internal)?;
        let found = crate::api::conflicts(replica).map_err(|error| internal(error.message()))?;
        let bar = status_bar(replica);
        Ok(super::conflicts::conflicts_page(lang, &view, &found, &bar))
    })
    .await
}

/// The round a page is cut by (`?round=`); one that is not a round's id is a bad
/// request, said in the reader's language.
fn round_asked(
    lang: Language,
    query: &HashMap<String, String>,
) -> Result<crate::api::RoundFilter, (StatusCode, String)> {
    crate::api::RoundFilter::from_query(query.get("round").map(String::as_str)).map_err(|_| {
        let message = t(
            lang,
            "批次不对：请从批次链接中选择",
            "No such round: choose one of the round links",
        );
        (StatusCode::BAD_REQUEST, message.to_owned())
    })
}
/// What the status bar shows, from the replica.
fn status_bar(replica: &mut Replica) -> StatusBar {
    let community = replica
        .doc()
        .community()
        .map(|community| community.name)
        .unwrap_or_default();
    let sync = replica.sync_status();
    StatusBar {
        community,
        hub_configured: sync.hub_address.is_some(),
        hub_connected: sync.hub_connected,
        hub_address: sync.hub_address.clone().unwrap_or_default(),
        hub_is_district: replica
            .hub()
            .is_some_and(|hub| hub.level == crate::replica::HubLevel::District),
        hub_connecting: sync.hub_connecting,
        hub_since: sync.hub_since,
        last_sync: sync.last_synced_at,
        changes_not_at_hub: sync.changes_not_at_hub,
        hub_problem: sync.hub_problem,
        read_at: Some(crate::now()),
        // A page is still drawn if the conflicts cannot be read; the page of
        // conflicts itself says why.
        conflicts: crate::api::conflicts(replica).map_or(0, |found| found.len()),
        // A city document that cannot be read shows no street pages.
        hosts_street: crate::api::hosts_street(replica).unwrap_or(false),
    }
}

/// Sends a ledger's CSV, which `file` writes from the view
/// ([`super::exports::ledger_file`]).
async fn ledger_csv(
    state: &AppState,
    file: impl FnOnce(&CommunityView) -> super::exports::Download + Send + 'static,
) -> Response {
    reports::download(state, Language::Chinese, move |replica| {
        let view = replica.view().map_err(internal)?;
        Ok(file(&view))
    })
    .await
}

/// Renders a page on the replica's thread; an error becomes its status and a page in
/// the reader's language saying what went wrong, with the way home.
async fn page(
    state: &AppState,
    lang: Language,
    work: impl FnOnce(&mut Replica) -> Result<String, (StatusCode, String)> + Send + 'static,
) -> Response {
    let rendered = on_replica(state, move |replica| {
        work(replica).map_err(|(status, message)| {
            let html = problem_page(lang, status, &message, &status_bar(replica));
            (status, html)
        })
    })
    .await;
    match rendered {
        Ok(Ok(html)) => Html(html).into_response(),
        Ok(Err((status, html))) => (status, Html(html)).into_response(),
        Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error.message()).into_response(),
    }
}

/// Renders a page that reads the derived view only: `render` draws it from the view
/// and the status bar.
async fn view_page(
    state: &AppState,
    lang: Language,
    render: impl FnOnce(&CommunityView, &StatusBar) -> Result<String, (StatusCode, String)>
    + Send
    + 'static,
) -> Response {
    page(state, lang, move |replica| {
        let view = replica.view().map_err(internal)?;
        render(&view, &status_bar(replica))
    })
    .await
}

/// Renders the page of one record, the id in the path parsed (one that is not an id
/// reads as not found): `render` draws it from the replica, the view, the id and the
/// status bar, `None` when the record is not there.
async fn record_page<I: std::str::FromStr + Send + 'static>(
    state: &AppState,
    lang: Language,
    id: String,
    render: impl FnOnce(
        &mut Replica,
        &CommunityView,
        I,
        &StatusBar,
    ) -> Result<Option<String>, (StatusCode, String)>
    + Send
    + 'static,
) -> Response {
    page(state, lang, move |replica| {
        let id: I = id.parse().map_err(|_| not_found(lang))?;
        let view = replica.view().map_err(internal)?;
        let bar = status_bar(replica);
        render(replica, &view, id, &bar)?.ok_or_else(|| not_found(lang))
    })
    .await
}

/// A page saying what went wrong, in the frame of every page.
fn problem_page(lang: Language, status: StatusCode, message: &str, bar: &StatusBar) -> String {
    let title = if status == StatusCode::NOT_FOUND {
        t(lang, "没有找到", "Not found")
    } else {
        t(lang, "出错了", "Something went wrong")
    };
    let body = html! {
        p.error #problem { (message) }
        p { a.button href="/" { (t(lang, "返回心愿树", "Back to the wish tree")) } }
    };
    super::html::page(lang, title, bar, "", body)
}

/// Any other path: the styled not-found page, or for the JSON API a bare 404.
async fn unknown_path(State(state): State<AppState>, Lang(lang): Lang, uri: Uri) -> Response {
    if uri.path().starts_with("/api/") || uri.path() == "/api" {
        return StatusCode::NOT_FOUND.into_response();
    }
    page(&state, lang, move |_| Err(not_found(lang))).await
}

/// Runs a form handler on the replica's thread, in the next group commit
/// ([`crate::replica::GroupCommit`]): its answer is sent once what it wrote is on disk.
async fn with_replica(
    state: &AppState,
    work: impl FnOnce(&mut Replica) -> Response + Send + 'static,
) -> Response {
    let lost = |error: &crate::store::StoreError| {
        let message = format!("没有保存（Not saved）: {error}");
        (StatusCode::INTERNAL_SERVER_ERROR, message).into_response()
    };
    match state.writes.write(work, lost).await {
        Ok(response) => response,
        Err(stopped) => (StatusCode::INTERNAL_SERVER_ERROR, stopped.to_string()).into_response(),
    }
}

/// Runs a form's command as the node's worker, with its private record if any:
/// saved, the browser goes to `done` (post/redirect/get); refused, `refuse` shows the
/// form again with why.
fn submit(
    replica: &mut Replica,
    lang: Language,
    command: &Command,
    private: Option<&PrivateRecord>,
    done: &str,
    refuse: impl FnOnce(&mut Replica, Refusal) -> Response,
) -> Response {
    let worker = replica.worker().clone();
    match replica.execute_as(command, &worker, private, crate::now()) {
        Ok(_) => saved(done),
        Err(error) => refuse(replica, refusal(lang, &error)),
    }
}

/// A new record from a posted form, as the node's worker: the typed input read, a
/// fresh id drawn, and the command `make` builds of them run; saved, the browser goes
/// to the record's page `{path}/{id}`; refused, `refuse` shows the form again with why.
fn create<I: Input, Id: From<[u8; 16]> + std::fmt::Display + Copy>(
    replica: &mut Replica,
    lang: Language,
    form: &Form,
    path: &str,
    make: impl FnOnce(I, Id) -> (Command, Option<PrivateRecord>),
    refuse: impl FnOnce(&mut Replica, Refusal) -> Response,
) -> Response {
    let made = form
        .read::<I>(crate::now())
        .map_err(Refusal::from)
        .and_then(|input| match random_bytes::<16>() {
            Ok(bytes) => Ok((input, Id::from(bytes))),
            Err(error) => Err(Refusal::Rule(error.to_string())),
        });
    match made {
        Ok((input, id)) => {
            let (command, private) = make(input, id);
            let done = format!("{path}/{id}");
            submit(replica, lang, &command, private.as_ref(), &done, refuse)
        }
        Err(refusal) => refuse(replica, refusal),
    }
}

/// A list page with the form that adds to it.
type ListPage = fn(ListAsked<'_>) -> String;

/// A new record from the form of the list page at `path`: the command `make` builds of
/// the typed input and a fresh id run, the browser sent to the record's page; refused,
/// the list page `list` drawn again (400) with the form as typed and why.
async fn create_listed<
    I: Input + 'static,
    Id: From<[u8; 16]> + std::fmt::Display + Copy + 'static,
>(
    posted: PostedForm,
    path: &'static str,
    list: ListPage,
    make: fn(I, Id) -> Command,
) -> Response {
    create_of_party(posted, path, list, move |input, id, _| make(input, id)).await
}

/// As [`create_listed`], for a record whose form chooses its party (本社区 / 本街道,
/// `party`): `make` is also given what the city says of the street when the street
/// is chosen, and the protocol refuses the command on a node that is not its host.
async fn create_of_party<
    I: Input + 'static,
    Id: From<[u8; 16]> + std::fmt::Display + Copy + 'static,
>(
    posted: PostedForm,
    path: &'static str,
    list: ListPage,
    make: impl FnOnce(I, Id, Option<StreetHost>) -> Command + Send + 'static,
) -> Response {
    posted
        .run(move |replica, lang, form| {
            let refuse = |replica: &mut Replica, refusal: Refusal| {
                refused(replica, lang, StatusCode::BAD_REQUEST, |view, bar| {
                    let filled = Filled::new(lang, &form, Some(&refusal));
                    Some(list(ListAsked {
                        view,
                        status: bar,
                        filled,
                        list_page: None,
                    }))
                })
            };
            // An unreadable party is refused by the input itself, with its field.
            let party: Party = form.value("party").parse().unwrap_or_default();
            let street = match street_for(replica, party) {
                Ok(street) => street,
                Err(error) => return refuse(replica, Refusal::Rule(error.message())),
            };
            let make = |input: I, id: Id| (make(input, id, street), None);
            create(replica, lang, &form, path, make, refuse)
        })
        .await
}

/// The page of a record for one of its steps: `(lang, view, id, status bar, step, the
/// step's form as typed, why it was refused)` — the step's confirmation, or the
/// record's own page; `None` if the record is not there.
type StepPage<Id> = fn(
    Language,
    &CommunityView,
    Id,
    &StatusBar,
    EventKind,
    &Form,
    Option<&Refusal>,
) -> Option<String>;

/// GET on the address a step of record `id` posts to (`{path}/{id}/{action}`): the
/// page `draw` gives for the step, nothing typed, so a refused step's address can be
/// reloaded; a step the record does not take is not found.
async fn step_page<E: Entity>(
    state: &AppState,
    lang: Language,
    (id, action): (String, String),
    lifecycle: &'static Lifecycle<E>,
    draw: StepPage<E::Id>,
) -> Response
where
    E::Id: Send + 'static,
    <E::Id as std::str::FromStr>::Err: std::fmt::Display,
{
    let kind = lifecycle.kind(&action);
    record_page(state, lang, id, move |_, view, id: E::Id, bar| {
        let nothing = Form::default();
        Ok(kind.and_then(|kind| draw(lang, view, id, bar, kind, &nothing, None)))
    })
    .await
}

/// `POST {path}/{id}/{action}`: a step of record `id` read as the API reads it
/// (`by` to claim or release, `note`) and run through the API's `lifecycle`; saved,
/// the browser goes to the record's page; refused, `draw` shows the step's page again
/// with the form as typed and why.
async fn step<E: Entity>(
    state: &AppState,
    lang: Language,
    (id, action): (String, String),
    form: Form,
    (lifecycle, path): (&'static Lifecycle<E>, &'static str),
    draw: StepPage<E::Id>,
) -> Response
where
    E::Id: Send + 'static,
    <E::Id as std::str::FromStr>::Err: std::fmt::Display,
{
    with_replica(state, move |replica| {
        let (Ok(id), Some(kind)) = (id.parse::<E::Id>(), lifecycle.kind(&action)) else {
            return not_found_page(replica, lang);
        };
        let refuse = |replica: &mut Replica, status: StatusCode, refusal: Refusal| {
            refused(replica, lang, status, |view, bar| {
                draw(lang, view, id, bar, kind, &form, Some(&refusal))
            })
        };
        let now = crate::now();
        let command = form
            .read::<Action>(now)
            .and_then(|input| lifecycle.command(id, kind, input, replica.worker()));
        let command = match command {
            Ok(command) => command,
            Err(error) => return refuse(replica, StatusCode::BAD_REQUEST, error.into()),
        };
        match replica.execute(&command, now) {
            Ok(_) => saved(&format!("{path}/{id}")),
            Err(error) => refuse(replica, execute_status(&error), refusal(lang, &error)),
        }
    })
    .await
}

/// The page of a record drawn with its form as typed and why it was refused:
/// `(lang, view, id, status bar, form, refusal)`, `None` if the record is not there.
type RecordPage<Id> =
    fn(Language, &CommunityView, Id, &StatusBar, &Form, Option<&Refusal>) -> Option<String>;

/// `POST {path}/{id}/{step}` of a one-button step (withdraw a benefit, close a round):
/// the command `step` makes of the id run; saved, the browser goes to the record's
/// page; refused, `draw` shows that page again with why.
async fn record_step<Id: std::str::FromStr + std::fmt::Display + Copy + Send + 'static>(
    posted: RecordForm,
    path: &'static str,
    step: fn(Id) -> Command,
    draw: RecordPage<Id>,
) -> Response {
    posted
        .run(
            move |replica, lang, id: Id, form| match replica.execute(&step(id), crate::now()) {
                Ok(_) => saved(&format!("{path}/{id}")),
                Err(error) => {
                    let why = refusal(lang, &error);
                    refused(replica, lang, execute_status(&error), |view, bar| {
                        draw(lang, view, id, bar, &form, Some(&why))
                    })
                }
            },
        )
        .await
}

/// A form shown again after a refusal, with `status`: `render` draws the page from the
/// view and the status bar; a record that is not there reads as not found.
fn refused(
    replica: &mut Replica,
    lang: Language,
    status: StatusCode,
    render: impl FnOnce(&CommunityView, &StatusBar) -> Option<String>,
) -> Response {
    let view = match replica.view() {
        Ok(view) => view,
        Err(error) => return internal(error).into_response(),
    };
    match render(&view, &status_bar(replica)) {
        Some(html) => (status, Html(html)).into_response(),
        None => not_found_page(replica, lang),
    }
}

fn not_found_page(replica: &mut Replica, lang: Language) -> Response {
    let (status, message) = not_found(lang);
    let html = problem_page(lang, status, &message, &status_bar(replica));
    (status, Html(html)).into_response()
}

fn not_found(lang: Language) -> (StatusCode, String) {
    (
        StatusCode::NOT_FOUND,
        t(
            lang,
            "没有找到这条记录：链接可能有误，或记录已不存在",
            "There is no such record: the link may be wrong, or the record is gone",
        )
        .to_owned(),
    )
}

fn internal(error: impl std::fmt::Display) -> (StatusCode, String) {
    (StatusCode::INTERNAL_SERVER_ERROR, error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_language_comes_from_the_cookie() {
        let mut headers = HeaderMap::new();
        assert_eq!(language(&headers), Language::Chinese);
        headers.insert(header::COOKIE, HeaderValue::from_static("a=b; lang=en"));
        assert_eq!(language(&headers), Language::English);
    }
}
