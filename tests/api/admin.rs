use bruka::accounts::Role;
use bruka::db::schema::{organisation_domains, units, users};
use bruka::ids::OrganisationId;
use diesel::prelude::*;

use crate::helpers::{Backend, Page, TestApp, spawn_app};
use crate::on_both_backends;

/// Adds a sign-in domain as an admin does: the form, the mailed link, the button.
pub(crate) async fn add_confirmed_domain(
    app: &TestApp,
    admin: &crate::helpers::Browser,
    domain: &str,
) {
    let address = format!("it@{domain}");
    let before = admin.mailbox.to(&address).len();
    let added = admin
        .post_form(
            "/admin/domains",
            &[("domain", domain), ("proof_address", &address)],
        )
        .await;
    assert_eq!(added.status(), 303, "domain {domain} added");
    let mail = admin.mailbox.wait_for(&address, before + 1).await;
    let link = mail[before].link_containing("/domains/confirm/");
    let path = link.strip_prefix(&app.url("")).unwrap_or(&link).to_string();
    let page = admin.get_page(&path).await;
    assert!(page.visible_text().contains(domain));
    let confirmed = admin.post_form(&path, &[]).await;
    assert_eq!(confirmed.status(), 200);
}

/// An organisation with a signed-in admin in the app's default browser.
async fn with_signed_in_admin(backend: Backend) -> (TestApp, i64) {
    let app = spawn_app(backend).await;
    let organisation = app
        .create_organisation(
            "Trollhättans stad",
            "trollhattan.se",
            &["Kultur och fritid"],
        )
        .await;
    app.create_user("admin@trollhattan.se", Role::Admin).await;
    app.browser
        .sign_in("admin@trollhattan.se", "Ada Admin")
        .await;
    (app, organisation)
}

async fn role_of(app: &TestApp, email: &'static str) -> String {
    app.with_conn(move |conn| {
        users::table
            .filter(users::email.eq(email))
            .select(users::role)
            .first(conn)
            .expect("user")
    })
    .await
}

async fn admin_manages_units_domains_and_roles(backend: Backend) {
    let (app, organisation) = with_signed_in_admin(backend).await;
    let member = app.new_browser();
    member
        .sign_in("maja@trollhattan.se", "Maja Medarbetare")
        .await;

    let page = app.get_page("/admin").await;
    assert_eq!(
        page.attr("nav.main-nav a[href='/admin']", "aria-current"),
        "page"
    );
    assert!(page.visible_text().contains("maja@trollhattan.se"));

    let response = app
        .browser
        .post_form("/admin/units", &[("name", "Samhällsbyggnad")])
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/admin?saved=1");
    let page = app.get_page("/admin?saved=1").await;
    assert!(page.text_of("[role=status]").contains("sparad"));

    let duplicate = app
        .browser
        .post_form("/admin/units", &[("name", " Samhällsbyggnad ")])
        .await;
    assert_eq!(duplicate.status(), 409);
    let text = Page::from_response(duplicate)
        .await
        .text_of(".error-summary");
    assert!(text.contains("redan en enhet"), "{text}");

    let unit_id: i64 = app
        .with_conn(|conn| {
            units::table
                .filter(units::name.eq("Samhällsbyggnad"))
                .select(units::id)
                .first(conn)
                .expect("unit")
        })
        .await;
    let response = app
        .browser
        .post_form(
            &format!("/admin/units/{unit_id}"),
            &[("name", "Samhällsbyggnadsförvaltningen")],
        )
        .await;
    assert_eq!(response.status(), 303);

    let response = app
        .browser
        .post_form(
            "/admin/domains",
            &[
                ("domain", "Skola.Trollhattan.se"),
                ("proof_address", "it@skola.trollhattan.se"),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);
    let bad = app
        .browser
        .post_form("/admin/domains", &[("domain", "not a domain")])
        .await;
    assert_eq!(bad.status(), 400);
    let domains: Vec<(i64, String)> = app
        .with_conn(move |conn| {
            organisation_domains::table
                .filter(organisation_domains::organisation_id.eq(organisation))
                .select((organisation_domains::id, organisation_domains::domain))
                .order(organisation_domains::domain)
                .load(conn)
                .expect("domains")
        })
        .await;
    assert_eq!(
        domains.iter().map(|d| d.1.as_str()).collect::<Vec<_>>(),
        ["skola.trollhattan.se", "trollhattan.se"]
    );
    let response = app
        .browser
        .post_form(&format!("/admin/domains/{}/delete", domains[0].0), &[])
        .await;
    assert_eq!(response.status(), 303);
    let last = app
        .browser
        .post_form(&format!("/admin/domains/{}/delete", domains[1].0), &[])
        .await;
    assert_eq!(last.status(), 409, "the last domain stays");

    let maja_id: i64 = app
        .with_conn(|conn| {
            users::table
                .filter(users::email.eq("maja@trollhattan.se"))
                .select(users::id)
                .first(conn)
                .expect("maja")
        })
        .await;
    let response = app
        .browser
        .post_form(
            &format!("/admin/users/{maja_id}/role"),
            &[("role", "sustainability")],
        )
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(role_of(&app, "maja@trollhattan.se").await, "sustainability");
    let bogus = app
        .browser
        .post_form(
            &format!("/admin/users/{maja_id}/role"),
            &[("role", "superuser")],
        )
        .await;
    assert_eq!(bogus.status(), 400);
    assert_eq!(role_of(&app, "maja@trollhattan.se").await, "sustainability");

    // The method, the public summary and a token, then the audit log: every change names
    // who made it; refused ones left no entry.
    let method = [
        ("displacement_yes", "1"),
        ("displacement_unsure", "0,5"),
        ("displacement_no", "0"),
        ("refurbishment_kg_co2e", "2"),
        ("transport_kg_co2e", "1"),
    ];
    assert_eq!(
        app.browser
            .post_form("/admin/method", &method)
            .await
            .status(),
        303
    );
    for publish in [&[("publish", "1")][..], &[]] {
        let response = app
            .browser
            .post_form("/admin/public-summary", publish)
            .await;
        assert_eq!(response.status(), 303);
    }
    let created = app
        .browser
        .post_form("/profile/tokens", &[("name", "Inköpssystemet")])
        .await;
    assert_eq!(created.status(), 201);
    let token_id: i64 = app
        .with_conn(|conn| {
            bruka::db::schema::api_tokens::table
                .select(bruka::db::schema::api_tokens::id)
                .first(conn)
                .expect("token")
        })
        .await;
    let revoked = app
        .browser
        .post_form(&format!("/profile/tokens/{token_id}/revoke"), &[])
        .await;
    assert_eq!(revoked.status(), 303);

    let entries: Vec<(Option<String>, String, String, String)> = app
        .with_conn(move |conn| {
            use bruka::db::schema::audit_log;
            audit_log::table
                .left_join(users::table.on(users::id.nullable().eq(audit_log::actor_id)))
                .filter(audit_log::organisation_id.eq(organisation))
                .filter(audit_log::subject.ne("item"))
                .order(audit_log::id)
                .select((
                    users::email.nullable(),
                    audit_log::subject,
                    audit_log::action,
                    audit_log::detail,
                ))
                .load(conn)
                .expect("audit")
        })
        .await;
    let seen: Vec<(&str, &str, &str)> = entries
        .iter()
        .map(|(who, subject, action, _)| {
            (
                who.as_deref().unwrap_or("-"),
                subject.as_str(),
                action.as_str(),
            )
        })
        .collect();
    let admin = "admin@trollhattan.se";
    assert_eq!(
        seen,
        [
            (admin, "unit", "unit_added"),
            (admin, "unit", "unit_renamed"),
            (admin, "domain", "domain_added"),
            (admin, "domain", "domain_removed"),
            (admin, "user", "role_changed"),
            (admin, "organisation", "method_changed"),
            (admin, "organisation", "public_summary_published"),
            (admin, "organisation", "public_summary_withdrawn"),
            (admin, "api_token", "api_token_created"),
            (admin, "api_token", "api_token_revoked"),
        ]
    );
    let details: Vec<&str> = entries.iter().map(|e| e.3.as_str()).collect();
    assert_eq!(details[0], "Samhällsbyggnad");
    assert_eq!(
        details[2],
        "skola.trollhattan.se (confirmation sent to it@skola.trollhattan.se)"
    );
    assert_eq!(details[3], "skola.trollhattan.se");
    assert_eq!(details[4], "sustainability");
    assert!(
        details[8].starts_with("Inköpssystemet (bruka_"),
        "{}",
        details[8]
    );
    let audit_page = app.get_page("/admin/audit").await.visible_text();
    for shown in ["roll ändrad", "Inloggningsdomän", "API-nyckel återkallad"] {
        assert!(audit_page.contains(shown), "{shown} in {audit_page}");
    }
    assert!(!audit_page.contains("audit-"), "every entry in words");
}

async fn the_last_admin_cannot_step_down(backend: Backend) {
    let (app, _) = with_signed_in_admin(backend).await;
    let admin_id: i64 = app
        .with_conn(|conn| {
            users::table
                .filter(users::email.eq("admin@trollhattan.se"))
                .select(users::id)
                .first(conn)
                .expect("admin")
        })
        .await;
    let response = app
        .browser
        .post_form(
            &format!("/admin/users/{admin_id}/role"),
            &[("role", "member")],
        )
        .await;
    assert_eq!(response.status(), 409);
    assert!(
        Page::from_response(response)
            .await
            .visible_text()
            .contains("minst en administratör")
    );
    assert_eq!(role_of(&app, "admin@trollhattan.se").await, "admin");
}

async fn members_and_visitors_cannot_reach_admin(backend: Backend) {
    let (app, _) = with_signed_in_admin(backend).await;
    let visitor = app.new_browser();
    let response = visitor.get("/admin").await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/login?next=%2Fadmin");

    let member = app.new_browser();
    member.sign_in("maja@trollhattan.se", "Maja").await;
    let response = member.get("/admin").await;
    assert_eq!(response.status(), 403);
    assert_eq!(
        Page::from_response(response).await.text_of("h1"),
        "Du har inte behörighet"
    );
    let response = member
        .post_form("/admin/units", &[("name", "Smygenheten")])
        .await;
    assert_eq!(response.status(), 403);
    let sneaked: i64 = app
        .with_conn(|conn| {
            units::table
                .filter(units::name.eq("Smygenheten"))
                .count()
                .get_result(conn)
                .expect("count")
        })
        .await;
    assert_eq!(sneaked, 0);
}

/// An admin of one organisation reaches nothing of another, even with its ids.
async fn another_organisations_ids_are_not_found(backend: Backend) {
    let (app, _) = with_signed_in_admin(backend).await;
    let other = app
        .create_organisation("Vänersborgs kommun", "vanersborg.se", &["Hemlig enhet"])
        .await;
    let their_user = app.create_user("karin@vanersborg.se", Role::Member).await;
    let (their_unit, their_domain): (i64, i64) = app
        .with_conn(move |conn| {
            let unit = units::table
                .filter(units::organisation_id.eq(other))
                .select(units::id)
                .first(conn)
                .expect("unit");
            let domain = organisation_domains::table
                .filter(organisation_domains::organisation_id.eq(other))
                .select(organisation_domains::id)
                .first(conn)
                .expect("domain");
            (unit, domain)
        })
        .await;
    // Give them a second domain so "last domain" cannot be what stops the removal.
    app.with_conn(move |conn| {
        let domain =
            bruka::organisations::EmailDomain::parse("skola.vanersborg.se").expect("valid");
        bruka::organisations::add_domain(conn, OrganisationId(other), &domain).expect("added")
    })
    .await;

    let role = app
        .browser
        .post_form(
            &format!("/admin/users/{their_user}/role"),
            &[("role", "admin")],
        )
        .await;
    assert_eq!(role.status(), 404);
    let rename = app
        .browser
        .post_form(&format!("/admin/units/{their_unit}"), &[("name", "Kapad")])
        .await;
    assert_eq!(rename.status(), 404);
    let remove = app
        .browser
        .post_form(&format!("/admin/domains/{their_domain}/delete"), &[])
        .await;
    assert_eq!(remove.status(), 404);

    assert_eq!(role_of(&app, "karin@vanersborg.se").await, "member");
    let (unit_name, domains): (String, i64) = app
        .with_conn(move |conn| {
            let name = units::table
                .find(their_unit)
                .select(units::name)
                .first(conn)
                .expect("unit");
            let domains = organisation_domains::table
                .filter(organisation_domains::organisation_id.eq(other))
                .count()
                .get_result(conn)
                .expect("count");
            (name, domains)
        })
        .await;
    assert_eq!((unit_name.as_str(), domains), ("Hemlig enhet", 2));
    let page = app.get_page("/admin").await.visible_text();
    assert!(!page.contains("karin@vanersborg.se") && !page.contains("Hemlig enhet"));
}

/// A person whose welcome form names another organisation's unit is refused.
async fn profile_cannot_join_another_organisations_unit(backend: Backend) {
    let app = spawn_app(backend).await;
    app.create_organisation("Lilla Edets kommun", "lillaedet.se", &["Egen"])
        .await;
    let other = app
        .create_organisation("Orusts kommun", "orust.se", &["Främmande"])
        .await;
    let foreign_unit: i64 = app
        .with_conn(move |conn| {
            units::table
                .filter(units::organisation_id.eq(other))
                .select(units::id)
                .first(conn)
                .expect("unit")
        })
        .await;
    let link = app.browser.request_link("nils@lillaedet.se").await;
    app.browser.follow_link(&link).await;
    let response = app
        .browser
        .post_form(
            "/welcome",
            &[("name", "Nils"), ("unit_id", &foreign_unit.to_string())],
        )
        .await;
    assert_eq!(response.status(), 404);
    let unit: Option<i64> = app
        .with_conn(|conn| {
            users::table
                .filter(users::email.eq("nils@lillaedet.se"))
                .select(users::unit_id)
                .first(conn)
                .expect("user")
        })
        .await;
    assert_eq!(unit, None);
}

/// Membership follows the domain: removing a domain ends its people's sessions and tokens
/// at once; once another organisation holds it, they sign in there as new members, and
/// what they did stays with the first organisation.
async fn membership_follows_the_sign_in_domain(backend: Backend) {
    let (app, first) = with_signed_in_admin(backend).await;
    let second = app
        .create_organisation("Vänersborgs kommun", "vanersborg.se", &["Kommunledning"])
        .await;
    app.create_user("admin@vanersborg.se", Role::Admin).await;
    let other_admin = app.new_browser();
    other_admin
        .sign_in("admin@vanersborg.se", "Vera Admin")
        .await;
    // The school's domain belongs to Trollhättan first.
    add_confirmed_domain(&app, &app.browser, "skola.se").await;
    let teacher = app.new_browser();
    teacher.sign_in("tove@skola.se", "Tove Lärare").await;
    let fields = crate::items::chair_fields(&app).await;
    let listing = teacher
        .post_item(&crate::items::as_refs(&fields), Vec::new())
        .await;
    let created = teacher
        .post_form("/profile/tokens", &[("name", "Skolans system")])
        .await;
    assert_eq!(created.status(), 201);
    let secret = Page::from_response(created)
        .await
        .attr("#new-secret", "value");
    let api = |secret: String| {
        let url = app.url("/api/v1/items");
        async move {
            reqwest::Client::new()
                .get(url)
                .bearer_auth(secret)
                .send()
                .await
                .expect("sent")
                .status()
                .as_u16()
        }
    };
    assert_eq!(api(secret.clone()).await, 200);

    // Trollhättan lets the domain go: the open session and the token stop at once.
    let domain_id: i64 = app
        .with_conn(|conn| {
            organisation_domains::table
                .filter(organisation_domains::domain.eq("skola.se"))
                .select(organisation_domains::id)
                .first(conn)
                .expect("domain")
        })
        .await;
    let removed = app
        .browser
        .post_form(&format!("/admin/domains/{domain_id}/delete"), &[])
        .await;
    assert_eq!(removed.status(), 303);
    let mine = teacher.get("/my").await;
    assert_eq!(mine.status(), 303, "signed out");
    assert_eq!(api(secret.clone()).await, 401, "the token too");

    // Vänersborg takes the domain: the teacher signs in there, as a new member.
    add_confirmed_domain(&app, &other_admin, "skola.se").await;
    let link = teacher.request_link("tove@skola.se").await;
    let signed_in = teacher.follow_link(&link).await;
    assert_eq!(signed_in.status(), 303);
    assert!(
        signed_in.headers()["location"]
            .to_str()
            .expect("ascii")
            .starts_with("/welcome"),
        "choose a unit of the new organisation"
    );
    let (organisation, unit, role, listing_organisation) = app
        .with_conn(move |conn| {
            use bruka::db::schema::items;
            let (organisation, unit, role): (i64, Option<i64>, String) = users::table
                .filter(users::email.eq("tove@skola.se"))
                .select((users::organisation_id, users::unit_id, users::role))
                .first(conn)
                .expect("user");
            let listing_organisation: i64 = items::table
                .find(listing)
                .select(items::organisation_id)
                .first(conn)
                .expect("listing");
            (organisation, unit, role, listing_organisation)
        })
        .await;
    assert_eq!(
        (organisation, unit, role.as_str()),
        (second, None, "member")
    );
    assert_eq!(
        listing_organisation, first,
        "the listing stays where it was made"
    );
    assert_eq!(
        api(secret).await,
        401,
        "tokens of the old organisation stay revoked"
    );
    let moves: Vec<(i64, String)> = app
        .with_conn(|conn| {
            use bruka::db::schema::audit_log;
            audit_log::table
                .filter(audit_log::action.like("moved_%"))
                .order(audit_log::id)
                .select((audit_log::organisation_id, audit_log::action))
                .load(conn)
                .expect("audit")
        })
        .await;
    assert_eq!(
        moves,
        [
            (first, "moved_out".to_string()),
            (second, "moved_in".to_string())
        ]
    );
}

/// A domain signs people in only once someone with an address at it has followed the
/// mailed link; public mail services are never accepted.
async fn new_domains_need_proof_and_public_ones_are_refused(backend: Backend) {
    let (app, _) = with_signed_in_admin(backend).await;
    for public in ["gmail.com", "Hotmail.se", "outlook.com"] {
        let refused = app
            .browser
            .post_form(
                "/admin/domains",
                &[
                    ("domain", public),
                    ("proof_address", &format!("a@{public}")),
                ],
            )
            .await;
        assert_eq!(refused.status(), 422, "{public}");
        let text = Page::from_response(refused).await.visible_text();
        assert!(text.contains("allmän e-posttjänst"), "{text}");
    }
    let elsewhere = app
        .browser
        .post_form(
            "/admin/domains",
            &[
                ("domain", "skola.se"),
                ("proof_address", "admin@trollhattan.se"),
            ],
        )
        .await;
    assert_eq!(
        elsewhere.status(),
        422,
        "the proof goes to the domain itself"
    );

    let added = app
        .browser
        .post_form(
            "/admin/domains",
            &[("domain", "skola.se"), ("proof_address", "rektor@skola.se")],
        )
        .await;
    assert_eq!(added.status(), 303);
    assert!(
        app.get_page("/admin")
            .await
            .visible_text()
            .contains("väntar på bekräftelse")
    );
    // Not yet: the same answer as any unknown domain, and no mail.
    let stranger = app.new_browser();
    let asked = stranger
        .post_form("/login", &[("email", "elev@skola.se")])
        .await;
    assert_eq!(asked.status(), 200);
    let mail = app.browser.mailbox.wait_for("rektor@skola.se", 1).await;
    let link = mail[0].link_containing("/domains/confirm/");
    assert!(mail[0].subject().contains("skola.se"));
    let path = link.strip_prefix(&app.url("")).unwrap_or(&link).to_string();
    let forged = format!("{}x", path);
    assert_eq!(stranger.get(&forged).await.status(), 404);
    // Whoever has the mail confirms; no sign-in is needed.
    let page = stranger.get_page(&path).await;
    assert!(page.visible_text().contains("skola.se"));
    assert_eq!(stranger.post_form(&path, &[]).await.status(), 200);
    assert!(
        !app.get_page("/admin")
            .await
            .visible_text()
            .contains("väntar på bekräftelse")
    );
    stranger.sign_in("elev@skola.se", "Elev").await;
    assert!(
        app.browser.mailbox.to("elev@skola.se").len() == 1,
        "only the link after the confirmation arrived"
    );
}

on_both_backends!(
    new_domains_need_proof_and_public_ones_are_refused,
    membership_follows_the_sign_in_domain,
    admin_manages_units_domains_and_roles,
    the_last_admin_cannot_step_down,
    members_and_visitors_cannot_reach_admin,
    another_organisations_ids_are_not_found,
    profile_cannot_join_another_organisations_unit,
);
