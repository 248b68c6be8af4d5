//! Saved searches and wanted ads mail their owner about matching listings, once each, and
//! stop from the mailed link.

use bruka::db::schema::saved_searches;
use diesel::prelude::*;

use crate::helpers::{Backend, Browser, TestApp, spawn_app};
use crate::on_both_backends;

async fn colleagues(app: &TestApp) -> Browser {
    app.create_organisation("Borås stad", "boras.se", &["Grundskolan"])
        .await;
    app.browser.sign_in("anna@boras.se", "Anna Andersson").await;
    let watcher = app.new_browser();
    watcher.sign_in("bo@boras.se", "Bo Berg").await;
    watcher
}

async fn list(app: &TestApp, title: &str, category: &'static str, action: &str) -> i64 {
    let category = app.category_id(category).await;
    app.browser
        .post_item(
            &[
                ("title", title),
                ("category_id", &category),
                ("condition", "good"),
                ("quantity", "2"),
                ("site", "Stadshuset"),
                ("action", action),
            ],
            vec![],
        )
        .await
}

async fn a_saved_search_mails_matches_once_and_stops_from_the_link(backend: Backend) {
    let app = spawn_app(backend).await;
    let watcher = colleagues(&app).await;
    let response = watcher
        .post_form("/alerts", &[("q", "kontorsstolar"), ("category", "")])
        .await;
    assert_eq!(response.status(), 303);
    let mine = watcher.get_page("/my").await;
    assert!(mine.visible_text().contains("kontorsstolar"));

    list(&app, "Skrivbord i ek", "mobler/skrivbord", "publish").await;
    let chair = list(&app, "Kontorsstol, svart", "mobler/kontorsstol", "publish").await;
    let mails = app.smtp.mailbox.wait_for("bo@boras.se", 2).await;
    assert_eq!(
        mails[1].subject(),
        "Ny annons som matchar: Kontorsstol, svart"
    );
    assert!(
        mails[1]
            .link_containing("/items/")
            .ends_with(&format!("/items/{chair}"))
    );

    // Withdrawn and re-listed: the same listing is not announced twice.
    for to in ["withdrawn", "available"] {
        let response = app
            .browser
            .post_form(&format!("/items/{chair}/status"), &[("to", to)])
            .await;
        assert_eq!(response.status(), 303);
    }
    // A draft is not announced until it is published.
    let draft = list(&app, "Kontorsstol utan hjul", "mobler/kontorsstol", "draft").await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(app.smtp.mailbox.to("bo@boras.se").len(), 2);
    let response = app
        .browser
        .post_form(&format!("/items/{draft}/status"), &[("to", "available")])
        .await;
    assert_eq!(response.status(), 303);
    let mails = app.smtp.mailbox.wait_for("bo@boras.se", 3).await;
    assert_eq!(
        mails[2].subject(),
        "Ny annons som matchar: Kontorsstol utan hjul"
    );

    // The link works without signing in, but only with the button.
    let link = mails[2].link_containing("/alerts/stop/");
    let stranger = app.new_browser();
    let page = stranger.get_page(&link).await;
    assert!(page.visible_text().contains("kontorsstolar"));
    let active: bool = app
        .with_conn(|conn| {
            saved_searches::table
                .select(saved_searches::active)
                .first(conn)
                .expect("alert")
        })
        .await;
    assert!(active, "opening the link stops nothing");
    let response = stranger.post_raw(&link, &[]).await;
    assert_eq!(response.status(), 403, "no CSRF token");
    let response = stranger.post_form(&link, &[]).await;
    assert_eq!(response.status(), 200);
    list(
        &app,
        "Kontorsstol med nackstöd",
        "mobler/kontorsstol",
        "publish",
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(app.smtp.mailbox.to("bo@boras.se").len(), 3, "stopped");
    assert_eq!(stranger.get("/alerts/stop/not-a-token").await.status(), 404);
}

async fn wanted_ads_are_shown_to_colleagues_only_and_mail_matches(backend: Backend) {
    let app = spawn_app(backend).await;
    let watcher = colleagues(&app).await;
    let response = watcher
        .post_form(
            "/wanted",
            &[
                ("title", "Whiteboard"),
                ("description", "Till ett nytt grupprum."),
                ("category_id", ""),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);
    let response = watcher
        .post_form("/wanted", &[("title", " "), ("description", "")])
        .await;
    assert_eq!(response.status(), 422, "a wanted ad needs a heading");

    let page = app.get_page("/wanted").await;
    assert!(page.visible_text().contains("Whiteboard"));
    assert!(page.visible_text().contains("Till ett nytt grupprum."));
    app.create_organisation("Marks kommun", "mark.se", &[])
        .await;
    let outsider = app.new_browser();
    outsider.sign_in("per@mark.se", "Per").await;
    let page = outsider.get_page("/wanted").await;
    assert!(!page.visible_text().contains("Whiteboard"));

    list(&app, "Whiteboard på hjul", "mobler", "publish").await;
    let mails = app.smtp.mailbox.wait_for("bo@boras.se", 2).await;
    assert_eq!(
        mails[1].subject(),
        "Ny annons som matchar: Whiteboard på hjul"
    );
    assert!(mails[1].body("text/plain").contains("Whiteboard"));
    // The one who listed it is not told about their own listing.
    app.browser
        .post_form("/wanted", &[("title", "Whiteboard")])
        .await;
    list(&app, "Whiteboard, liten", "mobler", "publish").await;
    app.smtp.mailbox.wait_for("bo@boras.se", 3).await;
    assert_eq!(
        app.smtp.mailbox.to("anna@boras.se").len(),
        1,
        "sign-in only"
    );
}

on_both_backends!(
    a_saved_search_mails_matches_once_and_stops_from_the_link,
    wanted_ads_are_shown_to_colleagues_only_and_mail_matches,
);
