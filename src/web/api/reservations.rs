//! Reservations over the API: reserve, see one's own, and confirm a pickup, with the same
//! rules (and mail) as the web pages.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, get, post, web};
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::caller::ApiCaller;
use super::problem::Problem;
use crate::app::App;
use crate::app::reservations::{self as reserving, Step};
use crate::ids::{ItemId, ReservationId, UnitId};
use crate::items::FieldError;
use crate::ledger::savings::WouldBuyNew;
use crate::refusal::Refusal;
use crate::reservations::{self, ListOf, ReservationStatus, ReserveRequest};
use crate::web::AppError;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiReservation {
    pub id: ReservationId,
    pub item_id: ItemId,
    pub item_title: String,
    pub quantity: i32,
    pub status: ReservationStatus,
    /// Pick up before this time (UTC).
    pub pickup_deadline: NaiveDateTime,
    pub created_at: NaiveDateTime,
    /// The reservation's page, with pickup details, for people.
    pub url: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReservationList {
    pub reservations: Vec<ApiReservation>,
}

/// What a reservation answers with: the reservation and where to pick it up.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReservationDetail {
    #[serde(flatten)]
    pub reservation: ApiReservation,
    pub receiving_unit: Option<String>,
    pub site: String,
    pub room: String,
    pub pickup_instructions: String,
    pub lister_name: Option<String>,
    pub lister_email: String,
}

fn detail_of(details: reservations::Details, site: &str) -> ReservationDetail {
    ReservationDetail {
        reservation: ApiReservation {
            id: details.reservation.id,
            item_id: details.item.id,
            item_title: details.item.fields.title.clone(),
            quantity: details.reservation.quantity,
            status: details.reservation.status,
            pickup_deadline: details.reservation.pickup_deadline,
            created_at: details.reservation.created_at,
            url: format!("{site}/reservations/{}", details.reservation.id),
        },
        receiving_unit: details.receiving_unit,
        site: details.item.fields.site,
        room: details.item.fields.room,
        pickup_instructions: details.item.fields.pickup_instructions,
        lister_name: details.lister.name,
        lister_email: details.lister.email,
    }
}

/// The token owner's own reservations, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/reservations",
    operation_id = "list_reservations",
    tag = "reservations",
    responses(
        (status = 200, description = "Reservations made by the token's owner", body = ReservationList),
        (status = 401, description = "No valid token", body = Problem),
    ),
    security(("token" = []))
)]
#[get("/reservations")]
pub async fn list(caller: ApiCaller, app: web::Data<App>) -> Result<HttpResponse, AppError> {
    let user_id = caller.user.id;
    let found = app
        .read(move |conn| reservations::list(conn, ListOf::MadeBy(user_id)))
        .await?;
    let site = &app.site;
    let reservations = found
        .into_iter()
        .map(|summary| ApiReservation {
            url: format!("{}/reservations/{}", site.0, summary.id),
            id: summary.id,
            item_id: summary.item_id,
            item_title: summary.item_title,
            quantity: summary.quantity,
            status: summary.status,
            pickup_deadline: summary.pickup_deadline,
            created_at: summary.created_at,
        })
        .collect();
    Ok(HttpResponse::Ok().json(ReservationList { reservations }))
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewReservation {
    #[schema(minimum = 1, maximum = 10000, example = 1)]
    pub quantity: i64,
    /// A unit of the caller's organisation; the caller's own unit when left out.
    pub receiving_unit_id: Option<UnitId>,
    #[serde(default)]
    pub message: String,
    /// Would the unit otherwise buy this new: `yes`, `unsure` or `no`.
    #[schema(pattern = "^(yes|unsure|no)$", example = "yes")]
    pub would_buy_new: String,
}

impl NewReservation {
    fn request(&self) -> Result<ReserveRequest, Vec<FieldError>> {
        let mut errors = Vec::new();
        let quantity = i32::try_from(self.quantity).unwrap_or(0);
        let answer = WouldBuyNew::parse(self.would_buy_new.trim()).unwrap_or_else(|| {
            errors.push(FieldError::new("would_buy_new", "reserve-error-answer"));
            WouldBuyNew::Unsure
        });
        let request = ReserveRequest {
            quantity,
            receiving_unit_id: self.receiving_unit_id,
            message: self.message.clone(),
            answer,
        };
        errors.extend(request.validate());
        if errors.is_empty() {
            Ok(request)
        } else {
            Err(errors)
        }
    }
}

/// Reserve some of a listing. The quantity is held at once; the lister is mailed.
#[utoipa::path(
    post,
    path = "/api/v1/items/{id}/reservations",
    operation_id = "create_reservation",
    tag = "reservations",
    params(("id" = i64, Path, description = "Listing id")),
    request_body = NewReservation,
    responses(
        (status = 201, description = "Reserved", body = ReservationDetail,
            headers(("Location" = String, description = "The new reservation"))),
        (status = 400, description = "The body is not JSON of this shape", body = Problem),
        (status = 401, description = "No valid token", body = Problem),
        (status = 404, description = "No such listing for this person", body = Problem),
        (status = 409, description = "Not that many left, or not available", body = Problem),
        (status = 422, description = "A field is wrong", body = Problem),
    ),
    security(("token" = []))
)]
#[post("/items/{id}/reservations")]
pub async fn create(
    caller: ApiCaller,
    path: web::Path<ItemId>,
    body: web::Json<NewReservation>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let request = body
        .request()
        .map_err(|errors| AppError::Refused(Refusal::Invalid(errors)))?;
    let details = reserving::reserve(&app, caller.viewer, path.into_inner(), request).await?;
    let location = format!("/api/v1/reservations/{}", details.reservation.id);
    Ok(HttpResponse::build(StatusCode::CREATED)
        .insert_header((header::LOCATION, location))
        .json(detail_of(details, &app.site.0)))
}

/// One reservation the caller made, or of a listing the caller may manage.
#[utoipa::path(
    get,
    path = "/api/v1/reservations/{id}",
    operation_id = "get_reservation",
    tag = "reservations",
    params(("id" = i64, Path, description = "Reservation id")),
    responses(
        (status = 200, description = "The reservation with pickup details", body = ReservationDetail),
        (status = 401, description = "No valid token", body = Problem),
        (status = 404, description = "No such reservation for this person", body = Problem),
    ),
    security(("token" = []))
)]
#[get("/reservations/{id}")]
pub async fn get_one(
    caller: ApiCaller,
    path: web::Path<ReservationId>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let details = reserving::details(&app, caller.viewer, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(detail_of(details, &app.site.0)))
}

/// Confirm that a reservation was picked up (either side may). Records the saving.
#[utoipa::path(
    post,
    path = "/api/v1/reservations/{id}/picked-up",
    operation_id = "confirm_pickup",
    tag = "reservations",
    params(("id" = i64, Path, description = "Reservation id")),
    responses(
        (status = 200, description = "Picked up; the saving is in the ledger", body = ReservationDetail),
        (status = 401, description = "No valid token", body = Problem),
        (status = 404, description = "No such reservation for this person", body = Problem),
        (status = 409, description = "Already closed", body = Problem),
    ),
    security(("token" = []))
)]
#[post("/reservations/{id}/picked-up")]
pub async fn picked_up(
    caller: ApiCaller,
    path: web::Path<ReservationId>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let step = Step::PickedUp(Default::default());
    let details = reserving::take_step(&app, caller.viewer, path.into_inner(), step).await?;
    Ok(HttpResponse::Ok().json(detail_of(details, &app.site.0)))
}
