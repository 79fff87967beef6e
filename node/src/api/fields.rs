//! Reading the fields of a JSON request body into the protocol's checked types, with
//! errors that name the field.
//!
//! Bodies are read field by field rather than derived with serde, so that every
//! refusal says which field was wrong and why ("estimated_value: must be a whole
//! number of yuan"), unknown fields are refused instead of silently dropped (a
//! misspelt `resident_phone` must not lose a phone number), and text goes through
//! the protocol's checks (`Name`, `Title`, …) once, where it enters.

use std::fmt::Display;
use std::str::FromStr;

use serde_json::{Map, Value};
use wishtree_protocol::text::TextError;

use super::ApiError;

/// The fields of one request body.
#[derive(Debug)]
pub struct Fields {
    map: Map<String, Value>,
}

impl Fields {
    /// Checks that `body` is an object whose fields are all in `allowed`.
    pub fn new(body: Value, allowed: &[&str]) -> Result<Self, ApiError> {
        let Value::Object(map) = body else {
            return Err(ApiError::bad_request(
                None,
                "the body must be a JSON object, e.g. {\"title\": \"…\"}",
            ));
        };
        if let Some(unknown) = map.keys().find(|key| !allowed.contains(&key.as_str())) {
            let shown: String = unknown.chars().take(40).collect();
            return Err(ApiError::bad_request(
                Some(shown.clone()),
                format!(
                    "unknown field `{shown}`; the fields are {}",
                    allowed.join(", ")
                ),
            ));
        }
        Ok(Self { map })
    }

    /// An empty body (for actions whose fields are all optional).
    pub fn empty() -> Self {
        Self { map: Map::new() }
    }

    /// Whether the field is given (present and not `null`).
    pub fn has(&self, field: &str) -> bool {
        !matches!(self.map.get(field), None | Some(Value::Null))
    }

    /// A required text field checked by one of the protocol's text types.
    pub fn text<T>(
        &self,
        field: &'static str,
        parse: fn(&'static str, &str) -> Result<T, TextError>,
    ) -> Result<T, ApiError> {
        let text = self.string(field)?.ok_or_else(|| missing(field))?;
        parse(field, text)
            .map_err(|error| ApiError::bad_request(Some(field.into()), error.to_string()))
    }

    /// An optional text field; missing or `null` reads as empty text.
    pub fn text_or_empty<T>(
        &self,
        field: &'static str,
        parse: fn(&'static str, &str) -> Result<T, TextError>,
    ) -> Result<T, ApiError> {
        let text = self.string(field)?.unwrap_or("");
        parse(field, text)
            .map_err(|error| ApiError::bad_request(Some(field.into()), error.to_string()))
    }

    /// A required field given as text and parsed (a kind, a date, an id, a code).
    pub fn parsed<T: FromStr>(&self, field: &'static str) -> Result<T, ApiError>
    where
        T::Err: Display,
    {
        self.optional_parsed(field)?.ok_or_else(|| missing(field))
    }

    /// An optional field given as text and parsed; missing, `null` or `""` is `None`.
    pub fn optional_parsed<T: FromStr>(&self, field: &'static str) -> Result<Option<T>, ApiError>
    where
        T::Err: Display,
    {
        match self.string(field)? {
            None | Some("") => Ok(None),
            Some(text) => text.trim().parse().map(Some).map_err(|error: T::Err| {
                ApiError::bad_request(Some(field.into()), format!("{field}: {error}"))
            }),
        }
    }

    /// A required whole number.
    pub fn number(&self, field: &'static str) -> Result<u32, ApiError> {
        self.optional_number(field)?.ok_or_else(|| missing(field))
    }

    /// An optional whole number; missing or `null` is `None`.
    pub fn optional_number(&self, field: &'static str) -> Result<Option<u32>, ApiError> {
        match self.map.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(number)) => number
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .map(Some)
                .ok_or_else(|| {
                    ApiError::bad_request(
                        Some(field.into()),
                        format!(
                            "{field} must be a whole number from 0 to 4294967295, not {number}"
                        ),
                    )
                }),
            Some(other) => Err(wrong_type(field, "a whole number", other)),
        }
    }

    /// An optional list of texts, each checked; missing or `null` is empty.
    pub fn text_list<T>(
        &self,
        field: &'static str,
        parse: fn(&'static str, &str) -> Result<T, TextError>,
    ) -> Result<Vec<T>, ApiError> {
        self.strings(field)?
            .into_iter()
            .map(|text| {
                parse(field, text)
                    .map_err(|error| ApiError::bad_request(Some(field.into()), error.to_string()))
            })
            .collect()
    }

    /// An optional list of parsed texts; missing or `null` is empty.
    pub fn parsed_list<T: FromStr>(&self, field: &'static str) -> Result<Vec<T>, ApiError>
    where
        T::Err: Display,
    {
        self.strings(field)?
            .into_iter()
            .map(|text| {
                text.trim().parse().map_err(|error: T::Err| {
                    ApiError::bad_request(Some(field.into()), format!("{field}: {error}"))
                })
            })
            .collect()
    }

    fn string(&self, field: &'static str) -> Result<Option<&str>, ApiError> {
        match self.map.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(other) => Err(wrong_type(field, "text", other)),
        }
    }

    fn strings(&self, field: &'static str) -> Result<Vec<&str>, ApiError> {
        match self.map.get(field) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => {
                if items.len() > 100 {
                    return Err(ApiError::bad_request(
                        Some(field.into()),
                        format!("{field} has {} items; at most 100 are allowed", items.len()),
                    ));
                }
                items
                    .iter()
                    .map(|item| match item {
                        Value::String(text) => Ok(text.as_str()),
                        other => Err(wrong_type(field, "a list of texts", other)),
                    })
                    .collect()
            }
            Some(other) => Err(wrong_type(field, "a list of texts", other)),
        }
    }
}

fn missing(field: &'static str) -> ApiError {
    ApiError::bad_request(Some(field.into()), format!("{field} is missing"))
}

fn wrong_type(field: &'static str, expected: &str, found: &Value) -> ApiError {
    let found = match found {
        Value::Null => "null",
        Value::Bool(_) => "true or false",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    };
    ApiError::bad_request(
        Some(field.into()),
        format!("{field} must be {expected}, not {found}"),
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use wishtree_protocol::Date;
    use wishtree_protocol::model::WishKind;
    use wishtree_protocol::text::Title;

    use super::*;

    fn message(error: ApiError) -> String {
        match error {
            ApiError::BadRequest { message, .. } => message,
            other => panic!("not a bad request: {other:?}"),
        }
    }

    #[test]
    fn errors_name_the_field() {
        let fields = Fields::new(
            json!({"title": "", "kind": "car", "date": "2026-02-30", "value": -1, "list": [1]}),
            &["title", "kind", "date", "value", "list", "absent"],
        )
        .unwrap();
        assert_eq!(
            message(fields.text("title", Title::parse).unwrap_err()),
            "title is empty"
        );
        assert!(
            message(fields.parsed::<WishKind>("kind").unwrap_err())
                .starts_with("kind: `car` is not a wish kind")
        );
        assert!(
            message(fields.parsed::<Date>("date").unwrap_err())
                .starts_with("date: `2026-02-30` is not a date")
        );
        assert!(
            message(fields.number("value").unwrap_err())
                .starts_with("value must be a whole number")
        );
        assert_eq!(
            message(fields.text_list("list", Title::parse).unwrap_err()),
            "list must be a list of texts, not a number"
        );
        assert_eq!(
            message(fields.number("absent").unwrap_err()),
            "absent is missing"
        );
        assert_eq!(fields.optional_number("absent").unwrap(), None);
    }

    #[test]
    fn unknown_fields_and_non_objects_are_refused() {
        assert!(
            message(Fields::new(json!({"titel": "x"}), &["title"]).unwrap_err())
                .starts_with("unknown field `titel`")
        );
        assert!(
            message(Fields::new(json!([1]), &["title"]).unwrap_err())
                .starts_with("the body must be a JSON object")
        );
    }
}
