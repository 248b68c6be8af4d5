//! Delivery runs: the store plans a day's run and puts the wished deliveries on it; the
//! driver's phone shows the run, marks it loaded and confirms each stop at the door; the
//! picking list prints each item with its photo and a QR code to its page.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::auth::CurrentUser;
use super::csrf::{CsrfForm, NoFields};
use super::print::qr_svg;
use super::{AppError, Page, see_other};
use crate::app::deliveries as delivery_use;
use crate::app::{App, Failure};
use crate::deliveries::{DeliveryError, Run, RunPlan, Stop, vehicles};
use crate::i18n::{Language, local_date};
use crate::i18n::{format_decimal, parse_decimal};
use crate::ids::{DeliveryId, RunId, UnitId};
use crate::refusal::FieldError;

#[derive(Deserialize)]
pub struct RunForm {
    #[serde(default)]
    run_on: String,
    #[serde(default)]
    vehicle: String,
    #[serde(default)]
    distance_km: String,
    #[serde(default)]
    note: String,
}

impl RunForm {
    fn plan(self) -> Result<RunPlan, DeliveryError> {
        let mut errors = Vec::new();
        let run_on =
            NaiveDate::parse_from_str(self.run_on.trim(), "%Y-%m-%d").unwrap_or_else(|_| {
                errors.push(FieldError::new("run_on", "delivery-error-date"));
                NaiveDate::MIN
            });
        let distance_km = match parse_decimal(&self.distance_km) {
            None => None,
            Some(Ok(km)) if km.is_finite() => Some(km),
            Some(_) => {
                errors.push(FieldError::new("distance_km", "delivery-error-distance"));
                None
            }
        };
        let vehicle = Some(self.vehicle.trim().to_string()).filter(|v| !v.is_empty());
        if errors.is_empty() {
            Ok(RunPlan {
                run_on,
                vehicle,
                distance_km,
                note: self.note,
            })
        } else {
            Err(DeliveryError::Invalid(errors))
        }
    }
}

#[post("/stores/{id}/runs")]
pub async fn plan_run(
    page: Page,
    user: CurrentUser,
    path: web::Path<UnitId>,
    form: CsrfForm<RunForm>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let store = path.into_inner();
    let outcome = match form.0.plan() {
        Ok(plan) => delivery_use::plan_run(&app, user.0.viewer, store, plan).await,
        Err(error) => Err(Failure::Refused(error)),
    };
    match outcome {
        Ok(run) => Ok(see_other(&format!(
            "/stores/{store}/deliveries?done=run-planned#run-{run}"
        ))),
        Err(failure) => page.explain(failure.into(), &format!("/stores/{store}/deliveries")),
    }
}

#[post("/runs/{id}")]
pub async fn change_run(
    page: Page,
    user: CurrentUser,
    path: web::Path<RunId>,
    form: CsrfForm<RunForm>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let run = path.into_inner();
    let outcome = match form.0.plan() {
        Ok(plan) => delivery_use::change_run(&app, user.0.viewer, run, plan).await,
        Err(error) => Err(Failure::Refused(error)),
    };
    match outcome {
        Ok(()) => Ok(see_other(&format!("/runs/{run}?done=changed"))),
        Err(failure) => page.explain(failure.into(), &format!("/runs/{run}")),
    }
}

#[derive(Deserialize)]
pub struct PlanForm {
    #[serde(default)]
    run: String,
}

#[post("/deliveries/{id}/plan")]
pub async fn put_on_run(
    page: Page,
    user: CurrentUser,
    path: web::Path<DeliveryId>,
    form: CsrfForm<PlanForm>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let delivery = path.into_inner();
    let back = user.0.user.unit_id.map_or("/my".to_string(), |unit| {
        format!("/stores/{unit}/deliveries")
    });
    let outcome = match form.0.run.trim().parse::<i64>() {
        Ok(run) => delivery_use::put_on_run(&app, user.0.viewer, delivery, RunId(run)).await,
        Err(_) => Err(Failure::Refused(DeliveryError::Invalid(vec![
            FieldError::new("run", "delivery-error-choose-run"),
        ]))),
    };
    match outcome {
        Ok(()) => Ok(see_other(&format!(
            "{back}?done=planned#delivery-{delivery}"
        ))),
        Err(failure) => page.explain(failure.into(), &back),
    }
}

#[post("/runs/{id}/load")]
pub async fn load(
    page: Page,
    user: CurrentUser,
    path: web::Path<RunId>,
    _form: CsrfForm<NoFields>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let run = path.into_inner();
    match delivery_use::load(&app, user.0.viewer, run).await {
        Ok(()) => Ok(see_other(&format!("/runs/{run}?done=loaded"))),
        Err(failure) => page.explain(failure.into(), &format!("/runs/{run}")),
    }
}

#[derive(Deserialize)]
pub struct DeliverForm {
    #[serde(default)]
    received_by: String,
}

#[post("/deliveries/{id}/deliver")]
pub async fn deliver(
    page: Page,
    user: CurrentUser,
    path: web::Path<DeliveryId>,
    form: CsrfForm<DeliverForm>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let delivery = path.into_inner();
    match delivery_use::deliver(&app, user.0.viewer, delivery, form.0.received_by).await {
        Ok((Some(run), _)) => Ok(see_other(&format!(
            "/runs/{run}?done=delivered#stop-{delivery}"
        ))),
        Ok((None, _)) => Ok(see_other("/my")),
        Err(failure) => page.explain(failure.into(), "/my"),
    }
}

#[derive(Serialize)]
struct VehicleView {
    key: &'static str,
    factor: String,
}

fn vehicle_views(language: Language) -> Vec<VehicleView> {
    vehicles::VEHICLES
        .iter()
        .map(|v| VehicleView {
            key: v.key,
            factor: format_decimal(language, v.kg_co2e_per_km, 3),
        })
        .collect()
}

#[derive(Serialize)]
struct RunView {
    id: RunId,
    run_on: String,
    status: String,
    scheduled: bool,
    vehicle: Option<String>,
    distance_km: Option<String>,
    distance_raw: String,
    note: String,
    /// Transport emissions of the whole run, when its distance and vehicle are known.
    kg_co2e: Option<String>,
}

fn run_view(language: Language, run: &Run) -> RunView {
    let vehicle = run.vehicle.as_deref().and_then(vehicles::find);
    RunView {
        id: run.id,
        run_on: run.run_on.to_string(),
        status: run.status.as_str().to_string(),
        scheduled: run.status == crate::deliveries::RunStatus::Scheduled,
        vehicle: run.vehicle.clone(),
        distance_km: run.distance_km.map(|km| format_decimal(language, km, 1)),
        distance_raw: run.distance_km.map(|km| km.to_string()).unwrap_or_default(),
        note: run.note.clone(),
        kg_co2e: match (run.distance_km, vehicle) {
            (Some(km), Some(vehicle)) => {
                Some(format_decimal(language, km * vehicle.kg_co2e_per_km, 2))
            }
            _ => None,
        },
    }
}

#[derive(Serialize)]
struct StopView<'a> {
    #[serde(flatten)]
    stop: &'a Stop,
    status: &'static str,
    wished_on: String,
}

fn stop_views(stops: &[Stop]) -> Vec<StopView<'_>> {
    stops
        .iter()
        .map(|stop| StopView {
            stop,
            status: stop.delivery.status.as_str(),
            wished_on: stop.delivery.wished_on.to_string(),
        })
        .collect()
}

/// `stores/deliveries.html`.
#[derive(Serialize)]
struct PlanningPage<'a> {
    store: UnitId,
    to_plan: Vec<StopView<'a>>,
    runs: Vec<RunView>,
    vehicles: Vec<VehicleView>,
    /// The day a new run is offered for.
    tomorrow: String,
    done: Option<&'static str>,
}

#[get("/stores/{id}/deliveries")]
pub async fn planning(
    page: Page,
    user: CurrentUser,
    path: web::Path<UnitId>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let store = path.into_inner();
    let planning = delivery_use::planning(&app, user.0.viewer, store).await?;
    let language = page.language();
    let view = PlanningPage {
        store,
        to_plan: stop_views(&planning.to_plan),
        runs: planning
            .runs
            .iter()
            .map(|r| run_view(language, r))
            .collect(),
        vehicles: vehicle_views(language),
        tomorrow: (local_date(Utc::now().naive_utc()) + chrono::Duration::days(1)).to_string(),
        done: ["run-planned", "planned"]
            .into_iter()
            .find(|d| page.query_has(&format!("done={d}"))),
    };
    page.show(StatusCode::OK, "stores/deliveries.html", &view)
}

/// `stores/run.html` and `stores/picking.html`.
#[derive(Serialize)]
struct RunPage<'a> {
    run: RunView,
    store: &'a crate::stores::Store,
    stops: Vec<StopView<'a>>,
    vehicles: Vec<VehicleView>,
    /// For the picking list: each stop's QR code to its listing, in stop order.
    qr_codes: Vec<Option<String>>,
    done: Option<&'static str>,
}

async fn run_page(
    page: Page,
    user: CurrentUser,
    run: RunId,
    app: web::Data<App>,
    template: &str,
) -> Result<HttpResponse, AppError> {
    let sheet = delivery_use::run_sheet(&app, user.0.viewer, run).await?;
    let language = page.language();
    let qr_codes = if template == "stores/picking.html" {
        sheet
            .stops
            .iter()
            .map(|stop| {
                let label = language.text_with(
                    "print-qr-label",
                    &[("title", stop.item_title.clone().into())],
                );
                qr_svg(&format!("{}/items/{}", app.site.0, stop.item_id), &label)
            })
            .collect()
    } else {
        Vec::new()
    };
    let view = RunPage {
        run: run_view(language, &sheet.run),
        store: &sheet.store,
        stops: stop_views(&sheet.stops),
        vehicles: vehicle_views(language),
        qr_codes,
        done: ["changed", "loaded", "delivered"]
            .into_iter()
            .find(|d| page.query_has(&format!("done={d}"))),
    };
    page.show(StatusCode::OK, template, &view)
}

#[get("/runs/{id}")]
pub async fn run_sheet(
    page: Page,
    user: CurrentUser,
    path: web::Path<RunId>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    run_page(page, user, path.into_inner(), app, "stores/run.html").await
}

#[get("/runs/{id}/print")]
pub async fn picking_list(
    page: Page,
    user: CurrentUser,
    path: web::Path<RunId>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    run_page(page, user, path.into_inner(), app, "stores/picking.html").await
}
