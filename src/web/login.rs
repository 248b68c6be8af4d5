//! Sign-in by mailed link, first-time profile, and sign-out.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::Utc;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;

use super::auth::{AnySession, AuthConfig, MaybeUser};
use super::csrf::CsrfForm;
use super::locale::safe_return_path;
use super::rate_limit::LoginLimits;
use super::{AppError, Lang, SiteUrl, Views, with_conn};
use crate::accounts::login::{self, LoginError};
use crate::accounts::tokens::{LOGIN_LINK_LIFETIME, Purpose, TokenError, random_id};
use crate::accounts::{self, Email, sessions};
use crate::db::DbPool;
use crate::mail::MailQueue;
use crate::mail::notices::{Notice, Recipient};
use crate::organisations;

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.to_string()))
        .finish()
}

fn login_form(
    req: &HttpRequest,
    lang: Lang,
    views: &Views,
    status: StatusCode,
    email: &str,
    next: &str,
    error_key: Option<&str>,
) -> Result<HttpResponse, AppError> {
    let mut context = views.page_context(req, lang)?;
    context.insert("email", email);
    context.insert("next", next);
    context.insert("error_key", &error_key);
    context.insert("signed_out", &req.query_string().contains("signed_out=1"));
    Ok(views.page(status, "login.html", &context)?)
}

#[get("/login")]
pub async fn login_page(
    req: HttpRequest,
    lang: Lang,
    user: MaybeUser,
    query: web::Query<NextQuery>,
    views: web::Data<Views>,
) -> Result<HttpResponse, AppError> {
    let next = safe_return_path(query.next.as_deref());
    if user.0.is_some() {
        return Ok(see_other(next));
    }
    login_form(&req, lang, &views, StatusCode::OK, "", next, None)
}

#[derive(Deserialize)]
pub struct LoginForm {
    email: String,
    next: Option<String>,
}

#[post("/login")]
#[allow(clippy::too_many_arguments)]
pub async fn request_link(
    req: HttpRequest,
    lang: Lang,
    form: CsrfForm<LoginForm>,
    views: web::Data<Views>,
    pool: web::Data<DbPool>,
    auth: web::Data<AuthConfig>,
    limits: web::Data<LoginLimits>,
    mail: web::Data<MailQueue>,
    site: web::Data<SiteUrl>,
) -> Result<HttpResponse, AppError> {
    let CsrfForm(form) = form;
    let next = safe_return_path(form.next.as_deref()).to_string();
    let Ok(email) = Email::parse(&form.email) else {
        return login_form(
            &req,
            lang,
            &views,
            StatusCode::BAD_REQUEST,
            form.email.trim(),
            &next,
            Some("login-error-invalid-email"),
        );
    };
    if !limits.allow(&req, email.as_str()) {
        return Ok(super::error::error_page(
            &req,
            lang,
            &views,
            StatusCode::TOO_MANY_REQUESTS,
        ));
    }

    let jti = random_id();
    let expires_at = Utc::now() + LOGIN_LINK_LIFETIME;
    let token = auth
        .keys
        .issue(Purpose::Login, email.as_str(), &jti, expires_at);
    let mut link = format!("{}/login/confirm?token={token}", site.0);
    if next != "/" {
        link.push_str("&next=");
        link.push_str(&utf8_percent_encode(&next, NON_ALPHANUMERIC).to_string());
    }
    let notice = Notice::SignInLink {
        link: link.clone(),
        minutes: LOGIN_LINK_LIFETIME.num_minutes(),
    };
    let to = Recipient::new(email.as_str(), lang.0);
    let sent_email = email.clone();
    let sent = with_conn(&pool, move |conn| {
        login::send_link(conn, &sent_email, &jti, expires_at, &to, &notice)
    })
    .await?;
    if sent {
        mail.wake_worker();
        if mail.logs_links {
            tracing::info!(email = %email, %link, "sign-in link (no SMTP configured; the mail is in the mail folder too)");
        }
    }
    // The same answer whether or not the address can sign in.
    let mut context = views.page_context(&req, lang)?;
    context.insert("email", email.as_str());
    context.insert("minutes", &LOGIN_LINK_LIFETIME.num_minutes());
    Ok(views.page(StatusCode::OK, "login_sent.html", &context)?)
}

#[derive(Deserialize)]
pub struct ConfirmQuery {
    token: Option<String>,
    next: Option<String>,
}

fn link_refused(
    req: &HttpRequest,
    lang: Lang,
    views: &Views,
    reason_key: &str,
) -> Result<HttpResponse, AppError> {
    let mut context = views.page_context(req, lang)?;
    context.insert("reason_key", reason_key);
    Ok(views.page(StatusCode::BAD_REQUEST, "login_refused.html", &context)?)
}

fn token_reason(error: &TokenError) -> &'static str {
    match error {
        TokenError::Expired => "login-refused-expired",
        TokenError::Invalid => "login-refused-invalid",
    }
}

/// Opening the link only shows a button: mail scanners that follow links must not use up
/// the single-use token.
#[get("/login/confirm")]
pub async fn confirm_page(
    req: HttpRequest,
    lang: Lang,
    query: web::Query<ConfirmQuery>,
    views: web::Data<Views>,
    auth: web::Data<AuthConfig>,
) -> Result<HttpResponse, AppError> {
    let token = query.token.as_deref().unwrap_or_default();
    match auth.keys.verify(token, Purpose::Login) {
        Ok(claims) => {
            let mut context = views.page_context(&req, lang)?;
            context.insert("email", &claims.sub);
            context.insert("token", token);
            context.insert("next", safe_return_path(query.next.as_deref()));
            Ok(views.page(StatusCode::OK, "login_confirm.html", &context)?)
        }
        Err(error) => link_refused(&req, lang, &views, token_reason(&error)),
    }
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    token: String,
    next: Option<String>,
}

#[post("/login/confirm")]
pub async fn confirm(
    req: HttpRequest,
    lang: Lang,
    form: CsrfForm<ConfirmForm>,
    views: web::Data<Views>,
    auth: web::Data<AuthConfig>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, AppError> {
    let CsrfForm(form) = form;
    let claims = match auth.keys.verify(&form.token, Purpose::Login) {
        Ok(claims) => claims,
        Err(error) => return link_refused(&req, lang, &views, token_reason(&error)),
    };
    let Ok(email) = Email::parse(&claims.sub) else {
        return link_refused(&req, lang, &views, "login-refused-invalid");
    };
    let idle = auth.idle;
    let language = lang.0;
    let outcome = with_conn(&pool, move |conn| -> Result<_, AppError> {
        let user = match login::consume_link(conn, &claims.jti, &email) {
            Ok(user) => user,
            Err(LoginError::Db(error)) => return Err(error.into()),
            Err(refusal) => return Ok(Err(refusal)),
        };
        accounts::record_login(conn, user.id, language)?;
        let session = sessions::create(conn, user.id, idle)?;
        Ok(Ok((user, session)))
    })
    .await?;
    let (user, session) = match outcome {
        Ok(signed_in) => signed_in,
        Err(LoginError::LinkSpent) => {
            return link_refused(&req, lang, &views, "login-refused-used");
        }
        Err(_) => return link_refused(&req, lang, &views, "login-refused-account"),
    };
    tracing::info!(user_id = user.id, "signed in");
    let next = safe_return_path(form.next.as_deref());
    let location = if user.needs_profile() {
        format!(
            "/welcome?next={}",
            utf8_percent_encode(next, NON_ALPHANUMERIC)
        )
    } else {
        next.to_string()
    };
    Ok(HttpResponse::SeeOther()
        .cookie(auth.session_cookie(&session.id, session.expires_at))
        .insert_header((header::LOCATION, location))
        .finish())
}

#[derive(Deserialize)]
pub struct Empty {}

#[post("/logout")]
pub async fn logout(
    session: AnySession,
    _form: CsrfForm<Empty>,
    auth: web::Data<AuthConfig>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, AppError> {
    let AnySession(signed) = session;
    let session_id = signed.session_id.clone();
    with_conn(&pool, move |conn| sessions::revoke(conn, &session_id)).await?;
    tracing::info!(user_id = signed.user.id, "signed out");
    Ok(HttpResponse::SeeOther()
        .cookie(auth.removal_cookie())
        .insert_header((header::LOCATION, "/login?signed_out=1"))
        .finish())
}

/// What the welcome form shows: the person's entries so far and, after a refusal, why.
struct WelcomeView<'a> {
    units: &'a [organisations::Unit],
    name: &'a str,
    unit_id: Option<i64>,
    next: &'a str,
    error_key: Option<&'a str>,
}

fn welcome_form(
    req: &HttpRequest,
    lang: Lang,
    views: &Views,
    status: StatusCode,
    view: WelcomeView<'_>,
) -> Result<HttpResponse, AppError> {
    let mut context = views.page_context(req, lang)?;
    context.insert("units", view.units);
    context.insert("name", view.name);
    context.insert("unit_id", &view.unit_id);
    context.insert("next", view.next);
    context.insert("error_key", &view.error_key);
    Ok(views.page(status, "welcome.html", &context)?)
}

#[get("/welcome")]
pub async fn welcome_page(
    req: HttpRequest,
    lang: Lang,
    session: AnySession,
    query: web::Query<NextQuery>,
    views: web::Data<Views>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, AppError> {
    let user = session.0.user;
    let organisation_id = user.organisation_id;
    let units = with_conn(&pool, move |conn| {
        organisations::units_of(conn, organisation_id)
    })
    .await?;
    let next = safe_return_path(query.next.as_deref());
    let name = user.name.clone().unwrap_or_default();
    welcome_form(
        &req,
        lang,
        &views,
        StatusCode::OK,
        WelcomeView {
            units: &units,
            name: &name,
            unit_id: user.unit_id,
            next,
            error_key: None,
        },
    )
}

#[derive(Deserialize)]
pub struct WelcomeForm {
    name: String,
    unit_id: Option<String>,
    next: Option<String>,
}

#[post("/welcome")]
pub async fn save_welcome(
    req: HttpRequest,
    lang: Lang,
    session: AnySession,
    form: CsrfForm<WelcomeForm>,
    views: web::Data<Views>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, AppError> {
    let CsrfForm(form) = form;
    let user = session.0.user;
    let next = safe_return_path(form.next.as_deref()).to_string();
    let unit_id = match form.unit_id.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => Some(raw.parse::<i64>().map_err(|_| AppError::BadRequest)?),
    };
    let name = form.name.clone();
    let organisation_id = user.organisation_id;
    let outcome = with_conn(&pool, move |conn| -> Result<_, AppError> {
        let saved = accounts::set_profile(conn, &user, &name, unit_id);
        let units = organisations::units_of(conn, organisation_id)?;
        Ok((saved, units))
    })
    .await?;
    match outcome {
        (Ok(()), _) => Ok(see_other(&next)),
        (Err(accounts::AccountError::InvalidName), units) => welcome_form(
            &req,
            lang,
            &views,
            StatusCode::BAD_REQUEST,
            WelcomeView {
                units: &units,
                name: form.name.trim(),
                unit_id,
                next: &next,
                error_key: Some("welcome-error-name"),
            },
        ),
        (Err(accounts::AccountError::ForeignUnit), _) => Err(AppError::NotFound),
        (Err(accounts::AccountError::Db(error)), _) => Err(error.into()),
        (Err(_), _) => Err(AppError::BadRequest),
    }
}
