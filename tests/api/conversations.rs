//! Asking the lister before reserving: the thread, who sees it, limits and escaping.

use bruka::db::schema::{audit_log, users};
use diesel::prelude::*;

use bruka::accounts::Role;

use crate::helpers::{Backend, Page, spawn_app};
use crate::on_both_backends;
use crate::reservations::{list_chairs, lister_and_requester};

fn thread_id(response: &reqwest::Response) -> i64 {
    response.headers()["location"]
        .to_str()
        .expect("ascii")
        .trim_start_matches("/conversations/")
        .split('#')
        .next()
        .and_then(|id| id.parse().ok())
        .expect("conversation id in location")
}

async fn a_question_is_asked_answered_and_kept_private(backend: Backend) {
    let app = spawn_app(backend).await;
    let requester = lister_and_requester(&app).await;
    let item_id = list_chairs(&app, 2).await;

    let page = requester.get_page(&format!("/items/{item_id}")).await;
    assert_eq!(
        page.select_all(&format!("form[action='/items/{item_id}/ask']"))
            .len(),
        1
    );
    let response = requester
        .post_form(
            &format!("/items/{item_id}/ask"),
            &[(
                "body",
                "Går den genom en vanlig dörr? <script>alert(1)</script> https://evil.example",
            )],
        )
        .await;
    assert_eq!(response.status(), 303);
    let id = thread_id(&response);
    let mail = app.smtp.mailbox.wait_for("anna@boras.se", 2).await;
    let notice = mail.last().expect("notice");
    assert!(
        notice
            .subject()
            .starts_with("Nytt meddelande om Kontorsstol")
    );
    assert!(
        notice
            .link_containing("/conversations/")
            .ends_with(&format!("/conversations/{id}"))
    );
    let unread: i32 = app
        .with_conn(|conn| {
            users::table
                .filter(users::email.eq("anna@boras.se"))
                .select(users::unread_messages)
                .first(conn)
                .expect("user")
        })
        .await;
    assert_eq!(unread, 1);
    let page = app.browser.get_page("/my").await;
    assert!(
        page.visible_text().contains("Olästa meddelanden (1)"),
        "the header counts it"
    );
    assert!(page.text_of("#conversations").contains("Bo Berg"));
    assert!(page.text_of("#conversations").contains("1 olästa"));

    // The lister reads and answers; the text shows as text, links too.
    let response = app.browser.get(&format!("/conversations/{id}")).await;
    let html = response.text().await.expect("html");
    assert!(!html.contains("<script>alert(1)</script>"), "escaped");
    assert!(html.contains("&lt;script&gt;"));
    assert!(
        !html.contains("href=\"https://evil.example"),
        "links are shown as text"
    );
    let response = app
        .browser
        .post_form(
            &format!("/conversations/{id}/messages"),
            &[("body", "Ja, 70 cm bred.")],
        )
        .await;
    assert_eq!(response.status(), 303);
    let page = requester.get_page(&format!("/conversations/{id}")).await;
    assert!(page.visible_text().contains("Ja, 70 cm bred."));
    let unread_after: i32 = app
        .with_conn(|conn| {
            users::table
                .filter(users::email.eq("anna@boras.se"))
                .select(users::unread_messages)
                .first(conn)
                .expect("user")
        })
        .await;
    assert_eq!(unread_after, 0, "read when opened");

    // Bad input keeps what was typed and changes nothing.
    let long = "å".repeat(4001);
    let response = requester
        .post_form(&format!("/conversations/{id}/messages"), &[("body", &long)])
        .await;
    assert_eq!(response.status(), 422);
    let page = Page::from_response(response).await;
    assert_eq!(
        page.text_of("#reply-body").chars().count(),
        4001,
        "the text is kept"
    );
    let empty = requester
        .post_form(&format!("/conversations/{id}/messages"), &[("body", "   ")])
        .await;
    assert_eq!(empty.status(), 422);
    let no_csrf = requester
        .post_raw(&format!("/conversations/{id}/messages"), &[("body", "Hej")])
        .await;
    assert_eq!(no_csrf.status(), 403);

    // Someone else's thread does not exist for them; an admin reads it, and that is logged.
    let outsider = app.new_browser();
    outsider.sign_in("cy@boras.se", "Cy").await;
    assert_eq!(
        outsider.get(&format!("/conversations/{id}")).await.status(),
        404
    );
    let reply = outsider
        .post_form(&format!("/conversations/{id}/messages"), &[("body", "Hej")])
        .await;
    assert_eq!(reply.status(), 404);
    let admin = app
        .signed_in_with_role("dag@boras.se", "Dag", Role::Admin)
        .await;
    let page = admin.get_page(&format!("/conversations/{id}")).await;
    assert!(page.visible_text().contains("Läsningen loggas"));
    assert!(
        page.select_all("#reply-body").is_empty(),
        "admins read, they do not write"
    );
    let logged: Vec<String> = app
        .with_conn(|conn| {
            audit_log::table
                .filter(audit_log::subject.eq("conversation"))
                .select(audit_log::action)
                .load(conn)
                .expect("audit")
        })
        .await;
    assert_eq!(logged, vec!["read_to_moderate".to_string()]);

    // A withdrawn listing takes no more messages.
    let response = app
        .browser
        .post_form(&format!("/items/{item_id}/status"), &[("to", "withdrawn")])
        .await;
    assert_eq!(response.status(), 303);
    let late = requester
        .post_form(
            &format!("/conversations/{id}/messages"),
            &[("body", "Finns den kvar?")],
        )
        .await;
    assert_eq!(late.status(), 409);
    let own = app
        .browser
        .post_form(&format!("/items/{item_id}/ask"), &[("body", "Hej")])
        .await;
    assert_eq!(own.status(), 400, "one's own listing");
}

async fn many_messages_in_a_short_time_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let requester = lister_and_requester(&app).await;
    let item_id = list_chairs(&app, 2).await;
    let response = requester
        .post_form(&format!("/items/{item_id}/ask"), &[("body", "Fråga 1")])
        .await;
    let id = thread_id(&response);
    for n in 2..=10 {
        let response = requester
            .post_form(
                &format!("/conversations/{id}/messages"),
                &[("body", &format!("Fråga {n}"))],
            )
            .await;
        assert_eq!(response.status(), 303, "message {n}");
    }
    let response = requester
        .post_form(
            &format!("/conversations/{id}/messages"),
            &[("body", "Fråga 11")],
        )
        .await;
    assert_eq!(response.status(), 429);
    let page = Page::from_response(response).await;
    assert!(page.visible_text().contains("Vänta 10 minuter"));
    assert_eq!(page.text_of("#reply-body"), "Fråga 11");
}

on_both_backends!(
    a_question_is_asked_answered_and_kept_private,
    many_messages_in_a_short_time_are_refused,
);
