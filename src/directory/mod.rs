//! Sign-in with an organisation's directory (OpenID Connect): each organisation's provider
//! settings, the groups that give roles and units, and the rules for what an ID token must
//! say before anyone is let in. The protocol itself is `oidc` (the `openidconnect` crate).

pub mod oidc;
pub mod seal;

use chrono::Utc;
use diesel::prelude::*;
use serde::Deserialize;

use crate::accounts::{Email, Role};
use crate::db::AnyConnection;
use crate::db::schema::{directory_groups, organisation_directories, units};
use crate::ids::{OrganisationId, UnitId};
use crate::refusal::{FieldError, Refusal, Refuses};

/// An organisation's directory, as its admin set it up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directory {
    pub organisation_id: OrganisationId,
    pub issuer: String,
    pub client_id: String,
    pub client_secret_sealed: String,
    /// Entra ID's tenant id the tokens must carry (`tid`); empty for any.
    pub tenant_id: String,
    pub links_enabled: bool,
    /// Someone has signed in through these settings.
    pub verified: bool,
}

pub fn find(
    conn: &mut AnyConnection,
    organisation_id: OrganisationId,
) -> QueryResult<Option<Directory>> {
    organisation_directories::table
        .find(organisation_id)
        .select((
            organisation_directories::issuer,
            organisation_directories::client_id,
            organisation_directories::client_secret_sealed,
            organisation_directories::tenant_id,
            organisation_directories::links_enabled,
            organisation_directories::verified_at,
        ))
        .first::<(
            String,
            String,
            String,
            String,
            bool,
            Option<chrono::NaiveDateTime>,
        )>(conn)
        .optional()
        .map(|found| {
            found.map(
                |(issuer, client_id, client_secret_sealed, tenant_id, links_enabled, verified)| {
                    Directory {
                        organisation_id,
                        issuer,
                        client_id,
                        client_secret_sealed,
                        tenant_id,
                        links_enabled,
                        verified: verified.is_some(),
                    }
                },
            )
        })
}

/// Whether people of the organisation may still sign in by mailed link and code.
pub fn links_enabled(
    conn: &mut AnyConnection,
    organisation_id: OrganisationId,
) -> QueryResult<bool> {
    Ok(find(conn, organisation_id)?.is_none_or(|directory| directory.links_enabled))
}

#[derive(Debug, PartialEq, thiserror::Error)]
pub enum SettingsError {
    #[error("the issuer must be an https address (http only on this machine, for tests)")]
    Issuer,
    #[error("the client id and the client secret must not be empty")]
    Client,
    #[error("the mailed link can only be switched off once directory sign-in is set up")]
    NoDirectory,
    #[error("the mailed link can only be switched off once someone signed in with the directory")]
    Unverified,
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

impl Refuses for SettingsError {
    fn refusal(self) -> Refusal {
        match self {
            SettingsError::Issuer => Refusal::Invalid(vec![FieldError::new(
                "issuer",
                "admin-error-directory-issuer",
            )]),
            SettingsError::Client => Refusal::Invalid(vec![FieldError::new(
                "client_id",
                "admin-error-directory-client",
            )]),
            SettingsError::NoDirectory => {
                Refusal::Invalid(vec![FieldError::new("links", "admin-error-directory-none")])
            }
            SettingsError::Unverified => Refusal::Invalid(vec![FieldError::new(
                "links",
                "admin-error-directory-unverified",
            )]),
            SettingsError::Db(error) => Refusal::Failed(Box::new(error)),
        }
    }
}

/// The issuer as discovery will be asked for it: https, or http on loopback for tests.
pub fn checked_issuer(issuer: &str) -> Result<String, SettingsError> {
    // Kept as typed: discovery compares it with the provider's own issuer, character by
    // character, trailing slash included.
    let issuer = issuer.trim();
    let loopback = ["http://127.0.0.1:", "http://localhost:", "http://[::1]:"]
        .iter()
        .any(|prefix| issuer.starts_with(prefix));
    let https = issuer.starts_with("https://") && issuer.len() > "https://".len();
    if https || loopback {
        Ok(issuer.to_string())
    } else {
        Err(SettingsError::Issuer)
    }
}

/// Sets up (or changes) the organisation's directory; the secret arrives sealed.
pub fn save(
    conn: &mut AnyConnection,
    organisation_id: OrganisationId,
    issuer: &str,
    client_id: &str,
    client_secret_sealed: &str,
    tenant_id: &str,
) -> Result<(), SettingsError> {
    let issuer = checked_issuer(issuer)?;
    let client_id = client_id.trim();
    if client_id.is_empty() || client_secret_sealed.is_empty() {
        return Err(SettingsError::Client);
    }
    let now = Utc::now().naive_utc();
    crate::db::write_transaction(conn, |conn| {
        // Another provider or client is unproven: the link comes back until someone has
        // signed in through it.
        let moved = diesel::update(
            organisation_directories::table
                .find(organisation_id)
                .filter(
                    organisation_directories::issuer
                        .ne(&issuer)
                        .or(organisation_directories::client_id.ne(client_id)),
                ),
        )
        .set((
            organisation_directories::verified_at.eq(None::<chrono::NaiveDateTime>),
            organisation_directories::links_enabled.eq(true),
        ))
        .execute(conn)?;
        if moved > 0 {
            tracing::info!(%organisation_id, "directory changed: the mailed link is on again until it is proven");
        }
        let changed = diesel::update(organisation_directories::table.find(organisation_id))
            .set((
                organisation_directories::issuer.eq(&issuer),
                organisation_directories::client_id.eq(client_id),
                organisation_directories::client_secret_sealed.eq(client_secret_sealed),
                organisation_directories::tenant_id.eq(tenant_id.trim()),
                organisation_directories::updated_at.eq(now),
            ))
            .execute(conn)?;
        if changed == 0 {
            diesel::insert_into(organisation_directories::table)
                .values((
                    organisation_directories::organisation_id.eq(organisation_id),
                    organisation_directories::issuer.eq(&issuer),
                    organisation_directories::client_id.eq(client_id),
                    organisation_directories::client_secret_sealed.eq(client_secret_sealed),
                    organisation_directories::tenant_id.eq(tenant_id.trim()),
                    organisation_directories::links_enabled.eq(true),
                    organisation_directories::updated_at.eq(now),
                ))
                .execute(conn)?;
        }
        Ok(())
    })
}

/// Switches the mailed link (and its code) on or off for the organisation.
pub fn set_links_enabled(
    conn: &mut AnyConnection,
    organisation_id: OrganisationId,
    enabled: bool,
) -> Result<(), SettingsError> {
    let Some(directory) = find(conn, organisation_id)? else {
        return if enabled {
            Ok(())
        } else {
            Err(SettingsError::NoDirectory)
        };
    };
    if !enabled && !directory.verified {
        return Err(SettingsError::Unverified);
    }
    diesel::update(organisation_directories::table.find(organisation_id))
        .set((
            organisation_directories::links_enabled.eq(enabled),
            organisation_directories::updated_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Records that someone signed in through the organisation's directory.
pub fn mark_verified(conn: &mut AnyConnection, organisation_id: OrganisationId) -> QueryResult<()> {
    diesel::update(
        organisation_directories::table
            .find(organisation_id)
            .filter(organisation_directories::verified_at.is_null()),
    )
    .set(organisation_directories::verified_at.eq(Some(Utc::now().naive_utc())))
    .execute(conn)
    .map(drop)
}

/// Ends directory sign-in for the organisation; the mailed link works again.
pub fn remove(conn: &mut AnyConnection, organisation_id: OrganisationId) -> QueryResult<bool> {
    diesel::delete(organisation_directories::table.find(organisation_id))
        .execute(conn)
        .map(|removed| removed > 0)
}

/// What membership of a directory group gives.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct GroupRole {
    pub group_id: String,
    pub role: Role,
    pub unit_id: Option<UnitId>,
}

pub fn group_roles(
    conn: &mut AnyConnection,
    organisation_id: OrganisationId,
) -> QueryResult<Vec<GroupRole>> {
    let rows: Vec<(String, String, Option<UnitId>)> = directory_groups::table
        .filter(directory_groups::organisation_id.eq(organisation_id))
        .order(directory_groups::group_id)
        .select((
            directory_groups::group_id,
            directory_groups::role,
            directory_groups::unit_id,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(group_id, role, unit_id)| {
            Some(GroupRole {
                group_id,
                role: Role::parse(&role)?,
                unit_id,
            })
        })
        .collect())
}

#[derive(Debug, PartialEq, thiserror::Error)]
pub enum GroupError {
    #[error("the group id must not be empty")]
    EmptyGroup,
    #[error("the unit is not one of the organisation's")]
    ForeignUnit,
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

impl Refuses for GroupError {
    fn refusal(self) -> Refusal {
        match self {
            GroupError::EmptyGroup => Refusal::Invalid(vec![FieldError::new(
                "group_id",
                "admin-error-directory-group",
            )]),
            GroupError::ForeignUnit => Refusal::NotFound,
            GroupError::Db(error) => Refusal::Failed(Box::new(error)),
        }
    }
}

/// Gives members of `group_id` a role and, optionally, a unit of the organisation.
pub fn map_group(
    conn: &mut AnyConnection,
    organisation_id: OrganisationId,
    group: &GroupRole,
) -> Result<(), GroupError> {
    let group_id = group.group_id.trim();
    if group_id.is_empty() {
        return Err(GroupError::EmptyGroup);
    }
    crate::db::write_transaction(conn, |conn| {
        if let Some(unit_id) = group.unit_id {
            let ours: i64 = units::table
                .filter(units::id.eq(unit_id))
                .filter(units::organisation_id.eq(organisation_id))
                .count()
                .get_result(conn)?;
            if ours == 0 {
                return Err(GroupError::ForeignUnit);
            }
        }
        diesel::delete(
            directory_groups::table
                .filter(directory_groups::organisation_id.eq(organisation_id))
                .filter(directory_groups::group_id.eq(group_id)),
        )
        .execute(conn)?;
        diesel::insert_into(directory_groups::table)
            .values((
                directory_groups::organisation_id.eq(organisation_id),
                directory_groups::group_id.eq(group_id),
                directory_groups::role.eq(group.role.as_str()),
                directory_groups::unit_id.eq(group.unit_id),
            ))
            .execute(conn)?;
        Ok(())
    })
}

pub fn unmap_group(
    conn: &mut AnyConnection,
    organisation_id: OrganisationId,
    group_id: &str,
) -> QueryResult<bool> {
    diesel::delete(
        directory_groups::table
            .filter(directory_groups::organisation_id.eq(organisation_id))
            .filter(directory_groups::group_id.eq(group_id.trim())),
    )
    .execute(conn)
    .map(|removed| removed > 0)
}

/// The claims of a verified ID token that Bruka reads, beyond what the crate checks.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct TokenClaims {
    pub email: Option<String>,
    pub email_verified: Option<bool>,
    /// Entra ID's "the e-mail domain is verified by its owner", where it sends no
    /// `email_verified`.
    pub xms_edov: Option<bool>,
    pub tid: Option<String>,
    pub name: Option<String>,
    #[serde(default)]
    pub groups: Vec<String>,
    /// Entra ID's app roles, mapped like groups (an admin may map either).
    #[serde(default)]
    pub roles: Vec<String>,
}

/// Why a verified token still lets nobody in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("the token carries no e-mail address")]
    NoEmail,
    #[error("the directory does not vouch for the e-mail address")]
    UnverifiedEmail,
    #[error("the token is from another tenant")]
    WrongTenant,
    #[error("the address belongs to another organisation's domain")]
    OtherOrganisation,
}

/// The address a verified token signs in, if the directory vouches for it and the tenant
/// is the configured one. Which organisation the address belongs to is decided after, by
/// its domain, as for every sign-in.
pub fn vouched_email(directory: &Directory, claims: &TokenClaims) -> Result<Email, Refused> {
    if !directory.tenant_id.is_empty()
        && claims.tid.as_deref() != Some(directory.tenant_id.as_str())
    {
        return Err(Refused::WrongTenant);
    }
    let email = claims
        .email
        .as_deref()
        .and_then(|email| Email::parse(email).ok())
        .ok_or(Refused::NoEmail)?;
    if claims.email_verified == Some(true) || claims.xms_edov == Some(true) {
        Ok(email)
    } else {
        Err(Refused::UnverifiedEmail)
    }
}

/// The role and unit the person's groups give: the strongest role of any mapped group,
/// the unit of the first mapped group that names one. `None` when no group is mapped, so
/// what an admin set by hand stays.
pub fn role_from_groups(
    mapping: &[GroupRole],
    groups: &[String],
) -> Option<(Role, Option<UnitId>)> {
    let mapped: Vec<&GroupRole> = mapping
        .iter()
        .filter(|entry| groups.iter().any(|group| group == &entry.group_id))
        .collect();
    let role = mapped.iter().map(|entry| entry.role).max()?;
    let unit = mapped.iter().find_map(|entry| entry.unit_id);
    Some((role, unit))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn directory(tenant: &str) -> Directory {
        Directory {
            organisation_id: OrganisationId(1),
            issuer: "https://login.example/".into(),
            client_id: "bruka".into(),
            client_secret_sealed: "x".into(),
            tenant_id: tenant.into(),
            links_enabled: true,
            verified: true,
        }
    }

    fn claims(email: &str, verified: Option<bool>) -> TokenClaims {
        TokenClaims {
            email: Some(email.into()),
            email_verified: verified,
            ..TokenClaims::default()
        }
    }

    #[test]
    fn only_a_vouched_address_of_the_right_tenant_signs_in() {
        let any = directory("");
        let email = vouched_email(&any, &claims("Anna@Kommun.se", Some(true)));
        assert_eq!(
            email.map(|e| e.as_str().to_string()).ok().as_deref(),
            Some("anna@kommun.se")
        );
        assert_eq!(
            vouched_email(&any, &claims("anna@kommun.se", Some(false))).err(),
            Some(Refused::UnverifiedEmail)
        );
        assert_eq!(
            vouched_email(&any, &claims("anna@kommun.se", None)).err(),
            Some(Refused::UnverifiedEmail)
        );
        let entra = TokenClaims {
            xms_edov: Some(true),
            ..claims("anna@kommun.se", None)
        };
        assert!(vouched_email(&any, &entra).is_ok());
        assert_eq!(
            vouched_email(&any, &claims("not an address", Some(true))).err(),
            Some(Refused::NoEmail)
        );
        assert_eq!(
            vouched_email(&any, &TokenClaims::default()).err(),
            Some(Refused::NoEmail)
        );

        let tenant = directory("tenant-a");
        let mut from_a = claims("anna@kommun.se", Some(true));
        assert_eq!(
            vouched_email(&tenant, &from_a).err(),
            Some(Refused::WrongTenant)
        );
        from_a.tid = Some("tenant-b".into());
        assert_eq!(
            vouched_email(&tenant, &from_a).err(),
            Some(Refused::WrongTenant)
        );
        from_a.tid = Some("tenant-a".into());
        assert!(vouched_email(&tenant, &from_a).is_ok());
    }

    #[test]
    fn the_strongest_mapped_group_decides_the_role() {
        let mapping = vec![
            GroupRole {
                group_id: "g-staff".into(),
                role: Role::Member,
                unit_id: Some(UnitId(7)),
            },
            GroupRole {
                group_id: "g-hallbarhet".into(),
                role: Role::Sustainability,
                unit_id: None,
            },
        ];
        let groups = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        assert_eq!(role_from_groups(&mapping, &groups(&["g-other"])), None);
        assert_eq!(role_from_groups(&[], &groups(&["g-staff"])), None);
        assert_eq!(
            role_from_groups(&mapping, &groups(&["g-staff"])),
            Some((Role::Member, Some(UnitId(7))))
        );
        assert_eq!(
            role_from_groups(&mapping, &groups(&["g-hallbarhet", "g-staff"])),
            Some((Role::Sustainability, Some(UnitId(7))))
        );
    }

    #[test]
    fn issuers_are_https_or_loopback() {
        assert_eq!(
            checked_issuer(" https://login.microsoftonline.com/t/v2.0 ").as_deref(),
            Ok("https://login.microsoftonline.com/t/v2.0")
        );
        assert!(checked_issuer("http://127.0.0.1:4000").is_ok());
        assert_eq!(
            checked_issuer("http://login.example"),
            Err(SettingsError::Issuer)
        );
        assert_eq!(checked_issuer("https://"), Err(SettingsError::Issuer));
        assert_eq!(checked_issuer("login.example"), Err(SettingsError::Issuer));
    }
}
