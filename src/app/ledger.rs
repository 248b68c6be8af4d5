//! The ledger's integrity as its keepers see it: the last verification of the
//! organisation's chain and the head now, and verifying it on demand.

use super::{App, Failure};
use crate::ids::OrganisationId;
use crate::ledger::chain::{self, Link, Verification};

/// What the ledger page says about the chain.
pub struct Integrity {
    pub last_check: Option<Verification>,
    /// The head now (none before the first record).
    pub head: Option<Link>,
}

pub async fn integrity(
    app: &App,
    organisation_id: OrganisationId,
) -> Result<Integrity, Failure<diesel::result::Error>> {
    app.read(move |conn| {
        Ok(Integrity {
            last_check: chain::last_check(conn, organisation_id)?,
            head: chain::head(conn, organisation_id)?,
        })
    })
    .await
}

/// Recomputes the organisation's chain now and keeps the outcome.
pub async fn verify(
    app: &App,
    organisation_id: OrganisationId,
) -> Result<Verification, Failure<diesel::result::Error>> {
    app.read(move |conn| {
        let outcome = chain::verify(conn, organisation_id)?;
        chain::remember(conn, &outcome)?;
        Ok(outcome)
    })
    .await
}
