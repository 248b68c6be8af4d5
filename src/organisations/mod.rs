//! Organisations (kommun, region, company), the e-mail domains that decide who belongs to
//! them, and their units.

mod domain;
mod public;

pub use domain::{EmailDomain, InvalidDomain};

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::db::AnyConnection;
use crate::db::schema::{organisation_domains, organisations, units};
use crate::ids::{DomainId, NetworkId, OrganisationId, UnitId};
use crate::refusal::{FieldError, Message, Refusal, Refuses};

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
    pub id: OrganisationId,
    pub name: String,
    pub slug: String,
    pub country: String,
    pub network_id: Option<NetworkId>,
    /// The organisation publishes its savings totals at `/public/<slug>`.
    pub public_summary: bool,
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = units)]
pub struct Unit {
    pub id: UnitId,
    pub organisation_id: OrganisationId,
    pub parent_id: Option<UnitId>,
    pub name: String,
    /// Set when the unit is a reuse store: where its shelves are.
    pub store_address: Option<String>,
    pub store_instructions: String,
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = organisation_domains)]
pub struct Domain {
    pub id: DomainId,
    pub domain: String,
    /// Confirmed through a mailed link (or added by the command line); only confirmed
    /// domains sign people in.
    pub verified_at: Option<NaiveDateTime>,
}

#[derive(Debug, thiserror::Error)]
pub enum OrganisationError {
    #[error("the domain {0} already belongs to an organisation")]
    DomainTaken(String),
    #[error("{0} is a public mail service's domain")]
    PublicDomain(String),
    #[error("the confirmation address is not at the domain")]
    ProofNotAtDomain,
    #[error("an organisation needs at least one sign-in domain")]
    LastDomain,
    #[error("no such unit or domain in this organisation")]
    NotFound,
    #[error("a unit name must be 1 to 100 characters")]
    InvalidUnitName,
    #[error("the organisation already has a unit with that name")]
    UnitNameTaken,
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

impl Refuses for OrganisationError {
    fn refusal(self) -> Refusal {
        let conflict = |code, key| Refusal::Conflict {
            code,
            message: Message::new(key),
        };
        match self {
            OrganisationError::DomainTaken(_) => {
                conflict("domain_taken", "admin-error-domain-taken")
            }
            OrganisationError::LastDomain => conflict("last_domain", "admin-error-last-domain"),
            OrganisationError::PublicDomain(_) => {
                Refusal::Invalid(vec![FieldError::new("domain", "admin-error-domain-public")])
            }
            OrganisationError::ProofNotAtDomain => Refusal::Invalid(vec![FieldError::new(
                "proof_address",
                "admin-error-proof-address",
            )]),
            OrganisationError::UnitNameTaken => conflict("unit_taken", "admin-error-unit-taken"),
            OrganisationError::InvalidUnitName => {
                Refusal::Invalid(vec![FieldError::new("name", "admin-error-unit-name")])
            }
            OrganisationError::NotFound => Refusal::NotFound,
            OrganisationError::Db(error) => error.refusal(),
        }
    }
}

/// Creates an organisation with its sign-in domains in one transaction: either all of it
/// exists afterwards or none of it.
pub fn create(
    conn: &mut AnyConnection,
    name: &str,
    country: Country,
    domains: &[EmailDomain],
) -> Result<Organisation, OrganisationError> {
    crate::db::write_transaction(conn, |conn| {
        let now = Utc::now().naive_utc();
        let id: OrganisationId = diesel::insert_into(organisations::table)
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
            insert_domain(conn, organisation.id, domain, true)?;
        }
        Ok(organisation)
    })
}

/// `verified`: it signs people in at once (the command line, run by the operator).
fn insert_domain(
    conn: &mut AnyConnection,
    organisation_id: OrganisationId,
    domain: &EmailDomain,
    verified: bool,
) -> Result<DomainId, OrganisationError> {
    if public::is_public(domain.as_str()) {
        return Err(OrganisationError::PublicDomain(domain.to_string()));
    }
    let taken = organisation_domains::table
        .filter(organisation_domains::domain.eq(domain.as_str()))
        .count()
        .get_result::<i64>(conn)?
        > 0;
    if taken {
        return Err(OrganisationError::DomainTaken(domain.to_string()));
    }
    let now = Utc::now().naive_utc();
    let id = diesel::insert_into(organisation_domains::table)
        .values((
            organisation_domains::organisation_id.eq(organisation_id),
            organisation_domains::domain.eq(domain.as_str()),
            organisation_domains::created_at.eq(now),
            organisation_domains::verified_at.eq(verified.then_some(now)),
        ))
        .returning(organisation_domains::id)
        .get_result(conn)?;
    Ok(id)
}

pub fn find(conn: &mut AnyConnection, id: OrganisationId) -> QueryResult<Option<Organisation>> {
    organisations::table
        .find(id)
        .select(Organisation::as_select())
        .first(conn)
        .optional()
}

/// The organisation with the short name `slug` (as in `bruka org add`'s output).
pub fn find_by_slug(conn: &mut AnyConnection, slug: &str) -> QueryResult<Option<Organisation>> {
    organisations::table
        .filter(organisations::slug.eq(slug))
        .select(Organisation::as_select())
        .first(conn)
        .optional()
}

pub fn count(conn: &mut AnyConnection) -> QueryResult<i64> {
    organisations::table.count().get_result(conn)
}

pub fn domains_of(
    conn: &mut AnyConnection,
    organisation_id: OrganisationId,
) -> QueryResult<Vec<Domain>> {
    organisation_domains::table
        .filter(organisation_domains::organisation_id.eq(organisation_id))
        .select(Domain::as_select())
        .order(organisation_domains::domain)
        .load(conn)
}

/// An admin's new domain: refused if public, and unconfirmed until someone with an address
/// at it follows the mailed link ([`confirm_domain`]).
pub fn add_domain(
    conn: &mut AnyConnection,
    organisation_id: OrganisationId,
    domain: &EmailDomain,
) -> Result<DomainId, OrganisationError> {
    crate::db::write_transaction(conn, |conn| {
        insert_domain(conn, organisation_id, domain, false)
    })
}

/// Confirms an organisation's claim on a domain (its mailed link was followed); the
/// domain, or `None` if the claim was removed meanwhile. Confirming twice changes nothing.
pub fn confirm_domain(
    conn: &mut AnyConnection,
    organisation_id: OrganisationId,
    domain: &str,
) -> QueryResult<Option<Domain>> {
    let claim = organisation_domains::table
        .filter(organisation_domains::organisation_id.eq(organisation_id))
        .filter(organisation_domains::domain.eq(domain));
    diesel::update(claim.filter(organisation_domains::verified_at.is_null()))
        .set(organisation_domains::verified_at.eq(Some(Utc::now().naive_utc())))
        .execute(conn)?;
    claim.select(Domain::as_select()).first(conn).optional()
}

/// Removing the last domain would lock everyone out, so it is refused. Returns the
/// domain removed.
pub fn remove_domain(
    conn: &mut AnyConnection,
    organisation_id: OrganisationId,
    domain_id: DomainId,
) -> Result<Domain, OrganisationError> {
    crate::db::write_transaction(conn, |conn| {
        let domains = domains_of(conn, organisation_id)?;
        let Some(removed) = domains.iter().find(|d| d.id == domain_id).cloned() else {
            return Err(OrganisationError::NotFound);
        };
        // Only confirmed domains sign people in: the last of them stays.
        let removing_confirmed = domains
            .iter()
            .any(|d| d.id == domain_id && d.verified_at.is_some());
        let other_confirmed = domains
            .iter()
            .filter(|d| d.id != domain_id && d.verified_at.is_some())
            .count();
        if removing_confirmed && other_confirmed == 0 {
            return Err(OrganisationError::LastDomain);
        }
        diesel::delete(organisation_domains::table.find(domain_id)).execute(conn)?;
        Ok(removed)
    })
}

fn valid_unit_name(name: &str) -> Result<&str, OrganisationError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(OrganisationError::InvalidUnitName);
    }
    Ok(name)
}

fn unit_name_taken(
    conn: &mut AnyConnection,
    organisation_id: OrganisationId,
    name: &str,
    except: Option<UnitId>,
) -> QueryResult<bool> {
    let mut query = units::table
        .filter(units::organisation_id.eq(organisation_id))
        .filter(units::name.eq(name))
        .into_boxed();
    if let Some(id) = except {
        query = query.filter(units::id.ne(id));
    }
    Ok(query.count().get_result::<i64>(conn)? > 0)
}

/// Adds a unit, refusing empty or duplicate names with an error people can act on.
pub fn create_unit(
    conn: &mut AnyConnection,
    organisation_id: OrganisationId,
    name: &str,
) -> Result<Unit, OrganisationError> {
    let name = valid_unit_name(name)?;
    crate::db::write_transaction(conn, |conn| {
        if unit_name_taken(conn, organisation_id, name, None)? {
            return Err(OrganisationError::UnitNameTaken);
        }
        Ok(add_unit(conn, organisation_id, name, None)?)
    })
}

pub fn rename_unit(
    conn: &mut AnyConnection,
    organisation_id: OrganisationId,
    unit_id: UnitId,
    name: &str,
) -> Result<(), OrganisationError> {
    let name = valid_unit_name(name)?;
    crate::db::write_transaction(conn, |conn| {
        if unit_name_taken(conn, organisation_id, name, Some(unit_id))? {
            return Err(OrganisationError::UnitNameTaken);
        }
        let renamed = diesel::update(
            units::table
                .filter(units::id.eq(unit_id))
                .filter(units::organisation_id.eq(organisation_id)),
        )
        .set(units::name.eq(name))
        .execute(conn)?;
        if renamed == 1 {
            Ok(())
        } else {
            Err(OrganisationError::NotFound)
        }
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
        .filter(organisation_domains::verified_at.is_not_null())
        .select(Organisation::as_select())
        .first(conn)
        .optional()
}

pub fn add_unit(
    conn: &mut AnyConnection,
    organisation_id: OrganisationId,
    name: &str,
    parent_id: Option<UnitId>,
) -> QueryResult<Unit> {
    let id: UnitId = diesel::insert_into(units::table)
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

pub fn units_of(
    conn: &mut AnyConnection,
    organisation_id: OrganisationId,
) -> QueryResult<Vec<Unit>> {
    units::table
        .filter(units::organisation_id.eq(organisation_id))
        .select(Unit::as_select())
        .order(units::name)
        .load(conn)
}

pub fn set_public_summary(
    conn: &mut AnyConnection,
    organisation_id: OrganisationId,
    publish: bool,
) -> QueryResult<()> {
    diesel::update(organisations::table.find(organisation_id))
        .set(organisations::public_summary.eq(publish))
        .execute(conn)?;
    Ok(())
}

/// What happens to the organisation's listings nobody claims.
pub fn end_policy(
    conn: &mut AnyConnection,
    organisation_id: OrganisationId,
) -> QueryResult<crate::items::ending::EndPolicy> {
    let (reminder_days, steps, step_days): (i32, String, i32) = organisations::table
        .find(organisation_id)
        .select((
            organisations::end_reminder_days,
            organisations::end_steps,
            organisations::end_step_days,
        ))
        .first(conn)?;
    Ok(crate::items::ending::EndPolicy::stored(
        reminder_days,
        &steps,
        step_days,
    ))
}

pub fn set_end_policy(
    conn: &mut AnyConnection,
    organisation_id: OrganisationId,
    policy: &crate::items::ending::EndPolicy,
) -> QueryResult<()> {
    diesel::update(organisations::table.find(organisation_id))
        .set((
            organisations::end_reminder_days.eq(policy.reminder_days),
            organisations::end_steps.eq(policy.steps_text()),
            organisations::end_step_days.eq(policy.step_days),
        ))
        .execute(conn)?;
    Ok(())
}

/// The organisations that remind listers before an end date, with how many days before.
pub fn reminding(conn: &mut AnyConnection) -> QueryResult<Vec<(OrganisationId, i32)>> {
    organisations::table
        .filter(organisations::end_reminder_days.gt(0))
        .select((organisations::id, organisations::end_reminder_days))
        .order(organisations::id)
        .load(conn)
}
