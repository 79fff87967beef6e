//! Password hashes: the node's password when it listens beyond localhost and the hub's
//! account passwords, stored as an argon2id hash in a PHC string
//! (`$argon2id$v=19$m=…,t=…,p=…$<salt>$<hash>`).
//!
//! Nodes set up before argon2 stored `sha256i$<rounds>$<salt hex>$<hash hex>`, SHA-256
//! applied `rounds` times to `salt ‖ password` (then to the previous digest). Such a
//! hash still verifies, and [`verify_and_upgrade`] hands back an argon2id hash of the
//! same password so that the caller can store it at the next login: only then is the
//! password itself at hand.

use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use sha2::{Digest, Sha256};

/// Why a password could not be hashed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// Too short to guard anything.
    #[error("the password has {0} characters; use at least 8")]
    TooShort(usize),
    /// The hash function refused its input; with a 16-byte salt and the crate's own
    /// parameters this does not happen.
    #[error("the password could not be hashed ({0}); report this as a bug")]
    Hashing(String),
}

/// What checking a password against a stored hash found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verified {
    /// The password does not match (or the stored value is of no known form).
    No,
    /// The password matches and the stored hash is of the current form.
    Yes,
    /// The password matches an old-form hash; store this argon2id hash in its place.
    YesRehash(String),
}

/// Hashes a new password with argon2id (the crate's default parameters) and a salt
/// drawn by the caller.
pub fn hash_password(password: &str, salt: [u8; 16]) -> Result<String, PasswordError> {
    let length = password.chars().count();
    if length < 8 {
        return Err(PasswordError::TooShort(length));
    }
    Argon2::default()
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| PasswordError::Hashing(error.to_string()))
}

/// Whether `password` matches `stored`. A stored value of another form never matches.
pub fn verify_password(password: &str, stored: &str) -> bool {
    if stored.starts_with(LEGACY_PREFIX) {
        verify_legacy(password, stored)
    } else {
        // The parameters and the salt are read from the PHC string itself.
        Argon2::default()
            .verify_password(password.as_bytes(), stored)
            .is_ok()
    }
}

/// Checks `password` against `stored` and, if it matches an old-form hash, hashes it
/// again with argon2id and `salt` (drawn by the caller) for the caller to store.
pub fn verify_and_upgrade(password: &str, stored: &str, salt: [u8; 16]) -> Verified {
    if !verify_password(password, stored) {
        return Verified::No;
    }
    if !stored.starts_with(LEGACY_PREFIX) {
        return Verified::Yes;
    }
    // A password too short for a new hash was accepted once; it keeps its old hash
    // until it is changed with `wishtree-node password`.
    match hash_password(password, salt) {
        Ok(hash) => Verified::YesRehash(hash),
        Err(_) => Verified::Yes,
    }
}

/// The prefix of the iterated SHA-256 hashes that nodes stored before argon2.
const LEGACY_PREFIX: &str = "sha256i$";

fn verify_legacy(password: &str, stored: &str) -> bool {
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
    let (Ok(rounds), Ok(salt), Ok(hash)) =
        (rounds.parse::<u32>(), hex::decode(salt), hex::decode(hash))
    else {
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

    /// `sha256i` with 100 000 rounds of "心愿树 password" and the salt [5; 16], as
    /// `init` stored it before argon2.
    const LEGACY: &str = "sha256i$100000$05050505050505050505050505050505$\
        a1804bd669d1a04e40808675856dd9fb3254ab7d745d5877e298545d83d3af12";

    #[test]
    fn a_hash_verifies_its_password_only() {
        let stored = hash_password("心愿树 password", [5; 16]).unwrap();
        assert!(stored.starts_with("$argon2id$v=19$"), "{stored}");
        assert!(verify_password("心愿树 password", &stored));
        assert!(!verify_password("心愿树 passwore", &stored));
        assert!(!verify_password("", &stored));
        assert!(!verify_password("心愿树 password", "garbage"));
        assert!(!verify_password("x", "sha256i$0$00$00"));
        assert_eq!(
            hash_password("short", [0; 16]),
            Err(PasswordError::TooShort(5))
        );
        assert_eq!(
            verify_and_upgrade("心愿树 password", &stored, [6; 16]),
            Verified::Yes
        );
    }

    #[test]
    fn an_old_hash_still_verifies_and_is_replaced_at_login() {
        assert!(verify_password("心愿树 password", LEGACY));
        assert!(!verify_password("心愿树 passwore", LEGACY));
        assert_eq!(
            verify_and_upgrade("心愿树 passwore", LEGACY, [6; 16]),
            Verified::No
        );
        let Verified::YesRehash(new_hash) = verify_and_upgrade("心愿树 password", LEGACY, [6; 16])
        else {
            panic!("an old-form hash is not replaced");
        };
        assert!(new_hash.starts_with("$argon2id$"), "{new_hash}");
        assert!(verify_password("心愿树 password", &new_hash));
        assert!(!verify_password("心愿树 passwore", &new_hash));
        // A plus sign is not a hex digit, though `u8::from_str_radix` takes "+5" as 5.
        let with_plus = LEGACY.replacen("$05", "$+5", 1);
        assert!(!verify_password("心愿树 password", &with_plus));
    }
}
