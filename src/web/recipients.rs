//! Giving outside the organisation: the admin's approved recipients and terms, the
//! invitation link's pages (terms, then the offer and the recipient's claims), and the
//! lister's side (offer a listing outside, hand a claim over or decline it).
//!
//! The invitation pages have no sign-in: the link's secret is the recipient's key, so they
//! are never cached or indexed and leak no referrer.

use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, HeaderValue};
use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};

use super::auth::CurrentUser;
use super::csrf::{CsrfForm, NoFields};
use super::{AppError, Page, see_other};
use crate::app::recipients as giving;
use crate::app::{App, Failure};
use crate::i18n::local_time;
use crate::ids::{ClaimId, ItemId, RecipientId};
use crate::recipients::{NewRecipient, RecipientError, RecipientKind};
use crate::refusal::FieldError;

#[derive(Deserialize)]
pub struct InviteForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    contact_email: String,
}

#[post("/admin/recipients")]
pub async fn invite(
    page: Page,
    user: CurrentUser,
    form: CsrfForm<InviteForm>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let form = form.0;
    let outcome = match RecipientKind::parse(form.kind.trim()) {
        Some(kind) => {
            let recipient = NewRecipient {
                name: form.name,
                kind,
                contact_email: form.contact_email,
            };
            giving::invite(&app, user.0.viewer, recipient).await
        }
        None => Err(Failure::Refused(RecipientError::Invalid(vec![
            FieldError::new("kind", "recipient-error-kind"),
        ]))),
    };
    match outcome {
        Ok(id) => Ok(see_other(&format!("/admin?saved=1#recipient-{id}"))),
        Err(failure) => page.explain(failure.into(), "/admin#recipients"),
    }
}

#[post("/admin/recipients/{id}/remove")]
pub async fn remove(
    page: Page,
    user: CurrentUser,
    path: web::Path<RecipientId>,
    _form: CsrfForm<NoFields>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    match giving::remove(&app, user.0.viewer, path.into_inner()).await {
        Ok(()) => Ok(see_other("/admin?saved=1#recipients")),
        Err(failure) => page.explain(failure.into(), "/admin#recipients"),
    }
}

#[derive(Deserialize)]
pub struct TermsForm {
    #[serde(default)]
    terms: String,
}

#[post("/admin/recipient-terms")]
pub async fn set_terms(
    page: Page,
    user: CurrentUser,
    form: CsrfForm<TermsForm>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    match giving::set_terms(&app, user.0.viewer, form.0.terms).await {
        Ok(()) => Ok(see_other("/admin?saved=1#recipients")),
        Err(failure) => page.explain(failure.into(), "/admin#recipients"),
    }
}

/// The admin page's list of recipients.
#[derive(Serialize)]
pub(super) struct RecipientView {
    id: RecipientId,
    name: String,
    kind: &'static str,
    contact_email: String,
    status: &'static str,
    accepted: Option<String>,
    accepted_by: String,
}

pub(super) fn recipient_views(recipients: &[crate::recipients::Recipient]) -> Vec<RecipientView> {
    recipients
        .iter()
        .map(|r| RecipientView {
            id: r.id,
            name: r.name.clone(),
            kind: r.kind.as_str(),
            contact_email: r.contact_email.clone(),
            status: r.status.as_str(),
            accepted: r.terms_accepted_at.map(local_time),
            accepted_by: r.accepted_by_name.clone(),
        })
        .collect()
}

#[derive(Serialize)]
struct OfferView {
    id: ItemId,
    title: String,
    condition: String,
    available: i32,
    site: String,
}

#[derive(Serialize)]
pub(super) struct ClaimView {
    id: ClaimId,
    item_title: String,
    quantity: i32,
    status: &'static str,
    recipient: String,
    claimed: String,
    message: String,
}

pub(super) fn claim_views(lines: &[crate::recipients::ClaimLine]) -> Vec<ClaimView> {
    lines
        .iter()
        .map(|line| ClaimView {
            id: line.claim.id,
            item_title: line.claim.item_title.clone(),
            quantity: line.claim.quantity,
            status: line.claim.status.as_str(),
            recipient: line.recipient.clone(),
            claimed: local_time(line.claim.created_at),
            message: line.claim.message.clone(),
        })
        .collect()
}

/// `give.html`.
#[derive(Serialize)]
struct GatePage {
    token: String,
    recipient: String,
    organisation: String,
    active: bool,
    terms: String,
    offered: Vec<OfferView>,
    claims: Vec<ClaimView>,
    done: Option<&'static str>,
}

/// Pages behind a secret link: not kept by caches or the browser's history of referrers.
fn private(mut response: HttpResponse) -> HttpResponse {
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response.headers_mut().insert(
        actix_web::http::header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response.headers_mut().insert(
        actix_web::http::header::HeaderName::from_static("x-robots-tag"),
        HeaderValue::from_static("noindex"),
    );
    response
}

#[get("/give/{token}")]
pub async fn gate(
    page: Page,
    path: web::Path<String>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let gate = giving::gate(&app, token.clone()).await?;
    let view = GatePage {
        token,
        recipient: gate.recipient.name.clone(),
        organisation: gate.organisation_name,
        active: gate.recipient.status == crate::recipients::RecipientStatus::Active,
        terms: gate.terms,
        offered: gate
            .offered
            .iter()
            .map(|item| OfferView {
                id: item.id,
                title: item.fields.title.clone(),
                condition: item.fields.condition.as_str().to_string(),
                available: item.quantity_available,
                site: item.fields.site.clone(),
            })
            .collect(),
        claims: claim_views(&gate.claims),
        done: ["accepted", "claimed"]
            .into_iter()
            .find(|d| page.query_has(&format!("done={d}"))),
    };
    page.show(StatusCode::OK, "give.html", &view).map(private)
}

#[derive(Deserialize)]
pub struct AcceptForm {
    #[serde(default)]
    accepted_by: String,
    #[serde(default)]
    accept: String,
}

#[post("/give/{token}/accept")]
pub async fn accept(
    page: Page,
    path: web::Path<String>,
    form: CsrfForm<AcceptForm>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let back = format!("/give/{token}");
    let outcome = if form.0.accept != "yes" {
        Err(Failure::Refused(RecipientError::Invalid(vec![
            FieldError::new("accept", "recipient-error-accept"),
        ])))
    } else {
        giving::accept_terms(&app, token, form.0.accepted_by).await
    };
    match outcome {
        Ok(()) => Ok(see_other(&format!("{back}?done=accepted"))),
        Err(failure) => page.explain(failure.into(), &back).map(private),
    }
}

#[derive(Deserialize)]
pub struct ClaimForm {
    #[serde(default)]
    quantity: String,
    #[serde(default)]
    message: String,
}

#[post("/give/{token}/claim/{item}")]
pub async fn take(
    page: Page,
    path: web::Path<(String, ItemId)>,
    form: CsrfForm<ClaimForm>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let (token, item) = path.into_inner();
    let back = format!("/give/{token}");
    let outcome = match form.0.quantity.trim().parse::<i32>() {
        Ok(quantity) => giving::claim(&app, token, item, quantity, form.0.message).await,
        Err(_) => Err(Failure::Refused(RecipientError::Invalid(vec![
            FieldError::new("quantity", "reserve-error-quantity"),
        ]))),
    };
    match outcome {
        Ok(_) => Ok(see_other(&format!("{back}?done=claimed#claims"))),
        Err(failure) => page.explain(failure.into(), &back).map(private),
    }
}

#[post("/items/{id}/offer-outside")]
pub async fn offer_outside(
    page: Page,
    user: CurrentUser,
    path: web::Path<ItemId>,
    _form: CsrfForm<NoFields>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let item = path.into_inner();
    match giving::offer_outside(&app, user.0.viewer, item).await {
        Ok(()) => Ok(see_other(&format!("/items/{item}?done=outside#claims"))),
        Err(failure) => page.explain(failure.into(), &format!("/items/{item}")),
    }
}

#[post("/claims/{id}/{step}")]
pub async fn settle(
    page: Page,
    user: CurrentUser,
    path: web::Path<(ClaimId, String)>,
    _form: CsrfForm<NoFields>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let (claim, step) = path.into_inner();
    let hand_over = match step.as_str() {
        "handed-over" => true,
        "decline" => false,
        _ => return Err(AppError::NotFound),
    };
    match giving::settle(&app, user.0.viewer, claim, hand_over).await {
        Ok(item) => Ok(see_other(&format!(
            "/items/{item}?done=claim-{step}#claims"
        ))),
        Err(failure) => page.explain(failure.into(), "/my"),
    }
}
