//! A half-year report against its period's seal.
//!
//! Once a period is sealed, its report is computed from the document as it was at the
//! sealed heads, so anyone holding the document can re-derive it and check the seal.
//! What was written afterwards and changes the period — a service record back-dated
//! into it, a record voided since — is listed as a late amendment (补录/更正), never
//! counted in the sealed figures.

use automerge::ChangeHash;

use super::{HalfYearReport, ReportActivity, ReportError, ReportPost, ReportService, ReportWish};
use crate::CommunityDoc;
use crate::id::MemberId;
use crate::keys::PublicKey;
use crate::model::{Evaluation, Seal};
use crate::names::Language;
use crate::seal::SealError;
use crate::time::{Date, HalfYear, Timestamp};
use crate::view::CommunityView;

/// A member's half-year report, with its seal and the amendments made after it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SealedReport {
    /// The report: of the sealed state if the period is sealed (and its heads are in
    /// the document), else of the document now.
    #[serde(flatten)]
    pub report: HalfYearReport,
    /// The period's seal, if it has one.
    pub seal: Option<SealCheck>,
    /// What changed the period after the seal; empty when it is not sealed.
    pub amendments: Vec<Amendment>,
    /// The community's evaluation of the member for the sealed period, if recorded.
    pub evaluation: Option<Evaluation>,
}

/// A seal as a report shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SealCheck {
    /// When it was sealed.
    pub at: Timestamp,
    /// Who signed it.
    pub signer: String,
    /// The sealed heads.
    #[serde(with = "crate::attest::heads_serde")]
    pub heads: Vec<ChangeHash>,
    /// Whether the signature holds, by the expected key when one was given.
    pub verified: bool,
    /// Why it does not, if it does not.
    pub problem: Option<String>,
}

/// A record that changes a sealed period, written after the seal.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Amendment {
    /// What kind of record.
    pub record: AmendedRecord,
    /// The record's id.
    pub id: String,
    /// Its day, if it has one.
    pub date: Option<Date>,
    /// Its title or description.
    pub title: String,
    /// What happened to it.
    pub change: Change,
}

/// The kinds of record a report lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AmendedRecord {
    /// An activity joined.
    Activity,
    /// A service record.
    Service,
    /// A wish claimed or fulfilled.
    Wish,
    /// A post held.
    Post,
    /// The passbook figures of the period.
    Passbook,
}

/// What happened to a record after the seal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// It counts for the period now and did not at the seal (补录).
    Added,
    /// It counted at the seal and does not now (voided or moved).
    Removed,
    /// It counts in both, differently.
    Changed,
}

impl AmendedRecord {
    /// The name as a person reads it.
    pub fn label(self, lang: Language) -> &'static str {
        let (zh, en) = match self {
            Self::Activity => ("服务活动", "activity"),
            Self::Service => ("服务记录", "service record"),
            Self::Wish => ("微心愿", "wish"),
            Self::Post => ("服务岗位", "post"),
            Self::Passbook => ("爱心积分", "passbook"),
        };
        lang.pick(zh, en)
    }
}

impl Change {
    /// The name as a person reads it.
    pub fn label(self, lang: Language) -> &'static str {
        let (zh, en) = match self {
            Self::Added => ("封存后补录", "added after the seal"),
            Self::Removed => ("封存后作废", "voided after the seal"),
            Self::Changed => ("封存后更改", "changed after the seal"),
        };
        lang.pick(zh, en)
    }
}

impl SealedReport {
    /// The report of `member` for `period` from `doc` (whose derived view now is
    /// `now`), against the period's seal, which holds if its signature does and
    /// `is_enrolled` trusts its signer for the community (the hub asks its roster; the
    /// node knows its own key).
    pub fn compute(
        doc: &mut CommunityDoc,
        now: &CommunityView,
        member: MemberId,
        period: HalfYear,
        is_enrolled: impl Fn(&PublicKey) -> bool,
    ) -> Result<Self, ReportError> {
        let mut reports = Self::compute_each(doc, now, [member], period, is_enrolled)?;
        // One member in, one report out (`compute_each` answers one per member or an
        // error).
        reports.pop().ok_or(ReportError::NoSuchMember(member))
    }

    /// The reports of every one of `members` for `period`, as [`SealedReport::compute`]
    /// makes each, with the seal checked and the document forked at its heads once for
    /// all of them (the hub derives a whole community's reports each time its document
    /// changes).
    pub fn compute_each(
        doc: &mut CommunityDoc,
        now: &CommunityView,
        members: impl IntoIterator<Item = MemberId>,
        period: HalfYear,
        is_enrolled: impl Fn(&PublicKey) -> bool,
    ) -> Result<Vec<Self>, ReportError> {
        let stored = doc.entity::<Seal>(period).map_err(ReportError::doc)?;
        let checked = stored.map(|stored| check_seal(doc.code(), period, &stored, is_enrolled));
        let sealed_view = match &checked {
            Some((_, Some(heads))) => (|| {
                let forked = doc.automerge_mut().fork_at(heads).ok()?;
                let forked =
                    CommunityDoc::from_automerge(forked, Some(doc.code()), [0; 16]).ok()?;
                CommunityView::derive(&forked).ok()
            })(),
            _ => None,
        };
        let mut reports = Vec::new();
        for member in members {
            let current = HalfYearReport::compute(now, member, period)?;
            let Some((check, _)) = &checked else {
                reports.push(Self {
                    report: current,
                    seal: None,
                    amendments: Vec::new(),
                    evaluation: None,
                });
                continue;
            };
            let evaluation = doc
                .entity::<Evaluation>(Evaluation::id_for(member, period))
                .map_err(ReportError::doc)?;
            let Some(sealed_view) = &sealed_view else {
                let problem = SealError::UnknownHeads { period }.to_string();
                reports.push(Self {
                    report: current,
                    seal: Some(SealCheck {
                        verified: false,
                        problem: Some(problem),
                        ..check.clone()
                    }),
                    amendments: Vec::new(),
                    evaluation,
                });
                continue;
            };
            // A member added after the seal has an empty sealed report.
            let sealed = match HalfYearReport::compute(sealed_view, member, period) {
                Err(ReportError::NoSuchMember(_)) => HalfYearReport::empty_like(&current),
                other => other?,
            };
            let amendments = amendments(&sealed, &current);
            reports.push(Self {
                report: sealed,
                seal: Some(check.clone()),
                amendments,
                evaluation,
            });
        }
        Ok(reports)
    }
}

/// The seal read and checked, and the heads to fork at if they can be read.
fn check_seal(
    community: crate::CommunityCode,
    period: HalfYear,
    stored: &Seal,
    is_enrolled: impl Fn(&PublicKey) -> bool,
) -> (SealCheck, Option<Vec<ChangeHash>>) {
    let mut check = SealCheck {
        at: stored.at,
        signer: stored.signer.clone(),
        heads: Vec::new(),
        verified: false,
        problem: None,
    };
    match stored.signed(community, period) {
        Err(error) => {
            check.problem = Some(error.to_string());
            (check, None)
        }
        Ok(signed) => {
            let verdict = signed.verify().and_then(|()| {
                if is_enrolled(&signed.signer) {
                    Ok(())
                } else {
                    Err(SealError::NotEnrolled {
                        period,
                        signer: signed.signer.short(),
                    })
                }
            });
            check.verified = verdict.is_ok();
            check.problem = verdict.err().map(|error| error.to_string());
            check.heads = signed.heads.clone();
            (check, Some(signed.heads))
        }
    }
}

/// One line of a report's lists, as amendments compare them.
trait Listed: PartialEq {
    const RECORD: AmendedRecord;
    fn key(&self) -> String;
    fn date(&self) -> Option<Date>;
    fn title(&self) -> String;
}

impl Listed for ReportActivity {
    const RECORD: AmendedRecord = AmendedRecord::Activity;
    fn key(&self) -> String {
        self.id.to_string()
    }
    fn date(&self) -> Option<Date> {
        Some(self.date)
    }
    fn title(&self) -> String {
        self.title.clone()
    }
}

impl Listed for ReportService {
    const RECORD: AmendedRecord = AmendedRecord::Service;
    fn key(&self) -> String {
        self.id.to_string()
    }
    fn date(&self) -> Option<Date> {
        Some(self.date)
    }
    fn title(&self) -> String {
        self.description.clone()
    }
}

impl Listed for ReportWish {
    const RECORD: AmendedRecord = AmendedRecord::Wish;
    fn key(&self) -> String {
        self.id.to_string()
    }
    fn date(&self) -> Option<Date> {
        self.claimed_on.or(self.fulfilled_on)
    }
    fn title(&self) -> String {
        self.title.clone()
    }
}

impl Listed for ReportPost {
    const RECORD: AmendedRecord = AmendedRecord::Post;
    fn key(&self) -> String {
        self.id.to_string()
    }
    fn date(&self) -> Option<Date> {
        Some(self.from)
    }
    fn title(&self) -> String {
        self.title.clone()
    }
}

/// Every difference between the sealed report and the report now.
fn amendments(sealed: &HalfYearReport, now: &HalfYearReport) -> Vec<Amendment> {
    let mut found = Vec::new();
    compare(&sealed.activities, &now.activities, &mut found);
    compare(&sealed.services, &now.services, &mut found);
    compare(&sealed.wishes, &now.wishes, &mut found);
    compare(&sealed.posts, &now.posts, &mut found);
    let (was, is) = (&sealed.totals, &now.totals);
    let points = |t: &super::ReportTotals| (t.points_earned, t.points_redeemed, t.points_balance);
    if points(was) != points(is) {
        found.push(Amendment {
            record: AmendedRecord::Passbook,
            id: String::new(),
            date: None,
            title: format!(
                "存入 {} → {}，支取 {} → {}，余额 {} → {}",
                was.points_earned,
                is.points_earned,
                was.points_redeemed,
                is.points_redeemed,
                was.points_balance,
                is.points_balance
            ),
            change: Change::Changed,
        });
    }
    found
}

fn compare<T: Listed>(sealed: &[T], now: &[T], found: &mut Vec<Amendment>) {
    let amendment = |item: &T, change| Amendment {
        record: T::RECORD,
        id: item.key(),
        date: item.date(),
        title: item.title(),
        change,
    };
    for item in now {
        match sealed.iter().find(|old| old.key() == item.key()) {
            None => found.push(amendment(item, Change::Added)),
            Some(old) if old != item => found.push(amendment(item, Change::Changed)),
            Some(_) => {}
        }
    }
    for old in sealed {
        if !now.iter().any(|item| item.key() == old.key()) {
            found.push(amendment(old, Change::Removed));
        }
    }
}
