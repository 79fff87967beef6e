//! The city document: what the city hub authors and every node receives read-only —
//! the organisation directory, the post categories, and the campaign rules (e.g.
//! Guangzhou's "每名在职党员至少领办 1 个微心愿").
//!
//! Layout (schema 1):
//!
//! ```text
//! schema, city {code, name}, orgs{credit code: {name}}, categories{post kind: {description}},
//! campaigns{id: {title, rule, from, to}}
//! ```
//!
//! and, created by its first write (so the genesis stays the same bytes),
//! `street_hosts{street code: community code}`: the community each street keeps its
//! records in (`crate::street`). A unit of the directory may also hold
//! `in_service_members` and `branches{name without spaces: name}`, its party branches
//! (党支部), created by the first branch put to it.
//!
//! Like a community document it starts from a genesis change derived from the city's
//! code alone, so a node that holds no copy yet and the hub agree on its root maps. Only
//! the hub writes it: a node applies no city command, and the sync core refuses a
//! node's changes to it.

use std::collections::BTreeMap;

use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, AutoCommit, ChangeHash, ObjId, ObjType, ROOT, ReadDoc, Value};
use autosurgeon::Reconcile;

use crate::doc::{DocError, Malformed};
use crate::id::CampaignId;
use crate::model::PostKind;
use crate::names::define_names;
use crate::region::{CommunityCode, RegionLevel, RegionPrefix};
use crate::street::{StreetCode, StreetHost};
use crate::text::{Detail, Name, Title};
use crate::time::{Date, Timestamp};
use crate::uscc::CreditCode;

mod directory;

pub use directory::DirectoryOrg;

/// The schema of the city document this build writes.
pub const CITY_SCHEMA_VERSION: u64 = 1;

const COLLECTIONS: [&str; 3] = ["orgs", "categories", "campaigns"];

define_names! {
    /// What a campaign asks of whom.
    CampaignRule, "campaign rule" {
        /// Every reported-in member claims at least `minimum` wishes in the period.
        MemberClaimsWish = ("member_claims_wish", "在职党员至少领办微心愿", "each member claims a wish"),
        /// Every reported-in organisation claims at least `minimum` projects.
        OrgClaimsProject = ("org_claims_project", "单位党组织至少领办民生微项目", "each organisation claims a project"),
    }
}

/// What the city says a kind of post is for.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, serde::Serialize)]
pub struct Category {
    /// The description shown to members choosing a post.
    pub description: String,
}

/// A citywide campaign.
#[derive(Debug, Clone, PartialEq, Eq, Reconcile, serde::Serialize)]
pub struct Campaign {
    /// Its title, e.g. “您的心愿、我的志愿”双微行动.
    pub title: String,
    /// The rule.
    pub rule: CampaignRule,
    /// How many each must claim.
    pub minimum: u32,
    /// The first day.
    pub from: Date,
    /// The last day.
    pub to: Date,
}

crate::scan::hydrate_by_scan!(Category { description });
crate::scan::hydrate_by_scan!(Campaign {
    title,
    rule,
    minimum,
    from,
    to
});

/// A change the city hub makes to its document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CityCommand {
    /// Names the city.
    SetName {
        /// The name, e.g. 沧州市.
        name: Name,
    },
    /// Adds or renames an organisation in the directory.
    PutOrg {
        /// Its credit code.
        credit_code: CreditCode,
        /// Its name.
        name: Name,
    },
    /// Lists a party branch (党支部) of a unit of the directory, so that every community
    /// spells it alike; a name already listed (spaces aside) is respelt as given.
    PutBranch {
        /// The unit's credit code.
        credit_code: CreditCode,
        /// The branch's name, e.g. 第一党支部.
        name: Name,
    },
    /// Takes a party branch off a unit's list (one put by mistake), wherever the
    /// unit's branches are held; the name is matched as a put keys it (spaces aside).
    /// A remove deletes the puts of the branch the replica has seen: a put made at once
    /// on another replica, not yet merged, survives the merge, as automerge's maps keep
    /// a value put concurrently with a delete. (A put of a name already listed as spelt
    /// writes nothing, so it is no such put.)
    RemoveBranch {
        /// The unit's credit code.
        credit_code: CreditCode,
        /// The branch's name, as listed or with other spaces.
        name: Name,
    },
    /// Declares how many in-service members a unit of the directory has.
    DeclareMembers {
        /// The unit's credit code.
        credit_code: CreditCode,
        /// Its in-service party members.
        in_service_members: u32,
    },
    /// Describes a kind of post.
    PutCategory {
        /// The kind.
        kind: PostKind,
        /// What it is for.
        description: Detail,
    },
    /// Starts a campaign.
    AddCampaign {
        /// The new id.
        id: CampaignId,
        /// Title.
        title: Title,
        /// Rule.
        rule: CampaignRule,
        /// Minimum each must claim.
        minimum: u32,
        /// First day.
        from: Date,
        /// Last day.
        to: Date,
    },
    /// Names the community whose document keeps a street's own records (its units
    /// reported in, pairings and projects); a later designation replaces it.
    DesignateStreetHost {
        /// The street, 9 digits.
        street: RegionPrefix,
        /// A community of that street.
        community: CommunityCode,
    },
}

/// Why a city command was refused.
#[derive(Debug, thiserror::Error)]
pub enum CityCommandError {
    /// The id is taken.
    #[error("campaign {0} already exists")]
    CampaignExists(CampaignId),
    /// A campaign that ends before it starts, or asks for nothing.
    #[error("{0}")]
    BadCampaign(&'static str),
    /// The unit is not in the directory.
    #[error("{0} is not in the city's directory; add it first (city org)")]
    UnknownOrg(String),
    /// A branch removed that the unit's list does not hold.
    #[error(
        "{branch} is not among the branches the city lists for {unit}; give its name as it was put (city branch)"
    )]
    UnknownBranch {
        /// The unit's credit code.
        unit: String,
        /// The branch's name, as given.
        branch: String,
    },
    /// A declaration of no members.
    #[error("a unit declares at least 1 in-service member")]
    NoMembers,
    /// A street host named for a region that is not a street of this city.
    #[error("{0} is not a street of this city; give the street's 9 digits")]
    NotAStreet(String),
    /// A street host that is not inside the street.
    #[error(
        "community {community} is not in street {street}; name one of the street's communities"
    )]
    NotInStreet {
        /// The street.
        street: String,
        /// The community named.
        community: CommunityCode,
    },
    /// The document could not be written.
    #[error(transparent)]
    Doc(#[from] DocError),
}

/// The derived state of the city document.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CityView {
    /// The city's code prefix.
    pub code: RegionPrefix,
    /// The city's name.
    pub name: String,
    /// The organisation directory, by credit code.
    pub orgs: BTreeMap<String, DirectoryOrg>,
    /// What each kind of post is for.
    pub categories: BTreeMap<String, Category>,
    /// The campaigns.
    pub campaigns: BTreeMap<CampaignId, Campaign>,
    /// The community each street keeps its records in, for the streets the city named.
    pub street_hosts: BTreeMap<StreetCode, CommunityCode>,
    /// Entries that could not be read.
    pub malformed: Vec<Malformed>,
}

/// A replica of the city document.
#[derive(Debug, Clone)]
pub struct CityDoc {
    doc: AutoCommit,
    code: RegionPrefix,
}

impl CityView {
    /// What the city says of the street of `community`: the street, and its host if
    /// named. The one way to make a [`StreetHost`].
    pub fn street_host_of(&self, community: &CommunityCode) -> StreetHost {
        let street = StreetCode::of(community);
        StreetHost::new(street, self.street_hosts.get(&street).copied())
    }
}

impl CityDoc {
    /// The genesis of a city's document, identical on every replica.
    pub fn genesis(code: &RegionPrefix) -> Vec<u8> {
        let actor = ActorId::from(crate::id::derive_bytes(
            "city genesis actor",
            &[code.as_str().as_bytes()],
        ));
        let mut doc = AutoCommit::new().with_actor(actor);
        // Invariant: puts into a fresh document's root cannot fail.
        write_genesis(&mut doc, code).expect("genesis writes to a fresh document");
        doc.commit_with(CommitOptions::default().with_time(0));
        doc.save()
    }

    /// A fresh replica of a city's document, written by `actor` from now on.
    pub fn new(code: &RegionPrefix, actor: [u8; 16]) -> Result<Self, DocError> {
        Self::load(&Self::genesis(code), Some(code), actor)
    }

    /// Loads saved bytes, refusing another city's document when `expected` is given.
    pub fn load(
        bytes: &[u8],
        expected: Option<&RegionPrefix>,
        actor: [u8; 16],
    ) -> Result<Self, DocError> {
        let doc = AutoCommit::load(bytes).map_err(|e| DocError::Load(Box::new(e)))?;
        Self::from_automerge(doc, expected, actor)
    }

    /// Wraps an automerge document after checking that it is a city document (of
    /// `expected`, when given).
    pub fn from_automerge(
        mut doc: AutoCommit,
        expected: Option<&RegionPrefix>,
        actor: [u8; 16],
    ) -> Result<Self, DocError> {
        doc.set_actor(ActorId::from(actor));
        let code = read_city_code(&doc)?;
        if let Some(expected) = expected
            && &code != expected
        {
            return Err(DocError::NotACityDocument(format!(
                "the city document is of {}, not {}",
                code.padded(),
                expected.padded()
            )));
        }
        Ok(Self { doc, code })
    }

    /// The automerge document, given up.
    pub fn into_automerge(self) -> AutoCommit {
        self.doc
    }

    /// The city's code prefix.
    pub fn code(&self) -> &RegionPrefix {
        &self.code
    }

    /// Applies and commits a city command.
    pub fn execute(
        &mut self,
        command: &CityCommand,
        now: Timestamp,
    ) -> Result<Option<ChangeHash>, CityCommandError> {
        let result = self.apply(command);
        match result {
            Ok(()) => Ok(self.commit(now)),
            Err(error) => {
                self.doc.rollback();
                Err(error)
            }
        }
    }

    /// The derived state.
    pub fn view(&self) -> Result<CityView, DocError> {
        let city = self.map_at(ROOT, "city")?;
        let name = match self.doc.get(&city, "name")? {
            Some((Value::Scalar(value), _)) => value.as_str().unwrap_or_default().to_owned(),
            _ => String::new(),
        };
        let mut malformed = Vec::new();
        let orgs = self.directory(&mut malformed)?;
        let categories = self.read_all::<Category>("categories", &mut malformed)?;
        let campaigns = self
            .read_all::<Campaign>("campaigns", &mut malformed)?
            .into_iter()
            .filter_map(|(key, campaign)| match key.parse() {
                Ok(id) => Some((id, campaign)),
                Err(_) => {
                    malformed.push(Malformed {
                        collection: "campaigns",
                        key,
                        error: "the key is not an id".to_owned(),
                    });
                    None
                }
            })
            .collect();
        let street_hosts = self.street_hosts(&mut malformed)?;
        Ok(CityView {
            code: self.code.clone(),
            name,
            orgs,
            categories,
            campaigns,
            street_hosts,
            malformed,
        })
    }

    /// The underlying automerge document, for sync.
    pub fn automerge(&self) -> &AutoCommit {
        &self.doc
    }

    /// The underlying automerge document, for sync.
    pub fn automerge_mut(&mut self) -> &mut AutoCommit {
        &mut self.doc
    }

    /// The whole document, compacted.
    pub fn save(&mut self) -> Vec<u8> {
        self.doc.save()
    }

    /// The changes since the last call.
    pub fn save_incremental(&mut self) -> Vec<u8> {
        self.doc.save_incremental()
    }

    fn apply(&mut self, command: &CityCommand) -> Result<(), CityCommandError> {
        match command {
            CityCommand::SetName { name } => {
                let city = self.map_at(ROOT, "city")?;
                self.doc
                    .put(&city, "name", name.as_str())
                    .map_err(DocError::from)?;
            }
            // The name alone is written, so that a rename keeps the declared members.
            CityCommand::PutOrg { credit_code, name } => {
                let orgs = self.map_at(ROOT, "orgs")?;
                let org = match self
                    .doc
                    .get(&orgs, credit_code.as_str())
                    .map_err(DocError::from)?
                {
                    Some((Value::Object(ObjType::Map), org)) => org,
                    _ => self
                        .doc
                        .put_object(&orgs, credit_code.as_str(), ObjType::Map)
                        .map_err(DocError::from)?,
                };
                self.doc
                    .put(&org, "name", name.as_str())
                    .map_err(DocError::from)?;
            }
            CityCommand::PutBranch { credit_code, name } => {
                self.put_branch(credit_code, name)?;
            }
            CityCommand::RemoveBranch { credit_code, name } => {
                self.remove_branch(credit_code, name)?;
            }
            CityCommand::DeclareMembers {
                credit_code,
                in_service_members,
            } => {
                if *in_service_members == 0 {
                    return Err(CityCommandError::NoMembers);
                }
                let org = self.directory_org(credit_code)?;
                self.doc
                    .put(&org, "in_service_members", u64::from(*in_service_members))
                    .map_err(DocError::from)?;
            }
            CityCommand::PutCategory { kind, description } => {
                let category = Category {
                    description: description.to_string(),
                };
                self.reconcile_at("categories", kind.code(), &category)?;
            }
            CityCommand::DesignateStreetHost { street, community } => {
                crate::street::designate(&mut self.doc, &self.code, street, community)?;
            }
            CityCommand::AddCampaign {
                id,
                title,
                rule,
                minimum,
                from,
                to,
            } => {
                let campaigns = self.map_at(ROOT, "campaigns")?;
                if self
                    .doc
                    .get(&campaigns, id.to_string())
                    .map_err(DocError::from)?
                    .is_some()
                {
                    return Err(CityCommandError::CampaignExists(*id));
                }
                if to < from {
                    return Err(CityCommandError::BadCampaign(
                        "a campaign cannot end before it starts",
                    ));
                }
                if *minimum == 0 {
                    return Err(CityCommandError::BadCampaign(
                        "a campaign asks for at least 1",
                    ));
                }
                let campaign = Campaign {
                    title: title.to_string(),
                    rule: *rule,
                    minimum: *minimum,
                    from: *from,
                    to: *to,
                };
                self.reconcile_at("campaigns", &id.to_string(), &campaign)?;
            }
        }
        Ok(())
    }

    /// What the city says of the street of `community`, read from the street hosts
    /// alone (the hub asks it at every re-derivation; the whole view reads the
    /// directory too).
    pub fn street_host_of(&self, community: &CommunityCode) -> Result<StreetHost, DocError> {
        let street = StreetCode::of(community);
        let hosts = self.street_hosts(&mut Vec::new())?;
        Ok(StreetHost::new(street, hosts.get(&street).copied()))
    }

    fn street_hosts(
        &self,
        malformed: &mut Vec<Malformed>,
    ) -> Result<BTreeMap<StreetCode, CommunityCode>, DocError> {
        crate::street::read_hosts(&self.doc, malformed)
    }

    fn commit(&mut self, now: Timestamp) -> Option<ChangeHash> {
        if self.doc.pending_ops() == 0 {
            return None;
        }
        self.doc
            .commit_with(CommitOptions::default().with_time(now.as_millis().div_euclid(1000)))
    }

    fn reconcile_at<R: Reconcile>(
        &mut self,
        collection: &'static str,
        key: &str,
        value: &R,
    ) -> Result<(), DocError> {
        let map = self.map_at(ROOT, collection)?;
        autosurgeon::reconcile_prop(&mut self.doc, &map, key, value).map_err(|error| {
            DocError::Reconcile {
                collection,
                key: key.to_owned(),
                error: Box::new(error),
            }
        })
    }

    fn read_all<H: autosurgeon::Hydrate>(
        &self,
        collection: &'static str,
        malformed: &mut Vec<Malformed>,
    ) -> Result<BTreeMap<String, H>, DocError> {
        let map = self.map_at(ROOT, collection)?;
        let mut read = BTreeMap::new();
        for key in self.doc.keys(&map) {
            match autosurgeon::hydrate_prop::<_, H, _, _>(&self.doc, &map, key.as_str()) {
                Ok(value) => {
                    read.insert(key, value);
                }
                Err(error) => malformed.push(Malformed {
                    collection,
                    key,
                    error: error.to_string(),
                }),
            }
        }
        Ok(read)
    }

    fn map_at(&self, parent: ObjId, key: &'static str) -> Result<ObjId, DocError> {
        match self.doc.get(&parent, key)? {
            Some((Value::Object(ObjType::Map), id)) => Ok(id),
            _ => Err(DocError::NotACityDocument(format!(
                "the city document has no `{key}` map"
            ))),
        }
    }
}

fn write_genesis(doc: &mut AutoCommit, code: &RegionPrefix) -> Result<(), DocError> {
    doc.put(ROOT, "schema", CITY_SCHEMA_VERSION)?;
    let city = doc.put_object(ROOT, "city", ObjType::Map)?;
    doc.put(&city, "code", code.as_str())?;
    doc.put(&city, "name", "")?;
    for collection in COLLECTIONS {
        doc.put_object(ROOT, collection, ObjType::Map)?;
    }
    Ok(())
}

fn read_city_code(doc: &AutoCommit) -> Result<RegionPrefix, DocError> {
    let not_city = |why: &str| DocError::NotACityDocument(why.to_owned());
    let city = match doc.get(ROOT, "city")? {
        Some((Value::Object(ObjType::Map), id)) => id,
        _ => return Err(not_city("there is no `city` map")),
    };
    let code = match doc.get(&city, "code")? {
        Some((Value::Scalar(value), _)) => value.as_str().map(str::to_owned),
        _ => None,
    }
    .ok_or_else(|| not_city("there is no city code"))?;
    let code: RegionPrefix = code.parse().map_err(|_| not_city("the city code is bad"))?;
    if code.level() != Some(RegionLevel::City) {
        return Err(not_city("the code is not a city's 4 digits"));
    }
    for collection in COLLECTIONS {
        match doc.get(ROOT, collection)? {
            Some((Value::Object(ObjType::Map), _)) => {}
            _ => return Err(not_city("a collection is missing")),
        }
    }
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn city() -> RegionPrefix {
        "1309".parse().unwrap()
    }

    #[test]
    fn a_unit_declares_its_members_and_a_rename_keeps_them() {
        let mut hub = CityDoc::new(&city(), [1; 16]).unwrap();
        let now = Timestamp::from_millis(1_790_000_000_000);
        let code: CreditCode = "91350100M000100Y43".parse().unwrap();
        let declare = |members| CityCommand::DeclareMembers {
            credit_code: code,
            in_service_members: members,
        };
        assert!(matches!(
            hub.execute(&declare(220), now),
            Err(CityCommandError::UnknownOrg(_))
        ));
        let name = |name: &str| CityCommand::PutOrg {
            credit_code: code,
            name: Name::parse("name", name).unwrap(),
        };
        hub.execute(&name("沧州市发改委"), now).unwrap();
        assert!(matches!(
            hub.execute(&declare(0), now),
            Err(CityCommandError::NoMembers)
        ));
        hub.execute(&declare(220), now).unwrap();
        hub.execute(&name("沧州市发展和改革委员会"), now).unwrap();
        let org = &hub.view().unwrap().orgs[code.as_str()];
        assert_eq!(org.name, "沧州市发展和改革委员会");
        assert_eq!(org.in_service_members, Some(220));
    }

    #[test]
    fn the_hub_writes_and_every_replica_reads_the_same_city() {
        let mut hub = CityDoc::new(&city(), [1; 16]).unwrap();
        let now = Timestamp::from_millis(1_790_000_000_000);
        hub.execute(
            &CityCommand::SetName {
                name: Name::parse("name", "沧州市").unwrap(),
            },
            now,
        )
        .unwrap();
        let code: CreditCode = "91350100M000100Y43".parse().unwrap();
        hub.execute(
            &CityCommand::PutOrg {
                credit_code: code,
                name: Name::parse("name", "名创优品党支部").unwrap(),
            },
            now,
        )
        .unwrap();
        hub.execute(
            &CityCommand::AddCampaign {
                id: CampaignId::from_bytes([3; 16]),
                title: Title::parse("title", "“您的心愿、我的志愿”双微行动").unwrap(),
                rule: CampaignRule::MemberClaimsWish,
                minimum: 1,
                from: "2026-04-01".parse().unwrap(),
                to: "2026-12-31".parse().unwrap(),
            },
            now,
        )
        .unwrap();
        // A node that started from the genesis alone merges the hub's changes.
        let mut node = CityDoc::new(&city(), [2; 16]).unwrap();
        node.automerge_mut().merge(hub.automerge_mut()).unwrap();
        let view = node.view().unwrap();
        assert_eq!(view, hub.view().unwrap());
        assert_eq!(view.name, "沧州市");
        assert_eq!(view.orgs[code.as_str()].name, "名创优品党支部");
        assert_eq!(view.campaigns.len(), 1);
    }

    #[test]
    fn bad_campaigns_and_foreign_documents_are_refused() {
        let mut hub = CityDoc::new(&city(), [1; 16]).unwrap();
        let now = Timestamp::from_millis(0);
        let campaign = |from: &str, to: &str, minimum| CityCommand::AddCampaign {
            id: CampaignId::from_bytes([4; 16]),
            title: Title::parse("title", "双微行动").unwrap(),
            rule: CampaignRule::OrgClaimsProject,
            minimum,
            from: from.parse().unwrap(),
            to: to.parse().unwrap(),
        };
        assert!(
            hub.execute(&campaign("2026-12-01", "2026-01-01", 1), now)
                .is_err()
        );
        assert!(
            hub.execute(&campaign("2026-01-01", "2026-12-01", 0), now)
                .is_err()
        );
        hub.execute(&campaign("2026-01-01", "2026-12-01", 1), now)
            .unwrap();
        assert!(matches!(
            hub.execute(&campaign("2026-01-01", "2026-12-01", 1), now),
            Err(CityCommandError::CampaignExists(_))
        ));
        let other: RegionPrefix = "4401".parse().unwrap();
        assert!(CityDoc::load(&hub.save(), Some(&other), [5; 16]).is_err());
        let community = crate::CommunityDoc::genesis("130903001001".parse().unwrap());
        assert!(CityDoc::load(&community, None, [5; 16]).is_err());
    }
}
