//! The node's identity: its ed25519 key pair, in a key file only its owner can read.
//!
//! The file's form and protection are `wishtree_common::key_file`'s (the hub's key file
//! is the same). The database keeps a copy of the secret too, so that a backup restores
//! the node with the identity the hub pinned (see `ARCHITECTURE.md`).

pub(crate) use wishtree_common::key_file::{secret_from_hex, secret_to_hex};

/// Why the key file could not be used.
pub use wishtree_common::key_file::KeyFileError as IdentityError;

pub use wishtree_common::key_file::{
    create_key_pair as create_key_file, read_key_pair as read_key_file,
};
