//! The start page (what Bruka is for when signed out; search, to-do and the newest listings
//! when signed in) and the factor table with the method on its own page.

use bruka::db::schema::items;
use bruka::i18n::local_date;
use chrono::{Duration, Utc};
use diesel::prelude::*;

use crate::helpers::{Backend, spawn_app};
use crate::on_both_backends;
use crate::reservations::{list_chairs, lister_and_requester, reserve};

/// The shipped factor table, as a person reading the factor page should see it.
const FACTOR_TABLE: &str = include_str!("../../migrations/seed/emission_factors_2026_12.csv");

async fn start_page_is_swedish_by_default(backend: Backend) {
    let app = spawn_app(backend).await;
    let page = app.get_page("/").await;
    assert_eq!(page.attr("html", "lang"), "sv");
    assert_eq!(page.text_of("h1"), "Återbruk först");
    assert!(page.text_of("title").contains("Bruka"));
    assert_eq!(page.attr("main a.button", "href"), "/login");
    assert_eq!(
        page.select_all("main a[href='/factors']").len(),
        1,
        "the factors are a link away"
    );
    assert!(
        page.select_all("table").is_empty(),
        "no factor table on the start page"
    );
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

async fn factor_page_lists_every_category_with_its_sourced_factor(backend: Backend) {
    let app = spawn_app(backend).await;
    let page = app.get_page("/factors").await;
    assert_eq!(page.text_of("h1"), "Utsläppsfaktorer och metod");
    assert_eq!(
        page.attr("footer a[href='/factors']", "href"),
        "/factors",
        "the footer links the factor table"
    );
    assert_eq!(
        page.attr("footer a[href='/factors#method']", "href"),
        "/factors#method"
    );
    assert_eq!(page.select_all("section#method").len(), 1);
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
        text.contains("Faktortabell bruka-emission-factors-2026-12"),
        "rows the second table changed name it"
    );
    assert!(
        text.contains("mellan 64 och 165 kg CO₂e per styck beroende på källa"),
        "a range is shown where sources disagree"
    );
    assert!(
        text.contains("Undvikna utsläpp = D ×"),
        "the method is explained"
    );
}

async fn factor_page_is_fully_localised_in_english(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app
        .browser
        .get_in_language("/factors", "en-GB,en;q=0.9")
        .await;
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

/// Bo reserves two of Anna's chairs; Anna's other listing ends in three days; Trollhättan,
/// outside Borås's network, lists a desk.
async fn signed_in_start_page_shows_search_to_do_and_newest(backend: Backend) {
    let app = spawn_app(backend).await;
    let bo = lister_and_requester(&app).await;
    let chairs = list_chairs(&app, 6).await;
    let reserved = reserve(&bo, chairs, "2").await;
    assert_eq!(reserved.status(), 303);
    let category = app.category_id("mobler/skrivbord").await;
    let fields = [
        ("title", "Höj- och sänkbart skrivbord"),
        ("category_id", category.as_str()),
        ("condition", "good"),
        ("quantity", "1"),
        ("site", "Stadshuset"),
        ("action", "publish"),
    ];
    let desk = app.browser.post_item(&fields, vec![]).await;
    let ends = local_date(Utc::now().naive_utc()) + Duration::days(3);
    app.with_conn(move |conn| {
        diesel::update(items::table.find(desk))
            .set(items::expires_on.eq(Some(ends)))
            .execute(conn)
            .expect("end date set")
    })
    .await;
    app.create_organisation("Trollhättans stad", "trollhattan.se", &["Skolan"])
        .await;
    let stranger = app.new_browser();
    stranger.sign_in("eva@trollhattan.se", "Eva Ek").await;
    let mut oak = fields.to_vec();
    oak[0] = ("title", "Skrivbord i ek");
    let elsewhere = stranger.post_item(&oak, vec![]).await;

    let page = bo.get_page("/").await;
    assert_eq!(page.text_of("h1"), "Vad behöver du?");
    assert_eq!(page.attr("form[role=search]", "action"), "/items");
    assert_eq!(
        page.attr("form[role=search] input[type=search]", "name"),
        "q"
    );
    assert_eq!(
        page.text_of("label[for=start-q]"),
        "Sök bland sakerna",
        "the search box is labelled"
    );
    assert_eq!(page.text_of("main a[href='/items/new']"), "Lägg upp");
    let collect = page.text_of("ul[aria-labelledby=todo-collect]");
    assert!(collect.contains("Kontorsstol med armstöd"), "{collect}");
    assert!(collect.contains("2 st · hämtas senast"), "{collect}");
    let reservation = crate::reservations::reservation_id(&reserved);
    assert_eq!(
        page.attr("ul[aria-labelledby=todo-collect] a", "href"),
        format!("/reservations/{reservation}")
    );
    assert!(
        page.select_all("#todo-hand-over, #todo-ending").is_empty(),
        "Bo lists nothing"
    );
    let cards: Vec<String> = page
        .select_all(".newest .card-title")
        .iter()
        .map(|title| title.text().collect())
        .collect();
    assert_eq!(
        cards,
        ["Höj- och sänkbart skrivbord", "Kontorsstol med armstöd"],
        "newest first, own organisation only"
    );
    assert!(
        page.select_all(&format!("a[href='/items/{elsewhere}']"))
            .is_empty(),
        "a listing outside the network is not shown"
    );
    assert_eq!(
        page.text_of(".start-actions a.secondary"),
        "Visa alla 2 saker"
    );

    let anna = app.browser.get_page("/").await;
    let hand_over = anna.text_of("ul[aria-labelledby=todo-hand-over]");
    assert!(hand_over.contains("2 st till Bo Berg"), "{hand_over}");
    let ending = anna.text_of("ul[aria-labelledby=todo-ending]");
    assert!(ending.contains("Höj- och sänkbart skrivbord"), "{ending}");
    assert!(
        ending.contains(&format!("går ut om 3 dagar ({ends})")),
        "{ending}"
    );
    assert_eq!(
        anna.attr("ul[aria-labelledby=todo-ending] a", "href"),
        format!("/items/{desk}/edit")
    );
    assert!(anna.select_all("#todo-collect").is_empty());

    // Someone with nothing waiting is told so, in their language.
    let response = stranger.get_in_language("/", "en").await;
    let page = crate::helpers::Page::from_response(response).await;
    assert_eq!(page.text_of("h1"), "What do you need?");
    assert_eq!(
        page.text_of(".todo .empty"),
        "Nothing is waiting for you right now."
    );
    assert_eq!(page.text_of(".newest .card-title"), "Skrivbord i ek");
}

/// Someone signed in without a profile yet is asked for it before the start page.
async fn start_page_asks_a_new_person_for_their_profile_first(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_organisation("Borås stad", "boras.se", &["Grundskolan"])
        .await;
    let link = app.browser.request_link("ny@boras.se").await;
    app.browser.follow_link(&link).await;
    let response = app.browser.get("/").await;
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().expect("ascii");
    assert!(location.starts_with("/welcome"), "{location}");
}

on_both_backends!(
    start_page_is_swedish_by_default,
    start_page_has_landmarks_and_a_working_skip_link,
    factor_page_lists_every_category_with_its_sourced_factor,
    factor_page_is_fully_localised_in_english,
    signed_in_start_page_shows_search_to_do_and_newest,
    start_page_asks_a_new_person_for_their_profile_first,
);
