//! Who did something: a member, a unit organisation, or a community worker.

use std::fmt;
use std::str::FromStr;

use crate::id::{MemberId, OrgId};

/// The author of a lifecycle event.
///
/// Its text form (`member:<id>`, `org:<id>`, `worker:<name>`) is what the document
/// stores, so that a claimant is one scalar that merges like any other.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Actor {
    /// A reported-in member, e.g. claiming a wish (党员接单).
    Member(MemberId),
    /// A unit party organisation, e.g. claiming a project.
    Org(OrgId),
    /// A community worker operating the node, by the name they sign with.
    Worker(String),
}

/// Why a text is not an actor.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an actor: expected member:<id>, org:<id> or worker:<name>")]
pub struct ActorParseError(pub String);

impl Actor {
    /// Whether the actor may claim things (a member or an organisation).
    pub fn is_claimant(&self) -> bool {
        matches!(self, Self::Member(_) | Self::Org(_))
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Member(id) => write!(f, "member:{id}"),
            Self::Org(id) => write!(f, "org:{id}"),
            Self::Worker(name) => write!(f, "worker:{name}"),
        }
    }
}

impl FromStr for Actor {
    type Err = ActorParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = || ActorParseError(text.chars().take(60).collect());
        let (kind, rest) = text.split_once(':').ok_or_else(error)?;
        match kind {
            "member" => rest.parse().map(Self::Member).map_err(|_| error()),
            "org" => rest.parse().map(Self::Org).map_err(|_| error()),
            "worker" => Ok(Self::Worker(rest.to_owned())),
            _ => Err(error()),
        }
    }
}

impl serde::Serialize for Actor {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Actor {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl autosurgeon::Reconcile for Actor {
    type Key<'a> = autosurgeon::reconcile::NoKey;
    fn reconcile<R: autosurgeon::Reconciler>(&self, mut reconciler: R) -> Result<(), R::Error> {
        reconciler.str(self.to_string())
    }
}

impl autosurgeon::Hydrate for Actor {
    fn hydrate_string(text: &str) -> Result<Self, autosurgeon::HydrateError> {
        text.parse()
            .map_err(|e: ActorParseError| autosurgeon::HydrateError::unexpected("an actor", e.0))
    }
}
