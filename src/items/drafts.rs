//! Photos uploaded with a listing form that is not saved yet, held for the person who sent
//! them: a form refused for a missing title keeps its photos, and photos the page's script
//! sends ahead wait for the form. Saving the listing claims them in its transaction; the
//! clean-up job removes those older than [`LIFETIME_HOURS`].

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use crate::db::AnyConnection;
use crate::db::schema::photo_drafts;
use crate::ids::UserId;

/// How long an unsaved form's photos are kept: long enough to finish the form after lunch.
pub const LIFETIME_HOURS: i64 = 24;

/// A held photo: its stored key and the display size.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Serialize)]
pub struct DraftPhoto {
    pub key: String,
    pub width: i32,
    pub height: i32,
}

/// Holds `photo` for `user` (again: a photo sent twice is held once, from now).
pub fn hold(
    conn: &mut AnyConnection,
    user: UserId,
    photo: &DraftPhoto,
    now: NaiveDateTime,
) -> QueryResult<()> {
    conn.transaction(|conn| {
        diesel::delete(
            photo_drafts::table
                .filter(photo_drafts::user_id.eq(user))
                .filter(photo_drafts::photo_key.eq(&photo.key)),
        )
        .execute(conn)?;
        diesel::insert_into(photo_drafts::table)
            .values((
                photo_drafts::user_id.eq(user),
                photo_drafts::photo_key.eq(&photo.key),
                photo_drafts::width.eq(photo.width),
                photo_drafts::height.eq(photo.height),
                photo_drafts::created_at.eq(now),
            ))
            .execute(conn)
            .map(|_| ())
    })
}

/// Those of `keys` that `user` holds, in the order of `keys`, each once. Keys of other
/// people, expired or unknown ones are left out: a form cannot claim someone else's photo.
pub fn held(
    conn: &mut AnyConnection,
    user: UserId,
    keys: &[String],
) -> QueryResult<Vec<DraftPhoto>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let found: Vec<DraftPhoto> = photo_drafts::table
        .filter(photo_drafts::user_id.eq(user))
        .filter(photo_drafts::photo_key.eq_any(keys))
        .select((
            photo_drafts::photo_key,
            photo_drafts::width,
            photo_drafts::height,
        ))
        .load(conn)?;
    let mut ordered: Vec<DraftPhoto> = Vec::with_capacity(found.len());
    for key in keys {
        if ordered.iter().any(|photo| &photo.key == key) {
            continue;
        }
        if let Some(photo) = found.iter().find(|photo| &photo.key == key) {
            ordered.push(photo.clone());
        }
    }
    Ok(ordered)
}

/// Takes `keys` out of `user`'s drafts for a listing being saved in the caller's
/// transaction; returns what was held, as [`held`] does.
pub fn claim(
    conn: &mut AnyConnection,
    user: UserId,
    keys: &[String],
) -> QueryResult<Vec<DraftPhoto>> {
    let photos = held(conn, user, keys)?;
    let claimed: Vec<&String> = photos.iter().map(|photo| &photo.key).collect();
    if !claimed.is_empty() {
        diesel::delete(
            photo_drafts::table
                .filter(photo_drafts::user_id.eq(user))
                .filter(photo_drafts::photo_key.eq_any(claimed)),
        )
        .execute(conn)?;
    }
    Ok(photos)
}

/// Drafts older than [`LIFETIME_HOURS`] at `now`, oldest first, by row id.
pub fn expired(conn: &mut AnyConnection, now: NaiveDateTime, limit: i64) -> QueryResult<Vec<i64>> {
    photo_drafts::table
        .filter(photo_drafts::created_at.lt(now - Duration::hours(LIFETIME_HOURS)))
        .order(photo_drafts::id)
        .limit(limit)
        .select(photo_drafts::id)
        .load(conn)
}

/// Removes one draft row. Returns its photo key when nothing else uses the photo (no
/// listing, no other draft), so the caller may delete the stored files; `None` when the
/// row was gone already (another instance took it) or the photo is still in use.
pub fn forget(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<String>> {
    conn.transaction(|conn| {
        let key: Option<String> = diesel::delete(photo_drafts::table.find(id))
            .returning(photo_drafts::photo_key)
            .get_result(conn)
            .optional()?;
        let Some(key) = key else {
            return Ok(None);
        };
        Ok((!super::photo_in_use(conn, &key)?).then_some(key))
    })
}

/// Whether `user` holds the photo `key` (so may see it before any listing uses it).
pub fn holds(conn: &mut AnyConnection, user: UserId, key: &str) -> QueryResult<bool> {
    Ok(photo_drafts::table
        .filter(photo_drafts::user_id.eq(user))
        .filter(photo_drafts::photo_key.eq(key))
        .count()
        .get_result::<i64>(conn)?
        > 0)
}
