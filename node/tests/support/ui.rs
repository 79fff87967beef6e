//! The web UI as a worker's browser uses it, for the UI's tests: pages fetched, forms
//! posted with the page's token and their redirects followed, a refusal checked at its
//! field, Chinese pages checked for English, and CSV downloads read back.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use super::{Answer, Request, TestNode, form_token};

const FORM: (&str, &str) = ("Content-Type", "application/x-www-form-urlencoded");

pub fn get(node: &TestNode, path: &str) -> Answer {
    node.send(Request::get(path))
}

pub fn get_en(node: &TestNode, path: &str) -> Answer {
    node.send(Request::get(path).header("Cookie", "lang=en"))
}

/// Posts a form as the node's own page would: with the token the page carries.
pub fn post_form(node: &TestNode, path: &str, fields: &[(&str, &str)]) -> Answer {
    let token = form_token(&get(node, "/wishes/new").text());
    let mut fields = fields.to_vec();
    fields.push(("csrf_token", &token));
    let body = serde_urlencoded::to_string(&fields).unwrap();
    node.send(Request::new("POST", path).header(FORM.0, FORM.1).body(body))
}

/// Posts a form that must be accepted, and follows the redirect as a browser would,
/// with the cookie it set.
pub fn post_ok(node: &TestNode, path: &str, fields: &[(&str, &str)]) -> (String, Answer) {
    let answer = post_form(node, path, fields);
    assert_eq!(answer.status, 303, "{path}: {}", answer.text());
    let location = answer.header("location").unwrap().to_owned();
    let mut follow = Request::get(&location);
    if let Some(cookie) = answer.header("set-cookie") {
        follow = follow.header("Cookie", cookie.split(';').next().unwrap());
    }
    let page = node.send(follow);
    assert_eq!(page.status, 200, "{location}");
    assert!(page.text().contains("已保存"), "{location}: no notice");
    (location, page)
}

/// Asserts that the page shows `message` beside the field `name`, and a summary at
/// the top of the form that links to it.
pub fn assert_at_field(page: &str, name: &str, message: &str) {
    let beside = format!("id=\"error-{name}\">");
    let at = page
        .find(&beside)
        .unwrap_or_else(|| panic!("no message beside {name}: {page}"));
    let shown = &page[at + beside.len()..];
    let shown = &shown[..shown.find("</p>").unwrap_or(shown.len())];
    assert!(shown.contains(message), "beside {name}: {shown}");
    let input = page
        .find(&format!("id=\"{name}\""))
        .unwrap_or_else(|| panic!("no field {name}"));
    // The message follows its field, before any other field.
    assert!(input < at, "the message of {name} comes before its field");
    assert!(
        !page[input..at].contains("<label"),
        "the message of {name} is not beside it"
    );
    let summary = page.find("id=\"error\"").expect("no summary");
    assert!(
        summary < input,
        "the summary is not above the form's fields"
    );
    assert!(page.contains(&format!("href=\"#{name}\"")));
}

/// Asserts that the visible text of a Chinese page has no English words: a refusal
/// in developer English is what a worker must never see.
pub fn assert_no_english(page: &str) {
    let mut visible = String::new();
    let mut rest = page;
    // Drop the stylesheet, then every tag.
    if let (Some(start), Some(end)) = (rest.find("<style>"), rest.find("</style>")) {
        visible.push_str(&rest[..start]);
        rest = &rest[end..];
    }
    visible.push_str(rest);
    let mut text = String::new();
    let mut in_tag = false;
    for c in visible.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    // The language switch names English in English, on purpose; a file's format
    // and the program that opens it are named as people know them.
    let allowed = ["English", "DOCTYPE", "html", "CSV", "Excel"];
    // A token with digits in it is a code (a credit code, a date), not a word.
    let english: Vec<&str> = text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.bytes().any(|b| b.is_ascii_digit()))
        .filter(|word| word.len() >= 2 && !allowed.contains(word))
        .collect();
    assert!(english.is_empty(), "English on a Chinese page: {english:?}");
}

/// A CSV download read back as a spreadsheet would: its file name and its rows.
pub fn download(node: &TestNode, path: &str) -> (String, Vec<Vec<String>>) {
    let answer = get(node, path);
    assert_eq!(answer.status, 200, "{path}: {}", answer.text());
    assert_eq!(
        answer.header("content-type"),
        Some("text/csv; charset=utf-8")
    );
    let disposition = answer.header("content-disposition").unwrap().to_owned();
    let encoded = disposition.split("filename*=UTF-8''").nth(1).unwrap();
    let name: Vec<u8> = {
        let bytes = encoded.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' {
                out.push(u8::from_str_radix(&encoded[i + 1..i + 3], 16).unwrap());
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        out
    };
    let text = answer.text();
    let body = text
        .strip_prefix('\u{feff}')
        .expect("a byte-order mark for Excel");
    let rows = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(body.as_bytes())
        .records()
        .map(|record| record.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (String::from_utf8(name).unwrap(), rows)
}
