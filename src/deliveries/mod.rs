//! Delivery from a store: at reservation the requester asks for a delivery (a wished date,
//! a building and a room); the store's staff plan runs per day, put deliveries on them,
//! load the run and confirm each stop at the door, which is the handover (the ledger's
//! record). A run with a distance and a vehicle gives its stops measured transport
//! emissions instead of the organisation's flat deduction.
//!
//! Every step is a conditional UPDATE on the status it starts from, so two people loading
//! or delivering the same thing cannot both do it.

pub mod vehicles;

use chrono::{Duration, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::access::Viewer;
use crate::db::AnyConnection;
use crate::db::schema::{
    deliveries, delivery_runs, item_photos, items, reservations, units, users,
};
use crate::events::{Event, Tx};
use crate::ids::{DeliveryId, ItemId, OrganisationId, ReservationId, RunId, UnitId, UserId};
use crate::items::{FieldError, Item};
use crate::refusal::{Arg, Message, Refusal, Refuses};
use crate::reservations::{Pickup, ReservationError, Rules, pick_up};
use crate::stores::{self, Store};

/// Longest building, room, receiver name and run note, in characters.
pub const MAX_BUILDING: usize = 120;
pub const MAX_ROOM: usize = 60;
pub const MAX_NOTE: usize = 500;
/// How far ahead a delivery may be wished or a run planned.
pub const LONGEST_AHEAD: Duration = Duration::days(90);
pub const MAX_DISTANCE_KM: f64 = 2000.0;

crate::text_enum! {
    pub enum RunStatus ("run status") {
        Scheduled = "scheduled",
        Loaded = "loaded",
        Delivered = "delivered",
    }
}

crate::text_enum! {
    pub enum DeliveryStatus ("delivery status") {
        /// Asked for; no run yet.
        Wished = "wished",
        /// On a run that has not left.
        Planned = "planned",
        /// In the vehicle.
        Loaded = "loaded",
        /// Taken at the door: handed over.
        Delivered = "delivered",
        /// The reservation ended without it.
        Cancelled = "cancelled",
    }
}

/// What happened, for the audit log and notices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStep {
    Wished,
    RunPlanned,
    RunChanged,
    Planned,
    Loaded,
    Delivered,
    Cancelled,
}

impl DeliveryStep {
    pub fn verb(self) -> &'static str {
        match self {
            DeliveryStep::Wished => "delivery_wished",
            DeliveryStep::RunPlanned => "run_planned",
            DeliveryStep::RunChanged => "run_changed",
            DeliveryStep::Planned => "delivery_planned",
            DeliveryStep::Loaded => "run_loaded",
            DeliveryStep::Delivered => "delivery_delivered",
            DeliveryStep::Cancelled => "delivery_cancelled",
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = delivery_runs)]
pub struct Run {
    pub id: RunId,
    pub organisation_id: OrganisationId,
    pub store_unit_id: UnitId,
    pub run_on: NaiveDate,
    pub status: RunStatus,
    pub distance_km: Option<f64>,
    pub vehicle: Option<String>,
    pub note: String,
    pub created_by: UserId,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = deliveries)]
pub struct Delivery {
    pub id: DeliveryId,
    pub reservation_id: ReservationId,
    pub store_unit_id: UnitId,
    pub wished_on: NaiveDate,
    pub building: String,
    pub room: String,
    pub run_id: Option<RunId>,
    pub status: DeliveryStatus,
    pub received_by: String,
    pub delivered_by: Option<UserId>,
    pub delivered_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Where and when a requester wants a reservation delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wish {
    pub wished_on: NaiveDate,
    pub building: String,
    pub room: String,
}

impl Wish {
    /// Checks what can be checked without the database, against today's date.
    pub fn validate(&self, today: NaiveDate) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if self.wished_on < today || self.wished_on > today + LONGEST_AHEAD {
            errors.push(FieldError::new("wished_on", "delivery-error-date"));
        }
        let building = self.building.trim();
        if building.is_empty() || building.chars().count() > MAX_BUILDING {
            errors.push(FieldError::new("building", "delivery-error-building"));
        }
        if self.room.trim().chars().count() > MAX_ROOM {
            errors.push(FieldError::new("room", "delivery-error-room"));
        }
        errors
    }
}

/// A run as planned: its day, and the vehicle and distance if known.
#[derive(Debug, Clone, PartialEq)]
pub struct RunPlan {
    pub run_on: NaiveDate,
    pub vehicle: Option<String>,
    pub distance_km: Option<f64>,
    pub note: String,
}

impl RunPlan {
    pub fn validate(&self, today: NaiveDate) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if self.run_on < today || self.run_on > today + LONGEST_AHEAD {
            errors.push(FieldError::new("run_on", "delivery-error-date"));
        }
        if self
            .vehicle
            .as_deref()
            .is_some_and(|key| vehicles::find(key).is_none())
        {
            errors.push(FieldError::new("vehicle", "delivery-error-vehicle"));
        }
        if self
            .distance_km
            .is_some_and(|km| !(0.0..=MAX_DISTANCE_KM).contains(&km))
        {
            errors.push(FieldError::new("distance_km", "delivery-error-distance"));
        }
        if self.note.chars().count() > MAX_NOTE {
            errors.push(FieldError::new("note", "delivery-error-too-long"));
        }
        errors
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("no such run, delivery or store for this person")]
    NotFound,
    #[error("only the store's staff or an admin may do that")]
    Forbidden,
    #[error("only store listings can be delivered")]
    NotFromStore,
    #[error("the run is {0} and cannot change that way")]
    RunMoved(RunStatus),
    #[error("the delivery is {0} and cannot change that way")]
    DeliveryMoved(DeliveryStatus),
    #[error("the run has no stops to load")]
    EmptyRun,
    #[error("the delivery belongs to another store")]
    OtherStore,
    #[error("the form has errors")]
    Invalid(Vec<FieldError>),
    #[error(transparent)]
    Reservation(#[from] ReservationError),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

impl Refuses for DeliveryError {
    fn refusal(self) -> Refusal {
        let conflict = |code, message| Refusal::Conflict { code, message };
        match self {
            DeliveryError::NotFound => Refusal::NotFound,
            DeliveryError::Forbidden => Refusal::Forbidden,
            DeliveryError::NotFromStore => Refusal::Invalid(vec![FieldError::new(
                "handover",
                "delivery-error-not-store",
            )]),
            DeliveryError::RunMoved(status) => conflict(
                "run_changed",
                Message::new("delivery-error-run-moved")
                    .with("status", Arg::Key(format!("run-status-{status}"))),
            ),
            DeliveryError::DeliveryMoved(status) => conflict(
                "delivery_changed",
                Message::new("delivery-error-moved")
                    .with("status", Arg::Key(format!("delivery-status-{status}"))),
            ),
            DeliveryError::EmptyRun => conflict("run_empty", Message::new("delivery-error-empty")),
            DeliveryError::OtherStore => {
                Refusal::Invalid(vec![FieldError::new("run", "delivery-error-other-store")])
            }
            DeliveryError::Invalid(errors) => Refusal::Invalid(errors),
            DeliveryError::Reservation(error) => error.refusal(),
            DeliveryError::Db(error) => error.refusal(),
        }
    }
}

/// The last moment a reservation delivered on `day` must stay open: two days after it, so a
/// run that runs late does not find the reservation expired.
pub fn held_until(day: NaiveDate) -> NaiveDateTime {
    let end = (day + Duration::days(2)).and_hms_opt(23, 59, 0);
    end.unwrap_or_else(|| day.and_time(chrono::NaiveTime::MIN))
}

fn keep_reservation_until(
    conn: &mut AnyConnection,
    reservation: ReservationId,
    until: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(
        reservations::table
            .find(reservation)
            .filter(reservations::pickup_deadline.lt(until)),
    )
    .set(reservations::pickup_deadline.eq(until))
    .execute(conn)?;
    Ok(())
}

/// Records the wish with a reservation just made, in its transaction. Only a store
/// listing can be delivered: the store's staff run the deliveries.
pub fn wish(
    tx: &mut Tx,
    viewer: &Viewer,
    reservation: ReservationId,
    item: &Item,
    wish: &Wish,
) -> Result<DeliveryId, DeliveryError> {
    let store = item.store_unit_id.ok_or(DeliveryError::NotFromStore)?;
    let errors = wish.validate(crate::i18n::local_date(Utc::now().naive_utc()));
    if !errors.is_empty() {
        return Err(DeliveryError::Invalid(errors));
    }
    let now = Utc::now().naive_utc();
    let id = diesel::insert_into(deliveries::table)
        .values((
            deliveries::reservation_id.eq(reservation),
            deliveries::store_unit_id.eq(store),
            deliveries::wished_on.eq(wish.wished_on),
            deliveries::building.eq(wish.building.trim()),
            deliveries::room.eq(wish.room.trim()),
            deliveries::status.eq(DeliveryStatus::Wished),
            deliveries::created_at.eq(now),
            deliveries::updated_at.eq(now),
        ))
        .returning(deliveries::id)
        .get_result::<DeliveryId>(tx.conn)?;
    keep_reservation_until(tx.conn, reservation, held_until(wish.wished_on))?;
    tx.emit(Event::DeliveryMoved {
        run: None,
        delivery: Some(id),
        organisation: item.organisation_id,
        by: viewer.user_id,
        step: DeliveryStep::Wished,
        detail: format!(
            "{} {} {}",
            wish.wished_on,
            wish.building.trim(),
            wish.room.trim()
        ),
    });
    Ok(id)
}

/// The store if the viewer works in it (or is an admin of its organisation).
fn staffed(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    store: UnitId,
) -> Result<Store, DeliveryError> {
    let store =
        stores::find_store(conn, viewer.organisation_id, store)?.ok_or(DeliveryError::NotFound)?;
    if viewer.unit_id == Some(store.id) || viewer.is_admin {
        Ok(store)
    } else {
        Err(DeliveryError::Forbidden)
    }
}

pub fn find_run(conn: &mut AnyConnection, id: RunId) -> QueryResult<Option<Run>> {
    delivery_runs::table
        .find(id)
        .select(Run::as_select())
        .first(conn)
        .optional()
}

fn run_for_staff(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    id: RunId,
) -> Result<Run, DeliveryError> {
    let run = find_run(conn, id)?.ok_or(DeliveryError::NotFound)?;
    if run.organisation_id != viewer.organisation_id {
        return Err(DeliveryError::NotFound);
    }
    staffed(conn, viewer, run.store_unit_id)?;
    Ok(run)
}

fn checked(plan: &RunPlan) -> Result<(), DeliveryError> {
    let errors = plan.validate(crate::i18n::local_date(Utc::now().naive_utc()));
    if errors.is_empty() {
        Ok(())
    } else {
        Err(DeliveryError::Invalid(errors))
    }
}

fn plan_text(plan: &RunPlan) -> String {
    format!(
        "{}{}{}",
        plan.run_on,
        plan.vehicle
            .as_deref()
            .map(|v| format!(", {v}"))
            .unwrap_or_default(),
        plan.distance_km
            .map(|km| format!(", {km} km"))
            .unwrap_or_default()
    )
}

/// A new run for the store on a day.
pub fn plan_run(
    tx: &mut Tx,
    viewer: &Viewer,
    store: UnitId,
    plan: &RunPlan,
) -> Result<RunId, DeliveryError> {
    let store = staffed(tx.conn, viewer, store)?;
    checked(plan)?;
    let now = Utc::now().naive_utc();
    let id = diesel::insert_into(delivery_runs::table)
        .values((
            delivery_runs::organisation_id.eq(store.organisation_id),
            delivery_runs::store_unit_id.eq(store.id),
            delivery_runs::run_on.eq(plan.run_on),
            delivery_runs::status.eq(RunStatus::Scheduled),
            delivery_runs::distance_km.eq(plan.distance_km),
            delivery_runs::vehicle.eq(plan.vehicle.as_deref()),
            delivery_runs::note.eq(plan.note.trim()),
            delivery_runs::created_by.eq(viewer.user_id),
            delivery_runs::created_at.eq(now),
            delivery_runs::updated_at.eq(now),
        ))
        .returning(delivery_runs::id)
        .get_result::<RunId>(tx.conn)?;
    tx.emit(Event::DeliveryMoved {
        run: Some(id),
        delivery: None,
        organisation: store.organisation_id,
        by: viewer.user_id,
        step: DeliveryStep::RunPlanned,
        detail: plan_text(plan),
    });
    Ok(id)
}

/// Changes a run's day, vehicle or distance while it has not left. Its stops' reservations
/// stay open until the new day.
pub fn change_run(
    tx: &mut Tx,
    viewer: &Viewer,
    id: RunId,
    plan: &RunPlan,
) -> Result<(), DeliveryError> {
    let run = run_for_staff(tx.conn, viewer, id)?;
    checked(plan)?;
    let changed = diesel::update(
        delivery_runs::table
            .find(id)
            .filter(delivery_runs::status.eq(RunStatus::Scheduled)),
    )
    .set((
        delivery_runs::run_on.eq(plan.run_on),
        delivery_runs::distance_km.eq(plan.distance_km),
        delivery_runs::vehicle.eq(plan.vehicle.as_deref()),
        delivery_runs::note.eq(plan.note.trim()),
        delivery_runs::updated_at.eq(Utc::now().naive_utc()),
    ))
    .execute(tx.conn)?;
    if changed == 0 {
        return Err(DeliveryError::RunMoved(run.status));
    }
    let held: Vec<ReservationId> = deliveries::table
        .filter(deliveries::run_id.eq(id))
        .select(deliveries::reservation_id)
        .load(tx.conn)?;
    for reservation in held {
        keep_reservation_until(tx.conn, reservation, held_until(plan.run_on))?;
    }
    tx.emit(Event::DeliveryMoved {
        run: Some(id),
        delivery: None,
        organisation: run.organisation_id,
        by: viewer.user_id,
        step: DeliveryStep::RunChanged,
        detail: plan_text(plan),
    });
    Ok(())
}

pub fn find(conn: &mut AnyConnection, id: DeliveryId) -> QueryResult<Option<Delivery>> {
    deliveries::table
        .find(id)
        .select(Delivery::as_select())
        .first(conn)
        .optional()
}

fn delivery_for_staff(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    id: DeliveryId,
) -> Result<Delivery, DeliveryError> {
    let delivery = find(conn, id)?.ok_or(DeliveryError::NotFound)?;
    staffed(conn, viewer, delivery.store_unit_id).map_err(|_| DeliveryError::NotFound)?;
    Ok(delivery)
}

/// Puts a wished delivery on a scheduled run of the same store (or moves it to another).
/// The requester hears the day.
pub fn put_on_run(
    tx: &mut Tx,
    viewer: &Viewer,
    id: DeliveryId,
    run_id: RunId,
) -> Result<(), DeliveryError> {
    let delivery = delivery_for_staff(tx.conn, viewer, id)?;
    let run = run_for_staff(tx.conn, viewer, run_id)?;
    if run.store_unit_id != delivery.store_unit_id {
        return Err(DeliveryError::OtherStore);
    }
    if run.status != RunStatus::Scheduled {
        return Err(DeliveryError::RunMoved(run.status));
    }
    let changed = diesel::update(
        deliveries::table
            .find(id)
            .filter(deliveries::status.eq_any([DeliveryStatus::Wished, DeliveryStatus::Planned])),
    )
    .set((
        deliveries::run_id.eq(run.id),
        deliveries::status.eq(DeliveryStatus::Planned),
        deliveries::updated_at.eq(Utc::now().naive_utc()),
    ))
    .execute(tx.conn)?;
    if changed == 0 {
        return Err(DeliveryError::DeliveryMoved(delivery.status));
    }
    keep_reservation_until(tx.conn, delivery.reservation_id, held_until(run.run_on))?;
    tx.emit(Event::DeliveryMoved {
        run: Some(run.id),
        delivery: Some(id),
        organisation: run.organisation_id,
        by: viewer.user_id,
        step: DeliveryStep::Planned,
        detail: format!("run #{} on {}", run.id, run.run_on),
    });
    Ok(())
}

/// Everything on the run is in the vehicle: the run and its stops are loaded.
pub fn load(tx: &mut Tx, viewer: &Viewer, id: RunId) -> Result<(), DeliveryError> {
    let run = run_for_staff(tx.conn, viewer, id)?;
    let now = Utc::now().naive_utc();
    let changed = diesel::update(
        delivery_runs::table
            .find(id)
            .filter(delivery_runs::status.eq(RunStatus::Scheduled)),
    )
    .set((
        delivery_runs::status.eq(RunStatus::Loaded),
        delivery_runs::updated_at.eq(now),
    ))
    .execute(tx.conn)?;
    if changed == 0 {
        return Err(DeliveryError::RunMoved(run.status));
    }
    let loaded = diesel::update(
        deliveries::table
            .filter(deliveries::run_id.eq(id))
            .filter(deliveries::status.eq(DeliveryStatus::Planned)),
    )
    .set((
        deliveries::status.eq(DeliveryStatus::Loaded),
        deliveries::updated_at.eq(now),
    ))
    .execute(tx.conn)?;
    if loaded == 0 {
        // Nothing to take out: the transaction rolls the run back to scheduled.
        return Err(DeliveryError::EmptyRun);
    }
    tx.emit(Event::DeliveryMoved {
        run: Some(id),
        delivery: None,
        organisation: run.organisation_id,
        by: viewer.user_id,
        step: DeliveryStep::Loaded,
        detail: format!("{loaded} stops"),
    });
    Ok(())
}

/// Confirmed at the door: the reservation is handed over (the ledger's record, with the
/// run's transport), and the run is delivered when its last stop is.
pub fn deliver(
    tx: &mut Tx,
    viewer: &Viewer,
    id: DeliveryId,
    received_by: &str,
    rules: &Rules,
) -> Result<crate::ids::RecordId, DeliveryError> {
    let delivery = delivery_for_staff(tx.conn, viewer, id)?;
    let received_by = received_by.trim();
    if received_by.is_empty() || received_by.chars().count() > MAX_BUILDING {
        return Err(DeliveryError::Invalid(vec![FieldError::new(
            "received_by",
            "delivery-error-received-by",
        )]));
    }
    let now = Utc::now().naive_utc();
    let changed = diesel::update(
        deliveries::table
            .find(id)
            .filter(deliveries::status.eq(DeliveryStatus::Loaded)),
    )
    .set((
        deliveries::status.eq(DeliveryStatus::Delivered),
        deliveries::received_by.eq(received_by),
        deliveries::delivered_by.eq(viewer.user_id),
        deliveries::delivered_at.eq(now),
        deliveries::updated_at.eq(now),
    ))
    .execute(tx.conn)?;
    if changed == 0 {
        return Err(DeliveryError::DeliveryMoved(delivery.status));
    }
    let record = pick_up(
        tx,
        viewer,
        delivery.reservation_id,
        Pickup::default(),
        rules,
    )?;
    if let Some(run_id) = delivery.run_id {
        let open: i64 = deliveries::table
            .filter(deliveries::run_id.eq(run_id))
            .filter(deliveries::status.eq_any([DeliveryStatus::Planned, DeliveryStatus::Loaded]))
            .count()
            .get_result(tx.conn)?;
        if open == 0 {
            diesel::update(
                delivery_runs::table
                    .find(run_id)
                    .filter(delivery_runs::status.eq(RunStatus::Loaded)),
            )
            .set((
                delivery_runs::status.eq(RunStatus::Delivered),
                delivery_runs::updated_at.eq(now),
            ))
            .execute(tx.conn)?;
        }
    }
    tx.emit(Event::DeliveryMoved {
        run: delivery.run_id,
        delivery: Some(id),
        organisation: viewer.organisation_id,
        by: viewer.user_id,
        step: DeliveryStep::Delivered,
        detail: format!("received by {received_by}; reuse record #{record}"),
    });
    Ok(record)
}

/// The reservation ended without a handover: its delivery will not happen.
pub fn cancel_for(conn: &mut AnyConnection, reservation: ReservationId) -> QueryResult<()> {
    diesel::update(
        deliveries::table
            .filter(deliveries::reservation_id.eq(reservation))
            .filter(deliveries::status.ne(DeliveryStatus::Delivered)),
    )
    .set((
        deliveries::status.eq(DeliveryStatus::Cancelled),
        deliveries::updated_at.eq(Utc::now().naive_utc()),
    ))
    .execute(conn)?;
    Ok(())
}

pub fn of_reservation(
    conn: &mut AnyConnection,
    reservation: ReservationId,
) -> QueryResult<Option<(Delivery, Option<Run>)>> {
    let delivery: Option<Delivery> = deliveries::table
        .filter(deliveries::reservation_id.eq(reservation))
        .select(Delivery::as_select())
        .first(conn)
        .optional()?;
    let Some(delivery) = delivery else {
        return Ok(None);
    };
    let run = match delivery.run_id {
        Some(run) => find_run(conn, run)?,
        None => None,
    };
    Ok(Some((delivery, run)))
}

/// A run's transport per delivered item, when its distance and vehicle are known: the
/// run's emissions shared by its stops, and a stop's share by the items it brings.
pub fn transport_for(
    conn: &mut AnyConnection,
    reservation: ReservationId,
    quantity: i32,
) -> QueryResult<Option<(f64, String)>> {
    let Some((_, Some(run))) = of_reservation(conn, reservation)? else {
        return Ok(None);
    };
    let (Some(km), Some(vehicle)) = (
        run.distance_km,
        run.vehicle.as_deref().and_then(vehicles::find),
    ) else {
        return Ok(None);
    };
    let stops: i64 = deliveries::table
        .filter(deliveries::run_id.eq(run.id))
        .filter(deliveries::status.ne(DeliveryStatus::Cancelled))
        .count()
        .get_result(conn)?;
    let per_item = per_item_transport(km, vehicle.kg_co2e_per_km, stops, quantity);
    Ok(Some((
        per_item,
        format!(
            "run #{}: {km} km × {} kg CO2e/km ({}, {} v{}) / {stops} stops",
            run.id,
            vehicle.kg_co2e_per_km,
            vehicle.key,
            vehicle.source,
            vehicles::VERSION
        ),
    )))
}

/// Pure: a run's emissions shared equally by its stops, a stop's by its items.
pub fn per_item_transport(km: f64, kg_per_km: f64, stops: i64, quantity: i32) -> f64 {
    let stops = stops.max(1) as f64;
    let items = f64::from(quantity.max(1));
    km * kg_per_km / stops / items
}

/// A delivery with what the store needs to plan it.
#[derive(Debug, Clone, Serialize)]
pub struct Stop {
    #[serde(flatten)]
    pub delivery: Delivery,
    pub item_id: ItemId,
    pub item_title: String,
    pub shelf: String,
    pub quantity: i32,
    pub requester: String,
    pub unit: Option<String>,
    pub photo_key: Option<String>,
    pub photo_alt: Option<String>,
}

type StopRow = (
    Delivery,
    ItemId,
    String,
    String,
    i32,
    Option<String>,
    String,
    Option<String>,
);

fn stops_where(
    conn: &mut AnyConnection,
    store: UnitId,
    run: Option<RunId>,
) -> QueryResult<Vec<Stop>> {
    let mut query = deliveries::table
        .inner_join(
            reservations::table
                .inner_join(items::table)
                .inner_join(users::table),
        )
        .left_join(units::table.on(reservations::receiving_unit_id.eq(units::id.nullable())))
        .filter(deliveries::store_unit_id.eq(store))
        .select((
            Delivery::as_select(),
            items::id,
            items::title,
            items::shelf,
            reservations::quantity,
            users::name,
            users::email,
            units::name.nullable(),
        ))
        .into_boxed();
    query = match run {
        Some(run) => query.filter(deliveries::run_id.eq(run)),
        None => query
            .filter(deliveries::status.eq_any([DeliveryStatus::Wished, DeliveryStatus::Planned])),
    };
    let rows: Vec<StopRow> = query
        .order((deliveries::wished_on, deliveries::building, deliveries::id))
        .load(conn)?;
    // Each listing's first photo, for all stops in one query.
    let item_ids: Vec<ItemId> = rows.iter().map(|row| row.1).collect();
    let photos: Vec<(ItemId, String, String)> = item_photos::table
        .filter(item_photos::item_id.eq_any(&item_ids))
        .order((item_photos::item_id, item_photos::position))
        .select((
            item_photos::item_id,
            item_photos::photo_key,
            item_photos::alt_text,
        ))
        .load(conn)?;
    let first_photo = |item: ItemId| {
        photos
            .iter()
            .find(|(of, _, _)| *of == item)
            .map(|(_, key, alt)| (key.clone(), alt.clone()))
    };
    let mut stops = Vec::with_capacity(rows.len());
    for (delivery, item_id, item_title, shelf, quantity, name, email, unit) in rows {
        let requester = name.filter(|name| !name.trim().is_empty()).unwrap_or(email);
        let (photo_key, photo_alt) = first_photo(item_id).unzip();
        stops.push(Stop {
            delivery,
            item_id,
            item_title,
            shelf,
            quantity,
            requester,
            unit,
            photo_key,
            photo_alt,
        });
    }
    Ok(stops)
}

/// What the store has to deliver and the runs it planned.
#[derive(Debug, Clone, Serialize)]
pub struct Planning {
    pub to_plan: Vec<Stop>,
    pub runs: Vec<Run>,
}

/// The store's deliveries not yet out, and its runs from a week back on.
pub fn planning(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    store: UnitId,
) -> Result<Planning, DeliveryError> {
    let store = staffed(conn, viewer, store)?;
    let to_plan = stops_where(conn, store.id, None)?;
    let since = crate::i18n::local_date(Utc::now().naive_utc()) - Duration::days(7);
    let runs = delivery_runs::table
        .filter(delivery_runs::store_unit_id.eq(store.id))
        .filter(delivery_runs::run_on.ge(since))
        .select(Run::as_select())
        .order((delivery_runs::run_on, delivery_runs::id))
        .load(conn)?;
    Ok(Planning { to_plan, runs })
}

/// A run and its stops in order, for the driver's phone and the picking list.
#[derive(Debug, Clone, Serialize)]
pub struct RunSheet {
    pub run: Run,
    pub store: Store,
    pub stops: Vec<Stop>,
}

pub fn run_sheet(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    id: RunId,
) -> Result<RunSheet, DeliveryError> {
    let run = run_for_staff(conn, viewer, id)?;
    let store = staffed(conn, viewer, run.store_unit_id)?;
    let stops = stops_where(conn, store.id, Some(run.id))?;
    Ok(RunSheet { run, store, stops })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, d).expect("date")
    }

    #[test]
    fn a_wish_needs_a_day_ahead_and_a_building() {
        let wish = Wish {
            wished_on: day(9),
            building: "Stadshuset".into(),
            room: "B214".into(),
        };
        assert!(wish.validate(day(7)).is_empty());
        let late = Wish {
            wished_on: day(6),
            building: "  ".into(),
            room: "x".repeat(61),
        };
        let fields: Vec<_> = late.validate(day(7)).into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["wished_on", "building", "room"]);
    }

    #[test]
    fn a_plan_refuses_unknown_vehicles_and_impossible_distances() {
        let plan = RunPlan {
            run_on: day(8),
            vehicle: Some("rocket".into()),
            distance_km: Some(-3.0),
            note: String::new(),
        };
        let fields: Vec<_> = plan.validate(day(7)).into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["vehicle", "distance_km"]);
    }

    #[test]
    fn transport_is_shared_by_stops_and_items() {
        // 12 km in a diesel van, three stops, this one brings two chairs.
        let kg = per_item_transport(12.0, 0.226, 3, 2);
        assert!((kg - 0.452).abs() < 1e-9);
        assert_eq!(per_item_transport(10.0, 0.2, 0, 0), 2.0);
    }
}
