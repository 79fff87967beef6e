//! The period form at the top of a page: from and to as typed (kept when refused, with
//! the reason beside it), the period in words, and preset periods a viewer of the
//! organisation department picks most (本年, 上半年, 下半年, 上月).

use maud::{Markup, html};
use wishtree_protocol::names::Language;
use wishtree_protocol::{Date, RegionPrefix};

use super::layout::{date_text, link, tr};
use crate::figures::Period;

/// The period form of one page.
pub(super) struct PeriodForm<'a> {
    /// The page the form asks again.
    pub(super) action: &'a str,
    /// The region the page shows.
    pub(super) region: &'a RegionPrefix,
    /// Other parameters the page keeps when its period changes (the ranking's order).
    pub(super) keep: Vec<(&'static str, String)>,
    /// What the from field holds: the period's first day, or what was typed.
    pub(super) from: String,
    /// What the to field holds.
    pub(super) to: String,
    /// Why the typed period was refused, in the page's language.
    pub(super) problem: Option<String>,
    /// Today, by the hub's clock in Shanghai, for the presets.
    pub(super) today: Date,
}

impl PeriodForm<'_> {
    /// The form in `lang`.
    pub(super) fn render(&self, lang: Language) -> Markup {
        let invalid = if self.problem.is_some() {
            "true"
        } else {
            "false"
        };
        html! {
            form.period method="get" action=(self.action) aria-describedby=[self.problem.as_ref().map(|_| "period-error")] {
                input type="hidden" name="region" value=(self.region.as_str());
                @for (key, value) in &self.keep {
                    input type="hidden" name=(key) value=(value);
                }
                @if lang == Language::English {
                    input type="hidden" name="lang" value="en";
                }
                b { (tr(lang, "统计期间", "Period")) }
                label for="period-from" { (tr(lang, "自", "from")) }
                input #period-from type="text" name="from" value=(self.from) inputmode="numeric"
                    placeholder="2026-01-01" autocomplete="off" aria-invalid=(invalid);
                label for="period-to" { (tr(lang, "至", "to")) }
                input #period-to type="text" name="to" value=(self.to) inputmode="numeric"
                    placeholder="2026-12-31" autocomplete="off" aria-invalid=(invalid);
                button type="submit" { (tr(lang, "查询", "Show")) }
                span.presets {
                    @for (label, period) in presets(lang, self.today) {
                        a href=(self.preset_link(&period, lang)) { (label) }
                    }
                    a href=(self.preset_link(&Period::all(), lang)) { (tr(lang, "全部时间", "All time")) }
                }
            }
            @if let Some(problem) = &self.problem {
                p.error #period-error role="alert" data-error { (problem) }
            }
        }
    }

    fn preset_link(&self, period: &Period, lang: Language) -> String {
        let mut pairs: Vec<(&str, &str)> = vec![("region", self.region.as_str())];
        pairs.extend(self.keep.iter().map(|(key, value)| (*key, value.as_str())));
        let (from, to) = (date_text(period.from()), date_text(period.to()));
        pairs.push(("from", &from));
        pairs.push(("to", &to));
        link(self.action, &pairs, lang)
    }
}

/// A period in words: 2026-01-01 至 2026-06-30, or all time.
pub(super) fn described(lang: Language, period: &Period) -> String {
    match (lang, period.is_all()) {
        (Language::Chinese, true) => "全部时间".to_owned(),
        (Language::English, true) => "all time".to_owned(),
        (Language::Chinese, false) => format!(
            "{} 至 {}",
            period
                .from()
                .map_or_else(|| "最早".to_owned(), |d| d.to_string()),
            period
                .to()
                .map_or_else(|| "今天".to_owned(), |d| d.to_string())
        ),
        (Language::English, false) => period.to_string(),
    }
}

/// This year, its halves and last month, as of `today`.
fn presets(lang: Language, today: Date) -> Vec<(&'static str, Period)> {
    let year = today.year();
    let day = |month, day| Date::new(year, month, day);
    let span = |from: Option<Date>, to: Option<Date>| Period::new(from, to).ok();
    let first_of_month = Date::new(year, today.month(), 1);
    let last_month_end = first_of_month.map(|first| Date::from_days(first.to_days() - 1));
    let last_month_start = last_month_end.and_then(|end| Date::new(end.year(), end.month(), 1));
    [
        (tr(lang, "本年", "This year"), span(day(1, 1), day(12, 31))),
        (
            tr(lang, "上半年", "First half"),
            span(day(1, 1), day(6, 30)),
        ),
        (
            tr(lang, "下半年", "Second half"),
            span(day(7, 1), day(12, 31)),
        ),
        (
            tr(lang, "上月", "Last month"),
            span(last_month_start, last_month_end),
        ),
    ]
    .into_iter()
    .filter_map(|(label, period)| Some((label, period?)))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_follow_today() {
        let check = |today: &str, expected: [&str; 4]| {
            let today: Date = today.parse().unwrap();
            let shown: Vec<String> = presets(Language::Chinese, today)
                .iter()
                .map(|(label, period)| format!("{label} {}", described(Language::Chinese, period)))
                .collect();
            assert_eq!(shown, expected);
        };
        check(
            "2026-12-02",
            [
                "本年 2026-01-01 至 2026-12-31",
                "上半年 2026-01-01 至 2026-06-30",
                "下半年 2026-07-01 至 2026-12-31",
                "上月 2026-11-01 至 2026-11-30",
            ],
        );
        check(
            "2026-01-15",
            [
                "本年 2026-01-01 至 2026-12-31",
                "上半年 2026-01-01 至 2026-06-30",
                "下半年 2026-07-01 至 2026-12-31",
                "上月 2025-12-01 至 2025-12-31",
            ],
        );
    }
}
