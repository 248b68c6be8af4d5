//! Reuse-before-you-buy receipts and reported purchases, through the API: a check leaves a
//! signed receipt, a purchase after it says so, purchases while listings were available
//! are "missed reuse" in the statistics, and a procurement token can do only this.

use bruka::accounts::api_tokens::{self, TokenScope};
use bruka::db::schema::{purchases, reuse_checks};
use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, spawn_app};
use crate::json_api::{Client, token_for};
use crate::on_both_backends;
use crate::reservations::{list_chairs, lister_and_requester};

async fn procurement_token(app: &TestApp, email: &'static str) -> String {
    app.with_conn(move |conn| {
        let email = bruka::accounts::Email::parse(email).expect("email");
        let user = bruka::accounts::find_by_email(conn, &email)
            .expect("query")
            .expect("user");
        api_tokens::create(conn, user.id, "Inköpssystemet", TokenScope::Procurement)
            .expect("token")
            .1
    })
    .await
}

async fn purchase_rows(app: &TestApp) -> i64 {
    app.with_conn(|conn| purchases::table.count().get_result(conn).expect("count"))
        .await
}

async fn problem_fields(response: reqwest::Response) -> Vec<String> {
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = response.json().await.expect("problem");
    body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e["field"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

async fn a_check_leaves_a_receipt_and_purchases_show_missed_reuse(backend: Backend) {
    let app = spawn_app(backend).await;
    let _requester = lister_and_requester(&app).await;
    let chair = list_chairs(&app, 4).await;
    app.create_user("inkop@boras.se", bruka::accounts::Role::Sustainability)
        .await;
    let procurement = Client::new(&app, &procurement_token(&app, "inkop@boras.se").await);
    let keeper = Client::new(&app, &token_for(&app, "inkop@boras.se").await);

    // The check: the chairs, and a receipt naming them, signed.
    let response = procurement
        .get("/api/v1/reuse-before-you-buy?category=mobler/kontorsstol&q=stol")
        .await;
    assert_eq!(response.status(), 200);
    let check: Value = response.json().await.expect("json");
    let receipt = &check["receipt"];
    let receipt_id = receipt["id"].as_str().expect("id").to_string();
    assert!(receipt_id.starts_with("rcpt_"), "{receipt_id}");
    assert_eq!(receipt["category"], "mobler/kontorsstol");
    assert_eq!(receipt["query"], "stol");
    assert_eq!(receipt["count"], check["count"]);
    assert_eq!(receipt["matches"][0]["id"], chair);
    assert_eq!(
        receipt["signature"]
            .as_str()
            .expect("jwt")
            .split('.')
            .count(),
        3
    );
    assert!(
        receipt["checked_at"]
            .as_str()
            .expect("time")
            .ends_with("+00:00")
    );
    let stored: Value = procurement
        .get(&format!("/api/v1/receipts/{receipt_id}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(stored["signature_valid"], true);
    assert_eq!(stored["receipt"]["matches"], receipt["matches"]);

    // A purchase after the check: chairs were there, so it is a missed reuse.
    let after_check = json!({
        "category": "mobler/kontorsstol", "quantity": 6, "amount_sek": 21000.5,
        "date": "2026-11-30", "receipt_id": receipt_id, "reference": "PO-2026-118"
    });
    let response = procurement
        .post_once("/api/v1/purchases", "order-118", &after_check)
        .await;
    assert_eq!(response.status(), 201);
    let recorded: Value = response.json().await.expect("json");
    assert_eq!(recorded["preceded_by_check"], true);
    assert_eq!(recorded["reuse_was_available"], true);
    assert_eq!(recorded["available_listings"], check["count"]);
    // The system retries (a lost answer): the same answer, one purchase.
    let retried = procurement
        .post_once("/api/v1/purchases", "order-118", &after_check)
        .await;
    assert_eq!(retried.status(), 201);
    assert_eq!(retried.headers()["idempotent-replayed"], "true");
    assert_eq!(purchase_rows(&app).await, 1);

    // Without a check: screens (none listed) are no missed reuse; chairs are.
    let screens =
        json!({"category": "it/skarm", "quantity": 2, "amount_sek": 4000, "date": "2026-12-01"});
    let recorded: Value = procurement
        .post("/api/v1/purchases", &screens)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(recorded["preceded_by_check"], false);
    assert_eq!(recorded["reuse_was_available"], false);
    let chairs = json!({"category": "mobler/kontorsstol", "quantity": 1, "amount_sek": 3500, "date": "2026-12-02"});
    let recorded: Value = procurement
        .post("/api/v1/purchases", &chairs)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(recorded["reuse_was_available"], true);
    assert_eq!(purchase_rows(&app).await, 3);

    // Bad purchases are refused field by field and change nothing.
    let bad =
        json!({"category": "finns/inte", "quantity": 0, "amount_sek": -5, "date": "2999-01-01"});
    let fields = problem_fields(procurement.post("/api/v1/purchases", &bad).await).await;
    assert_eq!(fields, ["category", "quantity", "amount_sek", "date"]);
    let unknown_receipt = json!({
        "category": "mobler/kontorsstol", "quantity": 1, "amount_sek": 1, "date": "2026-12-01",
        "receipt_id": "rcpt_00000000000000000000000000000000"
    });
    let fields = problem_fields(
        procurement
            .post("/api/v1/purchases", &unknown_receipt)
            .await,
    )
    .await;
    assert_eq!(fields, ["receipt_id"]);
    // Another organisation's receipt is unknown here too.
    app.create_organisation("Marks kommun", "mark.se", &["Kinna skola"])
        .await;
    app.create_user("inkop@mark.se", bruka::accounts::Role::Member)
        .await;
    let mark = Client::new(&app, &procurement_token(&app, "inkop@mark.se").await);
    let foreign = json!({
        "category": "mobler/kontorsstol", "quantity": 1, "amount_sek": 1, "date": "2026-12-01",
        "receipt_id": receipt_id
    });
    let fields = problem_fields(mark.post("/api/v1/purchases", &foreign).await).await;
    assert_eq!(fields, ["receipt_id"]);
    assert_eq!(
        mark.get(&format!("/api/v1/receipts/{receipt_id}"))
            .await
            .status(),
        404
    );
    assert_eq!(purchase_rows(&app).await, 3);

    // A procurement token reaches nothing else.
    assert_eq!(procurement.get("/api/v1/items").await.status(), 403);
    assert_eq!(procurement.get("/api/v1/stats").await.status(), 403);
    assert_eq!(
        procurement
            .get(&format!("/api/v1/items/{chair}"))
            .await
            .status(),
        403
    );

    // The statistics: 3 purchases, one after a check, two missed reuse.
    let stats: Value = keeper
        .get("/api/v1/stats?from=2026-11-01")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(stats["purchases"]["purchases"], 3);
    assert_eq!(stats["purchases"]["checked_first"], 1);
    assert_eq!(stats["purchases"]["amount_ore"], 2_850_050);
    let missed = stats["purchases"]["missed"].as_array().expect("missed");
    assert_eq!(missed.len(), 2);
    assert_eq!(missed[1]["reference"], "PO-2026-118");
    assert_eq!(missed[1]["preceded_by_check"], true);
    let browser = app.new_browser();
    browser.sign_in("inkop@boras.se", "Inga Inköp").await;
    let page = browser.get_page("/stats?from=2026-11-01").await;
    let text = page.visible_text();
    assert!(
        text.contains(
            "3 inköp för 28 500 kr rapporterades; 33 % föregicks av en återbrukskontroll."
        ),
        "{text}"
    );
    assert_eq!(page.select_all("#missed-caption").len(), 1);

    // A receipt changed in the database no longer matches its signature.
    let changed = receipt_id.clone();
    app.with_conn(move |conn| {
        diesel::update(reuse_checks::table.filter(reuse_checks::receipt_id.eq(changed)))
            .set(reuse_checks::query.eq("bord"))
            .execute(conn)
            .expect("changed")
    })
    .await;
    let stored: Value = procurement
        .get(&format!("/api/v1/receipts/{receipt_id}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(stored["signature_valid"], false);

    // The OpenAPI document describes it all.
    let doc: Value = app
        .get("/api/openapi.json")
        .await
        .json()
        .await
        .expect("doc");
    assert!(doc["paths"]["/api/v1/purchases"]["post"].is_object());
    assert!(doc["paths"]["/api/v1/receipts/{id}"]["get"].is_object());
    assert!(doc["components"]["schemas"]["ReceiptJson"].is_object());
}

on_both_backends!(a_check_leaves_a_receipt_and_purchases_show_missed_reuse);
