//! The reservation lifecycle as one table. A reservation is open (`reserved`) until exactly
//! one of four endings closes it; which side of the pickup deadline each ending needs is part
//! of the table. A pickup is confirmed on either side of the deadline: until the clock ends
//! it, the quantity is still held, and chairs that left a minute late have still left. Writes are conditional UPDATEs on the open status and that side of the
//! deadline (`reservations::close`), so the request path and the expiry job can race freely.

use super::{Party, ReservationStatus};

/// How an open reservation ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// Either side confirms the handover.
    PickedUp,
    /// The requester changes their mind.
    Cancelled,
    /// The lister says no.
    Declined,
    /// Nobody confirmed a pickup before the deadline.
    Expired,
}

impl Ending {
    pub const ALL: [Ending; 4] = [
        Ending::PickedUp,
        Ending::Cancelled,
        Ending::Declined,
        Ending::Expired,
    ];

    /// Whether the held quantity goes back to the listing.
    pub fn releases(self) -> bool {
        self != Ending::PickedUp
    }

    /// The verb the audit log records.
    pub fn verb(self) -> &'static str {
        match self {
            Ending::PickedUp => "picked_up",
            Ending::Cancelled => "cancelled",
            Ending::Declined => "declined",
            Ending::Expired => "expired",
        }
    }
}

/// Which side of the pickup deadline an ending is allowed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deadline {
    /// Only until the deadline.
    NotPassed,
    /// Only after it.
    Passed,
    /// Any time: it only ends the reservation sooner.
    Any,
}

/// Who may bring about an ending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    Party(Party),
    /// The background job.
    Clock,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("the reservation is {0} and cannot change any more")]
    Closed(ReservationStatus),
    #[error("only the other side of the reservation may do that")]
    NotYours,
}

/// Where an ending takes a reservation, who may cause it and on which side of the deadline.
pub fn end(
    from: ReservationStatus,
    ending: Ending,
    by: Actor,
) -> Result<(ReservationStatus, Deadline), Refused> {
    if from != ReservationStatus::Reserved {
        return Err(Refused::Closed(from));
    }
    let allowed = match ending {
        Ending::PickedUp => matches!(by, Actor::Party(_)),
        Ending::Cancelled => by == Actor::Party(Party::Requester),
        Ending::Declined => by == Actor::Party(Party::Lister),
        Ending::Expired => by == Actor::Clock,
    };
    if !allowed {
        return Err(Refused::NotYours);
    }
    Ok(match ending {
        Ending::PickedUp => (ReservationStatus::PickedUp, Deadline::Any),
        Ending::Cancelled => (ReservationStatus::Cancelled, Deadline::Any),
        Ending::Declined => (ReservationStatus::Declined, Deadline::Any),
        Ending::Expired => (ReservationStatus::Expired, Deadline::Passed),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACTORS: [Actor; 3] = [
        Actor::Party(Party::Requester),
        Actor::Party(Party::Lister),
        Actor::Clock,
    ];

    #[test]
    fn every_ending_of_an_open_reservation() {
        use Actor::*;
        use Ending::*;
        use ReservationStatus as S;
        let requester = Party(super::Party::Requester);
        let lister = Party(super::Party::Lister);
        type Row = (Ending, Actor, Option<(S, Deadline)>);
        let expected: &[Row] = &[
            (PickedUp, requester, Some((S::PickedUp, Deadline::Any))),
            (PickedUp, lister, Some((S::PickedUp, Deadline::Any))),
            (PickedUp, Clock, None),
            (Cancelled, requester, Some((S::Cancelled, Deadline::Any))),
            (Cancelled, lister, None),
            (Cancelled, Clock, None),
            (Declined, requester, None),
            (Declined, lister, Some((S::Declined, Deadline::Any))),
            (Declined, Clock, None),
            (Expired, requester, None),
            (Expired, lister, None),
            (Expired, Clock, Some((S::Expired, Deadline::Passed))),
        ];
        assert_eq!(expected.len(), Ending::ALL.len() * ACTORS.len());
        for &(ending, by, outcome) in expected {
            let got = end(S::Reserved, ending, by);
            match outcome {
                Some(to) => assert_eq!(got, Ok(to), "{ending:?} by {by:?}"),
                None => assert_eq!(got, Err(Refused::NotYours), "{ending:?} by {by:?}"),
            }
        }
    }

    #[test]
    fn a_closed_reservation_never_changes() {
        for from in ReservationStatus::ALL {
            if from == ReservationStatus::Reserved {
                continue;
            }
            for ending in Ending::ALL {
                for by in ACTORS {
                    assert_eq!(end(from, ending, by), Err(Refused::Closed(from)));
                }
            }
        }
    }

    #[test]
    fn only_a_pickup_keeps_the_quantity_away() {
        assert!(!Ending::PickedUp.releases());
        assert!(Ending::Cancelled.releases());
        assert!(Ending::Declined.releases());
        assert!(Ending::Expired.releases());
    }
}
