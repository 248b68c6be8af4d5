//! The background work of reservations: reminders before the pickup deadline, and expiry
//! after it. Everything it needs is in the database, so a restarted (or another) instance
//! carries on where one stopped; each change is conditional, so two instances never
//! expire or remind twice.

use chrono::Utc;
use diesel::prelude::*;

use super::{
    Deadline, ReservationError, ReservationStatus, Rules, close, facts, find_item,
    find_reservation, recipient, release, user,
};
use crate::audit::{self, Change, Subject};
use crate::db::schema::reservations;
use crate::db::{AnyConnection, write_transaction};
use crate::mail::notices::{self, Notice, Notifier};

/// At most this many of each per round; the next round takes the rest.
const BATCH: i64 = 200;

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub reminded: usize,
    pub expired: usize,
}

pub fn run_once(
    conn: &mut AnyConnection,
    rules: &Rules,
    notifier: &dyn Notifier,
) -> Result<Round, ReservationError> {
    Ok(Round {
        expired: expire_due(conn, notifier)?,
        reminded: remind_due(conn, rules, notifier)?,
    })
}

/// Reservations past their deadline end, and their quantity is available again.
pub fn expire_due(
    conn: &mut AnyConnection,
    notifier: &dyn Notifier,
) -> Result<usize, ReservationError> {
    let due: Vec<i64> = reservations::table
        .filter(reservations::status.eq(ReservationStatus::Reserved.as_str()))
        .filter(reservations::pickup_deadline.lt(Utc::now().naive_utc()))
        .order(reservations::pickup_deadline)
        .limit(BATCH)
        .select(reservations::id)
        .load(conn)?;
    let mut expired = 0;
    for reservation_id in due {
        let done = write_transaction(conn, |conn| -> Result<bool, ReservationError> {
            let Some(reservation) = find_reservation(conn, reservation_id)? else {
                return Ok(false);
            };
            if !close(
                conn,
                reservation_id,
                ReservationStatus::Expired,
                None,
                Deadline::Passed,
            )? {
                return Ok(false);
            }
            let item = find_item(conn, reservation.item_id)?;
            release(conn, item.id, reservation.quantity)?;
            audit::record(
                conn,
                Change {
                    organisations: &[item.organisation_id, reservation.organisation_id],
                    actor: None,
                    subject: Subject::Reservation(reservation_id),
                    action: "expired",
                    detail: format!("{} × #{} {}", reservation.quantity, item.id, item.title),
                },
            )?;
            let facts = facts(conn, &reservation, &item)?;
            for person in [reservation.requester_id, item.created_by] {
                let person = user(conn, person)?;
                notices::queue(
                    conn,
                    notifier,
                    &recipient(&person),
                    &Notice::Expired(facts.clone()),
                )?;
            }
            Ok(true)
        })?;
        expired += usize::from(done);
    }
    Ok(expired)
}

/// Requesters whose deadline is near are reminded once.
pub fn remind_due(
    conn: &mut AnyConnection,
    rules: &Rules,
    notifier: &dyn Notifier,
) -> Result<usize, ReservationError> {
    let now = Utc::now().naive_utc();
    let due: Vec<i64> = reservations::table
        .filter(reservations::status.eq(ReservationStatus::Reserved.as_str()))
        .filter(reservations::reminder_sent_at.is_null())
        .filter(reservations::pickup_deadline.ge(now))
        .filter(reservations::pickup_deadline.lt(now + rules.remind_before))
        .order(reservations::pickup_deadline)
        .limit(BATCH)
        .select(reservations::id)
        .load(conn)?;
    let mut reminded = 0;
    for reservation_id in due {
        let done = write_transaction(conn, |conn| -> Result<bool, ReservationError> {
            let claimed = diesel::update(reservations::table.find(reservation_id))
                .filter(reservations::status.eq(ReservationStatus::Reserved.as_str()))
                .filter(reservations::reminder_sent_at.is_null())
                .set(reservations::reminder_sent_at.eq(Utc::now().naive_utc()))
                .execute(conn)?;
            if claimed != 1 {
                return Ok(false);
            }
            let Some(reservation) = find_reservation(conn, reservation_id)? else {
                return Ok(false);
            };
            let item = find_item(conn, reservation.item_id)?;
            let requester = user(conn, reservation.requester_id)?;
            let facts = facts(conn, &reservation, &item)?;
            notices::queue(
                conn,
                notifier,
                &recipient(&requester),
                &Notice::PickupReminder(facts),
            )?;
            Ok(true)
        })?;
        reminded += usize::from(done);
    }
    Ok(reminded)
}
