//! The hub's identity: its ed25519 key pair, kept in a file only its owner can read.
//!
//! The file's form and protection are `wishtree_common::key_file`'s. It is never
//! overwritten: losing a hub key means re-pinning every node.

use std::path::Path;

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
