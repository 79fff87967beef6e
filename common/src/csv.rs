//! CSV for spreadsheets, on the `csv` crate: UTF-8 with a byte-order mark first (so
//! that Excel shows Chinese), CRLF line ends, RFC 4180 quoting, and text cells that a
//! spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, tab or
//! carriage return) neutralised with a leading apostrophe (OWASP's advice against CSV
//! injection); and the `Content-Disposition` of a download with a file name in any
//! language (RFC 6266 with RFC 5987's `filename*`).

use std::borrow::Cow;

/// The byte-order mark that starts every CSV text.
pub const BOM: &str = "\u{feff}";

/// One cell of a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    /// Text from outside (a name, a title): neutralised if it looks like a formula.
    Text(String),
    /// A number the program wrote itself, kept as it is (a `-5` balance stays `-5`).
    Number(String),
    /// A code of digits (a region code, a phone number) that a spreadsheet must keep as
    /// text: written as `="…"`, so Excel neither drops leading zeros nor shows
    /// `1.30903E+11`. Anything but ASCII digits is written as [`Cell::Text`].
    Code(String),
}

/// A CSV text being written, the byte-order mark already in place.
#[derive(Debug)]
pub struct SpreadsheetCsv {
    writer: ::csv::Writer<Vec<u8>>,
}

impl SpreadsheetCsv {
    /// An empty CSV text: the byte-order mark only.
    pub fn new() -> Self {
        Self {
            writer: writer_onto(BOM.as_bytes().to_vec()),
        }
    }

    /// A row of text cells, each neutralised.
    pub fn text_row<I, S>(&mut self, cells: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let cells: Vec<String> = cells
            .into_iter()
            .map(|cell| neutralise(cell.as_ref()).into_owned())
            .collect();
        self.record(&cells);
    }

    /// A row of cells, the text ones neutralised.
    pub fn row(&mut self, cells: &[Cell]) {
        let cells: Vec<Cow<'_, str>> = cells
            .iter()
            .map(|cell| match cell {
                Cell::Text(text) => neutralise(text),
                Cell::Number(number) => Cow::Borrowed(number.as_str()),
                Cell::Code(code) if is_digits(code) => Cow::Owned(format!("=\"{code}\"")),
                Cell::Code(text) => neutralise(text),
            })
            .collect();
        self.record(&cells);
    }

    /// An empty line, between two parts of a file.
    pub fn blank_line(&mut self) {
        // The crate writes an empty record as `""`; a spreadsheet shows an empty line
        // for CRLF alone, as the node's report always had it.
        let mut bytes = self.take_bytes();
        bytes.extend_from_slice(b"\r\n");
        self.writer = writer_onto(bytes);
    }

    /// The CSV text.
    pub fn finish(mut self) -> String {
        // Only `&str` cells and ASCII went in, so the bytes are UTF-8.
        String::from_utf8(self.take_bytes())
            .unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned())
    }

    fn record<S: AsRef<str>>(&mut self, cells: &[S]) {
        let result = self
            .writer
            .write_record(cells.iter().map(|cell| cell.as_ref().as_bytes()));
        // The writer is flexible (so no field-count error) and writes into memory (so
        // no IO error): nothing can fail.
        debug_assert!(result.is_ok(), "{result:?}");
    }

    /// What was written so far, leaving an empty writer behind.
    fn take_bytes(&mut self) -> Vec<u8> {
        let writer = std::mem::replace(&mut self.writer, writer_onto(Vec::new()));
        // Flushing into memory cannot fail; were it to, what reached memory is kept.
        writer
            .into_inner()
            .unwrap_or_else(|error| error.into_inner().get_ref().clone())
    }
}

impl Default for SpreadsheetCsv {
    fn default() -> Self {
        Self::new()
    }
}

/// `text` with a leading apostrophe if a spreadsheet would run it as a formula.
pub fn neutralise(text: &str) -> Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// The `Content-Disposition` of a download named `file_name`: `filename*` carries the
/// name in UTF-8 (e.g. `心愿台账-名人社区-2026H2.csv`), `filename` an ASCII stand-in
/// for clients that know no better.
pub fn attachment(file_name: &str) -> String {
    // RFC 5987's attr-char: what may stand unencoded in an extended value.
    const NOT_ATTR_CHAR: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'!')
        .remove(b'#')
        .remove(b'$')
        .remove(b'&')
        .remove(b'+')
        .remove(b'-')
        .remove(b'.')
        .remove(b'^')
        .remove(b'_')
        .remove(b'`')
        .remove(b'|')
        .remove(b'~');
    let ascii: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded = percent_encoding::utf8_percent_encode(file_name, NOT_ATTR_CHAR);
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

fn is_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// A writer appending CRLF-terminated records to `bytes`.
fn writer_onto(bytes: Vec<u8>) -> ::csv::Writer<Vec<u8>> {
    ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        // The node's report puts rows of two and of seven cells in one file.
        .flexible(true)
        .from_writer(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One text cell as written in a row.
    fn check(cell: &str, expected: &str) {
        let mut csv = SpreadsheetCsv::new();
        csv.text_row([cell]);
        assert_eq!(csv.finish(), format!("{BOM}{expected}\r\n"), "{cell:?}");
    }

    #[test]
    fn cells_are_quoted_and_formulas_neutralised() {
        check("行宫社区", "行宫社区");
        check("=1+1", "'=1+1");
        check("+86", "'+86");
        check("-2", "'-2");
        check("@SUM(A1)", "'@SUM(A1)");
        check("\tx", "'\tx");
        check("\rx", "\"'\rx\"");
        check("a,b", "\"a,b\"");
        check("a\nb", "\"a\nb\"");
        check("say \"hi\"", "\"say \"\"hi\"\"\"");
        check(
            "=HYPERLINK(\"x\",\"y\")",
            "\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\"",
        );
    }

    #[test]
    fn numbers_stay_as_written_and_parts_are_parted_by_an_empty_line() {
        let mut csv = SpreadsheetCsv::new();
        csv.text_row(["a", "b"]);
        csv.row(&[Cell::Text("-1".into()), Cell::Number("-1".into())]);
        csv.blank_line();
        csv.text_row(["1", "二", ""]);
        assert_eq!(csv.finish(), "\u{feff}a,b\r\n'-1,-1\r\n\r\n1,二,\r\n");
    }

    #[test]
    fn codes_stay_text_in_a_spreadsheet() {
        let mut csv = SpreadsheetCsv::new();
        csv.row(&[
            Cell::Code("130903001002".into()),
            Cell::Code("0311".into()),
            Cell::Code("=1+1".into()),
            Cell::Code(String::new()),
        ]);
        assert_eq!(
            csv.finish(),
            "\u{feff}\"=\"\"130903001002\"\"\",\"=\"\"0311\"\"\",'=1+1,\r\n"
        );
    }

    #[test]
    fn file_names_in_chinese_are_encoded_for_the_header() {
        assert_eq!(
            attachment("心愿台账-名人社区-2026H2.csv"),
            "attachment; filename=\"____-____-2026H2.csv\"; \
             filename*=UTF-8''%E5%BF%83%E6%84%BF%E5%8F%B0%E8%B4%A6-%E5%90%8D%E4%BA%BA%E7%A4%BE%E5%8C%BA-2026H2.csv"
        );
        assert_eq!(
            attachment("a b\"c.csv"),
            "attachment; filename=\"a_b_c.csv\"; filename*=UTF-8''a%20b%22c.csv"
        );
    }
}
