//! Listings past their end date: the background job ends them through the lifecycle, they
//! leave browse, search, the API and reservation, and the lister is mailed a way to list
//! them again.

use bruka::db::schema::{audit_log, items};
use bruka::i18n::local_date;
use chrono::{Duration, NaiveDate, Utc};
use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, spawn_app_with};
use crate::json_api::{Client, token_for};
use crate::on_both_backends;
use crate::reservations::{list_chairs, lister_and_requester, reserve};

pub(crate) fn today() -> NaiveDate {
    local_date(Utc::now().naive_utc())
}

pub(crate) async fn set_end_date(app: &TestApp, item_id: i64, date: NaiveDate) {
    app.with_conn(move |conn| {
        diesel::update(items::table.find(item_id))
            .set(items::expires_on.eq(Some(date)))
            .execute(conn)
            .expect("end date set")
    })
    .await;
}

async fn status_and_end(app: &TestApp, item_id: i64) -> (String, Option<NaiveDate>) {
    app.with_conn(move |conn| {
        items::table
            .find(item_id)
            .select((items::status, items::expires_on))
            .first(conn)
            .expect("item")
    })
    .await
}

fn lists(html: &str, item_id: i64) -> bool {
    html.contains(&format!("href=\"/items/{item_id}\""))
}

async fn api_ids(client: &Client, query: &str) -> Vec<i64> {
    let response = client.get(&format!("/api/v1/items{query}")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let page: Value = response.json().await.expect("json");
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item["id"].as_i64().expect("id"))
        .collect()
}

async fn an_expired_listing_is_gone_until_its_lister_lists_it_again(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.reservations.check_interval_ms = crate::helpers::nonzero(100);
    })
    .await;
    let requester = lister_and_requester(&app).await;
    let ending = list_chairs(&app, 3).await;
    let staying = list_chairs(&app, 2).await;
    set_end_date(&app, staying, today()).await;
    let api = Client::new(&app, &token_for(&app, "bo@boras.se").await);
    let browse = requester.get("/items").await.text().await.expect("page");
    assert!(lists(&browse, ending) && lists(&browse, staying));

    // Its last day was yesterday: the job ends it and tells the lister.
    set_end_date(&app, ending, today() - Duration::days(1)).await;
    // The sign-in link, the reminder that the staying one ends today, and the notice.
    let mails = app.smtp.mailbox.wait_for("anna@boras.se", 3).await;
    let notice = mails
        .iter()
        .find(|m| m.subject() == "Annonsen har gått ut: Kontorsstol med armstöd")
        .expect("the lister is told");
    assert!(
        mails
            .iter()
            .any(|m| m.subject() == "Annonsen slutar snart: Kontorsstol med armstöd"),
        "the one on its last day was a reminder"
    );
    let relist_link = notice.link_containing(&format!("/items/{ending}#relist"));
    assert_eq!(status_and_end(&app, ending).await.0, "expired");
    assert_eq!(
        status_and_end(&app, staying).await.0,
        "available",
        "a listing on its last day stays"
    );

    // Gone from browse and search, from the item page, and from reservation.
    let browse = requester.get("/items").await.text().await.expect("page");
    assert!(!lists(&browse, ending) && lists(&browse, staying));
    let search = requester
        .get("/items?q=kontorsstol")
        .await
        .text()
        .await
        .expect("page");
    assert!(!lists(&search, ending) && lists(&search, staying));
    assert_eq!(
        requester.get(&format!("/items/{ending}")).await.status(),
        404
    );
    assert_eq!(reserve(&requester, ending, "1").await.status(), 404);

    // And from the API: search, the listing itself, and reserving through it.
    assert_eq!(api_ids(&api, "").await, vec![staying]);
    assert_eq!(api_ids(&api, "?q=kontorsstol").await, vec![staying]);
    assert_eq!(
        api.get(&format!("/api/v1/items/{ending}")).await.status(),
        StatusCode::NOT_FOUND
    );
    let reserved = api
        .post(
            &format!("/api/v1/items/{ending}/reservations"),
            &json!({"quantity": 1, "would_buy_new": "yes"}),
        )
        .await;
    assert_eq!(reserved.status(), StatusCode::NOT_FOUND);

    // Exactly once, by the job, however often it ran.
    let expired_by: Vec<Option<i64>> = app
        .with_conn(move |conn| {
            audit_log::table
                .filter(audit_log::subject.eq("item"))
                .filter(audit_log::subject_id.eq(ending))
                .filter(audit_log::action.eq("expired"))
                .select(audit_log::actor_id)
                .load(conn)
                .expect("audit")
        })
        .await;
    assert_eq!(expired_by, vec![None]);
    assert_eq!(
        app.smtp.mailbox.to("anna@boras.se").len(),
        3,
        "each mailed once"
    );

    // The lister opens the mailed link and lists it again with one click.
    let page = app.browser.get_page(&relist_link).await;
    let form = "form#relist";
    assert_eq!(
        page.attr(&format!("{form} input[name=to]"), "value"),
        "available"
    );
    let response = app
        .browser
        .post_form(
            &page.attr(form, "action"),
            &[("to", &page.attr(&format!("{form} input[name=to]"), "value"))],
        )
        .await;
    assert_eq!(response.status(), 303);
    let (status, end) = status_and_end(&app, ending).await;
    assert_eq!(status, "available");
    assert!(
        end.is_some_and(|end| end >= today() + Duration::days(7)),
        "runs again from today: {end:?}"
    );
    let browse = requester.get("/items").await.text().await.expect("page");
    assert!(lists(&browse, ending));
    assert_eq!(reserve(&requester, ending, "1").await.status(), 303);
}

/// A listing whose every unit is held does not expire under its holders; once a hold ends
/// without a pickup it is on offer again, and then it expires.
async fn a_fully_reserved_listing_expires_when_a_hold_ends(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.reservations.check_interval_ms = crate::helpers::nonzero(100);
    })
    .await;
    let requester = lister_and_requester(&app).await;
    let item_id = list_chairs(&app, 1).await;
    let response = reserve(&requester, item_id, "1").await;
    assert_eq!(response.status(), 303);
    let reservation = response.headers()["location"]
        .to_str()
        .expect("ascii")
        .trim_start_matches("/reservations/")
        .split('?')
        .next()
        .and_then(|id| id.parse::<i64>().ok())
        .expect("reservation id");
    set_end_date(&app, item_id, today() - Duration::days(3)).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(status_and_end(&app, item_id).await.0, "reserved");

    let cancelled = requester
        .post_form(&format!("/reservations/{reservation}/cancel"), &[])
        .await;
    assert_eq!(cancelled.status(), 303);
    let mails = app.smtp.mailbox.wait_for("anna@boras.se", 4).await;
    let subjects: Vec<String> = mails.iter().map(|mail| mail.subject()).collect();
    assert!(
        subjects.contains(&"Annonsen har gått ut: Kontorsstol med armstöd".to_string()),
        "{subjects:?}"
    );
    assert_eq!(status_and_end(&app, item_id).await.0, "expired");
}

on_both_backends!(
    an_expired_listing_is_gone_until_its_lister_lists_it_again,
    a_fully_reserved_listing_expires_when_a_hold_ends,
);
