//! The HTTP bodies of both binaries: every typed input of the node's JSON API and UI
//! forms (`wishtree_node::api::Input`, read from a JSON body by the API's own
//! `json_body` and from form pairs), the hub's phone JSON bodies, and the hub's open
//! forms driven through its router in-process (`POST /login`, the resident's wish form,
//! the card exchange).

use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::body::Bytes;
use wishtree_hub::http::{HubHttpState, read_phone_bodies, router};
use wishtree_hub::metrics::Metrics;
use wishtree_node::api::{self, Input};
use wishtree_node::http::json_body;
use wishtree_protocol::Timestamp;
use wishtree_testkit::http::Request;

use super::split_selector;

/// A reader of one typed input of the node, with the fields the input takes (for the
/// seeds).
pub(super) type NodeInput = (fn(&[u8]), &'static [&'static str]);

/// One reader per typed input of the node.
pub(super) const NODE_INPUTS: &[NodeInput] = &[
    (node_input::<api::NewBranch>, api::NewBranch::FIELDS),
    (node_input::<api::NewTeam>, api::NewTeam::FIELDS),
    (node_input::<api::NewPost>, api::NewPost::FIELDS),
    (node_input::<api::NewWish>, api::NewWish::FIELDS),
    (node_input::<api::NewMember>, api::NewMember::FIELDS),
    (node_input::<api::NewCard>, api::NewCard::FIELDS),
    (
        node_input::<api::CardRevocation>,
        api::CardRevocation::FIELDS,
    ),
    (node_input::<api::NewActivity>, api::NewActivity::FIELDS),
    (
        node_input::<api::NewParticipant>,
        api::NewParticipant::FIELDS,
    ),
    (node_input::<api::Action>, api::Action::FIELDS),
    (node_input::<api::CommunityName>, api::CommunityName::FIELDS),
    (node_input::<api::PointsRate>, api::PointsRate::FIELDS),
    (node_input::<api::PeriodToSeal>, api::PeriodToSeal::FIELDS),
    (node_input::<api::NewEvaluation>, api::NewEvaluation::FIELDS),
    (node_input::<api::NewProject>, api::NewProject::FIELDS),
    (
        node_input::<api::NewScoringRate>,
        api::NewScoringRate::FIELDS,
    ),
    (node_input::<api::NewBenefit>, api::NewBenefit::FIELDS),
    (node_input::<api::NewService>, api::NewService::FIELDS),
    (node_input::<api::NewRedemption>, api::NewRedemption::FIELDS),
    (node_input::<api::NewVoid>, api::NewVoid::FIELDS),
    (node_input::<api::NewOrg>, api::NewOrg::FIELDS),
    (node_input::<api::NewPairing>, api::NewPairing::FIELDS),
    (node_input::<api::PairingEnd>, api::PairingEnd::FIELDS),
    (node_input::<api::NewVolunteer>, api::NewVolunteer::FIELDS),
    (node_input::<api::NewRound>, api::NewRound::FIELDS),
    (
        node_input::<api::NewStreetReportIn>,
        api::NewStreetReportIn::FIELDS,
    ),
];

/// The hub's paths that take a body without an account or a card session.
const HUB_PATHS: &[(&str, &str)] = &[
    ("/login", "application/x-www-form-urlencoded"),
    ("/m/wish/new", "application/x-www-form-urlencoded"),
    ("/api/card-session", "application/json"),
];

/// The node's clock for dates in the inputs.
const NOW_MS: i64 = super::bundle::NOW_MS;

/// First byte: a node input (by index), then the hub's phone bodies, then a hub path.
pub(super) fn http(data: &[u8]) {
    let count = NODE_INPUTS.len() + 1 + HUB_PATHS.len();
    let Some((selector, body)) = split_selector(data, count as u8) else {
        return;
    };
    let selector = usize::from(selector);
    if let Some((read, _)) = NODE_INPUTS.get(selector) {
        read(body);
    } else if selector == NODE_INPUTS.len() {
        let _ = read_phone_bodies(body);
    } else if let Some((path, content_type)) = HUB_PATHS.get(selector - NODE_INPUTS.len() - 1) {
        hub_post(path, content_type, body);
    }
}

/// Reads `body` as the API reads a JSON body and as the UI reads a posted form.
fn node_input<I: Input>(body: &[u8]) {
    let now = Timestamp::from_millis(NOW_MS);
    if let Ok(value) = json_body(Ok(Bytes::copy_from_slice(body))) {
        let _ = I::from_json(value, now);
    }
    let pairs = form_urlencoded::parse(body).into_owned();
    let _ = I::from_pairs(pairs, now);
}

/// The hub's router over a database in a directory kept for the process's life, and
/// a runtime to send requests to it.
struct Hub {
    runtime: tokio::runtime::Runtime,
    router: Router,
    _dir: tempfile::TempDir,
}

fn hub() -> &'static Hub {
    static HUB: OnceLock<Hub> = OnceLock::new();
    HUB.get_or_init(|| {
        let dir = match tempfile::tempdir() {
            Ok(dir) => dir,
            Err(error) => panic!("no temporary directory for the hub: {error}"),
        };
        let state =
            match HubHttpState::new(&dir.path().join("hub.sqlite"), Arc::new(Metrics::new())) {
                Ok(state) => state,
                Err(error) => panic!("the hub's state does not open: {error}"),
            };
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime,
            Err(error) => panic!("a current-thread runtime always builds: {error}"),
        };
        Hub {
            runtime,
            router: router(state),
            _dir: dir,
        }
    })
}

/// Posts `body` to the hub: whatever it is, the hub answers without a panic.
fn hub_post(path: &str, content_type: &str, body: &[u8]) {
    let hub = hub();
    let request = Request {
        method: "POST".to_owned(),
        path: path.to_owned(),
        headers: vec![("Content-Type".to_owned(), content_type.to_owned())],
        body: body.to_vec(),
    };
    let answer = hub
        .runtime
        .block_on(wishtree_testkit::oneshot::send(&hub.router, request));
    // The state has no documents behind it (no `with_hub`), so a body that decodes
    // all the way is answered 500 at the store; what is checked here is that no body
    // makes the router panic, and that the answer is a status at all.
    assert!(
        (200..600).contains(&answer.status),
        "{path}: {}",
        answer.status
    );
}
