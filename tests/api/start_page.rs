use crate::helpers::{Backend, spawn_app};
use crate::on_both_backends;

/// The shipped factor table, as a person reading the start page should see it.
const FACTOR_TABLE: &str = include_str!("../../migrations/seed/emission_factors.csv");

async fn start_page_is_swedish_by_default(backend: Backend) {
    let app = spawn_app(backend).await;
    let page = app.get_page("/").await;
    assert_eq!(page.attr("html", "lang"), "sv");
    assert_eq!(page.text_of("h1"), "Återbruk först");
    assert!(page.text_of("title").contains("Bruka"));
}

async fn start_page_has_landmarks_and_a_working_skip_link(backend: Backend) {
    let app = spawn_app(backend).await;
    let page = app.get_page("/").await;
    let skip = page.select_all("body > a.skip-link");
    assert_eq!(skip.len(), 1, "skip link is the first thing in body");
    assert_eq!(skip[0].value().attr("href"), Some("#main"));
    assert_eq!(page.select_all("main#main").len(), 1);
    assert_eq!(page.select_all("header").len(), 1);
    assert_eq!(page.select_all("footer").len(), 1);
    for nav in page.select_all("nav") {
        assert!(
            nav.value().attr("aria-label").is_some(),
            "every nav is labelled"
        );
    }
    assert_eq!(
        page.attr("nav.main-nav a[href='/']", "aria-current"),
        "page"
    );
    assert!(
        page.attr("meta[name=viewport]", "content")
            .contains("width=device-width")
    );
    for img in page.select_all("img") {
        assert!(
            img.value().attr("alt").is_some(),
            "every image has alt text"
        );
    }
}

async fn start_page_lists_every_category_with_its_sourced_factor(backend: Backend) {
    let app = spawn_app(backend).await;
    let page = app.get_page("/").await;
    let captions: Vec<String> = page
        .select_all("table.categories caption")
        .iter()
        .map(|c| c.text().collect::<String>())
        .collect();
    assert_eq!(
        captions,
        ["Möbler", "IT", "Vitvaror", "Elektronik", "Övrigt"]
    );

    let row_headers: Vec<String> = page
        .select_all("table.categories tbody th[scope=row]")
        .iter()
        .map(|c| c.text().collect::<String>())
        .collect();
    let expected: Vec<&str> = FACTOR_TABLE
        .lines()
        .skip(1)
        .filter_map(|line| line.split(',').next())
        .filter_map(|path| path.split('/').nth(1))
        .collect();
    assert_eq!(row_headers, expected);

    let text = page.visible_text();
    assert!(text.contains("Kontorsstol 64 kg CO₂e per styck"), "{text}");
    assert!(text.contains("FIRA 2011 office chair benchmark"));
    assert!(
        text.contains("5,65 kg CO₂e per kg"),
        "per-kg factors use Swedish decimals"
    );
    assert!(
        text.contains("cirka 4 000 kr uppskattning"),
        "prices are marked as estimates"
    );
    assert!(text.contains("Faktortabell bruka-emission-factors-2026-11"));
    assert!(
        text.contains("Undvikna utsläpp = D ×"),
        "the method is explained"
    );
}

async fn start_page_is_fully_localised_in_english(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app.browser.get_in_language("/", "en-GB,en;q=0.9").await;
    let page = crate::helpers::Page::from_response(response).await;
    assert_eq!(page.attr("html", "lang"), "en");
    let text = page.visible_text();
    assert!(text.contains("Office chair 64 kg CO₂e per item"), "{text}");
    assert!(text.contains("Furniture"));
    assert!(text.contains("about 4,000 SEK estimate"));
    assert!(
        !text.contains("Kontorsstol"),
        "no Swedish category names left"
    );
}

on_both_backends!(
    start_page_is_swedish_by_default,
    start_page_has_landmarks_and_a_working_skip_link,
    start_page_lists_every_category_with_its_sourced_factor,
    start_page_is_fully_localised_in_english,
);
