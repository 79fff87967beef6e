//! The steps that end or undo a wish — 驳回 (reject), 撤回 (withdraw), 放弃认领
//! (release) — asked twice: a confirmation page that says what will happen and asks
//! the reason (kept as the lifecycle event's note, in the wish's history), with a way
//! back; and the list of closed wishes (已关闭), rejected or withdrawn, with their reason.
//! Both work without JavaScript: the confirmation is a GET page whose form posts.

use maud::{Markup, html};
use wishtree_protocol::id::WishId;
use wishtree_protocol::lifecycle::{ClaimState, ClaimStatus, Outcome};
use wishtree_protocol::model::{EventKind, Wish};
use wishtree_protocol::names::Language;
use wishtree_protocol::view::{CommunityView, WithStatus};

use super::forms::{Filled, Form, Refusal};
use super::html::{Row, StatusBar, csv_link, page, post_form, t, table, words};
use super::paging::Page;
use super::tree::{actor_name, state_label};

/// A step that ends or undoes a wish, and so is confirmed first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closing {
    /// 驳回: the community refuses a submitted wish.
    Reject,
    /// 撤回: the wish is taken back, whatever its state.
    Withdraw,
    /// 放弃认领: the claimant gives the wish back to the tree.
    Release,
    /// 终止: a project ends before it is done (projects only).
    Terminate,
}

impl Closing {
    /// The step of an event kind, if that kind is confirmed first.
    pub fn of(kind: EventKind) -> Option<Self> {
        match kind {
            EventKind::Reject => Some(Self::Reject),
            EventKind::Withdraw => Some(Self::Withdraw),
            EventKind::Release => Some(Self::Release),
            EventKind::Terminate => Some(Self::Terminate),
            _ => None,
        }
    }

    /// Whether the step must say why: a wish that leaves the tree for good must keep
    /// its reason; a released claim may give one.
    pub fn needs_reason(self) -> bool {
        matches!(self, Self::Reject | Self::Withdraw | Self::Terminate)
    }

    /// The path segment of the step.
    pub fn code(self) -> &'static str {
        match self {
            Self::Reject => "reject",
            Self::Withdraw => "withdraw",
            Self::Release => "release",
            Self::Terminate => "terminate",
        }
    }

    /// The button's words.
    pub fn label(self, lang: Language) -> &'static str {
        match self {
            Self::Reject => t(lang, "驳回", "Reject"),
            Self::Withdraw => t(lang, "撤回", "Withdraw"),
            Self::Release => t(lang, "放弃认领", "Release the claim"),
            Self::Terminate => t(lang, "终止项目", "Terminate"),
        }
    }

    /// What the step says of a wish.
    fn wish_words(self) -> Words {
        let (question, consequence) = match self {
            Self::Reject => (
                ("驳回这个心愿？", "Reject this wish?"),
                (
                    "驳回后心愿不会上树，转入“已关闭”列表，理由记入办理经过。",
                    "The wish will not go on the tree; it moves to the closed list, and the reason is kept in its history.",
                ),
            ),
            // A wish is not terminated; its words are a withdrawal's.
            Self::Withdraw | Self::Terminate => (
                ("撤回这个心愿？", "Withdraw this wish?"),
                (
                    "撤回后心愿从心愿树上取下，转入“已关闭”列表，理由记入办理经过。",
                    "The wish comes off the tree and moves to the closed list; the reason is kept in its history.",
                ),
            ),
            Self::Release => (
                ("放弃对这个心愿的认领？", "Release the claim on this wish?"),
                (
                    "放弃后心愿重新挂回心愿树，等待他人认领。",
                    "The wish goes back on the tree for someone else to claim.",
                ),
            ),
        };
        self.words(question, consequence)
    }

    /// The words of the step, its button its label.
    pub fn words(
        self,
        question: (&'static str, &'static str),
        consequence: (&'static str, &'static str),
    ) -> Words {
        let button = (self.label(Language::Chinese), self.label(Language::English));
        Words {
            question,
            consequence,
            button,
        }
    }

    /// The confirmation of the step for the record at `record`.
    pub fn confirm(self, record: String, nav: &'static str) -> Confirm<'static> {
        Confirm::new(record, self.code(), self.needs_reason(), nav)
    }
}

/// The confirmation page of `closing` for one wish, with the reason typed so far
/// (`note` of `form`) and why the last attempt was refused.
pub fn confirm_page(
    lang: Language,
    view: &CommunityView,
    id: WishId,
    closing: Closing,
    status: &StatusBar,
    form: &Form,
    refusal: Option<&Refusal>,
) -> Option<String> {
    let wish = view.wishes.get(&id)?;
    let what = html! {
        p {
            b { (wish.entity.title) }
            " · " (wish.entity.resident_label) " · " (state_label(lang, wish.status.state))
        }
    };
    let filled = Filled::new(lang, form, refusal);
    let confirm = closing.confirm(format!("/wishes/{id}"), "/");
    Some(confirmation_page(
        &filled,
        status,
        what,
        &confirm,
        &closing.wish_words(),
    ))
}

/// What a confirmed step says, each as (Chinese, English): its question (the page's
/// title), what it will do, and its button.
#[derive(Debug, Clone, Copy)]
pub struct Words {
    /// The question, e.g. 撤销这个服务岗位？
    pub question: (&'static str, &'static str),
    /// What will happen.
    pub consequence: (&'static str, &'static str),
    /// The confirming button.
    pub button: (&'static str, &'static str),
}

/// A step confirmed on a page of its own: the record's page (the way back; the form
/// posts to `{record}/{code}`), the step's code (naming the button `confirm-{code}`),
/// whether it must say why, and the navigation link to mark.
#[derive(Debug, Clone)]
pub struct Confirm<'a> {
    record: String,
    code: &'a str,
    needs_reason: bool,
    nav: &'a str,
}

impl<'a> Confirm<'a> {
    /// The step `code` of the record at `record`.
    pub fn new(record: String, code: &'a str, needs_reason: bool, nav: &'a str) -> Self {
        Self {
            record,
            code,
            needs_reason,
            nav,
        }
    }
}

/// The page that confirms a step: the question as its title, `what` the record is,
/// what the step will do, and the form ([`confirm_form`]) with the reason typed so
/// far and why the last attempt was refused.
pub fn confirmation_page(
    filled: &Filled,
    status: &StatusBar,
    what: Markup,
    confirm: &Confirm,
    words: &Words,
) -> String {
    let lang = filled.lang;
    let say = |(zh, en): (&'static str, &'static str)| t(lang, zh, en);
    let body = html! {
        (what)
        p { (say(words.consequence)) }
        (confirm_form(filled, confirm, say(words.button)))
    };
    page(lang, say(words.question), status, confirm.nav, body)
}

/// The form of a confirmation: the reason (kept in the record's history) as typed so
/// far with why it was refused, the confirming button and the way back.
fn confirm_form(filled: &Filled, confirm: &Confirm, button: &str) -> Markup {
    let lang = filled.lang;
    let reason_label = if confirm.needs_reason {
        t(
            lang,
            "理由（必填，记入办理经过）",
            "Reason (required, kept in the history)",
        )
    } else {
        t(lang, "理由（可不填）", "Reason (optional)")
    };
    let fields = html! {
        (filled.summary())
        (filled.textarea("note", reason_label, confirm.needs_reason))
        p {
            button type="submit" id={ "confirm-" (confirm.code) } { (button) }
            a.button.cancel #cancel href=(confirm.record) { (t(lang, "取消", "Cancel")) }
        }
    };
    let action = format!("{}/{}", confirm.record, confirm.code);
    post_form("card", &action, Some("confirm-form"), fields)
}

/// The wishes rejected or withdrawn, the last closed first, `list_page` of them, each
/// with when, by whom and why.
pub fn closed_page(
    lang: Language,
    view: &CommunityView,
    status: &StatusBar,
    list_page: Option<&str>,
) -> String {
    let mut closed: Vec<(WishId, &WithStatus<Wish, ClaimStatus>, Option<&Closed>)> = view
        .wishes
        .iter()
        .filter(|(_, wish)| is_closed(wish.status.state))
        .map(|(id, wish)| (*id, wish, closing_event(&wish.status)))
        .collect();
    closed.sort_by_key(|(id, _, event)| (std::cmp::Reverse(event.map(|e| e.at)), *id));
    let shown = Page::of(list_page, closed.len());
    let rows = shown
        .slice(closed)
        .into_iter()
        .map(|(id, wish, event)| {
            Row::new(vec![
                html! { a href={ "/wishes/" (id.to_string()) } { (wish.entity.title) } },
                html! { (wish.entity.resident_label) },
                html! { (state_label(lang, wish.status.state)) },
                html! { @if let Some(event) = event { (event.at.display_in_shanghai().to_string()) } },
                html! { @if let Some(event) = event { (actor_name(view, &event.by)) } },
                html! { @if let Some(event) = event { (event.note) } },
            ])
        })
        .collect();
    let heads = words(
        lang,
        &[
            ("心愿", "Wish"),
            ("居民", "Resident"),
            ("状态", "State"),
            ("关闭时间", "Closed"),
            ("操作人", "By"),
            ("理由", "Reason"),
        ],
    );
    let body = html! {
        p { a href="/" { (t(lang, "返回心愿树", "Back to the wish tree")) } }
        (table(lang, Some("closed"), &heads, rows))
        (shown.links(lang, "/wishes/closed", "closed"))
        // The wish ledger of the half-year has every wish, closed ones with their
        // reason.
        (csv_link(lang, "wishes-csv", "/wishes.csv"))
    };
    page(
        lang,
        t(lang, "已关闭的心愿", "Closed wishes"),
        status,
        "/",
        body,
    )
}

/// How many wishes are closed, for the link from the tree.
pub fn closed_count(view: &CommunityView) -> usize {
    view.wishes
        .values()
        .filter(|wish| is_closed(wish.status.state))
        .count()
}

type Closed = wishtree_protocol::model::LifecycleEvent;

fn is_closed(state: ClaimState) -> bool {
    matches!(state, ClaimState::Rejected | ClaimState::Withdrawn)
}

/// The event that closed a closed wish: the last reject or withdraw that took effect.
pub fn closing_event(status: &ClaimStatus) -> Option<&Closed> {
    if !is_closed(status.state) {
        return None;
    }
    status
        .history
        .iter()
        .rev()
        .filter(|folded| matches!(folded.outcome, Outcome::Applied))
        .map(|folded| &folded.event)
        .find(|event| matches!(event.kind, EventKind::Reject | EventKind::Withdraw))
}
