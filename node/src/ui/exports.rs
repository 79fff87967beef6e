//! CSV downloads for people, beside the JSON API's codes: Chinese headers and labels,
//! names instead of ids, each record once, and a file name a person can read
//! (`心愿台账-名人社区-2026H2.csv`). A resident's personal data stays out: a file
//! travels further than the node. The member ledger keeps its members' address and
//! phone, as the paper ledger (七清楚) does: it is the node's own ledger, exported by
//! its worker, and never leaves the node by sync.

use wishtree_common::csv::{Cell, SpreadsheetCsv};
use wishtree_protocol::HalfYear;
use wishtree_protocol::names::Language;
use wishtree_protocol::view::CommunityView;

use super::closing::closing_event;
use super::ledger::Ledger;
use super::orgs::{Directory, OrgCounts, end_reason, org_name, pairing_state, party_org_label};
use super::posts::{holder_names, post_state};
use super::tree::actor_name;
use crate::api::Party;
use crate::report::SealedReport;

/// A CSV text and the name to save it under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Download {
    /// The file name, in Chinese.
    pub file_name: String,
    /// The CSV text.
    pub csv: String,
}

/// A ledger's CSV ([`Ledger::csv`]), named by its title and the community of `view`.
pub fn ledger_file<R>(view: &CommunityView, ledger: &Ledger<'_, R>) -> Download {
    Download {
        file_name: format!("{}-{}.csv", ledger.title(), view.community.name),
        csv: ledger.csv(),
    }
}

/// The half-year report of one member as a person's CSV
/// ([`wishtree_common::report_csv::sealed_report`]).
pub fn half_year_report(report: &SealedReport) -> Download {
    let (file_name, csv) = wishtree_common::report_csv::sealed_report(report);
    Download { file_name, csv }
}

/// The wish ledger (心愿台账) of the wishes submitted in `period`, the oldest first:
/// what each wish is, for whom (the public label only), where it stands, who claimed
/// it, and why a closed one was closed.
pub fn wish_ledger(view: &CommunityView, period: HalfYear) -> Download {
    let mut wishes: Vec<_> = view
        .wishes
        .iter()
        .filter(|(_, wish)| period.contains(wish.entity.submitted_at.date_in_shanghai()))
        .collect();
    wishes.sort_by_key(|(id, wish)| (wish.entity.submitted_at, **id));
    let mut csv = SpreadsheetCsv::new();
    csv.text_row([
        "心愿",
        "详情",
        "类型",
        "困难群体",
        "居民（公开称呼）",
        "状态",
        "提交日期",
        "认领人",
        "认领日期",
        "实现日期",
        "估价（元）",
        "关闭理由",
        "征集批次",
    ]);
    let text = |value: &str| Cell::Text(value.to_owned());
    let day = |at: Option<wishtree_protocol::Timestamp>| {
        Cell::Text(
            at.map(|at| at.date_in_shanghai().to_string())
                .unwrap_or_default(),
        )
    };
    for (_, wish) in wishes {
        let status = &wish.status;
        let claimant = status
            .claimant
            .as_ref()
            .map(|actor| actor_name(view, actor))
            .unwrap_or_default();
        let reason = closing_event(status).map_or("", |event| event.note.as_str());
        csv.row(&[
            text(&wish.entity.title),
            text(&wish.entity.detail),
            text(wish.entity.kind.label_zh()),
            text(wish.entity.group.label_zh()),
            text(&wish.entity.resident_label),
            text(status.state.label_zh()),
            day(Some(wish.entity.submitted_at)),
            text(&claimant),
            day(status.claimed_at),
            day(status.fulfilled_at),
            Cell::Number(
                wish.entity
                    .estimated_value
                    .map(|value| value.to_string())
                    .unwrap_or_default(),
            ),
            text(reason),
            text(&super::rounds::round_name(
                Language::Chinese,
                view,
                wish.entity.round,
            )),
        ]);
    }
    Download {
        file_name: format!("心愿台账-{}-{}.csv", view.community.name, period),
        csv: csv.finish(),
    }
}

/// The community's unit organisations (单位党组织台账), by name: each with its credit
/// code, the day it reported in, its members here, its active pairings and whether the
/// city's directory lists it.
pub fn org_ledger(view: &CommunityView, directory: &Directory) -> Download {
    let orgs = super::collate::by_pinyin(&view.orgs, |org| &org.name);
    let mut csv = SpreadsheetCsv::new();
    csv.text_row([
        "单位",
        "党组织",
        "统一社会信用代码",
        "报到日期",
        "报到党员（人）",
        "有效共建协议（份）",
        "全市名录",
        "向街道报到日期",
    ]);
    for (id, org) in orgs {
        let counts = OrgCounts::of(view, *id);
        let listed = directory.contains_key(org.credit_code.as_str());
        csv.row(&[
            Cell::Text(org.name.clone()),
            Cell::Text(party_org_label(Language::Chinese, org).to_owned()),
            Cell::Text(org.credit_code.as_str().to_owned()),
            Cell::Text(org.reported_in.map(|d| d.to_string()).unwrap_or_default()),
            Cell::Number(counts.members.to_string()),
            Cell::Number(counts.active_pairings.to_string()),
            Cell::Text(if listed { "已收录" } else { "未收录" }.to_owned()),
            Cell::Text(
                org.street_reported_in
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
            ),
        ]);
    }
    Download {
        file_name: format!("单位党组织台账-{}.csv", view.community.name),
        csv: csv.finish(),
    }
}

/// The pairings (共建协议台账), the oldest signed first: organisation, commitments,
/// dates, state and why an ended one ended.
pub fn pairing_ledger(view: &CommunityView) -> Download {
    let mut pairings: Vec<_> = view.pairings.iter().collect();
    pairings.sort_by_key(|(id, pairing)| (pairing.entity.signed_on, **id));
    let mut csv = SpreadsheetCsv::new();
    csv.text_row([
        "单位党组织",
        "承诺事项",
        "签订日期",
        "状态",
        "终止日期",
        "终止理由",
        "签约主体",
    ]);
    for (_, pairing) in pairings {
        let status = &pairing.status;
        csv.row(&[
            Cell::Text(org_name(view, pairing.entity.org).to_owned()),
            Cell::Text(pairing.entity.commitments.join("；")),
            Cell::Text(pairing.entity.signed_on.to_string()),
            Cell::Text(pairing_state(Language::Chinese, status).to_owned()),
            Cell::Text(
                status
                    .ended_at
                    .map(|at| at.date_in_shanghai().to_string())
                    .unwrap_or_default(),
            ),
            Cell::Text(end_reason(status).unwrap_or_default().to_owned()),
            Cell::Text(party_text(pairing.entity.street).to_owned()),
        ]);
    }
    Download {
        file_name: format!("共建协议台账-{}.csv", view.community.name),
        csv: csv.finish(),
    }
}

/// The service posts (服务岗位台账), the oldest first: kind, title, what it asks, seats
/// held of how many, who holds them, and its state.
pub fn post_ledger(view: &CommunityView) -> Download {
    let mut posts: Vec<_> = view.posts.iter().collect();
    posts.sort_by_key(|(id, post)| (post.entity.created_at, **id));
    let mut csv = SpreadsheetCsv::new();
    csv.text_row([
        "岗位",
        "类别",
        "岗位职责",
        "席位",
        "已认领",
        "认领人",
        "状态",
    ]);
    for (_, post) in posts {
        csv.row(&[
            Cell::Text(post.entity.title.clone()),
            Cell::Text(post.entity.kind.label_zh().to_owned()),
            Cell::Text(post.entity.detail.clone()),
            Cell::Number(post.entity.seats.to_string()),
            Cell::Number(post.status.holders.len().to_string()),
            Cell::Text(holder_names(view, &post.status).join("、")),
            Cell::Text(post_state(Language::Chinese, post).to_owned()),
        ]);
    }
    Download {
        file_name: format!("服务岗位台账-{}.csv", view.community.name),
        csv: csv.finish(),
    }
}

/// The livelihood projects (民生微项目台账), the oldest first: what each is, its stage,
/// the units that took it on with their shares, and why a terminated one ended.
pub fn project_ledger(view: &CommunityView) -> Download {
    let mut projects: Vec<_> = view.projects.iter().collect();
    projects.sort_by_key(|(id, project)| (project.entity.submitted_at, **id));
    let mut csv = SpreadsheetCsv::new();
    csv.text_row([
        "项目",
        "类型",
        "项目内容",
        "阶段",
        "承接单位（份额）",
        "提交日期",
        "终止理由",
        "征集主体",
    ]);
    for (_, project) in projects {
        let status = &project.status;
        let reason = status
            .terminated
            .as_ref()
            .map_or("", |(_, reason)| reason.as_str());
        csv.row(&[
            Cell::Text(project.entity.title.clone()),
            Cell::Text(project.entity.kind.label_zh().to_owned()),
            Cell::Text(project.entity.detail.clone()),
            Cell::Text(status.stage.label_zh().to_owned()),
            Cell::Text(super::projects::claimants(view, status)),
            Cell::Text(project.entity.submitted_at.date_in_shanghai().to_string()),
            Cell::Text(reason.to_owned()),
            Cell::Text(party_text(project.entity.street).to_owned()),
        ]);
    }
    Download {
        file_name: format!("民生微项目台账-{}.csv", view.community.name),
        csv: csv.finish(),
    }
}

/// Whose record a pairing or project is, in a ledger's column: the community's, or the
/// street's own (kept here because the city names this community the street's host).
fn party_text(street: Option<wishtree_protocol::street::StreetCode>) -> &'static str {
    let party = match street {
        Some(_) => Party::Street,
        None => Party::Community,
    };
    super::streets::party_label(Language::Chinese, party)
}
