//! The ledger's hash chain. Every record is linked into the chain of the organisation that
//! received it (the one that counts it): link n holds SHA-256 over link n − 1's hash and the
//! record's content, so a record changed, removed or slipped in by someone with database
//! access breaks the chain from there on. An export carries the head (its sequence number
//! and hash); a later chain that no longer has that head was rewritten.
//!
//! Appends of one organisation are serialised by its `ledger_heads` row, which an append
//! updates first: on PostgreSQL that row lock makes concurrent handovers on several
//! instances take turns; SQLite has one writer anyway.

use std::collections::HashMap;

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::ReuseRecord;
use crate::accounts::tokens::hex;
use crate::db::AnyConnection;
use crate::db::schema::{
    ledger_chain, ledger_checks, ledger_heads, ledger_seal_backlog, organisations, reuse_records,
};
use crate::ids::{OrganisationId, RecordId};

/// The hash before the first link.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Names the content layout; a future layout gets a new tag and old links keep theirs.
const CONTENT_TAG: &str = "bruka-ledger-v1";
/// The layout with a handover's measured deductions (repair costs, a run's transport): a
/// record with none keeps the first layout, so every link made before them still verifies.
const CONTENT_TAG_MEASURED: &str = "bruka-ledger-v2";

/// A position in a chain: the sequence number (1 for the first record) and its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Link {
    pub seq: i64,
    pub hash: String,
}

impl Link {
    pub fn genesis() -> Self {
        Link {
            seq: 0,
            hash: GENESIS.to_string(),
        }
    }
}

/// What a link's hash is computed over: the previous hash and every stored field of the
/// record, in a fixed order, as JSON (strings escaped, numbers written the shortest way that
/// reads back exactly, the time with nanoseconds).
pub fn link_hash(previous: &str, record: &ReuseRecord) -> String {
    let content = serde_json::json!([
        record.id,
        record.reservation_id,
        record.reverses_id,
        record.item_id,
        record.item_title,
        record.giving_organisation_id,
        record.receiving_organisation_id,
        record.from_unit_id,
        record.from_unit_name,
        record.to_unit_id,
        record.to_unit_name,
        record.category_id,
        record.category_name,
        record.quantity,
        record.factor_kind.as_str(),
        record.factor_kg_co2e,
        record.factor_source,
        record.factor_version,
        record.factor_is_estimate,
        record.weight_kg,
        record.weight_is_typical,
        record.new_price_sek,
        record.new_price_is_estimate,
        record.would_buy_new.as_str(),
        record.displacement,
        record.deduction_kg_co2e,
        record.co2e_grams,
        record.money_saved_ore,
        record.material_grams,
        record
            .recorded_at
            .format("%Y-%m-%dT%H:%M:%S%.9f")
            .to_string(),
        record.recorded_by,
        record.note,
        record.category_version_id,
        record.factor_kg_co2e_high,
        record.co2e_grams_high,
    ]);
    let measured = record.costs_ore.0 != 0 || !record.deduction_source.is_empty();
    let (tag, content) = if measured {
        let mut fields = match content {
            serde_json::Value::Array(fields) => fields,
            other => vec![other],
        };
        fields.push(record.costs_ore.0.into());
        fields.push(record.deduction_source.as_str().into());
        (CONTENT_TAG_MEASURED, serde_json::Value::Array(fields))
    } else {
        (CONTENT_TAG, content)
    };
    let mut hasher = Sha256::new();
    hasher.update(tag.as_bytes());
    hasher.update(b"\n");
    hasher.update(previous.as_bytes());
    hasher.update(b"\n");
    hasher.update(content.to_string().as_bytes());
    hex(&hasher.finalize())
}

/// An organisation's chain, opened for appending inside a transaction: holds its head row
/// locked until the transaction ends.
pub struct Appender {
    organisation_id: OrganisationId,
    head: Link,
    sealed_at: NaiveDateTime,
}

impl Appender {
    /// Takes the head of the organisation's chain (creating an empty one the first time).
    pub fn open(conn: &mut AnyConnection, organisation_id: OrganisationId) -> QueryResult<Self> {
        let head = match lock_head(conn, organisation_id)? {
            Some(head) => head,
            None => {
                // Two first appends at once on PostgreSQL: the second insert waits for the
                // first and then does nothing, and the update below finds its row.
                diesel::sql_query(
                    "INSERT INTO ledger_heads (organisation_id, seq, hash) VALUES ($1, 0, $2) \
                     ON CONFLICT DO NOTHING",
                )
                .bind::<diesel::sql_types::BigInt, _>(organisation_id.0)
                .bind::<diesel::sql_types::Text, _>(GENESIS)
                .execute(conn)?;
                lock_head(conn, organisation_id)?.ok_or(diesel::result::Error::NotFound)?
            }
        };
        Ok(Appender {
            organisation_id,
            head,
            sealed_at: Utc::now().naive_utc(),
        })
    }

    /// Links a record (as stored, read back) after the current head, and adds it to the
    /// monthly sums: both are written here so they always cover the same records.
    pub fn append(&mut self, conn: &mut AnyConnection, record: &ReuseRecord) -> QueryResult<Link> {
        super::sums::add(conn, record)?;
        let link = Link {
            seq: self.head.seq + 1,
            hash: link_hash(&self.head.hash, record),
        };
        diesel::insert_into(ledger_chain::table)
            .values((
                ledger_chain::record_id.eq(record.id),
                ledger_chain::organisation_id.eq(self.organisation_id),
                ledger_chain::seq.eq(link.seq),
                ledger_chain::hash.eq(&link.hash),
                ledger_chain::sealed_at.eq(self.sealed_at),
            ))
            .execute(conn)?;
        self.head = link.clone();
        Ok(link)
    }

    /// Writes the new head. Call before the transaction commits.
    pub fn close(self, conn: &mut AnyConnection) -> QueryResult<Link> {
        diesel::update(ledger_heads::table.find(self.organisation_id))
            .set((
                ledger_heads::seq.eq(self.head.seq),
                ledger_heads::hash.eq(&self.head.hash),
            ))
            .execute(conn)?;
        Ok(self.head)
    }
}

/// The head row, locked by a no-op update (portable: SQLite has no `FOR UPDATE`).
fn lock_head(
    conn: &mut AnyConnection,
    organisation_id: OrganisationId,
) -> QueryResult<Option<Link>> {
    diesel::update(ledger_heads::table.find(organisation_id))
        .set(ledger_heads::seq.eq(ledger_heads::seq))
        .returning((ledger_heads::seq, ledger_heads::hash))
        .get_result::<(i64, String)>(conn)
        .optional()
        .map(|head| head.map(|(seq, hash)| Link { seq, hash }))
}

/// Links one record just written, inside its transaction.
pub fn seal(conn: &mut AnyConnection, record: &ReuseRecord) -> QueryResult<Link> {
    let mut appender = Appender::open(conn, record.receiving_organisation_id)?;
    appender.append(conn, record)?;
    appender.close(conn)
}

/// The head of an organisation's chain as stored (none before its first record).
pub fn head(
    conn: &mut AnyConnection,
    organisation_id: OrganisationId,
) -> QueryResult<Option<Link>> {
    ledger_heads::table
        .find(organisation_id)
        .select((ledger_heads::seq, ledger_heads::hash))
        .first::<(i64, String)>(conn)
        .optional()
        .map(|head| head.map(|(seq, hash)| Link { seq, hash }))
}

/// The links of the records with ids from `first` to `last`, by record id (for exports, a
/// batch at a time: a range on the primary key is much cheaper than a list of 2 000 ids).
pub fn links_between(
    conn: &mut AnyConnection,
    (first, last): (RecordId, RecordId),
) -> QueryResult<HashMap<RecordId, Link>> {
    load_links(
        conn,
        ledger_chain::table
            .filter(ledger_chain::record_id.between(first, last))
            .into_boxed(),
    )
}

/// The links of some records, by record id.
pub fn links_of(
    conn: &mut AnyConnection,
    record_ids: &[RecordId],
) -> QueryResult<HashMap<RecordId, Link>> {
    load_links(
        conn,
        ledger_chain::table
            .filter(ledger_chain::record_id.eq_any(record_ids))
            .into_boxed(),
    )
}

/// The links a filtered query finds, by record id.
fn load_links(
    conn: &mut AnyConnection,
    query: ledger_chain::BoxedQuery<'_, crate::db::MultiBackend>,
) -> QueryResult<HashMap<RecordId, Link>> {
    Ok(query
        .select((
            ledger_chain::record_id,
            ledger_chain::seq,
            ledger_chain::hash,
        ))
        .load::<(RecordId, i64, String)>(conn)?
        .into_iter()
        .map(|(id, seq, hash)| (id, Link { seq, hash }))
        .collect())
}

/// Records sealed per transaction when the backlog is worked off.
const SEAL_BATCH: i64 = 2_000;

/// Links the records written before the chain existed, per organisation in id order, and
/// returns how many. Runs at start-up (under the preparation lock) so they come first.
pub fn seal_backlog(conn: &mut AnyConnection) -> QueryResult<usize> {
    let mut sealed = 0;
    loop {
        let done = conn.transaction(|conn| -> QueryResult<usize> {
            let Some(organisation_id) = ledger_seal_backlog::table
                .inner_join(
                    reuse_records::table.on(reuse_records::id.eq(ledger_seal_backlog::record_id)),
                )
                .select(reuse_records::receiving_organisation_id)
                .first::<OrganisationId>(conn)
                .optional()?
            else {
                return Ok(0);
            };
            let mut appender = Appender::open(conn, organisation_id)?;
            let records: Vec<ReuseRecord> = reuse_records::table
                .filter(reuse_records::receiving_organisation_id.eq(organisation_id))
                .filter(
                    reuse_records::id
                        .eq_any(ledger_seal_backlog::table.select(ledger_seal_backlog::record_id)),
                )
                .order(reuse_records::id.asc())
                .limit(SEAL_BATCH)
                .select(ReuseRecord::as_select())
                .load(conn)?;
            let ids: Vec<RecordId> = records.iter().map(|r| r.id).collect();
            for record in &records {
                appender.append(conn, record)?;
            }
            appender.close(conn)?;
            diesel::delete(
                ledger_seal_backlog::table.filter(ledger_seal_backlog::record_id.eq_any(&ids)),
            )
            .execute(conn)?;
            Ok(records.len())
        })?;
        if done == 0 {
            return Ok(sealed);
        }
        sealed += done;
    }
}

/// What is wrong at the first broken place of a chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Problem {
    /// The record's content no longer gives the link's hash: it was changed.
    Changed,
    /// A link's record is gone.
    Missing,
    /// A sequence number is skipped: a link was removed.
    Gap,
    /// The chain ends before (or after) the stored head: its tail was cut or rewritten.
    Head,
    /// A record of the organisation is in no chain: written behind Bruka's back.
    Unlinked,
    /// The link belongs to a record of another organisation.
    Foreign,
}

impl Problem {
    pub fn as_str(self) -> &'static str {
        match self {
            Problem::Changed => "changed",
            Problem::Missing => "missing",
            Problem::Gap => "gap",
            Problem::Head => "head",
            Problem::Unlinked => "unlinked",
            Problem::Foreign => "foreign",
        }
    }

    pub const ALL: [Problem; 6] = [
        Problem::Changed,
        Problem::Missing,
        Problem::Gap,
        Problem::Head,
        Problem::Unlinked,
        Problem::Foreign,
    ];

    fn parse(text: &str) -> Option<Self> {
        Problem::ALL.into_iter().find(|p| p.as_str() == text)
    }
}

/// The first broken place of a chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Break {
    /// The link's sequence number (for an unlinked record: the head's).
    pub seq: i64,
    pub record_id: Option<RecordId>,
    pub problem: Problem,
}

/// The outcome of recomputing one organisation's chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    pub organisation_id: OrganisationId,
    pub checked_at: NaiveDateTime,
    /// Links read.
    pub links: i64,
    /// The stored head.
    pub head: Link,
    pub broken: Option<Break>,
}

impl Verification {
    pub fn is_intact(&self) -> bool {
        self.broken.is_none()
    }
}

/// Links read per query while verifying.
const VERIFY_BATCH: i64 = 5_000;

type LinkedRow = (i64, String, RecordId, Option<ReuseRecord>);

/// Recomputes an organisation's chain from its first link and stops at the first break.
pub fn verify(
    conn: &mut AnyConnection,
    organisation_id: OrganisationId,
) -> QueryResult<Verification> {
    let head = head(conn, organisation_id)?.unwrap_or_else(Link::genesis);
    let mut previous = Link::genesis();
    let mut links = 0;
    let broken = 'walk: loop {
        let rows: Vec<LinkedRow> = ledger_chain::table
            .left_join(reuse_records::table)
            .filter(ledger_chain::organisation_id.eq(organisation_id))
            .filter(ledger_chain::seq.gt(previous.seq))
            .order(ledger_chain::seq.asc())
            .limit(VERIFY_BATCH)
            .select((
                ledger_chain::seq,
                ledger_chain::hash,
                ledger_chain::record_id,
                Option::<ReuseRecord>::as_select(),
            ))
            .load(conn)?;
        let full = rows.len() as i64 == VERIFY_BATCH;
        for (seq, hash, record_id, record) in rows {
            let problem = match &record {
                _ if seq != previous.seq + 1 => Some(Problem::Gap),
                None => Some(Problem::Missing),
                Some(record) if record.receiving_organisation_id != organisation_id => {
                    Some(Problem::Foreign)
                }
                Some(record) if link_hash(&previous.hash, record) != hash => Some(Problem::Changed),
                Some(_) => None,
            };
            if let Some(problem) = problem {
                break 'walk Some(Break {
                    seq,
                    record_id: Some(record_id),
                    problem,
                });
            }
            links += 1;
            previous = Link { seq, hash };
        }
        if !full {
            break None;
        }
    };
    let broken = broken.or_else(|| {
        (previous != head).then_some(Break {
            seq: previous.seq,
            record_id: None,
            problem: Problem::Head,
        })
    });
    let broken = match broken {
        Some(broken) => Some(broken),
        None => first_unlinked(conn, organisation_id)?.map(|record_id| Break {
            seq: head.seq,
            record_id: Some(record_id),
            problem: Problem::Unlinked,
        }),
    };
    Ok(Verification {
        organisation_id,
        checked_at: Utc::now().naive_utc(),
        links,
        head,
        broken,
    })
}

/// The first record of the organisation in no chain and not waiting to be sealed.
fn first_unlinked(
    conn: &mut AnyConnection,
    organisation_id: OrganisationId,
) -> QueryResult<Option<RecordId>> {
    reuse_records::table
        .left_join(ledger_chain::table)
        .filter(reuse_records::receiving_organisation_id.eq(organisation_id))
        .filter(ledger_chain::record_id.nullable().is_null())
        .filter(
            reuse_records::id
                .ne_all(ledger_seal_backlog::table.select(ledger_seal_backlog::record_id)),
        )
        .order(reuse_records::id.asc())
        .select(reuse_records::id)
        .first(conn)
        .optional()
}

/// Verifies every organisation's chain, keeps each outcome for the ledger page, and returns
/// them (organisations without records included: their empty chain must be empty).
pub fn verify_all(conn: &mut AnyConnection) -> QueryResult<Vec<Verification>> {
    let ids: Vec<OrganisationId> = organisations::table
        .order(organisations::id.asc())
        .select(organisations::id)
        .load(conn)?;
    let mut outcomes = Vec::with_capacity(ids.len());
    for id in ids {
        let outcome = verify(conn, id)?;
        remember(conn, &outcome)?;
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

/// Verifies the chain of one organisation with records whose last verification is older
/// than `before` (or that was never verified), and keeps the outcome. Background work calls
/// this each round, so every chain is recomputed about daily without a burst.
pub fn verify_one_due(
    conn: &mut AnyConnection,
    before: NaiveDateTime,
) -> QueryResult<Option<Verification>> {
    let checked_since = ledger_checks::table
        .filter(ledger_checks::checked_at.ge(before))
        .select(ledger_checks::organisation_id);
    let due: Option<OrganisationId> = ledger_heads::table
        .filter(ledger_heads::organisation_id.ne_all(checked_since))
        .order(ledger_heads::organisation_id.asc())
        .select(ledger_heads::organisation_id)
        .first(conn)
        .optional()?;
    let Some(organisation_id) = due else {
        return Ok(None);
    };
    let outcome = verify(conn, organisation_id)?;
    remember(conn, &outcome)?;
    Ok(Some(outcome))
}

/// Keeps a verification's outcome for the ledger page.
pub fn remember(conn: &mut AnyConnection, outcome: &Verification) -> QueryResult<()> {
    diesel::insert_into(ledger_checks::table)
        .values((
            ledger_checks::organisation_id.eq(outcome.organisation_id),
            ledger_checks::checked_at.eq(outcome.checked_at),
            ledger_checks::links.eq(outcome.links),
            ledger_checks::head_seq.eq(outcome.head.seq),
            ledger_checks::head_hash.eq(&outcome.head.hash),
            ledger_checks::broken_seq.eq(outcome.broken.as_ref().map(|b| b.seq)),
            ledger_checks::broken_record_id.eq(outcome
                .broken
                .as_ref()
                .and_then(|b| b.record_id.map(|id| id.0))),
            ledger_checks::problem.eq(outcome.broken.as_ref().map(|b| b.problem.as_str())),
        ))
        .execute(conn)?;
    Ok(())
}

/// The newest kept verification of an organisation.
pub fn last_check(
    conn: &mut AnyConnection,
    organisation_id: OrganisationId,
) -> QueryResult<Option<Verification>> {
    type Row = (
        NaiveDateTime,
        i64,
        i64,
        String,
        Option<i64>,
        Option<i64>,
        Option<String>,
    );
    let row: Option<Row> = ledger_checks::table
        .filter(ledger_checks::organisation_id.eq(organisation_id))
        .order(ledger_checks::id.desc())
        .select((
            ledger_checks::checked_at,
            ledger_checks::links,
            ledger_checks::head_seq,
            ledger_checks::head_hash,
            ledger_checks::broken_seq,
            ledger_checks::broken_record_id,
            ledger_checks::problem,
        ))
        .first(conn)
        .optional()?;
    Ok(row.map(
        |(checked_at, links, head_seq, head_hash, broken_seq, broken_record_id, problem)| {
            Verification {
                organisation_id,
                checked_at,
                links,
                head: Link {
                    seq: head_seq,
                    hash: head_hash,
                },
                broken: match (broken_seq, problem.as_deref().and_then(Problem::parse)) {
                    (Some(seq), Some(problem)) => Some(Break {
                        seq,
                        record_id: broken_record_id.map(RecordId),
                        problem,
                    }),
                    _ => None,
                },
            }
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{CategoryId, ItemId};
    use crate::ledger::{FactorKind, Grams, Ore, savings::WouldBuyNew};

    fn record() -> ReuseRecord {
        ReuseRecord {
            id: RecordId(7),
            reservation_id: None,
            reverses_id: None,
            item_id: ItemId(3),
            item_title: "Kontorsstol \"Ergo\"".into(),
            giving_organisation_id: OrganisationId(1),
            receiving_organisation_id: OrganisationId(1),
            from_unit_id: None,
            from_unit_name: String::new(),
            to_unit_id: None,
            to_unit_name: "Skola".into(),
            category_id: CategoryId(2),
            category_name: "Kontorsstol".into(),
            quantity: 2,
            factor_kind: FactorKind::PerItem,
            factor_kg_co2e: Some(72.0),
            factor_source: "IVL".into(),
            factor_version: "2026-11".into(),
            factor_is_estimate: false,
            weight_kg: Some(14.5),
            weight_is_typical: true,
            new_price_sek: Some(4500.0),
            new_price_is_estimate: true,
            would_buy_new: WouldBuyNew::Yes,
            displacement: 1.0,
            deduction_kg_co2e: 0.1,
            co2e_grams: Grams(143_800),
            money_saved_ore: Ore(900_000),
            material_grams: Grams(29_000),
            recorded_at: chrono::NaiveDate::from_ymd_opt(2026, 12, 4)
                .and_then(|d| d.and_hms_micro_opt(10, 0, 0, 123_456))
                .expect("date"),
            recorded_by: None,
            note: String::new(),
            category_version_id: None,
            factor_kg_co2e_high: None,
            co2e_grams_high: None,
            costs_ore: Ore(0),
            deduction_source: String::new(),
        }
    }

    #[test]
    fn the_hash_depends_on_the_previous_link_and_every_field() {
        let original = link_hash(GENESIS, &record());
        assert_eq!(original.len(), 64);
        assert_eq!(original, link_hash(GENESIS, &record()), "deterministic");
        assert_ne!(original, link_hash(&original, &record()));
        let mut changed = record();
        changed.quantity = 3;
        assert_ne!(original, link_hash(GENESIS, &changed));
        let mut changed = record();
        changed.recorded_at += chrono::Duration::microseconds(1);
        assert_ne!(original, link_hash(GENESIS, &changed));
        let mut changed = record();
        changed.note = " ".into();
        assert_ne!(original, link_hash(GENESIS, &changed));
        let mut changed = record();
        changed.co2e_grams_high = Some(Grams(143_800));
        assert_ne!(original, link_hash(GENESIS, &changed));
        let mut changed = record();
        changed.costs_ore = Ore(45_000);
        let with_costs = link_hash(GENESIS, &changed);
        assert_ne!(original, with_costs);
        changed.deduction_source = "repair #1".into();
        assert_ne!(with_costs, link_hash(GENESIS, &changed));
    }

    /// Records without measured deductions keep the first layout: this record's hash is
    /// the one the code made before the second layout existed, so old chains still verify.
    #[test]
    fn a_record_without_measured_deductions_keeps_the_first_layout() {
        assert_eq!(
            link_hash(GENESIS, &record()),
            "f906e34d9d52e4f67655811b384ba4a95edf5c5409a1e65bbd315419ad32d4dd"
        );
    }

    #[test]
    fn problems_read_back_as_written() {
        for problem in Problem::ALL {
            assert_eq!(Problem::parse(problem.as_str()), Some(problem));
        }
    }
}
