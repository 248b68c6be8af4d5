//! Reservations: part of a listing's quantity held for a unit until it is picked up.
//!
//! Every change is one conditional UPDATE inside a transaction (`… WHERE status =
//! 'reserved'`, `… WHERE quantity_available >= n`), so two requests, or two instances,
//! can never both succeed where only one may. At all times, for every listing:
//! held (open reservations and queue offers) + picked up + available = total.

pub mod lifecycle;
pub mod queue;

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

/// How far ahead a requester may ask for, and a lister may set, a pickup deadline.
pub const LONGEST_DEADLINE: Duration = Duration::days(90);

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
    /// What a partial pickup gave back to the listing.
    pub released_quantity: i32,
    /// The reservation whose rest this one holds, after a partial pickup.
    pub continues_id: Option<ReservationId>,
    /// The deadline the requester asked for, until the lister sets one.
    pub wanted_deadline: Option<NaiveDateTime>,
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
    /// How long the first in a listing's queue has to take what is offered.
    pub offer_within: Duration,
}

/// A reservation as asked for, already parsed.
#[derive(Debug, Clone)]
pub struct ReserveRequest {
    pub quantity: i32,
    /// The viewer's own unit when not given.
    pub receiving_unit_id: Option<UnitId>,
    pub message: String,
    pub answer: WouldBuyNew,
    /// Delivered by the store instead of picked up (store listings only).
    pub delivery: Option<crate::deliveries::Wish>,
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
    #[error("units are available: reserve them instead of queueing")]
    StillAvailable { available: i32 },
    #[error("already in the queue for this listing")]
    AlreadyQueued,
    #[error("the offer was taken, left or has lapsed")]
    OfferGone,
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
            ReservationError::StillAvailable { available } => conflict(
                "still_available",
                Message::new("queue-error-still-available")
                    .with("available", Arg::Number(i64::from(available))),
            ),
            ReservationError::AlreadyQueued => {
                conflict("already_queued", Message::new("queue-error-already"))
            }
            ReservationError::OfferGone => {
                conflict("offer_gone", Message::new("queue-error-offer-gone"))
            }
            ReservationError::Db(error) => error.refusal(),
        }
    }
}

impl From<crate::deliveries::DeliveryError> for ReservationError {
    fn from(error: crate::deliveries::DeliveryError) -> Self {
        use crate::deliveries::DeliveryError;
        match error {
            DeliveryError::Invalid(errors) => ReservationError::Invalid(errors),
            DeliveryError::NotFromStore => ReservationError::Invalid(vec![FieldError::new(
                "handover",
                "delivery-error-not-store",
            )]),
            DeliveryError::Reservation(error) => error,
            DeliveryError::Db(error) => ReservationError::Db(error),
            _ => ReservationError::NotFound,
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
    let Some(_) = take_units(tx.conn, item_id, request.quantity)? else {
        let now_item = find_item(tx.conn, item_id)?;
        let available = if listings::lifecycle::is_on_offer(now_item.status) {
            now_item.quantity_available
        } else {
            0
        };
        return Err(ReservationError::NotAvailable { available });
    };
    let mut reservation = hold(
        tx.conn,
        &Hold {
            item_id,
            organisation_id: viewer.organisation_id,
            requester_id: viewer.user_id,
            receiving_unit_id,
            quantity: request.quantity,
            message: request.message.trim(),
            answer: request.answer,
            deadline: now + rules.pickup_within,
            continues_id: None,
        },
    )?;
    // Only a store listing can be delivered: the wish refuses any other, and the
    // transaction takes the hold back with it.
    if let Some(wish) = &request.delivery {
        crate::deliveries::wish(tx, viewer, reservation.id, &item, wish)
            .map_err(ReservationError::from)?;
        let held = crate::deliveries::held_until(wish.wished_on);
        reservation.pickup_deadline = reservation.pickup_deadline.max(held);
    }
    tx.emit(Event::Reserved {
        reservation: reservation.id,
        item: item.id,
        organisations: [item.organisation_id, viewer.organisation_id],
        by: viewer.user_id,
        detail: format!("{} × #{} {}", request.quantity, item.id, item.fields.title),
    });
    Ok(reservation)
}

/// Takes `quantity` units off an available listing for a hold (a reservation, a
/// recipient's claim), answering with what is left, or none when that many are not there.
/// The one statement that decides whether the quantity is there: of two requests for the
/// last units only one can match `quantity_available >= n`. The last unit held makes the
/// listing reserved (the UPDATE matched only an available one, so that is what it moves from).
pub(crate) fn take_units(
    conn: &mut AnyConnection,
    item_id: ItemId,
    quantity: i32,
) -> Result<Option<i32>, ReservationError> {
    let left: Option<i32> = diesel::update(items::table.find(item_id))
        .filter(items::status.eq(Status::Available))
        .filter(items::quantity_available.ge(quantity))
        .set((
            items::quantity_available.eq(items::quantity_available - quantity),
            items::updated_at.eq(Utc::now().naive_utc()),
        ))
        .returning(items::quantity_available)
        .get_result(conn)
        .optional()?;
    if left == Some(0) {
        let event = listings::lifecycle::Event::LastUnitHeld;
        listings::apply(conn, item_id, Status::Available, event)?;
    }
    Ok(left)
}

/// A reservation about to be written: units already taken from the listing (or from an
/// offer, or from the reservation a partial pickup continues).
pub(crate) struct Hold<'a> {
    pub item_id: ItemId,
    pub organisation_id: OrganisationId,
    pub requester_id: UserId,
    pub receiving_unit_id: Option<UnitId>,
    pub quantity: i32,
    pub message: &'a str,
    pub answer: WouldBuyNew,
    pub deadline: NaiveDateTime,
    pub continues_id: Option<ReservationId>,
}

pub(crate) fn hold(conn: &mut AnyConnection, hold: &Hold<'_>) -> QueryResult<Reservation> {
    let now = Utc::now().naive_utc();
    diesel::insert_into(reservations::table)
        .values((
            reservations::item_id.eq(hold.item_id),
            reservations::organisation_id.eq(hold.organisation_id),
            reservations::requester_id.eq(hold.requester_id),
            reservations::receiving_unit_id.eq(hold.receiving_unit_id),
            reservations::quantity.eq(hold.quantity),
            reservations::message.eq(hold.message),
            reservations::would_buy_new.eq(hold.answer),
            reservations::status.eq(ReservationStatus::Reserved),
            reservations::pickup_deadline.eq(hold.deadline),
            reservations::created_at.eq(now),
            reservations::updated_at.eq(now),
            reservations::continues_id.eq(hold.continues_id),
        ))
        .returning(reservations::id)
        .get_result(conn)
        .and_then(|id| find(conn, id)?.ok_or(diesel::result::Error::NotFound))
}

/// Closes an open reservation as `ending`, on the side of the deadline the lifecycle
/// allows; false if it was not open (or not on that side) any more.
fn close(
    conn: &mut AnyConnection,
    reservation: &Reservation,
    to: ReservationStatus,
    by: Option<UserId>,
    deadline: Deadline,
) -> QueryResult<bool> {
    let now = Utc::now().naive_utc();
    // The quantity read is part of the condition: a partial pickup decided on it.
    let update = diesel::update(reservations::table.find(reservation.id))
        .filter(reservations::status.eq(ReservationStatus::Reserved))
        .filter(reservations::quantity.eq(reservation.quantity))
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
/// `None` for the clock. `part` is a partial pickup. Returns the ledger row of a pickup.
fn end(
    tx: &mut Tx,
    reservation: &Reservation,
    item: &Item,
    ending: Ending,
    by: Option<(Party, UserId)>,
    part: Option<Part>,
    rules: &Rules,
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
    if !close(tx.conn, reservation, to, actor, deadline)? {
        // Another request (or the expiry job) ended it first.
        let now = find(tx.conn, reservation.id)?.ok_or(ReservationError::NotFound)?;
        return Err(match now.status {
            ReservationStatus::Reserved if now.quantity != reservation.quantity => {
                ReservationError::Closed(ReservationStatus::PickedUp)
            }
            ReservationStatus::Reserved => ReservationError::PastDeadline,
            status => ReservationError::Closed(status),
        });
    }
    let mut handed_over = reservation.clone();
    let mut continued = None;
    if let Some(part) = part {
        let rest = reservation.quantity - part.quantity;
        let released = if part.rest == Rest::GoesBack { rest } else { 0 };
        diesel::update(reservations::table.find(reservation.id))
            .set((
                reservations::quantity.eq(part.quantity),
                reservations::released_quantity.eq(released),
            ))
            .execute(tx.conn)?;
        handed_over.quantity = part.quantity;
        match part.rest {
            Rest::GoesBack => release(tx, item.id, rest, rules)?,
            Rest::StaysHeld => {
                let rest_held = hold(
                    tx.conn,
                    &Hold {
                        item_id: item.id,
                        organisation_id: reservation.organisation_id,
                        requester_id: reservation.requester_id,
                        receiving_unit_id: reservation.receiving_unit_id,
                        quantity: rest,
                        message: "",
                        answer: reservation.would_buy_new,
                        deadline: reservation.pickup_deadline,
                        continues_id: Some(reservation.id),
                    },
                )?;
                continued = Some(rest_held.id);
            }
        }
    }
    let record = if ending.releases() {
        release(tx, item.id, reservation.quantity, rules)?;
        crate::deliveries::cancel_for(tx.conn, reservation.id)?;
        None
    } else {
        settle_after_handover(tx, item.id)?;
        Some(record_handover(tx.conn, &handed_over, item, actor)?)
    };
    tx.emit(Event::ReservationEnded {
        reservation: reservation.id,
        organisations: [item.organisation_id, reservation.organisation_id],
        ending,
        by: actor,
        record,
        detail: match (record, part) {
            (Some(record), Some(part)) => format!(
                "reuse record #{record}: {} of {}, rest {}{}",
                part.quantity,
                reservation.quantity,
                part.rest.as_str(),
                continued.map(|id| format!(" as #{id}")).unwrap_or_default()
            ),
            (Some(record), None) => format!("reuse record #{record}"),
            (None, _) => format!(
                "{} × #{} {}",
                reservation.quantity, item.id, item.fields.title
            ),
        },
    });
    Ok(record)
}

/// After a handover: a listing with nothing held and nothing available is gone, and its
/// queue ends. Two last handovers at once each see the other still open unless they take
/// turns: the row lock makes the later one count after the earlier one committed.
pub(crate) fn settle_after_handover(tx: &mut Tx, item_id: ItemId) -> Result<(), ReservationError> {
    let now_item = lock_listing(tx.conn, item_id)?;
    let still_held = held_on(tx.conn, item_id)?;
    if still_held == 0 && now_item.quantity_available == 0 {
        let event = listings::lifecycle::Event::AllHandedOver;
        listings::apply(tx.conn, now_item.id, now_item.status, event)?;
        queue::end_line(tx, item_id)?;
    }
    Ok(())
}

/// The listing, read under its row lock for the rest of the transaction (an update, as
/// SQLite has no `FOR UPDATE`; its writer lock already serialises).
fn lock_listing(conn: &mut AnyConnection, item_id: ItemId) -> QueryResult<Item> {
    diesel::update(items::table.find(item_id))
        .set(items::updated_at.eq(Utc::now().naive_utc()))
        .execute(conn)?;
    find_item(conn, item_id)
}

/// Units held on a listing: open reservations, queue offers and recipients' claims.
fn held_on(conn: &mut AnyConnection, item_id: ItemId) -> QueryResult<i64> {
    let reserved: i64 = reservations::table
        .filter(reservations::item_id.eq(item_id))
        .filter(reservations::status.eq(ReservationStatus::Reserved))
        .count()
        .get_result(conn)?;
    Ok(reserved + queue::offers_on(conn, item_id)? + crate::recipients::held_on(conn, item_id)?)
}

/// Gives held units back to the listing, which is on offer again if it was fully reserved,
/// and offers them to whoever is first in its queue.
pub(crate) fn release(
    tx: &mut Tx,
    item_id: ItemId,
    quantity: i32,
    rules: &Rules,
) -> Result<(), ReservationError> {
    let status: Status = diesel::update(items::table.find(item_id))
        .set((
            items::quantity_available.eq(items::quantity_available + quantity),
            items::updated_at.eq(Utc::now().naive_utc()),
        ))
        .returning(items::status)
        .get_result(tx.conn)?;
    listings::apply(
        tx.conn,
        item_id,
        status,
        listings::lifecycle::Event::Released,
    )?;
    queue::offer_available(tx, item_id, rules)
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
    // The receiving organisation avoided the purchase: its figures on the day count.
    let today = crate::i18n::local_date(Utc::now().naive_utc());
    let figures = crate::categories::versions::load_for(conn, category.id)?.figures(
        &category,
        reservation.organisation_id,
        today,
    );
    let from_unit = unit_name(conn, item.owner_unit_id)?;
    let to_unit = unit_name(conn, reservation.receiving_unit_id)?;
    let measured = measured_for(conn, reservation)?;
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
            figures: &figures,
            quantity: reservation.quantity,
            weight_kg: item.fields.weight_kg,
            new_price_sek: item.fields.new_price_sek,
            answer: reservation.would_buy_new,
            recorded_by: by,
            measured: &measured,
        },
    )
}

/// What the listing's repairs and the reservation's delivery run measured for this
/// handover, in place of the organisation's flat deductions.
fn measured_for(
    conn: &mut AnyConnection,
    reservation: &Reservation,
) -> QueryResult<ledger::Measured> {
    let mut measured =
        crate::repairs::measured_for(conn, reservation.item_id, reservation.quantity)?;
    if let Some((kg, source)) =
        crate::deliveries::transport_for(conn, reservation.id, reservation.quantity)?
    {
        measured.transport_kg_co2e = Some(kg);
        measured.source = [measured.source.as_str(), source.as_str()]
            .into_iter()
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join("; ");
    }
    Ok(measured)
}

crate::text_enum! {
    /// After a partial pickup, what happens to the units nobody took yet.
    pub enum Rest ("rest of a partial pickup") {
        /// Back to the listing (and its queue).
        GoesBack = "back",
        /// Held for the same requester, under a new reservation with the same deadline.
        StaysHeld = "held",
    }
}

/// What a confirmation says was picked up: all that is held unless `quantity` says less.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pickup {
    pub quantity: Option<i32>,
    /// The lister's choice for the rest; the requester's rest stays held.
    pub rest: Option<Rest>,
}

#[derive(Debug, Clone, Copy)]
struct Part {
    quantity: i32,
    rest: Rest,
}

impl Pickup {
    /// All of it (`None`), or a part and what happens to the rest.
    fn part(self, held: i32, party: Party) -> Result<Option<Part>, ReservationError> {
        let quantity = self.quantity.unwrap_or(held);
        if quantity < 1 {
            return Err(ReservationError::Invalid(vec![FieldError::new(
                "quantity",
                "pickup-error-quantity",
            )]));
        }
        if quantity > held {
            return Err(ReservationError::Invalid(vec![FieldError::new(
                "quantity",
                "pickup-error-more-than-held",
            )]));
        }
        if quantity == held {
            return Ok(None);
        }
        let rest = match party {
            Party::Requester => Rest::StaysHeld,
            Party::Lister => self.rest.ok_or_else(|| {
                ReservationError::Invalid(vec![FieldError::new("rest", "pickup-error-rest")])
            })?,
        };
        Ok(Some(Part { quantity, rest }))
    }
}

/// Either side confirms the handover, of all that is held or of part of it: the reservation
/// closes and the ledger gets its record of what was picked up.
pub fn pick_up(
    tx: &mut Tx,
    viewer: &Viewer,
    reservation_id: ReservationId,
    pickup: Pickup,
    rules: &Rules,
) -> Result<RecordId, ReservationError> {
    let (reservation, item, party) = taking_part(tx.conn, viewer, reservation_id)?;
    if !reservation.is_open() {
        return Err(ReservationError::Closed(reservation.status));
    }
    let part = pickup.part(reservation.quantity, party)?;
    let by = Some((party, viewer.user_id));
    let record = end(tx, &reservation, &item, Ending::PickedUp, by, part, rules)?;
    record.ok_or(ReservationError::NotFound)
}

/// The requester cancels, or the lister declines; the quantity is available again.
pub fn withdraw(
    tx: &mut Tx,
    viewer: &Viewer,
    reservation_id: ReservationId,
    as_party: Party,
    rules: &Rules,
) -> Result<(), ReservationError> {
    let (reservation, item, party) = taking_part(tx.conn, viewer, reservation_id)?;
    if party != as_party {
        return Err(ReservationError::NotAllowed(as_party));
    }
    let ending = match as_party {
        Party::Requester => Ending::Cancelled,
        Party::Lister => Ending::Declined,
    };
    let by = Some((party, viewer.user_id));
    end(tx, &reservation, &item, ending, by, None, rules)?;
    Ok(())
}

/// The latest deadline that can be asked for or set from now.
fn check_deadline(until: NaiveDateTime, after: NaiveDateTime) -> Result<(), ReservationError> {
    let now = Utc::now().naive_utc();
    let key = if until <= now {
        "deadline-error-past"
    } else if until <= after {
        "deadline-error-not-later"
    } else if until > now + LONGEST_DEADLINE {
        "deadline-error-too-far"
    } else {
        return Ok(());
    };
    Err(ReservationError::Invalid(vec![FieldError::new(
        "deadline", key,
    )]))
}

/// An open reservation and its listing, for `viewer` taking part as `as_party`.
fn open_as(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    reservation_id: ReservationId,
    as_party: Party,
) -> Result<(Reservation, Item), ReservationError> {
    let (reservation, item, party) = taking_part(conn, viewer, reservation_id)?;
    if party != as_party {
        return Err(ReservationError::NotAllowed(as_party));
    }
    if !reservation.is_open() {
        return Err(ReservationError::Closed(reservation.status));
    }
    Ok((reservation, item))
}

/// The requester asks the lister for a later pickup deadline.
pub fn ask_for_time(
    tx: &mut Tx,
    viewer: &Viewer,
    reservation_id: ReservationId,
    until: NaiveDateTime,
) -> Result<(), ReservationError> {
    let (reservation, item) = open_as(tx.conn, viewer, reservation_id, Party::Requester)?;
    check_deadline(until, reservation.pickup_deadline)?;
    let asked = diesel::update(reservations::table.find(reservation_id))
        .filter(reservations::status.eq(ReservationStatus::Reserved))
        .set((
            reservations::wanted_deadline.eq(Some(until)),
            reservations::updated_at.eq(Utc::now().naive_utc()),
        ))
        .execute(tx.conn)?;
    if asked != 1 {
        return Err(closed_now(tx.conn, reservation_id)?);
    }
    tx.emit(Event::DeadlineAsked {
        reservation: reservation_id,
        organisations: [item.organisation_id, reservation.organisation_id],
        by: viewer.user_id,
        until,
    });
    Ok(())
}

/// The lister sets a new pickup deadline (granting a request, or on their own); the
/// requester is reminded again before it.
pub fn set_deadline(
    tx: &mut Tx,
    viewer: &Viewer,
    reservation_id: ReservationId,
    until: NaiveDateTime,
) -> Result<(), ReservationError> {
    let (reservation, item) = open_as(tx.conn, viewer, reservation_id, Party::Lister)?;
    // Any future time: a lister may also shorten a deadline they set too generously.
    check_deadline(until, Utc::now().naive_utc())?;
    let moved = diesel::update(reservations::table.find(reservation_id))
        .filter(reservations::status.eq(ReservationStatus::Reserved))
        .set((
            reservations::pickup_deadline.eq(until),
            reservations::wanted_deadline.eq(None::<NaiveDateTime>),
            reservations::reminder_sent_at.eq(None::<NaiveDateTime>),
            reservations::updated_at.eq(Utc::now().naive_utc()),
        ))
        .execute(tx.conn)?;
    if moved != 1 {
        return Err(closed_now(tx.conn, reservation_id)?);
    }
    tx.emit(Event::DeadlineMoved {
        reservation: reservation_id,
        organisations: [item.organisation_id, reservation.organisation_id],
        by: viewer.user_id,
        from: reservation.pickup_deadline,
        until,
    });
    Ok(())
}

/// The reservation that holds the rest of `id` after a partial pickup.
pub fn continued_by(
    conn: &mut AnyConnection,
    id: ReservationId,
) -> QueryResult<Option<ReservationId>> {
    reservations::table
        .filter(reservations::continues_id.eq(id))
        .select(reservations::id)
        .first(conn)
        .optional()
}

/// Why a conditional update on an open reservation matched nothing.
fn closed_now(
    conn: &mut AnyConnection,
    reservation_id: ReservationId,
) -> Result<ReservationError, ReservationError> {
    let now = find(conn, reservation_id)?.ok_or(ReservationError::NotFound)?;
    Ok(ReservationError::Closed(now.status))
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
pub fn expire(
    tx: &mut Tx,
    reservation_id: ReservationId,
    rules: &Rules,
) -> Result<bool, ReservationError> {
    let Some(reservation) = find(tx.conn, reservation_id)? else {
        return Ok(false);
    };
    let item = find_item(tx.conn, reservation.item_id)?;
    match end(tx, &reservation, &item, Ending::Expired, None, None, rules) {
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
    /// Its delivery from the store and the run it is on, when it is delivered.
    pub delivery: Option<(crate::deliveries::Delivery, Option<crate::deliveries::Run>)>,
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
        delivery: crate::deliveries::of_reservation(conn, reservation.id)?,
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
        held: sum_of(conn, ReservationStatus::Reserved)? + queue::offered_units(conn, item_id)?,
        picked_up: sum_of(conn, ReservationStatus::PickedUp)?,
    })
}
