//! Reuse stores (återbruksförråd / møbellager): a unit that takes listings in, keeps them on
//! shelves and offers them as its own. A lister asks a store to take a listing (a hand-in);
//! the store's staff, the people of that unit, accept or decline, and receive what they
//! accepted onto a shelf. The steps are [`handin`]'s table; this module holds the rules
//! around them and the store's work list.

pub mod handin;

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::access::Viewer;
use crate::db::AnyConnection;
use crate::db::schema::{categories, items, reservations, store_handins, units, users};
use crate::events::{Event, Tx};
use crate::ids::{CategoryId, HandInId, ItemId, OrganisationId, ReservationId, UnitId, UserId};
use crate::items::{self as listings, FieldError, Item, ItemError, Status, lifecycle};
use crate::refusal::{Arg, Message, Refusal, Refuses};
use crate::reservations::ReservationStatus;
use handin::{HandInStatus, Handover, Side, Step};

/// Longest store address, instructions, message, answer and shelf, in characters.
pub const MAX_ADDRESS: usize = 200;
pub const MAX_TEXT: usize = 1000;
pub const MAX_SHELF: usize = 60;

/// A unit that is a store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Store {
    pub id: UnitId,
    pub organisation_id: OrganisationId,
    pub name: String,
    /// Where its shelves are: the place every store listing shows.
    pub address: String,
    /// Opening hours and how to find it, shown with every store listing.
    pub instructions: String,
}

type StoreRow = (UnitId, OrganisationId, String, Option<String>, String);

fn store_of(row: StoreRow) -> Option<Store> {
    let (id, organisation_id, name, address, instructions) = row;
    address.map(|address| Store {
        id,
        organisation_id,
        name,
        address,
        instructions,
    })
}

fn store_columns() -> (
    units::id,
    units::organisation_id,
    units::name,
    units::store_address,
    units::store_instructions,
) {
    (
        units::id,
        units::organisation_id,
        units::name,
        units::store_address,
        units::store_instructions,
    )
}

/// The organisation's stores, by name.
pub fn stores_of(
    conn: &mut AnyConnection,
    organisation: OrganisationId,
) -> QueryResult<Vec<Store>> {
    let rows: Vec<StoreRow> = units::table
        .filter(units::organisation_id.eq(organisation))
        .filter(units::store_address.is_not_null())
        .select(store_columns())
        .order(units::name)
        .load(conn)?;
    Ok(rows.into_iter().filter_map(store_of).collect())
}

/// The organisation's store of that id; another organisation's unit, or one that is no
/// store, is none.
pub fn find_store(
    conn: &mut AnyConnection,
    organisation: OrganisationId,
    unit: UnitId,
) -> QueryResult<Option<Store>> {
    let row: Option<StoreRow> = units::table
        .find(unit)
        .filter(units::organisation_id.eq(organisation))
        .select(store_columns())
        .first(conn)
        .optional()?;
    Ok(row.and_then(store_of))
}

/// What an admin says a unit is: a store at an address, or not a store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreSetting {
    Store {
        address: String,
        instructions: String,
    },
    NotAStore,
}

/// Makes a unit a store or an ordinary unit again. Its listings stay its own either way.
pub fn set_store(
    conn: &mut AnyConnection,
    organisation: OrganisationId,
    unit: UnitId,
    setting: &StoreSetting,
) -> Result<(), StoreError> {
    let (address, instructions) = match setting {
        StoreSetting::Store {
            address,
            instructions,
        } => {
            let address = address.trim();
            let mut errors = Vec::new();
            if address.is_empty() || address.chars().count() > MAX_ADDRESS {
                errors.push(FieldError::new("store_address", "store-error-address"));
            }
            if instructions.chars().count() > MAX_TEXT {
                errors.push(FieldError::new(
                    "store_instructions",
                    "store-error-too-long",
                ));
            }
            if !errors.is_empty() {
                return Err(StoreError::Invalid(errors));
            }
            (Some(address.to_string()), instructions.trim().to_string())
        }
        StoreSetting::NotAStore => (None, String::new()),
    };
    let changed = diesel::update(
        units::table
            .filter(units::id.eq(unit))
            .filter(units::organisation_id.eq(organisation)),
    )
    .set((
        units::store_address.eq(address),
        units::store_instructions.eq(instructions),
    ))
    .execute(conn)?;
    if changed == 1 {
        Ok(())
    } else {
        Err(StoreError::NotFound)
    }
}

/// The store the viewer works in, if their unit is one.
pub fn staffed_by(conn: &mut AnyConnection, viewer: &Viewer) -> QueryResult<Option<Store>> {
    match viewer.unit_id {
        Some(unit) => find_store(conn, viewer.organisation_id, unit),
        None => Ok(None),
    }
}

/// The store's staff who hear of new requests: the enabled people of the unit.
pub fn staff_of(conn: &mut AnyConnection, store: UnitId) -> QueryResult<Vec<UserId>> {
    users::table
        .filter(users::unit_id.eq(store))
        .filter(users::disabled.eq(false))
        .select(users::id)
        .order(users::id)
        .load(conn)
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = store_handins)]
pub struct HandIn {
    pub id: HandInId,
    pub organisation_id: OrganisationId,
    pub item_id: ItemId,
    pub store_unit_id: UnitId,
    pub requested_by: UserId,
    pub from_unit_id: Option<UnitId>,
    pub quantity: i32,
    pub handover: Handover,
    pub message: String,
    pub status: HandInStatus,
    pub answer: String,
    pub decided_by: Option<UserId>,
    pub decided_at: Option<NaiveDateTime>,
    pub received_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no such store, listing or hand-in for this person")]
    NotFound,
    #[error("only the store's staff or an admin may do that")]
    Forbidden,
    #[error("units of the listing are reserved")]
    Held,
    #[error("the listing has an open hand-in already")]
    AlreadyAsked,
    #[error("the listing is a store's already")]
    InStore,
    #[error("the listing is {0} and cannot go to a store")]
    NotOnHand(Status),
    #[error(transparent)]
    Step(#[from] handin::Refused),
    #[error("the form has errors")]
    Invalid(Vec<FieldError>),
    #[error(transparent)]
    Item(#[from] ItemError),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

impl Refuses for StoreError {
    fn refusal(self) -> Refusal {
        let conflict = |code, key| Refusal::Conflict {
            code,
            message: Message::new(key),
        };
        match self {
            StoreError::NotFound => Refusal::NotFound,
            StoreError::Forbidden => Refusal::Forbidden,
            StoreError::Held => conflict("listing_held", "store-error-held"),
            StoreError::AlreadyAsked => conflict("handin_open", "store-error-already-asked"),
            StoreError::InStore => conflict("in_store", "store-error-in-store"),
            StoreError::NotOnHand(status) => Refusal::Inapplicable(
                Message::new("store-error-status")
                    .with("status", Arg::Key(format!("status-{status}"))),
            ),
            StoreError::Step(handin::Refused::Status { from, .. }) => Refusal::Conflict {
                code: "handin_changed",
                message: Message::new("store-error-handin-changed")
                    .with("status", Arg::Key(format!("handin-status-{from}"))),
            },
            StoreError::Step(handin::Refused::NotYours(_)) => {
                Refusal::NotAllowed(Message::new("store-error-not-yours"))
            }
            StoreError::Invalid(errors) => Refusal::Invalid(errors),
            StoreError::Item(error) => error.refusal(),
            StoreError::Db(error) => error.refusal(),
        }
    }
}

/// What a lister sends with a hand-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandInRequest {
    pub store: UnitId,
    pub handover: Handover,
    pub message: String,
}

fn check_text(field: &'static str, text: &str, max: usize) -> Result<(), StoreError> {
    if text.chars().count() > max {
        Err(StoreError::Invalid(vec![FieldError::new(
            field,
            "store-error-too-long",
        )]))
    } else {
        Ok(())
    }
}

/// Whether a listing can go to a store as it is now: one of the organisation's own, not a
/// store's yet, nothing of it held, and in a status the lifecycle lets go.
fn check_can_go(item: &Item) -> Result<(), StoreError> {
    if item.store_unit_id.is_some() {
        return Err(StoreError::InStore);
    }
    if lifecycle::next(item.status, lifecycle::Event::HandedIn).is_err() {
        return Err(match item.status {
            Status::Reserved => StoreError::Held,
            status => StoreError::NotOnHand(status),
        });
    }
    if item.quantity_available < item.quantity_total {
        return Err(StoreError::Held);
    }
    Ok(())
}

/// The lister (or an admin) asks a store of the organisation to take the listing in.
pub fn request(
    tx: &mut Tx,
    viewer: &Viewer,
    item_id: ItemId,
    request: &HandInRequest,
) -> Result<HandInId, StoreError> {
    check_text("message", &request.message, MAX_TEXT)?;
    let item = listings::find_for_edit(tx.conn, viewer, item_id)?;
    let store =
        find_store(tx.conn, viewer.organisation_id, request.store)?.ok_or(StoreError::NotFound)?;
    check_can_go(&item)?;
    insert_request(
        tx,
        &item,
        &store,
        viewer.user_id,
        request.handover,
        request.message.trim(),
    )
}

/// The organisation's end-of-listing step asks the store, on the lister's behalf, to
/// collect a listing nobody claimed. False when it cannot go to a store as it is, or has
/// an open hand-in already.
pub fn ask_for_lister(tx: &mut Tx, item: &Item, store: &Store) -> Result<bool, StoreError> {
    if check_can_go(item).is_err() {
        return Ok(false);
    }
    match insert_request(tx, item, store, item.created_by, Handover::Collect, "") {
        Ok(_) => Ok(true),
        Err(StoreError::AlreadyAsked) => Ok(false),
        Err(error) => Err(error),
    }
}

fn insert_request(
    tx: &mut Tx,
    item: &Item,
    store: &Store,
    by: UserId,
    handover: Handover,
    message: &str,
) -> Result<HandInId, StoreError> {
    let now = Utc::now().naive_utc();
    let inserted = diesel::insert_into(store_handins::table)
        .values((
            store_handins::organisation_id.eq(item.organisation_id),
            store_handins::item_id.eq(item.id),
            store_handins::store_unit_id.eq(store.id),
            store_handins::requested_by.eq(by),
            store_handins::from_unit_id.eq(item.owner_unit_id),
            store_handins::quantity.eq(item.quantity_total),
            store_handins::handover.eq(handover),
            store_handins::message.eq(message),
            store_handins::status.eq(HandInStatus::Requested),
            store_handins::created_at.eq(now),
            store_handins::updated_at.eq(now),
        ))
        .returning(store_handins::id)
        .get_result::<HandInId>(tx.conn);
    let id = match inserted {
        // Two presses (or two instances) at once: the partial unique index lets one in.
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => return Err(StoreError::AlreadyAsked),
        other => other?,
    };
    tx.emit(Event::HandInMoved {
        handin: id,
        item: item.id,
        organisation: item.organisation_id,
        by,
        step: None,
        detail: format!("{} → {}", item.fields.title, store.name),
    });
    Ok(id)
}

pub fn find(conn: &mut AnyConnection, id: HandInId) -> QueryResult<Option<HandIn>> {
    store_handins::table
        .find(id)
        .select(HandIn::as_select())
        .first(conn)
        .optional()
}

/// The open hand-in of a listing, if it has one.
pub fn open_for(conn: &mut AnyConnection, item: ItemId) -> QueryResult<Option<HandIn>> {
    store_handins::table
        .filter(store_handins::item_id.eq(item))
        .filter(store_handins::status.eq_any([HandInStatus::Requested, HandInStatus::Accepted]))
        .select(HandIn::as_select())
        .first(conn)
        .optional()
}

/// The hand-in as the viewer may act on it, and which side they act for. Another
/// organisation's is not found; the store's staff and admins act for the store.
fn for_viewer(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    id: HandInId,
    side: Side,
) -> Result<HandIn, StoreError> {
    let handin = find(conn, id)?
        .filter(|h| h.organisation_id == viewer.organisation_id)
        .ok_or(StoreError::NotFound)?;
    let allowed = match side {
        Side::Store => viewer.is_admin || viewer.unit_id == Some(handin.store_unit_id),
        Side::Lister => viewer.is_admin || viewer.user_id == handin.requested_by,
    };
    if allowed {
        Ok(handin)
    } else if viewer.user_id == handin.requested_by || viewer.unit_id == Some(handin.store_unit_id)
    {
        Err(handin::Refused::NotYours(match side {
            Side::Store => Step::Accept,
            Side::Lister => Step::Withdraw,
        })
        .into())
    } else {
        Err(StoreError::Forbidden)
    }
}

/// One conditional UPDATE from the status the table started from, so of two staff
/// answering at once only one does.
fn move_handin(
    conn: &mut AnyConnection,
    handin: &HandIn,
    step: Step,
    side: Side,
    by: UserId,
    answer: Option<&str>,
) -> Result<HandInStatus, StoreError> {
    let to = handin::next(handin.status, step, side)?;
    let now = Utc::now().naive_utc();
    let target = store_handins::table
        .filter(store_handins::id.eq(handin.id))
        .filter(store_handins::status.eq(handin.status));
    let changed = match step {
        Step::Accept | Step::Decline => diesel::update(target)
            .set((
                store_handins::status.eq(to),
                store_handins::answer.eq(answer.unwrap_or_default()),
                store_handins::decided_by.eq(by),
                store_handins::decided_at.eq(now),
                store_handins::updated_at.eq(now),
            ))
            .execute(conn)?,
        Step::Receive => diesel::update(target)
            .set((
                store_handins::status.eq(to),
                store_handins::received_by.eq(by),
                store_handins::received_at.eq(now),
                store_handins::updated_at.eq(now),
            ))
            .execute(conn)?,
        Step::Withdraw => diesel::update(target)
            .set((
                store_handins::status.eq(to),
                store_handins::updated_at.eq(now),
            ))
            .execute(conn)?,
    };
    if changed == 1 {
        Ok(to)
    } else {
        Err(handin::Refused::Status {
            from: handin.status,
            step,
        }
        .into())
    }
}

/// The store's answer to a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// It will take the listing; the note says when it collects or where to bring it.
    Accept { note: String },
    /// It will not, and says why.
    Decline { reason: String },
}

/// The store's staff accept or decline a request. Accepting takes the listing off the
/// market: it becomes the store's, a draft its staff see, with the person who accepted as
/// its contact, until it is received onto a shelf.
pub fn answer(
    tx: &mut Tx,
    viewer: &Viewer,
    id: HandInId,
    answer: &Answer,
) -> Result<(), StoreError> {
    let handin = for_viewer(tx.conn, viewer, id, Side::Store)?;
    let (step, text) = match answer {
        Answer::Accept { note } => (Step::Accept, note.trim()),
        Answer::Decline { reason } => (Step::Decline, reason.trim()),
    };
    check_text("answer", text, MAX_TEXT)?;
    if step == Step::Decline && text.is_empty() {
        return Err(StoreError::Invalid(vec![FieldError::new(
            "answer",
            "store-error-reason",
        )]));
    }
    let item = listings::find(tx.conn, handin.item_id)?.ok_or(StoreError::NotFound)?;
    if step == Step::Accept {
        check_can_go(&item)?;
    }
    move_handin(
        tx.conn,
        &handin,
        step,
        Side::Store,
        viewer.user_id,
        Some(text),
    )?;
    if step == Step::Accept {
        listings::apply(tx.conn, item.id, item.status, lifecycle::Event::HandedIn)?;
        // Nothing of it may be held meanwhile: the quantities are part of the condition.
        let taken = diesel::update(items::table.find(item.id))
            .filter(items::quantity_available.eq(item.quantity_total))
            .set((
                items::store_unit_id.eq(handin.store_unit_id),
                items::owner_unit_id.eq(handin.store_unit_id),
                items::created_by.eq(viewer.user_id),
            ))
            .execute(tx.conn)?;
        if taken != 1 {
            return Err(StoreError::Held);
        }
    }
    tx.emit(Event::HandInMoved {
        handin: handin.id,
        item: handin.item_id,
        organisation: handin.organisation_id,
        by: viewer.user_id,
        step: Some(step),
        detail: text.to_string(),
    });
    Ok(())
}

/// The lister takes a request back before the store answered it.
pub fn withdraw(tx: &mut Tx, viewer: &Viewer, id: HandInId) -> Result<(), StoreError> {
    let handin = for_viewer(tx.conn, viewer, id, Side::Lister)?;
    move_handin(
        tx.conn,
        &handin,
        Step::Withdraw,
        Side::Lister,
        viewer.user_id,
        None,
    )?;
    tx.emit(Event::HandInMoved {
        handin: handin.id,
        item: handin.item_id,
        organisation: handin.organisation_id,
        by: viewer.user_id,
        step: Some(Step::Withdraw),
        detail: String::new(),
    });
    Ok(())
}

/// The store has it: it goes on a shelf and on offer again as a store listing, picked up at
/// the store, with no end date (the store decides when it goes).
pub fn receive(
    tx: &mut Tx,
    viewer: &Viewer,
    id: HandInId,
    shelf: &str,
) -> Result<ItemId, StoreError> {
    let shelf = shelf.trim();
    if shelf.is_empty() || shelf.chars().count() > MAX_SHELF {
        return Err(StoreError::Invalid(vec![FieldError::new(
            "shelf",
            "store-error-shelf",
        )]));
    }
    let handin = for_viewer(tx.conn, viewer, id, Side::Store)?;
    let store = find_store(tx.conn, handin.organisation_id, handin.store_unit_id)?
        .ok_or(StoreError::NotFound)?;
    move_handin(
        tx.conn,
        &handin,
        Step::Receive,
        Side::Store,
        viewer.user_id,
        None,
    )?;
    let item = listings::find(tx.conn, handin.item_id)?.ok_or(StoreError::NotFound)?;
    diesel::update(items::table.find(item.id))
        .set((
            items::shelf.eq(shelf),
            items::site.eq(&store.address),
            items::room.eq(""),
            items::pickup_instructions.eq(&store.instructions),
            items::expires_on.eq(None::<chrono::NaiveDate>),
            items::end_step.eq(0),
            items::ended_as.eq(None::<listings::ending::EndStep>),
            items::available_from.eq(None::<chrono::NaiveDate>),
        ))
        .execute(tx.conn)?;
    listings::reindex_one(tx.conn, item.id)?;
    // Waiting as a draft, or withdrawn by the store's staff meanwhile.
    let event = if item.status == Status::Draft {
        lifecycle::Event::Publish
    } else {
        lifecycle::Event::Relist
    };
    if let Some(to) = listings::apply(tx.conn, item.id, item.status, event)? {
        tx.emit(Event::ListingMoved {
            item: item.id,
            organisation: item.organisation_id,
            by: Some(viewer.user_id),
            from: item.status,
            to,
        });
    }
    tx.emit(Event::HandInMoved {
        handin: handin.id,
        item: item.id,
        organisation: handin.organisation_id,
        by: viewer.user_id,
        step: Some(Step::Receive),
        detail: shelf.to_string(),
    });
    Ok(item.id)
}

/// A hand-in as a list shows it.
#[derive(Debug, Clone, Serialize)]
pub struct HandInLine {
    pub id: HandInId,
    pub item_id: ItemId,
    pub title: String,
    pub quantity: i32,
    pub handover: Handover,
    pub message: String,
    pub answer: String,
    pub status: HandInStatus,
    pub store_name: String,
    pub from_site: String,
    pub requested_by: String,
    pub created_at: NaiveDateTime,
}

type LineRow = (
    HandInId,
    ItemId,
    String,
    i32,
    Handover,
    String,
    String,
    HandInStatus,
    String,
    String,
    String,
    Option<String>,
    NaiveDateTime,
);

fn line_of(row: LineRow) -> HandInLine {
    let (id, item_id, title, quantity, handover, message, answer, status, store_name) = (
        row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7, row.8,
    );
    HandInLine {
        id,
        item_id,
        title,
        quantity,
        handover,
        message,
        answer,
        status,
        store_name,
        from_site: row.9,
        requested_by: row.11.filter(|n| !n.is_empty()).unwrap_or(row.10),
        created_at: row.12,
    }
}

macro_rules! handin_lines {
    () => {
        store_handins::table
            .inner_join(items::table)
            .inner_join(units::table.on(units::id.eq(store_handins::store_unit_id)))
            .inner_join(users::table.on(users::id.eq(store_handins::requested_by)))
            .select((
                store_handins::id,
                store_handins::item_id,
                items::title,
                store_handins::quantity,
                store_handins::handover,
                store_handins::message,
                store_handins::answer,
                store_handins::status,
                units::name,
                items::site,
                users::email,
                users::name,
                store_handins::created_at,
            ))
    };
}

/// A person's hand-ins, the open ones and the last month's answers, newest first.
pub fn asked_by(conn: &mut AnyConnection, user: UserId) -> QueryResult<Vec<HandInLine>> {
    let since = Utc::now().naive_utc() - chrono::Duration::days(30);
    let rows: Vec<LineRow> = handin_lines!()
        .filter(store_handins::requested_by.eq(user))
        .filter(
            store_handins::status
                .eq_any([HandInStatus::Requested, HandInStatus::Accepted])
                .or(store_handins::updated_at.ge(since)),
        )
        .order(store_handins::created_at.desc())
        .limit(50)
        .load(conn)?;
    Ok(rows.into_iter().map(line_of).collect())
}

/// A store listing on a shelf.
#[derive(Debug, Clone, Queryable, Serialize)]
pub struct Shelved {
    pub item_id: ItemId,
    pub title: String,
    pub shelf: String,
    pub status: Status,
    pub quantity_available: i32,
    pub quantity_total: i32,
}

/// A reservation of a store listing, to be picked up at the store.
#[derive(Debug, Clone, Queryable, Serialize)]
pub struct ToHandOut {
    pub reservation_id: ReservationId,
    pub item_id: ItemId,
    pub title: String,
    pub shelf: String,
    pub quantity: i32,
    pub requester: String,
    pub requester_name: Option<String>,
    pub pickup_deadline: NaiveDateTime,
}

/// The store's stock in one category: listings and units on offer.
#[derive(Debug, Clone, Queryable, Serialize)]
pub struct Stock {
    pub category_id: CategoryId,
    pub category: String,
    pub listings: i64,
    pub units: i64,
}

/// Everything a store's staff work through.
#[derive(Debug, Clone, Serialize)]
pub struct WorkList {
    pub store: Store,
    /// Requests waiting for an answer, oldest first.
    pub requested: Vec<HandInLine>,
    /// Accepted, on their way to the store.
    pub incoming: Vec<HandInLine>,
    /// Store listings still on offer or fully reserved, by shelf.
    pub on_shelves: Vec<Shelved>,
    /// Open reservations to be handed out, soonest deadline first.
    pub reserved: Vec<ToHandOut>,
    pub stock: Vec<Stock>,
}

/// The store's work list, for its staff and the organisation's admins.
pub fn work_list(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    store: UnitId,
) -> Result<WorkList, StoreError> {
    let store = find_store(conn, viewer.organisation_id, store)?.ok_or(StoreError::NotFound)?;
    if !(viewer.is_admin || viewer.unit_id == Some(store.id)) {
        return Err(StoreError::Forbidden);
    }
    let lines = |conn: &mut AnyConnection, status: HandInStatus| -> QueryResult<Vec<HandInLine>> {
        let rows: Vec<LineRow> = handin_lines!()
            .filter(store_handins::store_unit_id.eq(store.id))
            .filter(store_handins::status.eq(status))
            .order((store_handins::created_at, store_handins::id))
            .limit(200)
            .load(conn)?;
        Ok(rows.into_iter().map(line_of).collect())
    };
    let requested = lines(conn, HandInStatus::Requested)?;
    let incoming = lines(conn, HandInStatus::Accepted)?;
    let on_shelves: Vec<Shelved> = items::table
        .filter(items::store_unit_id.eq(store.id))
        .filter(items::status.eq_any([Status::Available, Status::Reserved]))
        .select((
            items::id,
            items::title,
            items::shelf,
            items::status,
            items::quantity_available,
            items::quantity_total,
        ))
        .order((items::shelf, items::title, items::id))
        .limit(500)
        .load(conn)?;
    let reserved: Vec<ToHandOut> = reservations::table
        .inner_join(items::table)
        .inner_join(users::table.on(users::id.eq(reservations::requester_id)))
        .filter(items::store_unit_id.eq(store.id))
        .filter(reservations::status.eq(ReservationStatus::Reserved))
        .select((
            reservations::id,
            items::id,
            items::title,
            items::shelf,
            reservations::quantity,
            users::email,
            users::name,
            reservations::pickup_deadline,
        ))
        .order((reservations::pickup_deadline, reservations::id))
        .limit(200)
        .load(conn)?;
    let stock: Vec<Stock> = items::table
        .inner_join(categories::table)
        .filter(items::store_unit_id.eq(store.id))
        .filter(items::status.eq_any([Status::Available, Status::Reserved]))
        .group_by((categories::id, categories::name))
        .select((
            categories::id,
            categories::name,
            diesel::dsl::count(items::id),
            diesel::dsl::sum(items::quantity_available).assume_not_null(),
        ))
        .order(categories::name)
        .load::<(CategoryId, String, i64, i64)>(conn)?
        .into_iter()
        .map(|(category_id, category, listings, units)| Stock {
            category_id,
            category,
            listings,
            units,
        })
        .collect();
    Ok(WorkList {
        store,
        requested,
        incoming,
        on_shelves,
        reserved,
        stock,
    })
}
