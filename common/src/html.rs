//! The document around every HTML page the node and the hub draw: its language, a
//! viewport for phones, the title, and the page's style sheet inline — no asset is
//! fetched, so every page works with no internet.

use maud::{DOCTYPE, Markup, PreEscaped, html};
use wishtree_protocol::names::Language;

/// The whole document: `title` in the tab, `style` inline, `body` as drawn.
pub fn document(lang: Language, title: &str, style: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang.html_lang()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                style { (PreEscaped(style)) }
            }
            body { (body) }
        }
    }
}
