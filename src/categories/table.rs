//! Factor tables as CSV files: the shipped ones, a new national version from the command
//! line, or an organisation's own from the admin page. A file is read whole and checked
//! line by line before anything changes; the plan says, category by category, what
//! applying it would change, and applying it writes one new version per changed category
//! in one transaction.

use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::versions::{
    self, Author, CheckedChange, Extra, FactorBasis, FactorRange, Figures, MAX_FACTOR_KG_CO2E,
    MAX_NEW_PRICE_SEK, MAX_TYPICAL_WEIGHT_KG,
};
use super::{Category, list_all};
use crate::db::AnyConnection;
use crate::db::schema::{categories, category_versions};
use crate::i18n::parse_decimal;
use crate::ids::{CategoryId, OrganisationId, UserId};

/// The largest file accepted (the shipped table is about 3 KB).
pub const MAX_FILE_BYTES: usize = 512 * 1024;

/// One line of a factor table as written. Numbers are text so that `1,5` (a Swedish
/// spreadsheet) and `1.5` both read.
#[derive(Debug, Deserialize)]
struct RawRow {
    category_path: String,
    #[serde(default)]
    kg_co2e_per_item: String,
    #[serde(default)]
    kg_co2e_per_item_low: String,
    #[serde(default)]
    kg_co2e_per_item_high: String,
    #[serde(default)]
    kg_co2e_per_kg: String,
    #[serde(default)]
    kg_co2e_per_kg_low: String,
    #[serde(default)]
    kg_co2e_per_kg_high: String,
    #[serde(default)]
    typical_weight_kg: String,
    #[serde(default)]
    new_price_sek: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    source_url: String,
    #[serde(default)]
    notes: String,
}

/// One checked line of a factor table.
#[derive(Debug, Clone, PartialEq)]
pub struct TableRow {
    /// The line in the file, for messages.
    pub line: u64,
    /// `Möbler/Kontorsstol`.
    pub path: String,
    pub factor: FactorRange,
    pub typical_weight_kg: Option<f64>,
    pub new_price_sek: Option<f64>,
    pub source: String,
    pub source_url: String,
    pub notes: String,
}

impl TableRow {
    pub fn parts(&self) -> Vec<&str> {
        self.path.split('/').map(str::trim).collect()
    }

    /// The generic fallback row says it is an estimate in its source text.
    pub fn is_estimate(&self) -> bool {
        self.source
            .trim_start()
            .to_lowercase()
            .starts_with("estimate")
    }
}

/// What is wrong with a file, by line (1 is the header).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("line {line}: {problem}")]
pub struct LineError {
    pub line: u64,
    pub problem: String,
}

fn line_error(line: u64, problem: impl Into<String>) -> LineError {
    LineError {
        line,
        problem: problem.into(),
    }
}

fn number(line: u64, column: &str, raw: &str, max: f64) -> Result<Option<f64>, LineError> {
    match parse_decimal(raw) {
        None => Ok(None),
        Some(Ok(value)) if value.is_finite() && (0.0..=max).contains(&value) => Ok(Some(value)),
        Some(Ok(_)) => Err(line_error(
            line,
            format!("{column} must be between 0 and {max}"),
        )),
        Some(Err(_)) => Err(line_error(line, format!("{column} is not a number: {raw}"))),
    }
}

fn range(
    line: u64,
    basis: FactorBasis,
    [central, low, high]: [(&str, &str); 3],
) -> Result<Option<FactorRange>, LineError> {
    let central_value = number(line, central.0, central.1, MAX_FACTOR_KG_CO2E)?;
    let low_value = number(line, low.0, low.1, MAX_FACTOR_KG_CO2E)?;
    let high_value = number(line, high.0, high.1, MAX_FACTOR_KG_CO2E)?;
    let Some(central_value) = central_value else {
        if low_value.is_some() || high_value.is_some() {
            return Err(line_error(
                line,
                format!("{} and {} need {}", low.0, high.0, central.0),
            ));
        }
        return Ok(None);
    };
    if low_value.is_some_and(|l| l > central_value) || high_value.is_some_and(|h| h < central_value)
    {
        return Err(line_error(
            line,
            format!("{} ≤ {} ≤ {} does not hold", low.0, central.0, high.0),
        ));
    }
    Ok(Some(FactorRange {
        basis,
        low: low_value,
        central: central_value,
        high: high_value,
    }))
}

fn check(line: u64, raw: RawRow) -> Result<TableRow, LineError> {
    let path = raw.category_path.trim().to_string();
    let parts: Vec<&str> = path.split('/').map(str::trim).collect();
    if parts.len() != 2 || parts.iter().any(|p| p.is_empty() || p.chars().count() > 80) {
        return Err(line_error(line, "category_path must be Group/Category"));
    }
    let per_item = range(
        line,
        FactorBasis::PerItem,
        [
            ("kg_co2e_per_item", &raw.kg_co2e_per_item),
            ("kg_co2e_per_item_low", &raw.kg_co2e_per_item_low),
            ("kg_co2e_per_item_high", &raw.kg_co2e_per_item_high),
        ],
    )?;
    let per_kg = range(
        line,
        FactorBasis::PerKg,
        [
            ("kg_co2e_per_kg", &raw.kg_co2e_per_kg),
            ("kg_co2e_per_kg_low", &raw.kg_co2e_per_kg_low),
            ("kg_co2e_per_kg_high", &raw.kg_co2e_per_kg_high),
        ],
    )?;
    // The per-item figure wins: it is the more specific source.
    let factor = per_item
        .or(per_kg)
        .ok_or_else(|| line_error(line, "needs kg_co2e_per_item or kg_co2e_per_kg"))?;
    let typical_weight_kg = number(
        line,
        "typical_weight_kg",
        &raw.typical_weight_kg,
        MAX_TYPICAL_WEIGHT_KG,
    )?;
    if typical_weight_kg == Some(0.0) {
        return Err(line_error(line, "typical_weight_kg must be above 0"));
    }
    let new_price_sek = number(line, "new_price_sek", &raw.new_price_sek, MAX_NEW_PRICE_SEK)?;
    let source = raw.source.trim().to_string();
    if source.is_empty() {
        return Err(line_error(line, "every factor needs a source"));
    }
    let source_url = raw.source_url.trim().to_string();
    if !source_url.is_empty() && !versions::is_web_link(&source_url) {
        return Err(line_error(line, "source_url must start with https://"));
    }
    Ok(TableRow {
        line,
        path: parts.join("/"),
        factor,
        typical_weight_kg,
        new_price_sek,
        source,
        source_url,
        notes: raw.notes.trim().to_string(),
    })
}

/// Reads a factor table: comma- or semicolon-separated (as spreadsheets write it in
/// Sweden and Norway), with a header naming the columns. All lines are checked; the
/// errors of every bad line are returned together.
pub fn parse(text: &str) -> Result<Vec<TableRow>, Vec<LineError>> {
    if text.len() > MAX_FILE_BYTES {
        return Err(vec![line_error(0, "the file is larger than 512 KB")]);
    }
    let text = text.trim_start_matches('\u{feff}');
    let header = text.lines().next().unwrap_or_default();
    let delimiter = if header.contains(';') && !header.contains(',') {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = match reader.headers() {
        Ok(headers) if headers.iter().any(|h| h == "category_path") => headers.clone(),
        _ => return Err(vec![line_error(1, "the header must name category_path")]),
    };
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for record in reader.records() {
        let row = record
            .map_err(|error| {
                let line = error.position().map_or(0, |p| p.line());
                line_error(line, error.to_string())
            })
            .and_then(|record| {
                let line = record.position().map_or(0, |p| p.line());
                record
                    .deserialize::<RawRow>(Some(&headers))
                    .map_err(|error| line_error(line, error.to_string()))
                    .and_then(|raw| check(line, raw))
            });
        match row {
            Ok(row) => match seen.get(&row.path.to_lowercase()) {
                Some(first) => errors.push(line_error(
                    row.line,
                    format!("{} is already on line {first}", row.path),
                )),
                None => {
                    seen.insert(row.path.to_lowercase(), row.line);
                    rows.push(row);
                }
            },
            Err(error) => errors.push(error),
        }
    }
    if rows.is_empty() && errors.is_empty() {
        errors.push(line_error(2, "the file has no rows"));
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

/// What applying a row would do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// A category the installation does not have yet.
    New,
    Changed,
    Unchanged,
}

/// One row of a plan: the figures now and after.
#[derive(Debug, Clone, Serialize)]
pub struct Planned {
    pub row_line: u64,
    pub path: String,
    pub category: Option<CategoryId>,
    pub effect: Effect,
    pub before: Option<Figures>,
    pub after_factor: FactorRange,
    pub after_weight: Option<f64>,
    pub after_price: Option<f64>,
    pub after_source: String,
}

/// What a table would change, before it is applied.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub valid_from: NaiveDate,
    pub label: String,
    pub rows: Vec<Planned>,
}

impl Plan {
    pub fn changes(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| r.effect != Effect::Unchanged)
            .count()
    }
}

/// For whom a table is: the national base, or one organisation's own figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    National,
    Organisation(OrganisationId),
}

impl Scope {
    fn organisation(self) -> Option<OrganisationId> {
        match self {
            Scope::National => None,
            Scope::Organisation(id) => Some(id),
        }
    }
}

fn find_by_path<'a>(all: &'a [Category], path: &str) -> Option<&'a Category> {
    let parts: Vec<&str> = path.split('/').collect();
    let slug = super::seed::slug_for_path(&parts);
    all.iter().find(|c| c.slug == slug)
}

fn same(before: &Figures, row: &TableRow) -> bool {
    before.factor == Some(row.factor)
        && before.typical_weight_kg == row.typical_weight_kg
        && (row.new_price_sek.is_none() || before.new_price_sek == row.new_price_sek)
        && before.factor_source == row.source
}

/// Works out what `rows` would change for `scope` from `valid_from` on. Refuses a day
/// before a category's latest version of the same scope, a label already used, and (for
/// an organisation) categories it cannot change.
pub fn plan(
    conn: &mut AnyConnection,
    scope: Scope,
    rows: &[TableRow],
    valid_from: NaiveDate,
    label: &str,
) -> Result<Plan, PlanError> {
    let label = label.trim();
    if label.is_empty() || label.chars().count() > 100 {
        return Err(PlanError::Label);
    }
    let used: i64 = category_versions::table
        .filter(category_versions::table_version.eq(label))
        .count()
        .get_result(conn)?;
    if used > 0 {
        return Err(PlanError::LabelUsed(label.to_string()));
    }
    let all = list_all(conn)?;
    let book = versions::load_book(conn)?;
    let viewer = scope.organisation().unwrap_or(OrganisationId(0));
    let mut errors = Vec::new();
    let mut planned = Vec::new();
    for row in rows {
        let category = find_by_path(&all, &row.path);
        let category = match (category, scope) {
            (Some(category), Scope::Organisation(org)) if !category.is_for(org) => None,
            (Some(category), Scope::National) if category.organisation_id.is_some() => None,
            (found, _) => found,
        };
        let Some(category) = category else {
            match scope {
                Scope::National => {
                    planned.push(planned_row(row, None, Effect::New, None));
                }
                Scope::Organisation(_) => errors.push(line_error(
                    row.line,
                    format!(
                        "{} is not a category here; add it as a subcategory first",
                        row.path
                    ),
                )),
            }
            continue;
        };
        if category.parent_id.is_none() {
            errors.push(line_error(row.line, format!("{} is a group", row.path)));
            continue;
        }
        let own_scope = match scope {
            Scope::Organisation(org) if category.organisation_id != Some(org) => Some(org),
            _ => None,
        };
        let previous = book
            .history(category, viewer)
            .into_iter()
            .filter(|v| v.organisation_id == own_scope.or(category.organisation_id))
            .map(|v| v.valid_from)
            .max();
        if previous.is_some_and(|previous| valid_from < previous) {
            errors.push(line_error(
                row.line,
                format!(
                    "{} already has a version from {}; this one cannot start before it",
                    row.path,
                    previous.unwrap_or(valid_from)
                ),
            ));
            continue;
        }
        let before = book.figures(category, viewer, valid_from);
        let effect = if same(&before, row) {
            Effect::Unchanged
        } else {
            Effect::Changed
        };
        planned.push(planned_row(row, Some(category.id), effect, Some(before)));
    }
    if !errors.is_empty() {
        return Err(PlanError::Lines(errors));
    }
    Ok(Plan {
        valid_from,
        label: label.to_string(),
        rows: planned,
    })
}

fn planned_row(
    row: &TableRow,
    category: Option<CategoryId>,
    effect: Effect,
    before: Option<Figures>,
) -> Planned {
    Planned {
        row_line: row.line,
        path: row.path.clone(),
        category,
        effect,
        before,
        after_factor: row.factor,
        after_weight: row.typical_weight_kg,
        after_price: row.new_price_sek,
        after_source: row.source.clone(),
    }
}

/// A plan as lines for the terminal.
pub fn describe_plan(plan: &Plan) -> Vec<String> {
    let text = |range: FactorRange| {
        let unit = match range.basis {
            FactorBasis::PerItem => "kg CO2e/item",
            FactorBasis::PerKg => "kg CO2e/kg",
        };
        match (range.low, range.high) {
            (None, None) => format!("{} {unit}", range.central),
            (low, high) => format!(
                "{} {unit} (range {}–{})",
                range.counted(),
                low.unwrap_or(range.central),
                high.unwrap_or(range.central)
            ),
        }
    };
    plan.rows
        .iter()
        .map(|row| {
            let before = row
                .before
                .as_ref()
                .and_then(|b| b.factor)
                .map_or_else(|| "–".to_string(), text);
            let effect = match row.effect {
                Effect::New => "new",
                Effect::Changed => "changed",
                Effect::Unchanged => "unchanged",
            };
            format!(
                "line {:>3}  {:<40} {:<9} {before} → {}",
                row.row_line,
                row.path,
                effect,
                text(row.after_factor)
            )
        })
        .collect()
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Lines(Vec<LineError>),
    #[error("the version needs a name of at most 100 characters")]
    Label,
    #[error("a table named {0} is already imported")]
    LabelUsed(String),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// Writes `plan` (worked out from `rows` by [`plan`], in the same transaction): creates
/// the new categories, one version per changed one. Returns how many versions it wrote.
pub fn apply(
    conn: &mut AnyConnection,
    scope: Scope,
    rows: &[TableRow],
    plan: &Plan,
    changed_by: Option<UserId>,
) -> Result<usize, PlanError> {
    let by_line: HashMap<u64, &TableRow> = rows.iter().map(|r| (r.line, r)).collect();
    let mut written = 0;
    // A new category sorts after the row before it in the file.
    let mut previous: Option<CategoryId> = None;
    for planned in &plan.rows {
        let Some(row) = by_line.get(&planned.row_line) else {
            continue;
        };
        let category = match planned.category {
            Some(id) => id,
            None => create_national(conn, row, previous)?,
        };
        previous = Some(category);
        if planned.effect == Effect::Unchanged {
            continue;
        }
        let change = CheckedChange {
            valid_from: plan.valid_from,
            factor: Some(row.factor),
            typical_weight_kg: row.typical_weight_kg,
            new_price_sek: row.new_price_sek,
            source: row.source.clone(),
            source_url: row.source_url.clone(),
            reason: format!("factor table {}", plan.label),
        };
        let author = Author {
            organisation_id: scope.organisation(),
            user_id: changed_by,
            table_version: &plan.label,
        };
        let extra = Extra {
            notes: &row.notes,
            // A national table cannot know what an organisation pays; its prices are
            // estimates. An organisation's own table states its prices.
            new_price_is_estimate: scope == Scope::National,
            is_estimate: row.is_estimate(),
        };
        versions::insert(conn, category, &author, &change, &extra)?;
        written += 1;
    }
    Ok(written)
}

#[derive(Insertable)]
#[diesel(table_name = categories)]
struct NewCategory<'a> {
    parent_id: Option<CategoryId>,
    slug: &'a str,
    name: &'a str,
    sort_order: i32,
    organisation_id: Option<OrganisationId>,
    created_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
}

/// Inserts a category and returns its id.
pub(crate) fn insert_category(
    conn: &mut AnyConnection,
    parent_id: Option<CategoryId>,
    slug: &str,
    name: &str,
    sort_order: i32,
    organisation_id: Option<OrganisationId>,
) -> QueryResult<CategoryId> {
    let now = Utc::now().naive_utc();
    diesel::insert_into(categories::table)
        .values(&NewCategory {
            parent_id,
            slug,
            name,
            sort_order,
            organisation_id,
            created_at: now,
            updated_at: now,
        })
        .returning(categories::id)
        .get_result(conn)
}

fn group_order(conn: &mut AnyConnection, group_id: CategoryId) -> QueryResult<i32> {
    categories::table
        .find(group_id)
        .select(categories::sort_order)
        .first(conn)
}

/// A national category a table names for the first time, with its group if that is new
/// too; it sorts right after `after` when that is in the same group, else last in it.
fn create_national(
    conn: &mut AnyConnection,
    row: &TableRow,
    after: Option<CategoryId>,
) -> QueryResult<CategoryId> {
    let parts = row.parts();
    let group_slug = super::seed::slug_for_path(&parts[..1]);
    let group = categories::table
        .filter(categories::slug.eq(&group_slug))
        .select((categories::id, categories::sort_order))
        .first::<(CategoryId, i32)>(conn)
        .optional()?;
    let group_id = match group {
        Some((id, _)) => id,
        None => {
            let last: Option<i32> = categories::table
                .select(diesel::dsl::max(categories::sort_order))
                .first(conn)?;
            let order = last.unwrap_or(0).saturating_add(10);
            insert_category(conn, None, &group_slug, parts[0], order, None)?
        }
    };
    let neighbour: Option<i32> = match after {
        Some(after) => categories::table
            .find(after)
            .filter(categories::parent_id.eq(group_id))
            .select(categories::sort_order)
            .first(conn)
            .optional()?,
        None => None,
    };
    let siblings = |conn: &mut AnyConnection| {
        categories::table
            .filter(categories::parent_id.eq(group_id))
            .select(categories::sort_order)
            .load::<i32>(conn)
    };
    // Tens leave room to slot categories in between: a follower takes the middle of the gap.
    let order = match neighbour {
        Some(order) => {
            let next = siblings(conn)?.into_iter().filter(|&o| o > order).min();
            match next {
                Some(next) => order + ((next - order) / 2).max(1),
                None => order.saturating_add(10),
            }
        }
        None => siblings(conn)?
            .into_iter()
            .max()
            .map_or_else(|| group_order(conn, group_id), Ok)?
            .saturating_add(10),
    };
    let slug = super::seed::slug_for_path(&parts);
    insert_category(conn, Some(group_id), &slug, parts[1], order, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "category_path,kg_co2e_per_item,kg_co2e_per_item_low,kg_co2e_per_item_high,kg_co2e_per_kg,typical_weight_kg,new_price_sek,source\n";

    #[test]
    fn shipped_tables_parse() {
        let first = parse(super::super::seed::EMISSION_FACTORS_CSV).expect("valid");
        assert_eq!(first.len(), 20);
        assert_eq!(first[0].path, "Möbler/Kontorsstol");
        assert_eq!(first[0].factor.central, 64.0);
        let second = parse(super::super::seed::EMISSION_FACTORS_2026_12_CSV).expect("valid");
        let screen = second
            .iter()
            .find(|r| r.path == "IT/Skärm")
            .expect("screens");
        assert_eq!(screen.factor.counted(), 65.9);
        assert_eq!(screen.factor.highest(), 520.0);
        assert!(
            second
                .iter()
                .any(|r| r.path == "Möbler/Höj- och sänkbart skrivbord")
        );
    }

    #[test]
    fn semicolons_and_decimal_commas_read() {
        let text = "category_path;kg_co2e_per_kg;source\nElektronik/Små elapparater;5,65;DEFRA\n";
        let rows = parse(text).expect("valid");
        assert_eq!(rows[0].factor.central, 5.65);
        assert_eq!(rows[0].factor.basis, FactorBasis::PerKg);
    }

    #[test]
    fn every_bad_line_is_named() {
        let text = format!(
            "{HEADER}Möbler/Stol,-3,,,,,,src\nMöbler/Bord,80,90,,,,,src\nMöbler/Skåp,44,,,,,,\nPlatt,3,,,,,,src\nMöbler/Soffa,abc,,,,,,src\nMöbler/Hylla,,,,,,,src\nMöbler/Stol2,10,,,,,,src\n"
        );
        let errors = parse(&text).expect_err("bad lines");
        let lines: Vec<u64> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [2, 3, 4, 5, 6, 7]);
        assert!(errors[1].problem.contains("≤"));
        assert!(errors[2].problem.contains("source"));
        assert!(errors[5].problem.contains("needs"));
    }

    #[test]
    fn duplicate_paths_and_empty_files_are_refused() {
        let text = format!("{HEADER}Möbler/Bord,80,,,,,,a\nmöbler/bord,81,,,,,,b\n");
        let errors = parse(&text).expect_err("duplicate");
        assert_eq!(errors[0].line, 3);
        assert!(parse(HEADER).is_err());
        assert!(parse("name,value\nx,1\n").is_err());
    }
}
