//! Sign-in with the organisation's directory: the trip to the provider and back. The use
//! cases are `app::directory`; the login form decides who goes there (`web::login`).

use actix_web::cookie::time::Duration as CookieDuration;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::{Deserialize, Serialize};

use super::login::{RefusedPage, signed_in};
use super::{AppError, Page};
use crate::app::directory::{self, DirectoryError, Return};
use crate::app::{App, Failure};
use crate::directory::{Directory, Refused};

/// Holds the state, nonce and PKCE verifier of one trip to the provider. Lax, as the
/// provider sends the browser back with a top-level navigation from its own site.
const ATTEMPT_COOKIE: &str = "bruka_directory";

fn attempt_cookie(app: &App, value: String) -> Cookie<'static> {
    Cookie::build(ATTEMPT_COOKIE, value)
        .path(directory::CALLBACK_PATH)
        .http_only(true)
        .secure(app.sign_in.secure_cookies)
        .same_site(SameSite::Lax)
        .max_age(CookieDuration::minutes(10))
        .finish()
}

fn attempt_removal(app: &App) -> Cookie<'static> {
    let mut cookie = attempt_cookie(app, String::new());
    cookie.make_removal();
    cookie
}

/// `login_directory.html`: on the way to the provider.
#[derive(Serialize)]
struct GoingPage<'a> {
    url: &'a str,
}

/// Sends the browser to the organisation's directory, `email` as the login hint. A page
/// that moves on by itself, not a redirect: the login form's navigation may only go to
/// Bruka (`form-action 'self'`), and the provider is elsewhere.
pub async fn go_to_directory(
    page: &Page,
    app: &App,
    directory: &Directory,
    email: &str,
    next: &str,
) -> Result<HttpResponse, AppError> {
    let (url, cookie) = directory::begin(app, directory, email, next).await?;
    let mut response = page.show(
        StatusCode::OK,
        "login_directory.html",
        &GoingPage { url: &url },
    )?;
    response
        .add_cookie(&attempt_cookie(app, cookie))
        .map_err(|_| AppError::BadRequest)?;
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    state: Option<String>,
    code: Option<String>,
    error: Option<String>,
}

#[get("/login/directory/callback")]
pub async fn callback(
    page: Page,
    req: HttpRequest,
    query: web::Query<CallbackQuery>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let cookie = req.cookie(ATTEMPT_COOKIE);
    let back = Return {
        cookie: cookie.as_ref().map(|c| c.value()).unwrap_or_default(),
        state: query.state.as_deref().unwrap_or_default(),
        code: query.code.as_deref(),
        error: query.error.as_deref(),
    };
    match directory::complete(&app, back, page.language()).await {
        Ok(done) => {
            let mut response = signed_in(&app, &done.user, &done.session, done.moved, &done.next);
            response.add_removal_cookie(&attempt_removal(&app)).ok();
            Ok(response)
        }
        Err(Failure::Refused(error)) => {
            let (status, reason_key) = match error {
                DirectoryError::AttemptLost | DirectoryError::WrongState => {
                    (StatusCode::BAD_REQUEST, "directory-refused-attempt")
                }
                DirectoryError::Refused(Refused::UnverifiedEmail | Refused::NoEmail) => {
                    (StatusCode::FORBIDDEN, "directory-refused-email")
                }
                DirectoryError::Refused(Refused::OtherOrganisation | Refused::WrongTenant) => {
                    (StatusCode::FORBIDDEN, "directory-refused-organisation")
                }
                DirectoryError::Account => (StatusCode::FORBIDDEN, "login-refused-account"),
                DirectoryError::Db(_) | DirectoryError::Secret => {
                    return Err(Failure::Refused(error).into());
                }
                _ => (StatusCode::BAD_GATEWAY, "directory-refused-provider"),
            };
            let view = RefusedPage {
                reason_key,
                title_key: "directory-refused-title",
            };
            let mut response = page.show(status, "login_refused.html", &view)?;
            response.add_removal_cookie(&attempt_removal(&app)).ok();
            Ok(response)
        }
        Err(failure) => Err(failure.into()),
    }
}
