//! The rules of DESIGN §4: the state of a wish, project, post or pairing is the fold
//! of its events in document order.
//!
//! Automerge orders concurrent appends to a list the same way on every replica, so
//! every replica folds the same list to the same state. An event that is not legal
//! when its turn comes (a second claim of a claimed wish, a fulfilment of a withdrawn
//! one) stays in the document as a fact, changes nothing, and is reported with the
//! reason — "claimed by someone else first", and who won.

use std::fmt;

use crate::model::{Actor, EventKind, LifecycleEvent};
use crate::names::define_names;
use crate::project::ProjectStage;
use crate::time::Timestamp;

define_names! {
    /// Where a wish or project is in its lifecycle.
    ClaimState, "wish state" {
        /// 群众点单: submitted by or for a resident, not yet published.
        Submitted = ("submitted", "待审核", "submitted"),
        /// 社区下单: published on the tree, a green apple.
        Published = ("published", "待认领", "published"),
        /// 党员接单: claimed, a red apple.
        Claimed = ("claimed", "已认领", "claimed"),
        /// Done, harvested into the basket.
        Fulfilled = ("fulfilled", "已实现", "fulfilled"),
        /// Turned down before publication.
        Rejected = ("rejected", "已驳回", "rejected"),
        /// Taken off the tree.
        Withdrawn = ("withdrawn", "已撤回", "withdrawn"),
    }
}

/// Who may claim a kind of thing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claimants {
    /// Members, volunteers and organisations (wishes).
    MembersAndOrgs,
    /// Organisations only (projects).
    OrgsOnly,
}

/// Why an event changed nothing.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Refusal {
    /// Someone else's claim came first in the fold.
    ClaimedFirstBy {
        /// Who holds the claim.
        claimant: Actor,
    },
    /// The author's own claim already holds it.
    AlreadyClaimed,
    /// The event is not legal in the state it met.
    NotAllowed {
        /// The event.
        kind: EventKind,
        /// The state it met.
        state: ClaimState,
    },
    /// The author may not claim this kind of thing.
    NotAClaimant {
        /// Who may.
        allowed: &'static str,
    },
    /// Only the claimant or the community may release or fulfil a claim.
    NotTheClaimant {
        /// Who holds the claim.
        claimant: Actor,
    },
    /// The post already has as many holders as it has seats.
    PostFull {
        /// How many seats the post has.
        seats: u32,
    },
    /// The author already holds the post.
    AlreadyHolds,
    /// The author does not hold the post they release.
    DoesNotHold,
    /// The post or pairing was closed before this event.
    Closed,
    /// The event has no meaning for this kind of thing (a post cannot be fulfilled).
    NotForThis {
        /// The event.
        kind: EventKind,
    },
    /// The step is not legal in the stage the project is in.
    WrongStage {
        /// The step.
        kind: EventKind,
        /// The project's stage.
        stage: ProjectStage,
    },
    /// The unit already sent a letter of intent for this project.
    IntentAlreadySent,
    /// A project is approved only with units that sent a letter of intent.
    NoIntent,
    /// The shares of a project's approved units would come to more than 100%.
    SharesOver {
        /// What they would come to, in percent.
        total: u32,
    },
}

/// What became of one event in the fold.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// It took effect.
    Applied,
    /// It was kept as a fact and changed nothing.
    Ignored {
        /// Why.
        #[serde(flatten)]
        refusal: Refusal,
    },
}

/// An event with what became of it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FoldedEvent {
    /// The fact as written.
    pub event: LifecycleEvent,
    /// What it did.
    pub outcome: Outcome,
}

/// The folded state of a wish or project.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ClaimStatus {
    /// The state.
    pub state: ClaimState,
    /// Who holds the claim, while claimed or after fulfilment.
    pub claimant: Option<Actor>,
    /// When it was (last) published.
    pub published_at: Option<Timestamp>,
    /// When the effective claim was made.
    pub claimed_at: Option<Timestamp>,
    /// When it was fulfilled.
    pub fulfilled_at: Option<Timestamp>,
    /// Every event with its outcome, in document order.
    pub history: Vec<FoldedEvent>,
}

/// The folded state of a service post.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PostStatus {
    /// Who holds the post now, in the order they claimed it.
    pub holders: Vec<Actor>,
    /// Whether the post was withdrawn.
    pub is_withdrawn: bool,
    /// Every event with its outcome, in document order.
    pub history: Vec<FoldedEvent>,
}

/// The folded state of a pairing.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PairingStatus {
    /// When the pairing ended, if it did.
    pub ended_at: Option<Timestamp>,
    /// Every event with its outcome, in document order.
    pub history: Vec<FoldedEvent>,
}

impl ClaimStatus {
    /// Folds the events of a wish or project, which starts `submitted`.
    pub fn fold(events: &[LifecycleEvent], claimants: Claimants) -> Self {
        let mut status = ClaimStatus {
            state: ClaimState::Submitted,
            claimant: None,
            published_at: None,
            claimed_at: None,
            fulfilled_at: None,
            history: Vec::new(),
        };
        let history = fold_events(events, |event| status.step(event, claimants));
        status.history = history;
        status
    }

    /// What would become of `event` if it were appended now: `Ok` if it would take
    /// effect, otherwise why not. Commands use this to refuse an illegal transition
    /// before writing it.
    pub fn check(&self, event: &LifecycleEvent, claimants: Claimants) -> Result<(), Refusal> {
        let mut probe = ClaimStatus {
            state: self.state,
            claimant: self.claimant.clone(),
            published_at: self.published_at,
            claimed_at: self.claimed_at,
            fulfilled_at: self.fulfilled_at,
            history: Vec::new(),
        };
        probe.step(event, claimants)
    }

    /// Whether the apple is on the tree (published or claimed).
    pub fn is_on_tree(&self) -> bool {
        matches!(self.state, ClaimState::Published | ClaimState::Claimed)
    }

    /// The events that were kept but changed nothing.
    pub fn ignored(&self) -> impl Iterator<Item = (&LifecycleEvent, &Refusal)> {
        self.history
            .iter()
            .filter_map(|folded| match &folded.outcome {
                Outcome::Ignored { refusal } => Some((&folded.event, refusal)),
                Outcome::Applied => None,
            })
    }

    fn step(&mut self, event: &LifecycleEvent, claimants: Claimants) -> Result<(), Refusal> {
        use ClaimState::*;
        let not_allowed = |state| Refusal::NotAllowed {
            kind: event.kind,
            state,
        };
        match (event.kind, self.state) {
            (EventKind::Publish, Submitted) => {
                self.state = Published;
                self.published_at = Some(event.at);
            }
            (EventKind::Reject, Submitted) => self.state = Rejected,
            (EventKind::Withdraw, Submitted | Published | Claimed) => {
                self.state = Withdrawn;
                self.claimant = None;
            }
            (EventKind::Claim, Published) => {
                let may_claim = match claimants {
                    Claimants::MembersAndOrgs => event.by.is_claimant(),
                    Claimants::OrgsOnly => matches!(event.by, Actor::Org(_)),
                };
                if !may_claim {
                    return Err(Refusal::NotAClaimant {
                        allowed: match claimants {
                            Claimants::MembersAndOrgs => "a member, a volunteer or an organisation",
                            Claimants::OrgsOnly => "an organisation",
                        },
                    });
                }
                self.state = Claimed;
                self.claimant = Some(event.by.clone());
                self.claimed_at = Some(event.at);
            }
            (EventKind::Claim, state @ (Claimed | Fulfilled)) => {
                // Invariant of the fold: a claimed or fulfilled thing has a claimant.
                return Err(match &self.claimant {
                    Some(claimant) if claimant == &event.by => Refusal::AlreadyClaimed,
                    Some(claimant) => Refusal::ClaimedFirstBy {
                        claimant: claimant.clone(),
                    },
                    None => not_allowed(state),
                });
            }
            (EventKind::Release | EventKind::Fulfil, Claimed) => {
                let is_claimant = self.claimant.as_ref() == Some(&event.by);
                let is_worker = matches!(event.by, Actor::Worker(_));
                if !is_claimant && !is_worker {
                    return Err(match &self.claimant {
                        Some(claimant) => Refusal::NotTheClaimant {
                            claimant: claimant.clone(),
                        },
                        None => not_allowed(Claimed),
                    });
                }
                if event.kind == EventKind::Release {
                    self.state = Published;
                    self.claimant = None;
                    self.claimed_at = None;
                } else {
                    self.state = Fulfilled;
                    self.fulfilled_at = Some(event.at);
                }
            }
            (_, state) => return Err(not_allowed(state)),
        }
        Ok(())
    }
}

impl PostStatus {
    /// Folds the events of a service post, which starts open with no holder.
    pub fn fold(events: &[LifecycleEvent], seats: u32) -> Self {
        let mut status = PostStatus {
            holders: Vec::new(),
            is_withdrawn: false,
            history: Vec::new(),
        };
        let history = fold_events(events, |event| status.step(event, seats));
        status.history = history;
        status
    }

    /// What would become of `event` if it were appended now.
    pub fn check(&self, event: &LifecycleEvent, seats: u32) -> Result<(), Refusal> {
        let mut probe = PostStatus {
            holders: self.holders.clone(),
            is_withdrawn: self.is_withdrawn,
            history: Vec::new(),
        };
        probe.step(event, seats)
    }

    fn step(&mut self, event: &LifecycleEvent, seats: u32) -> Result<(), Refusal> {
        if self.is_withdrawn {
            return Err(Refusal::Closed);
        }
        match event.kind {
            EventKind::Claim => {
                // A post's seats are the reported members' duty (设岗定责); a
                // volunteer serves through wishes and service records instead.
                if !event.by.is_claimant() || matches!(event.by, Actor::Volunteer(_)) {
                    return Err(Refusal::NotAClaimant {
                        allowed: "a member or an organisation",
                    });
                }
                if self.holders.contains(&event.by) {
                    return Err(Refusal::AlreadyHolds);
                }
                if self.holders.len() >= seats as usize {
                    return Err(Refusal::PostFull { seats });
                }
                self.holders.push(event.by.clone());
            }
            EventKind::Release => {
                let position = self.holders.iter().position(|holder| holder == &event.by);
                match position {
                    Some(index) => {
                        self.holders.remove(index);
                    }
                    None => return Err(Refusal::DoesNotHold),
                }
            }
            EventKind::Withdraw => {
                self.is_withdrawn = true;
                self.holders.clear();
            }
            kind => return Err(Refusal::NotForThis { kind }),
        }
        Ok(())
    }
}

impl PairingStatus {
    /// Folds the events of a pairing, which starts in force.
    pub fn fold(events: &[LifecycleEvent]) -> Self {
        let mut ended_at = None;
        let history = fold_events(events, |event| match (event.kind, ended_at) {
            (EventKind::End, None) => {
                ended_at = Some(event.at);
                Ok(())
            }
            (EventKind::End, Some(_)) => Err(Refusal::Closed),
            (kind, _) => Err(Refusal::NotForThis { kind }),
        });
        PairingStatus { ended_at, history }
    }

    /// Whether the pairing is in force.
    pub fn is_active(&self) -> bool {
        self.ended_at.is_none()
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::ClaimedFirstBy { claimant } => {
                write!(f, "claimed by someone else first ({claimant})")
            }
            Self::AlreadyClaimed => f.write_str("already claimed by the same claimant"),
            Self::NotAllowed { kind, state } => {
                write!(f, "cannot {kind} a wish that is {state}")
            }
            Self::NotAClaimant { allowed } => write!(f, "only {allowed} can claim this"),
            Self::NotTheClaimant { claimant } => {
                write!(
                    f,
                    "only the claimant ({claimant}) or the community can do this"
                )
            }
            Self::PostFull { seats } => write!(f, "the post already has its {seats} holders"),
            Self::AlreadyHolds => f.write_str("already holds the post"),
            Self::DoesNotHold => f.write_str("does not hold the post"),
            Self::Closed => f.write_str("already closed"),
            Self::NotForThis { kind } => write!(f, "cannot {kind} this"),
            Self::WrongStage { kind, stage } => {
                write!(f, "cannot {kind} a project that is {stage}")
            }
            Self::IntentAlreadySent => {
                f.write_str("the unit already sent a letter of intent for this project")
            }
            Self::NoIntent => f.write_str(
                "the unit sent no letter of intent for this project; only units that did can be approved",
            ),
            Self::SharesOver { total } => write!(
                f,
                "the approved units' shares would come to {total}%, more than 100%"
            ),
        }
    }
}

impl Refusal {
    /// The refusal in Chinese, for the node UI.
    pub fn describe_zh(&self) -> String {
        match self {
            Self::ClaimedFirstBy { .. } => "已被他人先认领".to_owned(),
            Self::AlreadyClaimed => "已由同一认领人认领".to_owned(),
            Self::NotAllowed { kind, state } => {
                format!("当前状态为“{}”，不能{}", state.label_zh(), kind.label_zh())
            }
            Self::NotAClaimant { .. } => "只有党员或单位党组织可以认领".to_owned(),
            Self::NotTheClaimant { .. } => "只有认领人或社区可以操作".to_owned(),
            Self::PostFull { seats } => format!("岗位已满（{seats} 人）"),
            Self::AlreadyHolds => "已认领该岗位".to_owned(),
            Self::DoesNotHold => "未认领该岗位".to_owned(),
            Self::Closed => "已关闭".to_owned(),
            Self::NotForThis { kind } => format!("不能{}", kind.label_zh()),
            Self::WrongStage { kind, stage } => {
                format!(
                    "项目当前阶段为“{}”，不能{}",
                    stage.label_zh(),
                    kind.label_zh()
                )
            }
            Self::IntentAlreadySent => "该单位已递交认领意向书".to_owned(),
            Self::NoIntent => "该单位未递交认领意向书，不能立项承接".to_owned(),
            Self::SharesOver { total } => {
                format!("承接单位的份额合计将达 {total}%，超过 100%")
            }
        }
    }
}

/// Runs `step` over `events` in document order, keeping each event with what it did:
/// the one loop of every fold here.
fn fold_events(
    events: &[LifecycleEvent],
    mut step: impl FnMut(&LifecycleEvent) -> Result<(), Refusal>,
) -> Vec<FoldedEvent> {
    events
        .iter()
        .map(|event| FoldedEvent {
            event: event.clone(),
            outcome: match step(event) {
                Ok(()) => Outcome::Applied,
                Err(refusal) => Outcome::Ignored { refusal },
            },
        })
        .collect()
}

#[cfg(test)]
mod tests;
