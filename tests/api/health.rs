use crate::helpers::{Backend, spawn_app};
use crate::on_both_backends;

async fn healthz_answers_ok(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.text().await.expect("body"), "ok");
}

async fn readyz_reports_the_database_backend(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.expect("json");
    let expected = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    assert_eq!(body["status"], "ready");
    assert_eq!(body["database"], expected);
}

on_both_backends!(healthz_answers_ok, readyz_reports_the_database_backend);

/// Only PostgreSQL can lose its database under a running server in a test; readiness must
/// then say so while liveness stays up (a restart would not help).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_fails_when_postgres_database_is_gone() {
    if crate::helpers::postgres_admin_url().is_none() {
        return;
    }
    let mut app = spawn_app(Backend::Postgres).await;
    assert_eq!(app.get("/readyz").await.status(), 200);
    tokio::task::block_in_place(|| app.database.drop_now());
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["status"], "unavailable");
    assert_eq!(app.get("/healthz").await.status(), 200);
}
