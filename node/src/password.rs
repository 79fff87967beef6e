//! The password that guards the node when it listens beyond localhost: stored as a
//! salted, stretched SHA-256 hash, checked in constant time.
//!
//! The form is `sha256i$<rounds>$<salt hex>$<hash hex>`, where the hash is SHA-256
//! applied `rounds` times to `salt ‖ password` (then to the previous digest). A
//! dedicated password hash (argon2) would be stronger; stretching keeps a stolen
//! settings table from giving up a short password at once without adding a crate.

use sha2::{Digest, Sha256};

/// Rounds of SHA-256 for new hashes: about 30 ms on an office PC.
const ROUNDS: u32 = 100_000;

/// Why a password was refused at init.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// Too short to guard anything.
    #[error("the password has {0} characters; use at least 8")]
    TooShort(usize),
}

/// Hashes a new password with a salt drawn by the caller.
pub fn hash_password(password: &str, salt: [u8; 16]) -> Result<String, PasswordError> {
    let length = password.chars().count();
    if length < 8 {
        return Err(PasswordError::TooShort(length));
    }
    Ok(format!(
        "sha256i${ROUNDS}${}${}",
        hex::encode(salt),
        hex::encode(stretch(password, &salt, ROUNDS))
    ))
}

/// Whether `password` matches `stored`. A stored value of another form never matches.
pub fn verify_password(password: &str, stored: &str) -> bool {
    let mut parts = stored.split('$');
    let (Some("sha256i"), Some(rounds), Some(salt), Some(hash), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return false;
    };
    let (Ok(rounds), Some(salt), Some(hash)) = (
        rounds.parse::<u32>(),
        hex::decode(salt).ok(),
        hex::decode(hash).ok(),
    ) else {
        return false;
    };
    if !(1..=10_000_000).contains(&rounds) {
        return false;
    }
    let computed = stretch(password, &salt, rounds);
    // Constant time: every byte is compared whatever the first difference.
    computed.len() == hash.len()
        && computed
            .iter()
            .zip(&hash)
            .fold(0u8, |diff, (a, b)| diff | (a ^ b))
            == 0
}

fn stretch(password: &str, salt: &[u8], rounds: u32) -> Vec<u8> {
    let mut digest = Sha256::new()
        .chain_update(salt)
        .chain_update(password.as_bytes())
        .finalize();
    for _ in 1..rounds {
        digest = Sha256::digest(digest);
    }
    digest.to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let stored = hash_password("心愿树 password", [5; 16]).unwrap();
        assert!(stored.starts_with("sha256i$100000$"));
        assert!(verify_password("心愿树 password", &stored));
        assert!(!verify_password("心愿树 passwore", &stored));
        assert!(!verify_password("", &stored));
        assert!(!verify_password("心愿树 password", "garbage"));
        assert!(!verify_password("x", "sha256i$0$00$00"));
        assert_eq!(
            hash_password("short", [0; 16]),
            Err(PasswordError::TooShort(5))
        );
    }
}
