//! Who is signed in: the session cookie is checked once per request by [`load_session`],
//! and handlers receive the person as an extractor argument.

use std::convert::Infallible;
use std::future::{Ready, ready};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::cookie::{Cookie, SameSite, time::OffsetDateTime};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use chrono::{DateTime, NaiveDateTime, Utc};

use diesel::QueryResult;

use super::AppError;
use crate::access::Viewer;
use crate::accounts::sessions::{self, Session};
use crate::accounts::tokens::Purpose;
use crate::accounts::{Capability, User};
use crate::app::{App, SignInSettings};

const SESSION_COOKIE: &str = "bruka_session";
/// The name over https: the `__Host-` prefix makes the browser refuse the cookie unless it
/// is secure, for this host only and for every path, so a sibling subdomain cannot plant one.
const SESSION_COOKIE_HOST: &str = "__Host-bruka_session";

pub fn session_cookie_name(secure: bool) -> &'static str {
    if secure {
        SESSION_COOKIE_HOST
    } else {
        SESSION_COOKIE
    }
}

/// The session cookie for `session_id`, signed, until `expires_at`.
pub fn session_cookie(
    auth: &SignInSettings,
    session_id: &str,
    expires_at: NaiveDateTime,
) -> Cookie<'static> {
    let expires = DateTime::<Utc>::from_naive_utc_and_offset(expires_at, Utc);
    let token = auth
        .keys
        .issue(Purpose::Session, session_id, session_id, expires);
    let mut cookie = Cookie::build(session_cookie_name(auth.secure_cookies), token)
        .path("/")
        .http_only(true)
        .secure(auth.secure_cookies)
        .same_site(SameSite::Lax)
        .finish();
    if let Ok(at) = OffsetDateTime::from_unix_timestamp(expires.timestamp()) {
        cookie.set_expires(at);
    }
    cookie
}

/// A cookie that makes the browser forget the session.
pub fn removal_cookie(auth: &SignInSettings) -> Cookie<'static> {
    let mut cookie = Cookie::build(session_cookie_name(auth.secure_cookies), "")
        .path("/")
        .http_only(true)
        .secure(auth.secure_cookies)
        .same_site(SameSite::Lax)
        .finish();
    cookie.make_removal();
    cookie
}

/// The signed-in person and their session, placed in request extensions by [`load_session`].
#[derive(Debug, Clone)]
pub struct Signed {
    pub user: User,
    pub session_id: String,
    /// What the person may see, loaded with the session so handlers need no extra query.
    pub viewer: Viewer,
    /// Their unit is a reuse store.
    pub works_in_store: bool,
}

/// A live session with its user and, if it was slid forward, its new expiry.
type SessionCheck = (Session, User, Viewer, bool, Option<NaiveDateTime>);

/// Verifies the session cookie and slides its expiry. An invalid or ended session clears
/// the cookie; the request then continues as anonymous.
pub async fn load_session(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let app = req.app_data::<web::Data<App>>().cloned();
    let secure = app.as_ref().is_some_and(|app| app.sign_in.secure_cookies);
    let token = req
        .cookie(session_cookie_name(secure))
        .map(|c| c.value().to_string());
    let mut cookie_update = None;
    if let (Some(app), Some(token)) = (app, token) {
        let auth = &app.sign_in;
        match auth.keys.verify(&token, Purpose::Session) {
            Ok(claims) => {
                let idle = auth.idle;
                let check = app
                    .read(move |conn| -> QueryResult<Option<SessionCheck>> {
                        Ok(match sessions::find_live(conn, &claims.sub)? {
                            Some(live) => {
                                let touched = sessions::touch(conn, &live.session, idle)?;
                                let viewer = Viewer::of(&live.user, live.network_id);
                                let store = live.works_in_store;
                                Some((live.session, live.user, viewer, store, touched))
                            }
                            None => None,
                        })
                    })
                    .await
                    .map_err(AppError::from);
                // Without the database nobody can be told apart; answer with the error page
                // rather than show a signed-in person as signed out.
                let check = match check {
                    Ok(check) => check,
                    Err(error) => return Ok(req.error_response(error).map_into_boxed_body()),
                };
                match check {
                    Some((session, user, viewer, works_in_store, touched)) => {
                        if let Some(expires_at) = touched {
                            cookie_update = Some(session_cookie(auth, &session.id, expires_at));
                        }
                        req.extensions_mut().insert(Signed {
                            user,
                            session_id: session.id,
                            viewer,
                            works_in_store,
                        });
                    }
                    None => cookie_update = Some(removal_cookie(auth)),
                }
            }
            Err(_) => cookie_update = Some(removal_cookie(auth)),
        }
    }
    let mut response = next.call(req).await?;
    // A handler that signed someone in or out has set the cookie itself; that one stands.
    let handler_set_cookie = response
        .response()
        .cookies()
        .any(|cookie| cookie.name() == session_cookie_name(secure));
    if let Some(cookie) = cookie_update.filter(|_| !handler_set_cookie) {
        response.response_mut().add_cookie(&cookie)?;
    }
    Ok(response.map_into_boxed_body())
}

/// The path and query of this request, to come back to after signing in.
pub fn here(req: &HttpRequest) -> String {
    match req.query_string() {
        "" => req.path().to_string(),
        query => format!("{}?{query}", req.path()),
    }
}

/// A signed-in person, whatever the state of their profile (for the welcome page and logout).
pub struct AnySession(pub Signed);

impl FromRequest for AnySession {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req.extensions()
                .get::<Signed>()
                .cloned()
                .map(AnySession)
                .ok_or_else(|| AppError::SignInRequired { next: here(req) }),
        )
    }
}

/// A signed-in person with a complete profile; first-time users are sent to the welcome page.
pub struct CurrentUser(pub Signed);

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let signed = req.extensions().get::<Signed>().cloned();
        ready(match signed {
            None => Err(AppError::SignInRequired { next: here(req) }),
            Some(signed) if signed.user.needs_profile() => {
                Err(AppError::ProfileRequired { next: here(req) })
            }
            Some(signed) => Ok(CurrentUser(signed)),
        })
    }
}

/// An organisation admin.
pub struct AdminUser(pub User);

impl FromRequest for AdminUser {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        ready(
            CurrentUser::from_request(req, payload)
                .into_inner()
                .and_then(|CurrentUser(signed)| {
                    if signed.user.may(Capability::Administer) {
                        Ok(AdminUser(signed.user))
                    } else {
                        Err(AppError::Forbidden)
                    }
                }),
        )
    }
}

/// A signed-in admin or member of the sustainability unit: they see and correct the ledger.
pub struct LedgerKeeper(pub User);

impl FromRequest for LedgerKeeper {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        ready(
            CurrentUser::from_request(req, payload)
                .into_inner()
                .and_then(|CurrentUser(signed)| {
                    if signed.user.may(Capability::KeepLedger) {
                        Ok(LedgerKeeper(signed.user))
                    } else {
                        Err(AppError::Forbidden)
                    }
                }),
        )
    }
}

/// The signed-in person if there is one.
pub struct MaybeUser(pub Option<Signed>);

impl FromRequest for MaybeUser {
    type Error = Infallible;
    type Future = Ready<Result<Self, Infallible>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(MaybeUser(req.extensions().get::<Signed>().cloned())))
    }
}
