//! One error type for handlers, and localized pages for every error status.

use actix_web::HttpMessage;
use actix_web::body::BoxBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::{StatusCode, header};
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use tracing_actix_web::RequestId;

use super::{Lang, Views};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("no database connection available: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("database query failed: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("background task failed: {0}")]
    Blocking(#[from] actix_web::error::BlockingError),
    #[error("page rendering failed: {0}")]
    Template(#[from] tera::Error),
    #[error("sign-in required")]
    SignInRequired { next: String },
    #[error("first sign-in: profile required")]
    ProfileRequired { next: String },
    #[error("not allowed for this role")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("malformed request")]
    BadRequest,
    #[error("missing or wrong CSRF token")]
    CsrfRejected,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::Pool(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Query(_) | AppError::Blocking(_) | AppError::Template(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            AppError::SignInRequired { .. } | AppError::ProfileRequired { .. } => {
                StatusCode::SEE_OTHER
            }
            AppError::Forbidden | AppError::CsrfRejected => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::BadRequest => StatusCode::BAD_REQUEST,
        }
    }

    /// Error bodies are left empty on purpose: [`error_pages`] fills them in the visitor's
    /// language.
    fn error_response(&self) -> HttpResponse {
        let redirect = |path: &str, next: &str| {
            let next =
                percent_encoding::utf8_percent_encode(next, percent_encoding::NON_ALPHANUMERIC);
            HttpResponse::SeeOther()
                .insert_header((header::LOCATION, format!("{path}?next={next}")))
                .finish()
        };
        match self {
            AppError::SignInRequired { next } => redirect("/login", next),
            AppError::ProfileRequired { next } => redirect("/welcome", next),
            AppError::Pool(_)
            | AppError::Query(_)
            | AppError::Blocking(_)
            | AppError::Template(_) => {
                tracing::error!(error = %self, "request failed");
                HttpResponse::new(self.status_code())
            }
            _ => {
                tracing::info!(error = %self, "request refused");
                HttpResponse::new(self.status_code())
            }
        }
    }
}

/// Unknown paths get the localized "not found" page.
pub async fn not_found(req: HttpRequest, lang: Lang, views: web::Data<Views>) -> HttpResponse {
    error_page(&req, lang, &views, StatusCode::NOT_FOUND)
}

pub fn error_page(
    req: &HttpRequest,
    lang: Lang,
    views: &Views,
    status: StatusCode,
) -> HttpResponse {
    let (title, text) = match status.as_u16() {
        404 | 405 => ("error-not-found-title", "error-not-found-text"),
        400 | 413 | 415 | 422 => ("error-bad-request-title", "error-bad-request-text"),
        403 => ("error-forbidden-title", "error-forbidden-text"),
        429 => ("error-too-many-title", "error-too-many-text"),
        503 => ("error-unavailable-title", "error-unavailable-text"),
        500..=599 => ("error-server-title", "error-server-text"),
        _ => ("error-generic-title", "error-generic-text"),
    };
    let request_id = req.extensions().get::<RequestId>().map(ToString::to_string);
    let body = views.page_context(req, lang).and_then(|mut context| {
        context.insert("title_key", title);
        context.insert("text_key", text);
        context.insert("status", &status.as_u16());
        context.insert("request_id", &request_id);
        views.render("error.html", &context)
    });
    match body {
        Ok(body) => HttpResponse::build(status)
            .content_type(mime_html())
            .body(body),
        // The error page itself failed: fall back to text rather than hide the original status.
        Err(error) => {
            tracing::error!(%error, "error page could not be rendered");
            HttpResponse::build(status)
                .content_type("text/plain; charset=utf-8")
                .body(status.canonical_reason().unwrap_or("Error"))
        }
    }
}

fn mime_html() -> &'static str {
    "text/html; charset=utf-8"
}

/// Gives every error response without a body of its own (extractor failures, [`AppError`],
/// 405s) a localized page. Responses that already carry a content type (JSON, pages) pass.
pub fn error_pages() -> ErrorHandlers<BoxBody> {
    ErrorHandlers::new().default_handler(|res: ServiceResponse<BoxBody>| {
        if res.headers().contains_key(header::CONTENT_TYPE) {
            return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
        }
        let (req, res) = res.into_parts();
        let status = res.status();
        let lang = Lang::of(&req);
        let response = match req.app_data::<web::Data<Views>>() {
            Some(views) => error_page(&req, lang, views, status),
            None => res,
        };
        Ok(ErrorHandlerResponse::Response(
            ServiceResponse::new(req, response).map_into_right_body(),
        ))
    })
}
