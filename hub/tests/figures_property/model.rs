//! The figures the plan calls for, computed from the plan's facts alone: the model
//! the hub's figures are compared with.

use super::*;

/// The figures the plan calls for.
pub(super) fn expected(facts: &Facts, plan: &CityPlan, filter: &Filter) -> Figures {
    let region = &filter.region;
    let period = &filter.period;
    let within = |date: Date| period.contains(date);
    let by_end = |date: Date| period.to().is_none_or(|to| date <= to);
    let org_matches = |org: Option<OrgId>| org_matches(filter, org);
    let since = NOW.as_millis() - figures::SYNC_WINDOW_MS;
    let in_region: Vec<&CommunityFacts> = facts
        .communities
        .iter()
        .filter(|c| c.code.is_some_and(|code| region.contains(&code)))
        .collect();
    let mut communities = 0;
    let mut synced = 0;
    for community in &in_region {
        let named =
            filter.org.is_none() || community.orgs.keys().any(|org| org_matches(Some(*org)));
        if named {
            communities += 1;
            synced += u64::from(community.last_seen_ms.is_some_and(|seen| seen >= since));
        }
    }
    if let Some((code, hours)) = plan.seen_only
        && region.contains(&code)
        && filter.org.is_none()
    {
        communities += 1;
        synced += u64::from(NOW.as_millis() - hours * 3_600_000 >= since);
    }
    let mut figures = Figures {
        region: region.clone(),
        from: period.from(),
        to: period.to(),
        org: filter.org.map(OrgScope::id),
        round: None,
        communities,
        communities_synced_24h: synced,
        members_reported: 0,
        orgs_reported: 0,
        pairings: 0,
        wishes: StateCounts::default(),
        wishes_fulfilled_rate: None,
        median_days_to_claim: None,
        median_days_to_fulfil: None,
        members_with_claimed_wish: 0,
        members_with_claimed_wish_rate: None,
        orgs_with_claimed_project: 0,
        orgs_with_claimed_project_rate: None,
        projects: StateCounts::default(),
        project_stages: StageCounts::default(),
        activities: 0,
        participations: 0,
        service_records: 0,
        service_minutes: 0,
        service_hours: 0.0,
        points_earned: 0,
        points_redeemed: 0,
        volunteers: expected_volunteers(
            in_region.iter().map(|community| &community.volunteers),
            within,
            by_end,
            filter.org.is_some(),
        ),
        // The generated communities have no posts: their figures are tested in
        // `figures_posts.rs`.
        posts: Default::default(),
        groups: Default::default(),
    };
    let mut reported_orgs = BTreeSet::new();
    let mut claiming_members = BTreeSet::new();
    let mut claiming_orgs = BTreeSet::new();
    let mut claim_days = Vec::new();
    let mut fulfil_days = Vec::new();
    for (index, community) in in_region.iter().enumerate() {
        let member_org = |member: usize| community.members[member].1;
        for (org, reported) in &community.orgs {
            if reported.is_some_and(by_end) && org_matches(Some(*org)) {
                reported_orgs.insert(*org);
            }
        }
        // A group made by the end of the period, with its members now; with an
        // organisation, a group counts if its members are in it, and they are its
        // places.
        for (kind, made, members) in &community.groups {
            let places = members.iter().filter(|org| org_matches(**org)).count() as u64;
            if !by_end(*made) || (filter.org.is_some() && places == 0) {
                continue;
            }
            let groups = &mut figures.groups;
            let (count, in_it) = match *kind {
                "branch" => (&mut groups.branches, &mut groups.branch_members),
                _ => (&mut groups.teams, &mut groups.team_members),
            };
            *count += 1;
            *in_it += places;
        }
        figures.members_reported += community
            .members
            .iter()
            .filter(|(_, org, reported)| by_end(*reported) && org_matches(*org))
            .count() as u64;
        figures.pairings += community
            .pairings
            .iter()
            .filter(|(org, signed, ended)| !ended && by_end(*signed) && org_matches(Some(*org)))
            .count() as u64;
        for wish in &community.wishes {
            let credited = wish.org.or_else(|| wish.member.and_then(member_org));
            if !within(wish.submitted_day) || (filter.org.is_some() && !org_matches(credited)) {
                continue;
            }
            count_state(&mut figures.wishes, wish.state);
            if let Some(member) = wish.member {
                claiming_members.insert((index, member));
            }
            claim_days.extend(wish.claim_days);
            fulfil_days.extend(wish.fulfil_days);
        }
        for project in &community.projects {
            if !within(project.submitted_day) || (filter.org.is_some() && !org_matches(project.org))
            {
                continue;
            }
            count_state(&mut figures.projects, project.state);
            count_stage(&mut figures.project_stages, project.state);
            if let Some(org) = project.org {
                claiming_orgs.insert(org);
            }
        }
        // A staged project: once for the region, once for each unit holding it in the
        // stages, and by state for its lead and each unit holding it.
        for staged in community.staged.iter().filter(|s| within(s.submitted_day)) {
            if filter.org.is_none() || staged.credited().into_iter().any(|o| org_matches(Some(o))) {
                count_state(&mut figures.projects, staged.state);
            }
            let holds = |unit: OrgId| org_matches(Some(unit));
            let unit: Option<&dyn Fn(OrgId) -> bool> = filter.org.map(|_| &holds as _);
            staged.count(&mut figures.project_stages, &mut claiming_orgs, unit);
        }
        figures.activities += community
            .activities
            .iter()
            .filter(|(date, organiser)| within(*date) && org_matches(*organiser))
            .count() as u64;
        for (member, date, minutes, from_activity) in &community.services {
            if within(*date) && org_matches(member_org(*member)) {
                figures.service_records += 1;
                figures.service_minutes += u64::from(*minutes);
                figures.participations += u64::from(*from_activity);
            }
        }
        for (member, date, earned, redeemed) in &community.points {
            if within(*date) && org_matches(member_org(*member)) {
                figures.points_earned += earned;
                figures.points_redeemed += redeemed;
            }
        }
    }
    // The streets' own records, kept by their hosts: counted for the street and wider.
    for community in &facts.communities {
        let street = &community.street;
        if !street.hosted.is_some_and(|code| takes_in(region, code)) {
            continue;
        }
        for (org, reported) in &street.report_ins {
            if by_end(*reported) && org_matches(Some(*org)) {
                reported_orgs.insert(*org);
            }
        }
        figures.pairings += street
            .pairings
            .iter()
            .filter(|(org, signed)| by_end(*signed) && org_matches(Some(*org)))
            .count() as u64;
        for submitted in &street.projects {
            if within(*submitted) && filter.org.is_none() {
                count_state(&mut figures.projects, "submitted");
                count_stage(&mut figures.project_stages, "submitted");
            }
        }
    }
    let rate = |n: u64, d: u64| (d > 0).then(|| n as f64 / d as f64);
    figures.orgs_reported = reported_orgs.len() as u64;
    figures.members_with_claimed_wish = claiming_members.len() as u64;
    figures.orgs_with_claimed_project = claiming_orgs.len() as u64;
    figures.wishes_fulfilled_rate = rate(
        figures.wishes.fulfilled,
        figures.wishes.total - figures.wishes.rejected,
    );
    figures.members_with_claimed_wish_rate =
        rate(figures.members_with_claimed_wish, figures.members_reported);
    figures.orgs_with_claimed_project_rate =
        rate(figures.orgs_with_claimed_project, figures.orgs_reported);
    figures.median_days_to_claim = median(claim_days);
    figures.median_days_to_fulfil = median(fulfil_days);
    figures.service_hours = (figures.service_minutes as f64 / 60.0 * 100.0).round() / 100.0;
    figures
}

/// The stage of a project written with the wish-style events, by the rule
/// ARCHITECTURE.md states (submitted and published are 征集, claimed 立项, fulfilled
/// 完成, rejected and withdrawn 终止); none of these is joint.
pub(super) fn count_stage(counts: &mut StageCounts, state: &str) {
    match state {
        "submitted" | "published" => counts.collecting += 1,
        "claimed" => counts.approved += 1,
        "fulfilled" => counts.done += 1,
        _ => counts.terminated += 1,
    }
}

pub(super) fn count_state(counts: &mut StateCounts, state: &str) {
    counts.total += 1;
    match state {
        "submitted" => counts.submitted += 1,
        "published" => counts.published += 1,
        "claimed" => counts.claimed += 1,
        "fulfilled" => counts.fulfilled += 1,
        "rejected" => counts.rejected += 1,
        "withdrawn" => counts.withdrawn += 1,
        other => panic!("unknown state {other}"),
    }
}

pub(super) fn median(mut values: Vec<i64>) -> Option<f64> {
    values.sort_unstable();
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2] as f64),
        _ => Some((values[n / 2 - 1] + values[n / 2]) as f64 / 2.0),
    }
}
