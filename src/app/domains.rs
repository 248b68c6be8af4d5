//! Sign-in domains an admin adds: the claim, the confirmation mailed to an address at the
//! domain, and its confirmation by whoever holds that mailbox.

use chrono::{Duration, Utc};

use super::{App, Failure};
use crate::accounts::Email;
use crate::accounts::tokens::Purpose;
use crate::audit::{self, Note, Subject};
use crate::db::AnyConnection;
use crate::i18n::Language;
use crate::ids::OrganisationId;
use crate::mail::notices::{self, Notice, Recipient};
use crate::organisations::{self, EmailDomain, OrganisationError};

/// How long a domain's confirmation link works.
const PROOF_DAYS: i64 = 7;

/// Where a claim's confirmation goes: an address at the domain, and the link it gets.
pub struct Proof {
    address: Email,
    link: String,
}

/// The proof for `address`, if it is at `domain`. The link names the organisation and the
/// domain, so it confirms only this claim.
pub fn proof(
    app: &App,
    organisation_id: OrganisationId,
    domain: &EmailDomain,
    address: &str,
) -> Option<Proof> {
    let address = Email::parse(address)
        .ok()
        .filter(|address| address.domain().as_str() == domain.as_str())?;
    let token = app.sign_in.keys.issue(
        Purpose::DomainProof,
        &format!("{organisation_id}:{domain}"),
        address.as_str(),
        Utc::now() + Duration::days(PROOF_DAYS),
    );
    let link = format!("{}/domains/confirm/{token}", app.site.0);
    Some(Proof { address, link })
}

/// Inside the admin's transaction: the unconfirmed claim and its mail; the audit note.
pub fn claim(
    conn: &mut AnyConnection,
    organisation_id: OrganisationId,
    domain: &EmailDomain,
    proof: Option<Proof>,
    language: Language,
) -> Result<Note, OrganisationError> {
    let proof = proof.ok_or(OrganisationError::ProofNotAtDomain)?;
    let domain_id = organisations::add_domain(conn, organisation_id, domain)?;
    let organisation = organisations::find(conn, organisation_id)?
        .map(|o| o.name)
        .unwrap_or_default();
    let notice = Notice::DomainProof {
        link: proof.link,
        domain: domain.to_string(),
        organisation,
    };
    notices::queue(
        conn,
        &Recipient::new(proof.address.as_str(), language),
        &notice,
    )?;
    Ok(Note::new(
        Subject::Domain(domain_id),
        "domain_added",
        format!("{domain} (confirmation sent to {})", proof.address),
    ))
}

/// The organisation, the domain and the address a valid link names.
fn claim_of(app: &App, token: &str) -> Option<(OrganisationId, String, String)> {
    let claims = app.sign_in.keys.verify(token, Purpose::DomainProof).ok()?;
    let (organisation, domain) = claims.sub.split_once(':')?;
    let organisation = organisation.parse::<OrganisationId>().ok()?;
    Some((organisation, domain.to_string(), claims.jti))
}

/// The domain a confirmation link is for; `None` for a link that is not one of ours or
/// has expired.
pub fn domain_of(app: &App, token: &str) -> Option<String> {
    claim_of(app, token).map(|(_, domain, _)| domain)
}

/// Confirms the claim a link names, audited; the domain, or `None` if the link is not
/// valid or the claim was removed meanwhile.
pub async fn confirm(app: &App, token: &str) -> Result<Option<String>, Failure<OrganisationError>> {
    let Some((organisation_id, domain, address)) = claim_of(app, token) else {
        return Ok(None);
    };
    let name = domain.clone();
    let confirmed = app
        .read(move |conn| {
            audit::audited(conn, organisation_id, None, |conn| {
                let Some(found) = organisations::confirm_domain(conn, organisation_id, &name)?
                else {
                    return Err(OrganisationError::NotFound);
                };
                let note = Note::new(
                    Subject::Domain(found.id),
                    "domain_confirmed",
                    format!("{name} (link mailed to {address})"),
                );
                Ok((found, note))
            })
        })
        .await;
    match confirmed {
        Ok(_) => {
            app.mail.wake_worker();
            Ok(Some(domain))
        }
        Err(Failure::Refused(OrganisationError::NotFound)) => Ok(None),
        Err(failure) => Err(failure),
    }
}
