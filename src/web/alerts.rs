//! Saved searches, wanted ads (efterlysningar) and stopping either from a mailed link.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};

use super::auth::CurrentUser;
use super::csrf::{CsrfForm, NoFields};
use super::{AppError, Page, see_other};
use crate::alerts::{self, AlertError, Kind, NewAlert};
use crate::app::{App, Failure};
use crate::categories::{self, Category, category_name};
use crate::i18n::local_time;
use crate::ids::{AlertId, CategoryId, OrganisationId};

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
    page: Page,
    user: CurrentUser,
    form: CsrfForm<SaveSearchForm>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let user = user.0.user;
    let form = form.0;
    let language = page.language();
    let catalog = app.catalog.clone();
    let saved = app
        .read(move |conn| -> Result<_, AlertError> {
            let categories = catalog.categories(conn)?;
            let category: Option<&Category> = match form.category.trim() {
                "" => None,
                slug => categories.iter().find(|c| c.slug == slug),
            };
            let title = match (category, form.q.trim()) {
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
            alerts::create(conn, user.id, user.organisation_id, &new)
        })
        .await;
    match saved {
        Ok(_) => Ok(see_other("/my?alert=saved#alerts")),
        Err(failure) => page.explain(failure.into(), "/items"),
    }
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

/// `wanted.html`.
#[derive(Serialize)]
struct WantedPage {
    wanted: Vec<WantedView>,
    categories: Vec<(CategoryId, String)>,
    form: WantedForm,
    errors: Vec<String>,
    saved: bool,
}

async fn render_wanted(
    page: &Page,
    app: &App,
    organisation_id: OrganisationId,
    answer: WantedAnswer,
) -> Result<HttpResponse, AppError> {
    let catalog = app.catalog.clone();
    let (wanted, all) = app
        .read(move |conn| -> Result<_, AlertError> {
            Ok((
                alerts::wanted_in(conn, organisation_id)?,
                catalog.categories(conn)?,
            ))
        })
        .await?;
    let language = page.language();
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
    let categories: Vec<(CategoryId, String)> = categories::group(all.to_vec())
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
    let view = WantedPage {
        wanted,
        categories,
        form: answer.form,
        errors: answer.errors,
        saved: page.query_has("saved=1"),
    };
    page.show(answer.status, "wanted.html", &view)
}

#[get("/wanted")]
pub async fn wanted_page(
    page: Page,
    user: CurrentUser,
    // A search that found nothing links here with its words (and category) filled in.
    prefilled: web::Query<WantedForm>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let organisation_id = user.0.user.organisation_id;
    let answer = WantedAnswer {
        status: StatusCode::OK,
        form: prefilled.into_inner(),
        errors: Vec::new(),
    };
    render_wanted(&page, &app, organisation_id, answer).await
}

#[post("/wanted")]
pub async fn post_wanted(
    page: Page,
    user: CurrentUser,
    form: CsrfForm<WantedForm>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let user = user.0.user;
    let organisation_id = user.organisation_id;
    let form = form.0;
    let category_id = match form.category_id.trim() {
        "" => None,
        raw => Some(
            raw.parse::<CategoryId>()
                .map_err(|_| AppError::BadRequest)?,
        ),
    };
    let new = NewAlert {
        kind: Kind::Wanted,
        title: form.title.clone(),
        description: form.description.clone(),
        query: String::new(),
        category_id,
    };
    let language = page.language();
    let created = app
        .read(move |conn| alerts::create(conn, user.id, organisation_id, &new))
        .await;
    let errors = match created {
        Ok(_) => return Ok(see_other("/wanted?saved=1")),
        Err(Failure::Refused(AlertError::Invalid(errors))) => errors
            .iter()
            .map(|e| language.text(e.message_key))
            .collect(),
        Err(Failure::Refused(AlertError::TooMany)) => vec![language.text("alert-error-too-many")],
        Err(failure) => return Err(failure.into()),
    };
    let answer = WantedAnswer {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        form,
        errors,
    };
    render_wanted(&page, &app, organisation_id, answer).await
}

#[post("/alerts/{id}/stop")]
pub async fn stop_own(
    user: CurrentUser,
    path: web::Path<AlertId>,
    _form: CsrfForm<NoFields>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let user_id = user.0.user.id;
    let alert_id = path.into_inner();
    app.read(move |conn| alerts::stop_own(conn, user_id, alert_id))
        .await?;
    Ok(see_other("/my?alert=stopped#alerts"))
}

/// `alert_stop.html`.
#[derive(Serialize)]
struct StopPage {
    title: String,
    token: String,
    active: bool,
    stopped: bool,
}

/// The mailed link opens a page with a button: mail scanners that follow links do not
/// stop anything by visiting it.
#[get("/alerts/stop/{token}")]
pub async fn stop_page(
    page: Page,
    path: web::Path<String>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let lookup = token.clone();
    let alert = app
        .read(move |conn| alerts::by_token(conn, &lookup))
        .await?
        .ok_or(AppError::NotFound)?;
    let view = StopPage {
        title: alert.title,
        token,
        active: alert.active,
        stopped: false,
    };
    page.show(StatusCode::OK, "alert_stop.html", &view)
}

#[post("/alerts/stop/{token}")]
pub async fn stop_by_token(
    page: Page,
    path: web::Path<String>,
    _form: CsrfForm<NoFields>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let lookup = token.clone();
    let alert = app
        .read(move |conn| -> Result<_, AlertError> {
            let alert = alerts::by_token(conn, &lookup)?.ok_or(AlertError::NotFound)?;
            alerts::stop_by_token(conn, &lookup)?;
            Ok(alert)
        })
        .await?;
    let view = StopPage {
        title: alert.title,
        token,
        active: false,
        stopped: true,
    };
    page.show(StatusCode::OK, "alert_stop.html", &view)
}
