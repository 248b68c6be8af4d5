//! The ledger's monthly sums (`ledger_months`): per receiving organisation, local month,
//! giving organisation, category and units. Every record is added once, in the transaction
//! that writes (or, for records older than the chain, seals) it, next to its chain link;
//! records never change, so the sums never need anything but adding.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::ReuseRecord;
use crate::db::AnyConnection;
use crate::i18n::local_month;

/// Adds one record to its month's sums.
pub fn add(conn: &mut AnyConnection, record: &ReuseRecord) -> QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO ledger_months (receiving_organisation_id, month, giving_organisation_id, \
         category_id, category_name, from_unit_id, from_unit_name, to_unit_id, to_unit_name, \
         records, reversals, items, co2e_grams, co2e_grams_high, money_ore, material_grams) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $11, $12, $13, $14, $15) \
         ON CONFLICT (receiving_organisation_id, month, giving_organisation_id, category_id, \
         category_name, from_unit_id, from_unit_name, to_unit_id, to_unit_name) DO UPDATE SET \
         records = ledger_months.records + 1, \
         reversals = ledger_months.reversals + excluded.reversals, \
         items = ledger_months.items + excluded.items, \
         co2e_grams = ledger_months.co2e_grams + excluded.co2e_grams, \
         co2e_grams_high = ledger_months.co2e_grams_high + excluded.co2e_grams_high, \
         money_ore = ledger_months.money_ore + excluded.money_ore, \
         material_grams = ledger_months.material_grams + excluded.material_grams",
    )
    .bind::<BigInt, _>(record.receiving_organisation_id.0)
    .bind::<Text, _>(local_month(record.recorded_at))
    .bind::<BigInt, _>(record.giving_organisation_id.0)
    .bind::<BigInt, _>(record.category_id.0)
    .bind::<Text, _>(&record.category_name)
    .bind::<BigInt, _>(record.from_unit_id.map_or(0, |id| id.0))
    .bind::<Text, _>(&record.from_unit_name)
    .bind::<BigInt, _>(record.to_unit_id.map_or(0, |id| id.0))
    .bind::<Text, _>(&record.to_unit_name)
    .bind::<BigInt, _>(i64::from(record.reverses_id.is_some()))
    .bind::<BigInt, _>(i64::from(record.quantity))
    .bind::<BigInt, _>(record.co2e_grams.0)
    // A record without a range counts the same at both ends.
    .bind::<BigInt, _>(record.co2e_grams_high.unwrap_or(record.co2e_grams).0)
    .bind::<BigInt, _>(record.money_saved_ore.0)
    .bind::<BigInt, _>(record.material_grams.0)
    .execute(conn)?;
    Ok(())
}
