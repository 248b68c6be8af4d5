//! The factor tables Bruka ships (`migrations/seed/`), applied on start in order: each one
//! once, as a national version valid from its day. Organisations' own figures are never
//! touched, and a table already applied (or carried over by the migration) is skipped.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::Deserialize;

use super::table::{self, LineError, PlanError, Scope};
use crate::db::AnyConnection;

/// The first shipped table: a verbatim copy of the project's sourced factor table.
pub const FACTOR_TABLE_VERSION: &str = "bruka-emission-factors-2026-11";

pub(crate) const EMISSION_FACTORS_CSV: &str =
    include_str!("../../migrations/seed/emission_factors.csv");
pub(crate) const EMISSION_FACTORS_2026_12_CSV: &str =
    include_str!("../../migrations/seed/emission_factors_2026_12.csv");
const NEW_PRICE_ESTIMATES_CSV: &str = include_str!("../../migrations/seed/new_price_estimates.csv");

/// A shipped table: its name, the day it is valid from, its rows, and (for the first one,
/// whose prices are in a file of their own) the new-price estimates.
struct Shipped {
    label: &'static str,
    valid_from: (i32, u32, u32),
    factors: &'static str,
    prices: Option<&'static str>,
}

const SHIPPED: [Shipped; 2] = [
    Shipped {
        label: FACTOR_TABLE_VERSION,
        valid_from: (2026, 11, 1),
        factors: EMISSION_FACTORS_CSV,
        prices: Some(NEW_PRICE_ESTIMATES_CSV),
    },
    // Ranges where sources disagree, links, and the sit-stand desk.
    Shipped {
        label: "bruka-emission-factors-2026-12",
        valid_from: (2026, 12, 1),
        factors: EMISSION_FACTORS_2026_12_CSV,
        prices: None,
    },
];

#[derive(Debug, Deserialize)]
struct PriceRow {
    category_path: String,
    new_price_sek: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("shipped factor table: {0}")]
    Csv(#[from] csv::Error),
    #[error("shipped factor table {label}: {errors:?}")]
    Table {
        label: &'static str,
        errors: Vec<LineError>,
    },
    #[error("shipped factor table: {0}")]
    Plan(#[from] PlanError),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
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

fn rows_of(shipped: &Shipped) -> Result<Vec<table::TableRow>, SeedError> {
    let mut rows = table::parse(shipped.factors).map_err(|errors| SeedError::Table {
        label: shipped.label,
        errors,
    })?;
    if let Some(prices) = shipped.prices {
        let prices = parse_price_estimates(prices)?;
        for row in &mut rows {
            row.new_price_sek = row.new_price_sek.or(prices.get(&row.path).copied());
        }
    }
    Ok(rows)
}

/// Applies the shipped tables the database does not have yet. Returns how many category
/// versions were written.
pub fn seed_default_categories(conn: &mut AnyConnection) -> Result<usize, SeedError> {
    crate::db::write_transaction(conn, |conn| {
        let mut written = 0;
        for shipped in &SHIPPED {
            let rows = rows_of(shipped)?;
            let (y, m, d) = shipped.valid_from;
            let Some(valid_from) = NaiveDate::from_ymd_opt(y, m, d) else {
                continue;
            };
            let plan = match table::plan(conn, Scope::National, &rows, valid_from, shipped.label) {
                Ok(plan) => plan,
                Err(PlanError::LabelUsed(_)) => continue,
                Err(error) => return Err(error.into()),
            };
            written += table::apply(conn, Scope::National, &rows, &plan, None)?;
        }
        Ok(written)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn price_estimates_name_existing_categories() {
        let rows = table::parse(EMISSION_FACTORS_CSV).expect("valid");
        let prices = parse_price_estimates(NEW_PRICE_ESTIMATES_CSV).expect("valid");
        for path in prices.keys() {
            assert!(rows.iter().any(|r| &r.path == path), "{path}");
        }
    }

    #[test]
    fn every_shipped_row_has_a_source_and_the_fallback_is_an_estimate() {
        for shipped in &SHIPPED {
            let rows = rows_of(shipped).expect("valid");
            assert!(rows.iter().all(|r| !r.source.is_empty()));
            let fallback = rows.last().expect("has rows");
            assert!(fallback.is_estimate(), "{}", shipped.label);
            assert!(!rows[0].is_estimate());
        }
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
