//! Member cards (党员服务卡): issuing a card to a member — a statement signed by the
//! node's key, with a secret shown once as a link and a QR code — listing a member's
//! cards, and revoking one.
//!
//! The node keeps no card secret: the document records the secret's hash
//! ([`CardRecord`]), which is what the hub checks a card against on every request. So
//! the card's text is in the answer to the issue alone; a member who lost it gets a new
//! card (and the lost one is revoked, if asked: issuing never revokes by itself).

use qrcode::QrCode;
use qrcode::render::svg;
use serde_json::{Value, json};
use wishtree_protocol::Timestamp;
use wishtree_protocol::card::{CardSecret, MemberCard};
use wishtree_protocol::command::Command;
use wishtree_protocol::id::{CardId, MemberId};
use wishtree_protocol::model::{CardRecord, Member};
use wishtree_protocol::text::Label;

use super::{
    ApiError, ApiResult, FieldError, Fields, Input, Problem, execute, list, new_id, path_id,
    require,
};
use crate::replica::{Replica, setting};

/// How long a card is valid unless asked otherwise: two years, a report-in period and
/// its half-year reports.
pub const DEFAULT_CARD_DAYS: u32 = 730;
/// The longest validity a card may be given: five years.
pub const MAX_CARD_DAYS: u32 = 5 * 365;

/// The path of the hub's card page; the card text follows `#`, so that it is never
/// sent to a server or written to a log (DESIGN §11).
pub const CARD_PATH: &str = "/m/card#";

/// A card to issue: `POST /api/members/{id}/cards` with `{valid_days?}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCard {
    /// Days from now until the card expires.
    pub valid_days: u32,
}

/// A card to revoke: `POST /api/cards/{id}/revoke` with `{reason}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardRevocation {
    /// Why, e.g. 手机丢失; required.
    pub reason: Label,
}

impl Input for NewCard {
    const FIELDS: &'static [&'static str] = &["valid_days"];

    fn read(fields: &Fields, _now: Timestamp) -> Result<Self, FieldError> {
        let valid_days = fields
            .optional_number("valid_days")?
            .unwrap_or(DEFAULT_CARD_DAYS);
        if !(1..=MAX_CARD_DAYS).contains(&valid_days) {
            return Err(FieldError::new(
                "valid_days",
                Problem::OutOfRange {
                    rule: "between 1 and 1825 days (five years)",
                },
            ));
        }
        Ok(Self { valid_days })
    }
}

impl Input for CardRevocation {
    const FIELDS: &'static [&'static str] = &["reason"];

    fn read(fields: &Fields, _now: Timestamp) -> Result<Self, FieldError> {
        let reason = fields.text_or_empty("reason", Label::parse)?;
        if reason.as_str().trim().is_empty() {
            return Err(FieldError::new("reason", Problem::Missing));
        }
        Ok(Self { reason })
    }
}

/// `POST /api/members/{id}/cards`: a new card for the member, recorded in the
/// document by its secret's hash. Answers the record with the card's text, its link at
/// the hub (when the node knows the hub's web address) and the QR code of that link as
/// SVG — the only time the secret is shown.
pub fn issue_card(replica: &mut Replica, member: &str, new: NewCard, now: Timestamp) -> ApiResult {
    let member: MemberId = path_id(member)?;
    require::<Member>(replica, member)?;
    let id = CardId::from_bytes(new_id()?);
    let secret = CardSecret::from_bytes(new_id()?);
    let expires = now.plus_millis(i64::from(new.valid_days) * 24 * 60 * 60 * 1000);
    let card = MemberCard::issue(
        replica.key_pair(),
        replica.code(),
        member,
        id,
        now,
        expires,
        secret,
    );
    let command = Command::IssueCard {
        id,
        member,
        issued: now,
        expires,
        secret_hash: card.statement.secret_hash,
    };
    execute(replica, &command, None, now, |_| None)?;
    let text = card.to_text();
    let link = hub_link(replica, &format!("{CARD_PATH}{text}"))?;
    let mut answer = card_record(replica, id)?;
    answer["text"] = Value::String(text);
    answer["qr_svg"] = Value::String(qr_svg(&link)?);
    answer["link"] = Value::String(link);
    Ok(answer)
}

/// `POST /api/cards/{id}/revoke`: the hub refuses the card from the sync that brings
/// the revocation on.
pub fn revoke_card(
    replica: &mut Replica,
    id: &str,
    revocation: CardRevocation,
    now: Timestamp,
) -> ApiResult {
    let id: CardId = path_id(id)?;
    require::<CardRecord>(replica, id)?;
    let command = Command::RevokeCard {
        id,
        reason: revocation.reason,
    };
    execute(replica, &command, None, now, |replica| {
        card_record(replica, id).ok()
    })?;
    card_record(replica, id)
}

/// `GET /api/members/{id}/cards`: the member's cards, newest first.
pub fn member_cards(replica: &mut Replica, member: &str) -> ApiResult {
    let member: MemberId = path_id(member)?;
    require::<Member>(replica, member)?;
    Ok(list(
        cards_of(replica, member)?
            .iter()
            .map(|(id, record)| render_card(*id, record)),
    ))
}

/// The cards of `member`, newest first.
pub fn cards_of(
    replica: &Replica,
    member: MemberId,
) -> Result<Vec<(CardId, CardRecord)>, ApiError> {
    let (cards, _) = replica.doc().entities::<CardRecord>()?;
    let mut cards: Vec<_> = cards
        .into_iter()
        .filter(|(_, record)| record.member == member)
        .collect();
    cards.sort_by_key(|(_, record)| std::cmp::Reverse(record.issued));
    Ok(cards)
}

/// `path` at the hub's web address (setting `hub_web`, `init --hub-web`) — a card's
/// link, a check-in code's, the poster's; the path alone if none is set.
pub fn hub_link(replica: &Replica, path: &str) -> Result<String, ApiError> {
    let base = replica
        .store()
        .setting(setting::HUB_WEB)?
        .unwrap_or_default();
    Ok(format!("{}{path}", base.trim_end_matches('/')))
}

/// The link on the community's poster: the hub's wish form for residents
/// (`/m/wish/new?c=<community>`, issue 12).
pub fn poster_link(replica: &Replica) -> Result<String, ApiError> {
    hub_link(replica, &format!("/m/wish/new?c={}", replica.code()))
}

/// The QR code of `link`, as an SVG element (no XML declaration, so that it can be
/// put in a page as it is).
pub fn qr_svg(link: &str) -> Result<String, ApiError> {
    let code = QrCode::new(link.as_bytes()).map_err(|error| ApiError::Internal {
        message: format!("the link does not fit a QR code: {error}"),
    })?;
    let image = code
        .render::<svg::Color<'_>>()
        .min_dimensions(240, 240)
        .build();
    Ok(match image.find("<svg") {
        Some(start) => image[start..].to_owned(),
        None => image,
    })
}

fn card_record(replica: &Replica, id: CardId) -> ApiResult {
    let record = require::<CardRecord>(replica, id)?;
    Ok(render_card(id, &record))
}

fn render_card(id: CardId, record: &CardRecord) -> Value {
    json!({
        "id": id,
        "member": record.member,
        "issued": record.issued,
        "expires": record.expires,
        "revoked_at": record.revoked_at,
        "revoked_reason": record.revoked_reason,
    })
}
