//! Reserving, the reservation page with its pickup details and actions, and "my page".

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};

use super::auth::CurrentUser;
use super::csrf::{CsrfForm, NoFields};
use super::{AppError, Lang, Views, with_conn, with_write};
use crate::db::DbPool;
use crate::i18n::{FluentValue, Language, local_time};
use crate::items::Viewer;
use crate::ledger::savings::WouldBuyNew;
use crate::mail::MailQueue;
use crate::reservations::{
    self, ListOf, Party, ReservationError, ReservationStatus, ReserveRequest, Rules, Summary,
};

/// What went wrong, for a page that says so in the visitor's language.
pub struct Problem {
    pub status: StatusCode,
    pub message: String,
}

pub(crate) fn problem(language: Language, error: ReservationError) -> Result<Problem, AppError> {
    let (status, message) = match error {
        ReservationError::NotFound => return Err(AppError::NotFound),
        ReservationError::NotAvailable { available } => (
            StatusCode::CONFLICT,
            language.text_with(
                "reserve-error-not-available",
                &[("available", FluentValue::from(available))],
            ),
        ),
        ReservationError::Invalid(errors) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            errors
                .iter()
                .map(|error| language.text(error.message_key))
                .collect::<Vec<_>>()
                .join(" "),
        ),
        ReservationError::Closed(status) => (
            StatusCode::CONFLICT,
            language.text_with(
                "reservation-error-closed",
                &[(
                    "status",
                    language
                        .text(&format!("reservation-status-{status}"))
                        .into(),
                )],
            ),
        ),
        ReservationError::PastDeadline => (
            StatusCode::CONFLICT,
            language.text("reservation-error-past-deadline"),
        ),
        ReservationError::NotAllowed(_) => (
            StatusCode::FORBIDDEN,
            language.text("reservation-error-not-allowed"),
        ),
        ReservationError::Db(error) => return Err(error.into()),
    };
    Ok(Problem { status, message })
}

/// A page with the problem and a way back.
pub fn problem_page(
    req: &HttpRequest,
    lang: Lang,
    views: &Views,
    problem: Problem,
    back: &str,
) -> Result<HttpResponse, AppError> {
    let mut context = views.page_context(req, lang)?;
    context.insert("message", &problem.message);
    context.insert("back", back);
    Ok(views.page(problem.status, "reservations/problem.html", &context)?)
}

#[derive(Deserialize)]
pub struct ReserveForm {
    #[serde(default)]
    quantity: String,
    #[serde(default)]
    receiving_unit_id: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    would_buy_new: String,
}

impl ReserveForm {
    /// Text that is not a number, or an unknown answer, is a form error like any other.
    fn request(&self) -> Result<ReserveRequest, ReservationError> {
        let mut errors = Vec::new();
        let quantity = self.quantity.trim().parse::<i32>().unwrap_or_else(|_| {
            errors.push(crate::items::FieldError::new(
                "quantity",
                "reserve-error-quantity",
            ));
            0
        });
        let receiving_unit_id = match self.receiving_unit_id.trim() {
            "" => None,
            raw => match raw.parse::<i64>() {
                Ok(id) => Some(id),
                Err(_) => {
                    errors.push(crate::items::FieldError::new(
                        "receiving_unit_id",
                        "reserve-error-unit",
                    ));
                    None
                }
            },
        };
        let answer = WouldBuyNew::parse(&self.would_buy_new).unwrap_or_else(|| {
            errors.push(crate::items::FieldError::new(
                "would_buy_new",
                "reserve-error-answer",
            ));
            WouldBuyNew::Unsure
        });
        if errors.is_empty() {
            Ok(ReserveRequest {
                quantity,
                receiving_unit_id,
                message: self.message.clone(),
                answer,
            })
        } else {
            Err(ReservationError::Invalid(errors))
        }
    }
}

/// Reservation timing, from the settings.
pub struct ReservationRules(pub Rules);

#[allow(clippy::too_many_arguments)]
#[post("/items/{id}/reserve")]
pub async fn reserve(
    req: HttpRequest,
    lang: Lang,
    user: CurrentUser,
    path: web::Path<i64>,
    form: CsrfForm<ReserveForm>,
    pool: web::Data<DbPool>,
    views: web::Data<Views>,
    rules: web::Data<ReservationRules>,
    mail: web::Data<MailQueue>,
) -> Result<HttpResponse, AppError> {
    let viewer = user.0.viewer;
    let item_id = path.into_inner();
    let request = form.0.request();
    let outcome = with_write(&pool, &mail, move |tx| {
        request.and_then(|request| reservations::reserve(tx, &viewer, item_id, &request, &rules.0))
    })
    .await?;
    match outcome {
        Ok(reservation) => Ok(HttpResponse::SeeOther()
            .insert_header((
                header::LOCATION,
                format!("/reservations/{}?done=reserved", reservation.id),
            ))
            .finish()),
        Err(error) => {
            let problem = problem(lang.0, error)?;
            problem_page(&req, lang, &views, problem, &format!("/items/{item_id}"))
        }
    }
}

#[derive(Serialize)]
struct Action {
    path: &'static str,
    label_key: &'static str,
    primary: bool,
}

#[get("/reservations/{id}")]
pub async fn show(
    req: HttpRequest,
    lang: Lang,
    user: CurrentUser,
    path: web::Path<i64>,
    pool: web::Data<DbPool>,
    views: web::Data<Views>,
) -> Result<HttpResponse, AppError> {
    let viewer = user.0.viewer;
    let reservation_id = path.into_inner();
    let details = with_conn(&pool, move |conn| -> Result<_, AppError> {
        reservations::details(conn, &viewer, reservation_id).map_err(|error| match error {
            ReservationError::Db(error) => error.into(),
            _ => AppError::NotFound,
        })
    })
    .await?;
    let language = lang.0;
    let open = details.reservation.is_open();
    let mut actions = Vec::new();
    if open {
        actions.push(Action {
            path: "picked-up",
            label_key: "reservation-action-picked-up",
            primary: true,
        });
        actions.push(match details.party {
            Party::Requester => Action {
                path: "cancel",
                label_key: "reservation-action-cancel",
                primary: false,
            },
            Party::Lister => Action {
                path: "decline",
                label_key: "reservation-action-decline",
                primary: false,
            },
        });
    }
    let mut context = views.page_context(&req, lang)?;
    context.insert("reservation", &details.reservation);
    context.insert("item", &details.item);
    context.insert("party", &details.party);
    context.insert(
        "requester",
        &details
            .requester
            .name
            .clone()
            .unwrap_or_else(|| details.requester.email.clone()),
    );
    context.insert("requester_email", &details.requester.email);
    context.insert(
        "lister",
        &details
            .lister
            .name
            .clone()
            .unwrap_or_else(|| details.lister.email.clone()),
    );
    context.insert("lister_email", &details.lister.email);
    context.insert("receiving_unit", &details.receiving_unit);
    context.insert("deadline", &local_time(details.reservation.pickup_deadline));
    context.insert(
        "status_text",
        &language.text(&format!(
            "reservation-status-{}",
            details.reservation.status
        )),
    );
    context.insert(
        "answer_text",
        &language.text(&format!(
            "reserve-answer-{}",
            details.reservation.would_buy_new
        )),
    );
    context.insert("actions", &actions);
    context.insert(
        "done",
        &web::Query::<DoneQuery>::from_query(req.query_string())
            .ok()
            .and_then(|q| q.into_inner().done)
            .filter(|done| DONE_KEYS.contains(&done.as_str())),
    );
    Ok(views.page(StatusCode::OK, "reservations/show.html", &context)?)
}

const DONE_KEYS: [&str; 4] = ["reserved", "picked-up", "cancel", "decline"];

#[derive(Deserialize)]
struct DoneQuery {
    done: Option<String>,
}

/// The three things one can do with an open reservation.
#[derive(Debug, Clone, Copy)]
enum Step {
    PickedUp,
    Cancel,
    Decline,
}

impl Step {
    fn parse(raw: &str) -> Option<Self> {
        match raw {
            "picked-up" => Some(Step::PickedUp),
            "cancel" => Some(Step::Cancel),
            "decline" => Some(Step::Decline),
            _ => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Step::PickedUp => "picked-up",
            Step::Cancel => "cancel",
            Step::Decline => "decline",
        }
    }
}

fn take_step(
    tx: &mut crate::events::Tx,
    viewer: &Viewer,
    reservation_id: i64,
    step: Step,
) -> Result<(), ReservationError> {
    match step {
        Step::PickedUp => reservations::pick_up(tx, viewer, reservation_id).map(|_| ()),
        Step::Cancel => reservations::withdraw(tx, viewer, reservation_id, Party::Requester),
        Step::Decline => reservations::withdraw(tx, viewer, reservation_id, Party::Lister),
    }
}

#[allow(clippy::too_many_arguments)]
#[post("/reservations/{id}/{step}")]
pub async fn act(
    req: HttpRequest,
    lang: Lang,
    user: CurrentUser,
    path: web::Path<(i64, String)>,
    _form: CsrfForm<NoFields>,
    pool: web::Data<DbPool>,
    views: web::Data<Views>,
    mail: web::Data<MailQueue>,
) -> Result<HttpResponse, AppError> {
    let viewer = user.0.viewer;
    let (reservation_id, step) = path.into_inner();
    let step = Step::parse(&step).ok_or(AppError::NotFound)?;
    let outcome = with_write(&pool, &mail, move |tx| {
        take_step(tx, &viewer, reservation_id, step)
    })
    .await?;
    let back = format!("/reservations/{reservation_id}");
    match outcome {
        Ok(()) => Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, format!("{back}?done={}", step.as_str())))
            .finish()),
        Err(error) => {
            let problem = problem(lang.0, error)?;
            problem_page(&req, lang, &views, problem, &back)
        }
    }
}

#[derive(Serialize)]
pub struct Line {
    id: i64,
    item_id: i64,
    item_title: String,
    quantity: i32,
    status_text: String,
    open: bool,
    deadline: String,
    created: String,
    who: String,
}

/// Open reservations first, then closed ones.
pub fn lines(language: Language, summaries: Vec<Summary>) -> (Vec<Line>, Vec<Line>) {
    summaries
        .into_iter()
        .map(|summary| Line {
            open: summary.status == ReservationStatus::Reserved,
            status_text: language.text(&format!("reservation-status-{}", summary.status)),
            id: summary.id,
            item_id: summary.item_id,
            item_title: summary.item_title,
            quantity: summary.quantity,
            deadline: local_time(summary.pickup_deadline),
            created: local_time(summary.created_at),
            who: summary.requester_name.unwrap_or(summary.requester_email),
        })
        .partition(|line| line.open)
}

#[derive(Deserialize)]
struct AlertQuery {
    alert: Option<String>,
}

#[get("/my")]
pub async fn my_page(
    req: HttpRequest,
    lang: Lang,
    user: CurrentUser,
    pool: web::Data<DbPool>,
    views: web::Data<Views>,
) -> Result<HttpResponse, AppError> {
    let viewer = user.0.viewer;
    let (mine, waiting, alerts) = with_conn(&pool, move |conn| -> Result<_, AppError> {
        Ok((
            reservations::list(conn, ListOf::MadeBy(viewer.user_id))?,
            reservations::list(conn, ListOf::ListedBy(viewer.user_id))?,
            crate::alerts::of_user(conn, viewer.user_id)?,
        ))
    })
    .await?;
    let (mine_open, mine_closed) = lines(lang.0, mine);
    let (waiting_open, waiting_closed) = lines(lang.0, waiting);
    let mut context = views.page_context(&req, lang)?;
    context.insert("mine", &mine_open);
    context.insert("waiting", &waiting_open);
    context.insert("history_mine", &mine_closed);
    context.insert("history_waiting", &waiting_closed);
    context.insert("alerts", &alerts);
    context.insert(
        "alert_notice",
        &web::Query::<AlertQuery>::from_query(req.query_string())
            .ok()
            .and_then(|q| q.into_inner().alert)
            .filter(|notice| notice == "saved" || notice == "stopped"),
    );
    Ok(views.page(StatusCode::OK, "reservations/my.html", &context)?)
}
