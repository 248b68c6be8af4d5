//! `bruka backup` and `bruka restore` for SQLite installations: a consistent copy of the
//! database taken while Bruka runs (`VACUUM INTO`), the photos and the signing key, and the
//! way back onto a fresh machine. PostgreSQL is backed up with its own tools (pg_dump).

use std::fs;
use std::path::{Path, PathBuf};

use diesel::prelude::*;

use crate::config::Settings;
use crate::db::schema::{items, reuse_records};
use crate::db::{AnyConnection, Backend};
use crate::ledger::Grams;
use crate::photos::{PhotoStore, StoreError};

const DATABASE_FILE: &str = "bruka.db";
const PHOTOS_DIR: &str = "photos";
const SECRET_FILE: &str = "secret.key";
const MANIFEST_FILE: &str = "BACKUP.txt";

/// What PostgreSQL users do instead; printed by `bruka backup` on a PostgreSQL database.
pub const POSTGRES_INSTRUCTIONS: &str = "\
Bruka is on PostgreSQL: back up the database with PostgreSQL's own tools, e.g.
  pg_dump --format=custom --file=bruka.dump \"$BRUKA_DATABASE_URL\"
and restore it into an empty database with
  pg_restore --no-owner --dbname=\"$BRUKA_DATABASE_URL\" bruka.dump
Back up the photos (from the folder or the S3 bucket) with
  bruka photos backup --out <folder>
and put them back (into the folder or bucket configured there) with
  bruka photos restore --from <folder>
Keep secret_key with the backup.";

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0} exists and is not empty; choose a new folder for the backup")]
    TargetNotEmpty(PathBuf),
    #[error("{0} already has a database; restore onto a fresh data folder or pass --force")]
    DatabaseExists(PathBuf),
    #[error("{0} is not a Bruka backup (no {DATABASE_FILE})")]
    NotABackup(PathBuf),
    #[error("{POSTGRES_INSTRUCTIONS}")]
    Postgres,
    #[error("the database is not a local SQLite file")]
    NotAFile,
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
    #[error(transparent)]
    Photos(#[from] StoreError),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// What a backup holds, as written into its manifest and checked after a restore.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contents {
    pub listings: i64,
    pub ledger_rows: i64,
    pub co2e_grams: Grams,
    pub photos: usize,
}

fn database_contents(conn: &mut AnyConnection) -> QueryResult<(i64, i64, Grams)> {
    let listings: i64 = items::table.count().get_result(conn)?;
    let ledger_rows: i64 = reuse_records::table.count().get_result(conn)?;
    let co2e_grams: Grams = reuse_records::table
        .select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
            "CAST(COALESCE(SUM(co2e_grams), 0) AS BIGINT)",
        ))
        .first(conn)?;
    Ok((listings, ledger_rows, co2e_grams))
}

/// Copies every photo from one store to another (a folder or a bucket either way); each
/// file lands whole or not at all. Returns how many files `from` holds.
fn copy_photos(from: &PhotoStore, to: &PhotoStore) -> Result<usize, BackupError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(io(Path::new(PHOTOS_DIR)))?;
    runtime.block_on(async {
        let files = from.each_file().await?;
        for path in &files {
            to.write_file(path, from.read_file(path).await?).await?;
        }
        Ok(files.len())
    })
}

/// A backup's photo folder as a store.
fn folder(dir: &Path) -> Result<PhotoStore, BackupError> {
    Ok(PhotoStore::local(dir)?)
}

/// `bruka photos backup`: the configured store's photos into the folder `out`.
pub fn photos_backup(settings: &Settings, out: &Path) -> Result<usize, BackupError> {
    copy_photos(&PhotoStore::configured(settings)?, &folder(out)?)
}

/// `bruka photos restore`: the photos in `from` into the configured store.
pub fn photos_restore(settings: &Settings, from: &Path) -> Result<usize, BackupError> {
    if !from.is_dir() {
        return Err(BackupError::NotABackup(from.to_path_buf()));
    }
    copy_photos(&folder(from)?, &PhotoStore::configured(settings)?)
}

/// Writes a backup of a (possibly running) SQLite installation into the new folder `out`.
pub fn backup(
    settings: &Settings,
    conn: &mut AnyConnection,
    out: &Path,
) -> Result<Contents, BackupError> {
    if conn.backend() == Backend::Postgres {
        return Err(BackupError::Postgres);
    }
    let is_empty = fs::read_dir(out)
        .map(|mut entries| entries.next().is_none())
        .unwrap_or(true);
    if !is_empty {
        return Err(BackupError::TargetNotEmpty(out.to_path_buf()));
    }
    fs::create_dir_all(out).map_err(io(out))?;
    let database = out.join(DATABASE_FILE);
    // VACUUM INTO reads one consistent snapshot while others keep writing (WAL mode).
    let quoted = database.to_string_lossy().replace('\'', "''");
    diesel::sql_query(format!("VACUUM INTO '{quoted}'")).execute(conn)?;
    let (listings, ledger_rows, co2e_grams) = database_contents(conn)?;
    // Photos after the database: every photo the snapshot refers to was stored before it.
    let photos = photos_backup(settings, &out.join(PHOTOS_DIR))?;
    let secret = settings.data_dir.join(SECRET_FILE);
    if secret.exists() {
        fs::copy(&secret, out.join(SECRET_FILE)).map_err(io(&secret))?;
    }
    let contents = Contents {
        listings,
        ledger_rows,
        co2e_grams,
        photos,
    };
    let manifest = format!(
        "Bruka backup, {}\nlistings: {}\nledger rows: {}\nkg CO2e in the ledger: {:.3}\nphotos: {}\n\
         Restore onto a fresh data folder with: bruka restore --from <this folder>\n",
        chrono::Utc::now().to_rfc3339(),
        contents.listings,
        contents.ledger_rows,
        contents.co2e_grams.kg(),
        contents.photos,
    );
    let manifest_path = out.join(MANIFEST_FILE);
    fs::write(&manifest_path, manifest).map_err(io(&manifest_path))?;
    Ok(contents)
}

/// Puts a backup in place of this installation's SQLite database, photos and signing key.
/// Bruka must not be running; `force` replaces an existing database.
pub fn restore(settings: &Settings, from: &Path, force: bool) -> Result<(), BackupError> {
    let source = from.join(DATABASE_FILE);
    if !source.is_file() {
        return Err(BackupError::NotABackup(from.to_path_buf()));
    }
    let url = settings.database_url();
    if url.backend() == Backend::Postgres {
        return Err(BackupError::Postgres);
    }
    let target = url.sqlite_path().ok_or(BackupError::NotAFile)?;
    if target.exists() && !force {
        return Err(BackupError::DatabaseExists(target));
    }
    if let Some(parent) = target.parent() {
        fs::create_dir_all(parent).map_err(io(parent))?;
    }
    for suffix in ["-wal", "-shm"] {
        let stale = PathBuf::from(format!("{}{suffix}", target.display()));
        if stale.exists() {
            fs::remove_file(&stale).map_err(io(&stale))?;
        }
    }
    let partial = target.with_extension("restoring");
    fs::copy(&source, &partial).map_err(io(&partial))?;
    fs::rename(&partial, &target).map_err(io(&target))?;
    let photos = from.join(PHOTOS_DIR);
    if photos.is_dir() {
        photos_restore(settings, &photos)?;
    }
    let secret = from.join(SECRET_FILE);
    let secret_target = settings.data_dir.join(SECRET_FILE);
    if secret.exists() && (force || !secret_target.exists()) {
        fs::copy(&secret, &secret_target).map_err(io(&secret_target))?;
    }
    Ok(())
}
