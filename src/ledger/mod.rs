//! The savings ledger: one immutable row per handover, with a snapshot of everything its
//! figures were computed from. A correction is a new row with the opposite figures.

pub mod savings;

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::audit::{self, Change, Subject};
use crate::categories::{Category, Factor};
use crate::db::AnyConnection;
use crate::db::schema::{organisations, reuse_records};
use savings::{Handover, Method, WouldBuyNew};

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = reuse_records)]
pub struct ReuseRecord {
    pub id: i64,
    pub reservation_id: Option<i64>,
    pub reverses_id: Option<i64>,
    pub item_id: i64,
    pub item_title: String,
    pub giving_organisation_id: i64,
    pub receiving_organisation_id: i64,
    pub from_unit_id: Option<i64>,
    pub from_unit_name: String,
    pub to_unit_id: Option<i64>,
    pub to_unit_name: String,
    pub category_id: i64,
    pub category_name: String,
    pub quantity: i32,
    pub factor_kind: String,
    pub factor_kg_co2e: Option<f64>,
    pub factor_source: String,
    pub factor_version: String,
    pub factor_is_estimate: bool,
    pub weight_kg: Option<f64>,
    pub weight_is_typical: bool,
    pub new_price_sek: Option<f64>,
    pub new_price_is_estimate: bool,
    pub would_buy_new: String,
    pub displacement: f64,
    pub deduction_kg_co2e: f64,
    pub co2e_grams: i64,
    pub money_saved_ore: i64,
    pub material_grams: i64,
    pub recorded_at: NaiveDateTime,
    pub recorded_by: Option<i64>,
    pub note: String,
}

/// Everything a handover record is computed from.
pub struct HandoverFacts<'a> {
    pub reservation_id: i64,
    pub item_id: i64,
    pub item_title: &'a str,
    pub giving_organisation_id: i64,
    pub receiving_organisation_id: i64,
    pub from_unit: Option<(i64, String)>,
    pub to_unit: Option<(i64, String)>,
    pub category: &'a Category,
    pub quantity: i32,
    pub weight_kg: Option<f64>,
    /// The listing's own new price; the category's estimate is used without it.
    pub new_price_sek: Option<f64>,
    pub answer: WouldBuyNew,
    pub recorded_by: Option<i64>,
}

/// The method settings of an organisation (the receiving one decides: it avoided a purchase).
pub fn method_of(conn: &mut AnyConnection, organisation_id: i64) -> QueryResult<Method> {
    let (yes, unsure, no, refurbishment, transport) = organisations::table
        .find(organisation_id)
        .select((
            organisations::displacement_yes,
            organisations::displacement_unsure,
            organisations::displacement_no,
            organisations::refurbishment_kg_co2e,
            organisations::transport_kg_co2e,
        ))
        .first::<(f64, f64, f64, f64, f64)>(conn)?;
    Ok(Method {
        displacement_yes: yes,
        displacement_unsure: unsure,
        displacement_no: no,
        refurbishment_kg_co2e: refurbishment,
        transport_kg_co2e: transport,
    })
}

/// Changes an organisation's method settings (checked with [`Method::validate`]).
pub fn set_method(
    conn: &mut AnyConnection,
    organisation_id: i64,
    method: &Method,
) -> QueryResult<()> {
    diesel::update(organisations::table.find(organisation_id))
        .set((
            organisations::displacement_yes.eq(method.displacement_yes),
            organisations::displacement_unsure.eq(method.displacement_unsure),
            organisations::displacement_no.eq(method.displacement_no),
            organisations::refurbishment_kg_co2e.eq(method.refurbishment_kg_co2e),
            organisations::transport_kg_co2e.eq(method.transport_kg_co2e),
        ))
        .execute(conn)?;
    Ok(())
}

/// Writes the record of a handover. A second record for the same reservation is refused by
/// the database (unique index), so a repeated "picked up" can never count twice.
pub fn record_handover(conn: &mut AnyConnection, facts: &HandoverFacts<'_>) -> QueryResult<i64> {
    let method = method_of(conn, facts.receiving_organisation_id)?;
    let factor = facts.category.factor();
    let (new_price_sek, new_price_is_estimate) = match facts.new_price_sek {
        Some(price) => (Some(price), false),
        None => (
            facts.category.default_new_price_sek,
            facts.category.new_price_is_estimate,
        ),
    };
    let handover = Handover {
        quantity: facts.quantity,
        factor,
        weight_kg: facts.weight_kg,
        new_price_sek,
        answer: facts.answer,
    };
    let applied = savings::applied(&handover, &method);
    let figures = savings::compute(&handover, &method);
    let (factor_kind, factor_kg_co2e) = match factor {
        Some(Factor::PerItem { kg_co2e }) => ("per_item", Some(kg_co2e)),
        Some(Factor::PerKg { kg_co2e_per_kg, .. }) => ("per_kg", Some(kg_co2e_per_kg)),
        None => ("none", None),
    };
    let (from_unit_id, from_unit_name) = split_unit(&facts.from_unit);
    let (to_unit_id, to_unit_name) = split_unit(&facts.to_unit);
    let id: i64 = diesel::insert_into(reuse_records::table)
        .values((
            reuse_records::reservation_id.eq(facts.reservation_id),
            reuse_records::item_id.eq(facts.item_id),
            reuse_records::item_title.eq(facts.item_title),
            reuse_records::giving_organisation_id.eq(facts.giving_organisation_id),
            reuse_records::receiving_organisation_id.eq(facts.receiving_organisation_id),
            reuse_records::from_unit_id.eq(from_unit_id),
            reuse_records::from_unit_name.eq(from_unit_name),
            reuse_records::to_unit_id.eq(to_unit_id),
            reuse_records::to_unit_name.eq(to_unit_name),
            reuse_records::category_id.eq(facts.category.id),
            reuse_records::category_name.eq(&facts.category.name),
            reuse_records::quantity.eq(facts.quantity),
            reuse_records::factor_kind.eq(factor_kind),
            reuse_records::factor_kg_co2e.eq(factor_kg_co2e),
            reuse_records::factor_source.eq(&facts.category.factor_source),
            reuse_records::factor_version.eq(&facts.category.factor_version),
            reuse_records::factor_is_estimate.eq(facts.category.factor_is_estimate),
            reuse_records::weight_kg.eq(applied.weight_kg),
            reuse_records::weight_is_typical.eq(applied.weight_is_typical),
            reuse_records::new_price_sek.eq(new_price_sek),
            reuse_records::new_price_is_estimate.eq(new_price_is_estimate),
            reuse_records::would_buy_new.eq(facts.answer.as_str()),
            reuse_records::displacement.eq(applied.displacement),
            reuse_records::deduction_kg_co2e
                .eq(method.refurbishment_kg_co2e + method.transport_kg_co2e),
            reuse_records::co2e_grams.eq(figures.co2e_grams),
            reuse_records::money_saved_ore.eq(figures.money_saved_ore),
            reuse_records::material_grams.eq(figures.material_grams),
            reuse_records::recorded_at.eq(Utc::now().naive_utc()),
            reuse_records::recorded_by.eq(facts.recorded_by),
        ))
        .returning(reuse_records::id)
        .get_result(conn)?;
    Ok(id)
}

fn split_unit(unit: &Option<(i64, String)>) -> (Option<i64>, &str) {
    match unit {
        Some((id, name)) => (Some(*id), name.as_str()),
        None => (None, ""),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("no such record for this person")]
    NotFound,
    #[error("the record is already reversed, or is itself a reversal")]
    AlreadyReversed,
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// Who may correct the ledger of an organisation: its admins and sustainability staff.
pub struct Corrector {
    pub user_id: i64,
    pub organisation_id: i64,
}

/// Cancels a record's figures with a new, opposite record (`note` says why).
pub fn reverse(
    conn: &mut AnyConnection,
    by: &Corrector,
    record_id: i64,
    note: &str,
) -> Result<i64, LedgerError> {
    crate::db::write_transaction(conn, |conn| {
        let original: ReuseRecord = reuse_records::table
            .find(record_id)
            .select(ReuseRecord::as_select())
            .first(conn)
            .optional()?
            .ok_or(LedgerError::NotFound)?;
        if original.receiving_organisation_id != by.organisation_id
            && original.giving_organisation_id != by.organisation_id
        {
            return Err(LedgerError::NotFound);
        }
        let already: i64 = reuse_records::table
            .filter(reuse_records::reverses_id.eq(record_id))
            .count()
            .get_result(conn)?;
        if original.reverses_id.is_some() || already > 0 {
            return Err(LedgerError::AlreadyReversed);
        }
        let id: i64 = diesel::insert_into(reuse_records::table)
            .values((
                reuse_records::reverses_id.eq(original.id),
                reuse_records::item_id.eq(original.item_id),
                reuse_records::item_title.eq(&original.item_title),
                reuse_records::giving_organisation_id.eq(original.giving_organisation_id),
                reuse_records::receiving_organisation_id.eq(original.receiving_organisation_id),
                reuse_records::from_unit_id.eq(original.from_unit_id),
                reuse_records::from_unit_name.eq(&original.from_unit_name),
                reuse_records::to_unit_id.eq(original.to_unit_id),
                reuse_records::to_unit_name.eq(&original.to_unit_name),
                reuse_records::category_id.eq(original.category_id),
                reuse_records::category_name.eq(&original.category_name),
                reuse_records::quantity.eq(-original.quantity),
                reuse_records::factor_kind.eq(&original.factor_kind),
                reuse_records::factor_kg_co2e.eq(original.factor_kg_co2e),
                reuse_records::factor_source.eq(&original.factor_source),
                reuse_records::factor_version.eq(&original.factor_version),
                reuse_records::factor_is_estimate.eq(original.factor_is_estimate),
                reuse_records::weight_kg.eq(original.weight_kg),
                reuse_records::weight_is_typical.eq(original.weight_is_typical),
                reuse_records::new_price_sek.eq(original.new_price_sek),
                reuse_records::new_price_is_estimate.eq(original.new_price_is_estimate),
                reuse_records::would_buy_new.eq(&original.would_buy_new),
                reuse_records::displacement.eq(original.displacement),
                reuse_records::deduction_kg_co2e.eq(original.deduction_kg_co2e),
                reuse_records::co2e_grams.eq(-original.co2e_grams),
                reuse_records::money_saved_ore.eq(-original.money_saved_ore),
                reuse_records::material_grams.eq(-original.material_grams),
                reuse_records::recorded_at.eq(Utc::now().naive_utc()),
                reuse_records::recorded_by.eq(by.user_id),
                reuse_records::note.eq(note),
            ))
            .returning(reuse_records::id)
            .get_result(conn)?;
        audit::record(
            conn,
            Change {
                organisations: &[
                    original.giving_organisation_id,
                    original.receiving_organisation_id,
                ],
                actor: Some(by.user_id),
                subject: Subject::ReuseRecord(original.id),
                action: "reversed",
                detail: note.to_string(),
            },
        )?;
        Ok(id)
    })
}

/// The newest records an organisation gave or received, newest first.
pub fn recent(
    conn: &mut AnyConnection,
    organisation_id: i64,
    limit: i64,
) -> QueryResult<Vec<ReuseRecord>> {
    reuse_records::table
        .filter(
            reuse_records::receiving_organisation_id
                .eq(organisation_id)
                .or(reuse_records::giving_organisation_id.eq(organisation_id)),
        )
        .order((reuse_records::recorded_at.desc(), reuse_records::id.desc()))
        .limit(limit)
        .select(ReuseRecord::as_select())
        .load(conn)
}
