//! A livelihood project's stages as Guangzhou runs them (民生微实事): 征集 → 认领意向书 →
//! 立项 → 实施 → 完成, or 终止 from any open stage, claimed jointly by several units
//! (共同认领 / 共同承接), each with its [`Share`].
//!
//! The state is the fold of the project's events in document order, as for a wish
//! (DESIGN §4): a letter of intent (`intent`, by the unit, with its share and the part it
//! takes on in its note), the approval of one unit that sent a letter (`approve`, one
//! event per unit, written together by one command; the shares approved stay at most
//! 100%), `start`, `fulfil` and `terminate` (with its reason).
//!
//! **Projects written before stages.** A project used to share the wish lifecycle; its
//! old events fold here too, and to the same wish-style state as before
//! ([`ProjectStatus::claim`], which the figures' `projects` per state still count):
//! submitted and published are 征集 (the publication remembered), a claim is the claimant's
//! letter and its approval at 100% (立项), a fulfilment is 完成, a rejection or
//! withdrawal is 终止, and a release takes the claim and its letter back. The test
//! `old_events_fold_as_before` checks every short sequence of old events against the
//! wish fold.

use crate::id::OrgId;
use crate::lifecycle::{ClaimState, ClaimStatus, FoldedEvent, Outcome, Refusal};
use crate::model::{Actor, EventKind, LifecycleEvent, Share};
use crate::names::define_names;
use crate::time::Timestamp;

define_names! {
    /// Where a project is in Guangzhou's flow.
    ProjectStage, "project stage" {
        /// 征集: the need is recorded and open for letters of intent.
        Collecting = ("collecting", "征集", "collecting"),
        /// 认领意向书: at least one unit sent a letter of intent.
        Intents = ("intents", "认领意向书", "letters of intent"),
        /// 立项: approved, with the units that take it on.
        Approved = ("approved", "立项", "approved"),
        /// 实施: the work is under way.
        InProgress = ("in_progress", "实施", "in progress"),
        /// 完成: done.
        Done = ("done", "完成", "done"),
        /// 终止: ended before it was done, with a reason.
        Terminated = ("terminated", "终止", "terminated"),
    }
}

/// A unit's letter of intent, or its place among the claimants once approved.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct UnitShare {
    /// The unit organisation.
    pub unit: OrgId,
    /// Its share.
    pub share: Share,
    /// What it takes on, in the words of its letter.
    pub part: String,
    /// When its letter (or, for a claim written before stages, its claim) was written.
    pub at: Timestamp,
}

/// The folded state of a project.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ProjectStatus {
    /// The stage.
    pub stage: ProjectStage,
    /// Whether it was published (an old step, kept so that old figures read the same).
    pub is_published: bool,
    /// The letters of intent that stand, in the order they came.
    pub intents: Vec<UnitShare>,
    /// The units approved to take it on, in the order approved: one, or several for a
    /// joint claim.
    pub claimants: Vec<UnitShare>,
    /// When work began.
    pub started_at: Option<Timestamp>,
    /// When it was terminated, and why.
    pub terminated: Option<(Timestamp, String)>,
    /// The project in the wish-style terms it had before stages (state, first claimant,
    /// dates, and the whole history with outcomes): what the figures' `projects` per
    /// state count, unchanged for documents written before. Its fields are the
    /// project's own in JSON, as before stages.
    #[serde(flatten)]
    pub claim: ClaimStatus,
    /// Which closing event ended it, so that the wish-style state tells a rejection
    /// from a withdrawal.
    #[serde(skip)]
    ended_by: Option<EventKind>,
}

impl ProjectStatus {
    /// Folds a project's events; a project starts in 征集.
    pub fn fold(events: &[LifecycleEvent]) -> Self {
        let mut status = ProjectStatus::new();
        let mut history = Vec::with_capacity(events.len());
        for event in events {
            let outcome = match status.step(event) {
                Ok(()) => Outcome::Applied,
                Err(refusal) => Outcome::Ignored { refusal },
            };
            history.push(FoldedEvent {
                event: event.clone(),
                outcome,
            });
        }
        status.claim.history = history;
        status
    }

    /// What would become of `event` if it were appended now.
    pub fn check(&self, event: &LifecycleEvent) -> Result<(), Refusal> {
        let mut probe = self.clone();
        probe.claim.history = Vec::new();
        probe.step(event)
    }

    /// Whether the project is open (not done and not terminated).
    pub fn is_open(&self) -> bool {
        !matches!(self.stage, ProjectStage::Done | ProjectStage::Terminated)
    }

    /// Whether several units took it on together.
    pub fn is_joint(&self) -> bool {
        self.claimants.len() > 1
    }

    /// The shares approved so far, in percent.
    pub fn shares_approved(&self) -> u32 {
        self.claimants.iter().map(|unit| unit.share.percent()).sum()
    }

    /// The unit's letter of intent, if it sent one that stands.
    pub fn intent_of(&self, unit: OrgId) -> Option<&UnitShare> {
        self.intents.iter().find(|intent| intent.unit == unit)
    }

    /// Whether `unit` is among the approved claimants.
    pub fn is_claimant(&self, unit: OrgId) -> bool {
        self.claimants.iter().any(|claimant| claimant.unit == unit)
    }

    fn new() -> Self {
        ProjectStatus {
            stage: ProjectStage::Collecting,
            is_published: false,
            intents: Vec::new(),
            claimants: Vec::new(),
            started_at: None,
            terminated: None,
            claim: ClaimStatus {
                state: ClaimState::Submitted,
                claimant: None,
                published_at: None,
                claimed_at: None,
                fulfilled_at: None,
                history: Vec::new(),
            },
            ended_by: None,
        }
    }

    fn step(&mut self, event: &LifecycleEvent) -> Result<(), Refusal> {
        use ProjectStage::*;
        let not_allowed = Refusal::WrongStage {
            kind: event.kind,
            stage: self.stage,
        };
        let unit = match &event.by {
            Actor::Org(unit) => Some(*unit),
            _ => None,
        };
        match (event.kind, self.stage) {
            (EventKind::Publish, Collecting) if !self.is_published => {
                self.is_published = true;
                self.claim.published_at = Some(event.at);
            }
            (EventKind::Reject, Collecting) if !self.is_published => {
                self.terminate(event);
            }
            (
                EventKind::Withdraw | EventKind::Terminate,
                Collecting | Intents | Approved | InProgress,
            ) => {
                self.terminate(event);
            }
            (EventKind::Intent, Collecting | Intents) => {
                let unit = unit.ok_or(Refusal::NotAClaimant {
                    allowed: "an organisation",
                })?;
                let share = event
                    .share
                    .ok_or(Refusal::NotForThis { kind: event.kind })?;
                if self.intent_of(unit).is_some() {
                    return Err(Refusal::IntentAlreadySent);
                }
                self.intents.push(UnitShare {
                    unit,
                    share,
                    part: event.note.clone(),
                    at: event.at,
                });
                self.stage = Intents;
            }
            (EventKind::Approve, Intents | Approved) => {
                let unit = unit.ok_or(Refusal::NotAClaimant {
                    allowed: "an organisation",
                })?;
                if self.is_claimant(unit) {
                    return Err(Refusal::AlreadyClaimed);
                }
                let intent = self.intent_of(unit).cloned().ok_or(Refusal::NoIntent)?;
                let total = self.shares_approved() + intent.share.percent();
                if total > 100 {
                    return Err(Refusal::SharesOver { total });
                }
                self.approve(intent, event.at);
            }
            // A claim as projects had them before stages: a letter for the whole and its
            // approval at once, on a published project nobody sent a letter for.
            (EventKind::Claim, Collecting) if self.is_published => {
                let unit = unit.ok_or(Refusal::NotAClaimant {
                    allowed: "an organisation",
                })?;
                let whole = UnitShare {
                    unit,
                    share: Share::WHOLE,
                    part: event.note.clone(),
                    at: event.at,
                };
                self.intents.push(whole.clone());
                self.approve(whole, event.at);
            }
            (EventKind::Claim, Approved | InProgress | Done) => {
                return Err(match unit {
                    Some(unit) if self.is_claimant(unit) => Refusal::AlreadyClaimed,
                    _ => match &self.claim.claimant {
                        Some(claimant) => Refusal::ClaimedFirstBy {
                            claimant: claimant.clone(),
                        },
                        None => not_allowed,
                    },
                });
            }
            (EventKind::Start, Approved) => {
                self.stage = InProgress;
                self.started_at = Some(event.at);
            }
            (EventKind::Release | EventKind::Fulfil, Approved | InProgress)
                if event.kind == EventKind::Fulfil || self.stage == Approved =>
            {
                let by_claimant = unit.is_some_and(|unit| self.is_claimant(unit));
                if !by_claimant && !matches!(event.by, Actor::Worker(_)) {
                    return Err(match &self.claim.claimant {
                        Some(claimant) => Refusal::NotTheClaimant {
                            claimant: claimant.clone(),
                        },
                        None => not_allowed,
                    });
                }
                if event.kind == EventKind::Fulfil {
                    self.stage = Done;
                    self.claim.state = ClaimState::Fulfilled;
                    self.claim.fulfilled_at = Some(event.at);
                } else {
                    self.release(unit.filter(|_| by_claimant));
                }
            }
            _ => return Err(not_allowed),
        }
        self.claim.state = self.claim_state();
        Ok(())
    }

    fn approve(&mut self, unit: UnitShare, at: Timestamp) {
        if self.claimants.is_empty() {
            self.claim.claimant = Some(Actor::Org(unit.unit));
            self.claim.claimed_at = Some(at);
        }
        self.claimants.push(unit);
        self.stage = ProjectStage::Approved;
    }

    /// Takes back one unit's claim and letter (or, by the community, every claim and
    /// its letter); with no claimant left the project is open again.
    fn release(&mut self, unit: Option<OrgId>) {
        let released: Vec<OrgId> = match unit {
            Some(unit) => vec![unit],
            None => self
                .claimants
                .iter()
                .map(|claimant| claimant.unit)
                .collect(),
        };
        self.claimants
            .retain(|claimant| !released.contains(&claimant.unit));
        self.intents
            .retain(|intent| !released.contains(&intent.unit));
        match self.claimants.first() {
            Some(lead) => self.claim.claimant = Some(Actor::Org(lead.unit)),
            None => {
                self.claim.claimant = None;
                self.claim.claimed_at = None;
                self.stage = if self.intents.is_empty() {
                    ProjectStage::Collecting
                } else {
                    ProjectStage::Intents
                };
            }
        }
    }

    fn terminate(&mut self, event: &LifecycleEvent) {
        self.stage = ProjectStage::Terminated;
        self.terminated = Some((event.at, event.note.clone()));
        self.ended_by = Some(event.kind);
        self.claim.claimant = None;
    }

    /// The wish-style state the figures counted before stages.
    fn claim_state(&self) -> ClaimState {
        match self.stage {
            ProjectStage::Collecting if !self.is_published => ClaimState::Submitted,
            ProjectStage::Collecting | ProjectStage::Intents => ClaimState::Published,
            ProjectStage::Approved | ProjectStage::InProgress => ClaimState::Claimed,
            ProjectStage::Done => ClaimState::Fulfilled,
            ProjectStage::Terminated if self.ended_by == Some(EventKind::Reject) => {
                ClaimState::Rejected
            }
            ProjectStage::Terminated => ClaimState::Withdrawn,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::MemberId;
    use crate::lifecycle::Claimants;

    fn event(kind: EventKind, by: Actor, at: i64) -> LifecycleEvent {
        LifecycleEvent {
            kind,
            by,
            at: Timestamp::from_millis(at),
            note: String::new(),
            share: None,
        }
    }

    fn intent(unit: OrgId, percent: u32, at: i64) -> LifecycleEvent {
        LifecycleEvent {
            share: Share::from_percent(percent),
            ..event(EventKind::Intent, Actor::Org(unit), at)
        }
    }

    fn worker() -> Actor {
        Actor::Worker("worker".to_owned())
    }

    use ProjectStage::*;

    fn refusal_of(events: &[LifecycleEvent], next: LifecycleEvent) -> Option<Refusal> {
        ProjectStatus::fold(events).check(&next).err()
    }

    #[test]
    fn a_joint_project_goes_through_every_stage() {
        let (a, b) = (OrgId::from_bytes([1; 16]), OrgId::from_bytes([2; 16]));
        let events = vec![
            intent(a, 60, 1),
            intent(b, 40, 2),
            event(EventKind::Approve, Actor::Org(a), 3),
            event(EventKind::Approve, Actor::Org(b), 3),
            event(EventKind::Start, worker(), 4),
            event(EventKind::Fulfil, worker(), 5),
        ];
        let status = ProjectStatus::fold(&events);
        assert_eq!(status.stage, ProjectStage::Done);
        assert!(status.is_joint());
        assert_eq!(status.shares_approved(), 100);
        assert_eq!(status.claim.state, ClaimState::Fulfilled);
        assert_eq!(status.claim.claimant, Some(Actor::Org(a)));
        assert_eq!(status.claim.ignored().count(), 0);
    }

    #[test]
    fn each_wrong_step_is_refused_with_its_reason() {
        let (a, b, c) = (
            OrgId::from_bytes([1; 16]),
            OrgId::from_bytes([2; 16]),
            OrgId::from_bytes([3; 16]),
        );
        let letters = vec![intent(a, 60, 1), intent(b, 50, 2)];
        let approved_a = [
            letters.clone(),
            vec![event(EventKind::Approve, Actor::Org(a), 3)],
        ]
        .concat();
        let member = Actor::Member(MemberId::from_bytes([9; 16]));
        let cases: Vec<(&[LifecycleEvent], LifecycleEvent, Refusal)> = vec![
            (
                letters.as_slice(),
                event(EventKind::Approve, Actor::Org(c), 3),
                Refusal::NoIntent,
            ),
            (
                letters.as_slice(),
                intent(a, 10, 3),
                Refusal::IntentAlreadySent,
            ),
            (
                approved_a.as_slice(),
                event(EventKind::Approve, Actor::Org(b), 4),
                Refusal::SharesOver { total: 110 },
            ),
            (
                approved_a.as_slice(),
                event(EventKind::Approve, Actor::Org(a), 4),
                Refusal::AlreadyClaimed,
            ),
            (
                &[][..],
                intent(a, 10, 1).clone_by(member.clone()),
                Refusal::NotAClaimant {
                    allowed: "an organisation",
                },
            ),
            (
                &[][..],
                event(EventKind::Start, worker(), 1),
                Refusal::WrongStage {
                    kind: EventKind::Start,
                    stage: Collecting,
                },
            ),
            (
                letters.as_slice(),
                event(EventKind::Fulfil, worker(), 3),
                Refusal::WrongStage {
                    kind: EventKind::Fulfil,
                    stage: Intents,
                },
            ),
        ];
        for (events, next, expected) in cases {
            assert_eq!(refusal_of(events, next.clone()), Some(expected), "{next:?}");
        }
    }

    #[test]
    fn terminate_ends_any_open_stage_and_nothing_after() {
        let a = OrgId::from_bytes([1; 16]);
        let open_stages: Vec<Vec<LifecycleEvent>> = vec![
            vec![],
            vec![intent(a, 100, 1)],
            vec![
                intent(a, 100, 1),
                event(EventKind::Approve, Actor::Org(a), 2),
            ],
            vec![
                intent(a, 100, 1),
                event(EventKind::Approve, Actor::Org(a), 2),
                event(EventKind::Start, worker(), 3),
            ],
        ];
        for mut events in open_stages {
            events.push(event(EventKind::Terminate, worker(), 9));
            let status = ProjectStatus::fold(&events);
            assert_eq!(status.stage, ProjectStage::Terminated);
            assert_eq!(status.claim.state, ClaimState::Withdrawn);
            assert!(refusal_of(&events, event(EventKind::Start, worker(), 10)).is_some());
        }
    }

    /// Every sequence of up to four old events by a worker or two units folds to the
    /// wish-style state, claimant, dates and outcomes the wish fold gave projects before
    /// stages.
    #[test]
    fn old_events_fold_as_before() {
        let kinds = [
            EventKind::Publish,
            EventKind::Claim,
            EventKind::Release,
            EventKind::Fulfil,
            EventKind::Reject,
            EventKind::Withdraw,
        ];
        let actors = [
            worker(),
            Actor::Org(OrgId::from_bytes([1; 16])),
            Actor::Org(OrgId::from_bytes([2; 16])),
        ];
        let mut steps = Vec::new();
        for kind in kinds {
            for actor in &actors {
                steps.push((kind, actor.clone()));
            }
        }
        let mut sequences: Vec<Vec<LifecycleEvent>> = vec![vec![]];
        let mut frontier = sequences.clone();
        for length in 1..=4 {
            frontier = frontier
                .iter()
                .flat_map(|sequence| {
                    steps.iter().map(move |(kind, actor)| {
                        let mut next = sequence.clone();
                        next.push(event(*kind, actor.clone(), length));
                        next
                    })
                })
                .collect();
            sequences.extend(frontier.iter().cloned());
        }
        for events in &sequences {
            let before = ClaimStatus::fold(events, Claimants::OrgsOnly);
            let now = ProjectStatus::fold(events).claim;
            assert_eq!(now.state, before.state, "{events:?}");
            assert_eq!(now.claimant, before.claimant, "{events:?}");
            assert_eq!(now.published_at, before.published_at, "{events:?}");
            assert_eq!(now.claimed_at, before.claimed_at, "{events:?}");
            assert_eq!(now.fulfilled_at, before.fulfilled_at, "{events:?}");
            let applied = |status: &ClaimStatus| {
                status
                    .history
                    .iter()
                    .map(|folded| folded.outcome == Outcome::Applied)
                    .collect::<Vec<_>>()
            };
            assert_eq!(applied(&now), applied(&before), "{events:?}");
        }
    }

    trait By {
        fn clone_by(self, by: Actor) -> LifecycleEvent;
    }

    impl By for LifecycleEvent {
        fn clone_by(self, by: Actor) -> LifecycleEvent {
            LifecycleEvent { by, ..self }
        }
    }
}
