//! Sign-in by mailed link, first-time profile, and sign-out. The sign-in itself is
//! `app::signin`; these pages ask for what it needs and say how it went.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, get, post, web};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde::{Deserialize, Serialize};

use super::auth::{AnySession, MaybeUser, removal_cookie, session_cookie};
use super::client::client_ip;
use super::csrf::{self, CsrfForm};
use super::directory::go_to_directory;
use super::locale::safe_return_path;
use super::{AppError, Page, see_other};
use crate::accounts::tokens::LOGIN_LINK_LIFETIME;
use crate::accounts::{self, AccountError, Email};
use crate::app::directory as app_directory;
use crate::app::signin::{self, SignInError};
use crate::app::{App, Failure};
use crate::ids::UnitId;
use crate::organisations::{self, Unit};

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// `login.html`.
#[derive(Serialize)]
struct LoginPage<'a> {
    email: &'a str,
    next: &'a str,
    error_key: Option<&'static str>,
    signed_out: bool,
}

fn login_form(
    page: &Page,
    status: StatusCode,
    email: &str,
    next: &str,
    error_key: Option<&'static str>,
) -> Result<HttpResponse, AppError> {
    let view = LoginPage {
        email,
        next,
        error_key,
        signed_out: page.query_has("signed_out=1"),
    };
    page.show(status, "login.html", &view)
}

#[get("/login")]
pub async fn login_page(
    page: Page,
    user: MaybeUser,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, AppError> {
    let next = safe_return_path(query.next.as_deref());
    if user.0.is_some() {
        return Ok(see_other(next));
    }
    login_form(&page, StatusCode::OK, "", next, None)
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    next: Option<String>,
    /// `link` when the person asks for the mailed link although their organisation signs
    /// in with its directory.
    method: Option<String>,
}

/// `login_sent.html`: the link is on its way; its code can be typed here.
#[derive(Serialize)]
struct LinkSentPage<'a> {
    email: &'a str,
    minutes: i64,
    next: &'a str,
    error_key: Option<&'static str>,
}

#[post("/login")]
pub async fn request_link(
    page: Page,
    form: CsrfForm<LoginForm>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let CsrfForm(form) = form;
    let next = safe_return_path(form.next.as_deref()).to_string();
    let Ok(email) = Email::parse(&form.email) else {
        return login_form(
            &page,
            StatusCode::BAD_REQUEST,
            form.email.trim(),
            &next,
            Some("login-error-invalid-email"),
        );
    };
    if let Some(directory) = app_directory::directory_for(&app, &email).await? {
        let wants_link = form.method.as_deref() == Some("link");
        if !wants_link {
            return go_to_directory(&page, &app, &directory, email.as_str(), &next).await;
        }
        if !directory.links_enabled {
            return login_form(
                &page,
                StatusCode::BAD_REQUEST,
                email.as_str(),
                &next,
                Some("login-error-links-off"),
            );
        }
    }
    let client = client_ip(page.req(), app.login_limits.trust_forwarded_for);
    match signin::request_link(&app, email.clone(), client, &next, page.language()).await {
        Ok(()) => {}
        Err(Failure::Refused(SignInError::TooMany)) => {
            return Err(AppError::TooMany { retry_after: None });
        }
        Err(failure) => return Err(failure.into()),
    }
    // The same answer whether or not the address can sign in.
    let view = LinkSentPage {
        email: email.as_str(),
        minutes: LOGIN_LINK_LIFETIME.num_minutes(),
        next: &next,
        error_key: None,
    };
    page.show(StatusCode::OK, "login_sent.html", &view)
}

#[derive(Deserialize)]
pub struct CodeForm {
    email: String,
    code: String,
    next: Option<String>,
}

/// The code from the sign-in mail, typed on the device that asked for it.
#[post("/login/code")]
pub async fn confirm_code(
    page: Page,
    form: CsrfForm<CodeForm>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let CsrfForm(form) = form;
    let next = safe_return_path(form.next.as_deref()).to_string();
    let wrong_code = |email: &str| {
        let view = LinkSentPage {
            email,
            minutes: LOGIN_LINK_LIFETIME.num_minutes(),
            next: &next,
            error_key: Some("login-code-error-wrong"),
        };
        page.show(StatusCode::BAD_REQUEST, "login_sent.html", &view)
    };
    let Ok(email) = Email::parse(&form.email) else {
        return wrong_code(form.email.trim());
    };
    let client = client_ip(page.req(), app.login_limits.trust_forwarded_for);
    let shown = email.as_str().to_string();
    match signin::confirm_code(&app, email, &form.code, client, page.language()).await {
        Ok((user, session, moved)) => Ok(signed_in(&app, &user, &session, moved, &next)),
        Err(Failure::Refused(SignInError::TooMany)) => Err(AppError::TooMany { retry_after: None }),
        Err(Failure::Refused(SignInError::WrongCode | SignInError::LinkSpent)) => {
            wrong_code(&shown)
        }
        Err(failure) => link_refused(&page, failure),
    }
}

#[derive(Deserialize)]
pub struct ConfirmQuery {
    token: Option<String>,
    next: Option<String>,
}

/// `login_refused.html`.
#[derive(Serialize)]
pub(super) struct RefusedPage {
    pub reason_key: &'static str,
    pub title_key: &'static str,
}

/// The page for a link that cannot be used, or an error that is no refusal.
fn link_refused(page: &Page, failure: Failure<SignInError>) -> Result<HttpResponse, AppError> {
    let reason_key = match failure {
        Failure::Refused(SignInError::LinkExpired) => "login-refused-expired",
        Failure::Refused(SignInError::LinkInvalid) => "login-refused-invalid",
        Failure::Refused(SignInError::LinkSpent) => "login-refused-used",
        Failure::Refused(SignInError::Account) => "login-refused-account",
        Failure::Refused(SignInError::WrongCode) => "login-code-error-wrong",
        other => return Err(other.into()),
    };
    page.show(
        StatusCode::BAD_REQUEST,
        "login_refused.html",
        &RefusedPage {
            reason_key,
            title_key: "login-refused-title",
        },
    )
}

/// `login_confirm.html`.
#[derive(Serialize)]
struct ConfirmPage<'a> {
    email: String,
    token: &'a str,
    next: &'a str,
}

/// Opening the link only shows a button: mail scanners that follow links must not use up
/// the single-use token.
#[get("/login/confirm")]
pub async fn confirm_page(
    page: Page,
    query: web::Query<ConfirmQuery>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let token = query.token.as_deref().unwrap_or_default();
    match signin::link_owner(&app, token) {
        Ok(email) => {
            let view = ConfirmPage {
                email,
                token,
                next: safe_return_path(query.next.as_deref()),
            };
            page.show(StatusCode::OK, "login_confirm.html", &view)
        }
        Err(error) => link_refused(&page, Failure::Refused(error)),
    }
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    token: String,
    next: Option<String>,
}

#[post("/login/confirm")]
pub async fn confirm(
    page: Page,
    form: CsrfForm<ConfirmForm>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let CsrfForm(form) = form;
    let (user, session, moved) = match signin::confirm(&app, &form.token, page.language()).await {
        Ok(signed_in) => signed_in,
        Err(failure) => return link_refused(&page, failure),
    };
    let next = safe_return_path(form.next.as_deref());
    Ok(signed_in(&app, &user, &session, moved, next))
}

/// The session cookie and where to go: the profile first for a newcomer or someone whose
/// organisation changed.
pub(super) fn signed_in(
    app: &App,
    user: &accounts::User,
    session: &accounts::sessions::Session,
    moved: bool,
    next: &str,
) -> HttpResponse {
    let location = if user.needs_profile() || moved {
        format!(
            "/welcome?next={}",
            utf8_percent_encode(next, NON_ALPHANUMERIC)
        )
    } else {
        next.to_string()
    };
    HttpResponse::SeeOther()
        .cookie(session_cookie(
            &app.sign_in,
            &session.id,
            session.expires_at,
        ))
        .cookie(csrf::fresh_cookie(app.sign_in.secure_cookies))
        .insert_header((header::LOCATION, location))
        .finish()
}

#[derive(Deserialize)]
pub struct Empty {}

#[post("/logout")]
pub async fn logout(
    page: Page,
    session: AnySession,
    _form: CsrfForm<Empty>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let AnySession(signed) = session;
    let organisation_id = signed.user.organisation_id;
    signin::sign_out(&app, signed.user.id, signed.session_id).await?;
    // Signing out of Bruka leaves the directory's own session; where the provider can end
    // it, the person is offered that too (on a shared PC it matters).
    if let Some(end_session) = app_directory::end_session_offer(&app, organisation_id).await {
        let view = SignedOutPage {
            end_session: &end_session,
        };
        let mut response = page.show(StatusCode::OK, "signed_out.html", &view)?;
        response
            .add_cookie(&removal_cookie(&app.sign_in))
            .map_err(|_| AppError::BadRequest)?;
        response
            .add_cookie(&csrf::fresh_cookie(app.sign_in.secure_cookies))
            .map_err(|_| AppError::BadRequest)?;
        return Ok(response);
    }
    Ok(HttpResponse::SeeOther()
        .cookie(removal_cookie(&app.sign_in))
        .cookie(csrf::fresh_cookie(app.sign_in.secure_cookies))
        .insert_header((header::LOCATION, "/login?signed_out=1"))
        .finish())
}

/// `signed_out.html`: signed out of Bruka, with the directory's sign-out offered.
#[derive(Serialize)]
struct SignedOutPage<'a> {
    end_session: &'a str,
}

/// `welcome.html`: the person's entries so far and, after a refusal, why.
#[derive(Serialize)]
struct WelcomePage<'a> {
    units: &'a [Unit],
    name: &'a str,
    unit_id: Option<UnitId>,
    next: &'a str,
    error_key: Option<&'static str>,
}

#[get("/welcome")]
pub async fn welcome_page(
    page: Page,
    session: AnySession,
    query: web::Query<NextQuery>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let user = session.0.user;
    let organisation_id = user.organisation_id;
    let units = app
        .read(move |conn| organisations::units_of(conn, organisation_id))
        .await?;
    let name = user.name.clone().unwrap_or_default();
    let view = WelcomePage {
        units: &units,
        name: &name,
        unit_id: user.unit_id,
        next: safe_return_path(query.next.as_deref()),
        error_key: None,
    };
    page.show(StatusCode::OK, "welcome.html", &view)
}

#[derive(Deserialize)]
pub struct WelcomeForm {
    name: String,
    unit_id: Option<String>,
    next: Option<String>,
}

#[post("/welcome")]
pub async fn save_welcome(
    page: Page,
    session: AnySession,
    form: CsrfForm<WelcomeForm>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let CsrfForm(form) = form;
    let user = session.0.user;
    let next = safe_return_path(form.next.as_deref()).to_string();
    let unit_id = match form.unit_id.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => Some(raw.parse::<UnitId>().map_err(|_| AppError::BadRequest)?),
    };
    let name = form.name.clone();
    let organisation_id = user.organisation_id;
    let (saved, units) = app
        .read(move |conn| -> Result<_, AccountError> {
            let saved = accounts::set_profile(conn, &user, &name, unit_id);
            let units = organisations::units_of(conn, organisation_id)?;
            Ok((saved, units))
        })
        .await?;
    match saved {
        Ok(()) => Ok(see_other(&next)),
        Err(AccountError::InvalidName) => {
            let view = WelcomePage {
                units: &units,
                name: form.name.trim(),
                unit_id,
                next: &next,
                error_key: Some("welcome-error-name"),
            };
            page.show(StatusCode::BAD_REQUEST, "welcome.html", &view)
        }
        Err(AccountError::ForeignUnit) => Err(AppError::NotFound),
        Err(error @ AccountError::Db(_)) => Err(error.into()),
        Err(_) => Err(AppError::BadRequest),
    }
}
