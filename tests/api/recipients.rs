//! Giving outside the organisation over HTTP with real mail: an admin approves a school,
//! its contact opens the mailed link, accepts the terms and takes chairs the lister offered
//! outside; the lister hands them over or declines. Nothing of it reaches the ledger, and
//! every refusal changes nothing.

use bruka::accounts::Role;
use bruka::db::schema::{external_claims, items, reuse_records};
use diesel::prelude::*;

use crate::helpers::{Backend, Browser, TestApp, spawn_app};
use crate::on_both_backends;
use crate::reservations::{list_chairs, lister_and_requester};

async fn available(app: &TestApp, item_id: i64) -> i32 {
    app.with_conn(move |conn| {
        items::table
            .find(item_id)
            .select(items::quantity_available)
            .first(conn)
            .expect("item")
    })
    .await
}

async fn claims(app: &TestApp) -> Vec<(i64, String, i32)> {
    app.with_conn(|conn| {
        external_claims::table
            .order(external_claims::id)
            .select((
                external_claims::id,
                external_claims::status,
                external_claims::quantity,
            ))
            .load(conn)
            .expect("claims")
    })
    .await
}

async fn approve(admin: &Browser, kind: &str) -> reqwest::Response {
    admin
        .post_form(
            "/admin/recipients",
            &[
                ("name", "Frövi skola"),
                ("kind", kind),
                ("contact_email", "kansli@frovi.se"),
            ],
        )
        .await
}

async fn a_school_takes_chairs_through_its_link(backend: Backend) {
    let app = spawn_app(backend).await;
    let requester = lister_and_requester(&app).await;
    let admin = app
        .signed_in_with_role("ada@boras.se", "Ada Admin", Role::Admin)
        .await;
    let item_id = list_chairs(&app, 3).await;

    // Only an admin approves, and never a private person.
    assert_eq!(approve(&requester, "school").await.status(), 403);
    assert_eq!(approve(&admin, "private").await.status(), 422);
    let terms = admin
        .post_form(
            "/admin/recipient-terms",
            &[("terms", "Hämtas inom en vecka. Säljs inte vidare.")],
        )
        .await;
    assert_eq!(terms.status(), 303);
    assert_eq!(approve(&admin, "school").await.status(), 303);
    let mails = app.smtp.mailbox.wait_for("kansli@frovi.se", 1).await;
    let invitation = mails.last().expect("invitation");
    assert!(invitation.subject().contains("Frövi skola"));
    let link = invitation.link_containing("/give/");
    let path = link[link.find("/give/").expect("path")..].to_string();

    // Offering outside needs an active recipient: the school has not accepted yet.
    let offer = format!("/items/{item_id}/offer-outside");
    assert_eq!(app.browser.post_form(&offer, &[]).await.status(), 409);

    // The school's contact opens the link: the terms first; taking before accepting fails.
    let school = app.new_browser();
    let gate = school.get_page(&path).await;
    assert!(gate.text_of("#terms").contains("Säljs inte vidare."));
    let early = school
        .post_form(&format!("{path}/claim/{item_id}"), &[("quantity", "1")])
        .await;
    assert_eq!(early.status(), 409);
    let unticked = school
        .post_form(&format!("{path}/accept"), &[("accepted_by", "Rektor Rut")])
        .await;
    assert_eq!(unticked.status(), 422);
    let accepted = school
        .post_form(
            &format!("{path}/accept"),
            &[("accepted_by", "Rektor Rut"), ("accept", "yes")],
        )
        .await;
    assert_eq!(accepted.status(), 303);
    assert!(
        admin
            .get_page("/admin")
            .await
            .text_of("#recipients")
            .contains("Rektor Rut")
    );

    // Anna offers her chairs outside; the school sees them and takes two of three.
    let forbidden = requester.post_form(&offer, &[]).await;
    assert_eq!(forbidden.status(), 404, "not Bo's listing");
    assert_eq!(app.browser.post_form(&offer, &[]).await.status(), 303);
    let gate = school.get_page(&path).await;
    assert!(gate.text_of("#offer").contains("Kontorsstol med armstöd"));
    let anna_before = app.smtp.mailbox.to("anna@boras.se").len();
    let too_many = school
        .post_form(&format!("{path}/claim/{item_id}"), &[("quantity", "5")])
        .await;
    assert_eq!(too_many.status(), 409);
    assert_eq!(available(&app, item_id).await, 3);
    let taken = school
        .post_form(
            &format!("{path}/claim/{item_id}"),
            &[("quantity", "2"), ("message", "Till musiksalen")],
        )
        .await;
    assert_eq!(taken.status(), 303);
    assert_eq!(available(&app, item_id).await, 1);
    let mails = app
        .smtp
        .mailbox
        .wait_for("anna@boras.se", anna_before + 1)
        .await;
    assert_eq!(
        mails.last().expect("mail").subject(),
        "Tas emot utanför organisationen: Kontorsstol med armstöd"
    );

    // Anna hands them over; Bo cannot. Nothing reaches the ledger.
    let page = app.browser.get_page(&format!("/items/{item_id}")).await;
    assert!(page.text_of("#claims").contains("Frövi skola: 2"));
    let [(claim, _, _)] = <[_; 1]>::try_from(claims(&app).await).expect("one claim");
    let not_his = requester
        .post_form(&format!("/claims/{claim}/handed-over"), &[])
        .await;
    assert_eq!(not_his.status(), 404);
    let handed = app
        .browser
        .post_form(&format!("/claims/{claim}/handed-over"), &[])
        .await;
    assert_eq!(handed.status(), 303);
    let again = app
        .browser
        .post_form(&format!("/claims/{claim}/handed-over"), &[])
        .await;
    assert_eq!(again.status(), 409, "handed over once");
    let records: i64 = app
        .with_conn(|conn| {
            reuse_records::table
                .count()
                .get_result(conn)
                .expect("count")
        })
        .await;
    assert_eq!(records, 0, "a gift outside is no avoided purchase");

    // The last chair: taken, declined, on offer again.
    school
        .post_form(&format!("{path}/claim/{item_id}"), &[("quantity", "1")])
        .await;
    assert_eq!(available(&app, item_id).await, 0);
    let second = claims(&app).await[1].0;
    let declined = app
        .browser
        .post_form(&format!("/claims/{second}/decline"), &[])
        .await;
    assert_eq!(declined.status(), 303);
    assert_eq!(available(&app, item_id).await, 1);
    let statuses: Vec<String> = claims(&app).await.into_iter().map(|c| c.1).collect();
    assert_eq!(statuses, ["handed_over", "cancelled"]);
    let gate = school.get_page(&path).await;
    assert!(gate.text_of("#claims").contains("överlämnad"));

    // A forged link opens nothing; a removed recipient's link neither.
    assert_eq!(school.get("/give/0123456789abcdef").await.status(), 404);
    let recipient: i64 = app
        .with_conn(|conn| {
            bruka::db::schema::external_recipients::table
                .select(bruka::db::schema::external_recipients::id)
                .first(conn)
                .expect("recipient")
        })
        .await;
    let removed = admin
        .post_form(&format!("/admin/recipients/{recipient}/remove"), &[])
        .await;
    assert_eq!(removed.status(), 303);
    assert_eq!(school.get(&path).await.status(), 404);
    let late = school
        .post_form(&format!("{path}/claim/{item_id}"), &[("quantity", "1")])
        .await;
    assert_eq!(late.status(), 404);
    assert_eq!(available(&app, item_id).await, 1);
    // No CSRF token: refused.
    assert_eq!(app.browser.post_raw(&offer, &[]).await.status(), 403);
}

/// With an approved, active recipient, "offer outside" is a step of the cascade.
async fn an_unclaimed_listing_is_offered_to_approved_recipients(backend: Backend) {
    use crate::expiry::{set_end_date, today};
    let app = crate::helpers::spawn_app_with(backend, |settings| {
        settings.reservations.check_interval_ms = crate::helpers::nonzero(100);
    })
    .await;
    lister_and_requester(&app).await;
    let admin = app
        .signed_in_with_role("ada@boras.se", "Ada Admin", Role::Admin)
        .await;
    assert_eq!(approve(&admin, "association").await.status(), 303);
    let link = app.smtp.mailbox.wait_for("kansli@frovi.se", 1).await[0].link_containing("/give/");
    let path = link[link.find("/give/").expect("path")..].to_string();
    let school = app.new_browser();
    school
        .post_form(
            &format!("{path}/accept"),
            &[("accepted_by", "Kassör Kim"), ("accept", "yes")],
        )
        .await;
    let response = admin
        .post_form(
            "/admin/ending",
            &[
                ("reminder_days", "0"),
                ("step_1", "external"),
                ("step_2", "recycle"),
                ("step_days", "7"),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);
    let item_id = list_chairs(&app, 2).await;
    let before = app.smtp.mailbox.to("anna@boras.se").len();
    set_end_date(&app, item_id, today() - chrono::Duration::days(1)).await;
    let ending = crate::ending::wait_until(&app, item_id, |e| e.3 == 1).await;
    assert_eq!(ending.0, "available");
    let offered: bool = app
        .with_conn(move |conn| {
            items::table
                .find(item_id)
                .select(items::offered_outside)
                .first(conn)
                .expect("item")
        })
        .await;
    assert!(offered);
    let mails = app.smtp.mailbox.wait_for("anna@boras.se", before + 1).await;
    assert_eq!(
        mails.last().expect("mail").subject(),
        "Nu erbjuds den utanför organisationen: Kontorsstol med armstöd"
    );
    assert!(
        school
            .get_page(&path)
            .await
            .text_of("#offer")
            .contains("Kontorsstol med armstöd")
    );
}

on_both_backends!(
    a_school_takes_chairs_through_its_link,
    an_unclaimed_listing_is_offered_to_approved_recipients,
);
