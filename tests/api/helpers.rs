//! The test harness: a real Bruka server on a random port, with its own data directory and
//! its own database, on SQLite or PostgreSQL.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use bruka::config::Settings;
use bruka::db::{AnyConnection, DatabaseUrl, DbPool, build_pool};
use bruka::startup::Application;
use diesel::pg::PgConnection;
use diesel::{Connection, RunQueryDsl};
use tempfile::TempDir;

pub const POSTGRES_URL_VAR: &str = "BRUKA_TEST_POSTGRES_URL";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs a test body once per backend. The PostgreSQL variant needs BRUKA_TEST_POSTGRES_URL;
/// without it the test says so on stderr and passes, except in CI (or with
/// BRUKA_REQUIRE_POSTGRES=1), where a missing server fails the run.
#[macro_export]
macro_rules! on_both_backends {
    ($($test:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test($crate::helpers::Backend::Sqlite).await
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    if $crate::helpers::postgres_admin_url().is_some() {
                        super::$test($crate::helpers::Backend::Postgres).await
                    }
                }
            )+
        }
    };
}

/// The server to create test databases on, or `None` (after a loud note) when none is
/// configured and none is required.
pub fn postgres_admin_url() -> Option<String> {
    match std::env::var(POSTGRES_URL_VAR) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            let required = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
                || std::env::var("BRUKA_REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
            assert!(
                !required,
                "{POSTGRES_URL_VAR} is not set, but PostgreSQL tests are required here"
            );
            eprintln!(
                "SKIPPED on PostgreSQL: set {POSTGRES_URL_VAR} (see .ci/run) to run this test there too"
            );
            None
        }
    }
}

/// A database that exists for one test only.
pub struct TestDatabase {
    pub url: DatabaseUrl,
    postgres_cleanup: Option<(String, String)>,
}

static DATABASE_COUNTER: AtomicU32 = AtomicU32::new(0);

impl TestDatabase {
    pub fn create(backend: Backend, data_dir: &Path) -> Self {
        match backend {
            Backend::Sqlite => Self {
                url: DatabaseUrl::sqlite_file(data_dir.join("bruka.db")),
                postgres_cleanup: None,
            },
            Backend::Postgres => {
                let admin_url = postgres_admin_url().expect("checked by the caller");
                let name = format!(
                    "bruka_test_{}_{}",
                    std::process::id(),
                    DATABASE_COUNTER.fetch_add(1, Ordering::Relaxed)
                );
                let mut admin = PgConnection::establish(&admin_url)
                    .unwrap_or_else(|e| panic!("cannot reach {POSTGRES_URL_VAR}: {e}"));
                diesel::sql_query(format!("DROP DATABASE IF EXISTS {name}"))
                    .execute(&mut admin)
                    .expect("drop stale test database");
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut admin)
                    .expect("create test database");
                let url = DatabaseUrl::parse(&with_database(&admin_url, &name))
                    .expect("valid postgres url");
                Self {
                    url,
                    postgres_cleanup: Some((admin_url, name)),
                }
            }
        }
    }

    /// Makes the database vanish while a server still uses it (to test readiness).
    pub fn drop_now(&mut self) {
        if let Some((admin_url, name)) = self.postgres_cleanup.take()
            && let Ok(mut admin) = PgConnection::establish(&admin_url)
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut admin);
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        self.drop_now();
    }
}

/// Replaces the database name in a PostgreSQL URL, keeping any `?options`.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[after_scheme..]
        .find('/')
        .map_or(base.len(), |i| after_scheme + i);
    let mut out = format!("{}/{database}", &base[..host_end]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub settings: Settings,
    pub database: TestDatabase,
    pub data_dir: TempDir,
}

pub fn test_settings(data_dir: &Path, database_url: DatabaseUrl) -> Settings {
    Settings {
        data_dir: data_dir.to_path_buf(),
        database_url: Some(database_url),
        bind: "127.0.0.1:0".parse().expect("valid address"),
        database_pool_size: 4,
        ..Settings::default()
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("http client")
}

/// Starts a server with a fresh data directory and database.
pub async fn spawn_app(backend: Backend) -> TestApp {
    if std::env::var("TEST_LOG").is_ok() {
        bruka::telemetry::init(bruka::config::LogFormat::Pretty);
    }
    let data_dir = tempfile::tempdir().expect("temp dir");
    let path = data_dir.path().to_path_buf();
    let database = tokio::task::spawn_blocking(move || TestDatabase::create(backend, &path))
        .await
        .expect("database created");
    let settings = test_settings(data_dir.path(), database.url.clone());
    let address = start_server(settings.clone()).await;
    TestApp {
        address,
        client: client(),
        settings,
        database,
        data_dir,
    }
}

/// Starts one more server on the given settings and returns its base URL.
pub async fn start_server(settings: Settings) -> String {
    let application = Application::build(settings)
        .await
        .expect("application starts");
    let address = format!("http://{}", application.address());
    tokio::spawn(application.run_until_stopped());
    address
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    /// The page's HTML, after checking it answered 200.
    pub async fn get_page(&self, path: &str) -> Page {
        let response = self.get(path).await;
        assert_eq!(response.status(), 200, "GET {path}");
        Page::from_response(response).await
    }

    /// A second connection pool on the same database, to look at what the server stored.
    pub fn pool(&self) -> DbPool {
        build_pool(&self.database.url, 2).expect("pool on test database")
    }

    pub async fn with_conn<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut AnyConnection) -> T + Send + 'static,
    ) -> T {
        let pool = self.pool();
        tokio::task::spawn_blocking(move || work(&mut pool.get().expect("connection")))
            .await
            .expect("blocking work")
    }

    /// Another server on the same data directory and database, as after a restart or a
    /// second instance behind the load balancer.
    pub async fn start_another_instance(&self) -> String {
        start_server(self.settings.clone()).await
    }

    pub fn data_path(&self) -> PathBuf {
        self.data_dir.path().to_path_buf()
    }
}

/// Parsed HTML, with the questions tests ask of a page.
pub struct Page {
    pub html: scraper::Html,
}

impl Page {
    pub async fn from_response(response: reqwest::Response) -> Self {
        let text = response.text().await.expect("body");
        Self {
            html: scraper::Html::parse_document(&text),
        }
    }

    pub fn select_all(&self, css: &str) -> Vec<scraper::ElementRef<'_>> {
        let selector = scraper::Selector::parse(css).expect("valid selector");
        self.html.select(&selector).collect()
    }

    pub fn one(&self, css: &str) -> scraper::ElementRef<'_> {
        let found = self.select_all(css);
        assert_eq!(
            found.len(),
            1,
            "expected one `{css}`, found {}",
            found.len()
        );
        found[0]
    }

    pub fn text_of(&self, css: &str) -> String {
        collapse(&self.one(css).text().collect::<String>())
    }

    pub fn attr(&self, css: &str, name: &str) -> String {
        self.one(css)
            .value()
            .attr(name)
            .unwrap_or_else(|| panic!("`{css}` has no {name}"))
            .to_string()
    }

    /// All visible text, with white space collapsed, as a person would read it.
    pub fn visible_text(&self) -> String {
        collapse(&self.one("body").text().collect::<String>())
    }
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn database_name_is_replaced_keeping_options() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:5433/postgres", "x"),
        "postgres://postgres@127.0.0.1:5433/x"
    );
    assert_eq!(
        with_database("postgres://u:p@h/db?sslmode=disable", "x"),
        "postgres://u:p@h/x?sslmode=disable"
    );
    assert_eq!(with_database("postgres://h", "x"), "postgres://h/x");
}
