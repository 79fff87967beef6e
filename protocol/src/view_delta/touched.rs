//! What a change touched: the operations of the changes since the earlier heads, each
//! placed by its object's path from the root, give the root collection and the key of
//! every entity written; a key that is not an id, or a collection other rows read,
//! sends the change to the whole view ([`super::Derivation::Whole`]).

use std::collections::{BTreeMap, BTreeSet};

use automerge::{ChangeHash, Prop, ReadDoc};

use super::{WholeReason, read_one};
use crate::doc::{CommunityDoc, DocError};
use crate::id::{
    ActivityId, MemberId, OrgId, PairingId, PointsEntryId, PostId, ProjectId, RoundId, ServiceId,
    VolunteerId, VolunteerServiceId, WishId,
};
use crate::model::Void;

/// The entities a change touched, by collection: each one's rows are rewritten, and
/// one that is gone (absent from [`EntityDelta`](super::EntityDelta)'s maps) has its rows removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Touched {
    /// Wishes.
    pub wishes: BTreeSet<WishId>,
    /// Members' service records.
    pub services: BTreeSet<ServiceId>,
    /// Passbook entries, the ones touched records earn included.
    pub passbook: BTreeSet<PointsEntryId>,
    /// Activities, whose participations are rewritten with them.
    pub activities: BTreeSet<ActivityId>,
    /// Pairings.
    pub pairings: BTreeSet<PairingId>,
    /// Projects, whose units and credits are rewritten with them.
    pub projects: BTreeSet<ProjectId>,
    /// Volunteers' service records.
    pub volunteer_services: BTreeSet<VolunteerServiceId>,
    /// Service posts, whose seats are rewritten with them.
    pub posts: BTreeSet<PostId>,
    /// Members the change created or edited: their rows are written, and the rows
    /// naming them carry their organisation as it is now.
    pub members: BTreeSet<MemberId>,
    /// Organisations the change created, or edited without touching what their
    /// citywide id derives from: their row is written.
    pub orgs: BTreeSet<OrgId>,
    /// Rounds the change made or edited: the wishes naming them are read again (their
    /// rows carry the round's name).
    pub rounds: BTreeSet<RoundId>,
    /// Volunteers the change registered or edited: their row is written, and the rows
    /// of the wishes and records naming them carry their kind as it is now.
    pub volunteers: BTreeSet<VolunteerId>,
}

/// The collections the view reads at the document root, and its root keys.
const READ_BY_VIEW: [&str; 20] = [
    "members",
    "orgs",
    "pairings",
    "branches",
    "teams",
    "posts",
    "wishes",
    "projects",
    "activities",
    "services",
    "passbook",
    "scoring",
    "benefits",
    "volunteers",
    "volunteer_services",
    "rounds",
    "voids",
    "community",
    "schema",
    "rules",
];

/// The entities the change from `before` to the document's heads touched: each
/// operation of the changes since names its object, whose path from the root (with
/// the operation's own key) names the root collection and the entity's key. A key
/// that is not an id, or a collection other rows read, ends the walk.
///
/// The operations are read rather than automerge's `diff(before, after)`: a diff
/// walks every operation of the document to compare what was visible at both heads,
/// which costs about what reading the whole view does; the changes since are a few
/// operations. An operation whose effect is hidden (a losing conflict) still counts
/// as touching its entity, which rewrites rows that come out the same.
pub(super) fn touched_since(
    doc: &mut CommunityDoc,
    before: &[ChangeHash],
) -> Result<Result<Touched, WholeReason>, DocError> {
    let automerge = doc.automerge_mut();
    if before.is_empty()
        || before
            .iter()
            .any(|head| automerge.get_change_meta_by_hash(head).is_none())
    {
        return Ok(Err(WholeReason::NoEarlierHeads));
    }
    let mut touched = Touched::default();
    let mut voids: BTreeSet<String> = BTreeSet::new();
    // Orgs the change wrote in: followed if each is new.
    let mut reported: BTreeSet<String> = BTreeSet::new();
    // Each object's (collection, entity key) once: many operations share an object.
    let mut places: BTreeMap<String, Place> = BTreeMap::new();
    for change in automerge.get_changes(before) {
        for op in change.decode().operations {
            let key = match &op.key {
                automerge::legacy::Key::Map(key) => Some(key.to_string()),
                automerge::legacy::Key::Seq(_) => None,
            };
            let place = match &op.obj {
                automerge::legacy::ObjectId::Root => match key {
                    // A root key: a collection made, or the community, schema or rules.
                    Some(key) => match READ_BY_VIEW.iter().find(|read| **read == key) {
                        Some(read) => return Ok(Err(WholeReason::Collection(read))),
                        None => continue,
                    },
                    None => continue,
                },
                automerge::legacy::ObjectId::Id(id) => {
                    let id = id.to_string();
                    match places.get(&id) {
                        Some(place) => place.clone(),
                        None => {
                            let place = place_of(automerge, &id);
                            places.insert(id, place.clone());
                            place
                        }
                    }
                }
            };
            let (collection, entity) = match place {
                // A key of a collection put or deleted.
                Place::Collection(collection) => match key {
                    Some(key) => (collection, key),
                    None => return Ok(Err(WholeReason::Malformed("a collection that is a list"))),
                },
                Place::Entity(collection, entity) => (collection, entity),
                Place::Unknown => {
                    return Ok(Err(WholeReason::Malformed("an object without a path")));
                }
            };
            let added = match collection.as_str() {
                "wishes" => parse_into(&entity, &mut touched.wishes),
                "services" => parse_into(&entity, &mut touched.services),
                "passbook" => parse_into(&entity, &mut touched.passbook),
                "activities" => parse_into(&entity, &mut touched.activities),
                "pairings" => parse_into(&entity, &mut touched.pairings),
                "projects" => parse_into(&entity, &mut touched.projects),
                "volunteer_services" => parse_into(&entity, &mut touched.volunteer_services),
                "posts" => parse_into(&entity, &mut touched.posts),
                "rounds" => parse_into(&entity, &mut touched.rounds),
                "volunteers" => parse_into(&entity, &mut touched.volunteers),
                "members" => parse_into(&entity, &mut touched.members),
                "voids" => {
                    voids.insert(entity);
                    true
                }
                "orgs" => {
                    reported.insert(entity);
                    true
                }
                other => match READ_BY_VIEW.iter().find(|read| **read == other) {
                    Some(read) => return Ok(Err(WholeReason::Collection(read))),
                    None => true,
                },
            };
            if !added {
                return Ok(Err(WholeReason::Malformed("a key that is not an id")));
            }
        }
    }
    // An org that existed at the earlier heads is edited: rows naming it read its
    // citywide id, which its credit code and branch name derive. Either corrected, the
    // change is derived whole; otherwise only the org's own row reads what changed.
    for key in reported {
        let existed = match automerge.get_at(automerge::ROOT, "orgs", before) {
            Ok(Some((_, map))) => automerge.get_at(&map, key.as_str(), before),
            Ok(None) => Ok(None),
            Err(error) => Err(error),
        };
        match existed {
            Ok(None) => {}
            Ok(Some((_, was))) => match same_citywide_id(automerge, &was, &key, before) {
                Some(true) => {}
                Some(false) => return Ok(Err(WholeReason::Collection("orgs"))),
                None => return Ok(Err(WholeReason::Malformed("orgs"))),
            },
            Err(_) => return Ok(Err(WholeReason::Malformed("an object without a path"))),
        }
        if !parse_into(&key, &mut touched.orgs) {
            return Ok(Err(WholeReason::Malformed("a key that is not an id")));
        }
    }
    // A void names what it cancels; its own rows are none.
    for key in voids {
        let Ok(id) = key.parse() else {
            return Ok(Err(WholeReason::Malformed("voids")));
        };
        let void = match read_one::<Void>(doc, id)? {
            Some(Some(void)) => void,
            Some(None) => return Ok(Err(WholeReason::Unfollowed("voids"))),
            None => return Ok(Err(WholeReason::Malformed("voids"))),
        };
        touched.volunteer_services.extend(void.volunteer_service);
        touched.services.extend(void.service);
        touched.passbook.extend(void.points_entry);
    }
    Ok(Ok(touched))
}

/// Whether the org at `key`, the object `was` at the earlier heads `before`, has the
/// credit code and branch name it had then (which its citywide id derives from);
/// `None` when the org is not an object now or its fields cannot be read.
fn same_citywide_id(
    automerge: &automerge::AutoCommit,
    was: &automerge::ObjId,
    key: &str,
    before: &[ChangeHash],
) -> Option<bool> {
    let orgs = match automerge.get(automerge::ROOT, "orgs").ok()? {
        Some((automerge::Value::Object(_), orgs)) => orgs,
        _ => return None,
    };
    let now = match automerge.get(&orgs, key).ok()? {
        Some((automerge::Value::Object(_), now)) => now,
        // Removed since: its rows, and those naming it, are the whole view's to say.
        _ => return Some(false),
    };
    for field in ["credit_code", "party_org"] {
        let then = automerge
            .get_at(was, field, before)
            .ok()?
            .map(|(value, _)| value);
        let since = automerge.get(&now, field).ok()?.map(|(value, _)| value);
        if then != since {
            return Some(false);
        }
    }
    Some(true)
}

/// Where an object of the document sits: a root collection, inside one entity of a
/// collection, or nowhere known.
#[derive(Debug, Clone)]
enum Place {
    Collection(String),
    Entity(String, String),
    Unknown,
}

/// The place of the object with the operation id `id` (`counter@actor`).
fn place_of(automerge: &automerge::AutoCommit, id: &str) -> Place {
    let Ok((object, _)) = automerge.import(id) else {
        return Place::Unknown;
    };
    let Ok(parents) = automerge.parents(&object) else {
        return Place::Unknown;
    };
    let path = parents.path();
    match path.as_slice() {
        [(_, Prop::Map(collection))] => Place::Collection(collection.clone()),
        [(_, Prop::Map(collection)), (_, Prop::Map(entity)), ..] => {
            Place::Entity(collection.clone(), entity.clone())
        }
        _ => Place::Unknown,
    }
}

/// Parses `key` as an id into `set`; `false` if it is not one.
fn parse_into<I: std::str::FromStr + Ord>(key: &str, set: &mut BTreeSet<I>) -> bool {
    match key.parse() {
        Ok(id) => {
            set.insert(id);
            true
        }
        Err(_) => false,
    }
}
