//! "Min profil": who the person is, and their personal API tokens (made, listed, revoked).

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};

use super::auth::CurrentUser;
use super::csrf::{CsrfForm, NoFields};
use super::{AppError, Lang, Views, with_conn};
use crate::accounts::api_tokens::{self, ApiToken, TokenError};
use crate::db::DbPool;
use crate::i18n::local_time;
use crate::organisations;

#[derive(Serialize)]
struct TokenView {
    id: i64,
    name: String,
    prefix: String,
    created: String,
    last_used: Option<String>,
    revoked: Option<String>,
}

fn token_view(token: &ApiToken) -> TokenView {
    TokenView {
        id: token.id,
        name: token.name.clone(),
        prefix: token.prefix.clone(),
        created: local_time(token.created_at),
        last_used: token.last_used_at.map(local_time),
        revoked: token.revoked_at.map(local_time),
    }
}

/// What the page shows besides the tokens.
struct Outcome {
    status: StatusCode,
    new_secret: Option<String>,
    error: Option<&'static str>,
}

async fn render(
    req: &HttpRequest,
    lang: Lang,
    views: &Views,
    pool: &web::Data<DbPool>,
    user: &CurrentUser,
    outcome: Outcome,
) -> Result<HttpResponse, AppError> {
    let person = user.0.user.clone();
    let (tokens, organisation, unit) = with_conn(pool, move |conn| -> Result<_, AppError> {
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
    let views_of: Vec<TokenView> = tokens.iter().map(token_view).collect();
    let mut context = views.page_context(req, lang)?;
    let person = &user.0.user;
    context.insert("person_name", &person.name);
    context.insert("person_email", &person.email);
    context.insert("person_role", person.role().as_str());
    context.insert("organisation", &organisation);
    context.insert("unit", &unit);
    context.insert("tokens", &views_of);
    context.insert("new_secret", &outcome.new_secret);
    context.insert("error", &outcome.error);
    context.insert("revoked", &req.query_string().contains("revoked=1"));
    let mut response = views.page(outcome.status, "profile.html", &context)?;
    // A new secret is on this page once; no cache may keep it.
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

#[get("/profile")]
pub async fn profile_page(
    req: HttpRequest,
    lang: Lang,
    user: CurrentUser,
    views: web::Data<Views>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, AppError> {
    let outcome = Outcome {
        status: StatusCode::OK,
        new_secret: None,
        error: None,
    };
    render(&req, lang, &views, &pool, &user, outcome).await
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    name: String,
}

#[post("/profile/tokens")]
pub async fn create_token(
    req: HttpRequest,
    lang: Lang,
    user: CurrentUser,
    form: CsrfForm<TokenForm>,
    views: web::Data<Views>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, AppError> {
    let user_id = user.0.user.id;
    let name = form.0.name;
    let created = with_conn(&pool, move |conn| -> Result<_, AppError> {
        Ok(match api_tokens::create(conn, user_id, &name) {
            Ok((_, secret)) => Ok(secret),
            Err(TokenError::InvalidName) => {
                Err((StatusCode::UNPROCESSABLE_ENTITY, "profile-error-token-name"))
            }
            Err(TokenError::TooMany) => Err((StatusCode::CONFLICT, "profile-error-token-many")),
            Err(TokenError::Db(error)) => return Err(error.into()),
        })
    })
    .await?;
    let outcome = match created {
        Ok(secret) => Outcome {
            status: StatusCode::CREATED,
            new_secret: Some(secret),
            error: None,
        },
        Err((status, key)) => Outcome {
            status,
            new_secret: None,
            error: Some(key),
        },
    };
    render(&req, lang, &views, &pool, &user, outcome).await
}

#[post("/profile/tokens/{id}/revoke")]
pub async fn revoke_token(
    user: CurrentUser,
    path: web::Path<i64>,
    _form: CsrfForm<NoFields>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, AppError> {
    let user_id = user.0.user.id;
    let token_id = path.into_inner();
    let revoked = with_conn(&pool, move |conn| {
        api_tokens::revoke(conn, user_id, token_id)
    })
    .await?;
    if !revoked {
        return Err(AppError::NotFound);
    }
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/profile?revoked=1"))
        .finish())
}
