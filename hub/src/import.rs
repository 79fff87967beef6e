//! Importing a changes bundle: the USB stick a community hands to the street office
//! when its network has been gone for days (DESIGN §7, `docs/bundle-format.md`).
//!
//! The steps, each reported to a progress callback with its size and time: read the
//! file (its size checked before it is read), decode and verify the bundle against the
//! hub's roster and the last seq accepted from its issuer ([`IssuerState`]), apply its
//! changes to the community's document, store the new changes and the bundle's seq in
//! one transaction ([`HubStore::accept_bundle`]), record the community's signed heads
//! the bundle carries if they verify against the community's enrolled key, and
//! re-derive the community's figures. A refused bundle changes nothing.
//!
//! The hub never edits a community's document here either: it merges the changes the
//! community signed, as it does for a sync session.

use std::fmt;
use std::path::Path;
use std::time::{Duration, Instant};

use automerge::ChangeHash;
use wishtree_protocol::bundle::{
    Bundle, BundleError, BundleKind, Coverage, KeyStanding, Limits, Receiver, ReceiverState,
};
use wishtree_protocol::keys::PublicKey;
use wishtree_protocol::{CommunityCode, Timestamp};

use crate::figures;
use crate::figures::refresh_one;
use crate::quota::Growth;
use crate::state::{Hub, HubError};
use crate::store::{BundleReceipt, EnrolledRole, HubStore, StoreError, StoredDoc};

/// What the hub's roster and bundle log say of one issuer: the [`ReceiverState`] a
/// bundle is verified against, read from the store before the check (the trait's
/// calls cannot fail, the store's can).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerState {
    issuer: PublicKey,
    standing: KeyStanding,
    last: Option<u64>,
}

/// A step of an import, for progress lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportStage {
    /// The file was read.
    Reading,
    /// The bundle was decoded and its checks passed.
    Verifying,
    /// Its changes were applied to the community's document in memory.
    Applying,
    /// The new changes and the bundle's seq were stored in one transaction.
    Storing,
    /// The community's signed heads were checked and recorded.
    Attesting,
    /// The community's figures were re-derived.
    Figures,
}

/// One finished step: what it did, and how long it took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportProgress {
    /// Which step.
    pub stage: ImportStage,
    /// What it did, in words, with sizes.
    pub detail: String,
    /// How long it took.
    pub elapsed: Duration,
}

/// A bundle the hub accepted and stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The community whose changes it carried.
    pub community: CommunityCode,
    /// The community's name, from its document (empty if the figures could not say).
    pub name: String,
    /// Who issued it: the community's node, or a district hub.
    pub issuer: PublicKey,
    /// The bundle's seq, now the last accepted from its issuer.
    pub seq: u64,
    /// The bundle's size in bytes.
    pub bytes: u64,
    /// How many of its changes were new to the hub.
    pub new_changes: usize,
    /// The community document's heads at the hub afterwards, sorted.
    pub heads: Vec<ChangeHash>,
    /// How far the community's own signed heads vouch for those heads.
    pub coverage: Coverage,
    /// Why the figures were not re-derived, if they were not (the data is stored
    /// anyway; a starting hub re-derives every community).
    pub figures_problem: Option<String>,
}

/// Why an import did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The bundle failed a check: nothing was applied or stored.
    #[error("refused: {0}; nothing was applied")]
    Refused(BundleError),
    /// The file could not be read.
    #[error("cannot read the bundle {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// The hub's store failed; nothing was stored unless it says otherwise.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The hub's copy of the document could not be used.
    #[error(transparent)]
    Hub(#[from] HubError),
    /// The bundle would take the community past its quota ([`crate::quota`]).
    #[error("refused: {0}; nothing was applied")]
    OverQuota(String),
}

impl IssuerState {
    /// The standing of `issuer` on the hub's roster and the seq of the last bundle
    /// accepted from it. A node's key may speak for its own community, a district
    /// hub's for its region.
    pub fn load(store: &(impl HubStore + ?Sized), issuer: &PublicKey) -> Result<Self, StoreError> {
        let standing = match store.enrollment(issuer)? {
            None => KeyStanding::Unknown,
            Some(enrollment) => match (enrollment.revoked, enrollment.role) {
                (Some(revocation), _) => KeyStanding::Revoked { at: revocation.at },
                (None, EnrolledRole::Node { community }) => KeyStanding::Active {
                    scope: community.as_region(),
                },
                (None, EnrolledRole::Hub { scope }) => KeyStanding::Active { scope },
            },
        };
        Ok(Self {
            issuer: *issuer,
            standing,
            last: store.last_bundle_seq(issuer)?,
        })
    }
}

impl ReceiverState for IssuerState {
    fn known_key(&self, key: &PublicKey) -> KeyStanding {
        if *key == self.issuer {
            self.standing.clone()
        } else {
            KeyStanding::Unknown
        }
    }

    fn last_accepted(&self, issuer: &PublicKey) -> Option<u64> {
        if *issuer == self.issuer {
            self.last
        } else {
            None
        }
    }
}

impl fmt::Display for ImportStage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Reading => "reading",
            Self::Verifying => "verifying",
            Self::Applying => "applying",
            Self::Storing => "storing",
            Self::Attesting => "attesting",
            Self::Figures => "figures",
        })
    }
}

impl fmt::Display for ImportProgress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:<9} {} ({} ms)",
            self.stage,
            self.detail,
            self.elapsed.as_millis()
        )
    }
}

impl Accepted {
    /// The verdict line: "accepted: N new changes of community X (name), attested up
    /// to seq S", or how far the data is attested if not wholly.
    pub fn verdict(&self) -> String {
        let name = if self.name.is_empty() {
            String::new()
        } else {
            format!(" ({})", self.name)
        };
        let attested = match &self.coverage {
            Coverage::Attested { seq, at } => format!(
                "attested up to seq {seq} (signed by the community on {})",
                at.display_in_shanghai()
            ),
            Coverage::Unattested { heads } => format!(
                "NOT wholly attested: {} head(s) are not signed by the community; the data is kept and flagged",
                heads.len()
            ),
            Coverage::NoAttestation => {
                "NOT attested: the bundle carries no signed heads of the community; the data is kept and flagged".to_owned()
            }
            Coverage::NoEnrolledKey => {
                "NOT attested: the community has no enrolled key at this hub to check its signed heads with".to_owned()
            }
            Coverage::BadAttestation { reason } => format!(
                "NOT attested: the community's signed heads do not verify ({reason}); the data is kept and flagged"
            ),
        };
        format!(
            "accepted: {} new changes of community {}{name}, {attested}; bundle seq {} from key {}",
            self.new_changes,
            self.community,
            self.seq,
            self.issuer.short()
        )
    }

    /// The verdict, and a line if the figures were not re-derived.
    pub fn report(&self) -> String {
        match &self.figures_problem {
            None => self.verdict(),
            Some(problem) => format!(
                "{}\nthe figures were not re-derived ({problem}); a running hub tries again at once, a stopped one when it starts",
                self.verdict()
            ),
        }
    }

    /// Whether the community's signed heads cover all of its document at the hub.
    pub fn is_attested(&self) -> bool {
        matches!(self.coverage, Coverage::Attested { .. })
    }
}

/// Imports the bundle in `path` into `hub` at `now`; see the module doc. The file's
/// size is checked against the limit before it is read.
pub fn import_file(
    hub: &Hub,
    path: &Path,
    now: Timestamp,
    progress: &mut dyn FnMut(ImportProgress),
) -> Result<Accepted, ImportError> {
    let bytes = read_bundle_file(path, progress)?;
    import_bundle(hub, &bytes, now, progress)
}

/// Reads a bundle file whose size is within the limit, reporting the step.
pub fn read_bundle_file(
    path: &Path,
    progress: &mut dyn FnMut(ImportProgress),
) -> Result<Vec<u8>, ImportError> {
    let started = Instant::now();
    let read_error = |source| ImportError::Read {
        path: path.display().to_string(),
        source,
    };
    let limits = Limits::default();
    let size = std::fs::metadata(path).map_err(read_error)?.len();
    if size > limits.max_bytes {
        return Err(ImportError::Refused(BundleError::Oversized {
            size,
            limit: limits.max_bytes,
        }));
    }
    let bytes = std::fs::read(path).map_err(read_error)?;
    progress(ImportProgress {
        stage: ImportStage::Reading,
        detail: format!("{} from {}", size_text(bytes.len() as u64), path.display()),
        elapsed: started.elapsed(),
    });
    Ok(bytes)
}

/// Imports a bundle's bytes into `hub` at `now`; see the module doc.
pub fn import_bundle(
    hub: &Hub,
    bytes: &[u8],
    now: Timestamp,
    progress: &mut dyn FnMut(ImportProgress),
) -> Result<Accepted, ImportError> {
    let store = hub.store();

    let started = Instant::now();
    let bundle = Bundle::decode(bytes, &Limits::default()).map_err(ImportError::Refused)?;
    let issuer = bundle.header().issuer;
    let state = IssuerState::load(store.as_ref(), &issuer)?;
    let verified = bundle
        .verify(&Receiver::new(hub.public_key(), now), &state)
        .map_err(ImportError::Refused)?;
    let header = verified.header();
    if header.kind != BundleKind::Changes {
        return Err(ImportError::Refused(BundleError::WrongKind {
            expected: BundleKind::Changes,
            found: header.kind,
        }));
    }
    let Some(community) = header.community else {
        return Err(ImportError::Refused(BundleError::Malformed {
            field: "community",
            reason: "a changes bundle names its community",
        }));
    };
    let seq = header.seq;
    let size = bytes.len() as u64;
    progress(ImportProgress {
        stage: ImportStage::Verifying,
        detail: format!(
            "seq {seq} from key {} for community {community}: signature, expiry, seq and payload hash hold ({} of changes)",
            issuer.short(),
            size_text(verified.payload().len() as u64)
        ),
        elapsed: started.elapsed(),
    });

    let receipt = BundleReceipt {
        issuer,
        seq,
        hash: verified.hash(),
        previous: header.previous,
    };
    let applied = hub.update_community(community, |doc| {
        let started = Instant::now();
        let before = doc.get_heads();
        let applied = verified
            .apply_changes_automerge(doc)
            .map_err(ImportError::Refused)?;
        progress(ImportProgress {
            stage: ImportStage::Applying,
            detail: format!(
                "{} new changes; the document now has {} head(s)",
                applied.new_changes,
                applied.heads.len()
            ),
            elapsed: started.elapsed(),
        });
        let started = Instant::now();
        let chunk = if applied.new_changes > 0 {
            doc.save_after(&before)
        } else {
            Vec::new()
        };
        // A bundle counts against the community's quota as a sync message does: a
        // compromised node must not fill the hub by USB either.
        let stored = store.chunk_stats(StoredDoc::Community(community))?.bytes;
        let growth = Growth::since(doc, &before, stored + chunk.len() as u64);
        if let Err(reason) = hub.quota_book().admit(community, growth, now) {
            hub.metrics().quota_refused();
            return Err(ImportError::OverQuota(reason));
        }
        store
            .accept_bundle(StoredDoc::Community(community), &chunk, &receipt, now)
            .map_err(|error| match error {
                // Another import took the seq between the check and this transaction.
                StoreError::BundleNotNewer { seq, last } if seq == last => {
                    ImportError::Refused(BundleError::Replayed { seq })
                }
                StoreError::BundleNotNewer { seq, last } => {
                    ImportError::Refused(BundleError::OlderThanAccepted { seq, last })
                }
                other => ImportError::Store(other),
            })?;
        progress(ImportProgress {
            stage: ImportStage::Storing,
            detail: format!(
                "{} of changes and seq {seq} in one transaction",
                size_text(chunk.len() as u64)
            ),
            elapsed: started.elapsed(),
        });
        Ok::<_, ImportError>(applied)
    })?;

    let started = Instant::now();
    let enrolled = store.community_key(community)?;
    let coverage = verified.attestation_covers(&applied.heads, enrolled.as_ref());
    // Signed heads that verify against the community's key are recorded whatever they
    // cover, as a sync session records them: the hub counts how much is attested.
    let recorded = match (&header.attestation, &enrolled) {
        (Some(signed), Some(key)) => match signed.verify_by(key) {
            Ok(attested) => {
                store.record_attestation(&attested, now)?;
                format!("signed heads seq {} recorded", attested.seq())
            }
            Err(error) => format!("signed heads not recorded: {error}"),
        },
        (Some(_), None) => "signed heads not recorded: the community has no enrolled key".into(),
        (None, _) => "no signed heads in the bundle".into(),
    };
    progress(ImportProgress {
        stage: ImportStage::Attesting,
        detail: recorded,
        elapsed: started.elapsed(),
    });

    // The community's changes reached the hub, by USB stick rather than by network: it
    // counts as seen now, as a sync session would make it (sync health, 24 h).
    store.record_seen(community, now)?;

    let started = Instant::now();
    let figures_problem = refresh_figures(hub, community).err();
    let name = hub
        .figures()
        .read(|db| figures::region_name(db, &community.as_region()))
        .ok()
        .flatten()
        .unwrap_or_default();
    progress(ImportProgress {
        stage: ImportStage::Figures,
        detail: match &figures_problem {
            None => format!("re-derived for community {community}"),
            Some(problem) => format!("NOT re-derived: {problem}"),
        },
        elapsed: started.elapsed(),
    });

    Ok(Accepted {
        community,
        name,
        issuer,
        seq,
        bytes: size,
        new_changes: applied.new_changes,
        heads: applied.heads,
        coverage,
        figures_problem,
    })
}

/// Re-derives a community's figures (the store's open made their tables).
fn refresh_figures(hub: &Hub, community: CommunityCode) -> Result<(), String> {
    refresh_one(hub, community).map_err(|error| format!("{error:#}"))
}

/// A size for people: bytes, KiB or MiB.
fn size_text(bytes: u64) -> String {
    const KIB: u64 = 1024;
    if bytes < 10 * KIB {
        format!("{bytes} bytes")
    } else if bytes < 10 * KIB * KIB {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{} MiB", bytes / (KIB * KIB))
    }
}
