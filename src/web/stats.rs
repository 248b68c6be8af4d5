//! The sustainability dashboard, its exports, and the public summary an organisation may
//! choose to publish.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, get, web};
use bytes::Bytes;
use serde::Serialize;

use super::auth::LedgerKeeper;
use super::{AppError, Lang, Page};
use crate::app::App;
use crate::app::stats::{self as report, Setting};
use crate::categories::{Choice, category_choices};
use crate::i18n::{Language, format_decimal};
use crate::items::FieldError;
use crate::stats::chart::{self, Chart, Datum};
use crate::stats::export::{self, About, ExportError, Format};
use crate::stats::pdf;
use crate::stats::period::{Kind, Period};
use crate::stats::{Filter, Group, RawFilter, Scope, Side, Totals};
use chrono::Datelike;

/// Categories shown in the chart; the table beside it lists them all.
const CHART_CATEGORIES: usize = 10;

/// A row of figures as the page writes them.
#[derive(Serialize)]
struct FigureRow {
    label: String,
    handovers: String,
    items: String,
    kg_co2e: String,
    /// With the high end of every factor's range, when that is more.
    kg_co2e_high: Option<String>,
    money_sek: String,
    kg_material: String,
}

fn figures(language: Language, label: String, totals: &Totals) -> FigureRow {
    FigureRow {
        label,
        handovers: format_decimal(language, totals.handovers as f64, 0),
        items: format_decimal(language, totals.items as f64, 0),
        kg_co2e: format_decimal(language, totals.co2e_grams.kg(), 1),
        kg_co2e_high: (totals.co2e_grams_high > totals.co2e_grams)
            .then(|| format_decimal(language, totals.co2e_grams_high.kg(), 1)),
        money_sek: format_decimal(language, totals.money_ore.kronor(), 0),
        kg_material: format_decimal(language, totals.material_grams.kg(), 1),
    }
}

fn figure_rows(language: Language, groups: &[Group], unnamed: &str) -> Vec<FigureRow> {
    groups
        .iter()
        .map(|group| {
            let label = if group.label.is_empty() {
                unnamed.to_string()
            } else {
                group.label.clone()
            };
            figures(language, label, &group.totals)
        })
        .collect()
}

fn co2e_data(language: Language, groups: &[Group]) -> Vec<Datum> {
    groups
        .iter()
        .map(|group| Datum {
            label: group.label.clone(),
            value: group.totals.co2e_grams.kg(),
            value_text: format!(
                "{} kg",
                format_decimal(language, group.totals.co2e_grams.kg(), 0)
            ),
        })
        .collect()
}

/// A chart with its title and a one-sentence text alternative.
#[derive(Serialize)]
struct ChartView {
    id: &'static str,
    title: String,
    /// What the value axis counts ("kg CO₂e").
    unit: String,
    description: String,
    chart: Chart,
}

fn chart_view(
    language: Language,
    id: &'static str,
    title_key: &str,
    data: Vec<Datum>,
    horizontal: bool,
) -> ChartView {
    let top = data
        .iter()
        .filter(|d| d.value > 0.0)
        .max_by(|a, b| a.value.total_cmp(&b.value));
    let description = match top {
        Some(top) => language.text_with(
            "stats-chart-description",
            &[
                ("label", top.label.clone().into()),
                ("value", top.value_text.clone().into()),
            ],
        ),
        None => language.text("stats-chart-empty"),
    };
    ChartView {
        id,
        title: language.text(title_key),
        description,
        chart: if horizontal {
            chart::rows(&data)
        } else {
            chart::columns(&data, |value| format_decimal(language, value, 0))
        },
        unit: language.text("stats-chart-unit"),
    }
}

/// The filter in words, for exports ("2026-01-01 – 2026-06-30, Förskolan Solen").
fn filter_text(language: Language, filter: &Filter, setting: &Setting) -> String {
    let mut parts = Vec::new();
    match (filter.period(), filter.from, filter.to) {
        (Some(period), _, _) => parts.push(period_label(language, &period)),
        (None, None, None) => parts.push(language.text("stats-period-all")),
        (None, from, to) => parts.push(format!(
            "{} – {}",
            from.map(|d| d.to_string()).unwrap_or_default(),
            to.map(|d| d.to_string()).unwrap_or_default()
        )),
    }
    if let Some(unit) = filter
        .unit_id
        .and_then(|id| setting.units.iter().find(|u| u.id == id))
    {
        parts.push(unit.name.clone());
    }
    if let Some(category) = filter
        .category_ids
        .as_ref()
        .and_then(|ids| ids.first())
        .and_then(|id| setting.categories.iter().find(|c| c.id == *id))
    {
        parts.push(category.name.clone());
    }
    parts.join(", ")
}

/// A period in words: "november 2026", "kvartal 4 2026", "2026-03-01 – 2026-03-10".
pub fn period_label(language: Language, period: &Period) -> String {
    let year = period.from.year();
    let number = period.number();
    match period.kind {
        Some(Kind::Month) => language.text_with(
            "stats-preset-month",
            &[
                (
                    "month",
                    language.text(&format!("stats-month-{number}")).into(),
                ),
                ("year", year.into()),
            ],
        ),
        Some(Kind::Quarter) => language.text_with(
            "stats-preset-quarter",
            &[("number", number.into()), ("year", year.into())],
        ),
        Some(Kind::Tertial) => language.text_with(
            "stats-preset-tertial",
            &[("number", number.into()), ("year", year.into())],
        ),
        Some(Kind::Year) => year.to_string(),
        None => format!("{} – {}", period.from, period.to),
    }
}

/// The period picker: calendar periods by kind, newest first.
#[derive(Serialize)]
struct PeriodGroup {
    label: String,
    options: Vec<Choice>,
}

fn period_groups(language: Language, today: chrono::NaiveDate) -> Vec<PeriodGroup> {
    Kind::ALL
        .iter()
        .map(|kind| PeriodGroup {
            label: language.text(&format!("stats-preset-group-{}", kind.as_str())),
            options: Period::offered(*kind, today)
                .iter()
                .filter_map(|period| {
                    Some(Choice {
                        value: period.code()?,
                        label: period_label(language, period),
                    })
                })
                .collect(),
        })
        .collect()
}

/// One figure now and in the periods compared with.
#[derive(Serialize)]
struct ComparisonRow {
    metric: String,
    now: String,
    earlier: Vec<ChangeCell>,
}

#[derive(Serialize)]
struct ChangeCell {
    /// The compared period's column heading (for the phone layout's cell labels).
    label: String,
    value: String,
    /// "+12,5" or "−3"; "±0" when equal.
    change: String,
    /// "+8 %"; none when the earlier figure is 0 (no percentage of nothing).
    percent: Option<String>,
}

#[derive(Serialize)]
struct ComparisonView {
    period: String,
    columns: Vec<String>,
    rows: Vec<ComparisonRow>,
}

fn change_cell(
    language: Language,
    label: &str,
    (now, earlier): (f64, f64),
    digits: usize,
) -> ChangeCell {
    let difference = now - earlier;
    let signed = |value: f64, digits: usize| {
        let text = format_decimal(language, value, digits);
        if text.chars().all(|c| c == '0' || c == ',' || c == '.') {
            "±0".to_string()
        } else if value > 0.0 {
            format!("+{text}")
        } else {
            text
        }
    };
    ChangeCell {
        label: label.to_string(),
        value: format_decimal(language, earlier, digits),
        change: signed(difference, digits),
        percent: (earlier.abs() > f64::EPSILON)
            .then(|| format!("{} %", signed(difference / earlier.abs() * 100.0, 0))),
    }
}

/// One way listings ended: its message key, its units and its share.
#[derive(Serialize)]
struct EndView {
    key: &'static str,
    units: i64,
    share: i64,
}

#[derive(Serialize)]
struct ProgrammeView {
    ends: Vec<EndView>,
    ended_units: i64,
    /// Set when there were handovers (0 days is a median too).
    has_median: bool,
    median_days: i64,
    stores: Vec<crate::stats::programme::StoreFigures>,
    repairs_done: i64,
    repair_costs: String,
    deliveries: i64,
}

fn programme_view(
    language: Language,
    programme: &crate::stats::programme::Programme,
) -> ProgrammeView {
    let ends = &programme.ends;
    let keys = [
        "stats-end-inside",
        "stats-end-network",
        "stats-end-outside",
        "stats-end-recycled",
        "stats-end-unclaimed",
    ];
    let units = [
        ends.reused_inside,
        ends.reused_in_network,
        ends.given_outside,
        ends.recycled,
        ends.unclaimed,
    ];
    ProgrammeView {
        ends: keys
            .into_iter()
            .zip(units)
            .zip(ends.shares())
            .map(|((key, units), share)| EndView { key, units, share })
            .collect(),
        ended_units: ends.total(),
        has_median: programme.median_days_to_reuse.is_some(),
        median_days: programme.median_days_to_reuse.unwrap_or_default(),
        stores: programme.stores.clone(),
        repairs_done: programme.repairs_done,
        repair_costs: format_decimal(
            language,
            crate::ledger::Ore(programme.repair_costs_ore).kronor(),
            0,
        ),
        deliveries: programme.deliveries,
    }
}

/// Reported purchases and the missed reuse among them, as the page writes them.
#[derive(Serialize)]
struct PurchasesView {
    count: i64,
    amount_sek: String,
    checked_share: Option<i64>,
    missed: Vec<MissedView>,
    missed_more: i64,
}

#[derive(Serialize)]
struct MissedView {
    date: String,
    category: String,
    quantity: i32,
    amount_sek: String,
    reference: String,
    checked: bool,
    available: i64,
}

fn purchases_view(
    language: Language,
    figures: &crate::purchases::PurchaseFigures,
) -> PurchasesView {
    let kronor = |ore: i64| format_decimal(language, ore as f64 / 100.0, 0);
    PurchasesView {
        count: figures.purchases,
        amount_sek: kronor(figures.amount_ore),
        checked_share: figures.checked_share(),
        missed: figures
            .missed
            .iter()
            .map(|m| MissedView {
                date: m.purchased_on.to_string(),
                category: m.category.clone(),
                quantity: m.quantity,
                amount_sek: kronor(m.amount_ore),
                reference: m.reference.clone(),
                checked: m.preceded_by_check,
                available: m.available_listings,
            })
            .collect(),
        missed_more: figures.missed_more,
    }
}

/// A figure of the totals: its message key, how it is read, and its fraction digits.
type Metric = (&'static str, fn(&Totals) -> f64, usize);

fn comparison_view(
    language: Language,
    filter: &Filter,
    now: &Totals,
    compared: &[report::Compared],
) -> Option<ComparisonView> {
    let period = filter.period()?;
    if compared.is_empty() {
        return None;
    }
    let metrics: [Metric; 5] = [
        ("stats-total-co2e", |t| t.co2e_grams.kg(), 1),
        ("stats-total-money", |t| t.money_ore.kronor(), 0),
        ("stats-total-items", |t| t.items as f64, 0),
        ("stats-total-material", |t| t.material_grams.kg(), 1),
        ("stats-col-handovers", |t| t.handovers as f64, 0),
    ];
    let columns: Vec<String> = compared
        .iter()
        .map(|c| {
            let key = match c.against {
                report::Against::Previous => "stats-compare-previous",
                report::Against::YearEarlier => "stats-compare-year-earlier",
            };
            language.text_with(key, &[("period", period_label(language, &c.period).into())])
        })
        .collect();
    let rows = metrics
        .iter()
        .map(|(key, figure, digits)| ComparisonRow {
            metric: language.text(key),
            now: format_decimal(language, figure(now), *digits),
            earlier: compared
                .iter()
                .zip(&columns)
                .map(|(c, label)| {
                    change_cell(language, label, (figure(now), figure(&c.totals)), *digits)
                })
                .collect(),
        })
        .collect();
    Some(ComparisonView {
        period: period_label(language, &period),
        columns,
        rows,
    })
}

/// `stats.html`.
#[derive(Serialize)]
struct StatsPage<'a> {
    filter: &'a RawFilter,
    periods: Vec<PeriodGroup>,
    units: Vec<Choice>,
    categories: Vec<Choice>,
    errors: Vec<FieldError>,
    #[serde(flatten)]
    figures: Option<StatsFigures>,
}

#[derive(Serialize)]
struct UncountedView {
    category_id: crate::ids::CategoryId,
    category: String,
    missing: &'static str,
    handovers: i64,
    listings: Vec<(crate::ids::ItemId, String)>,
}

fn uncounted_views(list: &[crate::stats::quality::Uncounted]) -> Vec<UncountedView> {
    list.iter()
        .map(|u| UncountedView {
            category_id: u.category_id,
            category: u.category_name.clone(),
            missing: u.missing.as_str(),
            handovers: u.handovers,
            listings: u.listings.clone(),
        })
        .collect()
}

/// What the dashboard shows of a valid filter.
#[derive(Serialize)]
struct StatsFigures {
    totals: FigureRow,
    has_records: bool,
    given: FigureRow,
    has_given: bool,
    months: Vec<FigureRow>,
    month_chart: ChartView,
    category_chart: ChartView,
    categories_table: Vec<FigureRow>,
    giving_units: Vec<FigureRow>,
    receiving_units: Vec<FigureRow>,
    organisations: Vec<FigureRow>,
    /// Something came from a partner: the table by giving organisation says what.
    from_partners: bool,
    given_to: Vec<FigureRow>,
    /// Handovers counted as 0 kg for want of a factor or a weight, and where to fix them.
    uncounted: Vec<UncountedView>,
    uncounted_handovers: i64,
    comparison: Option<ComparisonView>,
    purchases: PurchasesView,
    /// How listings ended, days to reuse and the stores, over the period.
    programme: ProgrammeView,
    /// The period in words, for the report's heading and the PDF.
    period_text: String,
    query_string: String,
    method_lines: Vec<String>,
}

fn stats_figures(
    language: Language,
    raw: &RawFilter,
    filter: &Filter,
    setting: &Setting,
    figures_of: report::Figures,
) -> StatsFigures {
    let summary = figures_of.received;
    let given = figures_of.given;
    let comparison = comparison_view(language, filter, &summary.totals, &figures_of.comparisons);
    let unnamed = language.text("stats-no-unit");
    let top_categories = &summary.by_category[..summary.by_category.len().min(CHART_CATEGORIES)];
    let about = setting.about(filter_text(language, filter, setting));
    StatsFigures {
        totals: figures(language, String::new(), &summary.totals),
        has_records: summary.totals != Totals::default(),
        given: figures(language, String::new(), &given),
        has_given: given != Totals::default(),
        months: figure_rows(language, &summary.by_month, &unnamed),
        month_chart: chart_view(
            language,
            "chart-months",
            "stats-chart-months",
            co2e_data(language, &summary.by_month),
            false,
        ),
        category_chart: chart_view(
            language,
            "chart-categories",
            "stats-chart-categories",
            co2e_data(language, top_categories),
            true,
        ),
        categories_table: figure_rows(language, &summary.by_category, &unnamed),
        giving_units: figure_rows(language, &summary.by_giving_unit, &unnamed),
        receiving_units: figure_rows(language, &summary.by_receiving_unit, &unnamed),
        organisations: figure_rows(language, &summary.by_giving_organisation, &unnamed),
        from_partners: summary
            .by_giving_organisation
            .iter()
            .any(|group| group.label != setting.organisation_name),
        given_to: figure_rows(language, &figures_of.given_to, &unnamed),
        uncounted: uncounted_views(&summary.uncounted),
        uncounted_handovers: summary.uncounted.iter().map(|u| u.handovers).sum(),
        comparison,
        purchases: purchases_view(language, &figures_of.purchases),
        programme: programme_view(language, &figures_of.programme),
        period_text: about.filter_text.clone(),
        query_string: serde_urlencoded::to_string(raw).unwrap_or_default(),
        method_lines: export::method_lines(language, &about),
    }
}

#[get("/stats")]
pub async fn dashboard(
    page: Page,
    keeper: LedgerKeeper,
    query: web::Query<RawFilter>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let language = page.language();
    let organisation_id = keeper.0.organisation_id;
    let raw = query.into_inner();
    let report = report::prepare(&app, organisation_id, raw.clone()).await?;
    let setting = &report.setting;
    let mut view = StatsPage {
        filter: &raw,
        periods: period_groups(
            language,
            crate::i18n::local_date(chrono::Utc::now().naive_utc()),
        ),
        units: setting
            .units
            .iter()
            .map(|u| Choice {
                value: u.id.to_string(),
                label: u.name.clone(),
            })
            .collect(),
        categories: category_choices(language, &setting.categories),
        errors: Vec::new(),
        figures: None,
    };
    let filter = match &report.filter {
        Ok(filter) => filter,
        Err(errors) => {
            view.errors = errors.clone();
            return page.show(StatusCode::BAD_REQUEST, "stats.html", &view);
        }
    };
    let sums = report::figures(
        &app,
        organisation_id,
        filter,
        setting.organisation_names.clone(),
    )
    .await?;
    view.figures = Some(stats_figures(language, &raw, filter, setting, sums));
    page.show(StatusCode::OK, "stats.html", &view)
}

/// Hands what an export writes to the response, a chunk at a time. The channel is bounded,
/// so a slow download slows the export instead of filling memory.
struct ChannelWriter {
    sender: tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>,
    buffer: Vec<u8>,
}

const CHUNK: usize = 64 * 1024;

impl ChannelWriter {
    fn send(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(
            &mut self.buffer,
            Vec::with_capacity(CHUNK),
        ));
        self.sender
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "download stopped"))
    }
}

impl std::io::Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(data);
        if self.buffer.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

/// Streams an export of `scope` as a download named `file_stem.<extension>`.
fn stream_export(
    app: &App,
    format: Format,
    language: Language,
    scope: Scope,
    about: About,
    setting: Setting,
    file_stem: &str,
) -> HttpResponse {
    let (sender, mut receiver) = tokio::sync::mpsc::channel(4);
    let pool = app.db.clone();
    let failed = sender.clone();
    actix_web::rt::task::spawn_blocking(move || {
        let writer = ChannelWriter {
            sender,
            buffer: Vec::with_capacity(CHUNK),
        };
        let outcome = export::write(
            format,
            language,
            &scope,
            &about,
            &setting.organisation_names,
            || pool.get().map_err(ExportError::from),
            writer,
        );
        if let Err(error) = outcome {
            // The status line is already sent: ending the body with an error makes the
            // client see a broken download rather than a file that looks complete.
            tracing::error!(%error, "export failed");
            let _ = failed.blocking_send(Err(std::io::Error::other(error.to_string())));
        }
    });
    let body = futures_util::stream::poll_fn(move |cx| receiver.poll_recv(cx));
    HttpResponse::Ok()
        .content_type(format.content_type())
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"{file_stem}.{}\"",
                format.extension()
            ),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(body)
}

/// `bruka-boras-stad-2026-q2`, `bruka-boras-stad-2026-03-01--2026-03-10`, or
/// `bruka-boras-stad-all` (the organisation and the period, never the download's date).
fn file_stem(setting: &Setting, filter: &Filter) -> String {
    let period = match (filter.period(), filter.from, filter.to) {
        (Some(period), _, _) => match period.kind {
            Some(kind) => {
                let year = period.from.year();
                match kind {
                    Kind::Month => format!("{year}-{:02}", period.number()),
                    Kind::Quarter => format!("{year}-q{}", period.number()),
                    Kind::Tertial => format!("{year}-t{}", period.number()),
                    Kind::Year => year.to_string(),
                }
            }
            None => format!("{}--{}", period.from, period.to),
        },
        (None, None, None) => "all".to_string(),
        (None, from, to) => format!(
            "{}--{}",
            from.map(|d| d.to_string()).unwrap_or_default(),
            to.map(|d| d.to_string()).unwrap_or_default()
        ),
    };
    let mut stem = format!("bruka-{}-{period}", setting.organisation_slug);
    if filter.unit_id.is_some() || filter.category_ids.is_some() {
        stem.push_str("-filtered");
    }
    stem
}

/// The dashboard's figures as the one-page PDF report lays them out.
fn pdf_report(
    language: Language,
    setting: &Setting,
    shown: &StatsFigures,
    extras: &report::ReportExtras,
) -> pdf::Report {
    let figures = &shown.totals;
    let mut notes = vec![language.text_with(
        "stats-handovers",
        &[("count", shown.totals.handovers.clone().into())],
    )];
    if let Some(high) = &figures.kg_co2e_high {
        notes.push(language.text_with(
            "stats-co2e-range",
            &[
                ("low", figures.kg_co2e.clone().into()),
                ("high", high.clone().into()),
            ],
        ));
    }
    if shown.uncounted_handovers > 0 {
        notes.push(language.text_with(
            "report-uncounted",
            &[("count", shown.uncounted_handovers.into())],
        ));
    }
    let comparison = shown.comparison.as_ref().map(|view| pdf::Table {
        title: language.text("stats-compare-heading"),
        headers: std::iter::once(language.text("stats-compare-metric"))
            .chain(std::iter::once(view.period.clone()))
            .chain(
                view.columns
                    .iter()
                    .flat_map(|column| [column.clone(), language.text("stats-compare-change")]),
            )
            .collect(),
        rows: view
            .rows
            .iter()
            .map(|row| {
                std::iter::once(row.metric.clone())
                    .chain(std::iter::once(row.now.clone()))
                    .chain(row.earlier.iter().flat_map(|cell| {
                        let change = match &cell.percent {
                            Some(percent) => format!("{} ({percent})", cell.change),
                            None => cell.change.clone(),
                        };
                        [cell.value.clone(), change]
                    }))
                    .collect()
            })
            .collect(),
    });
    let head = extras
        .head
        .clone()
        .unwrap_or_else(crate::ledger::chain::Link::genesis);
    pdf::Report {
        language: language.code().to_string(),
        title: language.text("report-title"),
        organisation: setting.organisation_name.clone(),
        period: shown.period_text.clone(),
        generated: language.text_with(
            "stats-exported-at",
            &[(
                "when",
                crate::i18n::local_time(chrono::Utc::now().naive_utc()).into(),
            )],
        ),
        totals: vec![
            (language.text("stats-total-co2e"), figures.kg_co2e.clone()),
            (
                language.text("stats-total-money"),
                figures.money_sek.clone(),
            ),
            (language.text("stats-total-items"), figures.items.clone()),
            (
                language.text("stats-total-material"),
                figures.kg_material.clone(),
            ),
        ],
        notes,
        comparison,
        trend_title: language.text("stats-months-heading"),
        trend_unit: shown.month_chart.unit.clone(),
        trend: (!shown.months.is_empty()).then(|| shown.month_chart.chart.clone()),
        categories: pdf::Table {
            title: language.text("report-top-categories"),
            headers: vec![
                language.text("stats-col-category"),
                language.text("stats-col-items"),
                language.text("stats-col-co2e"),
                language.text("stats-col-money"),
            ],
            rows: shown
                .categories_table
                .iter()
                .take(REPORT_CATEGORIES)
                .map(|row| {
                    vec![
                        row.label.clone(),
                        row.items.clone(),
                        row.kg_co2e.clone(),
                        row.money_sek.clone(),
                    ]
                })
                .collect(),
        },
        method_title: language.text("stats-method-heading"),
        method: shown.method_lines.clone(),
        sources_title: language.text("report-sources"),
        sources: extras
            .sources
            .iter()
            .map(|(category, source, version)| format!("{category}: {source} ({version})"))
            .collect(),
        footer: vec![language.text_with(
            "report-chain",
            &[
                ("rows", head.seq.into()),
                ("hash", head.hash.clone().into()),
            ],
        )],
    }
}

/// Categories in the PDF's table (the dashboard and the exports have them all).
const REPORT_CATEGORIES: usize = 8;

/// The one-page PDF report of the dashboard's selection, for the council.
#[get("/stats/report.pdf")]
pub async fn report_pdf(
    lang: Lang,
    keeper: LedgerKeeper,
    query: web::Query<RawFilter>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let language = lang.0;
    let organisation_id = keeper.0.organisation_id;
    let raw = query.into_inner();
    let report = report::prepare(&app, organisation_id, raw.clone()).await?;
    let Ok(filter) = report.filter else {
        let query = serde_urlencoded::to_string(&raw).unwrap_or_default();
        return Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, format!("/stats?{query}")))
            .finish());
    };
    let setting = report.setting;
    let sums = report::figures(
        &app,
        organisation_id,
        &filter,
        setting.organisation_names.clone(),
    )
    .await?;
    let extras = report::report_extras(&app, organisation_id, &filter).await?;
    let shown = stats_figures(language, &raw, &filter, &setting, sums);
    let layout = pdf_report(language, &setting, &shown, &extras);
    let bytes = actix_web::rt::task::spawn_blocking(move || pdf::render(&layout))
        .await?
        .map_err(|error| AppError::Refused(crate::refusal::Refusal::Failed(Box::new(error))))?;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"{}.pdf\"",
                file_stem(&setting, &filter)
            ),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(bytes))
}

#[get("/stats/export.{format}")]
pub async fn export_file(
    lang: Lang,
    keeper: LedgerKeeper,
    path: web::Path<String>,
    query: web::Query<RawFilter>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let format = Format::parse(&path.into_inner()).ok_or(AppError::NotFound)?;
    let language = lang.0;
    let organisation_id = keeper.0.organisation_id;
    let raw = query.into_inner();
    let report = report::prepare(&app, organisation_id, raw.clone()).await?;
    let filter = match report.filter {
        Ok(filter) => filter,
        // The dashboard explains what is wrong with the filter.
        Err(_) => {
            let query = serde_urlencoded::to_string(&raw).unwrap_or_default();
            return Ok(HttpResponse::SeeOther()
                .insert_header((header::LOCATION, format!("/stats?{query}")))
                .finish());
        }
    };
    let setting = report.setting;
    let about = setting.about(filter_text(language, &filter, &setting));
    let stem = file_stem(&setting, &filter);
    let scope = Scope {
        organisation_id,
        side: Side::Received,
        filter,
    };
    Ok(stream_export(
        &app, format, language, scope, about, setting, &stem,
    ))
}

// ---------------------------------------------------------------------------------------
// Public summary

/// `/public/{slug}` is the page, `/public/{slug}.json` the same figures for a website.
/// `public_summary.html`.
#[derive(Serialize)]
struct PublicPage<'a> {
    organisation: &'a str,
    totals: FigureRow,
    years: Vec<FigureRow>,
    categories_table: Vec<FigureRow>,
    method_lines: &'a [String],
    json_path: String,
}

#[get("/public/{name}")]
pub async fn public_summary(
    page: Page,
    path: web::Path<String>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let name = path.into_inner();
    let (slug, as_json) = match name.strip_suffix(".json") {
        Some(slug) => (slug.to_string(), true),
        None => (name, false),
    };
    let language = page.language();
    let summary = report::public_summary(&app, language, slug)
        .await?
        .ok_or(AppError::NotFound)?;
    if as_json {
        return Ok(HttpResponse::Ok()
            .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
            .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
            .json(summary.as_ref()));
    }
    let row = |label: String, totals: &export::TotalsJson| {
        figures(language, label, &Totals::from(totals))
    };
    let view = PublicPage {
        organisation: &summary.organisation,
        totals: row(String::new(), &summary.totals),
        years: summary
            .by_year
            .iter()
            .map(|y| row(y.year.clone(), &y.totals))
            .collect(),
        categories_table: summary
            .by_category
            .iter()
            .map(|c| row(c.category.clone(), &c.totals))
            .collect(),
        method_lines: &summary.method,
        json_path: format!("{}.json", page.req().path()),
    };
    page.show(StatusCode::OK, "public_summary.html", &view)
}
