//! The `bruka` command: serve (default) and migrate.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use bruka::config::Settings;
use bruka::startup::{Application, prepare_database};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "bruka",
    version,
    about = "Internal reuse marketplace for the public sector"
)]
struct Cli {
    /// Configuration file (default: bruka.toml in the working directory, if present).
    #[arg(long, global = true, env = "BRUKA_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run pending migrations and serve the web application (the default).
    Serve,
    /// Run pending migrations and seed reference data, then exit.
    Migrate,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("bruka: {error}");
            return ExitCode::from(2);
        }
    };
    bruka::telemetry::init(settings.log_format);
    let outcome = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings),
        Command::Migrate => migrate(&settings),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bruka: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn serve(settings: Settings) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let app = Application::build(settings).await?;
        say(&format!("Bruka is running at {}", app.public_url()));
        say(&format!("  database: {}", app.database_url()));
        say("  stop with Ctrl+C");
        app.run_until_stopped().await?;
        tracing::info!("stopped");
        Ok(())
    })
}

fn migrate(settings: &Settings) -> anyhow::Result<()> {
    let (_, applied) = prepare_database(settings)?;
    if applied.is_empty() {
        say(&format!(
            "database {} is up to date",
            settings.database_url()
        ));
    }
    for migration in applied {
        say(&format!("applied {migration}"));
    }
    Ok(())
}

/// Messages for the person at the terminal. A closed stdout (a supervisor that stopped
/// reading) must not bring the server down, so write errors are ignored.
fn say(line: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{line}").and_then(|()| stdout.flush());
}
