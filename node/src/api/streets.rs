//! The street as a party (issue 14, item 3; `wishtree_protocol::street`): which party a
//! pairing or project is of (`Party`, 本社区 or 本街道), what the city says of this
//! community's street, and a unit's report-in to the street. Whether this node may
//! speak for its street is the protocol's rule (`StreetHost::check`, run when the
//! command is applied), so a refusal here is that rule's, with nothing written.

use std::fmt;
use std::str::FromStr;

use wishtree_protocol::command::Command;
use wishtree_protocol::id::OrgId;
use wishtree_protocol::street::StreetHost;
use wishtree_protocol::{Date, Timestamp};

use super::{ApiError, ApiResult, Expected, FieldError, Fields, Input, execute, org};
use crate::replica::Replica;

/// Whose record it is: the community's own (the default, and every record written
/// before streets) or the street's this community hosts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Party {
    /// 本社区.
    #[default]
    Community,
    /// 本街道.
    Street,
}

impl Party {
    /// Every party, in the order forms offer them.
    pub const ALL: [Self; 2] = [Self::Community, Self::Street];

    /// The code the API and the forms use.
    pub fn code(self) -> &'static str {
        match self {
            Self::Community => "community",
            Self::Street => "street",
        }
    }

    /// The words of a form.
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Community => "本社区",
            Self::Street => "本街道",
        }
    }

    /// Reads `party` of a body or form; absent is the community.
    pub fn read(fields: &Fields) -> Result<Self, FieldError> {
        Ok(fields
            .optional_parsed("party", Expected::Choice)?
            .unwrap_or_default())
    }
}

impl FromStr for Party {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|party| party.code() == text)
            .ok_or_else(|| format!("`{text}` is not a party; use community or street"))
    }
}

impl fmt::Display for Party {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// What the city says of this community's street, for a record of `party`: `None` for
/// the community's own records.
pub fn street_for(replica: &Replica, party: Party) -> Result<Option<StreetHost>, ApiError> {
    match party {
        Party::Community => Ok(None),
        Party::Street => Ok(Some(street_host(replica)?)),
    }
}

/// What the city says of this community's street: its host, if named.
pub fn street_host(replica: &Replica) -> Result<StreetHost, ApiError> {
    Ok(replica.city_view()?.street_host_of(&replica.code()))
}

/// Whether this node keeps its street's records: the city named it the host.
pub fn hosts_street(replica: &Replica) -> Result<bool, ApiError> {
    Ok(street_host(replica)?.check(&replica.code()).is_ok())
}

/// A unit's report-in to the street: `{org, on}`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewStreetReportIn {
    /// The unit, recorded in this community already.
    pub org: OrgId,
    /// The day it reported in, not later than today.
    pub on: Date,
}

impl Input for NewStreetReportIn {
    const FIELDS: &'static [&'static str] = &["org", "on"];

    fn read(fields: &Fields, now: Timestamp) -> Result<Self, FieldError> {
        Ok(Self {
            org: fields.parsed("org", Expected::Id)?,
            on: fields.date("on", now)?,
        })
    }
}

impl NewStreetReportIn {
    /// The command that records the report-in, with what the city says of the street.
    pub fn into_command(self, street: StreetHost) -> Command {
        Command::ReportInToStreet {
            org: self.org,
            street,
            on: self.on,
        }
    }
}

/// `POST /api/street/report-ins`: records that a unit reported in to the street this
/// node hosts; answers the unit.
pub fn report_in_to_street(
    replica: &mut Replica,
    new: NewStreetReportIn,
    now: Timestamp,
) -> ApiResult {
    let org_id = new.org;
    let command = new.into_command(street_host(replica)?);
    execute(replica, &command, None, now, |_| None)?;
    org(replica, &org_id.to_string())
}
