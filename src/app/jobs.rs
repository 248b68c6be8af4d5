//! Background work: reservations past their deadline expire, requesters are reminded before
//! it, queue offers nobody took lapse, listings past their end date expire, daily digests go
//! out. Everything a round needs is in the database, so
//! a restarted (or another) instance carries on where one stopped; each change is a
//! conditional update through the lifecycle tables, so two instances never do one twice.

use chrono::{NaiveDate, Utc};
use diesel::{Connection, QueryResult};

use super::dispatch::{Delivery, write};
use super::ending;
use crate::db::AnyConnection;
use crate::i18n::local_date;
use crate::items::{self, ItemError};
use crate::mail::digest;
use crate::reservations::{self, ReservationError, Rules, queue};

/// At most this many of each per round; the next round takes the rest.
const BATCH: i64 = 200;
const REINDEX_BATCH: i64 = 500;

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub reservations_expired: usize,
    pub reminded: usize,
    pub listings_expired: usize,
    pub listings_reminded: usize,
    pub listings_reindexed: usize,
    pub offers_lapsed: usize,
    pub digests_sent: usize,
    pub chains_verified: usize,
}

impl Round {
    pub fn did_anything(&self) -> bool {
        *self != Round::default()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error(transparent)]
    Reservation(#[from] ReservationError),
    #[error(transparent)]
    Item(#[from] ItemError),
    #[error(transparent)]
    Store(#[from] crate::stores::StoreError),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// One round of every job, with "today" in local time.
pub fn run_once(conn: &mut AnyConnection, rules: &Rules) -> Result<Round, JobError> {
    let today = local_date(Utc::now().naive_utc());
    Ok(Round {
        reservations_expired: expire_reservations(conn, rules)?,
        offers_lapsed: lapse_offers(conn, rules)?,
        reminded: remind(conn, rules)?,
        digests_sent: send_digests(conn)?,
        listings_reminded: remind_listers(conn, today)?,
        listings_expired: expire_listings(conn, today)?,
        listings_reindexed: reindex_listings(conn)?,
        chains_verified: verify_a_chain(conn)?,
    })
}

/// Chains are recomputed about once a day, one organisation per round.
const CHAIN_CHECK_EVERY: chrono::Duration = chrono::Duration::hours(24);

fn verify_a_chain(conn: &mut AnyConnection) -> Result<usize, JobError> {
    let before = Utc::now().naive_utc() - CHAIN_CHECK_EVERY;
    match crate::ledger::chain::verify_one_due(conn, before)? {
        Some(outcome) => {
            if let Some(broken) = &outcome.broken {
                tracing::error!(
                    organisation = %outcome.organisation_id,
                    seq = broken.seq,
                    problem = broken.problem.as_str(),
                    "the ledger's hash chain is broken"
                );
            }
            Ok(1)
        }
        None => Ok(0),
    }
}

/// Listings indexed by an older version of the search rules (after an upgrade), all of
/// them, a transaction per batch. Until one is done, search finds it by its old terms.
pub fn reindex_listings(conn: &mut AnyConnection) -> Result<usize, JobError> {
    let mut done = 0;
    loop {
        let batch = conn.transaction(|conn| items::reindex(conn, REINDEX_BATCH))?;
        done += batch;
        if batch < REINDEX_BATCH as usize {
            return Ok(done);
        }
    }
}

/// Each one in its own transaction: one listing's trouble does not hold back the others.
fn each<T: Copy, E>(
    ids: QueryResult<Vec<T>>,
    conn: &mut AnyConnection,
    one: impl Fn(&mut crate::events::Tx, T) -> Result<bool, E>,
) -> Result<usize, JobError>
where
    E: From<diesel::result::Error>,
    JobError: From<E>,
{
    let mut done = 0;
    for id in ids? {
        done += usize::from(write(conn, Delivery::Mail, |tx| one(tx, id))?);
    }
    Ok(done)
}

pub fn expire_reservations(conn: &mut AnyConnection, rules: &Rules) -> Result<usize, JobError> {
    let due = reservations::due_to_expire(conn, BATCH);
    each(due, conn, |tx, id| reservations::expire(tx, id, rules))
}

pub fn lapse_offers(conn: &mut AnyConnection, rules: &Rules) -> Result<usize, JobError> {
    let due = queue::due_to_lapse(conn, BATCH);
    each(due, conn, |tx, id| queue::lapse(tx, id, rules))
}

/// The digests of everyone with notices from before this morning's digest time.
pub fn send_digests(conn: &mut AnyConnection) -> Result<usize, JobError> {
    let cutoff = digest::cutoff(Utc::now().naive_utc());
    let due = digest::due(conn, cutoff, BATCH);
    each(due, conn, |tx, user_id| {
        digest::send(tx.conn, user_id, cutoff)
    })
}

pub fn remind(conn: &mut AnyConnection, rules: &Rules) -> Result<usize, JobError> {
    let due = reservations::due_for_reminder(conn, rules, BATCH);
    each(due, conn, reservations::remind)
}

/// Listings whose end date is before `today` take their organisation's next step or are no
/// longer on offer; their listers are told.
pub fn expire_listings(conn: &mut AnyConnection, today: NaiveDate) -> Result<usize, JobError> {
    let due = items::due_to_expire(conn, today, BATCH);
    each(due, conn, |tx, id| ending::end_listing(tx, id, today))
}

/// Listers hear some days ahead (their organisation says how many) that an end date nears.
pub fn remind_listers(conn: &mut AnyConnection, today: NaiveDate) -> Result<usize, JobError> {
    let due = ending::due_for_reminder(conn, today, BATCH);
    each(due, conn, ending::remind_lister)
}
