//! Reserving, picking up, cancelling, declining and expiry, and the ledger records they
//! leave, over HTTP with real mail.

use std::sync::Arc;
use std::time::Duration;

use bruka::db::schema::{audit_log, items, reservations, reuse_records};
use bruka::ids::ItemId;
use bruka::reservations::Accounting;
use diesel::prelude::*;

use crate::helpers::{Backend, Browser, TestApp, spawn_app, spawn_app_with};
use crate::on_both_backends;

/// "Borås stad" with two units; Anna (Stadsledningskansliet) lists, Bo (Grundskolan) reserves.
pub(crate) async fn lister_and_requester(app: &TestApp) -> Browser {
    app.create_organisation(
        "Borås stad",
        "boras.se",
        &["Stadsledningskansliet", "Grundskolan"],
    )
    .await;
    app.browser.sign_in("anna@boras.se", "Anna Andersson").await;
    app.with_conn(|conn| {
        use bruka::db::schema::{units, users};
        let unit: i64 = units::table
            .filter(units::name.eq("Stadsledningskansliet"))
            .select(units::id)
            .first(conn)
            .expect("unit");
        diesel::update(users::table.filter(users::email.eq("anna@boras.se")))
            .set(users::unit_id.eq(Some(unit)))
            .execute(conn)
            .expect("unit set")
    })
    .await;
    let requester = app.new_browser();
    requester.sign_in("bo@boras.se", "Bo Berg").await;
    requester
}

/// Office chairs: 64 kg CO2e per item in the seeded table, 4 200 kr new.
/// The posting form for `quantity` office chairs, as the lister fills it in.
pub(crate) async fn chair_form(app: &TestApp, quantity: u32) -> Vec<(&'static str, String)> {
    let category = app.category_id("mobler/kontorsstol").await;
    [
        ("title", "Kontorsstol med armstöd"),
        ("category_id", &category),
        ("condition", "good"),
        ("quantity", &quantity.to_string()),
        ("weight_kg", "12,5"),
        ("new_price_sek", "4200"),
        ("site", "Stadshuset, Kungsgatan 55"),
        ("room", "Plan 3"),
        ("pickup_instructions", "Fråga i receptionen."),
        ("action", "publish"),
    ]
    .into_iter()
    .map(|(name, value)| (name, value.to_string()))
    .collect()
}

pub(crate) async fn list_chairs(app: &TestApp, quantity: u32) -> i64 {
    let form = chair_form(app, quantity).await;
    let fields: Vec<(&str, &str)> = form.iter().map(|(n, v)| (*n, v.as_str())).collect();
    app.browser.post_item(&fields, vec![]).await
}

pub(crate) async fn reserve(browser: &Browser, item_id: i64, quantity: &str) -> reqwest::Response {
    reserve_on(browser, "", item_id, quantity).await
}

/// Reserves through the instance at `base` (empty: the browser's own).
async fn reserve_on(
    browser: &Browser,
    base: &str,
    item_id: i64,
    quantity: &str,
) -> reqwest::Response {
    browser
        .post_form(
            &format!("{base}/items/{item_id}/reserve"),
            &[
                ("quantity", quantity),
                ("would_buy_new", "yes"),
                ("message", "Vi hämtar på torsdag."),
            ],
        )
        .await
}

pub(crate) fn reservation_id(response: &reqwest::Response) -> i64 {
    response.headers()["location"]
        .to_str()
        .expect("ascii")
        .trim_start_matches("/reservations/")
        .split('?')
        .next()
        .and_then(|id| id.parse().ok())
        .expect("reservation id in location")
}

async fn accounting(app: &TestApp, item_id: i64) -> Accounting {
    app.with_conn(move |conn| {
        bruka::reservations::accounting(conn, ItemId(item_id)).expect("accounting")
    })
    .await
}

fn assert_balanced(accounting: &Accounting) {
    assert_eq!(
        i64::from(accounting.total),
        i64::from(accounting.available) + accounting.held + accounting.picked_up,
        "held + picked up + available = total: {accounting:?}"
    );
}

async fn item_status(app: &TestApp, item_id: i64) -> String {
    app.with_conn(move |conn| {
        items::table
            .find(item_id)
            .select(items::status)
            .first(conn)
            .expect("item")
    })
    .await
}

async fn ledger_rows(app: &TestApp) -> Vec<(i32, i64, i64, i64, String, String)> {
    app.with_conn(|conn| {
        reuse_records::table
            .order(reuse_records::id)
            .select((
                reuse_records::quantity,
                reuse_records::co2e_grams,
                reuse_records::money_saved_ore,
                reuse_records::material_grams,
                reuse_records::from_unit_name,
                reuse_records::to_unit_name,
            ))
            .load(conn)
            .expect("ledger")
    })
    .await
}

async fn audit_actions(app: &TestApp) -> Vec<String> {
    app.with_conn(|conn| {
        audit_log::table
            .filter(audit_log::subject.eq("reservation"))
            .order(audit_log::id)
            .select(audit_log::action)
            .load(conn)
            .expect("audit")
    })
    .await
}

async fn a_reservation_is_mailed_picked_up_and_recorded(backend: Backend) {
    let app = spawn_app(backend).await;
    let requester = lister_and_requester(&app).await;
    let item_id = list_chairs(&app, 4).await;

    let page = requester.get_page(&format!("/items/{item_id}")).await;
    assert_eq!(
        page.attr("form[action$='/reserve'] input[name=quantity]", "max"),
        "4"
    );
    assert!(
        page.text_of("#reserve-unit option[selected]")
            .contains("Grundskolan"),
        "the requester's own unit is preselected"
    );
    let response = reserve(&requester, item_id, "3").await;
    assert_eq!(response.status(), 303, "reserved");
    let id = reservation_id(&response);
    assert_balanced(&accounting(&app, item_id).await);
    assert_eq!(accounting(&app, item_id).await.available, 1);

    let mail = &app.smtp.mailbox.wait_for("anna@boras.se", 2).await[1];
    assert_eq!(mail.subject(), "Reserverat: Kontorsstol med armstöd");
    let text = mail.body("text/plain");
    assert!(text.contains("Bo Berg har reserverat 3 st"), "{text}");
    assert!(text.contains("Grundskolan"), "{text}");
    assert!(text.contains("Vi hämtar på torsdag."), "{text}");
    let link = mail.link_containing("/reservations/");
    assert!(link.ends_with(&format!("/reservations/{id}")), "{link}");

    let lister_view = app.get_page(&link).await;
    assert!(
        lister_view
            .visible_text()
            .contains("Stadshuset, Kungsgatan 55, Plan 3"),
        "pickup details shown"
    );
    assert!(
        !lister_view
            .select_all(&format!("form[action='/reservations/{id}/decline']"))
            .is_empty(),
        "the lister may decline"
    );
    let item_page = app.get_page(&format!("/items/{item_id}")).await;
    assert_eq!(
        item_page
            .select_all(&format!("a[href='/reservations/{id}']"))
            .len(),
        1,
        "the lister sees the reservation on the listing"
    );
    let mine = requester.get_page("/my").await;
    assert!(mine.visible_text().contains("Kontorsstol med armstöd"));

    let response = requester
        .post_form(&format!("/reservations/{id}/picked-up"), &[])
        .await;
    assert_eq!(response.status(), 303, "picked up");
    let rows = ledger_rows(&app).await;
    assert_eq!(
        rows,
        vec![(
            3,
            3 * 64_000,
            3 * 4200 * 100,
            3 * 12_500,
            "Stadsledningskansliet".to_string(),
            "Grundskolan".to_string()
        )]
    );
    let after = accounting(&app, item_id).await;
    assert_eq!((after.available, after.held, after.picked_up), (1, 0, 3));
    let mail = &app.smtp.mailbox.wait_for("anna@boras.se", 3).await[2];
    assert_eq!(mail.subject(), "Hämtat: Kontorsstol med armstöd");

    // A second "picked up", and a decline after the pickup, are refused and change nothing.
    let again = requester
        .post_form(&format!("/reservations/{id}/picked-up"), &[])
        .await;
    assert_eq!(again.status(), 409);
    let decline = app
        .browser
        .post_form(&format!("/reservations/{id}/decline"), &[])
        .await;
    assert_eq!(decline.status(), 409);
    assert!(
        crate::helpers::Page::from_response(decline)
            .await
            .visible_text()
            .contains("redan hämtad")
    );
    assert_eq!(ledger_rows(&app).await.len(), 1);
    assert_eq!(accounting(&app, item_id).await, after);
    assert_eq!(audit_actions(&app).await, vec!["reserved", "picked_up"]);

    // The ledger refuses edits at the database level too.
    let edited = app
        .with_conn(|conn| {
            diesel::update(reuse_records::table)
                .set(reuse_records::co2e_grams.eq(1))
                .execute(conn)
        })
        .await;
    assert!(edited.is_err(), "reuse records are immutable");
}

async fn the_last_ones_go_and_the_listing_is_gone(backend: Backend) {
    let app = spawn_app(backend).await;
    let requester = lister_and_requester(&app).await;
    let item_id = list_chairs(&app, 2).await;
    let id = reservation_id(&reserve(&requester, item_id, "2").await);
    assert_eq!(item_status(&app, item_id).await, "reserved");
    let page = app.new_browser();
    page.sign_in("cecilia@boras.se", "Cecilia").await;
    assert!(
        page.get_page(&format!("/items/{item_id}"))
            .await
            .select_all("form[action$='/reserve']")
            .is_empty(),
        "nothing left to reserve"
    );
    let response = app
        .browser
        .post_form(&format!("/reservations/{id}/picked-up"), &[])
        .await;
    assert_eq!(response.status(), 303, "the lister confirms the pickup");
    assert_eq!(item_status(&app, item_id).await, "gone");
    assert_eq!(
        app.smtp.mailbox.wait_for("bo@boras.se", 2).await[1].subject(),
        "Hämtat: Kontorsstol med armstöd"
    );
}

async fn bad_reservations_are_refused_and_change_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let requester = lister_and_requester(&app).await;
    app.create_organisation("Marks kommun", "mark.se", &["Tekniska"])
        .await;
    let item_id = list_chairs(&app, 3).await;
    let foreign_unit: i64 = app
        .with_conn(|conn| {
            bruka::db::schema::units::table
                .filter(bruka::db::schema::units::name.eq("Tekniska"))
                .select(bruka::db::schema::units::id)
                .first(conn)
                .expect("unit")
        })
        .await;
    let path = format!("/items/{item_id}/reserve");
    for (quantity, expected, message) in [
        ("-2", 422, "Ange ett antal, minst 1."),
        ("0", 422, "Ange ett antal, minst 1."),
        ("tre", 422, "Ange ett antal, minst 1."),
        ("4", 409, "Tyvärr, det finns bara 3 kvar."),
    ] {
        let response = requester
            .post_form(&path, &[("quantity", quantity), ("would_buy_new", "yes")])
            .await;
        assert_eq!(response.status(), expected, "quantity {quantity}");
        let page = crate::helpers::Page::from_response(response).await;
        assert!(page.visible_text().contains(message), "quantity {quantity}");
    }
    let unit = foreign_unit.to_string();
    let response = requester
        .post_form(
            &path,
            &[
                ("quantity", "1"),
                ("would_buy_new", "yes"),
                ("receiving_unit_id", &unit),
            ],
        )
        .await;
    assert_eq!(response.status(), 422, "another organisation's unit");
    let response = requester
        .post_form(&path, &[("quantity", "1"), ("would_buy_new", "maybe")])
        .await;
    assert_eq!(response.status(), 422, "unknown answer");
    let response = app
        .browser
        .post_form(&path, &[("quantity", "1"), ("would_buy_new", "yes")])
        .await;
    assert_eq!(response.status(), 422, "one's own listing");
    let response = requester
        .post_raw(&path, &[("quantity", "1"), ("would_buy_new", "yes")])
        .await;
    assert_eq!(response.status(), 403, "no CSRF token");
    let outsider = app.new_browser();
    outsider.sign_in("per@mark.se", "Per").await;
    let response = reserve(&outsider, item_id, "1").await;
    assert_eq!(response.status(), 404, "another organisation's listing");
    let response = reserve(&requester, item_id + 1000, "1").await;
    assert_eq!(response.status(), 404, "no such listing");

    let after = accounting(&app, item_id).await;
    assert_eq!((after.available, after.held), (3, 0));
    let count: i64 = app
        .with_conn(|conn| reservations::table.count().get_result(conn).expect("count"))
        .await;
    assert_eq!(count, 0);
    assert_eq!(
        app.smtp.mailbox.to("anna@boras.se").len(),
        1,
        "only sign-in mail"
    );
}

async fn cancel_and_decline_give_the_quantity_back(backend: Backend) {
    let app = spawn_app(backend).await;
    let requester = lister_and_requester(&app).await;
    let item_id = list_chairs(&app, 3).await;
    let first = reservation_id(&reserve(&requester, item_id, "2").await);
    let second = reservation_id(&reserve(&requester, item_id, "1").await);
    assert_eq!(accounting(&app, item_id).await.available, 0);

    // Each side may only do its own step.
    let response = app
        .browser
        .post_form(&format!("/reservations/{first}/cancel"), &[])
        .await;
    assert_eq!(
        response.status(),
        403,
        "the lister cannot cancel for the requester"
    );
    let response = requester
        .post_form(&format!("/reservations/{first}/decline"), &[])
        .await;
    assert_eq!(response.status(), 403, "the requester cannot decline");

    let response = requester
        .post_form(&format!("/reservations/{first}/cancel"), &[])
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        app.smtp.mailbox.wait_for("anna@boras.se", 4).await[3].subject(),
        "Avbokat: Kontorsstol med armstöd"
    );
    let response = app
        .browser
        .post_form(&format!("/reservations/{second}/decline"), &[])
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        app.smtp.mailbox.wait_for("bo@boras.se", 2).await[1].subject(),
        "Avböjt: Kontorsstol med armstöd"
    );
    let after = accounting(&app, item_id).await;
    assert_eq!((after.available, after.held, after.picked_up), (3, 0, 0));
    assert_eq!(item_status(&app, item_id).await, "available");
    let response = requester
        .post_form(&format!("/reservations/{first}/picked-up"), &[])
        .await;
    assert_eq!(
        response.status(),
        409,
        "a cancelled reservation cannot be picked up"
    );
    assert!(ledger_rows(&app).await.is_empty());
}

async fn due_reservations_are_reminded_then_expire(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.reservations.check_interval_ms = crate::helpers::nonzero(100);
    })
    .await;
    let requester = lister_and_requester(&app).await;
    let item_id = list_chairs(&app, 3).await;
    let id = reservation_id(&reserve(&requester, item_id, "2").await);

    // Within a day of the deadline: one reminder, however often the job runs.
    let set_deadline = |hours: i64| {
        app.with_conn(move |conn| {
            diesel::update(reservations::table.find(id))
                .set(
                    reservations::pickup_deadline
                        .eq(chrono::Utc::now().naive_utc() + chrono::Duration::hours(hours)),
                )
                .execute(conn)
                .expect("deadline moved")
        })
    };
    set_deadline(2).await;
    let reminder = &app.smtp.mailbox.wait_for("bo@boras.se", 2).await[1];
    assert_eq!(
        reminder.subject(),
        "Påminnelse: hämta Kontorsstol med armstöd"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(app.smtp.mailbox.to("bo@boras.se").len(), 2, "reminded once");

    set_deadline(-1).await;
    let expired = &app.smtp.mailbox.wait_for("bo@boras.se", 3).await[2];
    assert_eq!(
        expired.subject(),
        "Reservationen gick ut: Kontorsstol med armstöd"
    );
    app.smtp.mailbox.wait_for("anna@boras.se", 3).await;
    let after = accounting(&app, item_id).await;
    assert_eq!((after.available, after.held, after.picked_up), (3, 0, 0));
    let response = requester
        .post_form(&format!("/reservations/{id}/picked-up"), &[])
        .await;
    assert_eq!(response.status(), 409, "no pickup after expiry");
    assert!(ledger_rows(&app).await.is_empty());
    let expired_by: Vec<Option<i64>> = app
        .with_conn(|conn| {
            audit_log::table
                .filter(audit_log::action.eq("expired"))
                .select(audit_log::actor_id)
                .load(conn)
                .expect("audit")
        })
        .await;
    assert_eq!(expired_by, vec![None], "expired by the background job");
}

/// 200 reservations of one unit each, at once, through two instances, for 5 chairs.
async fn exactly_the_quantity_is_held_under_concurrent_reservations(backend: Backend) {
    let app = spawn_app(backend).await;
    let _ = lister_and_requester(&app).await;
    let item_id = list_chairs(&app, 5).await;
    let second = app.start_another_instance().await;
    let mut requesters = Vec::new();
    for n in 0..10 {
        let browser = app.new_browser();
        browser
            .sign_in(&format!("kollega{n}@boras.se"), &format!("Kollega {n}"))
            .await;
        requesters.push(Arc::new(browser));
    }
    let mut tasks = Vec::new();
    for attempt in 0..200 {
        let browser = requesters[attempt % requesters.len()].clone();
        let base = if attempt % 2 == 0 {
            app.address.clone()
        } else {
            second.clone()
        };
        tasks.push(tokio::spawn(async move {
            reserve_on(&browser, &base, item_id, "1")
                .await
                .status()
                .as_u16()
        }));
    }
    let mut held = 0;
    let mut refused = 0;
    for task in tasks {
        match task.await.expect("request task") {
            303 => held += 1,
            409 => refused += 1,
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!((held, refused), (5, 195));
    let after = accounting(&app, item_id).await;
    assert_eq!((after.available, after.held), (0, 5));
    assert_balanced(&after);
}

async fn stopping_mid_load_leaves_quantities_and_ledger_consistent(backend: Backend) {
    let app = spawn_app(backend).await;
    let _ = lister_and_requester(&app).await;
    let mut item_ids = Vec::new();
    for _ in 0..3 {
        item_ids.push(list_chairs(&app, 20).await);
    }
    let instance = app.start_another_instance().await;
    let mut workers = Vec::new();
    for n in 0..6 {
        let browser = app.new_browser();
        browser
            .sign_in(&format!("hamtare{n}@boras.se"), &format!("Hämtare {n}"))
            .await;
        let browser = Arc::new(browser);
        let instance = instance.clone();
        let item_ids = item_ids.clone();
        workers.push(tokio::spawn(async move {
            for round in 0..40 {
                let item_id = item_ids[round % item_ids.len()];
                let response = browser
                    .client
                    .post(format!("{instance}/items/{item_id}/reserve"))
                    .form(&[
                        ("csrf_token", browser.csrf_token().await.as_str()),
                        ("quantity", "1"),
                        ("would_buy_new", "unsure"),
                    ])
                    .send()
                    .await;
                let Ok(response) = response else { return };
                if response.status() != 303 {
                    continue;
                }
                let id = reservation_id(&response);
                let step = if round % 3 == 0 {
                    "cancel"
                } else {
                    "picked-up"
                };
                let _ = browser
                    .client
                    .post(format!("{instance}/reservations/{id}/{step}"))
                    .form(&[("csrf_token", browser.csrf_token().await.as_str())])
                    .send()
                    .await;
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(400)).await;
    app.stop_instances();
    for worker in workers {
        let _ = worker.await;
    }
    // After a restart everything still adds up, and every pickup has exactly one record.
    let _restarted = app.start_another_instance().await;
    for item_id in item_ids {
        let accounting = accounting(&app, item_id).await;
        assert_balanced(&accounting);
        let (records, quantity): (i64, Option<i64>) = app
            .with_conn(move |conn| {
                let count = reuse_records::table
                    .filter(reuse_records::item_id.eq(item_id))
                    .count()
                    .get_result(conn)
                    .expect("count");
                let quantities: Vec<i32> = reuse_records::table
                    .filter(reuse_records::item_id.eq(item_id))
                    .select(reuse_records::quantity)
                    .load(conn)
                    .expect("quantities");
                (count, Some(quantities.into_iter().map(i64::from).sum()))
            })
            .await;
        let picked_up: i64 = app
            .with_conn(move |conn| {
                reservations::table
                    .filter(reservations::item_id.eq(item_id))
                    .filter(reservations::status.eq("picked_up"))
                    .count()
                    .get_result(conn)
                    .expect("count")
            })
            .await;
        assert_eq!(records, picked_up, "one record per pickup");
        assert_eq!(quantity.unwrap_or(0), accounting.picked_up);
    }
}

async fn the_ledger_is_corrected_by_reversal_and_everything_is_in_the_audit_log(backend: Backend) {
    let app = spawn_app(backend).await;
    let requester = lister_and_requester(&app).await;
    let item_id = list_chairs(&app, 2).await;
    let id = reservation_id(&reserve(&requester, item_id, "2").await);
    let response = requester
        .post_form(&format!("/reservations/{id}/picked-up"), &[])
        .await;
    assert_eq!(response.status(), 303);
    let record_id: i64 = app
        .with_conn(|conn| {
            reuse_records::table
                .select(reuse_records::id)
                .first(conn)
                .expect("record")
        })
        .await;

    assert_eq!(
        requester.get("/ledger").await.status(),
        403,
        "members do not"
    );
    let keeper = app
        .signed_in_with_role(
            "hallbarhet@boras.se",
            "Hållbarhetsenheten",
            bruka::accounts::Role::Sustainability,
        )
        .await;
    let page = keeper.get_page("/ledger").await;
    assert!(page.visible_text().contains("Kontorsstol med armstöd"));
    assert!(page.visible_text().contains("128"), "2 × 64 kg CO2e");

    let path = format!("/ledger/{record_id}/reverse");
    let response = keeper.post_form(&path, &[("note", "  ")]).await;
    assert_eq!(response.status(), 422, "a reason is required");
    app.create_organisation("Marks kommun", "mark.se", &[])
        .await;
    let stranger = app
        .signed_in_with_role(
            "miljo@mark.se",
            "Miljö",
            bruka::accounts::Role::Sustainability,
        )
        .await;
    let response = stranger.post_form(&path, &[("note", "fel")]).await;
    assert_eq!(response.status(), 404, "another organisation's record");
    assert_eq!(ledger_rows(&app).await.len(), 1);

    let response = keeper
        .post_form(&path, &[("note", "Stolarna kom tillbaka")])
        .await;
    assert_eq!(response.status(), 303);
    let rows = ledger_rows(&app).await;
    assert_eq!(rows.len(), 2);
    assert_eq!(
        rows.iter().map(|r| r.0).sum::<i32>(),
        0,
        "quantities cancel"
    );
    assert_eq!(rows.iter().map(|r| r.1).sum::<i64>(), 0, "CO2e cancels");
    assert_eq!(rows.iter().map(|r| r.2).sum::<i64>(), 0, "money cancels");
    let response = keeper.post_form(&path, &[("note", "en gång till")]).await;
    assert_eq!(response.status(), 409, "reversed once only");
    assert_eq!(ledger_rows(&app).await.len(), 2);

    assert_eq!(requester.get("/admin/audit").await.status(), 403);
    app.create_user("admin@boras.se", bruka::accounts::Role::Admin)
        .await;
    let admin = app.new_browser();
    admin.sign_in("admin@boras.se", "Admin").await;
    let audit = admin.get_page("/admin/audit").await.visible_text();
    for action in ["publicerad", "reserverad", "hämtad", "rättad"] {
        assert!(audit.contains(action), "{action} in {audit}");
    }
    assert!(audit.contains("hallbarhet@boras.se"));
}

async fn the_receiving_organisations_method_settings_apply(backend: Backend) {
    let app = spawn_app(backend).await;
    let requester = lister_and_requester(&app).await;
    app.create_user("admin@boras.se", bruka::accounts::Role::Admin)
        .await;
    let admin = app.new_browser();
    admin.sign_in("admin@boras.se", "Admin").await;
    let method = |unsure: &'static str| {
        vec![
            ("displacement_yes", "1"),
            ("displacement_unsure", unsure),
            ("displacement_no", "0"),
            ("refurbishment_kg_co2e", "4"),
            ("transport_kg_co2e", "0,0"),
        ]
    };
    let response = admin.post_form("/admin/method", &method("1,5")).await;
    assert_eq!(response.status(), 400, "a share above 1");
    assert_eq!(
        requester
            .post_form("/admin/method", &method("0,3"))
            .await
            .status(),
        403
    );
    let response = admin.post_form("/admin/method", &method("0,3")).await;
    assert_eq!(response.status(), 303);
    let page = admin.get_page("/admin").await;
    assert_eq!(page.attr("#method-unsure", "value"), "0.3");

    let item_id = list_chairs(&app, 1).await;
    let response = requester
        .post_form(
            &format!("/items/{item_id}/reserve"),
            &[("quantity", "1"), ("would_buy_new", "unsure")],
        )
        .await;
    let id = reservation_id(&response);
    let response = requester
        .post_form(&format!("/reservations/{id}/picked-up"), &[])
        .await;
    assert_eq!(response.status(), 303);
    let rows = ledger_rows(&app).await;
    // 0.3 × (64 − 4) kg and 0.3 × 4 200 kr; the material counts in full.
    assert_eq!((rows[0].1, rows[0].2, rows[0].3), (18_000, 126_000, 12_500));
}

on_both_backends!(
    a_reservation_is_mailed_picked_up_and_recorded,
    the_last_ones_go_and_the_listing_is_gone,
    bad_reservations_are_refused_and_change_nothing,
    cancel_and_decline_give_the_quantity_back,
    due_reservations_are_reminded_then_expire,
    exactly_the_quantity_is_held_under_concurrent_reservations,
    stopping_mid_load_leaves_quantities_and_ledger_consistent,
    the_ledger_is_corrected_by_reversal_and_everything_is_in_the_audit_log,
    the_receiving_organisations_method_settings_apply,
);
