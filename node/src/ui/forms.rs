//! The forms of the node UI: what a browser posted, kept as the text typed so that a
//! refused form is shown again with everything in it, and read by the same typed
//! inputs as the JSON API and the CLI ([`crate::api::Input`]). A refusal
//! ([`Refusal`]) is shown in the reader's language at the top of the form and, when a
//! field is at fault, beside that field.

use axum::extract::{FromRequest, RawForm, Request};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use wishtree_protocol::Timestamp;
use wishtree_protocol::names::Language;
use wishtree_webguard::FORM_TOKEN_FIELD;

use super::html::{required_input, select_field, suggesting_input, text_input};
use crate::api::{FieldError, Input};

/// The fields of a posted form, as typed, in the order sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Form {
    pairs: Vec<(String, String)>,
}

/// A form before anyone typed in it.
pub static NOTHING_TYPED: Form = Form { pairs: Vec::new() };

/// Why a form was refused: a field at fault, or a rule of the work (already in the
/// reader's language).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// A field is at fault.
    Field(FieldError),
    /// The command was refused as a whole, e.g. a wish someone else claimed first.
    Rule(String),
}

/// A handler takes the posted form as an argument.
impl<S: Send + Sync> FromRequest<S> for Form {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let RawForm(bytes) = RawForm::from_request(request, state)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(Self::from_body(&bytes))
    }
}

/// A form being drawn: what was typed and why it was refused, in the reader's
/// language; each input it draws holds what was typed and has its message beside it.
#[derive(Debug, Clone, Copy)]
pub struct Filled<'a> {
    /// The reader's language.
    pub lang: Language,
    /// What was typed.
    pub form: &'a Form,
    /// Why it was refused, if it was.
    pub refusal: Option<&'a Refusal>,
}

impl<'a> Filled<'a> {
    /// `form` as typed, refused for `refusal` if it was.
    pub fn new(lang: Language, form: &'a Form, refusal: Option<&'a Refusal>) -> Self {
        Self {
            lang,
            form,
            refusal,
        }
    }

    /// A labelled text input.
    pub fn input(&self, name: &str, label: &str) -> Markup {
        html! {
            (text_input(name, label, self.form.value(name)))
            (self.error(name))
        }
    }

    /// A labelled text input that offers `choices` as the person types; any other text
    /// is still taken.
    pub fn suggesting(&self, name: &str, label: &str, choices: &[&str]) -> Markup {
        html! {
            (suggesting_input(name, label, self.form.value(name), choices))
            (self.error(name))
        }
    }

    /// A labelled text input that must be filled.
    pub fn required(&self, name: &str, label: &str) -> Markup {
        html! {
            (required_input(name, label, self.form.value(name)))
            (self.error(name))
        }
    }

    /// A labelled text area of a few lines, `required` if it must be filled.
    pub fn textarea(&self, name: &str, label: &str, required: bool) -> Markup {
        html! {
            label for=(name) { (label) }
            textarea id=(name) name=(name) rows="3" required[required] { (self.form.value(name)) }
            (self.error(name))
        }
    }

    /// A labelled choice among (value, label) options.
    pub fn select<'o>(
        &self,
        name: &str,
        label: &str,
        options: impl IntoIterator<Item = (&'o str, &'o str)>,
    ) -> Markup {
        html! {
            (select_field(name, label, options, self.form.value(name)))
            (self.error(name))
        }
    }

    /// The message beside `name`, if it is the field at fault.
    pub fn error(&self, name: &str) -> Markup {
        field_error(self.lang, self.refusal, name)
    }

    /// The summary at the top of the form.
    pub fn summary(&self) -> Markup {
        error_summary(self.lang, self.refusal)
    }
}

impl Form {
    /// The form a browser posted (`application/x-www-form-urlencoded`), without the
    /// form token. Bytes that do not decode read as no fields, and the form is shown
    /// again asking for them.
    pub fn from_body(bytes: &[u8]) -> Self {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(bytes).unwrap_or_default();
        Self {
            pairs: pairs
                .into_iter()
                .filter(|(name, _)| name != FORM_TOKEN_FIELD)
                .collect(),
        }
    }

    /// A form filled in with `values` before anyone typed, e.g. today's date.
    pub fn with(values: &[(&str, &str)]) -> Self {
        Self {
            pairs: values
                .iter()
                .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
                .collect(),
        }
    }

    /// The form with one more field, e.g. the member a page's path names.
    pub fn and(mut self, name: &str, value: &str) -> Self {
        self.pairs.push((name.to_owned(), value.to_owned()));
        self
    }

    /// What was typed in the field (the last value if it repeats), or empty text.
    pub fn value(&self, name: &str) -> &str {
        self.pairs
            .iter()
            .rev()
            .find(|(field, _)| field == name)
            .map_or("", |(_, value)| value)
    }

    /// Whether `value` is among the values of a repeated field (checkboxes).
    pub fn has_value(&self, name: &str, value: &str) -> bool {
        self.pairs
            .iter()
            .any(|(field, given)| field == name && given == value)
    }

    /// The typed input the form holds, read as the JSON API reads a body.
    pub fn read<I: Input>(&self, now: Timestamp) -> Result<I, FieldError> {
        I::from_pairs(self.pairs.iter().cloned(), now)
    }
}

impl Refusal {
    /// The field at fault, if one is.
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::Field(error) => Some(&error.field),
            Self::Rule(_) => None,
        }
    }

    /// The message, in the reader's language.
    pub fn message(&self, lang: Language) -> String {
        match (self, lang) {
            (Self::Field(error), Language::Chinese) => error.chinese(),
            (Self::Field(error), Language::English) => error.english(),
            (Self::Rule(message), _) => message.clone(),
        }
    }
}

impl From<FieldError> for Refusal {
    fn from(error: FieldError) -> Self {
        Self::Field(error)
    }
}

/// The summary at the top of a refused form: what was not saved and, for a field,
/// a link to it.
pub fn error_summary(lang: Language, refusal: Option<&Refusal>) -> Markup {
    html! {
        @if let Some(refusal) = refusal {
            div.error #error role="alert" {
                @match refusal.field() {
                    Some(field) => {
                        (match lang {
                            Language::Chinese => "未保存，请改正标出的一项：",
                            Language::English => "Not saved; correct the field marked: ",
                        })
                        a href={ "#" (field) } { (refusal.message(lang)) }
                    }
                    None => (refusal.message(lang)),
                }
            }
        }
    }
}

/// The message beside the field `name`, if it is the one at fault.
pub fn field_error(lang: Language, refusal: Option<&Refusal>, name: &str) -> Markup {
    html! {
        @if let Some(refusal) = refusal.filter(|refusal| refusal.field() == Some(name)) {
            p.error.field-error id={ "error-" (name) } { (refusal.message(lang)) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{NewActivity, NewWish};

    fn now() -> Timestamp {
        // 2026-11-24 in Shanghai (half past midnight).
        Timestamp::from_millis(1_795_451_400_000)
    }

    #[test]
    fn bad_form_bytes_read_as_no_fields_and_the_token_is_dropped() {
        for bytes in [&b"%zz%4&=&&x"[..], b"\xff\xfe=1"] {
            let _ = Form::from_body(bytes);
        }
        let form =
            Form::from_body(b"title=%E5%BD%AD+%E7%A8%8B&csrf_token=abc&kind=goods&kind=service");
        assert_eq!(form.value("title"), "彭 程");
        assert_eq!(form.value("csrf_token"), "");
        assert_eq!(form.value("kind"), "service");
        assert!(form.has_value("kind", "goods"));
    }

    #[test]
    fn a_form_reads_as_the_api_reads_a_body_with_what_people_type() {
        let form = Form::from_body(
            "title=希望有一台微波炉&kind=goods&group=disabled&resident_label=彭女士&estimated_value=400元"
                .as_bytes(),
        );
        let wish: NewWish = form.read(now()).unwrap();
        assert_eq!(wish.wish.estimated_value, Some(400));

        let activity = Form::with(&[
            ("title", "义诊"),
            ("category", "health"),
            ("date", "2026/11/20"),
            ("hours", "1.5"),
        ]);
        let read: NewActivity = activity.read(now()).unwrap();
        assert_eq!(read.0.minutes, 90);
        assert_eq!(read.0.date.to_string(), "2026-11-20");
    }

    #[test]
    fn a_refusal_shows_in_chinese_at_the_field() {
        let form = Form::with(&[
            ("title", "义诊"),
            ("category", "health"),
            ("date", "2026-11-20"),
            ("hours", "25"),
        ]);
        let error = form.read::<NewActivity>(now()).unwrap_err();
        let refusal = Refusal::from(error);
        let beside = field_error(Language::Chinese, Some(&refusal), "hours").into_string();
        assert!(beside.contains("id=\"error-hours\""), "{beside}");
        assert!(
            beside.contains("时长须大于 0 小时、不超过 24 小时"),
            "{beside}"
        );
        assert!(
            field_error(Language::Chinese, Some(&refusal), "date")
                .into_string()
                .is_empty()
        );
        let summary = error_summary(Language::Chinese, Some(&refusal)).into_string();
        assert!(summary.contains("href=\"#hours\""), "{summary}");
        assert!(!summary.contains("hours must"), "{summary}");
    }
}
