//! The form token: one random secret per process, put in every form the server renders
//! and required in every form posted to it.
//!
//! A synchronizer token shared by every browser is enough here, and the simplest sound
//! choice: a node has one kind of user (the community's workers, all behind the same
//! password), so a per-browser cookie would protect nothing more, and there is no
//! session to tie a token to. What makes it sound is that a foreign page cannot read
//! it: the same-origin policy keeps it from reading our pages, and the `Host` check
//! keeps it from becoming our origin by DNS rebinding. A new process draws a new
//! token, so a form left open across a restart is refused and must be reloaded.

use std::sync::OnceLock;

/// The name of the hidden form field that carries the token.
pub const FORM_TOKEN_FIELD: &str = "csrf_token";

/// A random secret that a posted form must carry.
#[derive(Clone)]
pub struct FormToken {
    hex: String,
}

impl FormToken {
    /// This process's token, drawn on first use.
    pub fn of_this_process() -> &'static Self {
        static TOKEN: OnceLock<FormToken> = OnceLock::new();
        TOKEN.get_or_init(Self::draw)
    }

    /// The token as it goes into a form.
    pub fn as_str(&self) -> &str {
        &self.hex
    }

    /// The hidden `<input>` to put inside every `<form method="post">`.
    pub fn hidden_field(&self) -> String {
        format!(
            "<input type=\"hidden\" name=\"{FORM_TOKEN_FIELD}\" value=\"{}\">",
            self.hex
        )
    }

    /// Whether `given` is this token, compared in time that does not depend on where
    /// they first differ.
    pub fn matches(&self, given: &str) -> bool {
        let (ours, theirs) = (self.hex.as_bytes(), given.as_bytes());
        ours.len() == theirs.len()
            && ours
                .iter()
                .zip(theirs)
                .fold(0u8, |difference, (a, b)| difference | (a ^ b))
                == 0
    }

    fn draw() -> Self {
        let mut bytes = [0u8; 32];
        if getrandom::fill(&mut bytes).is_err() {
            // The operating system had no randomness to give (it always has on the
            // systems we run on). The keys of std's hasher are random too, drawn by
            // other means; 128 bits of them still make a token nobody can guess.
            use std::hash::BuildHasher;
            let state = std::collections::hash_map::RandomState::new();
            for (index, chunk) in bytes.chunks_mut(8).enumerate() {
                chunk.copy_from_slice(&state.hash_one(index).to_le_bytes());
            }
        }
        Self {
            hex: bytes.iter().map(|byte| format!("{byte:02x}")).collect(),
        }
    }
}

impl std::fmt::Debug for FormToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token is a secret; keep it out of logs.
        f.write_str("FormToken(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_token_itself_matches() {
        let token = FormToken::of_this_process();
        assert_eq!(token.as_str().len(), 64);
        assert!(token.matches(token.as_str()));
        assert!(!token.matches(""));
        assert!(!token.matches(&token.as_str()[..63]));
        let mut other = token.as_str().to_owned();
        let last = if other.ends_with('0') { "1" } else { "0" };
        other.replace_range(63.., last);
        assert!(!token.matches(&other));
        assert!(token.hidden_field().contains(token.as_str()));
    }
}
