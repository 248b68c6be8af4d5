//! Delivery from the store over HTTP with real mail: the requester asks for a delivery at
//! reservation, the store's staff plan a run with a vehicle and a distance, put the
//! delivery on it, load it and confirm it at the door; the ledger's record carries the
//! run's transport instead of the flat deduction. Every refusal changes nothing.

use bruka::db::schema::{
    deliveries, delivery_runs, items, organisations, reservations, reuse_records,
};
use diesel::prelude::*;

use crate::expiry::today;
use crate::helpers::{Backend, TestApp, spawn_app};
use crate::on_both_backends;
use crate::reservations::{list_chairs, reservation_id};
use crate::stores::{chairs_on_a_shelf, with_a_store};

fn day(offset: i64) -> String {
    (today() + chrono::Duration::days(offset)).to_string()
}

async fn reserve_delivered(
    browser: &crate::helpers::Browser,
    item_id: i64,
    quantity: &str,
    wished_on: &str,
    building: &str,
) -> reqwest::Response {
    browser
        .post_form(
            &format!("/items/{item_id}/reserve"),
            &[
                ("quantity", quantity),
                ("would_buy_new", "yes"),
                ("message", ""),
                ("handover", "delivery"),
                ("wished_on", wished_on),
                ("building", building),
                ("room", "B214"),
            ],
        )
        .await
}

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

async fn delivery_of(app: &TestApp, reservation: i64) -> (i64, String, Option<i64>) {
    app.with_conn(move |conn| {
        deliveries::table
            .filter(deliveries::reservation_id.eq(reservation))
            .select((deliveries::id, deliveries::status, deliveries::run_id))
            .first(conn)
            .expect("delivery")
    })
    .await
}

async fn run_status(app: &TestApp, run: i64) -> String {
    app.with_conn(move |conn| {
        delivery_runs::table
            .find(run)
            .select(delivery_runs::status)
            .first(conn)
            .expect("run")
    })
    .await
}

fn location(response: &reqwest::Response) -> String {
    response.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_string()
}

async fn a_delivery_is_planned_loaded_and_confirmed_at_the_door(backend: Backend) {
    let app = spawn_app(backend).await;
    let store = with_a_store(&app).await;
    let item_id = chairs_on_a_shelf(&app, &store, 3).await;

    // The store listing offers delivery; Bo asks for two chairs to Stadshuset tomorrow.
    let page = store.requester.get_page(&format!("/items/{item_id}")).await;
    assert_eq!(
        page.select_all("input[name='handover'][value='delivery']")
            .len(),
        1
    );
    let response = reserve_delivered(&store.requester, item_id, "2", &day(1), "Stadshuset").await;
    assert_eq!(response.status(), 303);
    let reservation = reservation_id(&response);
    let (delivery, status, run) = delivery_of(&app, reservation).await;
    assert_eq!((status.as_str(), run), ("wished", None));
    let deadline: chrono::NaiveDateTime = app
        .with_conn(move |conn| {
            reservations::table
                .find(reservation)
                .select(reservations::pickup_deadline)
                .first(conn)
                .expect("reservation")
        })
        .await;
    assert!(
        deadline.date() >= today() + chrono::Duration::days(3),
        "held until after the wished day"
    );

    // The staff see it to plan; the requester does not reach the planning.
    let planning = format!("/stores/{}/deliveries", store.id);
    let page = store.staff.get_page(&planning).await;
    let to_plan = page.text_of("#to-plan");
    assert!(to_plan.contains("Kontorsstol med armstöd"), "{to_plan}");
    assert!(to_plan.contains("Stadshuset, B214"), "{to_plan}");
    assert_eq!(store.requester.get(&planning).await.status(), 403);

    // A run tomorrow, 12 km in a diesel van; an unknown vehicle is refused.
    let runs = format!("/stores/{}/runs", store.id);
    let bad = store
        .staff
        .post_form(
            &runs,
            &[
                ("run_on", &day(1)),
                ("vehicle", "rocket"),
                ("distance_km", "12"),
            ],
        )
        .await;
    assert_eq!(bad.status(), 422);
    let refused = store
        .requester
        .post_form(
            &runs,
            &[("run_on", &day(1)), ("vehicle", ""), ("distance_km", "")],
        )
        .await;
    assert_eq!(refused.status(), 403, "only the store's staff plan runs");
    let planned = store
        .staff
        .post_form(
            &runs,
            &[
                ("run_on", &day(1)),
                ("vehicle", "diesel_van"),
                ("distance_km", "12"),
                ("note", ""),
            ],
        )
        .await;
    assert_eq!(planned.status(), 303);
    let run: i64 = location(&planned)
        .rsplit("#run-")
        .next()
        .and_then(|id| id.parse().ok())
        .expect("run id");
    assert_eq!(run_status(&app, run).await, "scheduled");

    // Loading an empty run is refused; the delivery goes on the run and Bo hears the day.
    let empty = store
        .staff
        .post_form(&format!("/runs/{run}/load"), &[])
        .await;
    assert_eq!(empty.status(), 409);
    assert_eq!(run_status(&app, run).await, "scheduled");
    let bo_before = app.smtp.mailbox.to("bo@boras.se").len();
    let response = store
        .staff
        .post_form(
            &format!("/deliveries/{delivery}/plan"),
            &[("run", &run.to_string())],
        )
        .await;
    assert_eq!(response.status(), 303);
    let mails = app
        .smtp
        .mailbox
        .wait_for("bo@boras.se", bo_before + 1)
        .await;
    let mail = mails.last().expect("mail");
    assert_eq!(
        mail.subject(),
        format!("Leverans {}: Kontorsstol med armstöd", day(1))
    );
    assert!(mail.body("text/plain").contains("Stadshuset B214"));

    // The driver's run page: the stop with its place; the picking list has a QR code.
    let sheet = store.staff.get_page(&format!("/runs/{run}")).await;
    assert!(sheet.text_of("#stops").contains("Stadshuset, B214"));
    assert!(
        sheet.text_of("#run-status").contains("2,71 kg CO2e"),
        "12 × 0,226"
    );
    let picking = store.staff.get_page(&format!("/runs/{run}/print")).await;
    assert_eq!(picking.select_all(".picking-qr svg").len(), 1);
    assert_eq!(
        store.requester.get(&format!("/runs/{run}")).await.status(),
        403
    );

    // Loaded; a second load is refused. At the door: a name is needed.
    assert_eq!(
        store
            .staff
            .post_form(&format!("/runs/{run}/load"), &[])
            .await
            .status(),
        303
    );
    assert_eq!(
        store
            .staff
            .post_form(&format!("/runs/{run}/load"), &[])
            .await
            .status(),
        409
    );
    assert_eq!(delivery_of(&app, reservation).await.1, "loaded");
    let nameless = store
        .staff
        .post_form(
            &format!("/deliveries/{delivery}/deliver"),
            &[("received_by", " ")],
        )
        .await;
    assert_eq!(nameless.status(), 422);
    assert_eq!(delivery_of(&app, reservation).await.1, "loaded");
    let other = store
        .requester
        .post_form(
            &format!("/deliveries/{delivery}/deliver"),
            &[("received_by", "Bo")],
        )
        .await;
    assert_eq!(other.status(), 404, "only the store's staff confirm");
    let delivered = store
        .staff
        .post_form(
            &format!("/deliveries/{delivery}/deliver"),
            &[("received_by", "Eva på plan 2")],
        )
        .await;
    assert_eq!(delivered.status(), 303);
    assert_eq!(delivery_of(&app, reservation).await.1, "delivered");
    assert_eq!(run_status(&app, run).await, "delivered");
    let again = store
        .staff
        .post_form(
            &format!("/deliveries/{delivery}/deliver"),
            &[("received_by", "Eva")],
        )
        .await;
    assert_eq!(again.status(), 409, "delivered once");

    // The record: the run's 12 km shared by one stop and two chairs, not the flat figure.
    let (quantity, deduction, source, refurbishment): (i32, f64, String, f64) = app
        .with_conn(move |conn| {
            let (quantity, deduction, source) = reuse_records::table
                .filter(reuse_records::reservation_id.eq(reservation))
                .select((
                    reuse_records::quantity,
                    reuse_records::deduction_kg_co2e,
                    reuse_records::deduction_source,
                ))
                .first::<(i32, f64, String)>(conn)
                .expect("record");
            let refurbishment = organisations::table
                .select(organisations::refurbishment_kg_co2e)
                .first::<f64>(conn)
                .expect("method");
            (quantity, deduction, source, refurbishment)
        })
        .await;
    assert_eq!(quantity, 2);
    assert!(
        (deduction - (refurbishment + 12.0 * 0.226 / 2.0)).abs() < 1e-9,
        "{deduction}"
    );
    assert!(source.contains(&format!("run #{run}: 12 km")), "{source}");
    assert!(source.contains("diesel_van"), "{source}");
    let csv = store
        .admin
        .get("/stats/export.csv")
        .await
        .text()
        .await
        .expect("csv");
    assert!(csv.contains("Avdragets källa"), "the column is there");
    let stats = store.admin.get_page("/stats").await;
    assert!(
        stats
            .text_of("#deliveries")
            .starts_with("En leverans från förråden"),
        "{}",
        stats.text_of("#programme")
    );
    assert!(csv.contains(&format!("run #{run}")), "and the run in it");
    let outcome = app
        .with_conn(|conn| {
            let boras = organisations::table
                .select(organisations::id)
                .first::<i64>(conn)
                .expect("org");
            bruka::ledger::chain::verify(conn, bruka::ids::OrganisationId(boras)).expect("verify")
        })
        .await;
    assert!(outcome.is_intact(), "{outcome:?}");
}

async fn bad_deliveries_change_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let store = with_a_store(&app).await;
    let item_id = chairs_on_a_shelf(&app, &store, 3).await;
    let plain = list_chairs(&app, 2).await;

    // A listing that is not the store's cannot be delivered.
    let response = reserve_delivered(&store.requester, plain, "1", &day(1), "Stadshuset").await;
    assert_eq!(response.status(), 422);
    assert_eq!(available(&app, plain).await, 2);
    // A day in the past, too far ahead, no building, an unknown handover: refused, nothing held.
    for (wished_on, building) in [
        (day(-1), "Stadshuset"),
        (day(120), "Stadshuset"),
        (day(1), " "),
    ] {
        let response =
            reserve_delivered(&store.requester, item_id, "1", &wished_on, building).await;
        assert_eq!(response.status(), 422, "{wished_on} {building:?}");
    }
    let response = store
        .requester
        .post_form(
            &format!("/items/{item_id}/reserve"),
            &[
                ("quantity", "1"),
                ("would_buy_new", "yes"),
                ("handover", "drone"),
            ],
        )
        .await;
    assert_eq!(response.status(), 422);
    assert_eq!(available(&app, item_id).await, 3);
    let count: i64 = app
        .with_conn(|conn| deliveries::table.count().get_result(conn).expect("count"))
        .await;
    assert_eq!(count, 0);

    // A cancelled reservation cancels its delivery, which can no longer go on a run.
    let response = reserve_delivered(&store.requester, item_id, "1", &day(2), "Skolan").await;
    let reservation = reservation_id(&response);
    let (delivery, _, _) = delivery_of(&app, reservation).await;
    let cancelled = store
        .requester
        .post_form(&format!("/reservations/{reservation}/cancel"), &[])
        .await;
    assert_eq!(cancelled.status(), 303);
    assert_eq!(delivery_of(&app, reservation).await.1, "cancelled");
    let planned = store
        .staff
        .post_form(
            &format!("/stores/{}/runs", store.id),
            &[("run_on", &day(2))],
        )
        .await;
    let run = location(&planned)
        .rsplit("#run-")
        .next()
        .unwrap_or_default()
        .to_string();
    let response = store
        .staff
        .post_form(&format!("/deliveries/{delivery}/plan"), &[("run", &run)])
        .await;
    assert_eq!(response.status(), 409);
    // No CSRF token: refused.
    assert_eq!(
        store
            .staff
            .post_raw(&format!("/runs/{run}/load"), &[])
            .await
            .status(),
        403
    );
    // A day in the past for a run, a negative distance: refused.
    for (run_on, km) in [(day(-1), "5"), (day(1), "-3")] {
        let response = store
            .staff
            .post_form(
                &format!("/stores/{}/runs", store.id),
                &[("run_on", &run_on), ("distance_km", km)],
            )
            .await;
        assert_eq!(response.status(), 422, "{run_on} {km}");
    }
}

on_both_backends!(
    a_delivery_is_planned_loaded_and_confirmed_at_the_door,
    bad_deliveries_change_nothing,
);
