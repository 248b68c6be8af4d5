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

on_both_backends!(
    unknown_page_is_a_localised_404_with_request_id,
    wrong_method_gets_an_error_page_not_a_blank,
    pages_carry_security_headers,
);
