//! Posting from a phone: photos held across a refused form and sent ahead by the page's
//! script, HEIC photos, "post a similar listing", saving listings for later, sharing and the
//! printed sheet with its QR code, the browse filters' chips, and the example marketplace
//! a first start makes.

use bruka::db::schema::{favourites, item_photos, items, photo_drafts};
use diesel::prelude::*;
use serde_json::Value;

use crate::helpers::{Backend, Browser, Page, TestApp, listed_item_id, spawn_app_with};
use crate::items::{
    as_refs, chair_fields, count_items, photo_with_gps, stored_photo_files, with_member,
};
use crate::on_both_backends;

const HEIC: &[u8] = include_bytes!("../fixtures/two-colours.heic");

fn field_with<'a>(
    fields: &'a [(&'static str, String)],
    key: &str,
    value: &'a str,
) -> Vec<(&'static str, &'a str)> {
    as_refs(fields)
        .into_iter()
        .map(|(k, v)| if k == key { (k, value) } else { (k, v) })
        .collect()
}

async fn photo_keys_of(app: &TestApp, item: i64) -> Vec<String> {
    app.with_conn(move |conn| {
        item_photos::table
            .filter(item_photos::item_id.eq(item))
            .order(item_photos::position)
            .select(item_photos::photo_key)
            .load(conn)
            .expect("photos")
    })
    .await
}

async fn held_drafts(app: &TestApp) -> i64 {
    app.with_conn(|conn| photo_drafts::table.count().get_result(conn).expect("count"))
        .await
}

/// A colleague in Anna's organisation.
async fn colleague(app: &TestApp) -> Browser {
    let bo = app.new_browser();
    bo.sign_in("bo@boras.se", "Bo Berg").await;
    bo
}

async fn a_refused_form_keeps_its_photos_until_the_listing_is_saved(backend: Backend) {
    let app = with_member(backend).await;
    let fields = chair_fields(&app).await;
    let response = app
        .browser
        .post_multipart(
            "/items",
            &field_with(&fields, "quantity", "-3"),
            vec![("photos", "stol.jpg", photo_with_gps(800, 600), "image/jpeg")],
        )
        .await;
    assert_eq!(response.status(), 400);
    let page = Page::from_response(response).await;
    assert_eq!(page.attr("#quantity", "aria-invalid"), "true");
    let kept = page.select_all(".photo-preview input[name=draft_photo]");
    assert_eq!(kept.len(), 1, "the photo is shown again");
    let key = kept[0].value().attr("value").expect("key").to_string();
    assert!(
        page.text_of("#photos-kept")
            .contains("behöver inte välja den igen")
    );
    assert_eq!(count_items(&app).await, 0, "nothing listed");
    assert_eq!(stored_photo_files(&app), 2, "held: display and thumbnail");

    // The uploader sees the held photo; a colleague does not, nor can they claim it.
    let thumb = format!("/photos/{key}/thumb.jpg");
    assert_eq!(app.browser.get(&thumb).await.status(), 200);
    let bo = colleague(&app).await;
    assert_eq!(bo.get(&thumb).await.status(), 404);
    let mut theirs = as_refs(&fields);
    theirs.push(("draft_photo", &key));
    let response = bo.post_multipart("/items", &theirs, vec![]).await;
    assert_eq!(response.status(), 303);
    assert!(
        photo_keys_of(&app, listed_item_id(&response))
            .await
            .is_empty(),
        "someone else's held photo is not theirs to use"
    );

    // Corrected, the form sends only the key and the listing gets the photo.
    let mut fixed = as_refs(&fields);
    fixed.push(("draft_photo", &key));
    let response = app.browser.post_multipart("/items", &fixed, vec![]).await;
    assert_eq!(response.status(), 303);
    let listed = listed_item_id(&response);
    assert_eq!(
        photo_keys_of(&app, listed).await,
        std::slice::from_ref(&key)
    );
    assert_eq!(held_drafts(&app).await, 0, "claimed by the listing");
    assert_eq!(
        bo.get(&thumb).await.status(),
        200,
        "now on a listing Bo may see"
    );

    // Sent again (a retried request), the key is no longer held: nothing is attached twice.
    let response = app.browser.post_multipart("/items", &fixed, vec![]).await;
    assert!(
        photo_keys_of(&app, listed_item_id(&response))
            .await
            .is_empty()
    );
}

async fn photos_sent_ahead_are_held_in_order_and_can_be_dropped(backend: Backend) {
    let app = with_member(backend).await;
    let mut keys = Vec::new();
    for width in [640, 700, 760] {
        let response = app
            .browser
            .post_multipart(
                "/items/photos",
                &[],
                vec![(
                    "photos",
                    "bild.jpg",
                    photo_with_gps(width, 480),
                    "image/jpeg",
                )],
            )
            .await;
        assert_eq!(response.status(), 200);
        let answer: Value = response.json().await.expect("json");
        let photo = &answer["photos"][0];
        let key = photo["key"].as_str().expect("key").to_string();
        assert_eq!(key.len(), 32);
        assert_eq!(photo["thumb"], format!("/photos/{key}/thumb.jpg"));
        assert_eq!(answer["error"], Value::Null);
        keys.push(key);
    }
    // Not a photo: refused with the reason in the person's language; nothing held.
    let response = app
        .browser
        .post_multipart(
            "/items/photos",
            &[],
            vec![("photos", "a.pdf", b"%PDF-1.7\n".to_vec(), "application/pdf")],
        )
        .await;
    assert_eq!(response.status(), 422);
    let answer: Value = response.json().await.expect("json");
    assert!(
        answer["error"]
            .as_str()
            .expect("error")
            .contains("inte en bild")
    );
    assert_eq!(answer["photos"], Value::Array(vec![]));
    assert_eq!(held_drafts(&app).await, 3);

    // Without the CSRF token nothing is held.
    let form = reqwest::multipart::Form::new().part(
        "photos",
        reqwest::multipart::Part::bytes(photo_with_gps(300, 200))
            .file_name("x.jpg")
            .mime_str("image/jpeg")
            .expect("mime"),
    );
    let response = app
        .browser
        .client
        .post(app.browser.url("/items/photos"))
        .multipart(form)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 403);
    assert_eq!(held_drafts(&app).await, 3);

    // Reordered on the page (third, first) and the second removed.
    let fields = chair_fields(&app).await;
    let mut form = as_refs(&fields);
    let remove = format!("remove_draft_{}", keys[1]);
    form.extend([
        ("draft_photo", keys[2].as_str()),
        ("draft_photo", keys[0].as_str()),
        ("draft_photo", keys[1].as_str()),
        (remove.as_str(), "1"),
    ]);
    let response = app.browser.post_multipart("/items", &form, vec![]).await;
    assert_eq!(response.status(), 303);
    let listed = listed_item_id(&response);
    assert_eq!(
        photo_keys_of(&app, listed).await,
        [keys[2].clone(), keys[0].clone()]
    );
    let page = app.browser.get_page(&format!("/items/{listed}")).await;
    assert_eq!(page.select_all(".gallery img").len(), 2);
}

async fn expired_drafts_are_cleared_with_their_files(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.reservations.check_interval_ms = crate::helpers::nonzero(100)
    })
    .await;
    app.create_organisation("Borås stad", "boras.se", &[]).await;
    app.browser.sign_in("anna@boras.se", "Anna").await;
    let response = app
        .browser
        .post_multipart(
            "/items/photos",
            &[],
            vec![("photos", "a.jpg", photo_with_gps(400, 300), "image/jpeg")],
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(stored_photo_files(&app), 2);
    let a_day_ago = chrono::Utc::now().naive_utc() - chrono::Duration::hours(25);
    app.with_conn(move |conn| {
        diesel::update(photo_drafts::table)
            .set(photo_drafts::created_at.eq(a_day_ago))
            .execute(conn)
            .expect("aged")
    })
    .await;
    for _ in 0..100 {
        if held_drafts(&app).await == 0 && stored_photo_files(&app) == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the expired draft and its files are still there");
}

async fn heic_photos_from_iphones_are_accepted(backend: Backend) {
    let app = with_member(backend).await;
    let fields = chair_fields(&app).await;
    let response = app
        .browser
        .post_multipart(
            "/items",
            &as_refs(&fields),
            vec![("photos", "IMG_0001.HEIC", HEIC.to_vec(), "image/heic")],
        )
        .await;
    assert_eq!(response.status(), 303, "HEIC is taken");
    let listed = listed_item_id(&response);
    let keys = photo_keys_of(&app, listed).await;
    assert_eq!(keys.len(), 1);
    let display = app
        .browser
        .get(&format!("/photos/{}/display.jpg", keys[0]))
        .await;
    assert_eq!(display.status(), 200);
    let bytes = display.bytes().await.expect("bytes");
    let image = image::load_from_memory(&bytes).expect("a JPEG").to_rgb8();
    assert_eq!(image.dimensions(), (96, 64));
    assert!(!bytes.windows(4).any(|w| w == b"Exif"), "no metadata");
    // A damaged HEIC is refused like a damaged JPEG.
    let response = app
        .browser
        .post_multipart(
            "/items",
            &as_refs(&fields),
            vec![(
                "photos",
                "IMG_0002.HEIC",
                HEIC[..HEIC.len() / 2].to_vec(),
                "image/heic",
            )],
        )
        .await;
    assert_eq!(response.status(), 400);
    let page = Page::from_response(response).await;
    assert!(page.text_of(".error-summary").contains("skadad"));
}

async fn a_similar_listing_starts_from_one_of_mine(backend: Backend) {
    let app = with_member(backend).await;
    let fields = chair_fields(&app).await;
    let mut dated = as_refs(&fields);
    dated.push(("expires_on", "2099-12-31"));
    let response = app.browser.post_multipart("/items", &dated, vec![]).await;
    let original = listed_item_id(&response);
    let page = app.browser.get_page(&format!("/items/{original}")).await;
    assert_eq!(
        page.attr(".owner-links a.secondary", "href"),
        format!("/items/new?like={original}")
    );
    let form = app
        .browser
        .get_page(&format!("/items/new?like={original}"))
        .await;
    assert_eq!(form.attr("#title", "value"), "Kontorsstol med armstöd");
    assert_eq!(form.attr("#site", "value"), "Stadshuset, Kungsgatan 55");
    assert_eq!(form.attr("#quantity", "value"), "4");
    assert_eq!(
        form.attr("#expires_on", "value"),
        "",
        "the dates are the old offer's"
    );
    assert_eq!(
        form.attr("form.item-form", "action"),
        "/items",
        "a new listing"
    );
    assert!(form.text_of(".notice").contains("Kontorsstol med armstöd"));
    assert!(form.select_all(".optional-fields[open]").len() == 1);
    // Someone else's listing cannot be copied; an unknown id is not found.
    let bo = colleague(&app).await;
    let response = bo.get(&format!("/items/new?like={original}")).await;
    assert_eq!(response.status(), 403);
    assert_eq!(
        app.browser.get("/items/new?like=999999").await.status(),
        404
    );
    assert_eq!(app.browser.get("/items/new?like=abc").await.status(), 400);
}

async fn listings_are_saved_once_shared_and_printed(backend: Backend) {
    let app = with_member(backend).await;
    let fields = chair_fields(&app).await;
    let response = app
        .browser
        .post_multipart("/items", &as_refs(&fields), vec![])
        .await;
    let chair = listed_item_id(&response);
    let bo = colleague(&app).await;
    let path = format!("/items/{chair}/favourite");
    for _ in 0..2 {
        let response = bo.post_form(&path, &[("keep", "yes")]).await;
        assert_eq!(response.status(), 303);
        assert_eq!(
            response.headers()["location"],
            format!("/items/{chair}?done=favourite")
        );
    }
    let saved: i64 = app
        .with_conn(|conn| favourites::table.count().get_result(conn).expect("count"))
        .await;
    assert_eq!(saved, 1, "saved once, however often pressed");
    let page = bo.get_page(&format!("/items/{chair}?done=favourite")).await;
    assert!(page.text_of(".notice").contains("Sparade"));
    assert_eq!(
        page.text_of(".favourite-form button"),
        "★ Sparad – ta bort från Sparade"
    );
    let my = bo.get_page("/my").await;
    assert_eq!(my.text_of("#saved .card-title"), "Kontorsstol med armstöd");

    // Share: the listing's full address, and a mail with it.
    let share = page.attr("#share-url", "value");
    assert_eq!(share, format!("{}/items/{chair}", app.address));
    assert!(
        page.attr(".share-links a[href^='mailto:']", "href")
            .contains(&format!("%2Fitems%2F{chair}"))
    );

    // The print sheet: what it is, where, and a QR code to the listing.
    let sheet = bo.get_page(&format!("/items/{chair}/print")).await;
    assert_eq!(sheet.text_of(".print-sheet h1"), "Kontorsstol med armstöd");
    assert_eq!(sheet.text_of(".sheet-url"), share);
    let qr = sheet.one(".sheet-qr svg[role=img]");
    assert_eq!(
        qr.value().attr("aria-label"),
        Some("QR-kod till annonsen Kontorsstol med armstöd")
    );

    // Taken off the list; bad values and missing tokens change nothing.
    assert_eq!(
        bo.post_form(&path, &[("keep", "maybe")]).await.status(),
        400
    );
    assert_eq!(bo.post_raw(&path, &[("keep", "no")]).await.status(), 403);
    let response = bo.post_form(&path, &[("keep", "no")]).await;
    assert_eq!(response.status(), 303);
    let my = bo.get_page("/my").await;
    assert!(my.select_all("#saved .card").is_empty());
    assert!(my.text_of("#saved .empty").contains("inte sparat"));

    // Another organisation's listing can be neither saved nor printed.
    app.create_organisation("Trollhättans stad", "trollhattan.se", &[])
        .await;
    let eva = app.new_browser();
    eva.sign_in("eva@trollhattan.se", "Eva Ek").await;
    assert_eq!(eva.post_form(&path, &[("keep", "yes")]).await.status(), 404);
    assert_eq!(
        eva.get(&format!("/items/{chair}/print")).await.status(),
        404
    );
}

async fn chosen_filters_show_as_removable_chips(backend: Backend) {
    let app = with_member(backend).await;
    let fields = chair_fields(&app).await;
    app.browser
        .post_multipart("/items", &as_refs(&fields), vec![])
        .await;
    let page = app
        .browser
        .get_page("/items?q=stol&category=mobler%2Fkontorsstol&condition=good&unit=abc")
        .await;
    let chips: Vec<String> = page
        .select_all(".chips a.chip")
        .iter()
        .map(|chip| chip.text().collect::<String>())
        .collect();
    assert_eq!(
        chips,
        [
            "Ta bort filtret Kategori: Kontorsstol×",
            "Ta bort filtret Skick: Bra skick×"
        ],
        "a filter that names nothing is not a chip"
    );
    let hrefs: Vec<&str> = page
        .select_all(".chips a.chip")
        .iter()
        .filter_map(|chip| chip.value().attr("href"))
        .collect();
    assert_eq!(
        hrefs,
        [
            "/items?q=stol&condition=good&unit=abc",
            "/items?q=stol&category=mobler%2Fkontorsstol&unit=abc"
        ]
    );
    assert_eq!(page.attr(".chips a.chip-clear", "href"), "/items?q=stol");
    assert_eq!(
        page.text_of(".filter-panel summary"),
        "Filter och sortering (2)"
    );
    let plain = app.browser.get_page("/items").await;
    assert!(plain.select_all(".chips").is_empty());
    assert_eq!(
        plain.text_of(".filter-panel summary"),
        "Filter och sortering"
    );
}

async fn a_first_start_fills_the_example_marketplace(backend: Backend) {
    let app = spawn_app_with(backend, |settings| settings.demo_bootstrap = true).await;
    let admin = app.new_browser();
    admin
        .sign_in(bruka::bootstrap::DEMO_ADMIN, "Administratör")
        .await;
    let start = admin.get_page("/").await;
    assert_eq!(
        start.select_all(".newest .card img").len(),
        8,
        "photos at once"
    );
    let browse = admin.get_page("/items").await;
    let count = browse.text_of(".result-count");
    assert!(count.contains("saker"), "{count}");
    let listed: i64 = app
        .with_conn(|conn| items::table.count().get_result(conn).expect("count"))
        .await;
    // The example organisation's own and those its network partners share.
    assert_eq!(
        listed,
        (bruka::demo::FIRST_RUN_LISTINGS + bruka::demo::NETWORK_LISTINGS) as i64
    );
    let marked: i64 = app
        .with_conn(|conn| {
            items::table
                .filter(items::description.like(format!("{}%", bruka::demo::EXAMPLE_MARK)))
                .count()
                .get_result(conn)
                .expect("count")
        })
        .await;
    assert_eq!(marked, listed, "every example listing says it is one");
    // A second start on the same database adds nothing.
    app.start_another_instance().await;
    let again: i64 = app
        .with_conn(|conn| items::table.count().get_result(conn).expect("count"))
        .await;
    assert_eq!(again, listed);
}

on_both_backends!(
    a_refused_form_keeps_its_photos_until_the_listing_is_saved,
    photos_sent_ahead_are_held_in_order_and_can_be_dropped,
    expired_drafts_are_cleared_with_their_files,
    heic_photos_from_iphones_are_accepted,
    a_similar_listing_starts_from_one_of_mine,
    listings_are_saved_once_shared_and_printed,
    chosen_filters_show_as_removable_chips,
    a_first_start_fills_the_example_marketplace,
);
