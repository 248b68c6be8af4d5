//! The queue over the API: get in line for a fully reserved listing, see one's places,
//! take an offer or leave, with the same rules (and mail) as the web pages.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::caller::ApiCaller;
use super::problem::Problem;
use super::reservations::{NewReservation, ReservationDetail, detail_of};
use crate::app::App;
use crate::app::reservations::{self as reserving, QueueChoice};
use crate::ids::{ItemId, QueueEntryId};
use crate::refusal::Refusal;
use crate::reservations::queue::{Place, QueueStatus};
use crate::web::AppError;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QueuePlace {
    pub id: QueueEntryId,
    pub item_id: ItemId,
    pub item_title: String,
    /// How many the person asked for.
    pub quantity: i32,
    /// `waiting`, or `offered` when units are held for the person until `offer_expires_at`.
    #[schema(value_type = String, example = "waiting")]
    pub status: QueueStatus,
    pub offered_quantity: i32,
    /// Take the offer before this time (UTC).
    pub offer_expires_at: Option<DateTime<Utc>>,
    /// The listing's page, for people.
    pub item_url: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QueuePlaces {
    pub places: Vec<QueuePlace>,
}

fn place_of(place: Place, site: &str) -> QueuePlace {
    QueuePlace {
        item_url: format!("{site}/items/{}", place.item_id),
        id: place.id,
        item_id: place.item_id,
        item_title: place.item_title,
        quantity: place.quantity,
        status: place.status,
        offered_quantity: place.offered_quantity,
        offer_expires_at: place.offer_expires_at.map(|at| at.and_utc()),
    }
}

/// Get in line for a listing whose every unit is held. When units come back, the first in
/// line is offered them by mail and has a time limit to take them.
#[utoipa::path(
    post,
    path = "/api/v1/items/{id}/queue",
    operation_id = "join_queue",
    tag = "queue",
    params(("id" = i64, Path, description = "Listing id")),
    request_body = NewReservation,
    responses(
        (status = 201, description = "In line", body = QueuePlace),
        (status = 400, description = "The body is not JSON of this shape", body = Problem),
        (status = 401, description = "No valid token", body = Problem),
        (status = 404, description = "No such listing for this person", body = Problem),
        (status = 409, description = "Units are available (reserve them), already in line, or the listing is gone", body = Problem),
        (status = 422, description = "A field is wrong, or it is the caller's own listing", body = Problem),
    ),
    security(("token" = []))
)]
#[post("/items/{id}/queue")]
pub async fn join(
    caller: ApiCaller,
    path: web::Path<ItemId>,
    body: web::Json<NewReservation>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let request = body
        .request()
        .map_err(|errors| AppError::Refused(Refusal::Invalid(errors)))?;
    let place = reserving::join_queue(&app, caller.viewer, path.into_inner(), request).await?;
    Ok(HttpResponse::build(StatusCode::CREATED)
        .insert_header((header::LOCATION, "/api/v1/queue"))
        .json(place_of(place, &app.site.0)))
}

/// The caller's open places in line, offers first.
#[utoipa::path(
    get,
    path = "/api/v1/queue",
    operation_id = "list_queue_places",
    tag = "queue",
    responses(
        (status = 200, description = "Open places in line", body = QueuePlaces),
        (status = 401, description = "No valid token", body = Problem),
    ),
    security(("token" = []))
)]
#[get("/queue")]
pub async fn list(caller: ApiCaller, app: web::Data<App>) -> Result<HttpResponse, AppError> {
    let places = reserving::places(&app, caller.viewer).await?;
    let site = &app.site.0;
    let places = places
        .into_iter()
        .map(|place| place_of(place, site))
        .collect();
    Ok(HttpResponse::Ok().json(QueuePlaces { places }))
}

/// Take the units offered: they become a reservation with the usual pickup time.
#[utoipa::path(
    post,
    path = "/api/v1/queue/{id}/accept",
    operation_id = "accept_queue_offer",
    tag = "queue",
    params(("id" = i64, Path, description = "Place in line")),
    responses(
        (status = 201, description = "Reserved", body = ReservationDetail,
            headers(("Location" = String, description = "The new reservation"))),
        (status = 401, description = "No valid token", body = Problem),
        (status = 404, description = "No such place in line for this person", body = Problem),
        (status = 409, description = "No offer open: not yet offered, taken, left or lapsed", body = Problem),
    ),
    security(("token" = []))
)]
#[post("/queue/{id}/accept")]
pub async fn accept(
    caller: ApiCaller,
    path: web::Path<QueueEntryId>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let choice = QueueChoice::Accept;
    let details = reserving::answer_queue(&app, caller.viewer, path.into_inner(), choice)
        .await?
        .ok_or(AppError::NotFound)?;
    let location = format!("/api/v1/reservations/{}", details.reservation.id);
    Ok(HttpResponse::build(StatusCode::CREATED)
        .insert_header((header::LOCATION, location))
        .json(detail_of(details, &app.site.0)))
}

/// Leave the line, or turn an offer down: offered units go to the next in line.
#[utoipa::path(
    post,
    path = "/api/v1/queue/{id}/leave",
    operation_id = "leave_queue",
    tag = "queue",
    params(("id" = i64, Path, description = "Place in line")),
    responses(
        (status = 204, description = "Out of line"),
        (status = 401, description = "No valid token", body = Problem),
        (status = 404, description = "No such place in line for this person", body = Problem),
        (status = 409, description = "Already out of line", body = Problem),
    ),
    security(("token" = []))
)]
#[post("/queue/{id}/leave")]
pub async fn leave(
    caller: ApiCaller,
    path: web::Path<QueueEntryId>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let choice = QueueChoice::Leave;
    reserving::answer_queue(&app, caller.viewer, path.into_inner(), choice).await?;
    Ok(HttpResponse::NoContent().finish())
}
