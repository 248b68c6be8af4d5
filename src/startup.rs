//! Building and running the application: database ready first, then the HTTP server.

use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::{Compress, from_fn};
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use tracing_actix_web::TracingLogger;

use crate::config::Settings;
use crate::db::{self, DatabaseUrl, DbPool};
use crate::web::{self as routes, Views};

pub struct Application {
    server: Server,
    address: SocketAddr,
    public_url: String,
    database_url: DatabaseUrl,
}

/// Opens the pool and brings the schema and reference data up to date.
pub fn prepare_database(settings: &Settings) -> anyhow::Result<(DbPool, Vec<String>)> {
    let url = settings.database_url();
    let pool = db::build_pool(&url, settings.database_pool_size)?;
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
        let (pool, applied) =
            tokio::task::spawn_blocking(move || prepare_database(&prepare_settings)).await??;
        for migration in applied {
            tracing::info!(%migration, "applied migration");
        }
        let listener = TcpListener::bind(settings.bind)
            .with_context(|| format!("cannot listen on {}", settings.bind))?;
        let address = listener.local_addr()?;
        let views = web::Data::new(Views::new(settings.behind_tls())?);
        let pool = web::Data::new(pool);
        let server = HttpServer::new(move || {
            App::new()
                .app_data(pool.clone())
                .app_data(views.clone())
                .wrap(routes::error_pages())
                .wrap(Compress::default())
                .wrap(routes::security_headers())
                .wrap(from_fn(routes::request_id_header))
                .wrap(TracingLogger::default())
                .configure(routes::routes)
        })
        .listen(listener)?
        .shutdown_timeout(settings.shutdown_timeout_secs)
        .client_request_timeout(Duration::from_secs(30))
        .run();
        Ok(Self {
            server,
            public_url: settings.public_url(address),
            address,
            database_url,
        })
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

    /// Serves until SIGTERM or Ctrl+C, then lets in-flight requests finish.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}
