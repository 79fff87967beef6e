//! The seal of a half-year on the report page (报到—服务—报告): the mark that the
//! period is closed and its signature holds, the button that closes a period that is
//! over, the community's evaluation of the member once it is sealed, and the records
//! written after the seal that would have changed it, listed apart and never counted
//! in the sealed figures.

use maud::{Markup, html};
use wishtree_protocol::Date;
use wishtree_protocol::model::EvaluationGrade;
use wishtree_protocol::names::Language;

use super::html::{Row, post_form, select_field, submit, t, table};
use crate::report::SealedReport;

/// The seal section of `report`'s page; `today` by the node's clock decides whether
/// the period can be sealed, `error` is why sealing was just refused.
pub fn seal_section(
    lang: Language,
    report: &SealedReport,
    today: Date,
    error: Option<&str>,
) -> Markup {
    let period = report.report.period;
    let can_seal_from = period.day_after();
    html! {
        section #seal {
            @if let Some(error) = error {
                p.error role="alert" { (error) }
            }
            @match &report.seal {
                Some(seal) if seal.verified => p.notice #seal-mark {
                    (t(lang, "已封存", "Sealed")) " " (seal.at.date_in_shanghai().to_string()) " · "
                    (t(lang, "社区签名已核验，本报告以封存时的记录为准",
                        "the community's signature holds; this report is of the records as sealed"))
                },
                Some(seal) => p.error #seal-mark {
                    (t(lang, "封存签名未通过核验：", "The seal does not hold: "))
                    (seal.problem.as_deref().unwrap_or_default())
                },
                None if today >= can_seal_from => (post_form("card no-print", "/reports/seal", Some("seal-form"), html! {
                    input type="hidden" name="member" value=(report.report.member.to_string());
                    input type="hidden" name="period" value=(period.to_string());
                    p { (t(lang,
                        "本半年度已结束。封存后，报告以封存时的记录为准，由社区签名，任何持有数据的人都可核对；之后补录或更正的记录会单独列出。",
                        "This half-year is over. Once sealed, reports are of the records as they are now, signed by the community so anyone holding the data can check them; records written later are listed apart.")) }
                    (submit(t(lang, "封存本半年度", "Seal this half-year")))
                })),
                None => p.muted.no-print {
                    (t(lang, "本半年度结束后可以封存，自 ", "This half-year can be sealed from "))
                    (can_seal_from.to_string())
                },
            }
            @if report.seal.is_some() {
                (evaluation_form(lang, report))
            }
            @if !report.amendments.is_empty() {
                h2 { (t(lang, "封存后的补录与更正（不计入本报告）", "Written after the seal (not counted here)")) }
                (table(
                    lang,
                    Some("amendments"),
                    &[t(lang, "类别", "Record"), t(lang, "日期", "Date"), t(lang, "内容", "What"), t(lang, "变化", "Change")],
                    report.amendments.iter().map(|amendment| Row::new(vec![
                        html! { (amendment.record.label(lang)) },
                        html! { (amendment.date.map(|d| d.to_string()).unwrap_or_default()) },
                        html! { (amendment.title) },
                        html! { (amendment.change.label(lang)) },
                    ])).collect(),
                ))
            }
        }
    }
}

/// The community's evaluation of the member for the sealed period (社区评价): what was
/// recorded, and the form that records or corrects it.
fn evaluation_form(lang: Language, report: &SealedReport) -> Markup {
    let evaluation = report.evaluation.as_ref();
    let chosen = evaluation.map_or("", |evaluation| evaluation.grade.code());
    let grades = EvaluationGrade::ALL
        .iter()
        .map(|grade| (grade.code(), lang.pick(grade.label_zh(), grade.label_en())));
    html! {
        @if let Some(evaluation) = evaluation {
            p #evaluation {
                b { (t(lang, "社区评价：", "The community's evaluation: ")) }
                span #evaluation-grade { (lang.pick(evaluation.grade.label_zh(), evaluation.grade.label_en())) }
                @if !evaluation.comment.is_empty() { " — " (evaluation.comment) }
            }
        }
        (post_form("card no-print", "/reports/evaluate", Some("evaluation-form"), html! {
            input type="hidden" name="member" value=(report.report.member.to_string());
            input type="hidden" name="period" value=(report.report.period.to_string());
            (select_field("grade", t(lang, "评价等次", "Grade"), grades, chosen))
            label for="comment" { (t(lang, "评语", "Comment")) }
            textarea id="comment" name="comment" rows="3" {
                (evaluation.map_or("", |evaluation| evaluation.comment.as_str()))
            }
            (submit(if evaluation.is_some() {
                t(lang, "更正评价", "Correct the evaluation")
            } else {
                t(lang, "保存评价", "Save the evaluation")
            }))
        }))
    }
}
