//! Who did something: a member (of this community or, from the citywide market, of
//! another), a volunteer beyond the members, a unit organisation, or a community
//! worker.

use std::fmt;
use std::str::FromStr;

use crate::id::{MemberId, OrgId, VolunteerId};
use crate::model::event::EventKind;
use crate::region::CommunityCode;

/// The author of a lifecycle event.
///
/// Its text form (`member:<id>`, `org:<id>`, `worker:<name>`, `outside:<community>:<id>`,
/// `volunteer:<id>`) is what the document
/// stores, so that a claimant is one scalar that merges like any other.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Actor {
    /// A reported-in member, e.g. claiming a wish (党员接单).
    Member(MemberId),
    /// A unit party organisation, e.g. claiming a project.
    Org(OrgId),
    /// A community worker operating the node, by the name they sign with.
    Worker(String),
    /// A member of another community (their home, where they reported in), claiming
    /// from the citywide market: only the home community's code and the member's id
    /// cross, nothing personal; their name is in the home community's document.
    Outside(CommunityCode, MemberId),
    /// A volunteer of this community who is not a reported-in member (离退休党员,
    /// 学生党员, 社区公益爱心人士): claims wishes as a member does, holds no post seat
    /// and takes on no project, and is counted apart.
    Volunteer(VolunteerId),
}

/// What a lifecycle event is about, as far as who may author it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventSubject {
    /// A wish (微心愿).
    Wish,
    /// A project (项目).
    Project,
    /// A post (岗位), whose seats are held one per member.
    Post,
}

/// Why an event cannot be authored as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthorError {
    /// The event needs a claimant and none was named.
    #[error(
        "name the member (member:<id>), volunteer (volunteer:<id>) or organisation (org:<id>) who claims"
    )]
    MissingClaimant,
    /// The event needs a claimant and someone else was named.
    #[error(
        "`{0}` cannot claim: name a member (member:<id>), volunteer (volunteer:<id>) or organisation (org:<id>)"
    )]
    NotAClaimant(Actor),
}

/// Why a text is not an actor.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an actor: expected member:<id>, volunteer:<id>, org:<id> or worker:<name>")]
pub struct ActorParseError(pub String);

impl Actor {
    /// Whether the actor may claim things (a member, a volunteer or an organisation).
    /// What each may claim is the fold's rule: a volunteer holds no post seat
    /// ([`crate::lifecycle::PostStatus`]), only units take on projects.
    pub fn is_claimant(&self) -> bool {
        matches!(
            self,
            Self::Member(_) | Self::Org(_) | Self::Outside(..) | Self::Volunteer(_)
        )
    }

    /// The author of an event of `kind` on `subject`, from the one `given` by the
    /// caller. A claim must name its claimant, and so must the release of a post's
    /// seat, since each holder gives back their own; any other event is by whoever is
    /// named, or else by the `worker` operating the node.
    pub fn author(
        kind: EventKind,
        subject: EventSubject,
        given: Option<Actor>,
        worker: &Actor,
    ) -> Result<Actor, AuthorError> {
        let needs_claimant = match kind {
            EventKind::Claim => true,
            EventKind::Release => subject == EventSubject::Post,
            _ => false,
        };
        match given {
            Some(actor) if needs_claimant && !actor.is_claimant() => {
                Err(AuthorError::NotAClaimant(actor))
            }
            Some(actor) => Ok(actor),
            None if needs_claimant => Err(AuthorError::MissingClaimant),
            None => Ok(worker.clone()),
        }
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Member(id) => write!(f, "member:{id}"),
            Self::Org(id) => write!(f, "org:{id}"),
            Self::Worker(name) => write!(f, "worker:{name}"),
            Self::Outside(home, id) => write!(f, "outside:{home}:{id}"),
            Self::Volunteer(id) => write!(f, "volunteer:{id}"),
        }
    }
}

impl FromStr for Actor {
    type Err = ActorParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = || ActorParseError(text.chars().take(60).collect());
        let (kind, rest) = text.split_once(':').ok_or_else(error)?;
        match kind {
            "member" => rest.parse().map(Self::Member).map_err(|_| error()),
            "org" => rest.parse().map(Self::Org).map_err(|_| error()),
            "volunteer" => rest.parse().map(Self::Volunteer).map_err(|_| error()),
            "worker" => Ok(Self::Worker(rest.to_owned())),
            "outside" => {
                let (home, id) = rest.split_once(':').ok_or_else(error)?;
                let home = home.parse().map_err(|_| error())?;
                id.parse()
                    .map(|id| Self::Outside(home, id))
                    .map_err(|_| error())
            }
            _ => Err(error()),
        }
    }
}

crate::text_form::text_form!(Actor, "an actor");

#[cfg(test)]
mod tests {
    use super::*;

    fn check(
        kind: EventKind,
        subject: EventSubject,
        given: Option<&str>,
        expect: Result<&str, AuthorError>,
    ) {
        let worker = Actor::Worker("陈玉萍".into());
        let given = given.map(|text| text.parse::<Actor>().unwrap());
        let author = Actor::author(kind, subject, given, &worker);
        assert_eq!(
            author.map(|actor| actor.to_string()),
            expect.map(str::to_owned)
        );
    }

    #[test]
    fn a_claim_needs_a_member_or_an_organisation() {
        let member = "member:00000000000000000000000000000001";
        let org = "org:00000000000000000000000000000002";
        for subject in [
            EventSubject::Wish,
            EventSubject::Project,
            EventSubject::Post,
        ] {
            check(EventKind::Claim, subject, Some(member), Ok(member));
            check(EventKind::Claim, subject, Some(org), Ok(org));
            let outside = "outside:130903001002:00000000000000000000000000000003";
            check(EventKind::Claim, subject, Some(outside), Ok(outside));
            let volunteer = "volunteer:00000000000000000000000000000004";
            check(EventKind::Claim, subject, Some(volunteer), Ok(volunteer));
            check(
                EventKind::Claim,
                subject,
                None,
                Err(AuthorError::MissingClaimant),
            );
            check(
                EventKind::Claim,
                subject,
                Some("worker:王"),
                Err(AuthorError::NotAClaimant(Actor::Worker("王".into()))),
            );
        }
    }

    #[test]
    fn actor_text_reads_back_and_bad_text_is_refused() {
        for text in [
            "volunteer:000000000000000000000000000000ab",
            "member:000000000000000000000000000000ab",
            "outside:130903001002:000000000000000000000000000000ab",
        ] {
            assert_eq!(text.parse::<Actor>().unwrap().to_string(), text);
        }
        for bad in [
            "volunteer:",
            "volunteer:12",
            "volunteer:zz000000000000000000000000000000",
            "volunteers:000000000000000000000000000000ab",
            "volunteer",
        ] {
            assert!(bad.parse::<Actor>().is_err(), "{bad} read as an actor");
        }
    }

    #[test]
    fn other_events_default_to_the_worker_except_a_post_release() {
        check(
            EventKind::Publish,
            EventSubject::Wish,
            None,
            Ok("worker:陈玉萍"),
        );
        check(
            EventKind::Release,
            EventSubject::Wish,
            None,
            Ok("worker:陈玉萍"),
        );
        check(
            EventKind::Withdraw,
            EventSubject::Post,
            Some("worker:王"),
            Ok("worker:王"),
        );
        check(
            EventKind::Release,
            EventSubject::Post,
            None,
            Err(AuthorError::MissingClaimant),
        );
    }
}
