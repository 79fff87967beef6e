//! HTTP basic authentication with the node's password, for a node that listens
//! beyond localhost.
//!
//! Basic auth was chosen over a login form because it guards the JSON API and the web
//! UI alike with no session store, and every browser asks for it by itself. The user
//! name is ignored; the password is checked against the stretched hash from `init`.
//! Stretching costs tens of milliseconds, so a header that passed once is remembered
//! (by its SHA-256) for the life of the process. Without TLS the password crosses the
//! network in the clear: bind beyond localhost only on a network you trust.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::Request;
use axum::extract::connect_info::ConnectInfo;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use sha2::{Digest, Sha256};
use wishtree_webguard::{LoginThrottle, Peer};

use crate::password::{Verified, verify_and_upgrade};
use crate::replica::SharedReplica;

/// Wraps every route of `router` behind the password whose hash is `password_hash`.
/// A client that sends wrong passwords again and again must wait longer and longer
/// before the next try (429 with `Retry-After`).
pub fn require_password<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
    password_hash: String,
    replica: SharedReplica,
) -> Router<S> {
    let guard = Arc::new(Guard {
        password_hash: Mutex::new(password_hash),
        passed: Mutex::new(HashSet::new()),
        throttle: LoginThrottle::new(),
        replica: Some(replica),
    });
    router.layer(axum::middleware::from_fn(
        move |request: Request, next: Next| {
            let guard = Arc::clone(&guard);
            async move {
                let Some(header) = request
                    .headers()
                    .get(header::AUTHORIZATION)
                    .map(|value| value.as_bytes().to_vec())
                else {
                    // No password tried: the browser's first request, not a failure.
                    return unauthorised();
                };
                let client = request
                    .extensions()
                    .get::<ConnectInfo<Peer>>()
                    .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.remote.ip());
                if guard.remembers(&header) {
                    return next.run(request).await;
                }
                if let Some(wait) = guard.throttle.wait(client, Instant::now()) {
                    return too_many_failures(wait);
                }
                let checking = Arc::clone(&guard);
                // The stretched hash is CPU work; keep it off the async threads.
                let allowed = tokio::task::spawn_blocking(move || checking.check(&header))
                    .await
                    .unwrap_or(false);
                if allowed {
                    guard.throttle.succeeded(client);
                    next.run(request).await
                } else {
                    guard.throttle.failed(client, Instant::now());
                    unauthorised()
                }
            }
        },
    ))
}

#[derive(Debug)]
struct Guard {
    password_hash: Mutex<String>,
    passed: Mutex<HashSet<[u8; 32]>>,
    throttle: LoginThrottle,
    /// Where an old-form hash is replaced at a login (none in unit tests).
    replica: Option<SharedReplica>,
}

impl Guard {
    /// Whether this exact header passed before, so it needs no stretching (and no
    /// waiting: a client that knows the password is not the one guessing).
    fn remembers(&self, header: &[u8]) -> bool {
        let fingerprint: [u8; 32] = Sha256::digest(header).into();
        self.lock_passed().contains(&fingerprint)
    }

    fn check(&self, header: &[u8]) -> bool {
        if self.remembers(header) {
            return true;
        }
        let Some(password) = basic_password(header) else {
            return false;
        };
        let is_right = self.verify(&password);
        let mut passed = self.lock_passed();
        if is_right && passed.len() < 1000 {
            passed.insert(Sha256::digest(header).into());
        }
        is_right
    }

    fn lock_passed(&self) -> std::sync::MutexGuard<'_, HashSet<[u8; 32]>> {
        self.passed
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Checks the password and, the first time an old-form hash matches, stores its
    /// argon2id replacement (the password is at hand only now).
    fn verify(&self, password: &str) -> bool {
        let mut stored = self
            .password_hash
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let Ok(salt) = crate::replica::random_bytes() else {
            return crate::password::verify_password(password, &stored);
        };
        let rehash = match verify_and_upgrade(password, &stored, salt) {
            Verified::No => return false,
            Verified::Yes => return true,
            Verified::YesRehash(rehash) => rehash,
        };
        if let Some(replica) = &self.replica {
            // Runs on a blocking thread (see `require_password`), so it may wait.
            match replica.blocking_lock().replace_password_hash(&rehash) {
                Ok(()) => *stored = rehash,
                Err(error) => tracing::warn!("the password hash stays in its old form: {error}"),
            }
        }
        true
    }
}

fn unauthorised() -> Response {
    let mut response = (
        StatusCode::UNAUTHORIZED,
        axum::Json(serde_json::json!({
            "error": "this node needs its password (set at init); log in with any user name and that password"
        })),
    )
        .into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"wishtree\", charset=\"UTF-8\""),
    );
    response
}

fn too_many_failures(wait: Duration) -> Response {
    // Rounded up, so a client that waits as told is let through.
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let mut response = (
        StatusCode::TOO_MANY_REQUESTS,
        axum::Json(serde_json::json!({
            "error": format!("too many wrong passwords from this computer: wait {seconds} s and try again with the password set at init")
        })),
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// The password of an `Authorization: Basic …` header.
fn basic_password(header: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(header).ok()?;
    let (scheme, encoded) = text.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") || encoded.len() > 4096 {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (_user, password) = decoded.split_once(':')?;
    Some(password.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_headers_decode() {
        // "user:pässword" in base64.
        assert_eq!(
            basic_password(b"Basic dXNlcjpww6Rzc3dvcmQ=").as_deref(),
            Some("pässword")
        );
        assert_eq!(basic_password(b"Basic Og==").as_deref(), Some(""));
        assert_eq!(basic_password(b"Bearer abc"), None);
        assert_eq!(basic_password(b"Basic ###="), None);
        assert_eq!(basic_password(b"Basic YQ=a"), None);
    }

    #[test]
    fn a_guard_lets_the_right_password_in_only() {
        let hash = crate::password::hash_password("correct horse", [1; 16]).unwrap();
        let guard = Guard {
            password_hash: Mutex::new(hash),
            passed: Mutex::new(HashSet::new()),
            throttle: LoginThrottle::new(),
            replica: None,
        };
        // "x:correct horse" and "x:wrong horse!"
        assert!(guard.check(b"Basic eDpjb3JyZWN0IGhvcnNl"));
        assert!(guard.check(b"Basic eDpjb3JyZWN0IGhvcnNl"));
        assert!(!guard.check(b"Basic eDp3cm9uZyBob3JzZSE="));
    }
}
