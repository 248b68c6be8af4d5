//! A first start on an empty database gets an example organisation with an admin, so
//! `cargo run` can be signed in to straight away.

use crate::accounts::{self, Email, Role};
use crate::db::AnyConnection;
use crate::organisations::{self, Country, EmailDomain, OrganisationError};

pub const DEMO_ORGANISATION: &str = "Exempelkommunen";
/// `.example` is reserved (RFC 2606): no real mailbox can receive its mail.
pub const DEMO_DOMAIN: &str = "exempelkommun.example";
pub const DEMO_ADMIN: &str = "admin@exempelkommun.example";
const DEMO_UNITS: [&str; 5] = [
    "Kommunstyrelseförvaltningen",
    "Barn- och utbildningsförvaltningen",
    "Socialförvaltningen",
    "Samhällsbyggnadsförvaltningen",
    "Kultur- och fritidsförvaltningen",
];

/// Creates the example organisation if there is no organisation at all; returns the admin's
/// address when it did.
pub fn ensure_demo_organisation(
    conn: &mut AnyConnection,
) -> Result<Option<String>, OrganisationError> {
    crate::db::write_transaction(conn, |conn| {
        if organisations::count(conn)? > 0 {
            return Ok(None);
        }
        let domain = EmailDomain::parse(DEMO_DOMAIN).map_err(|_| OrganisationError::NotFound)?;
        let organisation =
            organisations::create(conn, DEMO_ORGANISATION, Country::Sweden, &[domain])?;
        let mut first_unit = None;
        for name in DEMO_UNITS {
            let unit = organisations::add_unit(conn, organisation.id, name, None)?;
            first_unit.get_or_insert(unit.id);
        }
        let email = Email::parse(DEMO_ADMIN).map_err(|_| OrganisationError::NotFound)?;
        let admin = accounts::find_or_create(conn, &email, organisation.id, Role::Admin)?;
        accounts::set_profile(conn, &admin, "Administratör", first_unit).map_err(|error| {
            match error {
                accounts::AccountError::Db(db) => OrganisationError::Db(db),
                _ => OrganisationError::NotFound,
            }
        })?;
        Ok(Some(DEMO_ADMIN.to_string()))
    })
}
