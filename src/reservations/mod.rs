//! Reservations: part of a listing's quantity held for a unit until it is picked up.
//!
//! Every change is one conditional UPDATE inside a transaction (`… WHERE status =
//! 'reserved'`, `… WHERE quantity_available >= n`), so two requests, or two instances,
//! can never both succeed where only one may. At all times, for every listing:
//! held (open reservations) + picked up + available = total.

pub mod lifecycle;

use chrono::{Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::access::Viewer;
use crate::accounts::{self, User};
use crate::categories::Category;
use crate::db::AnyConnection;
use crate::db::schema::{categories, items, reservations, units, users};
use crate::events::{Event, Tx};
use crate::ids::{ItemId, OrganisationId, RecordId, ReservationId, UnitId, UserId};
use crate::items::{
    self as listings, FieldError, Item, ItemError, MAX_QUANTITY, Status, find_visible,
};
use crate::ledger::savings::WouldBuyNew;
use crate::ledger::{self, HandoverFacts};
use crate::refusal::{Arg, Message, Refusal, Refuses};
use lifecycle::{Actor, Deadline, Ending, Refused};

/// Longest message a requester may write to the lister.
pub const MAX_MESSAGE_CHARS: usize = 2000;

crate::text_enum! {
    pub enum ReservationStatus ("reservation status") {
        Reserved = "reserved",
        PickedUp = "picked_up",
        Cancelled = "cancelled",
        Declined = "declined",
        Expired = "expired",
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = reservations)]
pub struct Reservation {
    pub id: ReservationId,
    pub item_id: ItemId,
    pub organisation_id: OrganisationId,
    pub requester_id: UserId,
    pub receiving_unit_id: Option<UnitId>,
    pub quantity: i32,
    pub message: String,
    pub would_buy_new: WouldBuyNew,
    pub status: ReservationStatus,
    pub pickup_deadline: NaiveDateTime,
    pub reminder_sent_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub closed_at: Option<NaiveDateTime>,
    pub closed_by: Option<UserId>,
}

impl Reservation {
    pub fn is_open(&self) -> bool {
        self.status == ReservationStatus::Reserved
    }
}

/// How long a requester has to pick up, and when they are reminded.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    pub pickup_within: Duration,
    pub remind_before: Duration,
}

/// A reservation as asked for, already parsed.
#[derive(Debug, Clone)]
pub struct ReserveRequest {
    pub quantity: i32,
    /// The viewer's own unit when not given.
    pub receiving_unit_id: Option<UnitId>,
    pub message: String,
    pub answer: WouldBuyNew,
}

impl ReserveRequest {
    /// Checks what can be checked without the database.
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if !(1..=MAX_QUANTITY).contains(&self.quantity) {
            errors.push(FieldError::new("quantity", "reserve-error-quantity"));
        }
        if self.message.chars().count() > MAX_MESSAGE_CHARS {
            errors.push(FieldError::new("message", "reserve-error-message"));
        }
        errors
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReservationError {
    #[error("no such reservation or listing for this person")]
    NotFound,
    #[error("not that many are available any more")]
    NotAvailable { available: i32 },
    #[error("the form has errors")]
    Invalid(Vec<FieldError>),
    #[error("the reservation is {0} and cannot change that way")]
    Closed(ReservationStatus),
    #[error("the pickup deadline has passed")]
    PastDeadline,
    #[error("only the {0:?} may do that")]
    NotAllowed(Party),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

impl Refuses for ReservationError {
    fn refusal(self) -> Refusal {
        let conflict = |code, message| Refusal::Conflict { code, message };
        match self {
            ReservationError::NotFound => Refusal::NotFound,
            ReservationError::Invalid(errors) => Refusal::Invalid(errors),
            ReservationError::NotAvailable { available } => conflict(
                "none_left",
                Message::new("reserve-error-not-available")
                    .with("available", Arg::Number(i64::from(available))),
            ),
            ReservationError::Closed(status) => conflict(
                "closed",
                Message::new("reservation-error-closed")
                    .with("status", Arg::Key(format!("reservation-status-{status}"))),
            ),
            ReservationError::PastDeadline => conflict(
                "past_deadline",
                Message::new("reservation-error-past-deadline"),
            ),
            ReservationError::NotAllowed(_) => {
                Refusal::NotAllowed(Message::new("reservation-error-not-allowed"))
            }
            ReservationError::Db(error) => error.refusal(),
        }
    }
}

impl From<ItemError> for ReservationError {
    fn from(error: ItemError) -> Self {
        match error {
            ItemError::Db(error) => ReservationError::Db(error),
            _ => ReservationError::NotFound,
        }
    }
}

/// Who someone is to a reservation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    Requester,
    /// Whoever listed the item, or an admin of its organisation.
    Lister,
}

fn party(viewer: &Viewer, reservation: &Reservation, item: &Item) -> Option<Party> {
    if reservation.requester_id == viewer.user_id {
        Some(Party::Requester)
    } else if viewer.may_edit(item) {
        Some(Party::Lister)
    } else {
        None
    }
}

fn user(conn: &mut AnyConnection, id: UserId) -> QueryResult<User> {
    accounts::find(conn, id)?.ok_or(diesel::result::Error::NotFound)
}

/// A unit's id and name.
pub fn unit_name(
    conn: &mut AnyConnection,
    id: Option<UnitId>,
) -> QueryResult<Option<(UnitId, String)>> {
    match id {
        Some(id) => Ok(units::table
            .find(id)
            .select((units::id, units::name))
            .first(conn)
            .optional()?),
        None => Ok(None),
    }
}

fn find_item(conn: &mut AnyConnection, item_id: ItemId) -> QueryResult<Item> {
    listings::find(conn, item_id)?.ok_or(diesel::result::Error::NotFound)
}

pub fn find(
    conn: &mut AnyConnection,
    reservation_id: ReservationId,
) -> QueryResult<Option<Reservation>> {
    reservations::table
        .find(reservation_id)
        .select(Reservation::as_select())
        .first(conn)
        .optional()
}

/// The reservation and its listing, for whoever takes part in it.
fn taking_part(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    reservation_id: ReservationId,
) -> Result<(Reservation, Item, Party), ReservationError> {
    let reservation = find(conn, reservation_id)?.ok_or(ReservationError::NotFound)?;
    let item = find_item(conn, reservation.item_id)?;
    let party = party(viewer, &reservation, &item).ok_or(ReservationError::NotFound)?;
    Ok((reservation, item, party))
}

fn check_unit(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    unit_id: Option<UnitId>,
) -> Result<(), ReservationError> {
    let Some(unit_id) = unit_id else {
        return Ok(());
    };
    let unit_organisation: Option<OrganisationId> = units::table
        .find(unit_id)
        .select(units::organisation_id)
        .first(conn)
        .optional()?;
    if unit_organisation == Some(viewer.organisation_id) {
        Ok(())
    } else {
        Err(ReservationError::Invalid(vec![FieldError::new(
            "receiving_unit_id",
            "reserve-error-unit",
        )]))
    }
}

/// Holds `request.quantity` of a listing for the viewer's unit; the lister is told.
pub fn reserve(
    tx: &mut Tx,
    viewer: &Viewer,
    item_id: ItemId,
    request: &ReserveRequest,
    rules: &Rules,
) -> Result<Reservation, ReservationError> {
    let errors = request.validate();
    if !errors.is_empty() {
        return Err(ReservationError::Invalid(errors));
    }
    let item = find_visible(tx.conn, viewer, item_id)?;
    if item.created_by == viewer.user_id {
        return Err(ReservationError::Invalid(vec![FieldError::new(
            "quantity",
            "reserve-error-own",
        )]));
    }
    let receiving_unit_id = request.receiving_unit_id.or(viewer.unit_id);
    check_unit(tx.conn, viewer, receiving_unit_id)?;
    let now = Utc::now().naive_utc();
    // The one statement that decides whether the quantity is there: of two requests for
    // the last units only one can match `quantity_available >= n`.
    let left: Option<i32> = diesel::update(items::table.find(item_id))
        .filter(items::status.eq(Status::Available))
        .filter(items::quantity_available.ge(request.quantity))
        .set((
            items::quantity_available.eq(items::quantity_available - request.quantity),
            items::updated_at.eq(now),
        ))
        .returning(items::quantity_available)
        .get_result(tx.conn)
        .optional()?;
    let Some(left) = left else {
        let now_item = find_item(tx.conn, item_id)?;
        let available = if listings::lifecycle::is_on_offer(now_item.status) {
            now_item.quantity_available
        } else {
            0
        };
        return Err(ReservationError::NotAvailable { available });
    };
    // The held UPDATE matched only an available listing, so that is what it moves from.
    if left == 0 {
        let event = listings::lifecycle::Event::LastUnitHeld;
        listings::apply(tx.conn, item_id, Status::Available, event)?;
    }
    let reservation_id: ReservationId = diesel::insert_into(reservations::table)
        .values((
            reservations::item_id.eq(item_id),
            reservations::organisation_id.eq(viewer.organisation_id),
            reservations::requester_id.eq(viewer.user_id),
            reservations::receiving_unit_id.eq(receiving_unit_id),
            reservations::quantity.eq(request.quantity),
            reservations::message.eq(request.message.trim()),
            reservations::would_buy_new.eq(request.answer),
            reservations::status.eq(ReservationStatus::Reserved),
            reservations::pickup_deadline.eq(now + rules.pickup_within),
            reservations::created_at.eq(now),
            reservations::updated_at.eq(now),
        ))
        .returning(reservations::id)
        .get_result(tx.conn)?;
    let reservation = find(tx.conn, reservation_id)?.ok_or(ReservationError::NotFound)?;
    tx.emit(Event::Reserved {
        reservation: reservation.id,
        item: item.id,
        organisations: [item.organisation_id, viewer.organisation_id],
        by: viewer.user_id,
        detail: format!("{} × #{} {}", request.quantity, item.id, item.fields.title),
    });
    Ok(reservation)
}

/// Closes an open reservation as `ending`, on the side of the deadline the lifecycle
/// allows; false if it was not open (or not on that side) any more.
fn close(
    conn: &mut AnyConnection,
    reservation_id: ReservationId,
    to: ReservationStatus,
    by: Option<UserId>,
    deadline: Deadline,
) -> QueryResult<bool> {
    let now = Utc::now().naive_utc();
    let update = diesel::update(reservations::table.find(reservation_id))
        .filter(reservations::status.eq(ReservationStatus::Reserved))
        .into_boxed();
    let update = match deadline {
        Deadline::NotPassed => update.filter(reservations::pickup_deadline.ge(now)),
        Deadline::Passed => update.filter(reservations::pickup_deadline.lt(now)),
        Deadline::Any => update,
    };
    let changed = update
        .set((
            reservations::status.eq(to),
            reservations::closed_at.eq(now),
            reservations::closed_by.eq(by),
            reservations::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(changed == 1)
}

/// Ends an open reservation: the one path for a pickup, a cancellation, a decline and an
/// expiry. The reservation closes conditionally, the listing moves through its lifecycle
/// (held units come back, or the last handover makes it gone), a pickup writes its ledger
/// row, and the ending is recorded as an event. `by` is the person and their side, or
/// `None` for the clock. Returns the ledger row of a pickup.
fn end(
    tx: &mut Tx,
    reservation: &Reservation,
    item: &Item,
    ending: Ending,
    by: Option<(Party, UserId)>,
) -> Result<Option<RecordId>, ReservationError> {
    let actor = by.map(|(_, user_id)| user_id);
    let side = by.map_or(Actor::Clock, |(party, _)| Actor::Party(party));
    let (to, deadline) =
        lifecycle::end(reservation.status, ending, side).map_err(|refused| match refused {
            Refused::Closed(status) => ReservationError::Closed(status),
            Refused::NotYours => ReservationError::NotAllowed(match ending {
                Ending::Cancelled => Party::Requester,
                _ => Party::Lister,
            }),
        })?;
    if deadline == Deadline::NotPassed && reservation.pickup_deadline < Utc::now().naive_utc() {
        return Err(ReservationError::PastDeadline);
    }
    if !close(tx.conn, reservation.id, to, actor, deadline)? {
        // Another request (or the expiry job) ended it first.
        let now = find(tx.conn, reservation.id)?.ok_or(ReservationError::NotFound)?;
        return Err(match now.status {
            ReservationStatus::Reserved => ReservationError::PastDeadline,
            status => ReservationError::Closed(status),
        });
    }
    let record = if ending.releases() {
        release(tx.conn, item.id, reservation.quantity)?;
        None
    } else {
        let still_held: i64 = reservations::table
            .filter(reservations::item_id.eq(item.id))
            .filter(reservations::status.eq(ReservationStatus::Reserved))
            .count()
            .get_result(tx.conn)?;
        let now_item = find_item(tx.conn, item.id)?;
        if still_held == 0 && now_item.quantity_available == 0 {
            let event = listings::lifecycle::Event::AllHandedOver;
            listings::apply(tx.conn, now_item.id, now_item.status, event)?;
        }
        Some(record_handover(tx.conn, reservation, item, actor)?)
    };
    tx.emit(Event::ReservationEnded {
        reservation: reservation.id,
        organisations: [item.organisation_id, reservation.organisation_id],
        ending,
        by: actor,
        record,
        detail: match record {
            Some(record) => format!("reuse record #{record}"),
            None => format!(
                "{} × #{} {}",
                reservation.quantity, item.id, item.fields.title
            ),
        },
    });
    Ok(record)
}

/// Gives the held quantity back to the listing, which is on offer again if it was fully
/// reserved.
fn release(conn: &mut AnyConnection, item_id: ItemId, quantity: i32) -> Result<(), ItemError> {
    let status: Status = diesel::update(items::table.find(item_id))
        .set((
            items::quantity_available.eq(items::quantity_available + quantity),
            items::updated_at.eq(Utc::now().naive_utc()),
        ))
        .returning(items::status)
        .get_result(conn)?;
    listings::apply(conn, item_id, status, listings::lifecycle::Event::Released)?;
    Ok(())
}

fn record_handover(
    conn: &mut AnyConnection,
    reservation: &Reservation,
    item: &Item,
    by: Option<UserId>,
) -> QueryResult<RecordId> {
    let category: Category = categories::table
        .find(item.fields.category_id)
        .select(Category::as_select())
        .first(conn)?;
    let from_unit = unit_name(conn, item.owner_unit_id)?;
    let to_unit = unit_name(conn, reservation.receiving_unit_id)?;
    ledger::record_handover(
        conn,
        &HandoverFacts {
            reservation_id: reservation.id,
            item_id: item.id,
            item_title: &item.fields.title,
            giving_organisation_id: item.organisation_id,
            receiving_organisation_id: reservation.organisation_id,
            from_unit,
            to_unit,
            category: &category,
            quantity: reservation.quantity,
            weight_kg: item.fields.weight_kg,
            new_price_sek: item.fields.new_price_sek,
            answer: reservation.would_buy_new,
            recorded_by: by,
        },
    )
}

/// Either side confirms the handover: the reservation closes and the ledger gets its record.
pub fn pick_up(
    tx: &mut Tx,
    viewer: &Viewer,
    reservation_id: ReservationId,
) -> Result<RecordId, ReservationError> {
    let (reservation, item, party) = taking_part(tx.conn, viewer, reservation_id)?;
    let by = Some((party, viewer.user_id));
    let record = end(tx, &reservation, &item, Ending::PickedUp, by)?;
    record.ok_or(ReservationError::NotFound)
}

/// The requester cancels, or the lister declines; the quantity is available again.
pub fn withdraw(
    tx: &mut Tx,
    viewer: &Viewer,
    reservation_id: ReservationId,
    as_party: Party,
) -> Result<(), ReservationError> {
    let (reservation, item, party) = taking_part(tx.conn, viewer, reservation_id)?;
    if party != as_party {
        return Err(ReservationError::NotAllowed(as_party));
    }
    let ending = match as_party {
        Party::Requester => Ending::Cancelled,
        Party::Lister => Ending::Declined,
    };
    end(
        tx,
        &reservation,
        &item,
        ending,
        Some((party, viewer.user_id)),
    )?;
    Ok(())
}

/// Open reservations past their pickup deadline, oldest deadline first.
pub fn due_to_expire(conn: &mut AnyConnection, limit: i64) -> QueryResult<Vec<ReservationId>> {
    reservations::table
        .filter(reservations::status.eq(ReservationStatus::Reserved))
        .filter(reservations::pickup_deadline.lt(Utc::now().naive_utc()))
        .order(reservations::pickup_deadline)
        .limit(limit)
        .select(reservations::id)
        .load(conn)
}

/// The clock ends a reservation nobody picked up in time; false when it is not due (any
/// more: picked up, ended, or handled by another instance).
pub fn expire(tx: &mut Tx, reservation_id: ReservationId) -> Result<bool, ReservationError> {
    let Some(reservation) = find(tx.conn, reservation_id)? else {
        return Ok(false);
    };
    let item = find_item(tx.conn, reservation.item_id)?;
    match end(tx, &reservation, &item, Ending::Expired, None) {
        Ok(_) => Ok(true),
        Err(ReservationError::Closed(_) | ReservationError::PastDeadline) => Ok(false),
        Err(error) => Err(error),
    }
}

/// Open reservations whose deadline is within `rules.remind_before` and whose requester was
/// not reminded yet.
pub fn due_for_reminder(
    conn: &mut AnyConnection,
    rules: &Rules,
    limit: i64,
) -> QueryResult<Vec<ReservationId>> {
    let now = Utc::now().naive_utc();
    reservations::table
        .filter(reservations::status.eq(ReservationStatus::Reserved))
        .filter(reservations::reminder_sent_at.is_null())
        .filter(reservations::pickup_deadline.ge(now))
        .filter(reservations::pickup_deadline.lt(now + rules.remind_before))
        .order(reservations::pickup_deadline)
        .limit(limit)
        .select(reservations::id)
        .load(conn)
}

/// Claims the reminder of one reservation, so that of several instances only one reminds.
pub fn remind(tx: &mut Tx, reservation_id: ReservationId) -> QueryResult<bool> {
    let claimed = diesel::update(reservations::table.find(reservation_id))
        .filter(reservations::status.eq(ReservationStatus::Reserved))
        .filter(reservations::reminder_sent_at.is_null())
        .set(reservations::reminder_sent_at.eq(Utc::now().naive_utc()))
        .execute(tx.conn)?;
    if claimed == 1 {
        tx.emit(Event::PickupDue {
            reservation: reservation_id,
        });
    }
    Ok(claimed == 1)
}

/// A reservation with what its page shows.
#[derive(Debug, Clone, Serialize)]
pub struct Details {
    pub reservation: Reservation,
    pub item: Item,
    pub party: Party,
    pub requester: User,
    pub lister: User,
    pub receiving_unit: Option<String>,
}

pub fn details(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    reservation_id: ReservationId,
) -> Result<Details, ReservationError> {
    let (reservation, item, party) = taking_part(conn, viewer, reservation_id)?;
    Ok(Details {
        requester: user(conn, reservation.requester_id)?,
        lister: user(conn, item.created_by)?,
        receiving_unit: unit_name(conn, reservation.receiving_unit_id)?.map(|(_, name)| name),
        reservation,
        item,
        party,
    })
}

/// A line in the lists on "my page".
#[derive(Debug, Clone, Serialize, Queryable)]
pub struct Summary {
    pub id: ReservationId,
    pub item_id: ItemId,
    pub item_title: String,
    pub quantity: i32,
    pub status: ReservationStatus,
    pub pickup_deadline: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub requester_email: String,
    pub requester_name: Option<String>,
}

const LIST_LIMIT: i64 = 200;

/// Whose reservations a list shows.
#[derive(Debug, Clone, Copy)]
pub enum ListOf {
    /// The viewer's own reservations.
    MadeBy(UserId),
    /// Reservations of listings the viewer created.
    ListedBy(UserId),
    /// Reservations of one listing.
    Item(ItemId),
}

/// Reservations, newest first.
pub fn list(conn: &mut AnyConnection, of: ListOf) -> QueryResult<Vec<Summary>> {
    summaries(conn, of, None)
}

/// The open reservations of `of`, the ones that still ask someone to do something.
pub fn list_open(conn: &mut AnyConnection, of: ListOf) -> QueryResult<Vec<Summary>> {
    summaries(conn, of, Some(ReservationStatus::Reserved))
}

fn summaries(
    conn: &mut AnyConnection,
    of: ListOf,
    status: Option<ReservationStatus>,
) -> QueryResult<Vec<Summary>> {
    let mut query = reservations::table
        .inner_join(items::table)
        .inner_join(users::table)
        .order((reservations::created_at.desc(), reservations::id.desc()))
        .limit(LIST_LIMIT)
        .select((
            reservations::id,
            reservations::item_id,
            items::title,
            reservations::quantity,
            reservations::status,
            reservations::pickup_deadline,
            reservations::created_at,
            users::email,
            users::name,
        ))
        .into_boxed();
    query = match of {
        ListOf::MadeBy(user_id) => query.filter(reservations::requester_id.eq(user_id)),
        ListOf::ListedBy(user_id) => query.filter(items::created_by.eq(user_id)),
        ListOf::Item(item_id) => query.filter(reservations::item_id.eq(item_id)),
    };
    if let Some(status) = status {
        query = query.filter(reservations::status.eq(status));
    }
    query.load(conn)
}

/// How much of a listing is where: for checks and the listing's page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Accounting {
    pub total: i32,
    pub available: i32,
    pub held: i64,
    pub picked_up: i64,
}

pub fn accounting(conn: &mut AnyConnection, item_id: ItemId) -> QueryResult<Accounting> {
    let item = find_item(conn, item_id)?;
    let sum_of = |conn: &mut AnyConnection, status: ReservationStatus| -> QueryResult<i64> {
        let quantities: Vec<i32> = reservations::table
            .filter(reservations::item_id.eq(item_id))
            .filter(reservations::status.eq(status))
            .select(reservations::quantity)
            .load(conn)?;
        Ok(quantities.into_iter().map(i64::from).sum())
    };
    Ok(Accounting {
        total: item.quantity_total,
        available: item.quantity_available,
        held: sum_of(conn, ReservationStatus::Reserved)?,
        picked_up: sum_of(conn, ReservationStatus::PickedUp)?,
    })
}
