//! Sign-in with the organisation's directory, against a real OpenID provider on loopback
//! (`tests/oidc/provider.mjs`, the certified `oidc-provider` package), started per test.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use bruka::accounts::Role;
use bruka::db::schema::{mail_outbox, sessions, users};
use bruka::directory::{self, GroupRole, seal::Sealer};
use bruka::ids::{OrganisationId, UnitId};
use chrono::{Duration, Utc};
use diesel::prelude::*;

use crate::helpers::{Backend, Browser, Page, TestApp, spawn_app};
use crate::on_both_backends;

/// Installs the provider's package (pinned by tests/oidc/package-lock.json) on the first
/// test that needs it, so `cargo test` alone runs these tests where Node is installed.
fn install_once(root: &std::path::Path) -> bool {
    static INSTALLED: std::sync::Mutex<Option<bool>> = std::sync::Mutex::new(None);
    let mut installed = INSTALLED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(done) = *installed {
        return done;
    }
    let present = || root.join("node_modules/oidc-provider").exists();
    if !present() {
        let _ = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--silent"])
            .current_dir(root)
            .status();
    }
    *installed = Some(present());
    present()
}

/// The provider process; it ends when this is dropped.
pub struct Provider {
    pub issuer: String,
    child: Child,
    http: reqwest::Client,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Provider {
    /// Starts the provider, or `None` (the test is skipped) where Node and the package are
    /// missing and `BRUKA_REQUIRE_OIDC` is not set.
    pub fn start() -> Option<Provider> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oidc");
        if !install_once(&root) {
            assert!(
                std::env::var_os("BRUKA_REQUIRE_OIDC").is_none(),
                "BRUKA_REQUIRE_OIDC is set but the test provider could not be installed (Node and npm are needed)"
            );
            eprintln!("skipped: no OpenID provider (Node and npm are needed)");
            return None;
        }
        let mut child = Command::new("node")
            .arg(root.join("provider.mjs"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node runs the test provider");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        stdout
            .read_line(&mut line)
            .expect("the provider prints its issuer");
        // Whatever it prints later is read and dropped: a closed pipe would end it.
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        let started: serde_json::Value = serde_json::from_str(&line).expect("JSON line");
        Some(Provider {
            issuer: started["issuer"].as_str().expect("issuer").to_string(),
            child,
            http: reqwest::Client::new(),
        })
    }

    async fn control(&self, what: &str, body: serde_json::Value) {
        let response = self
            .http
            .post(format!("{}/__test/{what}", self.issuer))
            .json(&body)
            .send()
            .await
            .expect("provider control");
        assert_eq!(response.status(), 200, "control {what}");
    }

    /// Registers Bruka at the provider (dynamic client registration, RFC 7591).
    pub async fn register(&self, redirect_uri: &str) -> (String, String) {
        let registered: serde_json::Value = self
            .http
            .post(format!("{}/reg", self.issuer))
            .json(&serde_json::json!({
                "redirect_uris": [redirect_uri],
                "post_logout_redirect_uris": [redirect_uri.replace("/login/directory/callback", "/login?signed_out=1")],
                "response_types": ["code"],
                "grant_types": ["authorization_code"],
            }))
            .send()
            .await
            .expect("registration")
            .json()
            .await
            .expect("registration answer");
        (
            registered["client_id"]
                .as_str()
                .expect("client id")
                .to_string(),
            registered["client_secret"]
                .as_str()
                .expect("secret")
                .to_string(),
        )
    }

    pub async fn account(&self, email: &str, verified: bool, groups: &[&str]) {
        self.control(
            "accounts",
            serde_json::json!({"email": email, "email_verified": verified, "groups": groups, "name": "Sara Lind"}),
        )
        .await;
    }

    pub async fn tamper(&self, mode: &str) {
        self.control("tamper", serde_json::json!({ "mode": mode }))
            .await;
    }

    pub async fn rotate(&self) {
        self.control("rotate", serde_json::json!({})).await;
    }
}

/// Sets the organisation's directory up as an admin does, secret sealed with the
/// installation's key; returns the provider's client id.
pub async fn connect(app: &TestApp, provider: &Provider, organisation: i64) -> String {
    let (client_id, secret) = provider
        .register(&format!("{}/login/directory/callback", app.address))
        .await;
    let installation = std::fs::read(app.data_path().join("secret.key")).expect("secret");
    let sealed = Sealer::new(&installation).seal(&secret);
    let (issuer, id) = (provider.issuer.clone(), client_id.clone());
    app.with_conn(move |conn| {
        directory::save(
            conn,
            OrganisationId(organisation),
            &issuer,
            &id,
            &sealed,
            "",
        )
        .expect("directory saved")
    })
    .await;
    client_id
}

/// Follows a browser through the provider, signing in as `email` on its page, up to the
/// address it sends the browser back to Bruka with (not yet opened).
pub async fn through_provider(browser: &Browser, provider: &Provider, email: &str) -> String {
    through_provider_as(browser, provider, email, email).await
}

/// As [`through_provider`], typing `email` at Bruka and signing in as `account` at the
/// provider (as someone with another person's directory account would).
async fn through_provider_as(
    browser: &Browser,
    provider: &Provider,
    email: &str,
    account: &str,
) -> String {
    let mut location = going_to_directory(browser, email).await;
    assert!(location.starts_with(&provider.issuer), "{location}");
    assert!(
        location.contains("code_challenge_method=S256"),
        "PKCE: {location}"
    );
    assert!(location.contains("nonce="), "{location}");
    for _ in 0..10 {
        if location.contains("/login/directory/callback") {
            return location;
        }
        let url = absolute(&provider.issuer, &location);
        let response = if let Some(uid) = url
            .strip_prefix(&format!("{}/interaction/", provider.issuer))
            .filter(|rest| !rest.contains('/'))
        {
            let page =
                Page::from_response(browser.client.get(&url).send().await.expect("page")).await;
            assert_eq!(
                page.attr("#email", "value"),
                email.to_lowercase(),
                "login_hint"
            );
            browser
                .client
                .post(format!("{}/interaction/{uid}/login", provider.issuer))
                .form(&[("email", account)])
                .send()
                .await
                .expect("provider login")
        } else {
            browser
                .client
                .get(&url)
                .send()
                .await
                .expect("provider step")
        };
        assert!(
            response.status().is_redirection(),
            "provider step {url}: {}",
            response.status()
        );
        location = location_of(&response);
    }
    panic!("the provider never sent the browser back");
}

/// The login form's answer for someone whose organisation has a directory: a page that
/// moves on to the provider by itself.
pub async fn going_to_directory(browser: &Browser, email: &str) -> String {
    let response = browser.post_form("/login", &[("email", email)]).await;
    assert_eq!(
        response.status(),
        200,
        "the login form sends to the directory"
    );
    let page = Page::from_response(response).await;
    let url = page.attr("#directory-continue", "href");
    assert!(
        page.attr("meta[http-equiv=refresh]", "content")
            .ends_with(&url),
        "moves on by itself"
    );
    url
}

fn location_of(response: &reqwest::Response) -> String {
    response.headers()["location"]
        .to_str()
        .expect("ascii location")
        .to_string()
}

fn absolute(base: &str, location: &str) -> String {
    if location.starts_with("http") {
        location.to_string()
    } else {
        format!("{base}{location}")
    }
}

/// The whole sign-in: through the provider and back into Bruka.
pub async fn sign_in_with_directory(
    browser: &Browser,
    provider: &Provider,
    email: &str,
) -> reqwest::Response {
    let back = through_provider(browser, provider, email).await;
    browser.get(&back).await
}

async fn count_users(app: &TestApp) -> i64 {
    app.with_conn(|conn| users::table.count().get_result(conn).expect("count"))
        .await
}

async fn count_sessions(app: &TestApp) -> i64 {
    app.with_conn(|conn| sessions::table.count().get_result(conn).expect("count"))
        .await
}

async fn borås(app: &TestApp) -> (i64, i64) {
    let organisation = app
        .create_organisation("Borås stad", "boras.se", &["Miljöförvaltningen"])
        .await;
    let unit = app
        .with_conn(move |conn| {
            bruka::organisations::units_of(conn, OrganisationId(organisation)).expect("units")[0]
                .id
                .0
        })
        .await;
    (organisation, unit)
}

async fn first_sign_in_creates_the_person_with_role_and_unit_from_groups(backend: Backend) {
    let Some(provider) = Provider::start() else {
        return;
    };
    let app = spawn_app(backend).await;
    let (organisation, unit) = borås(&app).await;
    connect(&app, &provider, organisation).await;
    app.with_conn(move |conn| {
        directory::map_group(
            conn,
            OrganisationId(organisation),
            &GroupRole {
                group_id: "g-hallbarhet".into(),
                role: Role::Sustainability,
                unit_id: Some(UnitId(unit)),
            },
        )
        .expect("mapped")
    })
    .await;
    provider
        .account("sara.lind@boras.se", true, &["g-other", "g-hallbarhet"])
        .await;

    let browser = &app.browser;
    let response = sign_in_with_directory(browser, &provider, "Sara.Lind@boras.se").await;
    assert_eq!(response.status(), 303);
    // Name from the directory, unit from the group: nothing left to ask.
    assert_eq!(response.headers()["location"], "/");
    assert!(browser.cookie("bruka_session").is_some());
    let (role, unit_id, name): (String, Option<i64>, Option<String>) = app
        .with_conn(|conn| {
            users::table
                .filter(users::email.eq("sara.lind@boras.se"))
                .select((users::role, users::unit_id, users::name))
                .first(conn)
                .expect("created on first sign-in")
        })
        .await;
    assert_eq!(role, "sustainability");
    assert_eq!(unit_id, Some(unit));
    assert_eq!(name.as_deref(), Some("Sara Lind"));
    let renew_by: Option<chrono::NaiveDateTime> = app
        .with_conn(|conn| {
            sessions::table
                .select(sessions::renew_by)
                .first(conn)
                .expect("session")
        })
        .await;
    let hours = (renew_by.expect("a directory session is renewed there") - Utc::now().naive_utc())
        .num_minutes();
    assert!((11 * 60..=12 * 60).contains(&hours), "{hours} minutes");
    assert_eq!(
        browser.get("/stats").await.status(),
        200,
        "the group's role"
    );

    // The same person again: no second user, and the mailed link is still offered.
    let again = app.new_browser();
    let response = sign_in_with_directory(&again, &provider, "sara.lind@boras.se").await;
    assert_eq!(response.status(), 303);
    assert_eq!(count_users(&app).await, 1);
    let response = again
        .post_form(
            "/login",
            &[("email", "sara.lind@boras.se"), ("method", "link")],
        )
        .await;
    assert_eq!(response.status(), 200, "a link instead, while links are on");
    again.mailbox.wait_for("sara.lind@boras.se", 1).await;
}

async fn answers_that_do_not_match_the_attempt_are_refused(backend: Backend) {
    let Some(provider) = Provider::start() else {
        return;
    };
    let app = spawn_app(backend).await;
    let (organisation, _) = borås(&app).await;
    connect(&app, &provider, organisation).await;

    // Another state than the browser was sent with (a forged or replayed answer).
    let browser = app.new_browser();
    let back = through_provider(&browser, &provider, "sara@boras.se").await;
    let forged = regex_replace_state(&back, "forged-state");
    let response = browser.get(&forged).await;
    assert_eq!(response.status(), 400);
    let page = Page::from_response(response).await;
    assert!(
        page.text_of("main").contains("Börja om"),
        "{}",
        page.text_of("main")
    );
    // The answer opened in another browser, without the attempt's cookie.
    let elsewhere = app.new_browser();
    assert_eq!(elsewhere.get(&back).await.status(), 400);
    // The provider reporting an error (the person cancelled).
    let cancelled = app.new_browser();
    let back = through_provider(&cancelled, &provider, "sara@boras.se").await;
    let state = back
        .split("state=")
        .nth(1)
        .expect("state")
        .split('&')
        .next()
        .expect("state");
    let response = cancelled
        .get(&format!(
            "/login/directory/callback?state={state}&error=access_denied"
        ))
        .await;
    assert_eq!(response.status(), 502);

    // ID tokens the provider's answer carries, changed: each is refused.
    for mode in [
        "nonce",
        "audience",
        "issuer",
        "expired",
        "unknown-key",
        "hs256",
        "none",
    ] {
        let browser = app.new_browser();
        let back = through_provider(&browser, &provider, "sara@boras.se").await;
        provider.tamper(mode).await;
        let response = browser.get(&back).await;
        assert_eq!(response.status(), 502, "{mode}");
        assert!(browser.cookie("bruka_session").is_none(), "{mode}");
    }
    assert_eq!(count_users(&app).await, 0);
    assert_eq!(count_sessions(&app).await, 0);

    // The same untouched flow works, so the refusals were the changes'.
    let browser = app.new_browser();
    let response = sign_in_with_directory(&browser, &provider, "sara@boras.se").await;
    assert_eq!(response.status(), 303);
}

fn regex_replace_state(url: &str, state: &str) -> String {
    let (head, tail) = url.split_once("state=").expect("state in the answer");
    let rest = tail.split_once('&').map(|(_, rest)| rest).unwrap_or("");
    format!("{head}state={state}&{rest}")
}

async fn a_rotated_signing_key_is_fetched_again(backend: Backend) {
    let Some(provider) = Provider::start() else {
        return;
    };
    let app = spawn_app(backend).await;
    let (organisation, _) = borås(&app).await;
    connect(&app, &provider, organisation).await;
    let first = app.new_browser();
    assert_eq!(
        sign_in_with_directory(&first, &provider, "sara@boras.se")
            .await
            .status(),
        303
    );
    // Bruka has the provider's keys cached; the provider now signs with a new one.
    provider.rotate().await;
    let second = app.new_browser();
    let response = sign_in_with_directory(&second, &provider, "per@boras.se").await;
    assert_eq!(response.status(), 303, "the new key is looked up");
    assert_eq!(count_users(&app).await, 2);
}

async fn unvouched_foreign_and_disabled_people_are_refused(backend: Backend) {
    let Some(provider) = Provider::start() else {
        return;
    };
    let app = spawn_app(backend).await;
    let (organisation, _) = borås(&app).await;
    app.create_organisation("Mölndals stad", "molndal.se", &[])
        .await;
    connect(&app, &provider, organisation).await;

    provider.account("sara@boras.se", false, &[]).await;
    let browser = app.new_browser();
    let response = sign_in_with_directory(&browser, &provider, "sara@boras.se").await;
    assert_eq!(
        response.status(),
        403,
        "an e-mail the directory does not vouch for"
    );
    let page = Page::from_response(response).await;
    assert!(page.text_of("main").contains("intygar inte"));

    // Borås's directory speaking for an address of Mölndal's domain. The login form sends
    // Mölndal's people nowhere near Borås's directory, so the answer is reached as an
    // attacker would: signing in as someone else at the provider.
    let browser = app.new_browser();
    let location = through_provider_as(&browser, &provider, "per@boras.se", "eva@molndal.se").await;
    let response = browser.get(&location).await;
    assert_eq!(response.status(), 403, "another organisation's domain");

    // A person an admin disabled cannot sign in through the directory either.
    let id = app.create_user("lena@boras.se", Role::Member).await;
    app.with_conn(move |conn| {
        diesel::update(users::table.find(id))
            .set(users::disabled.eq(true))
            .execute(conn)
            .expect("disabled")
    })
    .await;
    let browser = app.new_browser();
    let response = sign_in_with_directory(&browser, &provider, "lena@boras.se").await;
    assert_eq!(response.status(), 403);
    assert_eq!(count_sessions(&app).await, 0);
}

async fn links_can_be_switched_off_and_directory_sessions_end_on_time(backend: Backend) {
    let Some(provider) = Provider::start() else {
        return;
    };
    let app = spawn_app(backend).await;
    let (organisation, _) = borås(&app).await;
    let client_id = connect(&app, &provider, organisation).await;
    // Not before someone has signed in through the directory: a wrong setting would lock
    // everyone out.
    let unproven = app
        .with_conn(move |conn| {
            directory::set_links_enabled(conn, OrganisationId(organisation), false)
        })
        .await;
    assert_eq!(unproven, Err(directory::SettingsError::Unverified));
    let first = app.new_browser();
    assert_eq!(
        sign_in_with_directory(&first, &provider, "it@boras.se")
            .await
            .status(),
        303
    );
    app.with_conn(move |conn| {
        directory::set_links_enabled(conn, OrganisationId(organisation), false).expect("off")
    })
    .await;
    let browser = app.new_browser();
    let response = browser
        .post_form("/login", &[("email", "sara@boras.se"), ("method", "link")])
        .await;
    assert_eq!(response.status(), 400);
    let page = Page::from_response(response).await;
    assert!(page.text_of(".error-summary").contains("jobbkontot"));
    let queued: i64 = app
        .with_conn(|conn| mail_outbox::table.count().get_result(conn).expect("count"))
        .await;
    assert_eq!(queued, 0, "no link mailed, so no code either");

    let response = sign_in_with_directory(&browser, &provider, "sara@boras.se").await;
    assert_eq!(response.status(), 303);
    assert_eq!(browser.get("/items").await.status(), 200);
    // Past its renewal time the session ends, however recently it was used.
    app.with_conn(|conn| {
        diesel::update(sessions::table)
            .set(sessions::renew_by.eq(Some((Utc::now() - Duration::seconds(1)).naive_utc())))
            .execute(conn)
            .expect("due")
    })
    .await;
    assert_eq!(browser.get("/items").await.status(), 303, "sign in again");

    // Signing out offers the directory's own sign-out.
    let browser = app.new_browser();
    assert_eq!(
        sign_in_with_directory(&browser, &provider, "sara@boras.se")
            .await
            .status(),
        303
    );
    let response = browser.post_form("/logout", &[]).await;
    assert_eq!(response.status(), 200);
    assert!(browser.cookie("bruka_session").is_none());
    let page = Page::from_response(response).await;
    let end = page.attr("#end-directory-session", "href");
    assert!(
        end.starts_with(&format!("{}/session/end", provider.issuer)),
        "{end}"
    );
    assert!(end.contains(&format!("client_id={client_id}")), "{end}");
    assert!(end.contains("post_logout_redirect_uri="), "{end}");
    assert_eq!(browser.get("/items").await.status(), 303);
}

async fn an_admin_sets_the_directory_up_on_the_admin_page(backend: Backend) {
    let Some(provider) = Provider::start() else {
        return;
    };
    let app = spawn_app(backend).await;
    let (_, unit) = borås(&app).await;
    let admin = app
        .signed_in_with_role("it@boras.se", "Ida Admin", Role::Admin)
        .await;
    let member = app
        .signed_in_with_role("maja@boras.se", "Maja", Role::Member)
        .await;
    let page = admin.get_page("/admin").await;
    assert_eq!(
        page.text_of("#directory-callback"),
        format!("{}/login/directory/callback", app.address)
    );
    let (client_id, secret) = provider
        .register(&format!("{}/login/directory/callback", app.address))
        .await;

    let refused = admin
        .post_form(
            "/admin/directory",
            &[
                ("issuer", "http://login.example.org"),
                ("client_id", &client_id),
                ("client_secret", &secret),
                ("tenant_id", ""),
            ],
        )
        .await;
    assert_eq!(refused.status(), 422);
    assert!(
        Page::from_response(refused)
            .await
            .text_of(".error-summary")
            .contains("https")
    );
    let saved = admin
        .post_form(
            "/admin/directory",
            &[
                ("issuer", &provider.issuer),
                ("client_id", &client_id),
                ("client_secret", &secret),
                ("tenant_id", ""),
            ],
        )
        .await;
    assert_eq!(saved.status(), 303);
    let page = admin.get_page("/admin").await;
    assert_eq!(page.attr("#directory-issuer", "value"), provider.issuer);
    assert!(
        page.one("#directory-secret")
            .value()
            .attr("value")
            .is_none(),
        "never shown again"
    );
    assert!(
        !admin
            .get("/admin")
            .await
            .text()
            .await
            .expect("html")
            .contains(&secret)
    );
    let stored: String = app
        .with_conn(|conn| {
            bruka::db::schema::organisation_directories::table
                .select(bruka::db::schema::organisation_directories::client_secret_sealed)
                .first(conn)
                .expect("stored")
        })
        .await;
    assert!(!stored.contains(&secret), "sealed at rest");
    // Saving again without a secret keeps the stored one.
    let again = admin
        .post_form(
            "/admin/directory",
            &[
                ("issuer", &provider.issuer),
                ("client_id", &client_id),
                ("client_secret", ""),
                ("tenant_id", ""),
            ],
        )
        .await;
    assert_eq!(again.status(), 303);
    let unit_text = unit.to_string();
    let mapped = admin
        .post_form(
            "/admin/directory/groups",
            &[
                ("group_id", "g-admins"),
                ("role", "admin"),
                ("unit_id", &unit_text),
            ],
        )
        .await;
    assert_eq!(mapped.status(), 303);
    let early = admin.post_form("/admin/directory/links", &[]).await;
    assert_eq!(early.status(), 422, "not before anyone signed in with it");
    let page = Page::from_response(early).await;
    assert!(page.text_of(".error-summary").contains("en gång först"));

    provider.account("nils@boras.se", true, &["g-admins"]).await;
    let nils = app.new_browser();
    let response = sign_in_with_directory(&nils, &provider, "nils@boras.se").await;
    assert_eq!(response.status(), 303, "the stored secret still works");
    assert_eq!(nils.get("/admin").await.status(), 200, "admin by group");
    let page = admin.get_page("/admin").await;
    assert!(page.text_of("#directory-state").contains("Fungerar"));
    let off = admin.post_form("/admin/directory/links", &[]).await;
    assert_eq!(off.status(), 303);
    let response = app
        .new_browser()
        .post_form("/login", &[("email", "maja@boras.se"), ("method", "link")])
        .await;
    assert_eq!(response.status(), 400, "links are off");

    // Only admins change it.
    let response = member.post_form("/admin/directory/delete", &[]).await;
    assert_eq!(response.status(), 403);
    let response = admin.post_form("/admin/directory/delete", &[]).await;
    assert_eq!(response.status(), 303);
    let response = app
        .new_browser()
        .post_form("/login", &[("email", "nils@boras.se")])
        .await;
    assert_eq!(response.status(), 200, "a mailed link again");
}

on_both_backends!(
    an_admin_sets_the_directory_up_on_the_admin_page,
    first_sign_in_creates_the_person_with_role_and_unit_from_groups,
    answers_that_do_not_match_the_attempt_are_refused,
    a_rotated_signing_key_is_fetched_again,
    unvouched_foreign_and_disabled_people_are_refused,
    links_can_be_switched_off_and_directory_sessions_end_on_time,
);
