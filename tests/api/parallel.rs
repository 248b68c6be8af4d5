//! Queue offers, partial pickups and first questions under parallel requests through two
//! instances of the server on one database: the quantities add up at every step, an offer
//! goes to one person once, and a press that arrives twice is done once.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bruka::db::schema::{audit_log, conversations, mail_outbox, queue_entries, users};
use diesel::prelude::*;

use crate::flexible::{accounting, ledger_quantities};
use crate::helpers::{Backend, Browser, TestApp, spawn_app};
use crate::on_both_backends;
use crate::reservations::{list_chairs, lister_and_requester, reservation_id};

async fn signed_in(app: &TestApp, prefix: &str, count: usize) -> Vec<Arc<Browser>> {
    let mut browsers = Vec::new();
    for n in 0..count {
        let browser = app.new_browser();
        browser
            .sign_in(&format!("{prefix}{n}@boras.se"), &format!("{prefix} {n}"))
            .await;
        browsers.push(Arc::new(browser));
    }
    browsers
}

fn statuses<const N: usize>(responses: [reqwest::Response; N]) -> Vec<u16> {
    let mut statuses: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
    statuses.sort_unstable();
    statuses
}

/// The same press arriving at both instances at once; the answers' statuses, sorted.
async fn at_both(
    browser: &Browser,
    instances: &[String; 2],
    path: &str,
    fields: &[(&str, &str)],
) -> Vec<u16> {
    let (a, b) = (
        format!("{}{path}", instances[0]),
        format!("{}{path}", instances[1]),
    );
    let (a, b) = tokio::join!(browser.post_form(&a, fields), browser.post_form(&b, fields));
    statuses([a, b])
}

/// Queue entries by the requester's address: (entry id, status, offered quantity).
async fn entries(app: &TestApp) -> HashMap<String, (i64, String, i32)> {
    app.with_conn(|conn| {
        queue_entries::table
            .inner_join(users::table.on(users::id.eq(queue_entries::requester_id)))
            .select((
                users::email,
                queue_entries::id,
                queue_entries::status,
                queue_entries::offered_quantity,
            ))
            .load::<(String, i64, String, i32)>(conn)
            .expect("queue entries")
            .into_iter()
            .map(|(email, id, status, offered)| (email, (id, status, offered)))
            .collect()
    })
    .await
}

async fn queue_offers_and_partial_pickups_keep_the_count_under_parallel_requests(backend: Backend) {
    let app = spawn_app(backend).await;
    let _ = lister_and_requester(&app).await;
    let item_id = list_chairs(&app, 12).await;
    let instances = [app.address.clone(), app.start_another_instance().await];
    let holders = signed_in(&app, "hallare", 6).await;
    let queuers = signed_in(&app, "ko", 8).await;

    let mut held = Vec::new();
    for holder in &holders {
        let response = holder
            .post_form(
                &format!("/items/{item_id}/reserve"),
                &[("quantity", "2"), ("would_buy_new", "yes")],
            )
            .await;
        assert_eq!(response.status(), 303);
        held.push(reservation_id(&response));
    }
    assert_eq!(accounting(&app, item_id).await.available, 0);

    // Every press twice, at both instances at once: one place in line each, one thread each.
    let queue = format!("/items/{item_id}/queue");
    let ask = format!("/items/{item_id}/ask");
    for queuer in &queuers {
        let join = [("quantity", "1"), ("would_buy_new", "no")];
        let answers = at_both(queuer, &instances, &queue, &join).await;
        assert_eq!(answers, vec![303, 409], "one place in line");
        let question = [("body", "Går de att stapla?")];
        let answers = at_both(queuer, &instances, &ask, &question).await;
        assert_eq!(answers, vec![303, 303], "both questions arrive");
    }
    let (threads, entries_before) = app
        .with_conn(|conn| {
            let threads: i64 = conversations::table
                .count()
                .get_result(conn)
                .expect("count");
            let entries: i64 = queue_entries::table
                .count()
                .get_result(conn)
                .expect("count");
            (threads, entries)
        })
        .await;
    assert_eq!(
        (threads, entries_before),
        (8, 8),
        "one thread and one place per person"
    );
    let places = entries(&app).await;

    // The storm: the lister confirms partial pickups (rest back) twice at once on four
    // reservations, and races two holders' cancellations on the other two, while everyone
    // in line keeps pressing "accept" at both instances.
    let storm_over = Arc::new(AtomicBool::new(false));
    let mut accepters = Vec::new();
    for (n, queuer) in queuers.iter().enumerate() {
        let (entry_id, _, _) = places[&format!("ko{n}@boras.se")].clone();
        let (queuer, storm_over) = (queuer.clone(), storm_over.clone());
        let accept = format!("/queue/{entry_id}/accept");
        let instances = instances.clone();
        accepters.push(tokio::spawn(async move {
            let mut taken = 0;
            loop {
                let last_round = storm_over.load(Ordering::SeqCst);
                for status in at_both(&queuer, &instances, &accept, &[]).await {
                    match status {
                        303 => taken += 1,
                        409 => {}
                        other => panic!("accept answered {other}"),
                    }
                }
                if taken > 0 || last_round {
                    return taken;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }));
    }
    let mut pickups = Vec::new();
    for (n, id) in held.iter().copied().enumerate() {
        let lister = format!("/reservations/{id}/picked-up");
        let part = [("quantity", "1"), ("rest", "back")];
        let browser = &app.browser;
        let outcome = if n < 4 {
            (at_both(browser, &instances, &lister, &part).await, true)
        } else {
            let picked = format!("{}{lister}", instances[0]);
            let cancel = format!("{}/reservations/{id}/cancel", instances[1]);
            let (picked, cancelled) = tokio::join!(
                browser.post_form(&picked, &part),
                holders[n].post_form(&cancel, &[]),
            );
            let picked_won = picked.status() == 303;
            (statuses([picked, cancelled]), picked_won)
        };
        assert_eq!(outcome.0, vec![303, 409], "reservation {n}: done once");
        pickups.push(outcome.1);
    }
    storm_over.store(true, Ordering::SeqCst);
    let mut accepted = 0;
    for accepter in accepters {
        let taken = accepter.await.expect("accept task");
        assert!(taken <= 1, "an offer is taken once");
        accepted += taken;
    }

    // What came back went to the line, one unit per person, each offered once.
    let picked_up = pickups.iter().filter(|picked| **picked).count() as i64;
    let released = 12 - picked_up;
    let after = accounting(&app, item_id).await;
    assert_eq!(
        (after.available, after.held, after.picked_up),
        (0, accepted, picked_up),
        "{after:?}"
    );
    assert_eq!(accepted, released.min(8));
    let places = entries(&app).await;
    let offered: Vec<_> = places
        .values()
        .filter(|(_, status, _)| status != "waiting")
        .collect();
    assert_eq!(offered.len() as i64, accepted);
    assert!(
        offered
            .iter()
            .all(|(_, status, quantity)| status == "accepted" && *quantity == 1),
        "{places:?}"
    );
    let (offers_audited, offer_mail) = app
        .with_conn(|conn| {
            let audited: Vec<i64> = audit_log::table
                .filter(audit_log::subject.eq("queue_entry"))
                .filter(audit_log::action.eq("offered"))
                .select(audit_log::subject_id)
                .load(conn)
                .expect("audit");
            let mail: Vec<String> = mail_outbox::table
                .filter(mail_outbox::notice.like("%\"kind\":\"queue_offer\"%"))
                .select(mail_outbox::recipient)
                .load(conn)
                .expect("outbox");
            (audited, mail)
        })
        .await;
    let mut distinct = offers_audited.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(
        distinct.len(),
        offers_audited.len(),
        "each entry offered once"
    );
    assert_eq!(offers_audited.len() as i64, accepted);
    let mut mailed = offer_mail.clone();
    mailed.sort_unstable();
    mailed.dedup();
    assert_eq!(mailed.len(), offer_mail.len(), "one offer mail per person");
    assert_eq!(offer_mail.len() as i64, accepted);
    let ledger = ledger_quantities(&app).await;
    assert_eq!(ledger.len() as i64, picked_up, "one ledger row per pickup");
    assert_eq!(ledger.iter().map(|q| i64::from(*q)).sum::<i64>(), picked_up);
}

/// The listing's status straight from the database.
async fn listing_status(app: &TestApp, item_id: i64) -> String {
    app.with_conn(move |conn| {
        bruka::db::schema::items::table
            .find(item_id)
            .select(bruka::db::schema::items::status)
            .first(conn)
            .expect("status")
    })
    .await
}

/// The last two open reservations picked up at the same instant through two instances: the
/// listing is gone, not left "reserved" with nothing held (each pickup once counted the
/// other's reservation as open because neither waited for the listing row).
async fn the_last_two_pickups_at_once_end_the_listing(backend: Backend) {
    let app = spawn_app(backend).await;
    let _ = lister_and_requester(&app).await;
    let instances = [app.address.clone(), app.start_another_instance().await];
    let takers = signed_in(&app, "hamtare", 2).await;
    for round in 0..15 {
        let item_id = list_chairs(&app, 2).await;
        let mut held = Vec::new();
        for taker in &takers {
            let response = taker
                .post_form(
                    &format!("/items/{item_id}/reserve"),
                    &[("quantity", "1"), ("would_buy_new", "yes")],
                )
                .await;
            assert_eq!(response.status(), 303);
            held.push(reservation_id(&response));
        }
        let (first, second) = (
            format!("{}/reservations/{}/picked-up", instances[0], held[0]),
            format!("{}/reservations/{}/picked-up", instances[1], held[1]),
        );
        let (first, second) = tokio::join!(
            app.browser.post_form(&first, &[]),
            app.browser.post_form(&second, &[]),
        );
        assert_eq!(statuses([first, second]), vec![303, 303], "round {round}");
        assert_eq!(
            listing_status(&app, item_id).await,
            "gone",
            "round {round}: everything handed over"
        );
    }
}

on_both_backends!(
    queue_offers_and_partial_pickups_keep_the_count_under_parallel_requests,
    the_last_two_pickups_at_once_end_the_listing,
);
