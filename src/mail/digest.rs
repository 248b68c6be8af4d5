//! The daily digest: notices for people who asked for one mail a day wait here and go out
//! together once a day, after `DIGEST_HOUR` local time. Taking a person's waiting notices is
//! one DELETE … RETURNING, so of several instances only one sends each notice.

use chrono::{Duration, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::notices::{Notice, Recipient};
use super::outbox;
use crate::accounts;
use crate::db::AnyConnection;
use crate::db::schema::digest_entries;
use crate::i18n::{local_date, local_day_start};
use crate::ids::UserId;

/// The digest goes out in the morning, before the working day starts.
pub const DIGEST_HOUR: u32 = 7;

/// Keeps a notice for the person's next digest.
pub fn hold(conn: &mut AnyConnection, user_id: UserId, notice: &Notice) -> QueryResult<()> {
    let notice = serde_json::to_string(notice)
        .map_err(|error| diesel::result::Error::SerializationError(Box::new(error)))?;
    diesel::insert_into(digest_entries::table)
        .values((
            digest_entries::user_id.eq(user_id),
            digest_entries::notice.eq(notice),
            digest_entries::created_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)
        .map(|_| ())
}

/// The latest digest time at or before `now`: what was held before it goes out now.
pub fn cutoff(now: NaiveDateTime) -> NaiveDateTime {
    let hour = Duration::hours(i64::from(DIGEST_HOUR));
    let today = local_day_start(local_date(now)) + hour;
    if today <= now {
        today
    } else {
        local_day_start(local_date(now) - Duration::days(1)) + hour
    }
}

/// People with notices held from before `cutoff`.
pub fn due(
    conn: &mut AnyConnection,
    cutoff: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<UserId>> {
    digest_entries::table
        .filter(digest_entries::created_at.lt(cutoff))
        .select(digest_entries::user_id)
        .distinct()
        .limit(limit)
        .load(conn)
}

/// Sends one person's digest of what was held before `cutoff`; false when another
/// instance took it first (or they changed their setting and nothing is left).
pub fn send(conn: &mut AnyConnection, user_id: UserId, cutoff: NaiveDateTime) -> QueryResult<bool> {
    let held: Vec<String> = diesel::delete(
        digest_entries::table
            .filter(digest_entries::user_id.eq(user_id))
            .filter(digest_entries::created_at.lt(cutoff)),
    )
    .returning(digest_entries::notice)
    .get_results(conn)?;
    // A notice this version cannot read any more is left out rather than holding back the rest.
    let notices: Vec<Notice> = held
        .iter()
        .filter_map(|json| serde_json::from_str(json).ok())
        .collect();
    if notices.is_empty() {
        return Ok(false);
    }
    let Some(person) = accounts::find(conn, user_id)? else {
        return Ok(false);
    };
    let to = Recipient::new(&person.email, person.language())
        .with_unsubscribe(person.notify_token.clone());
    outbox::enqueue(conn, &to, &Notice::Digest { notices })?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    fn at(day: u32, hour: u32, minute: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 12, day)
            .and_then(|d| d.and_hms_opt(hour, minute, 0))
            .expect("time")
    }

    #[test]
    fn the_digest_covers_everything_before_this_mornings_seven_oclock() {
        // Stockholm is UTC+1 in December: 07:00 local is 06:00 UTC.
        assert_eq!(cutoff(at(3, 6, 0)), at(3, 6, 0));
        assert_eq!(cutoff(at(3, 12, 30)), at(3, 6, 0));
        assert_eq!(cutoff(at(3, 5, 59)), at(2, 6, 0));
    }
}
