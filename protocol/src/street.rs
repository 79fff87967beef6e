//! Streets as parties (issue 14, item 3): a street (街道 / 乡镇) reports units in, signs
//! pairings and runs projects of its own, and those records live in the document of
//! the one community the city names as the street's host
//! (`CityCommand::DesignateStreetHost`).
//!
//! Two types carry the rule. [`StreetCode`] is the street a record is of: it is made
//! from a community's own code ([`StreetCode::of`]), so a node can only ever name its
//! own street. [`StreetHost`] is what the city document says of that street — which
//! community hosts it, if any — and only a [`CityView`](crate::city::CityView) makes
//! one; the commands that write a street-level record carry it, and
//! [`StreetHost::check`] (run by `CommunityDoc::apply`) refuses a node that is not the
//! host before anything is written.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ROOT, ReadDoc, Value};

use crate::city::CityCommandError;
use crate::doc::{DocError, Malformed};
use crate::region::{CommunityCode, RegionLevel, RegionParseError, RegionPrefix};

/// The city document's late collection of street hosts (`street_hosts{street:
/// community}`): absent until the first designation, so the genesis keeps its bytes.
const STREET_HOSTS: &str = "street_hosts";

/// The 9-digit code of a street, as a street-level record names its party.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StreetCode([u8; 9]);

/// What the city document says of the street of a community: the street, and the
/// community the city named to keep its records, if it named one. Made only by
/// [`CityView::street_host_of`](crate::city::CityView::street_host_of).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreetHost {
    street: StreetCode,
    host: Option<CommunityCode>,
}

/// Why a node may not write a street-level record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StreetRefusal {
    /// The city has named no host for the street yet.
    #[error(
        "the city has named no community to keep street {street}'s records; ask the city hub to designate one (city street-host)"
    )]
    NoHost {
        /// The street.
        street: StreetCode,
    },
    /// Another community keeps the street's records.
    #[error(
        "street {street}'s records are kept by community {host}, not by this one; record them on that community's node"
    )]
    NotHost {
        /// The street.
        street: StreetCode,
        /// The community the city named.
        host: CommunityCode,
    },
}

impl StreetRefusal {
    /// The refusal in the words of a community worker.
    pub fn message_zh(&self) -> String {
        match self {
            Self::NoHost { .. } => {
                "市平台尚未指定本街道的记录所在社区，暂不能以街道名义登记；请联系市平台指定"
                    .to_owned()
            }
            Self::NotHost { host, .. } => format!(
                "本街道的记录由社区 {host} 登记，本社区不是街道指定的社区，不能以街道名义登记"
            ),
        }
    }
}

impl StreetCode {
    /// The street that holds a community.
    pub fn of(community: &CommunityCode) -> Self {
        let mut bytes = [0u8; 9];
        bytes.copy_from_slice(&community.as_str().as_bytes()[..9]);
        Self(bytes)
    }

    /// The code as text, 9 ASCII digits.
    pub fn as_str(&self) -> &str {
        // Invariant: the bytes are ASCII digits, copied from a community code or
        // checked by `from_str`.
        std::str::from_utf8(&self.0).expect("a street code is ASCII digits")
    }

    /// The street as a region prefix.
    pub fn as_region(&self) -> RegionPrefix {
        // Invariant: 9 digits are a street's prefix.
        self.as_str().parse().expect("9 digits are a region prefix")
    }

    /// The street's own records as a region: its code padded with `000`, as statistical
    /// tables print a street and as no community's code ends, so that the hub files a
    /// street-level record there — inside the street's, district's and city's prefix,
    /// outside every community's — and shows it as 街道本级.
    pub fn own_records(&self) -> RegionPrefix {
        RegionPrefix::from_digits_unchecked(format!("{}000", self.as_str()))
    }

    /// Whether the community lies in this street.
    pub fn contains(&self, community: &CommunityCode) -> bool {
        community.as_str().starts_with(self.as_str())
    }
}

impl StreetHost {
    pub(crate) fn new(street: StreetCode, host: Option<CommunityCode>) -> Self {
        Self { street, host }
    }

    /// The street.
    pub fn street(&self) -> StreetCode {
        self.street
    }

    /// The community that keeps the street's records, if the city named one.
    pub fn host(&self) -> Option<CommunityCode> {
        self.host
    }

    /// The street, if `community` is its host and lies in it; the refusal otherwise.
    pub fn check(&self, community: &CommunityCode) -> Result<StreetCode, StreetRefusal> {
        match self.host {
            None => Err(StreetRefusal::NoHost {
                street: self.street,
            }),
            Some(host) if host == *community && self.street.contains(community) => Ok(self.street),
            Some(host) => Err(StreetRefusal::NotHost {
                street: self.street,
                host,
            }),
        }
    }
}

/// Writes `CityCommand::DesignateStreetHost` into the city document of `city`: the
/// street must be one of the city's, the community one of the street's.
pub(crate) fn designate(
    doc: &mut AutoCommit,
    city: &RegionPrefix,
    street: &RegionPrefix,
    community: &CommunityCode,
) -> Result<(), CityCommandError> {
    if street.level() != Some(RegionLevel::Street) || !city.covers(street) {
        return Err(CityCommandError::NotAStreet(street.to_string()));
    }
    if !street.contains(community) {
        return Err(CityCommandError::NotInStreet {
            street: street.to_string(),
            community: *community,
        });
    }
    let hosts = match doc.get(ROOT, STREET_HOSTS).map_err(DocError::from)? {
        Some((Value::Object(ObjType::Map), hosts)) => hosts,
        _ => doc
            .put_object(ROOT, STREET_HOSTS, ObjType::Map)
            .map_err(DocError::from)?,
    };
    doc.put(&hosts, street.as_str(), community.as_str())
        .map_err(DocError::from)?;
    Ok(())
}

/// The street hosts of a city document; an entry that is not a street and a community
/// of it is malformed.
pub(crate) fn read_hosts(
    doc: &AutoCommit,
    malformed: &mut Vec<Malformed>,
) -> Result<BTreeMap<StreetCode, CommunityCode>, DocError> {
    let mut hosts = BTreeMap::new();
    let Some((Value::Object(ObjType::Map), map)) = doc.get(ROOT, STREET_HOSTS)? else {
        return Ok(hosts);
    };
    for key in doc.keys(&map) {
        let community = match doc.get(&map, key.as_str())? {
            Some((Value::Scalar(value), _)) => value.as_str().and_then(|c| c.parse().ok()),
            _ => None,
        };
        match (key.parse::<StreetCode>(), community) {
            (Ok(street), Some(community)) if street.contains(&community) => {
                hosts.insert(street, community);
            }
            _ => malformed.push(Malformed {
                collection: STREET_HOSTS,
                key,
                error: "not a street and a community of it".to_owned(),
            }),
        }
    }
    Ok(hosts)
}

/// Reads a street code from a document: exactly 9 digits. Which community's street it
/// may be is checked by whoever reads it against the document's community
/// ([`StreetCode::contains`]).
impl FromStr for StreetCode {
    type Err = RegionParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if let Some(found) = text.chars().find(|c| !c.is_ascii_digit()) {
            return Err(RegionParseError::NotADigit {
                text: text.chars().take(40).collect(),
                found,
            });
        }
        let bytes: [u8; 9] =
            text.as_bytes()
                .try_into()
                .map_err(|_| RegionParseError::BadPrefixLength {
                    text: text.chars().take(40).collect(),
                    count: text.len(),
                })?;
        Ok(Self(bytes))
    }
}

impl fmt::Display for StreetCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for StreetCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StreetCode({})", self.as_str())
    }
}

crate::text_form::text_form!(StreetCode, "a 9-digit street code");

#[cfg(test)]
mod tests {
    use super::*;

    fn community(code: &str) -> CommunityCode {
        code.parse().unwrap()
    }

    #[test]
    fn only_the_named_host_inside_the_street_passes() {
        let own = community("130903001001");
        let street = StreetCode::of(&own);
        assert_eq!(street.as_str(), "130903001");
        let check = |host: Option<&str>| StreetHost::new(street, host.map(community)).check(&own);
        assert_eq!(check(Some("130903001001")), Ok(street));
        assert_eq!(
            check(Some("130903001002")),
            Err(StreetRefusal::NotHost {
                street,
                host: community("130903001002")
            })
        );
        assert_eq!(check(None), Err(StreetRefusal::NoHost { street }));
        // A designation of a street that is not the community's own does not pass,
        // even if it names the community.
        let other = StreetHost::new("130903002".parse().unwrap(), Some(own));
        assert!(other.check(&own).is_err());
    }

    #[test]
    fn a_document_holds_exactly_nine_digits() {
        assert!("130903001".parse::<StreetCode>().is_ok());
        for bad in ["130903", "130903001001", "13090300x", "", "130903001000"] {
            assert!(bad.parse::<StreetCode>().is_err(), "{bad}");
        }
    }
}
