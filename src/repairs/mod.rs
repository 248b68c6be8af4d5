//! The repair queue: a listing goes to a workshop unit of its organisation or to an
//! external supplier, is worked on and comes back repaired (or found not worth it), with
//! what it took: hours, materials, cost and the emissions of the repair itself. Those go
//! into the ledger when the listing is handed over ([`measured_for`]), so "money saved =
//! D × new price − costs" holds.
//!
//! Steps are one table ([`next`]); writes are conditional UPDATEs on the status it started
//! from, so two people finishing the same repair cannot both do it.

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::access::Viewer;
use crate::db::AnyConnection;
use crate::db::schema::{items, repairs, units};
use crate::events::{Event, Tx};
use crate::ids::{ItemId, OrganisationId, RepairId, UnitId, UserId};
use crate::items::{self as listings, Condition, FieldError, Item, ItemError, Status};
use crate::ledger::{Measured, Ore};
use crate::refusal::{Arg, Message, Refusal, Refuses};

/// Longest problem description, materials list and supplier name, in characters.
pub const MAX_TEXT: usize = 1000;
pub const MAX_SUPPLIER: usize = 120;
/// Bounds that catch a slip of the keyboard rather than limit real repairs.
pub const MAX_HOURS: f64 = 1000.0;
pub const MAX_KG_CO2E: f64 = 10_000.0;
pub const MAX_COST_ORE: i64 = 100_000_000;

crate::text_enum! {
    pub enum RepairStatus ("repair status") {
        /// Waiting for the workshop or supplier.
        Queued = "queued",
        /// Being worked on.
        InProgress = "in_progress",
        /// Finished, with its result and costs.
        Done = "done",
        /// Called off before it was finished.
        Cancelled = "cancelled",
    }
}

crate::text_enum! {
    pub enum RepairResult ("repair result") {
        Repaired = "repaired",
        NotRepairable = "not_repairable",
    }
}

/// Something that happens to a repair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Start,
    Finish,
    Cancel,
}

impl Step {
    /// The audit log's name for it.
    pub fn verb(self) -> &'static str {
        match self {
            Step::Start => "repair_started",
            Step::Finish => "repair_finished",
            Step::Cancel => "repair_cancelled",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a {from} repair cannot {step:?}")]
pub struct InvalidStep {
    pub from: RepairStatus,
    pub step: Step,
}

/// The whole repair lifecycle. Anything not listed is refused.
pub fn next(from: RepairStatus, step: Step) -> Result<RepairStatus, InvalidStep> {
    use RepairStatus::*;
    match (from, step) {
        (Queued, Step::Start) => Ok(InProgress),
        // A small repair is often done at once: finishing from the queue is allowed.
        (Queued | InProgress, Step::Finish) => Ok(Done),
        (Queued | InProgress, Step::Cancel) => Ok(Cancelled),
        _ => Err(InvalidStep { from, step }),
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = repairs)]
pub struct Repair {
    pub id: RepairId,
    pub organisation_id: OrganisationId,
    pub item_id: ItemId,
    pub workshop_unit_id: Option<UnitId>,
    pub supplier: String,
    pub problem: String,
    pub estimate_ore: Option<Ore>,
    pub status: RepairStatus,
    pub hours: Option<f64>,
    pub materials: String,
    pub cost_ore: Option<Ore>,
    pub kg_co2e: Option<f64>,
    pub result: String,
    pub units_at_repair: i32,
    pub created_by: UserId,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub finished_by: Option<UserId>,
    pub finished_at: Option<NaiveDateTime>,
}

impl Repair {
    pub fn is_open(&self) -> bool {
        matches!(self.status, RepairStatus::Queued | RepairStatus::InProgress)
    }
}

/// Who does the repair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Repairer {
    Workshop(UnitId),
    Supplier(String),
}

/// A listing sent to be repaired.
#[derive(Debug, Clone, PartialEq)]
pub struct RepairRequest {
    pub repairer: Repairer,
    pub problem: String,
    pub estimate: Option<Ore>,
}

/// What a finished repair took and gave.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub result: RepairResult,
    pub hours: Option<f64>,
    pub materials: String,
    pub cost: Ore,
    pub kg_co2e: Option<f64>,
}

impl Outcome {
    /// Checks what can be checked without the database.
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if self
            .hours
            .is_some_and(|hours| !(0.0..=MAX_HOURS).contains(&hours))
        {
            errors.push(FieldError::new("hours", "repair-error-hours"));
        }
        if !(0..=MAX_COST_ORE).contains(&self.cost.0) {
            errors.push(FieldError::new("cost", "repair-error-cost"));
        }
        if self
            .kg_co2e
            .is_some_and(|kg| !(0.0..=MAX_KG_CO2E).contains(&kg))
        {
            errors.push(FieldError::new("kg_co2e", "repair-error-kg"));
        }
        if self.materials.chars().count() > MAX_TEXT {
            errors.push(FieldError::new("materials", "repair-error-too-long"));
        }
        errors
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RepairError {
    #[error("no such repair or listing for this person")]
    NotFound,
    #[error("only the lister, the workshop or an admin may do that")]
    Forbidden,
    #[error("the listing is in the repair queue already")]
    AlreadyQueued,
    #[error("the listing is {0} and cannot go to repair")]
    NotOnHand(Status),
    #[error(transparent)]
    Step(#[from] InvalidStep),
    #[error("the form has errors")]
    Invalid(Vec<FieldError>),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

impl From<ItemError> for RepairError {
    fn from(error: ItemError) -> Self {
        match error {
            ItemError::Db(error) => RepairError::Db(error),
            _ => RepairError::NotFound,
        }
    }
}

impl Refuses for RepairError {
    fn refusal(self) -> Refusal {
        match self {
            RepairError::NotFound => Refusal::NotFound,
            RepairError::Forbidden => Refusal::Forbidden,
            RepairError::AlreadyQueued => Refusal::Conflict {
                code: "repair_open",
                message: Message::new("repair-error-already"),
            },
            RepairError::NotOnHand(status) => Refusal::Inapplicable(
                Message::new("repair-error-status")
                    .with("status", Arg::Key(format!("status-{status}"))),
            ),
            RepairError::Step(InvalidStep { from, .. }) => Refusal::Conflict {
                code: "repair_changed",
                message: Message::new("repair-error-changed")
                    .with("status", Arg::Key(format!("repair-status-{from}"))),
            },
            RepairError::Invalid(errors) => Refusal::Invalid(errors),
            RepairError::Db(error) => error.refusal(),
        }
    }
}

fn too_long(text: &str, max: usize) -> bool {
    text.chars().count() > max
}

/// The lister (or the store's staff, or an admin) sends a listing to be repaired.
pub fn open(
    tx: &mut Tx,
    viewer: &Viewer,
    item_id: ItemId,
    request: &RepairRequest,
) -> Result<RepairId, RepairError> {
    let item = listings::find(tx.conn, item_id)?.ok_or(RepairError::NotFound)?;
    if !viewer.may_edit(&item) {
        return Err(RepairError::NotFound);
    }
    if item.status == Status::Gone {
        return Err(RepairError::NotOnHand(item.status));
    }
    let problem = request.problem.trim();
    let mut errors = Vec::new();
    if problem.is_empty() || too_long(problem, MAX_TEXT) {
        errors.push(FieldError::new("problem", "repair-error-problem"));
    }
    if request
        .estimate
        .is_some_and(|ore| !(0..=MAX_COST_ORE).contains(&ore.0))
    {
        errors.push(FieldError::new("estimate", "repair-error-cost"));
    }
    let (workshop, supplier) = match &request.repairer {
        Repairer::Workshop(unit) => {
            let own: i64 = units::table
                .filter(units::id.eq(*unit))
                .filter(units::organisation_id.eq(item.organisation_id))
                .count()
                .get_result(tx.conn)?;
            if own == 0 {
                errors.push(FieldError::new("repairer", "repair-error-repairer"));
            }
            (Some(*unit), String::new())
        }
        Repairer::Supplier(name) => {
            let name = name.trim();
            if name.is_empty() || too_long(name, MAX_SUPPLIER) {
                errors.push(FieldError::new("supplier", "repair-error-supplier"));
            }
            (None, name.to_string())
        }
    };
    if !errors.is_empty() {
        return Err(RepairError::Invalid(errors));
    }
    let now = Utc::now().naive_utc();
    // The partial unique index refuses a second open repair, whichever instance takes it.
    let inserted = diesel::insert_into(repairs::table)
        .values((
            repairs::organisation_id.eq(item.organisation_id),
            repairs::item_id.eq(item.id),
            repairs::workshop_unit_id.eq(workshop),
            repairs::supplier.eq(&supplier),
            repairs::problem.eq(problem),
            repairs::estimate_ore.eq(request.estimate),
            repairs::status.eq(RepairStatus::Queued),
            repairs::units_at_repair.eq(item.quantity_total.max(1)),
            repairs::created_by.eq(viewer.user_id),
            repairs::created_at.eq(now),
            repairs::updated_at.eq(now),
        ))
        .returning(repairs::id)
        .get_result::<RepairId>(tx.conn);
    let id = match inserted {
        Ok(id) => id,
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => return Err(RepairError::AlreadyQueued),
        Err(error) => return Err(error.into()),
    };
    tx.emit(Event::RepairMoved {
        repair: id,
        item: item.id,
        organisation: item.organisation_id,
        by: viewer.user_id,
        step: None,
        detail: match &request.repairer {
            Repairer::Workshop(unit) => format!("workshop unit #{unit}: {problem}"),
            Repairer::Supplier(name) => format!("supplier {}: {problem}", name.trim()),
        },
    });
    Ok(id)
}

pub fn find(conn: &mut AnyConnection, id: RepairId) -> QueryResult<Option<Repair>> {
    repairs::table
        .find(id)
        .select(Repair::as_select())
        .first(conn)
        .optional()
}

/// The repair and its listing if the viewer works on it: the listing's manager, an admin,
/// or someone of the workshop unit.
fn worked_on_by(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    id: RepairId,
) -> Result<(Repair, Item), RepairError> {
    let repair = find(conn, id)?.ok_or(RepairError::NotFound)?;
    if repair.organisation_id != viewer.organisation_id {
        return Err(RepairError::NotFound);
    }
    let item = listings::find(conn, repair.item_id)?.ok_or(RepairError::NotFound)?;
    let in_workshop =
        repair.workshop_unit_id.is_some() && repair.workshop_unit_id == viewer.unit_id;
    if viewer.may_edit(&item) || in_workshop {
        Ok((repair, item))
    } else {
        Err(RepairError::Forbidden)
    }
}

/// Moves a repair by one step, only from the status it was read in.
fn move_repair(
    conn: &mut AnyConnection,
    repair: &Repair,
    step: Step,
) -> Result<RepairStatus, RepairError> {
    let to = next(repair.status, step)?;
    let changed = diesel::update(
        repairs::table
            .find(repair.id)
            .filter(repairs::status.eq(repair.status)),
    )
    .set((
        repairs::status.eq(to),
        repairs::updated_at.eq(Utc::now().naive_utc()),
    ))
    .execute(conn)?;
    if changed == 1 {
        Ok(to)
    } else {
        // Someone else moved it first: refuse from where it is now.
        let now = find(conn, repair.id)?.ok_or(RepairError::NotFound)?;
        Err(InvalidStep {
            from: now.status,
            step,
        }
        .into())
    }
}

fn emit(tx: &mut Tx, repair: &Repair, by: UserId, step: Step, detail: String) {
    tx.emit(Event::RepairMoved {
        repair: repair.id,
        item: repair.item_id,
        organisation: repair.organisation_id,
        by,
        step: Some(step),
        detail,
    });
}

/// The workshop starts, with an estimate if it has one now.
pub fn start(
    tx: &mut Tx,
    viewer: &Viewer,
    id: RepairId,
    estimate: Option<Ore>,
) -> Result<(), RepairError> {
    let (repair, _) = worked_on_by(tx.conn, viewer, id)?;
    if estimate.is_some_and(|ore| !(0..=MAX_COST_ORE).contains(&ore.0)) {
        return Err(RepairError::Invalid(vec![FieldError::new(
            "estimate",
            "repair-error-cost",
        )]));
    }
    move_repair(tx.conn, &repair, Step::Start)?;
    if let Some(estimate) = estimate {
        diesel::update(repairs::table.find(id))
            .set(repairs::estimate_ore.eq(estimate))
            .execute(tx.conn)?;
    }
    emit(tx, &repair, viewer.user_id, Step::Start, String::new());
    Ok(())
}

/// The workshop is done: the result and what it took. A repaired listing that was marked
/// "needs repair" is in good condition from now on.
pub fn finish(
    tx: &mut Tx,
    viewer: &Viewer,
    id: RepairId,
    outcome: &Outcome,
) -> Result<(), RepairError> {
    let errors = outcome.validate();
    if !errors.is_empty() {
        return Err(RepairError::Invalid(errors));
    }
    let (repair, item) = worked_on_by(tx.conn, viewer, id)?;
    move_repair(tx.conn, &repair, Step::Finish)?;
    let now = Utc::now().naive_utc();
    diesel::update(repairs::table.find(id))
        .set((
            repairs::result.eq(outcome.result.as_str()),
            repairs::hours.eq(outcome.hours),
            repairs::materials.eq(outcome.materials.trim()),
            repairs::cost_ore.eq(outcome.cost),
            repairs::kg_co2e.eq(outcome.kg_co2e),
            repairs::finished_by.eq(viewer.user_id),
            repairs::finished_at.eq(now),
        ))
        .execute(tx.conn)?;
    if outcome.result == RepairResult::Repaired && item.fields.condition == Condition::NeedsRepair {
        diesel::update(items::table.find(item.id))
            .filter(items::condition.eq(Condition::NeedsRepair))
            .set((
                items::condition.eq(Condition::Good),
                items::updated_at.eq(now),
            ))
            .execute(tx.conn)?;
        listings::reindex_one(tx.conn, item.id)?;
    }
    let detail = format!(
        "{}: {:.2} SEK{}",
        outcome.result,
        outcome.cost.kronor(),
        outcome
            .kg_co2e
            .map(|kg| format!(", {kg} kg CO2e"))
            .unwrap_or_default()
    );
    emit(tx, &repair, viewer.user_id, Step::Finish, detail);
    Ok(())
}

/// Called off: the listing stays as it is.
pub fn cancel(tx: &mut Tx, viewer: &Viewer, id: RepairId) -> Result<(), RepairError> {
    let (repair, _) = worked_on_by(tx.conn, viewer, id)?;
    move_repair(tx.conn, &repair, Step::Cancel)?;
    emit(tx, &repair, viewer.user_id, Step::Cancel, String::new());
    Ok(())
}

/// A listing's repairs, newest first.
pub fn of_item(conn: &mut AnyConnection, item_id: ItemId) -> QueryResult<Vec<Repair>> {
    repairs::table
        .filter(repairs::item_id.eq(item_id))
        .select(Repair::as_select())
        .order(repairs::id.desc())
        .load(conn)
}

/// A repair with its listing's title, for the queue.
#[derive(Debug, Clone, Serialize)]
pub struct QueueLine {
    #[serde(flatten)]
    pub repair: Repair,
    pub item_title: String,
    pub workshop_name: Option<String>,
}

/// The organisation's repairs still to do, oldest first, and the last finished ones.
pub fn queue(conn: &mut AnyConnection, viewer: &Viewer, open: bool) -> QueryResult<Vec<QueueLine>> {
    let statuses: &[RepairStatus] = if open {
        &[RepairStatus::Queued, RepairStatus::InProgress]
    } else {
        &[RepairStatus::Done, RepairStatus::Cancelled]
    };
    let mut query = repairs::table
        .inner_join(items::table)
        .left_join(units::table.on(repairs::workshop_unit_id.eq(units::id.nullable())))
        .filter(repairs::organisation_id.eq(viewer.organisation_id))
        .filter(repairs::status.eq_any(statuses))
        .select((Repair::as_select(), items::title, units::name.nullable()))
        .into_boxed();
    query = if open {
        query.order(repairs::id.asc())
    } else {
        query.order(repairs::id.desc()).limit(50)
    };
    let rows: Vec<(Repair, String, Option<String>)> = query.load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(repair, item_title, workshop_name)| QueueLine {
            repair,
            item_title,
            workshop_name,
        })
        .collect())
}

/// What a listing's finished repairs add to a handover of `quantity` of its units: their
/// share of the cost, and the repair's emissions per item in place of the flat
/// refurbishment deduction (when the workshop gave a figure).
pub fn measured_for(
    conn: &mut AnyConnection,
    item_id: ItemId,
    quantity: i32,
) -> QueryResult<Measured> {
    let done: Vec<Repair> = repairs::table
        .filter(repairs::item_id.eq(item_id))
        .filter(repairs::status.eq(RepairStatus::Done))
        .select(Repair::as_select())
        .order(repairs::id)
        .load(conn)?;
    Ok(share_of(&done, quantity))
}

/// Pure: the share of repairs' cost and emissions that `quantity` units carry.
pub fn share_of(done: &[Repair], quantity: i32) -> Measured {
    let mut measured = Measured::default();
    let mut sources = Vec::new();
    for repair in done {
        let units = f64::from(repair.units_at_repair.max(1));
        let share = f64::from(quantity.max(0)) / units;
        let cost = repair.cost_ore.unwrap_or_default();
        measured.costs_ore += Ore((cost.0 as f64 * share).round() as i64);
        if let Some(kg) = repair.kg_co2e {
            *measured.refurbishment_kg_co2e.get_or_insert(0.0) += kg / units;
        }
        sources.push(format!("repair #{}", repair.id));
    }
    measured.source = sources.join(", ");
    measured
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUSES: [RepairStatus; 4] = [
        RepairStatus::Queued,
        RepairStatus::InProgress,
        RepairStatus::Done,
        RepairStatus::Cancelled,
    ];

    #[test]
    fn every_step_allowed_and_refused() {
        use RepairStatus::*;
        let allowed = [
            (Queued, Step::Start, InProgress),
            (Queued, Step::Finish, Done),
            (Queued, Step::Cancel, Cancelled),
            (InProgress, Step::Finish, Done),
            (InProgress, Step::Cancel, Cancelled),
        ];
        for from in STATUSES {
            for step in [Step::Start, Step::Finish, Step::Cancel] {
                let expected = allowed
                    .iter()
                    .find(|(f, s, _)| *f == from && *s == step)
                    .map(|(_, _, to)| *to);
                assert_eq!(next(from, step).ok(), expected, "{from} {step:?}");
            }
        }
    }

    fn done(id: i64, units: i32, cost_ore: i64, kg: Option<f64>) -> Repair {
        let at = NaiveDateTime::default();
        Repair {
            id: RepairId(id),
            organisation_id: OrganisationId(1),
            item_id: ItemId(1),
            workshop_unit_id: None,
            supplier: "Verkstan".into(),
            problem: "Trasig hjul".into(),
            estimate_ore: None,
            status: RepairStatus::Done,
            hours: Some(1.5),
            materials: String::new(),
            cost_ore: Some(Ore(cost_ore)),
            kg_co2e: kg,
            result: "repaired".into(),
            units_at_repair: units,
            created_by: UserId(1),
            created_at: at,
            updated_at: at,
            finished_by: None,
            finished_at: None,
        }
    }

    #[test]
    fn a_handover_carries_its_units_share_of_every_repair() {
        let repairs = [done(3, 4, 120_000, Some(8.0)), done(5, 2, 10_000, None)];
        let measured = share_of(&repairs, 2);
        // 2 of 4 units: half of 1 200 kr; 2 of 2: all of 100 kr.
        assert_eq!(measured.costs_ore, Ore(70_000));
        assert_eq!(measured.refurbishment_kg_co2e, Some(2.0));
        assert_eq!(measured.source, "repair #3, repair #5");
        assert_eq!(share_of(&[], 2), Measured::default());
    }

    #[test]
    fn outcomes_out_of_range_are_refused() {
        let outcome = Outcome {
            result: RepairResult::Repaired,
            hours: Some(-1.0),
            materials: String::new(),
            cost: Ore(-5),
            kg_co2e: Some(f64::NAN),
        };
        let fields: Vec<_> = outcome.validate().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["hours", "cost", "kg_co2e"]);
    }
}
