//! Mail that events cause (a reservation, a reminder, a matching listing). Domain code says
//! what happened; a [`Notifier`] turns it into a mail in the recipient's language, and the
//! mail is queued in the same transaction as the event.

use chrono::NaiveDateTime;

use super::{OutgoingMail, outbox};
use crate::db::AnyConnection;
use crate::i18n::Language;

#[derive(Debug, Clone)]
pub struct Recipient {
    pub email: String,
    pub language: Language,
}

impl Recipient {
    pub fn new(email: &str, language: &str) -> Self {
        Self {
            email: email.to_string(),
            language: Language::from_tag(language).unwrap_or(Language::DEFAULT),
        }
    }
}

/// About one reservation, for whoever a notice goes to.
#[derive(Debug, Clone)]
pub struct ReservationFacts {
    pub reservation_id: i64,
    pub item_title: String,
    pub quantity: i32,
    pub requester: String,
    pub receiving_unit: String,
    pub message: String,
    pub pickup_deadline: NaiveDateTime,
}

#[derive(Debug, Clone)]
pub enum Notice {
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
        item_id: i64,
        item_title: String,
        search_title: String,
        unsubscribe_token: String,
    },
}

#[derive(Debug, thiserror::Error)]
#[error("cannot write the mail: {0}")]
pub struct NoticeError(pub String);

pub trait Notifier {
    /// The mail for `to`, or none when this notifier sends nothing.
    fn render(&self, to: &Recipient, notice: &Notice) -> Result<Option<OutgoingMail>, NoticeError>;
}

/// Sends nothing: for seeding example data, where the events are made up.
pub struct Silent;

impl Notifier for Silent {
    fn render(&self, _: &Recipient, _: &Notice) -> Result<Option<OutgoingMail>, NoticeError> {
        Ok(None)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error(transparent)]
    Notice(#[from] NoticeError),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// Queues the notice for `to`; call inside the transaction that makes the change.
pub fn queue(
    conn: &mut AnyConnection,
    notifier: &dyn Notifier,
    to: &Recipient,
    notice: &Notice,
) -> Result<(), SendError> {
    if let Some(mail) = notifier.render(to, notice)? {
        outbox::enqueue(conn, &mail)?;
    }
    Ok(())
}
