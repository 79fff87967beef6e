//! The figures as CSV tables, one per view of the dashboard; the spreadsheet form (the
//! byte-order mark, quoting, formula cells neutralised) is `wishtree_common::csv`'s.

use wishtree_common::csv::SpreadsheetCsv;
use wishtree_protocol::Timestamp;

use crate::figures::{
    CommunityRank, CommunityStatus, Figures, MonthFigures, OrgInCommunity, OrgRank, RegionFigures,
};

/// A table on its way to CSV.
#[derive(Debug, Default)]
pub(crate) struct Table {
    header: Vec<&'static str>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub(crate) fn new(header: Vec<&'static str>) -> Self {
        Self {
            header,
            rows: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, row: Vec<String>) {
        self.rows.push(row);
    }

    /// The CSV text, BOM first, every cell neutralised.
    pub(crate) fn render(&self) -> String {
        let mut csv = SpreadsheetCsv::new();
        csv.text_row(&self.header);
        for row in &self.rows {
            csv.text_row(row);
        }
        csv.finish()
    }
}

/// The columns of a figures row, in order; the nested state counts are flattened as
/// `wishes_<state>` and `projects_<state>`.
pub(crate) const FIGURES_COLUMNS: [&str; 38] = [
    "region",
    "name",
    "from",
    "to",
    "org",
    "communities",
    "communities_synced_24h",
    "members_reported",
    "orgs_reported",
    "pairings",
    "wishes_total",
    "wishes_submitted",
    "wishes_published",
    "wishes_claimed",
    "wishes_fulfilled",
    "wishes_rejected",
    "wishes_withdrawn",
    "wishes_fulfilled_rate",
    "median_days_to_claim",
    "median_days_to_fulfil",
    "members_with_claimed_wish",
    "members_with_claimed_wish_rate",
    "orgs_with_claimed_project",
    "orgs_with_claimed_project_rate",
    "projects_total",
    "projects_submitted",
    "projects_published",
    "projects_claimed",
    "projects_fulfilled",
    "projects_rejected",
    "projects_withdrawn",
    "activities",
    "participations",
    "service_records",
    "service_minutes",
    "service_hours",
    "points_earned",
    "points_redeemed",
];

pub(crate) fn figures_table(rows: &[(Option<String>, &Figures)]) -> Table {
    let mut table = Table::new(FIGURES_COLUMNS.to_vec());
    for (name, figures) in rows {
        table.push(figures_row(figures, name.as_deref()));
    }
    table
}

pub(crate) fn children_table(children: &[RegionFigures]) -> Table {
    let rows: Vec<(Option<String>, &Figures)> = children
        .iter()
        .map(|child| (child.name.clone(), &child.figures))
        .collect();
    figures_table(&rows)
}

pub(crate) fn months_table(months: &[MonthFigures]) -> Table {
    let mut table = Table::new(vec![
        "month",
        "members_reported",
        "wishes_total",
        "wishes_claimed",
        "wishes_fulfilled",
        "projects_fulfilled",
        "activities",
        "participations",
        "service_minutes",
        "service_hours",
        "points_earned",
        "points_redeemed",
    ]);
    for month in months {
        table.push(vec![
            month.month.clone(),
            month.members_reported.to_string(),
            month.wishes_total.to_string(),
            month.wishes_claimed.to_string(),
            month.wishes_fulfilled.to_string(),
            month.projects_fulfilled.to_string(),
            month.activities.to_string(),
            month.participations.to_string(),
            month.service_minutes.to_string(),
            month.service_hours.to_string(),
            month.points_earned.to_string(),
            month.points_redeemed.to_string(),
        ]);
    }
    table
}

pub(crate) fn org_ranking_table(ranking: &[OrgRank]) -> Table {
    let mut table = Table::new(vec![
        "rank",
        "org",
        "name",
        "credit_code",
        "members",
        "participations",
        "service_minutes",
        "service_hours",
        "wishes_claimed",
        "wishes_fulfilled",
        "projects_claimed",
        "projects_fulfilled",
        "activities",
    ]);
    for rank in ranking {
        table.push(vec![
            rank.rank.to_string(),
            rank.org.to_string(),
            rank.name.clone(),
            rank.credit_code.clone(),
            rank.members.to_string(),
            rank.participations.to_string(),
            rank.service_minutes.to_string(),
            rank.service_hours.to_string(),
            rank.wishes_claimed.to_string(),
            rank.wishes_fulfilled.to_string(),
            rank.projects_claimed.to_string(),
            rank.projects_fulfilled.to_string(),
            rank.activities.to_string(),
        ]);
    }
    table
}

pub(crate) fn community_ranking_table(ranking: &[CommunityRank]) -> Table {
    let mut table = Table::new(vec![
        "rank",
        "code",
        "name",
        "members",
        "participations",
        "service_minutes",
        "service_hours",
        "wishes_claimed",
        "wishes_fulfilled",
        "projects_claimed",
        "projects_fulfilled",
    ]);
    for rank in ranking {
        table.push(vec![
            rank.rank.to_string(),
            rank.code.to_string(),
            rank.name.clone(),
            rank.members.to_string(),
            rank.participations.to_string(),
            rank.service_minutes.to_string(),
            rank.service_hours.to_string(),
            rank.wishes_claimed.to_string(),
            rank.wishes_fulfilled.to_string(),
            rank.projects_claimed.to_string(),
            rank.projects_fulfilled.to_string(),
        ]);
    }
    table
}

pub(crate) fn org_communities_table(communities: &[OrgInCommunity]) -> Table {
    let mut table = Table::new(vec![
        "code",
        "name",
        "is_reported",
        "members",
        "participations",
        "service_minutes",
        "service_hours",
        "wishes_claimed",
        "wishes_fulfilled",
        "projects_claimed",
        "projects_fulfilled",
    ]);
    for community in communities {
        table.push(vec![
            community.code.to_string(),
            community.name.clone(),
            community.is_reported.to_string(),
            community.members.to_string(),
            community.participations.to_string(),
            community.service_minutes.to_string(),
            community.service_hours.to_string(),
            community.wishes_claimed.to_string(),
            community.wishes_fulfilled.to_string(),
            community.projects_claimed.to_string(),
            community.projects_fulfilled.to_string(),
        ]);
    }
    table
}

pub(crate) fn communities_table(statuses: &[CommunityStatus]) -> Table {
    let mut table = Table::new(vec![
        "code",
        "name",
        "last_seen_at",
        "last_change_at",
        "is_synced_24h",
        "changes",
        "attested_changes",
        "attested_share",
        "malformed",
        "signer_revoked",
    ]);
    let time = |at: Option<Timestamp>| {
        at.map(|at| at.display_in_shanghai().to_string())
            .unwrap_or_default()
    };
    for status in statuses {
        table.push(vec![
            status.code.to_string(),
            status.name.clone(),
            time(status.last_seen_at),
            time(status.last_change_at),
            status.is_synced_24h.to_string(),
            status.changes.to_string(),
            status.attested_changes.to_string(),
            optional(status.attested_share),
            status.malformed.to_string(),
            status.signer_revoked.to_string(),
        ]);
    }
    table
}

fn figures_row(figures: &Figures, name: Option<&str>) -> Vec<String> {
    let w = &figures.wishes;
    let p = &figures.projects;
    vec![
        figures.region.to_string(),
        name.unwrap_or_default().to_owned(),
        figures.from.map(|d| d.to_string()).unwrap_or_default(),
        figures.to.map(|d| d.to_string()).unwrap_or_default(),
        figures.org.map(|o| o.to_string()).unwrap_or_default(),
        figures.communities.to_string(),
        figures.communities_synced_24h.to_string(),
        figures.members_reported.to_string(),
        figures.orgs_reported.to_string(),
        figures.pairings.to_string(),
        w.total.to_string(),
        w.submitted.to_string(),
        w.published.to_string(),
        w.claimed.to_string(),
        w.fulfilled.to_string(),
        w.rejected.to_string(),
        w.withdrawn.to_string(),
        optional(figures.wishes_fulfilled_rate),
        optional(figures.median_days_to_claim),
        optional(figures.median_days_to_fulfil),
        figures.members_with_claimed_wish.to_string(),
        optional(figures.members_with_claimed_wish_rate),
        figures.orgs_with_claimed_project.to_string(),
        optional(figures.orgs_with_claimed_project_rate),
        p.total.to_string(),
        p.submitted.to_string(),
        p.published.to_string(),
        p.claimed.to_string(),
        p.fulfilled.to_string(),
        p.rejected.to_string(),
        p.withdrawn.to_string(),
        figures.activities.to_string(),
        figures.participations.to_string(),
        figures.service_records.to_string(),
        figures.service_minutes.to_string(),
        figures.service_hours.to_string(),
        figures.points_earned.to_string(),
        figures.points_redeemed.to_string(),
    ]
}

fn optional(value: Option<f64>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_renders_with_a_bom_and_every_cell_neutralised() {
        let mut table = Table::new(vec!["a", "b"]);
        table.push(vec!["1".into(), "二".into()]);
        table.push(vec!["-2".into(), "=1+1,x".into()]);
        assert_eq!(table.render(), "\u{feff}a,b\r\n1,二\r\n'-2,\"'=1+1,x\"\r\n");
    }
}
