use bruka::db::AnyConnection;
use bruka::db::schema::{categories, category_versions, organisation_domains, units};
use bruka::organisations::{self, Country, EmailDomain, OrganisationError};
use diesel::prelude::*;

use crate::helpers::{Backend, spawn_app};
use crate::on_both_backends;

fn count_categories(conn: &mut AnyConnection) -> i64 {
    categories::table.count().get_result(conn).expect("count")
}

fn count_versions(conn: &mut AnyConnection) -> i64 {
    category_versions::table
        .count()
        .get_result(conn)
        .expect("count")
}

async fn shipped_tables_are_applied_once_and_survive_restarts(backend: Backend) {
    let app = spawn_app(backend).await;
    // 20 categories of the first table and the sit-stand desk of the second, under 5 groups.
    assert_eq!(app.with_conn(count_categories).await, 26);
    let versions = app.with_conn(count_versions).await;
    // Every category of the first table, plus the second table's ranges, links and desk.
    assert!(versions > 20, "{versions} versions");

    let restarted = app.start_another_instance().await;
    let body = app
        .browser
        .get_in_language(&format!("{restarted}/factors"), "en")
        .await
        .text()
        .await
        .expect("body");
    assert!(body.contains("Sit-stand desk"), "the second table's desk");
    assert!(
        body.contains("between 65.9 and 520 kg CO₂e per item depending on source"),
        "screens show their range"
    );
    assert_eq!(
        app.with_conn(count_categories).await,
        26,
        "nothing seeded twice"
    );
    assert_eq!(
        app.with_conn(count_versions).await,
        versions,
        "no version twice"
    );
}

async fn seeded_factors_keep_their_source_and_version(backend: Backend) {
    let app = spawn_app(backend).await;
    let first = |slug: &'static str| {
        move |conn: &mut AnyConnection| -> (Option<String>, Option<f64>, String, String, bool) {
            category_versions::table
                .inner_join(categories::table)
                .filter(categories::slug.eq(slug))
                .filter(category_versions::organisation_id.is_null())
                .order((category_versions::valid_from, category_versions::id))
                .select((
                    category_versions::factor_basis,
                    category_versions::factor_central,
                    category_versions::source,
                    category_versions::table_version,
                    category_versions::is_estimate,
                ))
                .first(conn)
                .expect("seeded")
        }
    };
    let (basis, per_kg, source, version, estimate) =
        app.with_conn(first("elektronik/sma-elapparater")).await;
    assert_eq!(basis.as_deref(), Some("per_kg"));
    assert_eq!(per_kg, Some(5.65));
    assert!(source.starts_with("DEFRA/DESNZ"));
    assert_eq!(version, "bruka-emission-factors-2026-11");
    assert!(!estimate);
    let (.., fallback_is_estimate) = app.with_conn(first("ovrigt/ovrigt")).await;
    assert!(fallback_is_estimate);
    let screen_low: Option<f64> = app
        .with_conn(|conn| {
            category_versions::table
                .inner_join(categories::table)
                .filter(categories::slug.eq("it/skarm"))
                .filter(category_versions::table_version.eq("bruka-emission-factors-2026-12"))
                .select(category_versions::factor_low)
                .first(conn)
                .expect("second table")
        })
        .await;
    assert_eq!(screen_low, Some(65.9));
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
    assert_eq!(app.with_conn(count_categories).await, 26);
}

on_both_backends!(
    shipped_tables_are_applied_once_and_survive_restarts,
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
