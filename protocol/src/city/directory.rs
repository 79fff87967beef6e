//! The city's directory of units: each unit's name, declared members and party
//! branches, read in one pass over its entry, and the branches put to it and removed
//! from it.

use std::collections::BTreeMap;

use automerge::transaction::Transactable;
use automerge::{ObjId, ObjType, ROOT, ReadDoc, Value};

use super::{CityCommandError, CityDoc};
use crate::doc::{DocError, Malformed};
use crate::model::Org;
use crate::text::Name;
use crate::uscc::CreditCode;

/// An organisation in the city's directory, keyed by its credit code.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DirectoryOrg {
    /// Its name.
    pub name: String,
    /// How many in-service party members the unit declares it has: the denominator of
    /// its report-in coverage (“220名在职党员已经全部到社区报到”), if declared.
    pub in_service_members: Option<u32>,
    /// The unit's party branches (党支部) the city lists, as the city spells them, keyed
    /// by the name without its spaces (as [`crate::model::Org::id_for_party_org`] knows
    /// a branch); none in a document written before branches were listed.
    pub branches: BTreeMap<String, String>,
}

impl CityDoc {
    /// The unit `credit_code` of the directory, refused if it is not there.
    pub(super) fn directory_org(
        &self,
        credit_code: &CreditCode,
    ) -> Result<ObjId, CityCommandError> {
        let orgs = self.map_at(ROOT, "orgs")?;
        match self
            .doc
            .get(&orgs, credit_code.as_str())
            .map_err(DocError::from)?
        {
            Some((Value::Object(ObjType::Map), org)) => Ok(org),
            _ => Err(CityCommandError::UnknownOrg(credit_code.to_string())),
        }
    }

    /// The organisation directory. Two replicas that each put a first branch to the
    /// same unit each create its `branches` map, and automerge keeps one of the two
    /// under the key; the other is still in the document as a conflict, so the unit's
    /// branches are read from every one of them and no branch put is lost.
    pub(super) fn directory(
        &self,
        malformed: &mut Vec<Malformed>,
    ) -> Result<BTreeMap<String, DirectoryOrg>, DocError> {
        let scanned = self.read_all::<ScannedOrg>("orgs", malformed)?;
        let orgs = self.map_at(ROOT, "orgs")?;
        let mut directory = BTreeMap::new();
        for (code, scanned) in scanned {
            let ScannedOrg {
                mut org,
                branches_conflict,
            } = scanned;
            if branches_conflict
                && let Some((Value::Object(ObjType::Map), unit)) = self.doc.get(&orgs, &code)?
            {
                for (value, branches) in self.doc.get_all(&unit, BRANCHES)? {
                    if !matches!(value, Value::Object(ObjType::Map)) {
                        continue;
                    }
                    match <BTreeMap<String, String> as autosurgeon::Hydrate>::hydrate_map(
                        &self.doc, &branches,
                    ) {
                        // The spelling the document shows under the key wins where
                        // both maps list a branch.
                        Ok(more) => {
                            for (key, name) in more {
                                org.branches.entry(key).or_insert(name);
                            }
                        }
                        Err(error) => malformed.push(Malformed {
                            collection: "orgs",
                            key: code.clone(),
                            error: error.to_string(),
                        }),
                    }
                }
            }
            directory.insert(code, org);
        }
        Ok(directory)
    }

    /// Lists `name` among the branches of the unit `credit_code` (see
    /// [`CityCommand::PutBranch`](super::CityCommand::PutBranch)).
    pub(super) fn put_branch(
        &mut self,
        credit_code: &CreditCode,
        name: &Name,
    ) -> Result<(), CityCommandError> {
        let org = self.directory_org(credit_code)?;
        let branches = match self.doc.get(&org, BRANCHES).map_err(DocError::from)? {
            Some((Value::Object(ObjType::Map), branches)) => branches,
            _ => self
                .doc
                .put_object(&org, BRANCHES, ObjType::Map)
                .map_err(DocError::from)?,
        };
        // Keyed as the organisation's id knows a branch, so that `第一 党支部` and
        // `第一党支部` are one branch here as they are one organisation.
        let key = Org::party_org_key(name.as_str());
        // A put of the name already listed writes nothing, so that running the
        // same command twice leaves no change to sync.
        let listed = match self.doc.get(&branches, &key).map_err(DocError::from)? {
            Some((Value::Scalar(value), _)) => value.as_str() == Some(name.as_str()),
            _ => false,
        };
        if !listed {
            self.doc
                .put(&branches, key, name.as_str())
                .map_err(DocError::from)?;
        }
        Ok(())
    }

    /// Takes `name` off the branches of the unit `credit_code` (see
    /// [`CityCommand::RemoveBranch`](super::CityCommand::RemoveBranch)): deleted from
    /// every `branches` map the unit holds, since [`CityDoc::directory`] reads all of
    /// them when replicas each created one, and a key left in any would still be listed.
    pub(super) fn remove_branch(
        &mut self,
        credit_code: &CreditCode,
        name: &Name,
    ) -> Result<(), CityCommandError> {
        let org = self.directory_org(credit_code)?;
        let key = Org::party_org_key(name.as_str());
        let maps: Vec<ObjId> = self
            .doc
            .get_all(&org, BRANCHES)
            .map_err(DocError::from)?
            .into_iter()
            .filter_map(|(value, branches)| {
                matches!(value, Value::Object(ObjType::Map)).then_some(branches)
            })
            .collect();
        let mut removed = false;
        for branches in maps {
            if self
                .doc
                .get(&branches, &key)
                .map_err(DocError::from)?
                .is_some()
            {
                self.doc.delete(&branches, &key).map_err(DocError::from)?;
                removed = true;
            }
        }
        if removed {
            Ok(())
        } else {
            Err(CityCommandError::UnknownBranch {
                unit: credit_code.to_string(),
                branch: name.to_string(),
            })
        }
    }
}

/// The key of a unit's branches in its directory entry.
const BRANCHES: &str = "branches";

/// A directory entry as one pass over its map reads it (see `scan`), and whether its
/// `branches` key holds maps put concurrently, which [`CityDoc::directory`] then reads
/// all of.
struct ScannedOrg {
    org: DirectoryOrg,
    branches_conflict: bool,
}

impl autosurgeon::Hydrate for ScannedOrg {
    fn hydrate_map<D: autosurgeon::ReadDoc>(
        doc: &D,
        obj: &ObjId,
    ) -> Result<Self, autosurgeon::HydrateError> {
        let mut name = None;
        let mut in_service_members = None;
        let mut branches = BTreeMap::new();
        let mut branches_conflict = false;
        for item in doc.map_range(obj, ..) {
            match item.key.as_ref() {
                "name" => name = Some(crate::scan::field(doc, &item)?),
                "in_service_members" => {
                    in_service_members = crate::scan::optional_field(doc, &item)?;
                }
                BRANCHES => {
                    branches = crate::scan::field(doc, &item)?;
                    branches_conflict = item.conflict;
                }
                _ => {}
            }
        }
        let name = name.ok_or_else(|| {
            autosurgeon::HydrateError::unexpected("a field", "no `name` field".to_owned())
        })?;
        Ok(Self {
            org: DirectoryOrg {
                name,
                in_service_members,
                branches,
            },
            branches_conflict,
        })
    }
}
