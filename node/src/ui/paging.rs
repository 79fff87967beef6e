//! Long lists in pages of [`PAGE_SIZE`], with links to the pages before and after, so
//! a list says how long it is instead of stopping silently.

use maud::{Markup, html};
use wishtree_protocol::names::Language;

use super::html::t;

/// How many items a page shows.
pub const PAGE_SIZE: usize = 50;

/// One page of a list: which page (from 1), of how many, over how many items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// The page shown, from 1.
    pub number: usize,
    /// How many pages there are (at least 1).
    pub count: usize,
    /// How many items the whole list has.
    pub total: usize,
}

impl Page {
    /// The page `requested` (from the `page` query; out of range reads as the nearest
    /// page) of a list of `total` items.
    pub fn of(requested: Option<&str>, total: usize) -> Self {
        let count = total.div_ceil(PAGE_SIZE).max(1);
        let number = requested
            .and_then(|text| text.trim().parse::<usize>().ok())
            .unwrap_or(1)
            .clamp(1, count);
        Self {
            number,
            count,
            total,
        }
    }

    /// The items of this page.
    pub fn slice<T>(self, items: Vec<T>) -> Vec<T> {
        items
            .into_iter()
            .skip((self.number - 1) * PAGE_SIZE)
            .take(PAGE_SIZE)
            .collect()
    }

    /// The links to the other pages of the list at `path`, with `anchor` the id of the
    /// list, so the reader lands on it; nothing when the list fits one page.
    pub fn links(self, lang: Language, path: &str, anchor: &str) -> Markup {
        let href = |number: usize| {
            let join = if path.contains('?') { '&' } else { '?' };
            format!("{path}{join}page={number}#{anchor}")
        };
        html! {
            @if self.count > 1 {
                nav.pager aria-label=(t(lang, "分页", "Pages")) {
                    @if self.number > 1 {
                        a rel="prev" href=(href(self.number - 1)) { (t(lang, "上一页", "Previous")) }
                    }
                    span {
                        @match lang {
                            Language::Chinese => { "第 " (self.number) " / " (self.count) " 页，共 " (self.total) " 条" }
                            Language::English => { "page " (self.number) " of " (self.count) ", " (self.total) " in all" }
                        }
                    }
                    @if self.number < self.count {
                        " "
                        a rel="next" href=(href(self.number + 1)) { (t(lang, "下一页", "Next")) }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_cover_the_list_and_clamp_what_is_asked() {
        for (requested, total, number, count) in [
            (None, 0, 1, 1),
            (None, 50, 1, 1),
            (Some("2"), 51, 2, 2),
            (Some("9"), 120, 3, 3),
            (Some("0"), 120, 1, 3),
            (Some("abc"), 120, 1, 3),
        ] {
            let page = Page::of(requested, total);
            assert_eq!(
                (page.number, page.count),
                (number, count),
                "{requested:?} {total}"
            );
        }
        let items: Vec<usize> = (0..120).collect();
        assert_eq!(
            Page::of(Some("3"), 120).slice(items),
            (100..120).collect::<Vec<_>>()
        );
    }
}
