//! The node's identity: its ed25519 key pair, in a key file only its owner can read.
//!
//! The file's form and protection are `wishtree_common::key_file`'s (the hub's key file
//! is the same). The database keeps a copy of the secret too, so that a backup restores
//! the node with the identity the hub pinned (see `ARCHITECTURE.md`).

use std::path::Path;

pub(crate) use wishtree_common::key_file::{secret_from_hex, secret_to_hex};
use wishtree_protocol::keys::KeyPair;

/// Why the key file could not be used.
pub use wishtree_common::key_file::KeyFileError as IdentityError;

/// Creates a key file holding `secret`, readable by its owner only.
pub fn create_key_file(path: &Path, secret: [u8; 32]) -> Result<KeyPair, IdentityError> {
    wishtree_common::key_file::create(path, &secret)?;
    Ok(KeyPair::from_secret(secret))
}

/// Reads a key file.
pub fn read_key_file(path: &Path) -> Result<KeyPair, IdentityError> {
    wishtree_common::key_file::read(path).map(KeyPair::from_secret)
}
