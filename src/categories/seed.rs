//! Default categories from the shipped, sourced factor table (`migrations/seed/`).
//!
//! Seeding only adds what is missing, so admins' edits survive restarts and upgrades.

use std::collections::HashMap;

use chrono::Utc;
use diesel::prelude::*;
use serde::Deserialize;

use crate::db::AnyConnection;
use crate::db::schema::categories;

/// Stored on every seeded category so a figure can be traced to the table it came from.
pub const FACTOR_TABLE_VERSION: &str = "bruka-emission-factors-2026-11";

const EMISSION_FACTORS_CSV: &str = include_str!("../../migrations/seed/emission_factors.csv");
const NEW_PRICE_ESTIMATES_CSV: &str = include_str!("../../migrations/seed/new_price_estimates.csv");

/// One row of `emission_factors.csv`, validated.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct FactorRow {
    pub category_path: String,
    pub kg_co2e_per_item: Option<f64>,
    pub kg_co2e_per_kg: Option<f64>,
    pub typical_weight_kg: Option<f64>,
    pub source: String,
    pub notes: String,
}

#[derive(Debug, Deserialize)]
struct PriceRow {
    category_path: String,
    new_price_sek: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("factor table: {0}")]
    Csv(#[from] csv::Error),
    #[error("factor table row `{path}`: {problem}")]
    Row { path: String, problem: &'static str },
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

impl FactorRow {
    fn validate(self) -> Result<Self, SeedError> {
        let problem = |problem| SeedError::Row {
            path: self.category_path.clone(),
            problem,
        };
        if self.path_parts().len() < 2 || self.path_parts().iter().any(|p| p.is_empty()) {
            return Err(problem("path must be Parent/Child"));
        }
        if self.kg_co2e_per_item.is_none() && self.kg_co2e_per_kg.is_none() {
            return Err(problem("needs kg CO2e per item or per kg"));
        }
        let values = [
            self.kg_co2e_per_item,
            self.kg_co2e_per_kg,
            self.typical_weight_kg,
        ];
        if values.iter().flatten().any(|v| !v.is_finite() || *v < 0.0) {
            return Err(problem("factors and weights must be non-negative numbers"));
        }
        if self.source.trim().is_empty() {
            return Err(problem("every factor needs a source"));
        }
        Ok(self)
    }

    fn path_parts(&self) -> Vec<&str> {
        self.category_path.split('/').map(str::trim).collect()
    }

    /// The generic fallback row is marked as an estimate in its source text.
    pub fn is_estimate(&self) -> bool {
        self.source
            .trim_start()
            .to_lowercase()
            .starts_with("estimate")
    }
}

pub fn parse_factor_table(csv_text: &str) -> Result<Vec<FactorRow>, SeedError> {
    csv::Reader::from_reader(csv_text.as_bytes())
        .deserialize::<FactorRow>()
        .map(|row| row?.validate())
        .collect()
}

fn parse_price_estimates(csv_text: &str) -> Result<HashMap<String, f64>, SeedError> {
    csv::Reader::from_reader(csv_text.as_bytes())
        .deserialize::<PriceRow>()
        .map(|row| {
            row.map(|r| (r.category_path, r.new_price_sek))
                .map_err(Into::into)
        })
        .collect()
}

/// `Möbler/Kontorsstol` → `mobler/kontorsstol`.
pub fn slug_for_path(parts: &[&str]) -> String {
    parts
        .iter()
        .map(slug::slugify)
        .collect::<Vec<_>>()
        .join("/")
}

#[derive(Insertable)]
#[diesel(table_name = categories)]
struct NewCategory<'a> {
    parent_id: Option<i64>,
    slug: &'a str,
    name: &'a str,
    kg_co2e_per_item: Option<f64>,
    kg_co2e_per_kg: Option<f64>,
    typical_weight_kg: Option<f64>,
    default_new_price_sek: Option<f64>,
    new_price_is_estimate: bool,
    factor_source: &'a str,
    factor_notes: &'a str,
    factor_version: &'a str,
    factor_is_estimate: bool,
    sort_order: i32,
    created_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
}

impl<'a> NewCategory<'a> {
    fn group(slug: &'a str, name: &'a str, sort_order: i32) -> Self {
        let now = Utc::now().naive_utc();
        Self {
            parent_id: None,
            slug,
            name,
            kg_co2e_per_item: None,
            kg_co2e_per_kg: None,
            typical_weight_kg: None,
            default_new_price_sek: None,
            new_price_is_estimate: true,
            factor_source: "",
            factor_notes: "",
            factor_version: "",
            factor_is_estimate: false,
            sort_order,
            created_at: now,
            updated_at: now,
        }
    }
}

fn find_id(conn: &mut AnyConnection, slug: &str) -> QueryResult<Option<i64>> {
    categories::table
        .filter(categories::slug.eq(slug))
        .select(categories::id)
        .first(conn)
        .optional()
}

fn insert(conn: &mut AnyConnection, new: &NewCategory<'_>) -> QueryResult<i64> {
    diesel::insert_into(categories::table)
        .values(new)
        .returning(categories::id)
        .get_result(conn)
}

/// Creates the categories of the shipped table that the database does not have yet.
/// Returns how many were created.
pub fn seed_default_categories(conn: &mut AnyConnection) -> Result<usize, SeedError> {
    let rows = parse_factor_table(EMISSION_FACTORS_CSV)?;
    let prices = parse_price_estimates(NEW_PRICE_ESTIMATES_CSV)?;
    crate::db::write_transaction(conn, |conn| {
        let mut created = 0;
        for (index, row) in rows.iter().enumerate() {
            // Tens leave room for admins to slot categories in between.
            let sort_order = i32::try_from(index * 10).unwrap_or(i32::MAX);
            let parts = row.path_parts();
            let (leaf_name, parents) = parts.split_last().ok_or_else(|| SeedError::Row {
                path: row.category_path.clone(),
                problem: "empty path",
            })?;
            let mut parent_id = None;
            for depth in 0..parents.len() {
                let slug = slug_for_path(&parts[..=depth]);
                parent_id = Some(match find_id(conn, &slug)? {
                    Some(id) => id,
                    None => {
                        created += 1;
                        insert(conn, &NewCategory::group(&slug, parts[depth], sort_order))?
                    }
                });
            }
            let slug = slug_for_path(&parts);
            if find_id(conn, &slug)?.is_some() {
                continue;
            }
            let price = prices.get(&row.category_path).copied();
            insert(
                conn,
                &NewCategory {
                    parent_id,
                    kg_co2e_per_item: row.kg_co2e_per_item,
                    kg_co2e_per_kg: row.kg_co2e_per_kg,
                    typical_weight_kg: row.typical_weight_kg,
                    default_new_price_sek: price,
                    factor_source: &row.source,
                    factor_notes: &row.notes,
                    factor_version: FACTOR_TABLE_VERSION,
                    factor_is_estimate: row.is_estimate(),
                    ..NewCategory::group(&slug, leaf_name, sort_order)
                },
            )?;
            created += 1;
        }
        Ok(created)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_table_parses_and_every_row_has_a_source() {
        let rows = parse_factor_table(EMISSION_FACTORS_CSV).expect("shipped table is valid");
        assert_eq!(rows.len(), 20);
        let chair = &rows[0];
        assert_eq!(chair.category_path, "Möbler/Kontorsstol");
        assert_eq!(chair.kg_co2e_per_item, Some(64.0));
        assert_eq!(chair.typical_weight_kg, Some(12.0));
        assert!(chair.source.contains("FIRA"));
        let fallback = rows.last().expect("has rows");
        assert!(fallback.is_estimate());
        assert!(!chair.is_estimate());
    }

    #[test]
    fn price_estimates_name_existing_categories() {
        let rows = parse_factor_table(EMISSION_FACTORS_CSV).expect("valid");
        let prices = parse_price_estimates(NEW_PRICE_ESTIMATES_CSV).expect("valid");
        for path in prices.keys() {
            assert!(rows.iter().any(|r| &r.category_path == path), "{path}");
        }
    }

    #[test]
    fn rows_without_factor_or_source_are_refused() {
        let header =
            "category_path,kg_co2e_per_item,kg_co2e_per_kg,typical_weight_kg,source,notes\n";
        let no_factor = format!("{header}A/B,,,,src,\n");
        assert!(parse_factor_table(&no_factor).is_err());
        let no_source = format!("{header}A/B,3,,,,\n");
        assert!(parse_factor_table(&no_source).is_err());
        let negative = format!("{header}A/B,-3,,,src,\n");
        assert!(parse_factor_table(&negative).is_err());
        let flat = format!("{header}Top,3,,,src,\n");
        assert!(parse_factor_table(&flat).is_err());
    }

    #[test]
    fn slugs_fold_nordic_letters() {
        assert_eq!(
            slug_for_path(&["Möbler", "Kontorsstol"]),
            "mobler/kontorsstol"
        );
        assert_eq!(
            slug_for_path(&["Möbler", "Hurts och förvaring"]),
            "mobler/hurts-och-forvaring"
        );
        assert_eq!(slug_for_path(&["Övrigt", "Övrigt"]), "ovrigt/ovrigt");
    }
}
