//! Organisations (kommun, region, company), the e-mail domains that decide who belongs to
//! them, and their units.

mod domain;

pub use domain::{EmailDomain, InvalidDomain};

use chrono::Utc;
use diesel::prelude::*;
use serde::Serialize;

use crate::db::AnyConnection;
use crate::db::schema::{organisation_domains, organisations, units};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Country {
    Sweden,
    Norway,
}

impl Country {
    pub fn code(self) -> &'static str {
        match self {
            Country::Sweden => "SE",
            Country::Norway => "NO",
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = organisations)]
pub struct Organisation {
    pub id: i64,
    pub name: String,
    pub slug: String,
    pub country: String,
    pub network_id: Option<i64>,
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = units)]
pub struct Unit {
    pub id: i64,
    pub organisation_id: i64,
    pub parent_id: Option<i64>,
    pub name: String,
}

#[derive(Debug, thiserror::Error)]
pub enum OrganisationError {
    #[error("the domain {0} already belongs to an organisation")]
    DomainTaken(String),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// Creates an organisation with its sign-in domains in one transaction: either all of it
/// exists afterwards or none of it.
pub fn create(
    conn: &mut AnyConnection,
    name: &str,
    country: Country,
    domains: &[EmailDomain],
) -> Result<Organisation, OrganisationError> {
    conn.transaction(|conn| {
        let now = Utc::now().naive_utc();
        let id: i64 = diesel::insert_into(organisations::table)
            .values((
                organisations::name.eq(name),
                organisations::slug.eq(slug::slugify(name)),
                organisations::country.eq(country.code()),
                organisations::created_at.eq(now),
            ))
            .returning(organisations::id)
            .get_result(conn)?;
        let organisation = organisations::table
            .find(id)
            .select(Organisation::as_select())
            .first(conn)?;
        for domain in domains {
            let taken = organisation_domains::table
                .filter(organisation_domains::domain.eq(domain.as_str()))
                .count()
                .get_result::<i64>(conn)?
                > 0;
            if taken {
                return Err(OrganisationError::DomainTaken(domain.to_string()));
            }
            diesel::insert_into(organisation_domains::table)
                .values((
                    organisation_domains::organisation_id.eq(organisation.id),
                    organisation_domains::domain.eq(domain.as_str()),
                    organisation_domains::created_at.eq(now),
                ))
                .execute(conn)?;
        }
        Ok(organisation)
    })
}

/// The organisation whose domain the address belongs to; `None` for unknown domains.
pub fn find_by_email_domain(
    conn: &mut AnyConnection,
    domain: &EmailDomain,
) -> QueryResult<Option<Organisation>> {
    organisations::table
        .inner_join(organisation_domains::table)
        .filter(organisation_domains::domain.eq(domain.as_str()))
        .select(Organisation::as_select())
        .first(conn)
        .optional()
}

pub fn add_unit(
    conn: &mut AnyConnection,
    organisation_id: i64,
    name: &str,
    parent_id: Option<i64>,
) -> QueryResult<Unit> {
    let id: i64 = diesel::insert_into(units::table)
        .values((
            units::organisation_id.eq(organisation_id),
            units::name.eq(name.trim()),
            units::parent_id.eq(parent_id),
            units::created_at.eq(Utc::now().naive_utc()),
        ))
        .returning(units::id)
        .get_result(conn)?;
    units::table.find(id).select(Unit::as_select()).first(conn)
}

pub fn units_of(conn: &mut AnyConnection, organisation_id: i64) -> QueryResult<Vec<Unit>> {
    units::table
        .filter(units::organisation_id.eq(organisation_id))
        .select(Unit::as_select())
        .order(units::name)
        .load(conn)
}
