//! Gathering a bulletin from the figure tables: the same queries the dashboard's pages
//! make (`crate::figures`), cut to the bulletin's period and region, and copied into
//! the bulletin's own types so that what is stored does not change shape when the
//! figures' types do.

use wishtree_protocol::{RegionLevel, RegionPrefix, Timestamp};

use super::{
    Behind, BulletinData, BulletinPeriod, CampaignBehind, Headline, LIST_LENGTH, MonthRow,
    Previous, Ranked, UnhealthyCommunity, UnitBehind, WaitingCommunity,
};
use crate::figures::{self, Figures, FiguresError, Filter, RankBy, Service};
use crate::sql::Db;

/// Every unit a ranking reads to find the idle ones: more than any city has.
const ALL_UNITS: usize = 100_000;

/// The bulletin of `region` for `period`, from the figure tables now, measured against
/// `previous`.
pub fn build(
    db: &dyn Db,
    region: &RegionPrefix,
    period: BulletinPeriod,
    previous: Option<Previous>,
    now: Timestamp,
) -> Result<BulletinData, FiguresError> {
    let days = period.period();
    let filter = Filter {
        region: region.clone(),
        period: days,
        org: None,
        round: None,
    };
    let figures = figures::figures(db, &filter, now)?;
    let coverage = figures::coverage(db, region)?;
    let headline = headline(&figures, coverage.in_service_members, coverage.reported);

    let mut children: Vec<Ranked> = figures::children(db, region, &days, None, now)?
        .into_iter()
        .map(|child| {
            let name = child
                .name
                .unwrap_or_else(|| child.region.as_str().to_owned());
            ranked(
                name,
                child.region.as_str().to_owned(),
                &service_of(&child.figures),
            )
        })
        .collect();
    rank(&mut children);
    // A street's children are its communities already.
    let communities: Vec<Ranked> = match region.level() {
        Some(RegionLevel::Street | RegionLevel::Community) => Vec::new(),
        _ => figures::community_ranking(db, region, &days, RankBy::ServiceHours, LIST_LENGTH)?
            .into_iter()
            .map(|row| ranked(row.name, row.code.to_string(), &row.service))
            .collect(),
    };
    let mut communities = communities;
    number(&mut communities);
    let all_orgs = figures::org_ranking(db, region, &days, RankBy::ServiceHours, ALL_UNITS)?;
    let mut idle: Vec<Ranked> = all_orgs
        .iter()
        .filter(|org| org.service.service_minutes == 0 && org.service.participations == 0)
        .map(|org| ranked(org.name.clone(), org.credit_code.clone(), &org.service))
        .collect();
    number(&mut idle);
    let mut orgs: Vec<Ranked> = all_orgs
        .into_iter()
        .take(LIST_LENGTH)
        .map(|org| ranked(org.name, org.credit_code, &org.service))
        .collect();
    number(&mut orgs);
    let months = figures::monthly(db, region, None, &days, None)?
        .into_iter()
        .map(|month| MonthRow {
            month: month.month,
            wishes_collected: month.wishes_total,
            wishes_claimed: month.wishes_claimed,
            wishes_fulfilled: month.wishes_fulfilled,
            service_minutes: month.service_minutes,
        })
        .collect();

    let campaigns = figures::campaign_progress(db, region)?
        .into_iter()
        .filter(|campaign| campaign.from <= period.last_day() && period.first_day() <= campaign.to)
        .map(|campaign| CampaignBehind {
            title: campaign.title,
            rule: campaign.rule,
            minimum: campaign.minimum,
            eligible: campaign.eligible,
            met: campaign.met,
            behind: campaign.behind,
        })
        .collect();
    let units: Vec<UnitBehind> = coverage
        .by_unit
        .into_iter()
        .filter(|unit| unit.behind > 0)
        .map(|unit| UnitBehind {
            name: unit.name,
            credit_code: unit.credit_code,
            declared: unit.in_service_members,
            reported: unit.reported,
            behind: unit.behind,
        })
        .collect();
    let waiting = figures::waiting_wishes(db, region, now.date_in_shanghai())?
        .into_iter()
        .take(LIST_LENGTH)
        .map(|waiting| WaitingCommunity {
            code: waiting.code,
            name: waiting.name,
            wishes: waiting.wishes,
            oldest: waiting.oldest,
        })
        .collect();
    let unhealthy: Vec<UnhealthyCommunity> = figures::community_statuses(db, region, now)?
        .into_iter()
        .filter(|status| !status.is_synced_24h || status.seals_failed > 0)
        .map(|status| UnhealthyCommunity {
            code: status.code,
            name: status.name,
            last_seen_at: status.last_seen_at,
            seals_failed: status.seals_failed,
        })
        .collect();
    let behind = Behind {
        campaigns,
        units_total: units.len() as u64,
        units: units.into_iter().take(LIST_LENGTH).collect(),
        idle_orgs_total: idle.len() as u64,
        idle_orgs: idle.into_iter().take(LIST_LENGTH).collect(),
        waiting,
        unhealthy_total: unhealthy.len() as u64,
        unhealthy: unhealthy.into_iter().take(LIST_LENGTH).collect(),
    };
    Ok(BulletinData {
        region: region.clone(),
        region_name: figures::region_name(db, region)?
            .unwrap_or_else(|| region.as_str().to_owned()),
        period,
        headline,
        previous,
        children,
        communities,
        orgs,
        months,
        behind,
    })
}

/// The headline of a region's figures and its declared members.
fn headline(figures: &Figures, members_declared: u64, members_declared_reported: u64) -> Headline {
    Headline {
        communities: figures.communities,
        members_reported: figures.members_reported,
        orgs_reported: figures.orgs_reported,
        members_declared,
        members_declared_reported,
        wishes_collected: figures.wishes.total,
        wishes_claimed: figures.wishes.claimed_or_fulfilled(),
        wishes_fulfilled: figures.wishes.fulfilled,
        projects_fulfilled: figures.projects.fulfilled,
        activities: figures.activities,
        participations: figures.participations,
        service_minutes: figures.service_minutes,
    }
}

/// A region's figures as the service columns of a ranking row.
fn service_of(figures: &Figures) -> Service {
    Service {
        members: figures.members_reported,
        participations: figures.participations,
        service_minutes: figures.service_minutes,
        service_hours: figures.service_hours,
        wishes_claimed: figures.wishes.claimed_or_fulfilled(),
        wishes_fulfilled: figures.wishes.fulfilled,
        projects_claimed: figures.projects.claimed_or_fulfilled(),
        projects_fulfilled: figures.projects.fulfilled,
    }
}

fn ranked(name: String, code: String, service: &Service) -> Ranked {
    Ranked {
        rank: 0,
        name: if name.is_empty() { code.clone() } else { name },
        code,
        members: service.members,
        participations: service.participations,
        service_minutes: service.service_minutes,
        wishes_claimed: service.wishes_claimed,
        wishes_fulfilled: service.wishes_fulfilled,
        projects_claimed: service.projects_claimed,
        projects_fulfilled: service.projects_fulfilled,
    }
}

/// Orders rows as the rankings do (hours of service, then members, then code) and
/// numbers them.
fn rank(rows: &mut [Ranked]) {
    rows.sort_by(|a, b| {
        b.service_minutes
            .cmp(&a.service_minutes)
            .then(b.members.cmp(&a.members))
            .then_with(|| a.code.cmp(&b.code))
    });
    number(rows);
}

/// Numbers rows in their order, from 1.
fn number(rows: &mut [Ranked]) {
    for (index, row) in rows.iter_mut().enumerate() {
        row.rank = index as u32 + 1;
    }
}
