//! Listings a person saved to look at again ("Sparade"). Saving twice, or forgetting one
//! that is not saved, changes nothing, so a repeated press or a retried request is harmless.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::schema::favourites;
use crate::ids::{ItemId, UserId};

/// How many saved listings "my page" shows, newest saved first.
pub const SHOWN: i64 = 100;

pub fn save(
    conn: &mut AnyConnection,
    user: UserId,
    item: ItemId,
    now: NaiveDateTime,
) -> QueryResult<()> {
    if is_saved(conn, user, item)? {
        return Ok(());
    }
    let inserted = diesel::insert_into(favourites::table)
        .values((
            favourites::user_id.eq(user),
            favourites::item_id.eq(item),
            favourites::created_at.eq(now),
        ))
        .execute(conn);
    match inserted {
        // The same press arriving twice at once: one of them saved it.
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => Ok(()),
        other => other.map(|_| ()),
    }
}

pub fn forget(conn: &mut AnyConnection, user: UserId, item: ItemId) -> QueryResult<()> {
    diesel::delete(favourites::table.find((user, item)))
        .execute(conn)
        .map(|_| ())
}

pub fn is_saved(conn: &mut AnyConnection, user: UserId, item: ItemId) -> QueryResult<bool> {
    Ok(favourites::table
        .find((user, item))
        .count()
        .get_result::<i64>(conn)?
        > 0)
}

/// The person's saved listings, newest saved first, at most [`SHOWN`].
pub fn of(conn: &mut AnyConnection, user: UserId) -> QueryResult<Vec<ItemId>> {
    favourites::table
        .filter(favourites::user_id.eq(user))
        .order((favourites::created_at.desc(), favourites::item_id.desc()))
        .limit(SHOWN)
        .select(favourites::item_id)
        .load(conn)
}
