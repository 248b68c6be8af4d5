//! Building and running the application: database ready first, then the HTTP server.

use std::net::{SocketAddr, TcpListener};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::{Compress, from_fn};
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use tracing_actix_web::TracingLogger;

use crate::accounts::tokens::TokenKeys;
use crate::app::limits::{ApiLimits, LoginLimits};
use crate::app::stats::PublicSummaries;
use crate::app::{self as application, Catalog, PhotoRules, SignInSettings, SiteUrl, jobs};
use crate::config::Settings;
use crate::db::{self, DatabaseUrl, DbPool};
use crate::mail::render::Renderer;
use crate::mail::{MailQueue, MailWorker, Pacing, Transport};
use crate::photos::{PhotoLimits, PhotoStore};
use crate::reservations::Rules;
use crate::web::{self as routes, Views};
use crate::{bootstrap, secret};

pub struct Application {
    server: Server,
    address: SocketAddr,
    public_url: String,
    database_url: DatabaseUrl,
    demo_admin: Option<String>,
    /// How many example listings this start made (first start with `demo_bootstrap`).
    demo_listings: Option<usize>,
    mail_target: String,
    background: Vec<tokio::task::JoinHandle<()>>,
}

/// How often expired sign-in links and sessions are cleared away.
const HOUSEKEEPING_INTERVAL: Duration = Duration::from_secs(3600);

/// Opens the pool and brings the schema and reference data up to date.
pub fn prepare_database(settings: &Settings) -> anyhow::Result<(DbPool, Vec<String>)> {
    let url = settings.database_url();
    let pool = db::build_pool(&url, settings.database.pool_size.get())?;
    let mut conn = pool
        .get()
        .with_context(|| format!("no connection to {url}"))?;
    let applied = db::prepare(&mut conn)
        .map_err(|error| anyhow::anyhow!("preparing database {url} failed: {error}"))?;
    drop(conn);
    Ok((pool, applied))
}

impl Application {
    /// Prepares the database and binds the listener; the server starts on [`Self::run_until_stopped`].
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let database_url = settings.database_url();
        let prepare_settings = settings.clone();
        let (pool, applied, demo_admin) = tokio::task::spawn_blocking(move || {
            let (pool, applied) = prepare_database(&prepare_settings)?;
            let demo_admin = if prepare_settings.demo_bootstrap {
                let mut conn = pool.get()?;
                bootstrap::ensure_demo_organisation(&mut conn)?
            } else {
                None
            };
            anyhow::Ok((pool, applied, demo_admin))
        })
        .await??;
        for migration in applied {
            tracing::info!(%migration, "applied migration");
        }
        let secret = secret::load_or_create(&settings)?;
        let (transport, mail_target) = match &settings.mail.smtp_url {
            Some(url) => (Transport::smtp(url.expose())?, "SMTP".to_string()),
            None => {
                let dir = settings.mail_dir();
                (Transport::folder(&dir)?, dir.display().to_string())
            }
        };
        let mail_queue = MailQueue::new(settings.mail.smtp_url.is_none());
        let from = settings.mail.from.mailbox().clone();
        let listener = TcpListener::bind(settings.bind)
            .with_context(|| format!("cannot listen on {}", settings.bind))?;
        let address = listener.local_addr()?;
        let public_url = settings.public_url(address);
        let worker = MailWorker::new(
            pool.clone(),
            transport,
            Renderer::new(&public_url).context("mail templates")?,
            from,
            &mail_queue,
            Pacing {
                poll_interval: Duration::from_millis(settings.mail.poll_interval_ms.get()),
                retry_base: Duration::from_millis(settings.mail.retry_base_ms.get()),
                lease: Duration::from_secs(settings.mail.lease_secs.get()),
            },
        );
        let mut background = vec![
            tokio::spawn(worker.run()),
            tokio::spawn(housekeeping(pool.clone())),
        ];
        let views = web::Data::new(Views::new(settings.behind_tls())?);
        // The lexicons take a moment to read; the first search should not wait for them.
        std::thread::spawn(crate::items::compound::warm_up);
        let rules = Rules {
            pickup_within: chrono::Duration::days(i64::from(
                settings.reservations.pickup_days.get(),
            )),
            remind_before: chrono::Duration::hours(i64::from(settings.reservations.reminder_hours)),
            offer_within: chrono::Duration::hours(i64::from(
                settings.reservations.offer_hours.get(),
            )),
        };
        let photos = PhotoStore::configured(&settings)?;
        background.push(tokio::spawn(background_jobs(
            pool.clone(),
            photos.clone(),
            rules,
            Duration::from_millis(settings.reservations.check_interval_ms.get()),
            mail_queue.clone(),
        )));
        let photo_limits = PhotoLimits {
            max_bytes: usize::try_from(settings.photos.max_mb.get())
                .unwrap_or(usize::MAX / (1024 * 1024))
                * 1024
                * 1024,
            ..PhotoLimits::default()
        };
        let decode_at_once = usize::try_from(settings.photos.decode_at_once.get()).unwrap_or(1);
        let app = web::Data::new(application::App {
            db: pool,
            mail: mail_queue,
            photos,
            photo_rules: PhotoRules {
                limits: photo_limits,
                per_item: usize::try_from(settings.photos.per_item.get()).unwrap_or(usize::MAX),
            },
            photo_decoder: crate::photos::Decoder::new(decode_at_once, photo_limits),
            catalog: Arc::new(Catalog::default()),
            searches: Arc::default(),
            reservations: rules,
            site: SiteUrl(public_url.clone()),
            sign_in: SignInSettings {
                keys: TokenKeys::new(&secret),
                idle: chrono::Duration::days(i64::from(settings.sessions.idle_days.get())),
                secure_cookies: settings.behind_tls(),
            },
            directories: crate::directory::oidc::Directories::new()
                .context("the HTTP client for directory sign-in")?,
            sealer: crate::directory::seal::Sealer::new(&secret),
            directory_callback: format!(
                "{}{}",
                public_url.trim_end_matches('/'),
                application::directory::CALLBACK_PATH
            ),
            login_limits: LoginLimits::new(
                settings.limits.login_per_address,
                settings.limits.login_per_ip,
                settings.trust_forwarded_for,
            ),
            api_limits: ApiLimits::new(settings.limits.api_per_minute),
            public_summaries: PublicSummaries::default(),
        });
        // A newcomer's first start: the example organisation gets a marketplace to look at.
        let demo_listings = match demo_admin {
            Some(_) => {
                let size = crate::demo::DemoSize {
                    count: crate::demo::FIRST_RUN_LISTINGS,
                    history: crate::demo::FIRST_RUN_HISTORY,
                };
                let report = crate::demo::seed(&app.db, &app.photos, size, crate::demo::SEED)
                    .await
                    .context("filling the example marketplace")?;
                Some(report.items_created)
            }
            None => None,
        };
        let behind_tls = settings.behind_tls();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(app.clone())
                .app_data(views.clone())
                .wrap(from_fn(routes::api::idempotency::idempotent))
                .wrap(from_fn(routes::load_session))
                .wrap(from_fn(routes::csrf_cookie))
                .wrap(routes::error_pages())
                .wrap(Compress::default())
                .wrap(routes::security_headers(behind_tls))
                .wrap(from_fn(routes::request_id_header))
                .wrap(TracingLogger::default())
                .configure(routes::routes)
        })
        .listen(listener)?
        .worker_max_blocking_threads(blocking_threads_per_worker(settings.database.pool_size))
        .shutdown_timeout(settings.shutdown_timeout_secs)
        .client_request_timeout(Duration::from_secs(30))
        .run();
        Ok(Self {
            server,
            public_url,
            address,
            database_url,
            demo_admin,
            demo_listings,
            mail_target,
            background,
        })
    }

    /// The example admin's address, when this start created the example organisation.
    pub fn demo_admin(&self) -> Option<&str> {
        self.demo_admin.as_deref()
    }

    /// How many example listings this start made, when it filled the example marketplace.
    pub fn demo_listings(&self) -> Option<usize> {
        self.demo_listings
    }

    /// Where mail goes: "SMTP" or the folder.
    pub fn mail_target(&self) -> &str {
        &self.mail_target
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub fn port(&self) -> u16 {
        self.address.port()
    }

    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    pub fn database_url(&self) -> &DatabaseUrl {
        &self.database_url
    }

    /// Something that can stop this instance from outside (tests, embedding).
    pub fn stopper(&self) -> Stopper {
        Stopper {
            server: self.server.handle(),
            tasks: self.background.iter().map(|t| t.abort_handle()).collect(),
        }
    }

    /// Serves until SIGTERM or Ctrl+C, then lets in-flight requests finish.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let outcome = self.server.await;
        for task in self.background {
            task.abort();
        }
        outcome
    }
}

pub struct Stopper {
    server: actix_web::dev::ServerHandle,
    tasks: Vec<tokio::task::AbortHandle>,
}

impl Stopper {
    /// Stops background work at once and tells the server to stop accepting requests.
    pub fn stop_now(&self) {
        for task in &self.tasks {
            task.abort();
        }
        // The stop command is sent when `stop` is called; awaiting only waits for completion.
        drop(self.server.stop(false));
    }
}

/// Expires reservations and listings that are due and reminds requesters before their
/// pickup deadline (`app::jobs`), then wakes the mail worker for what that queued; clears
/// the photos of unsaved forms older than a day.
async fn background_jobs(
    pool: DbPool,
    photos: PhotoStore,
    rules: Rules,
    interval: Duration,
    mail: MailQueue,
) {
    loop {
        // Photos held for listing forms that were never saved, with their files.
        match application::listings::clear_expired_drafts(&pool, &photos).await {
            Ok(cleared) if cleared > 0 => tracing::info!(cleared, "cleared unsaved forms' photos"),
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "clearing unsaved forms' photos failed"),
        }
        let pool = pool.clone();
        let outcome = tokio::task::spawn_blocking(move || -> anyhow::Result<jobs::Round> {
            let mut conn = pool.get()?;
            Ok(jobs::run_once(&mut conn, &rules)?)
        })
        .await;
        match outcome {
            Ok(Ok(round)) if round.did_anything() => {
                tracing::info!(
                    reservations_expired = round.reservations_expired,
                    reminded = round.reminded,
                    listings_expired = round.listings_expired,
                    listings_reindexed = round.listings_reindexed,
                    offers_lapsed = round.offers_lapsed,
                    digests_sent = round.digests_sent,
                    chains_verified = round.chains_verified,
                    "background jobs"
                );
                mail.wake_worker();
            }
            Ok(Err(error)) => tracing::warn!(%error, "background jobs failed"),
            Err(error) => tracing::warn!(%error, "background jobs stopped"),
            _ => {}
        }
        tokio::time::sleep(interval).await;
    }
}

async fn housekeeping(pool: DbPool) {
    loop {
        let pool = pool.clone();
        let outcome = tokio::task::spawn_blocking(move || -> anyhow::Result<usize> {
            let mut conn = pool.get()?;
            Ok(crate::accounts::login::delete_stale(&mut conn)?
                + crate::accounts::sessions::delete_ended(&mut conn)?
                + crate::app::limits::forget_empty(&mut conn)?
                + crate::app::idempotency::forget_old(&mut conn)?)
        })
        .await;
        match outcome {
            Ok(Ok(removed)) if removed > 0 => {
                tracing::info!(
                    removed,
                    "cleared expired sign-in links, sessions and rate limits"
                )
            }
            Ok(Err(error)) => tracing::warn!(%error, "housekeeping failed"),
            _ => {}
        }
        tokio::time::sleep(HOUSEKEEPING_INTERVAL).await;
    }
}

/// Blocking threads each worker may run. Database work can occupy at most as many as there
/// are connections (see `DbPool::turn`); a few more let photo processing and exports run
/// beside it. A small, steady set of threads stays warm in the CPU caches, where the default
/// (hundreds) made every request wake a different, cold thread.
fn blocking_threads_per_worker(database_pool_size: NonZeroU32) -> usize {
    database_pool_size.get() as usize + 2
}
