//! The sustainability unit's figures: versions of a category's factor and price, its own
//! subcategories, and factor tables uploaded, previewed and applied.

use bruka::accounts::Role;
use bruka::db::schema::{audit_log, category_versions, reuse_records};
use diesel::prelude::*;

use crate::helpers::{Backend, Browser, TestApp, spawn_app};
use crate::on_both_backends;
use crate::reservations::{lister_and_requester, reservation_id, reserve};

fn today() -> String {
    bruka::i18n::local_date(chrono::Utc::now().naive_utc()).to_string()
}

fn days_from_today(days: i64) -> String {
    (bruka::i18n::local_date(chrono::Utc::now().naive_utc()) + chrono::Duration::days(days))
        .to_string()
}

/// Desks without a price of their own: a handover counts the category's price.
async fn list_desks(app: &TestApp, quantity: u32) -> i64 {
    let category = app.category_id("mobler/skrivbord").await;
    let quantity = quantity.to_string();
    app.browser
        .post_item(
            &[
                ("title", "Skrivbord 160 cm"),
                ("category_id", &category),
                ("condition", "good"),
                ("quantity", &quantity),
                ("site", "Stadshuset"),
                ("room", "Plan 2"),
                ("pickup_instructions", "Ring först."),
                ("action", "publish"),
            ],
            vec![],
        )
        .await
}

/// Reserves one and picks it up; returns the ledger row's factor, price, version text,
/// whether the price was an estimate, and the category version it used.
async fn hand_over_one(
    app: &TestApp,
    requester: &Browser,
    item_id: i64,
) -> (Option<f64>, Option<f64>, String, bool, Option<i64>) {
    let id = reservation_id(&reserve(requester, item_id, "1").await);
    let response = requester
        .post_form(&format!("/reservations/{id}/picked-up"), &[])
        .await;
    assert_eq!(response.status(), 303);
    app.with_conn(move |conn| {
        reuse_records::table
            .filter(reuse_records::reservation_id.eq(id))
            .select((
                reuse_records::factor_kg_co2e,
                reuse_records::new_price_sek,
                reuse_records::factor_version,
                reuse_records::new_price_is_estimate,
                reuse_records::category_version_id,
            ))
            .first(conn)
            .expect("ledger row")
    })
    .await
}

/// The method sheet of the keeper's XLSX export.
async fn method_sheet(keeper: &Browser) -> calamine::Range<calamine::Data> {
    use calamine::Reader;
    let bytes = keeper
        .get("/stats/export.xlsx")
        .await
        .bytes()
        .await
        .expect("xlsx")
        .to_vec();
    let mut workbook = calamine::Xlsx::new(std::io::Cursor::new(bytes)).expect("an XLSX file");
    workbook.worksheet_range("Metod").expect("method sheet")
}

fn count_versions(conn: &mut bruka::db::AnyConnection) -> i64 {
    category_versions::table
        .count()
        .get_result(conn)
        .expect("count")
}

async fn keeper_of_boras(app: &TestApp) -> Browser {
    app.signed_in_with_role("eva@boras.se", "Eva Ek", Role::Sustainability)
        .await
}

fn desk_change(valid_from: &str, central: &str, price: &str) -> Vec<(&'static str, String)> {
    vec![
        ("valid_from", valid_from.to_string()),
        ("factor_basis", "per_item".into()),
        ("factor_low", String::new()),
        ("factor_central", central.to_string()),
        ("factor_high", String::new()),
        ("typical_weight_kg", String::new()),
        ("new_price_sek", price.to_string()),
        (
            "source",
            "Ramavtal Adda möbler 2026, leverantörens EPD".into(),
        ),
        ("source_url", "https://www.adda.se/".into()),
        ("reason", "Nytt ramavtal".into()),
    ]
}

fn fields<'a>(form: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    form.iter().map(|(n, v)| (*n, v.as_str())).collect()
}

async fn a_new_price_and_factor_count_from_the_next_handover(backend: Backend) {
    let app = spawn_app(backend).await;
    let requester = lister_and_requester(&app).await;
    let keeper = keeper_of_boras(&app).await;
    let desks = list_desks(&app, 3).await;
    let desk = app.category_id("mobler/skrivbord").await;

    let before = hand_over_one(&app, &requester, desks).await;
    assert_eq!(before.0, Some(96.0), "the national factor");
    assert_eq!(before.1, Some(5000.0), "the national price estimate");
    assert!(before.3, "a national price is an estimate");

    let response = keeper
        .post_form(
            &format!("/factors/{desk}"),
            &fields(&desk_change(&today(), "110", "2650")),
        )
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        response.headers()["location"],
        format!("/factors/{desk}?saved=1").as_str()
    );
    let page = keeper.get_page(&format!("/factors/{desk}?saved=1")).await;
    let text = page.visible_text();
    assert!(text.contains("Den nya versionen är sparad."), "{text}");
    assert!(text.contains("110 kg CO₂e per styck"), "{text}");
    assert!(text.contains("2 650 kr"), "{text}");
    assert!(text.contains("Ramavtal Adda"), "{text}");
    assert!(text.contains("eva@boras.se"), "who changed it: {text}");
    assert!(text.contains("Nytt ramavtal"), "why: {text}");
    assert!(
        text.contains("ADEME Base Carbone"),
        "the national version stays visible: {text}"
    );

    let after = hand_over_one(&app, &requester, desks).await;
    assert_eq!(after.0, Some(110.0), "the organisation's factor");
    assert_eq!(after.1, Some(2650.0), "the organisation's price");
    assert!(!after.3, "its own price is not an estimate");
    assert!(
        after.2.ends_with(&today()),
        "version names the day: {}",
        after.2
    );
    assert_ne!(after.4, before.4, "the ledger names the version it used");

    // The first row keeps its snapshot.
    let first: (Option<f64>, Option<f64>) = app
        .with_conn(|conn| {
            reuse_records::table
                .order(reuse_records::id)
                .select((reuse_records::factor_kg_co2e, reuse_records::new_price_sek))
                .first(conn)
                .expect("first row")
        })
        .await;
    assert_eq!(first, (Some(96.0), Some(5000.0)));

    let audited: Vec<String> = app
        .with_conn(|conn| {
            audit_log::table
                .filter(audit_log::action.eq("figures_changed"))
                .select(audit_log::detail)
                .load(conn)
                .expect("audit")
        })
        .await;
    assert_eq!(audited.len(), 1);
    assert!(audited[0].contains("2650") && audited[0].contains("Nytt ramavtal"));

    // Another organisation still sees the national figures.
    app.create_organisation("Marks kommun", "mark.se", &["Kinna skola"])
        .await;
    let mark = app.new_browser();
    mark.sign_in("maja@mark.se", "Maja Mark").await;
    let text = mark
        .get_page(&format!("/factors/{desk}"))
        .await
        .visible_text();
    assert!(text.contains("96 kg CO₂e per styck"), "{text}");
    assert!(!text.contains("2 650"), "{text}");
}

async fn bad_figures_are_refused_and_change_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let requester = lister_and_requester(&app).await;
    let keeper = keeper_of_boras(&app).await;
    let desk = app.category_id("mobler/skrivbord").await;
    let path = format!("/factors/{desk}");
    let versions = app.with_conn(count_versions).await;

    let negative = keeper
        .post_form(&path, &fields(&desk_change(&today(), "-1", "")))
        .await;
    assert!(negative.status().is_client_error(), "{}", negative.status());
    let text = crate::helpers::Page::from_response(negative)
        .await
        .visible_text();
    assert!(
        text.contains("Faktorn måste vara ett tal från 0 till 100"),
        "{text}"
    );
    assert!(text.contains("-1"), "what was typed is kept: {text}");

    let mut upside_down = desk_change(&today(), "100", "");
    upside_down[2].1 = "120".into();
    let refused = keeper.post_form(&path, &fields(&upside_down)).await;
    assert!(refused.status().is_client_error());

    let mut no_reason = desk_change(&today(), "100", "");
    no_reason[9].1 = String::new();
    assert!(
        keeper
            .post_form(&path, &fields(&no_reason))
            .await
            .status()
            .is_client_error()
    );

    let huge = keeper
        .post_form(
            &path,
            &fields(&desk_change(&today(), "100", "1000000000000")),
        )
        .await;
    assert!(huge.status().is_client_error());
    assert_eq!(
        app.with_conn(count_versions).await,
        versions,
        "nothing written"
    );

    // A version from next week, then one from today: before the previous, refused.
    let later = keeper
        .post_form(&path, &fields(&desk_change(&days_from_today(7), "100", "")))
        .await;
    assert_eq!(later.status(), 303);
    let earlier = keeper
        .post_form(&path, &fields(&desk_change(&today(), "101", "")))
        .await;
    assert!(earlier.status().is_client_error());
    let text = crate::helpers::Page::from_response(earlier)
        .await
        .visible_text();
    assert!(text.contains("före den senaste versionen"), "{text}");
    assert_eq!(app.with_conn(count_versions).await, versions + 1);

    // A member may not; a form without its token is refused; unknown ids are not found.
    let member = requester
        .post_form(&path, &fields(&desk_change(&days_from_today(8), "100", "")))
        .await;
    assert_eq!(member.status(), 403);
    let forged = keeper
        .post_raw(&path, &fields(&desk_change(&days_from_today(8), "100", "")))
        .await;
    assert_eq!(forged.status(), 403);
    let unknown = keeper
        .post_form(
            "/factors/999999",
            &fields(&desk_change(&days_from_today(8), "1", "")),
        )
        .await;
    assert_eq!(unknown.status(), 404);
    assert_eq!(app.with_conn(count_versions).await, versions + 1);
}

fn subcategory_form(parent: &str) -> Vec<(&'static str, String)> {
    let mut form = vec![
        ("parent_id", parent.to_string()),
        ("name", "Ståbord för möten".to_string()),
    ];
    let mut figures = desk_change(&today(), "70", "4500");
    figures[1].1 = "per_item".into();
    form.extend(figures);
    form
}

async fn a_subcategory_is_picked_only_by_its_organisation(backend: Backend) {
    let app = spawn_app(backend).await;
    lister_and_requester(&app).await;
    let keeper = keeper_of_boras(&app).await;
    let furniture = app.category_id("mobler").await;
    let response = keeper
        .post_form(
            "/factors/subcategories",
            &fields(&subcategory_form(&furniture)),
        )
        .await;
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"]
        .to_str()
        .expect("ascii")
        .to_string();
    let id: i64 = location
        .trim_start_matches("/factors/")
        .split('?')
        .next()
        .and_then(|id| id.parse().ok())
        .expect("new category id");

    let form = app.browser.get_page("/items/new").await.visible_text();
    assert!(
        form.contains("Ståbord för möten – 70 kg CO₂e per styck"),
        "{form}"
    );
    let table = keeper.get_page("/factors").await.visible_text();
    assert!(table.contains("Ståbord för möten"), "{table}");

    // The same name twice is refused.
    let again = keeper
        .post_form(
            "/factors/subcategories",
            &fields(&subcategory_form(&furniture)),
        )
        .await;
    assert!(again.status().is_client_error());
    // A subcategory under a subcategory is refused.
    let chair = app.category_id("mobler/kontorsstol").await;
    let nested = keeper
        .post_form("/factors/subcategories", &fields(&subcategory_form(&chair)))
        .await;
    assert!(nested.status().is_client_error());

    app.create_organisation("Marks kommun", "mark.se", &["Kinna skola"])
        .await;
    let mark = app.new_browser();
    mark.sign_in("maja@mark.se", "Maja Mark").await;
    assert!(
        !mark
            .get_page("/items/new")
            .await
            .visible_text()
            .contains("Ståbord")
    );
    assert!(
        !mark
            .get_page("/factors")
            .await
            .visible_text()
            .contains("Ståbord")
    );
    assert_eq!(mark.get(&format!("/factors/{id}")).await.status(), 404);
    // Another organisation's category id in a listing is refused like an unknown one.
    let refused = mark
        .post_multipart(
            "/items",
            &[
                ("title", "Ståbord"),
                ("category_id", &id.to_string()),
                ("condition", "good"),
                ("quantity", "1"),
                ("site", "Kinna"),
                ("action", "publish"),
            ],
            vec![],
        )
        .await;
    assert!(refused.status().is_client_error(), "{}", refused.status());
    let mark_keeper = app
        .signed_in_with_role("kim@mark.se", "Kim Mark", Role::Admin)
        .await;
    let edit = mark_keeper
        .post_form(
            &format!("/factors/{id}"),
            &fields(&desk_change(&today(), "1", "")),
        )
        .await;
    assert_eq!(edit.status(), 404);
}

const UPLOAD: &str = "category_path;kg_co2e_per_item;kg_co2e_per_item_low;kg_co2e_per_item_high;typical_weight_kg;new_price_sek;source\n\
Möbler/Kontorsstol;72;60;90;12;3900;Ramavtal stolar 2027, EPD medel\n\
Möbler/Skrivbord;96;;;34;5000;ADEME Base Carbone mobilier: 4-seat table 96 kg cradle-to-grave\n";

async fn upload(keeper: &Browser, csv: &str, label: &str) -> reqwest::Response {
    keeper
        .post_multipart(
            "/factors/import",
            &[("valid_from", &today()), ("label", label)],
            vec![("file", "tabell.csv", csv.as_bytes().to_vec(), "text/csv")],
        )
        .await
}

async fn an_uploaded_table_is_previewed_then_applied_once(backend: Backend) {
    let app = spawn_app(backend).await;
    lister_and_requester(&app).await;
    let keeper = keeper_of_boras(&app).await;
    let versions = app.with_conn(count_versions).await;

    let bad = "category_path,kg_co2e_per_item,source\nMöbler/Kontorsstol,-5,x\nPlatt,3,x\nMöbler/Ingen sådan,3,x\n";
    let refused = upload(&keeper, bad, "Fel").await;
    assert_eq!(refused.status(), 422);
    let text = crate::helpers::Page::from_response(refused)
        .await
        .visible_text();
    assert!(text.contains("Rad 2") && text.contains("Rad 3"), "{text}");
    assert!(text.contains("inget har ändrats"), "{text}");
    let unknown = upload(
        &keeper,
        "category_path,kg_co2e_per_item,source\nMöbler/Ingen sådan,3,x\n",
        "Okänd",
    )
    .await;
    assert_eq!(unknown.status(), 422);
    let text = crate::helpers::Page::from_response(unknown)
        .await
        .visible_text();
    assert!(
        text.contains("Rad 2") && text.contains("not a category here"),
        "{text}"
    );
    let not_text = keeper
        .post_multipart(
            "/factors/import",
            &[("valid_from", &today()), ("label", "Bild")],
            vec![(
                "file",
                "bild.png",
                vec![0x89, 0x50, 0xff, 0xfe, 0x00],
                "image/png",
            )],
        )
        .await;
    assert_eq!(not_text.status(), 422);
    assert_eq!(app.with_conn(count_versions).await, versions);

    let preview = upload(&keeper, UPLOAD, "Ramavtal 2027").await;
    assert_eq!(preview.status(), 200);
    let page = crate::helpers::Page::from_response(preview).await;
    let effects: Vec<String> = page
        .select_all("table.preview tbody tr")
        .iter()
        .map(|row| {
            row.value()
                .attr("data-effect")
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    assert_eq!(effects, ["changed", "unchanged"]);
    assert!(
        page.visible_text().contains("1 kategorier ändras"),
        "{}",
        page.visible_text()
    );
    let upload_id = page.attr("input[name=upload_id]", "value");
    assert_eq!(
        app.with_conn(count_versions).await,
        versions,
        "a preview changes nothing"
    );

    let applied = keeper
        .post_form("/factors/import/apply", &[("upload_id", &upload_id)])
        .await;
    assert_eq!(applied.status(), 303);
    assert_eq!(app.with_conn(count_versions).await, versions + 1);
    let again = keeper
        .post_form("/factors/import/apply", &[("upload_id", &upload_id)])
        .await;
    assert_eq!(again.status(), 409, "applied once, whatever is resent");
    assert_eq!(app.with_conn(count_versions).await, versions + 1);

    let chair = app.category_id("mobler/kontorsstol").await;
    let text = keeper
        .get_page(&format!("/factors/{chair}"))
        .await
        .visible_text();
    assert!(
        text.contains("60 kg CO₂e per styck"),
        "the low end is counted: {text}"
    );
    assert!(
        text.contains("mellan 60 och 90 kg CO₂e per styck beroende på källa"),
        "{text}"
    );
    assert!(text.contains("3 900 kr"), "{text}");

    // The same name again is refused before anything is kept.
    let reused = upload(&keeper, UPLOAD, "Ramavtal 2027").await;
    assert_eq!(reused.status(), 409);
    // A member cannot upload.
    let member = app.new_browser();
    member.sign_in("bo@boras.se", "Bo Berg").await;
    assert_eq!(upload(&member, UPLOAD, "Medlem").await.status(), 403);
}

/// A screen's sources disagree (65.9 to 520 kg): the ledger counts the low end, keeps the
/// high end beside it, and the dashboard shows the range.
async fn a_range_counts_its_low_end_and_shows_the_high(backend: Backend) {
    let app = spawn_app(backend).await;
    let requester = lister_and_requester(&app).await;
    let keeper = keeper_of_boras(&app).await;
    let category = app.category_id("it/skarm").await;
    let item = app
        .browser
        .post_item(
            &[
                ("title", "Skärm 24 tum"),
                ("category_id", &category),
                ("condition", "good"),
                ("quantity", "1"),
                ("site", "Stadshuset"),
                ("action", "publish"),
            ],
            vec![],
        )
        .await;
    hand_over_one(&app, &requester, item).await;
    let (co2e, high): (i64, Option<i64>) = app
        .with_conn(|conn| {
            reuse_records::table
                .select((reuse_records::co2e_grams, reuse_records::co2e_grams_high))
                .first(conn)
                .expect("row")
        })
        .await;
    assert_eq!(co2e, 65_900);
    assert_eq!(high, Some(520_000));
    let text = keeper.get_page("/stats").await.visible_text();
    assert!(
        text.contains("Mellan 65,9 och 520 kg CO₂e beroende på källa"),
        "{text}"
    );

    // The method sheet of the export carries the high end beside the counted figure.
    let method = method_sheet(&keeper).await;
    let high_total = method
        .rows()
        .find(|row| row[0] == "kg CO₂e med källornas högsta faktorer")
        .map(|row| row[1].to_string());
    assert_eq!(high_total.as_deref(), Some("520"));
    let factor_row = method
        .rows()
        .find(|row| row[0] == "Skärm")
        .map(|row| (row[2].to_string(), row[6].to_string()));
    assert_eq!(factor_row, Some(("65.9".to_string(), "520".to_string())));
    let json: serde_json::Value = keeper
        .get("/stats/export.json")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(json["totals"]["co2e_grams_high"], 520_000);
    assert_eq!(json["factors"][0]["kg_co2e_high"], "520");
}

/// A small appliance listed without a weight counts 0 kg (its factor is per kg): the
/// dashboard says so and links where to fix it; the exports' method sheet lists it.
async fn handovers_counted_as_zero_are_flagged_with_where_to_fix_them(backend: Backend) {
    let app = spawn_app(backend).await;
    let requester = lister_and_requester(&app).await;
    let keeper = keeper_of_boras(&app).await;
    let category = app.category_id("elektronik/sma-elapparater").await;
    let item = app
        .browser
        .post_item(
            &[
                ("title", "Vattenkokare"),
                ("category_id", &category),
                ("condition", "good"),
                ("quantity", "2"),
                ("site", "Stadshuset"),
                ("action", "publish"),
            ],
            vec![],
        )
        .await;
    hand_over_one(&app, &requester, item).await;
    let page = keeper.get_page("/stats").await;
    let text = page.visible_text();
    assert!(
        text.contains("1 hämtningar räknas som 0 kg CO₂e för att uppgifter saknas"),
        "{text}"
    );
    assert!(
        text.contains("Små elapparater: 1 hämtningar utan vikt"),
        "{text}"
    );
    let links: Vec<String> = page
        .select_all("section.uncounted a")
        .iter()
        .filter_map(|a| a.value().attr("href").map(str::to_string))
        .collect();
    assert_eq!(
        links,
        [format!("/factors/{category}"), format!("/items/{item}")]
    );

    let method = method_sheet(&keeper).await;
    assert!(
        method.rows().any(|row| row[0]
            .to_string()
            .starts_with("Små elapparater: 1 hämtningar utan vikt")),
        "the method sheet lists it"
    );
    let json: serde_json::Value = keeper
        .get("/stats/export.json")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(json["uncounted"][0]["missing"], "weight");
    assert_eq!(json["uncounted"][0]["handovers"], 1);
}

on_both_backends!(
    handovers_counted_as_zero_are_flagged_with_where_to_fix_them,
    a_new_price_and_factor_count_from_the_next_handover,
    bad_figures_are_refused_and_change_nothing,
    a_subcategory_is_picked_only_by_its_organisation,
    an_uploaded_table_is_previewed_then_applied_once,
    a_range_counts_its_low_end_and_shows_the_high,
);
