//! Reservations that bend to real life: a pickup confirmed after the deadline, partial
//! pickups, more time asked for and granted, and the answer to "would you otherwise have
//! bought new?" that nobody can skip.

use bruka::db::schema::{reservations, reuse_records};
use bruka::ids::ItemId;
use bruka::reservations::Accounting;
use chrono::{Duration, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::helpers::{Backend, Page, TestApp, spawn_app, spawn_app_with};
use crate::on_both_backends;
use crate::reservations::{list_chairs, lister_and_requester, reservation_id, reserve};

/// The listing's accounting, asserting held + picked up + available = total.
pub(crate) async fn accounting(app: &TestApp, item_id: i64) -> Accounting {
    let accounting = app
        .with_conn(move |conn| {
            bruka::reservations::accounting(conn, ItemId(item_id)).expect("accounting")
        })
        .await;
    assert_eq!(
        i64::from(accounting.total),
        i64::from(accounting.available) + accounting.held + accounting.picked_up,
        "held + picked up + available = total: {accounting:?}"
    );
    accounting
}

/// Every ledger row's quantity, oldest first.
pub(crate) async fn ledger_quantities(app: &TestApp) -> Vec<i32> {
    app.with_conn(|conn| {
        reuse_records::table
            .order(reuse_records::id)
            .select(reuse_records::quantity)
            .load(conn)
            .expect("ledger")
    })
    .await
}

async fn deadline_of(app: &TestApp, id: i64) -> (NaiveDateTime, Option<NaiveDateTime>) {
    app.with_conn(move |conn| {
        reservations::table
            .find(id)
            .select((reservations::pickup_deadline, reservations::wanted_deadline))
            .first(conn)
            .expect("reservation")
    })
    .await
}

async fn a_pickup_after_the_deadline_counts_while_still_held(backend: Backend) {
    // The job runs rarely here, so the reservation is still held after its deadline.
    let app = spawn_app_with(backend, |settings| {
        settings.reservations.check_interval_ms = crate::helpers::nonzero(3_600_000);
    })
    .await;
    let requester = lister_and_requester(&app).await;
    let item_id = list_chairs(&app, 6).await;
    let id = reservation_id(&reserve(&requester, item_id, "6").await);
    app.with_conn(move |conn| {
        diesel::update(reservations::table.find(id))
            .set(reservations::pickup_deadline.eq(Utc::now().naive_utc() - Duration::minutes(1)))
            .execute(conn)
            .expect("deadline moved")
    })
    .await;
    let response = requester
        .post_form(&format!("/reservations/{id}/picked-up"), &[])
        .await;
    assert_eq!(response.status(), 303, "a minute late is still a handover");
    assert_eq!(ledger_quantities(&app).await, vec![6]);
    let after = accounting(&app, item_id).await;
    assert_eq!((after.available, after.held, after.picked_up), (0, 0, 6));
}

async fn a_partial_pickup_records_what_was_taken_and_the_rest_goes_back_or_stays(backend: Backend) {
    let app = spawn_app(backend).await;
    let requester = lister_and_requester(&app).await;
    let item_id = list_chairs(&app, 6).await;
    let first = reservation_id(&reserve(&requester, item_id, "6").await);
    let path = format!("/reservations/{first}/picked-up");

    // Bad input first: nothing changes.
    for (fields, expected) in [
        (
            vec![("quantity", "7"), ("rest", "back")],
            "Det går inte att hämta fler",
        ),
        (
            vec![("quantity", "0"), ("rest", "back")],
            "Ange hur många som hämtades",
        ),
        (
            vec![("quantity", "fyra"), ("rest", "back")],
            "Ange hur många som hämtades",
        ),
        (vec![("quantity", "4")], "Välj vad som händer med resten"),
        (
            vec![("quantity", "4"), ("rest", "bort")],
            "Välj vad som händer med resten",
        ),
    ] {
        let response = app.browser.post_form(&path, &fields).await;
        assert_eq!(response.status(), 422, "{fields:?}");
        let page = Page::from_response(response).await;
        assert!(page.visible_text().contains(expected), "{fields:?}");
    }
    assert!(ledger_quantities(&app).await.is_empty());
    assert_eq!(accounting(&app, item_id).await.held, 6);

    // The lister: 4 of 6 went, the other 2 go back to the listing.
    let page = app
        .browser
        .get_page(&format!("/reservations/{first}"))
        .await;
    assert_eq!(
        page.select_all("input[name=rest]").len(),
        2,
        "the lister chooses"
    );
    let response = app
        .browser
        .post_form(&path, &[("quantity", "4"), ("rest", "back")])
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(ledger_quantities(&app).await, vec![4]);
    let after = accounting(&app, item_id).await;
    assert_eq!((after.available, after.held, after.picked_up), (2, 0, 4));
    let page = app
        .browser
        .get_page(&format!("/reservations/{first}"))
        .await;
    assert!(
        page.visible_text()
            .contains("2 gick tillbaka till annonsen")
    );
    let again = app.browser.post_form(&path, &[("quantity", "1")]).await;
    assert_eq!(
        again.status(),
        409,
        "a closed reservation is not picked up twice"
    );

    // The requester: 1 of 2 went, the other stays held under a reservation of its own.
    let second = reservation_id(&reserve(&requester, item_id, "2").await);
    let response = requester
        .post_form(
            &format!("/reservations/{second}/picked-up"),
            &[("quantity", "1")],
        )
        .await;
    assert_eq!(response.status(), 303);
    let rest = reservation_id(&response);
    assert_ne!(rest, second, "the rest is shown as its own reservation");
    let page = requester.get_page(&format!("/reservations/{rest}")).await;
    assert!(page.visible_text().contains(&format!("#{second}")));
    assert_eq!(ledger_quantities(&app).await, vec![4, 1]);
    let after = accounting(&app, item_id).await;
    assert_eq!((after.available, after.held, after.picked_up), (0, 1, 5));
    let response = requester
        .post_form(&format!("/reservations/{rest}/picked-up"), &[])
        .await;
    assert_eq!(response.status(), 303);
    let after = accounting(&app, item_id).await;
    assert_eq!((after.available, after.held, after.picked_up), (0, 0, 6));
    assert_eq!(ledger_quantities(&app).await, vec![4, 1, 1]);
}

async fn more_time_is_asked_for_and_granted(backend: Backend) {
    let app = spawn_app(backend).await;
    let requester = lister_and_requester(&app).await;
    let item_id = list_chairs(&app, 2).await;
    let id = reservation_id(&reserve(&requester, item_id, "2").await);
    let (deadline, _) = deadline_of(&app, id).await;
    // The reservation's message opened the thread; both sides see it on the reservation.
    for browser in [&requester, &app.browser] {
        let page = browser.get_page(&format!("/reservations/{id}")).await;
        assert!(page.text_of(".thread").contains("Vi hämtar på torsdag."));
        assert_eq!(page.select_all("#thread-reply").len(), 1);
    }
    let today = bruka::i18n::local_date(Utc::now().naive_utc());
    let wanted = (today + Duration::days(14)).to_string();

    let refused = [
        (
            (today - Duration::days(1)).to_string(),
            "Den dagen har redan passerat",
        ),
        (
            today.to_string(),
            "Välj en dag efter den nuvarande sista dagen",
        ),
        ((today + Duration::days(120)).to_string(), "inom 90 dagar"),
        ("på fredag".to_string(), "Ange ett datum"),
    ];
    for (date, expected) in &refused {
        let response = requester
            .post_form(
                &format!("/reservations/{id}/more-time"),
                &[("deadline", date)],
            )
            .await;
        assert_eq!(response.status(), 422, "{date}");
        let page = Page::from_response(response).await;
        assert!(page.visible_text().contains(expected), "{date}");
    }
    let response = app
        .browser
        .post_form(
            &format!("/reservations/{id}/more-time"),
            &[("deadline", &wanted)],
        )
        .await;
    assert_eq!(response.status(), 403, "only the requester asks for time");
    let response = requester
        .post_form(
            &format!("/reservations/{id}/deadline"),
            &[("deadline", &wanted)],
        )
        .await;
    assert_eq!(response.status(), 403, "only the lister sets the deadline");
    assert_eq!(deadline_of(&app, id).await, (deadline, None));

    let response = requester
        .post_form(
            &format!("/reservations/{id}/more-time"),
            &[("deadline", &wanted)],
        )
        .await;
    assert_eq!(response.status(), 303);
    let asked = app.smtp.mailbox.wait_for("anna@boras.se", 3).await;
    assert!(
        asked
            .iter()
            .any(|mail| mail.subject().starts_with("Mer tid önskas")),
        "the lister hears of it"
    );
    let page = app.browser.get_page(&format!("/reservations/{id}")).await;
    assert!(
        page.visible_text()
            .contains("Mottagaren ber om att få hämta senast")
    );
    assert_eq!(
        page.attr("#deadline-date", "value"),
        wanted,
        "the form suggests it"
    );

    let response = app
        .browser
        .post_form(
            &format!("/reservations/{id}/deadline"),
            &[("deadline", &wanted)],
        )
        .await;
    assert_eq!(response.status(), 303);
    let (moved, wanted_after) = deadline_of(&app, id).await;
    assert_eq!(wanted_after, None);
    assert_eq!(
        bruka::i18n::local_date(moved),
        today + Duration::days(14),
        "the whole chosen day"
    );
    let granted = app.smtp.mailbox.wait_for("bo@boras.se", 2).await;
    assert!(
        granted
            .iter()
            .any(|mail| mail.subject().starts_with("Ny sista dag"))
    );
    let with_footer = granted.last().expect("mail");
    assert!(
        with_footer
            .header("List-Unsubscribe")
            .is_some_and(|value| value.contains("/notifications/stop/")),
        "event mail carries List-Unsubscribe"
    );
    assert_eq!(
        with_footer.header("List-Unsubscribe-Post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
}

async fn the_would_buy_new_answer_must_be_chosen(backend: Backend) {
    let app = spawn_app(backend).await;
    let requester = lister_and_requester(&app).await;
    let item_id = list_chairs(&app, 2).await;
    let page = requester.get_page(&format!("/items/{item_id}")).await;
    assert_eq!(page.select_all("input[name=would_buy_new]").len(), 3);
    assert!(
        page.select_all("input[name=would_buy_new][checked]")
            .is_empty(),
        "no answer is chosen for the requester"
    );
    assert!(
        page.visible_text()
            .contains("Bara det som annars hade köpts nytt")
    );
    let response = requester
        .post_form(&format!("/items/{item_id}/reserve"), &[("quantity", "1")])
        .await;
    assert_eq!(response.status(), 422);
    assert_eq!(accounting(&app, item_id).await.held, 0);
}

async fn a_fully_reserved_listing_offers_released_units_to_the_queue(backend: Backend) {
    let app = spawn_app(backend).await;
    let requester = lister_and_requester(&app).await;
    let item_id = list_chairs(&app, 3).await;
    let held = reservation_id(&reserve(&requester, item_id, "3").await);
    let cy = app.new_browser();
    cy.sign_in("cy@boras.se", "Cy Carlsson").await;
    let di = app.new_browser();
    di.sign_in("di@boras.se", "Di Dahl").await;
    let queue = format!("/items/{item_id}/queue");
    let page = cy.get_page(&format!("/items/{item_id}")).await;
    assert_eq!(page.select_all(&format!("form[action='{queue}']")).len(), 1);

    let response = cy
        .post_form(&queue, &[("quantity", "2"), ("would_buy_new", "yes")])
        .await;
    assert_eq!(response.status(), 303);
    let again = cy
        .post_form(&queue, &[("quantity", "1"), ("would_buy_new", "yes")])
        .await;
    assert_eq!(again.status(), 409, "one place per person");
    let no_answer = di.post_form(&queue, &[("quantity", "1")]).await;
    assert_eq!(
        no_answer.status(),
        422,
        "the answer is required in the queue too"
    );
    let too_many = di
        .post_form(&queue, &[("quantity", "4"), ("would_buy_new", "no")])
        .await;
    assert_eq!(too_many.status(), 422, "more than the listing has");
    let response = di
        .post_form(&queue, &[("quantity", "2"), ("would_buy_new", "no")])
        .await;
    assert_eq!(response.status(), 303);
    let first_in_line = cy.get_page(&format!("/items/{item_id}")).await;
    assert!(first_in_line.visible_text().contains("Du är först i kön."));
    let second_in_line = di.get_page(&format!("/items/{item_id}")).await;
    assert!(second_in_line.visible_text().contains("En står före dig."));
    let lister = app.browser.get_page(&format!("/items/{item_id}")).await;
    assert!(
        lister
            .visible_text()
            .contains("2 kollegor står i kö för annonsen.")
    );
    let own = app
        .browser
        .post_form(&queue, &[("quantity", "1"), ("would_buy_new", "no")])
        .await;
    assert_eq!(own.status(), 422, "not for one's own listing");

    // Bo cancels: Cy is offered 2, Di the last 1, and nothing is left on offer.
    let response = requester
        .post_form(&format!("/reservations/{held}/cancel"), &[])
        .await;
    assert_eq!(response.status(), 303);
    let after = accounting(&app, item_id).await;
    assert_eq!(
        (after.available, after.held),
        (0, 3),
        "offers hold the units"
    );
    let offer = app.smtp.mailbox.wait_for("cy@boras.se", 2).await;
    assert!(
        offer
            .iter()
            .any(|mail| mail.subject().starts_with("Din tur"))
    );
    let page = cy.get_page(&format!("/items/{item_id}")).await;
    assert!(page.visible_text().contains("2 st hålls för dig till"));
    let accept = page.attr("form[action$='/accept']", "action");
    let response = cy.post_form(&accept, &[]).await;
    assert_eq!(response.status(), 303);
    let taken = reservation_id(&response);
    let twice = cy.post_form(&accept, &[]).await;
    assert_eq!(twice.status(), 409, "an offer is taken once");
    assert_eq!(accounting(&app, item_id).await.held, 3);

    // Di turns the offer down from Min sida; with nobody else in line, it is on offer again.
    let page = di.get_page(&format!("/items/{item_id}")).await;
    assert!(page.visible_text().contains("1 st hålls för dig till"));
    let mine = di.get_page("/my").await;
    assert!(mine.visible_text().contains("1 st hålls för dig till"));
    assert_eq!(mine.select_all("#queue form[action$='/accept']").len(), 1);
    let leave = mine.attr("#queue form[action$='/leave']", "action");
    let response = di.post_form(&leave, &[]).await;
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().expect("ascii");
    let mine = di.get_page(location).await;
    assert!(mine.visible_text().contains("Du har lämnat kön"));
    assert!(mine.select_all("#queue").is_empty(), "no place left");
    let after = accounting(&app, item_id).await;
    assert_eq!((after.available, after.held), (1, 2));
    let stranger = requester.post_form(&accept, &[]).await;
    assert_eq!(stranger.status(), 404, "someone else's place in line");

    let response = cy
        .post_form(&format!("/reservations/{taken}/picked-up"), &[])
        .await;
    assert_eq!(response.status(), 303);
    let after = accounting(&app, item_id).await;
    assert_eq!((after.available, after.held, after.picked_up), (1, 0, 2));
}

async fn the_notification_setting_decides_how_event_mail_goes(backend: Backend) {
    use bruka::db::schema::{digest_entries, users};
    let app = spawn_app_with(backend, |settings| {
        settings.reservations.check_interval_ms = crate::helpers::nonzero(200);
    })
    .await;
    let requester = lister_and_requester(&app).await;
    let item_id = list_chairs(&app, 3).await;
    let signed_in_mail = app.smtp.mailbox.to("anna@boras.se").len();

    // Daily: the reservation waits for tomorrow's digest instead of a mail now.
    let response = app
        .browser
        .post_form("/profile/notify", &[("notify", "daily")])
        .await;
    assert_eq!(response.status(), 303);
    let bad = app
        .browser
        .post_form("/profile/notify", &[("notify", "hourly")])
        .await;
    assert_eq!(bad.status(), 400);
    let page = app.browser.get_page("/profile").await;
    assert_eq!(page.attr("input[name=notify][checked]", "value"), "daily");
    let first = reservation_id(&reserve(&requester, item_id, "1").await);
    let held: i64 = app
        .with_conn(|conn| {
            digest_entries::table
                .count()
                .get_result(conn)
                .expect("count")
        })
        .await;
    assert_eq!(held, 1, "held for the digest");
    // The digest goes out once its morning has come: make the entry yesterday's.
    app.with_conn(|conn| {
        diesel::update(digest_entries::table)
            .set(digest_entries::created_at.eq(Utc::now().naive_utc() - Duration::days(2)))
            .execute(conn)
            .expect("aged")
    })
    .await;
    let mails = app
        .smtp
        .mailbox
        .wait_for("anna@boras.se", signed_in_mail + 1)
        .await;
    let digest = mails.last().expect("digest");
    assert!(
        digest.subject().contains("1 händelser"),
        "{}",
        digest.subject()
    );
    assert!(
        digest
            .body("text/plain")
            .contains(&format!("/reservations/{first}"))
    );

    // The one-click stop, as a mail program sends it: no session, no CSRF token.
    let token: String = app
        .with_conn(|conn| {
            users::table
                .filter(users::email.eq("anna@boras.se"))
                .select(users::notify_token)
                .first::<Option<String>>(conn)
                .expect("user")
                .expect("token")
        })
        .await;
    let page = app
        .new_browser()
        .get_page(&format!("/notifications/stop/{token}"))
        .await;
    assert!(page.visible_text().contains("Vill du sluta få e-post"));
    let client = reqwest::Client::new();
    let response = client
        .post(app.url(&format!("/notifications/stop/{token}")))
        .form(&[("List-Unsubscribe", "One-Click")])
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), 200);
    let forged = client
        .post(app.url("/notifications/stop/not-a-token"))
        .send()
        .await
        .expect("post");
    assert_eq!(forged.status(), 404);
    let before = app.smtp.mailbox.to("anna@boras.se").len();
    reserve(&requester, item_id, "1").await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(
        app.smtp.mailbox.to("anna@boras.se").len(),
        before,
        "no mail any more"
    );
    let digests: i64 = app
        .with_conn(|conn| {
            digest_entries::table
                .count()
                .get_result(conn)
                .expect("count")
        })
        .await;
    assert_eq!(digests, 0);
}

async fn listing_status(app: &TestApp, item_id: i64) -> String {
    use bruka::db::schema::items;
    app.with_conn(move |conn| {
        items::table
            .find(item_id)
            .select(items::status)
            .first(conn)
            .expect("item")
    })
    .await
}

async fn a_new_total_serves_the_queue_and_moves_the_listing(backend: Backend) {
    let app = spawn_app(backend).await;
    let requester = lister_and_requester(&app).await;
    let item_id = list_chairs(&app, 2).await;
    let _held = reservation_id(&reserve(&requester, item_id, "2").await);
    let cy = app.new_browser();
    cy.sign_in("cy@boras.se", "Cy Carlsson").await;
    let response = cy
        .post_form(
            &format!("/items/{item_id}/queue"),
            &[("quantity", "2"), ("would_buy_new", "yes")],
        )
        .await;
    assert_eq!(response.status(), 303);
    let edit = |quantity: u32| {
        let app = &app;
        async move {
            let form = crate::reservations::chair_form(app, quantity).await;
            let fields: Vec<(&str, &str)> = form.iter().map(|(n, v)| (*n, v.as_str())).collect();
            app.browser
                .post_multipart(&format!("/items/{item_id}"), &fields, vec![])
                .await
                .status()
        }
    };

    // One more chair found in the storeroom: it goes to Cy, first in line.
    assert_eq!(edit(3).await, 303);
    let after = accounting(&app, item_id).await;
    assert_eq!((after.total, after.available, after.held), (3, 0, 3));
    assert_eq!(listing_status(&app, item_id).await, "reserved");
    let page = cy.get_page(&format!("/items/{item_id}")).await;
    assert!(page.visible_text().contains("1 st hålls för dig till"));

    // Two more: one is on offer to colleagues, the listing is available again.
    assert_eq!(edit(4).await, 303);
    let after = accounting(&app, item_id).await;
    assert_eq!((after.available, after.held), (1, 3));
    assert_eq!(listing_status(&app, item_id).await, "available");

    // And back to what is held: nothing to reserve, so the listing shows as reserved.
    assert_eq!(edit(3).await, 303);
    let after = accounting(&app, item_id).await;
    assert_eq!((after.available, after.held), (0, 3));
    assert_eq!(listing_status(&app, item_id).await, "reserved");
}

async fn an_offer_nobody_takes_passes_on_and_a_line_ends_with_the_listing(backend: Backend) {
    use bruka::db::schema::queue_entries;
    let app = spawn_app_with(backend, |settings| {
        settings.reservations.check_interval_ms = crate::helpers::nonzero(200);
    })
    .await;
    let requester = lister_and_requester(&app).await;
    let item_id = list_chairs(&app, 2).await;
    let held = reservation_id(&reserve(&requester, item_id, "2").await);
    let mut people = Vec::new();
    for (email, name, quantity) in [
        ("cy@boras.se", "Cy Carlsson", "2"),
        ("di@boras.se", "Di Dahl", "1"),
    ] {
        let browser = app.new_browser();
        browser.sign_in(email, name).await;
        let response = browser
            .post_form(
                &format!("/items/{item_id}/queue"),
                &[("quantity", quantity), ("would_buy_new", "yes")],
            )
            .await;
        assert_eq!(response.status(), 303);
        people.push(browser);
    }
    let (cy, di) = (&people[0], &people[1]);
    let entry_of = |email: &'static str| {
        app.with_conn(move |conn| {
            use bruka::db::schema::users;
            queue_entries::table
                .inner_join(users::table.on(users::id.eq(queue_entries::requester_id)))
                .filter(users::email.eq(email))
                .select((queue_entries::id, queue_entries::status))
                .first::<(i64, String)>(conn)
                .expect("entry")
        })
    };
    let response = requester
        .post_form(&format!("/reservations/{held}/cancel"), &[])
        .await;
    assert_eq!(response.status(), 303);
    let (cy_entry, status) = entry_of("cy@boras.se").await;
    assert_eq!(status, "offered");

    // Cy lets the time run out: the job passes one chair to Di, the other is on offer.
    app.with_conn(move |conn| {
        diesel::update(queue_entries::table.find(cy_entry))
            .set(
                queue_entries::offer_expires_at
                    .eq(Some(Utc::now().naive_utc() - Duration::minutes(1))),
            )
            .execute(conn)
            .expect("offer aged")
    })
    .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while entry_of("di@boras.se").await.1 != "offered" {
        assert!(
            std::time::Instant::now() < deadline,
            "the offer did not lapse"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(entry_of("cy@boras.se").await.1, "lapsed");
    let late = cy
        .post_form(&format!("/queue/{cy_entry}/accept"), &[])
        .await;
    assert_eq!(late.status(), 409, "a lapsed offer cannot be taken");
    assert!(
        Page::from_response(late)
            .await
            .visible_text()
            .contains("Erbjudandet gäller inte längre")
    );
    let after = accounting(&app, item_id).await;
    assert_eq!((after.available, after.held), (1, 1));
    let offer = app.smtp.mailbox.wait_for("di@boras.se", 2).await;
    assert!(
        offer
            .iter()
            .any(|mail| mail.subject().starts_with("Din tur"))
    );

    // Di takes it, Bo reserves the last one, Cy gets in line again; when both are picked
    // up nothing is left, and Cy is told the line has ended.
    let (di_entry, _) = entry_of("di@boras.se").await;
    let taken = di
        .post_form(&format!("/queue/{di_entry}/accept"), &[])
        .await;
    assert_eq!(taken.status(), 303);
    let di_reservation = reservation_id(&taken);
    let last = reservation_id(&reserve(&requester, item_id, "1").await);
    let again = cy
        .post_form(
            &format!("/items/{item_id}/queue"),
            &[("quantity", "1"), ("would_buy_new", "yes")],
        )
        .await;
    assert_eq!(
        again.status(),
        303,
        "a lapsed place does not block a new one"
    );
    for id in [di_reservation, last] {
        let response = app
            .browser
            .post_form(&format!("/reservations/{id}/picked-up"), &[])
            .await;
        assert_eq!(response.status(), 303);
    }
    let ended = app.smtp.mailbox.wait_for("cy@boras.se", 3).await;
    assert!(
        ended
            .iter()
            .any(|mail| mail.subject().starts_with("Kön är slut")),
        "{:?}",
        ended.iter().map(|m| m.subject()).collect::<Vec<_>>()
    );
    let statuses: Vec<String> = app
        .with_conn(move |conn| {
            queue_entries::table
                .order(queue_entries::id)
                .select(queue_entries::status)
                .load(conn)
                .expect("entries")
        })
        .await;
    assert_eq!(statuses, ["lapsed", "accepted", "ended"]);
    let after = accounting(&app, item_id).await;
    assert_eq!((after.available, after.held, after.picked_up), (0, 0, 2));
}

on_both_backends!(
    an_offer_nobody_takes_passes_on_and_a_line_ends_with_the_listing,
    a_new_total_serves_the_queue_and_moves_the_listing,
    the_notification_setting_decides_how_event_mail_goes,
    a_fully_reserved_listing_offers_released_units_to_the_queue,
    a_pickup_after_the_deadline_counts_while_still_held,
    a_partial_pickup_records_what_was_taken_and_the_rest_goes_back_or_stays,
    more_time_is_asked_for_and_granted,
    the_would_buy_new_answer_must_be_chosen,
);
