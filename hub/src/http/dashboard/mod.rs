//! The dashboard: server-rendered HTML (maud templates, which escape by default),
//! Chinese first with an English switch (`?lang=en`), every style and chart inside the
//! page (city intranets have no CDN).
//!
//! One module per page — the overview of a region with drill-down city → district →
//! street → community (`/?region=…`, [`overview`]), an organisation across its
//! communities (`/orgs/{id}`, [`org`]), the rankings (`/rankings`), sync health
//! (`/health`), the bulletins (`/bulletins`, [`bulletin`], drawn by
//! [`bulletin_view`]), and the login form ([`login`]) — over the shared frame and
//! helpers of [`layout`], the period form of [`period_form`] and the tables of [`tables`]. Every
//! page starts from a [`PageRequest`]: the signed-in account, the language, the region
//! (one the account may see, or a 403 page; outside the hub's city, a region it knows
//! nothing of is a 404) and the period (a refused one is shown in the page's language at the form, with
//! what was typed kept). Headline numbers carry `data-figure` attributes named as the
//! API's keys, so a test (or a screen reader's user) can tell which figure each number
//! is.

mod bulletin;
mod bulletin_view;
mod health;
mod layout;
mod login;
mod org;
mod overview;
mod period_form;
mod points;
mod rankings;
mod tables;
mod unit;
mod unit_annual;

use std::collections::HashMap;

use crate::figures::OrgScope;
use axum::extract::Query;
use axum::extract::rejection::QueryRejection;
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use wishtree_protocol::names::Language;
use wishtree_protocol::{RegionPrefix, Timestamp};

pub(crate) use self::bulletin::{bulletin_csv_file, bulletin_page, bulletins_page, issue_bulletin};
pub(crate) use self::health::health_page;
use self::layout::{Frame, api_error_page, date_text, error_page, page, tr};
pub(crate) use self::login::{login, login_page, logout};
pub(crate) use self::org::org_page;
pub(crate) use self::overview::overview;
use self::period_form::{PeriodForm, described};
pub(crate) use self::points::points_page;
pub(crate) use self::rankings::rankings_page;
pub(crate) use self::unit::{member_csv, member_page, reports_page};
pub(crate) use self::unit_annual::{AnnualReport, annual_page, annual_save};
use super::api::params;
use super::auth::Viewer;
use super::{ApiError, HubHttpState, Params};
use crate::figures::{self, Period};

/// A bulletin's body as its page draws it, in Chinese (the bench renders it).
pub(crate) fn bulletin_html(bulletin: &crate::bulletins::Bulletin) -> String {
    bulletin_view::bulletin_body(Language::Chinese, bulletin).into_string()
}

/// The page for a path the dashboard does not have.
pub(crate) fn not_found_page(lang: Language, now: Timestamp) -> Response {
    let message = tr(
        lang,
        "没有这个页面：网址可能有误，请从总览进入",
        "there is no such page: the address may be mistyped; start from the overview",
    );
    error_page(lang, message, StatusCode::NOT_FOUND, now)
}

/// What a page shows, which decides what the account must be allowed to see.
#[derive(Debug, Clone, Copy)]
enum Shows {
    /// A region's figures (its region is checked against the account's scope).
    Region,
    /// An organisation's pages (`None` if its id did not parse: a 404 for a viewer,
    /// a 403 for an organisation account, which has one unit only).
    Org(Option<OrgScope>),
    /// A unit's members by name and their reports: as `Org`, and a region's viewer
    /// only for a unit with members reported in within its region.
    UnitMembers(Option<OrgScope>),
}

/// What every page is asked: its language, its region, and the rest of its query.
struct PageRequest {
    viewer: Viewer,
    lang: Language,
    params: Params,
    region: RegionPrefix,
    /// The query as asked, which the language switch keeps.
    query: Vec<(&'static str, String)>,
    now: Timestamp,
}

/// The parameters a page keeps in its links besides the region and the period.
const KEPT: [&str; 3] = ["by", "limit", "round"];

/// Every parameter of a page's query but its language.
const ASKED: [&str; 9] = [
    "region", "from", "to", "period", "by", "limit", "year", "print", "round",
];

impl PageRequest {
    /// The language, the region (known to the hub, and the account's to see) and the
    /// query of a page, or the page that says why it cannot be shown.
    async fn read(
        state: &HubHttpState,
        viewer: Viewer,
        query: Result<Query<HashMap<String, String>>, QueryRejection>,
        shows: Shows,
    ) -> Result<Self, Response> {
        let now = state.now();
        let params =
            params(query).map_err(|error| api_error_page(Language::Chinese, &error, now))?;
        let lang = Language::from_query(params.text("lang"));
        let home = viewer.access().home_region(state.scope());
        let region = params.region(&home).map_err(|_| {
            let typed: String = params
                .text("region")
                .unwrap_or_default()
                .chars()
                .take(20)
                .collect();
            let message = match lang {
                Language::Chinese => {
                    format!("地区代码“{typed}”无法识别：地区代码是 2 到 12 位数字，如 130903")
                }
                Language::English => {
                    format!("region: `{typed}` is not a region code (2 to 12 digits, e.g. 130903)")
                }
            };
            error_page(lang, &message, StatusCode::BAD_REQUEST, now)
        })?;
        let allowed = match shows {
            Shows::Region => viewer.check_region(&region),
            Shows::Org(Some(org)) => state.check_org(&viewer, org, &region).await.map(drop),
            Shows::UnitMembers(Some(org)) => state.check_unit_members(&viewer, org, &region).await,
            Shows::Org(None) | Shows::UnitMembers(None) if viewer.is_unit() => {
                Err(ApiError::forbidden("not its own unit"))
            }
            Shows::Org(None) | Shows::UnitMembers(None) => Ok(()),
        };
        if let Err(error) = allowed {
            tracing::info!(
                account = viewer.name(),
                shows = ?shows,
                region = region.as_str(),
                "refused: {}",
                error.message()
            );
            return Err(api_error_page(lang, &error, now));
        }
        let scope = state.scope().clone();
        let asked = region.clone();
        let is_known = state
            .read(move |connection| {
                // Within the hub's own city every region is its to show, with or
                // without data yet (a district whose nodes have not synced is news);
                // outside it, only what some community's records name.
                Ok(asked.covers(&scope)
                    || scope.covers(&asked)
                    || figures::region_is_known(connection, &asked)?)
            })
            .await
            .map_err(|error| api_error_page(lang, &error, now))?;
        if !is_known {
            let code = region.as_str();
            let message = match lang {
                Language::Chinese => {
                    format!("本平台没有地区 {code} 的数据：请核对地区代码，或从总览逐级进入")
                }
                Language::English => format!(
                    "this hub holds nothing for region {code}: check the code, or start from the overview"
                ),
            };
            return Err(error_page(lang, &message, StatusCode::NOT_FOUND, now));
        }
        let query = ASKED
            .iter()
            .filter_map(|key| Some((*key, params.text(key)?.to_owned())))
            .collect();
        Ok(Self {
            viewer,
            lang,
            params,
            region,
            query,
            now,
        })
    }

    /// The signed-in account.
    fn viewer(&self) -> &Viewer {
        &self.viewer
    }

    /// The page's language.
    fn lang(&self) -> Language {
        self.lang
    }

    /// The region the page shows.
    fn region(&self) -> &RegionPrefix {
        &self.region
    }

    /// The rest of the query.
    fn params(&self) -> &Params {
        &self.params
    }

    /// When the request was read, by the hub's clock.
    fn now(&self) -> Timestamp {
        self.now
    }

    /// Reads what `work` asks of the figures of the page's region, with the region's
    /// name (its word when unnamed), and logs that the viewer looked — for pages of
    /// per-organisation or per-member data. A failure is the error page.
    // As `period`: the error is the page the handler answers with.
    #[allow(clippy::result_large_err)]
    async fn read_logged<T: Send + 'static>(
        &self,
        state: &HubHttpState,
        uri: &axum::http::Uri,
        work: impl FnOnce(&dyn crate::sql::Db, &RegionPrefix) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<(T, String), Response> {
        let region = self.region.clone();
        let (answer, name) = state
            .read(move |connection| {
                let answer = work(connection, &region)?;
                Ok((answer, crate::figures::region_name(connection, &region)?))
            })
            .await
            .map_err(|error| self.error(&error))?;
        state
            .audit(self.viewer.name(), "view", uri.to_string())
            .await
            .map_err(|error| self.error(&error))?;
        let place = name.unwrap_or_else(|| layout::region_word(self.lang, &self.region).to_owned());
        Ok((answer, place))
    }

    /// The period asked for, or the page `path` with its period form showing what was
    /// typed and why it was refused.
    // The error is the page the handler answers with, made once per request: boxing
    // it would only add an allocation on the way out.
    #[allow(clippy::result_large_err)]
    fn period(&self, title: &str, path: &str) -> Result<Period, Response> {
        self.params.period_or_problem().map_err(|problem| {
            let form = PeriodForm {
                problem: Some(problem.message(self.lang)),
                from: self.params.text("from").unwrap_or_default().to_owned(),
                to: self.params.text("to").unwrap_or_default().to_owned(),
                ..self.period_form(path, &Period::all())
            };
            let body = html! {
                h1 { (title) }
                (form.render(self.lang))
            };
            let mut response = page(&self.frame(title, path, None), body);
            *response.status_mut() = StatusCode::BAD_REQUEST;
            response
        })
    }

    /// The period form of the page at `path`, showing `period`.
    fn period_form<'a>(&'a self, path: &'a str, period: &Period) -> PeriodForm<'a> {
        PeriodForm {
            action: path,
            region: &self.region,
            keep: self.kept(),
            from: date_text(period.from()),
            to: date_text(period.to()),
            problem: None,
            today: self.now.date_in_shanghai(),
        }
    }

    /// The page: `body` in the frame, the language switch keeping the query.
    fn page(&self, title: &str, path: &str, period: Option<&Period>, body: Markup) -> Response {
        page(&self.frame(title, path, period), body)
    }

    /// The page for an error met after the request was read.
    fn error(&self, error: &ApiError) -> Response {
        api_error_page(self.lang, error, self.now)
    }

    fn frame<'a>(&'a self, title: &'a str, path: &'a str, period: Option<&Period>) -> Frame<'a> {
        Frame {
            lang: self.lang,
            title,
            path,
            query: &self.query,
            period: period.map(|period| described(self.lang, period)),
            as_of: self.now,
            viewer: Some(&self.viewer),
        }
    }

    fn kept(&self) -> Vec<(&'static str, String)> {
        KEPT.iter()
            .filter_map(|key| Some((*key, self.params.text(key)?.to_owned())))
            .collect()
    }
}
