//! The six-digit code in the sign-in mail: typed on the device that asked, it signs in
//! like the link, once, for 15 minutes, with few tries.

use bruka::db::schema::{login_links, sessions};
use chrono::{Duration, Utc};
use diesel::prelude::*;

use crate::helpers::{Backend, Browser, Page, TestApp, spawn_app, spawn_app_with};
use crate::on_both_backends;
use crate::smtp::ReceivedMail;

/// The code as the mail shows it: the only six-digit word of the plain text.
fn code_in(mail: &ReceivedMail) -> String {
    mail.body("text/plain")
        .split_whitespace()
        .find(|word| word.len() == 6 && word.bytes().all(|b| b.is_ascii_digit()))
        .expect("a six-digit code in the mail")
        .to_string()
}

/// Asks for a link on `phone` and returns the code from the mail (read "on the PC").
async fn code_for(phone: &Browser, email: &str, mails_before: usize) -> String {
    let response = phone.post_form("/login", &[("email", email)]).await;
    assert_eq!(response.status(), 200);
    let mails = phone.mailbox.wait_for(email, mails_before + 1).await;
    code_in(&mails[mails_before])
}

async fn type_code(phone: &Browser, email: &str, code: &str) -> reqwest::Response {
    phone
        .post_form(
            "/login/code",
            &[("email", email), ("code", code), ("next", "/items")],
        )
        .await
}

async fn sessions_of(app: &TestApp) -> i64 {
    app.with_conn(|conn| sessions::table.count().get_result(conn).expect("count"))
        .await
}

async fn a_code_typed_on_the_phone_signs_in_once(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_organisation("Härryda kommun", "harryda.se", &["Skola"])
        .await;
    let phone = &app.browser;
    let response = phone
        .post_form("/login", &[("email", "sara@harryda.se")])
        .await;
    let sent = Page::from_response(response).await;
    assert_eq!(sent.attr("#code", "inputmode"), "numeric");
    assert_eq!(sent.attr("#code", "autocomplete"), "one-time-code");
    assert_eq!(sent.text_of("label[for=code]"), "Kod från mejlet");
    let mail = &phone.mailbox.wait_for("sara@harryda.se", 1).await[0];
    let code = code_in(mail);
    assert!(mail.body("text/html").contains(&code));
    assert!(mail.body("text/plain").contains("annan enhet"));

    // Typed with a space, as it is easy to read.
    let typed = format!("{} {}", &code[..3], &code[3..]);
    let response = type_code(phone, "Sara@Harryda.se", &typed).await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/welcome?next=%2Fitems");
    assert!(phone.cookie("bruka_session").is_some());
    assert_eq!(sessions_of(&app).await, 1);

    // The code is used up, and so is its link: one mail, one sign-in.
    let again = app.new_browser();
    let response = type_code(&again, "sara@harryda.se", &code).await;
    assert_eq!(response.status(), 400);
    let page = Page::from_response(response).await;
    assert!(
        page.text_of(".error-summary")
            .contains("Koden stämmer inte")
    );
    assert_eq!(page.attr("#code", "aria-invalid"), "true");
    let link = mail.link_containing("/login/confirm");
    let response = again.follow_link(&link).await;
    assert_eq!(response.status(), 400);
    assert_eq!(sessions_of(&app).await, 1);
}

async fn a_code_dies_after_five_wrong_tries_and_expires_with_its_link(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.limits.login_per_address = crate::helpers::at_least_one(50)
    })
    .await;
    app.create_organisation("Härryda kommun", "harryda.se", &[])
        .await;
    let phone = &app.browser;
    let code = code_for(phone, "sara@harryda.se", 0).await;
    let wrong = if code == "000000" { "000001" } else { "000000" };
    for _ in 0..5 {
        assert_eq!(
            type_code(phone, "sara@harryda.se", wrong).await.status(),
            400
        );
    }
    // The right code no longer helps once five wrong ones were tried...
    assert_eq!(
        type_code(phone, "sara@harryda.se", &code).await.status(),
        400
    );
    assert_eq!(sessions_of(&app).await, 0);
    // ...but the link in the same mail still works: guessing cannot lock a person out.
    let mail = &phone.mailbox.wait_for("sara@harryda.se", 1).await[0];
    let response = phone
        .follow_link(&mail.link_containing("/login/confirm"))
        .await;
    assert_eq!(response.status(), 303);

    // A new code expires with its link after 15 minutes.
    let code = code_for(&app.new_browser(), "sara@harryda.se", 1).await;
    app.with_conn(|conn| {
        diesel::update(login_links::table.filter(login_links::used_at.is_null()))
            .set(login_links::expires_at.eq((Utc::now() - Duration::seconds(1)).naive_utc()))
            .execute(conn)
            .expect("expire")
    })
    .await;
    let late = app.new_browser();
    assert_eq!(
        type_code(&late, "sara@harryda.se", &code).await.status(),
        400
    );
    assert!(late.cookie("bruka_session").is_none());
}

async fn codes_are_refused_for_other_addresses_bad_input_and_too_many_tries(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.limits.login_per_address = crate::helpers::at_least_one(3)
    })
    .await;
    app.create_organisation("Härryda kommun", "harryda.se", &[])
        .await;
    app.create_organisation("Mölndals stad", "molndal.se", &[])
        .await;
    let phone = &app.browser;
    let code = code_for(phone, "sara@harryda.se", 0).await;
    // Another person's code is no code for this address, nor is an unknown address.
    for email in ["per@molndal.se", "sara@example.com", "not an address"] {
        let response = type_code(phone, email, &code).await;
        assert_eq!(response.status(), 400, "{email}");
    }
    for typed in ["", "12345", "1234567", "abcdef", "12345678901234567890"] {
        assert_eq!(
            type_code(phone, "sara@harryda.se", typed).await.status(),
            400,
            "{typed:?}"
        );
    }
    // Without the form token nothing is tried.
    let response = phone
        .post_raw(
            "/login/code",
            &[("email", "sara@harryda.se"), ("code", code.as_str())],
        )
        .await;
    assert_eq!(response.status(), 403);
    // Three tries an hour per address (set above): after three wrong codes even the right
    // one is refused, before it is compared.
    let wrong = if code == "000000" { "000001" } else { "000000" };
    for _ in 0..3 {
        assert_eq!(
            type_code(phone, "sara@harryda.se", wrong).await.status(),
            400
        );
    }
    let response = type_code(phone, "sara@harryda.se", &code).await;
    assert_eq!(response.status(), 429);
    assert_eq!(sessions_of(&app).await, 0);
    let attempts: Vec<i32> = app
        .with_conn(|conn| {
            login_links::table
                .select(login_links::code_attempts)
                .load(conn)
                .expect("attempts")
        })
        .await;
    assert_eq!(attempts, vec![3], "the wrong codes, not the malformed ones");
    // The link still works.
    let mail = &phone.mailbox.wait_for("sara@harryda.se", 1).await[0];
    let response = phone
        .follow_link(&mail.link_containing("/login/confirm"))
        .await;
    assert_eq!(response.status(), 303);
}

on_both_backends!(
    a_code_typed_on_the_phone_signs_in_once,
    a_code_dies_after_five_wrong_tries_and_expires_with_its_link,
    codes_are_refused_for_other_addresses_bad_input_and_too_many_tries,
);
