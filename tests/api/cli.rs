//! The `bruka` binary as an operator runs it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::{Backend, TestDatabase, postgres_admin_url};

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

/// Starts `bruka` with defaults on a free port and waits for its "running at" line.
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
    let mut first_line = String::new();
    BufReader::new(stdout)
        .read_line(&mut first_line)
        .expect("prints");
    (child, first_line)
}

#[test]
fn default_start_serves_from_sqlite_in_data_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().expect("dir");
    let (mut child, first_line) = start_default_server(dir.path());
    let url = first_line
        .trim()
        .strip_prefix("Bruka is running at ")
        .unwrap_or_else(|| panic!("unexpected first line: {first_line}"))
        .to_string();
    assert!(
        dir.path().join("data/bruka.db").exists(),
        "SQLite in ./data by default"
    );

    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let body = runtime.block_on(async {
        reqwest::get(format!("{url}/"))
            .await
            .expect("served")
            .text()
            .await
            .expect("body")
    });
    assert!(body.contains("<html lang=\"sv\">") && body.contains("Kontorsstol"));

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
