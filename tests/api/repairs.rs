//! The repair queue over HTTP with real mail: a lister sends a listing to a supplier, the
//! repair is started and finished with its hours, cost and emissions, and when the listing
//! is handed over the ledger takes the cost off the money saved and the repair's emissions
//! in place of the flat refurbishment; the exports and the ledger page show it and the
//! chain still verifies. Every refusal changes nothing.

use bruka::db::schema::{items, organisations, repairs, reuse_records};
use diesel::prelude::*;

use crate::helpers::{Backend, Browser, TestApp, spawn_app};
use crate::on_both_backends;
use crate::reservations::{list_chairs, reservation_id, reserve};
use crate::stores::with_a_store;

async fn repair_state(app: &TestApp, item_id: i64) -> Vec<(i64, String, Option<i64>)> {
    app.with_conn(move |conn| {
        repairs::table
            .filter(repairs::item_id.eq(item_id))
            .order(repairs::id)
            .select((repairs::id, repairs::status, repairs::cost_ore))
            .load(conn)
            .expect("repairs")
    })
    .await
}

async fn send(browser: &Browser, item_id: i64, estimate: &str) -> reqwest::Response {
    browser
        .post_form(
            &format!("/items/{item_id}/repair"),
            &[
                ("repairer", "supplier"),
                ("supplier", "Möbelverkstan AB"),
                ("problem", "Byt två hjul och klädseln på sitsen."),
                ("estimate", estimate),
            ],
        )
        .await
}

async fn a_repair_s_cost_shows_in_the_ledger_and_the_exports(backend: Backend) {
    let app = spawn_app(backend).await;
    let store = with_a_store(&app).await;
    let item_id = list_chairs(&app, 2).await;
    app.with_conn(move |conn| {
        diesel::update(items::table.find(item_id))
            .set(items::condition.eq("needs_repair"))
            .execute(conn)
            .expect("condition")
    })
    .await;

    // Anna sends her chairs to a supplier; a second open repair is refused.
    let response = send(&app.browser, item_id, "500").await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        response.headers()["location"],
        format!("/items/{item_id}?done=repair#repair").as_str()
    );
    let [(repair, status, _)] = <[_; 1]>::try_from(repair_state(&app, item_id).await).expect("one");
    assert_eq!(status, "queued");
    assert_eq!(send(&app.browser, item_id, "").await.status(), 409);
    let page = app.browser.get_page(&format!("/items/{item_id}")).await;
    assert!(page.text_of("#repair").contains("I kö"));
    let queue = app.browser.get_page("/repairs").await;
    assert!(queue.text_of("#open").contains("Möbelverkstan AB"));
    assert!(queue.text_of("#open").contains("Byt två hjul"));

    // Started with a new estimate; a negative cost is refused and changes nothing.
    let started = app
        .browser
        .post_form(&format!("/repairs/{repair}/start"), &[("estimate", "600")])
        .await;
    assert_eq!(started.status(), 303);
    let finish = format!("/repairs/{repair}/finish");
    let bad = app
        .browser
        .post_form(&finish, &[("result", "repaired"), ("cost", "-1")])
        .await;
    assert_eq!(bad.status(), 422);
    assert_eq!(repair_state(&app, item_id).await[0].1, "in_progress");
    let anna_before = app.smtp.mailbox.to("anna@boras.se").len();
    let done = app
        .browser
        .post_form(
            &finish,
            &[
                ("result", "repaired"),
                ("hours", "2,5"),
                ("materials", "2 hjul, tyg"),
                ("cost", "1 200,50"),
                ("kg_co2e", "4"),
            ],
        )
        .await;
    assert_eq!(done.status(), 303);
    assert_eq!(
        repair_state(&app, item_id).await[0],
        (repair, "done".to_string(), Some(120_050))
    );
    assert_eq!(
        app.browser
            .post_form(&finish, &[("result", "repaired"), ("cost", "1")])
            .await
            .status(),
        409,
        "finished once"
    );
    let mails = app
        .smtp
        .mailbox
        .wait_for("anna@boras.se", anna_before + 1)
        .await;
    assert_eq!(
        mails.last().expect("mail").subject(),
        "Reparationen är klar: Kontorsstol med armstöd"
    );
    let condition: String = app
        .with_conn(move |conn| {
            items::table
                .find(item_id)
                .select(items::condition)
                .first(conn)
                .expect("item")
        })
        .await;
    assert_eq!(condition, "good", "repaired: in good condition again");

    // Bo takes one of the two: the record carries half the cost and half the emissions.
    let response = reserve(&store.requester, item_id, "1").await;
    let reservation = reservation_id(&response);
    let picked = store
        .requester
        .post_form(&format!("/reservations/{reservation}/picked-up"), &[])
        .await;
    assert_eq!(picked.status(), 303);
    let (costs, money, deduction, source, transport): (i64, i64, f64, String, f64) = app
        .with_conn(move |conn| {
            let (costs, money, deduction, source) = reuse_records::table
                .filter(reuse_records::reservation_id.eq(reservation))
                .select((
                    reuse_records::costs_ore,
                    reuse_records::money_saved_ore,
                    reuse_records::deduction_kg_co2e,
                    reuse_records::deduction_source,
                ))
                .first::<(i64, i64, f64, String)>(conn)
                .expect("record");
            let transport = organisations::table
                .select(organisations::transport_kg_co2e)
                .first::<f64>(conn)
                .expect("method");
            (costs, money, deduction, source, transport)
        })
        .await;
    assert_eq!(costs, 60_025, "half of 1 200,50 kr");
    assert_eq!(money, 4200 * 100 - 60_025, "D × new price − costs");
    assert!((deduction - (2.0 + transport)).abs() < 1e-9, "{deduction}");
    assert_eq!(source, format!("repair #{repair}"));

    // The ledger page, the CSV and the JSON say so; the chain still verifies.
    let ledger = store.admin.get_page("/ledger").await;
    assert!(ledger.visible_text().contains("kostnader 600 kr avdragna"));
    let csv = store
        .admin
        .get("/stats/export.csv")
        .await
        .text()
        .await
        .expect("csv");
    assert!(csv.contains("Kostnader kr"));
    assert!(csv.contains("600,25"), "{csv}");
    assert!(csv.contains(&format!("repair #{repair}")));
    let json: serde_json::Value = store
        .admin
        .get("/stats/export.json")
        .await
        .json()
        .await
        .expect("json");
    assert!(
        json["method"]["text"]
            .to_string()
            .contains("interna kostnader"),
        "the method says so"
    );
    let record = &json["records"][0];
    assert_eq!(record["costs_sek"], 600.25);
    assert_eq!(record["money_sek"], 3599.75);
    let stats = store.admin.get_page("/stats").await;
    assert!(
        stats
            .text_of("#repair-costs")
            .starts_with("En reparation klar under perioden"),
        "{}",
        stats.text_of("#programme")
    );
    let verified = store.admin.post_form("/ledger/verify", &[]).await;
    assert_eq!(verified.status(), 303);
    assert!(
        store
            .admin
            .get_page("/ledger")
            .await
            .visible_text()
            .contains("Kedjan är hel.")
    );
}

async fn bad_repairs_change_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let store = with_a_store(&app).await;
    let item_id = list_chairs(&app, 2).await;

    // Someone else's listing, no problem described, a bad estimate, another
    // organisation's unit as workshop, no token: refused, no repair.
    assert_eq!(send(&store.requester, item_id, "").await.status(), 404);
    let empty = app
        .browser
        .post_form(
            &format!("/items/{item_id}/repair"),
            &[
                ("repairer", "supplier"),
                ("supplier", "Verkstan"),
                ("problem", " "),
            ],
        )
        .await;
    assert_eq!(empty.status(), 422);
    assert_eq!(send(&app.browser, item_id, "-5").await.status(), 422);
    assert_eq!(send(&app.browser, item_id, "mycket").await.status(), 422);
    app.create_organisation("Alingsås kommun", "alingsas.se", &["Verkstaden"])
        .await;
    let foreign_unit: i64 = app
        .with_conn(|conn| {
            bruka::db::schema::units::table
                .filter(bruka::db::schema::units::name.eq("Verkstaden"))
                .select(bruka::db::schema::units::id)
                .first(conn)
                .expect("unit")
        })
        .await;
    let foreign = app
        .browser
        .post_form(
            &format!("/items/{item_id}/repair"),
            &[
                ("repairer", &foreign_unit.to_string()),
                ("problem", "Lös ryggstöd"),
            ],
        )
        .await;
    assert_eq!(foreign.status(), 422);
    let unguarded = app
        .browser
        .post_raw(
            &format!("/items/{item_id}/repair"),
            &[
                ("repairer", "supplier"),
                ("supplier", "V"),
                ("problem", "x"),
            ],
        )
        .await;
    assert_eq!(unguarded.status(), 403);
    assert!(repair_state(&app, item_id).await.is_empty());

    // A repair by the store's workshop: its staff may work on it, the requester may not.
    let response = app
        .browser
        .post_form(
            &format!("/items/{item_id}/repair"),
            &[
                ("repairer", &store.id.to_string()),
                ("problem", "Lös ryggstöd"),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);
    let repair = repair_state(&app, item_id).await[0].0;
    let outsider = store
        .requester
        .post_form(&format!("/repairs/{repair}/start"), &[])
        .await;
    assert_eq!(outsider.status(), 403);
    let started = store
        .staff
        .post_form(&format!("/repairs/{repair}/start"), &[])
        .await;
    assert_eq!(started.status(), 303);
    assert_eq!(
        store
            .staff
            .post_form(&format!("/repairs/{repair}/start"), &[])
            .await
            .status(),
        409,
        "started once"
    );
    let cancelled = store
        .staff
        .post_form(&format!("/repairs/{repair}/cancel"), &[])
        .await;
    assert_eq!(cancelled.status(), 303);
    assert_eq!(repair_state(&app, item_id).await[0].1, "cancelled");
    assert_eq!(
        store
            .staff
            .post_form(
                &format!("/repairs/{repair}/finish"),
                &[("result", "repaired"), ("cost", "0")]
            )
            .await
            .status(),
        409
    );
    // The queue page of another organisation's person does not show it.
    let outsider = app.new_browser();
    outsider.sign_in("olle@alingsas.se", "Olle").await;
    assert!(
        !outsider
            .get_page("/repairs")
            .await
            .visible_text()
            .contains("Lös ryggstöd")
    );
}

on_both_backends!(
    a_repair_s_cost_shows_in_the_ledger_and_the_exports,
    bad_repairs_change_nothing,
);
