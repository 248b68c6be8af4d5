//! The queue on a fully reserved listing. Colleagues wait in line; when held units come
//! back (`reservations::release`), the first in line is offered them and has
//! `Rules::offer_within` to take them, which makes the offer a reservation. An offer holds
//! its units like a reservation, so the listing's accounting still adds up.
//!
//! Every step is a conditional UPDATE on the entry's expected status (and, for an offer, on
//! the listing's available quantity), so of two instances releasing units at once each
//! offers to a different person, and no person is offered the same units twice.

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use super::{
    Hold, Reservation, ReservationError, ReserveRequest, Rules, check_unit, find_item, hold,
    release,
};
use crate::access::Viewer;
use crate::db::AnyConnection;
use crate::db::schema::{items, queue_entries};
use crate::events::{Event, Tx};
use crate::ids::{ItemId, OrganisationId, QueueEntryId, ReservationId, UnitId, UserId};
use crate::items::{self as listings, FieldError, Status, find_visible};
use crate::ledger::savings::WouldBuyNew;

crate::text_enum! {
    pub enum QueueStatus ("queue status") {
        /// In line.
        Waiting = "waiting",
        /// Units are held for them until `offer_expires_at`.
        Offered = "offered",
        /// They took the offer: it is a reservation now.
        Accepted = "accepted",
        /// They left the line (or turned the offer down).
        Left = "left",
        /// The offer's time ran out.
        Lapsed = "lapsed",
        /// The listing is gone; nothing will come back.
        Ended = "ended",
    }
}

impl QueueStatus {
    pub fn is_open(self) -> bool {
        matches!(self, QueueStatus::Waiting | QueueStatus::Offered)
    }
}

/// How a queue entry changed, for the audit log and notices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueStep {
    Joined,
    Offered,
    Accepted,
    Left,
    Lapsed,
    Ended,
}

impl QueueStep {
    pub fn verb(self) -> &'static str {
        match self {
            QueueStep::Joined => "queued",
            QueueStep::Offered => "offered",
            QueueStep::Accepted => "offer_accepted",
            QueueStep::Left => "left_queue",
            QueueStep::Lapsed => "offer_lapsed",
            QueueStep::Ended => "queue_ended",
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = queue_entries)]
pub struct QueueEntry {
    pub id: QueueEntryId,
    pub item_id: ItemId,
    pub organisation_id: OrganisationId,
    pub requester_id: UserId,
    pub receiving_unit_id: Option<UnitId>,
    pub quantity: i32,
    pub would_buy_new: WouldBuyNew,
    pub status: QueueStatus,
    pub offered_quantity: i32,
    pub offer_expires_at: Option<NaiveDateTime>,
    pub reservation_id: Option<ReservationId>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn find(conn: &mut AnyConnection, id: QueueEntryId) -> QueryResult<Option<QueueEntry>> {
    queue_entries::table
        .find(id)
        .select(QueueEntry::as_select())
        .first(conn)
        .optional()
}

/// Units held by open offers on a listing.
pub fn offered_units(conn: &mut AnyConnection, item_id: ItemId) -> QueryResult<i64> {
    let offered: Vec<i32> = queue_entries::table
        .filter(queue_entries::item_id.eq(item_id))
        .filter(queue_entries::status.eq(QueueStatus::Offered))
        .select(queue_entries::offered_quantity)
        .load(conn)?;
    Ok(offered.into_iter().map(i64::from).sum())
}

/// Open offers on a listing.
pub(super) fn offers_on(conn: &mut AnyConnection, item_id: ItemId) -> QueryResult<i64> {
    queue_entries::table
        .filter(queue_entries::item_id.eq(item_id))
        .filter(queue_entries::status.eq(QueueStatus::Offered))
        .count()
        .get_result(conn)
}

fn emit(tx: &mut Tx, entry: &QueueEntry, item_organisation: OrganisationId, step: QueueStep) {
    tx.emit(Event::QueueMoved {
        entry: entry.id,
        item: entry.item_id,
        organisations: [item_organisation, entry.organisation_id],
        requester: entry.requester_id,
        step,
        detail: format!("{} × #{}", entry.quantity, entry.item_id),
    });
}

/// Puts the viewer in line for a listing whose every unit is held.
pub fn join(
    tx: &mut Tx,
    viewer: &Viewer,
    item_id: ItemId,
    request: &ReserveRequest,
) -> Result<QueueEntry, ReservationError> {
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
    if request.quantity > item.quantity_total {
        return Err(ReservationError::Invalid(vec![FieldError::new(
            "quantity",
            "queue-error-more-than-total",
        )]));
    }
    match item.status {
        Status::Reserved => {}
        Status::Available => {
            return Err(ReservationError::StillAvailable {
                available: item.quantity_available,
            });
        }
        _ => return Err(ReservationError::NotAvailable { available: 0 }),
    }
    let already: i64 = queue_entries::table
        .filter(queue_entries::item_id.eq(item_id))
        .filter(queue_entries::requester_id.eq(viewer.user_id))
        .filter(queue_entries::status.eq_any([QueueStatus::Waiting, QueueStatus::Offered]))
        .count()
        .get_result(tx.conn)?;
    if already > 0 {
        return Err(ReservationError::AlreadyQueued);
    }
    let receiving_unit_id = request.receiving_unit_id.or(viewer.unit_id);
    check_unit(tx.conn, viewer, receiving_unit_id)?;
    let now = Utc::now().naive_utc();
    let inserted = diesel::insert_into(queue_entries::table)
        .values((
            queue_entries::item_id.eq(item_id),
            queue_entries::organisation_id.eq(viewer.organisation_id),
            queue_entries::requester_id.eq(viewer.user_id),
            queue_entries::receiving_unit_id.eq(receiving_unit_id),
            queue_entries::quantity.eq(request.quantity),
            queue_entries::would_buy_new.eq(request.answer),
            queue_entries::status.eq(QueueStatus::Waiting),
            queue_entries::created_at.eq(now),
            queue_entries::updated_at.eq(now),
        ))
        .returning(queue_entries::id)
        .get_result::<QueueEntryId>(tx.conn);
    let id = match inserted {
        // The same press at two instances at once: the unique index lets one in.
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => return Err(ReservationError::AlreadyQueued),
        other => other?,
    };
    let entry = find(tx.conn, id)?.ok_or(ReservationError::NotFound)?;
    emit(tx, &entry, item.organisation_id, QueueStep::Joined);
    Ok(entry)
}

/// Offers what a listing has available to the people in line, first come first served,
/// each as much as they asked for or what is left. Called wherever units come back.
pub fn offer_available(
    tx: &mut Tx,
    item_id: ItemId,
    rules: &Rules,
) -> Result<(), ReservationError> {
    loop {
        let item = find_item(tx.conn, item_id)?;
        if !listings::lifecycle::is_on_offer(item.status) || item.quantity_available == 0 {
            return Ok(());
        }
        let first: Option<QueueEntry> = queue_entries::table
            .filter(queue_entries::item_id.eq(item_id))
            .filter(queue_entries::status.eq(QueueStatus::Waiting))
            .order(queue_entries::id)
            .select(QueueEntry::as_select())
            .first(tx.conn)
            .optional()?;
        let Some(first) = first else {
            return Ok(());
        };
        let quantity = first.quantity.min(item.quantity_available);
        let now = Utc::now().naive_utc();
        // The entry first: of two releases racing for it, one offers and the other moves on.
        let offered = diesel::update(queue_entries::table.find(first.id))
            .filter(queue_entries::status.eq(QueueStatus::Waiting))
            .set((
                queue_entries::status.eq(QueueStatus::Offered),
                queue_entries::offered_quantity.eq(quantity),
                queue_entries::offer_expires_at.eq(Some(now + rules.offer_within)),
                queue_entries::updated_at.eq(now),
            ))
            .execute(tx.conn)?;
        if offered != 1 {
            continue;
        }
        let left: Option<i32> = diesel::update(items::table.find(item_id))
            .filter(items::status.eq(Status::Available))
            .filter(items::quantity_available.ge(quantity))
            .set((
                items::quantity_available.eq(items::quantity_available - quantity),
                items::updated_at.eq(now),
            ))
            .returning(items::quantity_available)
            .get_result(tx.conn)
            .optional()?;
        let Some(left) = left else {
            // Someone reserved those units between the read and now: back in line.
            diesel::update(queue_entries::table.find(first.id))
                .set((
                    queue_entries::status.eq(QueueStatus::Waiting),
                    queue_entries::offered_quantity.eq(0),
                    queue_entries::offer_expires_at.eq(None::<NaiveDateTime>),
                ))
                .execute(tx.conn)?;
            continue;
        };
        if left == 0 {
            let event = listings::lifecycle::Event::LastUnitHeld;
            listings::apply(tx.conn, item_id, Status::Available, event)?;
        }
        let entry = find(tx.conn, first.id)?.ok_or(ReservationError::NotFound)?;
        emit(tx, &entry, item.organisation_id, QueueStep::Offered);
    }
}

/// An open entry of the viewer's, and its listing's organisation.
fn own_entry(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    id: QueueEntryId,
) -> Result<(QueueEntry, OrganisationId), ReservationError> {
    let entry = find(conn, id)?.ok_or(ReservationError::NotFound)?;
    if entry.requester_id != viewer.user_id {
        return Err(ReservationError::NotFound);
    }
    let item = find_item(conn, entry.item_id)?;
    Ok((entry, item.organisation_id))
}

/// Moves an entry from `from` to `to` if it is still there; false if something else did.
fn set_status(
    conn: &mut AnyConnection,
    entry: &QueueEntry,
    to: QueueStatus,
    offer_must_be: Option<bool>,
) -> QueryResult<bool> {
    let now = Utc::now().naive_utc();
    let update = diesel::update(queue_entries::table.find(entry.id))
        .filter(queue_entries::status.eq(entry.status))
        .into_boxed();
    let update = match offer_must_be {
        Some(true) => update.filter(queue_entries::offer_expires_at.ge(now)),
        Some(false) => update.filter(queue_entries::offer_expires_at.lt(now)),
        None => update,
    };
    let changed = update
        .set((
            queue_entries::status.eq(to),
            queue_entries::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(changed == 1)
}

/// The person offered units takes them: the offer becomes a reservation with the usual
/// pickup time.
pub fn accept(
    tx: &mut Tx,
    viewer: &Viewer,
    id: QueueEntryId,
    message: &str,
    rules: &Rules,
) -> Result<Reservation, ReservationError> {
    let (entry, item_organisation) = own_entry(tx.conn, viewer, id)?;
    if entry.status != QueueStatus::Offered {
        return Err(ReservationError::OfferGone);
    }
    if !set_status(tx.conn, &entry, QueueStatus::Accepted, Some(true))? {
        return Err(ReservationError::OfferGone);
    }
    let now = Utc::now().naive_utc();
    let reservation = hold(
        tx.conn,
        &Hold {
            item_id: entry.item_id,
            organisation_id: entry.organisation_id,
            requester_id: entry.requester_id,
            receiving_unit_id: entry.receiving_unit_id,
            quantity: entry.offered_quantity,
            message: message.trim(),
            answer: entry.would_buy_new,
            deadline: now + rules.pickup_within,
            continues_id: None,
        },
    )?;
    diesel::update(queue_entries::table.find(entry.id))
        .set(queue_entries::reservation_id.eq(Some(reservation.id)))
        .execute(tx.conn)?;
    emit(tx, &entry, item_organisation, QueueStep::Accepted);
    tx.emit(Event::Reserved {
        reservation: reservation.id,
        item: entry.item_id,
        organisations: [item_organisation, entry.organisation_id],
        by: viewer.user_id,
        detail: format!(
            "{} × #{} from queue entry #{}",
            reservation.quantity, entry.item_id, entry.id
        ),
    });
    Ok(reservation)
}

/// The person leaves the line, or turns an offer down; offered units go to the next.
pub fn leave(
    tx: &mut Tx,
    viewer: &Viewer,
    id: QueueEntryId,
    rules: &Rules,
) -> Result<(), ReservationError> {
    let (entry, item_organisation) = own_entry(tx.conn, viewer, id)?;
    if !entry.status.is_open() {
        return Err(ReservationError::OfferGone);
    }
    if !set_status(tx.conn, &entry, QueueStatus::Left, None)? {
        return Err(ReservationError::OfferGone);
    }
    if entry.status == QueueStatus::Offered {
        release(tx, entry.item_id, entry.offered_quantity, rules)?;
    }
    emit(tx, &entry, item_organisation, QueueStep::Left);
    Ok(())
}

/// Offers whose time ran out, oldest first.
pub fn due_to_lapse(conn: &mut AnyConnection, limit: i64) -> QueryResult<Vec<QueueEntryId>> {
    queue_entries::table
        .filter(queue_entries::status.eq(QueueStatus::Offered))
        .filter(queue_entries::offer_expires_at.lt(Utc::now().naive_utc()))
        .order(queue_entries::offer_expires_at)
        .limit(limit)
        .select(queue_entries::id)
        .load(conn)
}

/// The clock ends an offer nobody took; its units go to the next in line. False when it
/// was taken, left or handled by another instance meanwhile.
pub fn lapse(tx: &mut Tx, id: QueueEntryId, rules: &Rules) -> Result<bool, ReservationError> {
    let Some(entry) = find(tx.conn, id)? else {
        return Ok(false);
    };
    if entry.status != QueueStatus::Offered
        || !set_status(tx.conn, &entry, QueueStatus::Lapsed, Some(false))?
    {
        return Ok(false);
    }
    let item = find_item(tx.conn, entry.item_id)?;
    release(tx, entry.item_id, entry.offered_quantity, rules)?;
    emit(tx, &entry, item.organisation_id, QueueStep::Lapsed);
    Ok(true)
}

/// The listing is gone: everyone still waiting is told nothing will come.
pub(super) fn end_line(tx: &mut Tx, item_id: ItemId) -> Result<(), ReservationError> {
    let waiting: Vec<QueueEntry> = queue_entries::table
        .filter(queue_entries::item_id.eq(item_id))
        .filter(queue_entries::status.eq(QueueStatus::Waiting))
        .select(QueueEntry::as_select())
        .load(tx.conn)?;
    let item = find_item(tx.conn, item_id)?;
    for entry in waiting {
        if set_status(tx.conn, &entry, QueueStatus::Ended, None)? {
            emit(tx, &entry, item.organisation_id, QueueStep::Ended);
        }
    }
    Ok(())
}

/// Someone's open place in a listing's line: the entry and how many are ahead.
pub fn place_of(
    conn: &mut AnyConnection,
    user_id: UserId,
    item_id: ItemId,
) -> QueryResult<Option<(QueueEntry, i64)>> {
    let entry: Option<QueueEntry> = queue_entries::table
        .filter(queue_entries::item_id.eq(item_id))
        .filter(queue_entries::requester_id.eq(user_id))
        .filter(queue_entries::status.eq_any([QueueStatus::Waiting, QueueStatus::Offered]))
        .select(QueueEntry::as_select())
        .first(conn)
        .optional()?;
    let Some(entry) = entry else {
        return Ok(None);
    };
    let ahead: i64 = queue_entries::table
        .filter(queue_entries::item_id.eq(item_id))
        .filter(queue_entries::status.eq(QueueStatus::Waiting))
        .filter(queue_entries::id.lt(entry.id))
        .count()
        .get_result(conn)?;
    Ok(Some((entry, ahead)))
}

/// How many wait in a listing's line.
pub fn waiting_on(conn: &mut AnyConnection, item_id: ItemId) -> QueryResult<i64> {
    queue_entries::table
        .filter(queue_entries::item_id.eq(item_id))
        .filter(queue_entries::status.eq(QueueStatus::Waiting))
        .count()
        .get_result(conn)
}

/// A place in a queue, with the listing's title: for "my page" and the API.
#[derive(Debug, Clone, Serialize, Queryable, Selectable)]
#[diesel(table_name = queue_entries)]
pub struct Place {
    pub id: QueueEntryId,
    pub item_id: ItemId,
    #[diesel(select_expression = items::title, select_expression_type = items::title)]
    pub item_title: String,
    pub quantity: i32,
    pub status: QueueStatus,
    pub offered_quantity: i32,
    pub offer_expires_at: Option<NaiveDateTime>,
}

/// One of the person's places in line, open or not.
pub fn place(
    conn: &mut AnyConnection,
    user_id: UserId,
    id: QueueEntryId,
) -> QueryResult<Option<Place>> {
    queue_entries::table
        .inner_join(items::table)
        .filter(queue_entries::id.eq(id))
        .filter(queue_entries::requester_id.eq(user_id))
        .select(Place::as_select())
        .first(conn)
        .optional()
}

/// The viewer's open places in line, offers first.
pub fn places_of(conn: &mut AnyConnection, user_id: UserId) -> QueryResult<Vec<Place>> {
    let mut places: Vec<Place> = queue_entries::table
        .inner_join(items::table)
        .filter(queue_entries::requester_id.eq(user_id))
        .filter(queue_entries::status.eq_any([QueueStatus::Waiting, QueueStatus::Offered]))
        .order(queue_entries::id.desc())
        .limit(100)
        .select(Place::as_select())
        .load(conn)?;
    places.sort_by_key(|place| place.status != QueueStatus::Offered);
    Ok(places)
}
