//! Building HTML safely with maud templates, which escape every value they place: the
//! page frame (navigation, language switch, status bar), the one way to open a form that
//! writes, the small shapes the pages repeat, and the one stylesheet, all embedded in
//! the binary so the node works with no internet.

use maud::{Markup, PreEscaped, html};
use wishtree_common::html::document;
use wishtree_protocol::Timestamp;
use wishtree_protocol::names::Language;
use wishtree_webguard::{FORM_TOKEN_FIELD, FormToken};

/// Picks the Chinese or the English text.
pub fn t(lang: Language, zh: &'static str, en: &'static str) -> &'static str {
    match lang {
        Language::Chinese => zh,
        Language::English => en,
    }
}

/// What the status bar shows on every page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusBar {
    /// The community's name.
    pub community: String,
    /// Whether a hub is configured at all.
    pub hub_configured: bool,
    /// Whether the node is connected to its hub now.
    pub hub_connected: bool,
    /// The hub's address, as configured.
    pub hub_address: String,
    /// Whether the hub is a district's platform (区平台) rather than the city's (市平台).
    pub hub_is_district: bool,
    /// Whether the node is dialing its hub now.
    pub hub_connecting: bool,
    /// Since when the node has been connected, or not connected.
    pub hub_since: Option<Timestamp>,
    /// When the last sync with the hub completed.
    pub last_sync: Option<Timestamp>,
    /// Local changes the hub does not have yet.
    pub changes_not_at_hub: usize,
    /// Why the hub refused the node, if it did (e.g. not enrolled), with what to do.
    pub hub_problem: Option<String>,
    /// When the page's data was read, printed on paper so a report says how fresh it is.
    pub read_at: Option<Timestamp>,
    /// Facts a concurrent offline edit made ineffective, for the worker to settle
    /// (冲突待处理, `/conflicts`).
    pub conflicts: usize,
    /// Whether the city names this community the host of its street, whose pages
    /// (街道, `/street`) it then shows.
    pub hosts_street: bool,
}

/// One row of a [`table`]: its cells in the order of the heads, and a class to mark it.
#[derive(Debug, Default)]
pub struct Row {
    /// A class for the row (`flag` marks one to look at).
    pub class: Option<&'static str>,
    /// The cells, one for each head.
    pub cells: Vec<Markup>,
}

impl Row {
    /// A row of `cells` with no class.
    pub fn new(cells: Vec<Markup>) -> Self {
        Self { class: None, cells }
    }
}

/// The whole document: the frame around a page's body, `current` being the path of the
/// navigation link to mark.
pub fn page(
    lang: Language,
    title: &str,
    status: &StatusBar,
    current: &str,
    body: Markup,
) -> String {
    let brand = t(lang, "心愿树", "wishtree");
    let (other, label) = match lang {
        Language::Chinese => ("en", "English"),
        Language::English => ("zh", "中文"),
    };
    let tab = format!("{title} · {brand}");
    document(
        lang,
        &tab,
        STYLE,
        html! {
            header {
                a.brand href="/" { (brand) }
                " "
                span.community { (status.community) }
                // A checkbox and its label fold the navigation on a phone with no
                // script; on a wide screen both are hidden and the links show.
                input #menu-toggle type="checkbox";
                label.menu-button for="menu-toggle" { (t(lang, "菜单", "Menu")) }
                nav {
                    @for item in NAVIGATION {
                        @match item {
                            Nav::Link(link) => (nav_link(lang, link, current)),
                            Nav::Group(zh, en, links) => {
                                // A group opens on hover or focus on a wide screen,
                                // and lies open inside the folded menu on a phone.
                                @let is_here = links.iter().any(|(href, ..)| *href == current);
                                div.group {
                                    span tabindex="0" class=(if is_here { "group-name current" } else { "group-name" }) { (t(lang, zh, en)) }
                                    div.items {
                                        @for link in *links { (nav_link(lang, link, current)) }
                                    }
                                }
                            }
                        }
                    }
                    @if status.hosts_street {
                        (nav_link(lang, &STREET_LINK, current))
                    }
                    a.lang href={ "/lang/" (other) } { (label) }
                }
            }
            (status_bar(lang, status))
            main {
                h1 { (title) }
                (PreEscaped(NOTICE_SLOT))
                (print_line(lang, status))
                (body)
            }
        },
    )
    .into_string()
}

/// Where a page says 已保存 after a saved write (filled by the UI's routes, which know
/// whether the last write was saved; left as an HTML comment otherwise).
pub const NOTICE_SLOT: &str = "<!--notice-->";

/// A `<form method="post">` with the node's form token inside: the one way our pages
/// open a form that writes, so no form can go without the token the server demands.
pub fn post_form(class: &str, action: &str, id: Option<&str>, fields: Markup) -> Markup {
    html! {
        form method="post" class=(class) action=(action) id=[id] {
            input type="hidden" name=(FORM_TOKEN_FIELD) value=(FormToken::of_this_process().as_str());
            (fields)
        }
    }
}

/// A labelled text input holding what was typed.
pub fn text_input(name: &str, label: &str, value: &str) -> Markup {
    html! {
        label for=(name) { (label) }
        input id=(name) name=(name) value=(value);
    }
}

/// A labelled text input holding what was typed, that offers `choices` as the person
/// types (an HTML `datalist`); any other text is still taken. With no choices it is a
/// plain [`text_input`].
pub fn suggesting_input(name: &str, label: &str, value: &str, choices: &[&str]) -> Markup {
    if choices.is_empty() {
        return text_input(name, label, value);
    }
    let list = format!("{name}-choices");
    html! {
        label for=(name) { (label) }
        input id=(name) name=(name) value=(value) list=(list) autocomplete="off";
        datalist id=(list) {
            @for choice in choices { option value=(choice) {} }
        }
    }
}

/// A labelled text input that must be filled.
pub fn required_input(name: &str, label: &str, value: &str) -> Markup {
    html! {
        label for=(name) { (label) }
        input id=(name) name=(name) value=(value) required;
    }
}

/// A labelled choice among (value, label) options, `chosen` selected.
pub fn select_field<'a>(
    name: &str,
    label: &str,
    options: impl IntoIterator<Item = (&'a str, &'a str)>,
    chosen: &str,
) -> Markup {
    html! {
        label for=(name) { (label) }
        select id=(name) name=(name) {
            @for (value, text) in options {
                option value=(value) selected[value == chosen] { (text) }
            }
        }
    }
}

/// Each `(中文, English)` pair in the reader's language: a table's heads.
pub fn words(lang: Language, pairs: &[(&'static str, &'static str)]) -> Vec<&'static str> {
    pairs.iter().map(|(zh, en)| t(lang, zh, en)).collect()
}

/// A section of a page: its heading, then its [`table`] (both in the reader's
/// language, given as `(中文, English)`).
pub fn titled_table(
    lang: Language,
    (zh, en): (&'static str, &'static str),
    heads: &[(&'static str, &'static str)],
    rows: Vec<Row>,
) -> Markup {
    html! {
        h2 { (t(lang, zh, en)) }
        (table(lang, None, &words(lang, heads), rows))
    }
}

/// A table with a heading row, or 暂无 when there are no rows. On a phone each row
/// becomes a card whose cells carry their head as a label, so no column is squeezed
/// to a character a line.
pub fn table(lang: Language, id: Option<&str>, heads: &[&str], rows: Vec<Row>) -> Markup {
    html! {
        @if rows.is_empty() {
            p.empty id=[id] { (t(lang, "暂无", "None yet")) }
        } @else {
            table.cards id=[id] {
                thead { tr { @for head in heads { th scope="col" { (head) } } } }
                tbody {
                    @for row in rows {
                        tr class=[row.class] {
                            @for (head, cell) in heads.iter().zip(row.cells) {
                                td data-label=(head) { (cell) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The link that downloads a list as a person's CSV.
pub fn csv_link(lang: Language, id: &str, href: &str) -> Markup {
    html! {
        p { a id=(id) href=(href) { (t(lang, "导出台账（CSV，可用 Excel 打开）", "Export the ledger (CSV)")) } }
    }
}

/// The submit button closing a form.
pub fn submit(label: &str) -> Markup {
    html! { p { button type="submit" { (label) } } }
}

/// A link of the navigation bar: (path, Chinese, English).
type NavLink = (&'static str, &'static str, &'static str);

/// An item of the navigation bar: a link, or a group of links under its name.
enum Nav {
    Link(NavLink),
    Group(&'static str, &'static str, &'static [NavLink]),
}

/// The street's pages, in the bar only on the node of the street's host.
const STREET_LINK: NavLink = ("/street", "街道", "Street");

/// The navigation bar: the day's two pages, the ledgers kept of people and
/// organisations, the service and its records, and what is shown and reported.
const NAVIGATION: &[Nav] = &[
    Nav::Link(("/", "心愿树", "Wish tree")),
    Nav::Link(("/wishes/new", "群众点单", "New wish")),
    Nav::Link(("/rounds", "分批", "Rounds")),
    Nav::Group(
        "党员与组织",
        "People",
        &[
            ("/members", "党员台账", "Members"),
            ("/orgs", "单位党组织", "Organisations"),
            ("/pairings", "共建协议", "Pairings"),
            ("/branches", "功能型党支部", "Branches"),
            ("/teams", "服务队", "Teams"),
            ("/volunteers", "志愿者", "Volunteers"),
        ],
    ),
    Nav::Group(
        "服务与积分",
        "Service",
        &[
            ("/posts", "服务岗位", "Posts"),
            ("/projects", "民生微项目", "Projects"),
            ("/activities", "志愿服务活动", "Activities"),
            ("/services", "个人服务记录", "Service records"),
            ("/redemptions", "积分兑换", "Redemptions"),
            ("/scoring", "积分标准", "Points table"),
            ("/benefits", "福利目录", "Benefits"),
            ("/ranking", "积分排行", "Points ranking"),
            ("/voids", "更正记录", "Corrections"),
        ],
    ),
    Nav::Link(("/board", "公示栏", "Public board")),
    Nav::Link(("/reports", "半年报告", "Reports")),
    Nav::Link(("/poster", "点单海报", "Poster")),
];

/// One link of the navigation bar, marked if it is the page's own.
fn nav_link(lang: Language, (href, zh, en): &NavLink, current: &str) -> Markup {
    html! {
        a href=(href) class=[(*href == current).then_some("current")] { (t(lang, zh, en)) }
    }
}

/// What a printed page says under its title: the community and when the data was read.
fn print_line(lang: Language, status: &StatusBar) -> Markup {
    html! {
        p.print-only #print-line {
            (status.community)
            @if let Some(at) = status.read_at {
                " · " (t(lang, "数据时间", "data as of")) " " (at.display_in_shanghai())
            }
        }
    }
}

fn status_bar(lang: Language, status: &StatusBar) -> Markup {
    html! {
        div.status #status {
            @if status.conflicts > 0 {
                a.problem #conflict-count href="/conflicts" {
                    @match lang {
                        Language::Chinese => { "冲突待处理 " (status.conflicts) " 项" }
                        Language::English => { (status.conflicts) " conflicts to settle" }
                    }
                }
                " · "
            }
            @if status.hub_configured {
                span class=(if status.hub_connected { "ok" } else { "off" }) id="hub-state" {
                    (hub_state(lang, status))
                }
                " · "
                @match status.last_sync {
                    Some(at) => { (t(lang, "上次同步", "last synced")) " " (at.display_in_shanghai()) }
                    None => (t(lang, "尚未同步", "never synced")),
                }
                " · "
                span #pending {
                    @match lang {
                        Language::Chinese => { (status.changes_not_at_hub) " 项更改尚未到达" (hub_name(lang, status)) }
                        Language::English => { (status.changes_not_at_hub) " changes not yet at the " (hub_name(lang, status)) }
                    }
                }
                @if let Some(problem) = &status.hub_problem {
                    div.problem { (problem) }
                }
            } @else {
                (t(lang, "单机运行（未配置市/区平台）", "Running alone (no city or district platform configured)"))
            }
        }
    }
}

/// Whether the hub is connected, since when, and whether the node is dialing it.
fn hub_state(lang: Language, status: &StatusBar) -> String {
    let hub = hub_name(lang, status);
    let mut text = if status.hub_connected {
        match lang {
            Language::Chinese => format!("已连接{hub}"),
            Language::English => format!("Connected to the {hub}"),
        }
    } else if status.hub_connecting && status.hub_problem.is_none() {
        match lang {
            Language::Chinese => format!("正在连接{hub} {}…", status.hub_address),
            Language::English => format!("Connecting to the {hub} at {}…", status.hub_address),
        }
    } else {
        match lang {
            Language::Chinese => format!("未连接{hub}，数据保存在本机"),
            Language::English => format!("Not connected to the {hub}; data is kept here"),
        }
    };
    // Since when, so that a lost hub reads as lost, not as a stale "connected".
    if let Some(since) = status.hub_since {
        text.push_str(&format!(
            " ({} {})",
            t(lang, "自", "since"),
            since.display_in_shanghai()
        ));
    }
    if !status.hub_connected && status.hub_connecting && status.hub_problem.is_some() {
        text.push_str(&match lang {
            Language::Chinese => format!("；正在重新连接 {}…", status.hub_address),
            Language::English => format!("; connecting to {} again…", status.hub_address),
        });
    }
    text
}

/// What the node's hub is called: 市平台 or 区平台, as the people who run them say.
fn hub_name(lang: Language, status: &StatusBar) -> &'static str {
    if status.hub_is_district {
        t(lang, "区平台", "district platform")
    } else {
        t(lang, "市平台", "city platform")
    }
}

/// The stylesheet: plain CSS, no web fonts (the system's CJK fonts are used). Muted
/// text keeps a contrast of at least 4.5:1 on the page's background; every control is
/// at least 44 px tall; below 40rem the navigation folds and tables become cards; on
/// paper only the page's content prints, on A4.
const STYLE: &str = r#"
*{box-sizing:border-box}
body{margin:0;font-family:"PingFang SC","Microsoft YaHei","Noto Sans CJK SC","WenQuanYi Micro Hei",sans-serif;color:#222;background:#faf7f0;overflow-wrap:anywhere}
header{display:flex;flex-wrap:wrap;align-items:center;gap:0 1rem;padding:0 1rem;background:#b71c1c;color:#fff}
header a{color:#fff;text-decoration:none}
header .brand{font-weight:bold;font-size:1.2rem}
header .brand,header nav a{display:inline-flex;align-items:center;min-height:44px}
header nav{display:flex;flex-wrap:wrap;gap:0 .8rem;flex:1}
header nav a.current,header .group-name.current{border-bottom:3px solid #ffd54f}
header .group{position:relative;display:flex}
header .group-name{display:inline-flex;align-items:center;min-height:44px;cursor:pointer}
header .group-name::after{content:"▾";margin-left:.2rem}
header .items{display:none;position:absolute;top:100%;left:-.6rem;z-index:10;flex-direction:column;min-width:10rem;padding:0 .6rem .3rem;background:#b71c1c;box-shadow:0 4px 8px rgba(0,0,0,.25)}
header .group:hover .items,header .group:focus-within .items{display:flex}
header nav a.lang{margin-left:auto}
#menu-toggle{position:absolute;opacity:0;width:1px;height:1px}
.menu-button{display:none}
:focus-visible{outline:3px solid #0d47a1;outline-offset:2px}
header :focus-visible,#menu-toggle:focus-visible+.menu-button{outline:3px solid #ffd54f}
.status{padding:.4rem 1rem;background:#fff3e0;font-size:.9rem;border-bottom:1px solid #e0c9a6}
.status .ok{color:#1b5e20;font-weight:bold}.status .off{color:#b71c1c;font-weight:bold}
.status .problem{color:#b71c1c;margin-top:.3rem}
main{max-width:72rem;margin:0 auto;padding:1rem}
h1{font-size:1.5rem;margin:.5rem 0 1rem}h2{font-size:1.2rem;margin:1.5rem 0 .5rem}
table{border-collapse:collapse;width:100%;background:#fff;margin:.5rem 0}
th,td{border:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f3ede2}
form.card,.card{background:#fff;border:1px solid #e0d6c6;border-radius:.4rem;padding:1rem;margin:.6rem 0}
label,legend{display:block;margin:.4rem 0 .15rem;font-weight:bold}
fieldset{border:0;padding:0;margin:0}
label.choice{display:inline-flex;align-items:center;gap:.3rem;min-height:44px;margin-right:.8rem;font-weight:normal}
input,select,textarea{font:inherit;padding:.3rem .4rem;width:100%;max-width:32rem;min-height:44px;border:1px solid #8a8170;border-radius:.2rem;background:#fff}
input[type=checkbox]{width:1.3rem;min-height:1.3rem}
button,a.button{display:inline-flex;align-items:center;min-height:44px;font:inherit;padding:.35rem .9rem;margin:.3rem .3rem .3rem 0;background:#b71c1c;color:#fff;border:0;border-radius:.3rem;cursor:pointer;text-decoration:none}
button.secondary,a.button.secondary{background:#5f5f5f}
a.button.cancel{background:#fff;color:#222;border:1px solid #8a8170}
.inline{display:inline}
.member-card{border:2px solid #b71c1c;border-radius:.6rem;padding:1rem;max-width:22rem;background:#fff;break-inside:avoid}
.member-card .card-title{font-weight:bold;color:#b71c1c}
.member-card .card-name{font-size:1.4rem;margin:.2rem 0}
.member-card .qr svg{width:100%;max-width:240px;height:auto}
.poster{border:3px solid #b71c1c;border-radius:.6rem;padding:1.5rem;max-width:36rem;margin:0 auto;background:#fff;text-align:center;break-inside:avoid}
.poster .poster-title{font-size:1.6rem;font-weight:bold;color:#b71c1c;margin:0}
.poster .poster-lead{font-size:1.4rem;margin:.5rem 0}
.poster .qr svg{width:100%;max-width:320px;height:auto}
.card-link{font-size:.7rem;word-break:break-all}
.error{background:#ffebee;border:1px solid #e57373;color:#b71c1c;padding:.5rem;border-radius:.3rem}
.notice{background:#e8f5e9;border:1px solid #81c784;padding:.5rem;border-radius:.3rem}
.flag{color:#b71c1c;font-weight:bold}
.muted,.empty{color:#595959}
.pager a{display:inline-flex;align-items:center;min-height:44px;margin-right:1rem}
.tree{display:flex;flex-wrap:wrap;gap:1.5rem;align-items:flex-start}
.tree svg{max-width:36rem;width:100%;height:auto}
.legend span{display:inline-flex;align-items:center;gap:.3rem;margin-right:1rem}
.apple-green{fill:#2e7d32;stroke:#0b3d0e;stroke-width:2.5}.apple-red{fill:#c62828;stroke:#5d0a0a;stroke-width:2.5}
.figures{display:flex;flex-wrap:wrap;gap:.8rem}
.figure{background:#fff;border:1px solid #e0d6c6;border-radius:.4rem;padding:.6rem 1rem;min-width:9rem}
.figure b{display:block;font-size:1.6rem;color:#b71c1c}
.sign-off{display:grid;grid-template-columns:1fr 12rem;gap:1rem;margin-top:1.5rem}
.sign-off .box{border:1px solid #555;min-height:8rem;padding:.5rem}
.sign-off .stamp{border:1px dashed #555;min-height:10rem;display:flex;align-items:flex-end;justify-content:center;padding:.5rem}
.sign-off .line{grid-column:1/-1}
.print-only{display:none}
@media (max-width:40rem){
header{padding:0 .6rem;gap:0 .6rem}
.menu-button{display:inline-flex;align-items:center;min-height:44px;margin:0 0 0 auto;padding:0 .6rem;border:1px solid #fff;border-radius:.3rem;font-weight:normal;cursor:pointer}
header nav{display:none;flex-basis:100%;flex-direction:column;padding-bottom:.4rem}
#menu-toggle:checked~nav{display:flex}
header nav a.lang{margin-left:0}
header .group{flex-direction:column}
header .group-name::after{content:""}
header .group-name{min-height:2rem;font-size:.85rem;opacity:.85;cursor:default}
header .items{display:flex;position:static;box-shadow:none;padding:0 0 0 1rem;min-width:0}
.status{padding:.2rem .6rem;font-size:.8rem}
main{padding:.6rem}
table.cards thead{display:none}
table.cards,table.cards tbody,table.cards tr,table.cards td{display:block;width:100%}
table.cards{background:none}
table.cards tr{background:#fff;border:1px solid #ddd;border-radius:.4rem;margin:.5rem 0;padding:.3rem 0}
table.cards td{border:0;padding:.2rem .6rem .2rem 7.5rem;position:relative;min-height:1.8rem}
table.cards td::before{content:attr(data-label);position:absolute;left:.6rem;width:6.5rem;font-weight:bold;color:#595959}
.sign-off{grid-template-columns:1fr}
}
@media print{
@page{size:A4;margin:15mm}
header,.status,nav,form,.no-print,#actions,.pager{display:none!important}
.print-only{display:block}
body{background:#fff;color:#000;font-size:11pt}
main{max-width:none;padding:0}
a{color:#000;text-decoration:none}
.figure{border-color:#999}
tr,.sign-off{break-inside:avoid}
}
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_everywhere_it_is_placed() {
        let status = StatusBar {
            community: "<b>名人社区</b>".to_owned(),
            ..StatusBar::default()
        };
        let html = page(Language::Chinese, "<i>标题</i>", &status, "/", html! {});
        assert!(!html.contains("<b>名人社区</b>"));
        assert!(!html.contains("<i>标题</i>"));
        assert!(html.contains("&lt;b&gt;名人社区&lt;/b&gt;"));
    }

    #[test]
    fn the_status_bar_says_what_the_hub_does_not_have_yet() {
        let status = StatusBar {
            community: "名人社区".to_owned(),
            hub_configured: true,
            hub_connected: false,
            last_sync: None,
            changes_not_at_hub: 3,
            hub_problem: None,
            ..StatusBar::default()
        };
        let html = page(Language::Chinese, "心愿树", &status, "/", html! {});
        assert!(html.contains("未连接市平台"));
        assert!(html.contains("3 项更改尚未到达市平台"));
        assert!(!html.contains("枢纽"));
        let html = page(Language::English, "Wish tree", &status, "/", html! {});
        assert!(html.contains("3 changes not yet at the city platform"));
        assert!(html.contains("lang=\"en\""));
    }

    #[test]
    fn the_status_bar_says_connecting_at_once_then_since_when_and_why() {
        let mut status = StatusBar {
            community: "名人社区".to_owned(),
            hub_configured: true,
            hub_address: "hub.example:4433".to_owned(),
            hub_connecting: true,
            ..StatusBar::default()
        };
        let html = page(Language::English, "Wish tree", &status, "/", html! {});
        assert!(html.contains("Connecting to the city platform at hub.example:4433…"));

        status.hub_connecting = false;
        status.hub_since = Some(Timestamp::from_millis(1_780_000_000_000));
        status.hub_problem = Some("The hub restarted".to_owned());
        let html = page(Language::English, "Wish tree", &status, "/", html! {});
        let since = Timestamp::from_millis(1_780_000_000_000)
            .display_in_shanghai()
            .to_string();
        assert!(html.contains(&format!(
            "Not connected to the city platform; data is kept here (since {since})"
        )));
        assert!(html.contains("The hub restarted"));
        assert!(!html.contains("Connecting to the city platform"));

        status.hub_connecting = true;
        let html = page(Language::Chinese, "心愿树", &status, "/", html! {});
        assert!(html.contains("正在重新连接 hub.example:4433…"));

        status.hub_is_district = true;
        status.hub_connected = true;
        let html = page(Language::Chinese, "心愿树", &status, "/", html! {});
        assert!(html.contains("已连接区平台"), "a district hub is named so");
    }
}
