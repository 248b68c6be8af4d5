//! The ledger's hash chain: exports carry it, `bruka ledger verify` recomputes it, and a row
//! changed or slipped in directly in the database is found, on the CLI and on the ledger page.

use std::process::{Command, Stdio};

use bruka::db::AnyConnection;
use bruka::db::schema::reuse_records;
use bruka::ids::OrganisationId;
use bruka::ledger::chain::{self, Problem};
use diesel::prelude::*;

use crate::helpers::{Backend, TestApp, spawn_app};
use crate::on_both_backends;
use crate::stats::ledger_with_history;

/// Runs `bruka` on the test's database; returns the exit code and stdout + stderr.
fn bruka(app: &TestApp, args: &[&str]) -> (Option<i32>, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_bruka"))
        .current_dir(app.data_path())
        .env("BRUKA_DATABASE_URL", app.database.url.as_str())
        .env("BRUKA_DATA_DIR", app.data_path())
        .env("BRUKA_DEMO_BOOTSTRAP", "false")
        .env("BRUKA_LOG_FORMAT", "json")
        .env_remove("BRUKA_CONFIG")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code(), text)
}

/// Runs `sql` with the ledger's immutability trigger off, as someone with database access
/// could.
fn behind_the_back(conn: &mut AnyConnection, sql: &str) {
    let (off, on) = match conn {
        AnyConnection::Sqlite(_) => (
            "DROP TRIGGER reuse_records_no_update",
            "CREATE TRIGGER reuse_records_no_update BEFORE UPDATE ON reuse_records \
             BEGIN SELECT RAISE(ABORT, 'reuse records are immutable; add a reversing record'); END",
        ),
        AnyConnection::Postgresql(_) => (
            "ALTER TABLE reuse_records DISABLE TRIGGER reuse_records_no_change",
            "ALTER TABLE reuse_records ENABLE TRIGGER reuse_records_no_change",
        ),
    };
    diesel::sql_query(off).execute(conn).expect("trigger off");
    diesel::sql_query(sql).execute(conn).expect("tampering");
    diesel::sql_query(on).execute(conn).expect("trigger on");
}

async fn the_chain_verifies_and_finds_a_changed_or_slipped_in_row(backend: Backend) {
    let app = spawn_app(backend).await;
    let (keeper, boras, _) = ledger_with_history(&app).await;
    let boras_id = OrganisationId(boras);

    // Every record of Borås is linked in order, and the chain is intact.
    let outcome = app
        .with_conn(move |conn| chain::verify(conn, boras_id).expect("verify"))
        .await;
    assert!(outcome.is_intact(), "{outcome:?}");
    let received: i64 = app
        .with_conn(move |conn| {
            reuse_records::table
                .filter(reuse_records::receiving_organisation_id.eq(boras))
                .count()
                .get_result(conn)
                .expect("count")
        })
        .await;
    assert_eq!(outcome.links, received);
    assert_eq!(outcome.head.seq, received);

    // The ledger page: a check without a CSRF token changes nothing; with one, it says intact.
    assert_eq!(keeper.post_raw("/ledger/verify", &[]).await.status(), 403);
    let response = keeper.post_form("/ledger/verify", &[]).await;
    assert_eq!(response.status(), 303);
    let page = keeper.get_page("/ledger").await;
    let text = page.visible_text();
    assert!(text.contains("Kedjan är hel."), "{text}");
    assert!(text.contains(&outcome.head.hash), "the head is shown");

    // Exports carry each row's link, the head and the row count, and match the ledger.
    let json: serde_json::Value = keeper
        .get("/stats/export.json")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(json["chain"]["head_seq"], outcome.head.seq);
    assert_eq!(json["chain"]["head_hash"], outcome.head.hash.as_str());
    assert_eq!(json["chain"]["rows"], received);
    assert!(
        json["records"]
            .as_array()
            .expect("records")
            .iter()
            .all(|r| r["chain_hash"].as_str().is_some_and(|h| h.len() == 64))
    );
    let csv = keeper
        .get("/stats/export.csv")
        .await
        .bytes()
        .await
        .expect("csv");
    let dir = app.data_path();
    std::fs::write(dir.join("export.csv"), &csv).expect("saved");
    std::fs::write(dir.join("export.json"), json.to_string()).expect("saved");
    for file in ["export.csv", "export.json"] {
        let (code, out) = bruka(&app, &["ledger", "verify", "--export", file]);
        assert_eq!(code, Some(0), "{out}");
        assert!(out.contains(&format!("{received} rows")), "{out}");
        assert!(out.contains("Borås stad"), "{out}");
    }
    let (code, out) = bruka(&app, &["ledger", "verify"]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("Borås stad: intact"), "{out}");

    // An edited export (one figure changed) is told apart from the ledger.
    let mut json_edited = json.clone();
    json_edited["records"][3]["quantity"] = serde_json::json!(99);
    std::fs::write(dir.join("edited.json"), json_edited.to_string()).expect("saved");
    let (code, out) = bruka(&app, &["ledger", "verify", "--export", "edited.json"]);
    assert_eq!(code, Some(1), "{out}");
    let edited_id = json["records"][3]["id"].as_i64().expect("id");
    assert!(
        out.contains(&format!("record {edited_id}: differs from the ledger")),
        "{out}"
    );

    // Someone with database access changes a quantity: verify names the row.
    let changed: i64 = app
        .with_conn(move |conn| {
            let id: i64 = reuse_records::table
                .filter(reuse_records::receiving_organisation_id.eq(boras))
                .filter(reuse_records::note.eq("test"))
                .order(reuse_records::id.desc())
                .select(reuse_records::id)
                .first(conn)
                .expect("a record");
            behind_the_back(
                conn,
                &format!("UPDATE reuse_records SET quantity = quantity + 1 WHERE id = {id}"),
            );
            id
        })
        .await;
    let broken = app
        .with_conn(move |conn| chain::verify(conn, boras_id).expect("verify"))
        .await;
    let at = broken.broken.clone().expect("broken");
    assert_eq!(at.problem, Problem::Changed);
    assert_eq!(at.record_id.map(|id| id.0), Some(changed));
    let (code, out) = bruka(&app, &["ledger", "verify"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains(&format!("BROKEN at position {}, record {changed}", at.seq)),
        "{out}"
    );
    assert!(out.contains("the record was changed"), "{out}");
    assert!(
        out.contains("Borås stad: the dashboard's monthly sums differ from the rows"),
        "the sums still count the quantity written: {out}"
    );
    let (code, out) = bruka(&app, &["ledger", "verify", "--export", "export.csv"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains(&format!("record {changed}: differs from the ledger")),
        "{out}"
    );
    keeper.post_form("/ledger/verify", &[]).await;
    let text = keeper.get_page("/ledger").await.visible_text();
    assert!(
        text.contains(&format!("Kedjan är bruten vid position {}.", at.seq)),
        "{text}"
    );
    assert!(text.contains(&format!("Rad #{changed}:")), "{text}");
    assert!(
        text.contains("Raden har ändrats efter att den skrevs."),
        "{text}"
    );

    // Put back, the chain is whole again; a row slipped in by SQL is in no chain.
    let slipped: i64 = app
        .with_conn(move |conn| {
            behind_the_back(
                conn,
                &format!("UPDATE reuse_records SET quantity = quantity - 1 WHERE id = {changed}"),
            );
            assert!(chain::verify(conn, boras_id).expect("verify").is_intact());
            diesel::sql_query(format!(
                "INSERT INTO reuse_records (item_id, item_title, giving_organisation_id, \
                 receiving_organisation_id, from_unit_name, to_unit_name, category_id, category_name, \
                 quantity, factor_kind, factor_source, factor_version, factor_is_estimate, \
                 weight_is_typical, new_price_is_estimate, would_buy_new, displacement, \
                 deduction_kg_co2e, co2e_grams, money_saved_ore, material_grams, recorded_at, note) \
                 SELECT item_id, item_title, giving_organisation_id, receiving_organisation_id, \
                 from_unit_name, to_unit_name, category_id, category_name, quantity, factor_kind, \
                 factor_source, factor_version, factor_is_estimate, weight_is_typical, \
                 new_price_is_estimate, would_buy_new, displacement, deduction_kg_co2e, co2e_grams, \
                 money_saved_ore, material_grams, recorded_at, 'inlagd i smyg' FROM reuse_records \
                 WHERE id = {changed}"
            ))
            .execute(conn)
            .expect("slipped in");
            reuse_records::table
                .filter(reuse_records::note.eq("inlagd i smyg"))
                .select(reuse_records::id)
                .first(conn)
                .expect("the new row")
        })
        .await;
    let outcome = app
        .with_conn(move |conn| chain::verify(conn, boras_id).expect("verify"))
        .await;
    let at = outcome.broken.expect("broken");
    assert_eq!(at.problem, Problem::Unlinked);
    assert_eq!(at.record_id.map(|id| id.0), Some(slipped));
    let (code, out) = bruka(&app, &["ledger", "verify", "--organisation", "boras-stad"]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("without a link"), "{out}");
}

/// Handovers of one organisation picked up at the same time on two instances each get
/// their own place in the chain: no position twice, none skipped.
async fn concurrent_handovers_take_turns_in_the_chain(backend: Backend) {
    let app = spawn_app(backend).await;
    let requester = crate::reservations::lister_and_requester(&app).await;
    let instances = [app.address.clone(), app.start_another_instance().await];
    let mut ids = Vec::new();
    for _ in 0..8 {
        let item_id = crate::reservations::list_chairs(&app, 1).await;
        ids.push(crate::reservations::reservation_id(
            &crate::reservations::reserve(&requester, item_id, "1").await,
        ));
    }
    let paths: Vec<String> = ids
        .iter()
        .enumerate()
        .map(|(index, id)| format!("{}/reservations/{id}/picked-up", instances[index % 2]))
        .collect();
    let pickups = paths.iter().map(|path| requester.post_form(path, &[]));
    for response in futures_util::future::join_all(pickups).await {
        assert_eq!(response.status(), 303);
    }
    let organisation: i64 = app
        .with_conn(|conn| {
            reuse_records::table
                .select(reuse_records::receiving_organisation_id)
                .first(conn)
                .expect("a record")
        })
        .await;
    let outcome = app
        .with_conn(move |conn| chain::verify(conn, OrganisationId(organisation)).expect("verify"))
        .await;
    assert!(outcome.is_intact(), "{outcome:?}");
    assert_eq!(outcome.links, 8);
}

on_both_backends!(
    the_chain_verifies_and_finds_a_changed_or_slipped_in_row,
    concurrent_handovers_take_turns_in_the_chain,
);
