//! The one-page savings report for the council, as PDF (A4, drawn with krilla and the
//! shipped DejaVu Sans subset): totals, the comparison with earlier periods, the trend by
//! month, the top categories, the method and its sources, and the ledger's chain head.
//! Everything arrives written out in the reader's language; this module only lays it out.

use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};

use super::chart::Chart;

static REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

/// A table as written: a title, column headings and rows of cells (first column text,
/// the others numbers, right-aligned).
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub title: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// Everything on the page.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// BCP 47, for the document's language.
    pub language: String,
    pub title: String,
    pub organisation: String,
    pub period: String,
    pub generated: String,
    /// The headline figures: label and value.
    pub totals: Vec<(String, String)>,
    pub notes: Vec<String>,
    pub comparison: Option<Table>,
    pub trend_title: String,
    pub trend_unit: String,
    /// The month chart's geometry (see [`super::chart::columns`]), scaled onto the page.
    pub trend: Option<Chart>,
    pub categories: Table,
    pub method_title: String,
    pub method: Vec<String>,
    pub sources_title: String,
    pub sources: Vec<String>,
    /// The chain head and how to check it.
    pub footer: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("the report's font cannot be read")]
    Font,
    #[error("the PDF could not be written: {0:?}")]
    Write(krilla::error::KrillaError),
}

const PAGE_WIDTH: f32 = 595.0;
const PAGE_HEIGHT: f32 = 842.0;
const MARGIN: f32 = 42.0;
const CONTENT: f32 = PAGE_WIDTH - 2.0 * MARGIN;
/// The page's last line, above the footer.
const BOTTOM: f32 = PAGE_HEIGHT - 70.0;

fn ink() -> rgb::Color {
    rgb::Color::new(0x1f, 0x23, 0x28)
}

fn muted() -> rgb::Color {
    rgb::Color::new(0x55, 0x5b, 0x62)
}

fn brand() -> rgb::Color {
    rgb::Color::new(0x1b, 0x6e, 0x3a)
}

fn fill(color: rgb::Color) -> Fill {
    Fill {
        paint: color.into(),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    }
}

/// About how wide DejaVu Sans writes `text` (digits and most letters are about 0.6 em,
/// spaces and punctuation about half that): enough to right-align figures and wrap lines.
fn width(text: &str, size: f32) -> f32 {
    text.chars()
        .map(|c| match c {
            ' ' | ',' | '.' | ':' | ';' | '\u{202f}' | '\u{a0}' | 'i' | 'l' | 'j' | '|' => 0.32,
            'm' | 'w' | 'M' | 'W' => 0.92,
            c if c.is_ascii_digit() => 0.64,
            c if c.is_uppercase() => 0.72,
            _ => 0.6,
        })
        .sum::<f32>()
        * size
}

/// Lines of at most `max` wide, broken between words.
fn wrap(text: &str, size: f32, max: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_string()
        } else {
            format!("{line} {word}")
        };
        if width(&candidate, size) > max && !line.is_empty() {
            lines.push(std::mem::replace(&mut line, word.to_string()));
        } else {
            line = candidate;
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

struct Pen<'s, 'p> {
    surface: &'s mut Surface<'p>,
    regular: Font,
    bold: Font,
    /// The baseline of the next line.
    y: f32,
}

impl Pen<'_, '_> {
    fn text(&mut self, x: f32, y: f32, text: &str, size: f32, bold: bool, color: rgb::Color) {
        let font = if bold { &self.bold } else { &self.regular };
        self.surface.set_fill(Some(fill(color)));
        self.surface.draw_text(
            Point::from_xy(x, y),
            font.clone(),
            size,
            text,
            false,
            TextDirection::Auto,
        );
    }

    fn right(&mut self, right_edge: f32, y: f32, text: &str, size: f32, bold: bool) {
        let x = right_edge - width(text, size);
        self.text(x, y, text, size, bold, ink());
    }

    fn line(&mut self, text: &str, size: f32, bold: bool, color: rgb::Color) {
        if self.y > BOTTOM {
            return;
        }
        self.y += size * 1.35;
        let y = self.y;
        self.text(MARGIN, y, text, size, bold, color);
    }

    fn paragraph(&mut self, text: &str, size: f32, color: rgb::Color) {
        for line in wrap(text, size, CONTENT) {
            self.line(&line, size, false, color);
        }
    }

    fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, color: rgb::Color) {
        let Some(rect) = Rect::from_xywh(x, y, w.max(0.1), h.max(0.1)) else {
            return;
        };
        let mut builder = PathBuilder::new();
        builder.push_rect(rect);
        if let Some(path) = builder.finish() {
            self.surface.set_fill(Some(fill(color)));
            self.surface.set_stroke(None);
            self.surface.draw_path(&path);
        }
    }

    fn rule(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, color: rgb::Color, width: f32) {
        let mut builder = PathBuilder::new();
        builder.move_to(x1, y1);
        builder.line_to(x2, y2);
        if let Some(path) = builder.finish() {
            self.surface.set_fill(None);
            self.surface.set_stroke(Some(Stroke {
                paint: color.into(),
                width,
                ..Stroke::default()
            }));
            self.surface.draw_path(&path);
            self.surface.set_stroke(None);
        }
    }

    fn heading(&mut self, text: &str) {
        self.y += 8.0;
        self.line(text, 12.0, true, ink());
        self.y += 2.0;
    }

    /// A table: the first column takes what the figures leave.
    fn table(&mut self, table: &Table, size: f32) {
        self.heading(&table.title);
        let columns = table.headers.len().max(1);
        let figure_width = if columns > 1 {
            (CONTENT * 0.62) / (columns - 1) as f32
        } else {
            0.0
        };
        let first_width = CONTENT - figure_width * (columns - 1) as f32;
        let row_line = |pen: &mut Self, cells: &[String], bold: bool| {
            if pen.y > BOTTOM {
                return;
            }
            // Headings may be long: they wrap in their column, figures never do.
            let wrapped: Vec<Vec<String>> = cells
                .iter()
                .enumerate()
                .map(|(i, cell)| {
                    let room = if i == 0 { first_width } else { figure_width } - 6.0;
                    if bold || i == 0 {
                        wrap(cell, size, room)
                    } else {
                        vec![cell.clone()]
                    }
                })
                .collect();
            let lines = wrapped.iter().map(Vec::len).max().unwrap_or(1).max(1);
            for line in 0..lines {
                pen.y += size * 1.3;
                let y = pen.y;
                for (i, cell) in wrapped.iter().enumerate() {
                    let Some(text) = cell.get(line) else { continue };
                    if i == 0 {
                        pen.text(MARGIN, y, text, size, bold, ink());
                    } else {
                        let right = MARGIN + first_width + figure_width * i as f32;
                        pen.right(right, y, text, size, bold);
                    }
                }
            }
            pen.y += 2.0;
            let y = pen.y;
            pen.rule(MARGIN, y, MARGIN + CONTENT, y, muted(), 0.3);
        };
        row_line(self, &table.headers, true);
        for row in &table.rows {
            row_line(self, row, false);
        }
    }

    /// The month chart, its geometry scaled from the screen's coordinates onto the page.
    fn chart(&mut self, chart: &Chart, unit: &str, height: f32) {
        let scale = (CONTENT * 0.8) / chart.width as f32;
        let scale = scale.min(height / chart.height as f32);
        let top = self.y + 4.0;
        let at = |x: f64, y: f64| (MARGIN + x as f32 * scale, top + y as f32 * scale);
        let (unit_x, unit_y) = at(0.0, 12.0);
        self.text(unit_x, unit_y, unit, 8.0, false, muted());
        for tick in &chart.ticks {
            let (x1, y) = at(chart.plot_left, tick.at);
            let (x2, _) = at(chart.width, tick.at);
            self.rule(x1, y, x2, y, muted(), 0.25);
            self.right(x1 - 3.0, y + 2.5, &tick.label, 7.5, false);
        }
        for bar in &chart.bars {
            let (x, y) = at(bar.x, bar.y);
            self.rect(
                x,
                y,
                bar.width as f32 * scale,
                bar.height as f32 * scale,
                brand(),
            );
            if let Some((lx, ly)) = bar.label_at {
                let (x, y) = at(lx, ly);
                let w = width(&bar.label, 7.5);
                self.text(x - w / 2.0, y, &bar.label, 7.5, false, ink());
            }
        }
        let (x1, y) = at(chart.plot_left, chart.axis);
        let (x2, _) = at(chart.width, chart.axis);
        self.rule(x1, y, x2, y, ink(), 0.6);
        self.y = top + chart.height as f32 * scale + 4.0;
    }
}

/// Lays the report out on one A4 page. What does not fit is left off at the bottom (the
/// tables are cut to their first rows by the caller; the method always fits).
pub fn render(report: &Report) -> Result<Vec<u8>, PdfError> {
    let regular = Font::new(REGULAR.into(), 0).ok_or(PdfError::Font)?;
    let bold = Font::new(BOLD.into(), 0).ok_or(PdfError::Font)?;
    let mut document = Document::new();
    document.set_metadata(
        Metadata::new()
            .title(format!("{} – {}", report.title, report.period))
            .language(report.language.clone())
            .creator("Bruka".to_string()),
    );
    let settings = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT).ok_or(PdfError::Font)?;
    let mut page = document.start_page_with(settings);
    let mut surface = page.surface();
    let mut pen = Pen {
        surface: &mut surface,
        regular,
        bold,
        y: MARGIN,
    };
    pen.line(&report.title, 18.0, true, ink());
    pen.line(
        &format!("{} · {}", report.organisation, report.period),
        12.0,
        false,
        ink(),
    );
    pen.line(&report.generated, 8.5, false, muted());

    // Headline figures in a row of boxes.
    pen.y += 10.0;
    let count = report.totals.len().max(1) as f32;
    let box_width = CONTENT / count;
    let top = pen.y;
    for (index, (label, value)) in report.totals.iter().enumerate() {
        let x = MARGIN + box_width * index as f32;
        pen.rect(
            x + 2.0,
            top,
            box_width - 4.0,
            46.0,
            rgb::Color::new(0xe8, 0xf3, 0xec),
        );
        pen.text(x + 8.0, top + 20.0, value, 15.0, true, ink());
        for (line, text) in wrap(label, 8.0, box_width - 14.0)
            .iter()
            .take(2)
            .enumerate()
        {
            pen.text(
                x + 8.0,
                top + 32.0 + line as f32 * 9.0,
                text,
                8.0,
                false,
                muted(),
            );
        }
    }
    pen.y = top + 50.0;
    for note in &report.notes {
        pen.paragraph(note, 8.5, muted());
    }
    if let Some(comparison) = &report.comparison {
        pen.table(comparison, 8.5);
    }
    if let Some(chart) = &report.trend {
        pen.heading(&report.trend_title);
        pen.chart(chart, &report.trend_unit, 150.0);
    }
    pen.table(&report.categories, 8.5);
    pen.heading(&report.method_title);
    for line in &report.method {
        pen.paragraph(line, 7.5, ink());
    }
    if !report.sources.is_empty() {
        pen.heading(&report.sources_title);
        for source in &report.sources {
            pen.paragraph(source, 7.0, ink());
        }
    }
    let mut y = PAGE_HEIGHT - 52.0;
    pen.rule(MARGIN, y - 10.0, MARGIN + CONTENT, y - 10.0, muted(), 0.4);
    for line in &report.footer {
        for part in wrap(line, 7.0, CONTENT) {
            pen.text(MARGIN, y, &part, 7.0, false, muted());
            y += 9.0;
        }
    }
    surface.finish();
    page.finish();
    document.finish().map_err(PdfError::Write)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_wrap_between_words_within_the_width() {
        let lines = wrap(
            "Undvikna utsläpp = D × faktor × antal − avdrag för transport",
            10.0,
            120.0,
        );
        assert!(lines.len() > 1);
        assert!(
            lines
                .iter()
                .all(|l| width(l, 10.0) <= 120.0 || !l.contains(' '))
        );
        assert_eq!(
            lines.join(" "),
            "Undvikna utsläpp = D × faktor × antal − avdrag för transport"
        );
    }

    #[test]
    fn a_report_renders_as_one_pdf_page() {
        let report = Report {
            language: "sv".into(),
            title: "Återbruk".into(),
            organisation: "Borås stad".into(),
            period: "Kvartal 2 2026".into(),
            totals: vec![("kg CO₂e".into(), "1 234,5".into())],
            categories: Table {
                title: "Kategorier".into(),
                headers: vec!["Kategori".into(), "kg".into()],
                rows: vec![vec!["Kontorsstol".into(), "96".into()]],
            },
            ..Report::default()
        };
        let bytes = render(&report).expect("a pdf");
        let document = lopdf::Document::load_mem(&bytes).expect("reads back");
        assert_eq!(document.get_pages().len(), 1);
        // The HTTP tests read the text back (tests/api/report.rs).
    }
}
