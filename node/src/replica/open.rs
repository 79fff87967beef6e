//! Creating a node (`init`) and opening it: the data directory, its lock, the key,
//! the password, key rotation; the documents are loaded by [`super::load`].

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Instant;

use tokio::sync::watch;
use wishtree_protocol::attest::SignedHeads;
use wishtree_protocol::doc::DocError;
use wishtree_protocol::keys::{KeyPair, PublicKey};
use wishtree_protocol::model::Actor;
use wishtree_protocol::roster::{KeyRotation, SignedRotation};
use wishtree_protocol::submission::{EncryptionKeyPair, SignedEncryptionKey};
use wishtree_protocol::text::Name;
use wishtree_protocol::{CommunityCode, CommunityDoc, Timestamp};

use super::load::{load_city, load_community, load_inbox};
use super::{
    COMPACT_AFTER_CHUNKS, ChangeNotice, DATABASE_FILE, DEFAULT_WORKER, HubLink, KEY_FILE,
    LOCK_FILE, ROTATED_KEY_FILE, Replica, random_bytes, setting, sorted_heads,
};
use crate::identity::{self, IdentityError, create_key_file, read_key_file};
use crate::password::{self, PasswordError};
use crate::store::{DocName, RESTORE_ADVICE, Store, StoreError};

/// What `init` needs to create a node.
#[derive(Debug, Clone)]
pub struct InitOptions {
    /// The community the node serves.
    pub community: CommunityCode,
    /// The community's name.
    pub name: Name,
    /// The hub to sync with, if known yet.
    pub hub: Option<HubSettings>,
    /// The password that guards the node when it listens beyond localhost.
    pub password: Option<String>,
    /// The name lifecycle events of the node's worker carry.
    pub worker: Option<Name>,
}

/// Where the hub is and who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubSettings {
    /// `host:port` of the hub's QUIC endpoint.
    pub address: String,
    /// The hub's key, pinned.
    pub key: PublicKey,
    /// Whether the hub is the city's (市平台) or a district's (区平台), for the words
    /// the pages use: a node knows whom it dials.
    pub level: HubLevel,
}

/// Which platform a node's hub is, as the people who run it say.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum HubLevel {
    /// 市平台: the city hub (a node that says nothing syncs with it).
    #[default]
    City,
    /// 区平台: a district hub, under the city's.
    District,
}

impl HubLevel {
    /// The code stored in the node's settings and typed after `--hub-level`.
    pub fn code(self) -> &'static str {
        match self {
            Self::City => "city",
            Self::District => "district",
        }
    }
}

impl std::str::FromStr for HubLevel {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim() {
            "city" => Ok(Self::City),
            "district" => Ok(Self::District),
            other => Err(format!(
                "the hub level {other:?} is not known: say city (市平台) or district (区平台)"
            )),
        }
    }
}

/// Why a replica could not be created or opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The directory holds no node.
    #[error(
        "{dir} holds no node (no {DATABASE_FILE}): run `wishtree-node init --data {dir} --community CODE --name NAME` first, or point --data at the directory that holds the node"
    )]
    NotInitialised {
        /// The data directory.
        dir: String,
    },
    /// `init` found a node in the directory.
    #[error("{file} exists already: {dir} holds a node, and init never overwrites one")]
    AlreadyInitialised {
        /// The data directory.
        dir: String,
        /// The file found.
        file: String,
    },
    /// Another process holds the directory.
    #[error(
        "another wishtree-node process is using {dir} (is `wishtree-node run` running?); stop it first, or make the change through its web page or JSON API"
    )]
    Busy {
        /// The data directory.
        dir: String,
    },
    /// More than one database file and none of them `node.sqlite`.
    #[error(
        "{dir} holds several database files ({names}) and no {DATABASE_FILE}; keep only the one to use"
    )]
    SeveralDatabases {
        /// The data directory.
        dir: String,
        /// The files.
        names: String,
    },
    /// The database could not be used.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The key file could not be used.
    #[error(transparent)]
    Identity(#[from] IdentityError),
    /// The key file and the database name different keys.
    #[error(
        "the key file {key_file} holds another key than the database {database} was made with; put back the node.key that belongs to this database, or remove node.key to restore it from the database"
    )]
    KeyMismatch {
        /// The key file.
        key_file: String,
        /// The database.
        database: String,
    },
    /// A document in the store cannot be loaded.
    #[error("the {doc} document in {path} cannot be read: {reason}; {RESTORE_ADVICE}")]
    DamagedDocument {
        /// The database.
        path: String,
        /// Which document.
        doc: DocName,
        /// What was wrong, naming the chunk if one was found at fault.
        reason: String,
    },
    /// A setting every node has is missing or unreadable.
    #[error(
        "the database {path} has no valid `{key}` setting, so it is not a whole node database; {RESTORE_ADVICE}"
    )]
    BadSetting {
        /// The database.
        path: String,
        /// The setting.
        key: &'static str,
    },
    /// The password given at init was refused.
    #[error(transparent)]
    Password(#[from] PasswordError),
    /// The data directory could not be created or read.
    #[error("cannot use the data directory {path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// The operating system gave no random bytes.
    #[error("the system has no random source: {0}")]
    Random(String),
    /// The community document could not be created.
    #[error("cannot create the community document: {0}")]
    Create(#[source] DocError),
}

impl Replica {
    /// Creates a node in `data_dir` (made if missing): its key file (mode 0600), its
    /// database with the community document, and its first signed heads. Refuses a
    /// directory that holds a node already.
    pub fn init(
        data_dir: &Path,
        options: &InitOptions,
        now: Timestamp,
    ) -> Result<Replica, OpenError> {
        let dir = data_dir.display().to_string();
        std::fs::create_dir_all(data_dir).map_err(|source| OpenError::Io {
            path: dir.clone(),
            source,
        })?;
        for name in [KEY_FILE, DATABASE_FILE] {
            let path = data_dir.join(name);
            if path.exists() {
                return Err(OpenError::AlreadyInitialised {
                    dir,
                    file: path.display().to_string(),
                });
            }
        }
        if let Some(found) = find_database(data_dir)? {
            return Err(OpenError::AlreadyInitialised {
                dir,
                file: found.display().to_string(),
            });
        }
        let lock = lock_directory(data_dir)?;
        let secret: [u8; 32] = random_bytes()?;
        let password_hash = match &options.password {
            Some(password) => Some(password::hash_password(password, random_bytes()?)?),
            None => None,
        };
        let database = data_dir.join(DATABASE_FILE);
        let key_file = data_dir.join(KEY_FILE);
        let created = (|| {
            let mut store = Store::create(&database)?;
            let key = KeyPair::from_secret(secret);
            let mut doc = CommunityDoc::create(
                options.community,
                options.name.as_str(),
                random_bytes()?,
                now,
            )
            .map_err(OpenError::Create)?;
            // The encryption key is published with the first heads the node signs, so
            // a new node's first attestation already carries it (`encryption.rs`).
            let encryption_seed: [u8; 32] = random_bytes()?;
            let statement = SignedEncryptionKey::sign(
                &key,
                options.community,
                EncryptionKeyPair::from_seed(encryption_seed).public(),
                now,
            );
            doc.put_encryption_key(&statement)
                .map_err(OpenError::Create)?;
            doc.commit(now);
            let heads = doc.heads();
            let signed = SignedHeads::sign(&key, options.community, &heads, 1, now);
            let transaction = store.transaction()?;
            transaction.append_chunk(DocName::Community, &doc.save())?;
            transaction.put_attestation(&signed)?;
            let settings = [
                (setting::COMMUNITY_CODE, Some(options.community.to_string())),
                (setting::COMMUNITY_NAME, Some(options.name.to_string())),
                (setting::NODE_SECRET, Some(identity::secret_to_hex(&secret))),
                (setting::NODE_KEY, Some(key.public().to_string())),
                (
                    setting::HUB_ADDRESS,
                    options.hub.as_ref().map(|hub| hub.address.clone()),
                ),
                (
                    setting::HUB_KEY,
                    options.hub.as_ref().map(|hub| hub.key.to_string()),
                ),
                (
                    setting::HUB_LEVEL,
                    options.hub.as_ref().map(|hub| hub.level.code().to_owned()),
                ),
                (setting::PASSWORD_HASH, password_hash.clone()),
                (
                    setting::WORKER_NAME,
                    options.worker.as_ref().map(Name::to_string),
                ),
                (setting::CREATED_AT, Some(now.as_millis().to_string())),
                (setting::ENCRYPTION_SEED, Some(hex::encode(encryption_seed))),
            ];
            for (name, value) in settings {
                if let Some(value) = value {
                    transaction.put_setting(name, &value)?;
                }
            }
            transaction.commit()?;
            drop(store);
            create_key_file(&key_file, secret)?;
            Ok::<_, OpenError>(())
        })();
        if let Err(error) = created {
            // Leave no half-made node behind, so that init can be run again.
            for path in [&database, &key_file] {
                let _ = std::fs::remove_file(path);
            }
            for suffix in ["-wal", "-shm"] {
                let _ = std::fs::remove_file(data_dir.join(format!("{DATABASE_FILE}{suffix}")));
            }
            return Err(error);
        }
        drop(lock);
        Self::open(data_dir)
    }

    /// Opens the node in `data_dir` for reading and writing, holding the directory
    /// until the replica is dropped. Folds the chunks into one if there are many.
    pub fn open(data_dir: &Path) -> Result<Replica, OpenError> {
        let lock = lock_directory(data_dir)?;
        let database = database_path(data_dir)?;
        let store = Store::open(&database)?;
        let mut replica = Self::load(data_dir, store, Some(lock))?;
        if replica.community_chunks >= replica.compact_after {
            replica.compact(DocName::Community)?;
        }
        if replica.city_chunks >= replica.compact_after {
            replica.compact(DocName::City)?;
        }
        if replica.inbox_chunks >= replica.compact_after {
            replica.compact(DocName::Inbox)?;
        }
        replica.publish_encryption_key(crate::now())?;
        // Entries received but not yet applied when the node stopped.
        if let Err(error) = replica.apply_inbox(crate::now()) {
            tracing::warn!("the inbox could not be applied at start: {error}");
        }
        Ok(replica)
    }

    /// Opens the node in `data_dir` for reading only, beside a running node if there
    /// is one. Commands on it fail with [`StoreError::ReadOnly`].
    pub fn open_read_only(data_dir: &Path) -> Result<Replica, OpenError> {
        let database = database_path(data_dir)?;
        let store = Store::open_read_only(&database)?;
        Self::load(data_dir, store, None)
    }

    /// Whether the password is set (needed to listen beyond localhost).
    pub fn password_hash(&self) -> Result<Option<String>, StoreError> {
        self.store.setting(setting::PASSWORD_HASH)
    }

    /// Sets (or replaces) the password that guards the node beyond localhost.
    pub fn set_password(&mut self, password: &str) -> Result<(), OpenError> {
        let hash = password::hash_password(password, random_bytes()?)?;
        let transaction = self.store.transaction()?;
        transaction.put_setting(setting::PASSWORD_HASH, &hash)?;
        transaction.commit()?;
        Ok(())
    }

    /// Stores a password hash made elsewhere: the argon2id hash that replaced an
    /// old-form hash at a login.
    pub fn replace_password_hash(&mut self, hash: &str) -> Result<(), StoreError> {
        let transaction = self.store.transaction()?;
        transaction.put_setting(setting::PASSWORD_HASH, hash)?;
        transaction.commit()?;
        Ok(())
    }

    /// Replaces the node's key by a new one, announced in a statement signed by the
    /// old key (`wishtree-hub rotate` applies it at the hub). The current heads are
    /// signed again by the new key at once, so the latest signed heads are the new
    /// key's. Crash-safe: the new key file is written beside the old one, the database
    /// switches in one transaction, then the file is renamed over the old one; an
    /// interrupted rotation is finished at the next open.
    pub fn rotate_key(&mut self, now: Timestamp) -> Result<SignedRotation, OpenError> {
        self.check_usable().map_err(|reason| OpenError::Io {
            path: self.data_dir.display().to_string(),
            source: std::io::Error::other(reason),
        })?;
        let new_key = KeyPair::from_secret(random_bytes()?);
        let rotation = KeyRotation {
            old: self.key.public(),
            new: new_key.public(),
            at: now,
        }
        .sign(&self.key);
        let pending = self.data_dir.join(ROTATED_KEY_FILE);
        if pending.exists() {
            std::fs::remove_file(&pending).map_err(|source| OpenError::Io {
                path: pending.display().to_string(),
                source,
            })?;
        }
        create_key_file(&pending, new_key.secret())?;
        let heads = self.doc.heads();
        let signed = SignedHeads::sign(&new_key, self.code, &heads, self.attestation_seq + 1, now);
        let transaction = self.store.transaction()?;
        transaction.put_setting(
            setting::NODE_SECRET,
            &identity::secret_to_hex(&new_key.secret()),
        )?;
        transaction.put_setting(setting::NODE_KEY, &new_key.public().to_string())?;
        transaction.put_attestation(&signed)?;
        transaction.commit()?;
        std::fs::rename(&pending, self.data_dir.join(KEY_FILE)).map_err(|source| {
            OpenError::Io {
                path: pending.display().to_string(),
                source,
            }
        })?;
        self.attestation_seq = signed.seq;
        self.key = new_key;
        Ok(rotation)
    }

    pub(super) fn load(
        data_dir: &Path,
        store: Store,
        lock: Option<File>,
    ) -> Result<Replica, OpenError> {
        let database = store.path().display().to_string();
        let bad_setting = |key: &'static str| OpenError::BadSetting {
            path: database.clone(),
            key,
        };
        let code: CommunityCode = store
            .setting(setting::COMMUNITY_CODE)?
            .and_then(|text| text.parse().ok())
            .ok_or_else(|| bad_setting(setting::COMMUNITY_CODE))?;
        let secret = store
            .setting(setting::NODE_SECRET)?
            .and_then(|text| identity::secret_from_hex(&text))
            .ok_or_else(|| bad_setting(setting::NODE_SECRET))?;
        let key = Self::load_key(data_dir, &database, secret, lock.is_some())?;
        let hub = match (
            store.setting(setting::HUB_ADDRESS)?,
            store.setting(setting::HUB_KEY)?,
        ) {
            (Some(address), Some(key)) => Some(HubSettings {
                address,
                key: key.parse().map_err(|_| bad_setting(setting::HUB_KEY))?,
                // A node made before the level was kept syncs with the city hub.
                level: match store.setting(setting::HUB_LEVEL)? {
                    Some(level) => level.parse().map_err(|_| bad_setting(setting::HUB_LEVEL))?,
                    None => HubLevel::City,
                },
            }),
            _ => None,
        };
        let worker = Actor::Worker(
            store
                .setting(setting::WORKER_NAME)?
                .unwrap_or_else(|| DEFAULT_WORKER.to_owned()),
        );

        let started = Instant::now();
        // A fresh actor per process start: two starts never write under one actor.
        let actor = random_bytes()?;
        let (mut doc, community_chunks) = load_community(&store, code, actor)?;
        let (mut city, city_chunks) = load_city(&store, code, actor)?;
        let (mut inbox, inbox_chunks) = load_inbox(&store)?;
        tracing::debug!(
            "loaded the documents in {} ms",
            started.elapsed().as_millis()
        );
        let attestation_seq = store
            .last_attestation(code, key.public())?
            .map_or(0, |signed| signed.seq);
        let hub_link = match &hub {
            Some(hub) => {
                let peer = store.sync_peer(&hub.key, DocName::Community)?;
                HubLink {
                    connected: false,
                    connecting: false,
                    since: None,
                    last_synced_at: peer.as_ref().map(|peer| peer.at),
                    heads: peer.map(|peer| peer.their_heads).unwrap_or_default(),
                    problem: None,
                }
            }
            None => HubLink::default(),
        };
        let community_saved = doc.heads();
        let city_saved = sorted_heads(city.automerge_mut());
        let inbox_saved = sorted_heads(&mut inbox);
        let (changes, _) = watch::channel(ChangeNotice {
            heads: community_saved.clone(),
            local_commits: 0,
            remote_batches: 0,
        });
        Ok(Replica {
            data_dir: data_dir.to_owned(),
            store,
            code,
            doc,
            city,
            inbox,
            key,
            worker,
            hub,
            community_saved,
            city_saved,
            inbox_saved,
            community_chunks,
            city_chunks,
            inbox_chunks,
            compact_after: COMPACT_AFTER_CHUNKS,
            attestation_seq,
            view: None,
            sync_states: HashMap::new(),
            hub_link,
            pending_cache: None,
            changes,
            write_metrics: Default::default(),
            is_poisoned: false,
            batch: None,
            _lock: lock,
        })
    }

    /// The key from the key file, which must match the database's copy; a missing key
    /// file (a restored backup) is written again from the database.
    pub(super) fn load_key(
        data_dir: &Path,
        database: &str,
        secret: [u8; 32],
        may_write: bool,
    ) -> Result<KeyPair, OpenError> {
        let key_file = data_dir.join(KEY_FILE);
        // A rotation interrupted after the database switched: the new key file is
        // beside the old one; finish it.
        let rotated = data_dir.join(ROTATED_KEY_FILE);
        if may_write
            && rotated.exists()
            && read_key_file(&rotated).is_ok_and(|key| key.secret() == secret)
        {
            std::fs::rename(&rotated, &key_file).map_err(|source| OpenError::Io {
                path: rotated.display().to_string(),
                source,
            })?;
        }
        if key_file.exists() {
            let key = read_key_file(&key_file)?;
            if key.secret() != secret {
                return Err(OpenError::KeyMismatch {
                    key_file: key_file.display().to_string(),
                    database: database.to_owned(),
                });
            }
            Ok(key)
        } else if may_write {
            tracing::info!(
                "{} is missing; writing it again from the database",
                key_file.display()
            );
            Ok(create_key_file(&key_file, secret)?)
        } else {
            Ok(KeyPair::from_secret(secret))
        }
    }
}

/// The database of a data directory: `node.sqlite`, or else the one `*.sqlite` file
/// there (a backup copied into an empty directory).
fn database_path(data_dir: &Path) -> Result<PathBuf, OpenError> {
    let dir = data_dir.display().to_string();
    if !data_dir.is_dir() {
        return Err(OpenError::NotInitialised { dir });
    }
    let standard = data_dir.join(DATABASE_FILE);
    if standard.exists() {
        return Ok(standard);
    }
    find_database(data_dir)?.ok_or(OpenError::NotInitialised { dir })
}

/// The one `*.sqlite` file in a directory, if there is exactly one.
fn find_database(data_dir: &Path) -> Result<Option<PathBuf>, OpenError> {
    let io = |source| OpenError::Io {
        path: data_dir.display().to_string(),
        source,
    };
    let mut found = Vec::new();
    if !data_dir.is_dir() {
        return Ok(None);
    }
    for entry in std::fs::read_dir(data_dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if path.extension().is_some_and(|ext| ext == "sqlite") && path.is_file() {
            found.push(path);
        }
    }
    match found.len() {
        0 => Ok(None),
        1 => Ok(found.pop()),
        _ => Err(OpenError::SeveralDatabases {
            dir: data_dir.display().to_string(),
            names: found
                .iter()
                .filter_map(|path| path.file_name())
                .map(|name| name.to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

fn lock_directory(data_dir: &Path) -> Result<File, OpenError> {
    let dir = data_dir.display().to_string();
    if !data_dir.is_dir() {
        return Err(OpenError::NotInitialised { dir });
    }
    wishtree_common::dir_lock::lock(data_dir, LOCK_FILE).map_err(|error| match error {
        wishtree_common::dir_lock::DirLockError::Busy { .. } => OpenError::Busy { dir },
        wishtree_common::dir_lock::DirLockError::Io { path, source } => {
            OpenError::Io { path, source }
        }
    })
}
