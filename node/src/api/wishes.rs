//! Micro-wishes (微心愿): submitted, published, claimed, fulfilled, and their side exits.

use serde_json::Value;
use wishtree_protocol::Timestamp;
use wishtree_protocol::command::{Command, WishFields};
use wishtree_protocol::id::WishId;
use wishtree_protocol::lifecycle::{ClaimState, ClaimStatus, Claimants};
use wishtree_protocol::model::{EventSubject, Wish};
use wishtree_protocol::text::{Detail, Label, Name, Title};
use wishtree_protocol::view::WithStatus;

use super::{
    ApiError, ApiResult, CLAIM_ACTIONS, Fields, action_kind, actor, execute, list, new_id, path_id,
    render, require,
};
use crate::replica::{PrivateRecord, Replica};
use crate::store::ResidentPrivate;

/// `POST /api/wishes`: `{title, detail, kind, group, resident_label,
/// estimated_value?}` and the private `resident_name`, `resident_phone`.
pub fn create_wish(replica: &mut Replica, body: Value, now: Timestamp) -> ApiResult {
    let fields = Fields::new(
        body,
        &[
            "title",
            "detail",
            "kind",
            "group",
            "resident_label",
            "estimated_value",
            "resident_name",
            "resident_phone",
        ],
    )?;
    let new_wish = WishFields {
        title: fields.text("title", Title::parse)?,
        detail: fields.text_or_empty("detail", Detail::parse)?,
        kind: fields.parsed("kind")?,
        group: fields.parsed("group")?,
        resident_label: fields.text("resident_label", Name::parse)?,
        estimated_value: fields.optional_number("estimated_value")?,
    };
    let real_name = fields.text_or_empty("resident_name", Label::parse)?;
    let phone = fields.text_or_empty("resident_phone", Label::parse)?;
    let id = WishId::from_bytes(new_id()?);
    let private = (!real_name.as_str().is_empty() || !phone.as_str().is_empty()).then(|| {
        PrivateRecord::Resident {
            wish: id,
            data: ResidentPrivate {
                real_name: real_name.into_string(),
                phone: phone.into_string(),
            },
        }
    });
    execute(
        replica,
        &Command::SubmitWish { id, wish: new_wish },
        private.as_ref(),
        now,
        |_| None,
    )?;
    wish(replica, &id.to_string())
}

/// `POST /api/wishes/{id}/{publish|claim|release|fulfil|reject|withdraw}`: `by`
/// (member:<id> or org:<id>) is needed to claim; the others default to the node's
/// worker. A transition that is not legal now answers 409 with the wish as it is.
pub fn wish_action(
    replica: &mut Replica,
    id: &str,
    action: &str,
    body: Value,
    now: Timestamp,
) -> ApiResult {
    let id: WishId = path_id(id)?;
    require::<Wish>(replica, id)?;
    let kind = action_kind(action, &CLAIM_ACTIONS, "wishes")?;
    let fields = Fields::new(body, &["by", "note"])?;
    let by = actor(replica, &fields, kind, EventSubject::Wish)?;
    let command = Command::WishEvent {
        id,
        kind,
        by,
        note: fields.text_or_empty("note", Detail::parse)?,
    };
    execute(replica, &command, None, now, |replica| {
        wish(replica, &id.to_string()).ok()
    })?;
    wish(replica, &id.to_string())
}

/// `GET /api/wishes[?state=published]`.
pub fn list_wishes(replica: &mut Replica, state: Option<&str>) -> ApiResult {
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
