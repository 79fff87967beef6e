//! Property test: 3 to 5 replicas of one community apply random domain commands
//! offline, then merge in random orders and groupings. Every replica must end with the
//! same heads and the same derived state, and the invariants of DESIGN §4 must hold,
//! checked against a model of what was accepted that is kept apart from the document.

#![allow(clippy::unwrap_used)]

mod support;

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use wishtree_protocol::CommunityDoc;
use wishtree_protocol::command::Command;
use wishtree_protocol::id::{
    ActivityId, MemberId, OrgId, PointsEntryId, PostId, ProjectId, ServiceId, VoidId, WishId,
};
use wishtree_protocol::lifecycle::{ClaimState, ClaimStatus, Outcome};
use wishtree_protocol::model::{
    Actor, EventKind, Org, PointsKind, PostKind, ProjectKind, ServiceRecord,
};
use wishtree_protocol::text::{Detail, Label, Name, Title};
use wishtree_protocol::uscc::CreditCode;
use wishtree_protocol::view::CommunityView;

use support::*;

/// One step of the schedule: which replica, what it does, and numbers that pick the
/// entities it acts on among those it knows.
#[derive(Debug, Clone)]
enum Step {
    AddMember,
    SubmitWish,
    WishEvent {
        kind: u8,
        pick: usize,
        actor: usize,
    },
    ProjectEvent {
        kind: u8,
        pick: usize,
        actor: usize,
    },
    PostEvent {
        claim: bool,
        pick: usize,
        actor: usize,
    },
    Participate {
        activity: usize,
        member: usize,
    },
    RecordService {
        member: usize,
        minutes: u32,
    },
    Redeem {
        member: usize,
        points: u32,
    },
    VoidService {
        pick: usize,
    },
    /// Two replicas sync mid-way, as a partial reconnection would.
    Merge {
        with: usize,
    },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        1 => Just(Step::AddMember),
        1 => Just(Step::SubmitWish),
        6 => (0u8..6, any::<usize>(), any::<usize>())
            .prop_map(|(kind, pick, actor)| Step::WishEvent { kind, pick, actor }),
        2 => (0u8..6, any::<usize>(), any::<usize>())
            .prop_map(|(kind, pick, actor)| Step::ProjectEvent { kind, pick, actor }),
        2 => (any::<bool>(), any::<usize>(), any::<usize>())
            .prop_map(|(claim, pick, actor)| Step::PostEvent { claim, pick, actor }),
        3 => (any::<usize>(), any::<usize>())
            .prop_map(|(activity, member)| Step::Participate { activity, member }),
        2 => (any::<usize>(), 1u32..300)
            .prop_map(|(member, minutes)| Step::RecordService { member, minutes }),
        2 => (any::<usize>(), 1u32..40).prop_map(|(member, points)| Step::Redeem { member, points }),
        1 => any::<usize>().prop_map(|pick| Step::VoidService { pick }),
        1 => any::<usize>().prop_map(|with| Step::Merge { with }),
    ]
}

/// What the test knows was accepted, kept apart from the documents.
#[derive(Default)]
struct Model {
    /// Service records by id: (member, minutes, points earned).
    services: BTreeMap<ServiceId, (MemberId, u32, u32)>,
    voided_services: BTreeSet<ServiceId>,
    redemptions: BTreeMap<PointsEntryId, (MemberId, u32)>,
    /// Participations by (activity, member).
    participations: BTreeSet<(ActivityId, MemberId)>,
}

struct Fixture {
    members: Vec<MemberId>,
    orgs: Vec<OrgId>,
    wishes: Vec<WishId>,
    projects: Vec<ProjectId>,
    posts: Vec<PostId>,
    activities: Vec<(ActivityId, u32)>,
}

const EVENT_KINDS: [EventKind; 6] = [
    EventKind::Publish,
    EventKind::Claim,
    EventKind::Release,
    EventKind::Fulfil,
    EventKind::Reject,
    EventKind::Withdraw,
];

fn note() -> Detail {
    Detail::parse("note", "").expect("empty note")
}

/// A base document every replica starts from: members, organisations, published
/// wishes, a project, a post and activities to contend for.
fn base(ids: &mut Ids) -> (CommunityDoc, Fixture) {
    let mut doc = new_doc(ids);
    let members: Vec<_> = ["张婷", "李文杰", "赵玉茹", "程晓明"]
        .iter()
        .map(|name| add_member(&mut doc, ids, name))
        .collect();
    let orgs: Vec<_> = ["91350100M000100Y43", "91110000600037341L"]
        .iter()
        .map(|code| {
            let credit_code: CreditCode = code.parse().expect("valid code");
            doc.execute(
                &Command::AddOrg {
                    credit_code,
                    name: Name::parse("name", "沧州市发改委党组").expect("name"),
                    reported_in: None,
                },
                &worker(),
                at(1),
            )
            .expect("add org");
            Org::id_for(&credit_code)
        })
        .collect();
    let wishes: Vec<_> = (0..3)
        .map(|i| {
            let id = submit_wish(&mut doc, ids, &format!("心愿 {i}"));
            if i < 2 {
                doc.execute(
                    &wish_event(id, EventKind::Publish, worker()),
                    &worker(),
                    at(2),
                )
                .expect("publish");
            }
            id
        })
        .collect();
    let project = ProjectId::from_bytes(ids.bytes());
    doc.execute(
        &Command::SubmitProject {
            id: project,
            title: Title::parse("title", "“扶”您上下楼").expect("title"),
            detail: note(),
            kind: ProjectKind::MicroProject,
            street: None,
        },
        &worker(),
        at(2),
    )
    .expect("project");
    doc.execute(
        &Command::ProjectEvent {
            id: project,
            kind: EventKind::Publish,
            by: worker(),
            note: note(),
        },
        &worker(),
        at(2),
    )
    .expect("publish project");
    let post = PostId::from_bytes(ids.bytes());
    doc.execute(
        &Command::AddPost {
            id: post,
            kind: PostKind::Aid,
            title: Title::parse("title", "扶弱济困岗").expect("title"),
            detail: note(),
            seats: 2,
        },
        &worker(),
        at(2),
    )
    .expect("post");
    let activities = vec![
        (add_activity(&mut doc, ids, 120), 120),
        (add_activity(&mut doc, ids, 45), 45),
    ];
    let fixture = Fixture {
        members,
        orgs,
        wishes,
        projects: vec![project],
        posts: vec![post],
        activities,
    };
    (doc, fixture)
}

fn pick<T: Copy>(items: &[T], n: usize) -> T {
    items[n % items.len()]
}

fn claimant(fixture: &Fixture, n: usize) -> Actor {
    let count = fixture.members.len() + fixture.orgs.len() + 1;
    match n % count {
        i if i < fixture.members.len() => Actor::Member(fixture.members[i]),
        i if i < count - 1 => Actor::Org(fixture.orgs[i - fixture.members.len()]),
        _ => worker(),
    }
}

/// Applies a step to replica `r`. Refusals are expected (the step may be illegal on
/// this replica now); anything else is a failure.
fn apply(
    replicas: &mut [CommunityDoc],
    r: usize,
    step: &Step,
    fixture: &mut Fixture,
    model: &mut Model,
    ids: &mut Ids,
    clock: i64,
) {
    let now = at(clock);
    let command = match step {
        Step::Merge { with } => {
            let other = with % replicas.len();
            if other != r {
                let mut theirs = replicas[other].clone();
                replicas[r].merge(&mut theirs).expect("merge");
            }
            return;
        }
        Step::AddMember => {
            let id = MemberId::from_bytes(ids.bytes());
            fixture.members.push(id);
            Command::AddMember {
                id,
                member: member_fields("新报到党员"),
            }
        }
        Step::SubmitWish => {
            let id = WishId::from_bytes(ids.bytes());
            fixture.wishes.push(id);
            Command::SubmitWish {
                id,
                wish: wish_fields("新心愿"),
            }
        }
        Step::WishEvent {
            kind,
            pick: n,
            actor,
        } => {
            let kind = EVENT_KINDS[*kind as usize];
            let by = match kind {
                EventKind::Claim | EventKind::Release | EventKind::Fulfil => {
                    claimant(fixture, *actor)
                }
                _ => worker(),
            };
            Command::WishEvent {
                id: pick(&fixture.wishes, *n),
                kind,
                by,
                note: reason(kind),
            }
        }
        Step::ProjectEvent {
            kind,
            pick: n,
            actor,
        } => {
            let kind = EVENT_KINDS[*kind as usize];
            Command::ProjectEvent {
                id: pick(&fixture.projects, *n),
                kind,
                by: claimant(fixture, *actor),
                note: reason(kind),
            }
        }
        Step::PostEvent {
            claim,
            pick: n,
            actor,
        } => Command::PostEvent {
            id: pick(&fixture.posts, *n),
            kind: if *claim {
                EventKind::Claim
            } else {
                EventKind::Release
            },
            by: claimant(fixture, *actor),
            note: note(),
        },
        Step::Participate { activity, member } => Command::AddParticipant {
            activity: pick(&fixture.activities, *activity).0,
            member: pick(&fixture.members, *member),
        },
        Step::RecordService { member, minutes } => Command::RecordService {
            id: ServiceId::from_bytes(ids.bytes()),
            member: pick(&fixture.members, *member),
            date: date("2026-08-01"),
            minutes: *minutes,
            category: PostKind::Environment,
            item: wishtree_protocol::model::ScoringItem::Other,
            description: Detail::parse("description", "清理小区卫生死角").expect("text"),
        },
        Step::Redeem { member, points } => Command::Redeem {
            id: PointsEntryId::from_bytes(ids.bytes()),
            member: pick(&fixture.members, *member),
            points: *points,
            reason: Label::parse("reason", "兑换粮油").expect("text"),
        },
        Step::VoidService { pick: n } => {
            let known: Vec<ServiceId> = model.services.keys().copied().collect();
            if known.is_empty() {
                return;
            }
            Command::VoidService {
                id: VoidId::from_bytes(ids.bytes()),
                service: pick(&known, *n),
                reason: Label::parse("reason", "录入错误").expect("text"),
            }
        }
    };
    let replica = &mut replicas[r];
    let points_rate = |minutes: u32| replica.rules().points_for(PostKind::Environment, minutes);
    let expected_points = match &command {
        Command::RecordService { minutes, .. } => points_rate(*minutes),
        _ => 0,
    };
    match replica.execute(&command, &worker(), now) {
        Ok(_) => match command {
            Command::RecordService {
                id,
                member,
                minutes,
                ..
            } => {
                model
                    .services
                    .insert(id, (member, minutes, expected_points));
            }
            Command::AddParticipant { activity, member } => {
                let minutes = fixture
                    .activities
                    .iter()
                    .find(|(id, _)| *id == activity)
                    .map(|(_, minutes)| *minutes)
                    .expect("known activity");
                let service = ServiceRecord::id_for_participation(activity, member);
                let points = replica.rules().points_for(PostKind::Safety, minutes);
                model.services.insert(service, (member, minutes, points));
                model.participations.insert((activity, member));
            }
            Command::Redeem {
                id, member, points, ..
            } => {
                model.redemptions.insert(id, (member, points));
            }
            Command::VoidService { service, .. } => {
                model.voided_services.insert(service);
            }
            _ => {}
        },
        Err(wishtree_protocol::command::CommandError::Doc(error)) => {
            panic!("document error on {command:?}: {error}")
        }
        Err(_refused) => {}
    }
}

/// Checks the invariants of one view against the model.
fn check_invariants(view: &CommunityView, model: &Model) -> Result<(), TestCaseError> {
    // At most one effective claimant; fulfilled only after an effective claim.
    let claimables = view
        .wishes
        .values()
        .map(|w| &w.status)
        .chain(view.projects.values().map(|p| &p.status.claim));
    for status in claimables {
        check_claim_history(status)?;
    }
    for post in view.posts.values() {
        prop_assert!(post.status.holders.len() <= post.entity.seats as usize);
        let distinct: BTreeSet<_> = post.status.holders.iter().collect();
        prop_assert_eq!(distinct.len(), post.status.holders.len());
    }

    // Every participation counted once, and only those accepted and not voided.
    let participations: Vec<_> = view.participations().collect();
    let distinct: BTreeSet<_> = participations.iter().copied().collect();
    prop_assert_eq!(distinct.len(), participations.len());
    let expected: BTreeSet<_> = model
        .participations
        .iter()
        .copied()
        .filter(|(a, m)| {
            !model
                .voided_services
                .contains(&ServiceRecord::id_for_participation(*a, *m))
        })
        .collect();
    prop_assert_eq!(distinct, expected);

    // No service hours counted twice: the minutes are those of the accepted records.
    let expected_minutes: u64 = model
        .services
        .iter()
        .filter(|(id, _)| !model.voided_services.contains(id))
        .map(|(_, (_, minutes, _))| u64::from(*minutes))
        .sum();
    prop_assert_eq!(view.service_minutes(), expected_minutes);

    // Passbook balance = sum of its entries, and equals what the model accepted.
    let mut expected_balance: BTreeMap<MemberId, i64> = BTreeMap::new();
    for (id, (member, _, points)) in &model.services {
        if !model.voided_services.contains(id) && *points > 0 {
            *expected_balance.entry(*member).or_default() += i64::from(*points);
        }
    }
    for (member, points) in model.redemptions.values() {
        *expected_balance.entry(*member).or_default() -= i64::from(*points);
    }
    for (member, book) in &view.passbooks {
        let summed: i64 = view
            .passbook
            .values()
            .filter(|entry| !entry.is_voided && entry.entity.member == *member)
            .map(|entry| match entry.entity.kind {
                PointsKind::Earn => i64::from(entry.entity.points),
                PointsKind::Redeem => -i64::from(entry.entity.points),
            })
            .sum();
        prop_assert_eq!(book.balance, summed);
        prop_assert_eq!(
            book.balance,
            expected_balance.get(member).copied().unwrap_or(0)
        );
        prop_assert_eq!(book.is_overdrawn(), book.balance < 0);
    }
    for (member, balance) in expected_balance {
        if balance != 0 {
            prop_assert!(view.passbooks.contains_key(&member));
        }
    }
    prop_assert!(view.malformed.is_empty());
    Ok(())
}

fn check_claim_history(status: &ClaimStatus) -> Result<(), TestCaseError> {
    let mut holders = 0i32;
    let mut claimed_before_fulfil = false;
    for folded in &status.history {
        if folded.outcome != Outcome::Applied {
            continue;
        }
        match folded.event.kind {
            EventKind::Claim => {
                holders += 1;
                claimed_before_fulfil = true;
            }
            EventKind::Release | EventKind::Withdraw => holders = 0,
            EventKind::Fulfil => prop_assert!(claimed_before_fulfil, "fulfilled before claimed"),
            _ => {}
        }
        prop_assert!(holders <= 1, "two effective claimants");
    }
    match status.state {
        ClaimState::Claimed | ClaimState::Fulfilled => prop_assert!(status.claimant.is_some()),
        _ => prop_assert!(status.claimant.is_none()),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        max_shrink_iters: 200,
        ..ProptestConfig::default()
    })]

    #[test]
    fn replicas_converge_and_keep_the_invariants(
        seed in any::<u64>(),
        replica_count in 3usize..=5,
        schedule in prop::collection::vec((any::<usize>(), step()), 1..40),
        merge_order in prop::collection::vec((any::<usize>(), any::<usize>()), 0..12),
    ) {
        let mut ids = Ids::new(seed);
        let (base, mut fixture) = base(&mut ids);
        let base_bytes = base.clone().save();
        let mut replicas: Vec<CommunityDoc> = (0..replica_count)
            .map(|_| CommunityDoc::load(&base_bytes, Some(community()), ids.bytes()).expect("load"))
            .collect();
        let mut model = Model::default();

        for (clock, (r, step)) in schedule.iter().enumerate() {
            let r = r % replica_count;
            apply(&mut replicas, r, step, &mut fixture, &mut model, &mut ids, 100 + clock as i64);
        }

        // Merge in random pairs first (random groupings), then everyone into one
        // replica and that one back into everyone.
        for (a, b) in merge_order {
            let (a, b) = (a % replica_count, b % replica_count);
            if a != b {
                let mut theirs = replicas[b].clone();
                replicas[a].merge(&mut theirs).expect("merge");
            }
        }
        for r in 1..replica_count {
            let mut theirs = replicas[r].clone();
            replicas[0].merge(&mut theirs).expect("merge");
        }
        for r in 1..replica_count {
            let mut hub = replicas[0].clone();
            replicas[r].merge(&mut hub).expect("merge");
        }

        let heads = replicas[0].heads();
        let view = CommunityView::derive(&replicas[0]).expect("derive");
        for replica in &mut replicas[1..] {
            prop_assert_eq!(replica.heads(), heads.clone());
            prop_assert_eq!(&CommunityView::derive(replica).expect("derive"), &view);
        }
        // A replica that loads the merged bytes from storage derives the same state.
        let reloaded = CommunityDoc::load(&replicas[0].save(), Some(community()), ids.bytes()).expect("reload");
        prop_assert_eq!(&CommunityView::derive(&reloaded).expect("derive"), &view);
        check_invariants(&view, &model)?;
    }
}
