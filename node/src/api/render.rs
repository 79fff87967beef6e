//! The JSON form of records, as the API answers them and the CLI prints them: the
//! entity's own fields (named as in `GLOSSARY.md`), its `id`, its derived state where
//! it has one, and — only here, on the node's own API — the personal data kept in
//! the private tables.

use std::fmt::Display;

use serde::Serialize;
use serde_json::{Map, Value, json};
use wishtree_protocol::id::MemberId;
use wishtree_protocol::lifecycle::{ClaimStatus, PairingStatus, PostStatus};
use wishtree_protocol::model::{
    Activity, Branch, Member, Org, Pairing, PointsEntry, Post, Project, ServiceRecord, Team, Void,
    Wish,
};
use wishtree_protocol::project::ProjectStatus;
use wishtree_protocol::view::{CommunityView, Passbook, Voidable, WithStatus};

use crate::store::{MemberPrivate, ResidentPrivate};

/// A member with their personal data.
pub fn member(id: MemberId, member: &Member, private: Option<&MemberPrivate>) -> Value {
    let mut object = with_id(id, member);
    let private = private.cloned().unwrap_or_default();
    object.insert("address".into(), Value::String(private.address));
    object.insert("phone".into(), Value::String(private.phone));
    Value::Object(object)
}

/// An organisation.
pub fn org(id: impl Display, org: &Org) -> Value {
    Value::Object(with_id(id, org))
}

/// A pairing with its folded status.
pub fn pairing(id: impl Display, pairing: &WithStatus<Pairing, PairingStatus>) -> Value {
    let mut object = with_id(id, pairing);
    object.insert("is_active".into(), Value::Bool(pairing.status.is_active()));
    Value::Object(object)
}

/// A branch.
pub fn branch(id: impl Display, branch: &Branch) -> Value {
    Value::Object(with_id(id, branch))
}

/// A team.
pub fn team(id: impl Display, team: &Team) -> Value {
    Value::Object(with_id(id, team))
}

/// A post with its holders.
pub fn post(id: impl Display, post: &WithStatus<Post, PostStatus>) -> Value {
    Value::Object(with_id(id, post))
}

/// A wish with its folded status and the resident's personal data.
pub fn wish(
    id: impl Display,
    wish: &WithStatus<Wish, ClaimStatus>,
    private: Option<&ResidentPrivate>,
) -> Value {
    let mut object = with_id(id, wish);
    let private = private.cloned().unwrap_or_default();
    object.insert("resident_name".into(), Value::String(private.real_name));
    object.insert("resident_phone".into(), Value::String(private.phone));
    Value::Object(object)
}

/// A project with its folded status.
pub fn project(id: impl Display, project: &WithStatus<Project, ProjectStatus>) -> Value {
    Value::Object(with_id(id, project))
}

/// An activity; `participants` is the list of member ids who attended, with their
/// count (a sign-up or a check-in without check-out is not attendance, and is in the
/// `participants` map with its stage only).
pub fn activity(id: impl Display, activity: &Activity) -> Value {
    let mut object = with_id(id, activity);
    let participants: Vec<&String> = activity
        .participants
        .iter()
        .filter(|(_, participation)| participation.is_attended())
        .map(|(member, _)| member)
        .collect();
    object.insert("participant_count".into(), json!(participants.len()));
    object.insert("participants".into(), json!(participants));
    Value::Object(object)
}

/// A service record, marked if voided.
pub fn service(id: impl Display, service: &Voidable<ServiceRecord>) -> Value {
    Value::Object(with_id(id, service))
}

/// A passbook entry, marked if voided.
pub fn points_entry(id: impl Display, entry: &Voidable<PointsEntry>) -> Value {
    Value::Object(with_id(id, entry))
}

/// A void.
pub fn void(id: impl Display, void: &Void) -> Value {
    Value::Object(with_id(id, void))
}

/// A member's passbook: the sums, the flags, and every entry (voided ones marked), in
/// time order.
pub fn passbook(view: &CommunityView, member: MemberId) -> Value {
    let summed = view.passbooks.get(&member).cloned().unwrap_or_default();
    let mut entries: Vec<_> = view
        .passbook
        .iter()
        .filter(|(_, entry)| entry.entity.member == member)
        .collect();
    entries.sort_by_key(|(id, entry)| (entry.entity.at, **id));
    let Passbook {
        earned,
        redeemed,
        balance,
        overdrawn_by,
        ..
    } = &summed;
    json!({
        "member": member,
        "earned": earned,
        "redeemed": redeemed,
        "balance": balance,
        "is_overdrawn": summed.is_overdrawn(),
        "overdrawn_by": overdrawn_by,
        "entries": entries
            .into_iter()
            .map(|(id, entry)| points_entry(id, entry))
            .collect::<Vec<_>>(),
    })
}

/// The serde form of `entity` with `id` added.
fn with_id(id: impl Display, entity: &impl Serialize) -> Map<String, Value> {
    let mut object = match serde_json::to_value(entity) {
        Ok(Value::Object(object)) => object,
        // Invariant: every entity serialises to an object (they are structs of plain
        // fields); anything else would be a bug shown as an empty record.
        _ => Map::new(),
    };
    object.insert("id".into(), Value::String(id.to_string()));
    object
}
