//! The one place that turns what happened into its consequences, inside the transaction
//! that made the change: the audit entry, the alert matches and the outbox rows (structured
//! notices; the mail worker renders them after the commit).

use diesel::QueryResult;

use crate::accounts::{self, User};
use crate::alerts;
use crate::audit::{self, Change, Subject};
use crate::conversations;
use crate::db::{AnyConnection, write_transaction};
use crate::deliveries::{self, DeliveryStep};
use crate::events::{Event, Saved, Tx};
use crate::ids::{HandInId, ItemId, ReservationId, UserId};
use crate::items::{self, Status, ending::EndStep};
use crate::mail::notices::{self, Notice, Recipient, ReservationFacts};
use crate::repairs::{self, RepairResult, Step as RepairStep};
use crate::reservations::queue::{self, QueueEntry, QueueStep};
use crate::reservations::{self, Reservation, lifecycle::Ending};
use crate::stores::{self, handin::Handover, handin::Step as HandInStep};

/// Whether events cause mail. Example data is made through the real code, but nobody is to
/// be mailed about made-up events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    Mail,
    Quiet,
}

/// Runs `work` in one write transaction and dispatches the events it recorded before the
/// commit. Nothing of it is kept if `work` or any consequence fails.
pub fn write<T, E>(
    conn: &mut AnyConnection,
    delivery: Delivery,
    work: impl FnOnce(&mut Tx) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    write_transaction(conn, |conn| {
        let mut tx = Tx::new(conn);
        let outcome = work(&mut tx)?;
        for event in tx.into_events() {
            dispatch(conn, &event, delivery)?;
        }
        Ok(outcome)
    })
}

fn dispatch(conn: &mut AnyConnection, event: &Event, delivery: Delivery) -> QueryResult<()> {
    if let Some(change) = audit_entry(event) {
        audit::record(conn, change)?;
    }
    if delivery == Delivery::Mail {
        for (to, notice) in notices_for(conn, event)? {
            notices::queue(conn, &to, &notice)?;
        }
        if let Some(item) = announced(event) {
            alerts::on_published(conn, item)?;
        }
    }
    Ok(())
}

/// The listing that became available to colleagues, for saved searches and wanted ads.
fn announced(event: &Event) -> Option<ItemId> {
    match event {
        Event::ListingSaved {
            item,
            how: Saved::Published,
            ..
        }
        | Event::ListingMoved {
            item,
            to: Status::Available,
            ..
        } => Some(*item),
        _ => None,
    }
}

/// What the audit log says of an event; a reminder is mail only.
fn audit_entry(event: &Event) -> Option<Change<'_>> {
    Some(match event {
        Event::ListingSaved {
            item,
            organisation,
            by,
            how,
            detail,
        } => Change {
            organisations: std::slice::from_ref(organisation),
            actor: Some(*by),
            subject: Subject::Item(*item),
            action: match how {
                Saved::Drafted => "drafted",
                Saved::Published => "published",
                Saved::Edited => "edited",
            },
            detail: detail.clone(),
        },
        Event::ListingMoved {
            item,
            organisation,
            by,
            from,
            to,
        } => Change {
            organisations: std::slice::from_ref(organisation),
            actor: *by,
            subject: Subject::Item(*item),
            action: match to {
                Status::Withdrawn => "withdrawn",
                Status::Expired => "expired",
                _ => "published",
            },
            detail: format!("{from} → {to}"),
        },
        Event::Reserved {
            reservation,
            organisations,
            by,
            detail,
            ..
        } => Change {
            organisations,
            actor: Some(*by),
            subject: Subject::Reservation(*reservation),
            action: "reserved",
            detail: detail.clone(),
        },
        Event::ReservationEnded {
            reservation,
            organisations,
            ending,
            by,
            detail,
            ..
        } => Change {
            organisations,
            actor: *by,
            subject: Subject::Reservation(*reservation),
            action: ending.verb(),
            detail: detail.clone(),
        },
        Event::PickupDue { .. } | Event::MessagePosted { .. } => return None,
        Event::DeadlineAsked {
            reservation,
            organisations,
            by,
            until,
        } => Change {
            organisations,
            actor: Some(*by),
            subject: Subject::Reservation(*reservation),
            action: "deadline_asked",
            detail: format!("until {until}"),
        },
        Event::DeadlineMoved {
            reservation,
            organisations,
            by,
            from,
            until,
        } => Change {
            organisations,
            actor: Some(*by),
            subject: Subject::Reservation(*reservation),
            action: "deadline_moved",
            detail: format!("{from} → {until}"),
        },
        Event::QueueMoved {
            entry,
            organisations,
            requester,
            step,
            detail,
            ..
        } => Change {
            organisations,
            actor: match step {
                QueueStep::Joined | QueueStep::Accepted | QueueStep::Left => Some(*requester),
                QueueStep::Offered | QueueStep::Lapsed | QueueStep::Ended => None,
            },
            subject: Subject::QueueEntry(*entry),
            action: step.verb(),
            detail: detail.clone(),
        },
        Event::ConversationModerated {
            conversation,
            organisation,
            by,
        } => Change {
            organisations: std::slice::from_ref(organisation),
            actor: Some(*by),
            subject: Subject::Conversation(*conversation),
            action: "read_to_moderate",
            detail: String::new(),
        },
        Event::ListingEndStep {
            item,
            organisation,
            step,
            until,
        } => Change {
            organisations: std::slice::from_ref(organisation),
            actor: None,
            subject: Subject::Item(*item),
            action: match step {
                EndStep::Store => "end_store",
                EndStep::Network => "end_network",
                EndStep::External => "end_external",
                EndStep::Recycle => "end_recycle",
            },
            detail: match until {
                Some(until) => format!("unclaimed; on offer until {until}"),
                None => "unclaimed after every step".to_string(),
            },
        },
        Event::ListingEnding { .. } => return None,
        Event::HandInMoved {
            handin,
            organisation,
            by,
            step,
            detail,
            ..
        } => Change {
            organisations: std::slice::from_ref(organisation),
            actor: Some(*by),
            subject: Subject::HandIn(*handin),
            action: step.map_or("handin_requested", HandInStep::verb),
            detail: detail.clone(),
        },
        Event::RepairMoved {
            repair,
            organisation,
            by,
            step,
            detail,
            ..
        } => Change {
            organisations: std::slice::from_ref(organisation),
            actor: Some(*by),
            subject: Subject::Repair(*repair),
            action: step.map_or("repair_queued", RepairStep::verb),
            detail: detail.clone(),
        },
        Event::DeliveryMoved {
            run,
            delivery,
            organisation,
            by,
            step,
            detail,
        } => Change {
            organisations: std::slice::from_ref(organisation),
            actor: Some(*by),
            subject: match (delivery, run) {
                (Some(delivery), _) => Subject::Delivery(*delivery),
                (None, Some(run)) => Subject::DeliveryRun(*run),
                (None, None) => return None,
            },
            action: step.verb(),
            detail: detail.clone(),
        },
        Event::RecipientInvited {
            recipient,
            organisation,
            by,
            email,
            name,
            ..
        } => Change {
            organisations: std::slice::from_ref(organisation),
            actor: Some(*by),
            subject: Subject::Recipient(*recipient),
            action: "recipient_invited",
            detail: format!("{name} <{email}>"),
        },
        Event::RecipientChanged {
            recipient,
            organisation,
            by,
            action,
            detail,
        } => Change {
            organisations: std::slice::from_ref(organisation),
            actor: *by,
            subject: Subject::Recipient(*recipient),
            action,
            detail: detail.clone(),
        },
        Event::ClaimMoved {
            claim,
            organisation,
            by,
            action,
            detail,
            ..
        } => Change {
            organisations: std::slice::from_ref(organisation),
            actor: *by,
            subject: Subject::Claim(*claim),
            action,
            detail: detail.clone(),
        },
        Event::RecordReversed {
            record,
            organisations,
            by,
            note,
            ..
        } => Change {
            organisations,
            actor: Some(*by),
            subject: Subject::ReuseRecord(*record),
            action: "reversed",
            detail: note.clone(),
        },
    })
}

fn recipient(user: &User) -> Recipient {
    Recipient::person(user)
}

fn person(conn: &mut AnyConnection, id: UserId) -> QueryResult<User> {
    accounts::find(conn, id)?.ok_or(diesel::result::Error::NotFound)
}

/// Who hears of an event, and what they are told.
fn notices_for(conn: &mut AnyConnection, event: &Event) -> QueryResult<Vec<(Recipient, Notice)>> {
    match event {
        Event::ListingMoved {
            item,
            by: None,
            to: Status::Expired,
            ..
        } => to_lister_of(conn, *item, |item| {
            Some(Notice::ListingExpired {
                item_id: item.id,
                item_title: item.fields.title,
                expires_on: item.fields.expires_on?,
            })
        }),
        Event::Reserved { reservation, .. } => {
            let about = About::load(conn, *reservation)?;
            Ok(vec![(
                recipient(&about.lister),
                Notice::Reserved(about.facts),
            )])
        }
        Event::ReservationEnded {
            reservation,
            ending,
            by,
            ..
        } => {
            let about = About::load(conn, *reservation)?;
            let (requester, lister) = (recipient(&about.requester), recipient(&about.lister));
            let facts = about.facts;
            Ok(match ending {
                Ending::Cancelled => vec![(lister, Notice::Cancelled(facts))],
                Ending::Declined => vec![(requester, Notice::Declined(facts))],
                Ending::Expired => vec![
                    (requester, Notice::Expired(facts.clone())),
                    (lister, Notice::Expired(facts)),
                ],
                // Whoever did not confirm it hears of it.
                Ending::PickedUp if *by == Some(about.reservation.requester_id) => {
                    vec![(lister, Notice::PickedUp(facts))]
                }
                Ending::PickedUp => vec![(requester, Notice::PickedUp(facts))],
            })
        }
        Event::PickupDue { reservation } => {
            let about = About::load(conn, *reservation)?;
            Ok(vec![(
                recipient(&about.requester),
                Notice::PickupReminder(about.facts),
            )])
        }
        Event::DeadlineAsked {
            reservation, until, ..
        } => {
            let about = About::load(conn, *reservation)?;
            Ok(vec![(
                recipient(&about.lister),
                Notice::DeadlineAsked {
                    facts: about.facts,
                    until: *until,
                },
            )])
        }
        Event::DeadlineMoved { reservation, .. } => {
            let about = About::load(conn, *reservation)?;
            Ok(vec![(
                recipient(&about.requester),
                Notice::DeadlineMoved(about.facts),
            )])
        }
        Event::QueueMoved {
            entry,
            step,
            requester,
            ..
        } => {
            let notice = |entry: QueueEntry, title: String| match step {
                QueueStep::Offered => Some(Notice::QueueOffer {
                    entry_id: entry.id,
                    item_id: entry.item_id,
                    item_title: title,
                    quantity: entry.offered_quantity,
                    until: entry.offer_expires_at.unwrap_or(entry.updated_at),
                }),
                QueueStep::Ended => Some(Notice::QueueEnded {
                    item_id: entry.item_id,
                    item_title: title,
                }),
                _ => None,
            };
            let entry = queue::find(conn, *entry)?.ok_or(diesel::result::Error::NotFound)?;
            let item = items::find(conn, entry.item_id)?.ok_or(diesel::result::Error::NotFound)?;
            let person = person(conn, *requester)?;
            Ok(notice(entry, item.fields.title)
                .map(|notice| vec![(recipient(&person), notice)])
                .unwrap_or_default())
        }
        Event::MessagePosted {
            conversation,
            message,
            by,
            to,
            ..
        } => {
            if to.is_empty() {
                return Ok(Vec::new());
            }
            let conversation =
                conversations::find(conn, *conversation)?.ok_or(diesel::result::Error::NotFound)?;
            let item =
                items::find(conn, conversation.item_id)?.ok_or(diesel::result::Error::NotFound)?;
            let body = conversations::body_of(conn, *message)?;
            let author = person(conn, *by)?.display_name();
            let mut notices = Vec::new();
            for &member in to {
                let member = person(conn, member)?;
                if member.disabled {
                    continue;
                }
                notices.push((
                    recipient(&member),
                    Notice::Message {
                        conversation_id: conversation.id,
                        item_title: item.fields.title.clone(),
                        author: author.clone(),
                        excerpt: conversations::excerpt(&body),
                    },
                ));
            }
            Ok(notices)
        }
        Event::HandInMoved { handin, step, .. } => handin_notices(conn, *handin, *step),
        Event::RepairMoved {
            repair,
            step: Some(RepairStep::Finish),
            ..
        } => {
            let Some(repair) = repairs::find(conn, *repair)? else {
                return Ok(Vec::new());
            };
            let repaired = repair.result == RepairResult::Repaired.as_str();
            to_lister_of(conn, repair.item_id, |item| {
                Some(Notice::RepairFinished {
                    item_id: item.id,
                    item_title: item.fields.title,
                    repaired,
                })
            })
        }
        Event::DeliveryMoved {
            delivery: Some(delivery),
            step: DeliveryStep::Planned,
            run: Some(run),
            ..
        } => {
            let (Some(delivery), Some(run)) = (
                deliveries::find(conn, *delivery)?,
                deliveries::find_run(conn, *run)?,
            ) else {
                return Ok(Vec::new());
            };
            let reservation = reservations::find(conn, delivery.reservation_id)?
                .ok_or(diesel::result::Error::NotFound)?;
            let item =
                items::find(conn, reservation.item_id)?.ok_or(diesel::result::Error::NotFound)?;
            let requester = person(conn, reservation.requester_id)?;
            Ok(vec![(
                recipient(&requester),
                Notice::DeliveryPlanned {
                    reservation_id: reservation.id,
                    item_title: item.fields.title,
                    run_on: run.run_on,
                    building: delivery.building,
                    room: delivery.room,
                },
            )])
        }
        Event::RepairMoved { .. } | Event::DeliveryMoved { .. } => Ok(Vec::new()),
        Event::RecipientInvited {
            organisation,
            email,
            name,
            token,
            ..
        } => {
            let organisation_name = crate::organisations::find(conn, *organisation)?
                .map(|o| o.name)
                .unwrap_or_default();
            Ok(vec![(
                Recipient::new(email, crate::i18n::Language::Swedish),
                Notice::RecipientInvited {
                    recipient_name: name.clone(),
                    organisation_name,
                    token: token.clone(),
                },
            )])
        }
        Event::ClaimMoved {
            item,
            action: "claimed",
            detail,
            ..
        } => {
            let detail = detail.clone();
            to_lister_of(conn, *item, |item| {
                Some(Notice::Claimed {
                    item_id: item.id,
                    item_title: item.fields.title,
                    detail,
                })
            })
        }
        Event::RecipientChanged { .. } | Event::ClaimMoved { .. } => Ok(Vec::new()),
        Event::ListingEndStep {
            item, step, until, ..
        } => to_lister_of(conn, *item, |item| {
            Some(Notice::ListingEndStep {
                item_id: item.id,
                item_title: item.fields.title,
                step: *step,
                until: *until,
            })
        }),
        Event::ListingEnding { item, next } => to_lister_of(conn, *item, |item| {
            Some(Notice::ListingEnding {
                item_id: item.id,
                item_title: item.fields.title,
                expires_on: item.fields.expires_on?,
                next: *next,
            })
        }),
        Event::ListingSaved { .. }
        | Event::ListingMoved { .. }
        | Event::RecordReversed { .. }
        | Event::ConversationModerated { .. } => Ok(Vec::new()),
    }
}

/// The lister of a listing, and what `notice` tells them of it (nothing when it says none).
fn to_lister_of(
    conn: &mut AnyConnection,
    item: ItemId,
    notice: impl FnOnce(items::Item) -> Option<Notice>,
) -> QueryResult<Vec<(Recipient, Notice)>> {
    let item = items::find(conn, item)?.ok_or(diesel::result::Error::NotFound)?;
    let lister = person(conn, item.created_by)?;
    Ok(notice(item)
        .map(|notice| vec![(recipient(&lister), notice)])
        .unwrap_or_default())
}

/// Who hears of a hand-in's step: the store's staff of a request, the lister of the store's
/// answer and of its arrival on a shelf.
fn handin_notices(
    conn: &mut AnyConnection,
    id: HandInId,
    step: Option<HandInStep>,
) -> QueryResult<Vec<(Recipient, Notice)>> {
    let handin = stores::find(conn, id)?.ok_or(diesel::result::Error::NotFound)?;
    let item = items::find(conn, handin.item_id)?.ok_or(diesel::result::Error::NotFound)?;
    let store = stores::find_store(conn, handin.organisation_id, handin.store_unit_id)?
        .map(|store| store.name)
        .unwrap_or_default();
    let lister = person(conn, handin.requested_by)?;
    let collect = handin.handover == Handover::Collect;
    let to_lister = |notice| Ok(vec![(recipient(&lister), notice)]);
    match step {
        None => {
            let mut notices = Vec::new();
            for staff in stores::staff_of(conn, handin.store_unit_id)? {
                let staff = person(conn, staff)?;
                notices.push((
                    recipient(&staff),
                    Notice::HandInRequested {
                        store_id: handin.store_unit_id,
                        item_title: item.fields.title.clone(),
                        quantity: handin.quantity,
                        requester: lister.display_name(),
                        collect,
                        message: handin.message.clone(),
                    },
                ));
            }
            Ok(notices)
        }
        Some(step @ (HandInStep::Accept | HandInStep::Decline)) => {
            to_lister(Notice::HandInAnswered {
                item_id: item.id,
                item_title: item.fields.title,
                store,
                accepted: step == HandInStep::Accept,
                collect,
                answer: handin.answer,
            })
        }
        Some(HandInStep::Receive) => to_lister(Notice::HandInReceived {
            item_id: item.id,
            item_title: item.fields.title,
            store,
        }),
        Some(HandInStep::Withdraw) => Ok(Vec::new()),
    }
}

/// A reservation and the people on both sides of it, for its notices.
struct About {
    reservation: Reservation,
    requester: User,
    lister: User,
    facts: ReservationFacts,
}

impl About {
    fn load(conn: &mut AnyConnection, reservation_id: ReservationId) -> QueryResult<Self> {
        let reservation =
            reservations::find(conn, reservation_id)?.ok_or(diesel::result::Error::NotFound)?;
        let item =
            items::find(conn, reservation.item_id)?.ok_or(diesel::result::Error::NotFound)?;
        let requester = person(conn, reservation.requester_id)?;
        let lister = person(conn, item.created_by)?;
        let unit = reservations::unit_name(conn, reservation.receiving_unit_id)?;
        let facts = ReservationFacts {
            reservation_id: reservation.id,
            item_title: item.fields.title,
            quantity: reservation.quantity,
            requester: requester.display_name(),
            receiving_unit: unit.map(|(_, name)| name).unwrap_or_default(),
            message: reservation.message.clone(),
            pickup_deadline: reservation.pickup_deadline,
        };
        Ok(Self {
            reservation,
            requester,
            lister,
            facts,
        })
    }
}
