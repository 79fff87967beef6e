//! The commands of collection rounds ([`crate::model::Round`]): a round is created with
//! its days, closed on the node's today, a new wish is placed in the round the worker
//! picked or the one open on the day it is recorded, and a recorded wish is moved to
//! another round.

use std::collections::BTreeMap;

use crate::doc::CommunityDoc;
use crate::id::{RoundId, WishId};
use crate::model::{Round, Wish, round_open_on};
use crate::text::Name;
use crate::time::{Date, Timestamp};

use super::CommandError;

impl CommunityDoc {
    /// `AddRound`: a new round, its name unused in the community, its last day not
    /// before its first, its days shared with no other round (so a day names one round).
    pub(super) fn add_round(
        &mut self,
        id: RoundId,
        name: &Name,
        opens: Date,
        closes: Option<Date>,
        now: Timestamp,
    ) -> Result<(), CommandError> {
        self.require_absent::<Round>(id)?;
        if closes.is_some_and(|closes| closes < opens) {
            return Err(CommandError::OutOfRange {
                field: "closes",
                rule: "on or after the day the round opens",
            });
        }
        for other in self.rounds()?.values() {
            if other.name == name.as_str() {
                return Err(CommandError::RoundNameTaken {
                    name: other.name.clone(),
                });
            }
            if other.overlaps(opens, closes) {
                return Err(CommandError::RoundsOverlap {
                    other: other.name.clone(),
                });
            }
        }
        let round = Round {
            name: name.to_string(),
            opens,
            closes,
            created_at: now,
        };
        self.put_entity(id, &round)?;
        Ok(())
    }

    /// `CloseRound`: its last day becomes the node's today. Refused for a round closed
    /// already and for one that has not opened yet (its last day would come before its
    /// first).
    pub(super) fn close_round(&mut self, id: RoundId, now: Timestamp) -> Result<(), CommandError> {
        let mut round = self.require::<Round>(id)?;
        let today = now.date_in_shanghai();
        if round.closes.is_some_and(|closes| closes <= today) {
            return Err(CommandError::RoundClosed { name: round.name });
        }
        if today < round.opens {
            return Err(CommandError::RoundNotOpen {
                name: round.name,
                opens: round.opens,
            });
        }
        round.closes = Some(today);
        self.put_entity(id, &round)?;
        Ok(())
    }

    /// `MoveWishToRound`: the wish names `round` from now on, whatever its state (a
    /// wish carried over keeps its history). Refused for a round that does not exist
    /// and for the round the wish is in already. Only the wish's `round` key is
    /// written, so a concurrent step of the wish elsewhere is kept.
    pub(super) fn move_wish_to_round(
        &mut self,
        id: WishId,
        round: Option<RoundId>,
    ) -> Result<(), CommandError> {
        let wish = self.require::<Wish>(id)?;
        let target = match round {
            Some(round) => Some(self.require::<Round>(round)?),
            None => None,
        };
        if wish.round == round {
            return Err(CommandError::WishInRoundAlready {
                round: target.map_or_else(|| "no round (未分批)".to_owned(), |round| round.name),
            });
        }
        self.put_entity_field::<Wish>(id, "round", &round)?;
        Ok(())
    }

    /// The round a new wish goes in: the one picked (which must exist), else the one
    /// open on the day it is recorded, else none (未分批).
    pub(super) fn round_for_wish(
        &self,
        picked: Option<RoundId>,
        now: Timestamp,
    ) -> Result<Option<RoundId>, CommandError> {
        if let Some(picked) = picked {
            self.require_present::<Round>(picked)?;
            return Ok(Some(picked));
        }
        Ok(round_open_on(&self.rounds()?, now.date_in_shanghai()))
    }

    /// Every round that reads; a document written before rounds has none.
    fn rounds(&self) -> Result<BTreeMap<RoundId, Round>, CommandError> {
        let (rounds, _) = self.entities::<Round>()?;
        Ok(rounds.into_iter().collect())
    }
}
