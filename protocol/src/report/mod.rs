//! The half-year member report (报到—服务—报告): what one member did in one
//! half-year, computed from the derived view with no IO and no clock; the node renders
//! it as JSON and as CSV.
//!
//! How each figure is dated, so that a report can be re-derived and checked:
//!
//! - An **activity** counts in the period its date falls in, if the member's
//!   participation is not voided.
//! - A **service record** (participations included) counts by its date, unless voided.
//! - A **wish is claimed** in the period of the member's claim event that took effect;
//!   it is **fulfilled** in the period of its fulfilment, if the member held the claim.
//! - A **post is held** in the period if the member held it on any day of it (from the
//!   claim that took effect until a release or the post's withdrawal).
//! - **Points earned** count by the date of the service that earned them; points
//!   **redeemed** by the day of the redemption (Shanghai time). The **balance** is the
//!   sum of every entry dated on or before the period's last day. Voided entries never
//!   count.

mod sealed;

use std::collections::BTreeMap;

use crate::id::{ActivityId, MemberId, PostId, ServiceId, WishId};
use crate::lifecycle::{ClaimState, Outcome};
use crate::model::{Actor, EventKind, PointsKind, PostKind};
use crate::view::CommunityView;
use crate::{Date, HalfYear};

pub use sealed::{AmendedRecord, Amendment, Change, SealCheck, SealedReport};

/// One member's half-year report.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct HalfYearReport {
    /// The member.
    pub member: MemberId,
    /// The member's name.
    pub member_name: String,
    /// The member's work unit.
    pub work_unit: String,
    /// The community's name.
    pub community_name: String,
    /// The period.
    pub period: HalfYear,
    /// Its first day.
    pub first_day: Date,
    /// Its last day.
    pub last_day: Date,
    /// The figures.
    pub totals: ReportTotals,
    /// Activities joined, by date.
    pub activities: Vec<ReportActivity>,
    /// Service records, by date (participations included).
    pub services: Vec<ReportService>,
    /// Wishes claimed or fulfilled in the period.
    pub wishes: Vec<ReportWish>,
    /// Posts held in the period.
    pub posts: Vec<ReportPost>,
}

/// The figures of a report.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ReportTotals {
    /// Activities joined.
    pub activities_joined: usize,
    /// Service records.
    pub service_records: usize,
    /// Minutes of service.
    pub service_minutes: u64,
    /// Hours of service, to one decimal.
    pub service_hours: f64,
    /// Wishes whose claim by the member took effect in the period.
    pub wishes_claimed: usize,
    /// Wishes the member fulfilled in the period.
    pub wishes_fulfilled: usize,
    /// Posts held on some day of the period.
    pub posts_held: usize,
    /// Points earned by service in the period.
    pub points_earned: u64,
    /// Points redeemed in the period.
    pub points_redeemed: u64,
    /// The balance at the end of the period.
    pub points_balance: i64,
}

/// An activity in a report.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReportActivity {
    /// The activity.
    pub id: ActivityId,
    /// Its title.
    pub title: String,
    /// Its day.
    pub date: Date,
    /// Its category.
    pub category: PostKind,
    /// Minutes each participant served.
    pub minutes: u32,
}

/// A service record in a report.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReportService {
    /// The record.
    pub id: ServiceId,
    /// The day.
    pub date: Date,
    /// Category.
    pub category: PostKind,
    /// Minutes.
    pub minutes: u32,
    /// What was done.
    pub description: String,
    /// The activity, for a participation.
    pub activity: Option<ActivityId>,
}

/// A wish in a report.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReportWish {
    /// The wish.
    pub id: WishId,
    /// Its title.
    pub title: String,
    /// Its state now.
    pub state: ClaimState,
    /// The day the member's claim took effect, if in the period.
    pub claimed_on: Option<Date>,
    /// The day the member fulfilled it, if in the period.
    pub fulfilled_on: Option<Date>,
}

/// A post in a report.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReportPost {
    /// The post.
    pub id: PostId,
    /// Its title.
    pub title: String,
    /// Its kind.
    pub kind: PostKind,
    /// The day the member's hold began.
    pub from: Date,
    /// The day it ended, if it did.
    pub until: Option<Date>,
}

/// Why no report was made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    /// The member is not in the document.
    #[error("there is no member {0}")]
    NoSuchMember(MemberId),
    /// The document could not be read.
    #[error("the document cannot be read: {0}")]
    Doc(String),
}

impl ReportError {
    fn doc(error: crate::DocError) -> Self {
        Self::Doc(error.to_string())
    }
}

impl HalfYearReport {
    /// The report of `member` for `period`, from a derived view.
    pub fn compute(
        view: &CommunityView,
        member: MemberId,
        period: HalfYear,
    ) -> Result<Self, ReportError> {
        let details = view
            .members
            .get(&member)
            .ok_or(ReportError::NoSuchMember(member))?;
        let actor = Actor::Member(member);

        let mut activities: Vec<ReportActivity> = view
            .participations()
            .filter(|(_, participant)| *participant == member)
            .filter_map(|(id, _)| {
                let activity = view.activities.get(&id)?;
                period.contains(activity.date).then(|| ReportActivity {
                    id,
                    title: activity.title.clone(),
                    date: activity.date,
                    category: activity.category,
                    minutes: activity.minutes,
                })
            })
            .collect();
        activities.sort_by_key(|activity| (activity.date, activity.id));

        let mut services: Vec<ReportService> = view
            .counted_services()
            .filter(|(_, service)| service.member == member && period.contains(service.date))
            .map(|(id, service)| ReportService {
                id: *id,
                date: service.date,
                category: service.category,
                minutes: service.minutes,
                description: service.description.clone(),
                activity: service.activity,
            })
            .collect();
        services.sort_by_key(|service| (service.date, service.id));

        let wishes = wishes_of(view, &actor, period);
        let posts = posts_of(view, &actor, period);
        let (points_earned, points_redeemed, points_balance) = points_of(view, member, period);

        let service_minutes: u64 = services.iter().map(|s| u64::from(s.minutes)).sum();
        let totals = ReportTotals {
            activities_joined: activities.len(),
            service_records: services.len(),
            service_minutes,
            service_hours: (service_minutes as f64 / 6.0).round() / 10.0,
            wishes_claimed: wishes.iter().filter(|w| w.claimed_on.is_some()).count(),
            wishes_fulfilled: wishes.iter().filter(|w| w.fulfilled_on.is_some()).count(),
            posts_held: posts.len(),
            points_earned,
            points_redeemed,
            points_balance,
        };
        Ok(Self {
            member,
            member_name: details.name.clone(),
            work_unit: details.work_unit.clone(),
            community_name: view.community.name.clone(),
            period,
            first_day: period.first_day(),
            last_day: period.last_day(),
            totals,
            activities,
            services,
            wishes,
            posts,
        })
    }
}

impl HalfYearReport {
    /// A report of the same member and period with nothing in it: the sealed report
    /// of a member recorded after the seal.
    fn empty_like(report: &Self) -> Self {
        Self {
            totals: ReportTotals::default(),
            activities: Vec::new(),
            services: Vec::new(),
            wishes: Vec::new(),
            posts: Vec::new(),
            ..report.clone()
        }
    }
}

fn wishes_of(view: &CommunityView, actor: &Actor, period: HalfYear) -> Vec<ReportWish> {
    let mut wishes = Vec::new();
    for (id, wish) in &view.wishes {
        let claimed_on = wish
            .status
            .history
            .iter()
            .filter(|folded| {
                folded.outcome == Outcome::Applied
                    && folded.event.kind == EventKind::Claim
                    && folded.event.by == *actor
            })
            .map(|folded| folded.event.at.date_in_shanghai())
            .find(|day| period.contains(*day));
        let fulfilled_on = (wish.status.state == ClaimState::Fulfilled
            && wish.status.claimant.as_ref() == Some(actor))
        .then_some(wish.status.fulfilled_at)
        .flatten()
        .map(|at| at.date_in_shanghai())
        .filter(|day| period.contains(*day));
        if claimed_on.is_some() || fulfilled_on.is_some() {
            wishes.push(ReportWish {
                id: *id,
                title: wish.entity.title.clone(),
                state: wish.status.state,
                claimed_on,
                fulfilled_on,
            });
        }
    }
    wishes.sort_by_key(|wish| (wish.claimed_on.or(wish.fulfilled_on), wish.id));
    wishes
}

fn posts_of(view: &CommunityView, actor: &Actor, period: HalfYear) -> Vec<ReportPost> {
    let mut posts = Vec::new();
    for (id, post) in &view.posts {
        // The member's holds, as [from, until) day ranges, from the applied events.
        let mut holds: Vec<(Date, Option<Date>)> = Vec::new();
        for folded in &post.status.history {
            if folded.outcome != Outcome::Applied {
                continue;
            }
            let day = folded.event.at.date_in_shanghai();
            match folded.event.kind {
                EventKind::Claim if folded.event.by == *actor => holds.push((day, None)),
                EventKind::Release if folded.event.by == *actor => {
                    if let Some(open) = holds.last_mut().filter(|hold| hold.1.is_none()) {
                        open.1 = Some(day);
                    }
                }
                EventKind::Withdraw => {
                    if let Some(open) = holds.last_mut().filter(|hold| hold.1.is_none()) {
                        open.1 = Some(day);
                    }
                }
                _ => {}
            }
        }
        let overlapping = holds.into_iter().find(|(from, until)| {
            *from <= period.last_day() && until.is_none_or(|until| until >= period.first_day())
        });
        if let Some((from, until)) = overlapping {
            posts.push(ReportPost {
                id: *id,
                title: post.entity.title.clone(),
                kind: post.entity.kind,
                from,
                until,
            });
        }
    }
    posts.sort_by_key(|post| (post.from, post.id));
    posts
}

/// (earned in the period, redeemed in the period, balance at its end).
fn points_of(view: &CommunityView, member: MemberId, period: HalfYear) -> (u64, u64, i64) {
    let service_dates: BTreeMap<ServiceId, Date> = view
        .services
        .iter()
        .map(|(id, service)| (*id, service.entity.date))
        .collect();
    let (mut earned, mut redeemed, mut balance) = (0u64, 0u64, 0i64);
    for entry in view.passbook.values() {
        if entry.is_voided || entry.entity.member != member {
            continue;
        }
        let entry = &entry.entity;
        let day = entry
            .service
            .and_then(|service| service_dates.get(&service).copied())
            .unwrap_or_else(|| entry.at.date_in_shanghai());
        if day > period.last_day() {
            continue;
        }
        let points = u64::from(entry.points);
        let is_in_period = period.contains(day);
        match entry.kind {
            PointsKind::Earn => {
                balance += i64::from(entry.points);
                if is_in_period {
                    earned += points;
                }
            }
            PointsKind::Redeem => {
                balance -= i64::from(entry.points);
                if is_in_period {
                    redeemed += points;
                }
            }
        }
    }
    (earned, redeemed, balance)
}

#[cfg(test)]
mod tests {
    use crate::command::{ActivityFields, Command, MemberFields, WishFields};
    use crate::id::{PointsEntryId, VoidId};
    use crate::model::{BeneficiaryGroup, WishKind};
    use crate::text::{Detail, Label, Name, Title};
    use crate::{CommunityDoc, Timestamp};

    use super::*;

    struct Fixture {
        doc: CommunityDoc,
        next: u8,
    }

    impl Fixture {
        fn new() -> Self {
            let doc = CommunityDoc::create(
                "110118001002".parse().unwrap(),
                "行宫社区",
                [1; 16],
                on("2026-01-02"),
            )
            .unwrap();
            Self { doc, next: 10 }
        }

        fn bytes(&mut self) -> [u8; 16] {
            self.next += 1;
            [self.next; 16]
        }

        fn run(&mut self, command: Command, at: Timestamp) {
            self.doc
                .execute(&command, &Actor::Worker("陈玉萍".into()), at)
                .unwrap();
        }

        fn member(&mut self, name: &str) -> MemberId {
            let id = MemberId::from_bytes(self.bytes());
            let member = MemberFields {
                name: Name::parse("name", name).unwrap(),
                work_unit: Label::parse("work_unit", "=HYPERLINK(\"x\")").unwrap(),
                org: None,
                position: Label::parse("position", "").unwrap(),
                specialties: vec![],
                intentions: vec![],
                reported_in: "2026-01-05".parse().unwrap(),
                branch: None,
                team: None,
            };
            self.run(Command::AddMember { id, member }, on("2026-01-05"));
            id
        }

        fn activity(&mut self, date: &str, minutes: u32, members: &[MemberId]) -> ActivityId {
            let id = ActivityId::from_bytes(self.bytes());
            let activity = ActivityFields {
                title: Title::parse("title", &format!("活动 {date}")).unwrap(),
                category: PostKind::Safety,
                date: date.parse().unwrap(),
                minutes,
                organiser: None,
                place: Label::parse("place", "居委会").unwrap(),
            };
            self.run(Command::AddActivity { id, activity }, on(date));
            for member in members {
                self.run(
                    Command::AddParticipant {
                        activity: id,
                        member: *member,
                    },
                    on(date),
                );
            }
            id
        }

        fn service(&mut self, member: MemberId, date: &str, minutes: u32, at: &str) -> ServiceId {
            let id = ServiceId::from_bytes(self.bytes());
            self.run(
                Command::RecordService {
                    id,
                    member,
                    date: date.parse().unwrap(),
                    minutes,
                    category: PostKind::Aid,
                    item: crate::model::ScoringItem::Other,
                    description: Detail::parse("description", "-陪老人聊天").unwrap(),
                },
                on(at),
            );
            id
        }

        fn wish(&mut self, title: &str, at: &str) -> WishId {
            let id = WishId::from_bytes(self.bytes());
            let wish = WishFields {
                title: Title::parse("title", title).unwrap(),
                detail: Detail::parse("detail", "").unwrap(),
                kind: WishKind::Goods,
                group: BeneficiaryGroup::ElderlyAlone,
                resident_label: Name::parse("resident_label", "彭女士").unwrap(),
                estimated_value: None,
                round: None,
            };
            self.run(Command::SubmitWish { id, wish }, on(at));
            self.wish_event(id, EventKind::Publish, Actor::Worker("w".into()), at);
            id
        }

        fn wish_event(&mut self, id: WishId, kind: EventKind, by: Actor, at: &str) {
            self.run(
                Command::WishEvent {
                    id,
                    kind,
                    by,
                    note: Detail::parse("note", "").unwrap(),
                },
                on(at),
            );
        }
    }

    fn on(date: &str) -> Timestamp {
        date.parse::<Date>().unwrap().noon_in_shanghai()
    }

    /// A known set of records, some inside 2026H2 and some outside, gives exactly the
    /// figures counted by hand.
    #[test]
    fn the_report_of_a_known_half_year_has_the_expected_figures() {
        let mut f = Fixture::new();
        let wang = f.member("王建国");
        let li = f.member("李梅");

        // Activities: one in H1 (not counted), two in H2 (90 and 120 minutes), one in
        // H2 that only Li joined.
        f.activity("2026-06-20", 60, &[wang]);
        f.activity("2026-07-15", 90, &[wang, li]);
        let october = f.activity("2026-10-01", 120, &[wang]);
        f.activity("2026-11-11", 45, &[li]);

        // Service outside activities: 30 min in H2 entered in H2; 60 min on the last
        // day of H1 entered in H2 (dated by the service: not counted); 240 min in H2
        // then voided.
        f.service(wang, "2026-08-03", 30, "2026-08-03");
        f.service(wang, "2026-06-30", 60, "2026-07-02");
        let voided = f.service(wang, "2026-09-09", 240, "2026-09-09");
        let void = VoidId::from_bytes(f.bytes());
        f.run(
            Command::VoidService {
                id: void,
                service: voided,
                reason: Label::parse("reason", "录入错误").unwrap(),
            },
            on("2026-09-10"),
        );

        // Points at the default 10 per hour: H1 10 (activity) + 10 (service of
        // 06-30); H2 15 + 20 + 5 = 40. Redeemed 25 in H2, 5 in 2027 (after the end).
        let redeem = |f: &mut Fixture, points: u32, at: &str| {
            let id = PointsEntryId::from_bytes(f.bytes());
            f.run(
                Command::Redeem {
                    id,
                    member: wang,
                    points,
                    reason: Label::parse("reason", "兑换毛巾").unwrap(),
                },
                on(at),
            );
        };
        redeem(&mut f, 25, "2026-12-01");
        redeem(&mut f, 5, "2027-01-03");

        // Wishes: claimed and fulfilled in H2; claimed in H2 then released; claimed in
        // H1 and fulfilled in H2; Li's claim, which is not Wang's.
        let fulfilled = f.wish("微波炉", "2026-07-01");
        let released = f.wish("陪聊", "2026-07-01");
        let across = f.wish("轮椅", "2026-05-01");
        let lis = f.wish("台灯", "2026-07-01");
        let (by_wang, by_worker) = (Actor::Member(wang), Actor::Worker("w".into()));
        let (claim, fulfil, release) = (EventKind::Claim, EventKind::Fulfil, EventKind::Release);
        for (wish, kind, by, at) in [
            (fulfilled, claim, &by_wang, "2026-07-03"),
            (fulfilled, fulfil, &by_wang, "2026-07-20"),
            (released, claim, &by_wang, "2026-08-01"),
            (released, release, &by_wang, "2026-08-02"),
            (across, claim, &by_wang, "2026-05-02"),
            (across, fulfil, &by_worker, "2026-07-05"),
        ] {
            f.wish_event(wish, kind, by.clone(), at);
        }
        f.wish_event(lis, EventKind::Claim, Actor::Member(li), "2026-07-02");

        // Posts: held from H1 into H2; held and released within H1 (not counted).
        let post = |f: &mut Fixture, title: &str, at: &str| {
            let id = PostId::from_bytes(f.bytes());
            f.run(
                Command::AddPost {
                    id,
                    kind: PostKind::Environment,
                    title: Title::parse("title", title).unwrap(),
                    detail: Detail::parse("detail", "").unwrap(),
                    seats: 2,
                },
                on(at),
            );
            id
        };
        let post_event = |f: &mut Fixture, id: PostId, kind: EventKind, at: &str| {
            f.run(
                Command::PostEvent {
                    id,
                    kind,
                    by: Actor::Member(wang),
                    note: Detail::parse("note", "").unwrap(),
                },
                on(at),
            );
        };
        let held = post(&mut f, "环境卫生岗", "2026-03-01");
        post_event(&mut f, held, EventKind::Claim, "2026-03-02");
        let short = post(&mut f, "便民岗", "2026-03-01");
        post_event(&mut f, short, EventKind::Claim, "2026-03-02");
        post_event(&mut f, short, EventKind::Release, "2026-04-02");

        let view = CommunityView::derive(&f.doc).unwrap();
        let report = HalfYearReport::compute(&view, wang, "2026H2".parse().unwrap()).unwrap();
        assert_eq!(
            report.totals,
            ReportTotals {
                activities_joined: 2,
                service_records: 3,
                service_minutes: 90 + 120 + 30,
                service_hours: 4.0,
                wishes_claimed: 2,
                wishes_fulfilled: 2,
                posts_held: 1,
                points_earned: 40,
                points_redeemed: 25,
                points_balance: 10 + 10 + 40 - 25,
            }
        );
        assert_eq!(report.activities.last().unwrap().id, october);
        assert_eq!(report.posts[0].id, held);
        let wish_ids: Vec<WishId> = report.wishes.iter().map(|w| w.id).collect();
        assert!(wish_ids.contains(&fulfilled) && wish_ids.contains(&released));
        assert!(wish_ids.contains(&across) && !wish_ids.contains(&lis));

        let first_half = HalfYearReport::compute(&view, wang, "2026H1".parse().unwrap()).unwrap();
        assert_eq!(first_half.totals.activities_joined, 1);
        assert_eq!(first_half.totals.service_minutes, 60 + 60);
        assert_eq!(first_half.totals.points_earned, 20);
        assert_eq!(first_half.totals.points_balance, 20);
        assert_eq!(first_half.totals.wishes_claimed, 1);
        assert_eq!(first_half.totals.posts_held, 2);
    }

    #[test]
    fn an_unknown_member_has_no_report() {
        let f = Fixture::new();
        let view = CommunityView::derive(&f.doc).unwrap();
        let nobody = MemberId::from_bytes([9; 16]);
        assert_eq!(
            HalfYearReport::compute(&view, nobody, "2026H2".parse().unwrap()),
            Err(ReportError::NoSuchMember(nobody))
        );
    }
}
