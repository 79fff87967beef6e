//! Between districts: a hub sends a peer district hub the community documents it is
//! entitled to, as signed bundles.
//!
//! The entitlement is the one the work needs: a unit organisation's party committee
//! sits in one district, but its members live and serve in communities all over the
//! city; the district that holds the organisation may have the documents of the
//! communities where its members live. Each bundle is issued by this hub, addressed to
//! the peer's key, and carries the community's own signed heads, so the peer checks
//! both who carried it and that the community wrote it (`wishtree-hub import`). The
//! bundles' seq and chain are this hub's settings, as a node's are its own.

use std::path::{Path, PathBuf};

use anyhow::Context;
use wishtree_protocol::bundle::{Audience, Envelope, NewBundle, bundle_hash};
use wishtree_protocol::keys::{KeyPair, PublicKey};
use wishtree_protocol::uscc::CreditCode;
use wishtree_protocol::{CommunityCode, CommunityDoc, Timestamp};

use crate::figure_store::FigureStore;
use crate::sql::{DbExt, params};
use crate::store::{HubStore, StoredDoc};

/// The setting holding the seq of the last bundle this hub issued.
const BUNDLE_SEQ: &str = "bundle_seq";
/// The setting holding the hash of the last bundle this hub issued (hex).
const BUNDLE_PREVIOUS: &str = "bundle_previous";
/// How long a peer accepts the bundles.
const VALID_FOR_MS: i64 = 30 * 24 * 60 * 60 * 1000;

/// One bundle written for a peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// The community.
    pub community: CommunityCode,
    /// The file.
    pub file: PathBuf,
    /// Its size.
    pub bytes: usize,
    /// Whether the community's own signed heads went with it.
    pub is_attested: bool,
}

/// The communities where members of the unit `unit` live (of any of its party
/// organisations: its own or a branch), from the figure tables.
pub fn communities_of_org(
    figures: &FigureStore,
    unit: &CreditCode,
) -> anyhow::Result<Vec<CommunityCode>> {
    let codes: Vec<String> = figures.read(|db| {
        db.query_map(
            "SELECT DISTINCT community FROM fig_members
             WHERE org IN (SELECT id FROM fig_orgs WHERE credit_code = ?1) ORDER BY community",
            params![unit.as_str()],
            |row| row.get(0),
        )
    })?;
    codes
        .iter()
        .map(|code| {
            code.parse::<CommunityCode>()
                .map_err(|error| anyhow::anyhow!("a stored community code is bad: {error}"))
        })
        .collect()
}

/// Writes one bundle per community where members of the unit live into `out_dir`, for
/// the hub whose key is `peer`, in the order of their seqs (the order the peer must
/// import them in).
pub fn send_org_communities(
    store: &dyn HubStore,
    figures: &FigureStore,
    key: &KeyPair,
    unit: &CreditCode,
    peer: PublicKey,
    out_dir: &Path,
    now: Timestamp,
) -> anyhow::Result<Vec<Sent>> {
    let communities = communities_of_org(figures, unit)?;
    std::fs::create_dir_all(out_dir)
        .with_context(|| format!("cannot create {}", out_dir.display()))?;
    let mut sent = Vec::new();
    for community in communities {
        let Some(bytes) = store.doc_bytes(StoredDoc::Community(community))? else {
            continue;
        };
        let mut doc = CommunityDoc::load(&bytes, Some(community), [0; 16])
            .with_context(|| format!("the stored document of {community} does not load"))?;
        let attestation = store.attestation(community)?;
        let seq = store
            .setting(BUNDLE_SEQ)?
            .and_then(|text| text.parse::<u64>().ok())
            .unwrap_or(0)
            + 1;
        let previous = store
            .setting(BUNDLE_PREVIOUS)?
            .and_then(|text| hex::FromHex::from_hex(&text).ok());
        let is_attested = attestation.is_some();
        let bundle = NewBundle::changes(
            &mut doc,
            &[],
            attestation,
            Envelope {
                audience: Audience::Key(peer),
                seq,
                previous,
                issued_at: now,
                expires_at: now.plus_millis(VALID_FOR_MS),
            },
        )
        .sign(key);
        // The seq is stored before the file is written: a failed write leaves a gap in
        // the seqs, which the format allows, never a seq used twice.
        store.set_setting(BUNDLE_SEQ, &seq.to_string())?;
        store.set_setting(BUNDLE_PREVIOUS, &hex::encode(bundle_hash(&bundle)))?;
        let file = out_dir.join(bundle_file_name(seq, community));
        std::fs::write(&file, &bundle)
            .with_context(|| format!("cannot write {}", file.display()))?;
        sent.push(Sent {
            community,
            file,
            bytes: bundle.len(),
            is_attested,
        });
    }
    Ok(sent)
}

/// The file name of a bundle: its seq first, zero-padded, so that listing the folder
/// shows the bundles in the order the peer must import them (an earlier seq imported
/// after a later one is refused as a rollback).
fn bundle_file_name(seq: u64, community: CommunityCode) -> String {
    format!("{seq:06}-{community}.wtb")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn bundle_files_list_in_the_order_they_must_be_imported() {
        let community: CommunityCode = "130903001001".parse().unwrap();
        let other: CommunityCode = "130902001001".parse().unwrap();
        let mut names = vec![
            bundle_file_name(10, other),
            bundle_file_name(9, community),
            bundle_file_name(100, community),
        ];
        names.sort();
        assert_eq!(
            names,
            [
                "000009-130903001001.wtb",
                "000010-130902001001.wtb",
                "000100-130903001001.wtb"
            ]
        );
    }
}
