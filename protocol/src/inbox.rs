//! The inbox (收件箱, DESIGN §10): one small hub-authored document per community,
//! holding what people did at the hub — a member's claim of a wish (their own
//! community's, or from the citywide market another's), a check-in or check-out, a
//! resident's sealed submission (`submission.rs`), a member's sign-up for an
//! activity of their community (报名) — as
//! entries signed by the hub's key (`wishtree-inbox-v1`). The node receives it
//! read-only, as it receives the city document, and never mixes it with the community
//! document: it applies each entry as an ordinary command under its own rules
//! ([`CommunityDoc::apply_inbox`]) and records the outcome in the community document
//! (`inbox{}`, keyed by the entry's id), which travels back to the hub.
//!
//! Layout:
//!
//! ```text
//! community (12 digits),
//! entries [ {id, at, kind, wish?, member?, card?, home?, code?, submission?,
//!            activity?, signature} ]
//! ```
//!
//! Only the hub appends, so the list's order is the order the hub accepted the
//! requests, the same on every replica. The signed bytes are a fixed layout:
//!
//! ```text
//! "wishtree-inbox-v1" 0x00 | community (12 ASCII digits) | id (16) | at (i64 BE, ms)
//! | kind, then by kind:
//!   1 claim by a member of this community:   wish (16) | member (16) | card (16)
//!   4 claim by a member of another:          wish | member | card | home (12 digits)
//!   2 check-in, 3 check-out:                 member | card | the code's signed
//!                                            fields | the code's signature (64)
//!   5 a resident's submission:               receipt (5) | wish kind, group, title,
//!                                            sealed bytes (each u32 BE length + bytes)
//!   6 a sign-up for an activity:             activity (16) | member | card
//! ```
//!
//! Kinds are only ever appended: an entry written before a kind existed reads as it
//! did (a field it lacks hydrates as `None`).
//!
//! A check-in or check-out carries the node's own check-in code
//! (`crate::checkin`), which the node checks against its own key before it credits
//! anything: the hub relays attendance, it cannot make it up.
//!
//! **The fold.** Entries are applied in inbox order, each at most once: an entry whose
//! id already has an outcome in the community document is skipped, so any number of
//! deliveries, syncs and restarts applies it once. The outcome is written in the same
//! change as the command it ran, so a crash leaves both or neither. An entry whose
//! signature is not the hub's, or that names nothing, is recorded as refused with why;
//! a claim that the rules refuse now (the wish was claimed first, by a worker on the
//! node or by an earlier entry) is recorded as refused, "未生效（已被他人先认领）".

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, AutoCommit, ChangeHash, ObjType, ROOT, ReadDoc, Value};
use autosurgeon::{Hydrate, Reconcile};

use crate::checkin::{CheckInCode, CheckInError, Direction};
use crate::command::{Command, CommandError};
use crate::doc::{CommunityDoc, DocError};
use crate::id::{ActivityId, CardId, InboxEntryId, MemberId, WishId};
use crate::keys::{KeyPair, PublicKey, Signature, SigningContext};
use crate::model::{Actor, EventKind, InboxOutcome};
use crate::region::CommunityCode;
use crate::submission::{StoredSubmission, Submission};
use crate::text::Detail;
use crate::time::Timestamp;

/// What a person asked for at the hub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InboxRequest {
    /// A member, signed in by a card, claims a published wish (党员接单).
    Claim {
        /// The wish.
        wish: WishId,
        /// The member.
        member: MemberId,
        /// The card the member was signed in with.
        card: CardId,
        /// The member's home community, the card's: this inbox's community, or
        /// another for a claim from the citywide market (recorded as
        /// [`Actor::Outside`]).
        home: CommunityCode,
    },
    /// A member checks in to or out of an activity with the code the node showed.
    Attend {
        /// In or out.
        direction: Direction,
        /// The code scanned, as the node signed it.
        code: CheckInCode,
        /// The member.
        member: MemberId,
        /// The card the member was signed in with.
        card: CardId,
    },
    /// A resident's wish from the poster's form, the personal fields sealed to the
    /// node's encryption key (群众点单).
    Submission(Box<Submission>),
    /// A member signs up for an activity of their own community (报名): an intention,
    /// applied as [`Command::SignUp`] under the node's rules.
    SignUp {
        /// The activity.
        activity: ActivityId,
        /// The member.
        member: MemberId,
        /// The card the member was signed in with.
        card: CardId,
    },
}

/// One entry of a community's inbox, signed by the hub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxEntry {
    /// The entry's id, drawn by the hub.
    pub id: InboxEntryId,
    /// The community it is for.
    pub community: CommunityCode,
    /// When the hub accepted it, by the hub's clock.
    pub at: Timestamp,
    /// What was asked.
    pub request: InboxRequest,
    /// The hub's signature over the layout in the module doc.
    pub signature: Signature,
}

/// A community's inbox document.
#[derive(Debug)]
pub struct InboxDoc {
    doc: AutoCommit,
    code: CommunityCode,
}

/// An entry as the document stores it (text forms, the signature in hex). A claim or
/// a check-in has a member and a card; a submission its own fields, the sealed bytes
/// in base64.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, Hydrate)]
struct StoredEntry {
    id: InboxEntryId,
    at: Timestamp,
    kind: String,
    wish: Option<WishId>,
    member: Option<MemberId>,
    card: Option<CardId>,
    home: Option<CommunityCode>,
    code: Option<String>,
    submission: Option<StoredSubmission>,
    activity: Option<ActivityId>,
    signature: String,
}

/// What applying the inbox did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InboxApplied {
    /// Entries applied now (their commands ran).
    pub applied: Vec<InboxEntryId>,
    /// Entries refused now, with why (recorded too).
    pub refused: Vec<InboxEntryId>,
    /// The submissions among the applied entries: the node opens their sealed fields
    /// into its private tables in the same transaction as the change.
    pub submitted: Vec<(InboxEntryId, Box<Submission>)>,
}

impl InboxEntry {
    /// A claim accepted by the hub at `at`, signed by the hub's `key`.
    pub fn sign(
        key: &KeyPair,
        id: InboxEntryId,
        community: CommunityCode,
        at: Timestamp,
        request: InboxRequest,
    ) -> Self {
        let signature = key.sign(
            SigningContext::Inbox,
            &signed_bytes(id, community, at, &request),
        );
        Self {
            id,
            community,
            at,
            request,
            signature,
        }
    }

    /// Whether the hub's key `hub` signed this entry.
    pub fn is_signed_by(&self, hub: &PublicKey) -> bool {
        hub.verify(
            SigningContext::Inbox,
            &signed_bytes(self.id, self.community, self.at, &self.request),
            &self.signature,
        )
        .is_ok()
    }

    /// The command the entry asks the node to run, or why it cannot run: a check-in
    /// code the node `own` key did not sign, or of another community.
    fn command(&self, own: &PublicKey) -> Result<Command, String> {
        match &self.request {
            InboxRequest::Submission(submission) => Ok(submission.command(self.community)),
            &InboxRequest::SignUp {
                activity, member, ..
            } => Ok(Command::SignUp { activity, member }),
            &InboxRequest::Claim {
                wish, member, home, ..
            } => Ok(Command::WishEvent {
                id: wish,
                kind: EventKind::Claim,
                by: if home == self.community {
                    Actor::Member(member)
                } else {
                    Actor::Outside(home, member)
                },
                // Invariant: a short line of Chinese is a valid note.
                note: Detail::parse("note", "经市级平台认领").expect("a valid note"),
            }),
            &InboxRequest::Attend {
                direction,
                code,
                member,
                ..
            } => {
                if code.community != self.community {
                    return Err(CheckInError::OtherCommunity(code.community).to_string());
                }
                if !code.is_signed_by(own) {
                    return Err(CheckInError::BadSignature.to_string());
                }
                let (activity, code, at) = (code.activity, code.id, code.issued);
                Ok(match direction {
                    Direction::In => Command::CheckIn {
                        activity,
                        member,
                        code,
                        at,
                    },
                    Direction::Out => Command::CheckOut {
                        activity,
                        member,
                        code,
                        at,
                    },
                })
            }
        }
    }

    /// The outcome's record of what was asked, before the node decides.
    fn outcome(&self, seq: u64, at: Timestamp) -> InboxOutcome {
        let (kind, wish, member, home, activity) = match &self.request {
            &InboxRequest::Claim {
                wish, member, home, ..
            } => {
                let home = (home != self.community).then_some(home);
                ("claim", Some(wish), Some(member), home, None)
            }
            &InboxRequest::Attend {
                direction,
                code,
                member,
                ..
            } => (
                direction.kind(),
                None,
                Some(member),
                None,
                Some(code.activity),
            ),
            InboxRequest::Submission(submission) => (
                "submission",
                Some(submission.wish(self.community)),
                None,
                None,
                None,
            ),
            &InboxRequest::SignUp {
                activity, member, ..
            } => ("sign_up", None, Some(member), None, Some(activity)),
        };
        InboxOutcome {
            seq,
            kind: kind.to_owned(),
            wish,
            member,
            home,
            activity,
            applied: true,
            reason: String::new(),
            at,
        }
    }
}

impl InboxDoc {
    /// The genesis of a community's inbox, as saved bytes: the same on every replica,
    /// derived from the code alone (a fixed actor, time zero).
    pub fn genesis(code: CommunityCode) -> Vec<u8> {
        let actor = ActorId::from(crate::id::derive_bytes(
            "inbox genesis actor",
            &[code.as_str().as_bytes()],
        ));
        let mut doc = AutoCommit::new().with_actor(actor);
        // Invariant: puts into a fresh document's root cannot fail.
        doc.put(ROOT, "community", code.as_str())
            .and_then(|()| doc.put_object(ROOT, "entries", ObjType::List).map(drop))
            .expect("genesis writes to a fresh document");
        doc.commit_with(CommitOptions::default().with_time(0));
        doc.save()
    }

    /// A new inbox for `code`, written by `actor` from now on.
    pub fn new(code: CommunityCode, actor: [u8; 16]) -> Result<Self, DocError> {
        Self::load(&Self::genesis(code), code, actor)
    }

    /// Loads an inbox (a full save or chunks), refusing another community's.
    pub fn load(bytes: &[u8], code: CommunityCode, actor: [u8; 16]) -> Result<Self, DocError> {
        let doc = AutoCommit::load(bytes).map_err(|e| DocError::Load(Box::new(e)))?;
        Self::from_automerge(doc, code, actor)
    }

    /// Wraps an automerge document after checking that it is `code`'s inbox.
    pub fn from_automerge(
        mut doc: AutoCommit,
        code: CommunityCode,
        actor: [u8; 16],
    ) -> Result<Self, DocError> {
        doc.set_actor(ActorId::from(actor));
        let found = match doc.get(ROOT, "community")? {
            Some((Value::Scalar(value), _)) => value.as_str().map(str::to_owned),
            _ => None,
        };
        if found.as_deref() != Some(code.as_str()) {
            return Err(DocError::WrongCommunity {
                expected: code,
                found: found.unwrap_or_default(),
            });
        }
        Ok(Self { doc, code })
    }

    /// The community.
    pub fn code(&self) -> CommunityCode {
        self.code
    }

    /// Appends an entry (the hub only) and commits it at `now`.
    pub fn append(&mut self, entry: &InboxEntry, now: Timestamp) -> Result<ChangeHash, DocError> {
        let entries = self.entries_list()?;
        let end = self.doc.length(&entries);
        let stored = StoredEntry::of(entry);
        autosurgeon::reconcile_insert(&mut self.doc, entries, end, &stored).map_err(|error| {
            DocError::Reconcile {
                collection: "entries",
                key: entry.id.to_string(),
                error: Box::new(error),
            }
        })?;
        self.doc
            .commit_with(CommitOptions::default().with_time(now.as_millis().div_euclid(1000)))
            .ok_or_else(|| DocError::NotFound {
                kind: "inbox change",
                id: entry.id.to_string(),
            })
    }

    /// The entries in inbox order; one that cannot be read is skipped (it can only
    /// come from a replica that is not the hub, and the node refuses those changes).
    pub fn entries(&self) -> Result<Vec<InboxEntry>, DocError> {
        let entries = self.entries_list()?;
        Ok(self
            .doc
            .list_range(&entries, ..)
            .filter(|item| matches!(item.value, automerge::ValueRef::Object(ObjType::Map)))
            .filter_map(|item| StoredEntry::hydrate_map(&self.doc, &item.id()).ok())
            .filter_map(|entry| entry.into_entry(self.code))
            .collect())
    }

    /// The underlying automerge document, for sync and storage.
    pub fn automerge(&self) -> &AutoCommit {
        &self.doc
    }

    /// The underlying automerge document, for sync and storage.
    pub fn automerge_mut(&mut self) -> &mut AutoCommit {
        &mut self.doc
    }

    fn entries_list(&self) -> Result<automerge::ObjId, DocError> {
        match self.doc.get(ROOT, "entries")? {
            Some((Value::Object(ObjType::List), list)) => Ok(list),
            _ => Err(DocError::NotACommunityDocument(
                "the inbox has no `entries` list".to_owned(),
            )),
        }
    }
}

impl CommunityDoc {
    /// Applies the inbox's new entries in order, each at most once (see the module
    /// doc), written by `worker` at `now`: each entry's command and its outcome are
    /// committed as one change (a refused command rolls back what is pending, so
    /// nothing else may be). `keys` are the hub's key the node pins and its own.
    pub fn apply_inbox(
        &mut self,
        entries: &[InboxEntry],
        keys: &InboxKeys,
        worker: &Actor,
        now: Timestamp,
    ) -> Result<InboxApplied, DocError> {
        let mut done = InboxApplied::default();
        // Whatever was pending would be lost to a refused command's rollback.
        self.commit(now);
        for (seq, entry) in entries.iter().enumerate() {
            if self.contains::<InboxOutcome>(entry.id)? {
                continue;
            }
            let refusal = if entry.community != self.code() {
                Some("the entry is for another community".to_owned())
            } else if !entry.is_signed_by(&keys.hub) {
                Some("the entry is not signed by the hub's key".to_owned())
            } else {
                match entry.command(&keys.node) {
                    Err(refusal) => Some(refusal),
                    Ok(command) => match self.apply(&command, worker, now) {
                        Ok(()) => None,
                        Err(CommandError::Doc(error)) => return Err(error),
                        Err(error) => Some(error.to_string()),
                    },
                }
            };
            if let (None, InboxRequest::Submission(submission)) = (&refusal, &entry.request) {
                done.submitted.push((entry.id, submission.clone()));
            }
            let mut outcome = entry.outcome(seq as u64, now);
            outcome.applied = refusal.is_none();
            outcome.reason = refusal.clone().unwrap_or_default();
            self.put_entity(entry.id, &outcome)?;
            self.commit(now);
            match refusal {
                None => done.applied.push(entry.id),
                Some(_) => done.refused.push(entry.id),
            }
        }
        Ok(done)
    }
}

impl StoredEntry {
    fn of(entry: &InboxEntry) -> Self {
        let signature = hex::encode(entry.signature.to_bytes());
        let (id, at) = (entry.id, entry.at);
        let stored = |kind: &str, wish, member, card| Self {
            id,
            at,
            kind: kind.to_owned(),
            wish,
            member,
            card,
            home: None,
            code: None,
            submission: None,
            activity: None,
            signature: signature.clone(),
        };
        match &entry.request {
            &InboxRequest::Claim {
                wish,
                member,
                card,
                home,
            } => Self {
                // An entry of the member's own community is written as before homes
                // existed, so older readers read it as they did.
                home: (home != entry.community).then_some(home),
                ..stored("claim", Some(wish), Some(member), Some(card))
            },
            &InboxRequest::Attend {
                direction,
                code,
                member,
                card,
            } => Self {
                code: Some(code.to_text()),
                ..stored(direction.kind(), None, Some(member), Some(card))
            },
            InboxRequest::Submission(submission) => Self {
                submission: Some(StoredSubmission::of(submission)),
                ..stored(
                    "submission",
                    Some(submission.wish(entry.community)),
                    None,
                    None,
                )
            },
            &InboxRequest::SignUp {
                activity,
                member,
                card,
            } => Self {
                activity: Some(activity),
                ..stored("sign_up", None, Some(member), Some(card))
            },
        }
    }

    fn into_entry(self, community: CommunityCode) -> Option<InboxEntry> {
        let request = match self.kind.as_str() {
            "claim" => InboxRequest::Claim {
                wish: self.wish?,
                member: self.member?,
                card: self.card?,
                home: self.home.unwrap_or(community),
            },
            "submission" => InboxRequest::Submission(Box::new(self.submission?.read()?)),
            "sign_up" => InboxRequest::SignUp {
                activity: self.activity?,
                member: self.member?,
                card: self.card?,
            },
            kind => InboxRequest::Attend {
                direction: Direction::of_kind(kind)?,
                code: CheckInCode::from_text(self.code.as_deref()?).ok()?,
                member: self.member?,
                card: self.card?,
            },
        };
        let mut signature = [0u8; 64];
        hex::decode_to_slice(&self.signature, &mut signature).ok()?;
        Some(InboxEntry {
            id: self.id,
            community,
            at: self.at,
            request,
            signature: Signature::from_bytes(signature),
        })
    }
}

/// The keys an inbox is applied under: the hub's, which signs every entry, and the
/// node's own, which signed the check-in codes that entries carry.
#[derive(Debug, Clone, Copy)]
pub struct InboxKeys {
    /// The hub key the node pins.
    pub hub: PublicKey,
    /// The node's own key.
    pub node: PublicKey,
}

impl Direction {
    /// The entry and outcome kind: `check_in` or `check_out`.
    pub const fn kind(self) -> &'static str {
        match self {
            Self::In => "check_in",
            Self::Out => "check_out",
        }
    }

    fn of_kind(kind: &str) -> Option<Self> {
        match kind {
            "check_in" => Some(Self::In),
            "check_out" => Some(Self::Out),
            _ => None,
        }
    }
}

fn signed_bytes(
    id: InboxEntryId,
    community: CommunityCode,
    at: Timestamp,
    request: &InboxRequest,
) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(12 + 16 + 8 + 1 + 48 + 124);
    bytes.extend_from_slice(community.as_str().as_bytes());
    bytes.extend_from_slice(id.as_bytes());
    bytes.extend_from_slice(&at.as_millis().to_be_bytes());
    match request {
        InboxRequest::Claim {
            wish,
            member,
            card,
            home,
        } => {
            let outside = *home != community;
            bytes.push(if outside { 4 } else { 1 });
            bytes.extend_from_slice(wish.as_bytes());
            bytes.extend_from_slice(member.as_bytes());
            bytes.extend_from_slice(card.as_bytes());
            if outside {
                bytes.extend_from_slice(home.as_str().as_bytes());
            }
        }
        InboxRequest::Attend {
            direction,
            code,
            member,
            card,
        } => {
            bytes.push(match direction {
                Direction::In => 2,
                Direction::Out => 3,
            });
            bytes.extend_from_slice(member.as_bytes());
            bytes.extend_from_slice(card.as_bytes());
            bytes.extend_from_slice(&code.fields());
            bytes.extend_from_slice(&code.signature.to_bytes());
        }
        InboxRequest::Submission(submission) => submission.signed_bytes(&mut bytes),
        InboxRequest::SignUp {
            activity,
            member,
            card,
        } => {
            bytes.push(6);
            bytes.extend_from_slice(activity.as_bytes());
            bytes.extend_from_slice(member.as_bytes());
            bytes.extend_from_slice(card.as_bytes());
        }
    }
    bytes
}
