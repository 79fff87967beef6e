//! `wishtree-hub bulletin …`: the operator issues a region's bulletin (通报) for a
//! closed month or half-year, and lists the ones issued. The checks and the data are
//! `crate::bulletins`', the same the dashboard's issue form runs.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Subcommand;
use wishtree_protocol::RegionPrefix;

use crate::bulletins::{self, BulletinError, BulletinPeriod};
use crate::clock::now;
use crate::data_dir::open_stores;

/// Who the operator is in a bulletin's "issued by", unless `--by` names them.
const OPERATOR: &str = "平台管理员";

/// The bulletins of the dashboard.
#[derive(Debug, Subcommand)]
pub enum BulletinCommandLine {
    /// Issue the bulletin of a city, district or street for a month or a half-year that
    /// is over; it is stored as issued and never recomputed.
    Issue {
        /// The hub's data directory.
        #[arg(long, env = "WISHTREE_DATA")]
        data: PathBuf,
        /// The region: a city (4 digits), district (6) or street (9) of the hub's city.
        #[arg(long)]
        region: String,
        /// A monthly bulletin, for this month (2026-11).
        #[arg(long, conflicts_with = "half", required_unless_present = "half")]
        month: Option<String>,
        /// A half-yearly bulletin, for this half-year (2026H1).
        #[arg(long)]
        half: Option<String>,
        /// Who issues it, as the bulletin shows it.
        #[arg(long, default_value = OPERATOR)]
        by: String,
    },
    /// List the bulletins issued for a region.
    List {
        /// The hub's data directory.
        #[arg(long, env = "WISHTREE_DATA")]
        data: PathBuf,
        /// The region.
        #[arg(long)]
        region: String,
    },
}

/// Runs a `bulletin` command.
pub(super) fn run(command: BulletinCommandLine, store_url: Option<&str>) -> anyhow::Result<()> {
    match command {
        BulletinCommandLine::Issue {
            data,
            region,
            month,
            half,
            by,
        } => {
            let stores = open_stores(&data, store_url)?;
            let city = crate::run::city_of(stores.store.as_ref(), &data)?;
            let region = region_in(&city, &region)?;
            // Exactly one of the two is given (clap checks), so the other is empty.
            let period: BulletinPeriod = match (month, half) {
                (Some(month), _) if !month.contains('-') => {
                    bail!("--month takes a month as 2026-11, not {month:?}")
                }
                (Some(month), _) => month.parse()?,
                (None, Some(half)) if !half.to_ascii_uppercase().contains('H') => {
                    bail!("--half takes a half-year as 2026H1, not {half:?}")
                }
                (None, Some(half)) => half.parse()?,
                (None, None) => bail!("give --month 2026-11 or --half 2026H1"),
            };
            let at = now();
            let draft = stores
                .figures
                .read(|db| bulletins::prepare(db, &region, period, at))
                .map_err(refused)?;
            let bulletin = stores
                .figures
                .write(|db| bulletins::record(db, draft, &by, at))
                .map_err(refused)?;
            println!(
                "issued bulletin {} of {} ({}) for {}: {} members reported in, {} wishes collected, {} hours of service",
                bulletin.id,
                bulletin.data.region_name,
                region.as_str(),
                bulletin.data.period,
                bulletin.data.headline.members_reported,
                bulletin.data.headline.wishes_collected,
                bulletin.data.headline.service_hours(),
            );
            println!("the dashboard shows it at /bulletins/{}", bulletin.id);
            Ok(())
        }
        BulletinCommandLine::List { data, region } => {
            let stores = open_stores(&data, store_url)?;
            let city = crate::run::city_of(stores.store.as_ref(), &data)?;
            let region = region_in(&city, &region)?;
            let issued = stores
                .figures
                .read(|db| bulletins::bulletins_of(db, &region))?;
            if issued.is_empty() {
                println!("no bulletin has been issued for {}", region.as_str());
            }
            for bulletin in issued {
                println!(
                    "{}  {}  issued {} by {}",
                    bulletin.id,
                    bulletin.period,
                    bulletin.issued_at.display_in_shanghai(),
                    bulletin.issued_by
                );
            }
            Ok(())
        }
    }
}

/// A region code of the hub's city.
fn region_in(city: &RegionPrefix, text: &str) -> anyhow::Result<RegionPrefix> {
    let region: RegionPrefix = text.parse().context("bad --region")?;
    if !city.covers(&region) {
        bail!(
            "--region {} is not in this hub's city {}; give a code that starts with {}",
            region.as_str(),
            city.as_str(),
            city.as_str()
        );
    }
    Ok(region)
}

/// A refusal with what to do, for the operator.
fn refused(error: BulletinError) -> anyhow::Error {
    anyhow::Error::new(error).context("the bulletin was not issued")
}
