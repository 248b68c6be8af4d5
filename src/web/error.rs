//! Errors in the web layer, and the one policy that turns every error into an answer.
//!
//! The policy:
//! - Start-up and the command line use `anyhow`: a message for the operator is all they need.
//! - A function that runs one query returns `diesel::QueryResult`.
//! - Each domain module has one `thiserror` enum of what can go wrong there, and says through
//!   [`Refuses`] which kind of "no" (`crate::refusal::Refusal`) each variant is.
//! - Use cases return `Result<T, app::Failure<E>>`: their own refusal, or no database.
//! - Handlers return [`AppError`]. Every refusal and failure becomes one through `From`, and
//!   [`AppError::answer`] is the only table from an error to its status, stable code and
//!   message. The handler's response leaves without a body; [`error_pages`] writes it, for
//!   people as the localized page, under `/api/` as an RFC 9457 problem document, both in the
//!   caller's language (their language cookie or Accept-Language).
//! - A page that shows its own form again with the field errors (the listing form, the admin
//!   page) looks at the refusal before it becomes an `AppError`: that is presentation, and
//!   the statuses it answers with are the table's.

use std::time::Duration;

use actix_web::body::BoxBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::{StatusCode, header};
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, ResponseError, web};
use serde::Serialize;
use tracing_actix_web::RequestId;

use super::api::problem::{FieldProblem, Problem};
use super::csrf::Resend;
use super::{Lang, Views};

/// How soon to try again when the database is out of reach: about a failover's time.
const UNAVAILABLE_RETRY_SECONDS: &str = "5";
use crate::app::Failure;
use crate::i18n::Language;
use crate::refusal::{FieldError, Message, Refusal, Refuses};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A use case said no.
    #[error("refused: {0:?}")]
    Refused(Refusal),
    #[error("no database connection available: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("background task failed: {0}")]
    Blocking(#[from] actix_web::error::BlockingError),
    #[error("background task stopped: {0}")]
    Stopped(#[from] tokio::task::JoinError),
    #[error("page rendering failed: {0}")]
    Template(#[from] tera::Error),
    #[error("sign-in required")]
    SignInRequired { next: String },
    #[error("first sign-in: profile required")]
    ProfileRequired { next: String },
    /// The API without a valid token.
    #[error("no valid API token")]
    Unauthorized,
    #[error("too many requests")]
    TooMany { retry_after: Option<Duration> },
    #[error("not allowed for this role")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("malformed request")]
    BadRequest,
    /// A request that cannot be read, with what is wrong with it.
    #[error("malformed request: {0:?}")]
    BadInput(Message),
    /// A form whose token was missing or wrong; with the form to show again, when it was
    /// a form of ours and not a cross-site request.
    #[error("missing or wrong CSRF token")]
    CsrfRejected(Option<Box<Resend>>),
}

impl<E: Refuses> From<E> for AppError {
    fn from(error: E) -> Self {
        AppError::Refused(error.refusal())
    }
}

impl<E: Into<AppError>> From<Failure<E>> for AppError {
    fn from(failure: Failure<E>) -> Self {
        match failure {
            Failure::Refused(error) => error.into(),
            Failure::Pool(error) => AppError::Pool(error),
            Failure::Stopped(error) => AppError::Stopped(error),
        }
    }
}

/// What an error says: the one table both surfaces use.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: StatusCode,
    /// Stable, for programs.
    pub code: &'static str,
    /// For people; without one, the page and problem say what the status means.
    pub message: Option<Message>,
    pub fields: Vec<FieldError>,
}

impl Answer {
    fn plain(status: StatusCode, code: &'static str) -> Self {
        Self {
            status,
            code,
            message: None,
            fields: Vec::new(),
        }
    }

    /// The answer for a bare status (extractor failures, 405s, unknown paths).
    fn for_status(status: StatusCode) -> Self {
        let code = match status.as_u16() {
            400 | 413 | 415 => "bad_request",
            401 => "unauthorized",
            403 => "forbidden",
            404 | 405 => "not_found",
            422 => "invalid",
            429 => "too_many_requests",
            503 => "unavailable",
            _ if status.is_server_error() => "internal",
            _ => "error",
        };
        Self::plain(status, code)
    }

    /// The sentence under the page's heading, or the problem's `detail`.
    fn detail(&self, language: Language, surface: Surface) -> String {
        if let Some(message) = &self.message {
            return message.text(language);
        }
        let key = match (surface, self.status.as_u16()) {
            (Surface::Api, 401) => "api-error-unauthorized",
            (Surface::Api, 403) => "api-error-forbidden",
            (Surface::Api, 404 | 405) => "api-error-not-found",
            (Surface::Api, 422) => "api-error-invalid",
            (Surface::Api, 429) => "api-error-too-many",
            (Surface::Api, 400 | 413 | 415) => "api-error-bad-request",
            (Surface::Api, _) => "api-error-internal",
            (Surface::Page, _) => page_texts(self.status).1,
        };
        language.text(key)
    }
}

/// Who the answer is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Surface {
    Page,
    Api,
}

impl Surface {
    fn of(req: &HttpRequest) -> Self {
        if req.path().starts_with("/api/") {
            Surface::Api
        } else {
            Surface::Page
        }
    }
}

impl AppError {
    pub fn answer(&self) -> Answer {
        let server = |status| Answer::for_status(status);
        match self {
            AppError::Refused(refusal) => match refusal {
                Refusal::NotFound => Answer::plain(StatusCode::NOT_FOUND, "not_found"),
                Refusal::Forbidden => Answer::plain(StatusCode::FORBIDDEN, "forbidden"),
                Refusal::NotAllowed(message) => Answer {
                    message: Some(message.clone()),
                    ..Answer::plain(StatusCode::FORBIDDEN, "not_allowed")
                },
                Refusal::Inapplicable(message) => Answer {
                    message: Some(message.clone()),
                    ..Answer::plain(StatusCode::BAD_REQUEST, "bad_request")
                },
                Refusal::Invalid(fields) => Answer {
                    fields: fields.clone(),
                    ..Answer::plain(StatusCode::UNPROCESSABLE_ENTITY, "invalid")
                },
                Refusal::Conflict { code, message } => Answer {
                    message: Some(message.clone()),
                    ..Answer::plain(StatusCode::CONFLICT, code)
                },
                Refusal::TooMany(message) => Answer {
                    message: Some(message.clone()),
                    ..Answer::plain(StatusCode::TOO_MANY_REQUESTS, "too_many_requests")
                },
                Refusal::Failed(_) => server(StatusCode::INTERNAL_SERVER_ERROR),
                Refusal::Unavailable(_) => server(StatusCode::SERVICE_UNAVAILABLE),
            },
            AppError::Pool(_) => server(StatusCode::SERVICE_UNAVAILABLE),
            AppError::Blocking(_) | AppError::Stopped(_) | AppError::Template(_) => {
                server(StatusCode::INTERNAL_SERVER_ERROR)
            }
            AppError::SignInRequired { .. } | AppError::ProfileRequired { .. } => {
                Answer::plain(StatusCode::SEE_OTHER, "sign_in")
            }
            AppError::Unauthorized => Answer::for_status(StatusCode::UNAUTHORIZED),
            AppError::TooMany { .. } => Answer::for_status(StatusCode::TOO_MANY_REQUESTS),
            AppError::Forbidden | AppError::CsrfRejected(_) => {
                Answer::for_status(StatusCode::FORBIDDEN)
            }
            AppError::NotFound => Answer::for_status(StatusCode::NOT_FOUND),
            AppError::BadRequest => Answer::for_status(StatusCode::BAD_REQUEST),
            AppError::BadInput(message) => Answer {
                message: Some(message.clone()),
                ..Answer::for_status(StatusCode::BAD_REQUEST)
            },
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        self.answer().status
    }

    /// The body is left empty on purpose: [`error_pages`] writes it for the surface and in
    /// the caller's language, from the [`Answer`] kept in the response's extensions.
    fn error_response(&self) -> HttpResponse {
        let redirect = |path: &str, next: &str| {
            let next =
                percent_encoding::utf8_percent_encode(next, percent_encoding::NON_ALPHANUMERIC);
            HttpResponse::SeeOther()
                .insert_header((header::LOCATION, format!("{path}?next={next}")))
                .finish()
        };
        let answer = self.answer();
        match self {
            AppError::SignInRequired { next } => return redirect("/login", next),
            AppError::ProfileRequired { next } => return redirect("/welcome", next),
            _ if answer.status.is_server_error() => {
                tracing::error!(error = %self, "request failed");
            }
            _ => tracing::info!(error = %self, "request refused"),
        }
        let mut response = HttpResponse::new(answer.status);
        if answer.status == StatusCode::SERVICE_UNAVAILABLE {
            // No database: clients and load balancers retry a 503 that says when.
            response.headers_mut().insert(
                header::RETRY_AFTER,
                header::HeaderValue::from_static(UNAVAILABLE_RETRY_SECONDS),
            );
        }
        if let AppError::TooMany {
            retry_after: Some(wait),
        } = self
        {
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            if let Ok(value) = header::HeaderValue::from_str(&seconds.max(1).to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        if let AppError::CsrfRejected(Some(resend)) = self {
            response.extensions_mut().insert(resend.as_ref().clone());
        }
        response.extensions_mut().insert(answer);
        response
    }
}

/// The page's heading and sentence for a status.
fn page_texts(status: StatusCode) -> (&'static str, &'static str) {
    match status.as_u16() {
        404 | 405 => ("error-not-found-title", "error-not-found-text"),
        400 | 413 | 415 | 422 => ("error-bad-request-title", "error-bad-request-text"),
        403 => ("error-forbidden-title", "error-forbidden-text"),
        409 => ("reservation-problem-title", "error-generic-text"),
        429 => ("error-too-many-title", "error-too-many-text"),
        503 => ("error-unavailable-title", "error-unavailable-text"),
        500..=599 => ("error-server-title", "error-server-text"),
        _ => ("error-generic-title", "error-generic-text"),
    }
}

/// `error.html`.
#[derive(Serialize)]
struct ErrorPage<'a> {
    title_key: &'static str,
    text: String,
    /// What each field got wrong, for a form posted from elsewhere.
    field_messages: Vec<String>,
    status: u16,
    request_id: Option<String>,
    /// Where the person came from, when the handler knows it.
    back: Option<&'a str>,
    /// A form refused for its token, to send again.
    resend: Option<ResendForm>,
}

/// A refused form shown again: the fields a person typed, labelled and editable, and the
/// rest (choices, ids) carried along unseen.
#[derive(Serialize)]
struct ResendForm {
    action: String,
    multipart: bool,
    typed: Vec<ResendField>,
    carried: Vec<ResendField>,
}

#[derive(Serialize)]
struct ResendField {
    name: String,
    label: String,
    value: String,
}

impl ResendForm {
    fn of(resend: &Resend, language: Language) -> Self {
        let mut form = Self {
            action: resend.action.clone(),
            multipart: resend.multipart,
            typed: Vec::new(),
            carried: Vec::new(),
        };
        for (name, value) in &resend.fields {
            // A field a person types into has a label in the forms; choices and buttons
            // have none and travel hidden.
            let label = ["item-label-", "form-label-"]
                .iter()
                .find_map(|prefix| language.try_text(&format!("{prefix}{name}")));
            let field = ResendField {
                name: name.clone(),
                label: label.clone().unwrap_or_default(),
                value: value.clone(),
            };
            match label {
                Some(_) if !value.trim().is_empty() => form.typed.push(field),
                _ => form.carried.push(field),
            }
        }
        form
    }
}

/// Unknown paths get the localized "not found" page.
pub async fn not_found(req: HttpRequest, lang: Lang, views: web::Data<Views>) -> HttpResponse {
    explained_page(
        &req,
        lang,
        &views,
        &Answer::for_status(StatusCode::NOT_FOUND),
        None,
    )
}

/// The page that says what went wrong, with a way back to `back`.
pub fn explained_page(
    req: &HttpRequest,
    lang: Lang,
    views: &Views,
    answer: &Answer,
    back: Option<&str>,
) -> HttpResponse {
    error_page(req, lang, views, answer, back, None)
}

fn error_page(
    req: &HttpRequest,
    lang: Lang,
    views: &Views,
    answer: &Answer,
    back: Option<&str>,
    resend: Option<&Resend>,
) -> HttpResponse {
    let language = lang.0;
    let request_id = req.extensions().get::<RequestId>().map(ToString::to_string);
    let (title_key, text) = match resend {
        Some(_) => ("error-resend-title", language.text("error-resend-text")),
        None => (
            page_texts(answer.status).0,
            answer.detail(language, Surface::Page),
        ),
    };
    let view = ErrorPage {
        title_key,
        text,
        field_messages: answer
            .fields
            .iter()
            .map(|field| language.text(field.message_key))
            .collect(),
        status: answer.status.as_u16(),
        request_id,
        back,
        resend: resend.map(|resend| ResendForm::of(resend, language)),
    };
    let body = views.page_context(req, lang).and_then(|mut context| {
        context.extend(tera::Context::from_serialize(&view)?);
        views.render("error.html", &context)
    });
    // The page carries the person's name and form token: no cache may keep it.
    match body {
        Ok(body) => HttpResponse::build(answer.status)
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(body),
        // The error page itself failed: fall back to text rather than hide the original status.
        Err(error) => {
            tracing::error!(%error, "error page could not be rendered");
            HttpResponse::build(answer.status)
                .content_type("text/plain; charset=utf-8")
                .body(answer.status.canonical_reason().unwrap_or("Error"))
        }
    }
}

/// The RFC 9457 problem document for an answer.
pub fn problem_response(req: &HttpRequest, answer: &Answer) -> HttpResponse {
    let language = Lang::of(req).0;
    let problem = Problem {
        kind: "about:blank".to_string(),
        title: answer
            .status
            .canonical_reason()
            .unwrap_or("Error")
            .to_string(),
        status: answer.status.as_u16(),
        code: answer.code.to_string(),
        detail: answer.detail(language, Surface::Api),
        errors: answer
            .fields
            .iter()
            .map(|field| FieldProblem {
                field: field.field.to_string(),
                message: language.text(field.message_key),
            })
            .collect(),
    };
    let mut response = HttpResponse::build(answer.status);
    response
        .content_type("application/problem+json")
        .insert_header((header::CACHE_CONTROL, "no-store"));
    if answer.status == StatusCode::UNAUTHORIZED {
        response.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"bruka\""));
    }
    response.json(problem)
}

/// Gives every error response without a body of its own (extractor failures, [`AppError`],
/// 405s) its body: a localized page, or a problem document under `/api/`. Responses that
/// already carry a content type (JSON, pages) pass.
pub fn error_pages() -> ErrorHandlers<BoxBody> {
    ErrorHandlers::new().default_handler(|res: ServiceResponse<BoxBody>| {
        if res.headers().contains_key(header::CONTENT_TYPE) {
            return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
        }
        let (req, res) = res.into_parts();
        let status = res.status();
        let answer = res
            .extensions()
            .get::<Answer>()
            .cloned()
            .unwrap_or_else(|| {
                // Not an AppError, which logs its own failures: a framework error.
                if status.is_server_error() {
                    tracing::error!(%status, path = req.path(), "request failed");
                }
                Answer::for_status(status)
            });
        let mut response = match Surface::of(&req) {
            Surface::Api => problem_response(&req, &answer),
            Surface::Page => match req.app_data::<web::Data<Views>>() {
                Some(views) => {
                    let resend = res.extensions().get::<Resend>().cloned();
                    error_page(&req, Lang::of(&req), views, &answer, None, resend.as_ref())
                }
                None => {
                    return Ok(ErrorHandlerResponse::Response(
                        ServiceResponse::new(req, res).map_into_left_body(),
                    ));
                }
            },
        };
        for (name, value) in res.headers() {
            if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
                response.headers_mut().insert(name.clone(), value.clone());
            }
        }
        Ok(ErrorHandlerResponse::Response(
            ServiceResponse::new(req, response).map_into_right_body(),
        ))
    })
}
