//! Member cards on the member's page: the form that issues one (发放会员卡), the list of
//! the member's cards with the revocation form of each (吊销, with a reason), and the
//! printable card that the issue answers with — the QR code and the link, shown this
//! once, since the node keeps no card secret.

use maud::{Markup, PreEscaped, html};
use serde_json::Value;
use wishtree_protocol::Timestamp;
use wishtree_protocol::id::{CardId, MemberId};
use wishtree_protocol::model::CardRecord;
use wishtree_protocol::names::Language;

use super::forms::{Filled, Form, NOTHING_TYPED, Refusal, error_summary, field_error};
use super::html::{Row, StatusBar, page, post_form, submit, t, table, words};
use crate::api::DEFAULT_CARD_DAYS;

/// A refused card form on the member's page: the issue form, or one card's revocation.
#[derive(Debug, Clone, Copy)]
pub enum CardRefused<'a> {
    /// The issue form, as typed, and why.
    Issue(&'a Form, &'a Refusal),
    /// The revocation of a card, as typed, and why.
    Revoke(CardId, &'a Form, &'a Refusal),
}

/// The cards section of member `id`'s page: their cards, newest first, and the forms.
pub fn cards_section(
    lang: Language,
    id: MemberId,
    cards: &[(CardId, CardRecord)],
    now: Timestamp,
    refused: Option<CardRefused<'_>>,
) -> Markup {
    let (issue_form, issue_refusal) = match refused {
        Some(CardRefused::Issue(form, refusal)) => (form, Some(refusal)),
        _ => (&NOTHING_TYPED, None),
    };
    let issue = Filled::new(lang, issue_form, issue_refusal);
    let heads = words(
        lang,
        &[
            ("卡号", "Card"),
            ("发放时间", "Issued"),
            ("有效期至", "Expires"),
            ("状态", "State"),
            ("吊销", "Revoke"),
        ],
    );
    let rows = cards
        .iter()
        .map(|(card, record)| {
            let revoke_refused = match refused {
                Some(CardRefused::Revoke(which, form, refusal)) if which == *card => {
                    Some((form, refusal))
                }
                _ => None,
            };
            Row {
                class: record.is_revoked().then_some("flag"),
                cells: vec![
                    html! { code { (short(card)) } },
                    html! { (record.issued.display_in_shanghai().to_string()) },
                    html! { (record.expires.date_in_shanghai().to_string()) },
                    html! { (state(lang, record, now)) },
                    revoke_form(lang, *card, record, revoke_refused),
                ],
            }
        })
        .collect();
    html! {
        h2 #cards { (t(lang, "会员卡", "Member cards")) }
        p.hint {
            (t(
                lang,
                "会员卡是党员用手机登录市（区）平台的凭证（二维码）。补发新卡不会自动吊销旧卡；手机丢失时请先吊销旧卡再补发。",
                "A card opens the member's pages at the city hub from a phone (a QR code). A new card does not revoke the old ones; for a lost phone, revoke the old card, then issue a new one.",
            ))
        }
        (error_summary(lang, refused.map(|refused| match refused {
            CardRefused::Issue(_, refusal) | CardRefused::Revoke(_, _, refusal) => refusal,
        })))
        (table(lang, Some("member-cards"), &heads, rows))
        (post_form(
            "card",
            &format!("/members/{id}/cards"),
            Some("card-issue-form"),
            html! {
                label for="valid_days" { (t(lang, "有效天数", "Valid for (days)")) }
                input #valid_days name="valid_days" inputmode="numeric"
                    value=(match issue_form.value("valid_days") { "" => DEFAULT_CARD_DAYS.to_string(), typed => typed.to_owned() });
                (issue.error("valid_days"))
                (submit(t(lang, "发放会员卡", "Issue a card")))
            },
        ))
    }
}

/// The page a card's issue answers with (`card` is the API's answer): the card to
/// print or to scan now, with its QR code and link.
pub fn issued_card_page(
    lang: Language,
    member_name: &str,
    member: MemberId,
    card: &Value,
    status: &StatusBar,
) -> String {
    let text = |key: &str| card[key].as_str().unwrap_or_default().to_owned();
    let link = text("link");
    let expires = text("expires");
    let body = html! {
        div.member-card #issued-card {
            p.card-title { (status.community) " · " (t(lang, "党员服务卡", "Member card")) }
            p.card-name { (member_name) }
            // The SVG is the qrcode crate's drawing of the link: rects and a path, no
            // text of anyone's.
            div.qr #card-qr { (PreEscaped(text("qr_svg"))) }
            p { (t(lang, "有效期至 ", "Valid until ")) (expires.get(..10).unwrap_or(&expires)) }
            p.card-link { a #card-link href=(link) { (link) } }
        }
        @if !link.starts_with("http") {
            p.flag #no-hub-web {
                (t(
                    lang,
                    "本节点还没有设置市（区）平台的网址，链接只有路径部分：请在市（区）平台网址后加上这段路径；请运维人员为本节点设置市（区）平台网址。",
                    "This node has no hub web address, so the link is only a path: put the hub's address in front of it (wishtree-node init --hub-web).",
                ))
            }
        }
        p.hint {
            (t(
                lang,
                "请现在打印或让党员用手机扫码保存：卡上的密钥只显示这一次，本机不保存。",
                "Print it or let the member scan it now: the card's secret is shown this once and not kept here.",
            ))
        }
        p.no-print {
            button type="button" onclick="window.print()" { (t(lang, "打印", "Print")) }
            " "
            a href={ "/members/" (member.to_string()) "#cards" } { (t(lang, "返回党员页面", "Back to the member")) }
        }
    };
    page(
        lang,
        t(lang, "已发放会员卡", "Card issued"),
        status,
        "/members",
        body,
    )
}

/// The revocation form of a card that can still be revoked; why not, otherwise.
fn revoke_form(
    lang: Language,
    card: CardId,
    record: &CardRecord,
    refused: Option<(&Form, &Refusal)>,
) -> Markup {
    if record.is_revoked() {
        return html! { (record.revoked_reason.as_deref().unwrap_or_default()) };
    }
    let input_id = format!("revoke-{}", short(&card));
    let (typed, refusal) = match refused {
        Some((form, refusal)) => (form.value("reason"), Some(refusal)),
        None => ("", None),
    };
    post_form(
        "inline",
        &format!("/cards/{card}/revoke"),
        None,
        html! {
            label for=(input_id) { (t(lang, "吊销原因", "Reason")) }
            input id=(input_id) name="reason" value=(typed) required placeholder=(t(lang, "例如 手机丢失", "e.g. phone lost"));
            (field_error(lang, refusal, "reason"))
            button type="submit" { (t(lang, "吊销", "Revoke")) }
        },
    )
}

fn state(lang: Language, record: &CardRecord, now: Timestamp) -> String {
    match record.revoked_at {
        Some(at) => format!(
            "{} {}",
            t(lang, "已吊销", "Revoked"),
            at.display_in_shanghai()
        ),
        None if record.expires <= now => t(lang, "已过期", "Expired").to_owned(),
        None => t(lang, "有效", "Valid").to_owned(),
    }
}

/// The first eight hex digits of a card's id: enough to tell a member's cards apart.
fn short(card: &CardId) -> String {
    card.to_string()[..8].to_owned()
}
