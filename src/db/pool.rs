//! An r2d2 manager that opens the right backend for the URL's scheme.
//!
//! diesel's generic manager calls `AnyConnection::establish`, which tries each backend in turn
//! and reports only the last failure; opening by scheme keeps the real error (wrong password,
//! missing directory) in front of the operator.

use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use diesel::Connection;
use diesel::connection::{Instrumentation, InstrumentationEvent, SimpleConnection};
use diesel::pg::PgConnection;
use diesel::r2d2::R2D2Connection;
use diesel::result::DatabaseErrorKind;
use diesel::sqlite::SqliteConnection;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::{AnyConnection, Backend, DatabaseUrl};

/// A connection on loan from the pool; it goes back when dropped.
pub struct PooledConn(r2d2::PooledConnection<ConnectionManager>);

impl Deref for PooledConn {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        &self.0.conn
    }
}

impl DerefMut for PooledConn {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.0.conn
    }
}

/// The connection pool plus a first-come-first-served queue in front of it.
///
/// r2d2 lets a thread that just arrived take a connection ahead of threads already waiting,
/// so under load some requests wait far longer than others. Request handlers therefore take
/// a [`turn`](DbPool::turn) (tokio's semaphore is fair) before they occupy a blocking thread
/// and ask r2d2; there are as many turns as connections.
///
/// Once a checkout has failed (the database is down, as /readyz then reports), the next
/// ones give up after [`WHILE_DOWN`] instead of the full connection timeout, so people and
/// load balancers hear "try again" at once; the first checkout that works clears it.
#[derive(Clone)]
pub struct DbPool {
    connections: r2d2::Pool<ConnectionManager>,
    turns: Arc<Semaphore>,
    down: Arc<AtomicBool>,
}

/// How long a checkout waits while the database is known to be down.
const WHILE_DOWN: Duration = Duration::from_millis(500);

impl DbPool {
    /// A connection, waiting for one if all are in use. Background jobs call this directly.
    pub fn get(&self) -> Result<PooledConn, r2d2::Error> {
        if self.down.load(Ordering::Relaxed) {
            return self.get_timeout(WHILE_DOWN);
        }
        self.noted(self.connections.get())
    }

    /// Like [`get`](DbPool::get), giving up after `timeout` (or sooner while it is down).
    pub fn get_timeout(&self, timeout: Duration) -> Result<PooledConn, r2d2::Error> {
        let timeout = if self.down.load(Ordering::Relaxed) {
            timeout.min(WHILE_DOWN)
        } else {
            timeout
        };
        self.noted(self.connections.get_timeout(timeout))
    }

    /// A connection worked at checkout but not for a query (the database went away since):
    /// the next checkouts should not wait the full timeout either.
    pub fn mark_down(&self) {
        self.down.store(true, Ordering::Relaxed);
    }

    fn noted(
        &self,
        checkout: Result<r2d2::PooledConnection<ConnectionManager>, r2d2::Error>,
    ) -> Result<PooledConn, r2d2::Error> {
        self.down.store(checkout.is_err(), Ordering::Relaxed);
        checkout.map(PooledConn)
    }

    /// Waits, in arrival order, until a connection is likely free.
    pub async fn turn(&self) -> Option<OwnedSemaphorePermit> {
        // The semaphore is never closed; if it were, going ahead without a turn is safe.
        self.turns.clone().acquire_owned().await.ok()
    }
}

/// Applied to every SQLite connection. WAL lets readers proceed during a write; the busy
/// timeout makes concurrent writers wait instead of failing at once.
/// busy_timeout comes first: switching to WAL itself needs a lock another connection may hold.
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 10000;
PRAGMA foreign_keys = ON;
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;";

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("cannot open database {url}: {source}")]
    Open {
        url: String,
        source: diesel::ConnectionError,
    },
    #[error("cannot create directory {path} for the SQLite database: {source}")]
    Directory {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot configure SQLite connection: {0}")]
    Pragmas(diesel::result::Error),
    #[error("connection check failed: {0}")]
    Check(diesel::result::Error),
}

/// A PostgreSQL connection handed back this recently is taken as alive without asking the
/// server. Under load every connection comes back within milliseconds, and a ping on each
/// checkout would double the round trips of a page; a connection that sat idle longer (the
/// server may have restarted meanwhile) is pinged first.
const RECENTLY_USED: Duration = Duration::from_secs(1);

/// A pooled connection and when it was last handed back in working order.
pub struct Checked {
    conn: AnyConnection,
    returned_at: Instant,
    /// Set by [`LossWatch`] when a query found the connection gone.
    lost: Arc<AtomicBool>,
}

/// Watches a connection's queries for the one that finds the server or network gone.
///
/// diesel leaves its transaction state in error for some such failures but not for all: a
/// query that cannot even be sent ("no connection to the server") leaves it untouched, and
/// a connection that failed that way would be handed out again and again.
/// The pool learns of it too (`down`), so the next checkouts do not wait long for a server
/// that is gone.
struct LossWatch {
    lost: Arc<AtomicBool>,
    down: Arc<AtomicBool>,
}

/// Whether a query failed because the database went away (a restart, a failover, a cut
/// network) rather than because of the query: trying again soon may work.
pub fn is_lost_connection(error: &diesel::result::Error) -> bool {
    use diesel::result::Error;
    match error {
        Error::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
            _,
        )
        | Error::BrokenTransactionManager => true,
        // PostgreSQL ending the session (SQLSTATE 57P01, 57P02, 57P03) has no kind of its
        // own in diesel; its message says so.
        Error::DatabaseError(_, info) => {
            let message = info.message();
            message.starts_with("terminating connection")
                || message.contains("server closed the connection")
                || message.contains("the database system is")
        }
        _ => false,
    }
}

impl Instrumentation for LossWatch {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let InstrumentationEvent::FinishQuery {
            error: Some(error), ..
        } = event
            && is_lost_connection(error)
        {
            self.lost.store(true, Ordering::Relaxed);
            self.down.store(true, Ordering::Relaxed);
        }
    }
}

#[derive(Debug)]
pub struct ConnectionManager {
    url: DatabaseUrl,
    /// Shared with the pool: set when a query finds the database gone.
    down: Arc<AtomicBool>,
}

impl ConnectionManager {
    pub fn new(url: DatabaseUrl) -> Self {
        Self {
            url,
            down: Arc::new(AtomicBool::new(false)),
        }
    }

    fn open(&self) -> Result<AnyConnection, ConnectError> {
        let open_error = |source| ConnectError::Open {
            url: self.url.redacted(),
            source,
        };
        match self.url.backend() {
            Backend::Postgres => PgConnection::establish(self.url.as_str())
                .map(AnyConnection::Postgresql)
                .map_err(open_error),
            Backend::Sqlite => {
                let path = self.url.sqlite_path().unwrap_or_default();
                let mut conn =
                    SqliteConnection::establish(&path.to_string_lossy()).map_err(open_error)?;
                conn.batch_execute(SQLITE_PRAGMAS)
                    .map_err(ConnectError::Pragmas)?;
                Ok(AnyConnection::Sqlite(conn))
            }
        }
    }
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = Checked;
    type Error = ConnectError;

    fn connect(&self) -> Result<Checked, ConnectError> {
        let mut conn = self.open()?;
        let lost = Arc::new(AtomicBool::new(false));
        conn.set_instrumentation(LossWatch {
            lost: Arc::clone(&lost),
            down: Arc::clone(&self.down),
        });
        Ok(Checked {
            conn,
            returned_at: Instant::now(),
            lost,
        })
    }

    /// Called on checkout for PostgreSQL only (see `build_pool`).
    fn is_valid(&self, checked: &mut Checked) -> Result<(), ConnectError> {
        if checked.returned_at.elapsed() < RECENTLY_USED {
            return Ok(());
        }
        checked.conn.ping().map_err(ConnectError::Check)
    }

    /// A connection a query found gone, or one left inside a transaction (or with diesel's
    /// transaction state in error), is closed instead of being handed to the next request.
    fn has_broken(&self, checked: &mut Checked) -> bool {
        if checked.lost.load(Ordering::Relaxed) || checked.conn.is_broken() {
            return true;
        }
        checked.returned_at = Instant::now();
        false
    }
}

/// Opens the pool and fails at once (with the real cause) if the database cannot be reached.
pub fn build_pool(url: &DatabaseUrl, size: u32) -> Result<DbPool, ConnectError> {
    if let Some(parent) = url.sqlite_path().as_deref().and_then(|p| p.parent())
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent).map_err(|source| ConnectError::Directory {
            path: parent.display().to_string(),
            source,
        })?;
    }
    let manager = ConnectionManager::new(url.clone());
    let down = Arc::clone(&manager.down);
    // Opening one connection first surfaces the real error; r2d2 would only report a timeout.
    let first = manager.open()?;
    drop(first);
    let pool = r2d2::Pool::builder()
        .max_size(size)
        .min_idle(Some(1))
        .connection_timeout(Duration::from_secs(10))
        // A PostgreSQL connection can die with its server or network; a SQLite file cannot.
        .test_on_check_out(url.backend() == Backend::Postgres)
        .build_unchecked(manager);
    Ok(DbPool {
        connections: pool,
        turns: Arc::new(Semaphore::new(size as usize)),
        down,
    })
}
