//! API errors as RFC 9457 problem documents (`application/problem+json`), with the detail in
//! the caller's language (Accept-Language).

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::i18n::Language;
use crate::items::FieldError;
use crate::web::AppError;

/// One field that could not be used.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

/// What went wrong. `code` is stable for programs; `detail` is for people.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub code: String,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
}

#[derive(Debug, thiserror::Error)]
#[error("{} {}", .0.status, .0.code)]
pub struct ApiError(pub Box<Problem>, Option<std::time::Duration>);

impl ApiError {
    pub fn new(language: Language, status: StatusCode, code: &str, message_key: &str) -> Self {
        Self::with_detail(status, code, language.text(message_key))
    }

    pub fn with_detail(status: StatusCode, code: &str, detail: String) -> Self {
        Self(
            Box::new(Problem {
                kind: "about:blank".to_string(),
                title: status.canonical_reason().unwrap_or("Error").to_string(),
                status: status.as_u16(),
                code: code.to_string(),
                detail,
                errors: Vec::new(),
            }),
            None,
        )
    }

    /// Over the rate limit; `wait` is how long until the next request is allowed.
    pub fn too_many(language: Language, wait: std::time::Duration) -> Self {
        let mut error = Self::new(
            language,
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            "api-error-too-many",
        );
        error.1 = Some(wait);
        error
    }

    pub fn unauthorized(language: Language) -> Self {
        Self::new(
            language,
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "api-error-unauthorized",
        )
    }

    pub fn forbidden(language: Language) -> Self {
        Self::new(
            language,
            StatusCode::FORBIDDEN,
            "forbidden",
            "api-error-forbidden",
        )
    }

    pub fn not_found(language: Language) -> Self {
        Self::new(
            language,
            StatusCode::NOT_FOUND,
            "not_found",
            "api-error-not-found",
        )
    }

    pub fn bad_request(detail: String) -> Self {
        Self::with_detail(StatusCode::BAD_REQUEST, "bad_request", detail)
    }

    /// Form-style errors: each field with its message.
    pub fn invalid(language: Language, errors: &[FieldError]) -> Self {
        let mut error = Self::new(
            language,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "api-error-invalid",
        );
        error.0.errors = errors
            .iter()
            .map(|e| FieldProblem {
                field: e.field.to_string(),
                message: language.text(e.message_key),
            })
            .collect();
        error
    }
}

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        let language = Language::DEFAULT;
        match error {
            AppError::NotFound => Self::not_found(language),
            AppError::Forbidden => Self::forbidden(language),
            AppError::BadRequest => Self::bad_request(language.text("api-error-bad-request")),
            AppError::SignInRequired { .. } | AppError::ProfileRequired { .. } => {
                Self::unauthorized(language)
            }
            other => {
                tracing::error!(error = %other, "API request failed");
                let status = other.status_code();
                let status = if status.is_server_error() {
                    status
                } else {
                    StatusCode::INTERNAL_SERVER_ERROR
                };
                Self::new(language, status, "internal", "api-error-internal")
            }
        }
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(error: diesel::result::Error) -> Self {
        AppError::from(error).into()
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        response.content_type("application/problem+json");
        if self.0.status == 401 {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"bruka\""));
        }
        if let Some(wait) = self.1 {
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            response.insert_header((header::RETRY_AFTER, seconds.max(1).to_string()));
        }
        response.json(self.0.as_ref())
    }
}
