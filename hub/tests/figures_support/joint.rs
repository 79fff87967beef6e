//! Projects in Guangzhou's stages in the figures property test (issue 14): what a
//! community's plan says of them (letters of intent from one to three of its units with
//! their shares, 立项 with some of them, then 实施, 完成 or 终止), how its writer takes
//! them there through the stage commands, and what the figures must make of each —
//! computed from the plan alone.
//!
//! A region counts a project once, however many units took it on; each unit that holds
//! it counts it once in its stages, its joint claims and the organisations holding a
//! project, and so do the counts by wish-style state, the units' ranking and the
//! project campaign, which also credit its lead claimant: [`JointFacts::credited`].

use std::collections::BTreeSet;

use proptest::prelude::*;
use wishtree_hub::figures::StageCounts;
use wishtree_protocol::command::Command;
use wishtree_protocol::id::OrgId;
use wishtree_protocol::model::{EventKind, Share};
use wishtree_protocol::text::Detail;
use wishtree_protocol::{Date, Timestamp};
use wishtree_testkit::community::worker;

use super::Writer;

/// Where a staged project's plan ends.
#[derive(Debug, Clone, Copy)]
pub enum StagedEnd {
    /// 认领意向书: letters sent, none approved.
    Intents,
    /// 立项.
    Approved,
    /// 实施.
    InProgress,
    /// 完成.
    Done,
    /// 终止 after 立项: no unit holds it any more.
    Terminated,
}

/// One staged project of a community's plan.
#[derive(Debug, Clone)]
pub struct StagedPlan {
    /// The submission, in minutes from the plan's first day.
    pub submitted_minute: i64,
    /// Whether it is published (公布征集) before the letters.
    pub is_published: bool,
    /// (unit pick among the community's, share in percent) of each letter; a unit
    /// picked twice sends one letter.
    pub letters: Vec<(usize, u32)>,
    /// How many of the letters' units 立项 approves (at least one).
    pub approved: usize,
    /// Where it ends.
    pub end: StagedEnd,
}

/// What the plan says of a staged project, in the terms of the figures.
#[derive(Debug, Clone)]
pub struct JointFacts {
    /// Its submission day.
    pub submitted_day: Date,
    /// Its wish-style state (what `projects` counts).
    pub state: &'static str,
    /// Its stage code.
    pub stage: &'static str,
    /// The first unit approved, while a unit holds it.
    pub lead: Option<OrgId>,
    /// Every unit that holds it (approved, in progress or done).
    pub units: Vec<OrgId>,
}

pub fn staged_plan() -> impl Strategy<Value = StagedPlan> {
    let end = prop_oneof![
        Just(StagedEnd::Intents),
        Just(StagedEnd::Approved),
        Just(StagedEnd::InProgress),
        Just(StagedEnd::Done),
        Just(StagedEnd::Terminated),
    ];
    (
        0i64..300 * 1440,
        any::<bool>(),
        // At most three letters of at most 33% each: any units approved together stay
        // within the whole.
        prop::collection::vec((any::<usize>(), 1u32..=33), 1..=3),
        1usize..=3,
        end,
    )
        .prop_map(
            |(submitted_minute, is_published, letters, approved, end)| StagedPlan {
                submitted_minute,
                is_published,
                letters,
                approved,
                end,
            },
        )
}

/// Writes a staged project of `plan` with the community's units `orgs`, its steps a
/// minute apart (`minute` turns the plan's minutes into instants); `None` if the
/// community has no unit to send a letter.
pub fn write_staged(
    w: &mut Writer,
    plan: &StagedPlan,
    orgs: &[OrgId],
    minute: fn(i64) -> Timestamp,
) -> Option<JointFacts> {
    if orgs.is_empty() {
        return None;
    }
    let mut at = plan.submitted_minute;
    let mut next = || {
        at += 1;
        minute(at)
    };
    let id = w.submit_project(minute(plan.submitted_minute));
    if plan.is_published {
        w.project_event(id, EventKind::Publish, worker(), next());
    }
    let mut senders: Vec<OrgId> = Vec::new();
    let mut seen = BTreeSet::new();
    for (pick, percent) in &plan.letters {
        let unit = orgs[pick % orgs.len()];
        if !seen.insert(unit) {
            continue;
        }
        let share = Share::from_percent(*percent).expect("1 to 33 is a share");
        let note = Detail::parse("note", "提供材料").expect("a note");
        w.run(
            Command::SendIntent {
                id,
                unit,
                share,
                note,
            },
            next(),
        );
        senders.push(unit);
    }
    let submitted_day = minute(plan.submitted_minute).date_in_shanghai();
    let facts = |state, stage, units: &[OrgId]| JointFacts {
        submitted_day,
        state,
        stage,
        lead: units.first().copied(),
        units: units.to_vec(),
    };
    if let StagedEnd::Intents = plan.end {
        return Some(facts("published", "intents", &[]));
    }
    let approved = &senders[..plan.approved.min(senders.len())];
    let note = Detail::parse("note", "").expect("an empty note");
    w.run(
        Command::ApproveProject {
            id,
            units: approved.to_vec(),
            note,
        },
        next(),
    );
    // Each step by the community's worker (a terminate with its reason, `note_for`).
    let step = |w: &mut Writer, kind: EventKind, at: Timestamp| {
        w.project_event(id, kind, worker(), at);
    };
    Some(match plan.end {
        StagedEnd::Intents | StagedEnd::Approved => facts("claimed", "approved", approved),
        StagedEnd::InProgress => {
            step(w, EventKind::Start, next());
            facts("claimed", "in_progress", approved)
        }
        StagedEnd::Done => {
            step(w, EventKind::Start, next());
            step(w, EventKind::Fulfil, next());
            facts("fulfilled", "done", approved)
        }
        StagedEnd::Terminated => {
            step(w, EventKind::Terminate, next());
            facts("withdrawn", "terminated", &[])
        }
    })
}

impl JointFacts {
    /// The organisations the project's figures by state are credited to: its lead
    /// and every unit holding it, each once.
    pub fn credited(&self) -> BTreeSet<OrgId> {
        self.lead.iter().chain(&self.units).copied().collect()
    }

    /// Counts this project into the stages of a region (`org` none) or of the party
    /// organisation or unit `org` says is its own (once, however many of a unit's
    /// party organisations hold it), and its holders into `holding` (the
    /// organisations holding a project).
    pub fn count(
        &self,
        stages: &mut StageCounts,
        holding: &mut BTreeSet<OrgId>,
        org: Option<&dyn Fn(OrgId) -> bool>,
    ) {
        let counted = org.is_none_or(|own| self.units.iter().any(|unit| own(*unit)));
        if !counted {
            return;
        }
        let slot = match self.stage {
            "intents" => &mut stages.intents,
            "approved" => &mut stages.approved,
            "in_progress" => &mut stages.in_progress,
            "done" => &mut stages.done,
            _ => &mut stages.terminated,
        };
        *slot += 1;
        stages.joint += u64::from(self.units.len() > 1);
        holding.extend(
            self.units
                .iter()
                .filter(|unit| org.is_none_or(|own| own(**unit))),
        );
    }
}
