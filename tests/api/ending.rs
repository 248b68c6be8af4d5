//! A listing nobody claims goes through its organisation's end-of-listing steps by itself:
//! the background job (every 100 ms here) reminds its lister, shows it to the network,
//! asks the store and marks it for recycling, each audited and mailed.

use bruka::db::schema::{audit_log, items, networks, organisations, store_handins};
use chrono::{Duration, NaiveDate, Utc};
use diesel::prelude::*;

use crate::expiry::{set_end_date, today};
use crate::helpers::{Backend, TestApp, spawn_app_with};
use crate::on_both_backends;
use crate::reservations::list_chairs;
use crate::stores::with_a_store;

pub(crate) type Ending = (String, String, Option<NaiveDate>, i32, Option<String>);

async fn ending_of(app: &TestApp, item_id: i64) -> Ending {
    app.with_conn(move |conn| {
        items::table
            .find(item_id)
            .select((
                items::status,
                items::visibility,
                items::expires_on,
                items::end_step,
                items::ended_as,
            ))
            .first(conn)
            .expect("item")
    })
    .await
}

/// Waits for the job to take the listing to `step` steps (or a status), as a person would
/// wait for the next round.
pub(crate) async fn wait_until(
    app: &TestApp,
    item_id: i64,
    done: impl Fn(&Ending) -> bool,
) -> Ending {
    for _ in 0..100 {
        let ending = ending_of(app, item_id).await;
        if done(&ending) {
            return ending;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!(
        "the job did not move listing {item_id}: {:?}",
        ending_of(app, item_id).await
    );
}

/// Borås and a partner in one network.
async fn in_a_network(app: &TestApp) {
    app.create_organisation("Ulricehamns kommun", "ulricehamn.se", &[])
        .await;
    app.with_conn(|conn| {
        let network: i64 = diesel::insert_into(networks::table)
            .values((
                networks::name.eq("Sjuhärads återbruk"),
                networks::created_at.eq(Utc::now().naive_utc()),
            ))
            .returning(networks::id)
            .get_result(conn)
            .expect("network");
        diesel::update(organisations::table)
            .set(organisations::network_id.eq(Some(network)))
            .execute(conn)
            .expect("members")
    })
    .await;
}

async fn an_unclaimed_listing_moves_through_the_organisations_steps_by_itself(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.reservations.check_interval_ms = crate::helpers::nonzero(100);
    })
    .await;
    let store = with_a_store(&app).await;
    in_a_network(&app).await;
    let response = store
        .admin
        .post_form(
            "/admin/ending",
            &[
                ("reminder_days", "3"),
                ("step_1", "network"),
                ("step_2", "store"),
                ("step_3", "recycle"),
                ("step_days", "7"),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);
    let admin_page = store.admin.get_page("/admin").await;
    assert_eq!(
        admin_page.attr("#ending-step-2 option[selected]", "value"),
        "store"
    );

    // Two days before its end date, the lister hears what comes next.
    let item_id = list_chairs(&app, 2).await;
    let before = app.smtp.mailbox.to("anna@boras.se").len();
    set_end_date(&app, item_id, today() + Duration::days(2)).await;
    let mail = app.smtp.mailbox.wait_for("anna@boras.se", before + 1).await;
    let reminder = mail.last().expect("reminder");
    assert_eq!(
        reminder.subject(),
        "Annonsen slutar snart: Kontorsstol med armstöd"
    );
    assert!(
        reminder
            .body("text/plain")
            .contains("visas den även för organisationerna i nätverket")
    );

    // Its end date passes: shown to the network for another week.
    let partner = app.new_browser();
    partner.sign_in("ulla@ulricehamn.se", "Ulla").await;
    assert_eq!(
        partner.get(&format!("/items/{item_id}")).await.status(),
        404
    );
    set_end_date(&app, item_id, today() - Duration::days(1)).await;
    let ending = wait_until(&app, item_id, |e| e.3 == 1).await;
    assert_eq!(
        ending,
        (
            "available".into(),
            "network".into(),
            Some(today() + Duration::days(7)),
            1,
            None
        )
    );
    assert_eq!(
        partner.get(&format!("/items/{item_id}")).await.status(),
        200
    );
    let mail = app.smtp.mailbox.wait_for("anna@boras.se", before + 2).await;
    assert_eq!(
        mail.last().expect("network step").subject(),
        "Nu syns den i nätverket: Kontorsstol med armstöd"
    );

    // Again nobody: the store is asked to collect it on the lister's behalf.
    let sara_before = app.smtp.mailbox.to("sara@boras.se").len();
    set_end_date(&app, item_id, today() - Duration::days(1)).await;
    let ending = wait_until(&app, item_id, |e| e.3 == 2).await;
    assert_eq!(ending.0, "available");
    let (status, handover, requested_by): (String, String, i64) = app
        .with_conn(move |conn| {
            store_handins::table
                .filter(store_handins::item_id.eq(item_id))
                .select((
                    store_handins::status,
                    store_handins::handover,
                    store_handins::requested_by,
                ))
                .first(conn)
                .expect("hand-in")
        })
        .await;
    assert_eq!(
        (status.as_str(), handover.as_str()),
        ("requested", "collect")
    );
    let lister: i64 = app
        .with_conn(move |conn| {
            items::table
                .find(item_id)
                .select(items::created_by)
                .first(conn)
                .expect("item")
        })
        .await;
    assert_eq!(requested_by, lister, "asked for the lister");
    let mail = app
        .smtp
        .mailbox
        .wait_for("sara@boras.se", sara_before + 1)
        .await;
    assert_eq!(
        mail.last().expect("store asked").subject(),
        "Till förrådet: Kontorsstol med armstöd"
    );

    // The store does not answer in time: marked for recycling, and it says so.
    set_end_date(&app, item_id, today() - Duration::days(1)).await;
    let ending = wait_until(&app, item_id, |e| e.3 == 3).await;
    assert_eq!(
        (ending.0.as_str(), ending.4.as_deref()),
        ("expired", Some("recycle"))
    );
    let mail = app.smtp.mailbox.wait_for("anna@boras.se", before + 4).await;
    assert!(
        mail.iter()
            .any(|m| m.subject() == "Markerad för återvinning: Kontorsstol med armstöd")
    );
    let page = app.browser.get_page(&format!("/items/{item_id}")).await;
    assert!(
        page.visible_text()
            .contains("Markerad för återvinning: ingen tog den.")
    );
    let actions: Vec<String> = app
        .with_conn(move |conn| {
            audit_log::table
                .filter(audit_log::subject.eq("item"))
                .filter(audit_log::subject_id.eq(item_id))
                .filter(audit_log::action.like("end_%"))
                .order(audit_log::id)
                .select(audit_log::action)
                .load(conn)
                .expect("audit")
        })
        .await;
    assert_eq!(actions, ["end_network", "end_store", "end_recycle"]);
    let stats = store.admin.get_page("/stats").await;
    let ends = stats.text_of("#ends-table");
    assert!(ends.contains("Markerade för återvinning 2 100 %"), "{ends}");

    // The store can still take it in, and listed again it starts from the first step.
    let work = store.staff.get_page(&format!("/stores/{}", store.id)).await;
    assert!(
        work.text_of("#requested")
            .contains("Kontorsstol med armstöd")
    );
    let second = list_chairs(&app, 1).await;
    set_end_date(&app, second, today() - Duration::days(1)).await;
    wait_until(&app, second, |e| e.3 == 1).await;
    let response = app
        .browser
        .post_form(&format!("/items/{second}/status"), &[("to", "withdrawn")])
        .await;
    assert_eq!(response.status(), 303);
    let response = app
        .browser
        .post_form(&format!("/items/{second}/status"), &[("to", "available")])
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        ending_of(&app, second).await.3,
        0,
        "relisted from the first step"
    );
}

async fn bad_end_policies_change_nothing(backend: Backend) {
    let app = spawn_app_with(backend, |_| {}).await;
    let store = with_a_store(&app).await;
    let before = policy(&app).await;
    for (fields, expected) in [
        (
            [("step_1", "store"), ("step_2", "store"), ("step_days", "7")],
            "Samma steg är valt två gånger.",
        ),
        (
            [
                ("step_1", "recycle"),
                ("step_2", "store"),
                ("step_days", "7"),
            ],
            "måste vara sista steget",
        ),
        (
            [("step_1", "teleport"), ("step_2", ""), ("step_days", "7")],
            "Välj ett av stegen i listan.",
        ),
        (
            [("step_1", "store"), ("step_2", ""), ("step_days", "0")],
            "påminnelsen 0–90, stegen 1–90",
        ),
        (
            [("step_1", "store"), ("step_2", ""), ("step_days", "sju")],
            "påminnelsen 0–90, stegen 1–90",
        ),
    ] {
        let mut form = vec![("reminder_days", "3")];
        form.extend(fields);
        let response = store.admin.post_form("/admin/ending", &form).await;
        assert_eq!(response.status(), 422, "{form:?}");
        assert!(
            response.text().await.expect("page").contains(expected),
            "{form:?}"
        );
    }
    let response = store
        .admin
        .post_raw(
            "/admin/ending",
            &[("reminder_days", "3"), ("step_days", "7")],
        )
        .await;
    assert_eq!(response.status(), 403, "no CSRF token");
    let response = store
        .staff
        .post_form(
            "/admin/ending",
            &[
                ("reminder_days", "3"),
                ("step_1", "recycle"),
                ("step_days", "7"),
            ],
        )
        .await;
    assert_eq!(response.status(), 403, "only admins");
    assert_eq!(policy(&app).await, before, "nothing changed");
}

async fn policy(app: &TestApp) -> (i32, String, i32) {
    app.with_conn(|conn| {
        organisations::table
            .filter(organisations::name.eq("Borås stad"))
            .select((
                organisations::end_reminder_days,
                organisations::end_steps,
                organisations::end_step_days,
            ))
            .first(conn)
            .expect("policy")
    })
    .await
}

on_both_backends!(
    an_unclaimed_listing_moves_through_the_organisations_steps_by_itself,
    bad_end_policies_change_nothing,
);
