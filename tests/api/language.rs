use crate::helpers::{Backend, Page, spawn_app};
use crate::on_both_backends;

async fn accept_language_picks_norwegian(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app
        .browser
        .get_in_language("/", "nb-NO,nb;q=0.9,en;q=0.5")
        .await;
    let page = Page::from_response(response).await;
    assert_eq!(page.attr("html", "lang"), "nb");
    assert_eq!(page.text_of("h1"), "Ombruk først");
    let response = app
        .browser
        .get_in_language("/factors", "nb-NO,nb;q=0.9,en;q=0.5")
        .await;
    let page = Page::from_response(response).await;
    assert!(
        page.visible_text()
            .contains("Kontorstol 64 kg CO₂e per stykk")
    );
}

async fn unsupported_browser_language_falls_back_to_swedish(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app.browser.get_in_language("/", "de-DE,fr;q=0.8").await;
    assert_eq!(
        Page::from_response(response).await.attr("html", "lang"),
        "sv"
    );
}

async fn switcher_remembers_the_choice_and_returns_to_the_page(backend: Backend) {
    let app = spawn_app(backend).await;
    let page = app.get_page("/").await;
    let links = page.select_all(".wide-only nav.language-switcher a");
    assert_eq!(links.len(), 3);
    let current = page.attr(
        ".wide-only nav.language-switcher a[aria-current=true]",
        "lang",
    );
    assert_eq!(current, "sv");
    let english = page.attr(".wide-only nav.language-switcher a[hreflang=en]", "href");

    let response = app.get(&english).await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/");
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .expect("ascii")
        .to_string();
    assert!(cookie.starts_with("bruka_lang=en"), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );

    // The cookie beats the browser's own preference.
    let response = app.browser.get_in_language("/", "sv-SE").await;
    let page = Page::from_response(response).await;
    assert_eq!(page.attr("html", "lang"), "en");
    assert_eq!(page.text_of("h1"), "Reuse first");
}

async fn switcher_keeps_the_query_and_refuses_foreign_targets(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app.get("/language/nb?next=%2F%3Fq%3Dstol").await;
    assert_eq!(response.headers()["location"], "/?q=stol");
    let response = app
        .get("/language/nb?next=https%3A%2F%2Fevil.example")
        .await;
    assert_eq!(response.headers()["location"], "/");
    let response = app.get("/language/nb?next=%2F%2Fevil.example").await;
    assert_eq!(response.headers()["location"], "/");
    let response = app.get("/language/de?next=%2F").await;
    assert_eq!(response.status(), 404);
}

on_both_backends!(
    accept_language_picks_norwegian,
    unsupported_browser_language_falls_back_to_swedish,
    switcher_remembers_the_choice_and_returns_to_the_page,
    switcher_keeps_the_query_and_refuses_foreign_targets,
);
