//! What happens to a listing nobody claims: the organisation's policy (a reminder some days
//! before the end date, then steps in the organisation's order, each lasting some days) and
//! the choice of the next step for one listing. Pure; the background job applies the choice
//! through the listing lifecycle (`items::end_due`).

use super::lifecycle;

crate::text_enum! {
    /// One step of the cascade.
    pub enum EndStep ("end-of-listing step") {
        /// Ask the organisation's reuse store to take it in.
        Store = "store",
        /// Show it to the network's organisations too.
        Network = "network",
        /// Offer it to the organisation's approved recipients outside it.
        External = "external",
        /// Mark it for recycling: it ends, counted apart from reuse.
        Recycle = "recycle",
    }
}

impl EndStep {
    /// The listing lifecycle's event for the step.
    pub fn event(self) -> lifecycle::Event {
        match self {
            EndStep::Store => lifecycle::Event::OfferToStore,
            EndStep::Network => lifecycle::Event::OpenToNetwork,
            EndStep::External => lifecycle::Event::OfferOutside,
            EndStep::Recycle => lifecycle::Event::MarkForRecycling,
        }
    }

    /// Whether the listing ends with this step (no later step can follow).
    pub fn is_final(self) -> bool {
        self == EndStep::Recycle
    }
}

/// Longest reminder and step, in days.
pub const MAX_DAYS: i32 = 90;

/// An organisation's policy, as stored (`organisations.end_*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndPolicy {
    /// Days before the end date the lister is reminded; 0 for no reminder.
    pub reminder_days: i32,
    /// The steps in order; empty: a listing simply ends on its end date.
    pub steps: Vec<EndStep>,
    /// How long each step that keeps the listing on offer lasts.
    pub step_days: i32,
}

/// Why a policy cannot be saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("a step is named twice")]
    Repeated,
    #[error("recycling must be the last step")]
    RecycleNotLast,
    #[error("days out of range")]
    Days,
}

impl EndPolicy {
    /// The policy from its stored columns; unknown step names (from a newer version) are
    /// left out rather than stopping every listing's end.
    pub fn stored(reminder_days: i32, steps: &str, step_days: i32) -> Self {
        Self {
            reminder_days,
            steps: steps
                .split(',')
                .filter_map(|s| EndStep::parse(s.trim()))
                .collect(),
            step_days,
        }
    }

    /// A policy as an admin chose it, checked.
    pub fn new(
        reminder_days: i32,
        steps: Vec<EndStep>,
        step_days: i32,
    ) -> Result<Self, PolicyError> {
        for (i, step) in steps.iter().enumerate() {
            if steps[..i].contains(step) {
                return Err(PolicyError::Repeated);
            }
            if step.is_final() && i + 1 != steps.len() {
                return Err(PolicyError::RecycleNotLast);
            }
        }
        let in_range = |d: i32| (0..=MAX_DAYS).contains(&d);
        if !in_range(reminder_days) || !(1..=MAX_DAYS).contains(&step_days) {
            return Err(PolicyError::Days);
        }
        Ok(Self {
            reminder_days,
            steps,
            step_days,
        })
    }

    /// The steps as stored.
    pub fn steps_text(&self) -> String {
        self.steps
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The next step a listing takes when its end date passes, with the count of steps it
    /// will have been through: the first of the steps not yet taken that can apply to it.
    /// `None`: it simply ends.
    pub fn next(&self, taken: i32, can: impl Fn(EndStep) -> bool) -> Option<(EndStep, i32)> {
        let taken = usize::try_from(taken).unwrap_or(0);
        self.steps
            .iter()
            .enumerate()
            .skip(taken)
            .find(|(_, step)| can(**step))
            .map(|(i, step)| (*step, i32::try_from(i + 1).unwrap_or(i32::MAX)))
    }
}

impl Default for EndPolicy {
    fn default() -> Self {
        Self {
            reminder_days: 3,
            steps: Vec::new(),
            step_days: 14,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_steps_read_back_in_order_and_unknown_names_are_skipped() {
        let policy = EndPolicy::stored(3, "network, store,teleport,recycle", 14);
        assert_eq!(
            policy.steps,
            [EndStep::Network, EndStep::Store, EndStep::Recycle]
        );
        assert_eq!(policy.steps_text(), "network,store,recycle");
        assert!(EndPolicy::stored(0, "", 14).steps.is_empty());
    }

    #[test]
    fn a_policy_names_each_step_once_and_recycles_last() {
        use EndStep::*;
        assert_eq!(
            EndPolicy::new(3, vec![Store, Store], 14),
            Err(PolicyError::Repeated)
        );
        assert_eq!(
            EndPolicy::new(3, vec![Recycle, Store], 14),
            Err(PolicyError::RecycleNotLast)
        );
        assert_eq!(EndPolicy::new(-1, vec![], 14), Err(PolicyError::Days));
        assert_eq!(EndPolicy::new(3, vec![], 0), Err(PolicyError::Days));
        assert_eq!(
            EndPolicy::new(3, vec![], MAX_DAYS + 1),
            Err(PolicyError::Days)
        );
        assert!(EndPolicy::new(0, vec![Network, Store, Recycle], 7).is_ok());
    }

    #[test]
    fn the_next_step_is_the_first_untaken_one_that_applies() {
        use EndStep::*;
        let policy = EndPolicy::stored(3, "store,network,recycle", 14);
        assert_eq!(policy.next(0, |_| true), Some((Store, 1)));
        assert_eq!(policy.next(1, |_| true), Some((Network, 2)));
        assert_eq!(policy.next(2, |_| true), Some((Recycle, 3)));
        assert_eq!(policy.next(3, |_| true), None, "every step taken: it ends");
        // No store and no network: straight to recycling.
        assert_eq!(policy.next(0, |s| s == Recycle), Some((Recycle, 3)));
        assert_eq!(policy.next(0, |_| false), None);
        assert_eq!(EndPolicy::default().next(0, |_| true), None);
    }

    #[test]
    fn each_step_is_a_lifecycle_move_from_on_offer_only() {
        use crate::items::Status;
        for step in EndStep::ALL {
            assert!(lifecycle::next(Status::Available, step.event()).is_ok());
            for status in [
                Status::Draft,
                Status::Reserved,
                Status::Gone,
                Status::Expired,
            ] {
                assert!(
                    lifecycle::next(status, step.event()).is_err(),
                    "{step} {status}"
                );
            }
        }
    }
}
