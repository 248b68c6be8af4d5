//! The reuse store over HTTP with real mail: an admin makes a unit a store, a lister hands a
//! listing in, the store's staff accept it and put it on a shelf, and it is reserved and
//! picked up from there; every refusal changes nothing.

use bruka::accounts::Role;
use bruka::db::schema::{audit_log, items, reuse_records, store_handins, units, users};
use diesel::prelude::*;

use crate::helpers::{Backend, Browser, TestApp, spawn_app};
use crate::on_both_backends;
use crate::reservations::{list_chairs, lister_and_requester, reservation_id, reserve};

const STORE_ADDRESS: &str = "Förrådet, Industrigatan 4";

/// Borås with a store unit "Återbruket" staffed by Sara, made a store by Ada the admin.
/// Anna lists (Stadsledningskansliet), Bo reserves; returns Bo, Sara and the store's id.
pub(crate) struct Store {
    pub requester: Browser,
    pub staff: Browser,
    pub admin: Browser,
    pub id: i64,
}

pub(crate) async fn with_a_store(app: &TestApp) -> Store {
    let requester = lister_and_requester(app).await;
    let id: i64 = app
        .with_conn(|conn| {
            let organisation: i64 = units::table
                .filter(units::name.eq("Stadsledningskansliet"))
                .select(units::organisation_id)
                .first(conn)
                .expect("organisation");
            bruka::organisations::add_unit(
                conn,
                bruka::ids::OrganisationId(organisation),
                "Återbruket",
                None,
            )
            .expect("unit")
            .id
            .0
        })
        .await;
    let admin = app
        .signed_in_with_role("ada@boras.se", "Ada Admin", Role::Admin)
        .await;
    let response = admin
        .post_form(
            &format!("/admin/units/{id}/store"),
            &[
                ("is_store", "1"),
                ("store_address", STORE_ADDRESS),
                ("store_instructions", "Öppet tisdagar 8–12."),
            ],
        )
        .await;
    assert_eq!(response.status(), 303, "the admin makes it a store");
    let staff = app.new_browser();
    staff.sign_in("sara@boras.se", "Sara Ström").await;
    // Her unit, as an admin would set it on the admin page.
    app.with_conn(move |conn| {
        diesel::update(users::table.filter(users::email.eq("sara@boras.se")))
            .set(users::unit_id.eq(Some(id)))
            .execute(conn)
            .expect("staff")
    })
    .await;
    Store {
        requester,
        staff,
        admin,
        id,
    }
}

/// Anna's chairs (`quantity`), handed in, accepted and on shelf A1 of the store: a store
/// listing on offer.
pub(crate) async fn chairs_on_a_shelf(app: &TestApp, store: &Store, quantity: u32) -> i64 {
    let item_id = list_chairs(app, quantity).await;
    assert_eq!(
        hand_in(&app.browser, item_id, store.id, "bring")
            .await
            .status(),
        303
    );
    let (handin, _) = open_handin(app, item_id).await;
    let accepted = store
        .staff
        .post_form(&format!("/hand-ins/{handin}/accept"), &[("answer", "")])
        .await;
    assert_eq!(accepted.status(), 303);
    let received = store
        .staff
        .post_form(&format!("/hand-ins/{handin}/receive"), &[("shelf", "A1")])
        .await;
    assert_eq!(received.status(), 303);
    item_id
}

async fn hand_in(browser: &Browser, item_id: i64, store: i64, handover: &str) -> reqwest::Response {
    browser
        .post_form(
            &format!("/items/{item_id}/hand-in"),
            &[
                ("store", &store.to_string()),
                ("handover", handover),
                ("message", "Står i korridoren plan 3."),
            ],
        )
        .await
}

async fn open_handin(app: &TestApp, item_id: i64) -> (i64, String) {
    app.with_conn(move |conn| {
        store_handins::table
            .filter(store_handins::item_id.eq(item_id))
            .order(store_handins::id.desc())
            .select((store_handins::id, store_handins::status))
            .first(conn)
            .expect("hand-in")
    })
    .await
}

type ItemState = (
    String,
    Option<i64>,
    String,
    String,
    Option<chrono::NaiveDate>,
);

async fn item_state(app: &TestApp, item_id: i64) -> ItemState {
    app.with_conn(move |conn| {
        items::table
            .find(item_id)
            .select((
                items::status,
                items::store_unit_id,
                items::shelf,
                items::site,
                items::expires_on,
            ))
            .first(conn)
            .expect("item")
    })
    .await
}

async fn mails_to(app: &TestApp, address: &str) -> usize {
    app.smtp.mailbox.to(address).len()
}

/// The mail `address` received after the `before`th.
async fn next_mail(app: &TestApp, address: &str, before: usize) -> crate::smtp::ReceivedMail {
    let mails = app.smtp.mailbox.wait_for(address, before + 1).await;
    mails.last().cloned().expect("a mail")
}

async fn a_listing_goes_to_the_store_and_is_reserved_from_its_shelf(backend: Backend) {
    let app = spawn_app(backend).await;
    let store = with_a_store(&app).await;
    let item_id = list_chairs(&app, 2).await;

    // Staff find their work list in the menu; the lister is offered the store.
    let menu = store.staff.get_page("/").await;
    let links = menu.select_all(".site-header a[href^='/stores/']");
    assert_eq!(links.len(), 2, "the row and the phone menu");
    let expected = format!("/stores/{}", store.id);
    assert!(
        links
            .iter()
            .all(|a| a.value().attr("href") == Some(expected.as_str()))
    );
    let page = app.browser.get_page(&format!("/items/{item_id}")).await;
    assert!(page.text_of("#handin").contains("Återbruket"));

    let sara_before = mails_to(&app, "sara@boras.se").await;
    let response = hand_in(&app.browser, item_id, store.id, "collect").await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        response.headers()["location"],
        format!("/items/{item_id}?done=handin#handin").as_str()
    );
    let notice = next_mail(&app, "sara@boras.se", sara_before).await;
    assert_eq!(notice.subject(), "Till förrådet: Kontorsstol med armstöd");
    assert!(notice.body("text/plain").contains("Förrådet ombeds hämta."));
    assert!(
        notice
            .body("text/plain")
            .contains("Står i korridoren plan 3.")
    );
    assert!(
        notice
            .link_containing("/stores/")
            .ends_with(&format!("/stores/{}", store.id))
    );
    let page = app.browser.get_page(&format!("/items/{item_id}")).await;
    assert!(
        page.text_of("#handin")
            .contains("väntar på svar från Återbruket")
    );
    let (handin, status) = open_handin(&app, item_id).await;
    assert_eq!(status, "requested");

    // The store accepts with a note: the listing leaves the market and becomes the store's.
    let work = store.staff.get_page(&format!("/stores/{}", store.id)).await;
    assert!(
        work.text_of("#requested")
            .contains("Kontorsstol med armstöd")
    );
    assert!(work.text_of("#requested").contains("Anna Andersson"));
    let anna_before = mails_to(&app, "anna@boras.se").await;
    let response = store
        .staff
        .post_form(
            &format!("/hand-ins/{handin}/accept"),
            &[("answer", "Vi hämtar på torsdag förmiddag.")],
        )
        .await;
    assert_eq!(response.status(), 303);
    let answer = next_mail(&app, "anna@boras.se", anna_before).await;
    assert_eq!(
        answer.subject(),
        "Förrådet tar emot: Kontorsstol med armstöd"
    );
    assert!(
        answer
            .body("text/plain")
            .contains("Vi hämtar på torsdag förmiddag.")
    );
    let (status, store_unit, _, _, _) = item_state(&app, item_id).await;
    assert_eq!((status.as_str(), store_unit), ("draft", Some(store.id)));
    assert_eq!(
        store
            .requester
            .get(&format!("/items/{item_id}"))
            .await
            .status(),
        404,
        "on its way to the store nobody else finds it"
    );
    let my = app.browser.get_page("/my").await;
    assert!(my.text_of("#handins").contains("Återbruket tar emot den."));
    let work = store.staff.get_page(&format!("/stores/{}", store.id)).await;
    assert!(
        work.text_of("#incoming")
            .contains("Kontorsstol med armstöd")
    );

    // Received onto shelf B3: on offer again at the store's address, with no end date.
    let anna_before = mails_to(&app, "anna@boras.se").await;
    let response = store
        .staff
        .post_form(&format!("/hand-ins/{handin}/receive"), &[("shelf", "B3")])
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        response.headers()["location"],
        format!("/items/{item_id}?done=shelved").as_str()
    );
    let (status, _, shelf, site, expires) = item_state(&app, item_id).await;
    assert_eq!(
        (status.as_str(), shelf.as_str(), site.as_str(), expires),
        ("available", "B3", STORE_ADDRESS, None)
    );
    assert_eq!(
        next_mail(&app, "anna@boras.se", anna_before)
            .await
            .subject(),
        "På hyllan: Kontorsstol med armstöd"
    );
    let page = store.requester.get_page(&format!("/items/{item_id}")).await;
    assert!(page.visible_text().contains("Hylla B3"));
    assert!(page.visible_text().contains("Öppet tisdagar 8–12."));
    let found = store.requester.get_page("/items?q=industrigatan").await;
    assert!(
        found.visible_text().contains("Kontorsstol med armstöd"),
        "found by the store's address"
    );
    let work = store.staff.get_page(&format!("/stores/{}", store.id)).await;
    assert!(work.text_of("#shelves").contains("B3"));
    assert!(work.text_of("#shelves").contains("2 / 2"));
    assert!(work.text_of("#stock").contains("Kontorsstol"));

    // Bo reserves one; the store hands it out and confirms the pickup.
    let response = reserve(&store.requester, item_id, "1").await;
    assert_eq!(response.status(), 303);
    let reservation = reservation_id(&response);
    let work = store.staff.get_page(&format!("/stores/{}", store.id)).await;
    assert!(work.text_of("#reserved").contains("Bo Berg"));
    let response = store
        .staff
        .post_form(&format!("/reservations/{reservation}/picked-up"), &[])
        .await;
    assert_eq!(
        response.status(),
        303,
        "the store's staff confirm the pickup"
    );
    let from_unit: String = app
        .with_conn(move |conn| {
            reuse_records::table
                .filter(reuse_records::reservation_id.eq(reservation))
                .select(reuse_records::from_unit_name)
                .first(conn)
                .expect("ledger record")
        })
        .await;
    assert_eq!(from_unit, "Återbruket");

    // The programme's figures: one unit reused inside, the store's stock and throughput.
    let stats = store.admin.get_page("/stats").await;
    let ends = stats.text_of("#ends-table");
    assert!(
        ends.contains("Återbrukade i organisationen 1 100 %"),
        "{ends}"
    );
    assert!(stats.text_of("#days-to-reuse").contains("0 dagar"));
    let stores = stats.text_of("#stores-table");
    assert!(
        stores.contains("Återbruket 1 annonser, 1 st 1 1"),
        "{stores}"
    );

    let actions: Vec<String> = app
        .with_conn(|conn| {
            audit_log::table
                .filter(audit_log::subject.eq("store_handin"))
                .order(audit_log::id)
                .select(audit_log::action)
                .load(conn)
                .expect("audit")
        })
        .await;
    assert_eq!(
        actions,
        ["handin_requested", "handin_accepted", "handin_received"]
    );
    let audit = store.admin.get_page("/admin/audit").await;
    assert!(audit.visible_text().contains("ställd på hyllan"));
}

async fn a_declined_or_withdrawn_hand_in_leaves_the_listing_with_its_lister(backend: Backend) {
    let app = spawn_app(backend).await;
    let store = with_a_store(&app).await;
    let item_id = list_chairs(&app, 1).await;
    assert_eq!(
        hand_in(&app.browser, item_id, store.id, "bring")
            .await
            .status(),
        303
    );
    let (handin, _) = open_handin(&app, item_id).await;

    // A decline needs a reason; without one nothing changes.
    let response = store
        .staff
        .post_form(&format!("/hand-ins/{handin}/decline"), &[("answer", " ")])
        .await;
    assert_eq!(response.status(), 422);
    assert!(
        response
            .text()
            .await
            .expect("page")
            .contains("Skriv varför ni tackar nej.")
    );
    assert_eq!(open_handin(&app, item_id).await.1, "requested");

    let anna_before = mails_to(&app, "anna@boras.se").await;
    let response = store
        .staff
        .post_form(
            &format!("/hand-ins/{handin}/decline"),
            &[("answer", "Vi har fullt med kontorsstolar.")],
        )
        .await;
    assert_eq!(response.status(), 303);
    let notice = next_mail(&app, "anna@boras.se", anna_before).await;
    assert_eq!(
        notice.subject(),
        "Förrådet tackade nej: Kontorsstol med armstöd"
    );
    assert!(
        notice
            .body("text/plain")
            .contains("Vi har fullt med kontorsstolar.")
    );
    let (status, store_unit, ..) = item_state(&app, item_id).await;
    assert_eq!((status.as_str(), store_unit), ("available", None));
    // Answering again is too late.
    let response = store
        .staff
        .post_form(&format!("/hand-ins/{handin}/accept"), &[("answer", "")])
        .await;
    assert_eq!(response.status(), 409);

    // Asked again and taken back: the store can no longer accept it.
    assert_eq!(
        hand_in(&app.browser, item_id, store.id, "collect")
            .await
            .status(),
        303
    );
    let (handin, _) = open_handin(&app, item_id).await;
    let response = app
        .browser
        .post_form(&format!("/hand-ins/{handin}/withdraw"), &[])
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(open_handin(&app, item_id).await.1, "withdrawn");
    let response = store
        .staff
        .post_form(&format!("/hand-ins/{handin}/accept"), &[("answer", "")])
        .await;
    assert_eq!(response.status(), 409);
    let my = app.browser.get_page("/my?done=handin-withdrawn").await;
    assert!(
        my.visible_text()
            .contains("Förfrågan till förrådet är återkallad.")
    );
}

async fn bad_hand_ins_change_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let store = with_a_store(&app).await;
    let item_id = list_chairs(&app, 2).await;
    let path = format!("/items/{item_id}/hand-in");
    let store_id = store.id.to_string();

    let response = app
        .browser
        .post_raw(&path, &[("store", &store_id), ("handover", "collect")])
        .await;
    assert_eq!(response.status(), 403, "no CSRF token");
    let response = app
        .browser
        .post_form(&path, &[("store", &store_id), ("handover", "teleport")])
        .await;
    assert_eq!(response.status(), 422, "an unknown handover");
    let ordinary: i64 = app
        .with_conn(|conn| {
            units::table
                .filter(units::name.eq("Grundskolan"))
                .select(units::id)
                .first(conn)
                .expect("unit")
        })
        .await;
    let response = hand_in(&app.browser, item_id, ordinary, "collect").await;
    assert_eq!(response.status(), 404, "a unit that is no store");
    let response = hand_in(&store.requester, item_id, store.id, "collect").await;
    assert_eq!(response.status(), 403, "only the lister hands a listing in");
    let long = "x".repeat(1001);
    let response = app
        .browser
        .post_form(
            &path,
            &[
                ("store", &store_id),
                ("handover", "collect"),
                ("message", &long),
            ],
        )
        .await;
    assert_eq!(response.status(), 422, "a message too long");

    // Another organisation's admin and staff see neither the store nor the request.
    app.create_organisation("Ulricehamns kommun", "ulricehamn.se", &[])
        .await;
    let stranger = app
        .signed_in_with_role("ulla@ulricehamn.se", "Ulla", Role::Admin)
        .await;
    assert_eq!(
        stranger
            .get(&format!("/stores/{}", store.id))
            .await
            .status(),
        404
    );
    assert_eq!(
        store
            .requester
            .get(&format!("/stores/{}", store.id))
            .await
            .status(),
        403,
        "a colleague outside the store"
    );
    let response = stranger
        .post_form(
            &format!("/admin/units/{}/store", store.id),
            &[("store_address", "")],
        )
        .await;
    assert_eq!(response.status(), 404, "another organisation's unit");
    let response = store
        .admin
        .post_form(
            &format!("/admin/units/{}/store", store.id),
            &[("is_store", "1"), ("store_address", " ")],
        )
        .await;
    assert_eq!(response.status(), 422, "a store needs an address");
    let address: Option<String> = app
        .with_conn(move |conn| {
            units::table
                .find(store.id)
                .select(units::store_address)
                .first(conn)
                .expect("unit")
        })
        .await;
    assert_eq!(address.as_deref(), Some(STORE_ADDRESS), "unchanged");
    assert_eq!(
        app.with_conn(|conn| store_handins::table
            .count()
            .get_result::<i64>(conn)
            .expect("count"))
            .await,
        0,
        "no request was made"
    );

    // One open request per listing; a reservation meanwhile stops the store accepting.
    assert_eq!(
        hand_in(&app.browser, item_id, store.id, "collect")
            .await
            .status(),
        303
    );
    let response = hand_in(&app.browser, item_id, store.id, "collect").await;
    assert_eq!(response.status(), 409, "asked already");
    let (handin, _) = open_handin(&app, item_id).await;
    assert_eq!(
        stranger
            .post_form(&format!("/hand-ins/{handin}/accept"), &[("answer", "")])
            .await
            .status(),
        404
    );
    assert_eq!(
        store
            .requester
            .post_form(&format!("/hand-ins/{handin}/accept"), &[("answer", "")])
            .await
            .status(),
        403,
        "only the store answers"
    );
    assert_eq!(
        store
            .staff
            .post_form(&format!("/hand-ins/{handin}/withdraw"), &[])
            .await
            .status(),
        403,
        "only the lister withdraws"
    );
    assert_eq!(reserve(&store.requester, item_id, "1").await.status(), 303);
    let response = store
        .staff
        .post_form(&format!("/hand-ins/{handin}/accept"), &[("answer", "")])
        .await;
    assert_eq!(response.status(), 409, "part of it is held");
    assert!(
        response
            .text()
            .await
            .expect("page")
            .contains("Vänta tills reservationerna är avslutade.")
    );
    let (status, store_unit, ..) = item_state(&app, item_id).await;
    assert_eq!((status.as_str(), store_unit), ("available", None));
    assert_eq!(open_handin(&app, item_id).await.1, "requested");

    // Accepted once nothing is held; a shelf is needed to receive it, and only once.
    let second = list_chairs(&app, 1).await;
    assert_eq!(
        hand_in(&app.browser, second, store.id, "collect")
            .await
            .status(),
        303
    );
    let (handin, _) = open_handin(&app, second).await;
    let accept = format!("/hand-ins/{handin}/accept");
    assert_eq!(
        store
            .staff
            .post_form(&accept, &[("answer", "")])
            .await
            .status(),
        303
    );
    assert_eq!(
        store
            .staff
            .post_form(&accept, &[("answer", "")])
            .await
            .status(),
        409,
        "accepted already"
    );
    assert_eq!(
        app.browser
            .post_form(&format!("/hand-ins/{handin}/withdraw"), &[])
            .await
            .status(),
        409,
        "too late to withdraw"
    );
    let receive = format!("/hand-ins/{handin}/receive");
    assert_eq!(
        store
            .staff
            .post_form(&receive, &[("shelf", "  ")])
            .await
            .status(),
        422
    );
    assert_eq!(item_state(&app, second).await.0, "draft", "unchanged");
    assert_eq!(
        store
            .staff
            .post_form(&receive, &[("shelf", "A1")])
            .await
            .status(),
        303
    );
    assert_eq!(
        store
            .staff
            .post_form(&receive, &[("shelf", "A2")])
            .await
            .status(),
        409
    );
    assert_eq!(item_state(&app, second).await.2, "A1");
    // A store's listing does not go to a store again.
    assert_eq!(
        hand_in(&store.staff, second, store.id, "collect")
            .await
            .status(),
        409
    );
}

on_both_backends!(
    a_listing_goes_to_the_store_and_is_reserved_from_its_shelf,
    a_declined_or_withdrawn_hand_in_leaves_the_listing_with_its_lister,
    bad_hand_ins_change_nothing,
);
