//! What happened, as the domain reports it. Domain functions that change state take a
//! [`Tx`]: the open write transaction plus a list they record their events in. They neither
//! write the audit log nor queue mail themselves; `app::dispatch` does both for every event,
//! before the same transaction commits, so a change and its consequences land together or
//! not at all.

use crate::db::AnyConnection;
use chrono::NaiveDateTime;

use crate::deliveries::DeliveryStep;
use crate::ids::{
    ClaimId, ConversationId, DeliveryId, HandInId, ItemId, MessageId, OrganisationId, QueueEntryId,
    RecipientId, RecordId, RepairId, ReservationId, RunId, UserId,
};
use crate::items::Status;
use crate::items::ending::EndStep;
use crate::repairs::Step as RepairStep;
use crate::reservations::lifecycle::Ending;
use crate::reservations::queue::QueueStep;
use crate::stores::handin::Step as HandInStep;

/// How a listing was saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saved {
    Drafted,
    Published,
    Edited,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A listing was created or edited by its lister.
    ListingSaved {
        item: ItemId,
        organisation: OrganisationId,
        by: UserId,
        how: Saved,
        detail: String,
    },
    /// The lister, or the clock (`by: None`), moved a listing to another status.
    ListingMoved {
        item: ItemId,
        organisation: OrganisationId,
        by: Option<UserId>,
        from: Status,
        to: Status,
    },
    /// A listing nobody claimed took a step of its organisation's end-of-listing policy;
    /// `until` is its new end date when it stays on offer.
    ListingEndStep {
        item: ItemId,
        organisation: OrganisationId,
        step: EndStep,
        until: Option<chrono::NaiveDate>,
    },
    /// A listing's end date is near: its lister hears what happens then.
    ListingEnding { item: ItemId, next: Option<EndStep> },
    /// Quantity of a listing is held for a unit.
    Reserved {
        reservation: ReservationId,
        item: ItemId,
        organisations: [OrganisationId; 2],
        by: UserId,
        detail: String,
    },
    /// A reservation closed. `record` is the ledger row a pickup wrote.
    ReservationEnded {
        reservation: ReservationId,
        organisations: [OrganisationId; 2],
        ending: Ending,
        by: Option<UserId>,
        record: Option<RecordId>,
        detail: String,
    },
    /// A requester's pickup deadline is near.
    PickupDue { reservation: ReservationId },
    /// The requester asked for a later pickup deadline.
    DeadlineAsked {
        reservation: ReservationId,
        organisations: [OrganisationId; 2],
        by: UserId,
        until: NaiveDateTime,
    },
    /// The lister set a new pickup deadline.
    DeadlineMoved {
        reservation: ReservationId,
        organisations: [OrganisationId; 2],
        by: UserId,
        from: NaiveDateTime,
        until: NaiveDateTime,
    },
    /// A place in a listing's queue changed: joined, offered units, took or left them.
    QueueMoved {
        entry: QueueEntryId,
        item: ItemId,
        organisations: [OrganisationId; 2],
        requester: UserId,
        step: QueueStep,
        detail: String,
    },
    /// Someone wrote in a conversation; `to` are the members who have not read it.
    MessagePosted {
        conversation: ConversationId,
        message: MessageId,
        organisations: [OrganisationId; 2],
        by: UserId,
        to: Vec<UserId>,
    },
    /// An admin who takes no part in a conversation read it, to moderate.
    ConversationModerated {
        conversation: ConversationId,
        organisation: OrganisationId,
        by: UserId,
    },
    /// A hand-in to a store was asked for (`step: None`), answered, withdrawn or received.
    HandInMoved {
        handin: HandInId,
        item: ItemId,
        organisation: OrganisationId,
        by: UserId,
        step: Option<HandInStep>,
        detail: String,
    },
    /// A listing went into the repair queue (`step: None`), or its repair moved on.
    RepairMoved {
        repair: RepairId,
        item: ItemId,
        organisation: OrganisationId,
        by: UserId,
        step: Option<RepairStep>,
        detail: String,
    },
    /// A delivery was wished, planned into a run, loaded or delivered, or a run changed.
    DeliveryMoved {
        run: Option<RunId>,
        delivery: Option<DeliveryId>,
        organisation: OrganisationId,
        by: UserId,
        step: DeliveryStep,
        detail: String,
    },
    /// An admin approved a recipient outside the organisation: its contact gets the link.
    RecipientInvited {
        recipient: RecipientId,
        organisation: OrganisationId,
        by: UserId,
        email: String,
        name: String,
        /// The link's secret, for the mail only (stored as a hash).
        token: String,
    },
    /// A recipient accepted the terms (`by: None`) or was removed.
    RecipientChanged {
        recipient: RecipientId,
        organisation: OrganisationId,
        by: Option<UserId>,
        action: &'static str,
        detail: String,
    },
    /// A recipient claimed units of a listing (`by: None`), or the lister handed them over
    /// or declined.
    ClaimMoved {
        claim: ClaimId,
        item: ItemId,
        organisation: OrganisationId,
        by: Option<UserId>,
        action: &'static str,
        detail: String,
    },
    /// A ledger row was corrected by a reversing row.
    RecordReversed {
        record: RecordId,
        reversal: RecordId,
        organisations: [OrganisationId; 2],
        by: UserId,
        note: String,
    },
}

/// An open write transaction and what happened in it so far. Only the application layer
/// opens one (`app::write`), so a function taking `&mut Tx` runs inside a transaction whose
/// events will be dispatched.
pub struct Tx<'c> {
    pub conn: &'c mut AnyConnection,
    events: Vec<Event>,
}

impl<'c> Tx<'c> {
    pub(crate) fn new(conn: &'c mut AnyConnection) -> Self {
        Self {
            conn,
            events: Vec::new(),
        }
    }

    pub fn emit(&mut self, event: Event) {
        self.events.push(event);
    }

    pub(crate) fn into_events(self) -> Vec<Event> {
        self.events
    }
}
