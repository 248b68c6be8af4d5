//! Mail that events cause (a reservation, a reminder, a matching listing, a sign-in link).
//! A notice is queued as structured data in the same transaction as the event; the mail
//! worker renders it in the recipient's language when it sends it (`mail::render`), so no
//! template is rendered while a write transaction holds its locks.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::QueryResult;
use serde::{Deserialize, Serialize};

use super::{digest, outbox};
use crate::accounts::{Notify, User};
use crate::db::AnyConnection;
use crate::i18n::Language;
use crate::ids::{ConversationId, ItemId, QueueEntryId, ReservationId, UnitId, UserId};
use crate::items::ending::EndStep;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub email: String,
    pub language: Language,
    /// The person, when the address is one of Bruka's users: their setting decides how
    /// (and whether) an event reaches them.
    pub person: Option<(UserId, Notify)>,
    /// The secret of their List-Unsubscribe link.
    pub unsubscribe_token: Option<String>,
}

impl Recipient {
    /// An address to write to whatever anyone set (a sign-in link).
    pub fn new(email: &str, language: Language) -> Self {
        Self {
            email: email.to_string(),
            language,
            person: None,
            unsubscribe_token: None,
        }
    }

    /// A user, who hears of events the way they chose.
    pub fn person(user: &User) -> Self {
        Self {
            email: user.email.clone(),
            language: user.language(),
            person: Some((user.id, user.notify)),
            unsubscribe_token: user.notify_token.clone(),
        }
    }

    pub fn with_unsubscribe(mut self, token: Option<String>) -> Self {
        self.unsubscribe_token = token;
        self
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
    /// To whoever asked: the link (with its token) that signs them in, and the code that
    /// does the same when typed on another device. Mails queued before codes have none.
    SignInLink {
        link: String,
        minutes: i64,
        #[serde(default)]
        code: String,
    },
    /// To an address at a domain an admin added: the link that confirms the domain.
    DomainProof {
        link: String,
        domain: String,
        organisation: String,
    },
    /// To an admin: another organisation's admin invites their organisation into a network.
    NetworkInvitation {
        link: String,
        network: String,
        organisation: String,
    },
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
    /// To the lister: the end date is near, and what happens then (`next: None`: it ends).
    ListingEnding {
        item_id: ItemId,
        item_title: String,
        expires_on: NaiveDate,
        next: Option<EndStep>,
    },
    /// To the lister: nobody claimed it by its end date, so it took the organisation's next
    /// step; `until` is its new end date when it stays on offer.
    ListingEndStep {
        item_id: ItemId,
        item_title: String,
        step: EndStep,
        until: Option<NaiveDate>,
    },
    /// To the requester: the store put their delivery on a run.
    DeliveryPlanned {
        reservation_id: ReservationId,
        item_title: String,
        run_on: NaiveDate,
        building: String,
        room: String,
    },
    /// To an approved recipient's contact: the invitation link.
    RecipientInvited {
        recipient_name: String,
        organisation_name: String,
        token: String,
    },
    /// To the lister: an approved recipient claimed units of their listing.
    Claimed {
        item_id: ItemId,
        item_title: String,
        detail: String,
    },
    /// To the lister: the repair of their listing is done.
    RepairFinished {
        item_id: ItemId,
        item_title: String,
        repaired: bool,
    },
    /// To the members of a thread who did not write it: a new message.
    Message {
        conversation_id: ConversationId,
        item_title: String,
        author: String,
        excerpt: String,
    },
    /// To the lister: the requester asks for a later deadline.
    DeadlineAsked {
        facts: ReservationFacts,
        until: NaiveDateTime,
    },
    /// To the requester: the lister set a new deadline (`facts` has it).
    DeadlineMoved(ReservationFacts),
    /// To the first in a listing's queue: units are held for them until `until`.
    QueueOffer {
        entry_id: QueueEntryId,
        item_id: ItemId,
        item_title: String,
        quantity: i32,
        until: NaiveDateTime,
    },
    /// To someone waiting: the listing is gone, nothing will come back.
    QueueEnded { item_id: ItemId, item_title: String },
    /// To a store's staff: a lister asks the store to take a listing in.
    HandInRequested {
        store_id: UnitId,
        item_title: String,
        quantity: i32,
        requester: String,
        collect: bool,
        message: String,
    },
    /// To the lister: the store accepted (with its note) or declined (with its reason).
    HandInAnswered {
        item_id: ItemId,
        item_title: String,
        store: String,
        accepted: bool,
        collect: bool,
        answer: String,
    },
    /// To the lister: what they handed in is on a shelf in the store and on offer again.
    HandInReceived {
        item_id: ItemId,
        item_title: String,
        store: String,
    },
    /// The day's notices of someone who asked for one mail a day.
    Digest { notices: Vec<Notice> },
}

impl Notice {
    /// Whether a person's notification setting applies: a sign-in link always goes out.
    fn is_about_an_event(&self) -> bool {
        !matches!(
            self,
            Notice::SignInLink { .. }
                | Notice::DomainProof { .. }
                | Notice::NetworkInvitation { .. }
                | Notice::Digest { .. }
        )
    }
}

/// Queues the notice for `to` as their setting says: a mail now, a line in tomorrow's
/// digest, or nothing (the pages show it all the same). Call inside the transaction that
/// makes the change.
pub fn queue(conn: &mut AnyConnection, to: &Recipient, notice: &Notice) -> QueryResult<()> {
    match to.person {
        Some((user_id, Notify::Daily)) if notice.is_about_an_event() => {
            digest::hold(conn, user_id, notice)
        }
        Some((_, Notify::None)) if notice.is_about_an_event() => Ok(()),
        _ => outbox::enqueue(conn, to, notice).map(|_| ()),
    }
}
