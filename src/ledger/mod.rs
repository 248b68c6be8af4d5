//! The savings ledger: one immutable row per handover, with a snapshot of everything its
//! figures were computed from. A correction is a new row with the opposite figures.

pub mod amounts;
pub mod chain;
pub mod export_check;
pub mod savings;
pub mod sums;

pub use amounts::{Grams, Ore};

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::categories::{Category, Factor, Figures};
use crate::db::AnyConnection;
use crate::db::schema::{organisations, reuse_records};
use crate::events::{Event, Tx};
use crate::ids::{
    CategoryId, CategoryVersionId, ItemId, OrganisationId, RecordId, ReservationId, UnitId, UserId,
};
use crate::refusal::{Message, Refusal, Refuses};
use savings::{Handover, Method, WouldBuyNew};

crate::text_enum! {
    /// Which kind of factor a record's emissions were computed from.
    pub enum FactorKind ("factor kind") {
        PerItem = "per_item",
        PerKg = "per_kg",
        /// The category had no factor: the record counts 0 kg.
        None = "none",
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = reuse_records)]
pub struct ReuseRecord {
    pub id: RecordId,
    pub reservation_id: Option<ReservationId>,
    pub reverses_id: Option<RecordId>,
    pub item_id: ItemId,
    pub item_title: String,
    pub giving_organisation_id: OrganisationId,
    pub receiving_organisation_id: OrganisationId,
    pub from_unit_id: Option<UnitId>,
    pub from_unit_name: String,
    pub to_unit_id: Option<UnitId>,
    pub to_unit_name: String,
    pub category_id: CategoryId,
    pub category_name: String,
    pub quantity: i32,
    pub factor_kind: FactorKind,
    pub factor_kg_co2e: Option<f64>,
    pub factor_source: String,
    pub factor_version: String,
    pub factor_is_estimate: bool,
    pub weight_kg: Option<f64>,
    pub weight_is_typical: bool,
    pub new_price_sek: Option<f64>,
    pub new_price_is_estimate: bool,
    pub would_buy_new: WouldBuyNew,
    pub displacement: f64,
    pub deduction_kg_co2e: f64,
    pub co2e_grams: Grams,
    pub money_saved_ore: Ore,
    pub material_grams: Grams,
    pub recorded_at: NaiveDateTime,
    pub recorded_by: Option<UserId>,
    pub note: String,
    /// The category version the figures came from (none on rows older than versions).
    pub category_version_id: Option<CategoryVersionId>,
    /// The factor at the high end of its sources' range, and the saving it would give.
    pub factor_kg_co2e_high: Option<f64>,
    pub co2e_grams_high: Option<Grams>,
    /// What the organisation spent on the units handed over (their share of repairs),
    /// already taken off `money_saved_ore`.
    pub costs_ore: Ore,
    /// Where the emission deduction came from when not the organisation's flat one (a
    /// repair, a delivery run); empty for the flat deduction.
    pub deduction_source: String,
}

/// A ledger row as written.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = reuse_records)]
struct NewRecord {
    reservation_id: Option<ReservationId>,
    reverses_id: Option<RecordId>,
    item_id: ItemId,
    item_title: String,
    giving_organisation_id: OrganisationId,
    receiving_organisation_id: OrganisationId,
    from_unit_id: Option<UnitId>,
    from_unit_name: String,
    to_unit_id: Option<UnitId>,
    to_unit_name: String,
    category_id: CategoryId,
    category_name: String,
    quantity: i32,
    factor_kind: FactorKind,
    factor_kg_co2e: Option<f64>,
    factor_source: String,
    factor_version: String,
    factor_is_estimate: bool,
    weight_kg: Option<f64>,
    weight_is_typical: bool,
    new_price_sek: Option<f64>,
    new_price_is_estimate: bool,
    would_buy_new: WouldBuyNew,
    displacement: f64,
    deduction_kg_co2e: f64,
    co2e_grams: Grams,
    money_saved_ore: Ore,
    material_grams: Grams,
    recorded_at: NaiveDateTime,
    recorded_by: Option<UserId>,
    note: String,
    category_version_id: Option<CategoryVersionId>,
    factor_kg_co2e_high: Option<f64>,
    co2e_grams_high: Option<Grams>,
    costs_ore: Ore,
    deduction_source: String,
}

impl NewRecord {
    /// The same snapshot with opposite quantity and figures, so sums cancel.
    fn reversal_of(original: &ReuseRecord, by: UserId, note: &str) -> Self {
        let original = original.clone();
        Self {
            reservation_id: None,
            reverses_id: Some(original.id),
            item_id: original.item_id,
            item_title: original.item_title,
            giving_organisation_id: original.giving_organisation_id,
            receiving_organisation_id: original.receiving_organisation_id,
            from_unit_id: original.from_unit_id,
            from_unit_name: original.from_unit_name,
            to_unit_id: original.to_unit_id,
            to_unit_name: original.to_unit_name,
            category_id: original.category_id,
            category_name: original.category_name,
            quantity: -original.quantity,
            factor_kind: original.factor_kind,
            factor_kg_co2e: original.factor_kg_co2e,
            factor_source: original.factor_source,
            factor_version: original.factor_version,
            factor_is_estimate: original.factor_is_estimate,
            weight_kg: original.weight_kg,
            weight_is_typical: original.weight_is_typical,
            new_price_sek: original.new_price_sek,
            new_price_is_estimate: original.new_price_is_estimate,
            would_buy_new: original.would_buy_new,
            displacement: original.displacement,
            deduction_kg_co2e: original.deduction_kg_co2e,
            co2e_grams: -original.co2e_grams,
            money_saved_ore: -original.money_saved_ore,
            material_grams: -original.material_grams,
            recorded_at: Utc::now().naive_utc(),
            recorded_by: Some(by),
            note: note.to_string(),
            category_version_id: original.category_version_id,
            factor_kg_co2e_high: original.factor_kg_co2e_high,
            co2e_grams_high: original.co2e_grams_high.map(|g| -g),
            costs_ore: -original.costs_ore,
            deduction_source: original.deduction_source,
        }
    }
}

/// Everything a handover record is computed from.
pub struct HandoverFacts<'a> {
    pub reservation_id: ReservationId,
    pub item_id: ItemId,
    pub item_title: &'a str,
    pub giving_organisation_id: OrganisationId,
    pub receiving_organisation_id: OrganisationId,
    pub from_unit: Option<(UnitId, String)>,
    pub to_unit: Option<(UnitId, String)>,
    pub category: &'a Category,
    /// The category's figures for the receiving organisation on the day of the handover.
    pub figures: &'a Figures,
    pub quantity: i32,
    pub weight_kg: Option<f64>,
    /// The listing's own new price; the category's estimate is used without it.
    pub new_price_sek: Option<f64>,
    pub answer: WouldBuyNew,
    pub recorded_by: Option<UserId>,
    /// What this listing's own history measured, in place of the flat assumptions.
    pub measured: &'a Measured,
}

/// Deductions measured for one handover instead of assumed: a repair's cost and
/// emissions, a delivery run's transport. Per item, except the cost (for all units).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Measured {
    pub costs_ore: Ore,
    pub refurbishment_kg_co2e: Option<f64>,
    pub transport_kg_co2e: Option<f64>,
    /// In words an auditor can follow back: which repair, which run and vehicle factor.
    pub source: String,
}

impl Measured {
    /// The organisation's method with what was measured in place of its flat deductions.
    pub fn applied_to(&self, method: &Method) -> Method {
        Method {
            refurbishment_kg_co2e: self
                .refurbishment_kg_co2e
                .unwrap_or(method.refurbishment_kg_co2e),
            transport_kg_co2e: self.transport_kg_co2e.unwrap_or(method.transport_kg_co2e),
            ..*method
        }
    }
}

/// The method settings of an organisation (the receiving one decides: it avoided a purchase).
pub fn method_of(conn: &mut AnyConnection, organisation_id: OrganisationId) -> QueryResult<Method> {
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
    organisation_id: OrganisationId,
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

/// Writes the record of a handover and links it into the receiving organisation's chain. A
/// second record for the same reservation is refused by the database (unique index), so a
/// repeated "picked up" can never count twice.
pub fn record_handover(
    conn: &mut AnyConnection,
    facts: &HandoverFacts<'_>,
) -> QueryResult<RecordId> {
    let method = method_of(conn, facts.receiving_organisation_id)?;
    let row = NewRecord::of_handover(facts, &method, Utc::now().naive_utc());
    let record = insert(conn, &row)?;
    chain::seal(conn, &record)?;
    Ok(record.id)
}

/// Writes a row and reads it back as stored (the chain hashes what a reader will see, e.g.
/// PostgreSQL's microseconds).
fn insert(conn: &mut AnyConnection, row: &NewRecord) -> QueryResult<ReuseRecord> {
    let id: RecordId = diesel::insert_into(reuse_records::table)
        .values(row)
        .returning(reuse_records::id)
        .get_result(conn)?;
    reuse_records::table
        .find(id)
        .select(ReuseRecord::as_select())
        .first(conn)
}

/// Writes a handover that happened before Bruka kept the ledger (example data and imports):
/// no reservation, the given time, and `note` saying where it came from. `chain` is the
/// receiving organisation's, opened once for a batch of these.
pub fn record_past_handover(
    conn: &mut AnyConnection,
    chain: &mut chain::Appender,
    facts: &HandoverFacts<'_>,
    method: &Method,
    recorded_at: NaiveDateTime,
    note: &str,
) -> QueryResult<()> {
    let mut row = NewRecord::of_handover(facts, method, recorded_at);
    row.reservation_id = None;
    row.note = note.to_string();
    let record = insert(conn, &row)?;
    chain.append(conn, &record)?;
    Ok(())
}

impl NewRecord {
    fn of_handover(facts: &HandoverFacts<'_>, method: &Method, recorded_at: NaiveDateTime) -> Self {
        let method = &facts.measured.applied_to(method);
        let figures = facts.figures;
        let factor = figures.factor();
        let (new_price_sek, new_price_is_estimate) = match facts.new_price_sek {
            Some(price) => (Some(price), false),
            None => (figures.new_price_sek, figures.new_price_is_estimate),
        };
        let handover = Handover {
            quantity: facts.quantity,
            factor,
            weight_kg: facts.weight_kg,
            new_price_sek,
            answer: facts.answer,
        };
        let applied = savings::applied(&handover, method);
        let figures_counted = savings::compute(&handover, method);
        let high = Handover {
            factor: figures.high_factor(),
            ..handover
        };
        let (factor_kind, factor_kg_co2e) = kind_and_figure(factor);
        let factor_kg_co2e_high = kind_and_figure(high.factor).1;
        let is_range = figures.factor.is_some_and(|range| range.is_range());
        let co2e_grams_high = is_range.then(|| savings::compute(&high, method).co2e_grams);
        let (from_unit_id, from_unit_name) = split_unit(&facts.from_unit);
        let (to_unit_id, to_unit_name) = split_unit(&facts.to_unit);
        NewRecord {
            reservation_id: Some(facts.reservation_id),
            reverses_id: None,
            item_id: facts.item_id,
            item_title: facts.item_title.to_string(),
            giving_organisation_id: facts.giving_organisation_id,
            receiving_organisation_id: facts.receiving_organisation_id,
            from_unit_id,
            from_unit_name: from_unit_name.to_string(),
            to_unit_id,
            to_unit_name: to_unit_name.to_string(),
            category_id: facts.category.id,
            category_name: facts.category.name.clone(),
            quantity: facts.quantity,
            factor_kind,
            factor_kg_co2e,
            factor_source: figures.factor_source.clone(),
            factor_version: figures.factor_version.clone(),
            factor_is_estimate: figures.factor_is_estimate,
            weight_kg: applied.weight_kg,
            weight_is_typical: applied.weight_is_typical,
            new_price_sek,
            new_price_is_estimate,
            would_buy_new: facts.answer,
            displacement: applied.displacement,
            deduction_kg_co2e: method.refurbishment_kg_co2e + method.transport_kg_co2e,
            co2e_grams: figures_counted.co2e_grams,
            // Money saved = D × new price − internal costs (DESIGN.md): what the repair cost
            // is spent whatever the requester would otherwise have done.
            money_saved_ore: figures_counted.money_saved_ore + -facts.measured.costs_ore,
            material_grams: figures_counted.material_grams,
            recorded_at,
            recorded_by: facts.recorded_by,
            note: String::new(),
            category_version_id: figures.version_id,
            factor_kg_co2e_high: if is_range { factor_kg_co2e_high } else { None },
            co2e_grams_high,
            costs_ore: facts.measured.costs_ore,
            deduction_source: facts.measured.source.clone(),
        }
    }
}

fn kind_and_figure(factor: Option<Factor>) -> (FactorKind, Option<f64>) {
    match factor {
        Some(Factor::PerItem { kg_co2e }) => (FactorKind::PerItem, Some(kg_co2e)),
        Some(Factor::PerKg { kg_co2e_per_kg, .. }) => (FactorKind::PerKg, Some(kg_co2e_per_kg)),
        None => (FactorKind::None, None),
    }
}

fn split_unit(unit: &Option<(UnitId, String)>) -> (Option<UnitId>, &str) {
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

impl Refuses for LedgerError {
    fn refusal(self) -> Refusal {
        match self {
            LedgerError::NotFound => Refusal::NotFound,
            LedgerError::AlreadyReversed => Refusal::Conflict {
                code: "already_reversed",
                message: Message::new("ledger-error-reversed"),
            },
            LedgerError::Db(error) => error.refusal(),
        }
    }
}

/// Who may correct the ledger of an organisation: its admins and sustainability staff.
pub struct Corrector {
    pub user_id: UserId,
    pub organisation_id: OrganisationId,
}

/// Cancels a record's figures with a new, opposite record (`note` says why).
pub fn reverse(
    tx: &mut Tx,
    by: &Corrector,
    record_id: RecordId,
    note: &str,
) -> Result<RecordId, LedgerError> {
    let original: ReuseRecord = reuse_records::table
        .find(record_id)
        .select(ReuseRecord::as_select())
        .first(tx.conn)
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
        .get_result(tx.conn)?;
    if original.reverses_id.is_some() || already > 0 {
        return Err(LedgerError::AlreadyReversed);
    }
    let reversal = insert(
        tx.conn,
        &NewRecord::reversal_of(&original, by.user_id, note),
    )?;
    chain::seal(tx.conn, &reversal)?;
    let id = reversal.id;
    tx.emit(Event::RecordReversed {
        record: original.id,
        reversal: id,
        organisations: [
            original.giving_organisation_id,
            original.receiving_organisation_id,
        ],
        by: by.user_id,
        note: note.to_string(),
    });
    Ok(id)
}

/// The newest records an organisation gave or received, newest first.
pub fn recent(
    conn: &mut AnyConnection,
    organisation_id: OrganisationId,
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
