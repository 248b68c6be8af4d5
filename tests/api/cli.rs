//! The `bruka` binary as an operator runs it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::{Backend, Browser, TestDatabase, postgres_admin_url};
use crate::smtp::{Mailbox, ReceivedMail};

fn bruka(data_dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bruka"));
    command
        .current_dir(data_dir)
        .env_remove("BRUKA_DATABASE_URL")
        .env_remove("BRUKA_BIND")
        .env_remove("BRUKA_CONFIG")
        .env("BRUKA_LOG_FORMAT", "json")
        .stdin(Stdio::null());
    command
}

#[test]
fn unknown_database_scheme_is_refused_with_the_accepted_ones_named() {
    let dir = tempfile::tempdir().expect("dir");
    let output = bruka(dir.path())
        .env("BRUKA_DATABASE_URL", "mysql://localhost/bruka")
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("unsupported database URL scheme `mysql`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("sqlite://") && stderr.contains("postgres://"),
        "{stderr}"
    );
    assert!(
        stderr.contains("DATABASE_URL") && stderr.contains("BRUKA_"),
        "names where the value came from: {stderr}"
    );
    assert!(!dir.path().join("data").exists(), "nothing was created");
}

#[test]
fn missing_config_file_is_an_error() {
    let dir = tempfile::tempdir().expect("dir");
    let output = bruka(dir.path())
        .args(["--config", "nope.toml", "migrate"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("nope.toml"));
}

#[test]
fn config_file_values_are_used() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("bruka.toml"), "data_dir = \"state\"\n").expect("written");
    let output = bruka(dir.path()).arg("migrate").output().expect("runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(dir.path().join("state/bruka.db").exists());
}

fn migrate_twice(backend: Backend) {
    let dir = tempfile::tempdir().expect("dir");
    let database = TestDatabase::create(backend, &dir.path().join("data"));
    let run = || {
        let output = bruka(dir.path())
            .env("BRUKA_DATABASE_URL", database.url.as_str())
            .arg("migrate")
            .output()
            .expect("runs");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let first = run();
    assert!(first.contains("applied 20261123000001"), "{first}");
    let second = run();
    assert!(second.contains("is up to date"), "{second}");
    assert!(!second.contains("applied"), "{second}");
}

#[test]
fn migrate_applies_once_on_sqlite() {
    migrate_twice(Backend::Sqlite);
}

#[test]
fn migrate_applies_once_on_postgres() {
    if postgres_admin_url().is_some() {
        migrate_twice(Backend::Postgres);
    }
}

/// Starts `bruka` with defaults on a free port and returns what it printed up to "stop with".
fn start_default_server(dir: &std::path::Path) -> (Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let mut child = bruka(dir)
        .env("BRUKA_BIND", format!("127.0.0.1:{port}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
    let stdout = child.stdout.take().expect("piped");
    let mut reader = BufReader::new(stdout);
    let mut printed = String::new();
    while !printed.contains("stop with") {
        if reader.read_line(&mut printed).expect("prints") == 0 {
            break;
        }
    }
    // Keep reading so the pipe never fills; bruka must not depend on anyone reading.
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    (child, printed)
}

/// Anonymous visitors asked to sign in, and pages that do not exist, are no errors: they
/// must not reach the error log, which operators watch.
#[test]
fn anonymous_visitors_cannot_flood_the_error_log() {
    let dir = tempfile::tempdir().expect("dir");
    let log_path = dir.path().join("serve.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let mut child = bruka(dir.path())
        .env("BRUKA_BIND", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "info")
        .env("BRUKA_DEMO_BOOTSTRAP", "false")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("starts");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let deadline = Instant::now() + Duration::from_secs(60);
        while client.get(format!("{url}/healthz")).send().await.is_err() {
            assert!(Instant::now() < deadline, "bruka did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        for path in ["/my", "/items", "/stats", "/finns-inte"].repeat(10) {
            let response = client
                .get(format!("{url}{path}"))
                .send()
                .await
                .expect("sent");
            assert!(matches!(response.status().as_u16(), 303 | 404), "{path}");
        }
    });
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    let log = std::fs::read_to_string(&log_path).expect("log");
    let errors: Vec<&str> = log
        .lines()
        .filter(|line| line.contains("\"level\":\"ERROR\"") || line.contains("\"level\":\"WARN\""))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert!(
        log.contains("\"level\":\"INFO\""),
        "the log was written: {log}"
    );
}

/// The README's first command on a fresh directory: Swedish start page from SQLite in
/// ./data, and the printed sign-in instructions work offline (mail lands in data/mail).
#[test]
fn default_start_serves_from_sqlite_in_data_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().expect("dir");
    let (mut child, printed) = start_default_server(dir.path());
    let url = printed
        .lines()
        .next()
        .and_then(|line| line.trim().strip_prefix("Bruka is running at "))
        .unwrap_or_else(|| panic!("unexpected output: {printed}"))
        .to_string();
    assert!(
        dir.path().join("data/bruka.db").exists(),
        "SQLite in ./data by default"
    );
    let instruction = format!("sign in: open {url}/login and enter admin@exempelkommun.example");
    assert!(printed.contains(&instruction), "{printed}");
    assert!(
        printed.contains("example data: 240 listings with photos"),
        "a newcomer is told the example marketplace is there: {printed}"
    );

    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let body = reqwest::get(format!("{url}/factors"))
            .await
            .expect("served")
            .text()
            .await
            .expect("body");
        assert!(body.contains("<html lang=\"sv\">") && body.contains("Kontorsstol"));

        let browser = Browser::new(&url, Mailbox::default());
        let response = browser
            .post_form("/login", &[("email", "admin@exempelkommun.example")])
            .await;
        assert_eq!(response.status(), 200);
        let mail = wait_for_mail_file(&dir.path().join("data/mail")).await;
        // The files hold live sign-in links: only the server's user may read them.
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &std::path::Path| {
                std::fs::metadata(p).expect("meta").permissions().mode() & 0o777
            };
            assert_eq!(mode(&dir.path().join("data/mail")), 0o700);
            for entry in std::fs::read_dir(dir.path().join("data/mail")).expect("listing") {
                let path = entry.expect("entry").path();
                assert_eq!(
                    path.extension().and_then(|e| e.to_str()),
                    Some("eml"),
                    "{path:?}"
                );
                assert_eq!(mode(&path), 0o600, "{path:?}");
            }
        }
        let link = ReceivedMail {
            recipients: vec![],
            raw: mail,
        }
        .link_containing("/login/confirm");
        assert_eq!(browser.follow_link(&link).await.status(), 303);
        let admin = browser.get_page("/admin").await;
        assert_eq!(admin.text_of("h1"), "Administration: Exempelkommunen");
    });

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    assert!(status.is_ok_and(|s| s.success()));
    let deadline = Instant::now() + Duration::from_secs(20);
    let exit = loop {
        if let Some(exit) = child.try_wait().expect("waitable") {
            break exit;
        }
        assert!(
            Instant::now() < deadline,
            "bruka did not stop after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "graceful stop exits 0, got {exit:?}");
}

#[test]
fn organisations_and_first_admin_are_created_from_the_command_line() {
    let dir = tempfile::tempdir().expect("dir");
    let run = |args: &[&str]| {
        let output = bruka(dir.path())
            .env("BRUKA_DEMO_BOOTSTRAP", "false")
            .args(args)
            .output()
            .expect("runs");
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (code, _, stderr) = run(&["user", "add", "--admin", "anna@trollhattan.se"]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("bruka org add"),
        "says what to do first: {stderr}"
    );

    let (code, stdout, stderr) = run(&[
        "org",
        "add",
        "--name",
        "Trollhättans stad",
        "--domain",
        "trollhattan.se",
        "--domain",
        "skola.trollhattan.se",
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.contains("created organisation Trollhättans stad"),
        "{stdout}"
    );

    let (code, stdout, stderr) = run(&["user", "add", "--admin", "Anna@Trollhattan.se"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.contains("anna@trollhattan.se is now admin of Trollhättans stad"),
        "{stdout}"
    );

    let (code, _, stderr) = run(&[
        "org",
        "add",
        "--name",
        "Kopia",
        "--domain",
        "trollhattan.se",
    ]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("already belongs"), "{stderr}");
    let (code, _, stderr) = run(&["user", "add", "--role", "king", "b@trollhattan.se"]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("unknown role"), "{stderr}");
}

/// Runs `bruka` in `dir` without the example data; returns exit code, stdout and stderr.
fn run_in(dir: &std::path::Path, args: &[&str]) -> (Option<i32>, String, String) {
    let output = bruka(dir)
        .env("BRUKA_DEMO_BOOTSTRAP", "false")
        .args(args)
        .output()
        .expect("runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn networks_are_formed_and_left_from_the_command_line() {
    let dir = tempfile::tempdir().expect("dir");
    let run = |args: &[&str]| run_in(dir.path(), args);
    for (name, domain) in [("Borås stad", "boras.se"), ("Marks kommun", "mark.se")] {
        let (code, _, stderr) = run(&["org", "add", "--name", name, "--domain", domain]);
        assert_eq!(code, Some(0), "{stderr}");
    }
    run(&["user", "add", "--admin", "kim@mark.se"]);
    run(&["user", "add", "bo@mark.se"]);
    let (code, stdout, stderr) = run(&[
        "network",
        "create",
        "--name",
        "Sjuhärad",
        "--organisation",
        "boras-stad",
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("created network Sjuhärad"), "{stdout}");
    let (code, _, stderr) = run(&[
        "network",
        "invite",
        "--organisation",
        "boras-stad",
        "bo@mark.se",
    ]);
    assert_eq!(code, Some(1), "a member is no admin");
    assert!(stderr.contains("no admin"), "{stderr}");
    let (code, stdout, stderr) = run(&[
        "network",
        "invite",
        "--organisation",
        "boras-stad",
        "kim@mark.se",
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    let invitation = stdout
        .split_whitespace()
        .nth(1)
        .expect("invitation number")
        .to_string();
    let (_, listed, _) = run(&["network", "list"]);
    assert!(
        listed.contains("member   Borås stad")
            && listed.contains(&format!(
                "invited  Marks kommun (kim@mark.se), invitation {invitation}"
            )),
        "{listed}"
    );
    let (code, _, stderr) = run(&[
        "network",
        "accept",
        "--organisation",
        "boras-stad",
        &invitation,
    ]);
    assert_eq!(code, Some(1), "not Borås's invitation to accept: {stderr}");
    let (code, _, stderr) = run(&[
        "network",
        "accept",
        "--organisation",
        "marks-kommun",
        &invitation,
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    let (_, listed, _) = run(&["network", "list"]);
    assert!(listed.contains("member   Marks kommun"), "{listed}");
    let (code, stdout, _) = run(&["network", "leave", "--organisation", "marks-kommun"]);
    assert_eq!(code, Some(0));
    assert!(stdout.contains("marks-kommun left Sjuhärad"), "{stdout}");
    let (code, _, stderr) = run(&["network", "leave", "--organisation", "marks-kommun"]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("not in a network"), "{stderr}");
}

#[test]
fn a_national_factor_table_is_previewed_and_applied_from_the_command_line() {
    let dir = tempfile::tempdir().expect("dir");
    let run = |args: &[&str]| run_in(dir.path(), args);
    let table = dir.path().join("faktorer-2027.csv");
    std::fs::write(
        &table,
        "category_path,kg_co2e_per_item,kg_co2e_per_item_low,kg_co2e_per_item_high,source\n\
         Möbler/Kontorsstol,70,62,160,Nationell genomgång 2027 av EPD:er\n\
         Möbler/Ståbord,50,,,EPD ståbord 2027\n",
    )
    .expect("written");
    let path = table.to_str().expect("utf-8 path");
    let args = [
        "factors",
        "import",
        path,
        "--valid-from",
        "2027-01-01",
        "--label",
        "nationell-2027-01",
    ];
    let (code, stdout, stderr) = run(&args);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.contains("Möbler/Kontorsstol") && stdout.contains("changed"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Möbler/Ståbord") && stdout.contains("new"),
        "{stdout}"
    );
    assert!(stdout.contains("run again with --apply"), "{stdout}");
    let mut apply = args.to_vec();
    apply.push("--apply");
    let (code, stdout, stderr) = run(&apply);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.contains("applied nationell-2027-01: 2 categories"),
        "{stdout}"
    );
    let (code, _, stderr) = run(&apply);
    assert_eq!(code, Some(1), "the same table twice");
    assert!(stderr.contains("already imported"), "{stderr}");

    std::fs::write(
        &table,
        "category_path,kg_co2e_per_item,source\nMöbler/Kontorsstol,-1,x\nPlatt,2,x\n",
    )
    .expect("written");
    let (code, stdout, stderr) = run(&[
        "factors",
        "import",
        path,
        "--valid-from",
        "2027-02-01",
        "--label",
        "fel",
        "--apply",
    ]);
    assert_eq!(code, Some(1));
    assert!(
        stdout.contains("line 2") && stdout.contains("line 3"),
        "{stdout}"
    );
    assert!(stderr.contains("nothing changed"), "{stderr}");
}

async fn wait_for_mail_file(dir: &std::path::Path) -> Vec<u8> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let found = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .find(|entry| entry.path().extension().is_some_and(|e| e == "eml"));
        if let Some(entry) = found {
            return std::fs::read(entry.path()).expect("mail file");
        }
        assert!(Instant::now() < deadline, "no mail in {}", dir.display());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[test]
fn demo_fills_the_example_organisation_with_listings_and_handovers() {
    use bruka::db::schema::{item_photos, items, reservations, reuse_records, users};
    use diesel::prelude::*;

    let dir = tempfile::tempdir().expect("dir");
    let output = bruka(dir.path())
        .args(["demo", "--items", "40", "--history", "120", "--seed", "7"])
        .output()
        .expect("runs");
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("added 40 listings")
            && stdout.contains("10 reservations")
            && stdout.contains("120 past handovers"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Exempelnätverket with 2 partner organisations: 12 listings shared"),
        "{stdout}"
    );
    assert!(
        !dir.path().join("data/mail").exists() || {
            std::fs::read_dir(dir.path().join("data/mail"))
                .map(|entries| entries.count() == 0)
                .unwrap_or(true)
        },
        "the made-up handovers send no mail"
    );

    let url = bruka::db::DatabaseUrl::parse(&format!(
        "sqlite://{}",
        dir.path().join("data/bruka.db").display()
    ))
    .expect("url");
    let pool = bruka::db::build_pool(&url, 1).expect("pool");
    let mut conn = pool.get().expect("connection");
    let listings: i64 = items::table.count().get_result(&mut *conn).expect("count");
    let photos: i64 = item_photos::table
        .count()
        .get_result(&mut *conn)
        .expect("count");
    let people: i64 = users::table.count().get_result(&mut *conn).expect("count");
    let reserved: i64 = reservations::table
        .count()
        .get_result(&mut *conn)
        .expect("count");
    let picked_up: i64 = reservations::table
        .filter(reservations::status.eq("picked_up"))
        .count()
        .get_result(&mut *conn)
        .expect("count");
    let records: i64 = reuse_records::table
        .filter(reuse_records::reservation_id.is_not_null())
        .count()
        .get_result(&mut *conn)
        .expect("count");
    let history: Vec<chrono::NaiveDateTime> = reuse_records::table
        .filter(reuse_records::reservation_id.is_null())
        .select(reuse_records::recorded_at)
        .load(&mut *conn)
        .expect("history");
    // 40 of the example organisation's own and 6 from each of its two partners.
    assert_eq!((listings, photos), (52, 52));
    assert!(people > 5, "colleagues to list and reserve");
    assert_eq!(
        reserved,
        10 + 4,
        "two partner listings each fetched across the network"
    );
    assert!(
        picked_up > 0 && records == picked_up,
        "{picked_up} pickups, {records} records"
    );
    assert_eq!(
        history.len(),
        120 + 24,
        "past handovers, 12 with each partner"
    );
    let in_network: i64 = bruka::db::schema::organisations::table
        .filter(bruka::db::schema::organisations::network_id.is_not_null())
        .count()
        .get_result(&mut *conn)
        .expect("count");
    assert_eq!(in_network, 3, "the example organisation and two partners");
    let across: i64 = reuse_records::table
        .filter(reuse_records::giving_organisation_id.ne(reuse_records::receiving_organisation_id))
        .count()
        .get_result(&mut *conn)
        .expect("count");
    assert_eq!(
        across,
        4 + 24,
        "handovers between organisations in the ledger"
    );
    let months: std::collections::BTreeSet<String> = history
        .iter()
        .map(|at| at.format("%Y-%m").to_string())
        .collect();
    assert!(months.len() > 12, "spread over two years: {months:?}");
}

/// `bruka backup` while the server runs, `bruka restore` on a fresh machine: the same
/// listings, ledger and photos.
#[test]
fn a_backup_taken_while_serving_restores_the_same_ledger_elsewhere() {
    use bruka::db::schema::{items, reuse_records};
    use diesel::prelude::*;

    let dir = tempfile::tempdir().expect("dir");
    let output = bruka(dir.path())
        .args(["demo", "--items", "20", "--history", "150"])
        .output()
        .expect("runs");
    assert!(output.status.success(), "{output:?}");
    let (mut server, _) = start_default_server(dir.path());

    let out = dir.path().join("backup-2026-11-23");
    let output = bruka(dir.path())
        .args(["backup", "--out"])
        .arg(&out)
        .output()
        .expect("runs");
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    // 20 of the example organisation's and 6 from each of the example network's partners.
    assert!(stdout.contains("backed up 32 listings"), "{stdout}");
    let again = bruka(dir.path())
        .args(["backup", "--out"])
        .arg(&out)
        .output()
        .expect("runs");
    assert!(
        !again.status.success(),
        "an existing backup is never overwritten"
    );
    assert!(String::from_utf8_lossy(&again.stderr).contains("not empty"));
    server.kill().expect("stopped");
    server.wait().expect("exited");

    let fresh = tempfile::tempdir().expect("fresh machine");
    let output = bruka(fresh.path())
        .args(["restore", "--from"])
        .arg(&out)
        .output()
        .expect("runs");
    assert!(output.status.success(), "{output:?}");
    let twice = bruka(fresh.path())
        .args(["restore", "--from"])
        .arg(&out)
        .output()
        .expect("runs");
    assert!(!twice.status.success(), "an existing database is kept");

    let figures = |root: &std::path::Path| {
        let url = bruka::db::DatabaseUrl::sqlite_file(root.join("data/bruka.db"));
        let pool = bruka::db::build_pool(&url, 1).expect("pool");
        let mut conn = pool.get().expect("connection");
        let listings: i64 = items::table.count().get_result(&mut *conn).expect("count");
        let rows: Vec<(i64, i64, i64)> = reuse_records::table
            .order(reuse_records::id)
            .select((
                reuse_records::id,
                reuse_records::co2e_grams,
                reuse_records::money_saved_ore,
            ))
            .load(&mut *conn)
            .expect("ledger");
        let photos = walk(&root.join("data/photos"));
        (listings, rows, photos)
    };
    fn walk(dir: &std::path::Path) -> Vec<String> {
        let mut found = Vec::new();
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                found.extend(walk(&path));
            } else {
                found.push(
                    path.file_name()
                        .unwrap_or_default()
                        .to_string_lossy()
                        .into(),
                );
            }
        }
        found.sort();
        found
    }
    let (listings, ledger, photos) = figures(dir.path());
    assert!(ledger.len() > 150 && !photos.is_empty());
    assert_eq!(figures(fresh.path()), (listings, ledger, photos));
    assert_eq!(
        std::fs::read(dir.path().join("data/secret.key")).expect("key"),
        std::fs::read(fresh.path().join("data/secret.key")).expect("restored key"),
        "sessions and links stay valid after a move"
    );

    // The restored installation starts and answers.
    let (mut restored, printed) = start_default_server(fresh.path());
    assert!(printed.contains("Bruka is running at"), "{printed}");
    restored.kill().expect("stopped");
    restored.wait().expect("exited");
}

/// The PostgreSQL instructions `bruka backup` prints, followed to the letter: pg_dump of a
/// database with history, pg_restore into an empty one, the same ledger.
#[test]
fn the_postgres_backup_instructions_restore_the_same_ledger() {
    use bruka::db::schema::reuse_records;
    use diesel::prelude::*;

    if postgres_admin_url().is_none() {
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    let original = TestDatabase::create(Backend::Postgres, &dir.path().join("data"));
    let output = bruka(dir.path())
        .env("BRUKA_DATABASE_URL", original.url.as_str())
        .args(["demo", "--items", "10", "--history", "80"])
        .output()
        .expect("runs");
    assert!(output.status.success(), "{output:?}");
    let refused = bruka(dir.path())
        .env("BRUKA_DATABASE_URL", original.url.as_str())
        .args(["backup", "--out", "backup"])
        .output()
        .expect("runs");
    assert!(!refused.status.success());
    let instructions = String::from_utf8_lossy(&refused.stderr);
    assert!(
        instructions.contains("pg_dump --format=custom"),
        "{instructions}"
    );

    let dump = dir.path().join("bruka.dump");
    let status = Command::new("pg_dump")
        .args(["--format=custom", "--file"])
        .arg(&dump)
        .arg(original.url.as_str())
        .status()
        .expect("pg_dump runs");
    assert!(status.success());
    let fresh = TestDatabase::create(Backend::Postgres, &dir.path().join("fresh"));
    let status = Command::new("pg_restore")
        .arg("--no-owner")
        .arg(format!("--dbname={}", fresh.url.as_str()))
        .arg(&dump)
        .status()
        .expect("pg_restore runs");
    assert!(status.success());

    let ledger = |url: &bruka::db::DatabaseUrl| {
        let pool = bruka::db::build_pool(url, 1).expect("pool");
        let mut conn = pool.get().expect("connection");
        reuse_records::table
            .order(reuse_records::id)
            .select((reuse_records::id, reuse_records::co2e_grams))
            .load::<(i64, i64)>(&mut *conn)
            .expect("ledger")
    };
    let before = ledger(&original.url);
    assert!(before.len() >= 80);
    assert_eq!(ledger(&fresh.url), before);
}
