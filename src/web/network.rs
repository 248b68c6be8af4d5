//! The network page: which organisations share listings with yours, and for admins the
//! forms to create a network, invite an organisation, answer an invitation and leave.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};

use super::auth::{AdminUser, CurrentUser};
use super::csrf::{CsrfForm, NoFields};
use super::{AppError, Page};
use crate::accounts::Capability;
use crate::app::networks::{self, Actor, Overview};
use crate::app::{App, Failure};
use crate::i18n::local_time;
use crate::ids::{InvitationId, OrganisationId};
use crate::networks::{Answer, Invitation, NetworkError};
use crate::refusal::{Refusal, Refuses};

#[derive(Serialize)]
struct InvitationView {
    id: InvitationId,
    network: String,
    organisation: String,
    email: String,
    sent: String,
}

fn invitation_views(list: &[Invitation]) -> Vec<InvitationView> {
    list.iter()
        .map(|i| InvitationView {
            id: i.id,
            network: i.network_name.clone(),
            organisation: i.organisation_name.clone(),
            email: i.invited_email.clone(),
            sent: local_time(i.created_at),
        })
        .collect()
}

/// `network.html`.
#[derive(Serialize)]
struct NetworkPage {
    network: Option<String>,
    members: Vec<(OrganisationId, String)>,
    own: OrganisationId,
    invitations_to: Vec<InvitationView>,
    invitations_from: Vec<InvitationView>,
    is_admin: bool,
    /// What the last change did, to confirm it.
    done: Option<&'static str>,
    /// Why the last change was refused (a message key), and what was typed.
    error: Option<&'static str>,
    typed_name: String,
    typed_email: String,
}

const DONE: [&str; 5] = ["created", "invited", "accepted", "declined", "left"];

async fn render(
    page: &Page,
    app: &App,
    user: &crate::accounts::User,
    status: StatusCode,
    refused: Option<(&'static str, String, String)>,
) -> Result<HttpResponse, AppError> {
    let Overview {
        network,
        members,
        invitations_to,
        invitations_from,
    } = networks::overview(app, user.organisation_id).await?;
    let done = DONE
        .into_iter()
        .find(|d| page.query_has(&format!("done={d}")));
    let (error, typed_name, typed_email) = match refused {
        Some((key, name, email)) => (Some(key), name, email),
        None => (None, String::new(), String::new()),
    };
    let view = NetworkPage {
        network: network.map(|n| n.name),
        members,
        own: user.organisation_id,
        invitations_to: invitation_views(&invitations_to),
        invitations_from: invitation_views(&invitations_from),
        is_admin: user.may(Capability::Administer),
        done: if error.is_none() { done } else { None },
        error,
        typed_name,
        typed_email,
    };
    page.show(status, "network.html", &view)
}

#[get("/network")]
pub async fn network_page(
    page: Page,
    user: CurrentUser,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    render(&page, &app, &user.0.user, StatusCode::OK, None).await
}

/// A redirect to the page saying what was done, or the page again saying why not.
async fn answer_with<T>(
    page: Page,
    app: &App,
    admin: &AdminUser,
    done: &'static str,
    outcome: Result<T, Failure<NetworkError>>,
    typed: (String, String),
) -> Result<HttpResponse, AppError> {
    let refusal = match outcome {
        Ok(_) => {
            return Ok(HttpResponse::SeeOther()
                .insert_header((header::LOCATION, format!("/network?done={done}")))
                .finish());
        }
        Err(Failure::Refused(error)) => error.refusal(),
        Err(Failure::Pool(error)) => return Err(AppError::Pool(error)),
        Err(Failure::Stopped(error)) => return Err(AppError::Stopped(error)),
    };
    let key = match &refusal {
        Refusal::Invalid(fields) => fields.first().map(|f| f.message_key),
        Refusal::Conflict { message, .. } => Some(message.key),
        _ => None,
    };
    let refused = AppError::Refused(refusal);
    match key {
        Some(key) => {
            let status = refused.answer().status;
            render(&page, app, &admin.0, status, Some((key, typed.0, typed.1))).await
        }
        None => Err(refused),
    }
}

#[derive(Deserialize)]
pub struct CreateForm {
    name: String,
}

#[post("/network")]
pub async fn create(
    page: Page,
    admin: AdminUser,
    form: CsrfForm<CreateForm>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let name = form.0.name;
    let outcome = networks::create(&app, Actor::admin(&admin.0), name.clone()).await;
    answer_with(
        page,
        &app,
        &admin,
        "created",
        outcome,
        (name, String::new()),
    )
    .await
}

#[derive(Deserialize)]
pub struct InviteForm {
    email: String,
}

#[post("/network/invitations")]
pub async fn invite(
    page: Page,
    admin: AdminUser,
    form: CsrfForm<InviteForm>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let email = form.0.email.trim().to_string();
    let outcome = networks::invite(&app, Actor::admin(&admin.0), email.clone()).await;
    answer_with(
        page,
        &app,
        &admin,
        "invited",
        outcome,
        (String::new(), email),
    )
    .await
}

/// The invited organisation's admin answers; `done` names it on the page.
async fn answer_invitation(
    page: Page,
    admin: AdminUser,
    invitation: InvitationId,
    (answer, done): (Answer, &'static str),
    app: &App,
) -> Result<HttpResponse, AppError> {
    let outcome = networks::answer(app, Actor::admin(&admin.0), invitation, answer).await;
    answer_with(page, app, &admin, done, outcome, Default::default()).await
}

#[post("/network/invitations/{id}/accept")]
pub async fn accept(
    page: Page,
    admin: AdminUser,
    path: web::Path<InvitationId>,
    _form: CsrfForm<NoFields>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let answer = (Answer::Accepted, "accepted");
    answer_invitation(page, admin, path.into_inner(), answer, &app).await
}

#[post("/network/invitations/{id}/decline")]
pub async fn decline(
    page: Page,
    admin: AdminUser,
    path: web::Path<InvitationId>,
    _form: CsrfForm<NoFields>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let answer = (Answer::Declined, "declined");
    answer_invitation(page, admin, path.into_inner(), answer, &app).await
}

#[post("/network/leave")]
pub async fn leave(
    page: Page,
    admin: AdminUser,
    _form: CsrfForm<NoFields>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let outcome = networks::leave(&app, Actor::admin(&admin.0)).await;
    answer_with(page, &app, &admin, "left", outcome, Default::default()).await
}
