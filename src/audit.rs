//! The audit log: every state change of a listing, reservation or ledger row, and every
//! change to who may do what (roles, sign-in domains, units, the savings method, the public
//! summary, API tokens, categories' figures, networks), who made it and when. Written in the same transaction as the
//! change; admins read it.

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::db::AnyConnection;
use crate::db::schema::{audit_log, users};
use crate::ids::{
    CategoryId, ClaimId, ConversationId, DeliveryId, DomainId, HandInId, ItemId, NetworkId,
    OrganisationId, QueueEntryId, RecipientId, RecordId, RepairId, ReservationId, RunId, TokenId,
    UnitId, UserId,
};

/// What changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Item(ItemId),
    Reservation(ReservationId),
    ReuseRecord(RecordId),
    QueueEntry(QueueEntryId),
    Conversation(ConversationId),
    /// The organisation's own settings: the savings method, the public summary.
    Organisation(OrganisationId),
    Unit(UnitId),
    Domain(DomainId),
    /// A person's role.
    User(UserId),
    ApiToken(TokenId),
    /// A category's figures, or a subcategory added.
    Category(CategoryId),
    /// A network and who is in it.
    Network(NetworkId),
    /// A listing handed in to a store.
    HandIn(HandInId),
    Repair(RepairId),
    Recipient(RecipientId),
    Claim(ClaimId),
    DeliveryRun(RunId),
    Delivery(DeliveryId),
}

impl Subject {
    fn parts(self) -> (&'static str, i64) {
        match self {
            Subject::Item(id) => ("item", id.0),
            Subject::Repair(id) => ("repair", id.0),
            Subject::Recipient(id) => ("external_recipient", id.0),
            Subject::Claim(id) => ("external_claim", id.0),
            Subject::DeliveryRun(id) => ("delivery_run", id.0),
            Subject::Delivery(id) => ("delivery", id.0),
            Subject::Reservation(id) => ("reservation", id.0),
            Subject::ReuseRecord(id) => ("reuse_record", id.0),
            Subject::QueueEntry(id) => ("queue_entry", id.0),
            Subject::Conversation(id) => ("conversation", id.0),
            Subject::Organisation(id) => ("organisation", id.0),
            Subject::Unit(id) => ("unit", id.0),
            Subject::Domain(id) => ("domain", id.0),
            Subject::User(id) => ("user", id.0),
            Subject::ApiToken(id) => ("api_token", id.0),
            Subject::Category(id) => ("category", id.0),
            Subject::Network(id) => ("network", id.0),
            Subject::HandIn(id) => ("store_handin", id.0),
        }
    }
}

/// One change, for the organisations it concerns (an owner's and a partner requester's).
pub struct Change<'a> {
    pub organisations: &'a [OrganisationId],
    /// None for the background jobs.
    pub actor: Option<UserId>,
    pub subject: Subject,
    /// A short, stable verb such as `reserved` or `picked_up`.
    pub action: &'a str,
    pub detail: String,
}

/// What an administrative change did, for its audit entry.
#[derive(Debug, Clone)]
pub struct Note {
    pub subject: Subject,
    pub action: &'static str,
    pub detail: String,
}

impl Note {
    pub fn new(subject: Subject, action: &'static str, detail: impl Into<String>) -> Self {
        Self {
            subject,
            action,
            detail: detail.into(),
        }
    }
}

/// Runs a change to one organisation's settings and writes its audit entry in the same
/// transaction: there is no change without its entry. `actor` is `None` for the command
/// line.
pub fn audited<T, E: From<diesel::result::Error>>(
    conn: &mut AnyConnection,
    organisation_id: OrganisationId,
    actor: Option<UserId>,
    change: impl FnOnce(&mut AnyConnection) -> Result<(T, Note), E>,
) -> Result<T, E> {
    crate::db::write_transaction(conn, |conn| {
        let (value, note) = change(conn)?;
        record(
            conn,
            Change {
                organisations: &[organisation_id],
                actor,
                subject: note.subject,
                action: note.action,
                detail: note.detail,
            },
        )?;
        Ok(value)
    })
}

pub fn record(conn: &mut AnyConnection, change: Change<'_>) -> QueryResult<()> {
    let (subject, subject_id) = change.subject.parts();
    let now = Utc::now().naive_utc();
    let mut organisations = change.organisations.to_vec();
    organisations.sort_unstable();
    organisations.dedup();
    for organisation_id in organisations {
        diesel::insert_into(audit_log::table)
            .values((
                audit_log::organisation_id.eq(organisation_id),
                audit_log::actor_id.eq(change.actor),
                audit_log::subject.eq(subject),
                audit_log::subject_id.eq(subject_id),
                audit_log::action.eq(change.action),
                audit_log::detail.eq(&change.detail),
                audit_log::created_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

#[derive(Debug, Clone, Serialize, Queryable)]
pub struct Entry {
    pub id: i64,
    pub created_at: NaiveDateTime,
    pub actor_email: Option<String>,
    pub subject: String,
    pub subject_id: i64,
    pub action: String,
    pub detail: String,
}

/// The newest entries of an organisation, newest first.
pub fn recent(
    conn: &mut AnyConnection,
    organisation_id: OrganisationId,
    limit: i64,
) -> QueryResult<Vec<Entry>> {
    audit_log::table
        .left_join(users::table.on(users::id.nullable().eq(audit_log::actor_id)))
        .filter(audit_log::organisation_id.eq(organisation_id))
        .order((audit_log::created_at.desc(), audit_log::id.desc()))
        .limit(limit)
        .select((
            audit_log::id,
            audit_log::created_at,
            users::email.nullable(),
            audit_log::subject,
            audit_log::subject_id,
            audit_log::action,
            audit_log::detail,
        ))
        .load(conn)
}
