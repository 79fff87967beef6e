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
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::password::{Verified, verify_and_upgrade};
use crate::replica::SharedReplica;

/// Wraps every route of `router` behind the password whose hash is `password_hash`.
pub fn require_password<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
    password_hash: String,
    replica: SharedReplica,
) -> Router<S> {
    let guard = Arc::new(Guard {
        password_hash: Mutex::new(password_hash),
        passed: Mutex::new(HashSet::new()),
        replica: Some(replica),
    });
    router.layer(axum::middleware::from_fn(
        move |request: Request, next: Next| {
            let guard = Arc::clone(&guard);
            async move {
                let header = request
                    .headers()
                    .get(header::AUTHORIZATION)
                    .map(|value| value.as_bytes().to_vec());
                let allowed = match header {
                    Some(header) => {
                        let guard = Arc::clone(&guard);
                        // The stretched hash is CPU work; keep it off the async threads.
                        tokio::task::spawn_blocking(move || guard.check(&header))
                            .await
                            .unwrap_or(false)
                    }
                    None => false,
                };
                if allowed {
                    next.run(request).await
                } else {
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
    /// Where an old-form hash is replaced at a login (none in unit tests).
    replica: Option<SharedReplica>,
}

impl Guard {
    fn check(&self, header: &[u8]) -> bool {
        let fingerprint: [u8; 32] = Sha256::digest(header).into();
        let mut passed = self
            .passed
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if passed.contains(&fingerprint) {
            return true;
        }
        let Some(password) = basic_password(header) else {
            return false;
        };
        let is_right = self.verify(&password);
        if is_right && passed.len() < 1000 {
            passed.insert(fingerprint);
        }
        is_right
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

/// The password of an `Authorization: Basic …` header.
fn basic_password(header: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(header).ok()?;
    let (scheme, encoded) = text.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(decode_base64(encoded.trim())?).ok()?;
    let (_user, password) = decoded.split_once(':')?;
    Some(password.to_owned())
}

/// Standard base64 with padding (RFC 4648), as basic auth uses it.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(4) || bytes.len() > 4096 {
        return None;
    }
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    for (index, quad) in bytes.chunks_exact(4).enumerate() {
        let is_last = index == bytes.len() / 4 - 1;
        let padding = quad.iter().rev().take_while(|&&c| c == b'=').count();
        if padding > 2 || (padding > 0 && !is_last) {
            return None;
        }
        let mut buffer = 0u32;
        for &c in &quad[..4 - padding] {
            buffer = buffer << 6 | value(c)?;
        }
        buffer <<= 6 * padding as u32;
        let three = [(buffer >> 16) as u8, (buffer >> 8) as u8, buffer as u8];
        out.extend_from_slice(&three[..3 - padding]);
    }
    Some(out)
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
        assert_eq!(decode_base64("YWJj").unwrap(), b"abc");
        assert_eq!(decode_base64("YWI=").unwrap(), b"ab");
    }

    #[test]
    fn a_guard_lets_the_right_password_in_only() {
        let hash = crate::password::hash_password("correct horse", [1; 16]).unwrap();
        let guard = Guard {
            password_hash: Mutex::new(hash),
            passed: Mutex::new(HashSet::new()),
            replica: None,
        };
        // "x:correct horse" and "x:wrong horse!"
        assert!(guard.check(b"Basic eDpjb3JyZWN0IGhvcnNl"));
        assert!(guard.check(b"Basic eDpjb3JyZWN0IGhvcnNl"));
        assert!(!guard.check(b"Basic eDp3cm9uZyBob3JzZSE="));
    }
}
