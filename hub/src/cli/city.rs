//! `wishtree-hub city …` and `wishtree-hub region …`: the city document every node
//! receives, and the names of the city's districts and streets on the dashboard.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Subcommand;

use super::random_bytes;
use crate::clock::now;

/// Changes to the city document.
#[derive(Debug, Subcommand)]
pub enum CityCommandLine {
    /// Name the city (e.g. 沧州市).
    Name {
        /// The hub's data directory.
        #[arg(long, env = "WISHTREE_DATA")]
        data: PathBuf,
        /// The name.
        #[arg(long)]
        name: String,
    },
    /// Add an organisation to the directory, or rename it.
    Org {
        /// The hub's data directory.
        #[arg(long, env = "WISHTREE_DATA")]
        data: PathBuf,
        /// Its unified social credit code (18 characters).
        #[arg(long)]
        credit_code: String,
        /// Its name.
        #[arg(long)]
        name: String,
    },
    /// Declare how many in-service party members a unit of the directory has: the
    /// denominator of its report-in coverage.
    Members {
        /// The hub's data directory.
        #[arg(long, env = "WISHTREE_DATA")]
        data: PathBuf,
        /// The unit's unified social credit code (18 characters).
        #[arg(long)]
        credit_code: String,
        /// Its in-service party members.
        #[arg(long)]
        members: u32,
    },
    /// List a party branch (党支部) of a unit of the directory, e.g. 第一党支部, or take one
    /// listed by mistake off with --remove. Nodes offer the unit's listed branches when a
    /// worker adds one, so that every community spells it alike. Listing a name again
    /// changes nothing; the same name with other spaces is the same branch, spelt as
    /// given last.
    Branch {
        /// The hub's data directory.
        #[arg(long, env = "WISHTREE_DATA")]
        data: PathBuf,
        /// The unit's unified social credit code (18 characters); the unit must be in
        /// the directory already (city org).
        #[arg(long)]
        credit_code: String,
        /// The branch's name, at most 100 characters.
        #[arg(long)]
        name: String,
        /// Take the branch off the unit's list instead (spaces aside; refused if it is
        /// not listed). Nodes stop offering it; organisations communities already
        /// recorded under it stay as they are.
        #[arg(long)]
        remove: bool,
    },
    /// Start a campaign, e.g. "every member claims at least one wish".
    Campaign {
        /// The hub's data directory.
        #[arg(long, env = "WISHTREE_DATA")]
        data: PathBuf,
        /// Its title.
        #[arg(long)]
        title: String,
        /// The rule: member_claims_wish or org_claims_project.
        #[arg(long, default_value = "member_claims_wish")]
        rule: String,
        /// How many each must claim.
        #[arg(long, default_value_t = 1)]
        minimum: u32,
        /// First day, YYYY-MM-DD.
        #[arg(long)]
        from: String,
        /// Last day, YYYY-MM-DD.
        #[arg(long)]
        to: String,
    },
    /// Name the community whose node keeps a street's own records (its units reported
    /// in, pairings and projects), e.g. the community of the street's party working
    /// committee; a later one replaces it.
    StreetHost {
        /// The hub's data directory.
        #[arg(long, env = "WISHTREE_DATA")]
        data: PathBuf,
        /// The street's 9 digits.
        #[arg(long)]
        street: String,
        /// The 12-digit code of a community of that street.
        #[arg(long)]
        community: String,
    },
}

/// Names for the regions of the hub's city.
#[derive(Debug, Subcommand)]
pub enum RegionCommandLine {
    /// Name one region, e.g. `region name 130903 运河区`.
    Name {
        /// The hub's data directory.
        #[arg(long, env = "WISHTREE_DATA")]
        data: PathBuf,
        /// A district's 6 digits, a street's 9, or the city's 4.
        code: String,
        /// The name the dashboard shows.
        name: String,
    },
    /// Name many regions from a CSV file of `code,name` rows (a first row `code,name` is
    /// skipped). If any row is bad, its line is reported and nothing is written.
    Import {
        /// The hub's data directory.
        #[arg(long, env = "WISHTREE_DATA")]
        data: PathBuf,
        /// The CSV file, UTF-8.
        file: PathBuf,
    },
}

pub(super) fn city(command: CityCommandLine, store_url: Option<&str>) -> anyhow::Result<()> {
    use wishtree_protocol::city::CityCommand;
    use wishtree_protocol::text::{Name, Title};
    let (data, command) = match command {
        CityCommandLine::Name { data, name } => (
            data,
            CityCommand::SetName {
                name: Name::parse("name", &name)?,
            },
        ),
        CityCommandLine::Org {
            data,
            credit_code,
            name,
        } => (
            data,
            CityCommand::PutOrg {
                credit_code: credit_code.parse().context("bad --credit-code")?,
                name: Name::parse("name", &name)?,
            },
        ),
        CityCommandLine::Members {
            data,
            credit_code,
            members,
        } => (
            data,
            CityCommand::DeclareMembers {
                credit_code: credit_code.parse().context("bad --credit-code")?,
                in_service_members: members,
            },
        ),
        CityCommandLine::Branch {
            data,
            credit_code,
            name,
            remove,
        } => {
            let credit_code = credit_code.parse().context("bad --credit-code")?;
            let name = Name::parse("name", &name)?;
            let command = if remove {
                CityCommand::RemoveBranch { credit_code, name }
            } else {
                CityCommand::PutBranch { credit_code, name }
            };
            (data, command)
        }
        CityCommandLine::Campaign {
            data,
            title,
            rule,
            minimum,
            from,
            to,
        } => (
            data,
            CityCommand::AddCampaign {
                id: wishtree_protocol::id::CampaignId::from_bytes(random_bytes()?),
                title: Title::parse("title", &title)?,
                rule: rule.parse().context("bad --rule")?,
                minimum,
                from: from.parse().context("bad --from")?,
                to: to.parse().context("bad --to")?,
            },
        ),
        CityCommandLine::StreetHost {
            data,
            street,
            community,
        } => (
            data,
            CityCommand::DesignateStreetHost {
                street: street.parse().context("bad --street")?,
                community: community.parse().context("bad --community")?,
            },
        ),
    };
    let stores = crate::data_dir::open_stores(&data, store_url)?;
    if crate::run::upstream_of(stores.store.as_ref())?.is_some() {
        bail!("this is a district hub: the city document is written at the city hub");
    }
    let hub = crate::run::command_hub(&data, stores)?;
    hub.execute_city(&command, now())?;
    println!("the city document is updated; a running hub passes it on to every node");
    Ok(())
}

/// `region name` and `region import`: checked against the hub's city, then written in
/// one transaction; the store's lock is not needed, as no document changes.
pub(super) fn region(command: RegionCommandLine, store_url: Option<&str>) -> anyhow::Result<()> {
    use crate::regions::{RegionName, read_csv, store_names};
    let (RegionCommandLine::Name { data, .. } | RegionCommandLine::Import { data, .. }) = &command;
    let stores = crate::data_dir::open_stores(data, store_url)?;
    let city = crate::run::city_of(stores.store.as_ref(), data)?;
    let names = match command {
        RegionCommandLine::Name { code, name, .. } => {
            vec![RegionName::parse(&city, &code, &name)?]
        }
        RegionCommandLine::Import { file, .. } => {
            let input = std::fs::File::open(&file)
                .with_context(|| format!("cannot open {}", file.display()))?;
            read_csv(&city, std::io::BufReader::new(input))
                .with_context(|| format!("{} is not taken", file.display()))?
        }
    };
    store_names(&stores.figures, &names)?;
    for named in &names {
        println!("{}  {}", named.region.as_str(), named.name.as_str());
    }
    println!(
        "named {} region(s); the dashboard shows the names on its next page",
        names.len()
    );
    Ok(())
}
