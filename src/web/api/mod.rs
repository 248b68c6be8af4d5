//! The JSON API under `/api/v1`, for integrations: listings, reservations, the queue,
//! statistics and "reuse before you buy". Callers present a personal token; errors are
//! problem documents.
//! The OpenAPI document at `/api/openapi.json` is generated from these handlers.

mod caller;
pub mod idempotency;
mod items;
pub(crate) mod problem;
mod purchases;
mod queue;
mod reservations;
mod stats;

pub use caller::ApiCaller;
pub use problem::Problem;

use actix_web::{HttpResponse, get, web};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::AppError;
use crate::refusal::{Arg, Message};

/// JSON bodies larger than this are refused (a listing is a few kilobytes).
const MAX_JSON_BYTES: usize = 64 * 1024;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Bruka API",
        description = "Internal reuse marketplace: listings, reservations, savings statistics and \"reuse before you buy\". Authenticate with a personal token (created on the profile page) as `Authorization: Bearer bruka_…`. Errors are RFC 9457 problem documents in the language of Accept-Language (sv, nb, en).",
        license(name = "AGPL-3.0-or-later")
    ),
    paths(
        items::list,
        items::get_one,
        items::create,
        items::reuse_before_you_buy,
        reservations::list,
        reservations::create,
        reservations::get_one,
        reservations::picked_up,
        reservations::more_time,
        reservations::deadline,
        queue::join,
        queue::list,
        queue::accept,
        queue::leave,
        stats::get_stats,
        purchases::record,
        purchases::receipt,
    ),
    modifiers(&TokenAuth, &ProblemsAndRetries),
    tags(
        (name = "items", description = "Listings"),
        (name = "reservations", description = "Reserving and picking up"),
        (name = "queue", description = "Waiting in line for a fully reserved listing"),
        (name = "stats", description = "Savings statistics"),
        (name = "purchases", description = "Purchases after (or without) a reuse check, and the checks' receipts"),
    )
)]
pub struct ApiDoc;

struct TokenAuth;

impl Modify for TokenAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// What every operation shares, written once rather than in each path: errors are
/// `application/problem+json`, and every POST takes an `Idempotency-Key`.
struct ProblemsAndRetries;

impl Modify for ProblemsAndRetries {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
        use utoipa::openapi::{ObjectBuilder, RefOr, Required, Type};
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.delete,
                &mut item.patch,
            ];
            for (n, operation) in operations.into_iter().enumerate() {
                let Some(operation) = operation else {
                    continue;
                };
                for (status, response) in operation.responses.responses.iter_mut() {
                    let RefOr::T(response) = response else {
                        continue;
                    };
                    let is_error = status.starts_with('4') || status.starts_with('5');
                    if is_error
                        && let Some(content) = response.content.shift_remove("application/json")
                    {
                        response
                            .content
                            .insert("application/problem+json".to_string(), content);
                    }
                }
                // The second is `post`.
                if n == 1 {
                    let key = ParameterBuilder::new()
                        .name(idempotency::HEADER)
                        .parameter_in(ParameterIn::Header)
                        .required(Required::False)
                        .description(Some(
                            "Any string of 1–255 characters, e.g. a UUID. A retry with the same key and request gets the first answer (marked `Idempotent-Replayed: true`) and does nothing twice; kept 24 hours.",
                        ))
                        .schema(Some(
                            ObjectBuilder::new()
                                .schema_type(Type::String)
                                .min_length(Some(1))
                                .max_length(Some(255)),
                        ))
                        .build();
                    operation
                        .parameters
                        .get_or_insert_with(Vec::new)
                        .push(RefOr::T(key));
                }
            }
        }
    }
}

#[get("/api/openapi.json")]
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}

/// A body, query or path that cannot be read as what the endpoint takes.
fn unreadable(detail: String) -> AppError {
    AppError::BadInput(Message::new("api-error-malformed").with("detail", Arg::Text(detail)))
}

fn malformed(detail: String) -> actix_web::Error {
    unreadable(detail).into()
}

async fn no_such_endpoint() -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound)
}

/// The `/api/v1` scope: its handlers, and problem documents for bodies, queries and paths
/// that cannot be read, and for unknown endpoints.
pub fn scope() -> actix_web::Scope {
    web::scope("/api/v1")
        .app_data(
            web::JsonConfig::default()
                .limit(MAX_JSON_BYTES)
                .error_handler(|error, _| malformed(error.to_string())),
        )
        .app_data(
            web::QueryConfig::default().error_handler(|error, _| malformed(error.to_string())),
        )
        .app_data(web::PathConfig::default().error_handler(|_, _| AppError::NotFound.into()))
        .service(items::list)
        .service(items::reuse_before_you_buy)
        .service(purchases::record)
        .service(purchases::receipt)
        .service(items::get_one)
        .service(items::create)
        .service(reservations::list)
        .service(reservations::create)
        .service(reservations::get_one)
        .service(reservations::picked_up)
        .service(reservations::more_time)
        .service(reservations::deadline)
        .service(queue::join)
        .service(queue::list)
        .service(queue::accept)
        .service(queue::leave)
        .service(stats::get_stats)
        .default_service(web::to(no_such_endpoint))
}
