//! Reading the fields of one write — a JSON body, a posted form or the CLI's arguments
//! — into the protocol's checked types, with errors that name the field.
//!
//! Every write has one typed input (`NewWish`, `NewActivity`, …) that implements
//! [`Input`]: its `read` is written once against [`Fields`], which the JSON API builds
//! from a body and the web UI and the CLI from `(name, text)` pairs. Inputs are read
//! field by field rather than derived with serde, so that every refusal names the
//! field ([`FieldError`]), unknown JSON fields are refused instead of silently dropped
//! (a misspelt `resident_phone` must not lose a phone number), and text goes through
//! the protocol's checks (`Name`, `Title`, …) once, where it enters. What people type
//! is accepted as they type it: `2026/11/20`, `400元`, `1.5` hours.

use std::fmt::Display;
use std::str::FromStr;

use serde_json::{Map, Value};
use wishtree_protocol::text::TextError;
use wishtree_protocol::{Date, Timestamp};

use super::ApiError;
pub use super::problem::{Expected, FieldError, Problem};

/// A typed input of one write, read from [`Fields`] with the node's clock.
pub trait Input: Sized {
    /// The fields a JSON body may have.
    const FIELDS: &'static [&'static str];

    /// Reads the input; `now` is the node's clock, for dates that cannot be later.
    fn read(fields: &Fields, now: Timestamp) -> Result<Self, FieldError>;

    /// Reads the input from a JSON body, refusing unknown fields.
    fn from_json(body: Value, now: Timestamp) -> Result<Self, ApiError> {
        let fields = Fields::json(body)?;
        fields.refuse_unknown(Self::FIELDS)?;
        Ok(Self::read(&fields, now)?)
    }

    /// Reads the input from `(name, text)` pairs: a posted form or the CLI's arguments.
    /// Names the input does not read are ignored (a form carries its token).
    fn from_pairs(
        pairs: impl IntoIterator<Item = (String, String)>,
        now: Timestamp,
    ) -> Result<Self, FieldError> {
        Self::read(&Fields::pairs(pairs), now)
    }
}

/// The fields of one write, from a JSON object or from text pairs.
#[derive(Debug)]
pub struct Fields {
    source: Source,
}

#[derive(Debug)]
enum Source {
    Json(Map<String, Value>),
    Pairs(Vec<(String, String)>),
}

/// What one field holds, whatever the source.
enum Raw<'a> {
    Absent,
    Text(&'a str),
    Json(&'a Value),
}

impl Fields {
    /// The fields of a JSON body, which must be an object.
    pub fn json(body: Value) -> Result<Self, ApiError> {
        match body {
            Value::Object(map) => Ok(Self {
                source: Source::Json(map),
            }),
            _ => Err(ApiError::bad_request(
                None,
                "the body must be a JSON object, e.g. {\"title\": \"…\"}",
            )),
        }
    }

    /// The fields given as `(name, text)` pairs; a name may repeat for a list.
    pub fn pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        Self {
            source: Source::Pairs(pairs.into_iter().collect()),
        }
    }

    /// Refuses a JSON field that is not in `allowed`.
    pub fn refuse_unknown(&self, allowed: &[&str]) -> Result<(), FieldError> {
        let Source::Json(map) = &self.source else {
            return Ok(());
        };
        match map.keys().find(|key| !allowed.contains(&key.as_str())) {
            None => Ok(()),
            Some(unknown) => Err(FieldError::new(
                unknown.chars().take(40).collect::<String>(),
                Problem::Unknown {
                    allowed: allowed.join(", "),
                },
            )),
        }
    }

    /// Whether the field is given (present and not `null`).
    pub fn has(&self, field: &str) -> bool {
        !matches!(self.raw(field), Raw::Absent | Raw::Json(Value::Null))
    }

    /// A required text field checked by one of the protocol's text types.
    pub fn text<T>(
        &self,
        field: &'static str,
        parse: fn(&'static str, &str) -> Result<T, TextError>,
    ) -> Result<T, FieldError> {
        let text = self.string(field)?.ok_or_else(|| missing(field))?;
        parse(field, text).map_err(|error| FieldError::new(field, Problem::Text(error)))
    }

    /// An optional text field; missing or `null` reads as empty text.
    pub fn text_or_empty<T>(
        &self,
        field: &'static str,
        parse: fn(&'static str, &str) -> Result<T, TextError>,
    ) -> Result<T, FieldError> {
        let text = self.string(field)?.unwrap_or("");
        parse(field, text).map_err(|error| FieldError::new(field, Problem::Text(error)))
    }

    /// An optional text field; missing, `null` or blank is `None`.
    pub fn optional_text<T>(
        &self,
        field: &'static str,
        parse: fn(&'static str, &str) -> Result<T, TextError>,
    ) -> Result<Option<T>, FieldError> {
        match self.string(field)? {
            Some(text) if !text.trim().is_empty() => parse(field, text)
                .map(Some)
                .map_err(|error| FieldError::new(field, Problem::Text(error))),
            _ => Ok(None),
        }
    }

    /// A required field given as text and parsed (a kind, an id, a code).
    pub fn parsed<T: FromStr>(&self, field: &'static str, what: Expected) -> Result<T, FieldError>
    where
        T::Err: Display,
    {
        self.optional_parsed(field, what)?
            .ok_or_else(|| missing(field))
    }

    /// An optional field given as text and parsed; missing, `null` or blank is `None`.
    pub fn optional_parsed<T: FromStr>(
        &self,
        field: &'static str,
        what: Expected,
    ) -> Result<Option<T>, FieldError>
    where
        T::Err: Display,
    {
        match self.string(field)?.map(str::trim) {
            None | Some("") => Ok(None),
            Some(text) => parse_text(field, text, what).map(Some),
        }
    }

    /// A required date as people type it, not later than today.
    pub fn date(&self, field: &'static str, now: Timestamp) -> Result<Date, FieldError> {
        self.optional_date(field, now)?
            .ok_or_else(|| missing(field))
    }

    /// An optional date as people type it, not later than today.
    pub fn optional_date(
        &self,
        field: &'static str,
        now: Timestamp,
    ) -> Result<Option<Date>, FieldError> {
        let Some(date) = self.optional_plan_date(field)? else {
            return Ok(None);
        };
        let today = now.date_in_shanghai();
        if date > today {
            return Err(FieldError::new(field, Problem::InFuture { date, today }));
        }
        Ok(Some(date))
    }

    /// A required date of a plan, as people type it: it may lie ahead.
    pub fn plan_date(&self, field: &'static str) -> Result<Date, FieldError> {
        self.optional_plan_date(field)?
            .ok_or_else(|| missing(field))
    }

    /// An optional date of a plan (a round's days), as people type it: any day.
    pub fn optional_plan_date(&self, field: &'static str) -> Result<Option<Date>, FieldError> {
        let Some(text) = self.string(field)?.map(str::trim).filter(|t| !t.is_empty()) else {
            return Ok(None);
        };
        Date::from_typed(text)
            .map(Some)
            .map_err(|_| FieldError::new(field, Problem::NotADate(text.chars().take(40).collect())))
    }

    /// A required whole number.
    pub fn number(&self, field: &'static str) -> Result<u32, FieldError> {
        self.optional_number(field)?.ok_or_else(|| missing(field))
    }

    /// An optional whole number; missing, `null` or blank is `None`.
    pub fn optional_number(&self, field: &'static str) -> Result<Option<u32>, FieldError> {
        self.whole(field, |text| text)
    }

    /// An optional sum of whole yuan, as people write it: `400`, `400元`, `￥400`.
    pub fn optional_yuan(&self, field: &'static str) -> Result<Option<u32>, FieldError> {
        self.whole(field, |text| {
            text.trim_start_matches(['￥', '¥'])
                .trim_end_matches('元')
                .trim()
        })
        .map_err(|error| match error.problem {
            Problem::NotANumber(text) => FieldError::new(field, Problem::NotYuan(text)),
            _ => error,
        })
    }

    /// Minutes given as `minutes` (whole) or as `hours` (e.g. `1.5`), required; the
    /// error names the field that was given.
    pub fn minutes_or_hours(&self) -> Result<u32, FieldError> {
        if self.has("minutes") || !self.has("hours") {
            return self.number("minutes");
        }
        let text = self.string("hours")?.unwrap_or("").trim();
        let hours: f64 = normal_digits(text)
            .parse()
            .ok()
            .filter(|hours: &f64| hours.is_finite())
            .ok_or_else(|| {
                FieldError::new("hours", Problem::NotHours(text.chars().take(40).collect()))
            })?;
        if !(hours > 0.0 && hours <= 24.0) {
            return Err(FieldError::new(
                "hours",
                Problem::OutOfRange {
                    rule: "more than 0 and at most 24",
                },
            ));
        }
        Ok((hours * 60.0).round() as u32)
    }

    /// An optional list of texts, each checked; missing or `null` is empty.
    pub fn text_list<T>(
        &self,
        field: &'static str,
        parse: fn(&'static str, &str) -> Result<T, TextError>,
    ) -> Result<Vec<T>, FieldError> {
        self.strings(field)?
            .into_iter()
            .map(|text| {
                parse(field, text).map_err(|error| FieldError::new(field, Problem::Text(error)))
            })
            .collect()
    }

    /// An optional list of parsed texts; missing or `null` is empty.
    pub fn parsed_list<T: FromStr>(
        &self,
        field: &'static str,
        what: Expected,
    ) -> Result<Vec<T>, FieldError>
    where
        T::Err: Display,
    {
        self.strings(field)?
            .into_iter()
            .map(|text| parse_text(field, text.trim(), what))
            .collect()
    }

    fn raw(&self, field: &str) -> Raw<'_> {
        match &self.source {
            Source::Json(map) => map.get(field).map_or(Raw::Absent, Raw::Json),
            // The last value counts, as a browser's repeated field would.
            Source::Pairs(pairs) => pairs
                .iter()
                .rev()
                .find(|(name, _)| name == field)
                .map_or(Raw::Absent, |(_, text)| Raw::Text(text)),
        }
    }

    fn string(&self, field: &'static str) -> Result<Option<&str>, FieldError> {
        match self.raw(field) {
            Raw::Absent | Raw::Json(Value::Null) => Ok(None),
            Raw::Text(text) => Ok(Some(text)),
            Raw::Json(Value::String(text)) => Ok(Some(text)),
            Raw::Json(other) => Err(wrong_type(field, "text", other)),
        }
    }

    /// A whole number from a JSON number or from text, `clean` taking off what people
    /// write around the digits.
    fn whole(
        &self,
        field: &'static str,
        clean: fn(&str) -> &str,
    ) -> Result<Option<u32>, FieldError> {
        let text = match self.raw(field) {
            Raw::Absent | Raw::Json(Value::Null) => return Ok(None),
            Raw::Json(Value::Number(number)) => {
                return number
                    .as_u64()
                    .and_then(|n| u32::try_from(n).ok())
                    .map(Some)
                    .ok_or_else(|| {
                        FieldError::new(field, Problem::NotANumber(number.to_string()))
                    });
            }
            Raw::Text(text) => text.trim(),
            Raw::Json(Value::String(text)) => text.trim(),
            Raw::Json(other) => return Err(wrong_type(field, "a whole number", other)),
        };
        if text.is_empty() {
            return Ok(None);
        }
        let digits = normal_digits(clean(text));
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(FieldError::new(
                field,
                Problem::NotANumber(text.chars().take(40).collect()),
            ));
        }
        digits.parse().map(Some).map_err(|_| {
            FieldError::new(field, Problem::NotANumber(text.chars().take(40).collect()))
        })
    }

    fn strings(&self, field: &'static str) -> Result<Vec<&str>, FieldError> {
        let items: Vec<&str> = match &self.source {
            Source::Json(map) => match map.get(field) {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|item| match item {
                        Value::String(text) => Ok(text.as_str()),
                        other => Err(wrong_type(field, "a list of texts", other)),
                    })
                    .collect::<Result<_, _>>()?,
                Some(other) => return Err(wrong_type(field, "a list of texts", other)),
            },
            // A form gives a list as one text separated by commas (顿号 too) or lines
            // (a text area), or as repeated fields (checkboxes, the CLI's repeated
            // flags).
            Source::Pairs(pairs) => pairs
                .iter()
                .filter(|(name, _)| name == field)
                .flat_map(|(_, text)| text.split([',', '，', '、', '\n']))
                .map(str::trim)
                .filter(|text| !text.is_empty())
                .collect(),
        };
        if items.len() > 100 {
            return Err(FieldError::new(field, Problem::TooManyItems(items.len())));
        }
        Ok(items)
    }
}

fn parse_text<T: FromStr>(field: &'static str, text: &str, what: Expected) -> Result<T, FieldError>
where
    T::Err: Display,
{
    text.parse().map_err(|error: T::Err| {
        FieldError::new(
            field,
            Problem::Invalid {
                what,
                english: error.to_string(),
            },
        )
    })
}

/// The text with full-width digits and point made ASCII, as an input method may type.
fn normal_digits(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{FF10}'..='\u{FF19}' => char::from(b'0' + (c as u32 - 0xFF10) as u8),
            '．' => '.',
            other => other,
        })
        .collect()
}

fn missing(field: &'static str) -> FieldError {
    FieldError::new(field, Problem::Missing)
}

fn wrong_type(field: &'static str, expected: &'static str, found: &Value) -> FieldError {
    let found = match found {
        Value::Null => "null",
        Value::Bool(_) => "true or false",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    };
    FieldError::new(field, Problem::WrongType { expected, found })
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use wishtree_protocol::model::WishKind;
    use wishtree_protocol::text::Title;

    use super::*;

    fn now() -> Timestamp {
        // 2026-11-24 in Shanghai (half past midnight).
        Timestamp::from_millis(1_795_451_400_000)
    }

    fn pairs(list: &[(&str, &str)]) -> Fields {
        Fields::pairs(list.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())))
    }

    #[test]
    fn errors_name_the_field_in_english_and_chinese() {
        let fields = Fields::json(
            json!({"title": "", "kind": "car", "date": "2026-02-30", "value": -1, "list": [1]}),
        )
        .unwrap();
        let check = |error: FieldError, field: &str, english: &str, chinese: &str| {
            assert_eq!(error.field, field);
            assert!(
                error.english().starts_with(english),
                "{} does not start with {english}",
                error.english()
            );
            assert_eq!(error.chinese(), chinese);
        };
        check(
            fields.text("title", Title::parse).unwrap_err(),
            "title",
            "title is empty",
            "不能为空",
        );
        check(
            fields
                .parsed::<WishKind>("kind", Expected::Choice)
                .unwrap_err(),
            "kind",
            "kind: `car` is not a wish kind",
            "请从列表中选择",
        );
        check(
            fields.date("date", now()).unwrap_err(),
            "date",
            "date: `2026-02-30` is not a date",
            "“2026-02-30”不是有效的日期，请写成 2026-11-20",
        );
        check(
            fields.number("value").unwrap_err(),
            "value",
            "value must be a whole number",
            "须填整数",
        );
        check(
            fields.text_list("list", Title::parse).unwrap_err(),
            "list",
            "list must be a list of texts, not a number",
            "格式不对",
        );
        check(
            fields.number("absent").unwrap_err(),
            "absent",
            "absent is missing",
            "请填写此项",
        );
        assert_eq!(fields.optional_number("absent").unwrap(), None);
    }

    #[test]
    fn unknown_fields_and_non_objects_are_refused() {
        let fields = Fields::json(json!({"titel": "x"})).unwrap();
        let error = fields.refuse_unknown(&["title"]).unwrap_err();
        assert!(error.english().starts_with("unknown field `titel`"));
        let error = Fields::json(json!([1])).unwrap_err();
        assert!(
            error
                .message()
                .starts_with("the body must be a JSON object")
        );
    }

    /// What people type reads as what they mean, from a form as from JSON.
    #[test]
    fn dates_and_money_are_read_as_typed() {
        let check = |date: &str, money: &str, expected: Option<u32>| {
            let form = pairs(&[("date", date), ("value", money)]);
            assert_eq!(form.date("date", now()).unwrap().to_string(), "2026-11-20");
            assert_eq!(form.optional_yuan("value").unwrap(), expected, "{money}");
            let json = Fields::json(json!({"date": date, "value": money})).unwrap();
            assert_eq!(json.date("date", now()).unwrap().to_string(), "2026-11-20");
            assert_eq!(json.optional_yuan("value").unwrap(), expected, "{money}");
        };
        check("2026/11/20", "400元", Some(400));
        check(" 2026.11.20 ", "400 元", Some(400));
        check("2026-11-20", "￥400", Some(400));
        check("２０２６年１１月２０日", "¥ ４００", Some(400));
        check("2026/11/20", "", None);

        let form = pairs(&[("value", "四百"), ("hours", "1.5"), ("date", "2026-11-25")]);
        let error = form.optional_yuan("value").unwrap_err();
        assert_eq!(error.chinese(), "须填整数金额（元），例如 400");
        assert_eq!(form.minutes_or_hours().unwrap(), 90);
        let error = form.date("date", now()).unwrap_err();
        assert_eq!(error.chinese(), "日期不能晚于今天");
        assert!(
            error.english().contains("after today"),
            "{}",
            error.english()
        );
        let too_long = pairs(&[("hours", "25")]).minutes_or_hours().unwrap_err();
        assert_eq!(too_long.field, "hours");
        assert_eq!(too_long.chinese(), "时长须大于 0 小时、不超过 24 小时");
    }

    #[test]
    fn lists_come_from_repeats_or_commas_in_a_form() {
        let form = pairs(&[
            ("specialties", "安全教育、普法, 调解"),
            ("intentions", "aid"),
            ("intentions", "health"),
        ]);
        let specialties = form
            .text_list("specialties", wishtree_protocol::text::Label::parse)
            .unwrap();
        assert_eq!(specialties.len(), 3);
        let intentions: Vec<wishtree_protocol::model::PostKind> =
            form.parsed_list("intentions", Expected::Choice).unwrap();
        assert_eq!(intentions.len(), 2);
    }
}
