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
    app.create_organisation("Alingsås kommun", "alingsas.se", &["Skolan"])
        .await;
    app.browser
        .sign_in("anna@alingsas.se", "Anna Andersson")
        .await;
    assert_eq!(app.get("/readyz").await.status(), 200);
    tokio::task::block_in_place(|| app.database.drop_now());
    // As a load balancer asks: without the person's cookies.
    let response = reqwest::Client::new()
        .get(app.url("/readyz"))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["status"], "unavailable");
    let alive = reqwest::Client::new()
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("sent");
    assert_eq!(alive.status(), 200);

    // Pages say "try again" with Retry-After, and without first sitting out the pool's
    // 10 s connection timeout now that the database is known to be down.
    for _ in 0..3 {
        let asked = std::time::Instant::now();
        let response = app.browser.get("/items").await;
        assert_eq!(response.status(), 503);
        assert_eq!(response.headers()["retry-after"], "5");
        assert!(
            asked.elapsed() < std::time::Duration::from_secs(5),
            "answered without the full pool timeout: {:?}",
            asked.elapsed()
        );
    }
}

/// A PostgreSQL restart ends every pooled connection. A connection that sat idle is checked
/// before use, so the first page after a quiet spell works; one that was in use a moment
/// before is trusted, fails its request and is closed, so at most one request per pooled
/// connection fails and the pool then serves from new connections.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_recover_when_postgres_ends_the_connections() {
    if crate::helpers::postgres_admin_url().is_none() {
        return;
    }
    let app = spawn_app(Backend::Postgres).await;
    app.create_organisation("Alingsås kommun", "alingsas.se", &["Skolan"])
        .await;
    app.browser
        .sign_in("anna@alingsas.se", "Anna Andersson")
        .await;
    assert_eq!(app.browser.get("/items").await.status(), 200);

    let ended = tokio::task::block_in_place(|| app.database.cut_connections());
    assert!(ended >= 1, "the server had connections to end");
    tokio::time::sleep(std::time::Duration::from_millis(1_500)).await;
    assert_eq!(
        app.browser.get("/items").await.status(),
        200,
        "idle connections are checked before use"
    );

    tokio::task::block_in_place(|| app.database.cut_connections());
    let mut statuses = Vec::new();
    for _ in 0..12 {
        statuses.push(app.browser.get("/items").await.status().as_u16());
    }
    assert!(
        statuses
            .iter()
            .all(|&status| status == 200 || status == 503),
        "a lost connection is 'try again', not a failure: {statuses:?}"
    );
    let failed = statuses.iter().filter(|&&status| status != 200).count();
    let pool_size = app.settings.database.pool_size.get() as usize;
    assert!(
        failed <= pool_size,
        "at most one failed request per pooled connection: {statuses:?}"
    );
    assert!(
        statuses[pool_size..].iter().all(|&status| status == 200),
        "a failed connection is not used again: {statuses:?}"
    );
}
