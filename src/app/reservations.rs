//! Reserving and what follows it, for pages and the API alike: each use case is one write
//! transaction through the reservation lifecycle, and its notices go out after the commit.

use super::{App, Failure};
use crate::access::Viewer;
use crate::ids::{ItemId, ReservationId};
use crate::reservations::{self, Details, Party, Reservation, ReservationError, ReserveRequest};

/// What someone taking part in a reservation can do with it while it is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Either side confirms the handover.
    PickedUp,
    /// The requester changes their mind.
    Cancel,
    /// The lister says no.
    Decline,
}

/// Holds `request.quantity` of a listing for the viewer's unit; the lister is mailed.
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
        reservations::details(tx.conn, &viewer, reservation.id)
    })
    .await
}

/// Takes `step` on an open reservation and answers with how it stands afterwards.
pub async fn take_step(
    app: &App,
    viewer: Viewer,
    reservation_id: ReservationId,
    step: Step,
) -> Result<Details, Failure<ReservationError>> {
    app.write(move |tx| {
        match step {
            Step::PickedUp => reservations::pick_up(tx, &viewer, reservation_id).map(|_| ()),
            Step::Cancel => reservations::withdraw(tx, &viewer, reservation_id, Party::Requester),
            Step::Decline => reservations::withdraw(tx, &viewer, reservation_id, Party::Lister),
        }?;
        reservations::details(tx.conn, &viewer, reservation_id)
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
