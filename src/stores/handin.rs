//! The hand-in lifecycle as one table: a lister asks a store to take a listing in, the
//! store accepts or declines, and receives onto a shelf what it accepted. Pure, like
//! `items::lifecycle`; writes are conditional UPDATEs on the status this table started from
//! (`stores::move_handin`), so two store staff answering at once cannot both do it.

crate::text_enum! {
    pub enum HandInStatus ("hand-in status") {
        /// Waiting for the store's answer.
        Requested = "requested",
        /// The store will take it; it is on its way there.
        Accepted = "accepted",
        /// The store said no, with a reason.
        Declined = "declined",
        /// The lister took the request back before the store answered.
        Withdrawn = "withdrawn",
        /// It is on a shelf in the store and on offer as a store listing.
        Received = "received",
    }
}

crate::text_enum! {
    /// How a listing gets to the store.
    pub enum Handover ("handover") {
        /// The store fetches it where it is.
        Collect = "collect",
        /// The lister brings it to the store.
        Bring = "bring",
    }
}

/// Something that happens to a hand-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Accept,
    Decline,
    Withdraw,
    Receive,
}

impl Step {
    /// The verb the audit log records.
    pub fn verb(self) -> &'static str {
        match self {
            Step::Accept => "handin_accepted",
            Step::Decline => "handin_declined",
            Step::Withdraw => "handin_withdrawn",
            Step::Receive => "handin_received",
        }
    }
}

/// Who takes a step: the store's staff answer and receive, the lister withdraws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Store,
    Lister,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("a {from} hand-in cannot {step:?}")]
    Status { from: HandInStatus, step: Step },
    #[error("only the other side may {0:?}")]
    NotYours(Step),
}

/// Where `step` takes a hand-in, if `side` may take it from `from`.
pub fn next(from: HandInStatus, step: Step, side: Side) -> Result<HandInStatus, Refused> {
    use HandInStatus::*;
    let (to, by) = match (from, step) {
        (Requested, Step::Accept) => (Accepted, Side::Store),
        (Requested, Step::Decline) => (Declined, Side::Store),
        (Requested, Step::Withdraw) => (Withdrawn, Side::Lister),
        (Accepted, Step::Receive) => (Received, Side::Store),
        _ => return Err(Refused::Status { from, step }),
    };
    if by == side {
        Ok(to)
    } else {
        Err(Refused::NotYours(step))
    }
}

/// Whether the hand-in still holds the listing (one open hand-in per listing).
pub fn is_open(status: HandInStatus) -> bool {
    matches!(status, HandInStatus::Requested | HandInStatus::Accepted)
}

#[cfg(test)]
mod tests {
    use super::*;

    const STEPS: [Step; 4] = [Step::Accept, Step::Decline, Step::Withdraw, Step::Receive];

    /// The whole table: every status against every step, for the side allowed to take it.
    #[test]
    fn every_step_allowed_and_refused() {
        use HandInStatus::*;
        let allowed = [
            (Requested, Step::Accept, Accepted, Side::Store),
            (Requested, Step::Decline, Declined, Side::Store),
            (Requested, Step::Withdraw, Withdrawn, Side::Lister),
            (Accepted, Step::Receive, Received, Side::Store),
        ];
        for from in HandInStatus::ALL {
            for step in STEPS {
                let expected = allowed.iter().find(|(f, s, _, _)| *f == from && *s == step);
                for side in [Side::Store, Side::Lister] {
                    let got = next(from, step, side);
                    match expected {
                        Some((_, _, to, by)) if *by == side => {
                            assert_eq!(got, Ok(*to), "{from} {step:?} by {side:?}")
                        }
                        Some(_) => assert_eq!(got, Err(Refused::NotYours(step))),
                        None => assert_eq!(got, Err(Refused::Status { from, step })),
                    }
                }
            }
        }
    }

    #[test]
    fn ended_hand_ins_free_the_listing() {
        for status in HandInStatus::ALL {
            let ended = next(status, Step::Accept, Side::Store).is_err()
                && next(status, Step::Receive, Side::Store).is_err();
            assert_eq!(is_open(status), !ended, "{status}");
        }
    }
}
