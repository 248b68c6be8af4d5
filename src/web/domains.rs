//! The page a sign-in domain's confirmation link opens: whoever holds the link received it
//! at an address on the domain, which is the proof. No sign-in is needed.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use serde::Serialize;

use super::csrf::{CsrfForm, NoFields};
use super::{AppError, Page};
use crate::app::{App, domains};

/// `domain_confirm.html`.
#[derive(Serialize)]
struct ConfirmPage {
    token: String,
    domain: String,
    confirmed: bool,
}

#[get("/domains/confirm/{token}")]
pub async fn confirm_page(
    page: Page,
    path: web::Path<String>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let domain = domains::domain_of(&app, &token).ok_or(AppError::NotFound)?;
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
    let domain = domains::confirm(&app, &token)
        .await?
        .ok_or(AppError::NotFound)?;
    let view = ConfirmPage {
        token,
        domain,
        confirmed: true,
    };
    page.show(StatusCode::OK, "domain_confirm.html", &view)
}
