//! The service figures that every ranking row and every community of an organisation
//! share (members, person-times, hours, wishes and projects), named once for the
//! dashboard's tables and the CSV files, so a column reads the same in both.

use wishtree_protocol::names::Language;

use crate::figures::{CommunityRank, OrgInCommunity, OrgRank};

/// The service figures of one row.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Service {
    members: u64,
    participations: u64,
    service_minutes: u64,
    service_hours: f64,
    wishes_claimed: u64,
    wishes_fulfilled: u64,
    projects_claimed: u64,
    projects_fulfilled: u64,
}

/// One service figure as a column.
#[derive(Debug)]
pub(crate) struct ServiceColumn {
    /// The API's key, the CSV header in English.
    pub(crate) key: &'static str,
    /// The header in Chinese.
    pub(crate) zh: &'static str,
    /// The header of the dashboard's table in English.
    pub(crate) en: &'static str,
    /// Whether the dashboard's tables show it (minutes are for the CSV only).
    pub(crate) on_page: bool,
    /// The figure.
    pub(crate) value: fn(&Service) -> f64,
}

/// The service figures, in the order the tables and files show them.
#[rustfmt::skip]
pub(crate) const SERVICE_COLUMNS: [ServiceColumn; 8] = [
    column("members", "报到党员", "Members", true, |s| {
        s.members as f64
    }),
    column(
        "service_hours",
        "服务时长（小时）",
        "Hours",
        true,
        |s| s.service_hours,
    ),
    column(
        "service_minutes",
        "服务时长（分钟）",
        "Minutes",
        false,
        |s| s.service_minutes as f64,
    ),
    column(
        "participations",
        "参加人次",
        "Person-times",
        true,
        |s| s.participations as f64,
    ),
    column(
        "wishes_claimed",
        "认领微心愿",
        "Wishes claimed",
        true,
        |s| s.wishes_claimed as f64,
    ),
    column(
        "wishes_fulfilled",
        "实现微心愿",
        "Wishes fulfilled",
        true,
        |s| s.wishes_fulfilled as f64,
    ),
    column(
        "projects_claimed",
        "认领民生微项目",
        "Projects claimed",
        true,
        |s| s.projects_claimed as f64,
    ),
    column(
        "projects_fulfilled",
        "解决问题",
        "Problems solved",
        true,
        |s| s.projects_fulfilled as f64,
    ),
];

/// A row with service figures.
pub(crate) trait HasService {
    /// Its service figures.
    fn service(&self) -> Service;
}

impl ServiceColumn {
    /// The header of the column in `lang`.
    pub(crate) fn heading(&self, lang: Language) -> &'static str {
        match lang {
            Language::Chinese => self.zh,
            Language::English => self.en,
        }
    }
}

/// Implements [`HasService`] for rows that carry the service figures as fields.
macro_rules! has_service {
    ($($row:ty),*) => {$(
        impl HasService for $row {
            fn service(&self) -> Service {
                Service {
                    members: self.members,
                    participations: self.participations,
                    service_minutes: self.service_minutes,
                    service_hours: self.service_hours,
                    wishes_claimed: self.wishes_claimed,
                    wishes_fulfilled: self.wishes_fulfilled,
                    projects_claimed: self.projects_claimed,
                    projects_fulfilled: self.projects_fulfilled,
                }
            }
        }
    )*};
}

has_service!(OrgRank, CommunityRank, OrgInCommunity);

const fn column(
    key: &'static str,
    zh: &'static str,
    en: &'static str,
    on_page: bool,
    value: fn(&Service) -> f64,
) -> ServiceColumn {
    ServiceColumn {
        key,
        zh,
        en,
        on_page,
        value,
    }
}
