//! The tables the dashboard pages share: every figure, the children of a region, the
//! rankings of organisations and communities, and the sync health of communities.

use maud::{Markup, html};
use wishtree_protocol::names::Language;

use super::super::service::{HasService, SERVICE_COLUMNS, Service};
use super::layout::{date_text, link, number, optional_number, percent, region_link, tr};
use crate::figures::{CommunityRank, CommunityStatus, Figures, OrgRank, Period, RegionFigures};

/// Every figure of `figures`, one row each, named as the API names it.
pub(super) fn figures_table(lang: Language, figures: &Figures) -> Markup {
    let w = &figures.wishes;
    let p = &figures.projects;
    let v = &figures.volunteers;
    let (posts, groups) = (&figures.posts, &figures.groups);
    let rows: [(&str, &str, &str, String); 41] = [
        (
            "communities",
            "社区",
            "communities",
            figures.communities.to_string(),
        ),
        (
            "communities_synced_24h",
            "24 小时内同步的社区",
            "communities synced in 24 h",
            figures.communities_synced_24h.to_string(),
        ),
        (
            "members_reported",
            "报到党员",
            "members reported in",
            figures.members_reported.to_string(),
        ),
        (
            "orgs_reported",
            "报到单位党组织",
            "organisations reported in",
            figures.orgs_reported.to_string(),
        ),
        (
            "pairings",
            "共建对子",
            "pairings",
            figures.pairings.to_string(),
        ),
        (
            "wishes.total",
            "微心愿 征集",
            "wishes collected",
            w.total.to_string(),
        ),
        (
            "wishes.submitted",
            "微心愿 待审核",
            "wishes submitted",
            w.submitted.to_string(),
        ),
        (
            "wishes.published",
            "微心愿 待认领（绿苹果）",
            "wishes published (green)",
            w.published.to_string(),
        ),
        (
            "wishes.claimed",
            "微心愿 已认领（红苹果）",
            "wishes claimed (red)",
            w.claimed.to_string(),
        ),
        (
            "wishes.fulfilled",
            "微心愿 已实现",
            "wishes fulfilled",
            w.fulfilled.to_string(),
        ),
        (
            "wishes.rejected",
            "微心愿 已驳回",
            "wishes rejected",
            w.rejected.to_string(),
        ),
        (
            "wishes.withdrawn",
            "微心愿 已撤回",
            "wishes withdrawn",
            w.withdrawn.to_string(),
        ),
        (
            "wishes_fulfilled_rate",
            "微心愿实现率",
            "wishes fulfilled rate",
            percent(figures.wishes_fulfilled_rate),
        ),
        (
            "median_days_to_claim",
            "认领用时中位数（天）",
            "median days to claim",
            optional_number(figures.median_days_to_claim),
        ),
        (
            "median_days_to_fulfil",
            "实现用时中位数（天）",
            "median days to fulfil",
            optional_number(figures.median_days_to_fulfil),
        ),
        (
            "members_with_claimed_wish",
            "领办微心愿的党员",
            "members holding a wish",
            figures.members_with_claimed_wish.to_string(),
        ),
        (
            "orgs_with_claimed_project",
            "认领项目的单位",
            "organisations holding a project",
            figures.orgs_with_claimed_project.to_string(),
        ),
        (
            "projects.total",
            "民生微项目 征集",
            "projects collected",
            p.total.to_string(),
        ),
        (
            "projects.claimed",
            "民生微项目 已认领",
            "projects claimed",
            p.claimed.to_string(),
        ),
        (
            "projects.fulfilled",
            "民生微项目 已解决",
            "projects fulfilled",
            p.fulfilled.to_string(),
        ),
        (
            "project_stages.in_progress",
            "民生微项目 实施中",
            "projects in progress",
            figures.project_stages.in_progress.to_string(),
        ),
        (
            "project_stages.joint",
            "民生微项目 共同认领",
            "projects claimed jointly",
            figures.project_stages.joint.to_string(),
        ),
        (
            "activities",
            "服务活动（次）",
            "activities",
            figures.activities.to_string(),
        ),
        (
            "participations",
            "参加人次",
            "person-times",
            figures.participations.to_string(),
        ),
        (
            "service_records",
            "服务记录",
            "service records",
            figures.service_records.to_string(),
        ),
        (
            "service_hours",
            "服务时长（小时）",
            "hours of service",
            number(figures.service_hours),
        ),
        (
            "points_earned",
            "爱心积分 存入",
            "points earned",
            figures.points_earned.to_string(),
        ),
        (
            "points_redeemed",
            "爱心积分 支取",
            "points redeemed",
            figures.points_redeemed.to_string(),
        ),
        // Volunteers beyond the members, apart from every member figure above.
        (
            "volunteers.registered.retired",
            "志愿者 离退休党员",
            "volunteers: retired members",
            v.registered.retired.to_string(),
        ),
        (
            "volunteers.registered.student",
            "志愿者 学生党员",
            "volunteers: student members",
            v.registered.student.to_string(),
        ),
        (
            "volunteers.registered.resident",
            "志愿者 社区公益爱心人士",
            "volunteers: public-spirited residents",
            v.registered.resident.to_string(),
        ),
        (
            "volunteers.wishes_claimed",
            "志愿者认领的微心愿",
            "wishes volunteers hold",
            v.wishes_claimed.total.to_string(),
        ),
        (
            "volunteers.wishes_fulfilled",
            "志愿者实现的微心愿",
            "wishes volunteers fulfilled",
            v.wishes_fulfilled.total.to_string(),
        ),
        (
            "volunteers.service_hours",
            "志愿者服务时长（小时）",
            "volunteers' hours of service",
            number(v.service_hours),
        ),
        // Posts with their seats, branches and teams: stocks at the end of the period.
        (
            "posts.posts",
            "服务岗位",
            "service posts",
            posts.posts.to_string(),
        ),
        (
            "posts.seats",
            "岗位数",
            "post seats",
            posts.seats.to_string(),
        ),
        (
            "posts.seats_held",
            "已认领岗位",
            "post seats held",
            posts.seats_held.to_string(),
        ),
        (
            "groups.branches",
            "功能型党支部",
            "functional branches",
            groups.branches.to_string(),
        ),
        (
            "groups.branch_members",
            "功能型党支部党员",
            "members in functional branches",
            groups.branch_members.to_string(),
        ),
        (
            "groups.teams",
            "服务团队",
            "service teams",
            groups.teams.to_string(),
        ),
        (
            "groups.team_members",
            "服务团队成员",
            "members in service teams",
            groups.team_members.to_string(),
        ),
    ];
    let headings = [tr(lang, "指标", "Figure"), tr(lang, "数值", "Value")];
    table(
        "figures",
        &headings,
        html! {
            @for (key, zh, en, value) in rows {
                tr {
                    td.text { (tr(lang, zh, en)) }
                    td data-key=(key) { (value) }
                }
            }
        },
    )
}

/// The children of a region (districts of a city, …), each linked to its own page.
pub(super) fn children_table(
    lang: Language,
    children: &[RegionFigures],
    period: &Period,
) -> Markup {
    let headings = [
        tr(lang, "地区", "Region"),
        tr(lang, "社区", "Communities"),
        tr(lang, "报到党员", "Members"),
        tr(lang, "报到单位", "Orgs"),
        tr(lang, "心愿征集", "Wishes"),
        tr(lang, "认领", "Claimed"),
        tr(lang, "实现", "Fulfilled"),
        tr(lang, "人次", "Person-times"),
        tr(lang, "服务小时", "Hours"),
        tr(lang, "24 小时内同步", "Synced in 24 h"),
    ];
    table(
        "children",
        &headings,
        html! {
            @for child in children {
                @let f = &child.figures;
                tr {
                    td {
                        a href=(region_link("/", &child.region, period, lang)) data-region=(child.region.as_str()) {
                            (child.name.as_deref().unwrap_or(child.region.as_str()))
                        }
                    }
                    td { (f.communities) }
                    td { (f.members_reported) }
                    td { (f.orgs_reported) }
                    td { (f.wishes.total) }
                    td { (f.wishes.claimed_or_fulfilled()) }
                    td { (f.wishes.fulfilled) }
                    td { (f.participations) }
                    td { (number(f.service_hours)) }
                    td class=(good_or_bad(f.communities_synced_24h >= f.communities)) {
                        (f.communities_synced_24h) "/" (f.communities)
                    }
                }
            }
        },
    )
}

/// Unit organisations ranked, each linked to its own page for the same period.
pub(super) fn org_table(lang: Language, ranking: &[OrgRank], period: &Period) -> Markup {
    let dates = [
        ("from", date_text(period.from())),
        ("to", date_text(period.to())),
    ];
    let rows = ranking.iter().map(|rank| Ranked {
        rank: rank.rank,
        href: link(
            &format!("/orgs/{}", rank.org),
            &dates.each_ref().map(|(key, value)| (*key, value.as_str())),
            lang,
        ),
        data_org: Some(rank.org.to_string()),
        name: name_or(
            &party_org_name(&rank.name, rank.party_org.as_deref()),
            &rank.org,
        ),
        service: rank.service(),
    });
    let ranked = tr(lang, "单位党组织", "Organisation");
    ranked_table(lang, "orgs", ranked, rows)
}

/// Communities ranked, each linked to its own page for the same period.
pub(super) fn community_table(
    lang: Language,
    ranking: &[CommunityRank],
    period: &Period,
) -> Markup {
    let rows = ranking.iter().map(|rank| Ranked {
        rank: rank.rank,
        href: region_link("/", &rank.code.as_region(), period, lang),
        data_org: None,
        name: name_or(&rank.name, &rank.code),
        service: rank.service(),
    });
    ranked_table(lang, "communities", tr(lang, "社区", "Community"), rows)
}

/// The headings of the service figures a table shows, after `first` ones of its own.
pub(super) fn service_headings<'a>(lang: Language, first: &[&'a str]) -> Vec<&'a str> {
    let mut headings = first.to_vec();
    headings.extend(
        SERVICE_COLUMNS
            .iter()
            .filter(|column| column.on_page)
            .map(|column| column.heading(lang)),
    );
    headings
}

/// The service figures of a row as the tables show them.
pub(super) fn service_cells(service: &Service) -> Markup {
    html! {
        @for column in SERVICE_COLUMNS.iter().filter(|column| column.on_page) {
            td { (number((column.value)(service))) }
        }
    }
}

/// A name, or the id it stands for while the name is unknown.
/// A party organisation as a person reads it: its unit's name, then the branch's name
/// if it is a branch (`沧州市发改委 第一党支部`).
pub(super) fn party_org_name(unit: &str, party_org: Option<&str>) -> String {
    match party_org {
        Some(party_org) if !unit.is_empty() => format!("{unit} {party_org}"),
        Some(party_org) => party_org.to_owned(),
        None => unit.to_owned(),
    }
}

pub(super) fn name_or(name: &str, id: &impl std::fmt::Display) -> String {
    if name.is_empty() {
        id.to_string()
    } else {
        name.to_owned()
    }
}

/// When each community last exchanged data with the hub, whether that was in the last
/// day, and how much of its records its own platform signed — in words, not symbols,
/// so that neither colour nor an emoji font carries the state.
pub(super) fn status_table(lang: Language, statuses: &[CommunityStatus]) -> Markup {
    let headings = [
        tr(lang, "社区", "Community"),
        tr(lang, "上次同步", "Last synced"),
        tr(lang, "24 小时内同步", "Synced in 24 h"),
        tr(
            lang,
            "经社区签名确认的记录",
            "Records signed by the community",
        ),
        tr(lang, "无法读取的记录", "Unreadable records"),
    ];
    html! {
        (table("health", &headings, html! {
            @for status in statuses {
                tr data-community=(status.code) {
                    td.text {
                        a href=(link("/", &[("region", status.code.as_str())], lang)) {
                            @if status.name.is_empty() { (status.code) } @else { (status.name) " " (status.code) }
                        }
                    }
                    td {
                        @match status.last_seen_at {
                            Some(at) => (at.display_in_shanghai()),
                            None => (tr(lang, "从未同步", "never")),
                        }
                    }
                    td class=(good_or_bad(status.is_synced_24h)) data-synced=(status.is_synced_24h) {
                        @if status.is_synced_24h { (tr(lang, "是", "yes")) } @else { (tr(lang, "否，超过 24 小时", "no, over 24 h")) }
                    }
                    td {
                        (percent(status.attested_share))
                        @if status.signer_revoked {
                            " " span.bad { (tr(lang, "（注意：签名密钥已吊销）", "(note: signed by a revoked key)")) }
                        }
                        @if status.seals_failed > 0 {
                            " " span.bad data-seals-failed=(status.seals_failed) {
                                (tr(lang, "（注意：有半年度封存签名未通过核验）", "(note: a half-year's seal does not hold)"))
                            }
                        }
                    }
                    td class=(if status.malformed > 0 { "bad" } else { "" }) { (status.malformed) }
                }
            }
        }))
    }
}

/// A table with its heading row, inside a box that scrolls sideways on a narrow screen
/// rather than widening the page.
pub(super) fn table(class: &str, headings: &[&str], rows: Markup) -> Markup {
    html! {
        div.scroll {
            table class=(class) {
                (heading_row(headings))
                (rows)
            }
        }
    }
}

/// One row of a ranking: its place, the name linked to its page, its service figures.
struct Ranked {
    rank: u32,
    href: String,
    data_org: Option<String>,
    name: String,
    service: Service,
}

fn ranked_table(
    lang: Language,
    class: &str,
    ranked: &str,
    rows: impl Iterator<Item = Ranked>,
) -> Markup {
    let rows: Vec<Ranked> = rows.collect();
    let headings = service_headings(lang, &[tr(lang, "名次", "Rank"), ranked]);
    table(
        class,
        &headings,
        html! {
            @if rows.is_empty() {
                tr { td.text colspan=(headings.len()) { (tr(lang, "暂无", "none yet")) } }
            }
            @for row in &rows {
                tr {
                    td { (row.rank) }
                    td.text { a href=(row.href) data-org=[row.data_org.as_deref()] { (row.name) } }
                    (service_cells(&row.service))
                }
            }
        },
    )
}

fn heading_row(headings: &[&str]) -> Markup {
    html! {
        tr { @for heading in headings { th { (heading) } } }
    }
}

fn good_or_bad(is_good: bool) -> &'static str {
    if is_good { "good" } else { "bad" }
}
