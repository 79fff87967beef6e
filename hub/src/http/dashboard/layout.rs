//! The frame every dashboard page shares: the inline style sheet, the header with its
//! navigation and language switch, the error page, and the small helpers the pages
//! word and link with (`tr`, `link`, numbers as people read them).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, PreEscaped, html};
use wishtree_protocol::names::Language;
use wishtree_protocol::{Date, RegionLevel, RegionPrefix};

use super::super::ApiError;
use crate::figures::Period;

/// The page's styles, inline: the hub serves no other asset.
const STYLE: &str = r#"
body{font-family:"PingFang SC","Microsoft YaHei","Noto Sans CJK SC","Source Han Sans SC",sans-serif;margin:0;color:#222;background:#f6f4ef}
header{background:#b22222;color:#fff;padding:10px 20px;display:flex;gap:24px;align-items:center;flex-wrap:wrap}
header a{color:#fff;text-decoration:none}header .brand{font-weight:bold;font-size:1.2em}
header nav{display:flex;gap:16px;flex:1}header .lang{border:1px solid #fff;padding:2px 8px;border-radius:3px}
main{max-width:1100px;margin:0 auto;padding:12px 20px 40px}
.crumbs{margin:8px 0;color:#555}.crumbs a{color:#b22222}
h1{font-size:1.5em;margin:10px 0}h2{font-size:1.15em;margin:24px 0 8px;border-left:4px solid #b22222;padding-left:8px}
ul.headline{list-style:none;padding:0;display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:10px}
ul.headline li{background:#fff;border-radius:6px;padding:12px 14px;box-shadow:0 1px 2px rgba(0,0,0,.08);font-size:1.05em}
ul.headline b{color:#b22222;font-size:1.35em;margin:0 2px}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:16px}
.card{background:#fff;border-radius:6px;padding:12px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
table{border-collapse:collapse;width:100%;background:#fff;font-size:.95em}
th,td{border-bottom:1px solid #e5e0d5;padding:6px 8px;text-align:right}th{background:#f0ebe0}
th:first-child,td:first-child,td.text,th.text{text-align:left}
td a{color:#b22222}.muted{color:#888;fill:#888}.bad{color:#b22222;font-weight:bold}.good{color:#2e7d32}
svg.chart{width:100%;height:auto;font-size:12px;max-width:860px;display:block;margin:auto}
h3{font-size:1em;margin:4px 0 8px;color:#555}svg .small{font-size:10px;fill:#555}svg a text{fill:#b22222}
svg .funnel-label{font-size:14px;fill:#fff;font-weight:bold;paint-order:stroke;stroke:rgba(0,0,0,.35);stroke-width:2px}
form.period{display:flex;gap:8px;align-items:center;flex-wrap:wrap;margin:6px 0}
.downloads a{margin-right:12px;color:#555}
"#;

/// Green apples, red apples and the basket: the colours of the wish tree.
pub(super) const COLLECTED: &str = "#7cb342";
pub(super) const CLAIMED: &str = "#e53935";
pub(super) const FULFILLED: &str = "#f9a825";
pub(super) const SERVICE: &str = "#8e244d";

/// The page frame: header with navigation and the language switch, then the body.
/// `path` is the page's own path, where the language switch leads.
pub(super) fn page(
    lang: Language,
    title: &str,
    path: &str,
    region: &RegionPrefix,
    body: Markup,
) -> Response {
    let other = match lang {
        Language::Chinese => Language::English,
        Language::English => Language::Chinese,
    };
    let brand = tr(lang, "心愿树 · 双报到数据看板", "Wishtree · dual reporting");
    let in_region = [("region", region.as_str())];
    html! {
        (DOCTYPE)
        html lang=(lang.html_lang()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (brand) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    span.brand { (brand) }
                    nav {
                        a href=(link("/", &[], lang)) { (tr(lang, "总览", "Overview")) }
                        a href=(link("/rankings", &in_region, lang)) { (tr(lang, "排行", "Rankings")) }
                        a href=(link("/health", &in_region, lang)) { (tr(lang, "同步状况", "Sync health")) }
                    }
                    a.lang href=(link(path, &in_region, other)) hreflang=(other.html_lang()) {
                        @match lang {
                            Language::Chinese => "English",
                            Language::English => "中文",
                        }
                    }
                }
                main { (body) }
            }
        }
    }
    .into_response()
}

/// The page for a request that cannot be shown, with the error's status.
pub(super) fn error_page(lang: Language, error: ApiError) -> Response {
    let body = html! {
        h1 { (tr(lang, "无法显示", "Cannot show this page")) }
        p.bad data-error { (error.message()) }
        p { a href=(link("/", &[], lang)) { (tr(lang, "返回总览", "Back to the overview")) } }
    };
    let mut response = page(
        lang,
        tr(lang, "错误", "Error"),
        "/",
        &RegionPrefix::everywhere(),
        body,
    );
    *response.status_mut() = if error.status() == StatusCode::OK {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        error.status()
    };
    response
}

/// The period form of a page: from, to, and what the period is in words.
pub(super) fn period_form(
    lang: Language,
    region: &RegionPrefix,
    period: &Period,
    action: &str,
) -> Markup {
    let described = match (lang, period.is_all()) {
        (Language::Chinese, true) => "全部时间".to_owned(),
        (Language::English, true) => "all time".to_owned(),
        (Language::Chinese, false) => format!(
            "{} 至 {}",
            date_or(period.from(), "最早"),
            date_or(period.to(), "今天")
        ),
        (Language::English, false) => period.to_string(),
    };
    html! {
        form.period method="get" action=(action) {
            input type="hidden" name="region" value=(region.as_str());
            @if lang == Language::English {
                input type="hidden" name="lang" value="en";
            }
            span { (tr(lang, "统计期间", "Period")) }
            label { (tr(lang, "自", "from")) " " input type="date" name="from" value=(date_text(period.from())); }
            label { (tr(lang, "至", "to")) " " input type="date" name="to" value=(date_text(period.to())); }
            button type="submit" { (tr(lang, "查询", "Show")) }
            span.muted { (described) }
        }
    }
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

fn date_or(date: Option<Date>, open: &str) -> String {
    date.map_or_else(|| open.to_owned(), |d| d.to_string())
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
