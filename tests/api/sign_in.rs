use bruka::accounts::Role;
use bruka::accounts::tokens::{Purpose, TokenKeys};
use bruka::db::schema::{login_links, mail_outbox, sessions, users};
use chrono::{Duration, Utc};
use diesel::prelude::*;

use crate::helpers::{Backend, Page, spawn_app, spawn_app_with};
use crate::on_both_backends;
use crate::reservations::{list_chairs, lister_and_requester};

async fn new_user_signs_in_by_mailed_link_and_completes_profile(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_organisation(
        "Trollhättans stad",
        "trollhattan.se",
        &["Kultur och fritid"],
    )
    .await;
    let anna = &app.browser;

    let login = anna.get_page("/login").await;
    assert_eq!(login.attr("input[name=email]", "type"), "email");
    assert_eq!(login.attr("input[name=email]", "autocomplete"), "email");
    assert_eq!(login.text_of("label[for=email]"), "E-postadress i jobbet");

    let response = anna
        .post_form("/login", &[("email", " Anna.Berg@Trollhattan.SE ")])
        .await;
    assert_eq!(response.status(), 200);
    let sent = Page::from_response(response).await;
    assert_eq!(sent.text_of("h1"), "Kolla din e-post");
    assert!(sent.visible_text().contains("15 minuter"));

    let mails = anna.mailbox.wait_for("anna.berg@trollhattan.se", 1).await;
    let mail = &mails[0];
    assert_eq!(mail.subject(), "Din inloggningslänk till Bruka");
    assert!(
        mail.header("Message-ID")
            .is_some_and(|id| id.contains("outbox-"))
    );
    assert!(mail.body("text/html").contains("Logga in i Bruka"));
    let link = mail.link_containing("/login/confirm");
    assert!(link.starts_with(&app.address), "{link}");

    // Opening the link signs nobody in by itself (mail scanners open links too).
    let confirm = anna.get_page(&link).await;
    assert!(confirm.visible_text().contains("anna.berg@trollhattan.se"));
    assert!(anna.cookie("bruka_session").is_none());

    let response = anna.follow_link(&link).await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/welcome?next=%2F");
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("bruka_session="))
        .expect("session cookie")
        .to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );

    // Until the profile is filled in, pages send the person to the welcome form.
    let response = anna.get("/admin").await;
    assert_eq!(response.status(), 303);
    assert!(
        response.headers()["location"]
            .to_str()
            .expect("ascii")
            .starts_with("/welcome")
    );

    let welcome = anna.get_page("/welcome?next=%2F").await;
    let options: Vec<String> = welcome
        .select_all("select[name=unit_id] option")
        .iter()
        .map(|o| o.text().collect())
        .collect();
    assert_eq!(options[1], "Kultur och fritid");
    let unit_id = welcome.select_all("select[name=unit_id] option")[1]
        .value()
        .attr("value")
        .expect("value")
        .to_string();

    let response = anna
        .post_form("/welcome", &[("name", "  "), ("unit_id", &unit_id)])
        .await;
    assert_eq!(response.status(), 400, "a name is required");
    let page = Page::from_response(response).await;
    assert_eq!(page.attr("#name", "aria-invalid"), "true");

    let response = anna
        .post_form(
            "/welcome",
            &[("name", "Anna Berg"), ("unit_id", &unit_id), ("next", "/")],
        )
        .await;
    assert_eq!(response.status(), 303);
    let home = anna.get_page("/").await;
    assert_eq!(
        home.text_of("nav.main-nav .signed-in-as"),
        "Inloggad som Anna Berg"
    );

    let (name, role, last_login) = app
        .with_conn(|conn| {
            users::table
                .filter(users::email.eq("anna.berg@trollhattan.se"))
                .select((users::name, users::role, users::last_login_at))
                .first::<(Option<String>, String, Option<chrono::NaiveDateTime>)>(conn)
                .expect("user stored")
        })
        .await;
    assert_eq!(name.as_deref(), Some("Anna Berg"));
    assert_eq!(role, "member");
    assert!(last_login.is_some());
}

async fn unknown_domain_gets_the_same_answer_and_no_mail(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_organisation("Borås stad", "boras.se", &[]).await;
    let known = app
        .browser
        .post_form("/login", &[("email", "eva@boras.se")])
        .await;
    let unknown = app
        .browser
        .post_form("/login", &[("email", "eva@example.com")])
        .await;
    assert_eq!(known.status(), unknown.status());
    let known = Page::from_response(known).await.visible_text();
    let unknown = Page::from_response(unknown).await.visible_text();
    assert_eq!(
        known.replace("eva@boras.se", "X"),
        unknown.replace("eva@example.com", "X")
    );

    app.browser.mailbox.wait_for("eva@boras.se", 1).await;
    let queued: Vec<String> = app
        .with_conn(|conn| {
            mail_outbox::table
                .select(mail_outbox::recipient)
                .load(conn)
                .expect("rows")
        })
        .await;
    assert_eq!(queued, ["eva@boras.se"]);
}

/// The answer for a known domain does not wait for its link to be stored and mailed, the
/// work an unknown domain does not have (that difference was measurable). On PostgreSQL
/// the sign-in links table is locked meanwhile: the answer comes while it still is, and the
/// mail once it is free.
async fn a_known_domain_is_answered_without_waiting_for_its_mail(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_organisation("Borås stad", "boras.se", &[]).await;
    app.browser.csrf_token().await;
    let (locked_tx, locked) = std::sync::mpsc::channel();
    let (release, released) = std::sync::mpsc::channel::<()>();
    let holder = (backend == Backend::Postgres).then(|| {
        let pool = app.pool();
        std::thread::spawn(move || {
            let mut conn = pool.get().expect("connection");
            conn.transaction(|conn| {
                diesel::sql_query("LOCK TABLE login_links IN ACCESS EXCLUSIVE MODE")
                    .execute(conn)?;
                locked_tx.send(()).expect("signal");
                let _ = released.recv_timeout(std::time::Duration::from_secs(20));
                diesel::QueryResult::Ok(())
            })
            .expect("lock held and released");
        })
    });
    if holder.is_some() {
        locked.recv().expect("table locked");
    }
    let answer = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        app.browser
            .post_form("/login", &[("email", "eva@boras.se")]),
    )
    .await
    .expect("answered while the links table is still locked");
    assert_eq!(answer.status(), 200);
    let _ = release.send(());
    if let Some(holder) = holder {
        holder.join().expect("lock holder");
    }
    app.browser.mailbox.wait_for("eva@boras.se", 1).await;
}

async fn malformed_address_is_explained_in_place(backend: Backend) {
    let app = spawn_app(backend).await;
    let response = app
        .browser
        .post_form("/login", &[("email", "anna.kommun.se")])
        .await;
    assert_eq!(response.status(), 400);
    let page = Page::from_response(response).await;
    assert_eq!(page.attr("#email", "aria-invalid"), "true");
    assert_eq!(page.attr("#email", "value"), "anna.kommun.se");
    assert!(page.text_of(".error-summary").contains("namn@kommun.se"));
}

async fn a_used_link_is_refused_the_second_time(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_organisation("Lerums kommun", "lerum.se", &[])
        .await;
    let link = app.browser.request_link("per@lerum.se").await;
    assert_eq!(app.browser.follow_link(&link).await.status(), 303);

    let other = app.new_browser();
    let page = other.get_page(&link).await;
    let token = page.attr("input[name=token]", "value");
    let response = other
        .post_form("/login/confirm", &[("token", &token)])
        .await;
    assert_eq!(response.status(), 400);
    assert!(other.cookie("bruka_session").is_none());
    let page = Page::from_response(response).await;
    assert!(
        page.visible_text().contains("redan använts"),
        "{}",
        page.visible_text()
    );

    let session_count: i64 = app
        .with_conn(|conn| sessions::table.count().get_result(conn).expect("count"))
        .await;
    assert_eq!(session_count, 1, "the second click made no session");
}

async fn expired_forged_and_unsigned_links_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_organisation("Alingsås kommun", "alingsas.se", &[])
        .await;
    let link = app.browser.request_link("lisa@alingsas.se").await;
    let jti: String = app
        .with_conn(|conn| {
            login_links::table
                .select(login_links::jti)
                .first(conn)
                .expect("row")
        })
        .await;
    let keys = app.token_keys();

    let expired = keys.issue(
        Purpose::Login,
        "lisa@alingsas.se",
        &jti,
        Utc::now() - Duration::seconds(5),
    );
    let forged = TokenKeys::new(b"not-the-servers-secret-not-the-se").issue(
        Purpose::Login,
        "lisa@alingsas.se",
        &jti,
        Utc::now() + Duration::minutes(10),
    );
    let genuine = link
        .split("token=")
        .nth(1)
        .expect("token in link")
        .to_string();
    let payload = genuine.split('.').nth(1).expect("payload");
    let unsigned = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}.");
    // A session token must not work as a login token.
    let session_token = keys.issue(
        Purpose::Session,
        "lisa@alingsas.se",
        &jti,
        Utc::now() + Duration::minutes(10),
    );

    for (token, expected) in [
        (expired.as_str(), "har gått ut"),
        (forged.as_str(), "ogiltig"),
        (unsigned.as_str(), "ogiltig"),
        (session_token.as_str(), "ogiltig"),
    ] {
        let response = app.get(&format!("/login/confirm?token={token}")).await;
        assert_eq!(response.status(), 400);
        let text = Page::from_response(response).await.visible_text();
        assert!(text.contains(expected), "{expected}: {text}");
        let response = app
            .browser
            .post_form("/login/confirm", &[("token", token)])
            .await;
        assert_eq!(response.status(), 400);
    }
    assert!(app.browser.cookie("bruka_session").is_none());

    // The genuine link still works: the refusals above used nothing up.
    assert_eq!(app.browser.follow_link(&link).await.status(), 303);
}

async fn state_changes_without_the_csrf_token_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_organisation("Vårgårda kommun", "vargarda.se", &[])
        .await;
    app.browser.csrf_token().await;

    let missing = app
        .browser
        .post_raw("/login", &[("email", "a@vargarda.se")])
        .await;
    assert_eq!(missing.status(), 403);
    let page = Page::from_response(missing).await;
    assert_eq!(
        page.attr("html", "lang"),
        "sv",
        "a localized page, not a blank"
    );

    let wrong = app
        .browser
        .post_raw(
            "/login",
            &[("csrf_token", &"0".repeat(64)), ("email", "a@vargarda.se")],
        )
        .await;
    assert_eq!(wrong.status(), 403);

    let token = app.browser.csrf_token().await;
    let cross_site = app
        .client
        .post(app.url("/login"))
        .header("Origin", "https://evil.example")
        .form(&[("csrf_token", token.as_str()), ("email", "a@vargarda.se")])
        .send()
        .await
        .expect("sent");
    assert_eq!(cross_site.status(), 403);

    let no_cookie = app.new_browser();
    let response = no_cookie
        .post_raw(
            "/login",
            &[("csrf_token", &token), ("email", "a@vargarda.se")],
        )
        .await;
    assert_eq!(
        response.status(),
        403,
        "a token without its cookie is worthless"
    );

    let queued: i64 = app
        .with_conn(|conn| mail_outbox::table.count().get_result(conn).expect("count"))
        .await;
    assert_eq!(queued, 0, "nothing was sent");

    // An empty cookie with an empty field is no token, for multipart forms too.
    app.browser.sign_in("anna@vargarda.se", "Anna").await;
    let session = app.browser.cookie("bruka_session").expect("signed in");
    let cookies = format!("bruka_session={session}; bruka_csrf=");
    let empty = reqwest::Client::new()
        .post(app.url("/items"))
        .header("Cookie", &cookies)
        .multipart(
            reqwest::multipart::Form::new()
                .text("csrf_token", "")
                .text("title", "Förfalskad")
                .text("action", "publish"),
        )
        .send()
        .await
        .expect("sent");
    assert_eq!(empty.status(), 403, "multipart");
    let empty = reqwest::Client::new()
        .post(app.url("/profile/notify"))
        .header("Cookie", &cookies)
        .form(&[("csrf_token", ""), ("notify", "none")])
        .send()
        .await
        .expect("sent");
    assert_eq!(empty.status(), 403, "url-encoded");
    let listed: i64 = app
        .with_conn(|conn| {
            bruka::db::schema::items::table
                .count()
                .get_result(conn)
                .expect("count")
        })
        .await;
    assert_eq!(listed, 0, "nothing was listed");
}

/// The `Set-Cookie` header a fresh visitor gets for `name`.
fn set_cookie(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("{name} is set"))
        .to_string()
}

async fn the_form_token_lasts_the_session_and_a_refused_form_comes_back(backend: Backend) {
    let app = spawn_app(backend).await;
    let _requester = lister_and_requester(&app).await;
    let item_id = list_chairs(&app, 2).await;
    let first_visit = reqwest::Client::new()
        .get(app.url("/login"))
        .send()
        .await
        .expect("sent");
    let cookie = set_cookie(&first_visit, "bruka_csrf");
    // Lax, so a link from webmail or Teams brings the token along instead of replacing it.
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }

    // A tab opened before signing in holds the token of before; signing in replaces it.
    let browser = app.new_browser();
    let before = browser.csrf_token().await;
    browser.sign_in("cecilia@boras.se", "Cecilia Ek").await;
    let after = browser.csrf_token().await;
    assert_ne!(before, after, "a new session, a new token");
    let item = format!("/items/{item_id}");
    let arrival = browser
        .client
        .get(app.url(&item))
        .header("Sec-Fetch-Site", "cross-site")
        .header("Referer", "https://outlook.office.com/")
        .send()
        .await
        .expect("sent");
    assert_eq!(arrival.status(), 200);
    assert_eq!(
        browser.csrf_token().await,
        after,
        "a link from mail keeps it"
    );

    // The old tab's question is refused, and comes back as typed with a token that works.
    let ask = format!("{item}/ask");
    let question = "Finns det fler stolar?\nVi behöver sex.";
    let refused = browser
        .post_raw(&ask, &[("csrf_token", &before), ("body", question)])
        .await;
    assert_eq!(refused.status(), 403);
    let page = Page::from_response(refused).await;
    assert_eq!(
        page.text_of("h1"),
        bruka::i18n::Language::Swedish.text("error-resend-title")
    );
    assert_eq!(page.attr("form.resend-form", "action"), ask);
    assert_eq!(
        page.attr("form.resend-form input[name=csrf_token]", "value"),
        after
    );
    let typed = page
        .one("form.resend-form textarea[name=body]")
        .text()
        .collect::<String>();
    assert_eq!(typed, question, "the text is kept, lines and all");
    let threads = || async {
        app.with_conn(|conn| {
            bruka::db::schema::conversations::table
                .count()
                .get_result::<i64>(conn)
                .expect("count")
        })
        .await
    };
    assert_eq!(threads().await, 0, "nothing happened");
    let resent = browser.post_form(&ask, &[("body", &typed)]).await;
    assert_eq!(resent.status(), 303, "sent again");
    assert_eq!(threads().await, 1);

    // Signing out ends the token too.
    let out = browser.post_form("/logout", &[]).await;
    assert_eq!(out.status(), 303);
    assert_ne!(browser.csrf_token().await, after);
}

/// Over https the cookies carry the `__Host-` prefix (secure, this host, every path) and
/// browsers are told to use nothing but https.
async fn cookies_over_https_are_host_bound_and_strict_transport_is_sent(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        s.public_url = Some("https://bruka.example.se".parse().expect("url"));
    })
    .await;
    let response = reqwest::Client::new()
        .get(app.url("/login"))
        .send()
        .await
        .expect("sent");
    assert_eq!(
        response.headers()["strict-transport-security"],
        "max-age=31536000"
    );
    let cookie = set_cookie(&response, "__Host-bruka_csrf");
    for attribute in ["Secure", "Path=/", "HttpOnly"] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    assert!(!cookie.contains("Domain"), "{cookie}");
    let plain = reqwest::Client::new()
        .get(app.url("/login"))
        .send()
        .await
        .expect("sent");
    assert!(
        plain
            .headers()
            .get_all("set-cookie")
            .iter()
            .all(|v| !v.to_str().unwrap_or_default().starts_with("bruka_")),
        "no cookie without the prefix"
    );
    let over_http = spawn_app(backend).await;
    let response = reqwest::Client::new()
        .get(over_http.url("/login"))
        .send()
        .await
        .expect("sent");
    assert!(
        response
            .headers()
            .get("strict-transport-security")
            .is_none(),
        "not over plain http"
    );
}

async fn signing_out_ends_the_session_everywhere(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_organisation("Ale kommun", "ale.se", &["IT"])
        .await;
    app.create_user("chef@ale.se", Role::Admin).await;
    app.browser.sign_in("chef@ale.se", "Chefen").await;
    let stolen = app.browser.cookie("bruka_session").expect("signed in");
    assert_eq!(app.get("/admin").await.status(), 200);

    let response = app.browser.post_form("/logout", &[]).await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/login?signed_out=1");
    assert!(
        app.browser.cookie("bruka_session").is_none(),
        "cookie cleared"
    );
    let page = app.get_page("/login?signed_out=1").await;
    assert!(page.text_of("[role=status]").contains("utloggad"));

    // The old cookie, replayed from elsewhere, no longer works.
    let thief = app.new_browser();
    thief.set_cookie("bruka_session", &stolen);
    let response = thief.get("/admin").await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/login?next=%2Fadmin");
}

async fn forged_session_cookies_are_ignored_and_cleared(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_organisation("Mölndals stad", "molndal.se", &[])
        .await;
    let user_id = app.create_user("boss@molndal.se", Role::Admin).await;
    let forged = TokenKeys::new(b"guessed-secret-guessed-secret-gu").issue(
        Purpose::Session,
        &user_id.to_string(),
        "x",
        Utc::now() + Duration::days(1),
    );
    app.browser.set_cookie("bruka_session", &forged);
    let response = app.get("/admin").await;
    assert_eq!(response.status(), 303);
    assert!(
        app.browser.cookie("bruka_session").is_none(),
        "bad cookie removed"
    );
}

/// Each attempt goes to the other of two instances: the limits are counted in the
/// database, so the load balancer's choice changes nothing.
async fn sign_in_requests_are_rate_limited_per_address(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.limits.login_per_address = crate::helpers::at_least_one(2)
    })
    .await;
    let instances = [app.address.clone(), app.start_another_instance().await];
    let login = |n: usize| format!("{}/login", instances[n % 2]);
    app.create_organisation("Kungälvs kommun", "kungalv.se", &[])
        .await;
    for n in 0..2 {
        let response = app
            .browser
            .post_form(&login(n), &[("email", "ola@kungalv.se")])
            .await;
        assert_eq!(response.status(), 200);
    }
    for n in 2..4 {
        let refused = app
            .browser
            .post_form(&login(n), &[("email", "OLA@kungalv.se")])
            .await;
        assert_eq!(refused.status(), 429, "attempt {n}, at either instance");
        assert_eq!(
            Page::from_response(refused).await.text_of("h1"),
            "För många försök"
        );
    }
    // Unknown addresses are limited the same way, so the limit reveals nothing.
    for n in 0..2 {
        app.browser
            .post_form(&login(n), &[("email", "ola@example.com")])
            .await;
    }
    let response = app
        .browser
        .post_form(&login(0), &[("email", "ola@example.com")])
        .await;
    assert_eq!(response.status(), 429);

    app.browser.mailbox.wait_for("ola@kungalv.se", 2).await;
    let queued: i64 = app
        .with_conn(|conn| mail_outbox::table.count().get_result(conn).expect("count"))
        .await;
    assert_eq!(queued, 2);
}

async fn sign_in_requests_are_rate_limited_per_ip(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.limits.login_per_ip = crate::helpers::at_least_one(3)
    })
    .await;
    let instances = [app.address.clone(), app.start_another_instance().await];
    for n in 0..3 {
        let email = format!("user{n}@example.com");
        let login = format!("{}/login", instances[n % 2]);
        let response = app.browser.post_form(&login, &[("email", &email)]).await;
        assert_eq!(response.status(), 200);
    }
    for instance in &instances {
        let response = app
            .browser
            .post_form(
                &format!("{instance}/login"),
                &[("email", "user9@example.com")],
            )
            .await;
        assert_eq!(response.status(), 429);
    }
}

/// Using Bruka keeps the session alive: after a while, a request slides the expiry forward
/// and renews the cookie.
async fn active_sessions_slide_forward(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_organisation("Partille kommun", "partille.se", &[])
        .await;
    app.browser.sign_in("eva@partille.se", "Eva").await;
    let an_hour_ago = Utc::now().naive_utc() - Duration::hours(1);
    let soon = Utc::now().naive_utc() + Duration::days(1);
    app.with_conn(move |conn| {
        diesel::update(sessions::table)
            .set((
                sessions::last_seen_at.eq(an_hour_ago),
                sessions::expires_at.eq(soon),
            ))
            .execute(conn)
            .expect("aged")
    })
    .await;

    let response = app.get("/").await;
    assert_eq!(response.status(), 200);
    let renewed = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.starts_with("bruka_session="));
    assert!(renewed, "the cookie is renewed with the new expiry");
    assert!(
        app.browser.cookie("bruka_session").is_some(),
        "still signed in"
    );
    let expires_at: chrono::NaiveDateTime = app
        .with_conn(|conn| {
            sessions::table
                .select(sessions::expires_at)
                .first(conn)
                .expect("row")
        })
        .await;
    assert!(expires_at > Utc::now().naive_utc() + Duration::days(13));

    // An expired session signs nobody in.
    let past = Utc::now().naive_utc() - Duration::minutes(1);
    app.with_conn(move |conn| {
        diesel::update(sessions::table)
            .set(sessions::expires_at.eq(past))
            .execute(conn)
            .expect("expired")
    })
    .await;
    assert_eq!(app.get("/admin").await.status(), 303);
    assert!(app.browser.cookie("bruka_session").is_none());
}

on_both_backends!(
    a_known_domain_is_answered_without_waiting_for_its_mail,
    the_form_token_lasts_the_session_and_a_refused_form_comes_back,
    cookies_over_https_are_host_bound_and_strict_transport_is_sent,
    active_sessions_slide_forward,
    new_user_signs_in_by_mailed_link_and_completes_profile,
    unknown_domain_gets_the_same_answer_and_no_mail,
    malformed_address_is_explained_in_place,
    a_used_link_is_refused_the_second_time,
    expired_forged_and_unsigned_links_are_refused,
    state_changes_without_the_csrf_token_are_refused,
    signing_out_ends_the_session_everywhere,
    forged_session_cookies_are_ignored_and_cleared,
    sign_in_requests_are_rate_limited_per_address,
    sign_in_requests_are_rate_limited_per_ip,
    example_admin_can_sign_in_on_a_fresh_install,
    concurrent_sign_in_requests_all_succeed,
    each_person_gets_their_own_header_and_token,
);

/// The header is shared by everyone who sees the same page under the same name, with each
/// person's own CSRF token put into its logout form; a name that looks like the token's
/// place in the header stays a name.
async fn each_person_gets_their_own_header_and_token(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_organisation("Borås stad", "boras.se", &[]).await;
    app.browser.sign_in("anna@boras.se", "Anna").await;
    let namesake = app.new_browser();
    namesake.sign_in("anna.two@boras.se", "Anna").await;
    let odd = app.new_browser();
    odd.sign_in("odd@boras.se", "<!--csrf-token-->").await;

    let mut tokens = Vec::new();
    for browser in [&app.browser, &namesake, &odd] {
        let page = browser.get_page("/items").await;
        let token = browser.cookie("bruka_csrf").expect("a CSRF cookie");
        assert_eq!(
            page.attr(
                "nav.main-nav form[action='/logout'] input[name=csrf_token]",
                "value"
            ),
            token
        );
        tokens.push(token);
    }
    assert_ne!(tokens[0], tokens[1]);
    let odd_page = odd.get_page("/items").await;
    assert_eq!(
        odd_page.text_of("nav.main-nav .signed-in-as"),
        "Inloggad som <!--csrf-token-->"
    );
    // Each can sign out with the form as shown.
    let response = namesake
        .post_raw("/logout", &[("csrf_token", &tokens[1])])
        .await;
    assert!(response.status().is_redirection(), "{}", response.status());
    let after = app.browser.get_page("/items").await;
    assert_eq!(
        after.text_of("nav.main-nav .signed-in-as"),
        "Inloggad som Anna"
    );
}

/// A first start has an example organisation whose admin can sign in at once.
async fn example_admin_can_sign_in_on_a_fresh_install(backend: Backend) {
    let app = spawn_app_with(backend, |settings| settings.demo_bootstrap = true).await;
    app.browser
        .sign_in("admin@exempelkommun.example", "unused")
        .await;
    let page = app.get_page("/admin").await;
    assert_eq!(page.text_of("h1"), "Administration: Exempelkommunen");
    assert!(page.visible_text().contains("Socialförvaltningen"));
    // A restart does not add a second example organisation (or more partners).
    app.start_instance_with(|settings| settings.demo_bootstrap = true)
        .await;
    let organisations: i64 = app
        .with_conn(|conn| {
            bruka::db::schema::organisations::table
                .count()
                .get_result(conn)
                .expect("count")
        })
        .await;
    assert_eq!(organisations, bruka::demo::NETWORK_ORGANISATIONS as i64);
}

/// Many people asking for links at once: every request succeeds and every mail goes out.
async fn concurrent_sign_in_requests_all_succeed(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.limits.login_per_ip = crate::helpers::at_least_one(1000)
    })
    .await;
    app.create_organisation("Göteborgs stad", "goteborg.se", &[])
        .await;
    let token = app.browser.csrf_token().await;
    let requests = (0..40).map(|n| {
        let client = app.client.clone();
        let url = app.url("/login");
        let token = token.clone();
        async move {
            let email = format!("person{n}@goteborg.se");
            client
                .post(url)
                .form(&[("csrf_token", token.as_str()), ("email", email.as_str())])
                .send()
                .await
                .expect("sent")
                .status()
        }
    });
    let statuses = futures_util::future::join_all(requests).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    assert_eq!(app.browser.mailbox.wait_for_total(40).await.len(), 40);
}
