//! Why a form's command was refused, as the page shows it: the status, and the words
//! (beside the field at fault when a field is, at the top of the form otherwise), in
//! the reader's language where the rules have words.

use axum::http::StatusCode;
use wishtree_protocol::names::Language;

use super::super::forms::Refusal;
use crate::api::{FieldError, Problem};
use crate::replica::ExecuteError;

/// The status of a refused command: 409 for a rule, 404 for a missing record.
pub(super) fn execute_status(error: &ExecuteError) -> StatusCode {
    use wishtree_protocol::command::CommandError;
    match error {
        ExecuteError::Command(CommandError::NotFound { .. }) => StatusCode::NOT_FOUND,
        ExecuteError::Command(
            CommandError::OutOfRange { .. } | CommandError::ReasonRequired { .. },
        ) => StatusCode::BAD_REQUEST,
        ExecuteError::Command(CommandError::Doc(_)) => StatusCode::INTERNAL_SERVER_ERROR,
        ExecuteError::Command(_) => StatusCode::CONFLICT,
        ExecuteError::NoSuchEntity { .. } => StatusCode::NOT_FOUND,
        ExecuteError::Store(_) | ExecuteError::Poisoned(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}

/// Why a command was refused: a range the protocol checks is a field's fault, shown
/// at the field; anything else is said at the top of the form.
pub(super) fn refusal(lang: Language, error: &ExecuteError) -> Refusal {
    use wishtree_protocol::command::CommandError;
    use wishtree_protocol::lifecycle::Refusal as Rule;
    match error {
        ExecuteError::Command(CommandError::OutOfRange { field, rule }) => {
            Refusal::Field(FieldError::new(*field, Problem::OutOfRange { rule }))
        }
        ExecuteError::Command(CommandError::ReasonRequired { .. }) => {
            Refusal::Field(FieldError::new("note", Problem::Missing))
        }
        // A project's rules that are about the units a form names: beside the field.
        ExecuteError::Command(CommandError::Refused { refusal }) => match refusal {
            Rule::IntentAlreadySent => {
                Refusal::Field(FieldError::new("unit", Problem::Refused(refusal.clone())))
            }
            Rule::NoIntent | Rule::SharesOver { .. } => {
                Refusal::Field(FieldError::new("units", Problem::Refused(refusal.clone())))
            }
            _ => Refusal::Rule(execute_message(lang, error)),
        },
        ExecuteError::Command(CommandError::NoUnits) => {
            Refusal::Field(FieldError::new("units", Problem::Missing))
        }
        ExecuteError::Command(CommandError::Street(refusal)) => {
            Refusal::Field(FieldError::new("party", Problem::Street(refusal.clone())))
        }
        ExecuteError::Command(CommandError::PartyOrgTaken { .. }) => {
            Refusal::Field(FieldError::new("party_org", Problem::PartyOrgTaken))
        }
        other => match crate::api::round_field_error(other) {
            Some(at_field) => Refusal::Field(at_field),
            None => Refusal::Rule(execute_message(lang, other)),
        },
    }
}

/// Why a command was refused, in the reader's language where the rules have words.
pub(super) fn execute_message(lang: Language, error: &ExecuteError) -> String {
    use wishtree_protocol::command::CommandError;
    match (lang, error) {
        (Language::Chinese, ExecuteError::Command(CommandError::Refused { refusal })) => {
            format!("操作未生效：{}", refusal.describe_zh())
        }
        (
            Language::Chinese,
            ExecuteError::Command(CommandError::InsufficientPoints { balance, asked }),
        ) => {
            format!("积分不足：余额 {balance}，不能支取 {asked}")
        }
        (Language::Chinese, ExecuteError::Command(CommandError::BenefitWithdrawn { .. })) => {
            "这项福利已经撤下，不能再兑换".to_owned()
        }
        (Language::Chinese, ExecuteError::Command(CommandError::OutOfStock { .. })) => {
            "这项福利已经兑换完了".to_owned()
        }
        (Language::Chinese, ExecuteError::Command(CommandError::RoundClosed { name })) => {
            format!("“{name}”已经截止，不能再次截止")
        }
        (Language::Chinese, ExecuteError::Command(CommandError::RoundNotOpen { name, opens })) => {
            format!("“{name}”要到 {opens} 才开始征集，开始前不能截止")
        }
        (Language::Chinese, ExecuteError::Command(CommandError::AlreadyParticipating)) => {
            "该党员已确认出勤，不能重复记录".to_owned()
        }
        (Language::Chinese, ExecuteError::Command(CommandError::Attendance(error))) => {
            error.message_zh()
        }
        (
            Language::Chinese,
            ExecuteError::Command(CommandError::NotFound { .. })
            | ExecuteError::NoSuchEntity { .. },
        ) => "操作未保存：所选的记录不存在，请从列表中重新选择".to_owned(),
        (
            Language::Chinese,
            ExecuteError::Command(CommandError::AlreadyExists { kind: "seal", .. }),
        ) => "这个半年度已经封存，不能再次封存".to_owned(),
        (Language::Chinese, ExecuteError::Command(CommandError::NotSealed { period })) => {
            format!("{}尚未封存：请先封存，再评价党员", period.label_zh())
        }
        (Language::Chinese, ExecuteError::Command(CommandError::AlreadyExists { .. })) => {
            "操作未保存：这条记录已经存在".to_owned()
        }
        (Language::Chinese, ExecuteError::Command(CommandError::AlreadyVoided { .. })) => {
            "操作未保存：这条记录已经作废".to_owned()
        }
        (Language::Chinese, ExecuteError::Command(CommandError::AlreadyRevoked { .. })) => {
            "操作未保存：这张会员卡已经吊销".to_owned()
        }
        (
            Language::Chinese,
            ExecuteError::Command(CommandError::PeriodNotOver { period, from }),
        ) => {
            format!("{}尚未结束，{from} 起才能封存", period.label_zh())
        }
        // A store failure or a broken document: the details are for the operator, in
        // the log; the worker is told what to do.
        (Language::Chinese, other) => {
            tracing::error!(error = %other, "a write from the web UI failed");
            "操作未保存：系统出错（详情已记入日志），请联系管理员".to_owned()
        }
        (Language::English, other) => other.to_string(),
    }
}
