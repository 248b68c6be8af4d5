//! The page a sign-in domain's confirmation link opens: whoever holds the link received it
//! at an address on the domain, which is the proof. No sign-in is needed.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use serde::Serialize;

use super::csrf::{CsrfForm, NoFields};
use super::{AppError, Page};
use crate::accounts::tokens::Purpose;
use crate::app::App;
use crate::audit::{self, Note, Subject};
use crate::ids::OrganisationId;
use crate::organisations;

#[derive(Serialize)]
struct ConfirmPage {
    token: String,
    domain: String,
    confirmed: bool,
}

/// The organisation, the domain and the address a valid link names.
fn claim_of(app: &App, token: &str) -> Result<(OrganisationId, String, String), AppError> {
    let claims = app
        .sign_in
        .keys
        .verify(token, Purpose::DomainProof)
        .map_err(|_| AppError::NotFound)?;
    let (organisation, domain) = claims.sub.split_once(':').ok_or(AppError::NotFound)?;
    let organisation = organisation
        .parse::<OrganisationId>()
        .map_err(|_| AppError::NotFound)?;
    Ok((organisation, domain.to_string(), claims.jti))
}

#[get("/domains/confirm/{token}")]
pub async fn confirm_page(
    page: Page,
    path: web::Path<String>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let (_, domain, _) = claim_of(&app, &token)?;
    let view = ConfirmPage {
        token,
        domain,
        confirmed: false,
    };
    page.show(StatusCode::OK, "domain_confirm.html", &view)
}

#[post("/domains/confirm/{token}")]
pub async fn confirm(
    page: Page,
    path: web::Path<String>,
    _form: CsrfForm<NoFields>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let (organisation_id, domain, address) = claim_of(&app, &token)?;
    let name = domain.clone();
    let confirmed = app
        .read(move |conn| {
            audit::audited(conn, organisation_id, None, |conn| {
                let found = organisations::confirm_domain(conn, organisation_id, &name)?;
                let Some(found) = found else {
                    return Err(diesel::result::Error::NotFound);
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
        Ok(_) => {}
        // The claim was removed after the mail went out.
        Err(crate::app::Failure::Refused(diesel::result::Error::NotFound)) => {
            return Err(AppError::NotFound);
        }
        Err(failure) => return Err(failure.into()),
    }
    let view = ConfirmPage {
        token,
        domain,
        confirmed: true,
    };
    page.show(StatusCode::OK, "domain_confirm.html", &view)
}
