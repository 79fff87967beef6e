//! Per-community quotas: what one enrolled node may put into the hub.
//!
//! A node is an office PC; a compromised one holds a valid key and could send changes
//! without end and fill the city hub's disk. Every merge of a community's document is
//! checked against three bounds, set by the operator and generous by default (about 50
//! times what a large community writes):
//!
//! - the document's stored size ([`Quotas::document_bytes`]), which bounds the disk
//!   one community can take;
//! - the size of one change ([`Quotas::change_bytes`]): the node's own rules keep a
//!   record's texts short, so a huge change is a huge entity or text it did not check;
//! - the rate of new changes ([`Quotas::changes_per_minute`]), a bucket that refills at
//!   that rate up to an hour's worth. A message is taken while the bucket is not empty,
//!   even if it holds more changes than are left (the bucket goes into debt and must
//!   refill first), so that a node back after days offline, or a hub restored from an
//!   older backup, always gets its whole catch-up through in one message.
//!
//! A message past a bound is refused whole, before anything is stored: the session
//! ends with the reason, which the node shows in its status bar; the hub keeps what it
//! had and notes the refusal for its health page; every other community keeps
//! syncing. The bounds are per hub process (a second process on a shared store has
//! buckets of its own).

use std::collections::HashMap;
use std::sync::Mutex;

use wishtree_protocol::{CommunityCode, RegionPrefix, Timestamp};

/// The bounds on one community's document, per hub process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quotas {
    /// The largest stored size of a community's document, in bytes.
    pub document_bytes: u64,
    /// The largest single change, in bytes.
    pub change_bytes: u64,
    /// New changes per minute, sustained.
    pub changes_per_minute: u64,
}

impl Quotas {
    /// The defaults: a large community's document is a few MiB after years of use, its
    /// node writes a few changes a minute in office hours, and no record's change is
    /// above a few KiB.
    pub const DEFAULT: Self = Self {
        document_bytes: 256 * MIB,
        change_bytes: MIB,
        changes_per_minute: 600,
    };
}

impl Default for Quotas {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Bytes in a MiB.
pub const MIB: u64 = 1024 * 1024;

/// What a merge adds to a community's document, as the quota sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Growth {
    /// The stored size after the merge.
    pub stored_bytes: u64,
    /// How many new changes.
    pub changes: u64,
    /// The largest of them, in bytes.
    pub largest_change: u64,
}

impl Growth {
    /// What `document` gained since `before`, to be stored as `stored_bytes` in all.
    pub fn since(
        document: &mut automerge::AutoCommit,
        before: &[automerge::ChangeHash],
        stored_bytes: u64,
    ) -> Self {
        let (changes, largest_change) = document
            .get_changes(before)
            .iter()
            .fold((0, 0), |(count, largest), change| {
                (count + 1, largest.max(change.raw_bytes().len() as u64))
            });
        Self {
            stored_bytes,
            changes,
            largest_change,
        }
    }
}

/// A merge refused past a bound, as the health page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaRefusal {
    /// The community.
    pub community: CommunityCode,
    /// When it was last refused.
    pub at: Timestamp,
    /// Why, as the node was told.
    pub reason: String,
    /// How many messages were refused since this process started.
    pub count: u64,
}

/// The buckets and the refusals of one hub process.
#[derive(Debug, Default)]
pub struct QuotaBook {
    quotas: Quotas,
    /// Changes each community may still send now (negative: in debt), and when the
    /// bucket was last filled.
    buckets: Mutex<HashMap<CommunityCode, (f64, Timestamp)>>,
    refusals: Mutex<HashMap<CommunityCode, QuotaRefusal>>,
}

impl QuotaBook {
    /// A book with these bounds and every bucket full.
    pub fn new(quotas: Quotas) -> Self {
        Self {
            quotas,
            ..Self::default()
        }
    }

    /// The bounds.
    pub fn quotas(&self) -> Quotas {
        self.quotas
    }

    /// Checks a merge into `community`'s document; taken, its changes are drawn from
    /// the bucket. Refused, the reason (in the words the node shows its worker) is
    /// noted for the health page.
    pub fn admit(
        &self,
        community: CommunityCode,
        growth: Growth,
        now: Timestamp,
    ) -> Result<(), String> {
        let refused = self.check(community, growth, now);
        if let Err(reason) = &refused {
            let mut refusals = lock(&self.refusals);
            let entry = refusals.entry(community).or_insert_with(|| QuotaRefusal {
                community,
                at: now,
                reason: String::new(),
                count: 0,
            });
            entry.at = now;
            entry.reason.clone_from(reason);
            entry.count += 1;
        }
        refused
    }

    fn check(
        &self,
        community: CommunityCode,
        growth: Growth,
        now: Timestamp,
    ) -> Result<(), String> {
        let quotas = self.quotas;
        if growth.largest_change > quotas.change_bytes {
            return Err(format!(
                "community {community}: a change of {} is over the hub's bound of {} per change; no record is that large, so the node's data is suspect: the hub keeps what it had, ask the city's operator",
                bytes(growth.largest_change),
                bytes(quotas.change_bytes)
            ));
        }
        if growth.stored_bytes > quotas.document_bytes {
            return Err(format!(
                "community {community}: the document would be {} at the hub, over its quota of {}: the hub keeps what it had, ask the city's operator (wishtree-hub run --quota-document-mib)",
                bytes(growth.stored_bytes),
                bytes(quotas.document_bytes)
            ));
        }
        let per_minute = quotas.changes_per_minute as f64;
        let full = per_minute * 60.0;
        let mut buckets = lock(&self.buckets);
        let (tokens, filled) = buckets.entry(community).or_insert((full, now));
        let minutes = now.as_millis().saturating_sub(filled.as_millis()).max(0) as f64 / 60_000.0;
        *tokens = (*tokens + minutes * per_minute).min(full);
        *filled = now;
        if *tokens <= 0.0 && growth.changes > 0 {
            let wait = (-*tokens / per_minute.max(f64::MIN_POSITIVE))
                .ceil()
                .max(1.0);
            return Err(format!(
                "community {community}: more than {} changes a minute reach the hub from this node; try again in {wait} minutes: the hub keeps what it had, ask the city's operator if this community writes that much",
                quotas.changes_per_minute
            ));
        }
        *tokens -= growth.changes as f64;
        Ok(())
    }

    /// The communities refused since this process started, in `region`, the latest
    /// first.
    pub fn refusals_in(&self, region: &RegionPrefix) -> Vec<QuotaRefusal> {
        let mut refusals: Vec<_> = lock(&self.refusals)
            .values()
            .filter(|refusal| region.contains(&refusal.community))
            .cloned()
            .collect();
        refusals.sort_by(|a, b| b.at.cmp(&a.at).then(a.community.cmp(&b.community)));
        refusals
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while a map is held cannot leave an entry half-written.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn bytes(count: u64) -> String {
    if count >= MIB {
        format!("{:.1} MiB", count as f64 / MIB as f64)
    } else {
        format!("{:.1} KiB", count as f64 / 1024.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn community() -> CommunityCode {
        "130903001001".parse().unwrap()
    }

    fn growth(changes: u64) -> Growth {
        Growth {
            stored_bytes: 1000,
            changes,
            largest_change: 100,
        }
    }

    fn minutes(n: i64) -> Timestamp {
        Timestamp::from_millis(1_800_000_000_000 + n * 60_000)
    }

    fn book() -> QuotaBook {
        QuotaBook::new(Quotas {
            document_bytes: 10_000,
            change_bytes: 500,
            changes_per_minute: 10,
        })
    }

    #[test]
    fn a_catch_up_larger_than_the_bucket_is_taken_and_then_the_bucket_must_refill() {
        let book = book();
        // An hour's worth is 600 changes; a week offline brings more, in one message.
        assert_eq!(book.admit(community(), growth(5000), minutes(0)), Ok(()));
        let refused = book.admit(community(), growth(1), minutes(1)).unwrap_err();
        assert!(
            refused.contains("more than 10 changes a minute"),
            "{refused}"
        );
        // 4,400 changes in debt at 10 a minute: 440 minutes, and then some.
        assert!(book.admit(community(), growth(1), minutes(439)).is_err());
        assert_eq!(book.admit(community(), growth(1), minutes(441)), Ok(()));
        let listed = book.refusals_in(&"130903".parse().unwrap());
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].count, 2);
        assert!(book.refusals_in(&"130904".parse().unwrap()).is_empty());
    }

    #[test]
    fn a_large_change_or_document_is_refused_and_another_community_is_not_held_up() {
        let book = book();
        let large_change = Growth {
            largest_change: 501,
            ..growth(1)
        };
        let refused = book
            .admit(community(), large_change, minutes(0))
            .unwrap_err();
        assert!(refused.contains("over the hub's bound"), "{refused}");
        let large_document = Growth {
            stored_bytes: 10_001,
            ..growth(1)
        };
        let refused = book
            .admit(community(), large_document, minutes(0))
            .unwrap_err();
        assert!(refused.contains("over its quota of 9.8 KiB"), "{refused}");
        let other: CommunityCode = "130903001002".parse().unwrap();
        assert_eq!(book.admit(other, growth(600), minutes(0)), Ok(()));
    }
}
