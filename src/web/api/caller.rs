//! Who is calling the API: a personal token in `Authorization: Bearer …`, checked on every
//! request. Browser sessions are not accepted here, so the API needs no CSRF protection.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};

use diesel::QueryResult;

use crate::access::Viewer;
use crate::accounts::{Capability, User, api_tokens};
use crate::app::App;
use crate::i18n::Language;
use crate::web::{AppError, Lang};

/// The person a valid token belongs to, and the language answers are written in.
pub struct ApiCaller {
    pub user: User,
    pub viewer: Viewer,
    pub language: Language,
}

impl ApiCaller {
    /// Statistics are for the sustainability unit and admins, as on the web pages.
    pub fn may_see_stats(&self) -> bool {
        self.user.may(Capability::KeepLedger)
    }
}

fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, secret) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| secret.trim().to_string())
}

impl FromRequest for ApiCaller {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let language = Lang::of(req).0;
        let secret = bearer(req);
        let path = req.path().to_string();
        let app = req.app_data::<web::Data<App>>().cloned();
        Box::pin(async move {
            let (Some(secret), Some(app)) = (secret, app) else {
                return Err(AppError::Unauthorized);
            };
            let limits = app.api_limits;
            let found = app
                .read(move |conn| -> QueryResult<_> {
                    let Some(bearer) = api_tokens::authenticate(conn, &secret)? else {
                        return Ok(None);
                    };
                    let viewer = Viewer::of(&bearer.user, bearer.network_id);
                    let counted = limits.check(conn, bearer.user.id)?;
                    Ok(Some((bearer.user, viewer, counted, bearer.scope)))
                })
                .await?;
            let Some((user, viewer, counted, scope)) = found else {
                return Err(AppError::Unauthorized);
            };
            // Checked here, once for every endpoint, so a new endpoint cannot forget it.
            if !scope.allows(&path) {
                return Err(AppError::Forbidden);
            }
            if let Err(wait) = counted {
                return Err(AppError::TooMany {
                    retry_after: Some(wait),
                });
            }
            Ok(ApiCaller {
                user,
                viewer,
                language,
            })
        })
    }
}
