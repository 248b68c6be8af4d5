//! The shape of API errors: RFC 9457 problem documents (`application/problem+json`). They
//! are written by `web::error`, from the same table as the error pages, with the detail in
//! the caller's language (Accept-Language).

use serde::Serialize;
use utoipa::ToSchema;

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
