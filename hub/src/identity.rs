//! The hub's identity: its ed25519 key pair, kept in a file only its owner can read.
//!
//! The file's form and protection are `wishtree_common::key_file`'s, as the node's
//! are. It is never overwritten: losing a hub key means re-pinning every node.

/// Why the key file could not be used.
pub use wishtree_common::key_file::KeyFileError as IdentityError;
pub use wishtree_common::key_file::{
    create_key_pair as create_key_file, read_key_pair as read_key_file,
};
