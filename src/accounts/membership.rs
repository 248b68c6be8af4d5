//! Membership follows the e-mail domain. A person belongs to the organisation that holds
//! their address's domain, checked at every sign-in and on every request:
//!
//! - A domain removed from its organisation: open sessions and API tokens of its people
//!   stop working at once, and they cannot sign in (until a domain is theirs again).
//! - A domain moved to another organisation: the same, until they sign in again; then they
//!   move to the new organisation as members without a unit (they choose one, as at a
//!   first sign-in) and their API tokens are revoked (they were given for the old one).
//!   What they did stays where it happened: listings, reservations and ledger rows keep
//!   their organisation, and both organisations' audit logs record the move.

use diesel::dsl::exists;
use diesel::prelude::*;
use diesel::sql_types::Text;

use super::{Role, User};
use crate::audit;
use crate::db::AnyConnection;
use crate::db::schema::{api_tokens, organisation_domains, users};
use crate::ids::OrganisationId;

/// In a query over `users`: the person's organisation still holds their address's domain.
/// Domains hold no `%` or `_` (hostname rules), so the LIKE is an exact suffix match.
#[diesel::dsl::auto_type]
pub fn follows_domain() -> _ {
    exists(
        organisation_domains::table
            .filter(organisation_domains::organisation_id.eq(users::organisation_id))
            .filter(
                users::email.like("%@".into_sql::<Text>().concat(organisation_domains::domain)),
            ),
    )
}

/// Moves a person whose domain now belongs to `to`; see the module documentation.
pub fn move_to(conn: &mut AnyConnection, user: &User, to: OrganisationId) -> QueryResult<User> {
    let from = user.organisation_id;
    let now = chrono::Utc::now().naive_utc();
    diesel::update(users::table.find(user.id))
        .set((
            users::organisation_id.eq(to),
            users::unit_id.eq(None::<crate::ids::UnitId>),
            users::role.eq(Role::Member),
        ))
        .execute(conn)?;
    let revoked = diesel::update(
        api_tokens::table
            .filter(api_tokens::user_id.eq(user.id))
            .filter(api_tokens::revoked_at.is_null()),
    )
    .set(api_tokens::revoked_at.eq(Some(now)))
    .execute(conn)?;
    for (organisation, action) in [(from, "moved_out"), (to, "moved_in")] {
        audit::record(
            conn,
            audit::Change {
                organisations: &[organisation],
                actor: Some(user.id),
                subject: audit::Subject::User(user.id),
                action,
                detail: format!(
                    "{}: organisation #{from} → #{to}, {revoked} API tokens revoked",
                    user.email
                ),
            },
        )?;
    }
    users::table
        .find(user.id)
        .select(User::as_select())
        .first(conn)
}
