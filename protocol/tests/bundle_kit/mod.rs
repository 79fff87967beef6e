//! Helpers shared by the bundle tests: the keys of a small city (city hub, a district
//! hub, a community node, an outsider), the receiver's state as the city hub holds it,
//! and a community document with some records in it.

#![allow(dead_code, unreachable_pub)]

use wishtree_protocol::CommunityDoc;
use wishtree_protocol::attest::SignedHeads;
use wishtree_protocol::bundle::{Audience, Envelope, InMemoryState, Receiver};
use wishtree_protocol::keys::{KeyPair, PublicKey};
use wishtree_protocol::region::RegionPrefix;
use wishtree_protocol::time::Timestamp;

use crate::support::{self, Ids};

/// Milliseconds in a day.
pub const DAY: i64 = 86_400_000;

pub fn city_hub() -> KeyPair {
    KeyPair::from_secret([1; 32])
}

pub fn node() -> KeyPair {
    KeyPair::from_secret([2; 32])
}

pub fn district_hub() -> KeyPair {
    KeyPair::from_secret([3; 32])
}

pub fn outsider() -> KeyPair {
    KeyPair::from_secret([9; 32])
}

pub fn prefix(text: &str) -> RegionPrefix {
    text.parse().expect("region prefix")
}

/// What the city hub knows: the node for its community, the district hub for its
/// district (密云区 110118), itself for the city (北京 1101).
pub fn city_state() -> InMemoryState {
    let mut state = InMemoryState::new();
    state.enrol(node().public(), support::community().as_region());
    state.enrol(district_hub().public(), prefix("110118"));
    state.enrol(city_hub().public(), prefix("1101"));
    state
}

/// When bundles are issued in these tests.
pub fn issued() -> Timestamp {
    support::at(100)
}

/// The city hub, an hour after the bundles were issued.
pub fn city_receiver() -> Receiver {
    Receiver::new(city_hub().public(), issued().plus_millis(3_600_000))
}

/// For the city hub, seq `seq`, good for a week.
pub fn envelope(seq: u64) -> Envelope {
    Envelope {
        audience: Audience::Key(city_hub().public()),
        seq,
        previous: None,
        issued_at: issued(),
        expires_at: issued().plus_millis(7 * DAY),
    }
}

/// The actor bytes the community's node writes with.
pub fn node_actor() -> [u8; 16] {
    [0x42; 16]
}

/// A community document with two members and a wish, written by the node.
pub fn community_doc() -> CommunityDoc {
    let mut ids = Ids::new(7);
    let mut doc = CommunityDoc::create(
        support::community(),
        "行宫社区",
        node_actor(),
        support::at(0),
    )
    .expect("create");
    support::add_member(&mut doc, &mut ids, "张伟");
    support::add_member(&mut doc, &mut ids, "李娜");
    support::submit_wish(&mut doc, &mut ids, "希望有一台微波炉");
    doc
}

/// The document the city hub starts from: the genesis only.
pub fn empty_replica() -> CommunityDoc {
    CommunityDoc::load(
        &CommunityDoc::genesis(support::community()),
        Some(support::community()),
        [0x01; 16],
    )
    .expect("genesis loads")
}

/// The node's signed heads of `doc`.
pub fn attest(doc: &mut CommunityDoc, seq: u64) -> SignedHeads {
    let heads = doc.heads();
    SignedHeads::sign(&node(), support::community(), &heads, seq, issued())
}

pub fn short(key: &PublicKey) -> String {
    key.short()
}
