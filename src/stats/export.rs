//! Ledger exports (CSV, XLSX, JSON) of the same records the dashboard sums, written row by
//! row to any `Write` so a million records stream out without being held in memory.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

use chrono::NaiveDateTime;
use serde::Serialize;
use serde_json::{Map, Value};

use super::{BATCH, Scope, Totals};
use crate::db::AnyConnection;
use crate::i18n::{Language, local_naive, local_time};
use crate::ids::OrganisationId;
use crate::ledger::ReuseRecord;
use crate::ledger::chain::{self, Link};
use crate::ledger::savings::Method;
use crate::ledger::{Grams, Ore};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
    Json,
}

impl Format {
    pub fn parse(extension: &str) -> Option<Self> {
        match extension {
            "csv" => Some(Format::Csv),
            "xlsx" => Some(Format::Xlsx),
            "json" => Some(Format::Json),
            _ => None,
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
            Format::Json => "json",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Json => "application/json",
        }
    }
}

/// The columns of every export, in order. Each is also the JSON key, and its header text is
/// the message `export-column-<key>`.
pub const COLUMNS: [&str; 32] = [
    "id",
    "recorded_at",
    "reservation_id",
    "reverses_id",
    "item_id",
    "item_title",
    "category",
    "quantity",
    "giving_organisation",
    "giving_unit",
    "receiving_organisation",
    "receiving_unit",
    "would_buy_new",
    "displacement",
    "factor_kind",
    "factor_kg_co2e",
    "factor_source",
    "factor_version",
    "factor_is_estimate",
    "weight_kg",
    "weight_is_typical",
    "new_price_sek",
    "new_price_is_estimate",
    "deduction_kg_co2e",
    "kg_co2e",
    "money_sek",
    "kg_material",
    "costs_sek",
    "deduction_source",
    "note",
    "chain_seq",
    "chain_hash",
];

#[derive(Debug, Clone, PartialEq)]
pub enum Cell<'a> {
    /// Borrowed from the record where it can be: a million rows, a dozen texts each.
    Text(std::borrow::Cow<'a, str>),
    Int(i64),
    /// A number and the fraction digits it is written with.
    Decimal(f64, usize),
    Bool(bool),
    /// A time in UTC, written in local time (a date cell in XLSX).
    Time(NaiveDateTime),
    Empty,
}

fn optional_int(value: Option<i64>) -> Cell<'static> {
    value.map_or(Cell::Empty, Cell::Int)
}

fn optional_decimal(value: Option<f64>, digits: usize) -> Cell<'static> {
    value.map_or(Cell::Empty, |v| Cell::Decimal(v, digits))
}

/// One record and its link in the chain as cells in [`COLUMNS`] order.
pub fn cells<'a>(
    record: &'a ReuseRecord,
    link: Option<&'a Link>,
    organisation_names: &'a BTreeMap<OrganisationId, String>,
) -> Vec<Cell<'a>> {
    let organisation = |id: OrganisationId| {
        Cell::Text(match organisation_names.get(&id) {
            Some(name) => name.as_str().into(),
            None => format!("#{id}").into(),
        })
    };
    let text = |value: &'a String| Cell::Text(value.as_str().into());
    vec![
        Cell::Int(record.id.0),
        Cell::Time(record.recorded_at),
        optional_int(record.reservation_id.map(|id| id.0)),
        optional_int(record.reverses_id.map(|id| id.0)),
        Cell::Int(record.item_id.0),
        text(&record.item_title),
        text(&record.category_name),
        Cell::Int(i64::from(record.quantity)),
        organisation(record.giving_organisation_id),
        text(&record.from_unit_name),
        organisation(record.receiving_organisation_id),
        text(&record.to_unit_name),
        Cell::Text(record.would_buy_new.as_str().into()),
        Cell::Decimal(record.displacement, 2),
        Cell::Text(record.factor_kind.as_str().into()),
        optional_decimal(record.factor_kg_co2e, 3),
        text(&record.factor_source),
        text(&record.factor_version),
        Cell::Bool(record.factor_is_estimate),
        optional_decimal(record.weight_kg, 3),
        Cell::Bool(record.weight_is_typical),
        optional_decimal(record.new_price_sek, 2),
        Cell::Bool(record.new_price_is_estimate),
        Cell::Decimal(record.deduction_kg_co2e, 3),
        Cell::Decimal(record.co2e_grams.kg(), 3),
        Cell::Decimal(record.money_saved_ore.kronor(), 2),
        Cell::Decimal(record.material_grams.kg(), 3),
        Cell::Decimal(record.costs_ore.kronor(), 2),
        text(&record.deduction_source),
        text(&record.note),
        optional_int(link.map(|link| link.seq)),
        link.map_or(Cell::Empty, |link| text(&link.hash)),
    ]
}

/// A factor as it was used by exported records: the method sheet lists each once.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct FactorUse {
    pub category: String,
    pub kind: String,
    /// Written as text so the set can order and compare it exactly.
    pub kg_co2e: String,
    /// The high end of the factor's range, where its sources disagree (else empty).
    pub kg_co2e_high: String,
    pub source: String,
    pub version: String,
    pub is_estimate: bool,
}

impl FactorUse {
    fn of(record: &ReuseRecord) -> Self {
        Self {
            category: record.category_name.clone(),
            kind: record.factor_kind.as_str().to_string(),
            kg_co2e: record
                .factor_kg_co2e
                .map(|kg| kg.to_string())
                .unwrap_or_default(),
            kg_co2e_high: record
                .factor_kg_co2e_high
                .map(|kg| kg.to_string())
                .unwrap_or_default(),
            source: record.factor_source.clone(),
            version: record.factor_version.clone(),
            is_estimate: record.factor_is_estimate,
        }
    }
}

/// What an export says about itself besides the rows.
pub struct About {
    pub organisation: String,
    pub generated_at: NaiveDateTime,
    /// The filter in words, e.g. "2026-01-01 – 2026-06-30, Förskolan Solen".
    pub filter_text: String,
    /// The organisation's current method settings (each row carries the D it was counted with).
    pub method: Method,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
    #[error("no database connection: {0}")]
    Pool(#[from] r2d2::Error),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Csv(#[from] csv::Error),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    #[error(transparent)]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
}

/// Where rows go; one implementation per format.
/// What an export knows only after its last row: the totals, every factor used, and the
/// handovers counted as 0 kg for want of a factor or weight.
struct Closing {
    /// Rows written.
    rows: i64,
    /// The organisation's chain head when the last row was read: every exported row is at or
    /// before it, and `bruka ledger verify --export` checks it is still in the chain.
    head: Option<Link>,
    totals: Totals,
    /// Per category and per local month, for the XLSX summary sheet.
    by_category: BTreeMap<String, Totals>,
    by_month: BTreeMap<String, Totals>,
    factors: BTreeSet<FactorUse>,
    uncounted: Vec<super::quality::Uncounted>,
}

trait Sink {
    fn row(&mut self, cells: &[Cell]) -> Result<(), ExportError>;
    fn finish(self: Box<Self>, closing: &Closing) -> Result<(), ExportError>;
}

/// Writes every record in scope to `out` in `format`, with headers and method notes in
/// `language`. `conn_for_batch` is called once per batch of rows.
pub fn write<C, W>(
    format: Format,
    language: Language,
    scope: &Scope,
    about: &About,
    organisation_names: &BTreeMap<OrganisationId, String>,
    conn_for_batch: impl FnMut() -> Result<C, ExportError> + Send,
    out: W,
) -> Result<(), ExportError>
where
    C: std::ops::DerefMut<Target = AnyConnection>,
    W: Write + Send + 'static,
{
    let mut sink: Box<dyn Sink> = match format {
        Format::Csv => Box::new(CsvSink::new(language, out)?),
        Format::Json => Box::new(JsonSink::new(language, about, out)?),
        Format::Xlsx => Box::new(XlsxSink::new(language, about, out)?),
    };
    let mut tally = Tally::default();
    let mut conn_for_batch = conn_for_batch;
    read_ahead(&mut conn_for_batch, scope, &mut tally, |(record, link)| {
        sink.row(&cells(record, link.as_ref(), organisation_names))
    })?;
    let head = chain::head(&mut *conn_for_batch()?, scope.organisation_id)?;
    sink.finish(&tally.close(head))
}

/// The sums, factors and uncounted handovers of the rows read so far.
#[derive(Default)]
struct Tally {
    rows: i64,
    totals: Totals,
    by_category: BTreeMap<String, Totals>,
    by_month: BTreeMap<String, Totals>,
    factors: BTreeSet<FactorUse>,
    uncounted: super::quality::Collecting,
}

impl Tally {
    fn add(&mut self, record: &ReuseRecord) {
        self.rows += 1;
        self.uncounted.add(&super::quality::Facts {
            is_reversal: record.reverses_id.is_some(),
            co2e_grams: record.co2e_grams,
            factor_kind: record.factor_kind,
            weight_kg: record.weight_kg,
            category_id: record.category_id,
            category_name: &record.category_name,
            item_id: record.item_id,
            item_title: &record.item_title,
        });
        let month = crate::i18n::local_month(record.recorded_at);
        for sums in [
            &mut self.totals,
            super::group_entry(&mut self.by_category, &record.category_name),
            self.by_month.entry(month).or_default(),
        ] {
            sums.add_figures(
                record.reverses_id.is_some(),
                record.quantity,
                (record.co2e_grams, record.co2e_grams_high),
                record.money_saved_ore,
                record.material_grams,
            );
        }
        self.factors.insert(FactorUse::of(record));
    }

    fn close(self, head: Option<Link>) -> Closing {
        Closing {
            rows: self.rows,
            head,
            totals: self.totals,
            by_category: self.by_category,
            by_month: self.by_month,
            factors: self.factors,
            uncounted: self.uncounted.finish(),
        }
    }
}

/// Batches read ahead while the rows before them are written: reading and writing take
/// about as long each, so overlapping them nearly halves an export. At most this many
/// batches wait, so memory stays bounded.
const BATCHES_AHEAD: usize = 2;

/// Calls `each` for every record in scope with its link, in id order, while a second
/// thread reads the next batches (a connection per batch, so a slow download never holds
/// one for long) and adds them to `tally`, so the writing thread does nothing but write.
/// When `each` fails, the reader stops at its next batch.
fn read_ahead<C>(
    conn_for_batch: &mut (impl FnMut() -> Result<C, ExportError> + Send),
    scope: &Scope,
    tally: &mut Tally,
    mut each: impl FnMut(&(ReuseRecord, Option<Link>)) -> Result<(), ExportError>,
) -> Result<(), ExportError>
where
    C: std::ops::DerefMut<Target = AnyConnection>,
{
    type Batch = Result<Vec<(ReuseRecord, Option<Link>)>, ExportError>;
    let (sender, receiver) = std::sync::mpsc::sync_channel::<Batch>(BATCHES_AHEAD);
    std::thread::scope(|threads| {
        threads.spawn(move || {
            let mut after = 0;
            loop {
                let batch = conn_for_batch()
                    .and_then(|mut conn| Ok(linked_batch(&mut conn, scope, after, BATCH)?));
                let next = match &batch {
                    Ok(rows) if rows.len() as i64 == BATCH => rows.last().map(|(r, _)| r.id.0),
                    _ => None,
                };
                if let Ok(rows) = &batch {
                    rows.iter().for_each(|(record, _)| tally.add(record));
                }
                if sender.send(batch).is_err() {
                    return;
                }
                match next {
                    Some(id) => after = id,
                    None => return,
                }
            }
        });
        for batch in receiver {
            for row in &batch? {
                each(row)?;
            }
        }
        Ok(())
    })
}

/// A batch of records with their links in the chain.
fn linked_batch(
    conn: &mut AnyConnection,
    scope: &Scope,
    after_id: i64,
    limit: i64,
) -> diesel::QueryResult<Vec<(ReuseRecord, Option<Link>)>> {
    let records = super::batch(conn, scope, after_id, limit)?;
    let mut links = match (records.first(), records.last()) {
        (Some(first), Some(last)) => chain::links_between(conn, (first.id, last.id))?,
        _ => Default::default(),
    };
    Ok(records
        .into_iter()
        .map(|record| {
            let link = links.remove(&record.id);
            (record, link)
        })
        .collect())
}

fn yes_no(language: Language, value: bool) -> String {
    language.text(if value { "export-yes" } else { "export-no" })
}

fn header_texts(language: Language) -> Vec<String> {
    COLUMNS
        .iter()
        .map(|key| language.text(&format!("export-column-{key}")))
        .collect()
}

/// The method in words, one line per statement, for the method sheet and the JSON.
pub fn method_lines(language: Language, about: &About) -> Vec<String> {
    let number = |value: f64| value.to_string();
    vec![
        language.text("stats-method-formula"),
        language.text_with(
            "stats-method-displacement",
            &[
                ("yes", number(about.method.displacement_yes).into()),
                ("unsure", number(about.method.displacement_unsure).into()),
                ("no", number(about.method.displacement_no).into()),
            ],
        ),
        language.text_with(
            "stats-method-deductions",
            &[
                (
                    "refurbishment",
                    number(about.method.refurbishment_kg_co2e).into(),
                ),
                ("transport", number(about.method.transport_kg_co2e).into()),
            ],
        ),
        language.text("stats-method-measured"),
        language.text("stats-method-once"),
        language.text("stats-method-ranges"),
        language.text("stats-method-not-offset"),
    ]
}

/// Plain digits without grouping; the decimal sign as the language writes it, since
/// spreadsheet programs read a CSV file with the reader's own number format.
fn csv_number(language: Language, value: f64, digits: usize) -> String {
    let plain = format!("{value:.digits$}");
    let plain = if plain.contains('.') {
        plain
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    } else {
        plain
    };
    match language {
        Language::English => plain,
        Language::Swedish | Language::NorwegianBokmal => plain.replace('.', ","),
    }
}

/// A text field as a spreadsheet program cannot take it for a formula: OWASP's advice for
/// CSV injection is a leading `'` before `=`, `+`, `-`, `@`, tab and carriage return (the
/// csv writer quotes the field where needed). Only text is touched; numbers stay numbers.
fn inert(text: &str) -> std::borrow::Cow<'_, str> {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}").into(),
        _ => text.into(),
    }
}

/// The first field of a CSV export's last line: chain head sequence, head hash, rows.
pub const CSV_TRAILER: &str = "#bruka-chain-head";

struct CsvSink<W: Write> {
    writer: csv::Writer<W>,
    language: Language,
}

impl<W: Write> CsvSink<W> {
    fn new(language: Language, mut out: W) -> Result<Self, ExportError> {
        // The byte order mark makes Excel read the file as UTF-8 (å, ä, ö).
        out.write_all("\u{feff}".as_bytes())?;
        // Swedish and Norwegian Excel expect ';' between fields, as the decimal sign is ','.
        let delimiter = match language {
            Language::English => b',',
            Language::Swedish | Language::NorwegianBokmal => b';',
        };
        // Flexible: the closing chain-head line is shorter than a record.
        let mut writer = csv::WriterBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .from_writer(out);
        writer.write_record(header_texts(language))?;
        Ok(Self { writer, language })
    }
}

impl<W: Write> Sink for CsvSink<W> {
    fn row(&mut self, cells: &[Cell]) -> Result<(), ExportError> {
        let language = self.language;
        let fields = cells.iter().map(|cell| match cell {
            Cell::Text(text) => inert(text).into_owned(),
            Cell::Int(value) => value.to_string(),
            Cell::Decimal(value, digits) => csv_number(language, *value, *digits),
            Cell::Bool(value) => yes_no(language, *value),
            Cell::Time(at) => local_time(*at),
            Cell::Empty => String::new(),
        });
        self.writer.write_record(fields)?;
        Ok(())
    }

    /// A last line, after the rows, with the chain head and the number of rows; its first
    /// field marks it so a reader can tell it from a record.
    fn finish(self: Box<Self>, closing: &Closing) -> Result<(), ExportError> {
        let mut writer = self.writer;
        let head = closing.head.clone().unwrap_or_else(Link::genesis);
        writer.write_record([
            CSV_TRAILER.to_string(),
            head.seq.to_string(),
            head.hash,
            closing.rows.to_string(),
        ])?;
        writer.flush()?;
        Ok(())
    }
}

/// `{"organisation": …, "method": …, "records": [ … ], "totals": …, "factors": [ … ], "uncounted": [ … ]}`;
/// totals and factors come last because they are known only after the rows.
struct JsonSink<W: Write> {
    out: W,
    first: bool,
}

impl<W: Write> JsonSink<W> {
    fn new(language: Language, about: &About, mut out: W) -> Result<Self, ExportError> {
        let head = serde_json::json!({
            "organisation": about.organisation,
            "generated_at": about.generated_at.and_utc().to_rfc3339(),
            "filter": about.filter_text,
            "method": {
                "text": method_lines(language, about),
                "displacement_yes": about.method.displacement_yes,
                "displacement_unsure": about.method.displacement_unsure,
                "displacement_no": about.method.displacement_no,
                "refurbishment_kg_co2e": about.method.refurbishment_kg_co2e,
                "transport_kg_co2e": about.method.transport_kg_co2e,
            },
        });
        let head = serde_json::to_string(&head)?;
        // Reopen the object to append the streamed array.
        let open = head.strip_suffix('}').unwrap_or(&head);
        out.write_all(open.as_bytes())?;
        out.write_all(b",\"records\":[")?;
        Ok(Self { out, first: true })
    }
}

fn json_value(cell: &Cell) -> Value {
    match cell {
        Cell::Text(text) => Value::String(text.to_string()),
        Cell::Int(value) => Value::from(*value),
        Cell::Decimal(value, _) => Value::from(*value),
        Cell::Bool(value) => Value::Bool(*value),
        Cell::Time(at) => Value::String(local_time(*at)),
        Cell::Empty => Value::Null,
    }
}

impl<W: Write> Sink for JsonSink<W> {
    fn row(&mut self, cells: &[Cell]) -> Result<(), ExportError> {
        let object: Map<String, Value> = COLUMNS
            .iter()
            .zip(cells)
            .map(|(key, cell)| (key.to_string(), json_value(cell)))
            .collect();
        if !self.first {
            self.out.write_all(b",")?;
        }
        self.first = false;
        serde_json::to_writer(&mut self.out, &object)?;
        Ok(())
    }

    fn finish(self: Box<Self>, closing: &Closing) -> Result<(), ExportError> {
        let (totals, factors) = (&closing.totals, &closing.factors);
        let mut out = self.out;
        out.write_all(b"],\"totals\":")?;
        serde_json::to_writer(&mut out, &TotalsJson::from(totals))?;
        out.write_all(b",\"factors\":")?;
        serde_json::to_writer(&mut out, factors)?;
        out.write_all(b",\"uncounted\":")?;
        serde_json::to_writer(&mut out, &closing.uncounted)?;
        out.write_all(b",\"chain\":")?;
        serde_json::to_writer(&mut out, &ChainJson::of(closing))?;
        out.write_all(b"}")?;
        out.flush()?;
        Ok(())
    }
}

/// What a JSON export says of the chain: the head when it was written and its row count.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct ChainJson {
    pub head_seq: i64,
    pub head_hash: String,
    pub rows: i64,
}

impl ChainJson {
    fn of(closing: &Closing) -> Self {
        let head = closing.head.clone().unwrap_or_else(Link::genesis);
        Self {
            head_seq: head.seq,
            head_hash: head.hash,
            rows: closing.rows,
        }
    }
}

/// Totals as the API and exports publish them: whole units plus the exact integers.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TotalsJson {
    /// Handovers counted (a reversal takes one away).
    pub handovers: i64,
    pub items: i64,
    pub kg_co2e: f64,
    pub money_sek: f64,
    pub kg_material: f64,
    /// The same figures exactly, as stored.
    pub co2e_grams: i64,
    pub money_ore: i64,
    pub material_grams: i64,
    /// kg CO2e with the high end of every factor's range (the figures above use the low).
    #[serde(default)]
    pub kg_co2e_high: f64,
    #[serde(default)]
    pub co2e_grams_high: i64,
}

impl From<&Totals> for TotalsJson {
    fn from(totals: &Totals) -> Self {
        Self {
            handovers: totals.handovers,
            items: totals.items,
            kg_co2e: totals.co2e_grams.kg(),
            money_sek: totals.money_ore.kronor(),
            kg_material: totals.material_grams.kg(),
            co2e_grams: totals.co2e_grams.0,
            money_ore: totals.money_ore.0,
            material_grams: totals.material_grams.0,
            kg_co2e_high: totals.co2e_grams_high.kg(),
            co2e_grams_high: totals.co2e_grams_high.0,
        }
    }
}

impl From<&TotalsJson> for Totals {
    /// Exact: the JSON carries the stored integers beside the rounded units.
    fn from(json: &TotalsJson) -> Self {
        Totals {
            handovers: json.handovers,
            items: json.items,
            co2e_grams: Grams(json.co2e_grams),
            co2e_grams_high: Grams(json.co2e_grams_high.max(json.co2e_grams)),
            money_ore: Ore(json.money_ore),
            material_grams: Grams(json.material_grams),
        }
    }
}

/// Rows per worksheet: Excel's limit minus the header row; more rows go on further sheets.
const XLSX_ROWS_PER_SHEET: u32 = 1_048_575;

// `XlsxSink::formatted_columns` has a bit per column.
const _: () = assert!(COLUMNS.len() <= u32::BITS as usize);

/// The deflate level of the XLSX container (1 fastest, 9 smallest; 6 by default).
const XLSX_COMPRESSION: u8 = 1;

struct XlsxSink<W: Write + Send> {
    workbook: rust_xlsxwriter::Workbook,
    out: W,
    language: Language,
    method_lines: Vec<String>,
    about_lines: Vec<String>,
    sheet: usize,
    row: u32,
    /// The data sheet's columns that have their number or date format (bit per column).
    formatted_columns: u32,
    header: rust_xlsxwriter::Format,
    /// Local date and time, as Excel shows dates (a real date cell, sortable and filterable).
    time: rust_xlsxwriter::Format,
    summary_name: String,
    generated_at: NaiveDateTime,
    /// Kronor and other two-decimal figures; kg and factors (up to three decimals).
    money: rust_xlsxwriter::Format,
    measure: rust_xlsxwriter::Format,
}

impl<W: Write + Send> XlsxSink<W> {
    fn new(language: Language, about: &About, out: W) -> Result<Self, ExportError> {
        let mut sink = Self {
            workbook: rust_xlsxwriter::Workbook::new(),
            out,
            language,
            method_lines: method_lines(language, about),
            about_lines: vec![
                about.organisation.clone(),
                about.filter_text.clone(),
                language.text_with(
                    "stats-exported-at",
                    &[("when", local_time(about.generated_at).into())],
                ),
            ],
            sheet: 0,
            row: 0,
            formatted_columns: 0,
            header: rust_xlsxwriter::Format::new().set_bold(),
            time: rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd hh:mm"),
            summary_name: language.text("export-sheet-summary"),
            money: rust_xlsxwriter::Format::new().set_num_format("#,##0.00"),
            measure: rust_xlsxwriter::Format::new().set_num_format("#,##0.0##"),
            generated_at: about.generated_at,
        };
        // Most of an export's time is deflating its XML: level 1 takes about half the time
        // of the default 6 for a file about a third larger (rust_xlsxwriter's measurements).
        sink.workbook.set_zip_compression_level(XLSX_COMPRESSION);
        // The summary comes first in the workbook but is filled last, when the sums are
        // known; it is small, so it is kept in memory (the data sheets are not).
        let summary = sink.workbook.add_worksheet();
        summary.set_name(&sink.summary_name)?;
        sink.start_sheet()?;
        Ok(sink)
    }

    /// A data sheet kept on disk as it is written (constant memory mode).
    fn start_sheet(&mut self) -> Result<(), ExportError> {
        self.sheet += 1;
        let name = if self.sheet == 1 {
            self.language.text("export-sheet-data")
        } else {
            format!("{} {}", self.language.text("export-sheet-data"), self.sheet)
        };
        let header = self.header.clone();
        let sheet = self.workbook.add_worksheet_with_constant_memory()?;
        sheet.set_name(name)?;
        for (column, text) in header_texts(self.language).iter().enumerate() {
            sheet.write_string_with_format(0, column as u16, text, &header)?;
        }
        sheet.set_freeze_panes(1, 0)?;
        self.row = 0;
        self.formatted_columns = 0;
        Ok(())
    }
}

impl<W: Write + Send> Sink for XlsxSink<W> {
    fn row(&mut self, cells: &[Cell]) -> Result<(), ExportError> {
        if self.row == XLSX_ROWS_PER_SHEET {
            self.start_sheet()?;
        }
        self.row += 1;
        let row = self.row;
        let language = self.language;
        let sheet = self.workbook.worksheets_mut().last_mut().ok_or(
            rust_xlsxwriter::XlsxError::UnknownWorksheetNameOrIndex(String::new()),
        )?;
        for (column, cell) in cells.iter().enumerate() {
            let format = match cell {
                Cell::Decimal(_, digits) if *digits <= 2 => Some(&self.money),
                Cell::Decimal(..) => Some(&self.measure),
                Cell::Time(_) => Some(&self.time),
                _ => None,
            };
            let column_bit = 1 << column;
            let column = column as u16;
            // A column format rather than a format per cell: Excel shows the same, and
            // rust_xlsxwriter hashes a cell's format on every write, a quarter of an
            // export's time. A column's cells all have one kind, so its first number or
            // date decides (the rows above left it empty).
            if let Some(format) = format
                && self.formatted_columns & column_bit == 0
            {
                sheet.set_column_format(column, format)?;
                self.formatted_columns |= column_bit;
            }
            match cell {
                Cell::Text(text) => {
                    sheet.write_string(row, column, text.as_ref())?;
                }
                Cell::Int(value) => {
                    sheet.write_number(row, column, *value as f64)?;
                }
                Cell::Decimal(value, _) => {
                    sheet.write_number(row, column, *value)?;
                }
                Cell::Bool(value) => {
                    sheet.write_string(row, column, yes_no(language, *value))?;
                }
                Cell::Time(at) => {
                    sheet.write_datetime(row, column, local_naive(*at))?;
                }
                Cell::Empty => {}
            }
        }
        Ok(())
    }

    fn finish(self: Box<Self>, closing: &Closing) -> Result<(), ExportError> {
        let (totals, factors) = (&closing.totals, &closing.factors);
        let XlsxSink {
            mut workbook,
            mut out,
            language,
            method_lines,
            about_lines,
            header,
            time,
            summary_name,
            generated_at,
            ..
        } = *self;
        let summary = workbook.worksheet_from_name(&summary_name)?;
        write_summary(
            summary,
            language,
            (&about_lines, generated_at),
            closing,
            (&header, &time),
        )?;
        let sheet = workbook.add_worksheet_with_constant_memory()?;
        sheet.set_name(language.text("export-sheet-method"))?;
        let mut row = 0;
        for line in about_lines.iter().chain(&method_lines) {
            sheet.write_string(row, 0, line)?;
            row += 1;
        }
        row += 1;
        let total_lines = [
            ("stats-total-handovers", totals.handovers as f64),
            ("stats-total-items", totals.items as f64),
            ("stats-total-co2e", totals.co2e_grams.kg()),
            ("stats-total-money", totals.money_ore.kronor()),
            ("stats-total-material", totals.material_grams.kg()),
        ];
        for (key, value) in total_lines {
            sheet.write_string(row, 0, language.text(key))?;
            sheet.write_number(row, 1, value)?;
            row += 1;
        }
        if totals.co2e_grams_high > totals.co2e_grams {
            sheet.write_string(row, 0, language.text("export-total-co2e-high"))?;
            sheet.write_number(row, 1, totals.co2e_grams_high.kg())?;
            row += 1;
        }
        row += 1;
        let factor_headers = [
            "export-column-category",
            "export-column-factor_kind",
            "export-column-factor_kg_co2e",
            "export-column-factor_source",
            "export-column-factor_version",
            "export-column-factor_is_estimate",
            "export-column-factor_kg_co2e_high",
        ];
        for (column, key) in factor_headers.iter().enumerate() {
            sheet.write_string_with_format(row, column as u16, language.text(key), &header)?;
        }
        for factor in factors {
            row += 1;
            sheet.write_string(row, 0, &factor.category)?;
            sheet.write_string(row, 1, &factor.kind)?;
            if let Ok(kg) = factor.kg_co2e.parse::<f64>() {
                sheet.write_number(row, 2, kg)?;
            }
            sheet.write_string(row, 3, &factor.source)?;
            sheet.write_string(row, 4, &factor.version)?;
            sheet.write_string(row, 5, yes_no(language, factor.is_estimate))?;
            if let Ok(kg) = factor.kg_co2e_high.parse::<f64>() {
                sheet.write_number(row, 6, kg)?;
            }
        }
        if !closing.uncounted.is_empty() {
            row += 2;
            sheet.write_string_with_format(row, 0, language.text("export-uncounted"), &header)?;
            for group in &closing.uncounted {
                row += 1;
                let key = format!("stats-uncounted-{}", group.missing.as_str());
                let line = language.text_with(
                    &key,
                    &[
                        ("category", group.category_name.clone().into()),
                        ("count", group.handovers.into()),
                    ],
                );
                sheet.write_string(row, 0, &line)?;
            }
        }
        workbook.save_to_writer(&mut out)?;
        out.flush()?;
        Ok(())
    }
}

/// The XLSX summary sheet: who and when, the totals in number formats, the chain head,
/// and the sums per category and per month.
fn write_summary(
    sheet: &mut rust_xlsxwriter::Worksheet,
    language: Language,
    (about_lines, generated_at): (&[String], NaiveDateTime),
    closing: &Closing,
    (header, time): (&rust_xlsxwriter::Format, &rust_xlsxwriter::Format),
) -> Result<(), ExportError> {
    use rust_xlsxwriter::Format;
    let kg = Format::new().set_num_format("#,##0.0");
    let whole = Format::new().set_num_format("#,##0");
    let title = Format::new().set_bold().set_font_size(14);
    sheet.set_column_width(0, 34)?;
    for column in 1..6 {
        sheet.set_column_width(column, 16)?;
    }
    sheet.write_string_with_format(0, 0, language.text("report-title"), &title)?;
    let mut row = 1;
    for line in about_lines.iter().take(2) {
        sheet.write_string(row, 0, line)?;
        row += 1;
    }
    sheet.write_string(row, 0, language.text("export-generated"))?;
    sheet.write_datetime_with_format(row, 1, local_naive(generated_at), time)?;
    row += 2;
    let totals = &closing.totals;
    let lines: [(&str, f64, &Format); 5] = [
        ("stats-total-co2e", totals.co2e_grams.kg(), &kg),
        ("stats-total-money", totals.money_ore.kronor(), &whole),
        ("stats-total-items", totals.items as f64, &whole),
        ("stats-total-material", totals.material_grams.kg(), &kg),
        ("stats-total-handovers", totals.handovers as f64, &whole),
    ];
    for (key, value, format) in lines {
        sheet.write_string(row, 0, language.text(key))?;
        sheet.write_number_with_format(row, 1, value, format)?;
        row += 1;
    }
    if totals.co2e_grams_high > totals.co2e_grams {
        sheet.write_string(row, 0, language.text("export-total-co2e-high"))?;
        sheet.write_number_with_format(row, 1, totals.co2e_grams_high.kg(), &kg)?;
        row += 1;
    }
    row += 1;
    let head = closing.head.clone().unwrap_or_else(Link::genesis);
    sheet.write_string(row, 0, language.text("export-chain-rows"))?;
    sheet.write_number_with_format(row, 1, closing.rows as f64, &whole)?;
    sheet.write_string(row + 1, 0, language.text("export-chain-head-seq"))?;
    sheet.write_number(row + 1, 1, head.seq as f64)?;
    sheet.write_string(row + 2, 0, language.text("export-chain-head-hash"))?;
    sheet.write_string(row + 2, 1, &head.hash)?;
    sheet.write_string(row + 3, 0, language.text("export-chain-explained"))?;
    row += 5;
    let mut table = |row: &mut u32,
                     first: &str,
                     groups: &mut dyn Iterator<Item = (&String, &Totals)>|
     -> Result<(), ExportError> {
        let headings = [
            first.to_string(),
            language.text("stats-col-handovers"),
            language.text("stats-col-items"),
            language.text("stats-col-co2e"),
            language.text("stats-col-money"),
            language.text("stats-col-material"),
        ];
        for (column, text) in headings.iter().enumerate() {
            sheet.write_string_with_format(*row, column as u16, text, header)?;
        }
        for (label, sums) in groups {
            *row += 1;
            sheet.write_string(*row, 0, label)?;
            sheet.write_number_with_format(*row, 1, sums.handovers as f64, &whole)?;
            sheet.write_number_with_format(*row, 2, sums.items as f64, &whole)?;
            sheet.write_number_with_format(*row, 3, sums.co2e_grams.kg(), &kg)?;
            sheet.write_number_with_format(*row, 4, sums.money_ore.kronor(), &whole)?;
            sheet.write_number_with_format(*row, 5, sums.material_grams.kg(), &kg)?;
        }
        *row += 2;
        Ok(())
    };
    let mut categories: Vec<(&String, &Totals)> = closing.by_category.iter().collect();
    categories.sort_by(|a, b| b.1.co2e_grams.cmp(&a.1.co2e_grams).then(a.0.cmp(b.0)));
    table(
        &mut row,
        &language.text("stats-col-category"),
        &mut categories.into_iter(),
    )?;
    table(
        &mut row,
        &language.text("stats-col-month"),
        &mut closing.by_month.iter(),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{CategoryId, ItemId, RecordId, ReservationId};

    #[test]
    fn csv_numbers_follow_the_reader_language_without_grouping() {
        assert_eq!(csv_number(Language::Swedish, 1234.5, 3), "1234,5");
        assert_eq!(csv_number(Language::English, 1234.5, 3), "1234.5");
        assert_eq!(csv_number(Language::NorwegianBokmal, 64.0, 3), "64");
        assert_eq!(csv_number(Language::Swedish, -0.25, 2), "-0,25");
    }

    #[test]
    fn text_that_a_spreadsheet_would_run_is_made_inert() {
        for risky in [
            "=HYPERLINK(\"http://example.com\")",
            "+46 33 35 70 00",
            "-1+1",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
        ] {
            assert_eq!(inert(risky), format!("'{risky}"), "{risky:?}");
        }
        for safe in ["Kontorsstol", "", " =1", "Stol = bra", "'citat"] {
            assert_eq!(inert(safe), safe, "{safe:?}");
        }
    }

    #[test]
    fn every_column_has_a_cell() {
        let record = ReuseRecord {
            id: RecordId(1),
            reservation_id: Some(ReservationId(2)),
            reverses_id: None,
            item_id: ItemId(3),
            item_title: "Stol".into(),
            giving_organisation_id: OrganisationId(4),
            receiving_organisation_id: OrganisationId(4),
            from_unit_id: None,
            from_unit_name: String::new(),
            to_unit_id: None,
            to_unit_name: String::new(),
            category_id: CategoryId(5),
            category_name: "Kontorsstol".into(),
            quantity: 3,
            factor_kind: crate::ledger::FactorKind::PerItem,
            factor_kg_co2e: Some(64.0),
            factor_source: "källa".into(),
            factor_version: "v1".into(),
            factor_is_estimate: false,
            weight_kg: None,
            weight_is_typical: false,
            new_price_sek: Some(4200.0),
            new_price_is_estimate: false,
            would_buy_new: crate::ledger::savings::WouldBuyNew::Yes,
            displacement: 1.0,
            deduction_kg_co2e: 0.0,
            co2e_grams: Grams(192_000),
            money_saved_ore: Ore(1_260_000),
            material_grams: Grams(37_500),
            recorded_at: NaiveDateTime::default(),
            recorded_by: None,
            note: String::new(),
            category_version_id: None,
            factor_kg_co2e_high: None,
            co2e_grams_high: None,
            costs_ore: Ore(45_000),
            deduction_source: "reparation #1".into(),
        };
        let names = BTreeMap::from([(OrganisationId(4), "Exempelkommunen".to_string())]);
        let row = cells(&record, None, &names);
        assert_eq!(row.len(), COLUMNS.len());
        assert_eq!(row[8], Cell::Text("Exempelkommunen".into()));
        assert_eq!(row[24], Cell::Decimal(192.0, 3));
        assert_eq!(row[25], Cell::Decimal(12_600.0, 2));
        assert_eq!(row[27], Cell::Decimal(450.0, 2));
    }
}
