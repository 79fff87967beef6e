//! What was wrong with one field of a write ([`FieldError`]), said in English for the
//! JSON API and the CLI and in Chinese for the web UI, which shows it at the field.

use std::fmt;

use wishtree_protocol::Date;
use wishtree_protocol::text::{PhoneError, TextError};

/// A field at fault and what was wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field, as the JSON API, the form and the CLI name it.
    pub field: String,
    /// What was wrong.
    pub problem: Problem,
}

/// What was wrong with a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Not given, and needed.
    Missing,
    /// The value is well formed, but a rule of the record refuses it (a unit that sent
    /// no letter of intent, shares over 100%).
    Refused(wishtree_protocol::lifecycle::Refusal),
    /// Text the protocol refused: empty, too long, or with an invisible character.
    Text(TextError),
    /// Not one of the values the field takes; `english` says why in the API's words.
    Invalid {
        /// What kind of value the field takes.
        what: Expected,
        /// The parser's own message.
        english: String,
    },
    /// Not a phone number: a mobile, a landline with its area code, or a local number.
    Phone(PhoneError),
    /// Not a date (the text, cut to 40 characters).
    NotADate(String),
    /// A date after today: what is recorded must have happened.
    InFuture {
        /// The date given.
        date: Date,
        /// Today, by the node's clock.
        today: Date,
    },
    /// Not a whole number (the text).
    NotANumber(String),
    /// Not a whole number of yuan (the text).
    NotYuan(String),
    /// Not a number of hours (the text).
    NotHours(String),
    /// A number outside what the field allows, e.g. `between 1 and 1440`.
    OutOfRange {
        /// The rule, in English.
        rule: &'static str,
    },
    /// A JSON value of the wrong type.
    WrongType {
        /// What the field takes.
        expected: &'static str,
        /// What was given.
        found: &'static str,
    },
    /// A JSON field the input does not have.
    Unknown {
        /// The fields it has.
        allowed: String,
    },
    /// A list with more than 100 items (how many).
    TooManyItems(usize),
    /// A claim with no claimant chosen.
    NoClaimant,
    /// A claimant who may not claim this: a worker, or a member for a project.
    NotAClaimant,
    /// Neither or both of two fields of which exactly one is needed (the other one).
    OneOf(&'static str),
    /// Another collection round of the community has this name.
    RoundNameTaken,
    /// The round's days overlap another round's (its name).
    RoundsOverlap(String),
    /// The wish is in this round already (its name, or `no round (未分批)`).
    InRoundAlready(String),
    /// A street-level record on a node that is not the street's host.
    Street(wishtree_protocol::street::StreetRefusal),
    /// The unit has a party organisation of this name in the community already.
    PartyOrgTaken,
}

/// What kind of value a parsed field takes, for the Chinese message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    /// One of a list of codes (a kind, a group, a category).
    Choice,
    /// The id of a record.
    Id,
    /// A unified social credit code.
    CreditCode,
    /// A member or organisation who claims.
    Claimant,
    /// A half-year, e.g. `2026H1`.
    Period,
    /// A unit's share of a project, a whole percent.
    Share,
}

impl FieldError {
    /// The error of `field`.
    pub fn new(field: impl Into<String>, problem: Problem) -> Self {
        Self {
            field: field.into(),
            problem,
        }
    }

    /// The message in English, naming the field: what the JSON API and the CLI say.
    pub fn english(&self) -> String {
        let field = &self.field;
        match &self.problem {
            Problem::Missing => format!("{field} is missing"),
            Problem::Refused(refusal) => format!("{field}: {refusal}"),
            Problem::Text(error) => error.to_string(),
            Problem::Invalid { english, .. } => format!("{field}: {english}"),
            Problem::Phone(error) => error.to_string(),
            Problem::NotADate(text) => {
                format!("{field}: `{text}` is not a date; write it as YYYY-MM-DD, e.g. 2026-11-23")
            }
            Problem::InFuture { date, today } => {
                format!("{field}: {date} is after today ({today}); record only what has happened")
            }
            Problem::NotANumber(text) => {
                format!("{field} must be a whole number from 0 to 4294967295, not {text}")
            }
            Problem::NotYuan(text) => {
                format!("{field}: `{text}` is not a whole number of yuan, e.g. 400")
            }
            Problem::NotHours(text) => {
                format!("{field}: `{text}` is not a number of hours, e.g. 1.5")
            }
            Problem::OutOfRange { rule } => format!("{field} must be {rule}"),
            Problem::WrongType { expected, found } => {
                format!("{field} must be {expected}, not {found}")
            }
            Problem::Unknown { allowed } => {
                format!("unknown field `{field}`; the fields are {allowed}")
            }
            Problem::TooManyItems(count) => {
                format!("{field} has {count} items; at most 100 are allowed")
            }
            Problem::NoClaimant => format!(
                "{field} is missing: give the member (member:<id>) or organisation (org:<id>) who claims"
            ),
            Problem::NotAClaimant => format!(
                "{field} must be the member (member:<id>) or organisation (org:<id>) who claims"
            ),
            Problem::OneOf(other) => format!("give exactly one of {field} and {other}"),
            Problem::RoundNameTaken => {
                format!("{field}: the community already has a round of this name")
            }
            Problem::RoundsOverlap(other) => {
                format!(
                    "{field}: the round's days overlap round {other}; a day belongs to one round"
                )
            }
            Problem::InRoundAlready(round) => {
                format!("{field}: the wish is in {round} already; choose another round")
            }
            Problem::Street(refusal) => format!("{field}: {refusal}"),
            Problem::PartyOrgTaken => format!(
                "{field}: the unit already has a party organisation of this name; choose it from the list"
            ),
        }
    }

    /// The message in Chinese, for the web UI to show beside the field.
    pub fn chinese(&self) -> String {
        match &self.problem {
            Problem::Missing => "请填写此项".to_owned(),
            Problem::Refused(refusal) => refusal.describe_zh(),
            Problem::Text(TextError::Empty { .. }) => "不能为空".to_owned(),
            Problem::Text(TextError::TooLong { length, limit, .. }) => {
                format!("太长了：最多 {limit} 个字，现有 {length} 个字")
            }
            Problem::Text(TextError::Invisible { code, position, .. }) => {
                format!("第 {position} 个字是看不见的控制字符（U+{code:04X}），请删去")
            }
            Problem::Invalid { what, .. } => match what {
                Expected::Choice => "请从列表中选择",
                Expected::Id => "编号不对，请从列表中选择",
                Expected::CreditCode => {
                    "统一社会信用代码不对：应为 18 位，最后一位是校验码，请对照营业执照核对"
                }
                Expected::Claimant => "请选择认领人",
                Expected::Period => "半年度的写法不对，例如 2026H1（上半年）、2026H2（下半年）",
                Expected::Share => "份额须为 1 到 100 的整数百分比，例如 40",
            }
            .to_owned(),
            Problem::Phone(error) => error.describe_zh(),
            Problem::NotADate(text) => format!("“{text}”不是有效的日期，请写成 2026-11-20"),
            Problem::InFuture { .. } => "日期不能晚于今天".to_owned(),
            Problem::NotANumber(_) => "须填整数".to_owned(),
            Problem::NotYuan(_) => "须填整数金额（元），例如 400".to_owned(),
            Problem::NotHours(_) => "须填小时数，例如 1.5".to_owned(),
            Problem::OutOfRange { rule } => out_of_range_zh(&self.field, rule).to_owned(),
            Problem::WrongType { .. } => "格式不对".to_owned(),
            Problem::Unknown { .. } => "没有这一项".to_owned(),
            Problem::TooManyItems(_) => "最多填 100 项".to_owned(),
            Problem::NoClaimant => "请选择认领人".to_owned(),
            Problem::NotAClaimant => "只能由党员或单位认领".to_owned(),
            Problem::OneOf(_) => "请在服务记录和积分记录中选一项".to_owned(),
            Problem::RoundNameTaken => "已有同名的批次，请换一个名称".to_owned(),
            Problem::RoundsOverlap(other) => {
                format!("与“{other}”的日期重叠：同一天只能属于一个批次")
            }
            Problem::InRoundAlready(_) => "心愿已在这个批次中，请选择另一个批次".to_owned(),
            Problem::Street(refusal) => refusal.message_zh(),
            Problem::PartyOrgTaken => "该单位已有同名的党组织，请从列表中选择".to_owned(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.english())
    }
}

/// The protocol's ranges, in Chinese, by the field they bound (and the rule, where a
/// field has two bounds).
fn out_of_range_zh(field: &str, rule: &str) -> &'static str {
    match field {
        "points" if rule == "at most 1000" => "积分不能超过 1000",
        "minutes" => "时长须在 1 到 1440 分钟之间",
        "hours" => "时长须大于 0 小时、不超过 24 小时",
        "seats" => "名额须在 1 到 1000 之间",
        "estimated_value" => "估价不能超过 1000000 元",
        "points" => "积分至少为 1",
        "points_per_hour" => "每小时积分不能超过 1000",
        "cost" => "所需积分至少为 1",
        "valid_days" => "有效天数须在 1 到 1825 天（五年）之间",
        _ => "超出允许的范围",
    }
}
