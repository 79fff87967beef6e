//! A key file: a 32-byte secret as 64 hex digits on one line, readable by its owner only.
//!
//! The node and the hub keep their ed25519 secret in such a file. It is created once and
//! never overwritten: losing a key means re-pinning (the hub's) or re-registering (a
//! node's). On Unix the file is created with mode 0600. Windows has no mode bits: there
//! the file inherits the ACL of its data directory, so that directory must be readable
//! only by the account the node or hub runs as (a service account, or the office user)
//! and by administrators (see "Windows" in `ARCHITECTURE.md`).

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

use wishtree_protocol::keys::KeyPair;

/// Why the key file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    /// The file exists already (when creating).
    #[error("{0} exists already; a key file is never overwritten")]
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

/// Creates a key file holding `secret`, readable by its owner only; refuses an
/// existing file.
pub fn create(path: &Path, secret: &[u8; 32]) -> Result<(), KeyFileError> {
    let shown = path.display().to_string();
    let mut file = create_private(path).map_err(|source| match source.kind() {
        std::io::ErrorKind::AlreadyExists => KeyFileError::Exists(shown.clone()),
        _ => KeyFileError::Io {
            path: shown.clone(),
            source,
        },
    })?;
    let mut text = secret_to_hex(secret);
    text.push('\n');
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|source| KeyFileError::Io {
            path: shown,
            source,
        })
}

/// Reads the secret of a key file.
pub fn read(path: &Path) -> Result<[u8; 32], KeyFileError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| match source.kind() {
        std::io::ErrorKind::InvalidData => KeyFileError::Malformed(shown.clone()),
        _ => KeyFileError::Io {
            path: shown.clone(),
            source,
        },
    })?;
    secret_from_hex(text.trim()).ok_or(KeyFileError::Malformed(shown))
}

/// Creates a key file holding `secret` (see [`create`]) and returns its key pair.
pub fn create_key_pair(path: &Path, secret: [u8; 32]) -> Result<KeyPair, KeyFileError> {
    create(path, &secret)?;
    Ok(KeyPair::from_secret(secret))
}

/// The key pair of a key file.
pub fn read_key_pair(path: &Path) -> Result<KeyPair, KeyFileError> {
    read(path).map(KeyPair::from_secret)
}

/// Creates a new file for writing that only its owner can read: mode 0600 on Unix; on
/// Windows it inherits the ACL of its directory. Refuses an existing file
/// (`ErrorKind::AlreadyExists`). Key files, databases, backups and exports hold
/// secrets or personal data, so every such file is made here.
pub fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// The secret as 64 lowercase hex digits.
pub fn secret_to_hex(secret: &[u8; 32]) -> String {
    hex::encode(secret)
}

/// The secret of 64 hex digits, if `text` is exactly that.
pub fn secret_from_hex(text: &str) -> Option<[u8; 32]> {
    hex::FromHex::from_hex(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_file_is_private_and_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("node.key");
        create(&path, &[7; 32]).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(read(&path).unwrap(), [7; 32]);
        assert!(matches!(
            create(&path, &[8; 32]),
            Err(KeyFileError::Exists(_))
        ));
        assert_eq!(read(&path).unwrap(), [7; 32], "the first key is kept");
        assert_eq!(
            read_key_pair(&path).unwrap().public(),
            KeyPair::from_secret([7; 32]).public()
        );
        assert!(matches!(
            create_key_pair(&path, [8; 32]),
            Err(KeyFileError::Exists(_))
        ));
        std::fs::write(&path, "not a key").unwrap();
        assert!(matches!(read(&path), Err(KeyFileError::Malformed(_))));
        std::fs::write(&path, [0xff, 0xfe, 0x00]).unwrap();
        assert!(matches!(read(&path), Err(KeyFileError::Malformed(_))));
        // `u8::from_str_radix` takes "+7" as 7; a key file is hex digits only.
        std::fs::write(&path, format!("+7{}\n", "07".repeat(31))).unwrap();
        assert!(matches!(read(&path), Err(KeyFileError::Malformed(_))));
    }
}
