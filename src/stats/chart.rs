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

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Chart {
    pub width: f64,
    pub height: f64,
    pub bars: Vec<Bar>,
    /// The baseline (vertical charts) or the left edge of the bars (horizontal charts).
    pub axis: f64,
    pub horizontal: bool,
}

const WIDTH: f64 = 640.0;
const COLUMN_AREA: f64 = 180.0;
const COLUMN_TOP: f64 = 10.0;
const COLUMN_MARGIN: f64 = 32.0;
/// Labels closer than this (px) would overlap, so only every n-th is written.
const MIN_LABEL_GAP: f64 = 56.0;
const ROW_HEIGHT: f64 = 26.0;
const LABEL_WIDTH: f64 = 220.0;
const VALUE_WIDTH: f64 = 110.0;
/// Longer labels are shortened in the chart; the table beside it has them whole.
const MAX_LABEL_CHARS: usize = 30;

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

/// Vertical bars, left to right (a time series).
pub fn columns(data: &[Datum]) -> Chart {
    let max = largest(data);
    let baseline = COLUMN_TOP + COLUMN_AREA;
    // Room at both ends so the first and last labels, centred under their bars, fit.
    let slot = (WIDTH - 2.0 * COLUMN_MARGIN) / data.len().max(1) as f64;
    let every = (MIN_LABEL_GAP / slot).ceil().max(1.0) as usize;
    let bars = data
        .iter()
        .enumerate()
        .map(|(index, datum)| {
            let height = share(datum.value, max) * COLUMN_AREA;
            let x = COLUMN_MARGIN + index as f64 * slot + slot * 0.15;
            Bar {
                label: shortened(&datum.label),
                value_text: datum.value_text.clone(),
                x: px(x),
                y: px(baseline - height),
                width: px(slot * 0.7),
                height: px(height),
                label_at: (index % every == 0).then_some((px(x + slot * 0.35), baseline + 16.0)),
                value_at: None,
            }
        })
        .collect();
    Chart {
        width: WIDTH,
        height: baseline + 24.0,
        bars,
        axis: baseline,
        horizontal: false,
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

    #[test]
    fn the_largest_value_fills_the_area_and_others_scale() {
        let chart = columns(&[datum("2026-10", 50.0), datum("2026-11", 200.0)]);
        assert_eq!(chart.bars[1].height, COLUMN_AREA);
        assert_eq!(chart.bars[0].height, COLUMN_AREA / 4.0);
        assert_eq!(chart.bars[1].y + chart.bars[1].height, chart.axis);
    }

    #[test]
    fn negative_and_all_zero_values_draw_nothing() {
        let chart = columns(&[datum("a", -5.0), datum("b", 0.0)]);
        assert!(chart.bars.iter().all(|bar| bar.height == 0.0));
        let chart = rows(&[datum("a", -5.0), datum("b", 10.0)]);
        assert_eq!(chart.bars[0].width, 0.0);
    }

    #[test]
    fn crowded_labels_are_thinned_and_long_ones_shortened() {
        let many: Vec<Datum> = (0..36).map(|i| datum(&format!("m{i}"), 1.0)).collect();
        let chart = columns(&many);
        let written = chart.bars.iter().filter(|b| b.label_at.is_some()).count();
        assert!((9..=12).contains(&written), "{written} labels");
        let long = rows(&[datum(&"x".repeat(80), 1.0)]);
        assert_eq!(long.bars[0].label.chars().count(), MAX_LABEL_CHARS);
    }
}
