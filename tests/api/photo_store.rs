//! Photos in an S3-compatible bucket: several instances share one bucket, an unreachable
//! store is explained and leaves nothing half-saved, and the bucket is backed up and
//! restored. The bucket tests run against the S3 server .ci/run starts (moto).

use bruka::db::schema::item_photos;
use diesel::prelude::*;
use serde_json::Value;

use crate::helpers::{Backend, TestApp, new_bucket, s3_endpoint, s3_settings, spawn_app_with};
use crate::items::{as_refs, chair_fields, count_items, photo_with_gps, stored_photo_files};
use crate::on_both_backends;

async fn with_member_on(app: &TestApp) {
    app.create_organisation("Borås stad", "boras.se", &["Stadsledningskansliet"])
        .await;
    app.browser.sign_in("anna@boras.se", "Anna Andersson").await;
}

async fn list_with_photo(app: &TestApp) -> i64 {
    let fields = chair_fields(app).await;
    app.browser
        .post_item(
            &[as_refs(&fields), vec![("photo_alt", "Svart kontorsstol")]].concat(),
            vec![(
                "photos",
                "stol.jpg",
                photo_with_gps(1600, 1200),
                "image/jpeg",
            )],
        )
        .await
}

async fn photo_keys(app: &TestApp) -> Vec<String> {
    app.with_conn(|conn| {
        item_photos::table
            .select(item_photos::photo_key)
            .load(conn)
            .expect("photos")
    })
    .await
}

/// GET of `path` at the instance `base` with the browser's session; status and body.
async fn fetch(app: &TestApp, base: &str, path: &str) -> (u16, Vec<u8>) {
    let response = app
        .browser
        .client
        .get(format!("{base}{path}"))
        .send()
        .await
        .expect("sent");
    let status = response.status().as_u16();
    (status, response.bytes().await.expect("body").to_vec())
}

async fn readiness(base: &str) -> (u16, Value) {
    let response = reqwest::get(format!("{base}/readyz")).await.expect("sent");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

async fn a_photo_uploaded_through_one_instance_is_served_by_the_other(backend: Backend) {
    let Some(endpoint) = s3_endpoint() else {
        return;
    };
    let bucket = new_bucket(&endpoint).await;
    let app = spawn_app_with(backend, |s| s.photos.s3 = Some(bucket)).await;
    with_member_on(&app).await;
    // The other instance has a data folder of its own, as on another machine; only the
    // database, the bucket and the signing key are shared.
    let elsewhere = tempfile::tempdir().expect("dir");
    let key = std::fs::read_to_string(app.data_path().join("secret.key")).expect("key");
    let other = app
        .start_instance_with(|s| {
            s.data_dir = elsewhere.path().to_path_buf();
            s.secret_key = Some(key.trim().parse().expect("a valid key"));
        })
        .await;

    let item_id = list_with_photo(&app).await;
    let keys = photo_keys(&app).await;
    assert_eq!(keys.len(), 1);
    assert_eq!(
        stored_photo_files(&app),
        0,
        "nothing on the instance's own disk"
    );
    for size in ["display.jpg", "thumb.jpg"] {
        let path = format!("/photos/{}/{size}", keys[0]);
        let (status, here) = fetch(&app, &app.address, &path).await;
        assert_eq!(status, 200, "{path} where it was uploaded");
        let (status, there) = fetch(&app, &other, &path).await;
        assert_eq!(status, 200, "{path} on the other instance");
        assert_eq!(here, there);
        assert!(here.starts_with(&[0xFF, 0xD8]), "a JPEG");
    }
    let (status, page) = fetch(&app, &other, &format!("/items/{item_id}")).await;
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&page).contains(&keys[0]));
    for base in [&app.address, &other] {
        let (status, body) = readiness(base).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["photos"], "s3");
    }
}

async fn an_unreachable_photo_store_is_explained_and_nothing_is_half_saved(backend: Backend) {
    // A port nobody listens on: the store's address is right, the store is down.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("address")
        .port();
    let endpoint = format!("http://127.0.0.1:{closed}");
    let app = spawn_app_with(backend, |s| {
        s.photos.s3 = Some(s3_settings(&endpoint, "bruka-photos"));
    })
    .await;
    with_member_on(&app).await;
    let fields = chair_fields(&app).await;
    let response = app
        .browser
        .post_multipart(
            "/items",
            &as_refs(&fields),
            vec![("photos", "stol.jpg", photo_with_gps(800, 600), "image/jpeg")],
        )
        .await;
    assert_eq!(response.status(), 400);
    let page = crate::helpers::Page::from_response(response).await;
    let summary = page.text_of(".error-summary");
    assert!(
        summary.contains(&bruka::i18n::Language::Swedish.text("photo-error-store-unavailable")),
        "{summary}"
    );
    assert_eq!(
        page.attr("#title", "value"),
        "Kontorsstol med armstöd",
        "what was typed is kept"
    );
    assert_eq!(count_items(&app).await, 0, "no listing without its photo");
    assert!(photo_keys(&app).await.is_empty());

    let (status, body) = readiness(&app.address).await;
    assert_eq!((status, body["reason"].as_str()), (503, Some("photos")));
    let alive = reqwest::get(app.url("/healthz")).await.expect("sent");
    assert_eq!(alive.status(), 200, "the process itself is fine");
    let (status, _) = fetch(
        &app,
        &app.address,
        &format!("/photos/{}/thumb.jpg", "a".repeat(32)),
    )
    .await;
    assert!(status == 404 || status == 503, "{status}");
}

async fn photos_in_a_bucket_are_backed_up_and_restored(backend: Backend) {
    let Some(endpoint) = s3_endpoint() else {
        return;
    };
    let bucket = new_bucket(&endpoint).await;
    let app = spawn_app_with(backend, |s| s.photos.s3 = Some(bucket)).await;
    with_member_on(&app).await;
    list_with_photo(&app).await;
    let key = photo_keys(&app).await.remove(0);
    let path = format!("/photos/{key}/display.jpg");
    let (_, original) = fetch(&app, &app.address, &path).await;

    // `bruka photos backup` and `restore` run outside the server, with their own runtime.
    let backup = tempfile::tempdir().expect("dir");
    let folder = backup.path().join("photos");
    let settings = app.settings.clone();
    let out = folder.clone();
    let copied = std::thread::spawn(move || bruka::backup::photos_backup(&settings, &out))
        .join()
        .expect("backup thread")
        .expect("backed up");
    assert_eq!(copied, 2, "display and thumbnail");

    let empty = new_bucket(&endpoint).await;
    let mut restored_settings = app.settings.clone();
    restored_settings.photos.s3 = Some(empty.clone());
    let from = folder.clone();
    let restored =
        std::thread::spawn(move || bruka::backup::photos_restore(&restored_settings, &from))
            .join()
            .expect("restore thread")
            .expect("restored");
    assert_eq!(restored, 2);
    let on_restored = app.start_instance_with(|s| s.photos.s3 = Some(empty)).await;
    let (status, served) = fetch(&app, &on_restored, &path).await;
    assert_eq!(status, 200);
    assert_eq!(served, original, "the same photo from the restored bucket");
}

on_both_backends!(
    a_photo_uploaded_through_one_instance_is_served_by_the_other,
    an_unreachable_photo_store_is_explained_and_nothing_is_half_saved,
    photos_in_a_bucket_are_backed_up_and_restored,
);
