//! Sign-in by one-time link: record the link with its mail, and consume it exactly once.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::tokens::CODE_ATTEMPTS;
use super::{Email, Role, User};
use crate::db::AnyConnection;
use crate::db::schema::{login_links, users};
use crate::ids::{OrganisationId, UnitId};
use crate::mail::notices::{self, Notice, Recipient};
use crate::organisations;

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error("the sign-in link has already been used or has expired")]
    LinkSpent,
    #[error("the address no longer belongs to an organisation")]
    NoOrganisation,
    #[error("the account is disabled")]
    Disabled,
    #[error("the code is wrong, used up or expired")]
    WrongCode,
    #[error("the address's domain belongs to another organisation than the directory's")]
    OtherOrganisation,
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// Queues the sign-in mail if the address's domain belongs to an organisation; returns
/// whether it did. Callers answer the same either way, so nobody can probe which
/// addresses exist.
pub fn send_link(
    conn: &mut AnyConnection,
    email: &Email,
    jti: &str,
    code_digest: &str,
    expires_at: DateTime<Utc>,
    to: &Recipient,
    mail: &Notice,
) -> QueryResult<bool> {
    crate::db::write_transaction(conn, |conn| {
        let Some(organisation) = organisations::find_by_email_domain(conn, email.domain())? else {
            return Ok(false);
        };
        // An organisation that switched the link off signs in with its directory only.
        if !crate::directory::links_enabled(conn, organisation.id)? {
            return Ok(false);
        }
        diesel::insert_into(login_links::table)
            .values((
                login_links::jti.eq(jti),
                login_links::email.eq(email.as_str()),
                login_links::created_at.eq(Utc::now().naive_utc()),
                login_links::expires_at.eq(expires_at.naive_utc()),
                login_links::code_digest.eq(code_digest),
            ))
            .execute(conn)?;
        notices::queue(conn, to, mail)?;
        Ok(true)
    })
}

/// Who signed in, and whether they just moved to another organisation (their domain did),
/// so they choose a unit there.
pub struct Arrival {
    pub user: User,
    pub moved: bool,
}

/// Marks the link used (a single conditional update, so two clicks cannot both win) and
/// returns the user, created on first sign-in.
pub fn consume_link(
    conn: &mut AnyConnection,
    jti: &str,
    email: &Email,
) -> Result<Arrival, LoginError> {
    crate::db::write_transaction(conn, |conn| {
        let now = Utc::now().naive_utc();
        let consumed = diesel::update(login_links::table.find(jti))
            .filter(login_links::email.eq(email.as_str()))
            .filter(login_links::used_at.is_null())
            .filter(login_links::expires_at.gt(now))
            .set(login_links::used_at.eq(Some(now)))
            .execute(conn)?;
        if consumed != 1 {
            return Err(LoginError::LinkSpent);
        }
        arrive(conn, email)
    })
}

/// Signs in with the code from a sign-in mail: `matches(jti, digest)` says whether the
/// typed code is the one sent with that link. A match uses the link up, as the link would;
/// a miss counts a wrong try against every live code of the address, and is kept.
pub fn consume_code(
    conn: &mut AnyConnection,
    email: &Email,
    matches: impl Fn(&str, &str) -> bool,
) -> Result<Arrival, LoginError> {
    let outcome = crate::db::write_transaction(conn, |conn| {
        let now = Utc::now().naive_utc();
        let live = || {
            login_links::table
                .filter(login_links::email.eq(email.as_str()))
                .filter(login_links::used_at.is_null())
                .filter(login_links::expires_at.gt(now))
                .filter(login_links::code_attempts.lt(CODE_ATTEMPTS))
                .filter(login_links::code_digest.ne(""))
        };
        let candidates: Vec<(String, String)> = live()
            .select((login_links::jti, login_links::code_digest))
            .load(conn)?;
        let Some((jti, _)) = candidates.iter().find(|(jti, digest)| matches(jti, digest)) else {
            diesel::update(live())
                .set(login_links::code_attempts.eq(login_links::code_attempts + 1))
                .execute(conn)?;
            return Ok(None);
        };
        // Conditional on the state just read, so a code and its link cannot both win.
        let consumed = diesel::update(live().filter(login_links::jti.eq(jti)))
            .set(login_links::used_at.eq(Some(now)))
            .execute(conn)?;
        if consumed != 1 {
            return Err(LoginError::LinkSpent);
        }
        arrive(conn, email).map(Some)
    })?;
    outcome.ok_or(LoginError::WrongCode)
}

/// A directory vouched for `email` on behalf of `directory_organisation`: the person,
/// created on first sign-in, with the role and unit their directory groups give (a role
/// change that would leave the organisation without an admin is not made).
pub fn arrive_from_directory(
    conn: &mut AnyConnection,
    email: &Email,
    directory_organisation: OrganisationId,
    from_groups: Option<(Role, Option<UnitId>)>,
) -> Result<Arrival, LoginError> {
    crate::db::write_transaction(conn, |conn| {
        // The domain decides the organisation, as for every sign-in: a directory cannot
        // sign in addresses of another organisation's domain.
        let domain_organisation = organisations::find_by_email_domain(conn, email.domain())?
            .ok_or(LoginError::NoOrganisation)?;
        if domain_organisation.id != directory_organisation {
            return Err(LoginError::OtherOrganisation);
        }
        let mut arrival = arrive(conn, email)?;
        if let Some((role, unit_id)) = from_groups {
            match super::set_role(conn, directory_organisation, arrival.user.id, role) {
                Ok(()) | Err(super::AccountError::LastAdmin) => {}
                Err(super::AccountError::Db(error)) => return Err(error.into()),
                Err(_) => {}
            }
            if let Some(unit_id) = unit_id {
                diesel::update(users::table.find(arrival.user.id))
                    .set(users::unit_id.eq(Some(unit_id)))
                    .execute(conn)?;
            }
            arrival.user = super::find(conn, arrival.user.id)?.ok_or(LoginError::NoOrganisation)?;
        }
        Ok(arrival)
    })
}

/// After a link or code was used: the person, created on first sign-in, moved if their
/// domain now belongs to another organisation.
fn arrive(conn: &mut AnyConnection, email: &Email) -> Result<Arrival, LoginError> {
    let organisation = organisations::find_by_email_domain(conn, email.domain())?
        .ok_or(LoginError::NoOrganisation)?;
    let user = super::find_or_create(conn, email, organisation.id, Role::Member)?;
    if user.disabled {
        return Err(LoginError::Disabled);
    }
    if user.organisation_id != organisation.id {
        let user = super::move_to(conn, &user, organisation.id)?;
        return Ok(Arrival { user, moved: true });
    }
    Ok(Arrival { user, moved: false })
}

/// Spent and expired links are only kept a day, for support questions.
pub fn delete_stale(conn: &mut AnyConnection) -> QueryResult<usize> {
    let cutoff = Utc::now().naive_utc() - chrono::Duration::days(1);
    diesel::delete(login_links::table.filter(login_links::expires_at.lt(cutoff))).execute(conn)
}
