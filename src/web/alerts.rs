//! Saved searches, wanted ads (efterlysningar) and stopping either from a mailed link.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};

use super::auth::CurrentUser;
use super::csrf::{CsrfForm, NoFields};
use super::home::category_name;
use super::reservations::{Problem, problem_page};
use super::{AppError, Lang, Views, with_conn};
use crate::alerts::{self, AlertError, Kind, NewAlert};
use crate::categories::{self, Category};
use crate::db::DbPool;
use crate::i18n::{Language, local_time};
use crate::items::FieldError;

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.to_string()))
        .finish()
}

fn messages(language: Language, errors: &[FieldError]) -> Vec<String> {
    errors
        .iter()
        .map(|e| language.text(e.message_key))
        .collect()
}

#[derive(Deserialize)]
pub struct SaveSearchForm {
    #[serde(default)]
    q: String,
    #[serde(default)]
    category: String,
}

/// "Tell me when something like this is listed", from the browse page.
#[post("/alerts")]
pub async fn save_search(
    req: HttpRequest,
    lang: Lang,
    user: CurrentUser,
    form: CsrfForm<SaveSearchForm>,
    pool: web::Data<DbPool>,
    views: web::Data<Views>,
) -> Result<HttpResponse, AppError> {
    let user = user.0.user;
    let form = form.0;
    let language = lang.0;
    let outcome = with_conn(&pool, move |conn| -> Result<_, AppError> {
        let category: Option<Category> = match form.category.trim() {
            "" => None,
            slug => categories::list_all(conn)?
                .into_iter()
                .find(|c| c.slug == slug),
        };
        let title = match (&category, form.q.trim()) {
            (Some(category), "") => category_name(language, category),
            (Some(category), q) => format!("{q} ({})", category_name(language, category)),
            (None, q) => q.to_string(),
        };
        let new = NewAlert {
            kind: Kind::Search,
            title,
            description: String::new(),
            query: form.q.clone(),
            category_id: category.map(|c| c.id),
        };
        Ok(alerts::create(conn, user.id, user.organisation_id, &new))
    })
    .await?;
    match outcome {
        Ok(_) => Ok(see_other("/my?alert=saved#alerts")),
        Err(AlertError::Invalid(errors)) => problem(
            &req,
            lang,
            &views,
            StatusCode::UNPROCESSABLE_ENTITY,
            messages(language, &errors),
        ),
        Err(AlertError::TooMany) => problem(
            &req,
            lang,
            &views,
            StatusCode::CONFLICT,
            vec![language.text("alert-error-too-many")],
        ),
        Err(AlertError::NotFound) => Err(AppError::NotFound),
        Err(AlertError::Db(error)) => Err(error.into()),
    }
}

fn problem(
    req: &HttpRequest,
    lang: Lang,
    views: &Views,
    status: StatusCode,
    messages: Vec<String>,
) -> Result<HttpResponse, AppError> {
    let message = messages.join(" ");
    problem_page(req, lang, views, Problem { status, message }, "/items")
}

#[derive(Serialize)]
struct WantedView {
    title: String,
    description: String,
    posted: String,
    poster: String,
    poster_email: String,
}

#[derive(Deserialize, Serialize, Default, Clone)]
pub struct WantedForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    category_id: String,
}

/// The wanted page as answered: its status, the form as typed and what is wrong with it.
struct WantedAnswer {
    status: StatusCode,
    form: WantedForm,
    errors: Vec<String>,
}

async fn render_wanted(
    req: &HttpRequest,
    lang: Lang,
    views: &Views,
    pool: &web::Data<DbPool>,
    organisation_id: i64,
    answer: WantedAnswer,
) -> Result<HttpResponse, AppError> {
    let (wanted, all) = with_conn(pool, move |conn| -> Result<_, AppError> {
        Ok((
            alerts::wanted_in(conn, organisation_id)?,
            categories::list_all(conn)?,
        ))
    })
    .await?;
    let language = lang.0;
    let wanted: Vec<WantedView> = wanted
        .into_iter()
        .map(|w| WantedView {
            title: w.title,
            description: w.description,
            posted: local_time(w.created_at),
            poster: w.poster_name.unwrap_or_else(|| w.poster_email.clone()),
            poster_email: w.poster_email,
        })
        .collect();
    let choices: Vec<(i64, String)> = categories::group(all)
        .into_iter()
        .flat_map(|group| {
            let mut options = vec![(group.category.id, category_name(language, &group.category))];
            options.extend(
                group
                    .children
                    .iter()
                    .map(|c| (c.id, format!("– {}", category_name(language, c)))),
            );
            options
        })
        .collect();
    let mut context = views.page_context(req, lang)?;
    context.insert("wanted", &wanted);
    context.insert("categories", &choices);
    context.insert("form", &answer.form);
    context.insert("errors", &answer.errors);
    context.insert("saved", &req.query_string().contains("saved=1"));
    Ok(views.page(answer.status, "wanted.html", &context)?)
}

#[get("/wanted")]
pub async fn wanted_page(
    req: HttpRequest,
    lang: Lang,
    user: CurrentUser,
    views: web::Data<Views>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, AppError> {
    let organisation_id = user.0.user.organisation_id;
    let answer = WantedAnswer {
        status: StatusCode::OK,
        form: WantedForm::default(),
        errors: Vec::new(),
    };
    render_wanted(&req, lang, &views, &pool, organisation_id, answer).await
}

#[post("/wanted")]
pub async fn post_wanted(
    req: HttpRequest,
    lang: Lang,
    user: CurrentUser,
    form: CsrfForm<WantedForm>,
    views: web::Data<Views>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, AppError> {
    let user = user.0.user;
    let organisation_id = user.organisation_id;
    let form = form.0;
    let category_id = match form.category_id.trim() {
        "" => None,
        raw => Some(raw.parse::<i64>().map_err(|_| AppError::BadRequest)?),
    };
    let new = NewAlert {
        kind: Kind::Wanted,
        title: form.title.clone(),
        description: form.description.clone(),
        query: String::new(),
        category_id,
    };
    let outcome = with_conn(&pool, move |conn| {
        Ok::<_, AppError>(alerts::create(conn, user.id, organisation_id, &new))
    })
    .await?;
    let errors = match outcome {
        Ok(_) => return Ok(see_other("/wanted?saved=1")),
        Err(AlertError::Invalid(errors)) => messages(lang.0, &errors),
        Err(AlertError::TooMany) => vec![lang.0.text("alert-error-too-many")],
        Err(AlertError::NotFound) => return Err(AppError::NotFound),
        Err(AlertError::Db(error)) => return Err(error.into()),
    };
    let answer = WantedAnswer {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        form,
        errors,
    };
    render_wanted(&req, lang, &views, &pool, organisation_id, answer).await
}

#[post("/alerts/{id}/stop")]
pub async fn stop_own(
    user: CurrentUser,
    path: web::Path<i64>,
    _form: CsrfForm<NoFields>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, AppError> {
    let user_id = user.0.user.id;
    let alert_id = path.into_inner();
    with_conn(&pool, move |conn| {
        alerts::stop_own(conn, user_id, alert_id).map_err(|error| match error {
            AlertError::Db(error) => error.into(),
            _ => AppError::NotFound,
        })
    })
    .await?;
    Ok(see_other("/my?alert=stopped#alerts"))
}

/// The mailed link opens a page with a button: mail scanners that follow links do not
/// stop anything by visiting it.
#[get("/alerts/stop/{token}")]
pub async fn stop_page(
    req: HttpRequest,
    lang: Lang,
    path: web::Path<String>,
    views: web::Data<Views>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let lookup = token.clone();
    let alert = with_conn(&pool, move |conn| alerts::by_token(conn, &lookup))
        .await?
        .ok_or(AppError::NotFound)?;
    let mut context = views.page_context(&req, lang)?;
    context.insert("title", &alert.title);
    context.insert("token", &token);
    context.insert("active", &alert.active);
    context.insert("stopped", &false);
    Ok(views.page(StatusCode::OK, "alert_stop.html", &context)?)
}

#[post("/alerts/stop/{token}")]
pub async fn stop_by_token(
    req: HttpRequest,
    lang: Lang,
    path: web::Path<String>,
    _form: CsrfForm<NoFields>,
    views: web::Data<Views>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let lookup = token.clone();
    let alert = with_conn(&pool, move |conn| -> Result<_, AppError> {
        let alert = alerts::by_token(conn, &lookup)?.ok_or(AppError::NotFound)?;
        alerts::stop_by_token(conn, &lookup)?;
        Ok(alert)
    })
    .await?;
    let mut context = views.page_context(&req, lang)?;
    context.insert("title", &alert.title);
    context.insert("token", &token);
    context.insert("active", &false);
    context.insert("stopped", &true);
    Ok(views.page(StatusCode::OK, "alert_stop.html", &context)?)
}
