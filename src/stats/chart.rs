//! Bar chart geometry for server-rendered SVG. The template draws what is computed here;
//! every chart is followed by a table with the same figures for screen readers and print.

use serde::Serialize;

/// One value to draw: its label, its size and how the size is written.
#[derive(Debug, Clone, PartialEq)]
pub struct Datum {
    pub label: String,
    pub value: f64,
    pub value_text: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Bar {
    pub label: String,
    pub value_text: String,
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
    /// Where the label is written; None when labels would overlap and this one is skipped.
    pub label_at: Option<(f64, f64)>,
    /// Where the value is written (horizontal charts only).
    pub value_at: Option<(f64, f64)>,
}

/// A value on the value axis: where its grid line is and how it is written.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Tick {
    pub at: f64,
    pub label: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Chart {
    pub width: f64,
    pub height: f64,
    pub bars: Vec<Bar>,
    /// The baseline (vertical charts) or the left edge of the bars (horizontal charts).
    pub axis: f64,
    pub horizontal: bool,
    /// The value axis (vertical charts): grid lines from 0 to a round top.
    pub ticks: Vec<Tick>,
    /// Where the value axis ends (its left edge, vertical charts).
    pub plot_left: f64,
    pub plot_top: f64,
}

/// Coordinates are those of a phone's width, so the 12-unit text is about 12 px there; on
/// wider screens the chart grows only to `.chart`'s max-width (see bruka.css).
const WIDTH: f64 = 360.0;
const COLUMN_AREA: f64 = 170.0;
/// Room above the plot for the axis's unit.
const COLUMN_TOP: f64 = 22.0;
/// Room left of the plot for the value axis's labels.
const AXIS_LABEL_WIDTH: f64 = 46.0;
const COLUMN_MARGIN_RIGHT: f64 = 18.0;
/// Labels closer than this would overlap, so only every n-th is written.
const MIN_LABEL_GAP: f64 = 54.0;
const ROW_HEIGHT: f64 = 28.0;
const LABEL_WIDTH: f64 = 132.0;
const VALUE_WIDTH: f64 = 70.0;
/// Longer labels are shortened in the chart; the table beside it has them whole.
const MAX_LABEL_CHARS: usize = 18;
/// Grid lines on the value axis, about.
const TICKS: f64 = 4.0;

/// Tenths of a pixel are plenty, and keep the SVG short.
fn px(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

fn largest(data: &[Datum]) -> f64 {
    data.iter().map(|d| d.value).fold(0.0, f64::max)
}

/// Negative net values (a month with more corrections than handovers) draw as empty bars.
fn share(value: f64, max: f64) -> f64 {
    if max > 0.0 {
        (value / max).clamp(0.0, 1.0)
    } else {
        0.0
    }
}

fn shortened(label: &str) -> String {
    if label.chars().count() <= MAX_LABEL_CHARS {
        return label.to_string();
    }
    let mut short: String = label.chars().take(MAX_LABEL_CHARS - 1).collect();
    short.push('…');
    short
}

/// A round top for the value axis and the step between its grid lines (1, 2 or 5 × 10ⁿ).
fn nice_scale(max: f64) -> (f64, f64) {
    if max <= 0.0 {
        return (1.0, 1.0);
    }
    let raw = max / TICKS;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|step| *step >= raw)
        .unwrap_or(10.0 * magnitude);
    ((max / step).ceil() * step, step)
}

/// Vertical bars, left to right (a time series), on a value axis with round grid lines;
/// `write` writes an axis value (with grouping, in the reader's language).
pub fn columns(data: &[Datum], write: impl Fn(f64) -> String) -> Chart {
    let (top, step) = nice_scale(largest(data));
    let baseline = COLUMN_TOP + COLUMN_AREA;
    let plot_width = WIDTH - AXIS_LABEL_WIDTH - COLUMN_MARGIN_RIGHT;
    let slot = plot_width / data.len().max(1) as f64;
    let every = (MIN_LABEL_GAP / slot).ceil().max(1.0) as usize;
    // The newest month is always labelled: count the thinning from the right.
    let last = data.len().saturating_sub(1);
    let bars = data
        .iter()
        .enumerate()
        .map(|(index, datum)| {
            let height = share(datum.value, top) * COLUMN_AREA;
            let x = AXIS_LABEL_WIDTH + index as f64 * slot + slot * 0.15;
            Bar {
                label: shortened(&datum.label),
                value_text: datum.value_text.clone(),
                x: px(x),
                y: px(baseline - height),
                width: px(slot * 0.7),
                height: px(height),
                label_at: (last - index)
                    .is_multiple_of(every)
                    .then_some((px(x + slot * 0.35), baseline + 16.0)),
                value_at: None,
            }
        })
        .collect();
    let steps = (top / step).round() as usize;
    let ticks = (0..=steps)
        .map(|n| {
            let value = n as f64 * step;
            Tick {
                at: px(baseline - share(value, top) * COLUMN_AREA),
                label: write(value),
            }
        })
        .collect();
    Chart {
        width: WIDTH,
        height: baseline + 24.0,
        bars,
        axis: baseline,
        horizontal: false,
        ticks,
        plot_left: AXIS_LABEL_WIDTH,
        plot_top: COLUMN_TOP,
    }
}

/// Horizontal bars, top to bottom (a ranking), with the value written after each bar.
pub fn rows(data: &[Datum]) -> Chart {
    let max = largest(data);
    let area = WIDTH - LABEL_WIDTH - VALUE_WIDTH;
    let bars = data
        .iter()
        .enumerate()
        .map(|(index, datum)| {
            let y = index as f64 * ROW_HEIGHT + 4.0;
            let width = share(datum.value, max) * area;
            Bar {
                label: shortened(&datum.label),
                value_text: datum.value_text.clone(),
                x: LABEL_WIDTH,
                y,
                width: px(width),
                height: ROW_HEIGHT - 8.0,
                label_at: Some((LABEL_WIDTH - 8.0, y + ROW_HEIGHT / 2.0)),
                value_at: Some((px(LABEL_WIDTH + width + 6.0), y + ROW_HEIGHT / 2.0)),
            }
        })
        .collect();
    Chart {
        width: WIDTH,
        height: data.len() as f64 * ROW_HEIGHT + 8.0,
        bars,
        axis: LABEL_WIDTH,
        horizontal: true,
        ticks: Vec::new(),
        plot_left: LABEL_WIDTH,
        plot_top: 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn datum(label: &str, value: f64) -> Datum {
        Datum {
            label: label.to_string(),
            value,
            value_text: value.to_string(),
        }
    }

    fn plain(value: f64) -> String {
        value.to_string()
    }

    #[test]
    fn bars_scale_to_a_round_axis_top_with_grid_lines() {
        let chart = columns(&[datum("2026-10", 50.0), datum("2026-11", 200.0)], plain);
        assert_eq!(chart.bars[1].height, COLUMN_AREA);
        assert_eq!(chart.bars[0].height, COLUMN_AREA / 4.0);
        assert_eq!(chart.bars[1].y + chart.bars[1].height, chart.axis);
        let labels: Vec<&str> = chart.ticks.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(labels, ["0", "50", "100", "150", "200"]);
        assert_eq!(chart.ticks[0].at, chart.axis);
        let chart = columns(&[datum("a", 1234.0)], plain);
        let labels: Vec<&str> = chart.ticks.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(labels, ["0", "500", "1000", "1500"]);
        assert_eq!(nice_scale(0.0), (1.0, 1.0));
        assert_eq!(nice_scale(7.0), (8.0, 2.0));
    }

    #[test]
    fn negative_and_all_zero_values_draw_nothing() {
        let chart = columns(&[datum("a", -5.0), datum("b", 0.0)], plain);
        assert!(chart.bars.iter().all(|bar| bar.height == 0.0));
        let chart = rows(&[datum("a", -5.0), datum("b", 10.0)]);
        assert_eq!(chart.bars[0].width, 0.0);
    }

    #[test]
    fn crowded_labels_are_thinned_and_long_ones_shortened() {
        let many: Vec<Datum> = (0..36).map(|i| datum(&format!("m{i}"), 1.0)).collect();
        let chart = columns(&many, plain);
        let written = chart.bars.iter().filter(|b| b.label_at.is_some()).count();
        assert!((4..=6).contains(&written), "{written} labels");
        assert!(
            chart.bars[35].label_at.is_some(),
            "the newest month is labelled"
        );
        let long = rows(&[datum(&"x".repeat(80), 1.0)]);
        assert_eq!(long.bars[0].label.chars().count(), MAX_LABEL_CHARS);
    }
}
