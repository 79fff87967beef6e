//! The automerge value of a new entity, built in memory by the entity's own
//! `Reconcile`.
//!
//! A new entity goes into the document in one batch (`batch_create_object`), which
//! takes the whole value up front. Reconciling the entity into a scratch document and
//! reading it back gave that value at the price of a document: every put spliced its
//! op into the scratch op set's columns, about 150 µs of the 600 a recorded service
//! cost at DESIGN's 1x size. Here the same `Reconcile` writes into plain values
//! instead, so the value is what reconciling into an empty document would have
//! written, field for field, and nothing else.

use std::borrow::Cow;
use std::collections::HashMap;

use automerge::hydrate::{self, MapValue};
use automerge::{AutomergeError, ChangeHash, ObjType, ScalarValue, TextEncoding, ValueRef};
use autosurgeon::reconcile::{
    CounterReconciler, LoadKey, MapReconciler, SeqReconciler, TextReconciler,
};
use autosurgeon::{Reconcile, ReconcileError, Reconciler};

/// The value `entity` reconciles to, or `None` if its `Reconcile` wrote nothing.
pub(super) fn build<R: Reconcile>(entity: &R) -> Result<Option<hydrate::Value>, ReconcileError> {
    let mut node = Node::Unset;
    entity.reconcile(Slot(&mut node))?;
    Ok(node.into_value())
}

/// A value being built. Maps and lists are reconciled into in place, as a document's
/// objects are: a second put on a key reconciles into what the first one left.
#[derive(Debug, Default)]
enum Node {
    #[default]
    Unset,
    Scalar(ScalarValue),
    Counter(i64),
    Map(HashMap<String, Node>),
    List(Vec<Node>),
    Text(String),
}

impl Node {
    fn into_value(self) -> Option<hydrate::Value> {
        Some(match self {
            Self::Unset => return None,
            Self::Scalar(scalar) => hydrate::Value::Scalar(scalar),
            Self::Counter(count) => hydrate::Value::Scalar(ScalarValue::counter(count)),
            Self::Map(entries) => {
                let mut map = hydrate::Map::default();
                for (key, node) in entries {
                    if let Some(value) = node.into_value() {
                        map.insert(
                            key,
                            MapValue {
                                value,
                                conflict: false,
                            },
                        );
                    }
                }
                hydrate::Value::Map(map)
            }
            Self::List(items) => hydrate::Value::List(
                items
                    .into_iter()
                    .filter_map(Node::into_value)
                    .collect::<Vec<_>>()
                    .into(),
            ),
            Self::Text(text) => hydrate::Value::text(TextEncoding::UnicodeCodePoint, &text),
        })
    }

    /// What a reader of the document would see here.
    fn as_value(&self) -> Option<automerge::Value<'_>> {
        match self {
            Self::Unset => None,
            Self::Scalar(scalar) => Some(automerge::Value::Scalar(Cow::Borrowed(scalar))),
            Self::Counter(count) => Some(automerge::Value::Scalar(Cow::Owned(
                ScalarValue::counter(*count),
            ))),
            Self::Map(_) => Some(automerge::Value::Object(ObjType::Map)),
            Self::List(_) => Some(automerge::Value::Object(ObjType::List)),
            Self::Text(_) => Some(automerge::Value::Object(ObjType::Text)),
        }
    }

    fn as_value_ref(&self) -> Option<ValueRef<'static>> {
        Some(match self.as_value()? {
            automerge::Value::Object(kind) => ValueRef::Object(kind),
            automerge::Value::Scalar(scalar) => ValueRef::from(scalar.into_owned()),
        })
    }
}

/// The reconciler of one node.
struct Slot<'a>(&'a mut Node);

impl Reconciler for Slot<'_> {
    type Error = ReconcileError;
    type Map<'b>
        = MapBuilder<'b>
    where
        Self: 'b;
    type Seq<'b>
        = ListBuilder<'b>
    where
        Self: 'b;
    type Text<'b>
        = TextBuilder<'b>
    where
        Self: 'b;
    type Counter<'b>
        = CounterBuilder<'b>
    where
        Self: 'b;

    fn none(&mut self) -> Result<(), Self::Error> {
        self.scalar(ScalarValue::Null)
    }

    fn bytes<B: AsRef<[u8]>>(&mut self, value: B) -> Result<(), Self::Error> {
        self.scalar(ScalarValue::Bytes(value.as_ref().to_vec()))
    }

    fn timestamp(&mut self, value: i64) -> Result<(), Self::Error> {
        self.scalar(ScalarValue::Timestamp(value))
    }

    fn boolean(&mut self, value: bool) -> Result<(), Self::Error> {
        self.scalar(ScalarValue::Boolean(value))
    }

    fn str<S: AsRef<str>>(&mut self, value: S) -> Result<(), Self::Error> {
        self.scalar(ScalarValue::Str(value.as_ref().into()))
    }

    fn u64(&mut self, value: u64) -> Result<(), Self::Error> {
        self.scalar(ScalarValue::Uint(value))
    }

    fn i64(&mut self, value: i64) -> Result<(), Self::Error> {
        self.scalar(ScalarValue::Int(value))
    }

    fn f64(&mut self, value: f64) -> Result<(), Self::Error> {
        self.scalar(ScalarValue::F64(value))
    }

    fn map(&mut self) -> Result<Self::Map<'_>, Self::Error> {
        if !matches!(self.0, Node::Map(_)) {
            *self.0 = Node::Map(HashMap::new());
        }
        match self.0 {
            Node::Map(entries) => Ok(MapBuilder(entries)),
            _ => unreachable!("the node was made a map above"),
        }
    }

    fn seq(&mut self) -> Result<Self::Seq<'_>, Self::Error> {
        if !matches!(self.0, Node::List(_)) {
            *self.0 = Node::List(Vec::new());
        }
        match self.0 {
            Node::List(items) => Ok(ListBuilder(items)),
            _ => unreachable!("the node was made a list above"),
        }
    }

    fn text(&mut self) -> Result<Self::Text<'_>, Self::Error> {
        if !matches!(self.0, Node::Text(_)) {
            *self.0 = Node::Text(String::new());
        }
        match self.0 {
            Node::Text(text) => Ok(TextBuilder(text)),
            _ => unreachable!("the node was made a text above"),
        }
    }

    fn counter(&mut self) -> Result<Self::Counter<'_>, Self::Error> {
        if !matches!(self.0, Node::Counter(_)) {
            *self.0 = Node::Counter(0);
        }
        match self.0 {
            Node::Counter(count) => Ok(CounterBuilder(count)),
            _ => unreachable!("the node was made a counter above"),
        }
    }

    fn heads(&self) -> &[ChangeHash] {
        // Nothing is read from a document, so nothing can be stale.
        &[]
    }
}

impl Slot<'_> {
    fn scalar(&mut self, value: ScalarValue) -> Result<(), ReconcileError> {
        *self.0 = Node::Scalar(value);
        Ok(())
    }
}

struct MapBuilder<'a>(&'a mut HashMap<String, Node>);

impl MapReconciler for MapBuilder<'_> {
    type Error = ReconcileError;
    type EntriesIter<'b>
        = std::vec::IntoIter<(Cow<'b, str>, ValueRef<'b>)>
    where
        Self: 'b;

    fn entries(&self) -> Self::EntriesIter<'_> {
        self.0
            .iter()
            .filter_map(|(key, node)| Some((Cow::Borrowed(key.as_str()), node.as_value_ref()?)))
            .collect::<Vec<_>>()
            .into_iter()
    }

    fn entry<P: AsRef<str>>(&self, prop: P) -> Option<automerge::Value<'_>> {
        self.0.get(prop.as_ref())?.as_value()
    }

    fn put<R: Reconcile, P: AsRef<str>>(&mut self, prop: P, value: R) -> Result<(), Self::Error> {
        let node = self.0.entry(prop.as_ref().to_owned()).or_default();
        value.reconcile(Slot(node))
    }

    fn delete<P: AsRef<str>>(&mut self, prop: P) -> Result<(), Self::Error> {
        self.0.remove(prop.as_ref());
        Ok(())
    }

    fn hydrate_entry_key<'b, R: Reconcile, P: AsRef<str>>(
        &self,
        _prop: P,
    ) -> Result<LoadKey<R::Key<'b>>, Self::Error> {
        // A key identifies what is already in a document; nothing is.
        Ok(LoadKey::KeyNotFound)
    }
}

struct ListBuilder<'a>(&'a mut Vec<Node>);

impl SeqReconciler for ListBuilder<'_> {
    type Error = ReconcileError;
    type ItemIter<'b>
        = std::vec::IntoIter<ValueRef<'b>>
    where
        Self: 'b;

    fn items(&self) -> Self::ItemIter<'_> {
        self.0
            .iter()
            .filter_map(Node::as_value_ref)
            .collect::<Vec<_>>()
            .into_iter()
    }

    fn get(&self, index: usize) -> Result<Option<automerge::Value<'_>>, Self::Error> {
        Ok(self.0.get(index).and_then(Node::as_value))
    }

    fn hydrate_item_key<'b, R: Reconcile>(
        &self,
        _index: usize,
    ) -> Result<LoadKey<R::Key<'b>>, Self::Error> {
        Ok(LoadKey::KeyNotFound)
    }

    fn insert<R: Reconcile>(&mut self, index: usize, value: R) -> Result<(), Self::Error> {
        if index > self.0.len() {
            return Err(AutomergeError::InvalidIndex(index).into());
        }
        let mut node = Node::Unset;
        value.reconcile(Slot(&mut node))?;
        self.0.insert(index, node);
        Ok(())
    }

    fn set<R: Reconcile>(&mut self, index: usize, value: R) -> Result<(), Self::Error> {
        let node = self
            .0
            .get_mut(index)
            .ok_or(AutomergeError::InvalidIndex(index))?;
        value.reconcile(Slot(node))
    }

    fn delete(&mut self, index: usize) -> Result<(), Self::Error> {
        if index >= self.0.len() {
            return Err(AutomergeError::InvalidIndex(index).into());
        }
        self.0.remove(index);
        Ok(())
    }

    fn len(&self) -> Result<usize, Self::Error> {
        Ok(self.0.len())
    }
}

struct TextBuilder<'a>(&'a mut String);

impl TextReconciler for TextBuilder<'_> {
    type Error = ReconcileError;

    fn splice<S: AsRef<str>>(
        &mut self,
        pos: usize,
        delete: isize,
        insert: S,
    ) -> Result<(), Self::Error> {
        // Positions count characters, as the document's default text encoding does.
        let mut chars: Vec<char> = self.0.chars().collect();
        if pos > chars.len() {
            return Err(AutomergeError::InvalidIndex(pos).into());
        }
        let end = pos
            .saturating_add(delete.max(0).unsigned_abs())
            .min(chars.len());
        chars.splice(pos..end, insert.as_ref().chars());
        *self.0 = chars.into_iter().collect();
        Ok(())
    }

    fn heads(&self) -> &[ChangeHash] {
        &[]
    }

    fn update<S: AsRef<str>>(&mut self, new_text: S) -> Result<(), Self::Error> {
        new_text.as_ref().clone_into(self.0);
        Ok(())
    }
}

struct CounterBuilder<'a>(&'a mut i64);

impl CounterReconciler for CounterBuilder<'_> {
    type Error = ReconcileError;

    fn increment(&mut self, by: i64) -> Result<(), Self::Error> {
        *self.0 = self.0.wrapping_add(by);
        Ok(())
    }

    fn set(&mut self, value: i64) -> Result<(), Self::Error> {
        *self.0 = value;
        Ok(())
    }
}
