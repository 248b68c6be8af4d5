//! Purchases reported by integrations, and the receipts of their reuse checks.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, get, post, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::ApiCaller;
use super::Problem;
use super::items::ReceiptJson;
use crate::app::App;
use crate::purchases::{NewPurchase, ReceiptClaims, RecordedPurchase};
use crate::web::AppError;

/// Record a purchase (after a reuse check or without one). Listings available in its
/// category at the check (or now, without a receipt) make it a missed reuse in the
/// statistics.
#[utoipa::path(
    post,
    path = "/api/v1/purchases",
    operation_id = "record_purchase",
    tag = "purchases",
    request_body = NewPurchase,
    responses(
        (status = 201, description = "Recorded", body = RecordedPurchase),
        (status = 400, description = "The body is not JSON of this shape", body = Problem),
        (status = 401, description = "No valid token", body = Problem),
        (status = 422, description = "A field is wrong, or the receipt is unknown", body = Problem),
    ),
    security(("token" = []))
)]
#[post("/purchases")]
pub async fn record(
    caller: ApiCaller,
    body: web::Json<NewPurchase>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let recorded = crate::app::purchases::record(&app, caller.viewer, body.into_inner()).await?;
    Ok(HttpResponse::build(StatusCode::CREATED)
        .insert_header((
            header::LOCATION,
            format!("/api/v1/purchases/{}", recorded.id),
        ))
        .json(recorded))
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CheckedReceipt {
    pub receipt: ReceiptJson,
    /// The signature is this installation's and covers exactly what is stored.
    pub signature_valid: bool,
}

/// One of the organisation's receipts, with its signature checked.
#[utoipa::path(
    get,
    path = "/api/v1/receipts/{id}",
    operation_id = "get_receipt",
    tag = "purchases",
    params(("id" = String, Path, description = "The receipt id (`rcpt_…`)")),
    responses(
        (status = 200, description = "The receipt", body = CheckedReceipt),
        (status = 401, description = "No valid token", body = Problem),
        (status = 404, description = "No such receipt in this organisation", body = Problem),
    ),
    security(("token" = []))
)]
#[get("/receipts/{id}")]
pub async fn receipt(
    caller: ApiCaller,
    path: web::Path<String>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let organisation_id = caller.viewer.organisation_id;
    let id = path.into_inner();
    let found = app
        .read(move |conn| crate::purchases::find_receipt(conn, organisation_id, &id))
        .await?
        .ok_or(AppError::NotFound)?;
    let (_, receipt) = found;
    let signed: Option<ReceiptClaims> = app.sign_in.keys.read_signed(&receipt.signature).ok();
    let signature_valid = signed.is_some_and(|claims| {
        claims.sub == receipt.receipt_id
            && claims.org == organisation_id
            && claims.iat == receipt.checked_at.and_utc().timestamp()
            && claims.category == receipt.category
            && claims.query == receipt.query
            && claims.count == receipt.count
            && claims.matches == receipt.matches.iter().map(|m| m.id).collect::<Vec<_>>()
    });
    Ok(HttpResponse::Ok().json(CheckedReceipt {
        receipt: (&receipt).into(),
        signature_valid,
    }))
}
