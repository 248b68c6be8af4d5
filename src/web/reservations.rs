//! Reserving, the reservation page with its pickup details and actions, and "my page".

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};

use super::auth::CurrentUser;
use super::cards::CardView;
use super::conversations::{MessageView, message_view};
use super::csrf::CsrfForm;
use super::{AppError, Page};
use crate::alerts::Alert;
use crate::app::reservations::{self as reserving, Step};
use crate::app::{App, Failure};
use crate::i18n::{Language, local_date, local_day_end, local_time};
use crate::ids::{ItemId, ReservationId, UnitId};
use crate::items::{FieldError, Item};
use crate::ledger::savings::WouldBuyNew;
use crate::reservations::{
    self, Party, Pickup, Reservation, ReservationError, ReservationStatus, ReserveRequest, Rest,
    Summary,
};

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
    /// "pickup" (or absent) or "delivery", with the three fields below.
    #[serde(default)]
    handover: String,
    #[serde(default)]
    wished_on: String,
    #[serde(default)]
    building: String,
    #[serde(default)]
    room: String,
}

impl ReserveForm {
    /// Text that is not a number, or an unknown answer, is a form error like any other.
    pub(super) fn request(&self) -> Result<ReserveRequest, ReservationError> {
        let mut errors = Vec::new();
        let quantity = self.quantity.trim().parse::<i32>().unwrap_or_else(|_| {
            errors.push(FieldError::new("quantity", "reserve-error-quantity"));
            0
        });
        let receiving_unit_id = match self.receiving_unit_id.trim() {
            "" => None,
            raw => match raw.parse::<UnitId>() {
                Ok(id) => Some(id),
                Err(_) => {
                    errors.push(FieldError::new("receiving_unit_id", "reserve-error-unit"));
                    None
                }
            },
        };
        let answer = WouldBuyNew::parse(&self.would_buy_new).unwrap_or_else(|| {
            errors.push(FieldError::new("would_buy_new", "reserve-error-answer"));
            WouldBuyNew::Unsure
        });
        let delivery = match self.handover.trim() {
            "" | "pickup" => None,
            "delivery" => {
                let wished_on =
                    chrono::NaiveDate::parse_from_str(self.wished_on.trim(), "%Y-%m-%d")
                        .unwrap_or_else(|_| {
                            errors.push(FieldError::new("wished_on", "delivery-error-date"));
                            chrono::NaiveDate::MIN
                        });
                Some(crate::deliveries::Wish {
                    wished_on,
                    building: self.building.clone(),
                    room: self.room.clone(),
                })
            }
            _ => {
                errors.push(FieldError::new("handover", "delivery-error-handover"));
                None
            }
        };
        if errors.is_empty() {
            Ok(ReserveRequest {
                quantity,
                receiving_unit_id,
                message: self.message.clone(),
                answer,
                delivery,
            })
        } else {
            Err(ReservationError::Invalid(errors))
        }
    }
}

#[post("/items/{id}/reserve")]
pub async fn reserve(
    page: Page,
    user: CurrentUser,
    path: web::Path<ItemId>,
    form: CsrfForm<ReserveForm>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let item_id = path.into_inner();
    let reserved = match form.0.request() {
        Ok(request) => reserving::reserve(&app, user.0.viewer, item_id, request).await,
        Err(error) => Err(Failure::Refused(error)),
    };
    match reserved {
        Ok(details) => Ok(HttpResponse::SeeOther()
            .insert_header((
                header::LOCATION,
                format!("/reservations/{}?done=reserved", details.reservation.id),
            ))
            .finish()),
        Err(failure) => page.explain(failure.into(), &format!("/items/{item_id}")),
    }
}

#[derive(Serialize)]
struct ThreadView {
    id: crate::ids::ConversationId,
    open: bool,
    messages: Vec<MessageView>,
}

#[derive(Serialize)]
struct Action {
    path: &'static str,
    label_key: &'static str,
    primary: bool,
}

/// `reservations/show.html`.
#[derive(Serialize)]
struct ReservationPage<'a> {
    reservation: &'a Reservation,
    item: &'a Item,
    party: Party,
    requester: String,
    requester_email: &'a str,
    lister: String,
    lister_email: &'a str,
    receiving_unit: &'a Option<String>,
    deadline: String,
    status_text: String,
    answer_text: String,
    actions: Vec<Action>,
    done: Option<String>,
    /// The deadline the requester asked for, shown to both sides.
    wanted_deadline: Option<String>,
    /// The requester's thread with the listing's side, which the reservation continues.
    thread: Option<ThreadView>,
    /// A date field's starting value: what was asked for, or a week after the deadline.
    deadline_suggestion: String,
    /// The earliest and latest dates a deadline form accepts.
    deadline_min: String,
    deadline_max: String,
    /// Its delivery: status, where and on which day.
    delivery: Option<DeliveryView>,
}

#[derive(Serialize)]
struct DeliveryView {
    status: &'static str,
    place: String,
    day: String,
    received_by: String,
}

fn delivery_view(
    delivery: &Option<(crate::deliveries::Delivery, Option<crate::deliveries::Run>)>,
) -> Option<DeliveryView> {
    delivery.as_ref().map(|(delivery, run)| DeliveryView {
        status: delivery.status.as_str(),
        place: [delivery.building.as_str(), delivery.room.as_str()]
            .into_iter()
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join(", "),
        day: run
            .as_ref()
            .map_or(delivery.wished_on, |run| run.run_on)
            .to_string(),
        received_by: delivery.received_by.clone(),
    })
}

fn actions(open: bool, party: Party) -> Vec<Action> {
    if !open {
        return Vec::new();
    }
    let other = match party {
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
    };
    vec![
        Action {
            path: "picked-up",
            label_key: "reservation-action-picked-up",
            primary: true,
        },
        other,
    ]
}

#[get("/reservations/{id}")]
pub async fn show(
    page: Page,
    user: CurrentUser,
    path: web::Path<ReservationId>,
    query: web::Query<DoneQuery>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let viewer = user.0.viewer;
    let details = reserving::details(&app, viewer, path.into_inner()).await?;
    let (item_id, asker) = (details.item.id, details.reservation.requester_id);
    let thread = app
        .read(move |conn| crate::conversations::for_reservation(conn, &viewer, item_id, asker))
        .await?
        .map(|thread| ThreadView {
            id: thread.conversation.id,
            open: thread.open,
            messages: thread.messages.into_iter().map(message_view).collect(),
        });
    let language = page.language();
    let reservation = &details.reservation;
    let view = ReservationPage {
        reservation,
        item: &details.item,
        party: details.party,
        requester: details.requester.display_name(),
        requester_email: &details.requester.email,
        lister: details.lister.display_name(),
        lister_email: &details.lister.email,
        receiving_unit: &details.receiving_unit,
        delivery: delivery_view(&details.delivery),
        deadline: local_time(reservation.pickup_deadline),
        status_text: language.text(&format!("reservation-status-{}", reservation.status)),
        answer_text: language.text(&format!("reserve-answer-{}", reservation.would_buy_new)),
        actions: actions(reservation.is_open(), details.party),
        wanted_deadline: reservation.wanted_deadline.map(local_time),
        thread,
        deadline_suggestion: local_date(
            reservation
                .wanted_deadline
                .unwrap_or(reservation.pickup_deadline + chrono::Duration::days(7)),
        )
        .to_string(),
        deadline_min: local_date(chrono::Utc::now().naive_utc()).to_string(),
        deadline_max: local_date(
            chrono::Utc::now().naive_utc() + reservations::LONGEST_DEADLINE
                - chrono::Duration::days(1),
        )
        .to_string(),
        done: query
            .into_inner()
            .done
            .filter(|done| DONE_KEYS.contains(&done.as_str())),
    };
    page.show(StatusCode::OK, "reservations/show.html", &view)
}

const DONE_KEYS: [&str; 6] = [
    "reserved",
    "picked-up",
    "cancel",
    "decline",
    "more-time",
    "deadline",
];

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

/// What the action forms on a reservation's page send: a partial pickup's quantity and
/// rest, or a deadline as a local date.
#[derive(Deserialize, Default)]
pub struct StepForm {
    #[serde(default)]
    quantity: String,
    #[serde(default)]
    rest: String,
    #[serde(default)]
    deadline: String,
}

fn invalid(field: &'static str, key: &'static str) -> ReservationError {
    ReservationError::Invalid(vec![FieldError::new(field, key)])
}

fn deadline_of(raw: &str) -> Result<chrono::NaiveDateTime, ReservationError> {
    chrono::NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .ok()
        .and_then(local_day_end)
        .ok_or_else(|| invalid("deadline", "deadline-error-date"))
}

fn step_of(raw: &str, form: &StepForm) -> Option<Result<Step, ReservationError>> {
    Some(match raw {
        "picked-up" => {
            let quantity = match form.quantity.trim() {
                "" => Ok(None),
                text => text
                    .parse::<i32>()
                    .map(Some)
                    .map_err(|_| invalid("quantity", "pickup-error-quantity")),
            };
            let rest = match form.rest.trim() {
                "" => Ok(None),
                text => Rest::parse(text)
                    .map(Some)
                    .ok_or_else(|| invalid("rest", "pickup-error-rest")),
            };
            quantity.and_then(|quantity| rest.map(|rest| Step::PickedUp(Pickup { quantity, rest })))
        }
        "cancel" => Ok(Step::Cancel),
        "decline" => Ok(Step::Decline),
        "more-time" => deadline_of(&form.deadline).map(Step::AskForTime),
        "deadline" => deadline_of(&form.deadline).map(Step::SetDeadline),
        _ => return None,
    })
}

#[post("/reservations/{id}/{step}")]
pub async fn act(
    page: Page,
    user: CurrentUser,
    path: web::Path<(ReservationId, String)>,
    form: CsrfForm<StepForm>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let (reservation_id, raw_step) = path.into_inner();
    let step = step_of(&raw_step, &form.0).ok_or(AppError::NotFound)?;
    let back = format!("/reservations/{reservation_id}");
    let taken = match step {
        Ok(step) => reserving::take_step(&app, user.0.viewer, reservation_id, step).await,
        Err(error) => Err(Failure::Refused(error)),
    };
    match taken {
        // After a partial pickup whose rest stays held, the page to see is the rest's.
        Ok(details) => Ok(HttpResponse::SeeOther()
            .insert_header((
                header::LOCATION,
                format!("/reservations/{}?done={raw_step}", details.reservation.id),
            ))
            .finish()),
        Err(failure) => page.explain(failure.into(), &back),
    }
}

#[derive(Serialize)]
pub struct Line {
    id: ReservationId,
    item_id: ItemId,
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
pub struct AlertQuery {
    alert: Option<String>,
}

/// `reservations/my.html`.
#[derive(Serialize)]
struct MyPage {
    handin_withdrawn: bool,
    handins: Vec<HandInLine>,
    mine: Vec<Line>,
    waiting: Vec<Line>,
    history_mine: Vec<Line>,
    history_waiting: Vec<Line>,
    alerts: Vec<Alert>,
    alert_notice: Option<String>,
    /// The saved listings' cards, rendered.
    saved: String,
    saved_count: usize,
    conversations: Vec<ConversationLine>,
    queue: Vec<QueueLine>,
    /// Set after leaving a queue from this page, whose line may be gone now.
    left_queue: bool,
}

#[derive(Serialize)]
struct ConversationLine {
    id: crate::ids::ConversationId,
    item_title: String,
    asker: Option<String>,
    last: String,
    unread: i32,
}

#[derive(Serialize)]
struct QueueLine {
    id: crate::ids::QueueEntryId,
    item_id: ItemId,
    item_title: String,
    quantity: i32,
    offered: bool,
    offered_quantity: i32,
    until: String,
}

#[get("/my")]
pub async fn my_page(
    page: Page,
    user: CurrentUser,
    query: web::Query<AlertQuery>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let user_id = user.0.viewer.user_id;
    let reserving::Overview {
        made: mine,
        listed: waiting,
        alerts,
        saved,
        categories,
        threads,
        places,
        handins,
    } = reserving::overview(&app, user.0.viewer).await?;
    let language = page.language();
    let texts = app.catalog.category_texts(&categories, language);
    let saved: Vec<CardView> = saved
        .into_iter()
        .map(|card| CardView::for_browse(language, card, &texts.names))
        .collect();
    let (mine, history_mine) = lines(language, mine);
    let (waiting, history_waiting) = lines(language, waiting);
    let view = MyPage {
        left_queue: page.query_has("done=left-queue"),
        handin_withdrawn: page.query_has("done=handin-withdrawn"),
        handins: handin_lines(handins),
        mine,
        waiting,
        history_mine,
        history_waiting,
        alerts,
        alert_notice: query
            .into_inner()
            .alert
            .filter(|notice| notice == "saved" || notice == "stopped"),
        saved_count: saved.len(),
        saved: page.views().cards(saved)?,
        conversations: threads
            .into_iter()
            .map(|thread| ConversationLine {
                id: thread.id,
                item_title: thread.item_title,
                // The asker sees whom they asked as the listing; the other side sees who asked.
                asker: (thread.asker_id != user_id)
                    .then(|| thread.asker_name.unwrap_or(thread.asker_email)),
                last: local_time(thread.last_message_at),
                unread: thread.unread,
            })
            .collect(),
        queue: places
            .into_iter()
            .map(|place| QueueLine {
                id: place.id,
                item_id: place.item_id,
                item_title: place.item_title,
                quantity: place.quantity,
                offered: place.status == reservations::queue::QueueStatus::Offered,
                offered_quantity: place.offered_quantity,
                until: place.offer_expires_at.map(local_time).unwrap_or_default(),
            })
            .collect(),
    };
    page.show(StatusCode::OK, "reservations/my.html", &view)
}

/// A hand-in on the person's own page.
#[derive(Serialize)]
struct HandInLine {
    id: crate::ids::HandInId,
    item_id: crate::ids::ItemId,
    title: String,
    status: crate::stores::handin::HandInStatus,
    store: String,
    answer: String,
    collect: bool,
    may_withdraw: bool,
}

fn handin_lines(lines: Vec<crate::stores::HandInLine>) -> Vec<HandInLine> {
    use crate::stores::handin::{HandInStatus, Handover};
    lines
        .into_iter()
        .map(|line| HandInLine {
            id: line.id,
            item_id: line.item_id,
            title: line.title,
            may_withdraw: line.status == HandInStatus::Requested,
            status: line.status,
            store: line.store_name,
            answer: line.answer,
            collect: line.handover == Handover::Collect,
        })
        .collect()
}
