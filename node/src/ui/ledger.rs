//! The list page every ledger (台账) shares, and its CSV: a ledger is its records in
//! order and its columns, each column a head and what a record shows under it. The
//! page shows one page of the table (cards on a phone), its pager, the link to the
//! CSV and what adds to it; the CSV is the same columns, all records, Chinese heads,
//! Excel-safe ([`SpreadsheetCsv`]). Writing a column once keeps a head beside its
//! cell, and the page and its file alike.

use maud::{Markup, html};
use wishtree_common::csv::{Cell, SpreadsheetCsv};
use wishtree_protocol::names::Language;
use wishtree_protocol::view::CommunityView;

use super::forms::Filled;
use super::html::{Row, StatusBar, csv_link, page, post_form, submit, t, table};
use super::paging::Page;

/// What a record shows in one column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// Text.
    Text(String),
    /// A number the program counted.
    Number(String),
    /// Text that links to a page (the record's own, most often).
    Link {
        /// Where it links.
        href: String,
        /// What it says.
        text: String,
    },
}

impl Value {
    /// Text.
    pub fn text(text: impl Into<String>) -> Self {
        Self::Text(text.into())
    }

    /// A count.
    pub fn number(number: impl ToString) -> Self {
        Self::Number(number.to_string())
    }

    /// Text linking to `href`.
    pub fn link(href: impl Into<String>, text: impl Into<String>) -> Self {
        Self::Link {
            href: href.into(),
            text: text.into(),
        }
    }

    fn markup(&self) -> Markup {
        match self {
            Self::Text(text) | Self::Number(text) => html! { (text) },
            Self::Link { href, text } => html! { a href=(href) { (text) } },
        }
    }

    fn cell(&self) -> Cell {
        match self {
            Self::Text(text) | Self::Link { text, .. } => Cell::Text(text.clone()),
            Self::Number(number) => Cell::Number(number.clone()),
        }
    }
}

/// Where a column shows: on the page and in the file, or only in the file (a detail
/// too long for a table row).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shown {
    Everywhere,
    FileOnly,
}

/// What a record is asked (is it closed?).
type Test<'a, R> = Box<dyn Fn(&R) -> bool + 'a>;

/// One column: its head and what each record shows under it.
struct Column<'a, R> {
    head: &'a str,
    value: Box<dyn Fn(&R) -> Value + 'a>,
    shown: Shown,
}

/// A ledger: its name (the path segment `/{name}`, the table's id, the CSV at
/// `/{name}.csv`), title, records in the order they are listed, and columns.
pub struct Ledger<'a, R> {
    name: &'a str,
    title: &'a str,
    records: Vec<R>,
    columns: Vec<Column<'a, R>>,
    is_closed: Option<Test<'a, R>>,
}

impl<R> std::fmt::Debug for Ledger<'_, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger")
            .field("name", &self.name)
            .field("records", &self.records.len())
            .field("heads", &self.heads())
            .finish_non_exhaustive()
    }
}

impl<'a, R> Ledger<'a, R> {
    /// A ledger of `records` with no columns yet.
    pub fn new(name: &'a str, title: &'a str, records: Vec<R>) -> Self {
        Self {
            name,
            title,
            records,
            columns: Vec::new(),
            is_closed: None,
        }
    }

    /// Adds a column shown on the page and in the file.
    pub fn column(mut self, head: &'a str, value: impl Fn(&R) -> Value + 'a) -> Self {
        self.columns.push(Column {
            head,
            value: Box::new(value),
            shown: Shown::Everywhere,
        });
        self
    }

    /// Adds a column of the file only.
    pub fn file_column(mut self, head: &'a str, value: impl Fn(&R) -> Value + 'a) -> Self {
        self.columns.push(Column {
            head,
            value: Box::new(value),
            shown: Shown::FileOnly,
        });
        self
    }

    /// Greys the rows of the records `is_closed` says are closed (ended, withdrawn,
    /// voided), so the open ones stand out.
    pub fn closed_when(mut self, is_closed: impl Fn(&R) -> bool + 'a) -> Self {
        self.is_closed = Some(Box::new(is_closed));
        self
    }

    /// Its title.
    pub fn title(&self) -> &'a str {
        self.title
    }

    /// How many records the ledger has.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether it has none.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The table of all its records (for a short list inside another page), with `id`.
    pub fn table(self, lang: Language, id: &str) -> Markup {
        let heads = self.heads();
        let rows = self.rows(self.records.iter());
        table(lang, Some(id), &heads, rows)
    }

    /// The list page: `intro` above the table (a count, a note), the table's page
    /// `list_page` with its pager, the CSV link, and `form` below (what adds to the
    /// ledger, with its heading).
    pub fn page(
        self,
        lang: Language,
        status: &StatusBar,
        list_page: Option<&str>,
        intro: Markup,
        form: Markup,
    ) -> String {
        let path = format!("/{}", self.name);
        let shown = Page::of(list_page, self.records.len());
        let heads = self.heads();
        let rows = self.rows(shown.slice(self.records.iter().collect()).into_iter());
        let body = html! {
            (intro)
            (table(lang, Some(self.name), &heads, rows))
            (shown.links(lang, &path, self.name))
            (csv_link(lang, &format!("{}-csv", self.name), &format!("{path}.csv")))
            (form)
        };
        page(lang, self.title, status, &path, body)
    }

    /// The form that adds to the ledger, posting to `/{name}`: its heading, then a
    /// card that says first why it was last refused, then the `fields`, then the
    /// button.
    pub fn form(&self, filled: &Filled<'_>, adding: &Adding, fields: Markup) -> Markup {
        let say = |(zh, en): (&'static str, &'static str)| t(filled.lang, zh, en);
        // The summary opens the form, so a refusal shows where the worker is looking,
        // not a screen below.
        let fields = html! {
            (filled.summary())
            (fields)
            (submit(say(adding.button)))
        };
        html! {
            h2 { (say(adding.title)) }
            (post_form("card", &format!("/{}", self.name), Some(adding.id), fields))
        }
    }

    /// The list page with nothing above the table and the form `adding` below, of
    /// `fields` as `asked` has them filled.
    pub fn page_adding(self, asked: &ListAsked<'_>, adding: &Adding, fields: Markup) -> String {
        let form = self.form(&asked.filled, adding, fields);
        let lang = asked.filled.lang;
        self.page(lang, asked.status, asked.list_page, html! {}, form)
    }

    /// The CSV of every record, all columns (build the ledger in Chinese for Chinese
    /// heads).
    pub fn csv(&self) -> String {
        let mut csv = SpreadsheetCsv::new();
        csv.text_row(self.columns.iter().map(|column| column.head));
        for record in &self.records {
            let cells: Vec<Cell> = self
                .columns
                .iter()
                .map(|column| (column.value)(record).cell())
                .collect();
            csv.row(&cells);
        }
        csv.finish()
    }

    fn heads(&self) -> Vec<&'a str> {
        self.on_page().map(|column| column.head).collect()
    }

    fn rows<'r>(&self, records: impl Iterator<Item = &'r R>) -> Vec<Row>
    where
        R: 'r,
    {
        records
            .map(|record| Row {
                class: self
                    .is_closed
                    .as_ref()
                    .is_some_and(|is_closed| is_closed(record))
                    .then_some("closed"),
                cells: self
                    .on_page()
                    .map(|column| (column.value)(record).markup())
                    .collect(),
            })
            .collect()
    }

    fn on_page(&self) -> impl Iterator<Item = &Column<'a, R>> {
        self.columns
            .iter()
            .filter(|column| column.shown == Shown::Everywhere)
    }
}

/// What a ledger's list page is drawn from: the view, the status bar, its form as
/// filled (what was typed and why it was refused, or the defaults), and the page of
/// the list asked for.
#[derive(Debug)]
pub struct ListAsked<'a> {
    /// The community's derived view.
    pub view: &'a CommunityView,
    /// The status bar.
    pub status: &'a StatusBar,
    /// The form that adds to the ledger, as filled.
    pub filled: Filled<'a>,
    /// The page of the list (`?page=2`), if one was asked for.
    pub list_page: Option<&'a str>,
}

/// The form under a ledger that adds to it: its id, and its heading and button as
/// (Chinese, English).
#[derive(Debug, Clone, Copy)]
pub struct Adding {
    /// The form's id, e.g. `team-form` (pages link to it).
    pub id: &'static str,
    /// Its heading.
    pub title: (&'static str, &'static str),
    /// Its button.
    pub button: (&'static str, &'static str),
}

/// The table of one record: a head and its value a row, with `id`.
pub fn record_table(id: &str, rows: &[(&str, Markup)]) -> Markup {
    html! {
        table id=(id) {
            @for (head, value) in rows {
                tr { th scope="row" { (head) } td { (value) } }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ledger(lang: Language) -> Ledger<'static, (u32, &'static str)> {
        let records = vec![(1, "=SUM(A1)"), (2, "二")];
        Ledger::new("things", "事项", records)
            .column(
                super::super::html::t(lang, "名称", "Name"),
                |(id, name)| Value::link(format!("/things/{id}"), *name),
            )
            .column("序号", |(id, _)| Value::number(id))
            .file_column("备注", |_| Value::text("仅文件"))
            .closed_when(|(id, _)| *id == 2)
    }

    #[test]
    fn the_page_and_the_file_show_the_same_columns() {
        let html = ledger(Language::Chinese).page(
            Language::Chinese,
            &StatusBar::default(),
            None,
            html! {},
            html! {},
        );
        assert!(html.contains("<a href=\"/things/1\">=SUM(A1)</a>"));
        assert!(html.contains("<tr class=\"closed\">"));
        assert!(html.contains("href=\"/things.csv\""));
        assert!(!html.contains("仅文件"), "a file column stays off the page");

        let csv = ledger(Language::Chinese).csv();
        assert_eq!(
            csv,
            "\u{feff}名称,序号,备注\r\n'=SUM(A1),1,仅文件\r\n二,2,仅文件\r\n"
        );
    }
}
