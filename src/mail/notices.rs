//! Mail that events cause (a reservation, a reminder, a matching listing, a sign-in link).
//! A notice is queued as structured data in the same transaction as the event; the mail
//! worker renders it in the recipient's language when it sends it (`mail::render`), so no
//! template is rendered while a write transaction holds its locks.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::QueryResult;
use serde::{Deserialize, Serialize};

use super::outbox;
use crate::db::AnyConnection;
use crate::i18n::Language;
use crate::ids::{ItemId, ReservationId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub email: String,
    pub language: Language,
}

impl Recipient {
    pub fn new(email: &str, language: Language) -> Self {
        Self {
            email: email.to_string(),
            language,
        }
    }
}

/// About one reservation, for whoever a notice goes to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReservationFacts {
    pub reservation_id: ReservationId,
    pub item_title: String,
    pub quantity: i32,
    pub requester: String,
    pub receiving_unit: String,
    pub message: String,
    pub pickup_deadline: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Notice {
    /// To whoever asked: the link (with its token) that signs them in.
    SignInLink { link: String, minutes: i64 },
    /// To the lister: someone reserved.
    Reserved(ReservationFacts),
    /// To the lister: the requester cancelled.
    Cancelled(ReservationFacts),
    /// To the requester: the lister declined.
    Declined(ReservationFacts),
    /// To the requester: the deadline is near.
    PickupReminder(ReservationFacts),
    /// To both: nobody confirmed the pickup in time; the quantity is available again.
    Expired(ReservationFacts),
    /// To whoever did not confirm it: the handover is recorded.
    PickedUp(ReservationFacts),
    /// To someone with a saved search or wanted ad: a matching listing appeared.
    Match {
        item_id: ItemId,
        item_title: String,
        search_title: String,
        unsubscribe_token: String,
    },
    /// To the lister: the listing's end date passed and nobody can find it any more.
    ListingExpired {
        item_id: ItemId,
        item_title: String,
        expires_on: NaiveDate,
    },
}

/// Queues the notice for `to`; call inside the transaction that makes the change.
pub fn queue(conn: &mut AnyConnection, to: &Recipient, notice: &Notice) -> QueryResult<i64> {
    outbox::enqueue(conn, to, notice)
}
