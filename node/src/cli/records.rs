//! The record commands (`member`, `org`, `wish`, `activity`, `service`): each one
//! writes or reads through the same API functions the JSON API serves, and prints the
//! record as JSON.

use std::path::Path;

use serde_json::{Value, json};
use wishtree_protocol::Timestamp;

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
            api::create_member(
                replica,
                json!({
                    "name": name, "work_unit": work_unit, "position": position,
                    "specialties": specialty, "intentions": intention,
                    "reported_in": reported_in, "org": org,
                    "address": address, "phone": phone,
                }),
                now,
            )
        }),
        MemberCommand::List => read(data, api::list_members),
    }
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
        } => write(data, |replica, now| {
            api::create_wish(
                replica,
                json!({
                    "title": title, "detail": detail, "kind": kind, "group": group,
                    "resident_label": resident_label, "estimated_value": value,
                    "resident_name": resident_name, "resident_phone": resident_phone,
                }),
                now,
            )
        }),
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
