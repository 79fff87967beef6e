//! The community document: one automerge document per community, read and written one
//! entity at a time.
//!
//! Layout (schema 1):
//!
//! ```text
//! schema, community {code, name}, rules {points_per_hour{}},
//! members{}, orgs{}, pairings{}, branches{}, teams{}, posts{}, wishes{}, projects{},
//! activities{}, services{}, passbook{}, voids{}
//! ```
//!
//! Two invariants make offline replicas merge cleanly:
//!
//! - **One genesis.** The root maps are created by a genesis change whose bytes depend
//!   only on the community code (a fixed actor derived from the code, time zero). Every
//!   replica that creates the document of a community creates the *same* change, so
//!   two replicas initialised apart share one `members` map instead of hiding each
//!   other's behind a conflict.
//! - **Per-entity writes.** Writes hydrate and reconcile the entity at its key, never
//!   the whole document: cheap (a fraction of a millisecond where a whole-document
//!   reconcile costs tens), and a replica on an older schema rewrites only the fields
//!   it knows. autosurgeon's derived `Reconcile` puts the fields of a struct without
//!   deleting the others, so fields added by a newer schema survive an older writer.

mod value;

use std::collections::HashMap;
use std::sync::Mutex;

use automerge::hydrate::Value as HydrateValue;
use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, AutoCommit, ChangeHash, ObjId, ObjType, ROOT, ReadDoc, Value};
use autosurgeon::Hydrate;

use crate::id::{ActivityId, MemberId};
use crate::model::{
    COLLECTIONS, Community, CommunityRules, Entity, LATE_COLLECTIONS, LifecycleEvent, Participation,
};
use crate::region::CommunityCode;
use crate::time::Timestamp;

/// The schema this build writes. A document of a newer schema is read and written
/// without loss of the fields this build does not know.
pub const SCHEMA_VERSION: u64 = 1;

/// A community's replica.
#[derive(Debug)]
pub struct CommunityDoc {
    doc: AutoCommit,
    code: CommunityCode,
    /// The collections' maps as looked up (`collection`): a write looks up three or
    /// four, each a seek in the root map. Emptied by everything that can move a root
    /// key other than this type's own writes: a merge, loaded changes, a rollback,
    /// and the automerge document handed out mutably.
    collections: Mutex<HashMap<&'static str, ObjId>>,
}

/// An entity that is in the document but could not be read as its type, e.g. written
/// by a buggy or hostile replica. It is skipped by views and reported, never fatal.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Malformed {
    /// The collection, e.g. `wishes`.
    pub collection: &'static str,
    /// The key in the collection.
    pub key: String,
    /// What was wrong.
    pub error: String,
}

/// The readable entities of a collection with their ids, and the unreadable ones.
pub type Collection<E> = (Vec<(<E as Entity>::Id, E)>, Vec<Malformed>);

/// Why the document could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum DocError {
    /// The bytes are not an automerge document.
    #[error("not an automerge document: {0}")]
    Load(#[source] Box<automerge::AutomergeError>),
    /// The document has no community code, schema or collections.
    #[error("not a wishtree community document: {0}")]
    NotACommunityDocument(String),
    /// The bytes are not the city document expected.
    #[error("not the city document: {0}")]
    NotACityDocument(String),
    /// The document belongs to another community.
    #[error("the document belongs to community {found}, not {expected}")]
    WrongCommunity {
        /// The community the caller expected.
        expected: CommunityCode,
        /// The community the document names.
        found: String,
    },
    /// An entity could not be read as its type.
    #[error("{collection}/{key} cannot be read: {error}")]
    Hydrate {
        /// The collection.
        collection: &'static str,
        /// The key.
        key: String,
        /// The error.
        error: Box<autosurgeon::HydrateError>,
    },
    /// Writing an entity failed inside autosurgeon.
    #[error("writing {collection}/{key} failed: {error}")]
    Reconcile {
        /// The collection.
        collection: &'static str,
        /// The key.
        key: String,
        /// The error.
        error: Box<autosurgeon::ReconcileError>,
    },
    /// The entity to change does not exist.
    #[error("there is no {kind} {id}")]
    NotFound {
        /// What kind of entity.
        kind: &'static str,
        /// Its id.
        id: String,
    },
    /// An automerge operation failed.
    #[error("document operation failed: {0}")]
    Automerge(#[source] Box<automerge::AutomergeError>),
}

impl From<automerge::AutomergeError> for DocError {
    fn from(error: automerge::AutomergeError) -> Self {
        Self::Automerge(Box::new(error))
    }
}

impl CommunityDoc {
    /// The genesis document of a community, as saved bytes: the same bytes on every
    /// replica (see the module doc).
    pub fn genesis(code: CommunityCode) -> Vec<u8> {
        let actor = ActorId::from(crate::id::derive_bytes(
            "genesis actor",
            &[code.as_str().as_bytes()],
        ));
        let mut doc = AutoCommit::new().with_actor(actor);
        // Invariant: puts into a fresh document's root cannot fail.
        Self::write_genesis(&mut doc, code).expect("genesis writes to a fresh document");
        doc.commit_with(CommitOptions::default().with_time(0));
        doc.save()
    }

    /// A new document for a community, written by `actor` at `now`.
    pub fn create(
        code: CommunityCode,
        name: &str,
        actor: [u8; 16],
        now: Timestamp,
    ) -> Result<Self, DocError> {
        let mut doc = Self::load(&Self::genesis(code), Some(code), actor)?;
        let community = Community {
            code,
            name: name.to_owned(),
        };
        autosurgeon::reconcile_prop(&mut doc.doc, ROOT, "community", &community).map_err(
            |error| DocError::Reconcile {
                collection: "community",
                key: String::new(),
                error: Box::new(error),
            },
        )?;
        doc.commit(now);
        Ok(doc)
    }

    /// Loads a saved document (a full save, or chunks concatenated), writing as
    /// `actor` from now on. With `expected` set, refuses another community's document.
    pub fn load(
        bytes: &[u8],
        expected: Option<CommunityCode>,
        actor: [u8; 16],
    ) -> Result<Self, DocError> {
        let doc = AutoCommit::load(bytes).map_err(|e| DocError::Load(Box::new(e)))?;
        Self::from_automerge(doc, expected, actor)
    }

    /// Wraps an automerge document after checking that it is a community document.
    pub fn from_automerge(
        mut doc: AutoCommit,
        expected: Option<CommunityCode>,
        actor: [u8; 16],
    ) -> Result<Self, DocError> {
        doc.set_actor(ActorId::from(actor));
        let code = read_code(&doc)?;
        if let Some(expected) = expected
            && code != expected
        {
            return Err(DocError::WrongCommunity {
                expected,
                found: code.to_string(),
            });
        }
        for collection in COLLECTIONS {
            match doc.get(ROOT, collection)? {
                Some((Value::Object(ObjType::Map), _)) => {}
                _ => {
                    return Err(DocError::NotACommunityDocument(format!(
                        "the `{collection}` map is missing"
                    )));
                }
            }
        }
        Ok(Self {
            doc,
            code,
            collections: Mutex::default(),
        })
    }

    /// The community the document belongs to.
    pub fn code(&self) -> CommunityCode {
        self.code
    }

    /// The schema version the document declares.
    pub fn schema(&self) -> u64 {
        match self.doc.get(ROOT, "schema") {
            Ok(Some((Value::Scalar(value), _))) => value.as_u64().unwrap_or(0),
            _ => 0,
        }
    }

    /// The community's code and name.
    pub fn community(&self) -> Result<Community, DocError> {
        autosurgeon::hydrate_prop(&self.doc, ROOT, "community").map_err(|error| DocError::Hydrate {
            collection: "community",
            key: String::new(),
            error: Box::new(error),
        })
    }

    /// The community's rules; the defaults if none were set.
    pub fn rules(&self) -> CommunityRules {
        autosurgeon::hydrate_prop(&self.doc, ROOT, "rules").unwrap_or_default()
    }

    /// Sets the community's rules.
    pub fn put_rules(&mut self, rules: &CommunityRules) -> Result<(), DocError> {
        autosurgeon::reconcile_prop(&mut self.doc, ROOT, "rules", rules).map_err(|error| {
            DocError::Reconcile {
                collection: "rules",
                key: String::new(),
                error: Box::new(error),
            }
        })
    }

    /// One entity, or `None` if there is none with that id.
    pub fn entity<E: Entity>(&self, id: E::Id) -> Result<Option<E>, DocError> {
        let Some(collection) = self.collection(E::COLLECTION)? else {
            return Ok(None);
        };
        let key = id.to_string();
        // One seek of the key: hydrating the property would seek it again.
        let hydrated = match self.doc.get(&collection, key.as_str())? {
            None => return Ok(None),
            Some((Value::Object(ObjType::Map), object)) => E::hydrate_map(&self.doc, &object),
            // Not a map: hydrated as a property, for the error it names.
            Some(_) => autosurgeon::hydrate_prop(&self.doc, &collection, key.as_str()),
        };
        hydrated.map(Some).map_err(|error| DocError::Hydrate {
            collection: E::COLLECTION,
            key,
            error: Box::new(error),
        })
    }

    /// Whether an entity with that id exists.
    pub fn contains<E: Entity>(&self, id: E::Id) -> Result<bool, DocError> {
        let Some(collection) = self.collection(E::COLLECTION)? else {
            return Ok(false);
        };
        Ok(self.doc.get(&collection, id.to_string())?.is_some())
    }

    /// Writes one entity at its key, creating or updating it.
    pub fn put_entity<E: Entity>(&mut self, id: E::Id, entity: &E) -> Result<(), DocError> {
        let collection = self.collection_for_write(E::COLLECTION)?;
        let key = id.to_string();
        if self.doc.get(&collection, key.as_str())?.is_none() {
            return self.create_entity(&collection, key, entity);
        }
        autosurgeon::reconcile_prop(&mut self.doc, &collection, key.as_str(), entity)
            .map_err(|error| reconcile_error::<E>(key, error))
    }

    /// Writes an entity whose id the caller has just found unused (as a command's
    /// `require_absent` does), without looking it up again: a look-up in a big
    /// collection costs about as much as a tenth of the write. Written over an
    /// existing entity, it would replace it whole.
    pub fn put_new_entity<E: Entity>(&mut self, id: E::Id, entity: &E) -> Result<(), DocError> {
        let collection = self.collection_for_write(E::COLLECTION)?;
        self.create_entity(&collection, id.to_string(), entity)
    }

    /// Writes a new entity as one object in one batch. Reconciled field by field, each
    /// put seeks its key in the whole document's op set (about 80% of a recorded
    /// service's cost at DESIGN's 1x size, growing with the document); a batch splices
    /// the op set twice. The value is built in memory by the entity's own reconcile
    /// (`value::build`), so the ops are those reconciling would have written.
    fn create_entity<E: Entity>(
        &mut self,
        collection: &ObjId,
        key: String,
        entity: &E,
    ) -> Result<(), DocError> {
        match value::build(entity).map_err(|error| reconcile_error::<E>(key.clone(), error))? {
            Some(value @ HydrateValue::Map(_)) => {
                self.doc
                    .batch_create_object(collection, key.as_str(), &value, false)?;
                Ok(())
            }
            // Not a map (no entity reconciles so): written as reconciling writes it.
            _ => autosurgeon::reconcile_prop(&mut self.doc, collection, key.as_str(), entity)
                .map_err(|error| reconcile_error::<E>(key, error)),
        }
    }

    /// Writes one field of an existing entity, and nothing else of it: its other keys
    /// (events a concurrent replica appends, fields of a newer schema) stay as they are.
    pub fn put_entity_field<E: Entity>(
        &mut self,
        id: E::Id,
        field: &'static str,
        value: &impl autosurgeon::Reconcile,
    ) -> Result<(), DocError> {
        let object = self.entity_object::<E>(id)?;
        autosurgeon::reconcile_prop(&mut self.doc, &object, field, value).map_err(|error| {
            DocError::Reconcile {
                collection: E::COLLECTION,
                key: format!("{id}.{field}"),
                error: Box::new(error),
            }
        })
    }

    /// The lifecycle events of an entity, or `None` if there is no such entity. Cheaper
    /// than reading the whole entity when only its state is wanted.
    pub fn events<E: Entity>(&self, id: E::Id) -> Result<Option<Vec<LifecycleEvent>>, DocError> {
        let Some(collection) = self.collection(E::COLLECTION)? else {
            return Ok(None);
        };
        let entity = match self.doc.get(&collection, id.to_string())? {
            Some((Value::Object(ObjType::Map), entity)) => entity,
            Some(_) => {
                return Err(DocError::NotACommunityDocument(format!(
                    "{}/{id} is not a map",
                    E::COLLECTION
                )));
            }
            None => return Ok(None),
        };
        let events = match self.doc.get(&entity, "events")? {
            Some((Value::Object(ObjType::List), events)) => events,
            _ => return Ok(Some(Vec::new())),
        };
        // One pass over the list: a `get` per index would cost as much again.
        let mut read = Vec::with_capacity(self.doc.length(&events));
        for item in self.doc.list_range(&events, ..) {
            let event = match item.value {
                automerge::ValueRef::Object(ObjType::Map) => {
                    LifecycleEvent::hydrate_map(&self.doc, &item.id())
                }
                _ => Err(autosurgeon::HydrateError::unexpected(
                    "an event map",
                    "a scalar".to_owned(),
                )),
            };
            read.push(event.map_err(|error| DocError::Hydrate {
                collection: E::COLLECTION,
                key: id.to_string(),
                error: Box::new(error),
            })?);
        }
        Ok(Some(read))
    }

    /// Appends a lifecycle event to the `events` list of an entity.
    pub fn append_event<E: Entity>(
        &mut self,
        id: E::Id,
        event: &LifecycleEvent,
    ) -> Result<(), DocError> {
        let entity = self.entity_object::<E>(id)?;
        let events = match self.doc.get(&entity, "events")? {
            Some((Value::Object(ObjType::List), events)) => events,
            _ => self.doc.put_object(&entity, "events", ObjType::List)?,
        };
        let end = self.doc.length(&events);
        autosurgeon::reconcile_insert(&mut self.doc, events, end, event).map_err(|error| {
            DocError::Reconcile {
                collection: E::COLLECTION,
                key: id.to_string(),
                error: Box::new(error),
            }
        })
    }

    /// Records a member's participation in an activity, at the member's key in the
    /// activity's `participants` map.
    pub fn put_participation(
        &mut self,
        activity: ActivityId,
        member: MemberId,
        participation: &Participation,
    ) -> Result<(), DocError> {
        let entity = self.entity_object::<crate::model::Activity>(activity)?;
        let participants = match self.doc.get(&entity, "participants")? {
            Some((Value::Object(ObjType::Map), participants)) => participants,
            _ => self.doc.put_object(&entity, "participants", ObjType::Map)?,
        };
        let key = member.to_string();
        autosurgeon::reconcile_prop(&mut self.doc, participants, key.as_str(), participation)
            .map_err(|error| DocError::Reconcile {
                collection: "activities",
                key: format!("{activity}/participants/{key}"),
                error: Box::new(error),
            })
    }

    /// The ids in a collection, in key order. Keys that are not ids are skipped.
    pub fn ids<E: Entity>(&self) -> Result<Vec<E::Id>, DocError> {
        let Some(collection) = self.collection(E::COLLECTION)? else {
            return Ok(Vec::new());
        };
        Ok(self
            .doc
            .keys(&collection)
            .filter_map(|key| key.parse().ok())
            .collect())
    }

    /// Every entity of a collection that can be read, in key order, and those that
    /// cannot.
    pub fn entities<E: Entity>(&self) -> Result<Collection<E>, DocError> {
        let Some(collection) = self.collection(E::COLLECTION)? else {
            return Ok((Vec::new(), Vec::new()));
        };
        let mut good = Vec::new();
        let mut bad = Vec::new();
        for key in self.doc.keys(&collection) {
            let parsed = key.parse::<E::Id>();
            let hydrated = <E as Hydrate>::hydrate(&self.doc, &collection, key.as_str().into());
            match (parsed, hydrated) {
                (Ok(id), Ok(entity)) => good.push((id, entity)),
                (Err(_), _) => bad.push(Malformed {
                    collection: E::COLLECTION,
                    key: key.chars().take(40).collect(),
                    error: "the key is not an id".to_owned(),
                }),
                (Ok(_), Err(error)) => bad.push(Malformed {
                    collection: E::COLLECTION,
                    key,
                    error: error.to_string(),
                }),
            }
        }
        Ok((good, bad))
    }

    /// Commits the pending operations as one change stamped `now`; `None` if there
    /// were none.
    pub fn commit(&mut self, now: Timestamp) -> Option<ChangeHash> {
        if self.doc.pending_ops() == 0 {
            return None;
        }
        self.doc
            .commit_with(CommitOptions::default().with_time(now.as_millis().div_euclid(1000)))
    }

    /// Drops the pending operations, e.g. after a command failed half-way.
    pub fn rollback(&mut self) {
        self.forget_collections();
        self.doc.rollback();
    }

    /// The changes not reachable from `heads`, as bytes to append to storage. Unlike
    /// saving through [`Self::automerge_mut`], it keeps the collections' maps known: a
    /// save writes nothing (it only closes a pending transaction, whose collections
    /// are known already), and looking them up again cost every write a few seeks.
    pub fn save_after(&mut self, heads: &[ChangeHash]) -> Vec<u8> {
        self.doc.save_after(heads)
    }

    /// How many changes are not reachable from `heads` (a peer's, say: what it has not
    /// seen); automerge passes over a hash the document does not hold. Reads only, so
    /// the collections' maps stay known, as in [`Self::save_after`].
    pub fn changes_after(&mut self, heads: &[ChangeHash]) -> usize {
        self.doc.get_changes_meta(heads).len()
    }

    /// The changes since the last call, as bytes to append to storage.
    pub fn save_incremental(&mut self) -> Vec<u8> {
        self.doc.save_incremental()
    }

    /// The whole document, compacted.
    pub fn save(&mut self) -> Vec<u8> {
        self.doc.save()
    }

    /// The heads of the document, sorted.
    pub fn heads(&mut self) -> Vec<ChangeHash> {
        let mut heads = self.doc.get_heads();
        heads.sort();
        heads
    }

    /// Merges another replica of the same community into this one.
    pub fn merge(&mut self, other: &mut CommunityDoc) -> Result<(), DocError> {
        if other.code != self.code {
            return Err(DocError::WrongCommunity {
                expected: self.code,
                found: other.code.to_string(),
            });
        }
        self.forget_collections();
        self.doc.merge(&mut other.doc)?;
        Ok(())
    }

    /// Applies changes saved by another replica (chunks or a full save).
    pub fn load_incremental(&mut self, bytes: &[u8]) -> Result<usize, DocError> {
        self.forget_collections();
        Ok(self.doc.load_incremental(bytes)?)
    }

    /// The underlying automerge document, for sync.
    pub fn automerge(&self) -> &AutoCommit {
        &self.doc
    }

    /// The underlying automerge document, for sync.
    pub fn automerge_mut(&mut self) -> &mut AutoCommit {
        self.forget_collections();
        &mut self.doc
    }

    fn write_genesis(doc: &mut AutoCommit, code: CommunityCode) -> Result<(), DocError> {
        doc.put(ROOT, "schema", SCHEMA_VERSION)?;
        let community = doc.put_object(ROOT, "community", ObjType::Map)?;
        doc.put(&community, "code", code.as_str())?;
        doc.put(&community, "name", "")?;
        let rules = doc.put_object(ROOT, "rules", ObjType::Map)?;
        doc.put_object(&rules, "points_per_hour", ObjType::Map)?;
        for collection in COLLECTIONS {
            doc.put_object(ROOT, collection, ObjType::Map)?;
        }
        Ok(())
    }

    /// The map of a collection; `None` for a collection added after schema 1 that no
    /// write has created yet ([`LATE_COLLECTIONS`]).
    fn collection(&self, name: &'static str) -> Result<Option<ObjId>, DocError> {
        if let Some(id) = self.known_collections().get(name) {
            return Ok(Some(id.clone()));
        }
        match self.doc.get(ROOT, name)? {
            Some((Value::Object(ObjType::Map), id)) => {
                self.known_collections().insert(name, id.clone());
                Ok(Some(id))
            }
            None if LATE_COLLECTIONS.contains(&name) => Ok(None),
            _ => Err(DocError::NotACommunityDocument(format!(
                "the `{name}` map is missing"
            ))),
        }
    }

    /// The map of a collection, created if it is a late one not created yet.
    fn collection_for_write(&mut self, name: &'static str) -> Result<ObjId, DocError> {
        match self.collection(name)? {
            Some(collection) => Ok(collection),
            None => {
                let id = self.doc.put_object(ROOT, name, ObjType::Map)?;
                self.known_collections().insert(name, id.clone());
                Ok(id)
            }
        }
    }

    fn known_collections(&self) -> std::sync::MutexGuard<'_, HashMap<&'static str, ObjId>> {
        // Only whole inserts and clears happen under the lock; a poisoned map is whole.
        self.collections
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn forget_collections(&mut self) {
        self.collections
            .get_mut()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clear();
    }

    fn entity_object<E: Entity>(&self, id: E::Id) -> Result<ObjId, DocError> {
        let collection = self
            .collection(E::COLLECTION)?
            .ok_or_else(|| DocError::NotFound {
                kind: E::COLLECTION,
                id: id.to_string(),
            })?;
        match self.doc.get(&collection, id.to_string())? {
            Some((Value::Object(ObjType::Map), object)) => Ok(object),
            _ => Err(DocError::NotFound {
                kind: E::COLLECTION,
                id: id.to_string(),
            }),
        }
    }
}

impl Clone for CommunityDoc {
    fn clone(&self) -> Self {
        Self {
            doc: self.doc.clone(),
            code: self.code,
            collections: Mutex::default(),
        }
    }
}

/// A write of an entity of kind `E` at `key` that autosurgeon refused.
fn reconcile_error<E: Entity>(key: String, error: autosurgeon::ReconcileError) -> DocError {
    DocError::Reconcile {
        collection: E::COLLECTION,
        key,
        error: Box::new(error),
    }
}

fn read_code(doc: &AutoCommit) -> Result<CommunityCode, DocError> {
    let community = match doc.get(ROOT, "community")? {
        Some((Value::Object(ObjType::Map), id)) => id,
        _ => {
            return Err(DocError::NotACommunityDocument(
                "there is no `community` map".to_owned(),
            ));
        }
    };
    let code = match doc.get(&community, "code")? {
        Some((Value::Scalar(value), _)) => value.as_str().map(str::to_owned),
        _ => None,
    };
    let code = code
        .ok_or_else(|| DocError::NotACommunityDocument("there is no community code".to_owned()))?;
    code.parse()
        .map_err(|e| DocError::NotACommunityDocument(format!("the community code is bad: {e}")))
}
