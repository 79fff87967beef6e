//! A resident's submission as JSON (issue 12 item 4): `POST /api/submissions` with
//! `{"community": CODE, "title", "kind", "group", "name", "phone", "address"}`, every
//! value a string — for a community's own app or a kiosk rather than the poster's form.
//! It passes what the form passes (`resident::accept`): the same body limit, the same
//! limits per address and per community, the same key to seal to, the personal fields
//! sealed before anything is stored, the same refusals, in JSON: English in `error`, a
//! code in `reason`, the words a person is shown in `message_zh`, and the field in
//! `field` when one is wrong. A 202 answers the receipt code (回执码).
//!
//! The JSON API needs no form token: the web guard lets no foreign page send a JSON
//! body, as for the member's requests.

use std::collections::HashMap;

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{Extensions, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::resident::{Refusal, SUBMISSION_LIMIT, Typed, accept};
use crate::http::HubHttpState;

/// The fields a submission has, as the JSON names them, and the form's names for them.
const FIELDS: [(&str, &str); 7] = [
    ("community", "c"),
    ("title", "title"),
    ("kind", "kind"),
    ("group", "group"),
    ("name", "name"),
    ("phone", "phone"),
    ("address", "address"),
];

/// `POST /api/submissions`: see the module doc.
pub(crate) async fn submit_json(
    State(state): State<HubHttpState>,
    extensions: Extensions,
    body: Body,
) -> Response {
    let client = super::client_address(&extensions);
    let Ok(bytes) = axum::body::to_bytes(body, SUBMISSION_LIMIT).await else {
        return answer_refusal(&Refusal::TooLarge);
    };
    let Some(typed) = typed_of_json(&bytes) else {
        return answer_refusal(&Refusal::Malformed);
    };
    match accept(&state, client, &typed).await {
        Ok((community, receipt)) => (
            StatusCode::ACCEPTED,
            Json(json!({
                "community": community,
                "receipt": receipt.to_string(),
                "status": "pending",
                "lookup": format!("/m/wish/lookup?c={community}&code={receipt}"),
                "message_zh": "已提交，社区核实后发布；请记下回执码以便查询",
            })),
        )
            .into_response(),
        Err((refusal, _)) => answer_refusal(&refusal),
    }
}

/// The fields of a JSON body: an object whose known keys hold strings (a key it does
/// not know is ignored), with a community. `None` for anything else: not JSON, not an
/// object, a known key that is not a string, no community. Never panics, whatever the
/// bytes (a property test feeds it any).
pub(super) fn typed_of_json(bytes: &[u8]) -> Option<Typed> {
    if bytes.len() > SUBMISSION_LIMIT {
        return None;
    }
    let Value::Object(object) = serde_json::from_slice::<Value>(bytes).ok()? else {
        return None;
    };
    let mut fields = HashMap::new();
    for (json_name, form_name) in FIELDS {
        match object.get(json_name) {
            None | Some(Value::Null) => {}
            Some(Value::String(text)) => {
                fields.insert(form_name.to_owned(), text.clone());
            }
            Some(_) => return None,
        }
    }
    fields.contains_key("c").then(|| Typed::of_fields(fields))
}

/// A refusal in JSON, with nothing appended. The hub's own failure goes to the log
/// (which never holds what was typed), not to the client.
fn answer_refusal(refusal: &Refusal) -> Response {
    let english = match refusal {
        Refusal::TooLarge => format!("the body is over {SUBMISSION_LIMIT} bytes"),
        Refusal::Flood => {
            "too many submissions from this address or to this community: try again in 15 minutes"
                .to_owned()
        }
        Refusal::UnknownCommunity => "the hub knows no such community".to_owned(),
        Refusal::NoKey => {
            "the community's node has published no encryption key yet: it takes no submissions"
                .to_owned()
        }
        Refusal::Malformed => "the body must be a JSON object of strings: community, title, kind, group, name, phone, address".to_owned(),
        Refusal::Field(error) => error.english.clone(),
        Refusal::Internal(reason) => {
            tracing::error!("a resident submission failed: {reason}");
            "the hub cannot take submissions now: try again later".to_owned()
        }
    };
    let mut body = json!({
        "error": english,
        "reason": refusal.code(),
        "message_zh": refusal.message_zh(),
    });
    if let Refusal::Field(error) = refusal {
        body["field"] = json!(error.field);
    }
    (refusal.status(), Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::typed_of_json;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Any bytes are read or refused, never a panic.
        #[test]
        fn any_bytes_read_or_are_refused(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = typed_of_json(&bytes);
        }

        /// Any object of strings with a community is read, whatever the values.
        #[test]
        fn an_object_of_strings_with_a_community_is_read(
            community in ".{0,20}", title in ".{0,40}", extra in ".{0,10}"
        ) {
            let body = serde_json::json!({
                "community": community, "title": title, "unknown": extra,
            });
            prop_assert!(typed_of_json(body.to_string().as_bytes()).is_some());
        }
    }

    #[test]
    fn what_is_not_an_object_of_strings_with_a_community_is_refused() {
        for body in [
            "",
            "null",
            "[]",
            "\"community\"",
            "{}",
            "{\"title\": \"轮椅\"}",
            "{\"community\": 130903001001}",
            "{\"community\": \"130903001001\", \"name\": [\"王\"]}",
            "{\"community\": \"130903001001\"",
        ] {
            assert!(typed_of_json(body.as_bytes()).is_none(), "{body:?}");
        }
    }
}
