//! The hub's identity: its ed25519 key pair, kept in a file only its owner can read.
//!
//! The file holds the 32-byte secret as 64 hex digits on one line. It is created with
//! mode 0600 and never overwritten: losing a hub key means re-pinning every node.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use hex::FromHex;
use wishtree_protocol::keys::KeyPair;

/// Why the key file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    /// The file exists already (when creating).
    #[error("{0} exists already; a hub key is never overwritten")]
    Exists(String),
    /// The file could not be read or written.
    #[error("cannot use the key file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// The file does not hold a key.
    #[error("the key file {0} does not hold a key (64 hex digits); restore it from a backup")]
    Malformed(String),
}

/// Creates a key file holding `secret`, readable by its owner only.
pub fn create_key_file(path: &Path, secret: [u8; 32]) -> Result<KeyPair, IdentityError> {
    let shown = path.display().to_string();
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|source| match source.kind() {
            std::io::ErrorKind::AlreadyExists => IdentityError::Exists(shown.clone()),
            _ => IdentityError::Io {
                path: shown.clone(),
                source,
            },
        })?;
    let mut text = hex::encode(secret);
    text.push('\n');
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|source| IdentityError::Io {
            path: shown,
            source,
        })?;
    Ok(KeyPair::from_secret(secret))
}

/// Reads a key file.
pub fn read_key_file(path: &Path) -> Result<KeyPair, IdentityError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| IdentityError::Io {
        path: shown.clone(),
        source,
    })?;
    let secret = <[u8; 32]>::from_hex(text.trim()).map_err(|_| IdentityError::Malformed(shown))?;
    Ok(KeyPair::from_secret(secret))
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn a_key_file_is_private_and_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hub.key");
        let created = create_key_file(&path, [7; 32]).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(read_key_file(&path).unwrap().public(), created.public());
        assert!(matches!(
            create_key_file(&path, [8; 32]),
            Err(IdentityError::Exists(_))
        ));
        std::fs::write(&path, "not a key").unwrap();
        assert!(matches!(
            read_key_file(&path),
            Err(IdentityError::Malformed(_))
        ));
        // `u8::from_str_radix` takes "+7" as 7; a key file is hex digits only.
        std::fs::write(&path, format!("+7{}\n", "07".repeat(31))).unwrap();
        assert!(matches!(
            read_key_file(&path),
            Err(IdentityError::Malformed(_))
        ));
    }
}
