//! Charts drawn on the server as inline SVG: horizontal bars (regions), columns
//! (months), lines (monthly wishes) and the wish funnel.
//!
//! Hand-written rather than with plotters: these four shapes are a few dozen lines
//! each, the browser lays out the Chinese text with the page's own fonts (plotters'
//! SVG backend would need font metrics for CJK labels to place them), and the hub
//! gains no dependency, so the build on two shared cores stays lean.

use std::fmt::Write as _;

use super::escape;

/// Width of every chart's coordinate system; the page scales it to the column.
const WIDTH: f64 = 640.0;

/// At most this many labels under a chart's columns or points, whatever the range: a
/// 44-month range shows every fourth month, so labels never overlap.
const MAX_AXIS_LABELS: usize = 12;

/// Dash patterns of the lines, in order, so that a line is told by its pattern as well
/// as its colour (in the legend too).
const DASHES: [&str; 4] = ["", "8 4", "2 3", "10 3 2 3"];

/// One bar of a bar chart.
#[derive(Debug, Clone)]
pub(crate) struct Bar {
    /// The label, e.g. a district's name.
    pub(crate) label: String,
    /// The value that sets the bar's length.
    pub(crate) value: f64,
    /// The value as shown.
    pub(crate) shown: String,
    /// Where a click on the bar leads.
    pub(crate) href: Option<String>,
}

/// One line of a line chart.
#[derive(Debug, Clone)]
pub(crate) struct Series {
    /// Its name in the legend.
    pub(crate) name: String,
    /// Its colour.
    pub(crate) color: &'static str,
    /// One value per label.
    pub(crate) values: Vec<f64>,
}

/// One step of a funnel.
#[derive(Debug, Clone)]
pub(crate) struct Step {
    /// The step's name, e.g. 征集.
    pub(crate) label: String,
    /// How many.
    pub(crate) value: u64,
    /// Its colour.
    pub(crate) color: &'static str,
}

/// Horizontal bars, one row per item, with the value at the end of each bar.
pub(crate) fn horizontal_bars(title: &str, bars: &[Bar], color: &str) -> String {
    let row = 26.0;
    let top = 8.0;
    let label_width = 170.0;
    let bar_space = WIDTH - label_width - 70.0;
    let height = top + row * bars.len().max(1) as f64 + 8.0;
    let max = bars.iter().map(|b| b.value).fold(0.0, f64::max);
    let mut svg = open(title, height);
    if bars.is_empty() {
        let _ = write!(
            svg,
            r#"<text x="{x}" y="{y}" class="muted">—</text>"#,
            x = WIDTH / 2.0,
            y = top + row / 2.0 + 4.0
        );
    }
    for (index, bar) in bars.iter().enumerate() {
        let y = top + row * index as f64;
        let length = if max > 0.0 {
            (bar.value / max * bar_space).max(if bar.value > 0.0 { 2.0 } else { 0.0 })
        } else {
            0.0
        };
        let mut item = String::new();
        let _ = write!(
            item,
            r#"<text x="{lx}" y="{ty}" text-anchor="end">{label}</text><rect x="{bx}" y="{ry}" width="{length:.1}" height="{h}" fill="{color}" rx="2"/><text x="{vx:.1}" y="{ty}">{shown}</text>"#,
            lx = label_width - 8.0,
            ty = y + row / 2.0 + 4.0,
            label = escape(&bar.label),
            bx = label_width,
            ry = y + 4.0,
            h = row - 8.0,
            vx = label_width + length + 6.0,
            shown = escape(&bar.shown),
        );
        match &bar.href {
            Some(href) => {
                let _ = write!(svg, r#"<a href="{}">{item}</a>"#, escape(href));
            }
            None => svg.push_str(&item),
        }
    }
    svg.push_str("</svg>");
    svg
}

/// Vertical columns, one per label (a month), with the value above each column.
pub(crate) fn columns(title: &str, labels: &[String], bars: &[Bar], color: &str) -> String {
    let height = 220.0;
    let bottom = height - 28.0;
    let top = 20.0;
    let left = 10.0;
    let space = (WIDTH - 2.0 * left) / bars.len().max(1) as f64;
    let max = bars.iter().map(|b| b.value).fold(0.0, f64::max);
    let mut svg = open(title, height);
    let _ = write!(
        svg,
        r##"<line x1="{left}" y1="{bottom}" x2="{x2}" y2="{bottom}" stroke="#999"/>"##,
        x2 = WIDTH - left
    );
    let every = label_step(labels.len());
    for (index, (bar, label)) in bars.iter().zip(labels).enumerate() {
        let x = left + space * index as f64;
        let h = if max > 0.0 {
            bar.value / max * (bottom - top)
        } else {
            0.0
        };
        let w = (space * 0.7).min(48.0);
        let cx = x + space / 2.0;
        // The value over a column is shown where its label is, or for any column when
        // they are few; the column's title gives it on hover either way.
        let _ = write!(
            svg,
            r#"<rect x="{rx:.1}" y="{ry:.1}" width="{w:.1}" height="{h:.1}" fill="{color}" rx="2"><title>{label} {shown}</title></rect>"#,
            rx = cx - w / 2.0,
            ry = bottom - h,
            shown = escape(&bar.shown),
            label = escape(label),
        );
        if index % every == 0 {
            let _ = write!(
                svg,
                r#"<text x="{cx:.1}" y="{vy:.1}" text-anchor="middle" class="small">{shown}</text><text x="{cx:.1}" y="{ly:.1}" text-anchor="middle" class="small">{label}</text>"#,
                vy = bottom - h - 4.0,
                shown = escape(&bar.shown),
                ly = bottom + 18.0,
                label = escape(label),
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

/// Lines over labels (months), with a legend.
pub(crate) fn lines(title: &str, labels: &[String], series: &[Series]) -> String {
    let height = 230.0;
    let bottom = height - 48.0;
    let top = 14.0;
    let left = 36.0;
    let right = WIDTH - 14.0;
    let max = series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .fold(0.0, f64::max)
        .max(1.0);
    let step = if labels.len() > 1 {
        (right - left) / (labels.len() - 1) as f64
    } else {
        0.0
    };
    let x_of = |index: usize| {
        if labels.len() > 1 {
            left + step * index as f64
        } else {
            (left + right) / 2.0
        }
    };
    let y_of = |value: f64| bottom - value / max * (bottom - top);
    let mut svg = open(title, height);
    let _ = write!(
        svg,
        r##"<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="#999"/><text x="{tx}" y="{ty}" text-anchor="end" class="small">{max}</text><text x="{tx}" y="{bottom}" text-anchor="end" class="small">0</text>"##,
        tx = left - 4.0,
        ty = top + 4.0,
    );
    let every = label_step(labels.len());
    for (index, label) in labels
        .iter()
        .enumerate()
        .filter(|(index, _)| index % every == 0)
    {
        let _ = write!(
            svg,
            r#"<text x="{x:.1}" y="{y}" text-anchor="middle" class="small">{label}</text>"#,
            x = x_of(index),
            y = bottom + 16.0,
            label = escape(label),
        );
    }
    for (number, line) in series.iter().enumerate() {
        let points: Vec<String> = line
            .values
            .iter()
            .enumerate()
            .map(|(index, value)| format!("{:.1},{:.1}", x_of(index), y_of(*value)))
            .collect();
        let _ = write!(
            svg,
            r#"<polyline points="{points}" fill="none" stroke="{color}" stroke-width="2.5" stroke-dasharray="{dash}"/>"#,
            points = points.join(" "),
            color = line.color,
            dash = DASHES[number % DASHES.len()],
        );
        for (index, value) in line.values.iter().enumerate() {
            let _ = write!(
                svg,
                r#"<circle cx="{x:.1}" cy="{y:.1}" r="3" fill="{color}"/>"#,
                x = x_of(index),
                y = y_of(*value),
                color = line.color,
            );
        }
        let lx = left + 150.0 * number as f64;
        let _ = write!(
            svg,
            r#"<line x1="{lx}" y1="{ly}" x2="{lx2}" y2="{ly}" stroke="{color}" stroke-width="3" stroke-dasharray="{dash}"/><text x="{tx}" y="{ty}">{name}</text>"#,
            ly = height - 14.0,
            lx2 = lx + 28.0,
            color = line.color,
            dash = DASHES[number % DASHES.len()],
            tx = lx + 34.0,
            ty = height - 9.0,
            name = escape(&line.name),
        );
    }
    svg.push_str("</svg>");
    svg
}

/// The wish funnel: one centred bar per step, its width proportional to its value,
/// with the share of the first step.
pub(crate) fn funnel(title: &str, steps: &[Step]) -> String {
    let row = 46.0;
    let height = row * steps.len().max(1) as f64 + 10.0;
    let first = steps.first().map_or(0, |s| s.value);
    let widest = WIDTH - 200.0;
    let mut svg = open(title, height);
    for (index, step) in steps.iter().enumerate() {
        let width = if first > 0 {
            (step.value as f64 / first as f64 * widest).max(if step.value > 0 { 4.0 } else { 0.0 })
        } else {
            0.0
        };
        let y = 5.0 + row * index as f64;
        let share = if first > 0 && index > 0 {
            format!(" ({:.0}%)", step.value as f64 / first as f64 * 100.0)
        } else {
            String::new()
        };
        let _ = write!(
            svg,
            r#"<rect x="{x:.1}" y="{y}" width="{width:.1}" height="{h}" fill="{color}" rx="3"/><text x="{tx}" y="{ty}" text-anchor="middle" class="funnel-label">{label} {value}{share}</text>"#,
            x = (WIDTH - width) / 2.0,
            h = row - 10.0,
            color = step.color,
            tx = WIDTH / 2.0,
            ty = y + row / 2.0,
            label = escape(&step.label),
            value = step.value,
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Every how many labels one is shown, so that at most [`MAX_AXIS_LABELS`] are.
fn label_step(labels: usize) -> usize {
    labels.div_ceil(MAX_AXIS_LABELS).max(1)
}

fn open(title: &str, height: f64) -> String {
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{title}" class="chart"><title>{title}</title>"#,
        title = escape(title),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_escape_their_text_and_scale_to_the_largest_value() {
        let bars = vec![
            Bar {
                label: "<script>".into(),
                value: 10.0,
                shown: "10".into(),
                href: Some("/?region=130902&lang=en".into()),
            },
            Bar {
                label: "运河区".into(),
                value: 5.0,
                shown: "5".into(),
                href: None,
            },
        ];
        let svg = horizontal_bars("各区", &bars, "#c0392b");
        assert!(svg.contains("&lt;script&gt;") && !svg.contains("<script>"));
        assert!(svg.contains(r#"href="/?region=130902&amp;lang=en""#));
        assert!(svg.contains(r#"width="400.0""#) && svg.contains(r#"width="200.0""#));
        let funnel = funnel(
            "微心愿",
            &[
                Step {
                    label: "征集".into(),
                    value: 10,
                    color: "#888",
                },
                Step {
                    label: "实现".into(),
                    value: 5,
                    color: "#c0392b",
                },
            ],
        );
        assert!(funnel.contains("实现 5 (50%)"), "{funnel}");
        assert!(lines("x", &[], &[]).ends_with("</svg>"));
        assert!(columns("x", &[], &[], "#000").ends_with("</svg>"));
    }

    #[test]
    fn month_labels_are_thinned_whatever_the_range() {
        for (months, shown) in [(1, 1), (12, 12), (13, 7), (24, 12), (44, 11), (120, 12)] {
            let labels: Vec<String> = (0..months).map(|m| format!("m{m:03}")).collect();
            let bars: Vec<Bar> = labels
                .iter()
                .map(|label| Bar {
                    label: label.clone(),
                    value: 1.0,
                    shown: "1".into(),
                    href: None,
                })
                .collect();
            let count = |svg: &str| {
                labels
                    .iter()
                    .filter(|l| svg.contains(&format!(">{l}</text>")))
                    .count()
            };
            assert_eq!(
                count(&columns("x", &labels, &bars, "#000")),
                shown,
                "{months} columns"
            );
            let series = [Series {
                name: "s".into(),
                color: "#000",
                values: vec![1.0; months],
            }];
            assert_eq!(
                count(&lines("x", &labels, &series)),
                shown,
                "{months} points"
            );
        }
    }
}
