//! The checks beside the figures themselves: the summed tables against fresh sums,
//! the points rankings and the campaigns.

use super::*;

/// The tables kept by summing as communities are re-derived (some twice, by a second
/// session) hold what summing the rows they are made of afresh gives: the districts'
/// months (the organisations' too), the districts' days (rows that count and minutes),
/// the ranked counts and the units reported in per district.
pub(super) fn check_summed_tables(db: &dyn Db) -> Result<(), TestCaseError> {
    let rows = |sql: &str| -> Vec<(String, i64, i64, i64)> {
        db.query_map(sql, params![], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })
        .unwrap_or_else(|error| panic!("{sql}: {error}"))
    };
    // An organisation's bytes as text, to key its rows by: PostgreSQL has no `hex`.
    let hex_org = match db.dialect() {
        Dialect::Sqlite => "hex(org)",
        Dialect::Postgres => "encode(org, 'hex')",
    };
    prop_assert_eq!(
        rows(
            "SELECT district, month, rows, members_reported + service_minutes + wishes_total
             FROM fig_district_months ORDER BY 1, 2"
        ),
        rows(
            "SELECT substr(community, 1, 6), month, COUNT(*),
                 SUM(members_reported + service_minutes + wishes_total)
             FROM fig_months GROUP BY 1, 2 ORDER BY 1, 2"
        )
    );
    prop_assert_eq!(
        rows(&format!(
            "SELECT {hex_org} || district, month, rows,
                 members_reported + service_minutes + wishes_total + members_with_claimed_wish
             FROM fig_district_org_months ORDER BY 1, 2"
        )),
        rows(&format!(
            "SELECT {hex_org} || substr(community, 1, 6), month, COUNT(*),
                 SUM(members_reported + service_minutes + wishes_total + members_with_claimed_wish)
             FROM fig_org_months GROUP BY 1, 2 ORDER BY 1, 2"
        ))
    );
    prop_assert_eq!(
        rows("SELECT district, day, rows, service_minutes FROM fig_district_days ORDER BY 1, 2"),
        rows(
            "SELECT district, day, COUNT(*), SUM(minutes) FROM (
                 SELECT substr(community, 1, 6) AS district, reported_day AS day, 0 AS minutes
                     FROM fig_members
                 UNION ALL SELECT substr(community, 1, 6), signed_day, 0 FROM fig_pairings
                     WHERE ended_day IS NULL
                 UNION ALL SELECT substr(community, 1, 6), submitted_day, 0 FROM fig_wishes
                 UNION ALL SELECT substr(community, 1, 6), submitted_day, 0 FROM fig_projects
                 UNION ALL SELECT substr(community, 1, 6), day, 0 FROM fig_activities
                 UNION ALL SELECT substr(community, 1, 6), day, 0 FROM fig_participations
                 UNION ALL SELECT substr(community, 1, 6), day, minutes FROM fig_services
                     WHERE is_voided = 0
                 UNION ALL SELECT substr(community, 1, 6), day, 0 FROM fig_points
                     WHERE is_voided = 0) AS counted
             GROUP BY 1, 2 ORDER BY 1, 2"
        )
    );
    prop_assert_eq!(
        rows(
            "SELECT community || ' ' || period, 0, ranked, 0 FROM fig_points_ranked
             ORDER BY 1"
        ),
        rows(
            "SELECT community || ' ' || period, 0, COUNT(*), 0 FROM fig_member_points
             GROUP BY 1 ORDER BY 1"
        )
    );
    prop_assert_eq!(
        rows(
            "SELECT district || ' ' || period, 0, ranked, 0 FROM fig_points_ranked_district
             ORDER BY 1"
        ),
        rows(
            "SELECT substr(community, 1, 6) || ' ' || period, 0, COUNT(*), 0
             FROM fig_member_points GROUP BY 1 ORDER BY 1"
        )
    );
    // The units reported in per district and day count the organisations' rows.
    let hex_id = hex_org.replace("org", "id");
    prop_assert_eq!(
        rows(&format!(
            "SELECT district || ' ' || {hex_id}, reported_day, rows, 0 FROM fig_district_orgs
             ORDER BY 1, 2"
        )),
        rows(&format!(
            "SELECT substr(community, 1, 6) || ' ' || {hex_id}, reported_day, COUNT(*), 0
             FROM fig_orgs WHERE reported_day IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2"
        ))
    );
    // The days waited, per community and per district, count the wishes' days.
    let waited = |key: &str| {
        format!(
            "SELECT {key} || ' ' || month, days, SUM(claims), SUM(fulfilments) FROM (
                 SELECT community, month, claim_days AS days, 1 AS claims, 0 AS fulfilments
                     FROM fig_wishes WHERE claim_days IS NOT NULL
                 UNION ALL SELECT community, month, fulfil_days, 0, 1
                     FROM fig_wishes WHERE fulfil_days IS NOT NULL) AS waited
             GROUP BY 1, 2 ORDER BY 1, 2"
        )
    };
    prop_assert_eq!(
        rows(
            "SELECT community || ' ' || month, days, claims, fulfilments FROM fig_wait_days
             ORDER BY 1, 2"
        ),
        rows(&waited("community"))
    );
    prop_assert_eq!(
        rows(
            "SELECT district || ' ' || month, days, claims, fulfilments
             FROM fig_district_wait_days ORDER BY 1, 2"
        ),
        rows(&waited("substr(community, 1, 6)"))
    );
    Ok(())
}

/// Points rankings for every half-year the plan's entries fall in, in every region:
/// who is ranked, with what points and in which place, equals the plan's earned
/// entries summed per member; and each ranked member's standing in their community,
/// street and city equals the places counted from the plan.
pub(super) fn check_points_rankings(
    db: &dyn Db,
    facts: &Facts,
    plan: &CityPlan,
) -> Result<(), TestCaseError> {
    // (half-year, community, member index) -> points earned.
    let mut earned: BTreeMap<(HalfYear, CommunityCode, usize), u64> = BTreeMap::new();
    for community in &facts.communities {
        let Some(code) = community.code else { continue };
        for (member, date, points, _) in &community.points {
            if *points > 0 {
                *earned.entry((date.half_year(), code, *member)).or_default() += points;
            }
        }
    }
    let halves: BTreeSet<HalfYear> = [day(0), day(300), day(600)]
        .iter()
        .map(|date| date.half_year())
        .chain(earned.keys().map(|(half, _, _)| *half))
        .collect();
    // The place of `points` among the plan's members of `region`: 1 + how many earned more.
    let place = |half: HalfYear, region: &RegionPrefix, points: u64| -> (u64, u64) {
        let within = earned
            .iter()
            .filter(|((h, code, _), _)| *h == half && region.contains(code));
        let (above, of) = within.fold((0, 0), |(above, of), (_, p)| {
            (above + u64::from(*p > points), of + 1)
        });
        (above + 1, of)
    };
    for region in regions(plan) {
        for half in &halves {
            let ranking = figures::points_ranking(db, &region, *half, 1000).unwrap();
            let mut expected: Vec<(u64, CommunityCode, u64)> = earned
                .iter()
                .filter(|((h, code, _), _)| h == half && region.contains(code))
                .map(|((_, code, _), points)| (place(*half, &region, *points).0, *code, *points))
                .collect();
            expected.sort();
            let mut found: Vec<(u64, CommunityCode, u64)> = ranking
                .members
                .iter()
                .map(|m| (m.rank, m.community, m.points))
                .collect();
            prop_assert!(
                found
                    .windows(2)
                    .all(|pair| pair[0].2 >= pair[1].2 && pair[0].0 <= pair[1].0),
                "not in order: {:?}",
                found
            );
            found.sort();
            prop_assert_eq!(ranking.ranked, expected.len() as u64, "{} {}", region, half);
            prop_assert_eq!(&found, &expected, "{} {}", region, half);
            if region.as_str().is_empty() {
                for ranked in &ranking.members {
                    let standing =
                        figures::standing(db, ranked.community, ranked.member, *half).unwrap();
                    prop_assert_eq!(standing.points, ranked.points);
                    for (level, at) in [
                        (RegionLevel::Community, standing.community),
                        (RegionLevel::Street, standing.street),
                        (RegionLevel::City, standing.city),
                    ] {
                        let (rank, of) =
                            place(*half, &ranked.community.region(level), ranked.points);
                        let at = at.unwrap();
                        prop_assert_eq!((at.rank, at.of), (rank, of), "{:?}", level);
                    }
                }
            }
        }
    }
    Ok(())
}

/// Campaigns over every bounded period of the plan, both rules, minimums 1 and 2: how
/// many met each, in each region, equals the count of the plan's claims; and each
/// unit's report-in coverage equals the count of its members in the region. The
/// campaigns and units are first derived into `db` (a transaction, best), as a hub
/// does when its city document changes.
pub(super) fn check_campaigns(
    db: &dyn Db,
    facts: &Facts,
    plan: &CityPlan,
) -> Result<(), TestCaseError> {
    use wishtree_protocol::city::{CampaignRule, CityCommand, CityDoc};
    use wishtree_protocol::id::CampaignId;
    use wishtree_protocol::text::Title;

    let bounded: Vec<(Date, Date)> = periods(plan)
        .iter()
        .filter_map(|period| Some((period.from()?, period.to()?)))
        .collect();
    let mut city = CityDoc::new(&region("1309"), [7; 16]).unwrap();
    let mut asked = Vec::new();
    for (index, (from, to)) in bounded.iter().enumerate() {
        for (rule_index, rule) in [
            CampaignRule::MemberClaimsWish,
            CampaignRule::OrgClaimsProject,
        ]
        .into_iter()
        .enumerate()
        {
            for minimum in 1..=2u32 {
                let title = format!("活动 {index}-{rule_index}-{minimum}");
                let command = CityCommand::AddCampaign {
                    id: CampaignId::from_bytes([
                        index as u8,
                        rule_index as u8,
                        minimum as u8,
                        0,
                        0,
                        0,
                        0,
                        0,
                        0,
                        0,
                        0,
                        0,
                        0,
                        0,
                        0,
                        1,
                    ]),
                    title: Title::parse("title", &title).unwrap(),
                    rule,
                    minimum,
                    from: *from,
                    to: *to,
                };
                city.execute(&command, NOW).unwrap();
                asked.push((title, rule, minimum, *from, *to));
            }
        }
    }
    // Every unit of the pool declares 3 in-service members.
    for index in 0..3u32 {
        let credit_code = credit_code(index + 1);
        let put = CityCommand::PutOrg {
            credit_code,
            name: wishtree_protocol::text::Name::parse("name", "单位").unwrap(),
        };
        city.execute(&put, NOW).unwrap();
        let declare = CityCommand::DeclareMembers {
            credit_code,
            in_service_members: 3,
        };
        city.execute(&declare, NOW).unwrap();
    }
    let view = city.view().unwrap();
    figures::refresh_campaigns(db, &view).unwrap();
    figures::refresh_directory(db, &view).unwrap();
    for region in regions(plan) {
        let coverage = figures::coverage(db, &region).unwrap();
        for index in 0..3 {
            let org = pool_org(index);
            // A unit's coverage counts the members of all its party organisations.
            let members = facts
                .communities
                .iter()
                .filter(|c| c.code.is_some_and(|code| region.contains(&code)))
                .flat_map(|c| &c.members)
                .filter(|(_, member_org, _)| member_org.and_then(unit_of) == unit_of(org))
                .count() as u64;
            let unit = coverage
                .by_unit
                .iter()
                .find(|unit| unit.org == org)
                .unwrap();
            prop_assert_eq!(
                (unit.reported, unit.behind),
                (members.min(3), 3 - members.min(3))
            );
        }
    }
    for region in regions(plan) {
        let progress = figures::campaign_progress(db, &region).unwrap();
        prop_assert_eq!(progress.len(), asked.len());
        for (title, rule, minimum, from, to) in &asked {
            let found = progress.iter().find(|p| &p.title == title).unwrap();
            let period = Period::new(Some(*from), Some(*to)).unwrap();
            let figures = expected(
                facts,
                plan,
                &Filter {
                    region: region.clone(),
                    period,
                    org: None,
                    round: None,
                },
            );
            let within = |day: Date| period.contains(day);
            let in_region = facts
                .communities
                .iter()
                .enumerate()
                .filter(|(_, c)| c.code.is_some_and(|code| region.contains(&code)));
            let mut tally: BTreeMap<(usize, Option<usize>, Option<OrgId>), u32> = BTreeMap::new();
            for (index, community) in in_region {
                match rule {
                    CampaignRule::MemberClaimsWish => {
                        for wish in community.wishes.iter().filter(|w| within(w.submitted_day)) {
                            if let Some(member) = wish.member {
                                *tally.entry((index, Some(member), None)).or_default() += 1;
                            }
                        }
                    }
                    CampaignRule::OrgClaimsProject => {
                        for project in community
                            .projects
                            .iter()
                            .filter(|p| within(p.submitted_day))
                        {
                            if let Some(org) = project.org {
                                // An organisation is one across the city.
                                *tally.entry((0, None, Some(org))).or_default() += 1;
                            }
                        }
                        // A joint project counts for its lead and each unit holding it.
                        for staged in community.staged.iter().filter(|s| within(s.submitted_day)) {
                            for org in staged.credited() {
                                *tally.entry((0, None, Some(org))).or_default() += 1;
                            }
                        }
                    }
                }
            }
            let eligible = match rule {
                CampaignRule::MemberClaimsWish => figures.members_reported,
                CampaignRule::OrgClaimsProject => figures.orgs_reported,
            };
            let met =
                (tally.values().filter(|count| **count >= *minimum).count() as u64).min(eligible);
            prop_assert_eq!(
                (found.eligible, found.met, found.behind),
                (eligible, met, eligible - met),
                "{} in {:?}",
                title,
                region
            );
        }
    }
    Ok(())
}
