//! Micro-wishes (微心愿): submitted, published, claimed, fulfilled, and their side exits.

use wishtree_protocol::Timestamp;
use wishtree_protocol::command::{Command, WishFields};
use wishtree_protocol::id::WishId;
use wishtree_protocol::lifecycle::{ClaimState, ClaimStatus, Claimants};
use wishtree_protocol::model::{Actor, EventKind, EventSubject, Wish};
use wishtree_protocol::text::{Detail, Label, Name, Title};
use wishtree_protocol::view::WithStatus;

use super::{
    ApiError, ApiResult, Expected, FieldError, Fields, Input, Lifecycle, create, list, path_id,
    render, require,
};
use crate::replica::{PrivateRecord, Replica};
use crate::store::ResidentPrivate;

/// A wish to submit, checked: what `POST /api/wishes` reads from its body and the CLI
/// builds from its arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct NewWish {
    /// What the city may see of it.
    pub wish: WishFields,
    /// The resident's real name, kept on this node only; may be empty.
    pub resident_name: Label,
    /// The resident's phone, kept on this node only; may be empty.
    pub resident_phone: Label,
}

impl Input for NewWish {
    const FIELDS: &'static [&'static str] = &[
        "title",
        "detail",
        "kind",
        "group",
        "resident_label",
        "estimated_value",
        "round",
        "resident_name",
        "resident_phone",
    ];

    /// Reads `{title, detail, kind, group, resident_label, estimated_value?, round?,
    /// resident_name?, resident_phone?}`; the value may be written `400元`; with no
    /// round, the wish goes in the round open today, if any.
    fn read(fields: &Fields, _now: Timestamp) -> Result<Self, FieldError> {
        Ok(Self {
            wish: WishFields {
                title: fields.text("title", Title::parse)?,
                detail: fields.text_or_empty("detail", Detail::parse)?,
                kind: fields.parsed("kind", Expected::Choice)?,
                group: fields.parsed("group", Expected::Choice)?,
                resident_label: fields.text("resident_label", Name::parse)?,
                estimated_value: fields.optional_yuan("estimated_value")?,
                round: fields.optional_parsed("round", Expected::Id)?,
            },
            resident_name: fields.text_or_empty("resident_name", Label::parse)?,
            resident_phone: fields.text_or_empty("resident_phone", Label::parse)?,
        })
    }
}

impl NewWish {
    /// The command that submits the wish as `id`, and its private record if a name or
    /// phone was given.
    pub fn into_command(self, id: WishId) -> (Command, Option<PrivateRecord>) {
        let Self {
            wish,
            resident_name: real_name,
            resident_phone: phone,
        } = self;
        let private = (!real_name.as_str().is_empty() || !phone.as_str().is_empty()).then(|| {
            PrivateRecord::Resident {
                wish: id,
                data: ResidentPrivate {
                    real_name: real_name.into_string(),
                    phone: phone.into_string(),
                    address: String::new(),
                },
            }
        });
        (Command::SubmitWish { id, wish }, private)
    }
}

/// `POST /api/wishes`: submits `new`, with its private name and phone if given.
pub fn create_wish(replica: &mut Replica, new: NewWish, now: Timestamp) -> ApiResult {
    let make = |id: WishId| new.into_command(id);
    create(replica, now, make, |r, id| wish(r, &id.to_string()))
}

/// `GET /api/wishes[?state=published][&round=<id>|none]`.
pub fn list_wishes(replica: &mut Replica, state: Option<&str>, round: Option<&str>) -> ApiResult {
    let round = super::RoundFilter::from_query(round)?;
    let state: Option<ClaimState> = match state {
        None | Some("") => None,
        Some(text) => Some(text.parse().map_err(|error| {
            ApiError::bad_request(Some("state".into()), format!("state: {error}"))
        })?),
    };
    let view = replica.view()?;
    let private = replica.store().residents_private()?;
    Ok(list(
        view.wishes
            .iter()
            .filter(|(_, wish)| state.is_none_or(|state| wish.status.state == state))
            .filter(|(_, wish)| round.admits(wish.entity.round))
            .map(|(id, wish)| render::wish(id, wish, private.get(id))),
    ))
}

/// `GET /api/wishes/{id}`.
pub fn wish(replica: &mut Replica, id: &str) -> ApiResult {
    let id: WishId = path_id(id)?;
    let entity = require::<Wish>(replica, id)?;
    let status = ClaimStatus::fold(&entity.events, Claimants::MembersAndOrgs);
    let private = replica.resident_private(id)?;
    Ok(render::wish(
        id,
        &WithStatus { entity, status },
        private.as_ref(),
    ))
}

/// `POST /api/wishes/{id}/{publish|claim|release|fulfil|reject|withdraw}`: `by`
/// (member:<id> or org:<id>) is needed to claim; the others default to the node's
/// worker. A transition that is not legal now answers 409 with the wish as it is.
pub static WISHES: Lifecycle<Wish> = Lifecycle::claimable(EventSubject::Wish, wish_event, wish);

fn wish_event(id: WishId, kind: EventKind, by: Actor, note: Detail) -> Command {
    Command::WishEvent { id, kind, by, note }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    /// A small deterministic generator, so that the bodies below are the same on every
    /// run and a failure can be replayed.
    struct Bodies(u64);

    impl Bodies {
        fn next(&mut self, bound: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (self.0 >> 33) % bound
        }

        fn value(&mut self, depth: u32) -> Value {
            let texts = [
                "",
                " ",
                "goods",
                "service",
                "elderly_alone",
                "希望有一台微波炉",
                "\u{0}",
                "\u{202e}x",
                "=1+1",
            ];
            match self.next(if depth == 0 { 5 } else { 7 }) {
                0 => Value::Null,
                1 => json!(self.next(2) == 0),
                2 => json!(texts[self.next(texts.len() as u64) as usize]),
                3 => match self.next(4) {
                    0 => json!(-1),
                    1 => json!(1.5),
                    2 => json!(u64::MAX),
                    _ => json!(self.next(100_000)),
                },
                4 => json!("x".repeat(self.next(300) as usize)),
                5 => Value::Array((0..self.next(3)).map(|_| self.value(depth - 1)).collect()),
                _ => self.object(depth - 1),
            }
        }

        /// A good body with up to three fields replaced, removed or misspelt.
        fn object(&mut self, depth: u32) -> Value {
            let keys: Vec<&str> = NewWish::FIELDS.iter().copied().chain(["titel"]).collect();
            let mut body = json!({"title": "希望有一台微波炉", "kind": "goods",
                "group": "elderly_alone", "resident_label": "行宫社区 彭女士"});
            for _ in 0..self.next(4) {
                let key = keys[self.next(keys.len() as u64) as usize];
                if self.next(3) == 0 {
                    if let Some(map) = body.as_object_mut() {
                        map.remove(key);
                    }
                } else {
                    body[key] = self.value(depth);
                }
            }
            body
        }
    }

    /// Any JSON body gives a wish or a refusal that names a field or the body, never a
    /// panic.
    #[test]
    fn any_json_body_gives_a_wish_or_an_error() {
        let mut bodies = Bodies(11);
        let (mut accepted, mut refused) = (0, 0);
        for _ in 0..20_000 {
            let body = if bodies.next(8) == 0 {
                bodies.value(2)
            } else {
                bodies.object(1)
            };
            match NewWish::from_json(body, Timestamp::from_millis(0)) {
                Ok(_) => accepted += 1,
                Err(ApiError::BadRequest { message, .. }) => {
                    assert!(!message.is_empty());
                    refused += 1;
                }
                Err(other) => panic!("not a bad request: {other:?}"),
            }
        }
        assert!(
            accepted > 0 && refused > 0,
            "{accepted} accepted, {refused} refused"
        );
    }

    #[test]
    fn a_good_body_becomes_a_new_wish_and_a_misspelt_field_is_refused() {
        let body = json!({"title": "希望有一台微波炉", "kind": "goods",
            "group": "disabled", "resident_label": "行宫社区 彭女士", "estimated_value": 300,
            "resident_phone": "13800000000"});
        let new = NewWish::from_json(body, Timestamp::from_millis(0)).unwrap();
        assert_eq!(new.wish.title.as_str(), "希望有一台微波炉");
        assert_eq!(new.wish.estimated_value, Some(300));
        assert_eq!(new.resident_phone.as_str(), "13800000000");
        assert_eq!(new.resident_name.as_str(), "");

        let misspelt = json!({"title": "x", "kind": "goods", "group": "disabled",
            "resident_label": "彭女士", "resident_phon": "138"});
        let error = NewWish::from_json(misspelt, Timestamp::from_millis(0)).unwrap_err();
        assert!(
            error.message().starts_with("unknown field `resident_phon`"),
            "{error:?}"
        );
    }
}
