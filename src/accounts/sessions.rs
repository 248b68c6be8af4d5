//! Server-side sessions: the cookie holds a signed session id, the row decides whether it
//! is still valid, so logging out (or an admin disabling someone) takes effect at once.

use chrono::{Duration, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::User;
use super::tokens::random_id;
use crate::db::AnyConnection;
use crate::db::schema::{organisations, sessions, units, users};
use crate::ids::{NetworkId, UserId};

/// A session seen again within this interval is not touched, which spares a write per request.
pub const TOUCH_INTERVAL: Duration = Duration::minutes(10);

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sessions)]
pub struct Session {
    pub id: String,
    pub user_id: UserId,
    pub last_seen_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    /// A directory sign-in's session ends here however active it is: by then the person
    /// signs in with the directory again, which refuses whoever it no longer knows.
    pub renew_by: Option<NaiveDateTime>,
}

pub fn create(conn: &mut AnyConnection, user_id: UserId, idle: Duration) -> QueryResult<Session> {
    create_until(conn, user_id, idle, None)
}

/// A session that cannot slide past `renew_by`.
pub fn create_until(
    conn: &mut AnyConnection,
    user_id: UserId,
    idle: Duration,
    renew_by: Option<NaiveDateTime>,
) -> QueryResult<Session> {
    let now = Utc::now().naive_utc();
    let idle_end = now + idle;
    let session = Session {
        id: random_id(),
        user_id,
        last_seen_at: now,
        expires_at: renew_by.map_or(idle_end, |end| end.min(idle_end)),
        renew_by,
    };
    diesel::insert_into(sessions::table)
        .values((
            sessions::id.eq(&session.id),
            sessions::user_id.eq(user_id),
            sessions::created_at.eq(now),
            sessions::last_seen_at.eq(now),
            sessions::expires_at.eq(session.expires_at),
            sessions::renew_by.eq(session.renew_by),
        ))
        .execute(conn)?;
    Ok(session)
}

/// A session that may be used, with its user.
#[derive(Debug, Clone)]
pub struct LiveSession {
    pub session: Session,
    pub user: User,
    /// The network of the user's organisation. What a person may see depends on it, and
    /// every signed-in request needs it, so it comes with the session rather than after it.
    pub network_id: Option<NetworkId>,
    /// The user's unit is a reuse store: the menu leads to its work list.
    pub works_in_store: bool,
}

/// The live session and its user, if the session exists, is neither revoked nor expired,
/// and the user is not disabled.
pub fn find_live(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<LiveSession>> {
    let found = sessions::table
        .inner_join(
            users::table
                .inner_join(organisations::table)
                .left_join(units::table.on(users::unit_id.eq(units::id.nullable()))),
        )
        .filter(sessions::id.eq(id))
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::expires_at.gt(Utc::now().naive_utc()))
        .filter(
            sessions::renew_by
                .is_null()
                .or(sessions::renew_by.gt(Utc::now().naive_utc())),
        )
        .filter(users::disabled.eq(false))
        .filter(super::follows_domain())
        .select((
            Session::as_select(),
            User::as_select(),
            organisations::network_id,
            units::store_address.nullable(),
        ))
        .first::<(Session, User, Option<NetworkId>, Option<String>)>(conn)
        .optional()?;
    Ok(found.map(|(session, user, network_id, store)| LiveSession {
        session,
        user,
        network_id,
        works_in_store: store.is_some(),
    }))
}

/// Slides the expiry forward; returns the new expiry if the session was touched.
pub fn touch(
    conn: &mut AnyConnection,
    session: &Session,
    idle: Duration,
) -> QueryResult<Option<NaiveDateTime>> {
    let now = Utc::now().naive_utc();
    if now - session.last_seen_at < TOUCH_INTERVAL {
        return Ok(None);
    }
    let idle_end = now + idle;
    let expires_at = session.renew_by.map_or(idle_end, |end| end.min(idle_end));
    if expires_at <= session.expires_at && session.renew_by.is_some() {
        return Ok(None);
    }
    diesel::update(sessions::table.find(&session.id))
        .set((
            sessions::last_seen_at.eq(now),
            sessions::expires_at.eq(expires_at),
        ))
        .execute(conn)?;
    Ok(Some(expires_at))
}

pub fn revoke(conn: &mut AnyConnection, id: &str) -> QueryResult<()> {
    diesel::update(sessions::table.find(id))
        .filter(sessions::revoked_at.is_null())
        .set(sessions::revoked_at.eq(Some(Utc::now().naive_utc())))
        .execute(conn)
        .map(|_| ())
}

/// Sessions that ended more than a day ago are of no further use.
pub fn delete_ended(conn: &mut AnyConnection) -> QueryResult<usize> {
    let cutoff = Utc::now().naive_utc() - Duration::days(1);
    diesel::delete(
        sessions::table.filter(
            sessions::expires_at
                .lt(cutoff)
                .or(sessions::revoked_at.lt(cutoff)),
        ),
    )
    .execute(conn)
}
