//! Giving outside the organisation, for pages: the admin approves recipients and sets the
//! terms, a recipient's contact opens the invitation link, accepts the terms and claims what
//! is offered, the lister offers listings outside and hands claims over. Each write is one
//! transaction whose notices go out after the commit.

use super::{App, Failure};
use crate::access::Viewer;
use crate::ids::{ClaimId, ItemId, RecipientId};
use crate::items::Item;
use crate::recipients::{self, ClaimLine, NewRecipient, Recipient, RecipientError};

pub async fn invite(
    app: &App,
    viewer: Viewer,
    recipient: NewRecipient,
) -> Result<RecipientId, Failure<RecipientError>> {
    app.write(move |tx| recipients::invite(tx, &viewer, &recipient))
        .await
}

pub async fn remove(
    app: &App,
    viewer: Viewer,
    id: RecipientId,
) -> Result<(), Failure<RecipientError>> {
    app.write(move |tx| recipients::remove(tx, &viewer, id))
        .await
}

pub async fn set_terms(
    app: &App,
    viewer: Viewer,
    terms: String,
) -> Result<(), Failure<RecipientError>> {
    app.write(move |tx| recipients::set_terms(tx, &viewer, &terms))
        .await
}

/// The admin page's part: the recipients and the terms.
pub struct Approved {
    pub recipients: Vec<Recipient>,
    pub terms: String,
}

pub async fn approved(app: &App, viewer: Viewer) -> Result<Approved, Failure<RecipientError>> {
    app.read(move |conn| {
        Ok(Approved {
            recipients: recipients::of_organisation(conn, viewer.organisation_id)?,
            terms: recipients::terms_of(conn, viewer.organisation_id)?,
        })
    })
    .await
}

/// What the invitation link opens: the terms until they are accepted, then the offer and
/// the recipient's claims.
pub struct Gate {
    pub recipient: Recipient,
    pub organisation_name: String,
    pub terms: String,
    pub offered: Vec<Item>,
    pub claims: Vec<ClaimLine>,
}

pub async fn gate(app: &App, token: String) -> Result<Gate, Failure<RecipientError>> {
    app.read(move |conn| {
        let recipient = recipients::by_token(conn, &token)?;
        let organisation_name = crate::organisations::find(conn, recipient.organisation_id)?
            .map(|o| o.name)
            .unwrap_or_default();
        let active = recipient.status == recipients::RecipientStatus::Active;
        Ok(Gate {
            terms: recipients::terms_of(conn, recipient.organisation_id)?,
            offered: if active {
                recipients::offered(conn, recipient.organisation_id)?
            } else {
                Vec::new()
            },
            claims: recipients::claims_of(conn, recipient.id)?,
            organisation_name,
            recipient,
        })
    })
    .await
}

pub async fn accept_terms(
    app: &App,
    token: String,
    accepted_by: String,
) -> Result<(), Failure<RecipientError>> {
    app.write(move |tx| recipients::accept_terms(tx, &token, &accepted_by))
        .await
}

pub async fn claim(
    app: &App,
    token: String,
    item: ItemId,
    quantity: i32,
    message: String,
) -> Result<ClaimId, Failure<RecipientError>> {
    app.write(move |tx| recipients::claim(tx, &token, item, quantity, &message))
        .await
}

pub async fn offer_outside(
    app: &App,
    viewer: Viewer,
    item: ItemId,
) -> Result<(), Failure<RecipientError>> {
    app.write(move |tx| recipients::offer_outside(tx, &viewer, item))
        .await
}

/// The lister hands a claim over (`true`) or declines it; answers with its listing.
pub async fn settle(
    app: &App,
    viewer: Viewer,
    claim: ClaimId,
    hand_over: bool,
) -> Result<ItemId, Failure<RecipientError>> {
    let rules = app.reservations;
    app.write(move |tx| {
        if hand_over {
            recipients::hand_over(tx, &viewer, claim)
        } else {
            recipients::decline(tx, &viewer, claim, &rules)
        }
    })
    .await
}
