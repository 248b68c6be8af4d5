//! "Min profil": who the person is, and their personal API tokens (made, listed, revoked).

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, get, post, web};
use diesel::QueryResult;
use serde::{Deserialize, Serialize};

use super::auth::CurrentUser;
use super::csrf::{CsrfForm, NoFields};
use super::{AppError, Page};
use crate::accounts::api_tokens::{self, ApiToken, TokenError};
use crate::accounts::{self, Notify};
use crate::app::{App, Failure};
use crate::i18n::local_time;
use crate::ids::TokenId;
use crate::organisations;

#[derive(Serialize)]
struct TokenView {
    id: TokenId,
    name: String,
    prefix: String,
    created: String,
    last_used: Option<String>,
    revoked: Option<String>,
    scope: &'static str,
}

fn token_view(token: &ApiToken) -> TokenView {
    TokenView {
        id: token.id,
        name: token.name.clone(),
        prefix: token.prefix.clone(),
        created: local_time(token.created_at),
        last_used: token.last_used_at.map(local_time),
        revoked: token.revoked_at.map(local_time),
        scope: token.scope.as_str(),
    }
}

/// What the page shows besides the tokens.
struct Outcome {
    status: StatusCode,
    new_secret: Option<String>,
    error: Option<&'static str>,
}

/// `profile.html`.
#[derive(Serialize)]
struct ProfilePage<'a> {
    person_name: &'a Option<String>,
    person_email: &'a str,
    person_role: &'static str,
    organisation: String,
    unit: Option<String>,
    tokens: Vec<TokenView>,
    new_secret: Option<String>,
    error: Option<&'static str>,
    revoked: bool,
    notify: &'static str,
    notify_choices: [&'static str; 3],
    notify_saved: bool,
}

async fn render(
    page: &Page,
    app: &App,
    user: &CurrentUser,
    outcome: Outcome,
) -> Result<HttpResponse, AppError> {
    let person = user.0.user.clone();
    let (tokens, organisation, unit) = app
        .read(move |conn| -> QueryResult<_> {
            let organisation = organisations::find(conn, person.organisation_id)?
                .map(|o| o.name)
                .unwrap_or_default();
            let unit = organisations::units_of(conn, person.organisation_id)?
                .into_iter()
                .find(|u| Some(u.id) == person.unit_id)
                .map(|u| u.name);
            Ok((api_tokens::of_user(conn, person.id)?, organisation, unit))
        })
        .await?;
    let person = &user.0.user;
    let view = ProfilePage {
        person_name: &person.name,
        person_email: &person.email,
        person_role: person.role().as_str(),
        organisation,
        unit,
        tokens: tokens.iter().map(token_view).collect(),
        new_secret: outcome.new_secret,
        error: outcome.error,
        revoked: page.query_has("revoked=1"),
        notify: person.notify.as_str(),
        notify_choices: Notify::ALL.map(Notify::as_str),
        notify_saved: page.query_has("notify=saved"),
    };
    let mut response = page.show(outcome.status, "profile.html", &view)?;
    // A new secret is on this page once; no cache may keep it.
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

#[get("/profile")]
pub async fn profile_page(
    page: Page,
    user: CurrentUser,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let outcome = Outcome {
        status: StatusCode::OK,
        new_secret: None,
        error: None,
    };
    render(&page, &app, &user, outcome).await
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    name: String,
    /// `full` or `procurement`; anything else is full (the form offers only these).
    #[serde(default)]
    scope: String,
}

#[post("/profile/tokens")]
pub async fn create_token(
    page: Page,
    user: CurrentUser,
    form: CsrfForm<TokenForm>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let user_id = user.0.user.id;
    let name = form.0.name;
    let scope =
        api_tokens::TokenScope::parse(form.0.scope.trim()).unwrap_or(api_tokens::TokenScope::Full);
    let created = app
        .read(move |conn| api_tokens::create(conn, user_id, &name, scope))
        .await;
    let outcome = match created {
        Ok((_, secret)) => Outcome {
            status: StatusCode::CREATED,
            new_secret: Some(secret),
            error: None,
        },
        Err(Failure::Refused(TokenError::InvalidName)) => Outcome {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            new_secret: None,
            error: Some("profile-error-token-name"),
        },
        Err(Failure::Refused(TokenError::TooMany)) => Outcome {
            status: StatusCode::CONFLICT,
            new_secret: None,
            error: Some("profile-error-token-many"),
        },
        Err(failure) => return Err(failure.into()),
    };
    render(&page, &app, &user, outcome).await
}

#[post("/profile/tokens/{id}/revoke")]
pub async fn revoke_token(
    user: CurrentUser,
    path: web::Path<TokenId>,
    _form: CsrfForm<NoFields>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let user_id = user.0.user.id;
    let token_id = path.into_inner();
    let revoked = app
        .read(move |conn| api_tokens::revoke(conn, user_id, token_id))
        .await?;
    if !revoked {
        return Err(AppError::NotFound);
    }
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/profile?revoked=1"))
        .finish())
}

#[derive(Deserialize)]
pub struct NotifyForm {
    #[serde(default)]
    notify: String,
}

/// How the person hears of events: each by mail, a daily digest, or not by mail.
#[post("/profile/notify")]
pub async fn set_notify(
    user: CurrentUser,
    form: CsrfForm<NotifyForm>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let notify = Notify::parse(form.0.notify.trim()).ok_or(AppError::BadRequest)?;
    let user_id = user.0.user.id;
    app.read(move |conn| accounts::set_notify(conn, user_id, notify))
        .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/profile?notify=saved#notify"))
        .finish())
}
