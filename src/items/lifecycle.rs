//! The listing lifecycle as one table: every status a listing can be in, every event that
//! can happen to it, and where each event takes it. Pure, like `ledger::savings`; writes go
//! through `items::apply`, a conditional UPDATE on the status this table started from, so
//! two requests (or instances) acting on the same listing cannot both move it.

use super::Status;

/// Something that happens to a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// The lister publishes a draft.
    Publish,
    /// The lister takes it down.
    Withdraw,
    /// The lister puts a withdrawn or expired listing up again.
    Relist,
    /// A reservation held the last available unit.
    LastUnitHeld,
    /// A reservation ended without a pickup and its quantity is available again.
    Released,
    /// The last held unit was picked up and nothing is available.
    AllHandedOver,
    /// Its end date passed.
    Expire,
    /// A store accepted it: it leaves the market until the store puts it on a shelf
    /// (publishing it again as a store listing).
    HandedIn,
    /// Its end date passed and its organisation's next step shows it to the network for
    /// a while longer.
    OpenToNetwork,
    /// Its end date passed and the next step asks the organisation's store to take it.
    OfferToStore,
    /// Its end date passed after every step: nobody claimed it, it is to be recycled.
    MarkForRecycling,
    /// Offered to the organisation's approved recipients outside it (by its lister or the
    /// end-of-listing step), on offer as before.
    OfferOutside,
}

/// Where a listing goes: to another status, or nowhere (the event is allowed and changes
/// nothing, as a release on a listing that still had units to offer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    To(Status),
    Stay,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a {from} listing cannot {event:?}")]
pub struct InvalidTransition {
    pub from: Status,
    pub event: Event,
}

/// The whole lifecycle. Anything not listed is refused.
pub fn next(from: Status, event: Event) -> Result<Move, InvalidTransition> {
    use Event::*;
    use Status::*;
    let to = match (from, event) {
        (Draft, Publish) => Move::To(Available),
        (Draft | Available, Withdraw) => Move::To(Withdrawn),
        (Withdrawn | Expired, Relist) => Move::To(Available),
        (Available, LastUnitHeld) => Move::To(Reserved),
        (Reserved, Released) => Move::To(Available),
        // Units held on a listing that went on offering the rest (or that withdrew or
        // expired meanwhile) come back without changing what the lister decided.
        (Available | Withdrawn | Expired, Released) => Move::Stay,
        (Reserved, AllHandedOver) => Move::To(Gone),
        // A withdrawn or expired listing keeps that status when its last holder picks up.
        (Available | Withdrawn | Expired, AllHandedOver) => Move::Stay,
        // Only a listing still on offer expires; a fully reserved one expires when a hold
        // ends without a pickup and it is on offer again.
        (Available, Expire) => Move::To(Expired),
        // Only a listing nobody holds anything of goes to the store (the caller checks the
        // quantities); it waits there as a draft the store's staff see.
        (Available | Withdrawn | Expired, HandedIn) => Move::To(Draft),
        // The steps of an organisation's end-of-listing policy, only for a listing on offer.
        (Available, OpenToNetwork | OfferToStore | OfferOutside) => Move::Stay,
        (Available, MarkForRecycling) => Move::To(Expired),
        _ => return Err(InvalidTransition { from, event }),
    };
    Ok(to)
}

/// Whether people other than the lister can find and reserve it.
pub fn is_on_offer(status: Status) -> bool {
    status == Status::Available
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVENTS: [Event; 12] = [
        Event::Publish,
        Event::Withdraw,
        Event::Relist,
        Event::LastUnitHeld,
        Event::Released,
        Event::AllHandedOver,
        Event::Expire,
        Event::HandedIn,
        Event::OpenToNetwork,
        Event::OfferToStore,
        Event::MarkForRecycling,
        Event::OfferOutside,
    ];

    /// The whole table, written out: every status against every event.
    #[test]
    fn every_move_allowed_and_refused() {
        use Event::*;
        use Status::*;
        let expected: &[(Status, Event, Option<Move>)] = &[
            (Draft, Publish, Some(Move::To(Available))),
            (Draft, Withdraw, Some(Move::To(Withdrawn))),
            (Draft, Relist, None),
            (Draft, LastUnitHeld, None),
            (Draft, Released, None),
            (Draft, AllHandedOver, None),
            (Draft, Expire, None),
            (Draft, HandedIn, None),
            (Draft, OpenToNetwork, None),
            (Draft, OfferToStore, None),
            (Draft, MarkForRecycling, None),
            (Draft, OfferOutside, None),
            (Available, Publish, None),
            (Available, Withdraw, Some(Move::To(Withdrawn))),
            (Available, Relist, None),
            (Available, LastUnitHeld, Some(Move::To(Reserved))),
            (Available, Released, Some(Move::Stay)),
            (Available, AllHandedOver, Some(Move::Stay)),
            (Available, Expire, Some(Move::To(Expired))),
            (Available, HandedIn, Some(Move::To(Draft))),
            (Available, OpenToNetwork, Some(Move::Stay)),
            (Available, OfferToStore, Some(Move::Stay)),
            (Available, MarkForRecycling, Some(Move::To(Expired))),
            (Available, OfferOutside, Some(Move::Stay)),
            (Reserved, Publish, None),
            (Reserved, Withdraw, None),
            (Reserved, Relist, None),
            (Reserved, LastUnitHeld, None),
            (Reserved, Released, Some(Move::To(Available))),
            (Reserved, AllHandedOver, Some(Move::To(Gone))),
            (Reserved, Expire, None),
            (Reserved, HandedIn, None),
            (Reserved, OpenToNetwork, None),
            (Reserved, OfferToStore, None),
            (Reserved, MarkForRecycling, None),
            (Reserved, OfferOutside, None),
            (Gone, Publish, None),
            (Gone, Withdraw, None),
            (Gone, Relist, None),
            (Gone, LastUnitHeld, None),
            (Gone, Released, None),
            (Gone, AllHandedOver, None),
            (Gone, Expire, None),
            (Gone, HandedIn, None),
            (Gone, OpenToNetwork, None),
            (Gone, OfferToStore, None),
            (Gone, MarkForRecycling, None),
            (Gone, OfferOutside, None),
            (Withdrawn, Publish, None),
            (Withdrawn, Withdraw, None),
            (Withdrawn, Relist, Some(Move::To(Available))),
            (Withdrawn, LastUnitHeld, None),
            (Withdrawn, Released, Some(Move::Stay)),
            (Withdrawn, AllHandedOver, Some(Move::Stay)),
            (Withdrawn, Expire, None),
            (Withdrawn, HandedIn, Some(Move::To(Draft))),
            (Withdrawn, OpenToNetwork, None),
            (Withdrawn, OfferToStore, None),
            (Withdrawn, MarkForRecycling, None),
            (Withdrawn, OfferOutside, None),
            (Expired, Publish, None),
            (Expired, Withdraw, None),
            (Expired, Relist, Some(Move::To(Available))),
            (Expired, LastUnitHeld, None),
            (Expired, Released, Some(Move::Stay)),
            (Expired, AllHandedOver, Some(Move::Stay)),
            (Expired, Expire, None),
            (Expired, HandedIn, Some(Move::To(Draft))),
            (Expired, OpenToNetwork, None),
            (Expired, OfferToStore, None),
            (Expired, MarkForRecycling, None),
            (Expired, OfferOutside, None),
        ];
        assert_eq!(expected.len(), Status::ALL.len() * EVENTS.len());
        for &(from, event, outcome) in expected {
            let got = next(from, event);
            match outcome {
                Some(to) => assert_eq!(got, Ok(to), "{from} + {event:?}"),
                None => assert_eq!(
                    got,
                    Err(InvalidTransition { from, event }),
                    "{from} + {event:?} must be refused"
                ),
            }
        }
    }

    #[test]
    fn gone_is_final() {
        for event in EVENTS {
            assert!(next(Status::Gone, event).is_err(), "{event:?}");
        }
    }

    #[test]
    fn only_available_listings_are_on_offer() {
        for status in Status::ALL {
            assert_eq!(is_on_offer(status), status == Status::Available, "{status}");
        }
    }
}
