//! Building HTML safely: escaping, the page frame (navigation, language switch, status
//! bar) and the one stylesheet, all embedded in the binary so the node works with no
//! internet.

use std::fmt::{self, Write};

use wishtree_protocol::Timestamp;
use wishtree_protocol::names::Language;
use wishtree_webguard::FormToken;

/// Text made safe to place in HTML (element content or a quoted attribute).
#[derive(Debug)]
pub struct Escaped<'a>(pub &'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            match c {
                '&' => f.write_str("&amp;")?,
                '<' => f.write_str("&lt;")?,
                '>' => f.write_str("&gt;")?,
                '"' => f.write_str("&quot;")?,
                '\'' => f.write_str("&#39;")?,
                c => f.write_char(c)?,
            }
        }
        Ok(())
    }
}

/// Escapes text for HTML.
pub fn esc(text: &str) -> Escaped<'_> {
    Escaped(text)
}

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

/// A page under construction: the frame around a body.
#[derive(Debug)]
pub struct Page {
    lang: Language,
    title: String,
    body: String,
}

impl Page {
    /// A page with this title.
    pub fn new(lang: Language, title: impl Into<String>) -> Self {
        Self {
            lang,
            title: title.into(),
            body: String::with_capacity(8 * 1024),
        }
    }

    /// Appends raw, already-safe HTML.
    pub fn push(&mut self, html: &str) -> &mut Self {
        self.body.push_str(html);
        self
    }

    /// Appends formatted HTML; arguments must already be escaped.
    pub fn push_fmt(&mut self, args: fmt::Arguments<'_>) -> &mut Self {
        // Writing to a String cannot fail.
        let _ = self.body.write_fmt(args);
        self
    }

    /// Opens a `<form method="post">` with these attributes (already escaped) and the
    /// node's form token inside: the one way our pages open a form that writes, so no
    /// form can go without the token the server demands.
    pub fn open_post_form(&mut self, attributes: fmt::Arguments<'_>) -> &mut Self {
        let _ = write!(
            self.body,
            "<form method=\"post\" {attributes}>{}",
            FormToken::of_this_process().hidden_field()
        );
        self
    }

    /// The body alone, for a fragment built with a page's helpers.
    pub fn into_body(self) -> String {
        self.body
    }

    /// The whole document.
    pub fn finish(self, status: &StatusBar, current: &str) -> String {
        let lang = self.lang;
        let mut html = String::with_capacity(self.body.len() + 4096);
        let _ = write!(
            html,
            "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{} · {}</title><style>{}</style></head><body>",
            lang.html_lang(),
            esc(&self.title),
            t(lang, "心愿树", "wishtree"),
            STYLE
        );
        html.push_str("<header><a class=\"brand\" href=\"/\">🌳 ");
        html.push_str(t(lang, "心愿树", "wishtree"));
        let _ = write!(
            html,
            "</a> <span class=\"community\">{}</span><nav>",
            esc(&status.community)
        );
        for (href, zh, en) in NAVIGATION {
            let class = if *href == current {
                " class=\"current\""
            } else {
                ""
            };
            let _ = write!(html, "<a href=\"{href}\"{class}>{}</a>", t(lang, zh, en));
        }
        let (other, label) = match lang {
            Language::Chinese => ("en", "English"),
            Language::English => ("zh", "中文"),
        };
        let _ = write!(
            html,
            "</nav><a class=\"lang\" href=\"/lang/{other}\">{label}</a></header>"
        );
        html.push_str(&status_bar(lang, status));
        let _ = write!(html, "<main><h1>{}</h1>", esc(&self.title));
        html.push_str(&self.body);
        html.push_str("</main></body></html>");
        html
    }
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

fn status_bar(lang: Language, status: &StatusBar) -> String {
    let mut html = String::from("<div class=\"status\" id=\"status\">");
    if !status.hub_configured {
        html.push_str(t(
            lang,
            "单机运行（未配置市级枢纽）",
            "Running alone (no hub configured)",
        ));
    } else {
        let (class, mut text) = if status.hub_connected {
            (
                "ok",
                t(lang, "已连接市级枢纽", "Connected to the hub").to_owned(),
            )
        } else if status.hub_connecting && status.hub_problem.is_none() {
            (
                "off",
                match lang {
                    Language::Chinese => format!("正在连接市级枢纽 {}…", status.hub_address),
                    Language::English => {
                        format!("Connecting to the hub at {}…", status.hub_address)
                    }
                },
            )
        } else {
            (
                "off",
                t(
                    lang,
                    "未连接市级枢纽，数据保存在本机",
                    "Not connected to the hub; data is kept here",
                )
                .to_owned(),
            )
        };
        // Since when, so that a lost hub reads as lost, not as a stale "connected".
        if let Some(since) = status.hub_since {
            let _ = write!(
                text,
                " ({} {})",
                t(lang, "自", "since"),
                since.display_in_shanghai()
            );
        }
        if !status.hub_connected && status.hub_connecting && status.hub_problem.is_some() {
            let _ = match lang {
                Language::Chinese => write!(text, "；正在重新连接 {}…", status.hub_address),
                Language::English => {
                    write!(text, "; connecting to {} again…", status.hub_address)
                }
            };
        }
        let _ = write!(
            html,
            "<span class=\"{class}\" id=\"hub-state\">{}</span>",
            esc(&text)
        );
        match status.last_sync {
            Some(at) => {
                let _ = write!(
                    html,
                    " · {} {}",
                    t(lang, "上次同步", "last synced"),
                    at.display_in_shanghai()
                );
            }
            None => {
                let _ = write!(html, " · {}", t(lang, "尚未同步", "never synced"));
            }
        }
        let _ = write!(
            html,
            " · <span id=\"pending\">{}</span>",
            match lang {
                Language::Chinese => format!("{} 项更改尚未到达枢纽", status.changes_not_at_hub),
                Language::English =>
                    format!("{} changes not yet at the hub", status.changes_not_at_hub),
            }
        );
        if let Some(problem) = &status.hub_problem {
            let _ = write!(html, "<div class=\"problem\">{}</div>", esc(problem));
        }
    }
    html.push_str("</div>");
    html
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
        assert_eq!(
            esc("<script>alert('x')</script> & \"q\"").to_string(),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
        let status = StatusBar {
            community: "<b>名人社区</b>".to_owned(),
            ..StatusBar::default()
        };
        let html = Page::new(Language::Chinese, "<i>标题</i>").finish(&status, "/");
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
        let html = Page::new(Language::Chinese, "心愿树").finish(&status, "/");
        assert!(html.contains("未连接市级枢纽"));
        assert!(html.contains("3 项更改尚未到达枢纽"));
        let html = Page::new(Language::English, "Wish tree").finish(&status, "/");
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
        let html = Page::new(Language::English, "Wish tree").finish(&status, "/");
        assert!(html.contains("Connecting to the hub at hub.example:4433…"));

        status.hub_connecting = false;
        status.hub_since = Some(Timestamp::from_millis(1_780_000_000_000));
        status.hub_problem = Some("The hub restarted".to_owned());
        let html = Page::new(Language::English, "Wish tree").finish(&status, "/");
        let since = Timestamp::from_millis(1_780_000_000_000)
            .display_in_shanghai()
            .to_string();
        assert!(html.contains(&format!(
            "Not connected to the hub; data is kept here (since {since})"
        )));
        assert!(html.contains("The hub restarted"));
        assert!(!html.contains("Connecting to the hub"));

        status.hub_connecting = true;
        let html = Page::new(Language::Chinese, "心愿树").finish(&status, "/");
        assert!(html.contains("正在重新连接 hub.example:4433…"));
    }
}
