//! Strategies of the figures property test: the random city plans (communities, their
//! members, wishes, projects, activities, service and redemptions, and how their
//! documents reach the hub).

use super::*;

pub(super) fn fate() -> impl Strategy<Value = Fate> {
    prop_oneof![
        1 => Just(Fate::Submitted),
        1 => Just(Fate::Published),
        1 => Just(Fate::Rejected),
        1 => Just(Fate::WithdrawnEarly),
        2 => Just(Fate::Claimed),
        3 => any::<bool>().prop_map(|by_worker| Fate::Fulfilled { by_worker }),
        1 => Just(Fate::WithdrawnAfterClaim),
        1 => Just(Fate::Released),
        1 => Just(Fate::Reclaimed),
    ]
}

pub(super) fn wish_plan() -> impl Strategy<Value = WishPlan> {
    (
        0i64..300 * 1440,
        fate(),
        any::<usize>(),
        any::<usize>(),
        0i64..20 * 1440,
        0i64..30 * 1440,
    )
        .prop_map(
            |(submitted_minute, fate, claimant, second, claim_after, fulfil_after)| WishPlan {
                submitted_minute,
                fate,
                claimant,
                second_claimant: second,
                claim_after_minutes: claim_after,
                fulfil_after_minutes: fulfil_after,
            },
        )
}

pub(super) fn activity_plan() -> impl Strategy<Value = ActivityPlan> {
    (
        0i32..300,
        1u32..300,
        prop::option::of(any::<usize>()),
        prop::collection::vec((any::<usize>(), prop::bool::weighted(0.2)), 0..4),
        0i64..300 * 1440,
    )
        .prop_map(
            |(day, minutes, organiser, participants, recorded_minute)| ActivityPlan {
                day,
                minutes,
                organiser,
                participants,
                recorded_minute,
            },
        )
}

pub(super) fn service_plan() -> impl Strategy<Value = ServicePlan> {
    (
        any::<usize>(),
        0i32..300,
        1u32..400,
        prop::bool::weighted(0.2),
        0i64..300 * 1440,
    )
        .prop_map(
            |(member, day, minutes, voided, recorded_minute)| ServicePlan {
                member,
                day,
                minutes,
                voided,
                recorded_minute,
            },
        )
}

pub(super) fn community_plan(code: CommunityCode) -> impl Strategy<Value = CommunityPlan> {
    (
        // Up to three units of the pool, so that a project can be claimed by three jointly.
        prop::collection::vec((0usize..POOL, prop::option::of(0i32..300)), 0..4),
        prop::collection::vec((prop::option::of(any::<usize>()), 0i32..300), 0..6),
        prop::collection::vec((any::<usize>(), 0i32..300, any::<bool>()), 0..3),
        prop::collection::vec(wish_plan(), 0..7),
        (
            prop::collection::vec(wish_plan(), 0..3),
            prop::collection::vec(staged_plan(), 0..3),
        ),
        prop::collection::vec(activity_plan(), 0..3),
        prop::collection::vec(service_plan(), 0..5),
        prop::collection::vec((any::<usize>(), 1u32..40, 0i64..320 * 1440), 0..3),
        prop::collection::vec(volunteer_plan(), 0..3),
        (street_plan(), 0i64..48, late_plan()),
        prop::option::of(any::<prop::sample::Index>()),
        any::<bool>(),
    )
        .prop_map(
            move |(
                orgs,
                members,
                pairings,
                wishes,
                (projects, staged),
                activities,
                services,
                redemptions,
                volunteers,
                (street, seen, mut late),
                split,
                attest_final,
            )| {
                let mut seen_orgs = BTreeSet::new();
                let orgs = orgs
                    .into_iter()
                    .filter(|(pool, _)| seen_orgs.insert(*pool))
                    .collect();
                late.orgs.retain(|(pool, _)| seen_orgs.insert(*pool));
                CommunityPlan {
                    code,
                    orgs,
                    members,
                    pairings,
                    wishes,
                    projects,
                    staged,
                    activities,
                    services,
                    redemptions,
                    volunteers,
                    street,
                    late,
                    seen_hours_ago: seen,
                    split,
                    attest_final,
                }
            },
        )
}

pub(super) fn late_plan() -> impl Strategy<Value = LatePlan> {
    (
        prop::option::of((0i32..300, 0i32..300)),
        prop::collection::vec((0usize..POOL, prop::option::of(0i32..300)), 0..3),
        prop::collection::vec(
            (
                prop::option::of(any::<usize>()),
                0i32..300,
                any::<bool>(),
                any::<bool>(),
            ),
            0..4,
        ),
    )
        .prop_map(|(groups, orgs, members)| LatePlan {
            groups,
            orgs,
            members,
        })
}

pub(super) fn all_codes() -> Vec<CommunityCode> {
    let mut codes = Vec::new();
    for district in ["130902", "130903"] {
        for street in ["001", "002"] {
            for community in ["001", "002", "003"] {
                codes.push(code(&format!("{district}{street}{community}")));
            }
        }
    }
    codes
}

pub(super) fn city_plan() -> impl Strategy<Value = CityPlan> {
    (
        prop::sample::subsequence(all_codes(), 1..=4),
        prop::option::of((prop::sample::select(all_codes()), 0i64..48)),
        prop::collection::vec(
            (prop::option::of(0i32..320), prop::option::of(0i32..320)),
            3,
        ),
        prop::option::of(any::<prop::sample::Index>()),
    )
        .prop_flat_map(|(codes, seen_only, periods, street_host)| {
            let plans: Vec<_> = codes.into_iter().map(community_plan).collect();
            (plans, Just(seen_only), Just(periods), Just(street_host))
        })
        .prop_map(|(communities, seen_only, periods, street_host)| {
            let taken: BTreeSet<CommunityCode> = communities.iter().map(|c| c.code).collect();
            CityPlan {
                seen_only: seen_only.filter(|(code, _)| !taken.contains(code)),
                communities,
                periods,
                street_host,
            }
        })
}
