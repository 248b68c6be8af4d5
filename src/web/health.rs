//! Liveness and readiness for load balancers and orchestrators.

use std::time::Duration;

use actix_web::{HttpResponse, get, web};
use diesel::RunQueryDsl;
use serde_json::json;

use crate::app::App;
use crate::db::Backend;

/// The process is up and answering.
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .body("ok")
}

/// The instance can serve requests: the database answers within two seconds.
#[get("/readyz")]
pub async fn readyz(app: web::Data<App>) -> HttpResponse {
    let pool = app.db.clone();
    let check = web::block(move || -> Result<Backend, String> {
        let mut conn = pool
            .get_timeout(Duration::from_secs(2))
            .map_err(|e| e.to_string())?;
        diesel::sql_query("SELECT 1")
            .execute(&mut *conn)
            .map_err(|e| {
                pool.mark_down();
                e.to_string()
            })?;
        Ok(conn.backend())
    })
    .await;
    let photos = match &check {
        Ok(Ok(_)) => app.photos.check().await,
        _ => Ok(()),
    };
    let (status, body) = match check {
        Ok(Ok(_)) if photos.is_err() => {
            if let Err(error) = photos {
                tracing::warn!(%error, "readiness check failed: photo store");
            }
            (
                actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
                json!({ "status": "unavailable", "reason": "photos" }),
            )
        }
        Ok(Ok(backend)) => (
            actix_web::http::StatusCode::OK,
            json!({
                "status": "ready",
                "database": backend_name(backend),
                "photos": app.photos.kind(),
            }),
        ),
        Ok(Err(reason)) => {
            tracing::warn!(%reason, "readiness check failed");
            (
                actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
                json!({ "status": "unavailable", "reason": "database" }),
            )
        }
        Err(_) => (
            actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
            json!({ "status": "unavailable", "reason": "worker" }),
        ),
    };
    HttpResponse::build(status)
        .insert_header(("Cache-Control", "no-store"))
        .json(body)
}

fn backend_name(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    }
}
