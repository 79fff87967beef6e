//! Conflicts for staff (冲突待处理, issue 14 item 6): every fact that a concurrent
//! offline edit made ineffective, read from what the folds already decide — nothing
//! here decides anew. A command checked on one replica is never refused by its own
//! fold, so an event the fold ignored ([`Outcome::Ignored`]) met a state another
//! replica wrote meanwhile: a second claim of a wish, a post seat taken twice, a
//! step on a record closed elsewhere. A passbook's redemptions after which its
//! running balance fell below zero ([`crate::view::Passbook::overdrawn_by`]) were
//! each accepted on a replica that did not see the other. And a member's claim or
//! sign-up sent through the hub that the node refused ([`InboxOutcome`] not applied)
//! met what the community had recorded while the two were apart.
//!
//! Each conflict says what it is about and what the worker can do; the node's page
//! draws it with the link to do it.

use crate::id::{InboxEntryId, MemberId, PairingId, PointsEntryId, PostId, ProjectId, WishId};
use crate::lifecycle::{FoldedEvent, Outcome, Refusal};
use crate::model::{Actor, InboxOutcome, LifecycleEvent};
use crate::time::Timestamp;
use crate::view::CommunityView;

/// One fact a concurrent edit made ineffective.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Conflict {
    /// An event of a wish's life that did not take effect (a second claim, most often).
    Wish {
        /// The wish.
        wish: WishId,
        /// The event, with who wrote it and when.
        event: LifecycleEvent,
        /// Why the fold ignored it.
        refusal: Refusal,
    },
    /// An event of a project's life that did not take effect.
    Project {
        /// The project.
        project: ProjectId,
        /// The event.
        event: LifecycleEvent,
        /// Why.
        refusal: Refusal,
    },
    /// An event of a post that did not take effect (a seat taken twice, most often).
    Post {
        /// The post.
        post: PostId,
        /// The event.
        event: LifecycleEvent,
        /// Why.
        refusal: Refusal,
    },
    /// An event of a pairing that did not take effect.
    Pairing {
        /// The pairing.
        pairing: PairingId,
        /// The event.
        event: LifecycleEvent,
        /// Why.
        refusal: Refusal,
    },
    /// A redemption after which the member's balance was below zero.
    Overdrawn {
        /// Whose passbook.
        member: MemberId,
        /// The redemption.
        entry: PointsEntryId,
        /// The points it spent.
        points: u32,
        /// When it was written.
        at: Timestamp,
        /// The passbook's balance now.
        balance: i64,
    },
    /// A member's claim or sign-up through the hub that the node refused.
    Inbox {
        /// The inbox entry.
        entry: InboxEntryId,
        /// What the node recorded of it (kind, member, wish or activity, reason).
        outcome: InboxOutcome,
    },
}

impl Conflict {
    /// When the ineffective fact was written (for an inbox entry, when the node
    /// applied it).
    pub fn at(&self) -> Timestamp {
        match self {
            Self::Wish { event, .. }
            | Self::Project { event, .. }
            | Self::Post { event, .. }
            | Self::Pairing { event, .. } => event.at,
            Self::Overdrawn { at, .. } => *at,
            Self::Inbox { outcome, .. } => outcome.at,
        }
    }

    /// Who wrote the ineffective fact, if an actor did.
    pub fn by(&self) -> Option<&Actor> {
        match self {
            Self::Wish { event, .. }
            | Self::Project { event, .. }
            | Self::Post { event, .. }
            | Self::Pairing { event, .. } => Some(&event.by),
            Self::Overdrawn { .. } | Self::Inbox { .. } => None,
        }
    }
}

/// Every conflict of a community, the newest first: the folds' ignored events, the
/// overdrawing redemptions, and the refused claims and sign-ups of its inbox
/// (`inbox`, as the document keeps them).
pub fn conflicts<'a>(
    view: &CommunityView,
    inbox: impl IntoIterator<Item = &'a (InboxEntryId, InboxOutcome)>,
) -> Vec<Conflict> {
    let mut found = Vec::new();
    for (id, wish) in &view.wishes {
        let wish_id = *id;
        push_ignored(&mut found, &wish.status.history, |event, refusal| {
            Conflict::Wish {
                wish: wish_id,
                event,
                refusal,
            }
        });
    }
    for (id, project) in &view.projects {
        let project_id = *id;
        push_ignored(
            &mut found,
            &project.status.claim.history,
            |event, refusal| Conflict::Project {
                project: project_id,
                event,
                refusal,
            },
        );
    }
    for (id, post) in &view.posts {
        let post_id = *id;
        push_ignored(&mut found, &post.status.history, |event, refusal| {
            Conflict::Post {
                post: post_id,
                event,
                refusal,
            }
        });
    }
    for (id, pairing) in &view.pairings {
        let pairing_id = *id;
        push_ignored(&mut found, &pairing.status.history, |event, refusal| {
            Conflict::Pairing {
                pairing: pairing_id,
                event,
                refusal,
            }
        });
    }
    for (member, passbook) in &view.passbooks {
        for entry in &passbook.overdrawn_by {
            let Some(written) = view.passbook.get(entry) else {
                continue;
            };
            found.push(Conflict::Overdrawn {
                member: *member,
                entry: *entry,
                points: written.entity.points,
                at: written.entity.at,
                balance: passbook.balance,
            });
        }
    }
    found.extend(
        inbox
            .into_iter()
            .filter(|(_, outcome)| !outcome.applied && is_contested(&outcome.kind))
            .map(|(entry, outcome)| Conflict::Inbox {
                entry: *entry,
                outcome: outcome.clone(),
            }),
    );
    found.sort_by_key(|conflict| std::cmp::Reverse(conflict.at()));
    found
}

/// The inbox entries whose refusal meets something the community recorded: a claim
/// and a sign-up. A refused check-in (an expired code) or submission is not a
/// conflict between two records.
fn is_contested(kind: &str) -> bool {
    matches!(kind, "claim" | "sign_up")
}

/// Adds a conflict, made by `make`, for each event of `history` the fold ignored.
fn push_ignored(
    found: &mut Vec<Conflict>,
    history: &[FoldedEvent],
    make: impl Fn(LifecycleEvent, Refusal) -> Conflict,
) {
    found.extend(history.iter().filter_map(|folded| match &folded.outcome {
        Outcome::Ignored { refusal } => Some(make(folded.event.clone(), refusal.clone())),
        Outcome::Applied => None,
    }));
}
