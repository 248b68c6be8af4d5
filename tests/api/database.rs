use bruka::db::AnyConnection;
use bruka::db::schema::{categories, organisation_domains, units};
use bruka::organisations::{self, Country, EmailDomain, OrganisationError};
use diesel::prelude::*;

use crate::helpers::{Backend, spawn_app};
use crate::on_both_backends;

fn count_categories(conn: &mut AnyConnection) -> i64 {
    categories::table.count().get_result(conn).expect("count")
}

async fn categories_are_seeded_once_and_admin_edits_survive_restarts(backend: Backend) {
    let app = spawn_app(backend).await;
    // 20 leaf categories from the factor table under 5 top-level ones.
    assert_eq!(app.with_conn(count_categories).await, 25);

    app.with_conn(|conn| {
        diesel::update(categories::table.filter(categories::slug.eq("mobler/kontorsstol")))
            .set(categories::kg_co2e_per_item.eq(Some(70.5)))
            .execute(conn)
            .expect("admin edit")
    })
    .await;

    let restarted = app.start_another_instance().await;
    let body = app
        .browser
        .get_in_language(&format!("{restarted}/factors"), "en")
        .await
        .text()
        .await
        .expect("body");
    assert!(
        body.contains("70.5 kg CO₂e per item"),
        "edited factor shown after restart"
    );
    assert_eq!(
        app.with_conn(count_categories).await,
        25,
        "nothing seeded twice"
    );
}

async fn seeded_factors_keep_their_source_and_version(backend: Backend) {
    let app = spawn_app(backend).await;
    let (per_kg, source, version, estimate): (Option<f64>, String, String, bool) = app
        .with_conn(|conn| {
            categories::table
                .filter(categories::slug.eq("elektronik/sma-elapparater"))
                .select((
                    categories::kg_co2e_per_kg,
                    categories::factor_source,
                    categories::factor_version,
                    categories::factor_is_estimate,
                ))
                .first(conn)
                .expect("seeded")
        })
        .await;
    assert_eq!(per_kg, Some(5.65));
    assert!(source.starts_with("DEFRA/DESNZ"));
    assert_eq!(version, "bruka-emission-factors-2026-11");
    assert!(!estimate);
    let fallback_is_estimate: bool = app
        .with_conn(|conn| {
            categories::table
                .filter(categories::slug.eq("ovrigt/ovrigt"))
                .select(categories::factor_is_estimate)
                .first(conn)
                .expect("seeded")
        })
        .await;
    assert!(fallback_is_estimate);
}

async fn organisation_is_found_by_its_email_domain(backend: Backend) {
    let app = spawn_app(backend).await;
    let found = app
        .with_conn(|conn| {
            let domains = [
                EmailDomain::parse("trollhattan.se").expect("valid"),
                EmailDomain::parse("skola.trollhattan.se").expect("valid"),
            ];
            let created =
                organisations::create(conn, "Trollhättans stad", Country::Sweden, &domains)
                    .expect("created");
            let unit = organisations::add_unit(conn, created.id, " Kultur och fritid ", None)
                .expect("unit");
            assert_eq!(unit.name, "Kultur och fritid");
            let address = EmailDomain::of_address("Anna.Berg@Skola.Trollhattan.se").expect("valid");
            let found = organisations::find_by_email_domain(conn, &address).expect("query");
            let unknown = EmailDomain::parse("example.com").expect("valid");
            assert!(
                organisations::find_by_email_domain(conn, &unknown)
                    .expect("query")
                    .is_none()
            );
            (
                created.id,
                found,
                organisations::units_of(conn, created.id).expect("units"),
            )
        })
        .await;
    let (id, found, units) = found;
    let found = found.expect("domain belongs to the organisation");
    assert_eq!(found.id, id);
    assert_eq!(found.slug, "trollhattans-stad");
    assert_eq!(found.country, "SE");
    assert_eq!(units.len(), 1);
}

async fn a_taken_domain_creates_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let (error, organisation_count, domain_count) = app
        .with_conn(|conn| {
            let domain = EmailDomain::parse("vestland.no").expect("valid");
            organisations::create(
                conn,
                "Vestland fylkeskommune",
                Country::Norway,
                std::slice::from_ref(&domain),
            )
            .expect("first");
            let error = organisations::create(conn, "Kopi", Country::Norway, &[domain])
                .expect_err("domain taken");
            let organisation_count: i64 = bruka::db::schema::organisations::table
                .count()
                .get_result(conn)
                .expect("n");
            let domain_count: i64 = organisation_domains::table
                .count()
                .get_result(conn)
                .expect("n");
            (error, organisation_count, domain_count)
        })
        .await;
    assert!(matches!(error, OrganisationError::DomainTaken(ref d) if d == "vestland.no"));
    assert_eq!(
        (organisation_count, domain_count),
        (1, 1),
        "the failed attempt left nothing"
    );
}

async fn foreign_keys_are_enforced(backend: Backend) {
    let app = spawn_app(backend).await;
    let result = app
        .with_conn(|conn| {
            diesel::insert_into(units::table)
                .values((
                    units::organisation_id.eq(9_999_i64),
                    units::name.eq("Orphan"),
                    units::created_at.eq(chrono::Utc::now().naive_utc()),
                ))
                .execute(conn)
        })
        .await;
    assert!(result.is_err(), "a unit needs an existing organisation");
}

async fn instances_started_together_prepare_the_database_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let (a, b, c) = tokio::join!(
        app.start_another_instance(),
        app.start_another_instance(),
        app.start_another_instance(),
    );
    for instance in [a, b, c] {
        let status = app
            .client
            .get(format!("{instance}/"))
            .send()
            .await
            .expect("sent")
            .status();
        assert_eq!(status, 200, "{instance}");
    }
    assert_eq!(app.with_conn(count_categories).await, 25);
}

on_both_backends!(
    categories_are_seeded_once_and_admin_edits_survive_restarts,
    seeded_factors_keep_their_source_and_version,
    organisation_is_found_by_its_email_domain,
    a_taken_domain_creates_nothing,
    foreign_keys_are_enforced,
    instances_started_together_prepare_the_database_once,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_runs_in_wal_mode() {
    let app = spawn_app(Backend::Sqlite).await;
    #[derive(QueryableByName)]
    struct Mode {
        #[diesel(sql_type = diesel::sql_types::Text)]
        journal_mode: String,
    }
    let mode = app
        .with_conn(|conn| {
            diesel::sql_query("PRAGMA journal_mode")
                .get_result::<Mode>(conn)
                .expect("pragma")
        })
        .await;
    assert_eq!(mode.journal_mode, "wal");
    assert!(
        app.data_path().join("bruka.db-wal").exists() || app.data_path().join("bruka.db").exists()
    );
}
