//! The queue on a fully reserved listing: joining it, taking an offer, leaving.

use actix_web::{HttpResponse, post, web};

use super::auth::CurrentUser;
use super::csrf::{CsrfForm, NoFields};
use super::reservations::ReserveForm;
use super::{AppError, Page, see_other};
use crate::app::reservations::{self as reserving, QueueChoice};
use crate::app::{App, Failure};
use crate::ids::{ItemId, QueueEntryId};

#[post("/items/{id}/queue")]
pub async fn join(
    page: Page,
    user: CurrentUser,
    path: web::Path<ItemId>,
    form: CsrfForm<ReserveForm>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let item_id = path.into_inner();
    let joined = match form.0.request() {
        Ok(request) => reserving::join_queue(&app, user.0.viewer, item_id, request).await,
        Err(error) => Err(Failure::Refused(error)),
    };
    match joined {
        Ok(_) => Ok(see_other(&format!("/items/{item_id}?done=queued#queue"))),
        Err(failure) => page.explain(failure.into(), &format!("/items/{item_id}")),
    }
}

#[post("/queue/{id}/{choice}")]
pub async fn answer(
    page: Page,
    user: CurrentUser,
    path: web::Path<(QueueEntryId, String)>,
    _form: CsrfForm<NoFields>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let (entry_id, raw) = path.into_inner();
    let choice = match raw.as_str() {
        "accept" => QueueChoice::Accept,
        "leave" => QueueChoice::Leave,
        _ => return Err(AppError::NotFound),
    };
    match reserving::answer_queue(&app, user.0.viewer, entry_id, choice).await {
        Ok(Some(details)) => Ok(see_other(&format!(
            "/reservations/{}?done=reserved",
            details.reservation.id
        ))),
        Ok(None) => Ok(see_other("/my?done=left-queue#queue")),
        Err(failure) => page.explain(failure.into(), "/my"),
    }
}
