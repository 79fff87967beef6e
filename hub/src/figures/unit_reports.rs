//! Report-back to the unit (报到—服务—报告, issue 13): each unit's members by name, and
//! each member's sealed half-year reports with the community's evaluation, across
//! every community they serve; the unit's annual report (单位党组织年度报告) is built
//! from these rows.
//!
//! The rows are derived with the figures each time a community's document changes
//! ([`rederive_unit_reports`]): the member's name and the report the node itself would
//! print for every sealed half-year (`SealedReport`, re-derived at the hub from the
//! document at the sealed heads, the seal checked against the roster), stored as its
//! figures and as JSON for the member's page. So a unit's page of thousands of member
//! reports is one indexed read, never a re-derivation. A half-year a community has not
//! sealed has no row: the page says 未封存 and counts nothing for it.

use std::collections::{BTreeMap, HashMap};

use wishtree_protocol::id::{MemberId, OrgId};
use wishtree_protocol::keys::PublicKey;
use wishtree_protocol::model::{EvaluationGrade, Member, Org, Seal};
use wishtree_protocol::report::SealedReport;
use wishtree_protocol::view::CommunityView;
use wishtree_protocol::view_delta::EntityDelta;
use wishtree_protocol::{CommunityCode, CommunityDoc, HalfYear, RegionPrefix};

use super::FiguresError;
use super::measure::{indexed_by, region_range};
use super::names::parse_code;
use super::party_orgs::OrgScope;
use crate::sql::{self, Db, DbExt, Row, params};

/// Whether a member's half-year report is sealed, and whether its seal holds.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "state", content = "problem", rename_all = "snake_case")]
pub enum SealMark {
    /// The community sealed the half-year and the seal verified (已验签).
    Verified,
    /// The community sealed it, but the seal does not hold (验签失败), and why.
    Failed(String),
    /// The community has not sealed the half-year (未封存).
    NotSealed,
}

/// One member of a unit and their report for a half-year in one community.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MemberReportRow {
    /// The community the member reported in to.
    pub community: CommunityCode,
    /// Its name.
    pub community_name: String,
    /// The member.
    pub member: MemberId,
    /// The member's name, as the document holds it.
    pub name: String,
    /// The seal of the half-year.
    pub seal: SealMark,
    /// The community's evaluation (等次), if it recorded one.
    pub grade: Option<EvaluationGrade>,
    /// Its comment (评语).
    pub comment: String,
    /// The sealed figures; zero when not sealed.
    pub totals: MemberTotals,
    /// Records written into the period after the seal (补录/更正), not counted.
    pub amendments: u64,
}

/// The figures of a sealed member report that a unit's list shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct MemberTotals {
    /// Activities joined.
    pub activities: u64,
    /// Minutes of service.
    pub service_minutes: u64,
    /// Wishes claimed.
    pub wishes_claimed: u64,
    /// Wishes fulfilled.
    pub wishes_fulfilled: u64,
    /// Posts held.
    pub posts_held: u64,
    /// Points earned.
    pub points_earned: u64,
}

/// A unit's members who are behind on a campaign that asks every member, by name.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct MemberBehind {
    /// The community.
    pub community: CommunityCode,
    /// Its name.
    pub community_name: String,
    /// The member.
    pub member: MemberId,
    /// Their name.
    pub name: String,
    /// How many they claimed in the campaign's days.
    pub claimed: u64,
}

/// Replaces `code`'s report-back rows, in the caller's transaction: every member who
/// names a unit, and their reports for each sealed half-year of the document. The
/// reports are computed from `doc` at each seal's heads; `is_enrolled` says whether the
/// roster trusts a seal's signer for the community.
pub fn rederive_unit_reports(
    db: &dyn Db,
    doc: &mut CommunityDoc,
    view: &CommunityView,
    is_enrolled: impl Fn(&PublicKey) -> bool,
) -> Result<u64, FiguresError> {
    let code = doc.code();
    let community = code.as_str();
    for table in ["fig_unit_members", "fig_member_reports"] {
        db.execute_later(
            &format!("DELETE FROM {table} WHERE community = ?1"),
            params![community],
        )?;
    }
    let units = insert_unit_members(db, community, view.members.iter(), &view.orgs)?;
    let mut rows = units.len() as u64;
    if units.is_empty() {
        return Ok(rows);
    }
    let (seals, _malformed) = doc.entities::<Seal>()?;
    let periods: Vec<HalfYear> = seals.into_iter().map(|(period, _)| period).collect();
    for period in periods {
        let reports =
            SealedReport::compute_each(doc, view, units.keys().copied(), period, &is_enrolled)
                .map_err(|error| FiguresError::Report(error.to_string()))?;
        for report in reports {
            let Some(org) = units.get(&report.report.member) else {
                continue;
            };
            let (is_verified, problem) = match &report.seal {
                Some(seal) => (seal.verified, seal.problem.clone()),
                None => continue,
            };
            let totals = &report.report.totals;
            let json = serde_json::to_string(&report).map_err(|error| FiguresError::Corrupt {
                what: "member report",
                value: error.to_string(),
            })?;
            db.execute_later(
                "INSERT INTO fig_member_reports (community, period, member, org, is_verified,
                     problem, grade, comment, activities, service_minutes, wishes_claimed,
                     wishes_fulfilled, posts_held, points_earned, amendments, report)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
                params![
                    community,
                    period.to_string(),
                    report.report.member.as_bytes().as_slice(),
                    org.as_bytes().as_slice(),
                    is_verified,
                    problem,
                    report.evaluation.as_ref().map(|e| e.grade.code()),
                    report
                        .evaluation
                        .as_ref()
                        .map_or("", |e| e.comment.as_str()),
                    totals.activities_joined as i64,
                    totals.service_minutes as i64,
                    totals.wishes_claimed as i64,
                    totals.wishes_fulfilled as i64,
                    totals.posts_held as i64,
                    totals.points_earned as i64,
                    report.amendments.len() as i64,
                    json,
                ],
            )?;
            rows += 1;
        }
    }
    Ok(rows)
}

/// Rewrites the unit rows (`fig_unit_members`) of the members a change followed entity
/// by entity ([`EntityDelta`]) wrote in, new or edited (their name, unit and day are on
/// the row), when the community has no sealed half-year (with one,
/// [`rederive_unit_reports`] rewrites every row): without seals there are no reports,
/// only these rows.
pub fn rewrite_unit_members(
    db: &dyn Db,
    code: CommunityCode,
    delta: &EntityDelta,
) -> Result<u64, FiguresError> {
    for id in &delta.touched.members {
        db.execute_later(
            "DELETE FROM fig_unit_members WHERE community = ?1 AND id = ?2",
            params![code.as_str(), id.as_bytes().as_slice()],
        )?;
    }
    let members = delta
        .touched
        .members
        .iter()
        .filter_map(|id| Some((id, delta.members.get(id)?)));
    let units = insert_unit_members(db, code.as_str(), members, &delta.orgs)?;
    Ok(units.len() as u64)
}

/// Writes the rows of `members` who belong to a unit (`fig_unit_members`), with the
/// unit by the id its credit code derives citywide; answers each one's unit.
fn insert_unit_members<'m>(
    db: &dyn Db,
    community: &str,
    members: impl Iterator<Item = (&'m MemberId, &'m Member)>,
    orgs: &BTreeMap<OrgId, Org>,
) -> Result<BTreeMap<MemberId, OrgId>, FiguresError> {
    let mut units = BTreeMap::new();
    for (id, member) in members {
        let Some(key) = member.org else { continue };
        let org = orgs.get(&key).map_or(key, Org::id);
        db.execute_later(
            "INSERT INTO fig_unit_members (community, id, org, name, reported_day)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                community,
                id.as_bytes().as_slice(),
                org.as_bytes().as_slice(),
                member.name,
                member.reported_in.to_days(),
            ],
        )?;
        units.insert(*id, org);
    }
    Ok(units)
}

/// Every member of `org` reported in to a community of `region` by the last day of
/// `period`, with their report for it, by community and name.
///
/// A unit's page lists thousands of these, so it reads two index ranges (the unit's
/// members in page order, its reports of the half-year with every figure the list
/// shows: `fig_unit_members_page`, `fig_member_reports_list`) and each community's name
/// once, and joins them here, rather than three lookups per member.
pub fn unit_member_reports(
    db: &dyn Db,
    org: OrgScope,
    region: &RegionPrefix,
    period: HalfYear,
) -> Result<Vec<MemberReportRow>, FiguresError> {
    let (low, high) = region_range(region);
    let mut reports: HashMap<(String, Vec<u8>), ListedReport> = HashMap::new();
    let sql = format!(
        "SELECT community, member, is_verified, problem, grade, comment, activities,
                service_minutes, wishes_claimed, wishes_fulfilled, posts_held,
                points_earned, amendments
         FROM fig_member_reports {index}
         WHERE period = ?2 AND community >= ?3 AND community < ?4 {org}",
        index = indexed_by(db, "fig_member_reports_list"),
        org = org.clause("org", 1)
    );
    db.for_each(
        &sql,
        params![org.value(), period.to_string(), low, high],
        |row| {
            let seal = match row.get::<bool>(2)? {
                true => SealMark::Verified,
                false => SealMark::Failed(row.get::<Option<String>>(3)?.unwrap_or_default()),
            };
            let mut numbers = [0u64; 7];
            for (index, number) in numbers.iter_mut().enumerate() {
                *number = u64::try_from(row.get::<i64>(6 + index)?).unwrap_or(0);
            }
            reports.insert(
                (row.get(0)?, row.get(1)?),
                (seal, row.get(4)?, row.get(5)?, numbers),
            );
            Ok(())
        },
    )?;
    // The members are read whole before the communities' names are: a statement
    // runs while no other does on the connection (PostgreSQL's rows arrive as a
    // stream the next statement would have to wait behind).
    let sql = format!(
        "SELECT community, name, id FROM fig_unit_members {index}
         WHERE community >= ?2 AND community < ?3 AND reported_day <= ?4 {org}
         ORDER BY community, name, id",
        index = indexed_by(db, "fig_unit_members_page"),
        org = org.clause("org", 1)
    );
    let members = db.query_map(
        &sql,
        params![org.value(), low, high, period.last_day().to_days()],
        |row| {
            Ok((
                row.get::<String>(0)?,
                row.get::<String>(1)?,
                row.get::<Vec<u8>>(2)?,
            ))
        },
    )?;
    let mut found = Vec::new();
    // Rows come by community: its name is read when the community changes.
    let mut current: Option<(String, CommunityCode, String)> = None;
    for (code, member_name, member_bytes) in members {
        let (community, name_of_community) = match &current {
            Some((text, community, name)) if *text == code => (*community, name.clone()),
            _ => {
                let community = parse_code(&code)?;
                let name: Option<String> = db.query_opt(
                    "SELECT name FROM fig_communities WHERE code = ?1",
                    params![code.as_str()],
                    |row| row.get(0),
                )?;
                // A member's community always has its row: both are derived together.
                let Some(name) = name else { continue };
                current = Some((code.clone(), community, name.clone()));
                (community, name)
            }
        };
        let member = member_id(&member_bytes)?;
        let report = reports.remove(&(code, member_bytes));
        let (seal, grade, comment, numbers) =
            report.unwrap_or((SealMark::NotSealed, None, String::new(), [0; 7]));
        let [
            activities,
            service_minutes,
            wishes_claimed,
            wishes_fulfilled,
            posts_held,
            points_earned,
            amendments,
        ] = numbers;
        found.push(MemberReportRow {
            community,
            community_name: name_of_community,
            member,
            name: member_name,
            seal,
            grade: grade.map(|grade| parse_grade(&grade)).transpose()?,
            comment,
            totals: MemberTotals {
                activities,
                service_minutes,
                wishes_claimed,
                wishes_fulfilled,
                posts_held,
                points_earned,
            },
            amendments,
        });
    }
    Ok(found)
}

/// One member of `org` in `community`: their name, and their sealed report for
/// `period` as JSON (`None` if the half-year is not sealed there); `None` if the
/// community's records name no such member of the unit.
pub fn unit_member_report(
    db: &dyn Db,
    org: OrgScope,
    community: CommunityCode,
    member: MemberId,
    period: HalfYear,
) -> Result<Option<(String, Option<serde_json::Value>)>, FiguresError> {
    let name: Option<String> = db.query_opt(
        &format!(
            "SELECT name FROM fig_unit_members WHERE community = ?1 AND id = ?2 {}",
            org.clause("org", 3)
        ),
        params![
            community.as_str(),
            member.as_bytes().as_slice(),
            org.value()
        ],
        |row| row.get(0),
    )?;
    let Some(name) = name else {
        return Ok(None);
    };
    let report: Option<String> = db.query_opt(
        "SELECT report FROM fig_member_reports
         WHERE community = ?1 AND period = ?2 AND member = ?3",
        params![
            community.as_str(),
            period.to_string(),
            member.as_bytes().as_slice()
        ],
        |row| row.get(0),
    )?;
    let report = report
        .map(|text| serde_json::from_str(&text))
        .transpose()
        .map_err(|error| FiguresError::Corrupt {
            what: "member report",
            value: error.to_string(),
        })?;
    Ok(Some((name, report)))
}

/// Whether `org` has a member reported in to a community of `region`: a region's
/// viewer sees the report-back pages only of units with members there.
pub fn unit_has_members_in(
    db: &dyn Db,
    org: OrgScope,
    region: &RegionPrefix,
) -> Result<bool, FiguresError> {
    let (low, high) = region_range(region);
    Ok(db.query_row(
        &format!(
            "SELECT EXISTS (SELECT 1 FROM fig_unit_members
             WHERE community >= ?2 AND community < ?3 {})",
            org.clause("org", 1)
        ),
        params![org.value(), low, high],
        |row| row.get(0),
    )?)
}

/// The members of `org` in `region`, reported in by `to_day`, who claimed fewer than
/// `minimum` wishes submitted in the days (the campaign "每名党员至少认领 N 个微心愿"),
/// by community and name.
pub fn unit_members_behind(
    db: &dyn Db,
    org: OrgScope,
    region: &RegionPrefix,
    minimum: u32,
    (from_day, to_day): (i32, i32),
) -> Result<Vec<MemberBehind>, FiguresError> {
    let (low, high) = region_range(region);
    // The count is filtered outside the select that names it: PostgreSQL reads no
    // output column's name in a WHERE (SQLite does).
    let sql = format!(
        "SELECT community, community_name, id, name, claimed FROM (
             SELECT m.community, c.name AS community_name, m.id, m.name,
                    (SELECT COUNT(*) FROM fig_wishes w
                     WHERE w.community = m.community AND w.claimant_member = m.id
                       AND w.submitted_day BETWEEN ?4 AND ?5) AS claimed
             FROM fig_unit_members m JOIN fig_communities c ON c.code = m.community
             WHERE m.community >= ?2 AND m.community < ?3 AND m.reported_day <= ?5 {}
         ) AS members
         WHERE claimed < ?6
         ORDER BY community, name, id",
        org.clause("m.org", 1)
    );
    let rows = db.query_map(
        &sql,
        params![org.value(), low, high, from_day, to_day, minimum],
        |row| Ok((who(row)?, row.get::<i64>(4)?)),
    )?;
    let mut behind = Vec::new();
    for (who, claimed) in rows {
        let (community, community_name, member, name) = parse_who(who)?;
        behind.push(MemberBehind {
            community,
            community_name,
            member,
            name,
            claimed: u64::try_from(claimed).unwrap_or(0),
        });
    }
    Ok(behind)
}

/// A report as the unit's list reads it: the seal, the grade and comment, and the
/// figures in [`MemberTotals`] order, then the amendments.
type ListedReport = (SealMark, Option<String>, String, [u64; 7]);

/// The first four columns of a unit's member row: community, its name, member, name.
type Who = (String, String, Vec<u8>, String);

fn who(row: &Row<'_>) -> sql::Result<Who> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
}

fn parse_who(
    (code, community_name, member, name): Who,
) -> Result<(CommunityCode, String, MemberId, String), FiguresError> {
    Ok((
        parse_code(&code)?,
        community_name,
        member_id(&member)?,
        name,
    ))
}

fn member_id(bytes: &[u8]) -> Result<MemberId, FiguresError> {
    let bytes: [u8; 16] = bytes.try_into().map_err(|_| FiguresError::Corrupt {
        what: "member id",
        value: format!("{} bytes", bytes.len()),
    })?;
    Ok(MemberId::from_bytes(bytes))
}

fn parse_grade(text: &str) -> Result<EvaluationGrade, FiguresError> {
    text.parse().map_err(|_| FiguresError::Corrupt {
        what: "evaluation grade",
        value: text.to_owned(),
    })
}

/// A unit's member reports of one half-year summed, for its annual report: only
/// sealed, verified reports count; the rest are counted apart so the report can say
/// what is missing.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HalfYearSummary {
    /// The half-year.
    pub period: HalfYear,
    /// The unit's members reported in by its last day (one per community served).
    pub members: u64,
    /// Of those, reports sealed with a seal that verified.
    pub verified: u64,
    /// Reports whose seal does not hold.
    pub failed: u64,
    /// Reports of communities that have not sealed the half-year.
    pub not_sealed: u64,
    /// Communities where the unit has members, and of those, the ones that sealed.
    pub communities: u64,
    /// Communities that sealed the half-year.
    pub communities_sealed: u64,
    /// The verified reports' figures summed.
    pub totals: MemberTotals,
    /// Evaluations by grade, in [`EvaluationGrade`] order: 优秀, 合格, 基本合格, 不合格.
    pub grades: [u64; 4],
    /// Records written into the half-year after its seal.
    pub amendments: u64,
}

impl HalfYearSummary {
    /// Sums `rows`, the unit's member reports for `period`.
    pub fn of(period: HalfYear, rows: &[MemberReportRow]) -> Self {
        let mut summary = Self {
            period,
            members: rows.len() as u64,
            verified: 0,
            failed: 0,
            not_sealed: 0,
            communities: 0,
            communities_sealed: 0,
            totals: MemberTotals::default(),
            grades: [0; 4],
            amendments: 0,
        };
        let mut communities: BTreeMap<CommunityCode, bool> = BTreeMap::new();
        for row in rows {
            let sealed = !matches!(row.seal, SealMark::NotSealed);
            *communities.entry(row.community).or_default() |= sealed;
            match row.seal {
                SealMark::Verified => summary.verified += 1,
                SealMark::Failed(_) => {
                    summary.failed += 1;
                    continue;
                }
                SealMark::NotSealed => {
                    summary.not_sealed += 1;
                    continue;
                }
            }
            let (sum, add) = (&mut summary.totals, &row.totals);
            sum.activities += add.activities;
            sum.service_minutes += add.service_minutes;
            sum.wishes_claimed += add.wishes_claimed;
            sum.wishes_fulfilled += add.wishes_fulfilled;
            sum.posts_held += add.posts_held;
            sum.points_earned += add.points_earned;
            summary.amendments += row.amendments;
            if let Some(grade) = row.grade {
                summary.grades[grade_index(grade)] += 1;
            }
        }
        summary.communities = communities.len() as u64;
        summary.communities_sealed = communities.values().filter(|sealed| **sealed).count() as u64;
        summary
    }

    /// Whether every community where the unit has members sealed the half-year.
    pub fn is_sealed(&self) -> bool {
        self.not_sealed == 0 && self.communities > 0
    }
}

/// The grades in the order a summary counts them.
pub const GRADES: [EvaluationGrade; 4] = [
    EvaluationGrade::Excellent,
    EvaluationGrade::Qualified,
    EvaluationGrade::BasicallyQualified,
    EvaluationGrade::Unqualified,
];

fn grade_index(grade: EvaluationGrade) -> usize {
    GRADES.iter().position(|g| *g == grade).unwrap_or(0)
}
