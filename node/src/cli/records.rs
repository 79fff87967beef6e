//! The record commands (`member`, `org`, `wish`, `activity`, `service`, `redeem`): each
//! one gives its arguments as `(field, text)` pairs to the same typed input the JSON API
//! and the web UI read, writes or reads through the same API functions, and prints the
//! record as JSON.

use std::path::Path;

use serde_json::Value;
use wishtree_protocol::Timestamp;

use super::{
    ActivityCommand, BenefitCommand, MemberCommand, OrgCommand, ServiceCommand, WishAction,
    WishCommand, api_error, open, open_read_only, print_json, today,
};
use crate::api::{self, ApiError, Input};
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
            let mut given = pairs([
                ("name", Some(name)),
                ("work_unit", work_unit),
                ("position", position),
                (
                    "reported_in",
                    Some(reported_in.unwrap_or_else(|| today(now))),
                ),
                ("org", org),
                ("address", address),
                ("phone", phone),
            ]);
            given.extend(repeated("specialties", specialty));
            given.extend(repeated("intentions", intention));
            api::create_member(replica, api::NewMember::from_pairs(given, now)?, now)
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
            let given = pairs([
                ("credit_code", Some(credit_code)),
                ("name", Some(name)),
                ("reported_in", reported_in),
            ]);
            api::create_org(replica, api::NewOrg::from_pairs(given, now)?, now)
        }),
        OrgCommand::List => read(data, api::list_orgs),
    }
}

pub(super) fn wish(data: &Path, command: WishCommand) -> anyhow::Result<()> {
    let action = |action: &'static str, args: WishAction| {
        write(data, move |replica, now| {
            let given = pairs([("by", args.by), ("note", args.note)]);
            let input = api::Action::from_pairs(given, now)?;
            api::WISHES.act(replica, &args.id, action, input, now)
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
            let given = pairs([
                ("title", Some(title)),
                ("detail", detail),
                ("kind", Some(kind)),
                ("group", Some(group)),
                ("resident_label", Some(resident_label)),
                ("estimated_value", value),
                ("resident_name", resident_name),
                ("resident_phone", resident_phone),
            ]);
            api::create_wish(replica, api::NewWish::from_pairs(given, now)?, now)
        }),
        WishCommand::List { state } => read(data, move |replica| {
            api::list_wishes(replica, state.as_deref(), None)
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
            let given = pairs([
                ("title", Some(title)),
                ("category", Some(category)),
                ("date", Some(date)),
                ("minutes", Some(minutes)),
                ("place", place),
                ("organiser", organiser),
            ]);
            api::create_activity(replica, api::NewActivity::from_pairs(given, now)?, now)
        }),
        ActivityCommand::Join { activity, member } => write(data, |replica, now| {
            let given = pairs([("member", Some(member))]);
            let new = api::NewParticipant::from_pairs(given, now)?;
            api::add_participant(replica, &activity, new, now)
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
            let given = pairs([
                ("member", Some(member)),
                ("date", Some(date.unwrap_or_else(|| today(now)))),
                ("minutes", Some(minutes)),
                ("category", Some(category)),
                ("description", description),
            ]);
            api::create_service(replica, api::NewService::from_pairs(given, now)?, now)
        }),
        ServiceCommand::List => read(data, api::list_services),
    }
}

/// `benefit add|list`: the benefit catalogue.
pub(super) fn benefit(data: &Path, command: BenefitCommand) -> anyhow::Result<()> {
    match command {
        BenefitCommand::Add { title, cost, stock } => write(data, |replica, now| {
            let given = pairs([
                ("title", Some(title)),
                ("cost", Some(cost)),
                ("stock", stock),
            ]);
            api::create_benefit(replica, api::NewBenefit::from_pairs(given, now)?, now)
        }),
        BenefitCommand::List => read(data, api::list_benefits),
    }
}

/// `redeem`: spends points from a member's passbook, on a benefit of the catalogue or
/// for a reason typed in (the same input as the API's and the pages').
pub(super) fn redeem(
    data: &Path,
    member: String,
    benefit: Option<String>,
    points: Option<String>,
    reason: Option<String>,
) -> anyhow::Result<()> {
    write(data, |replica, now| {
        let given = pairs([
            ("member", Some(member)),
            ("benefit", benefit),
            ("points", points),
            ("reason", reason),
        ]);
        api::create_redemption(replica, api::NewRedemption::from_pairs(given, now)?, now)
    })
}

/// Runs a write operation on the node, holding its directory, and prints the record.
fn write(
    data: &Path,
    operation: impl FnOnce(&mut Replica, Timestamp) -> Result<Value, ApiError>,
) -> anyhow::Result<()> {
    let mut replica = open(data)?;
    let record = operation(&mut replica, crate::now()).map_err(api_error)?;
    print_json(&record)
}

/// Runs a read operation beside a running node, and prints the answer.
fn read(
    data: &Path,
    operation: impl FnOnce(&mut Replica) -> Result<Value, ApiError>,
) -> anyhow::Result<()> {
    let mut replica = open_read_only(data)?;
    let answer = operation(&mut replica).map_err(api_error)?;
    print_json(&answer)
}

/// The flags given, as `(field, text)` pairs; a flag not given is no pair.
fn pairs<const N: usize>(flags: [(&'static str, Option<String>); N]) -> Vec<(String, String)> {
    flags
        .into_iter()
        .filter_map(|(field, text)| text.map(|text| (field.to_owned(), text)))
        .collect()
}

/// A repeated flag, one pair per value.
fn repeated(field: &'static str, values: Vec<String>) -> impl Iterator<Item = (String, String)> {
    values.into_iter().map(move |text| (field.to_owned(), text))
}
