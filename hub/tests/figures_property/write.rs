//! Writing a community's plan as domain commands, one change each, and the facts the
//! plan says its document holds.

use super::*;

/// Writes a community's plan as commands, one change each, returning the document
/// and the facts the plan says it holds.
pub(super) fn write_community(
    plan: &CommunityPlan,
    seed: u64,
    hosts_street: bool,
) -> (CommunityDoc, CommunityFacts) {
    let mut w = Writer::new(plan.code, "社区", seed, minute(0));
    let mut facts = CommunityFacts {
        code: Some(plan.code),
        last_seen_ms: Some(seen_at(plan.seen_hours_ago).as_millis()),
        ..CommunityFacts::default()
    };

    // Phase one: the entities.
    let mut orgs: Vec<OrgId> = Vec::new();
    for (pool, reported) in &plan.orgs {
        let reported = reported.map(day);
        let (code, branch) = pool_entry(*pool);
        let unit_name = unit_name(*pool);
        let id = match branch {
            Some(branch) => w.add_party_org(code, &unit_name, branch, reported, minute(1)),
            None => w.add_org(code, &unit_name, reported, minute(1)),
        };
        facts.orgs.insert(id, reported);
        orgs.push(id);
    }
    let pick_org = |pick: usize| (!orgs.is_empty()).then(|| orgs[pick % orgs.len()]);
    let mut members: Vec<MemberId> = Vec::new();
    for (org_pick, reported) in &plan.members {
        let org = org_pick.and_then(pick_org);
        let id = w.add_member(org, day(*reported), minute(2));
        facts.members.push((members.len(), org, day(*reported)));
        members.push(id);
    }
    // The groups late members may be placed in; none of the plan's other members is.
    let groups = plan.late.groups.map(|(founded, made)| {
        let branch = BranchId::from_bytes(w.ids.bytes());
        w.run(
            Command::AddBranch {
                id: branch,
                name: Name::parse("name", "楼栋功能型党支部").unwrap(),
                secretary: None,
                founded_on: day(founded),
            },
            minute(2),
        );
        let team = TeamId::from_bytes(w.ids.bytes());
        w.run(
            Command::AddTeam {
                id: team,
                name: Name::parse("name", "法律援助服务队").unwrap(),
                focus: Label::parse("focus", "法律援助").unwrap(),
            },
            minute(i64::from(made) * 1440),
        );
        facts.groups.push(("branch", day(founded), Vec::new()));
        facts.groups.push(("team", day(made), Vec::new()));
        (branch, team)
    });
    let (volunteers, volunteer_facts, volunteer_voids) =
        write_volunteers(&mut w, &plan.volunteers, day, minute(2));
    facts.volunteers = volunteer_facts;
    let mut pairings = Vec::new();
    for (org_pick, signed, ended) in &plan.pairings {
        let Some(org) = pick_org(*org_pick) else {
            continue;
        };
        pairings.push((w.add_pairing(org, day(*signed), minute(3)), *ended));
        facts.pairings.push((org, day(*signed), *ended));
    }
    facts.street = write_street(
        &mut w,
        plan.code,
        &plan.street,
        &orgs,
        hosts_street,
        day,
        minute,
    );
    // Collection rounds, so that the children's figures are compared cut by round too:
    // 第一批 up to a day picked by the seed, 第二批 from the next day on.
    let first_round_ends = 60 + (seed % 120) as i32;
    w.add_round("第一批", day(0), Some(day(first_round_ends)), minute(4));
    w.add_round("第二批", day(first_round_ends + 1), None, minute(4));
    let wishes: Vec<_> = plan
        .wishes
        .iter()
        .map(|wish| w.submit_wish(minute(wish.submitted_minute)))
        .collect();
    let projects: Vec<_> = plan
        .projects
        .iter()
        .map(|project| w.submit_project(minute(project.submitted_minute)))
        .collect();
    let mut activities = Vec::new();
    let mut services = Vec::new();
    let mut earned: BTreeMap<usize, u64> = BTreeMap::new();
    let points_for = |minutes: u32| u64::from((10 * minutes + 30) / 60);
    for activity in &plan.activities {
        let organiser = activity.organiser.and_then(pick_org);
        let id = w.add_activity(day(activity.day), activity.minutes, organiser, minute(5));
        facts.activities.push((day(activity.day), organiser));
        let mut joined = BTreeSet::new();
        for (pick, voided) in &activity.participants {
            if members.is_empty() {
                break;
            }
            let member = pick % members.len();
            if !joined.insert(member) {
                continue;
            }
            let at = minute(activity.recorded_minute);
            w.participate(id, members[member], at);
            let service = ServiceRecord::id_for_participation(id, members[member]);
            services.push((service, *voided));
            if !voided {
                facts
                    .services
                    .push((member, day(activity.day), activity.minutes, true));
                let points = points_for(activity.minutes);
                if points > 0 {
                    facts
                        .points
                        .push((member, at.date_in_shanghai(), points, 0));
                    *earned.entry(member).or_default() += points;
                }
            }
        }
        activities.push(id);
    }
    for service in &plan.services {
        if members.is_empty() {
            break;
        }
        let member = service.member % members.len();
        let at = minute(service.recorded_minute);
        let id = w.record_service(members[member], day(service.day), service.minutes, at);
        services.push((id, service.voided));
        if !service.voided {
            facts
                .services
                .push((member, day(service.day), service.minutes, false));
            let points = points_for(service.minutes);
            if points > 0 {
                facts
                    .points
                    .push((member, at.date_in_shanghai(), points, 0));
                *earned.entry(member).or_default() += points;
            }
        }
    }

    // Phase two: lifecycles, ends, voids, redemptions.
    for (pairing, ended) in &pairings {
        if *ended {
            w.run(
                Command::EndPairing {
                    id: *pairing,
                    note: note_for(EventKind::End),
                },
                minute(290 * 1440),
            );
        }
    }
    for (plan_wish, id) in plan.wishes.iter().zip(&wishes) {
        let claimants = claimant_choices(&members, &volunteers, &orgs, true);
        let run = |w: &mut Writer, kind, by, at| w.wish_event(*id, kind, by, at);
        let wish = live(&mut w, plan_wish, &claimants, &run);
        if let Some(kind) = wish.volunteer.and_then(|v| facts.volunteers.kinds.get(&v)) {
            let held = (*kind, wish.submitted_day, wish.state == "fulfilled");
            facts.volunteers.wishes.push(held);
        }
        facts.wishes.push(wish);
    }
    for (plan_project, id) in plan.projects.iter().zip(&projects) {
        let claimants = claimant_choices(&members, &[], &orgs, false);
        let run = |w: &mut Writer, kind, by, at| w.project_event(*id, kind, by, at);
        facts
            .projects
            .push(live(&mut w, plan_project, &claimants, &run));
    }
    for staged in &plan.staged {
        facts
            .staged
            .extend(write_staged(&mut w, staged, &orgs, minute));
    }
    for (service, voided) in &services {
        if *voided {
            let id = VoidId::from_bytes(w.ids.bytes());
            w.run(
                Command::VoidService {
                    id,
                    service: *service,
                    reason: Label::parse("reason", "录入错误").unwrap(),
                },
                minute(295 * 1440),
            );
        }
    }
    for service in volunteer_voids {
        w.void_volunteer_service(service, minute(295 * 1440));
    }
    let mut balance = earned;
    for (pick, points, at) in &plan.redemptions {
        if members.is_empty() {
            break;
        }
        let member = pick % members.len();
        let available = balance.get(&member).copied().unwrap_or(0);
        if available < u64::from(*points) {
            continue;
        }
        balance.insert(member, available - u64::from(*points));
        let id = PointsEntryId::from_bytes(w.ids.bytes());
        w.run(
            Command::Redeem {
                id,
                member: members[member],
                points: *points,
                reason: Label::parse("reason", "兑换洗衣液").unwrap(),
            },
            minute(*at),
        );
        facts.points.push((
            member,
            minute(*at).date_in_shanghai(),
            0,
            u64::from(*points),
        ));
    }

    // Phase three: reporting in late, after everything else; a second session that
    // brings it is derived entity by entity (the community's members and units made
    // at the earlier heads).
    for (pool, reported) in &plan.late.orgs {
        let reported = reported.map(day);
        let (code, branch) = pool_entry(*pool);
        let unit_name = unit_name(*pool);
        let id = match branch {
            Some(branch) => w.add_party_org(code, &unit_name, branch, reported, minute(6)),
            None => w.add_org(code, &unit_name, reported, minute(6)),
        };
        facts.orgs.insert(id, reported);
        orgs.push(id);
    }
    for (org_pick, reported, in_branch, in_team) in &plan.late.members {
        let org = org_pick.and_then(|pick| (!orgs.is_empty()).then(|| orgs[pick % orgs.len()]));
        let branch = groups.and_then(|(branch, _)| in_branch.then_some(branch));
        let team = groups.and_then(|(_, team)| in_team.then_some(team));
        let id = MemberId::from_bytes(w.ids.bytes());
        w.run(
            Command::AddMember {
                id,
                member: MemberFields {
                    branch,
                    team,
                    ..member_fields(org, day(*reported))
                },
            },
            minute(7),
        );
        facts
            .members
            .push((facts.members.len(), org, day(*reported)));
        for (kind, placed) in [("branch", branch.is_some()), ("team", team.is_some())] {
            if let Some(group) = facts.groups.iter_mut().find(|group| group.0 == kind)
                && placed
            {
                group.2.push(org);
            }
        }
    }
    (w.doc, facts)
}

/// Who may claim: members and volunteers (for wishes) and organisations.
pub(super) fn claimant_choices(
    members: &[MemberId],
    volunteers: &[VolunteerId],
    orgs: &[OrgId],
    members_may: bool,
) -> Vec<(Actor, Option<usize>)> {
    let mut out = Vec::new();
    if members_may {
        out.extend(
            members
                .iter()
                .enumerate()
                .map(|(index, id)| (Actor::Member(*id), Some(index))),
        );
        out.extend(volunteers.iter().map(|id| (Actor::Volunteer(*id), None)));
    }
    out.extend(orgs.iter().map(|id| (Actor::Org(*id), None)));
    out
}

/// Runs a wish's or project's fate and says what the fold must make of it.
pub(super) fn live(
    w: &mut Writer,
    plan: &WishPlan,
    claimants: &[(Actor, Option<usize>)],
    run: &dyn Fn(&mut Writer, EventKind, Actor, Timestamp),
) -> ClaimFacts {
    let submitted = minute(plan.submitted_minute);
    let mut fate = plan.fate;
    if claimants.is_empty()
        && !matches!(
            fate,
            Fate::Submitted | Fate::Published | Fate::Rejected | Fate::WithdrawnEarly
        )
    {
        fate = Fate::Published;
    }
    let first = claimants
        .get(plan.claimant % claimants.len().max(1))
        .cloned();
    let second = claimants
        .get(plan.second_claimant % claimants.len().max(1))
        .cloned();
    let publish_at = submitted.plus_millis(60_000);
    let claim_at = publish_at.plus_millis(plan.claim_after_minutes * 60_000);
    let fulfil_at = claim_at.plus_millis(plan.fulfil_after_minutes * 60_000);
    let worker = worker();
    let mut facts = ClaimFacts {
        submitted_day: submitted.date_in_shanghai(),
        state: "submitted",
        member: None,
        org: None,
        volunteer: None,
        claim_days: None,
        fulfil_days: None,
    };
    let days = |at: Timestamp| {
        (at.as_millis() - submitted.as_millis())
            .div_euclid(86_400_000)
            .max(0)
    };
    let hold = |facts: &mut ClaimFacts, claimant: &(Actor, Option<usize>), at: Timestamp| {
        facts.member = claimant.1;
        facts.org = match claimant.0 {
            Actor::Org(org) => Some(org),
            _ => None,
        };
        facts.volunteer = match claimant.0 {
            Actor::Volunteer(volunteer) => Some(volunteer),
            _ => None,
        };
        facts.claim_days = Some(days(at));
    };
    match fate {
        Fate::Submitted => {}
        Fate::Rejected => {
            run(w, EventKind::Reject, worker, publish_at);
            facts.state = "rejected";
        }
        Fate::Published => {
            run(w, EventKind::Publish, worker, publish_at);
            facts.state = "published";
        }
        Fate::WithdrawnEarly => {
            run(w, EventKind::Publish, worker.clone(), publish_at);
            run(w, EventKind::Withdraw, worker, claim_at);
            facts.state = "withdrawn";
        }
        Fate::Claimed
        | Fate::Fulfilled { .. }
        | Fate::WithdrawnAfterClaim
        | Fate::Released
        | Fate::Reclaimed => {
            // Invariant of the plan: a fate with a claim has a claimant (checked above).
            let first = first.unwrap();
            run(w, EventKind::Publish, worker.clone(), publish_at);
            run(w, EventKind::Claim, first.0.clone(), claim_at);
            match fate {
                Fate::Claimed => {
                    facts.state = "claimed";
                    hold(&mut facts, &first, claim_at);
                }
                Fate::Fulfilled { by_worker } => {
                    let by = if by_worker { worker } else { first.0.clone() };
                    run(w, EventKind::Fulfil, by, fulfil_at);
                    facts.state = "fulfilled";
                    hold(&mut facts, &first, claim_at);
                    facts.fulfil_days = Some(days(fulfil_at));
                }
                Fate::WithdrawnAfterClaim => {
                    run(w, EventKind::Withdraw, worker, fulfil_at);
                    facts.state = "withdrawn";
                }
                Fate::Released => {
                    run(w, EventKind::Release, first.0.clone(), fulfil_at);
                    facts.state = "published";
                }
                _ => {
                    let second = second.unwrap();
                    let again = fulfil_at.plus_millis(3_600_000);
                    run(w, EventKind::Release, worker, fulfil_at);
                    run(w, EventKind::Claim, second.0.clone(), again);
                    facts.state = "claimed";
                    hold(&mut facts, &second, again);
                }
            }
        }
    }
    facts
}
