//! The end of a listing nobody claims, for the background job: its lister is reminded
//! before the end date, and when the date passes it takes its organisation's next step
//! (the store, the network, approved recipients outside it, recycling) or simply ends. Each listing is one transaction;
//! each change a conditional update, so instances running the job never do one twice.

use chrono::{Duration, NaiveDate};
use diesel::QueryResult;

use crate::access;
use crate::db::AnyConnection;
use crate::events::{Event, Tx};
use crate::ids::ItemId;
use crate::items::ending::{EndPolicy, EndStep};
use crate::items::{self, Item, ItemError, Status, Visibility};
use crate::organisations;
use crate::stores::{self, Store, StoreError};

/// Which steps can apply to a listing now, and where a store step would send it.
struct Possible {
    in_network: bool,
    has_recipients: bool,
    store: Option<Store>,
    asked_a_store: bool,
}

impl Possible {
    fn load(conn: &mut AnyConnection, item: &Item) -> QueryResult<Self> {
        Ok(Self {
            in_network: access::network_of(conn, item.organisation_id)?.is_some(),
            has_recipients: crate::recipients::has_active(conn, item.organisation_id)?,
            store: stores::stores_of(conn, item.organisation_id)?
                .into_iter()
                .next(),
            asked_a_store: stores::open_for(conn, item.id)?.is_some(),
        })
    }

    fn can(&self, item: &Item, step: EndStep) -> bool {
        let nothing_held = item.quantity_available == item.quantity_total;
        match step {
            EndStep::Network => {
                self.in_network && item.fields.visibility == Visibility::Organisation
            }
            EndStep::Store => {
                self.store.is_some()
                    && item.store_unit_id.is_none()
                    && !self.asked_a_store
                    && nothing_held
            }
            EndStep::External => self.has_recipients && !item.offered_outside,
            EndStep::Recycle => true,
        }
    }
}

fn next_step(
    conn: &mut AnyConnection,
    item: &Item,
    policy: &EndPolicy,
) -> QueryResult<(Option<(EndStep, i32)>, Possible)> {
    let possible = Possible::load(conn, item)?;
    let next = policy.next(item.end_step, |step| possible.can(item, step));
    Ok((next, possible))
}

/// A listing whose end date passed: its organisation's next step, or its end. False when it
/// is not due (any more) or another instance took it first.
pub fn end_listing(tx: &mut Tx, item_id: ItemId, today: NaiveDate) -> Result<bool, StoreError> {
    let Some(item) = items::find(tx.conn, item_id)? else {
        return Ok(false);
    };
    let due =
        item.status == Status::Available && item.fields.expires_on.is_some_and(|date| date < today);
    if !due {
        return Ok(false);
    }
    let policy = organisations::end_policy(tx.conn, item.organisation_id)?;
    let (next, possible) = next_step(tx.conn, &item, &policy)?;
    let Some((step, taken)) = next else {
        return Ok(items::expire(tx, item_id, today)?);
    };
    let until = today + Duration::days(i64::from(policy.step_days));
    if !items::take_end_step(tx, &item, step, taken, until)? {
        return Ok(false);
    }
    if let (EndStep::Store, Some(store)) = (step, &possible.store) {
        stores::ask_for_lister(tx, &item, store)?;
    }
    Ok(true)
}

/// Reminds the lister of a listing whose end date is near, once per date, saying what
/// happens then. False when it is not on offer or was reminded meanwhile.
pub fn remind_lister(tx: &mut Tx, item_id: ItemId) -> Result<bool, ItemError> {
    let Some(item) = items::find(tx.conn, item_id)? else {
        return Ok(false);
    };
    if item.status != Status::Available || !items::mark_reminded(tx.conn, &item)? {
        return Ok(false);
    }
    let policy = organisations::end_policy(tx.conn, item.organisation_id)?;
    let (next, _) = next_step(tx.conn, &item, &policy)?;
    tx.emit(Event::ListingEnding {
        item: item.id,
        next: next.map(|(step, _)| step),
    });
    Ok(true)
}

/// The listings due for a reminder, of every organisation that reminds, up to `limit`.
pub fn due_for_reminder(
    conn: &mut AnyConnection,
    today: NaiveDate,
    limit: i64,
) -> QueryResult<Vec<ItemId>> {
    let mut due = Vec::new();
    for (organisation, days) in organisations::reminding(conn)? {
        let left = limit - i64::try_from(due.len()).unwrap_or(limit);
        if left <= 0 {
            break;
        }
        let until = today + Duration::days(i64::from(days));
        due.extend(items::due_for_reminder(
            conn,
            organisation,
            today,
            until,
            left,
        )?);
    }
    Ok(due)
}
