//! Cross-site request forgery protection for forms.
//!
//! Double-submit: every visitor gets a random token in a cookie, every form carries it in a
//! hidden `csrf_token` field, and a state-changing request is accepted only when both match.
//! A cross-site page can make the browser send the cookie but cannot read it to fill the
//! field. Requests whose Origin (or Sec-Fetch-Site) names another site are refused outright.
//!
//! The token lasts as long as the session: the cookie is SameSite=Lax, so arriving through
//! a link in webmail or Teams sends it and a half-filled form in another tab stays valid.
//! It changes when the session does (sign-in, sign-out), so a token seen before sign-in
//! is worth nothing after. A form refused for its token is shown again with what was typed
//! (see [`Resend`]).

use std::future::Future;
use std::pin::Pin;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use serde::de::DeserializeOwned;
use subtle::ConstantTimeEq;

use super::AppError;
use crate::accounts::tokens::random_id;

const CSRF_COOKIE: &str = "bruka_csrf";
/// The name over https: the browser then keeps the cookie to this host, secure, path `/`.
const CSRF_COOKIE_HOST: &str = "__Host-bruka_csrf";
pub const CSRF_FIELD: &str = "csrf_token";
/// Forms are small; photo uploads use their own limits.
const FORM_LIMIT: usize = 64 * 1024;

/// The visitor's token, for templates to put into forms.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

/// The cookie's name: `__Host-` prefixed when cookies are secure.
pub fn cookie_name(secure: bool) -> &'static str {
    if secure {
        CSRF_COOKIE_HOST
    } else {
        CSRF_COOKIE
    }
}

fn token_from_cookie(req: &HttpRequest) -> Option<String> {
    req.cookie(cookie_name(super::Views::cookies_secure_for(req)))
        .map(|c| c.value().to_string())
        .filter(|value| value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Whether a form's submitted token is the visitor's: a well-formed cookie token (never
/// an empty or made-up one) that the field matches, compared in constant time.
fn submitted_matches(req: &HttpRequest, submitted: &str) -> bool {
    token_from_cookie(req)
        .is_some_and(|cookie| bool::from(submitted.as_bytes().ct_eq(cookie.as_bytes())))
}

fn is_state_changing(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The Origin header, when a browser sends one, must be this site; so must the fetch's
/// site, which browsers send even where they leave Origin out.
fn origin_is_foreign(req: &HttpRequest) -> bool {
    let header_text = |name| req.headers().get(name).and_then(|v| v.to_str().ok());
    if header_text("sec-fetch-site").is_some_and(|site| site.eq_ignore_ascii_case("cross-site")) {
        return true;
    }
    let Some(origin) = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
    else {
        return false;
    };
    let host = req.connection_info().host().to_string();
    let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
    origin == "null" || !origin_host.eq_ignore_ascii_case(&host)
}

/// Makes sure every visitor has a token, and refuses cross-site state changes early.
pub async fn csrf_cookie(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    // The API takes bearer tokens only, which a browser never attaches by itself, so a
    // forged cross-site request cannot act there; its clients get no CSRF cookie either.
    if req.path().starts_with("/api/") {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    if is_state_changing(req.method()) && origin_is_foreign(req.request()) {
        return Ok(req
            .error_response(AppError::CsrfRejected(None))
            .map_into_boxed_body());
    }
    let existing = token_from_cookie(req.request());
    let token = existing.clone().unwrap_or_else(random_id);
    req.extensions_mut().insert(CsrfToken(token.clone()));
    let secure = super::Views::cookies_secure_for(req.request());
    let mut response = next.call(req).await?;
    // Sign-in and sign-out set a fresh token themselves ([`fresh_cookie`]); that one stands.
    let handler_set_token = response
        .response()
        .cookies()
        .any(|cookie| cookie.name() == cookie_name(secure));
    if existing.is_none() && !handler_set_token {
        response
            .response_mut()
            .add_cookie(&token_cookie(secure, token))?;
    }
    Ok(response.map_into_boxed_body())
}

fn token_cookie(secure: bool, token: String) -> Cookie<'static> {
    Cookie::build(cookie_name(secure), token)
        .path("/")
        .http_only(true)
        .secure(secure)
        .same_site(SameSite::Lax)
        .finish()
}

/// A new token for a new session (or none), so a token seen before sign-in, for example
/// on a shared computer, is worth nothing after it.
pub fn fresh_cookie(secure: bool) -> Cookie<'static> {
    token_cookie(secure, random_id())
}

/// A form refused for its token, to be shown again with what was typed: where it went,
/// whether it carried files (they must be chosen again), and its fields but the token.
#[derive(Debug, Clone)]
pub struct Resend {
    pub action: String,
    pub multipart: bool,
    pub fields: Vec<(String, String)>,
}

impl Resend {
    pub(super) fn of(req: &HttpRequest, multipart: bool, fields: &[(String, String)]) -> Box<Self> {
        let action = match req.query_string() {
            "" => req.path().to_string(),
            query => format!("{}?{query}", req.path()),
        };
        Box::new(Self {
            action,
            multipart,
            fields: fields
                .iter()
                .filter(|(name, _)| name != CSRF_FIELD)
                .cloned()
                .collect(),
        })
    }
}

/// Refuses a form unless its token is the visitor's; the refusal carries the form to show
/// again.
pub(super) fn check_submitted(
    req: &HttpRequest,
    multipart: bool,
    fields: &[(String, String)],
) -> Result<(), AppError> {
    let submitted = fields
        .iter()
        .find(|(name, _)| name == CSRF_FIELD)
        .map(|(_, value)| value.as_str());
    match submitted {
        Some(submitted) if submitted_matches(req, submitted) => Ok(()),
        _ => Err(AppError::CsrfRejected(Some(Resend::of(
            req, multipart, fields,
        )))),
    }
}

/// A url-encoded form whose `csrf_token` field matched the cookie. `T` need not declare the
/// field.
pub struct CsrfForm<T>(pub T);

/// The body of a form that is only a button: nothing but its CSRF token.
#[derive(Debug, serde::Deserialize)]
pub struct NoFields {}

impl<T: DeserializeOwned + 'static> FromRequest for CsrfForm<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let body = web::Bytes::from_request(&req, payload);
        Box::pin(async move {
            let body = body.await?;
            if body.len() > FORM_LIMIT {
                return Err(AppError::BadRequest.into());
            }
            let fields: Vec<(String, String)> =
                serde_urlencoded::from_bytes(&body).map_err(|_| AppError::BadRequest)?;
            check_submitted(&req, false, &fields)?;
            let form = serde_urlencoded::from_bytes(&body).map_err(|_| AppError::BadRequest)?;
            Ok(CsrfForm(form))
        })
    }
}
