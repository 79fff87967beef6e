//! Collection rounds (批次: 第一批, 第二批 …): the community collects wishes in rounds
//! with their dates, and figures and the board can be cut by round. A round lives under
//! `rounds/{id}`, a collection added after schema 1 (see [`super::LATE_COLLECTIONS`]).
//! A wish names its round (`Wish::round`) when it is recorded: the round open on the
//! day it was collected, or the one the worker picked; a wish recorded before rounds
//! existed names none and reads as 未分批.

use std::collections::BTreeMap;

use autosurgeon::Reconcile;

use crate::id::RoundId;
use crate::time::{Date, Timestamp};

/// A collection round.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, serde::Serialize)]
pub struct Round {
    /// Its name, e.g. 第一批; unique within the community, so that figures cut by the
    /// name across a region read one round per community.
    pub name: String,
    /// The first day wishes are collected in it.
    pub opens: Date,
    /// The last day, once it is known; `None` while it stays open.
    pub closes: Option<Date>,
    /// When it was created.
    pub created_at: Timestamp,
}

impl Round {
    /// Whether a wish collected on `day` falls in this round.
    pub fn covers(&self, day: Date) -> bool {
        self.opens <= day && self.closes.is_none_or(|closes| day <= closes)
    }

    /// Whether its days and `other`'s share at least one day.
    pub fn overlaps(&self, opens: Date, closes: Option<Date>) -> bool {
        let starts_before_other_ends = closes.is_none_or(|closes| self.opens <= closes);
        let other_starts_before_end = self.closes.is_none_or(|own| opens <= own);
        starts_before_other_ends && other_starts_before_end
    }

    /// Whether it can be closed on `day` (`CloseRound`): it has opened, and its last
    /// day is not already `day` or before.
    pub fn can_close_on(&self, day: Date) -> bool {
        self.opens <= day && self.closes.is_none_or(|closes| day < closes)
    }

    /// Whether it is closed on `day`: its last day is before it.
    pub fn is_closed_on(&self, day: Date) -> bool {
        self.closes.is_some_and(|closes| closes < day)
    }
}

/// The round open on `day`, if any. Rounds never overlap (`AddRound` refuses it), so
/// at most one covers a day; were two ever to, the one opened first wins, the same on
/// every replica.
pub fn round_open_on(rounds: &BTreeMap<RoundId, Round>, day: Date) -> Option<RoundId> {
    rounds
        .iter()
        .filter(|(_, round)| round.covers(day))
        .min_by_key(|(id, round)| (round.opens, **id))
        .map(|(id, _)| *id)
}

crate::scan::hydrate_by_scan!(Round { name, opens, created_at; optional: closes });
