//! Database access: one connection type over SQLite and PostgreSQL, the pool, migrations.

mod migrate;
mod pool;
pub mod schema;
mod url;

pub use migrate::{prepare, run_migrations};
pub use pool::{ConnectError, DbPool, PooledConn, build_pool};
pub use url::{Backend, DatabaseUrl, DatabaseUrlError};

use diesel::pg::PgConnection;
use diesel::sqlite::SqliteConnection;

/// Every query in Bruka runs on this. Backend-specific SQL (upserts, full-text search)
/// matches on the variant; everything else is written once.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

impl AnyConnection {
    pub fn backend(&self) -> Backend {
        match self {
            AnyConnection::Postgresql(_) => Backend::Postgres,
            AnyConnection::Sqlite(_) => Backend::Sqlite,
        }
    }
}

/// Errors from database work that a request or command can run into.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("no database connection available: {0}")]
    Pool(#[from] r2d2::Error),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}
