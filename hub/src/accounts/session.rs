//! The login cookie, the CSRF tokens tied to it, and the tokens of scripts.
//!
//! A session cookie is `<session id>.<expiry>.<tag>`: 16 random bytes in hex, the
//! expiry in milliseconds, and an HMAC-SHA256 over both under the hub's session key
//! (`session.key` in the data directory, drawn at first run). The signature lets the
//! hub refuse a forged or altered cookie before it reads the store; the session's row
//! (`account_sessions`) is what a logout or a revocation deletes. Before a login the
//! browser holds a login cookie, `<nonce>.<tag>`, so that the login form's CSRF token
//! is tied to that browser too.
//!
//! A form's CSRF token is the HMAC of the session id (or the login nonce) under the
//! same key, with a context string apart from the cookie's: it needs no row of its own,
//! and a page of another site can neither read it nor make it. HMAC is `ring`'s, which
//! the QUIC side already uses for its reset keys; no other crate was needed.
//!
//! A script's token is 32 random bytes shown once as `wt_<hex>`; the store keeps only
//! its SHA-256, so a copy of the database gives no token away.

use std::path::Path;

use ring::hmac;
use wishtree_common::key_file;
use wishtree_protocol::Timestamp;

/// The file in the hub's data directory that holds the session key.
pub const SESSION_KEY_FILE: &str = "session.key";

/// The cookie of a signed-in browser.
pub const SESSION_COOKIE: &str = "wishtree_session";
/// The cookie of a browser on the login page.
pub const LOGIN_COOKIE: &str = "wishtree_login";
/// The cookie of a member's phone that opened a member card (`/m/card`).
pub const CARD_COOKIE: &str = "wishtree_card";

const COOKIE_CONTEXT: &[u8] = b"wishtree hub session cookie v1\0";
const LOGIN_CONTEXT: &[u8] = b"wishtree hub login cookie v1\0";
const SESSION_CSRF_CONTEXT: &[u8] = b"wishtree hub session form v1\0";
const LOGIN_CSRF_CONTEXT: &[u8] = b"wishtree hub login form v1\0";
const CARD_CONTEXT: &[u8] = b"wishtree hub card session v1\0";

/// The hub's key for signing cookies and deriving CSRF tokens.
#[derive(Clone)]
pub struct SessionKey(hmac::Key);

/// A session cookie whose signature held: a session id and when it runs out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionCookie {
    /// The session's id, the key of its row.
    pub id: [u8; 16],
    /// When the cookie stops being taken.
    pub expires_at: Timestamp,
}

/// A login cookie whose signature held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginCookie {
    /// The random nonce the login form's token is derived from.
    pub nonce: [u8; 16],
}

/// A token for scripts, as it is shown once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken(String);

/// Why a cookie was not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CookieError {
    /// Not of the cookie's shape (parts, hex digits, lengths).
    #[error("the cookie is not of the hub's form")]
    Malformed,
    /// The signature does not match: altered, or made under another hub's key.
    #[error("the cookie's signature does not match")]
    BadSignature,
    /// The session ran out.
    #[error("the session has expired")]
    Expired,
}

impl SessionKey {
    /// A key from 32 secret bytes.
    pub fn from_secret(secret: &[u8; 32]) -> Self {
        Self(hmac::Key::new(hmac::HMAC_SHA256, secret))
    }

    /// The key in `data/session.key`, drawn and written (mode 0600) the first time.
    pub fn load_or_create(data: &Path) -> Result<Self, key_file::KeyFileError> {
        let path = data.join(SESSION_KEY_FILE);
        match key_file::read(&path) {
            Ok(secret) => Ok(Self::from_secret(&secret)),
            Err(key_file::KeyFileError::Io { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                let mut secret = [0u8; 32];
                getrandom::fill(&mut secret).map_err(|error| key_file::KeyFileError::Io {
                    path: path.display().to_string(),
                    source: std::io::Error::other(error.to_string()),
                })?;
                match key_file::create(&path, &secret) {
                    Ok(()) => Ok(Self::from_secret(&secret)),
                    // Another process drew one first: take theirs.
                    Err(key_file::KeyFileError::Exists(_)) => {
                        key_file::read(&path).map(|secret| Self::from_secret(&secret))
                    }
                    Err(error) => Err(error),
                }
            }
            Err(error) => Err(error),
        }
    }

    /// The cookie value of `session`.
    pub fn session_cookie(&self, session: &SessionCookie) -> String {
        let body = format!(
            "{}.{}",
            hex::encode(session.id),
            session.expires_at.as_millis()
        );
        let tag = self.tag(COOKIE_CONTEXT, body.as_bytes());
        format!("{body}.{tag}")
    }

    /// Reads a session cookie: its shape, its signature, then its expiry at `now`.
    pub fn read_session_cookie(
        &self,
        value: &str,
        now: Timestamp,
    ) -> Result<SessionCookie, CookieError> {
        let (body, tag) = value.rsplit_once('.').ok_or(CookieError::Malformed)?;
        let (id, expires) = body.split_once('.').ok_or(CookieError::Malformed)?;
        let id = decode_16(id)?;
        if expires.is_empty() || !expires.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CookieError::Malformed);
        }
        let expires_at =
            Timestamp::from_millis(expires.parse::<i64>().map_err(|_| CookieError::Malformed)?);
        self.verify(COOKIE_CONTEXT, body.as_bytes(), tag)?;
        if expires_at <= now {
            return Err(CookieError::Expired);
        }
        Ok(SessionCookie { id, expires_at })
    }

    /// The cookie value of a login cookie.
    pub fn login_cookie(&self, login: &LoginCookie) -> String {
        let body = hex::encode(login.nonce);
        let tag = self.tag(LOGIN_CONTEXT, body.as_bytes());
        format!("{body}.{tag}")
    }

    /// Reads a login cookie: its shape and its signature.
    pub fn read_login_cookie(&self, value: &str) -> Result<LoginCookie, CookieError> {
        let (body, tag) = value.split_once('.').ok_or(CookieError::Malformed)?;
        let nonce = decode_16(body)?;
        self.verify(LOGIN_CONTEXT, body.as_bytes(), tag)?;
        Ok(LoginCookie { nonce })
    }

    /// The cookie value of a card session: the card's text (base64url, no dots), when
    /// the session ends, and the tag. The whole card rides along so that every request
    /// checks it again — signature, expiry, secret, revocation — against the roster
    /// and the document as they are then; the tag only keeps a forged cookie from
    /// costing a document read.
    pub fn card_cookie(&self, card_text: &str, expires_at: Timestamp) -> String {
        let body = format!("{card_text}.{}", expires_at.as_millis());
        let tag = self.tag(CARD_CONTEXT, body.as_bytes());
        format!("{body}.{tag}")
    }

    /// Reads a card session cookie: its shape, its tag, then its expiry at `now`.
    /// Answers the card's text, to be checked as a card.
    pub fn read_card_cookie<'v>(
        &self,
        value: &'v str,
        now: Timestamp,
    ) -> Result<&'v str, CookieError> {
        let (body, tag) = value.rsplit_once('.').ok_or(CookieError::Malformed)?;
        let (card, expires) = body.split_once('.').ok_or(CookieError::Malformed)?;
        if expires.is_empty() || expires.len() > 19 || !expires.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(CookieError::Malformed);
        }
        let expires_at =
            Timestamp::from_millis(expires.parse::<i64>().map_err(|_| CookieError::Malformed)?);
        self.verify(CARD_CONTEXT, body.as_bytes(), tag)?;
        if expires_at <= now {
            return Err(CookieError::Expired);
        }
        Ok(card)
    }

    /// The CSRF token of the forms of session `id`.
    pub fn session_form_token(&self, id: &[u8; 16]) -> String {
        self.tag(SESSION_CSRF_CONTEXT, id)
    }

    /// The CSRF token of the login form of a browser holding `login`.
    pub fn login_form_token(&self, login: &LoginCookie) -> String {
        self.tag(LOGIN_CSRF_CONTEXT, &login.nonce)
    }

    /// Whether `given` is the form token of the session or login cookie among
    /// `cookies` (a `Cookie` header): the session's on every form but the login
    /// form, whose token is the login cookie's.
    pub fn form_token_matches(&self, cookies: &str, is_login_form: bool, given: &str) -> bool {
        if is_login_form {
            cookie_value(cookies, LOGIN_COOKIE)
                .and_then(|value| self.read_login_cookie(value).ok())
                .is_some_and(|login| self.verify(LOGIN_CSRF_CONTEXT, &login.nonce, given).is_ok())
        } else {
            // The expiry is the auth layer's to check, with the hub's clock.
            let any_time = Timestamp::from_millis(i64::MIN);
            cookie_value(cookies, SESSION_COOKIE)
                .and_then(|value| self.read_session_cookie(value, any_time).ok())
                .is_some_and(|session| {
                    self.verify(SESSION_CSRF_CONTEXT, &session.id, given)
                        .is_ok()
                })
        }
    }

    fn tag(&self, context: &[u8], body: &[u8]) -> String {
        let mut signing = hmac::Context::with_key(&self.0);
        signing.update(context);
        signing.update(body);
        hex::encode(signing.sign().as_ref())
    }

    fn verify(&self, context: &[u8], body: &[u8], tag: &str) -> Result<(), CookieError> {
        let tag = hex::decode(tag).map_err(|_| CookieError::Malformed)?;
        let mut message = Vec::with_capacity(context.len() + body.len());
        message.extend_from_slice(context);
        message.extend_from_slice(body);
        hmac::verify(&self.0, &message, &tag).map_err(|_| CookieError::BadSignature)
    }
}

impl std::fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key is a secret; keep it out of logs.
        f.write_str("SessionKey(…)")
    }
}

impl ApiToken {
    /// A token from 32 random bytes drawn by the caller.
    pub fn from_random(bytes: [u8; 32]) -> Self {
        Self(format!("wt_{}", hex::encode(bytes)))
    }

    /// The token as the script sends it (`Authorization: Bearer …`).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What the store keeps of a token as given: its SHA-256.
    pub fn hash_of(given: &str) -> [u8; 32] {
        let digest = ring::digest::digest(&ring::digest::SHA256, given.as_bytes());
        let mut hash = [0u8; 32];
        hash.copy_from_slice(digest.as_ref());
        hash
    }
}

/// The value of cookie `name` in a `Cookie` header, if it is there once or more (the
/// first is taken).
pub fn cookie_value<'a>(cookies: &'a str, name: &str) -> Option<&'a str> {
    cookies.split(';').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key.trim() == name).then(|| value.trim())
    })
}

fn decode_16(text: &str) -> Result<[u8; 16], CookieError> {
    let mut bytes = [0u8; 16];
    hex::decode_to_slice(text, &mut bytes).map_err(|_| CookieError::Malformed)?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn key() -> SessionKey {
        SessionKey::from_secret(&[3; 32])
    }

    #[test]
    fn a_cookie_reads_back_only_unaltered_under_its_key_and_before_its_expiry() {
        let cookie = SessionCookie {
            id: [7; 16],
            expires_at: Timestamp::from_millis(2_000),
        };
        let value = key().session_cookie(&cookie);
        let before = Timestamp::from_millis(1_000);
        assert_eq!(key().read_session_cookie(&value, before), Ok(cookie));
        assert_eq!(
            key().read_session_cookie(&value, Timestamp::from_millis(2_000)),
            Err(CookieError::Expired)
        );
        let later = value.replacen(".2000.", ".9000.", 1);
        assert_eq!(
            key().read_session_cookie(&later, before),
            Err(CookieError::BadSignature)
        );
        assert_eq!(
            SessionKey::from_secret(&[4; 32]).read_session_cookie(&value, before),
            Err(CookieError::BadSignature)
        );
        let login = LoginCookie { nonce: [9; 16] };
        let login_value = key().login_cookie(&login);
        assert_eq!(key().read_login_cookie(&login_value), Ok(login));
        // A login cookie is no session cookie, nor the other way round.
        assert!(key().read_session_cookie(&login_value, before).is_err());
        assert!(key().read_login_cookie(&value).is_err());
    }

    #[test]
    fn a_form_token_is_the_one_of_its_own_cookie() {
        let key = key();
        let session = SessionCookie {
            id: [1; 16],
            expires_at: Timestamp::from_millis(5_000),
        };
        let cookies = format!("a=b; {SESSION_COOKIE}={}", key.session_cookie(&session));
        let token = key.session_form_token(&session.id);
        assert!(key.form_token_matches(&cookies, false, &token));
        assert!(!key.form_token_matches(&cookies, true, &token));
        assert!(!key.form_token_matches(&cookies, false, &key.session_form_token(&[2; 16])));
        assert!(!key.form_token_matches("", false, &token));
        let login = LoginCookie { nonce: [5; 16] };
        let cookies = format!("{LOGIN_COOKIE}={}", key.login_cookie(&login));
        assert!(key.form_token_matches(&cookies, true, &key.login_form_token(&login)));
        assert!(!key.form_token_matches(&cookies, true, &token));
    }

    #[test]
    fn a_token_is_stored_as_its_hash() {
        let token = ApiToken::from_random([8; 32]);
        assert!(token.as_str().starts_with("wt_"));
        assert_eq!(
            ApiToken::hash_of(token.as_str()),
            ApiToken::hash_of(token.as_str())
        );
        assert_ne!(ApiToken::hash_of(token.as_str()), ApiToken::hash_of("wt_"));
    }

    #[test]
    fn a_card_cookie_reads_back_only_unaltered_and_before_its_end() {
        let key = key();
        let value = key.card_cookie("AbC-_9", Timestamp::from_millis(2_000));
        let before = Timestamp::from_millis(1_000);
        assert_eq!(key.read_card_cookie(&value, before), Ok("AbC-_9"));
        assert_eq!(
            key.read_card_cookie(&value, Timestamp::from_millis(2_000)),
            Err(CookieError::Expired)
        );
        let other_card = value.replacen("AbC", "XbC", 1);
        assert_eq!(
            key.read_card_cookie(&other_card, before),
            Err(CookieError::BadSignature)
        );
        // A session cookie is no card cookie.
        let session = key.session_cookie(&SessionCookie {
            id: [1; 16],
            expires_at: Timestamp::from_millis(2_000),
        });
        assert!(key.read_card_cookie(&session, before).is_err());
    }

    proptest! {
        /// Whatever bytes a browser sends as a cookie, reading it answers an error or a
        /// cookie, never a panic; and nothing but a signed value is taken.
        #[test]
        fn any_cookie_header_reads_without_panic(header in ".{0,300}", raw in proptest::collection::vec(any::<u8>(), 0..200)) {
            let key = key();
            let now = Timestamp::from_millis(0);
            let from_bytes = String::from_utf8_lossy(&raw).into_owned();
            for text in [header.as_str(), from_bytes.as_str()] {
                prop_assert!(key.read_session_cookie(text, now).is_err());
                prop_assert!(key.read_login_cookie(text).is_err());
                prop_assert!(key.read_card_cookie(text, now).is_err());
                let _ = cookie_value(text, SESSION_COOKIE);
                prop_assert!(!key.form_token_matches(text, false, text));
                prop_assert!(!key.form_token_matches(text, true, text));
            }
        }
    }
}
