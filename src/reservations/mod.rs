//! Reservations: part of a listing's quantity held for a unit until it is picked up.
//!
//! Every change is one conditional UPDATE inside a transaction (`… WHERE status =
//! 'reserved'`, `… WHERE quantity_available >= n`), so two requests, or two instances,
//! can never both succeed where only one may. At all times, for every listing:
//! held (open reservations) + picked up + available = total.

pub mod jobs;

use chrono::{Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::accounts::{self, User};
use crate::audit::{self, Change, Subject};
use crate::categories::Category;
use crate::db::schema::{categories, items, reservations, units, users};
use crate::db::{AnyConnection, write_transaction};
use crate::items::{FieldError, Item, ItemError, Status, Viewer, find_visible};
use crate::ledger::savings::WouldBuyNew;
use crate::ledger::{self, HandoverFacts};
use crate::mail::notices::{self, Notice, Notifier, Recipient, ReservationFacts, SendError};

/// Longest message a requester may write to the lister.
pub const MAX_MESSAGE_CHARS: usize = 2000;
/// More than anyone lists at once; keeps arithmetic far from overflow.
pub const MAX_QUANTITY: i32 = 100_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReservationStatus {
    Reserved,
    PickedUp,
    Cancelled,
    Declined,
    Expired,
}

impl ReservationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReservationStatus::Reserved => "reserved",
            ReservationStatus::PickedUp => "picked_up",
            ReservationStatus::Cancelled => "cancelled",
            ReservationStatus::Declined => "declined",
            ReservationStatus::Expired => "expired",
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = reservations)]
pub struct Reservation {
    pub id: i64,
    pub item_id: i64,
    pub organisation_id: i64,
    pub requester_id: i64,
    pub receiving_unit_id: Option<i64>,
    pub quantity: i32,
    pub message: String,
    pub would_buy_new: String,
    pub status: String,
    pub pickup_deadline: NaiveDateTime,
    pub reminder_sent_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub closed_at: Option<NaiveDateTime>,
    pub closed_by: Option<i64>,
}

impl Reservation {
    pub fn is_open(&self) -> bool {
        self.status == ReservationStatus::Reserved.as_str()
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
    pub receiving_unit_id: Option<i64>,
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
    Closed(String),
    #[error("the pickup deadline has passed")]
    PastDeadline,
    #[error("only the {0} may do that")]
    NotAllowed(&'static str),
    #[error(transparent)]
    Mail(#[from] notices::NoticeError),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

impl From<SendError> for ReservationError {
    fn from(error: SendError) -> Self {
        match error {
            SendError::Notice(error) => ReservationError::Mail(error),
            SendError::Db(error) => ReservationError::Db(error),
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

fn user(conn: &mut AnyConnection, id: i64) -> QueryResult<User> {
    accounts::find(conn, id)?.ok_or(diesel::result::Error::NotFound)
}

fn unit_name(conn: &mut AnyConnection, id: Option<i64>) -> QueryResult<Option<(i64, String)>> {
    match id {
        Some(id) => Ok(units::table
            .find(id)
            .select((units::id, units::name))
            .first(conn)
            .optional()?),
        None => Ok(None),
    }
}

fn recipient(user: &User) -> Recipient {
    Recipient::new(&user.email, &user.language)
}

fn display_name(user: &User) -> String {
    user.name.clone().unwrap_or_else(|| user.email.clone())
}

fn facts(
    conn: &mut AnyConnection,
    reservation: &Reservation,
    item: &Item,
) -> QueryResult<ReservationFacts> {
    let requester = user(conn, reservation.requester_id)?;
    let unit = unit_name(conn, reservation.receiving_unit_id)?;
    Ok(ReservationFacts {
        reservation_id: reservation.id,
        item_title: item.title.clone(),
        quantity: reservation.quantity,
        requester: display_name(&requester),
        receiving_unit: unit.map(|(_, name)| name).unwrap_or_default(),
        message: reservation.message.clone(),
        pickup_deadline: reservation.pickup_deadline,
    })
}

fn find_item(conn: &mut AnyConnection, item_id: i64) -> QueryResult<Item> {
    items::table
        .find(item_id)
        .select(Item::as_select())
        .first(conn)
}

fn find_reservation(
    conn: &mut AnyConnection,
    reservation_id: i64,
) -> QueryResult<Option<Reservation>> {
    reservations::table
        .find(reservation_id)
        .select(Reservation::as_select())
        .first(conn)
        .optional()
}

/// Holds `request.quantity` of a listing for the viewer's unit and tells the lister.
pub fn reserve(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    item_id: i64,
    request: &ReserveRequest,
    rules: &Rules,
    notifier: &dyn Notifier,
) -> Result<Reservation, ReservationError> {
    let errors = request.validate();
    if !errors.is_empty() {
        return Err(ReservationError::Invalid(errors));
    }
    write_transaction(conn, |conn| {
        let item = find_visible(conn, viewer, item_id)?;
        if item.created_by == viewer.user_id {
            return Err(ReservationError::Invalid(vec![FieldError::new(
                "quantity",
                "reserve-error-own",
            )]));
        }
        let receiving_unit_id = request.receiving_unit_id.or(viewer.unit_id);
        if let Some(unit_id) = receiving_unit_id {
            let unit_organisation: Option<i64> = units::table
                .find(unit_id)
                .select(units::organisation_id)
                .first(conn)
                .optional()?;
            if unit_organisation != Some(viewer.organisation_id) {
                return Err(ReservationError::Invalid(vec![FieldError::new(
                    "receiving_unit_id",
                    "reserve-error-unit",
                )]));
            }
        }
        let now = Utc::now().naive_utc();
        let held = diesel::update(items::table.find(item_id))
            .filter(items::status.eq(Status::Available.as_str()))
            .filter(items::quantity_available.ge(request.quantity))
            .set((
                items::quantity_available.eq(items::quantity_available - request.quantity),
                items::updated_at.eq(now),
            ))
            .execute(conn)?;
        if held != 1 {
            let available = find_item(conn, item_id)?;
            let available = if available.status() == Status::Available {
                available.quantity_available
            } else {
                0
            };
            return Err(ReservationError::NotAvailable { available });
        }
        diesel::update(items::table.find(item_id))
            .filter(items::status.eq(Status::Available.as_str()))
            .filter(items::quantity_available.eq(0))
            .set(items::status.eq(Status::Reserved.as_str()))
            .execute(conn)?;
        let reservation_id: i64 = diesel::insert_into(reservations::table)
            .values((
                reservations::item_id.eq(item_id),
                reservations::organisation_id.eq(viewer.organisation_id),
                reservations::requester_id.eq(viewer.user_id),
                reservations::receiving_unit_id.eq(receiving_unit_id),
                reservations::quantity.eq(request.quantity),
                reservations::message.eq(request.message.trim()),
                reservations::would_buy_new.eq(request.answer.as_str()),
                reservations::status.eq(ReservationStatus::Reserved.as_str()),
                reservations::pickup_deadline.eq(now + rules.pickup_within),
                reservations::created_at.eq(now),
                reservations::updated_at.eq(now),
            ))
            .returning(reservations::id)
            .get_result(conn)?;
        let reservation =
            find_reservation(conn, reservation_id)?.ok_or(ReservationError::NotFound)?;
        audit::record(
            conn,
            Change {
                organisations: &[item.organisation_id, viewer.organisation_id],
                actor: Some(viewer.user_id),
                subject: Subject::Reservation(reservation.id),
                action: "reserved",
                detail: format!("{} × #{} {}", request.quantity, item.id, item.title),
            },
        )?;
        let lister = user(conn, item.created_by)?;
        let facts = facts(conn, &reservation, &item)?;
        notices::queue(
            conn,
            notifier,
            &recipient(&lister),
            &Notice::Reserved(facts),
        )?;
        Ok(reservation)
    })
}

/// Gives the held quantity back to the listing.
fn release(conn: &mut AnyConnection, item_id: i64, quantity: i32) -> QueryResult<()> {
    diesel::update(items::table.find(item_id))
        .set((
            items::quantity_available.eq(items::quantity_available + quantity),
            items::updated_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)?;
    diesel::update(items::table.find(item_id))
        .filter(items::status.eq(Status::Reserved.as_str()))
        .filter(items::quantity_available.gt(0))
        .set(items::status.eq(Status::Available.as_str()))
        .execute(conn)?;
    Ok(())
}

/// Which side of the pickup deadline a change is allowed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Deadline {
    /// Picking up: only until the deadline.
    NotPassed,
    /// Expiring: only after it.
    Passed,
    /// Cancelling or declining: any time, it only ends the reservation sooner.
    Any,
}

/// Closes an open reservation; false if it was not open (or not on that side of the
/// deadline) any more.
fn close(
    conn: &mut AnyConnection,
    reservation_id: i64,
    to: ReservationStatus,
    by: Option<i64>,
    deadline: Deadline,
) -> QueryResult<bool> {
    let now = Utc::now().naive_utc();
    let update = diesel::update(reservations::table.find(reservation_id))
        .filter(reservations::status.eq(ReservationStatus::Reserved.as_str()))
        .into_boxed();
    let update = match deadline {
        Deadline::NotPassed => update.filter(reservations::pickup_deadline.ge(now)),
        Deadline::Passed => update.filter(reservations::pickup_deadline.lt(now)),
        Deadline::Any => update,
    };
    let changed = update
        .set((
            reservations::status.eq(to.as_str()),
            reservations::closed_at.eq(now),
            reservations::closed_by.eq(by),
            reservations::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(changed == 1)
}

/// Loads a reservation for someone taking part in it, checking it is still open.
fn open_for(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    reservation_id: i64,
) -> Result<(Reservation, Item, Party), ReservationError> {
    let reservation = find_reservation(conn, reservation_id)?.ok_or(ReservationError::NotFound)?;
    let item = find_item(conn, reservation.item_id)?;
    let party = party(viewer, &reservation, &item).ok_or(ReservationError::NotFound)?;
    if !reservation.is_open() {
        return Err(ReservationError::Closed(reservation.status));
    }
    if reservation.pickup_deadline < Utc::now().naive_utc() {
        return Err(ReservationError::PastDeadline);
    }
    Ok((reservation, item, party))
}

/// Either side confirms the handover: the reservation closes and the ledger gets its record.
pub fn pick_up(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    reservation_id: i64,
    notifier: &dyn Notifier,
) -> Result<i64, ReservationError> {
    write_transaction(conn, |conn| {
        let (reservation, item, party) = open_for(conn, viewer, reservation_id)?;
        if !close(
            conn,
            reservation_id,
            ReservationStatus::PickedUp,
            Some(viewer.user_id),
            Deadline::NotPassed,
        )? {
            return Err(ReservationError::Closed(reservation.status));
        }
        let still_open: i64 = reservations::table
            .filter(reservations::item_id.eq(item.id))
            .filter(reservations::status.eq(ReservationStatus::Reserved.as_str()))
            .count()
            .get_result(conn)?;
        if still_open == 0 {
            diesel::update(items::table.find(item.id))
                .filter(items::status.eq(Status::Reserved.as_str()))
                .filter(items::quantity_available.eq(0))
                .set(items::status.eq(Status::Gone.as_str()))
                .execute(conn)?;
        }
        let category: Category = categories::table
            .find(item.category_id)
            .select(Category::as_select())
            .first(conn)?;
        let answer = WouldBuyNew::parse(&reservation.would_buy_new).unwrap_or(WouldBuyNew::Unsure);
        let from_unit = unit_name(conn, item.owner_unit_id)?;
        let to_unit = unit_name(conn, reservation.receiving_unit_id)?;
        let record_id = ledger::record_handover(
            conn,
            &HandoverFacts {
                reservation_id,
                item_id: item.id,
                item_title: &item.title,
                giving_organisation_id: item.organisation_id,
                receiving_organisation_id: reservation.organisation_id,
                from_unit,
                to_unit,
                category: &category,
                quantity: reservation.quantity,
                weight_kg: item.weight_kg,
                new_price_sek: item.new_price_sek,
                answer,
                recorded_by: Some(viewer.user_id),
            },
        )?;
        audit::record(
            conn,
            Change {
                organisations: &[item.organisation_id, reservation.organisation_id],
                actor: Some(viewer.user_id),
                subject: Subject::Reservation(reservation_id),
                action: "picked_up",
                detail: format!("reuse record #{record_id}"),
            },
        )?;
        let other = match party {
            Party::Requester => item.created_by,
            Party::Lister => reservation.requester_id,
        };
        let other = user(conn, other)?;
        let facts = facts(conn, &reservation, &item)?;
        notices::queue(conn, notifier, &recipient(&other), &Notice::PickedUp(facts))?;
        Ok(record_id)
    })
}

/// The requester cancels, or the lister declines; the quantity is available again.
pub fn withdraw(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    reservation_id: i64,
    as_party: Party,
    notifier: &dyn Notifier,
) -> Result<(), ReservationError> {
    write_transaction(conn, |conn| {
        let reservation =
            find_reservation(conn, reservation_id)?.ok_or(ReservationError::NotFound)?;
        let item = find_item(conn, reservation.item_id)?;
        let party = party(viewer, &reservation, &item).ok_or(ReservationError::NotFound)?;
        if party != as_party {
            return Err(ReservationError::NotAllowed(match as_party {
                Party::Requester => "requester",
                Party::Lister => "lister",
            }));
        }
        if !reservation.is_open() {
            return Err(ReservationError::Closed(reservation.status));
        }
        let (to, action) = match as_party {
            Party::Requester => (ReservationStatus::Cancelled, "cancelled"),
            Party::Lister => (ReservationStatus::Declined, "declined"),
        };
        if !close(
            conn,
            reservation_id,
            to,
            Some(viewer.user_id),
            Deadline::Any,
        )? {
            return Err(ReservationError::Closed(reservation.status));
        }
        release(conn, item.id, reservation.quantity)?;
        audit::record(
            conn,
            Change {
                organisations: &[item.organisation_id, reservation.organisation_id],
                actor: Some(viewer.user_id),
                subject: Subject::Reservation(reservation_id),
                action,
                detail: format!("{} × #{} {}", reservation.quantity, item.id, item.title),
            },
        )?;
        let facts = facts(conn, &reservation, &item)?;
        let (to_user, notice) = match as_party {
            Party::Requester => (item.created_by, Notice::Cancelled(facts)),
            Party::Lister => (reservation.requester_id, Notice::Declined(facts)),
        };
        let to_user = user(conn, to_user)?;
        notices::queue(conn, notifier, &recipient(&to_user), &notice)?;
        Ok(())
    })
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
    reservation_id: i64,
) -> Result<Details, ReservationError> {
    let reservation = find_reservation(conn, reservation_id)?.ok_or(ReservationError::NotFound)?;
    let item = find_item(conn, reservation.item_id)?;
    let party = party(viewer, &reservation, &item).ok_or(ReservationError::NotFound)?;
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
    pub id: i64,
    pub item_id: i64,
    pub item_title: String,
    pub quantity: i32,
    pub status: String,
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
    MadeBy(i64),
    /// Reservations of listings the viewer created.
    ListedBy(i64),
    /// Reservations of one listing.
    Item(i64),
}

/// Reservations, newest first.
pub fn list(conn: &mut AnyConnection, of: ListOf) -> QueryResult<Vec<Summary>> {
    let query = reservations::table
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
    let query = match of {
        ListOf::MadeBy(user_id) => query.filter(reservations::requester_id.eq(user_id)),
        ListOf::ListedBy(user_id) => query.filter(items::created_by.eq(user_id)),
        ListOf::Item(item_id) => query.filter(reservations::item_id.eq(item_id)),
    };
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

pub fn accounting(conn: &mut AnyConnection, item_id: i64) -> QueryResult<Accounting> {
    let item = find_item(conn, item_id)?;
    let sum_of = |conn: &mut AnyConnection, status: ReservationStatus| -> QueryResult<i64> {
        let quantities: Vec<i32> = reservations::table
            .filter(reservations::item_id.eq(item_id))
            .filter(reservations::status.eq(status.as_str()))
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
