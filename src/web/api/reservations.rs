//! Reservations over the API: reserve, see one's own, confirm a pickup (all or part),
//! ask for more time and set a new deadline, with the same rules (and mail) as the web
//! pages.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::caller::ApiCaller;
use super::problem::Problem;
use crate::app::App;
use crate::app::reservations::{self as reserving, Step};
use crate::i18n::local_day_end;
use crate::ids::{ItemId, ReservationId, UnitId};
use crate::items::FieldError;
use crate::ledger::savings::WouldBuyNew;
use crate::refusal::Refusal;
use crate::reservations::{self, ListOf, Pickup, ReservationStatus, ReserveRequest, Rest};
use crate::web::AppError;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiReservation {
    pub id: ReservationId,
    pub item_id: ItemId,
    pub item_title: String,
    pub quantity: i32,
    pub status: ReservationStatus,
    /// Pick up before this time: RFC 3339 in UTC (the end of a Swedish day).
    pub pickup_deadline: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
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
    /// The later deadline the requester asked for, until the lister sets one (UTC).
    pub wanted_deadline: Option<DateTime<Utc>>,
    /// After a partial pickup whose rest stayed held: the reservation that was picked up.
    pub continues_id: Option<ReservationId>,
}

pub(super) fn detail_of(details: reservations::Details, site: &str) -> ReservationDetail {
    ReservationDetail {
        reservation: ApiReservation {
            id: details.reservation.id,
            item_id: details.item.id,
            item_title: details.item.fields.title.clone(),
            quantity: details.reservation.quantity,
            status: details.reservation.status,
            pickup_deadline: details.reservation.pickup_deadline.and_utc(),
            created_at: details.reservation.created_at.and_utc(),
            url: format!("{site}/reservations/{}", details.reservation.id),
        },
        receiving_unit: details.receiving_unit,
        site: details.item.fields.site,
        room: details.item.fields.room,
        pickup_instructions: details.item.fields.pickup_instructions,
        lister_name: details.lister.name,
        lister_email: details.lister.email,
        wanted_deadline: details.reservation.wanted_deadline.map(|at| at.and_utc()),
        continues_id: details.reservation.continues_id,
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
            pickup_deadline: summary.pickup_deadline.and_utc(),
            created_at: summary.created_at.and_utc(),
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
    /// Opens (or continues) the thread with the lister.
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub message: String,
    /// Would the unit otherwise buy this new: `yes`, `unsure` or `no`.
    #[schema(pattern = "^(yes|unsure|no)$", example = "yes")]
    pub would_buy_new: String,
}

impl NewReservation {
    pub(super) fn request(&self) -> Result<ReserveRequest, Vec<FieldError>> {
        let mut errors = Vec::new();
        let quantity = i32::try_from(self.quantity).unwrap_or(0);
        let answer = WouldBuyNew::parse(self.would_buy_new.trim()).unwrap_or_else(|| {
            errors.push(FieldError::new("would_buy_new", "reserve-error-answer"));
            WouldBuyNew::Unsure
        });
        let request = ReserveRequest {
            delivery: None,
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

/// Takes a step on a reservation and answers with how it stands afterwards.
async fn answer_step(
    app: &App,
    caller: ApiCaller,
    id: ReservationId,
    step: Step,
) -> Result<HttpResponse, AppError> {
    let details = reserving::take_step(app, caller.viewer, id, step).await?;
    Ok(HttpResponse::Ok().json(detail_of(details, &app.site.0)))
}

/// What was picked up, when it was not everything held.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PickupReport {
    /// How many were picked up; all that is held when left out.
    #[schema(minimum = 1, maximum = 10000, example = 4)]
    pub quantity: Option<i64>,
    /// The lister's choice for the rest of a partial pickup: `back` to the listing (and its
    /// queue) or `held` for the requester. The requester's rest always stays held.
    #[schema(pattern = "^(back|held)$", example = "back")]
    pub rest: Option<String>,
}

impl PickupReport {
    fn pickup(&self) -> Result<Pickup, Vec<FieldError>> {
        let mut errors = Vec::new();
        let quantity = self.quantity.map(|quantity| {
            i32::try_from(quantity).unwrap_or_else(|_| {
                errors.push(FieldError::new("quantity", "pickup-error-quantity"));
                0
            })
        });
        let rest = self.rest.as_deref().and_then(|raw| {
            let rest = Rest::parse(raw.trim());
            if rest.is_none() {
                errors.push(FieldError::new("rest", "pickup-error-rest"));
            }
            rest
        });
        if errors.is_empty() {
            Ok(Pickup { quantity, rest })
        } else {
            Err(errors)
        }
    }
}

/// Confirm that a reservation was picked up (either side may), all of it or, with a body,
/// a part. Records the saving for what was picked up.
#[utoipa::path(
    post,
    path = "/api/v1/reservations/{id}/picked-up",
    operation_id = "confirm_pickup",
    tag = "reservations",
    params(("id" = i64, Path, description = "Reservation id")),
    request_body(content = Option<PickupReport>, description = "Leave out to confirm everything held"),
    responses(
        (status = 200, description = "Picked up; the saving is in the ledger. After a partial pickup whose rest stays held, the reservation holding the rest", body = ReservationDetail),
        (status = 400, description = "The body is not JSON of this shape", body = Problem),
        (status = 401, description = "No valid token", body = Problem),
        (status = 404, description = "No such reservation for this person", body = Problem),
        (status = 409, description = "Already closed", body = Problem),
        (status = 422, description = "More than is held, or no choice for the rest", body = Problem),
    ),
    security(("token" = []))
)]
#[post("/reservations/{id}/picked-up")]
pub async fn picked_up(
    caller: ApiCaller,
    path: web::Path<ReservationId>,
    body: web::Bytes,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let report: PickupReport = if body.iter().all(u8::is_ascii_whitespace) {
        PickupReport::default()
    } else {
        serde_json::from_slice(&body).map_err(|error| super::unreadable(error.to_string()))?
    };
    let pickup = report
        .pickup()
        .map_err(|errors| AppError::Refused(Refusal::Invalid(errors)))?;
    answer_step(&app, caller, path.into_inner(), Step::PickedUp(pickup)).await
}

/// A day for the pickup deadline; it lasts to the end of that day, Swedish time.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDeadline {
    #[schema(value_type = String, format = Date, example = "2026-12-18")]
    pub deadline: NaiveDate,
}

impl NewDeadline {
    fn end(&self) -> Result<NaiveDateTime, AppError> {
        local_day_end(self.deadline).ok_or_else(|| {
            AppError::Refused(Refusal::Invalid(vec![FieldError::new(
                "deadline",
                "deadline-error-date",
            )]))
        })
    }
}

/// The requester asks the lister for a later pickup deadline; the lister is mailed.
#[utoipa::path(
    post,
    path = "/api/v1/reservations/{id}/more-time",
    operation_id = "ask_for_more_time",
    tag = "reservations",
    params(("id" = i64, Path, description = "Reservation id")),
    request_body = NewDeadline,
    responses(
        (status = 200, description = "Asked; `wanted_deadline` shows the day", body = ReservationDetail),
        (status = 400, description = "The body is not JSON of this shape", body = Problem),
        (status = 401, description = "No valid token", body = Problem),
        (status = 403, description = "Only the requester asks", body = Problem),
        (status = 404, description = "No such reservation for this person", body = Problem),
        (status = 409, description = "Already closed", body = Problem),
        (status = 422, description = "Not later than the deadline, in the past or too far ahead", body = Problem),
    ),
    security(("token" = []))
)]
#[post("/reservations/{id}/more-time")]
pub async fn more_time(
    caller: ApiCaller,
    path: web::Path<ReservationId>,
    body: web::Json<NewDeadline>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    answer_step(
        &app,
        caller,
        path.into_inner(),
        Step::AskForTime(body.end()?),
    )
    .await
}

/// The lister sets a new pickup deadline; the requester is mailed.
#[utoipa::path(
    post,
    path = "/api/v1/reservations/{id}/deadline",
    operation_id = "set_deadline",
    tag = "reservations",
    params(("id" = i64, Path, description = "Reservation id")),
    request_body = NewDeadline,
    responses(
        (status = 200, description = "The new deadline is set", body = ReservationDetail),
        (status = 400, description = "The body is not JSON of this shape", body = Problem),
        (status = 401, description = "No valid token", body = Problem),
        (status = 403, description = "Only the lister (or the lister's unit) sets it", body = Problem),
        (status = 404, description = "No such reservation for this person", body = Problem),
        (status = 409, description = "Already closed", body = Problem),
        (status = 422, description = "Not later than the deadline, in the past or too far ahead", body = Problem),
    ),
    security(("token" = []))
)]
#[post("/reservations/{id}/deadline")]
pub async fn deadline(
    caller: ApiCaller,
    path: web::Path<ReservationId>,
    body: web::Json<NewDeadline>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    answer_step(
        &app,
        caller,
        path.into_inner(),
        Step::SetDeadline(body.end()?),
    )
    .await
}
