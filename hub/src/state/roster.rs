//! The roster at the hub: who may sync what (admission), its version for the district
//! hubs' sessions, and the signed roster passed down to them or received from above.

use wishtree_protocol::frame::{DocId, Hello, Scope};
use wishtree_protocol::keys::PublicKey;
use wishtree_protocol::roster::{
    Revocation as RosterRevocation, Role as RosterRole, Roster, RosterEntry, RosterError,
    SignedRoster,
};
use wishtree_protocol::sync::{Access, Grant};
use wishtree_protocol::{RegionPrefix, Timestamp};

use super::{Hub, HubError};
use crate::store::{EnrolledRole, Enrollment, HubStore, StoreError};

pub(super) fn roster_version_of(store: &dyn HubStore) -> Result<i64, StoreError> {
    Ok(store
        .enrollments()?
        .iter()
        .map(|enrollment| {
            enrollment
                .revoked
                .as_ref()
                .map_or(enrollment.enrolled_at, |revocation| revocation.at)
                .as_millis()
                .max(enrollment.enrolled_at.as_millis())
        })
        .max()
        .unwrap_or(0))
}

/// The setting holding the signed roster received from the hub above (hex).
const RECEIVED_ROSTER: &str = "received_roster";
/// The setting holding that roster's version.
const RECEIVED_ROSTER_VERSION: &str = "received_roster_version";

impl Hub {
    /// Tells of every new roster version.
    pub fn subscribe_roster(&self) -> tokio::sync::watch::Receiver<i64> {
        self.roster_version.subscribe()
    }

    /// Reads the roster's version from the store (enrolment and revocation are
    /// commands of another process) and tells the sessions if it changed.
    pub fn check_roster(&self) -> Result<bool, HubError> {
        let version = roster_version_of(self.store.as_ref())?;
        let changed = self.roster_version.send_if_modified(|held| {
            let changed = *held != version;
            *held = version;
            changed
        });
        if changed {
            // A revoked node's community is flagged in the figures: its data stays.
            for enrollment in self.store.enrollments()? {
                if let (EnrolledRole::Node { community }, Some(_)) =
                    (&enrollment.role, &enrollment.revoked)
                {
                    self.mark_dirty(*community);
                }
            }
        }
        Ok(changed)
    }

    /// The roster this hub hands the district hubs below it, signed: the one it
    /// received from above, if it has one; else its own, signed by its key (the city
    /// hub's key is the city key).
    pub fn signed_roster(&self, now: Timestamp) -> Result<Vec<u8>, HubError> {
        if let Some(received) = self.store.setting(RECEIVED_ROSTER)?
            && let Ok(bytes) = hex::decode(&received)
        {
            return Ok(bytes);
        }
        let mut entries = Vec::new();
        let mut revoked = Vec::new();
        let mut version = 0i64;
        for enrollment in self.store.enrollments()? {
            version = version.max(enrollment.enrolled_at.as_millis());
            entries.push(RosterEntry {
                key: enrollment.key,
                role: match enrollment.role {
                    EnrolledRole::Node { community } => RosterRole::Node { community },
                    EnrolledRole::Hub { scope } => RosterRole::Hub { scope },
                },
                enrolled_at: enrollment.enrolled_at,
            });
            if let Some(revocation) = enrollment.revoked {
                version = version.max(revocation.at.as_millis());
                revoked.push(RosterRevocation {
                    key: enrollment.key,
                    at: revocation.at,
                    reason: revocation.reason,
                });
            }
        }
        // The version grows with every enrolment and revocation: it is the time of the
        // latest one.
        let roster = Roster {
            city: self.city.clone(),
            version: u64::try_from(version).unwrap_or(0),
            issued_at: now,
            entries,
            revoked,
        };
        Ok(roster.sign(&self.key).to_bytes())
    }

    /// Checks a roster received from the hub above (`city_key`) and, if it is newer than
    /// the one held, makes it this hub's roster: its enrolments and revocations are
    /// applied to the store.
    pub fn install_roster(&self, city_key: &PublicKey, bytes: &[u8]) -> Result<(), HubError> {
        let signed =
            SignedRoster::from_bytes(bytes).map_err(|error| HubError::Roster(error.to_string()))?;
        let held = self
            .store
            .setting(RECEIVED_ROSTER_VERSION)?
            .and_then(|text| text.parse::<u64>().ok());
        let roster = match signed.accept(city_key, held) {
            Ok(roster) => roster,
            // The same roster again is the usual case on every reconnect.
            Err(RosterError::SameVersion { .. }) => return Ok(()),
            Err(error) => return Err(HubError::Roster(error.to_string())),
        };
        if roster.city != self.city {
            return Err(HubError::Roster(format!(
                "the roster is of city {}, this hub serves {}",
                roster.city.padded(),
                self.city.padded()
            )));
        }
        for revocation in &roster.revoked {
            if let Some(enrollment) = self.store.enrollment(&revocation.key)?
                && enrollment.revoked.is_none()
            {
                self.store
                    .revoke(&revocation.key, revocation.at, &revocation.reason)?;
            }
        }
        for entry in &roster.entries {
            if roster
                .revoked
                .iter()
                .any(|revocation| revocation.key == entry.key)
            {
                continue;
            }
            if self.store.enrollment(&entry.key)?.is_none() {
                let role = match &entry.role {
                    RosterRole::Node { community } => EnrolledRole::Node {
                        community: *community,
                    },
                    RosterRole::Hub { scope } => EnrolledRole::Hub {
                        scope: scope.clone(),
                    },
                };
                self.store.enroll(entry.key, role, entry.enrolled_at)?;
            }
        }
        self.store
            .set_setting(RECEIVED_ROSTER_VERSION, &roster.version.to_string())?;
        self.store
            .set_setting(RECEIVED_ROSTER, &hex::encode(signed.to_bytes()))?;
        self.check_roster()?;
        tracing::info!(
            "installed the city's roster version {} ({} keys, {} revoked)",
            roster.version,
            roster.entries.len(),
            roster.revoked.len()
        );
        Ok(())
    }

    /// The documents a peer's key may sync (for a district hub, those the hub holds
    /// under its scope now). Empty for an unknown or revoked key.
    pub fn docs_of(&self, peer: &PublicKey) -> Vec<DocId> {
        let Ok(Some(enrollment)) = self.store.enrollment(peer) else {
            return Vec::new();
        };
        if enrollment.revoked.is_some() {
            return Vec::new();
        }
        let mut docs = match enrollment.role {
            EnrolledRole::Node { community } => {
                vec![DocId::Community(community), DocId::Inbox(community)]
            }
            EnrolledRole::Hub { scope } => self
                .store
                .communities()
                .unwrap_or_default()
                .into_iter()
                .filter(|record| scope.contains(&record.community))
                .map(|record| DocId::Community(record.community))
                .collect(),
        };
        docs.push(DocId::City);
        docs
    }

    /// The communities under `prefix` the hub holds documents of.
    pub fn communities_in(&self, prefix: &RegionPrefix) -> Vec<DocId> {
        self.store
            .communities()
            .unwrap_or_default()
            .into_iter()
            .filter(|record| prefix.contains(&record.community))
            .map(|record| DocId::Community(record.community))
            .collect()
    }

    /// Admits a peer by its roster entry, which it returns beside the grant (the
    /// session's first roster offer reads it from there, not from the store again).
    pub(crate) fn admit(
        &self,
        peer: &PublicKey,
        hello: &Hello,
        now: Timestamp,
    ) -> Result<(Grant, Enrollment), String> {
        let enrollment = match self.store.enrollment(peer) {
            Ok(Some(enrollment)) => enrollment,
            Ok(None) => {
                return Err(format!(
                    "本节点尚未在市级枢纽登记，请把本节点密钥交给市级枢纽管理员 — this node is not enrolled at the city hub: give the city hub's operator this key: {peer}"
                ));
            }
            Err(error) => return Err(format!("the hub cannot read its roster: {error}")),
        };
        let grant = self.admit_enrolled(&enrollment, hello, now)?;
        Ok((grant, enrollment))
    }

    fn admit_enrolled(
        &self,
        enrollment: &Enrollment,
        hello: &Hello,
        now: Timestamp,
    ) -> Result<Grant, String> {
        let peer = &enrollment.key;
        if let Some(revocation) = &enrollment.revoked {
            return Err(format!(
                "本节点密钥已被市级枢纽吊销，请联系市级枢纽管理员 — this node's key was revoked at the city on {} ({}): ask the city hub's operator to enroll this node's key again or a new one (wishtree-node rotate-key): {peer}",
                revocation.at.display_in_shanghai(),
                revocation.reason
            ));
        }
        match (&enrollment.role, &hello.scope) {
            (EnrolledRole::Node { community }, Scope::Community(asked)) if community == asked => {
                self.mark_seen(*community, now);
                let mut grant = vec![
                    (DocId::Community(*community), Access::ReadWrite),
                    (DocId::City, Access::ReadOnly),
                ];
                // Only a node that asks for its inbox knows the document: an older node
                // would take it for a document outside its scope.
                let inbox = DocId::Inbox(*community);
                if hello.docs.iter().any(|held| held.doc == inbox) {
                    grant.push((inbox, Access::ReadOnly));
                }
                Ok(Grant { docs: grant })
            }
            (EnrolledRole::Hub { scope }, Scope::Region(asked)) if scope.covers(asked) => {
                // What this hub holds under the region, and what the district hub holds
                // that this one has not seen yet.
                let mut docs: Vec<DocId> = self.communities_in(asked);
                docs.extend(
                    hello.docs.iter().map(|held| held.doc).filter(
                        |doc| matches!(doc, DocId::Community(code) if asked.contains(code)),
                    ),
                );
                docs.sort();
                docs.dedup();
                let mut grant: Vec<(DocId, Access)> = docs
                    .into_iter()
                    .map(|doc| (doc, Access::ReadWrite))
                    .collect();
                grant.push((DocId::City, Access::ReadOnly));
                Ok(Grant { docs: grant })
            }
            (role, asked) => Err(format!(
                "本密钥登记的范围不同 — this key is enrolled at the hub as {role}, and may not sync {asked}"
            )),
        }
    }
}
