//! The reuse store: a lister's hand-in from the listing's page, and the store's work list
//! where its staff answer requests, receive listings onto shelves and see what is reserved.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};

use super::auth::CurrentUser;
use super::csrf::{CsrfForm, NoFields};
use super::{AppError, Page, see_other};
use crate::app::stores as store_use;
use crate::app::{App, Failure};
use crate::categories::category_name;
use crate::i18n::local_time;
use crate::ids::{HandInId, ItemId, UnitId};
use crate::refusal::FieldError;
use crate::stores::handin::Handover;
use crate::stores::{Answer, HandInLine, HandInRequest, Shelved, Store, StoreError};

#[derive(Deserialize)]
pub struct HandInForm {
    store: String,
    handover: String,
    #[serde(default)]
    message: String,
}

impl HandInForm {
    fn request(self) -> Result<HandInRequest, StoreError> {
        let store = self.store.trim().parse::<i64>().map(UnitId);
        let handover = Handover::parse(self.handover.trim());
        let mut errors = Vec::new();
        if store.is_err() {
            errors.push(FieldError::new("store", "store-error-choose-store"));
        }
        if handover.is_none() {
            errors.push(FieldError::new("handover", "store-error-handover"));
        }
        match (store, handover) {
            (Ok(store), Some(handover)) => Ok(HandInRequest {
                store,
                handover,
                message: self.message,
            }),
            _ => Err(StoreError::Invalid(errors)),
        }
    }
}

#[post("/items/{id}/hand-in")]
pub async fn hand_in(
    page: Page,
    user: CurrentUser,
    path: web::Path<ItemId>,
    form: CsrfForm<HandInForm>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let item_id = path.into_inner();
    let outcome = match form.0.request() {
        Ok(request) => store_use::request(&app, user.0.viewer, item_id, request).await,
        Err(error) => Err(Failure::Refused(error)),
    };
    match outcome {
        Ok(_) => Ok(see_other(&format!("/items/{item_id}?done=handin#handin"))),
        Err(failure) => page.explain(failure.into(), &format!("/items/{item_id}")),
    }
}

#[derive(Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    answer: String,
}

/// The store's staff accept or decline a request, with a note or a reason.
#[post("/hand-ins/{id}/{choice}")]
pub async fn answer(
    page: Page,
    user: CurrentUser,
    path: web::Path<(HandInId, String)>,
    form: CsrfForm<AnswerForm>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let (id, choice) = path.into_inner();
    let text = form.0.answer;
    let (answer, done) = match choice.as_str() {
        "accept" => (Answer::Accept { note: text }, "accepted"),
        "decline" => (Answer::Decline { reason: text }, "declined"),
        _ => return Err(AppError::NotFound),
    };
    let back = store_back(&user);
    match store_use::answer(&app, user.0.viewer, id, answer).await {
        Ok(handin) => Ok(see_other(&format!(
            "/stores/{}?done={done}#handin-{id}",
            handin.store_unit_id
        ))),
        Err(failure) => page.explain(failure.into(), &back),
    }
}

#[post("/hand-ins/{id}/withdraw")]
pub async fn withdraw(
    page: Page,
    user: CurrentUser,
    path: web::Path<HandInId>,
    _form: CsrfForm<NoFields>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    match store_use::withdraw(&app, user.0.viewer, path.into_inner()).await {
        Ok(()) => Ok(see_other("/my?done=handin-withdrawn#handins")),
        Err(failure) => page.explain(failure.into(), "/my#handins"),
    }
}

#[derive(Deserialize)]
pub struct ReceiveForm {
    shelf: String,
}

#[post("/hand-ins/{id}/receive")]
pub async fn receive(
    page: Page,
    user: CurrentUser,
    path: web::Path<HandInId>,
    form: CsrfForm<ReceiveForm>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let back = store_back(&user);
    match store_use::receive(&app, user.0.viewer, path.into_inner(), form.0.shelf).await {
        Ok(item_id) => Ok(see_other(&format!("/items/{item_id}?done=shelved"))),
        Err(failure) => page.explain(failure.into(), &back),
    }
}

/// Where a refused store action sends the person back to.
fn store_back(user: &CurrentUser) -> String {
    match user.0.user.unit_id.filter(|_| user.0.works_in_store) {
        Some(unit) => format!("/stores/{unit}"),
        None => "/my".to_string(),
    }
}

#[derive(Serialize)]
struct HandInView {
    id: HandInId,
    item_id: ItemId,
    title: String,
    quantity: i32,
    collect: bool,
    message: String,
    answer: String,
    from_site: String,
    requested_by: String,
    asked: String,
}

fn handin_views(lines: Vec<HandInLine>) -> Vec<HandInView> {
    lines
        .into_iter()
        .map(|line| HandInView {
            id: line.id,
            item_id: line.item_id,
            title: line.title,
            quantity: line.quantity,
            collect: line.handover == Handover::Collect,
            message: line.message,
            answer: line.answer,
            from_site: line.from_site,
            requested_by: line.requested_by,
            asked: local_time(line.created_at),
        })
        .collect()
}

#[derive(Serialize)]
struct ReservedView {
    reservation_id: crate::ids::ReservationId,
    title: String,
    shelf: String,
    quantity: i32,
    who: String,
    deadline: String,
}

#[derive(Serialize)]
struct StockView {
    category: String,
    listings: i64,
    units: i64,
}

/// `stores/work.html`.
#[derive(Serialize)]
struct WorkPage {
    store: Store,
    requested: Vec<HandInView>,
    incoming: Vec<HandInView>,
    on_shelves: Vec<Shelved>,
    reserved: Vec<ReservedView>,
    stock: Vec<StockView>,
    done: Option<&'static str>,
}

const DONE: [&str; 3] = ["accepted", "declined", "received"];

#[get("/stores/{id}")]
pub async fn work_list(
    page: Page,
    user: CurrentUser,
    path: web::Path<UnitId>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let list = store_use::work_list(&app, user.0.viewer, path.into_inner()).await?;
    let categories = app.catalog.clone();
    let categories = app
        .read(move |conn| categories.categories(conn))
        .await
        .map_err(|failure| failure.map_refused(crate::items::ItemError::Db))?;
    let language = page.language();
    let stock = list
        .stock
        .into_iter()
        .map(|stock| StockView {
            category: categories
                .iter()
                .find(|c| c.id == stock.category_id)
                .map_or(stock.category, |c| category_name(language, c)),
            listings: stock.listings,
            units: stock.units,
        })
        .collect();
    let view = WorkPage {
        store: list.store,
        requested: handin_views(list.requested),
        incoming: handin_views(list.incoming),
        on_shelves: list.on_shelves,
        reserved: list
            .reserved
            .into_iter()
            .map(|r| ReservedView {
                reservation_id: r.reservation_id,
                title: r.title,
                shelf: r.shelf,
                quantity: r.quantity,
                who: r
                    .requester_name
                    .filter(|n| !n.is_empty())
                    .unwrap_or(r.requester),
                deadline: local_time(r.pickup_deadline),
            })
            .collect(),
        stock,
        done: DONE
            .into_iter()
            .find(|d| page.query_has(&format!("done={d}"))),
    };
    page.show(StatusCode::OK, "stores/work.html", &view)
}
