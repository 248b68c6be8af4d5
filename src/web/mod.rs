//! HTTP: routes, extractors, pages and the mapping of errors to responses.

mod assets;
mod error;
mod health;
mod home;
mod locale;
mod security;
mod views;

pub use error::AppError;
pub use locale::Lang;
pub use views::Views;

use actix_web::web;

use crate::db::{AnyConnection, DbPool};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(health::healthz)
        .service(health::readyz)
        .service(assets::serve)
        .service(locale::switch_language)
        .service(home::start_page)
        .default_service(web::to(error::not_found));
}

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
    web::block(move || {
        let mut conn = pool.get().map_err(AppError::from)?;
        work(&mut conn).map_err(Into::into)
    })
    .await?
}
