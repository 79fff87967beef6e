//! Why the guard refused a request, as a status and a message that says what to do.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// A request the guard refused before any handler saw it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The request names no host at all.
    #[error("the request has no Host header: send one naming this server, e.g. `localhost`")]
    NoHost,
    /// The `Host` is not a name this server answers to (the DNS-rebinding attack).
    #[error(
        "this server does not answer to the name `{host}`: open it as http://localhost or by its address, or start it with `--http-host NAME` to let it answer to that name"
    )]
    ForeignHost {
        /// The `Host` header sent.
        host: String,
    },
    /// The browser says the request comes from another site's page.
    #[error(
        "a page of another site ({site}) may not change anything here: use this server's own pages"
    )]
    CrossSite {
        /// The `Sec-Fetch-Site` header sent.
        site: String,
    },
    /// The request comes from a page of another origin.
    #[error(
        "a page from `{origin}` may not change anything here: use this server's own pages, opened by the same name"
    )]
    ForeignOrigin {
        /// The `Origin` header sent.
        origin: String,
    },
    /// A form without this server's token: a page of another site, or one from before
    /// the server restarted.
    #[error(
        "the form has no valid token (it came from another page, or from before the server restarted): reload the page and send the form again"
    )]
    NoFormToken,
    /// A form body too large to look for the token in.
    #[error("the form is larger than {limit} bytes: send less")]
    FormTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// A body to the JSON API that does not say it is JSON.
    #[error(
        "the API takes bodies only as JSON, and this one is {}: send it with `Content-Type: application/json`",
        described(.content_type)
    )]
    NotJson {
        /// The media type sent, if any.
        content_type: Option<String>,
    },
    /// A body that is neither JSON nor a form.
    #[error(
        "this server takes bodies only as JSON or as its own pages' forms, and this one is {}: send JSON with `Content-Type: application/json`",
        described(.content_type)
    )]
    NotJsonOrForm {
        /// The media type sent, if any.
        content_type: Option<String>,
    },
}

impl Refusal {
    /// The status of the answer.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::NoHost => StatusCode::BAD_REQUEST,
            Self::ForeignHost { .. } => StatusCode::MISDIRECTED_REQUEST,
            Self::CrossSite { .. } | Self::ForeignOrigin { .. } | Self::NoFormToken => {
                StatusCode::FORBIDDEN
            }
            Self::FormTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::NotJson { .. } | Self::NotJsonOrForm { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.to_string() });
        (self.status(), axum::Json(body)).into_response()
    }
}

fn described(content_type: &Option<String>) -> String {
    match content_type {
        Some(content_type) => format!("`{content_type}`"),
        None => "unlabelled".to_owned(),
    }
}
