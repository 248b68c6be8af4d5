//! The application layer: one state ([`App`]) and the use cases that pages, the JSON API,
//! the command line and the background jobs share, on top of the domain modules. Write use
//! cases run through [`dispatch::write`], which owns the transaction and turns the domain's
//! events into their consequences (audit, alerts, outbox) before it commits; [`App::write`]
//! then wakes the mail worker.
//!
//! Nothing here knows about HTTP or templates: the web layer parses requests into the
//! arguments of a use case and renders what it returns.

pub mod catalog;
pub mod conversations;
pub mod deliveries;
pub mod directory;
pub mod dispatch;
pub mod domains;
pub mod ending;
pub mod factors;
pub mod idempotency;
pub mod jobs;
pub mod ledger;
pub mod limits;
pub mod listings;
pub mod networks;
pub mod purchases;
pub mod recipients;
pub mod repairs;
pub mod reservations;
pub mod signin;
pub mod start;
pub mod stats;
pub mod stores;

pub use catalog::Catalog;
pub use dispatch::{Delivery, write};

use std::sync::Arc;

use chrono::Duration;

use crate::accounts::tokens::TokenKeys;
use crate::db::{AnyConnection, DbPool};
use crate::events::Tx;
use crate::mail::MailQueue;
use crate::photos::{PhotoLimits, PhotoStore};
use crate::reservations::Rules;
use limits::{ApiLimits, LoginLimits};

/// The address people reach this installation at, without a trailing slash, for links in
/// mail and API answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteUrl(pub String);

/// How sign-in links and sessions are signed and how long a session lasts unused.
pub struct SignInSettings {
    pub keys: TokenKeys,
    pub idle: Duration,
    /// Cookies only over HTTPS (the public address is HTTPS).
    pub secure_cookies: bool,
}

/// What uploads may be.
#[derive(Debug, Clone, Copy)]
pub struct PhotoRules {
    pub limits: PhotoLimits,
    pub per_item: usize,
}

/// Everything the use cases need, built once at start-up and shared by every request.
pub struct App {
    pub db: DbPool,
    pub mail: MailQueue,
    pub photos: PhotoStore,
    pub photo_rules: PhotoRules,
    /// Decodes uploads a few at a time (`[photos] decode_at_once`).
    pub photo_decoder: crate::photos::Decoder,
    pub catalog: Arc<Catalog>,
    /// Ranked search results, kept per listing generation.
    pub searches: Arc<crate::items::browse::RankedSearches>,
    pub reservations: Rules,
    pub site: SiteUrl,
    pub sign_in: SignInSettings,
    /// The organisations' directories (OpenID Connect providers) and their discovery.
    pub directories: crate::directory::oidc::Directories,
    /// Opens the directory client secrets stored sealed.
    pub sealer: crate::directory::seal::Sealer,
    /// The redirect URI registered at every directory: the public address's callback.
    pub directory_callback: String,
    pub login_limits: LoginLimits,
    pub api_limits: ApiLimits,
    pub public_summaries: stats::PublicSummaries,
}

/// A use case did not complete: its own refusal, or no database to ask.
#[derive(Debug, thiserror::Error)]
pub enum Failure<E> {
    #[error(transparent)]
    Refused(E),
    #[error("no database connection available: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("background task stopped: {0}")]
    Stopped(#[from] tokio::task::JoinError),
}

impl<E> Failure<E> {
    /// The same failure with the refusal in other words.
    pub fn map_refused<F>(self, into: impl FnOnce(E) -> F) -> Failure<F> {
        match self {
            Failure::Refused(error) => Failure::Refused(into(error)),
            Failure::Pool(error) => Failure::Pool(error),
            Failure::Stopped(error) => Failure::Stopped(error),
        }
    }
}

impl App {
    /// Runs blocking database work off the request threads, waiting its turn for a
    /// connection in arrival order (see `DbPool::turn`).
    pub async fn read<T, E>(
        &self,
        work: impl FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
    ) -> Result<T, Failure<E>>
    where
        T: Send + 'static,
        E: Send + 'static,
    {
        let pool = self.db.clone();
        let _turn = pool.turn().await;
        tokio::task::spawn_blocking(move || {
            let mut conn = pool.get()?;
            work(&mut conn).map_err(Failure::Refused)
        })
        .await?
    }

    /// Runs a write use case in one transaction whose events are dispatched before it
    /// commits, then wakes the mail worker for whatever it queued. A refusal rolls it back.
    pub async fn write<T, E>(
        &self,
        work: impl FnOnce(&mut Tx) -> Result<T, E> + Send + 'static,
    ) -> Result<T, Failure<E>>
    where
        T: Send + 'static,
        E: From<diesel::result::Error> + Send + 'static,
    {
        // An API request sent with an Idempotency-Key writes the key with its change.
        let claim = idempotency::current();
        let carried = claim.clone();
        let outcome = self
            .read(move |conn| {
                write(conn, Delivery::Mail, |tx| {
                    if let Some(claim) = &carried {
                        idempotency::record(tx.conn, claim)?;
                    }
                    work(tx)
                })
            })
            .await;
        if outcome.is_ok() {
            if let Some(claim) = &claim {
                idempotency::committed(claim);
            }
            self.mail.wake_worker();
        }
        outcome
    }
}
