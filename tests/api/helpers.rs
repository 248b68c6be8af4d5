//! The test harness: a real Bruka server on a random port, with its own data directory and
//! its own database, on SQLite or PostgreSQL.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use bruka::accounts::tokens::TokenKeys;
use bruka::accounts::{self, Email, Role};
use bruka::organisations::{self, Country, EmailDomain};
use reqwest::cookie::{CookieStore, Jar};

use bruka::config::Settings;
use bruka::db::{AnyConnection, DatabaseUrl, DbPool, build_pool};
use bruka::startup::{Application, Stopper};
use diesel::pg::PgConnection;
use diesel::{Connection, ExpressionMethods, QueryDsl, RunQueryDsl};
use tempfile::TempDir;

use crate::smtp::{Mailbox, SmtpSink};

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
pub const S3_URL_VAR: &str = "BRUKA_TEST_S3_URL";

/// The S3-compatible server for the photo-store tests (moto's server mode, started by
/// .ci/run). Without it those tests say so and pass, except in CI (or with
/// BRUKA_REQUIRE_S3=1).
pub fn s3_endpoint() -> Option<String> {
    match std::env::var(S3_URL_VAR) {
        Ok(url) if !url.trim().is_empty() => Some(url.trim_end_matches('/').to_string()),
        _ => {
            let required = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
                || std::env::var("BRUKA_REQUIRE_S3").is_ok_and(|v| v == "1");
            assert!(
                !required,
                "{S3_URL_VAR} is not set, but the S3 photo-store tests are required here"
            );
            eprintln!("SKIPPED: set {S3_URL_VAR} (see .ci/run) to test the S3 photo store");
            None
        }
    }
}

/// Photo settings for a new, empty bucket on the test S3 server.
pub async fn new_bucket(endpoint: &str) -> bruka::config::S3Settings {
    let bucket = format!("bruka-test-{}", &bruka::accounts::tokens::random_id()[..20]);
    let created = reqwest::Client::new()
        .put(format!("{endpoint}/{bucket}"))
        .send()
        .await
        .expect("S3 server answers");
    assert!(created.status().is_success(), "bucket created: {created:?}");
    s3_settings(endpoint, &bucket)
}

pub fn s3_settings(endpoint: &str, bucket: &str) -> bruka::config::S3Settings {
    bruka::config::S3Settings {
        bucket: bucket.to_string(),
        endpoint: Some(endpoint.to_string()),
        region: "us-east-1".into(),
        access_key_id: Some("bruka-test".into()),
        secret_access_key: Some(String::from("bruka-test-secret").into()),
        path_style: Some(true),
    }
}

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

    /// Ends every server connection to this PostgreSQL database, as a database restart or
    /// a failover would; returns how many were ended.
    pub fn cut_connections(&self) -> i64 {
        #[derive(diesel::QueryableByName)]
        struct Ended {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            ended: i64,
        }
        let (admin_url, name) = self
            .postgres_cleanup
            .as_ref()
            .expect("only a PostgreSQL test database has server connections");
        let mut admin = PgConnection::establish(admin_url).expect("admin connection");
        diesel::sql_query(
            "SELECT COUNT(pg_terminate_backend(pid)) AS ended FROM pg_stat_activity \
             WHERE datname = $1 AND pid <> pg_backend_pid()",
        )
        .bind::<diesel::sql_types::Text, _>(name)
        .get_result::<Ended>(&mut admin)
        .expect("terminate backends")
        .ended
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
    pub browser: Browser,
    pub settings: Settings,
    pub database: TestDatabase,
    pub data_dir: TempDir,
    pub smtp: SmtpSink,
    stoppers: std::sync::Mutex<Vec<Stopper>>,
}

impl Drop for TestApp {
    /// Servers and their workers stop before the database is dropped, so nothing waits on
    /// a database that is gone.
    fn drop(&mut self) {
        if let Ok(stoppers) = self.stoppers.lock() {
            for stopper in stoppers.iter() {
                stopper.stop_now();
            }
        }
    }
}

/// Settings for a test server: random port, its own data directory and database, mail over
/// SMTP to the test's sink, quick mail retries, no example organisation.
pub fn test_settings(data_dir: &Path, database_url: DatabaseUrl, smtp_url: String) -> Settings {
    let mut settings = Settings {
        data_dir: data_dir.to_path_buf(),
        bind: "127.0.0.1:0".parse().expect("valid address"),
        demo_bootstrap: false,
        ..Settings::default()
    };
    settings.database.url = Some(database_url);
    settings.database.pool_size = at_least_one(4);
    settings.mail.smtp_url = Some(smtp_url.parse().expect("smtp url"));
    settings.mail.from = "Bruka <bruka@bruka.test>".parse().expect("mailbox");
    settings.mail.poll_interval_ms = nonzero(100);
    settings.mail.retry_base_ms = nonzero(100);
    settings
}

/// A limit or size for test settings.
pub fn at_least_one(value: u32) -> std::num::NonZeroU32 {
    std::num::NonZeroU32::new(value).expect("not zero")
}

/// A duration in milliseconds or seconds for test settings.
pub fn nonzero(value: u64) -> std::num::NonZeroU64 {
    std::num::NonZeroU64::new(value).expect("not zero")
}

/// Starts a server with a fresh data directory and database.
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

/// Like [`spawn_app`], with settings adjusted first.
pub async fn spawn_app_with(backend: Backend, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    if std::env::var("TEST_LOG").is_ok() {
        bruka::telemetry::init(bruka::config::LogFormat::Pretty);
    }
    let smtp = SmtpSink::start().await;
    let data_dir = tempfile::tempdir().expect("temp dir");
    let path = data_dir.path().to_path_buf();
    let database = tokio::task::spawn_blocking(move || TestDatabase::create(backend, &path))
        .await
        .expect("database created");
    let mut settings = test_settings(data_dir.path(), database.url.clone(), smtp.url());
    adjust(&mut settings);
    let (address, stopper) = start_server(settings.clone()).await;
    let browser = Browser::new(&address, smtp.mailbox.clone());
    TestApp {
        client: browser.client.clone(),
        address,
        browser,
        settings,
        database,
        data_dir,
        smtp,
        stoppers: std::sync::Mutex::new(vec![stopper]),
    }
}

/// Starts one more server on the given settings and returns its base URL.
pub async fn start_server(settings: Settings) -> (String, Stopper) {
    let application = Application::build(settings)
        .await
        .expect("application starts");
    let address = format!("http://{}", application.address());
    let stopper = application.stopper();
    tokio::spawn(application.run_until_stopped());
    (address, stopper)
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        self.browser.url(path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.browser.get(path).await
    }

    pub async fn get_page(&self, path: &str) -> Page {
        self.browser.get_page(path).await
    }

    /// A second person with a browser (cookie jar) of their own.
    pub fn new_browser(&self) -> Browser {
        Browser::new(&self.address, self.smtp.mailbox.clone())
    }

    /// A new browser signed in as `email`, a user created first with `role`.
    pub async fn signed_in_with_role(&self, email: &str, name: &str, role: Role) -> Browser {
        self.create_user(email, role).await;
        let browser = self.new_browser();
        browser.sign_in(email, name).await;
        browser
    }

    /// Creates an organisation with one sign-in domain and the given units.
    pub async fn create_organisation(&self, name: &str, domain: &str, units: &[&str]) -> i64 {
        let (name, domain) = (name.to_string(), domain.to_string());
        let units: Vec<String> = units.iter().map(|u| u.to_string()).collect();
        self.with_conn(move |conn| {
            let domain = EmailDomain::parse(&domain).expect("valid domain");
            let organisation =
                organisations::create(conn, &name, Country::Sweden, &[domain]).expect("created");
            for unit in units {
                organisations::add_unit(conn, organisation.id, &unit, None).expect("unit");
            }
            organisation.id.0
        })
        .await
    }

    /// Creates a user with a role, as `bruka user add` does, before they first sign in.
    pub async fn create_user(&self, email: &str, role: Role) -> i64 {
        let email = Email::parse(email).expect("valid email");
        self.with_conn(move |conn| {
            let organisation = organisations::find_by_email_domain(conn, email.domain())
                .expect("query")
                .expect("organisation for domain");
            accounts::find_or_create(conn, &email, organisation.id, role)
                .expect("user")
                .id
                .0
        })
        .await
    }

    /// The id of a seeded category, as the listing form sends it.
    pub async fn category_id(&self, slug: &'static str) -> String {
        self.with_conn(move |conn| {
            bruka::db::schema::categories::table
                .filter(bruka::db::schema::categories::slug.eq(slug))
                .select(bruka::db::schema::categories::id)
                .first::<i64>(conn)
                .expect("seeded category")
        })
        .await
        .to_string()
    }

    /// The key the server signs tokens with (kept in its data directory).
    pub fn token_keys(&self) -> TokenKeys {
        let secret = std::fs::read(self.data_dir.path().join("secret.key")).expect("secret");
        TokenKeys::new(&secret)
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
        self.start_instance_with(|_| {}).await
    }

    /// Stops the instances started so far (as a crash or a deploy would), leaving the database.
    pub fn stop_instances(&self) {
        if let Ok(stoppers) = self.stoppers.lock() {
            for stopper in stoppers.iter() {
                stopper.stop_now();
            }
        }
    }

    /// Another instance on the same database, with some settings changed.
    pub async fn start_instance_with(&self, adjust: impl FnOnce(&mut Settings)) -> String {
        let mut settings = self.settings.clone();
        adjust(&mut settings);
        let (address, stopper) = start_server(settings).await;
        if let Ok(mut stoppers) = self.stoppers.lock() {
            stoppers.push(stopper);
        }
        address
    }

    pub fn data_path(&self) -> PathBuf {
        self.data_dir.path().to_path_buf()
    }
}

/// One person's browser: a cookie jar, no automatic redirects, and their mailbox.
pub struct Browser {
    pub client: reqwest::Client,
    jar: Arc<Jar>,
    base: String,
    pub mailbox: Mailbox,
}

impl Browser {
    pub fn new(base: &str, mailbox: Mailbox) -> Self {
        let jar = Arc::new(Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("http client");
        Self {
            client,
            jar,
            base: base.to_string(),
            mailbox,
        }
    }

    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.base)
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    /// A GET from a browser set to these languages (an Accept-Language value).
    pub async fn get_in_language(&self, path: &str, accept_language: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .header("Accept-Language", accept_language)
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

    pub fn cookie(&self, name: &str) -> Option<String> {
        let url = self.base.parse().expect("base url");
        let header = self.jar.cookies(&url)?;
        header
            .to_str()
            .ok()?
            .split("; ")
            .filter_map(|pair| pair.split_once('='))
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.to_string())
    }

    pub fn set_cookie(&self, name: &str, value: &str) {
        let url = self.base.parse().expect("base url");
        self.jar
            .add_cookie_str(&format!("{name}={value}; Path=/"), &url);
    }

    /// The CSRF token forms must carry (the server hands one to every visitor).
    pub async fn csrf_token(&self) -> String {
        if self.cookie("bruka_csrf").is_none() {
            self.get("/healthz").await;
        }
        self.cookie("bruka_csrf").expect("csrf cookie set")
    }

    /// Posts a form as the page would, with the CSRF token added.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let token = self.csrf_token().await;
        let mut body: Vec<(&str, &str)> = vec![("csrf_token", &token)];
        body.extend_from_slice(fields);
        self.post_raw(path, &body).await
    }

    /// Posts exactly these fields (no CSRF token unless given).
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let body = serde_urlencoded::to_string(fields).expect("encodable");
        self.client
            .post(self.url(path))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("request sent")
    }

    /// Posts a form with files (`(field, filename, bytes, mime)`), CSRF token added.
    pub async fn post_multipart(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        files: Vec<(&str, &str, Vec<u8>, &str)>,
    ) -> reqwest::Response {
        let mut form = reqwest::multipart::Form::new().text("csrf_token", self.csrf_token().await);
        for (name, value) in fields {
            form = form.text(name.to_string(), value.to_string());
        }
        for (name, filename, bytes, mime) in files {
            let part = reqwest::multipart::Part::bytes(bytes)
                .file_name(filename.to_string())
                .mime_str(mime)
                .expect("valid mime");
            form = form.part(name.to_string(), part);
        }
        self.client
            .post(self.url(path))
            .multipart(form)
            .send()
            .await
            .expect("request sent")
    }

    /// Lists an item through the form and returns its id.
    pub async fn post_item(
        &self,
        fields: &[(&str, &str)],
        files: Vec<(&str, &str, Vec<u8>, &str)>,
    ) -> i64 {
        let response = self.post_multipart("/items", fields, files).await;
        assert_eq!(response.status(), 303, "item listed");
        listed_item_id(&response)
    }

    /// Asks for a sign-in link and returns it as received by mail.
    pub async fn request_link(&self, email: &str) -> String {
        let already = self.mailbox.to(email).len();
        let response = self.post_form("/login", &[("email", email)]).await;
        assert_eq!(response.status(), 200, "POST /login");
        let mails = self.mailbox.wait_for(email, already + 1).await;
        mails[already].link_containing("/login/confirm")
    }

    /// Opens the mailed link and presses the button, as a person does.
    pub async fn follow_link(&self, link: &str) -> reqwest::Response {
        let page = self.get_page(link).await;
        let token = page.attr("form[action='/login/confirm'] input[name=token]", "value");
        let next = page.attr("form[action='/login/confirm'] input[name=next]", "value");
        self.post_form("/login/confirm", &[("token", &token), ("next", &next)])
            .await
    }

    /// The whole first sign-in: link by mail, confirm, name and unit.
    pub async fn sign_in(&self, email: &str, name: &str) {
        let link = self.request_link(email).await;
        let response = self.follow_link(&link).await;
        assert_eq!(response.status(), 303, "signed in");
        let location = response.headers()["location"]
            .to_str()
            .expect("ascii")
            .to_string();
        if location.starts_with("/welcome") {
            let page = self.get_page(&location).await;
            let unit = page
                .select_all("select[name=unit_id] option")
                .get(1)
                .and_then(|option| option.value().attr("value"))
                .unwrap_or_default()
                .to_string();
            let response = self
                .post_form(
                    "/welcome",
                    &[("name", name), ("unit_id", &unit), ("next", "/")],
                )
                .await;
            assert_eq!(response.status(), 303, "profile saved");
        }
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
        collapse(&self.one("body").text().collect::<Vec<_>>().join(" "))
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

/// The id of the listing a saved form's answer leads to (`Location: /items/ID?…`).
pub fn listed_item_id(response: &reqwest::Response) -> i64 {
    response.headers()["location"]
        .to_str()
        .expect("ascii")
        .trim_start_matches("/items/")
        .split('?')
        .next()
        .and_then(|id| id.parse().ok())
        .expect("item id in location")
}

/// A PDF's page count and its text. krilla's ToUnicode maps carry PostScript comments and
/// `/CMapVersion` and `/WMode` entries that lopdf's parser stops at (all valid, none needed
/// to map glyphs), so they are dropped before the text is read.
pub fn pdf_text(bytes: &[u8]) -> (usize, String) {
    let mut document = lopdf::Document::load_mem(bytes).expect("a PDF");
    for object in document.objects.values_mut() {
        if let Ok(stream) = object.as_stream_mut() {
            let _ = stream.decompress();
            if stream.content.windows(7).any(|w| w == b"CIDInit") {
                let text = String::from_utf8_lossy(&stream.content)
                    .lines()
                    .filter(|line| {
                        !line.starts_with('%')
                            && !line.starts_with("/CMapVersion")
                            && !line.starts_with("/WMode")
                    })
                    .collect::<Vec<_>>()
                    .join("\n");
                stream.set_plain_content(text.into_bytes());
            }
        }
    }
    let pages: Vec<u32> = document.get_pages().keys().copied().collect();
    let text = document.extract_text(&pages).expect("text");
    (pages.len(), text)
}
