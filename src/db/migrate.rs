//! Embedded migrations per backend, and the start-up preparation that goes with them.

use diesel::RunQueryDsl;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::AnyConnection;
use crate::categories;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Any fixed number works; it only has to be the same for every Bruka instance.
const PREPARE_LOCK_KEY: i64 = 0x0062_7275_6b61;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Applies pending migrations and returns the versions that were applied now.
pub fn run_migrations(conn: &mut AnyConnection) -> Result<Vec<String>, BoxError> {
    let applied = match conn {
        AnyConnection::Postgresql(pg) => pg.run_pending_migrations(POSTGRES_MIGRATIONS)?,
        AnyConnection::Sqlite(sqlite) => sqlite.run_pending_migrations(SQLITE_MIGRATIONS)?,
    };
    Ok(applied.iter().map(ToString::to_string).collect())
}

/// Brings the database up to date: migrations, then reference data (categories and factors).
///
/// Several instances may start at once against one PostgreSQL; a session advisory lock makes
/// them take turns so each step runs exactly once.
pub fn prepare(conn: &mut AnyConnection) -> Result<Vec<String>, BoxError> {
    let is_postgres = matches!(conn, AnyConnection::Postgresql(_));
    if is_postgres {
        diesel::sql_query(format!("SELECT pg_advisory_lock({PREPARE_LOCK_KEY})")).execute(conn)?;
    }
    let result = run_migrations(conn).and_then(|applied| {
        categories::seed::seed_default_categories(conn)?;
        let sealed = crate::ledger::chain::seal_backlog(conn)?;
        if sealed > 0 {
            tracing::info!(
                sealed,
                "ledger records written before the hash chain were linked"
            );
        }
        Ok(applied)
    });
    if is_postgres {
        diesel::sql_query(format!("SELECT pg_advisory_unlock({PREPARE_LOCK_KEY})"))
            .execute(conn)?;
    }
    result
}
