use crate::helpers::{Backend, Page, spawn_app};
use crate::on_both_backends;

async fn unknown_page_is_a_localised_404_with_request_id(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app.get("/finns-inte").await;
    assert_eq!(response.status(), 404);
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .expect("ascii")
        .to_string();
    assert!(
        response.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("text/html")
    );
    let page = Page::from_response(response).await;
    assert_eq!(page.attr("html", "lang"), "sv");
    assert_eq!(page.text_of("h1"), "Sidan finns inte");
    assert!(
        page.visible_text().contains(&request_id),
        "the page shows the id to quote"
    );

    let response = app.browser.get_in_language("/missing", "en").await;
    assert_eq!(
        Page::from_response(response).await.text_of("h1"),
        "Page not found"
    );
}

async fn wrong_method_gets_an_error_page_not_a_blank(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app
        .client
        .post(app.url("/healthz"))
        .send()
        .await
        .expect("sent");
    assert!(response.status().is_client_error(), "{}", response.status());
    let page = Page::from_response(response).await;
    assert_eq!(page.attr("html", "lang"), "sv");
    assert!(!page.text_of("h1").is_empty());
}

async fn pages_carry_security_headers(backend: Backend) {
    let app = spawn_app(backend).await;
    for path in ["/", "/finns-inte", "/healthz"] {
        let response = app.get(path).await;
        let headers = response.headers();
        let csp = headers["content-security-policy"].to_str().expect("ascii");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["referrer-policy"], "same-origin", "{path}");
        assert!(headers.contains_key("x-request-id"), "{path}");
    }
}

/// Error pages for a signed-in person show their name and form token: never cached.
async fn error_pages_for_signed_in_people_are_not_stored(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_organisation("Borås stad", "boras.se", &["IT"])
        .await;
    app.browser.sign_in("anna@boras.se", "Anna Andersson").await;
    let not_found = app.browser.get("/items/999999").await;
    let refused = app
        .browser
        .post_raw("/profile/notify", &[("notify", "none")])
        .await;
    let bad = app
        .browser
        .post_form("/profile/notify", &[("notify", "hourly")])
        .await;
    for (response, status) in [(not_found, 404), (refused, 403), (bad, 400)] {
        assert_eq!(response.status(), status);
        assert_eq!(response.headers()["cache-control"], "no-store", "{status}");
        let page = Page::from_response(response).await;
        assert!(
            page.visible_text().contains("Anna Andersson"),
            "{status}: a personal page"
        );
    }
    let api = app
        .client
        .get(app.url("/api/v1/items"))
        .send()
        .await
        .expect("sent");
    assert_eq!(api.status(), 401);
    assert_eq!(
        api.headers()["cache-control"],
        "no-store",
        "problem documents"
    );
}

on_both_backends!(
    error_pages_for_signed_in_people_are_not_stored,
    unknown_page_is_a_localised_404_with_request_id,
    wrong_method_gets_an_error_page_not_a_blank,
    pages_carry_security_headers,
);
