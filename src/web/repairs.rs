//! The repair queue: a listing is sent to repair from its page; the workshop (or whoever
//! deals with an external supplier) starts and finishes it on the queue page, with the
//! hours, materials, cost and emissions it took.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};

use super::auth::CurrentUser;
use super::csrf::CsrfForm;
use super::{AppError, Page, see_other};
use crate::app::repairs::{self as repair_use, Work};
use crate::app::{App, Failure};
use crate::i18n::{Language, local_time};
use crate::i18n::{format_decimal, parse_decimal};
use crate::ids::{ItemId, RepairId, UnitId};
use crate::ledger::Ore;
use crate::refusal::FieldError;
use crate::repairs::{
    Outcome, QueueLine, Repair, RepairError, RepairRequest, RepairResult, Repairer,
};

/// Kronor as typed ("1 200,50"); none when left empty.
fn kronor(raw: &str, field: &'static str, errors: &mut Vec<FieldError>) -> Option<Ore> {
    match parse_decimal(raw) {
        None => None,
        Some(Ok(sek)) if sek.is_finite() && sek >= 0.0 => Some(Ore((sek * 100.0).round() as i64)),
        Some(_) => {
            errors.push(FieldError::new(field, "repair-error-cost"));
            None
        }
    }
}

fn decimal(
    raw: &str,
    field: &'static str,
    key: &'static str,
    errors: &mut Vec<FieldError>,
) -> Option<f64> {
    match parse_decimal(raw) {
        None => None,
        Some(Ok(value)) if value.is_finite() => Some(value),
        Some(_) => {
            errors.push(FieldError::new(field, key));
            None
        }
    }
}

#[derive(Deserialize)]
pub struct OpenForm {
    /// A unit id, or "supplier" for the supplier named below.
    repairer: String,
    #[serde(default)]
    supplier: String,
    #[serde(default)]
    problem: String,
    #[serde(default)]
    estimate: String,
}

impl OpenForm {
    fn request(self) -> Result<RepairRequest, RepairError> {
        let mut errors = Vec::new();
        let repairer = match self.repairer.trim() {
            "supplier" => Some(Repairer::Supplier(self.supplier)),
            raw => match raw.parse::<i64>() {
                Ok(id) => Some(Repairer::Workshop(UnitId(id))),
                Err(_) => {
                    errors.push(FieldError::new("repairer", "repair-error-repairer"));
                    None
                }
            },
        };
        let estimate = kronor(&self.estimate, "estimate", &mut errors);
        match repairer {
            Some(repairer) if errors.is_empty() => Ok(RepairRequest {
                repairer,
                problem: self.problem,
                estimate,
            }),
            _ => Err(RepairError::Invalid(errors)),
        }
    }
}

#[post("/items/{id}/repair")]
pub async fn open(
    page: Page,
    user: CurrentUser,
    path: web::Path<ItemId>,
    form: CsrfForm<OpenForm>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let item_id = path.into_inner();
    let outcome = match form.0.request() {
        Ok(request) => repair_use::open(&app, user.0.viewer, item_id, request).await,
        Err(error) => Err(Failure::Refused(error)),
    };
    match outcome {
        Ok(_) => Ok(see_other(&format!("/items/{item_id}?done=repair#repair"))),
        Err(failure) => page.explain(failure.into(), &format!("/items/{item_id}#repair")),
    }
}

#[derive(Deserialize)]
pub struct WorkForm {
    #[serde(default)]
    estimate: String,
    #[serde(default)]
    result: String,
    #[serde(default)]
    hours: String,
    #[serde(default)]
    materials: String,
    #[serde(default)]
    cost: String,
    #[serde(default)]
    kg_co2e: String,
}

impl WorkForm {
    fn work(self, step: &str) -> Result<Option<Work>, RepairError> {
        let mut errors = Vec::new();
        let work = match step {
            "start" => Work::Start {
                estimate: kronor(&self.estimate, "estimate", &mut errors),
            },
            "finish" => {
                let result = RepairResult::parse(self.result.trim()).unwrap_or_else(|| {
                    errors.push(FieldError::new("result", "repair-error-result"));
                    RepairResult::Repaired
                });
                let outcome = Outcome {
                    result,
                    hours: decimal(&self.hours, "hours", "repair-error-hours", &mut errors),
                    materials: self.materials,
                    cost: kronor(&self.cost, "cost", &mut errors).unwrap_or_default(),
                    kg_co2e: decimal(&self.kg_co2e, "kg_co2e", "repair-error-kg", &mut errors),
                };
                Work::Finish(outcome)
            }
            "cancel" => Work::Cancel,
            _ => return Ok(None),
        };
        if errors.is_empty() {
            Ok(Some(work))
        } else {
            Err(RepairError::Invalid(errors))
        }
    }
}

#[post("/repairs/{id}/{step}")]
pub async fn take_step(
    page: Page,
    user: CurrentUser,
    path: web::Path<(RepairId, String)>,
    form: CsrfForm<WorkForm>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let (id, step) = path.into_inner();
    let outcome = match form.0.work(&step) {
        Ok(Some(work)) => repair_use::work(&app, user.0.viewer, id, work).await,
        Ok(None) => return Err(AppError::NotFound),
        Err(error) => Err(Failure::Refused(error)),
    };
    match outcome {
        Ok(_) => Ok(see_other(&format!("/repairs?done={step}#repair-{id}"))),
        Err(failure) => page.explain(failure.into(), &format!("/repairs#repair-{id}")),
    }
}

/// A repair as the queue and the listing's page show it.
#[derive(Serialize)]
pub(super) struct RepairView {
    id: RepairId,
    item_id: ItemId,
    item_title: String,
    status: String,
    open: bool,
    queued: bool,
    by: String,
    problem: String,
    estimate: Option<String>,
    hours: Option<String>,
    materials: String,
    cost: Option<String>,
    kg_co2e: Option<String>,
    result: String,
    asked: String,
    finished: Option<String>,
}

pub(super) fn repair_view(
    language: Language,
    repair: &Repair,
    item_title: &str,
    workshop: Option<&str>,
) -> RepairView {
    let sek = |ore: Ore| format_decimal(language, ore.kronor(), 2);
    RepairView {
        id: repair.id,
        item_id: repair.item_id,
        item_title: item_title.to_string(),
        status: repair.status.as_str().to_string(),
        open: repair.is_open(),
        queued: repair.status == crate::repairs::RepairStatus::Queued,
        by: workshop.map_or_else(|| repair.supplier.clone(), str::to_string),
        problem: repair.problem.clone(),
        estimate: repair.estimate_ore.map(sek),
        hours: repair.hours.map(|h| format_decimal(language, h, 1)),
        materials: repair.materials.clone(),
        cost: repair.cost_ore.map(sek),
        kg_co2e: repair.kg_co2e.map(|kg| format_decimal(language, kg, 1)),
        result: repair.result.clone(),
        asked: local_time(repair.created_at),
        finished: repair.finished_at.map(local_time),
    }
}

fn line_view(language: Language, line: &QueueLine) -> RepairView {
    repair_view(
        language,
        &line.repair,
        &line.item_title,
        line.workshop_name.as_deref(),
    )
}

/// `repairs.html`.
#[derive(Serialize)]
struct QueuePage {
    open: Vec<RepairView>,
    finished: Vec<RepairView>,
    done: Option<&'static str>,
}

#[get("/repairs")]
pub async fn queue(
    page: Page,
    user: CurrentUser,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let queue = repair_use::queue(&app, user.0.viewer).await?;
    let language = page.language();
    let view = QueuePage {
        open: queue.open.iter().map(|l| line_view(language, l)).collect(),
        finished: queue
            .finished
            .iter()
            .map(|l| line_view(language, l))
            .collect(),
        done: ["start", "finish", "cancel"]
            .into_iter()
            .find(|d| page.query_has(&format!("done={d}"))),
    };
    page.show(StatusCode::OK, "repairs.html", &view)
}
