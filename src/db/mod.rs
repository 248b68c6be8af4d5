//! Database access: one connection type over SQLite and PostgreSQL, the pool, migrations.

mod count;
mod fragment;
mod int_newtype;
mod migrate;
mod pool;
pub mod schema;
mod text_enum;
mod url;

pub use count::CountRows;
pub use fragment::TextCondition;
pub use migrate::{prepare, run_migrations};
pub use pool::{ConnectError, DbPool, PooledConn, build_pool, is_lost_connection};
pub use text_enum::UnknownValue;
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

/// A transaction that will write. On SQLite it starts with `BEGIN IMMEDIATE`, taking the
/// write lock up front (waiting up to busy_timeout): a deferred transaction that reads first
/// and writes later fails at once with SQLITE_BUSY when another connection wrote meanwhile.
/// On PostgreSQL it is an ordinary transaction.
pub fn write_transaction<T, E>(
    conn: &mut AnyConnection,
    work: impl FnOnce(&mut AnyConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    use diesel::Connection;
    use diesel::connection::{AnsiTransactionManager, TransactionManager};

    let begun_immediately = match conn {
        AnyConnection::Sqlite(sqlite) => {
            // Nested calls become savepoints of the transaction already open.
            let outermost = AnsiTransactionManager::transaction_manager_status_mut(sqlite)
                .transaction_depth()?
                .is_none();
            if outermost {
                AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")?;
            }
            outermost
        }
        AnyConnection::Postgresql(_) => false,
    };
    if !begun_immediately {
        return conn.transaction(work);
    }
    let outcome = work(conn);
    if let AnyConnection::Sqlite(sqlite) = conn {
        match &outcome {
            Ok(_) => AnsiTransactionManager::commit_transaction(sqlite)?,
            Err(_) => AnsiTransactionManager::rollback_transaction(sqlite)?,
        }
    }
    outcome
}
