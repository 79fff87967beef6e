//! Building HTML safely with maud templates, which escape every value they place: the
//! page frame (navigation, language switch, status bar), the one way to open a form that
//! writes, the small shapes the pages repeat, and the one stylesheet, all embedded in
//! the binary so the node works with no internet.

use maud::{DOCTYPE, Markup, PreEscaped, html};
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
                    a.brand href="/" { "🌳 " (brand) }
                    " "
                    span.community { (status.community) }
                    nav {
                        @for (href, zh, en) in NAVIGATION {
                            a href=(href) class=[(*href == current).then_some("current")] {
                                (t(lang, zh, en))
                            }
                        }
                    }
                    a.lang href={ "/lang/" (other) } { (label) }
                }
                (status_bar(lang, status))
                main {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
    .into_string()
}

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

/// Why the last form was refused, if it was.
pub fn error_line(error: Option<&str>) -> Markup {
    html! {
        @if let Some(error) = error {
            p.error #error { (error) }
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

/// A table with a heading row; `rows` are its `tr`s.
pub fn table(id: Option<&str>, heads: &[&str], rows: Markup) -> Markup {
    html! {
        table id=[id] {
            tr { @for head in heads { th { (head) } } }
            (rows)
        }
    }
}

/// The submit button closing a form.
pub fn submit(label: &str) -> Markup {
    html! { p { button type="submit" { (label) } } }
}

/// The links of the navigation bar: (path, Chinese, English).
const NAVIGATION: &[(&str, &str, &str)] = &[
    ("/", "心愿树", "Wish tree"),
    ("/wishes/new", "群众点单", "New wish"),
    ("/members", "党员台账", "Members"),
    ("/activities", "志愿服务", "Activities"),
    ("/board", "公示栏", "Public board"),
    ("/reports", "半年报告", "Reports"),
];

fn status_bar(lang: Language, status: &StatusBar) -> Markup {
    html! {
        div.status #status {
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
                        Language::Chinese => { (status.changes_not_at_hub) " 项更改尚未到达枢纽" }
                        Language::English => { (status.changes_not_at_hub) " changes not yet at the hub" }
                    }
                }
                @if let Some(problem) = &status.hub_problem {
                    div.problem { (problem) }
                }
            } @else {
                (t(lang, "单机运行（未配置市级枢纽）", "Running alone (no hub configured)"))
            }
        }
    }
}

/// Whether the hub is connected, since when, and whether the node is dialing it.
fn hub_state(lang: Language, status: &StatusBar) -> String {
    let mut text = if status.hub_connected {
        t(lang, "已连接市级枢纽", "Connected to the hub").to_owned()
    } else if status.hub_connecting && status.hub_problem.is_none() {
        match lang {
            Language::Chinese => format!("正在连接市级枢纽 {}…", status.hub_address),
            Language::English => format!("Connecting to the hub at {}…", status.hub_address),
        }
    } else {
        t(
            lang,
            "未连接市级枢纽，数据保存在本机",
            "Not connected to the hub; data is kept here",
        )
        .to_owned()
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

/// The stylesheet: plain CSS, no web fonts (the system's CJK fonts are used).
const STYLE: &str = r#"
*{box-sizing:border-box}
body{margin:0;font-family:"PingFang SC","Microsoft YaHei","Noto Sans CJK SC","WenQuanYi Micro Hei",sans-serif;color:#222;background:#faf7f0}
header{display:flex;flex-wrap:wrap;align-items:center;gap:1rem;padding:.6rem 1rem;background:#b71c1c;color:#fff}
header a{color:#fff;text-decoration:none}
header .brand{font-weight:bold;font-size:1.2rem}
header nav{display:flex;flex-wrap:wrap;gap:.8rem;flex:1}
header nav a.current{border-bottom:2px solid #ffd54f}
.status{padding:.4rem 1rem;background:#fff3e0;font-size:.9rem;border-bottom:1px solid #e0c9a6}
.status .ok{color:#2e7d32;font-weight:bold}.status .off{color:#b71c1c;font-weight:bold}
.status .problem{color:#b71c1c;margin-top:.3rem}
main{max-width:72rem;margin:0 auto;padding:1rem}
h1{font-size:1.5rem;margin:.5rem 0 1rem}h2{font-size:1.2rem;margin:1.5rem 0 .5rem}
table{border-collapse:collapse;width:100%;background:#fff;margin:.5rem 0}
th,td{border:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f3ede2}
form.card,.card{background:#fff;border:1px solid #e0d6c6;border-radius:.4rem;padding:1rem;margin:.6rem 0}
label{display:block;margin:.4rem 0 .15rem;font-weight:bold}
input,select,textarea{font:inherit;padding:.3rem;width:100%;max-width:32rem}
input[type=checkbox]{width:auto}
button{font:inherit;padding:.35rem .9rem;margin:.3rem .3rem .3rem 0;background:#b71c1c;color:#fff;border:0;border-radius:.3rem;cursor:pointer}
button.secondary{background:#6d6d6d}
.inline{display:inline}
.error{background:#ffebee;border:1px solid #e57373;color:#b71c1c;padding:.5rem;border-radius:.3rem}
.notice{background:#e8f5e9;border:1px solid #81c784;padding:.5rem;border-radius:.3rem}
.flag{color:#b71c1c;font-weight:bold}
.muted{color:#777}
.tree{display:flex;flex-wrap:wrap;gap:1.5rem;align-items:flex-start}
.tree svg{max-width:36rem;width:100%;height:auto}
.legend span{margin-right:1rem}
.apple-green{fill:#43a047}.apple-red{fill:#e53935}
.figures{display:flex;flex-wrap:wrap;gap:.8rem}
.figure{background:#fff;border:1px solid #e0d6c6;border-radius:.4rem;padding:.6rem 1rem;min-width:9rem}
.figure b{display:block;font-size:1.6rem;color:#b71c1c}
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
        assert!(html.contains("未连接市级枢纽"));
        assert!(html.contains("3 项更改尚未到达枢纽"));
        let html = page(Language::English, "Wish tree", &status, "/", html! {});
        assert!(html.contains("3 changes not yet at the hub"));
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
        assert!(html.contains("Connecting to the hub at hub.example:4433…"));

        status.hub_connecting = false;
        status.hub_since = Some(Timestamp::from_millis(1_780_000_000_000));
        status.hub_problem = Some("The hub restarted".to_owned());
        let html = page(Language::English, "Wish tree", &status, "/", html! {});
        let since = Timestamp::from_millis(1_780_000_000_000)
            .display_in_shanghai()
            .to_string();
        assert!(html.contains(&format!(
            "Not connected to the hub; data is kept here (since {since})"
        )));
        assert!(html.contains("The hub restarted"));
        assert!(!html.contains("Connecting to the hub"));

        status.hub_connecting = true;
        let html = page(Language::Chinese, "心愿树", &status, "/", html! {});
        assert!(html.contains("正在重新连接 hub.example:4433…"));
    }
}
