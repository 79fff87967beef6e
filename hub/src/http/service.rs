//! The service figures that every ranking row and every community of an organisation
//! share (members, person-times, hours, wishes and projects), named once for the
//! dashboard's tables and the CSV files, so a column reads the same in both.

use wishtree_protocol::names::Language;

pub(crate) use crate::figures::Service;
use crate::figures::{CommunityRank, OrgInCommunity, OrgRank};

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

impl ServiceColumn {
    /// The header of the column in `lang`.
    pub(crate) fn heading(&self, lang: Language) -> &'static str {
        match lang {
            Language::Chinese => self.zh,
            Language::English => self.en,
        }
    }
}

/// A row with service figures.
pub(crate) trait HasService {
    /// Its service figures.
    fn service(&self) -> Service;
}

impl HasService for OrgRank {
    fn service(&self) -> Service {
        self.service
    }
}

impl HasService for CommunityRank {
    fn service(&self) -> Service {
        self.service
    }
}

impl HasService for OrgInCommunity {
    fn service(&self) -> Service {
        self.service
    }
}

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
