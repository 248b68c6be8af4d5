//! The `bruka` command: serve (default) and migrate.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use bruka::accounts::{self, Email, Role};
use bruka::config::Settings;
use bruka::organisations::{self, Country, EmailDomain};
use bruka::photos::PhotoStore;
use bruka::startup::{Application, prepare_database};
use clap::{Parser, Subcommand};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// Fill the example organisation with colleagues and listings (with photos).
    Demo {
        /// How many listings to add.
        #[arg(long, default_value_t = bruka::demo::FIRST_RUN_LISTINGS)]
        items: usize,
        /// How many past handovers to add to the savings ledger (spread over two years).
        #[arg(long, default_value_t = bruka::demo::FIRST_RUN_HISTORY)]
        history: usize,
        /// Random seed, for repeatable data.
        #[arg(long, default_value_t = bruka::demo::SEED)]
        seed: u64,
    },
    /// Organisations: `bruka org add --name "Trollhättans stad" --domain trollhattan.se`.
    #[command(subcommand)]
    Org(OrgCommand),
    /// People: `bruka user add --admin anna@trollhattan.se` bootstraps the first admin.
    #[command(subcommand)]
    User(UserCommand),
    /// Copy a running SQLite installation (database, photos, signing key) into a new folder.
    Backup {
        /// The folder to create (must be new or empty).
        #[arg(long)]
        out: PathBuf,
    },
    /// Put a backup made by `bruka backup` in place, on a machine where Bruka is stopped.
    Restore {
        /// The backup folder.
        #[arg(long)]
        from: PathBuf,
        /// Replace an existing database.
        #[arg(long)]
        force: bool,
    },
    /// API tokens: `bruka token add --name "E-handel" anna@trollhattan.se` prints a new one.
    #[command(subcommand)]
    Token(TokenCommand),
    /// The photo store on its own (folder or S3 bucket), for PostgreSQL installations whose
    /// database is backed up with pg_dump.
    #[command(subcommand)]
    Photos(PhotosCommand),
    /// The factor table: `bruka factors import FILE --valid-from 2027-01-01 --label NAME`.
    #[command(subcommand)]
    Factors(FactorsCommand),
    /// Networks of organisations that share listings: `bruka network list`.
    #[command(subcommand)]
    Network(NetworkCommand),
    /// The savings ledger's hash chain: `bruka ledger verify` recomputes it.
    #[command(subcommand)]
    Ledger(LedgerCommand),
}

#[derive(Subcommand)]
enum LedgerCommand {
    /// Recompute every organisation's chain (or one's) and report the first broken row;
    /// with `--export FILE`, check a CSV or JSON export against the ledger instead.
    /// Exits with status 1 when anything does not match.
    Verify {
        /// One organisation by its short name.
        #[arg(long)]
        organisation: Option<String>,
        #[arg(long)]
        export: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum NetworkCommand {
    /// Start a network with one organisation (by its short name) as the first member.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        organisation: String,
    },
    /// Invite the organisation of the admin at EMAIL into ORGANISATION's network.
    Invite {
        #[arg(long)]
        organisation: String,
        email: String,
    },
    /// Accept an invitation (its number from `bruka network list`) for the organisation.
    Accept {
        #[arg(long)]
        organisation: String,
        invitation: i64,
    },
    /// Decline an invitation for the organisation.
    Decline {
        #[arg(long)]
        organisation: String,
        invitation: i64,
    },
    /// Take the organisation out of its network at once.
    Leave {
        #[arg(long)]
        organisation: String,
    },
    /// Every network, its members and the invitations waiting for an answer.
    List,
}

#[derive(Subcommand)]
enum FactorsCommand {
    /// Check a factor table (CSV) and print what it would change; `--apply` applies it.
    Import {
        file: PathBuf,
        /// The day the new figures are valid from (handovers from then on use them).
        #[arg(long)]
        valid_from: chrono::NaiveDate,
        /// The table's name, kept with every figure it sets (e.g. bruka-emission-factors-2027-01).
        #[arg(long)]
        label: String,
        /// An organisation's own figures (by its short name) instead of the national table.
        #[arg(long)]
        organisation: Option<String>,
        /// Apply it; without this nothing changes.
        #[arg(long)]
        apply: bool,
    },
}

#[derive(Subcommand)]
enum PhotosCommand {
    /// Copy every photo from the configured store into a folder (new files only added).
    Backup {
        #[arg(long)]
        out: PathBuf,
    },
    /// Copy the photos of a folder made by `bruka photos backup` (or the `photos` folder of
    /// `bruka backup`) into the configured store.
    Restore {
        #[arg(long)]
        from: PathBuf,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create a personal API token for an existing user and print its secret (once).
    Add {
        email: String,
        /// What the token is for, as shown on the user's profile page.
        #[arg(long)]
        name: String,
        /// `full` (all its owner may do) or `procurement` (only reuse checks, receipts
        /// and purchases).
        #[arg(long, default_value = "full")]
        scope: String,
    },
}

#[derive(Subcommand)]
enum OrgCommand {
    /// Create an organisation with the e-mail domains whose staff may sign in.
    Add {
        #[arg(long)]
        name: String,
        /// May be given several times.
        #[arg(long = "domain", required = true)]
        domains: Vec<String>,
        /// SE or NO.
        #[arg(long, default_value = "SE")]
        country: String,
    },
    /// Sign-in with the organisation's directory (OpenID Connect, e.g. Entra ID).
    #[command(subcommand)]
    Sso(SsoCommand),
}

#[derive(Subcommand)]
enum SsoCommand {
    /// Set up or change the directory. The client secret is read from the environment
    /// variable BRUKA_SSO_CLIENT_SECRET (never from the command line, which shells keep).
    Set {
        /// The organisation's slug (as in `bruka org add`'s output).
        #[arg(long)]
        organisation: String,
        /// e.g. https://login.microsoftonline.com/<tenant id>/v2.0
        #[arg(long)]
        issuer: String,
        #[arg(long)]
        client_id: String,
        /// Entra ID: accept only ID tokens of this tenant (the tid claim).
        #[arg(long, default_value = "")]
        tenant: String,
    },
    /// Switch the mailed sign-in link (and its code) on or off for the organisation.
    Links {
        #[arg(long)]
        organisation: String,
        /// on or off.
        state: String,
    },
    /// Give members of a directory group (an id of the groups claim) a role and a unit.
    Group {
        #[arg(long)]
        organisation: String,
        #[arg(long)]
        group: String,
        /// member, sustainability or admin.
        #[arg(long, default_value = "member")]
        role: String,
        /// The unit's id (see the admin page).
        #[arg(long)]
        unit: Option<i64>,
    },
    /// Show the organisation's directory settings (never the secret).
    Show {
        #[arg(long)]
        organisation: String,
    },
    /// End directory sign-in; the mailed link works again.
    Off {
        #[arg(long)]
        organisation: String,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user (or change their role) in the organisation their domain belongs to.
    Add {
        email: String,
        /// Make the user an admin of their organisation.
        #[arg(long, conflicts_with = "role")]
        admin: bool,
        /// member, sustainability or admin.
        #[arg(long)]
        role: Option<String>,
    },
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
        Command::Demo {
            items,
            history,
            seed,
        } => demo(&settings, items, history, seed),
        Command::Org(OrgCommand::Add {
            name,
            domains,
            country,
        }) => add_organisation(&settings, &name, &domains, &country),
        Command::Org(OrgCommand::Sso(command)) => directory_settings(&settings, command),
        Command::User(UserCommand::Add { email, admin, role }) => {
            add_user(&settings, &email, admin, role.as_deref())
        }
        Command::Token(TokenCommand::Add { email, name, scope }) => {
            add_token(&settings, &email, &name, &scope)
        }
        Command::Backup { out } => backup(&settings, &out),
        Command::Restore { from, force } => restore(&settings, &from, force),
        Command::Factors(FactorsCommand::Import {
            file,
            valid_from,
            label,
            organisation,
            apply,
        }) => import_factors(
            &settings,
            &file,
            valid_from,
            &label,
            organisation.as_deref(),
            apply,
        ),
        Command::Network(command) => network(&settings, command),
        Command::Ledger(LedgerCommand::Verify {
            organisation,
            export,
        }) => verify_ledger(&settings, organisation.as_deref(), export.as_deref()),
        Command::Photos(PhotosCommand::Backup { out }) => {
            bruka::backup::photos_backup(&settings, &out)
                .map(|files| {
                    say(&format!(
                        "copied {files} photo files into {}",
                        out.display()
                    ))
                })
                .map_err(Into::into)
        }
        Command::Photos(PhotosCommand::Restore { from }) => {
            bruka::backup::photos_restore(&settings, &from)
                .map(|files| {
                    say(&format!(
                        "copied {files} photo files from {}",
                        from.display()
                    ))
                })
                .map_err(Into::into)
        }
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
        say(&format!("  mail: {}", app.mail_target()));
        if let Some(admin) = app.demo_admin() {
            say(&format!(
                "  sign in: open {}/login and enter {admin} (the example organisation's admin)",
                app.public_url()
            ));
            say("  without SMTP the sign-in link is printed in the log below and saved in the mail folder");
        }
        if let Some(listings) = app.demo_listings() {
            say(&format!(
                "  example data: {listings} listings with photos in the example organisation (set demo_bootstrap = false to start empty)"
            ));
        }
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

fn demo(settings: &Settings, items: usize, history: usize, seed: u64) -> anyhow::Result<()> {
    let (pool, _) = prepare_database(settings)?;
    let store = PhotoStore::configured(settings)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let size = bruka::demo::DemoSize {
        count: items,
        history,
    };
    let report = runtime.block_on(bruka::demo::seed(&pool, &store, size, seed))?;
    say(&format!(
        "added {} listings ({} generated photos) to the example organisation, with {} reservations of which {} were picked up, and {} past handovers in the savings ledger",
        report.items_created,
        report.photos_stored,
        report.reservations,
        report.handovers,
        report.past_handovers
    ));
    say(&format!(
        "{} with {} partner organisations: {} listings shared by the partners, {} handovers across organisations now and {} in the past",
        bruka::demo::NETWORK_NAME,
        report.network.partners,
        report.network.shared_listings,
        report.network.handovers,
        report.network.past_handovers
    ));
    say(&format!(
        "sign in as {} (admin) or anna.lindqvist@{} (member)",
        report.admin,
        bruka::bootstrap::DEMO_DOMAIN
    ));
    Ok(())
}

fn add_organisation(
    settings: &Settings,
    name: &str,
    domains: &[String],
    country: &str,
) -> anyhow::Result<()> {
    let country = match country.to_ascii_uppercase().as_str() {
        "SE" => Country::Sweden,
        "NO" => Country::Norway,
        other => anyhow::bail!("unknown country `{other}`; use SE or NO"),
    };
    let domains = domains
        .iter()
        .map(|d| EmailDomain::parse(d))
        .collect::<Result<Vec<_>, _>>()?;
    let (pool, _) = prepare_database(settings)?;
    let organisation = organisations::create(&mut *pool.get()?, name, country, &domains)?;
    say(&format!(
        "created organisation {} (short name {}, id {}) for {}",
        organisation.name,
        organisation.slug,
        organisation.id,
        domains
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    ));
    Ok(())
}

fn backup(settings: &Settings, out: &std::path::Path) -> anyhow::Result<()> {
    // No migrations or seeding: a backup reads, and the server may be running.
    let pool = bruka::db::build_pool(&settings.database_url(), 1)?;
    let mut conn = pool.get()?;
    let contents = bruka::backup::backup(settings, &mut conn, out)?;
    say(&format!(
        "backed up {} listings, {} ledger rows ({:.1} kg CO2e) and {} photos into {}",
        contents.listings,
        contents.ledger_rows,
        contents.co2e_grams.kg(),
        contents.photos,
        out.display()
    ));
    Ok(())
}

fn restore(settings: &Settings, from: &std::path::Path, force: bool) -> anyhow::Result<()> {
    bruka::backup::restore(settings, from, force)?;
    say(&format!(
        "restored {} into {}; start Bruka as usual (pending migrations run on start)",
        from.display(),
        settings.data_dir.display()
    ));
    Ok(())
}

fn add_token(settings: &Settings, email: &str, name: &str, scope: &str) -> anyhow::Result<()> {
    let scope = accounts::api_tokens::TokenScope::parse(scope)
        .ok_or_else(|| anyhow::anyhow!("unknown scope `{scope}`; use full or procurement"))?;
    let email = Email::parse(email)?;
    let (pool, _) = prepare_database(settings)?;
    let mut conn = pool.get()?;
    let user = accounts::find_by_email(&mut conn, &email)?
        .ok_or_else(|| anyhow::anyhow!("no user {email}; add them first with `bruka user add`"))?;
    let (_, secret) = accounts::api_tokens::create(&mut conn, user.id, name, scope)
        .map_err(|error| anyhow::anyhow!("token not created: {error}"))?;
    // The secret alone on stdout, so scripts can capture it.
    println!("{secret}");
    Ok(())
}

fn directory_settings(settings: &Settings, command: SsoCommand) -> anyhow::Result<()> {
    use bruka::directory;
    let slug = match &command {
        SsoCommand::Set { organisation, .. }
        | SsoCommand::Links { organisation, .. }
        | SsoCommand::Group { organisation, .. }
        | SsoCommand::Show { organisation }
        | SsoCommand::Off { organisation } => organisation.clone(),
    };
    let (pool, _) = prepare_database(settings)?;
    let mut conn = pool.get()?;
    let organisation = organisations::find_by_slug(&mut conn, &slug)?
        .ok_or_else(|| anyhow::anyhow!("no organisation with the slug `{slug}`"))?;
    let id = organisation.id;
    match command {
        SsoCommand::Set {
            issuer,
            client_id,
            tenant,
            ..
        } => {
            let secret = std::env::var("BRUKA_SSO_CLIENT_SECRET").map_err(|_| {
                anyhow::anyhow!("set BRUKA_SSO_CLIENT_SECRET to the client secret first")
            })?;
            let sealer = directory::seal::Sealer::new(&bruka::secret::load_or_create(settings)?);
            directory::save(
                &mut conn,
                id,
                &issuer,
                &client_id,
                &sealer.seal(secret.trim()),
                &tenant,
            )?;
            say(&format!(
                "{} signs in with {issuer}; register this redirect URI there: {}{}",
                organisation.name,
                settings.public_url(settings.bind).trim_end_matches('/'),
                bruka::app::directory::CALLBACK_PATH
            ));
        }
        SsoCommand::Links { state, .. } => {
            let enabled = match state.as_str() {
                "on" => true,
                "off" => false,
                other => anyhow::bail!("use on or off, not `{other}`"),
            };
            directory::set_links_enabled(&mut conn, id, enabled)?;
            say(&format!(
                "mailed sign-in links for {}: {state}",
                organisation.name
            ));
        }
        SsoCommand::Group {
            group, role, unit, ..
        } => {
            let role = Role::parse(&role).ok_or_else(|| {
                anyhow::anyhow!("unknown role `{role}`; use member, sustainability or admin")
            })?;
            let mapping = directory::GroupRole {
                group_id: group.clone(),
                role,
                unit_id: unit.map(bruka::ids::UnitId),
            };
            directory::map_group(&mut conn, id, &mapping)?;
            say(&format!("members of {group} become {}", role.as_str()));
        }
        SsoCommand::Show { .. } => match directory::find(&mut conn, id)? {
            None => say(&format!(
                "{} signs in by mailed link only",
                organisation.name
            )),
            Some(found) => {
                say(&format!("issuer:    {}", found.issuer));
                say(&format!("client id: {}", found.client_id));
                say(&format!(
                    "tenant:    {}",
                    if found.tenant_id.is_empty() {
                        "(any)"
                    } else {
                        &found.tenant_id
                    }
                ));
                say(&format!(
                    "links:     {}",
                    if found.links_enabled { "on" } else { "off" }
                ));
                for group in directory::group_roles(&mut conn, id)? {
                    say(&format!(
                        "group {} -> {}{}",
                        group.group_id,
                        group.role.as_str(),
                        group
                            .unit_id
                            .map(|unit| format!(", unit {unit}"))
                            .unwrap_or_default()
                    ));
                }
            }
        },
        SsoCommand::Off { .. } => {
            directory::remove(&mut conn, id)?;
            say(&format!(
                "{} signs in by mailed link again",
                organisation.name
            ));
        }
    }
    Ok(())
}

fn add_user(
    settings: &Settings,
    email: &str,
    admin: bool,
    role: Option<&str>,
) -> anyhow::Result<()> {
    let role = match (admin, role) {
        (true, _) => Role::Admin,
        (false, None) => Role::Member,
        (false, Some(raw)) => Role::parse(raw).ok_or_else(|| {
            anyhow::anyhow!("unknown role `{raw}`; use member, sustainability or admin")
        })?,
    };
    let email = Email::parse(email)?;
    let (pool, _) = prepare_database(settings)?;
    let mut conn = pool.get()?;
    let organisation = organisations::find_by_email_domain(&mut conn, email.domain())?
        .ok_or_else(|| {
            anyhow::anyhow!(
                "no organisation has the domain {}; create one first with `bruka org add --name NAME --domain {}`",
                email.domain(),
                email.domain()
            )
        })?;
    let user = accounts::find_or_create(&mut conn, &email, organisation.id, role)?;
    bruka::audit::audited(&mut conn, organisation.id, None, |conn| {
        accounts::set_role(conn, organisation.id, user.id, role)?;
        let note = bruka::audit::Note::new(
            bruka::audit::Subject::User(user.id),
            "role_changed",
            format!("{} (bruka user add)", role.as_str()),
        );
        Ok::<_, accounts::AccountError>(((), note))
    })?;
    say(&format!(
        "{} is now {} of {}; they sign in at /login with their e-mail address",
        email,
        role.as_str(),
        organisation.name
    ));
    Ok(())
}

fn import_factors(
    settings: &Settings,
    file: &std::path::Path,
    valid_from: chrono::NaiveDate,
    label: &str,
    organisation: Option<&str>,
    apply: bool,
) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(file)
        .map_err(|error| anyhow::anyhow!("cannot read {}: {error}", file.display()))?;
    let (pool, _) = prepare_database(settings)?;
    let mut conn = pool.get()?;
    let organisation = match organisation {
        None => None,
        Some(slug) => Some(
            organisations::find_by_slug(&mut conn, slug)?
                .ok_or_else(|| anyhow::anyhow!("no organisation `{slug}`"))?
                .id,
        ),
    };
    let outcome = bruka::app::factors::import_from_cli(
        &mut conn,
        &text,
        organisation,
        valid_from,
        label,
        apply,
    );
    let (plan, written) = match outcome {
        Ok(done) => done,
        Err(bruka::app::factors::FactorError::Lines(lines)) => {
            for line in &lines {
                say(&line.to_string());
            }
            anyhow::bail!("{} has errors; nothing changed", file.display());
        }
        Err(error) => anyhow::bail!("{error}; nothing changed"),
    };
    for line in bruka::categories::table::describe_plan(&plan) {
        say(&line);
    }
    if apply {
        say(&format!(
            "applied {label}: {written} categories have a new version from {valid_from}"
        ));
    } else {
        say(&format!(
            "{} of {} categories would change; run again with --apply to apply",
            plan.changes(),
            plan.rows.len()
        ));
    }
    Ok(())
}

fn verify_ledger(
    settings: &Settings,
    organisation: Option<&str>,
    export: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    use bruka::ledger::{chain, export_check};
    let (pool, _) = prepare_database(settings)?;
    let mut conn = pool.get()?;
    if let Some(file) = export {
        let bytes = std::fs::read(file)
            .map_err(|error| anyhow::anyhow!("cannot read {}: {error}", file.display()))?;
        let exported = export_check::read(&bytes)
            .map_err(|error| anyhow::anyhow!("{}: {error}", file.display()))?;
        let outcome = export_check::check(&mut conn, &exported)?;
        for problem in &outcome.problems {
            say(problem);
        }
        if !outcome.problems.is_empty() {
            anyhow::bail!("{} does not match the ledger", file.display());
        }
        say(&format!(
            "{} matches the ledger: {} rows, chain head {} at position {}{}",
            file.display(),
            outcome.rows,
            outcome.head.hash,
            outcome.head.seq,
            outcome
                .organisation
                .map(|name| format!(" in {name}'s chain"))
                .unwrap_or_default()
        ));
        return Ok(());
    }
    let outcomes = match organisation {
        Some(slug) => {
            let found = organisations::find_by_slug(&mut conn, slug)?
                .ok_or_else(|| anyhow::anyhow!("no organisation `{slug}`"))?;
            let outcome = chain::verify(&mut conn, found.id)?;
            chain::remember(&mut conn, &outcome)?;
            vec![(found.name, outcome)]
        }
        None => {
            let names = bruka::stats::organisation_names(&mut conn)?;
            chain::verify_all(&mut conn)?
                .into_iter()
                .map(|outcome| {
                    let name = names
                        .get(&outcome.organisation_id)
                        .cloned()
                        .unwrap_or_default();
                    (name, outcome)
                })
                .collect()
        }
    };
    let mut broken = 0;
    for (name, outcome) in &outcomes {
        if let Some((monthly, rows)) =
            bruka::stats::monthly_sums_disagree(&mut conn, outcome.organisation_id)?
        {
            broken += 1;
            say(&format!(
                "{name}: the dashboard's monthly sums differ from the rows: {} / {} handovers, {} / {} g CO2e, {} / {} öre (sums / rows)",
                monthly.handovers,
                rows.handovers,
                monthly.co2e_grams.0,
                rows.co2e_grams.0,
                monthly.money_ore.0,
                rows.money_ore.0
            ));
        }
        match &outcome.broken {
            None => say(&format!(
                "{name}: intact, {} rows, head {} at position {}",
                outcome.links, outcome.head.hash, outcome.head.seq
            )),
            Some(at) => {
                broken += 1;
                say(&format!(
                    "{name}: BROKEN at position {}{}: {} ({} rows before it are intact)",
                    at.seq,
                    at.record_id
                        .map(|id| format!(", record {id}"))
                        .unwrap_or_default(),
                    chain_problem_text(at.problem),
                    outcome.links
                ));
            }
        }
    }
    if broken > 0 {
        anyhow::bail!(
            "{broken} problems in {} organisations' ledgers",
            outcomes.len()
        );
    }
    Ok(())
}

fn chain_problem_text(problem: bruka::ledger::chain::Problem) -> &'static str {
    use bruka::ledger::chain::Problem;
    match problem {
        Problem::Changed => "the record was changed after it was written",
        Problem::Missing => "the record of this link is gone",
        Problem::Gap => "a link before this one was removed",
        Problem::Head => {
            "the chain does not end at its stored head (its tail was cut off or rewritten)"
        }
        Problem::Unlinked => "a record was written without a link (behind Bruka's back)",
        Problem::Foreign => "the link points at another organisation's record",
    }
}

fn network(settings: &Settings, command: NetworkCommand) -> anyhow::Result<()> {
    use bruka::app::networks::{self as cases, Actor};
    use bruka::networks::{self, Answer};
    let (pool, _) = prepare_database(settings)?;
    let mut conn = pool.get()?;
    let mut actor = |slug: &str| -> anyhow::Result<Actor> {
        let organisation = organisations::find_by_slug(&mut conn, slug)?
            .ok_or_else(|| anyhow::anyhow!("no organisation `{slug}`"))?;
        Ok(Actor {
            organisation: organisation.id,
            user: None,
        })
    };
    let refused = |error: networks::NetworkError| anyhow::anyhow!("{error}; nothing changed");
    let answer = |conn: &mut bruka::db::AnyConnection, actor, id, answer| {
        cases::answer_in(conn, actor, bruka::ids::InvitationId(id), answer)
    };
    match command {
        NetworkCommand::Create { name, organisation } => {
            let actor = actor(&organisation)?;
            let created = cases::create_in(&mut conn, actor, &name).map_err(refused)?;
            say(&format!(
                "created network {} (id {}) with {organisation}",
                created.name, created.id
            ));
        }
        NetworkCommand::Invite {
            organisation,
            email,
        } => {
            let actor = actor(&organisation)?;
            let site = settings
                .public_url
                .as_ref()
                .map(|url| url.as_str().trim_end_matches('/').to_string())
                .unwrap_or_default();
            let id = cases::invite_in(&mut conn, &site, actor, &email).map_err(refused)?;
            say(&format!(
                "invitation {id} sent to {email}; mail goes out with the server's queue"
            ));
        }
        NetworkCommand::Accept {
            organisation,
            invitation,
        } => {
            let actor = actor(&organisation)?;
            answer(&mut conn, actor, invitation, Answer::Accepted).map_err(refused)?;
            say(&format!("{organisation} accepted invitation {invitation}"));
        }
        NetworkCommand::Decline {
            organisation,
            invitation,
        } => {
            let actor = actor(&organisation)?;
            answer(&mut conn, actor, invitation, Answer::Declined).map_err(refused)?;
            say(&format!("{organisation} declined invitation {invitation}"));
        }
        NetworkCommand::Leave { organisation } => {
            let actor = actor(&organisation)?;
            let left = cases::leave_in(&mut conn, actor).map_err(refused)?;
            say(&format!("{organisation} left {}", left.name));
        }
        NetworkCommand::List => {
            for (network, members) in networks::all(&mut conn)? {
                say(&format!("network {} (id {})", network.name, network.id));
                for (_, name) in members {
                    say(&format!("  member   {name}"));
                }
                for invitation in networks::invitations_from(&mut conn, network.id)? {
                    say(&format!(
                        "  invited  {} ({}), invitation {}",
                        invitation.organisation_name, invitation.invited_email, invitation.id
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Messages for the person at the terminal. A closed stdout (a supervisor that stopped
/// reading) must not bring the server down, so write errors are ignored.
fn say(line: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{line}").and_then(|()| stdout.flush());
}
