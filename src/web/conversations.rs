//! Asking the lister about a listing, and the thread's page with its reply form.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};

use super::auth::CurrentUser;
use super::csrf::CsrfForm;
use super::{AppError, Page, see_other};
use crate::app::conversations as talking;
use crate::app::{App, Failure};
use crate::conversations::{ConversationError, Line, MAX_MESSAGE_CHARS, Side};
use crate::i18n::local_time;
use crate::ids::{ConversationId, ItemId};
use crate::refusal::{Refusal, Refuses};

#[derive(Deserialize)]
pub struct MessageForm {
    #[serde(default)]
    body: String,
}

#[post("/items/{id}/ask")]
pub async fn ask(
    page: Page,
    user: CurrentUser,
    path: web::Path<ItemId>,
    form: CsrfForm<MessageForm>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let item_id = path.into_inner();
    match talking::ask(&app, user.0.viewer, item_id, form.0.body).await {
        Ok(id) => Ok(see_other(&format!("/conversations/{id}#latest"))),
        Err(failure) => page.explain(failure.into(), &format!("/items/{item_id}")),
    }
}

/// A message as the thread page and the reservation page show it.
#[derive(Serialize)]
pub(super) struct MessageView {
    author: String,
    body: String,
    at: String,
    mine: bool,
}

/// `conversations/show.html`.
#[derive(Serialize)]
struct ThreadPage {
    id: ConversationId,
    item_id: ItemId,
    item_title: String,
    asker: String,
    messages: Vec<MessageView>,
    open: bool,
    moderating: bool,
    /// What was typed into a refused reply, to write again.
    draft: String,
    error: Option<String>,
    max_chars: usize,
}

pub(super) fn message_view(line: Line) -> MessageView {
    MessageView {
        author: line.author,
        body: line.body,
        at: local_time(line.created_at),
        mine: line.mine,
    }
}

async fn thread_page(
    page: &Page,
    app: &App,
    user: &CurrentUser,
    id: ConversationId,
    status: StatusCode,
    draft: String,
    error: Option<String>,
) -> Result<HttpResponse, AppError> {
    let thread = talking::open(app, user.0.viewer, id).await?;
    let view = ThreadPage {
        id,
        item_id: thread.item.id,
        item_title: thread.item.fields.title.clone(),
        asker: thread.asker_name,
        messages: thread.messages.into_iter().map(message_view).collect(),
        open: thread.open,
        moderating: thread.side == Side::Moderator,
        draft,
        error,
        max_chars: MAX_MESSAGE_CHARS,
    };
    page.show(status, "conversations/show.html", &view)
}

#[get("/conversations/{id}")]
pub async fn show(
    page: Page,
    user: CurrentUser,
    path: web::Path<ConversationId>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    thread_page(
        &page,
        &app,
        &user,
        path.into_inner(),
        StatusCode::OK,
        String::new(),
        None,
    )
    .await
}

#[post("/conversations/{id}/messages")]
pub async fn reply(
    page: Page,
    user: CurrentUser,
    path: web::Path<ConversationId>,
    form: CsrfForm<MessageForm>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let body = form.0.body;
    match talking::reply(&app, user.0.viewer, id, body.clone()).await {
        Ok(()) => Ok(see_other(&format!("/conversations/{id}#latest"))),
        // Too long, too many, empty: the page again, with what was typed kept.
        Err(Failure::Refused(
            error @ (ConversationError::Invalid(_) | ConversationError::TooMany { .. }),
        )) => {
            let language = page.language();
            let (status, text) = match error.refusal() {
                Refusal::Invalid(fields) => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    fields
                        .iter()
                        .map(|field| language.text(field.message_key))
                        .collect::<Vec<_>>()
                        .join(" "),
                ),
                Refusal::TooMany(message) => {
                    (StatusCode::TOO_MANY_REQUESTS, message.text(language))
                }
                _ => (StatusCode::BAD_REQUEST, String::new()),
            };
            thread_page(&page, &app, &user, id, status, body, Some(text)).await
        }
        Err(failure) => page.explain(failure.into(), &format!("/conversations/{id}")),
    }
}
