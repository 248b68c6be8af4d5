use crate::helpers::{Backend, spawn_app};
use crate::on_both_backends;

async fn stylesheet_is_cached_for_a_year_under_its_versioned_url(backend: Backend) {
    let app = spawn_app(backend).await;
    let css_url = app.get_page("/").await.attr("link[rel=stylesheet]", "href");
    assert!(css_url.starts_with("/assets/bruka.css?v="), "{css_url}");

    let response = app.get(&css_url).await;
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert!(
        headers["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("text/css")
    );
    assert_eq!(
        headers["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let etag = headers["etag"].to_str().expect("ascii").to_string();
    assert!(
        response
            .text()
            .await
            .expect("css")
            .contains(":focus-visible")
    );

    let revalidated = app
        .client
        .get(app.url("/assets/bruka.css"))
        .header("If-None-Match", &etag)
        .send()
        .await
        .expect("sent");
    assert_eq!(revalidated.status(), 304);
    assert_eq!(
        revalidated.headers()["cache-control"],
        "public, max-age=300"
    );
}

async fn unknown_assets_are_404(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_eq!(app.get("/assets/nope.css").await.status(), 404);
    assert_eq!(app.get("/assets/..%2FCargo.toml").await.status(), 404);
}

on_both_backends!(
    stylesheet_is_cached_for_a_year_under_its_versioned_url,
    unknown_assets_are_404,
);
