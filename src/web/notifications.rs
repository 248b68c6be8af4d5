//! Stopping mail about events from a mail's own link: the page a person opens, and the
//! one-click POST that mail programs send for List-Unsubscribe (RFC 8058).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use serde::Serialize;

use super::{AppError, Page};
use crate::accounts;
use crate::app::App;

/// `notifications_stop.html`.
#[derive(Serialize)]
struct StopPage {
    token: String,
    stopped: bool,
}

/// The link opens a page with a button, so mail scanners that follow links stop nothing.
#[get("/notifications/stop/{token}")]
pub async fn stop_page(page: Page, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let view = StopPage {
        token: path.into_inner(),
        stopped: false,
    };
    page.show(StatusCode::OK, "notifications_stop.html", &view)
}

/// The secret in the address is the authority, as RFC 8058 intends: a mail program posts it
/// without the person's session, so there is no CSRF token to check.
#[post("/notifications/stop/{token}")]
pub async fn stop(
    page: Page,
    path: web::Path<String>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let lookup = token.clone();
    let stopped = app
        .read(move |conn| accounts::stop_notices(conn, &lookup))
        .await?;
    if !stopped {
        return Err(AppError::NotFound);
    }
    let view = StopPage {
        token,
        stopped: true,
    };
    page.show(StatusCode::OK, "notifications_stop.html", &view)
}
