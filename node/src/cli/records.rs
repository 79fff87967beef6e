//! The record commands (`member`, `org`, `wish`, `activity`, `service`): each one
//! writes or reads through the same API functions the JSON API serves, and prints the
//! record as JSON.

use std::path::Path;

use anyhow::anyhow;
use serde_json::{Value, json};
use wishtree_protocol::Timestamp;
use wishtree_protocol::command::{MemberFields, WishFields};
use wishtree_protocol::text::{Detail, Label, Name, Title};

use super::{
    ActivityCommand, MemberCommand, OrgCommand, ServiceCommand, WishAction, WishCommand, api_error,
    open, open_read_only, print_json, today,
};
use crate::api::{self, ApiError};
use crate::replica::Replica;

pub(super) fn member(data: &Path, command: MemberCommand) -> anyhow::Result<()> {
    match command {
        MemberCommand::Add {
            name,
            work_unit,
            position,
            specialty,
            intention,
            reported_in,
            org,
            address,
            phone,
        } => write(data, |replica, now| {
            let reported_in = reported_in.unwrap_or_else(|| today(now));
            let new = new_member(
                name,
                work_unit,
                position,
                specialty,
                intention,
                &reported_in,
                org,
                address,
                phone,
            )
            .map_err(|error| ApiError::bad_request(None, error.to_string()))?;
            api::create_member(replica, new, now)
        }),
        MemberCommand::List => read(data, api::list_members),
    }
}

/// The member `member add` records, checked as the JSON API checks a body.
// The arguments are `member add`'s flags, one for one.
#[allow(clippy::too_many_arguments)]
fn new_member(
    name: String,
    work_unit: Option<String>,
    position: Option<String>,
    specialties: Vec<String>,
    intentions: Vec<String>,
    reported_in: &str,
    org: Option<String>,
    address: Option<String>,
    phone: Option<String>,
) -> anyhow::Result<api::NewMember> {
    let label = |field: &'static str, text: &str| {
        Label::parse(field, text).map_err(|error| anyhow!("{error}"))
    };
    let member = MemberFields {
        name: Name::parse("name", &name).map_err(|error| anyhow!("{error}"))?,
        work_unit: label("work_unit", work_unit.as_deref().unwrap_or(""))?,
        org: match org.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => Some(text.parse().map_err(|error| anyhow!("org: {error}"))?),
        },
        position: label("position", position.as_deref().unwrap_or(""))?,
        specialties: specialties
            .iter()
            .map(|text| label("specialties", text))
            .collect::<Result<_, _>>()?,
        intentions: intentions
            .iter()
            .map(|code| {
                code.trim()
                    .parse()
                    .map_err(|error| anyhow!("intentions: {error}"))
            })
            .collect::<Result<_, _>>()?,
        reported_in: reported_in
            .trim()
            .parse()
            .map_err(|error| anyhow!("reported_in: {error}"))?,
        branch: None,
        team: None,
    };
    Ok(api::NewMember {
        member,
        address: address.map(|text| label("address", &text)).transpose()?,
        phone: phone.map(|text| label("phone", &text)).transpose()?,
    })
}

pub(super) fn org(data: &Path, command: OrgCommand) -> anyhow::Result<()> {
    match command {
        OrgCommand::Add {
            credit_code,
            name,
            reported_in,
        } => write(data, |replica, now| {
            api::create_org(
                replica,
                json!({"credit_code": credit_code, "name": name, "reported_in": reported_in}),
                now,
            )
        }),
        OrgCommand::List => read(data, api::list_orgs),
    }
}

pub(super) fn wish(data: &Path, command: WishCommand) -> anyhow::Result<()> {
    let action = |action: &'static str, args: WishAction| {
        write(data, move |replica, now| {
            api::wish_action(
                replica,
                &args.id,
                action,
                json!({"by": args.by, "note": args.note}),
                now,
            )
        })
    };
    match command {
        WishCommand::Add {
            title,
            detail,
            kind,
            group,
            resident_label,
            value,
            resident_name,
            resident_phone,
        } => {
            let text = |field: &'static str, text: Option<&str>| {
                Label::parse(field, text.unwrap_or("")).map_err(|error| anyhow!("{error}"))
            };
            let parsed = |field: &str, error: &dyn std::fmt::Display| anyhow!("{field}: {error}");
            let new = api::NewWish {
                wish: WishFields {
                    title: Title::parse("title", &title).map_err(|error| anyhow!("{error}"))?,
                    detail: Detail::parse("detail", detail.as_deref().unwrap_or(""))
                        .map_err(|error| anyhow!("{error}"))?,
                    kind: kind
                        .trim()
                        .parse()
                        .map_err(|error| parsed("kind", &error))?,
                    group: group
                        .trim()
                        .parse()
                        .map_err(|error| parsed("group", &error))?,
                    resident_label: Name::parse("resident_label", &resident_label)
                        .map_err(|error| anyhow!("{error}"))?,
                    estimated_value: value,
                },
                resident_name: text("resident_name", resident_name.as_deref())?,
                resident_phone: text("resident_phone", resident_phone.as_deref())?,
            };
            write(data, |replica, now| api::create_wish(replica, new, now))
        }
        WishCommand::List { state } => read(data, move |replica| {
            api::list_wishes(replica, state.as_deref())
        }),
        WishCommand::Publish(args) => action("publish", args),
        WishCommand::Claim(args) => action("claim", args),
        WishCommand::Release(args) => action("release", args),
        WishCommand::Fulfil(args) => action("fulfil", args),
        WishCommand::Reject(args) => action("reject", args),
        WishCommand::Withdraw(args) => action("withdraw", args),
    }
}

pub(super) fn activity(data: &Path, command: ActivityCommand) -> anyhow::Result<()> {
    match command {
        ActivityCommand::Add {
            title,
            category,
            date,
            minutes,
            place,
            organiser,
        } => write(data, |replica, now| {
            api::create_activity(
                replica,
                json!({
                    "title": title, "category": category, "date": date,
                    "minutes": minutes, "place": place, "organiser": organiser,
                }),
                now,
            )
        }),
        ActivityCommand::Join { activity, member } => write(data, |replica, now| {
            api::add_participant(replica, &activity, json!({"member": member}), now)
        }),
        ActivityCommand::List => read(data, api::list_activities),
    }
}

pub(super) fn service(data: &Path, command: ServiceCommand) -> anyhow::Result<()> {
    match command {
        ServiceCommand::Add {
            member,
            date,
            minutes,
            category,
            description,
        } => write(data, |replica, now| {
            let date = date.unwrap_or_else(|| today(now));
            api::create_service(
                replica,
                json!({
                    "member": member, "date": date, "minutes": minutes,
                    "category": category, "description": description,
                }),
                now,
            )
        }),
        ServiceCommand::List => read(data, api::list_services),
    }
}

/// Runs a write operation on the node, holding its directory, and prints the record.
pub(super) fn write(
    data: &Path,
    operation: impl FnOnce(&mut Replica, Timestamp) -> Result<Value, ApiError>,
) -> anyhow::Result<()> {
    let mut replica = open(data)?;
    let record = operation(&mut replica, crate::now()).map_err(api_error)?;
    print_json(&record)
}

/// Runs a read operation beside a running node, and prints the answer.
pub(super) fn read(
    data: &Path,
    operation: impl FnOnce(&mut Replica) -> Result<Value, ApiError>,
) -> anyhow::Result<()> {
    let mut replica = open_read_only(data)?;
    let answer = operation(&mut replica).map_err(api_error)?;
    print_json(&answer)
}
