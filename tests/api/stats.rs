//! The sustainability dashboard, its exports and the public summary: every figure shown or
//! exported must be the sum of the organisation's ledger rows.

use std::io::Cursor;

use bruka::db::schema::{organisations, reuse_records, units};
use bruka::i18n::{Language, format_decimal, local_time};
use bruka::ids::{ItemId, OrganisationId, ReservationId, UnitId};
use bruka::ledger::{HandoverFacts, ReuseRecord, savings::Method, savings::WouldBuyNew};
use calamine::{Data, Reader};
use chrono::NaiveDate;
use diesel::prelude::*;

use crate::helpers::{Backend, Browser, TestApp, spawn_app};
use crate::on_both_backends;
use crate::reservations::{list_chairs, lister_and_requester, reservation_id, reserve};

const HISTORY: usize = 48;

/// A ledger with history: 48 past handovers between Borås's two units over two years in
/// three categories, one real pickup today, one handover Borås gave to Marks kommun, and
/// one Marks kommun received from itself (neither of the last two is Borås's saving).
pub(crate) async fn ledger_with_history(app: &TestApp) -> (Browser, i64, i64) {
    let requester = lister_and_requester(app).await;
    let item_id = list_chairs(app, 3).await;
    let id = reservation_id(&reserve(&requester, item_id, "2").await);
    let response = requester
        .post_form(&format!("/reservations/{id}/picked-up"), &[])
        .await;
    assert_eq!(response.status(), 303);
    let mark = app
        .create_organisation("Marks kommun", "mark.se", &["Kinna skola"])
        .await;
    app.with_conn(move |conn| {
        let boras: i64 = organisations::table
            .filter(organisations::name.eq("Borås stad"))
            .select(organisations::id)
            .first(conn)
            .expect("Borås");
        let unit_rows: Vec<(UnitId, String)> = units::table
            .filter(units::organisation_id.eq(boras))
            .order(units::name)
            .select((units::id, units::name))
            .load(conn)
            .expect("units");
        let all = bruka::categories::list_all(conn).expect("categories");
        let pick = |slug: &str| {
            all.iter()
                .find(|c| c.slug == slug)
                .cloned()
                .expect("seeded category")
        };
        let categories = [
            pick("mobler/kontorsstol"),
            pick("mobler/skrivbord"),
            pick("it/skarm"),
        ];
        let start = NaiveDate::from_ymd_opt(2025, 1, 10)
            .and_then(|d| d.and_hms_opt(11, 0, 0))
            .expect("date");
        let method = Method::default();
        for i in 0..HISTORY {
            let category = &categories[i % 3];
            let at = start + chrono::Duration::days(13 * i as i64);
            let figures = bruka::categories::versions::load_for(conn, category.id)
                .expect("versions")
                .figures(category, OrganisationId(boras), at.date());
            let (from, to) = if i % 2 == 0 {
                (&unit_rows[0], &unit_rows[1])
            } else {
                (&unit_rows[1], &unit_rows[0])
            };
            let facts = HandoverFacts {
                measured: &Default::default(),
                reservation_id: ReservationId(0),
                item_id: ItemId(item_id),
                item_title: "Historisk sak",
                giving_organisation_id: OrganisationId(boras),
                receiving_organisation_id: OrganisationId(boras),
                from_unit: Some(from.clone()),
                to_unit: Some(to.clone()),
                category,
                figures: &figures,
                quantity: 1 + (i % 3) as i32,
                weight_kg: None,
                new_price_sek: None,
                answer: WouldBuyNew::ALL[i % 3],
                recorded_by: None,
            };
            past_handover(conn, &facts, &method, at);
        }
        for (giving, receiving) in [(boras, mark), (mark, mark)] {
            let figures = bruka::categories::versions::load_for(conn, categories[0].id)
                .expect("versions")
                .figures(&categories[0], OrganisationId(receiving), start.date());
            let facts = HandoverFacts {
                measured: &Default::default(),
                reservation_id: ReservationId(0),
                item_id: ItemId(item_id),
                item_title: "Till grannen",
                giving_organisation_id: OrganisationId(giving),
                receiving_organisation_id: OrganisationId(receiving),
                from_unit: None,
                to_unit: None,
                category: &categories[0],
                figures: &figures,
                quantity: 5,
                weight_kg: None,
                new_price_sek: None,
                answer: WouldBuyNew::Yes,
                recorded_by: None,
            };
            past_handover(conn, &facts, &method, start);
        }
    })
    .await;
    let keeper = app
        .signed_in_with_role(
            "hallbarhet@boras.se",
            "Hållbarhetsenheten",
            bruka::accounts::Role::Sustainability,
        )
        .await;
    // A correction: one past handover reversed through the ledger page.
    let first_past: i64 = app
        .with_conn(|conn| {
            reuse_records::table
                .filter(reuse_records::note.eq("test"))
                .order(reuse_records::id)
                .select(reuse_records::id)
                .first(conn)
                .expect("a past record")
        })
        .await;
    let response = keeper
        .post_form(
            &format!("/ledger/{first_past}/reverse"),
            &[("note", "Dubbelregistrerad")],
        )
        .await;
    assert_eq!(response.status(), 303);
    let (boras, grundskolan) = app
        .with_conn(|conn| {
            let boras: i64 = organisations::table
                .filter(organisations::name.eq("Borås stad"))
                .select(organisations::id)
                .first(conn)
                .expect("Borås");
            let unit: i64 = units::table
                .filter(units::name.eq("Grundskolan"))
                .select(units::id)
                .first(conn)
                .expect("unit");
            (boras, unit)
        })
        .await;
    (keeper, boras, grundskolan)
}

/// Writes a past handover (note "test") into the receiving organisation's chain.
fn past_handover(
    conn: &mut bruka::db::AnyConnection,
    facts: &HandoverFacts<'_>,
    method: &Method,
    at: chrono::NaiveDateTime,
) {
    let mut chain =
        bruka::ledger::chain::Appender::open(conn, facts.receiving_organisation_id).expect("chain");
    bruka::ledger::record_past_handover(conn, &mut chain, facts, method, at, "test")
        .expect("past handover");
    chain.close(conn).expect("chain head");
}

/// The organisation's chain head as stored.
pub(crate) async fn chain_head(app: &TestApp, organisation: i64) -> bruka::ledger::chain::Link {
    app.with_conn(move |conn| {
        bruka::ledger::chain::head(conn, OrganisationId(organisation))
            .expect("head")
            .expect("a chain")
    })
    .await
}

async fn received_by(app: &TestApp, organisation_id: i64) -> Vec<ReuseRecord> {
    app.with_conn(move |conn| {
        reuse_records::table
            .filter(reuse_records::receiving_organisation_id.eq(organisation_id))
            .select(ReuseRecord::as_select())
            .load(conn)
            .expect("records")
    })
    .await
}

/// Items, kg CO2e, kronor and kg material as the Swedish page writes them.
fn written_totals(records: &[&ReuseRecord]) -> [String; 4] {
    let sv = |value: f64, digits| {
        format_decimal(Language::Swedish, value, digits).replace('\u{202f}', " ")
    };
    [
        sv(records.iter().map(|r| f64::from(r.quantity)).sum(), 0),
        sv(
            records.iter().map(|r| r.co2e_grams.0).sum::<i64>() as f64 / 1000.0,
            1,
        ),
        sv(
            records.iter().map(|r| r.money_saved_ore.0).sum::<i64>() as f64 / 100.0,
            0,
        ),
        sv(
            records.iter().map(|r| r.material_grams.0).sum::<i64>() as f64 / 1000.0,
            1,
        ),
    ]
}

fn shown_totals(page: &crate::helpers::Page) -> Vec<String> {
    page.select_all("dl.totals dd")
        .iter()
        .map(|dd| {
            dd.text()
                .collect::<String>()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

async fn the_dashboard_shows_the_sum_of_the_ledger(backend: Backend) {
    let app = spawn_app(backend).await;
    let (keeper, boras, grundskolan) = ledger_with_history(&app).await;
    let records = received_by(&app, boras).await;
    assert_eq!(
        records.len(),
        HISTORY + 2,
        "history, today's pickup, reversal"
    );

    let page = keeper.get_page("/stats").await;
    let all: Vec<&ReuseRecord> = records.iter().collect();
    assert_eq!(shown_totals(&page), written_totals(&all));
    let text = page.visible_text();
    assert!(
        text.contains("Antal hämtningar: 48."),
        "49 handovers, one reversed: {text}"
    );
    assert!(
        text.contains("Dessutom gav ni 5 saker till andra organisationer"),
        "what Borås gave to Marks kommun is shown apart: {text}"
    );
    // Months from January 2025 to today, each a table row, summing to the total.
    let month_rows = page.select_all("section[aria-labelledby=months-title] tbody tr");
    assert!(month_rows.len() >= 23, "{} months", month_rows.len());
    let chart = page.one("section[aria-labelledby=months-title] svg");
    assert_eq!(chart.value().attr("role"), Some("img"));
    assert_eq!(
        page.select_all("section[aria-labelledby=months-title] svg rect")
            .len(),
        month_rows.len()
    );
    assert!(page.text_of("#chart-months-desc").starts_with("Störst:"));
    let category_rows = page.select_all("section[aria-labelledby=categories-title] tbody tr");
    assert_eq!(category_rows.len(), 3);

    // The database's own sums (used where no breakdown is needed) agree, reversal included.
    let summed = app
        .with_conn(move |conn| {
            let scope = bruka::stats::Scope {
                organisation_id: OrganisationId(boras),
                side: bruka::stats::Side::Received,
                filter: bruka::stats::Filter::default(),
            };
            bruka::stats::totals(conn, &scope).expect("totals")
        })
        .await;
    assert_eq!(summed.handovers, 48);
    assert_eq!(
        summed.co2e_grams.0,
        records.iter().map(|r| r.co2e_grams.0).sum::<i64>()
    );
    assert_eq!(
        summed.items,
        records.iter().map(|r| i64::from(r.quantity)).sum::<i64>()
    );

    // A period and a unit: the figures are those of the matching rows only.
    let query = format!("/stats?from=2025-03-01&to=2025-08-31&unit={grundskolan}");
    let page = keeper.get_page(&query).await;
    let chosen: Vec<&ReuseRecord> = records
        .iter()
        .filter(|r| {
            let day = &local_time(r.recorded_at)[..10];
            ("2025-03-01"..="2025-08-31").contains(&day)
                && (r.from_unit_id == Some(UnitId(grundskolan))
                    || r.to_unit_id == Some(UnitId(grundskolan)))
        })
        .collect();
    assert!(chosen.len() > 5 && chosen.len() < HISTORY / 2);
    assert_eq!(shown_totals(&page), written_totals(&chosen));
    assert_eq!(
        page.select_all("section[aria-labelledby=months-title] tbody tr")
            .len(),
        6,
        "March to August"
    );

    // Bad filters are explained and nothing is summed.
    for (query, message) in [
        ("/stats?from=2025-13-01", "Skriv datumet som ÅÅÅÅ-MM-DD."),
        (
            "/stats?from=2025-06-01&to=2025-05-01",
            "Slutdatumet ligger före startdatumet.",
        ),
        (
            "/stats?unit=999999",
            "Enheten finns inte i din organisation.",
        ),
        ("/stats?category=finns-inte", "Kategorin finns inte."),
    ] {
        let response = keeper.get(query).await;
        assert_eq!(response.status(), 400, "{query}");
        let page = crate::helpers::Page::from_response(response).await;
        assert!(page.visible_text().contains(message), "{query}");
        assert!(page.select_all("dl.totals").is_empty());
    }
    // Another organisation's unit is not a choice either.
    let kinna: i64 = app
        .with_conn(|conn| {
            units::table
                .filter(units::name.eq("Kinna skola"))
                .select(units::id)
                .first(conn)
                .expect("unit")
        })
        .await;
    assert_eq!(
        keeper.get(&format!("/stats?unit={kinna}")).await.status(),
        400
    );

    let member = app.new_browser();
    member.sign_in("bo@boras.se", "Bo Berg").await;
    assert_eq!(member.get("/stats").await.status(), 403);
    assert_eq!(member.get("/stats/export.csv").await.status(), 403);
}

fn decimal(raw: &str) -> f64 {
    raw.replace(',', ".").parse().expect("a number")
}

async fn exports_hold_the_same_rows_and_open(backend: Backend) {
    let app = spawn_app(backend).await;
    let (keeper, boras, _) = ledger_with_history(&app).await;
    let records = received_by(&app, boras).await;
    let grams: i64 = records.iter().map(|r| r.co2e_grams.0).sum();
    let ore: i64 = records.iter().map(|r| r.money_saved_ore.0).sum();

    // CSV as Swedish Excel reads it: BOM, ';' between fields, decimal comma.
    let response = keeper.get("/stats/export.csv").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .expect("ascii")
            .starts_with("attachment; filename=\"bruka-boras-stad-")
    );
    let body = response.bytes().await.expect("csv");
    assert!(body.starts_with("\u{feff}".as_bytes()));
    // The last line is the chain head, not a record (it has fewer fields).
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .flexible(true)
        .from_reader(&body[3..]);
    let headers = reader.headers().expect("headers").clone();
    let co2e_column = headers
        .iter()
        .position(|h| h == "kg CO₂e undvikna")
        .expect("kg CO2e column");
    let source_column = headers.iter().position(|h| h == "Källa").expect("source");
    let mut rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    let trailer = rows.pop().expect("the chain head line");
    assert_eq!(&trailer[0], bruka::stats::export::CSV_TRAILER);
    assert_eq!(
        trailer[3].parse::<usize>().expect("row count"),
        records.len()
    );
    assert_eq!(rows.len(), records.len());
    let csv_kg: f64 = rows.iter().map(|r| decimal(&r[co2e_column])).sum();
    assert!((csv_kg - grams as f64 / 1000.0).abs() < 0.01, "{csv_kg}");
    assert!(rows.iter().all(|r| !r[source_column].is_empty()));

    // XLSX: a data sheet with every row and a method sheet with each factor's source.
    let response = keeper.get("/stats/export.xlsx?category=mobler").await;
    assert_eq!(response.status(), 200);
    let bytes = response.bytes().await.expect("xlsx").to_vec();
    let mut workbook = calamine::Xlsx::new(Cursor::new(bytes)).expect("an XLSX file");
    assert_eq!(workbook.sheet_names(), ["Sammanfattning", "Data", "Metod"]);
    let summary = workbook
        .worksheet_range("Sammanfattning")
        .expect("summary sheet");
    let value_of = |label: &str| -> Data {
        summary
            .rows()
            .find(|row| row[0] == label)
            .map(|row| row[1].clone())
            .unwrap_or_else(|| panic!("{label} on the summary sheet"))
    };
    let furniture_grams: i64 = records
        .iter()
        .filter(|r| r.category_name != "Skärm")
        .map(|r| r.co2e_grams.0)
        .sum();
    match value_of("kg CO₂e undvikna") {
        Data::Float(kg) => assert!((kg - furniture_grams as f64 / 1000.0).abs() < 0.001),
        other => panic!("a number, not {other:?}"),
    }
    assert!(matches!(value_of("Exporterad"), Data::DateTime(_)));
    let head = chain_head(&app, boras).await;
    assert_eq!(
        value_of("Kedjans huvud, kontrollsumma (SHA-256)").to_string(),
        head.hash
    );
    assert!(
        summary.rows().any(|row| row[0] == "Kontorsstol"),
        "the sums per category"
    );
    let data = workbook.worksheet_range("Data").expect("data sheet");
    let header: Vec<String> = data
        .rows()
        .next()
        .expect("header")
        .iter()
        .map(|c| c.to_string())
        .collect();
    let category_column = header
        .iter()
        .position(|h| h == "Kategori")
        .expect("category");
    let co2e_column = header
        .iter()
        .position(|h| h == "kg CO₂e undvikna")
        .expect("kg");
    let time_column = header
        .iter()
        .position(|h| h == "Registrerad")
        .expect("time column");
    assert!(
        data.rows()
            .skip(1)
            .all(|row| matches!(row[time_column], Data::DateTime(_))),
        "times are date cells"
    );
    let furniture: Vec<&ReuseRecord> = records
        .iter()
        .filter(|r| r.category_name != "Skärm")
        .collect();
    assert_eq!(data.rows().count() - 1, furniture.len());
    let xlsx_kg: f64 = data
        .rows()
        .skip(1)
        .map(|row| match &row[co2e_column] {
            Data::Float(kg) => *kg,
            other => panic!("a number, not {other:?}"),
        })
        .sum();
    let furniture_kg = furniture.iter().map(|r| r.co2e_grams.0).sum::<i64>() as f64 / 1000.0;
    assert!((xlsx_kg - furniture_kg).abs() < 0.01);
    assert!(
        data.rows()
            .skip(1)
            .all(|row| row[category_column] != "Skärm")
    );
    let method = workbook.worksheet_range("Metod").expect("method sheet");
    let method_text: Vec<String> = method
        .rows()
        .flat_map(|row| row.iter().map(|c| c.to_string()))
        .collect();
    assert!(
        method_text
            .iter()
            .any(|t| t.starts_with("Undvikna utsläpp = D ×"))
    );
    let chair_source = records
        .iter()
        .find(|r| r.category_name == "Kontorsstol")
        .map(|r| r.factor_source.clone())
        .expect("a chair");
    assert!(
        method_text.contains(&chair_source),
        "the factor's source is listed"
    );

    // JSON: the rows, the exact totals and the method.
    let json: serde_json::Value = keeper
        .get("/stats/export.json")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        json["records"].as_array().expect("records").len(),
        records.len()
    );
    assert_eq!(json["totals"]["co2e_grams"], grams);
    assert_eq!(json["totals"]["money_ore"], ore);
    assert_eq!(json["organisation"], "Borås stad");
    assert!(!json["factors"].as_array().expect("factors").is_empty());

    // English: comma-separated with decimal points.
    keeper.set_cookie("bruka_lang", "en");
    let body = keeper
        .get("/stats/export.csv")
        .await
        .text()
        .await
        .expect("csv");
    let mut reader = csv::Reader::from_reader(body.trim_start_matches('\u{feff}').as_bytes());
    assert!(
        reader
            .headers()
            .expect("headers")
            .iter()
            .any(|h| h == "kg CO₂e avoided")
    );

    assert_eq!(keeper.get("/stats/export.pdf").await.status(), 404);
    let response = keeper.get("/stats/export.csv?from=igår").await;
    assert_eq!(
        response.status(),
        303,
        "back to the dashboard, which explains"
    );
}

async fn the_public_summary_is_opt_in(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_keeper, boras, _) = ledger_with_history(&app).await;
    let records = received_by(&app, boras).await;
    let slug: String = app
        .with_conn(move |conn| {
            organisations::table
                .find(boras)
                .select(organisations::slug)
                .first(conn)
                .expect("slug")
        })
        .await;
    let anonymous = app.new_browser();
    let path = format!("/public/{slug}");
    assert_eq!(
        anonymous.get(&path).await.status(),
        404,
        "not published yet"
    );
    assert_eq!(anonymous.get(&format!("{path}.json")).await.status(), 404);

    app.create_user("admin@boras.se", bruka::accounts::Role::Admin)
        .await;
    let admin = app.new_browser();
    admin.sign_in("admin@boras.se", "Admin").await;
    let response = admin
        .post_raw("/admin/public-summary", &[("publish", "1")])
        .await;
    assert_eq!(response.status(), 403, "no CSRF token");
    assert_eq!(anonymous.get(&path).await.status(), 404);
    let response = admin
        .post_form("/admin/public-summary", &[("publish", "1")])
        .await;
    assert_eq!(response.status(), 303);

    let json: serde_json::Value = anonymous
        .get(&format!("{path}.json"))
        .await
        .json()
        .await
        .expect("json");
    let grams: i64 = records.iter().map(|r| r.co2e_grams.0).sum();
    assert_eq!(json["totals"]["co2e_grams"], grams);
    assert_eq!(json["organisation"], "Borås stad");
    let years: i64 = json["by_year"]
        .as_array()
        .expect("years")
        .iter()
        .map(|y| y["totals"]["co2e_grams"].as_i64().expect("grams"))
        .sum();
    assert_eq!(years, grams, "the years add up to the total");
    let page = anonymous.get_page(&path).await;
    let all: Vec<&ReuseRecord> = records.iter().collect();
    assert_eq!(shown_totals(&page), written_totals(&all));
    assert!(
        !page.visible_text().contains("Grundskolan"),
        "no unit names in public"
    );

    // Each reader gets the method in their own language, also right after another
    // reader's visit filled the cache.
    let method_of = |json: serde_json::Value| -> String {
        json["method"][0].as_str().expect("method line").to_string()
    };
    let english = anonymous
        .get_in_language(&format!("{path}.json"), "en")
        .await
        .json()
        .await
        .expect("json");
    let bokmal = anonymous
        .get_in_language(&format!("{path}.json"), "nb")
        .await
        .json()
        .await
        .expect("json");
    let swedish = method_of(json.clone());
    assert_eq!(
        method_of(english),
        bruka::i18n::Language::English.text("stats-method-formula")
    );
    assert_eq!(
        method_of(bokmal),
        bruka::i18n::Language::NorwegianBokmal.text("stats-method-formula")
    );
    assert_eq!(
        swedish,
        bruka::i18n::Language::Swedish.text("stats-method-formula")
    );
    assert_ne!(
        bruka::i18n::Language::English.text("stats-method-formula"),
        swedish
    );

    let response = admin.post_form("/admin/public-summary", &[]).await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        anonymous.get(&path).await.status(),
        404,
        "withdrawn at once"
    );
}

/// A title a spreadsheet would run as a formula is exported as text everywhere.
async fn exported_titles_never_become_formulas(backend: Backend) {
    let app = spawn_app(backend).await;
    let requester = lister_and_requester(&app).await;
    let category = app.category_id("mobler/kontorsstol").await;
    let title = "=HYPERLINK(\"http://example.com/x\";\"Klicka\")";
    let item_id = app
        .browser
        .post_item(
            &[
                ("title", title),
                ("category_id", &category),
                ("condition", "good"),
                ("quantity", "1"),
                ("site", "Stadshuset"),
                ("action", "publish"),
            ],
            vec![],
        )
        .await;
    let id = reservation_id(&reserve(&requester, item_id, "1").await);
    let response = requester
        .post_form(&format!("/reservations/{id}/picked-up"), &[])
        .await;
    assert_eq!(response.status(), 303);
    let keeper = app
        .signed_in_with_role(
            "hallbarhet@boras.se",
            "Hållbarhetsenheten",
            bruka::accounts::Role::Sustainability,
        )
        .await;

    // CSV: the title starts with a quote, so Excel shows it instead of running it.
    let body = keeper
        .get("/stats/export.csv")
        .await
        .bytes()
        .await
        .expect("csv");
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_reader(&body[3..]);
    let headers = reader.headers().expect("headers").clone();
    let column = headers
        .iter()
        .position(|h| h == "Sak")
        .expect("title column");
    let row = reader.records().next().expect("a row").expect("row");
    assert_eq!(&row[column], format!("'{title}"));

    // XLSX: a text cell, no formula; JSON: the title as typed.
    let bytes = keeper
        .get("/stats/export.xlsx")
        .await
        .bytes()
        .await
        .expect("xlsx");
    let mut workbook = calamine::Xlsx::new(Cursor::new(bytes.to_vec())).expect("xlsx");
    let data = workbook.worksheet_range("Data").expect("data");
    assert!(
        data.rows()
            .skip(1)
            .any(|row| row.contains(&Data::String(title.into())))
    );
    let formulas = workbook.worksheet_formula("Data").expect("formulas");
    assert!(
        formulas.used_cells().all(|(_, _, f)| f.is_empty()),
        "no formula"
    );
    let json: serde_json::Value = keeper
        .get("/stats/export.json")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(json["records"][0]["item_title"], title);
}

/// A quarter chosen from the period list: its totals, and beside them the quarter before
/// and the same quarter a year earlier, each the sum of its ledger rows.
async fn a_quarter_is_compared_with_the_one_before_and_a_year_earlier(backend: Backend) {
    let app = spawn_app(backend).await;
    let (keeper, boras, _) = ledger_with_history(&app).await;
    let records = received_by(&app, boras).await;
    let within = |from: (i32, u32, u32), to: (i32, u32, u32)| -> Vec<&ReuseRecord> {
        let day = |(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).expect("date");
        records
            .iter()
            .filter(|r| {
                let on = bruka::i18n::local_date(r.recorded_at);
                on >= day(from) && on <= day(to)
            })
            .collect()
    };
    let page = keeper.get_page("/stats?period=q2026-2").await;
    let now = within((2026, 4, 1), (2026, 6, 30));
    assert!(!now.is_empty());
    assert_eq!(shown_totals(&page), written_totals(&now));
    assert!(page.visible_text().contains("Kvartal 2 2026"));
    assert_eq!(
        page.attr("#period option[selected]", "value"),
        "q2026-2",
        "the picker keeps the choice"
    );
    let table = page.one("table.comparison");
    let headings: Vec<String> = table
        .select(&scraper::Selector::parse("thead th").expect("css"))
        .map(|th| th.text().collect::<String>())
        .collect();
    assert_eq!(
        headings,
        [
            "Mått",
            "Kvartal 2 2026",
            "Perioden före (Kvartal 1 2026)",
            "Förändring",
            "Ett år tidigare (Kvartal 2 2025)",
            "Förändring"
        ]
    );
    let kg =
        |rows: &[&ReuseRecord]| rows.iter().map(|r| r.co2e_grams.0).sum::<i64>() as f64 / 1000.0;
    let before = within((2026, 1, 1), (2026, 3, 31));
    let year_earlier = within((2025, 4, 1), (2025, 6, 30));
    let first_row: Vec<String> = page
        .select_all("table.comparison tbody tr:first-child td")
        .iter()
        .map(|td| td.text().collect::<String>().replace('\u{202f}', " "))
        .collect();
    let sv = |value: f64| format_decimal(Language::Swedish, value, 1).replace('\u{202f}', " ");
    assert_eq!(first_row[0], sv(kg(&now)));
    assert_eq!(first_row[1], sv(kg(&before)));
    assert_eq!(first_row[3], sv(kg(&year_earlier)));
    let change = kg(&now) - kg(&before);
    assert!(
        first_row[2].starts_with(if change > 0.0 { '+' } else { '−' })
            || first_row[2].starts_with('±'),
        "{first_row:?}"
    );
    if kg(&before) > 0.0 {
        let percent = (change / kg(&before) * 100.0).round().abs() as i64;
        assert!(
            first_row[2].contains(&format!("{percent} %)")),
            "{first_row:?}"
        );
    }

    // The one-page PDF for the council: the same totals, the comparison, the chain head.
    let response = keeper.get("/stats/report.pdf?period=q2026-2").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    assert_eq!(
        response.headers()["content-disposition"],
        "attachment; filename=\"bruka-boras-stad-2026-q2.pdf\""
    );
    let (pages, text) = crate::helpers::pdf_text(&response.bytes().await.expect("pdf"));
    assert_eq!(pages, 1);
    let text = text.replace('\u{202f}', " ");
    for expected in written_totals(&now) {
        assert!(text.contains(&expected), "{expected} in {text}");
    }
    for expected in [
        "Återbruk: besparingsrapport",
        "Borås stad · Kvartal 2 2026",
        // Column headings wrap in their columns.
        "(Kvartal 1",
        "(Kvartal 2",
        "Största kategorierna",
        "Så räknar vi",
        "Källor för faktorerna",
        "bruka ledger verify",
    ] {
        assert!(text.contains(expected), "{expected} in {text}");
    }
    let head = chain_head(&app, boras).await;
    assert!(
        text.replace(char::is_whitespace, "").contains(&head.hash),
        "the chain head is printed"
    );
    keeper.set_cookie("bruka_lang", "en");
    let response = keeper.get("/stats/report.pdf?period=y2025").await;
    let (_, text) = crate::helpers::pdf_text(&response.bytes().await.expect("pdf"));
    assert!(text.contains("Reuse: savings report"), "{text}");
    keeper.set_cookie("bruka_lang", "sv");

    // Custom days compare with as many days before; an unknown period code is explained.
    let page = keeper
        .get_page("/stats?from=2026-03-01&to=2026-03-10")
        .await;
    assert!(
        page.visible_text()
            .contains("Perioden före (2026-02-19 – 2026-02-28)"),
        "{}",
        page.visible_text()
    );
    let response = keeper.get("/stats?period=q2026-7").await;
    assert_eq!(response.status(), 400);
    let page = crate::helpers::Page::from_response(response).await;
    assert!(page.visible_text().contains("Välj en period i listan."));

    // The API takes the same period codes.
    let token = crate::json_api::token_for(&app, "hallbarhet@boras.se").await;
    let token = crate::json_api::Client::new(&app, &token);
    let stats: serde_json::Value = token
        .get("/api/v1/stats?period=q2026-2")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        stats["totals"]["co2e_grams"],
        now.iter().map(|r| r.co2e_grams.0).sum::<i64>()
    );
}

/// The dashboard sums whole months from the monthly sums and the rest record by record;
/// on every kind of period, unit and category it gives what summing each record gives.
async fn the_monthly_sums_agree_with_the_records(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, boras, grundskolan) = ledger_with_history(&app).await;
    app.with_conn(move |conn| {
        let names = bruka::stats::organisation_names(conn).expect("names");
        let all = bruka::categories::list_all(conn).expect("categories");
        let furniture: Vec<_> = all
            .iter()
            .filter(|c| c.slug == "mobler" || c.slug.starts_with("mobler/"))
            .map(|c| c.id)
            .collect();
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
        let periods = [
            (None, None),
            (day(2025, 1, 1), day(2025, 12, 31)),
            (day(2025, 3, 15), day(2026, 2, 10)),
            (day(2025, 3, 1), day(2025, 3, 20)),
            (day(2025, 3, 5), day(2025, 4, 10)),
            (day(2025, 6, 7), None),
            (None, day(2025, 8, 14)),
            (day(2030, 1, 1), day(2030, 1, 31)),
        ];
        let mut compared = 0;
        for (from, to) in periods {
            for unit_id in [None, Some(bruka::ids::UnitId(grundskolan))] {
                for category_ids in [None, Some(furniture.clone())] {
                    for side in [
                        bruka::stats::Side::Received,
                        bruka::stats::Side::GivenToOthers,
                    ] {
                        let scope = bruka::stats::Scope {
                            organisation_id: OrganisationId(boras),
                            side,
                            filter: bruka::stats::Filter {
                                from,
                                to,
                                unit_id,
                                category_ids: category_ids.clone(),
                                kind: None,
                            },
                        };
                        let fast = bruka::stats::summarise(conn, &scope, &names).expect("sums");
                        let each = bruka::stats::summarise_each_record(conn, &scope, &names)
                            .expect("records");
                        assert_eq!(fast, each, "{from:?}–{to:?}, {unit_id:?}, {side:?}");
                        compared += 1;
                    }
                }
            }
        }
        assert_eq!(compared, 64);
    })
    .await;
}

on_both_backends!(
    the_monthly_sums_agree_with_the_records,
    a_quarter_is_compared_with_the_one_before_and_a_year_earlier,
    exported_titles_never_become_formulas,
    the_dashboard_shows_the_sum_of_the_ledger,
    exports_hold_the_same_rows_and_open,
    the_public_summary_is_opt_in,
);
