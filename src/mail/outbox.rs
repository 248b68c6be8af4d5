//! The mail outbox table. Rows are claimed with a lease, so several instances can run
//! workers side by side and a crashed worker's mail is picked up again when the lease ends.
//!
//! Delivery is at most once per mail (and its Message-ID): the attempt is recorded before
//! the mail goes to the SMTP server, and a mail is sent only if that record was written.
//! The outcome is recorded after; a refusal clears the attempt, so the mail is tried
//! again. An attempt found without an outcome (the process stopped, or the database went
//! away, between handing the mail over and recording it) is counted as sent and never
//! repeated: the server most likely has it, and a second copy of a notice is worse than a
//! rare lost one (a sign-in link can be asked for again).
//! A row holds a structured notice, rendered when it is sent; rows queued by versions
//! before notices were structured hold their rendered subject and bodies instead.

use chrono::{Duration, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::notices::{Notice, Recipient};
use crate::db::AnyConnection;
use crate::db::schema::mail_outbox;

const MAX_BACKOFF: Duration = Duration::hours(1);

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = mail_outbox)]
pub struct QueuedMail {
    pub id: i64,
    pub recipient: String,
    pub subject: Option<String>,
    pub body_text: Option<String>,
    pub body_html: Option<String>,
    pub language: Option<String>,
    pub notice: Option<String>,
    pub attempts: i32,
    pub unsubscribe_token: Option<String>,
    /// A delivery attempt without a recorded outcome; see the module documentation.
    pub attempted_at: Option<NaiveDateTime>,
}

/// Call inside the transaction of the event the mail is about.
pub fn enqueue(conn: &mut AnyConnection, to: &Recipient, notice: &Notice) -> QueryResult<i64> {
    let notice = serde_json::to_string(notice)
        .map_err(|error| diesel::result::Error::SerializationError(Box::new(error)))?;
    let now = Utc::now().naive_utc();
    diesel::insert_into(mail_outbox::table)
        .values((
            mail_outbox::recipient.eq(&to.email),
            mail_outbox::language.eq(to.language.code()),
            mail_outbox::notice.eq(notice),
            mail_outbox::unsubscribe_token.eq(&to.unsubscribe_token),
            mail_outbox::created_at.eq(now),
            mail_outbox::next_attempt_at.eq(now),
        ))
        .returning(mail_outbox::id)
        .get_result(conn)
}

#[diesel::dsl::auto_type]
fn unclaimed(now: NaiveDateTime) -> _ {
    mail_outbox::locked_until
        .is_null()
        .or(mail_outbox::locked_until.lt(now))
}

/// Ids of unsent mail whose time has come, oldest first.
pub fn due(conn: &mut AnyConnection, limit: i64) -> QueryResult<Vec<i64>> {
    let now = Utc::now().naive_utc();
    mail_outbox::table
        .filter(mail_outbox::sent_at.is_null())
        .filter(mail_outbox::next_attempt_at.le(now))
        .filter(unclaimed(now))
        .order(mail_outbox::id)
        .limit(limit)
        .select(mail_outbox::id)
        .load(conn)
}

/// Takes the row for this worker for `lease`; `None` if another worker was faster or it was
/// sent. The lease must outlast one delivery, or a slow send could be claimed twice.
pub fn claim(
    conn: &mut AnyConnection,
    id: i64,
    lease: Duration,
) -> QueryResult<Option<QueuedMail>> {
    let now = Utc::now().naive_utc();
    let claimed = diesel::update(mail_outbox::table.find(id))
        .filter(mail_outbox::sent_at.is_null())
        .filter(unclaimed(now))
        .set(mail_outbox::locked_until.eq(Some(now + lease)))
        .execute(conn)?;
    if claimed != 1 {
        return Ok(None);
    }
    mail_outbox::table
        .find(id)
        .select(QueuedMail::as_select())
        .first(conn)
        .optional()
}

/// Records that delivery begins; `false` if the mail was sent or attempted meanwhile.
/// Only a mail whose attempt was recorded may be handed to the SMTP server.
pub fn begin_attempt(conn: &mut AnyConnection, id: i64) -> QueryResult<bool> {
    let now = Utc::now().naive_utc();
    let started = diesel::update(mail_outbox::table.find(id))
        .filter(mail_outbox::sent_at.is_null())
        .filter(mail_outbox::attempted_at.is_null())
        .set(mail_outbox::attempted_at.eq(Some(now)))
        .execute(conn)?;
    Ok(started == 1)
}

/// What an attempt without an outcome is recorded as: sent, with the reason.
pub const UNCONFIRMED: &str =
    "delivery began but its outcome was never recorded; counted as sent, not repeated";

/// Settles an attempt found without an outcome as sent (see the module documentation).
pub fn settle_unconfirmed(conn: &mut AnyConnection, id: i64) -> QueryResult<()> {
    let now = Utc::now().naive_utc();
    diesel::update(mail_outbox::table.find(id))
        .filter(mail_outbox::sent_at.is_null())
        .set((
            mail_outbox::sent_at.eq(Some(now)),
            mail_outbox::locked_until.eq(None::<NaiveDateTime>),
            mail_outbox::last_error.eq(Some(UNCONFIRMED)),
        ))
        .execute(conn)
        .map(|_| ())
}

/// After a delivery succeeds again, mail waiting out its backoff goes now instead of one
/// by one as each wait ends. Returns how many were brought forward.
pub fn retry_waiting_now(conn: &mut AnyConnection) -> QueryResult<usize> {
    let now = Utc::now().naive_utc();
    diesel::update(
        mail_outbox::table
            .filter(mail_outbox::sent_at.is_null())
            .filter(mail_outbox::attempts.gt(0))
            .filter(mail_outbox::next_attempt_at.gt(now)),
    )
    .set(mail_outbox::next_attempt_at.eq(now))
    .execute(conn)
}

pub fn mark_sent(conn: &mut AnyConnection, id: i64) -> QueryResult<()> {
    let now = Utc::now().naive_utc();
    diesel::update(mail_outbox::table.find(id))
        .set((
            mail_outbox::sent_at.eq(Some(now)),
            mail_outbox::locked_until.eq(None::<NaiveDateTime>),
            mail_outbox::last_error.eq(None::<String>),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Doubles the wait per failed attempt, from `base` up to an hour; the mail is never dropped.
pub fn retry_delay(base: Duration, attempts: i32) -> Duration {
    let exponent = attempts.clamp(1, 20) - 1;
    let factor = 1_i32 << exponent;
    base.checked_mul(factor)
        .map_or(MAX_BACKOFF, |delay| delay.min(MAX_BACKOFF))
}

pub fn mark_failed(
    conn: &mut AnyConnection,
    id: i64,
    attempts_before: i32,
    error: &str,
    base_delay: Duration,
) -> QueryResult<()> {
    let attempts = attempts_before.saturating_add(1);
    let now = Utc::now().naive_utc();
    diesel::update(mail_outbox::table.find(id))
        .set((
            mail_outbox::attempts.eq(attempts),
            mail_outbox::next_attempt_at.eq(now + retry_delay(base_delay, attempts)),
            mail_outbox::locked_until.eq(None::<NaiveDateTime>),
            // The server refused it: not delivered, so the next attempt may send it.
            mail_outbox::attempted_at.eq(None::<NaiveDateTime>),
            mail_outbox::last_error.eq(Some(error.chars().take(500).collect::<String>())),
        ))
        .execute(conn)
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped_at_an_hour() {
        let base = Duration::seconds(5);
        assert_eq!(retry_delay(base, 1), Duration::seconds(5));
        assert_eq!(retry_delay(base, 2), Duration::seconds(10));
        assert_eq!(retry_delay(base, 4), Duration::seconds(40));
        assert_eq!(retry_delay(base, 12), Duration::hours(1));
        assert_eq!(retry_delay(base, 1000), Duration::hours(1));
    }
}
