//! People who sign in: their organisation, unit and role, and how they sign in.

pub mod api_tokens;
mod email;
pub mod login;
mod membership;
pub mod sessions;
pub mod tokens;

pub use email::{Email, InvalidEmail};

use chrono::Utc;
use diesel::prelude::*;
use serde::Serialize;

pub use membership::{follows_domain, move_to};

use crate::db::AnyConnection;
use crate::db::schema::{units, users};
use crate::i18n::Language;
use crate::ids::{OrganisationId, UnitId, UserId};
use crate::refusal::{FieldError, Message, Refusal, Refuses};

crate::text_enum! {
    /// Ordered by how much a role may do.
    #[derive(PartialOrd, Ord)]
    pub enum Role ("role") {
        Member = "member",
        Sustainability = "sustainability",
        Admin = "admin",
    }
}

/// What a role lets someone do beyond listing and reserving.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capability {
    /// See the savings statistics and exports, and correct the ledger.
    KeepLedger,
    /// Units, domains, roles, the method and the audit log.
    Administer,
}

impl Role {
    /// The one place that says which role may do what.
    pub fn grants(self, capability: Capability) -> bool {
        match capability {
            Capability::KeepLedger => matches!(self, Role::Sustainability | Role::Admin),
            Capability::Administer => self == Role::Admin,
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = users)]
pub struct User {
    pub id: UserId,
    pub organisation_id: OrganisationId,
    pub unit_id: Option<UnitId>,
    pub email: String,
    pub name: Option<String>,
    pub role: Role,
    pub language: String,
    pub disabled: bool,
    pub notify: Notify,
    pub notify_token: Option<String>,
    pub unread_messages: i32,
}

crate::text_enum! {
    /// How a person hears of events by mail.
    pub enum Notify ("notification setting") {
        /// A mail for each event.
        Each = "each",
        /// One mail a day with everything since the last one.
        Daily = "daily",
        /// No mail; Bruka's pages still show everything.
        None = "none",
    }
}

impl User {
    pub fn role(&self) -> Role {
        self.role
    }

    pub fn is_admin(&self) -> bool {
        self.may(Capability::Administer)
    }

    pub fn may(&self, capability: Capability) -> bool {
        self.role.grants(capability)
    }

    /// The name, or the address of someone who has not given one yet.
    pub fn display_name(&self) -> String {
        self.name.clone().unwrap_or_else(|| self.email.clone())
    }

    /// First sign-in asks for a name; until then the profile is incomplete.
    pub fn needs_profile(&self) -> bool {
        self.name
            .as_deref()
            .is_none_or(|name| name.trim().is_empty())
    }

    pub fn language(&self) -> Language {
        Language::from_tag(&self.language).unwrap_or(Language::DEFAULT)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("no such user in this organisation")]
    NotFound,
    #[error("the organisation must keep at least one admin")]
    LastAdmin,
    #[error("the unit does not belong to the organisation")]
    ForeignUnit,
    #[error("the name must be 1 to 100 characters")]
    InvalidName,
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

impl Refuses for AccountError {
    fn refusal(self) -> Refusal {
        match self {
            AccountError::NotFound | AccountError::ForeignUnit => Refusal::NotFound,
            AccountError::LastAdmin => Refusal::Conflict {
                code: "last_admin",
                message: Message::new("admin-error-last-admin"),
            },
            AccountError::InvalidName => {
                Refusal::Invalid(vec![FieldError::new("name", "welcome-error-name")])
            }
            AccountError::Db(error) => error.refusal(),
        }
    }
}

pub fn find_by_email(conn: &mut AnyConnection, email: &Email) -> QueryResult<Option<User>> {
    users::table
        .filter(users::email.eq(email.as_str()))
        .select(User::as_select())
        .first(conn)
        .optional()
}

pub fn find(conn: &mut AnyConnection, id: UserId) -> QueryResult<Option<User>> {
    users::table
        .find(id)
        .select(User::as_select())
        .first(conn)
        .optional()
}

/// Creates the user on first sign-in, in the organisation their domain belongs to.
pub fn find_or_create(
    conn: &mut AnyConnection,
    email: &Email,
    organisation_id: OrganisationId,
    role: Role,
) -> QueryResult<User> {
    if let Some(user) = find_by_email(conn, email)? {
        return Ok(user);
    }
    let id: UserId = diesel::insert_into(users::table)
        .values((
            users::organisation_id.eq(organisation_id),
            users::email.eq(email.as_str()),
            users::role.eq(role),
            users::created_at.eq(Utc::now().naive_utc()),
            users::notify_token.eq(tokens::random_id()),
        ))
        .returning(users::id)
        .get_result(conn)?;
    users::table.find(id).select(User::as_select()).first(conn)
}

pub fn record_login(
    conn: &mut AnyConnection,
    user_id: UserId,
    language: Language,
) -> QueryResult<()> {
    diesel::update(users::table.find(user_id))
        .set((
            users::last_login_at.eq(Some(Utc::now().naive_utc())),
            users::language.eq(language.code()),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Name and unit, as asked for at first sign-in and on the profile page.
pub fn set_profile(
    conn: &mut AnyConnection,
    user: &User,
    name: &str,
    unit_id: Option<UnitId>,
) -> Result<(), AccountError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AccountError::InvalidName);
    }
    if let Some(unit_id) = unit_id {
        let own_unit = units::table
            .filter(units::id.eq(unit_id))
            .filter(units::organisation_id.eq(user.organisation_id))
            .count()
            .get_result::<i64>(conn)?
            == 1;
        if !own_unit {
            return Err(AccountError::ForeignUnit);
        }
    }
    diesel::update(users::table.find(user.id))
        .set((users::name.eq(Some(name)), users::unit_id.eq(unit_id)))
        .execute(conn)?;
    Ok(())
}

#[derive(Debug, Clone, Queryable, Serialize)]
pub struct Member {
    pub id: UserId,
    pub email: String,
    pub name: Option<String>,
    pub role: Role,
    pub unit_name: Option<String>,
}

pub fn list_in_organisation(
    conn: &mut AnyConnection,
    organisation_id: OrganisationId,
) -> QueryResult<Vec<Member>> {
    users::table
        .left_join(units::table)
        .filter(users::organisation_id.eq(organisation_id))
        .select((
            users::id,
            users::email,
            users::name,
            users::role,
            units::name.nullable(),
        ))
        .order(users::email)
        .load(conn)
}

/// Changes a role inside one organisation. Ids of other organisations' users are "not
/// found", and the last admin cannot be demoted (nobody could manage the organisation).
pub fn set_role(
    conn: &mut AnyConnection,
    organisation_id: OrganisationId,
    user_id: UserId,
    role: Role,
) -> Result<(), AccountError> {
    crate::db::write_transaction(conn, |conn| {
        let current: Role = users::table
            .filter(users::id.eq(user_id))
            .filter(users::organisation_id.eq(organisation_id))
            .select(users::role)
            .first(conn)
            .optional()?
            .ok_or(AccountError::NotFound)?;
        if current == Role::Admin && role != Role::Admin {
            let admins: i64 = users::table
                .filter(users::organisation_id.eq(organisation_id))
                .filter(users::role.eq(Role::Admin))
                .filter(users::disabled.eq(false))
                .count()
                .get_result(conn)?;
            if admins <= 1 {
                return Err(AccountError::LastAdmin);
            }
        }
        diesel::update(users::table.find(user_id))
            .set(users::role.eq(role))
            .execute(conn)?;
        Ok(())
    })
}

/// Sets how a person hears of events.
pub fn set_notify(conn: &mut AnyConnection, user_id: UserId, notify: Notify) -> QueryResult<()> {
    diesel::update(users::table.find(user_id))
        .set(users::notify.eq(notify))
        .execute(conn)
        .map(|_| ())
}

/// The one-click stop from a mail's List-Unsubscribe link: no more mail about events. False
/// for a token that belongs to nobody.
pub fn stop_notices(conn: &mut AnyConnection, token: &str) -> QueryResult<bool> {
    if token.is_empty() {
        return Ok(false);
    }
    let changed = diesel::update(users::table.filter(users::notify_token.eq(token)))
        .set(users::notify.eq(Notify::None))
        .execute(conn)?;
    Ok(changed == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_and_unknown_roles_are_refused() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("superuser"), None);
        assert!(Role::Admin > Role::Member);
    }

    #[test]
    fn each_role_grants_what_it_should() {
        use Capability::*;
        let grants = |role: Role| [KeepLedger, Administer].map(|c| role.grants(c));
        assert_eq!(grants(Role::Member), [false, false]);
        assert_eq!(grants(Role::Sustainability), [true, false]);
        assert_eq!(grants(Role::Admin), [true, true]);
    }
}
