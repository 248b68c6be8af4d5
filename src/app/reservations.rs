//! Reserving and what follows it, for pages and the API alike: each use case is one write
//! transaction through the reservation lifecycle (or the queue's), and its notices go out
//! after the commit.

use std::sync::Arc;

use chrono::NaiveDateTime;

use super::{App, Failure};
use crate::access::Viewer;
use crate::alerts::{self, Alert};
use crate::categories::Category;
use crate::conversations::{self, ConversationError};
use crate::ids::{ItemId, QueueEntryId, ReservationId};
use crate::items::browse::{self, Card};
use crate::reservations::queue::{self, Place};
use crate::reservations::{
    self, Details, ListOf, Party, Pickup, Reservation, ReservationError, ReserveRequest, Summary,
};

/// What someone taking part in a reservation can do with it while it is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Either side confirms the handover, of all or part of it.
    PickedUp(Pickup),
    /// The requester changes their mind.
    Cancel,
    /// The lister says no.
    Decline,
    /// The requester asks for a later deadline.
    AskForTime(NaiveDateTime),
    /// The lister sets a new deadline.
    SetDeadline(NaiveDateTime),
}

/// The reservation went through; its note to the lister could not start a thread.
fn thread_failure(error: ConversationError) -> ReservationError {
    match error {
        ConversationError::Db(error) => ReservationError::Db(error),
        _ => ReservationError::NotFound,
    }
}

/// Holds `request.quantity` of a listing for the viewer's unit; the lister is mailed, and
/// the message opens the requester's thread with the lister.
pub async fn reserve(
    app: &App,
    viewer: Viewer,
    item_id: ItemId,
    request: ReserveRequest,
) -> Result<Details, Failure<ReservationError>> {
    let rules = app.reservations;
    app.write(move |tx| {
        let reservation: Reservation =
            reservations::reserve(tx, &viewer, item_id, &request, &rules)?;
        conversations::note_reservation(tx, &viewer, item_id, &request.message)
            .map_err(thread_failure)?;
        reservations::details(tx.conn, &viewer, reservation.id)
    })
    .await
}

/// Takes `step` on an open reservation and answers with how it stands afterwards; after a
/// partial pickup whose rest stays held, that is the reservation holding the rest.
pub async fn take_step(
    app: &App,
    viewer: Viewer,
    reservation_id: ReservationId,
    step: Step,
) -> Result<Details, Failure<ReservationError>> {
    let rules = app.reservations;
    app.write(move |tx| {
        let mut shown = reservation_id;
        match step {
            Step::PickedUp(pickup) => {
                reservations::pick_up(tx, &viewer, reservation_id, pickup, &rules)?;
                if let Some(rest) = reservations::continued_by(tx.conn, reservation_id)? {
                    shown = rest;
                }
            }
            Step::Cancel => {
                reservations::withdraw(tx, &viewer, reservation_id, Party::Requester, &rules)?
            }
            Step::Decline => {
                reservations::withdraw(tx, &viewer, reservation_id, Party::Lister, &rules)?
            }
            Step::AskForTime(until) => {
                reservations::ask_for_time(tx, &viewer, reservation_id, until)?
            }
            Step::SetDeadline(until) => {
                reservations::set_deadline(tx, &viewer, reservation_id, until)?
            }
        }
        reservations::details(tx.conn, &viewer, shown)
    })
    .await
}

/// A reservation with its pickup details, for someone taking part in it.
pub async fn details(
    app: &App,
    viewer: Viewer,
    reservation_id: ReservationId,
) -> Result<Details, Failure<ReservationError>> {
    app.read(move |conn| reservations::details(conn, &viewer, reservation_id))
        .await
}

/// Puts the viewer in line for a fully reserved listing.
pub async fn join_queue(
    app: &App,
    viewer: Viewer,
    item_id: ItemId,
    request: ReserveRequest,
) -> Result<Place, Failure<ReservationError>> {
    app.write(move |tx| {
        let entry = queue::join(tx, &viewer, item_id, &request)?;
        conversations::note_reservation(tx, &viewer, item_id, &request.message)
            .map_err(thread_failure)?;
        queue::place(tx.conn, viewer.user_id, entry.id)?.ok_or(ReservationError::NotFound)
    })
    .await
}

/// The viewer's open places in line, offers first.
pub async fn places(app: &App, viewer: Viewer) -> Result<Vec<Place>, Failure<ReservationError>> {
    app.read(move |conn| Ok(queue::places_of(conn, viewer.user_id)?))
        .await
}

/// What the person in line does with their place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueChoice {
    /// Take what is offered: it becomes a reservation.
    Accept,
    /// Leave the line, or turn the offer down.
    Leave,
}

/// Takes an offer (answering with the new reservation) or leaves the line (`None`).
pub async fn answer_queue(
    app: &App,
    viewer: Viewer,
    entry_id: QueueEntryId,
    choice: QueueChoice,
) -> Result<Option<Details>, Failure<ReservationError>> {
    let rules = app.reservations;
    app.write(move |tx| match choice {
        QueueChoice::Accept => {
            let reservation = queue::accept(tx, &viewer, entry_id, "", &rules)?;
            reservations::details(tx.conn, &viewer, reservation.id).map(Some)
        }
        QueueChoice::Leave => queue::leave(tx, &viewer, entry_id, &rules).map(|_| None),
    })
    .await
}

/// Everything "my page" shows, read in one database visit.
pub struct Overview {
    pub made: Vec<Summary>,
    pub listed: Vec<Summary>,
    pub alerts: Vec<Alert>,
    pub saved: Vec<Card>,
    pub categories: Arc<Vec<Category>>,
    pub threads: Vec<conversations::Summary>,
    pub places: Vec<Place>,
    /// What the viewer asked stores to take in.
    pub handins: Vec<crate::stores::HandInLine>,
}

/// The viewer's reservations both ways, alerts, saved listings, threads, queue places and
/// hand-ins.
pub async fn overview(
    app: &App,
    viewer: Viewer,
) -> Result<Overview, Failure<diesel::result::Error>> {
    let catalog = app.catalog.clone();
    let user_id = viewer.user_id;
    app.read(move |conn| {
        Ok(Overview {
            made: reservations::list(conn, ListOf::MadeBy(user_id))?,
            listed: reservations::list(conn, ListOf::ListedBy(user_id))?,
            alerts: alerts::of_user(conn, user_id)?,
            saved: browse::saved_by(conn, &viewer)?,
            categories: catalog.categories(conn)?,
            threads: conversations::list_for(conn, user_id)?,
            places: queue::places_of(conn, user_id)?,
            handins: crate::stores::asked_by(conn, user_id)?,
        })
    })
    .await
}
