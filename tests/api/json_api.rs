//! The JSON API under /api/v1 with personal tokens: what a procurement or e-commerce
//! system sees, and that a token never reaches another organisation.

use bruka::db::schema::reuse_records;
use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, spawn_app, spawn_app_with};
use crate::on_both_backends;
use crate::reservations::{list_chairs, lister_and_requester};

/// An API client holding one token.
pub(crate) struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Client {
    pub(crate) fn new(app: &TestApp, token: &str) -> Self {
        Self {
            http: reqwest::Client::new(),
            base: app.url(""),
            token: token.to_string(),
        }
    }

    /// The same token at another instance.
    pub(crate) fn at(&self, base: &str) -> Self {
        Self {
            http: self.http.clone(),
            base: base.to_string(),
            token: self.token.clone(),
        }
    }

    /// A POST with an `Idempotency-Key`, as a client that may retry sends it.
    pub(crate) async fn post_once(&self, path: &str, key: &str, body: &Value) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .header("accept-language", "en")
            .header("idempotency-key", key)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub(crate) async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .header("accept-language", "sv")
            .send()
            .await
            .expect("request")
    }

    pub(crate) async fn post(&self, path: &str, body: &Value) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .header("accept-language", "en")
            .json(body)
            .send()
            .await
            .expect("request")
    }
}

pub(crate) async fn token_for(app: &TestApp, email: &'static str) -> String {
    app.with_conn(move |conn| {
        let email = bruka::accounts::Email::parse(email).expect("email");
        let user = bruka::accounts::find_by_email(conn, &email)
            .expect("query")
            .expect("user");
        bruka::accounts::api_tokens::create(
            conn,
            user.id,
            "test",
            bruka::accounts::api_tokens::TokenScope::Full,
        )
        .expect("token")
        .1
    })
    .await
}

async fn problem(response: reqwest::Response, status: StatusCode) -> Value {
    assert_eq!(response.status(), status);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    response.json().await.expect("problem json")
}

async fn tokens_are_made_on_the_profile_page_and_see_only_their_organisation(backend: Backend) {
    let app = spawn_app(backend).await;
    let requester = lister_and_requester(&app).await;
    let item_id = list_chairs(&app, 3).await;

    // Bo makes a token on his profile page; the secret is shown once.
    let response = requester
        .post_form("/profile/tokens", &[("name", "E-handeln")])
        .await;
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let page = crate::helpers::Page::from_response(response).await;
    let secret = page.attr("#new-secret", "value");
    assert!(secret.starts_with("bruka_"));
    let profile = requester.get_page("/profile").await;
    assert!(
        !profile.visible_text().contains(&secret[20..]),
        "shown once only"
    );
    assert!(profile.visible_text().contains("E-handeln"));
    let response = requester
        .post_form("/profile/tokens", &[("name", " ")])
        .await;
    assert_eq!(response.status(), 422, "a token needs a name");

    let bo = Client::new(&app, &secret);
    let page: Value = bo.get("/api/v1/items").await.json().await.expect("json");
    let ids: Vec<i64> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(ids, [item_id]);
    let item: Value = bo
        .get(&format!("/api/v1/items/{item_id}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(item["title"], "Kontorsstol med armstöd");
    assert_eq!(item["category"]["slug"], "mobler/kontorsstol");
    assert_eq!(item["typical_kg_co2e"], 64.0);

    // Marks kommun's token sees nothing of Borås, and cannot reserve there.
    app.create_organisation("Marks kommun", "mark.se", &["Kinna skola"])
        .await;
    app.create_user("inkop@mark.se", bruka::accounts::Role::Admin)
        .await;
    let mark = Client::new(&app, &token_for(&app, "inkop@mark.se").await);
    let page: Value = mark.get("/api/v1/items").await.json().await.expect("json");
    assert_eq!(page["items"], json!([]));
    let body = problem(
        mark.get(&format!("/api/v1/items/{item_id}")).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(body["code"], "not_found");
    let response = mark
        .post(
            &format!("/api/v1/items/{item_id}/reservations"),
            &json!({"quantity": 1, "would_buy_new": "yes"}),
        )
        .await;
    problem(response, StatusCode::NOT_FOUND).await;
    let alternatives: Value = mark
        .get("/api/v1/reuse-before-you-buy?category=mobler")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(alternatives["available"], false);

    // Bo reserves through the API; Marks kommun cannot look at the reservation.
    let response = bo
        .post(
            &format!("/api/v1/items/{item_id}/reservations"),
            &json!({"quantity": 2, "would_buy_new": "yes", "message": "Hämtas fredag"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let reservation: Value = response.json().await.expect("json");
    let reservation_id = reservation["id"].as_i64().expect("id");
    problem(
        mark.get(&format!("/api/v1/reservations/{reservation_id}"))
            .await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let response = mark
        .post(
            &format!("/api/v1/reservations/{reservation_id}/picked-up"),
            &json!({}),
        )
        .await;
    problem(response, StatusCode::NOT_FOUND).await;
    let stats: Value = mark.get("/api/v1/stats").await.json().await.expect("json");
    assert_eq!(stats["totals"]["handovers"], 0);

    // Without a token, with a forged one, and after revoking: 401, nothing changes.
    let anonymous = reqwest::Client::new()
        .get(app.url("/api/v1/items"))
        .send()
        .await
        .expect("request");
    assert_eq!(
        anonymous.headers()["www-authenticate"],
        "Bearer realm=\"bruka\""
    );
    let body = problem(anonymous, StatusCode::UNAUTHORIZED).await;
    assert_eq!(
        body["detail"],
        "En giltig API-nyckel behövs (Authorization: Bearer …)."
    );
    let forged = Client::new(&app, &format!("bruka_{}", "0".repeat(64)));
    problem(forged.get("/api/v1/items").await, StatusCode::UNAUTHORIZED).await;
    let token_id = profile.attr("form[action$='/revoke']", "action");
    let response = requester.post_raw(&token_id, &[]).await;
    assert_eq!(response.status(), 403, "revoking needs the CSRF token");
    assert_eq!(bo.get("/api/v1/items").await.status(), 200);
    let stranger = app.new_browser();
    stranger.sign_in("miljo@mark.se", "Miljö").await;
    assert_eq!(
        stranger.post_form(&token_id, &[]).await.status(),
        404,
        "another person's token"
    );
    assert_eq!(requester.post_form(&token_id, &[]).await.status(), 303);
    problem(bo.get("/api/v1/items").await, StatusCode::UNAUTHORIZED).await;
    let response = bo
        .post(
            &format!("/api/v1/items/{item_id}/reservations"),
            &json!({"quantity": 1, "would_buy_new": "yes"}),
        )
        .await;
    problem(response, StatusCode::UNAUTHORIZED).await;
}

async fn the_api_posts_reserves_and_confirms_with_the_web_rules(backend: Backend) {
    let app = spawn_app(backend).await;
    let _requester = lister_and_requester(&app).await;
    let anna = Client::new(&app, &token_for(&app, "anna@boras.se").await);
    let bo = Client::new(&app, &token_for(&app, "bo@boras.se").await);

    let listing = json!({
        "title": "Höj- och sänkbart skrivbord",
        "description": "Elektriskt, 160 × 80 cm.",
        "category": "mobler/skrivbord",
        "condition": "good",
        "quantity": 2,
        "site": "Stadshuset",
        "room": "Plan 2",
        "pickup_instructions": "Ring 033-35 70 00."
    });
    let response = anna.post("/api/v1/items", &listing).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let location = response.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_string();
    let item: Value = response.json().await.expect("json");
    let item_id = item["id"].as_i64().expect("id");
    assert_eq!(location, format!("/api/v1/items/{item_id}"));
    assert_eq!(item["status"], "available");
    // The listing is on the web as well.
    let page = app.browser.get_page(&format!("/items/{item_id}")).await;
    assert!(page.visible_text().contains("Höj- och sänkbart skrivbord"));

    // Bad listings: each field named, in the caller's language; nothing stored.
    let mut bad = listing.clone();
    bad["quantity"] = json!(-2);
    bad["category"] = json!("finns/inte");
    bad["title"] = json!("");
    let body = problem(
        anna.post("/api/v1/items", &bad).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().expect("field"))
        .collect();
    for field in ["title", "category_id", "quantity"] {
        assert!(fields.contains(&field), "{field} in {fields:?}");
    }
    // A price of a trillion kronor would be booked as savings: refused, with the limit.
    let mut implausible = listing.clone();
    implausible["new_price_sek"] = json!(1_000_000_000_000.0_f64);
    implausible["weight_kg"] = json!(9_000);
    let body = problem(
        anna.post("/api/v1/items", &implausible).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "weight_kg");
    assert_eq!(
        body["errors"][1]["message"],
        bruka::i18n::Language::English.text("item-error-price-too-high")
    );
    let response = reqwest::Client::new()
        .post(app.url("/api/v1/items"))
        .bearer_auth(&anna.token)
        .header("content-type", "application/json")
        .body("{\"title\": ")
        .send()
        .await
        .expect("request");
    problem(response, StatusCode::BAD_REQUEST).await;
    let page: Value = anna.get("/api/v1/items").await.json().await.expect("json");
    assert_eq!(page["total"], 1, "nothing else was stored");

    // Reserving: too many is a conflict, a bad answer is invalid, then a real one.
    let path = format!("/api/v1/items/{item_id}/reservations");
    let body = problem(
        bo.post(&path, &json!({"quantity": 3, "would_buy_new": "yes"}))
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(body["code"], "none_left");
    problem(
        bo.post(&path, &json!({"quantity": 1, "would_buy_new": "maybe"}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    problem(
        bo.post(&path, &json!({"quantity": 0, "would_buy_new": "yes"}))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let response = bo
        .post(&path, &json!({"quantity": 2, "would_buy_new": "yes"}))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let reservation: Value = response.json().await.expect("json");
    assert_eq!(reservation["site"], "Stadshuset");
    assert_eq!(reservation["lister_email"], "anna@boras.se");
    let id = reservation["id"].as_i64().expect("id");
    let mine: Value = bo
        .get("/api/v1/reservations")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(mine["reservations"][0]["id"], id);
    let confirm = format!("/api/v1/reservations/{id}/picked-up");
    let response = bo.post(&confirm, &json!({})).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = problem(bo.post(&confirm, &json!({})).await, StatusCode::CONFLICT).await;
    assert_eq!(body["code"], "closed");
    let grams: Vec<i64> = app
        .with_conn(|conn| {
            reuse_records::table
                .select(reuse_records::co2e_grams)
                .load(conn)
                .expect("ledger")
        })
        .await;
    assert_eq!(grams, [192_000], "2 × 96 kg CO2e for desks, recorded once");

    // Statistics are for the sustainability unit; members get 403.
    problem(bo.get("/api/v1/stats").await, StatusCode::FORBIDDEN).await;
    app.create_user("hallbarhet@boras.se", bruka::accounts::Role::Sustainability)
        .await;
    let keeper = Client::new(&app, &token_for(&app, "hallbarhet@boras.se").await);
    let stats: Value = keeper
        .get("/api/v1/stats")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(stats["totals"]["co2e_grams"], 192_000);
    assert_eq!(stats["totals"]["items"], 2);
    let body = problem(
        keeper.get("/api/v1/stats?from=igår").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "from");

    // Reuse before you buy: nothing left of the desks now; chairs are there.
    let none: Value = bo
        .get("/api/v1/reuse-before-you-buy?category=mobler/skrivbord")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(none["available"], false);
    let chairs = list_chairs(&app, 4).await;
    let found: Value = bo
        .get("/api/v1/reuse-before-you-buy?q=kontorsstolar")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(found["available"], true);
    assert_eq!(found["items"][0]["id"], chairs);
    problem(
        bo.get("/api/v1/reuse-before-you-buy").await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let body = problem(
        bo.get("/api/v1/reuse-before-you-buy?category=finns/inte")
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "category");
    problem(bo.get("/api/v1/no-such-thing").await, StatusCode::NOT_FOUND).await;
    problem(
        bo.get("/api/v1/items/not-a-number").await,
        StatusCode::NOT_FOUND,
    )
    .await;
    problem(
        bo.get("/api/v1/items?page=many").await,
        StatusCode::BAD_REQUEST,
    )
    .await;
}

async fn the_openapi_document_describes_the_api(backend: Backend) {
    let app = spawn_app(backend).await;
    let document: Value = reqwest::get(app.url("/api/openapi.json"))
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert!(
        document["openapi"]
            .as_str()
            .expect("version")
            .starts_with("3.")
    );
    for path in [
        "/api/v1/items",
        "/api/v1/items/{id}",
        "/api/v1/items/{id}/reservations",
        "/api/v1/reservations",
        "/api/v1/reservations/{id}",
        "/api/v1/reservations/{id}/picked-up",
        "/api/v1/reservations/{id}/more-time",
        "/api/v1/reservations/{id}/deadline",
        "/api/v1/items/{id}/queue",
        "/api/v1/queue",
        "/api/v1/queue/{id}/accept",
        "/api/v1/queue/{id}/leave",
        "/api/v1/stats",
        "/api/v1/reuse-before-you-buy",
    ] {
        assert!(document["paths"][path].is_object(), "{path} documented");
    }
    assert_eq!(
        document["components"]["securitySchemes"]["token"]["scheme"],
        "bearer"
    );
    assert!(document["components"]["schemas"]["Problem"].is_object());

    // Errors are documented as what they are served as, and every POST takes a key.
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("operations") {
            for (status, response) in operation["responses"].as_object().expect("responses") {
                let Some(content) = response["content"].as_object() else {
                    continue;
                };
                if status.starts_with('4') || status.starts_with('5') {
                    assert!(
                        content.contains_key("application/problem+json")
                            && !content.contains_key("application/json"),
                        "{method} {path} {status}: {content:?}"
                    );
                }
            }
            if method == "post" {
                let names: Vec<&str> = operation["parameters"]
                    .as_array()
                    .map(|parameters| {
                        parameters
                            .iter()
                            .filter_map(|p| p["name"].as_str())
                            .collect()
                    })
                    .unwrap_or_default();
                assert!(names.contains(&"idempotency-key"), "{path}: {names:?}");
            }
        }
    }
    // The schemas carry the limits the rules apply.
    let new_item = &document["components"]["schemas"]["NewItem"]["properties"];
    assert_eq!(new_item["title"]["maxLength"], 120);
    assert_eq!(new_item["site"]["maxLength"], 200);
    assert_eq!(
        new_item["new_price_sek"]["maximum"].as_f64(),
        Some(bruka::items::MAX_NEW_PRICE_SEK)
    );
    assert_eq!(
        new_item["weight_kg"]["maximum"].as_f64(),
        Some(bruka::items::MAX_WEIGHT_KG)
    );
    assert_eq!(
        new_item["quantity"]["maximum"].as_i64(),
        Some(i64::from(bruka::items::MAX_QUANTITY))
    );
    let detail = &document["components"]["schemas"]["ApiReservation"]["properties"];
    assert_eq!(detail["created_at"]["format"], "date-time");

    // Timestamps carry their offset, as RFC 3339 and the document say.
    let _requester = lister_and_requester(&app).await;
    let item_id = list_chairs(&app, 2).await;
    let bo = Client::new(&app, &token_for(&app, "bo@boras.se").await);
    let reserved: Value = bo
        .post(
            &format!("/api/v1/items/{item_id}/reservations"),
            &json!({"quantity": 1, "would_buy_new": "yes"}),
        )
        .await
        .json()
        .await
        .expect("json");
    for field in ["created_at", "pickup_deadline"] {
        let text = reserved["reservation"][field]
            .as_str()
            .or(reserved[field].as_str())
            .unwrap_or_else(|| panic!("{field} in {reserved}"));
        assert!(
            chrono::DateTime::parse_from_rfc3339(text).is_ok(),
            "{field}: {text}"
        );
    }
    let item: Value = bo
        .get(&format!("/api/v1/items/{item_id}"))
        .await
        .json()
        .await
        .expect("json");
    let created = item["created_at"].as_str().expect("created_at");
    assert!(
        chrono::DateTime::parse_from_rfc3339(created).is_ok(),
        "{created}"
    );

    // An unknown visibility is refused, not read as "organisation".
    let anna = Client::new(&app, &token_for(&app, "anna@boras.se").await);
    let body = problem(
        anna.post(
            "/api/v1/items",
            &json!({
                "title": "Bokhylla", "category": "mobler/kontorsstol", "condition": "good",
                "quantity": 1, "site": "Stadshuset", "visibility": "everyone"
            }),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "visibility");
}

async fn each_person_has_a_request_limit(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.limits.api_per_minute = crate::helpers::at_least_one(3)
    })
    .await;
    let _requester = lister_and_requester(&app).await;
    let bo = Client::new(&app, &token_for(&app, "bo@boras.se").await);
    let second_token = Client::new(&app, &token_for(&app, "bo@boras.se").await);
    let anna = Client::new(&app, &token_for(&app, "anna@boras.se").await);
    // Counted in the database: a request at the second instance uses up the same minute.
    let other = app.start_another_instance().await;
    assert_eq!(bo.get("/api/v1/items").await.status(), 200);
    assert_eq!(bo.at(&other).get("/api/v1/items").await.status(), 200);
    assert_eq!(second_token.get("/api/v1/items").await.status(), 200);
    assert_eq!(
        bo.at(&other).get("/api/v1/items").await.status(),
        429,
        "the other instance knows"
    );
    let response = bo.get("/api/v1/items").await;
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=20).contains(&retry_after), "{retry_after}");
    let body = problem(response, StatusCode::TOO_MANY_REQUESTS).await;
    assert_eq!(body["code"], "too_many_requests");
    assert_eq!(
        second_token.get("/api/v1/items").await.status(),
        429,
        "the limit is per person, not per token"
    );
    assert_eq!(
        anna.get("/api/v1/items").await.status(),
        200,
        "others go on"
    );
}

/// Twenty requests at once, split over two instances, against a limit of five: exactly
/// five get through, as each counts by a compare-and-swap on the shared bucket.
async fn a_burst_at_two_instances_lets_exactly_the_limit_through(backend: Backend) {
    let app = spawn_app_with(backend, |settings| {
        settings.limits.api_per_minute = crate::helpers::at_least_one(5)
    })
    .await;
    let _requester = lister_and_requester(&app).await;
    let bo = Client::new(&app, &token_for(&app, "bo@boras.se").await);
    let other = bo.at(&app.start_another_instance().await);
    let calls = (0..20).map(|n| {
        let client = if n % 2 == 0 {
            bo.at(&bo.base)
        } else {
            other.at(&other.base)
        };
        async move { client.get("/api/v1/items").await.status().as_u16() }
    });
    let mut statuses = futures_util::future::join_all(calls).await;
    statuses.sort_unstable();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        5,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 429),
        "{statuses:?}"
    );
}

async fn open_reservations(app: &TestApp) -> i64 {
    app.with_conn(|conn| {
        bruka::db::schema::reservations::table
            .count()
            .get_result(conn)
            .expect("count")
    })
    .await
}

/// A client that retries (a timeout, a 5xx, a crash) sends the same Idempotency-Key: the
/// retry gets the first answer and nothing is reserved twice, also when both tries arrive
/// at once at two instances, or when the first answer was lost after the work was done.
async fn a_retry_with_the_same_idempotency_key_gets_the_first_answer(backend: Backend) {
    let app = spawn_app(backend).await;
    let _requester = lister_and_requester(&app).await;
    let item_id = list_chairs(&app, 10).await;
    let bo = Client::new(&app, &token_for(&app, "bo@boras.se").await);
    let path = format!("/api/v1/items/{item_id}/reservations");
    let one = json!({"quantity": 1, "would_buy_new": "yes"});

    let first = bo.post_once(&path, "reserve-7f3a", &one).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let location = first.headers().get("location").cloned();
    let first_body: Value = first.json().await.expect("json");
    let retry = bo.post_once(&path, "reserve-7f3a", &one).await;
    assert_eq!(retry.status(), StatusCode::CREATED);
    assert_eq!(retry.headers()["idempotent-replayed"], "true");
    assert_eq!(retry.headers().get("location").cloned(), location);
    assert_eq!(retry.json::<Value>().await.expect("json"), first_body);
    assert_eq!(open_reservations(&app).await, 1, "reserved once");

    // The same key for something else is a mistake, said so.
    let body = problem(
        bo.post_once(
            &path,
            "reserve-7f3a",
            &json!({"quantity": 2, "would_buy_new": "yes"}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(body["errors"][0]["field"], "Idempotency-Key");
    problem(
        bo.post_once(&path, &"k".repeat(300), &one).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;

    // A refused try changed nothing and keeps nothing: the retry is judged afresh.
    let too_many = json!({"quantity": 50, "would_buy_new": "yes"});
    let refused = bo.post_once(&path, "reserve-too-many", &too_many).await;
    assert!(refused.status().is_client_error(), "{}", refused.status());
    let again = bo.post_once(&path, "reserve-too-many", &too_many).await;
    assert!(again.headers().get("idempotent-replayed").is_none());

    // Both tries at once, at two instances: one reservation.
    let other = bo.at(&app.start_another_instance().await);
    let (a, b) = tokio::join!(
        bo.post_once(&path, "reserve-storm", &one),
        other.post_once(&path, "reserve-storm", &one)
    );
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort_unstable();
    assert!(
        statuses == [201, 201] || statuses == [201, 409],
        "{statuses:?}"
    );
    assert_eq!(open_reservations(&app).await, 2, "one more, not two");

    // The work was done but its answer never kept (the connection went in between): the
    // retry is told so, and does not reserve again.
    let lost = bo.post_once(&path, "reserve-lost", &one).await;
    assert_eq!(lost.status(), StatusCode::CREATED);
    app.with_conn(|conn| {
        use bruka::db::schema::idempotency_keys;
        diesel::update(
            idempotency_keys::table.filter(idempotency_keys::idempotency_key.eq("reserve-lost")),
        )
        .set((
            idempotency_keys::status.eq(None::<i32>),
            idempotency_keys::body.eq(None::<String>),
        ))
        .execute(conn)
        .expect("answer lost")
    })
    .await;
    let body = problem(
        bo.post_once(&path, "reserve-lost", &one).await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(body["code"], "idempotency_done_without_answer");
    assert_eq!(open_reservations(&app).await, 3);

    // Another person's key of the same name is theirs alone.
    let anna = Client::new(&app, &token_for(&app, "anna@boras.se").await);
    let other_item = list_chairs(&app, 2).await;
    let theirs = anna
        .post_once(
            &format!("/api/v1/items/{other_item}/queue"),
            "reserve-7f3a",
            &one,
        )
        .await;
    assert!(theirs.headers().get("idempotent-replayed").is_none());
}

/// Every API error is written in the caller's language, whichever layer refused: the
/// caller's token check, a use case's refusal, a field check, or an unknown endpoint.
async fn errors_are_in_the_callers_language(backend: Backend) {
    use bruka::i18n::Language;
    let app = spawn_app(backend).await;
    let _requester = lister_and_requester(&app).await;
    let item_id = list_chairs(&app, 1).await;
    let token = token_for(&app, "bo@boras.se").await;
    let http = reqwest::Client::new();
    let call = |method: reqwest::Method, path: &str, language: &'static str| {
        http.request(method, app.url(path))
            .bearer_auth(&token)
            .header("accept-language", language)
    };
    for (language, tag) in [
        (Language::NorwegianBokmal, "nb"),
        (Language::English, "en"),
        (Language::Swedish, "sv"),
    ] {
        let missing = problem(
            call(reqwest::Method::GET, "/api/v1/items/999999", tag)
                .send()
                .await
                .expect("request"),
            StatusCode::NOT_FOUND,
        )
        .await;
        assert_eq!(missing["detail"], language.text("api-error-not-found"));
        let unknown = problem(
            call(reqwest::Method::GET, "/api/v1/no-such-thing", tag)
                .send()
                .await
                .expect("request"),
            StatusCode::NOT_FOUND,
        )
        .await;
        assert_eq!(unknown["detail"], language.text("api-error-not-found"));
        let bad = problem(
            call(
                reqwest::Method::POST,
                &format!("/api/v1/items/{item_id}/reservations"),
                tag,
            )
            .json(&json!({"quantity": 0, "would_buy_new": "perhaps"}))
            .send()
            .await
            .expect("request"),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(bad["detail"], language.text("api-error-invalid"));
        assert_eq!(
            bad["errors"][0]["message"],
            language.text("reserve-error-answer")
        );
        let stats = problem(
            call(reqwest::Method::GET, "/api/v1/stats", tag)
                .send()
                .await
                .expect("request"),
            StatusCode::FORBIDDEN,
        )
        .await;
        assert_eq!(stats["detail"], language.text("api-error-forbidden"));
    }
    let reserve_one = || {
        call(
            reqwest::Method::POST,
            &format!("/api/v1/items/{item_id}/reservations"),
            "nb",
        )
        .json(&json!({"quantity": 1, "would_buy_new": "yes"}))
        .send()
    };
    let reserved = reserve_one().await.expect("request");
    assert_eq!(reserved.status(), StatusCode::CREATED);
    let none_left = problem(reserve_one().await.expect("request"), StatusCode::CONFLICT).await;
    assert_eq!(none_left["code"], "none_left");
    assert_eq!(
        none_left["detail"],
        Language::NorwegianBokmal
            .text_with("reserve-error-not-available", &[("available", 0.into())])
    );
}

async fn the_api_picks_up_part_moves_the_deadline_and_queues(backend: Backend) {
    let app = spawn_app(backend).await;
    let _requester = lister_and_requester(&app).await;
    for (email, name) in [("cy@boras.se", "Cy Carlsson"), ("di@boras.se", "Di Dahl")] {
        app.new_browser().sign_in(email, name).await;
    }
    let anna = Client::new(&app, &token_for(&app, "anna@boras.se").await);
    let bo = Client::new(&app, &token_for(&app, "bo@boras.se").await);
    let cy = Client::new(&app, &token_for(&app, "cy@boras.se").await);
    let di = Client::new(&app, &token_for(&app, "di@boras.se").await);
    let item_id = list_chairs(&app, 6).await;
    let response = bo
        .post(
            &format!("/api/v1/items/{item_id}/reservations"),
            &json!({"quantity": 6, "would_buy_new": "yes"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let reservation: Value = response.json().await.expect("json");
    let id = reservation["id"].as_i64().expect("id");

    // The queue: the answer is required, one place each, then an offer when units return.
    let queue = format!("/api/v1/items/{item_id}/queue");
    problem(
        cy.post(&queue, &json!({"quantity": 2})).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    let response = cy
        .post(&queue, &json!({"quantity": 2, "would_buy_new": "no"}))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let place: Value = response.json().await.expect("json");
    assert_eq!(place["status"], "waiting");
    let cy_place = place["id"].as_i64().expect("id");
    let body = problem(
        cy.post(&queue, &json!({"quantity": 1, "would_buy_new": "no"}))
            .await,
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(body["code"], "already_queued");
    let response = di
        .post(&queue, &json!({"quantity": 1, "would_buy_new": "yes"}))
        .await;
    let di_place = response.json::<Value>().await.expect("json")["id"]
        .as_i64()
        .expect("id");
    let leave = format!("/api/v1/queue/{di_place}/leave");
    assert_eq!(
        di.post(&leave, &json!({})).await.status(),
        StatusCode::NO_CONTENT
    );
    problem(di.post(&leave, &json!({})).await, StatusCode::CONFLICT).await;
    let accept = format!("/api/v1/queue/{cy_place}/accept");
    let body = problem(cy.post(&accept, &json!({})).await, StatusCode::CONFLICT).await;
    assert_eq!(body["code"], "offer_gone", "nothing is offered yet");

    // More time: asked by the requester, set by the lister, each only by their side.
    let wanted = (chrono::Utc::now() + chrono::Duration::days(20))
        .date_naive()
        .to_string();
    let more_time = format!("/api/v1/reservations/{id}/more-time");
    let set = format!("/api/v1/reservations/{id}/deadline");
    for until in ["2020-01-01", "2099-01-01"] {
        let body = problem(
            bo.post(&more_time, &json!({"deadline": until})).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(body["errors"][0]["field"], "deadline", "{until}");
    }
    problem(
        bo.post(&more_time, &json!({"deadline": "på fredag"})).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    problem(
        anna.post(&more_time, &json!({"deadline": wanted})).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let response = bo.post(&more_time, &json!({"deadline": wanted})).await;
    assert_eq!(response.status(), StatusCode::OK);
    let asked: Value = response.json().await.expect("json");
    assert!(asked["wanted_deadline"].is_string());
    problem(
        bo.post(&set, &json!({"deadline": wanted})).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    let response = anna.post(&set, &json!({"deadline": wanted})).await;
    assert_eq!(response.status(), StatusCode::OK);
    let moved: Value = response.json().await.expect("json");
    assert_eq!(moved["pickup_deadline"], asked["wanted_deadline"]);
    assert!(moved["wanted_deadline"].is_null());

    // A partial pickup: bad reports change nothing, then 4 of 6 with the rest back.
    let confirm = format!("/api/v1/reservations/{id}/picked-up");
    for report in [
        json!({"quantity": 7, "rest": "back"}),
        json!({"quantity": 0, "rest": "back"}),
        json!({"quantity": 4}),
        json!({"quantity": 4, "rest": "bort"}),
        json!({"quantity": 99_999_999_999_i64, "rest": "back"}),
    ] {
        problem(
            anna.post(&confirm, &report).await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    problem(
        anna.post(
            &confirm,
            &json!({"quantity": 4, "rest": "back", "extra": 1}),
        )
        .await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    let response = anna
        .post(&confirm, &json!({"quantity": 4, "rest": "back"}))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let done: Value = response.json().await.expect("json");
    assert_eq!(
        (done["status"].clone(), done["quantity"].clone()),
        (json!("picked_up"), json!(4))
    );

    // The 2 that went back are offered to Cy, who takes them once.
    let places: Value = cy.get("/api/v1/queue").await.json().await.expect("json");
    assert_eq!(places["places"][0]["status"], "offered");
    assert_eq!(places["places"][0]["offered_quantity"], 2);
    problem(bo.post(&accept, &json!({})).await, StatusCode::NOT_FOUND).await;
    let response = cy.post(&accept, &json!({})).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let taken: Value = response.json().await.expect("json");
    assert_eq!(taken["quantity"], 2);
    problem(cy.post(&accept, &json!({})).await, StatusCode::CONFLICT).await;
    let empty: Value = cy.get("/api/v1/queue").await.json().await.expect("json");
    assert_eq!(empty["places"], json!([]));
    let rest = taken["id"].as_i64().expect("id");
    let response = cy
        .http
        .post(app.url(&format!("/api/v1/reservations/{rest}/picked-up")))
        .bearer_auth(&cy.token)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::OK, "no body: all of it");
    assert_eq!(crate::flexible::ledger_quantities(&app).await, [4, 2]);
}

on_both_backends!(
    the_api_picks_up_part_moves_the_deadline_and_queues,
    errors_are_in_the_callers_language,
    tokens_are_made_on_the_profile_page_and_see_only_their_organisation,
    the_api_posts_reserves_and_confirms_with_the_web_rules,
    the_openapi_document_describes_the_api,
    each_person_has_a_request_limit,
    a_burst_at_two_instances_lets_exactly_the_limit_through,
    a_retry_with_the_same_idempotency_key_gets_the_first_answer,
);
