//! Idempotency keys for the API's POSTs: a retried request gets the first answer and the
//! work is done once.
//!
//! The key is written by the request's first write transaction, beside the change it
//! makes, so "the key is known" and "the work was done" commit together. The answer is
//! kept once it is sent. A retry then finds one of three things: the kept answer (sent
//! again), the key without an answer (the work was done but the answer was lost: a
//! conflict that says so, never a second run), or nothing (the first try changed nothing
//! and may run again). Two tries at once: the second one's insert meets the first's key
//! and its whole transaction rolls back.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{Duration, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::db::AnyConnection;
use crate::db::schema::idempotency_keys;

/// How long an answer is kept for retries.
pub const KEPT_HOURS: i64 = 24;

/// One request's key, for the write transactions it runs.
#[derive(Debug)]
pub struct Claim {
    pub scope: String,
    pub key: String,
    pub fingerprint: String,
    recorded: AtomicBool,
    conflict: AtomicBool,
}

impl Claim {
    pub fn new(scope: String, key: String, fingerprint: String) -> Arc<Self> {
        Arc::new(Self {
            scope,
            key,
            fingerprint,
            recorded: AtomicBool::new(false),
            conflict: AtomicBool::new(false),
        })
    }

    /// A write transaction of this request committed with the key.
    pub fn recorded(&self) -> bool {
        self.recorded.load(Ordering::SeqCst)
    }

    /// Another request with the same key was first; this one changed nothing.
    pub fn lost_the_race(&self) -> bool {
        self.conflict.load(Ordering::SeqCst)
    }
}

tokio::task_local! {
    static CLAIM: Arc<Claim>;
}

/// Runs a request with its claim, so the write transactions it starts carry the key.
pub async fn within<F: Future>(claim: Arc<Claim>, request: F) -> F::Output {
    CLAIM.scope(claim, request).await
}

/// The claim of the request being served, if it has one.
pub fn current() -> Option<Arc<Claim>> {
    CLAIM.try_with(Arc::clone).ok()
}

/// Inside a write transaction: writes the key with the change, once per request. If
/// another request holds the key, this transaction fails and rolls back.
pub fn record(conn: &mut AnyConnection, claim: &Claim) -> QueryResult<()> {
    if claim.recorded() {
        return Ok(());
    }
    let written = diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::scope.eq(&claim.scope),
            idempotency_keys::idempotency_key.eq(&claim.key),
            idempotency_keys::fingerprint.eq(&claim.fingerprint),
            idempotency_keys::created_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn);
    match written {
        Err(error @ DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            claim.conflict.store(true, Ordering::SeqCst);
            Err(error)
        }
        other => other.map(|_| ()),
    }
}

/// Called after the transaction committed.
pub fn committed(claim: &Claim) {
    claim.recorded.store(true, Ordering::SeqCst);
}

/// An answer as it was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptAnswer {
    pub status: u16,
    pub content_type: Option<String>,
    pub location: Option<String>,
    pub body: String,
}

/// What is known of a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Known {
    /// Never used (or its request changed nothing): run the request.
    Unused,
    /// Used for another request (method, path or body differ).
    OtherRequest,
    /// The work was done; its answer was not kept (the connection or the process was lost
    /// in between), or the first try is still being answered.
    DoneWithoutAnswer,
    Answered(KeptAnswer),
}

pub fn lookup(
    conn: &mut AnyConnection,
    scope: &str,
    key: &str,
    fingerprint: &str,
) -> QueryResult<Known> {
    type Row = (
        String,
        Option<i32>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let row: Option<Row> = idempotency_keys::table
        .find((scope, key))
        .select((
            idempotency_keys::fingerprint,
            idempotency_keys::status,
            idempotency_keys::content_type,
            idempotency_keys::location,
            idempotency_keys::body,
        ))
        .first(conn)
        .optional()?;
    Ok(match row {
        None => Known::Unused,
        Some((stored, ..)) if stored != fingerprint => Known::OtherRequest,
        Some((_, Some(status), content_type, location, Some(body))) => {
            Known::Answered(KeptAnswer {
                status: u16::try_from(status).unwrap_or(500),
                content_type,
                location,
                body,
            })
        }
        Some(_) => Known::DoneWithoutAnswer,
    })
}

/// Keeps the answer of a request whose work committed with its key.
pub fn keep_answer(
    conn: &mut AnyConnection,
    scope: &str,
    key: &str,
    answer: &KeptAnswer,
) -> QueryResult<()> {
    diesel::update(idempotency_keys::table.find((scope, key)))
        .set((
            idempotency_keys::status.eq(Some(i32::from(answer.status))),
            idempotency_keys::content_type.eq(answer.content_type.as_deref()),
            idempotency_keys::location.eq(answer.location.as_deref()),
            idempotency_keys::body.eq(Some(&answer.body)),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Removes keys older than [`KEPT_HOURS`].
pub fn forget_old(conn: &mut AnyConnection) -> QueryResult<usize> {
    let before = Utc::now().naive_utc() - Duration::hours(KEPT_HOURS);
    diesel::delete(idempotency_keys::table.filter(idempotency_keys::created_at.lt(before)))
        .execute(conn)
}
