//! Networks formed with the pages alone: create, invite by an admin's address, accept or
//! decline, share listings, leave; and the requests that must change nothing.

use bruka::accounts::Role;
use bruka::db::schema::{audit_log, organisations, reuse_records};
use diesel::prelude::*;

use crate::helpers::{Backend, Browser, Page, TestApp, spawn_app};
use crate::on_both_backends;
use crate::reservations::{reservation_id, reserve};

struct Two {
    boras_admin: Browser,
    boras_lister: Browser,
    mark_admin: Browser,
    mark_member: Browser,
}

async fn two_organisations(app: &TestApp) -> Two {
    app.create_organisation("Borås stad", "boras.se", &["Servicekontoret"])
        .await;
    app.create_organisation("Marks kommun", "mark.se", &["Kinna skola"])
        .await;
    let boras_admin = app
        .signed_in_with_role("ada@boras.se", "Ada Admin", Role::Admin)
        .await;
    let boras_lister = app.new_browser();
    boras_lister.sign_in("lo@boras.se", "Lo Lister").await;
    let mark_admin = app
        .signed_in_with_role("kim@mark.se", "Kim Mark", Role::Admin)
        .await;
    let mark_member = app.new_browser();
    mark_member.sign_in("maja@mark.se", "Maja Mark").await;
    Two {
        boras_admin,
        boras_lister,
        mark_admin,
        mark_member,
    }
}

fn location(response: &reqwest::Response) -> String {
    response.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_string()
}

async fn list_shared_table(lister: &Browser, app: &TestApp, visibility: &str) -> i64 {
    let category = app.category_id("mobler/bord").await;
    lister
        .post_item(
            &[
                ("title", "Konferensbord i ek"),
                ("category_id", &category),
                ("condition", "good"),
                ("quantity", "2"),
                ("site", "Stadshuset"),
                ("room", "Plan 4"),
                ("pickup_instructions", "Fråga i receptionen."),
                ("visibility", visibility),
                ("action", "publish"),
            ],
            vec![],
        )
        .await
}

async fn invitation_id(admin: &Browser) -> String {
    let page = admin.get_page("/network").await;
    let action = page.attr("form[action$='/accept']", "action");
    action
        .trim_start_matches("/network/invitations/")
        .trim_end_matches("/accept")
        .to_string()
}

async fn actions(app: &TestApp, organisation: &'static str) -> Vec<String> {
    app.with_conn(move |conn| {
        let id: i64 = organisations::table
            .filter(organisations::name.eq(organisation))
            .select(organisations::id)
            .first(conn)
            .expect("organisation");
        audit_log::table
            .filter(audit_log::organisation_id.eq(id))
            .filter(audit_log::subject.eq("network"))
            .order(audit_log::id)
            .select(audit_log::action)
            .load(conn)
            .expect("audit")
    })
    .await
}

async fn two_organisations_form_a_network_with_the_pages_alone(backend: Backend) {
    let app = spawn_app(backend).await;
    let two = two_organisations(&app).await;

    let created = two
        .boras_admin
        .post_form("/network", &[("name", "Sjuhärad")])
        .await;
    assert_eq!(created.status(), 303);
    assert_eq!(location(&created), "/network?done=created");
    let invited = two
        .boras_admin
        .post_form("/network/invitations", &[("email", "kim@mark.se")])
        .await;
    assert_eq!(location(&invited), "/network?done=invited");
    let mail = two
        .mark_admin
        .mailbox
        .wait_for("kim@mark.se", 2)
        .await
        .into_iter()
        .find(|m| m.subject().contains("Sjuhärad"))
        .expect("invitation mail");
    assert!(mail.subject().contains("Borås stad"), "{}", mail.subject());
    assert!(mail.link_containing("/network").ends_with("/network"));

    // Everyone at Marks kommun sees the invitation; only an admin may answer it.
    let text = two.mark_member.get_page("/network").await.visible_text();
    assert!(text.contains("Ni är inbjudna till Sjuhärad"), "{text}");
    let id = invitation_id(&two.mark_admin).await;
    let by_member = two
        .mark_member
        .post_form(&format!("/network/invitations/{id}/accept"), &[])
        .await;
    assert_eq!(by_member.status(), 403);

    // Before joining, a listing shared with the network is Borås's alone.
    let shared = list_shared_table(&two.boras_lister, &app, "network").await;
    let own_only = list_shared_table(&two.boras_lister, &app, "organisation").await;
    assert_eq!(
        two.mark_member
            .get(&format!("/items/{shared}"))
            .await
            .status(),
        404
    );

    let accepted = two
        .mark_admin
        .post_form(&format!("/network/invitations/{id}/accept"), &[])
        .await;
    assert_eq!(location(&accepted), "/network?done=accepted");
    for browser in [&two.boras_admin, &two.mark_member] {
        let page = browser.get_page("/network").await;
        let members: Vec<String> = page
            .select_all("ul.members li")
            .iter()
            .map(|li| li.text().collect::<String>())
            .collect();
        assert_eq!(members.len(), 2, "{members:?}");
        assert!(members[0].starts_with("Borås stad") && members[1].starts_with("Marks kommun"));
    }

    // Partner listings are seen and reserved by members; organisation-only ones are not.
    assert_eq!(
        two.mark_member
            .get(&format!("/items/{shared}"))
            .await
            .status(),
        200
    );
    assert_eq!(
        two.mark_member
            .get(&format!("/items/{own_only}"))
            .await
            .status(),
        404
    );
    let reservation = reservation_id(&reserve(&two.mark_member, shared, "1").await);

    // Leaving takes effect at once; the reservation across the boundary is still finished.
    let left = two.mark_admin.post_form("/network/leave", &[]).await;
    assert_eq!(location(&left), "/network?done=left");
    assert_eq!(
        two.mark_member
            .get(&format!("/items/{shared}"))
            .await
            .status(),
        404
    );
    let browse = two.mark_member.get_page("/items").await.visible_text();
    assert!(!browse.contains("Konferensbord"), "{browse}");
    let picked_up = two
        .mark_member
        .post_form(&format!("/reservations/{reservation}/picked-up"), &[])
        .await;
    assert_eq!(picked_up.status(), 303);
    let (giving, receiving): (i64, i64) = app
        .with_conn(move |conn| {
            reuse_records::table
                .filter(reuse_records::reservation_id.eq(reservation))
                .select((
                    reuse_records::giving_organisation_id,
                    reuse_records::receiving_organisation_id,
                ))
                .first(conn)
                .expect("ledger row")
        })
        .await;
    assert_ne!(giving, receiving, "recorded across organisations");
    let given = two.boras_admin.get_page("/stats").await.visible_text();
    assert!(
        given.contains("Gett till andra organisationer") && given.contains("Marks kommun"),
        "{given}"
    );
    let received = two.mark_admin.get_page("/stats").await.visible_text();
    assert!(
        received.contains("Borås stad"),
        "what came from the partner: {received}"
    );

    assert_eq!(
        actions(&app, "Borås stad").await,
        [
            "network_created",
            "network_invited",
            "network_joined",
            "network_left"
        ]
    );
    assert_eq!(
        actions(&app, "Marks kommun").await,
        ["network_invited", "network_joined", "network_left"]
    );
    let text = two.mark_admin.get_page("/network").await.visible_text();
    assert!(text.contains("inte med i något nätverk"), "{text}");
}

async fn bad_network_requests_change_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let two = two_organisations(&app).await;
    app.create_organisation("Ulricehamns kommun", "ulricehamn.se", &[])
        .await;
    let third = app
        .signed_in_with_role("uno@ulricehamn.se", "Uno Admin", Role::Admin)
        .await;

    // Not in a network yet: nobody can be invited.
    let early = two
        .boras_admin
        .post_form("/network/invitations", &[("email", "kim@mark.se")])
        .await;
    assert_eq!(early.status(), 409);
    let empty = two
        .boras_admin
        .post_form("/network", &[("name", "  ")])
        .await;
    assert_eq!(empty.status(), 422);
    assert_eq!(
        two.boras_lister
            .post_form("/network", &[("name", "Mitt nätverk")])
            .await
            .status(),
        403,
        "members cannot create"
    );
    assert_eq!(
        two.boras_admin
            .post_raw("/network", &[("name", "Utan token")])
            .await
            .status(),
        403
    );
    two.boras_admin
        .post_form("/network", &[("name", "Sjuhärad")])
        .await;
    let again = two
        .boras_admin
        .post_form("/network", &[("name", "Ett till")])
        .await;
    assert_eq!(again.status(), 409, "one network per organisation");

    for address in [
        "maja@mark.se",
        "nobody@mark.se",
        "ada@boras.se",
        "inte en adress",
    ] {
        let refused = two
            .boras_admin
            .post_form("/network/invitations", &[("email", address)])
            .await;
        assert_eq!(refused.status(), 422, "{address}");
        let text = Page::from_response(refused).await.visible_text();
        assert!(
            text.contains("Ingen administratör i en annan organisation"),
            "{text}"
        );
    }
    two.boras_admin
        .post_form("/network/invitations", &[("email", "kim@mark.se")])
        .await;
    let twice = two
        .boras_admin
        .post_form("/network/invitations", &[("email", "kim@mark.se")])
        .await;
    assert_eq!(twice.status(), 409);

    // Someone else's invitation is not found; a declined one cannot be accepted.
    let id = invitation_id(&two.mark_admin).await;
    let stolen = third
        .post_form(&format!("/network/invitations/{id}/accept"), &[])
        .await;
    assert_eq!(stolen.status(), 404);
    let declined = two
        .mark_admin
        .post_form(&format!("/network/invitations/{id}/decline"), &[])
        .await;
    assert_eq!(location(&declined), "/network?done=declined");
    let late = two
        .mark_admin
        .post_form(&format!("/network/invitations/{id}/accept"), &[])
        .await;
    assert_eq!(late.status(), 404);

    // An organisation in another network must leave it before joining.
    third.post_form("/network", &[("name", "Västra")]).await;
    two.boras_admin
        .post_form("/network/invitations", &[("email", "uno@ulricehamn.se")])
        .await;
    let id = invitation_id(&third).await;
    let busy = third
        .post_form(&format!("/network/invitations/{id}/accept"), &[])
        .await;
    assert_eq!(busy.status(), 409);
    let members: i64 = app
        .with_conn(|conn| {
            organisations::table
                .filter(organisations::network_id.is_not_null())
                .count()
                .get_result(conn)
                .expect("count")
        })
        .await;
    assert_eq!(
        members, 2,
        "Borås in Sjuhärad, Ulricehamn in Västra, Mark in none"
    );
    assert_eq!(
        two.mark_admin
            .post_form("/network/leave", &[])
            .await
            .status(),
        409,
        "not in a network"
    );
}

async fn titles(browser: &Browser, path: &str) -> Vec<String> {
    browser
        .get_page(path)
        .await
        .select_all(".card-title")
        .iter()
        .map(|t| t.text().collect::<String>().trim().to_string())
        .collect()
}

async fn list_titled(lister: &Browser, app: &TestApp, title: &str, visibility: &str) {
    let category = app.category_id("mobler/bord").await;
    lister
        .post_item(
            &[
                ("title", title),
                ("category_id", &category),
                ("condition", "good"),
                ("quantity", "1"),
                ("site", "Stadshuset"),
                ("visibility", visibility),
                ("action", "publish"),
            ],
            vec![],
        )
        .await;
}

/// A member's browse pages hold their own and partners' shared listings in one order,
/// page after page, however they are sorted.
async fn partner_listings_interleave_in_page_order(backend: Backend) {
    let app = spawn_app(backend).await;
    let two = two_organisations(&app).await;
    two.boras_admin
        .post_form("/network", &[("name", "Sjuhärad")])
        .await;
    two.boras_admin
        .post_form("/network/invitations", &[("email", "kim@mark.se")])
        .await;
    let id = invitation_id(&two.mark_admin).await;
    two.mark_admin
        .post_form(&format!("/network/invitations/{id}/accept"), &[])
        .await;
    let mut created = Vec::new();
    for i in 0..15 {
        let borås = format!("Bord {:02} från Borås", 30 - 2 * i);
        let mark = format!("Bord {:02} från Mark", 29 - 2 * i);
        list_titled(&two.boras_lister, &app, &borås, "network").await;
        list_titled(&two.mark_member, &app, &mark, "organisation").await;
        created.push(borås);
        created.push(mark);
    }
    // Not shared: never on Mark's pages.
    list_titled(
        &two.boras_lister,
        &app,
        "Bord internt i Borås",
        "organisation",
    )
    .await;

    let mut newest_first: Vec<String> = created.iter().rev().cloned().collect();
    let mut shown = titles(&two.mark_member, "/items").await;
    shown.extend(titles(&two.mark_member, "/items?page=2").await);
    assert_eq!(shown, newest_first);

    newest_first.sort();
    let mut by_title = titles(&two.mark_member, "/items?sort=title").await;
    by_title.extend(titles(&two.mark_member, "/items?sort=title&page=2").await);
    assert_eq!(by_title, newest_first);
}

on_both_backends!(
    partner_listings_interleave_in_page_order,
    two_organisations_form_a_network_with_the_pages_alone,
    bad_network_requests_change_nothing,
);
