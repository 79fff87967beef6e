//! The frame every dashboard page shares: the inline style sheet, the header with its
//! navigation and language switch, the error and not-found pages, and the small helpers the pages
//! word and link with (`tr`, `link`, numbers as people read them).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use wishtree_common::html::document;
use wishtree_protocol::names::Language;
use wishtree_protocol::{Date, RegionLevel, RegionPrefix, Timestamp};

use super::super::ApiError;
use super::super::auth::Viewer;
use crate::figures::Period;

/// The page's styles, inline: the hub serves no other asset. Muted text is #595959 on
/// white (7:1); tables scroll inside their box and the grid never asks for more than the
/// screen (390 px phones); links, buttons and inputs are 44 px tall on touch screens;
/// the print sheet drops the navigation and the forms and prints on A4.
const STYLE: &str = r#"
*{box-sizing:border-box}
body{font-family:"PingFang SC","Microsoft YaHei","Noto Sans CJK SC","Source Han Sans SC",sans-serif;margin:0;color:#222;background:#f6f4ef;overflow-wrap:anywhere}
header{background:#b22222;color:#fff;padding:6px 16px;display:flex;gap:4px 20px;align-items:center;flex-wrap:wrap}
header a{color:#fff;text-decoration:none;display:inline-flex;align-items:center;min-height:44px;padding:0 6px}header .brand{font-weight:bold;font-size:1.15em}
header nav{display:flex;gap:4px 12px;flex:1;flex-wrap:wrap}header a.lang{border:1px solid #fff;border-radius:3px;padding:0 10px}
a:focus-visible,button:focus-visible,input:focus-visible{outline:3px solid #1a56db;outline-offset:2px}
header a:focus-visible{outline-color:#fff}
header form.logout button{font:inherit;min-height:44px;padding:0 10px;background:none;color:#fff;border:1px solid #fff;border-radius:3px}
form.login{max-width:360px;background:#fff;padding:16px;border-radius:6px;display:grid;gap:8px}
form.login input{font:inherit;min-height:44px;padding:0 8px;border:1px solid #767676;border-radius:3px}
form.login input[aria-invalid=true]{border:2px solid #b22222}
form.login button{font:inherit;min-height:44px;background:#b22222;color:#fff;border:0;border-radius:3px}
main{max-width:1100px;margin:0 auto;padding:12px 16px 40px}
.crumbs{margin:8px 0;color:#595959}.crumbs a{color:#b22222;display:inline-block;min-height:44px;line-height:44px}
h1{font-size:1.5em;margin:10px 0}h2{font-size:1.15em;margin:24px 0 8px;border-left:4px solid #b22222;padding-left:8px}
ul.headline{list-style:none;padding:0;display:grid;grid-template-columns:repeat(auto-fit,minmax(min(320px,100%),1fr));gap:10px}
ul.headline li{background:#fff;border-radius:6px;padding:12px 14px;box-shadow:0 1px 2px rgba(0,0,0,.08);font-size:1.05em}
ul.headline b{color:#b22222;font-size:1.35em;margin:0 2px}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(420px,100%),1fr));gap:16px}
.card{background:#fff;border-radius:6px;padding:12px;box-shadow:0 1px 2px rgba(0,0,0,.08);min-width:0}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;width:100%;background:#fff;font-size:.95em}
th,td{border-bottom:1px solid #e5e0d5;padding:6px 8px;text-align:right;white-space:nowrap}th{background:#f0ebe0}
th:first-child,td:first-child,td.text,th.text{text-align:left;white-space:normal;min-width:6em}
main a{color:#b22222}
.muted{color:#595959;fill:#595959}.bad{color:#b22222;font-weight:bold}.good{color:#2e7d32}
.chart-box{overflow-x:auto}
svg.chart{width:100%;height:auto;font-size:14px;max-width:860px;display:block;margin:auto}
h3{font-size:1em;margin:4px 0 8px;color:#595959}svg .small{font-size:13px;fill:#444}svg a text{fill:#b22222}
svg .funnel-label{font-size:16px;fill:#222;font-weight:bold}
form.period{display:flex;gap:8px 12px;align-items:center;flex-wrap:wrap;margin:6px 0;background:#fff;padding:8px 12px;border-radius:6px}
form.period input{font:inherit;min-height:44px;width:9.5em;padding:0 8px;border:1px solid #767676;border-radius:3px}
form.period input[aria-invalid=true]{border:2px solid #b22222}
form.period button{font:inherit;min-height:44px;padding:0 16px;background:#b22222;color:#fff;border:0;border-radius:3px}
form.period .presets a{display:inline-flex;align-items:center;min-height:44px;padding:0 8px;color:#b22222}
p.error{background:#fdecea;border-left:4px solid #b22222;padding:8px 12px;color:#8a1c1c}
.downloads a{display:inline-flex;align-items:center;min-height:44px;margin-right:12px;color:#444}
.alerts li{margin:6px 0}
form.unit-text{display:grid;gap:8px;background:#fff;padding:12px;border-radius:6px;margin:16px 0}
form.unit-text textarea{font:inherit;padding:8px;border:1px solid #767676;border-radius:3px}
form.unit-text textarea[aria-invalid=true]{border:2px solid #b22222}
form.unit-text button{font:inherit;min-height:44px;background:#b22222;color:#fff;border:0;border-radius:3px}
@media (max-width:700px){main a{display:inline-block;min-height:44px;line-height:44px}svg.chart{min-width:520px}header{padding:4px 8px}main{padding:8px 10px 32px}}
.print-only{display:none}
@media print{
@page{size:A4;margin:15mm}
body{background:#fff;font-size:11pt}
header nav,header a.lang,header form.logout,form.period,.downloads,.crumbs{display:none!important}
header{background:none;color:#000;border-bottom:2px solid #b22222;padding:0 0 4px}
.print-only{display:block}
section.member-report{break-before:page}section.member-report:first-of-type{break-before:auto}
form.unit-text{display:none!important}
main{max-width:none;padding:0}
.card,ul.headline li{box-shadow:none;border:1px solid #ccc;break-inside:avoid}
.scroll,.chart-box{overflow:visible}svg.chart{min-width:0}
a{color:inherit!important;text-decoration:none}
.no-print{display:none!important}.bulletin h2,.bulletin h3{break-after:avoid}.bulletin th,.bulletin td{white-space:normal;padding:3px 5px}.bulletin .grid{grid-template-columns:1fr 1fr}
}
"#;

/// Green apples, red apples and the basket: the colours of the wish tree.
pub(super) const COLLECTED: &str = "#7cb342";
pub(super) const CLAIMED: &str = "#e53935";
pub(super) const FULFILLED: &str = "#f9a825";
pub(super) const SERVICE: &str = "#8e244d";

/// Lighter tints of the same colours for the funnel, whose labels sit on the bars in
/// dark text: 9.6:1, 7.4:1 and 12.3:1 against #222.
pub(super) const COLLECTED_TINT: &str = "#aed581";
pub(super) const CLAIMED_TINT: &str = "#ef9a9a";
pub(super) const FULFILLED_TINT: &str = "#ffe082";

/// What the frame of a page needs besides its body.
pub(super) struct Frame<'a> {
    /// The language of the page.
    pub(super) lang: Language,
    /// The page's title, also its heading when printed.
    pub(super) title: &'a str,
    /// The page's own path, where the language switch leads.
    pub(super) path: &'a str,
    /// The query the page was asked with (region, period, order), which the language
    /// switch keeps.
    pub(super) query: &'a [(&'static str, String)],
    /// The period in words, printed under the title; `None` for a page without one.
    pub(super) period: Option<String>,
    /// When the page's data was read.
    pub(super) as_of: Timestamp,
    /// Who is signed in: their name and the logout button in the header; the region
    /// pages are in the navigation only for a viewer of regions. `None` on the login
    /// page and on error pages.
    pub(super) viewer: Option<&'a Viewer>,
}

/// The page frame: header with navigation and the language switch, then the body, then
/// when the data was read.
pub(super) fn page(frame: &Frame<'_>, body: Markup) -> Response {
    let lang = frame.lang;
    let other = match lang {
        Language::Chinese => Language::English,
        Language::English => Language::Chinese,
    };
    let brand = tr(lang, "心愿树 · 双报到数据看板", "Wishtree · dual reporting");
    let kept: Vec<(&str, &str)> = frame
        .query
        .iter()
        .map(|(key, value)| (*key, value.as_str()))
        .collect();
    let region: Vec<(&str, &str)> = kept
        .iter()
        .copied()
        .filter(|(key, _)| *key == "region")
        .collect();
    let title = format!("{} · {brand}", frame.title);
    document(lang, &title, STYLE, html! {
        header {
            span.brand { (brand) }
            nav aria-label=(tr(lang, "栏目", "Sections")) {
                @if frame.viewer.is_some_and(|viewer| !viewer.is_unit()) {
                    a href=(link("/", &[], lang)) { (tr(lang, "总览", "Overview")) }
                    a href=(link("/rankings", &region, lang)) { (tr(lang, "排行", "Rankings")) }
                    a href=(link("/rankings/points", &region, lang)) { (tr(lang, "积分排行", "Points")) }
                    a href=(link("/health", &region, lang)) { (tr(lang, "同步状况", "Sync health")) }
                    a href=(link("/bulletins", &region, lang)) { (tr(lang, "通报", "Bulletins")) }
                }
                @if let Some(org) = frame.viewer.and_then(|viewer| viewer.unit()) {
                    a href=(link(&format!("/orgs/{org}"), &[], lang)) { (tr(lang, "本单位", "My unit")) }
                    a href=(link(&format!("/orgs/{org}/reports"), &[], lang)) { (tr(lang, "党员半年报告", "Members' reports")) }
                    a href=(link(&format!("/orgs/{org}/annual"), &[], lang)) { (tr(lang, "年度报告", "Annual report")) }
                }
            }
            @if let Some(viewer) = frame.viewer {
                span.account { (viewer.name()) }
                @if let Some(token) = viewer.form_token() {
                    form.logout method="post" action="/logout" {
                        input type="hidden" name=(wishtree_webguard::FORM_TOKEN_FIELD) value=(token);
                        button type="submit" { (tr(lang, "退出登录", "Log out")) }
                    }
                }
            }
            a.lang href=(link(frame.path, &kept, other)) hreflang=(other.html_lang()) lang=(other.html_lang()) {
                @match lang {
                    Language::Chinese => "English",
                    Language::English => "中文",
                }
            }
        }
        main {
            p.print-only { b { (frame.title) } }
            @if let Some(period) = &frame.period {
                p.print-only { (tr(lang, "统计期间：", "Period: ")) (period) }
            }
            (body)
            p.muted data-as-of {
                (tr(lang, "数据时间：", "Data as of ")) (frame.as_of.display_in_shanghai())
            }
        }
    })
    .into_response()
}

/// The page for a request that cannot be shown, with its status: the message in the
/// page's language and a way back.
pub(super) fn error_page(
    lang: Language,
    message: &str,
    status: StatusCode,
    as_of: Timestamp,
) -> Response {
    let (title, heading) = if status == StatusCode::NOT_FOUND {
        (
            tr(lang, "未找到", "Not found"),
            tr(lang, "未找到要查看的内容", "There is nothing here"),
        )
    } else if status == StatusCode::FORBIDDEN {
        (
            tr(lang, "无权查看", "Forbidden"),
            tr(
                lang,
                "您的账号无权查看此内容",
                "Your account may not see this",
            ),
        )
    } else if status == StatusCode::TOO_MANY_REQUESTS {
        (
            tr(lang, "请稍后再试", "Too many tries"),
            tr(lang, "登录失败次数过多", "Too many failed logins"),
        )
    } else {
        (
            tr(lang, "错误", "Error"),
            tr(lang, "无法显示", "Cannot show this page"),
        )
    };
    let body = html! {
        h1 { (heading) }
        p.error data-error role="alert" { (message) }
        p { a href=(link("/", &[], lang)) { (tr(lang, "返回总览", "Back to the overview")) } }
    };
    let frame = Frame {
        lang,
        title,
        path: "/",
        query: &[],
        period: None,
        as_of,
        viewer: None,
    };
    let mut response = page(&frame, body);
    *response.status_mut() = if status.is_success() {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        status
    };
    response
}

/// An [`ApiError`] as a page: its English message on an English page; on a Chinese
/// page what went wrong in Chinese, the English detail kept for whoever helps.
pub(super) fn api_error_page(lang: Language, error: &ApiError, as_of: Timestamp) -> Response {
    let message = match lang {
        Language::English => error.message().to_owned(),
        Language::Chinese => {
            let said = if error.status() == StatusCode::NOT_FOUND {
                "未找到要查看的内容，请从总览重新进入"
            } else if error.status() == StatusCode::FORBIDDEN {
                "您的账号无权查看这个地区或单位的数据：账号只能查看其范围内的地区，单位账号只能查看本单位的页面"
            } else if error.status() == StatusCode::BAD_REQUEST {
                "网址中的查询条件无法识别，请从总览重新进入"
            } else {
                "数据暂时无法读取，请稍后再试或联系平台管理员"
            };
            said.to_owned()
        }
    };
    error_page(lang, &message, error.status(), as_of)
}

/// The language picker: the Chinese or the English of one phrase.
pub(super) fn tr(lang: Language, zh: &'static str, en: &'static str) -> &'static str {
    match lang {
        Language::Chinese => zh,
        Language::English => en,
    }
}

/// 全市 / 全区 / …: how the articles open a figure for a region of this level.
pub(super) fn region_word(lang: Language, region: &RegionPrefix) -> &'static str {
    match region.level() {
        None => tr(lang, "全国", "nationwide"),
        Some(RegionLevel::Province) => tr(lang, "全省", "across the province"),
        Some(RegionLevel::City) => tr(lang, "全市", "citywide"),
        Some(RegionLevel::District) => tr(lang, "全区", "across the district"),
        Some(RegionLevel::Street) => tr(lang, "全街道", "across the street"),
        Some(RegionLevel::Community) => tr(lang, "本社区", "in this community"),
    }
}

/// A link to a region's page, keeping the period and the language.
pub(super) fn region_link(
    path: &str,
    region: &RegionPrefix,
    period: &Period,
    lang: Language,
) -> String {
    link(
        path,
        &[
            ("region", region.as_str()),
            ("from", &date_text(period.from())),
            ("to", &date_text(period.to())),
        ],
        lang,
    )
}

/// A path with its query: empty values are left out, `lang=en` added for English.
pub(super) fn link(path: &str, pairs: &[(&str, &str)], lang: Language) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (key, value) in pairs.iter().filter(|(_, value)| !value.is_empty()) {
        query.append_pair(key, value);
    }
    if lang == Language::English {
        query.append_pair("lang", "en");
    }
    let query = query.finish();
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    }
}

/// A date as the period form and links write it, or nothing.
pub(super) fn date_text(date: Option<Date>) -> String {
    date.map(|d| d.to_string()).unwrap_or_default()
}

/// A number as people read it: whole numbers without decimals, others with one.
pub(super) fn number(value: f64) -> String {
    let text = format!("{value:.1}");
    text.strip_suffix(".0").map(str::to_owned).unwrap_or(text)
}

pub(super) fn optional_number(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_owned(), number)
}

pub(super) fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_owned(), |v| format!("{:.1}%", v * 100.0))
}

/// `2026-07` as `26-07`, short enough for a column under a chart.
pub(super) fn short_months(labels: &[String]) -> Vec<String> {
    labels
        .iter()
        .map(|label| label.get(2..).unwrap_or(label).to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_keep_the_language_and_encode_values() {
        assert_eq!(
            link(
                "/",
                &[("region", "130902"), ("from", "")],
                Language::English
            ),
            "/?region=130902&lang=en"
        );
        assert_eq!(link("/", &[], Language::Chinese), "/");
        assert_eq!(
            link("/x", &[("q", "a&b=c 中")], Language::Chinese),
            "/x?q=a%26b%3Dc+%E4%B8%AD"
        );
        assert_eq!(number(12.0), "12");
        assert_eq!(number(12.25), "12.2");
        assert_eq!(number(0.05), "0.1");
    }
}
