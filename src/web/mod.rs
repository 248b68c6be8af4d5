//! HTTP: routes, extractors, pages and the mapping of errors to responses.

mod admin;
mod alerts;
pub mod api;
mod assets;
pub mod auth;
pub mod cards;
pub mod catalog;
pub mod csrf;
mod error;
mod fragments;
mod health;
pub(crate) mod home;
pub mod items;
mod ledger;
mod locale;
mod login;
mod multipart;
mod profile;
pub mod rate_limit;
pub mod reservations;
mod security;
pub mod stats;
mod views;

pub use error::AppError;
pub use locale::Lang;
pub use views::Views;

use actix_web::web;

use crate::app::{Delivery, write};
use crate::db::{AnyConnection, DbPool};
use crate::events::Tx;
use crate::mail::MailQueue;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(api::openapi_json)
        .service(api::scope())
        .service(health::healthz)
        .service(health::readyz)
        .service(assets::serve)
        .service(locale::switch_language)
        .service(home::start_page)
        .service(login::login_page)
        .service(login::request_link)
        .service(login::confirm_page)
        .service(login::confirm)
        .service(login::logout)
        .service(login::welcome_page)
        .service(login::save_welcome)
        .service(admin::admin_page)
        .service(admin::add_unit)
        .service(admin::rename_unit)
        .service(admin::add_domain)
        .service(admin::remove_domain)
        .service(admin::set_role)
        .service(admin::set_method)
        .service(items::browse_page)
        .service(items::new_form)
        .service(items::create)
        .service(items::edit_form)
        .service(items::show)
        .service(items::update)
        .service(items::change_status)
        .service(items::my_items)
        .service(items::serve_photo)
        .service(reservations::reserve)
        .service(reservations::show)
        .service(reservations::act)
        .service(reservations::my_page)
        .service(stats::dashboard)
        .service(stats::export_file)
        .service(stats::public_summary)
        .service(admin::set_public_summary)
        .service(profile::profile_page)
        .service(profile::create_token)
        .service(profile::revoke_token)
        .service(ledger::ledger_page)
        .service(ledger::reverse)
        .service(ledger::audit_page)
        .service(alerts::save_search)
        .service(alerts::wanted_page)
        .service(alerts::post_wanted)
        .service(alerts::stop_own)
        .service(alerts::stop_page)
        .service(alerts::stop_by_token)
        .default_service(web::to(error::not_found));
}

/// The address people reach this instance at, for links in mail.
pub struct SiteUrl(pub String);

pub use auth::load_session;
pub use csrf::csrf_cookie;
pub use error::error_pages;
pub use security::{request_id_header, security_headers};

/// Runs blocking database work on actix's thread pool so request threads never wait on I/O.
pub async fn with_conn<T, E, F>(pool: &web::Data<DbPool>, work: F) -> Result<T, AppError>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: Into<AppError> + Send + 'static,
{
    let pool = pool.clone();
    let _turn = pool.turn().await;
    web::block(move || {
        let mut conn = pool.get().map_err(AppError::from)?;
        work(&mut conn).map_err(Into::into)
    })
    .await?
}

/// Runs a write use case in one transaction whose events are dispatched before it commits,
/// then wakes the mail worker for whatever it queued. The inner result is the use case's
/// own refusal; the transaction was rolled back then.
pub async fn with_write<T, E, F>(
    pool: &web::Data<DbPool>,
    mail: &web::Data<MailQueue>,
    work: F,
) -> Result<Result<T, E>, AppError>
where
    F: FnOnce(&mut Tx) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<diesel::result::Error> + Send + 'static,
{
    let outcome = with_conn(pool, move |conn| {
        Ok::<_, AppError>(write(conn, Delivery::Mail, work))
    })
    .await?;
    if outcome.is_ok() {
        mail.wake_worker();
    }
    Ok(outcome)
}
