//! Service posts with their seats (设岗定责), functional party branches (功能型党支部)
//! and service teams (服务团队) in the figures (issue 14, item 8): how many posts a
//! region has and how many of their seats are held, how many branches and teams and
//! how many members are in them.
//!
//! Periods: these are stocks, counted up to the end of the period — a post by the day
//! it was made (a withdrawn one no longer counts), a branch by the day it was founded,
//! a team by the day it was made. Who holds a seat and who belongs to a group is
//! counted as it is now: the document keeps when a seat was claimed, but not when a
//! member joined a branch.
//!
//! With an organisation, the figures are those credited to it: the seats it or its
//! members hold and the posts those seats are in, and its members' places in branches
//! and teams (and the groups they are in). Not a rollup measure: a community has a
//! handful of posts and groups, so the raw rows (`fig_posts`, `fig_post_holders`,
//! `fig_groups`, `fig_group_members`) are read.

use std::collections::BTreeMap;

use wishtree_protocol::id::{MemberId, OrgId, PostId};
use wishtree_protocol::lifecycle::PostStatus;
use wishtree_protocol::model::{Actor, Post};
use wishtree_protocol::view::{CommunityView, WithStatus};

use super::FiguresError;
use super::measure::{Scope, region_range};
use super::party_orgs::OrgScope;
use super::period::Period;
use super::together::{Statement, Together};
use crate::sql::{Db, DbExt, Kind, ToCell, Value, params};

/// Service posts and their seats in a region and period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct PostFigures {
    /// Posts made up to the end of the period and not withdrawn (with an organisation:
    /// those in which it or its members hold a seat).
    pub posts: u64,
    /// Their seats.
    pub seats: u64,
    /// Of those, the seats held now (with an organisation: by it or its members).
    pub seats_held: u64,
}

/// Functional branches and service teams in a region and period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct GroupFigures {
    /// Functional branches founded up to the end of the period (with an organisation:
    /// those its members belong to).
    pub branches: u64,
    /// Members in those branches now (with an organisation: its members).
    pub branch_members: u64,
    /// Service teams made up to the end of the period (likewise).
    pub teams: u64,
    /// Members in those teams now (likewise).
    pub team_members: u64,
}

/// Writes the posts' and groups' rows of one community, inside the re-derivation's
/// transaction (its old rows were deleted with the others, [`super::RAW_TABLES`]);
/// answers how many rows it wrote. A seat is credited to the organisation holding it
/// (its citywide id, by `resolve`), or to the organisation of the member holding it
/// (`member_org`, resolved already). The members' places in the groups are written
/// with the members (`entity_rows::insert_group_members`), as a new member's are when
/// followed entity by entity.
pub(super) fn insert_rows(
    db: &dyn Db,
    community: &str,
    view: &CommunityView,
    member_org: &BTreeMap<MemberId, OrgId>,
    resolve: &dyn Fn(OrgId) -> OrgId,
) -> Result<u64, FiguresError> {
    let mut rows = insert_posts(db, community, view.posts.iter(), member_org, resolve)?;
    {
        let group = |values: &[&dyn ToCell]| {
            db.execute(
                "INSERT INTO fig_groups (community, id, kind, made_day) VALUES (?1, ?2, ?3, ?4)",
                values,
            )
        };
        for (id, branch) in &view.branches {
            group(params![
                community,
                id.as_bytes().as_slice(),
                "branch",
                branch.founded_on.to_days()
            ])?;
            rows += 1;
        }
        for (id, team) in &view.teams {
            group(params![
                community,
                id.as_bytes().as_slice(),
                "team",
                team.created_at.date_in_shanghai().to_days()
            ])?;
            rows += 1;
        }
    }
    Ok(rows)
}

/// Writes the rows of `posts` (`fig_posts`) and of their seats held
/// (`fig_post_holders`), credited as [`insert_rows`] says; returns how many.
pub(super) fn insert_posts<'p>(
    db: &dyn Db,
    community: &str,
    posts: impl Iterator<Item = (&'p PostId, &'p WithStatus<Post, PostStatus>)>,
    member_org: &BTreeMap<MemberId, OrgId>,
    resolve: &dyn Fn(OrgId) -> OrgId,
) -> Result<u64, FiguresError> {
    let mut rows = 0;
    let org_of = |member: &MemberId| member_org.get(member).map(|org| org.as_bytes().to_vec());
    let post = |values: &[&dyn ToCell]| {
        db.execute(
            "INSERT INTO fig_posts (community, id, kind, seats, made_day, is_withdrawn)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            values,
        )
    };
    let holder = |values: &[&dyn ToCell]| {
        db.execute(
            "INSERT INTO fig_post_holders (community, post, seat, holder_org)
             VALUES (?1, ?2, ?3, ?4)",
            values,
        )
    };
    for (id, post_record) in posts {
        let entity = &post_record.entity;
        let status = &post_record.status;
        post(params![
            community,
            id.as_bytes().as_slice(),
            entity.kind.code(),
            entity.seats,
            entity.created_at.date_in_shanghai().to_days(),
            status.is_withdrawn,
        ])?;
        rows += 1;
        for (seat, actor) in status.holders.iter().enumerate() {
            let credited = match actor {
                Actor::Org(org) => Some(resolve(*org).as_bytes().to_vec()),
                Actor::Member(member) => org_of(member),
                _ => None,
            };
            holder(params![
                community,
                id.as_bytes().as_slice(),
                seat as i64,
                credited
            ])?;
            rows += 1;
        }
    }
    Ok(rows)
}

/// The posts' figures of `scope` in `period`, read into `figures` when `together`
/// runs.
pub(crate) fn post_figures<'a>(
    together: &mut Together<'a>,
    scope: Scope<'_>,
    period: &Period,
    figures: &'a mut PostFigures,
) {
    let (low, high) = region_range(scope.region);
    let (_, last) = period.day_bounds();
    let mut values = vec![
        Value::from(low),
        Value::from(high),
        Value::from(i64::from(last)),
    ];
    let sql = match scope.org {
        // Its seats (a unit's: those of each of its party organisations), grouped by
        // post, read through the holders' organisation index.
        Some(org) => {
            values.push(org.value());
            format!(
                "SELECT COUNT(*), COALESCE(SUM(p.seats), 0), COALESCE(SUM(h.held), 0) FROM (
                     SELECT community, post, COUNT(*) AS held FROM fig_post_holders
                     WHERE community >= ?1 AND community < ?2 {holder}
                     GROUP BY community, post
                 ) h
                 JOIN fig_posts p ON p.community = h.community AND p.id = h.post
                 WHERE p.made_day <= ?3 AND p.is_withdrawn = 0",
                holder = org.clause("holder_org", 4),
            )
        }
        None => "SELECT COUNT(*), COALESCE(SUM(p.seats), 0), COALESCE(SUM(
                 (SELECT COUNT(*) FROM fig_post_holders h
                  WHERE h.community = p.community AND h.post = p.id)), 0)
             FROM fig_posts p
             WHERE p.community >= ?1 AND p.community < ?2 AND p.made_day <= ?3
               AND p.is_withdrawn = 0"
            .to_owned(),
    };
    together.add_row(Statement::new(sql, values), |row| {
        *figures = PostFigures {
            posts: count(row.get(0)?),
            seats: count(row.get(1)?),
            seats_held: count(row.get(2)?),
        };
        Ok(())
    });
}

/// The branches' and teams' figures of `scope` in `period`, read into `figures` when
/// `together` runs.
pub(crate) fn group_figures<'a>(
    together: &mut Together<'a>,
    scope: Scope<'_>,
    period: &Period,
    figures: &'a mut GroupFigures,
) {
    let (low, high) = region_range(scope.region);
    let (_, last) = period.day_bounds();
    let org = scope.org.map_or(Value::Null(Kind::Blob), OrgScope::value);
    let org_clause = scope
        .org
        .map(|org| org.clause("m.member_org", 4))
        .unwrap_or_default();
    // Groups made by the end of the period; with an organisation, only those its
    // members are in. Places: members in those groups.
    let sql = format!(
        "SELECT g.kind, COUNT(DISTINCT g.id), COUNT(m.member) FROM fig_groups g
         LEFT JOIN fig_group_members m
             ON m.community = g.community AND m.group_id = g.id AND m.kind = g.kind {org_clause}
         WHERE g.community >= ?1 AND g.community < ?2 AND g.made_day <= ?3
           AND (?4 IS NULL OR m.member IS NOT NULL)
         GROUP BY g.kind"
    );
    let values = vec![
        Value::from(low),
        Value::from(high),
        Value::from(i64::from(last)),
        org,
    ];
    together.add(Statement::new(sql, values), |row| {
        let kind: String = row.get(0)?;
        let (groups, places) = (count(row.get(1)?), count(row.get(2)?));
        match kind.as_str() {
            "branch" => (figures.branches, figures.branch_members) = (groups, places),
            "team" => (figures.teams, figures.team_members) = (groups, places),
            _ => {}
        }
        Ok(())
    });
}

fn count(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}
