//! Giving outside the organisation, under rules: an admin approves recipients (schools,
//! associations, other public bodies; never private persons, which municipal law keeps a
//! municipality from giving to), each reached by an invitation link. Through it the
//! recipient accepts the organisation's terms and then takes what is offered outside: a
//! claim holds the units like a reservation until the lister hands them over.
//!
//! What is given is recorded here, apart from the ledger: it is no purchase the
//! organisation avoided, so it never counts as its saving.

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::access::Viewer;
use crate::accounts::tokens::hex;
use crate::db::AnyConnection;
use crate::db::schema::{external_claims, external_recipients, items, organisations};
use crate::events::{Event, Tx};
use crate::ids::{ClaimId, ItemId, OrganisationId, RecipientId, UserId};
use crate::items::{self as listings, FieldError, Item, Status, lifecycle};
use crate::refusal::{Message, Refusal, Refuses};
use crate::reservations::Rules;

pub const MAX_NAME: usize = 120;
pub const MAX_TERMS: usize = 4000;
pub const MAX_MESSAGE: usize = 1000;

crate::text_enum! {
    /// Who may be given to. There is no "private person": a municipality may not give
    /// its property to individuals.
    pub enum RecipientKind ("recipient kind") {
        School = "school",
        Association = "association",
        PublicBody = "public_body",
    }
}

crate::text_enum! {
    pub enum RecipientStatus ("recipient status") {
        /// Approved; the terms are not accepted yet.
        Invited = "invited",
        /// Accepted the terms: may take what is offered.
        Active = "active",
        /// No longer approved; the link opens nothing.
        Removed = "removed",
    }
}

crate::text_enum! {
    pub enum ClaimStatus ("claim status") {
        Claimed = "claimed",
        HandedOver = "handed_over",
        Cancelled = "cancelled",
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = external_recipients)]
pub struct Recipient {
    pub id: RecipientId,
    pub organisation_id: OrganisationId,
    pub name: String,
    pub kind: RecipientKind,
    pub contact_email: String,
    #[serde(skip)]
    pub token_hash: String,
    pub status: RecipientStatus,
    pub terms_accepted_at: Option<NaiveDateTime>,
    pub accepted_by_name: String,
    pub created_by: UserId,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = external_claims)]
pub struct Claim {
    pub id: ClaimId,
    pub organisation_id: OrganisationId,
    pub item_id: ItemId,
    pub recipient_id: RecipientId,
    pub quantity: i32,
    pub message: String,
    pub status: ClaimStatus,
    pub item_title: String,
    pub category_id: crate::ids::CategoryId,
    pub weight_kg: Option<f64>,
    pub created_at: NaiveDateTime,
    pub closed_at: Option<NaiveDateTime>,
    pub closed_by: Option<UserId>,
}

#[derive(Debug, thiserror::Error)]
pub enum RecipientError {
    #[error("no such recipient, claim or listing")]
    NotFound,
    #[error("only an admin may do that")]
    Forbidden,
    #[error("the terms are not accepted yet")]
    TermsNotAccepted,
    #[error("not that many are available any more")]
    NotAvailable,
    #[error("the claim was handed over or cancelled already")]
    Closed,
    #[error("the listing is not offered outside the organisation")]
    NotOffered,
    #[error("the organisation has no approved recipients")]
    NoRecipients,
    #[error("the form has errors")]
    Invalid(Vec<FieldError>),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

impl From<listings::ItemError> for RecipientError {
    fn from(error: listings::ItemError) -> Self {
        match error {
            listings::ItemError::Db(error) => RecipientError::Db(error),
            _ => RecipientError::NotFound,
        }
    }
}

impl From<crate::reservations::ReservationError> for RecipientError {
    fn from(error: crate::reservations::ReservationError) -> Self {
        match error {
            crate::reservations::ReservationError::Db(error) => RecipientError::Db(error),
            _ => RecipientError::NotAvailable,
        }
    }
}

impl Refuses for RecipientError {
    fn refusal(self) -> Refusal {
        let conflict = |code, key| Refusal::Conflict {
            code,
            message: Message::new(key),
        };
        match self {
            RecipientError::NotFound => Refusal::NotFound,
            RecipientError::Forbidden => Refusal::Forbidden,
            RecipientError::TermsNotAccepted => {
                conflict("terms_not_accepted", "recipient-error-terms")
            }
            RecipientError::NotAvailable => conflict("none_left", "recipient-error-none-left"),
            RecipientError::Closed => conflict("claim_closed", "recipient-error-closed"),
            RecipientError::NotOffered => conflict("not_offered", "recipient-error-not-offered"),
            RecipientError::NoRecipients => {
                conflict("no_recipients", "recipient-error-no-recipients")
            }
            RecipientError::Invalid(errors) => Refusal::Invalid(errors),
            RecipientError::Db(error) => error.refusal(),
        }
    }
}

fn hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// A recipient an admin approves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRecipient {
    pub name: String,
    pub kind: RecipientKind,
    pub contact_email: String,
}

impl NewRecipient {
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > MAX_NAME {
            errors.push(FieldError::new("name", "recipient-error-name"));
        }
        let email = self.contact_email.trim();
        let plausible = email.len() <= 254
            && email
                .split_once('@')
                .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'));
        if !plausible {
            errors.push(FieldError::new("contact_email", "recipient-error-email"));
        }
        errors
    }
}

fn admin_only(viewer: &Viewer) -> Result<(), RecipientError> {
    if viewer.is_admin {
        Ok(())
    } else {
        Err(RecipientError::Forbidden)
    }
}

/// Approves a recipient and mails its contact the invitation link (its secret is kept only
/// as a hash).
pub fn invite(
    tx: &mut Tx,
    viewer: &Viewer,
    recipient: &NewRecipient,
) -> Result<RecipientId, RecipientError> {
    admin_only(viewer)?;
    let errors = recipient.validate();
    if !errors.is_empty() {
        return Err(RecipientError::Invalid(errors));
    }
    let token = crate::accounts::tokens::random_id();
    let now = Utc::now().naive_utc();
    let id = diesel::insert_into(external_recipients::table)
        .values((
            external_recipients::organisation_id.eq(viewer.organisation_id),
            external_recipients::name.eq(recipient.name.trim()),
            external_recipients::kind.eq(recipient.kind),
            external_recipients::contact_email.eq(recipient.contact_email.trim()),
            external_recipients::token_hash.eq(hash(&token)),
            external_recipients::status.eq(RecipientStatus::Invited),
            external_recipients::created_by.eq(viewer.user_id),
            external_recipients::created_at.eq(now),
            external_recipients::updated_at.eq(now),
        ))
        .returning(external_recipients::id)
        .get_result::<RecipientId>(tx.conn)?;
    tx.emit(Event::RecipientInvited {
        recipient: id,
        organisation: viewer.organisation_id,
        by: viewer.user_id,
        email: recipient.contact_email.trim().to_string(),
        name: recipient.name.trim().to_string(),
        token,
    });
    Ok(id)
}

/// No longer approved: the link opens nothing, open claims stay for the lister to settle.
pub fn remove(tx: &mut Tx, viewer: &Viewer, id: RecipientId) -> Result<(), RecipientError> {
    admin_only(viewer)?;
    let changed = diesel::update(
        external_recipients::table
            .find(id)
            .filter(external_recipients::organisation_id.eq(viewer.organisation_id))
            .filter(external_recipients::status.ne(RecipientStatus::Removed)),
    )
    .set((
        external_recipients::status.eq(RecipientStatus::Removed),
        external_recipients::updated_at.eq(Utc::now().naive_utc()),
    ))
    .execute(tx.conn)?;
    if changed == 0 {
        return Err(RecipientError::NotFound);
    }
    tx.emit(Event::RecipientChanged {
        recipient: id,
        organisation: viewer.organisation_id,
        by: Some(viewer.user_id),
        action: "recipient_removed",
        detail: String::new(),
    });
    Ok(())
}

/// The organisation's terms for recipients.
pub fn terms_of(conn: &mut AnyConnection, organisation: OrganisationId) -> QueryResult<String> {
    organisations::table
        .find(organisation)
        .select(organisations::external_terms)
        .first(conn)
}

pub fn set_terms(tx: &mut Tx, viewer: &Viewer, terms: &str) -> Result<(), RecipientError> {
    admin_only(viewer)?;
    let terms = terms.trim();
    if terms.chars().count() > MAX_TERMS {
        return Err(RecipientError::Invalid(vec![FieldError::new(
            "terms",
            "recipient-error-terms-long",
        )]));
    }
    diesel::update(organisations::table.find(viewer.organisation_id))
        .set(organisations::external_terms.eq(terms))
        .execute(tx.conn)?;
    Ok(())
}

/// The organisation's recipients, removed ones last.
pub fn of_organisation(
    conn: &mut AnyConnection,
    organisation: OrganisationId,
) -> QueryResult<Vec<Recipient>> {
    let mut all: Vec<Recipient> = external_recipients::table
        .filter(external_recipients::organisation_id.eq(organisation))
        .select(Recipient::as_select())
        .order(external_recipients::name)
        .load(conn)?;
    all.sort_by_key(|r| r.status == RecipientStatus::Removed);
    Ok(all)
}

pub fn has_active(conn: &mut AnyConnection, organisation: OrganisationId) -> QueryResult<bool> {
    let count: i64 = external_recipients::table
        .filter(external_recipients::organisation_id.eq(organisation))
        .filter(external_recipients::status.eq(RecipientStatus::Active))
        .count()
        .get_result(conn)?;
    Ok(count > 0)
}

/// The recipient whose link this is, unless it was removed.
pub fn by_token(conn: &mut AnyConnection, token: &str) -> Result<Recipient, RecipientError> {
    external_recipients::table
        .filter(external_recipients::token_hash.eq(hash(token)))
        .filter(external_recipients::status.ne(RecipientStatus::Removed))
        .select(Recipient::as_select())
        .first(conn)
        .optional()?
        .ok_or(RecipientError::NotFound)
}

/// The recipient's contact accepts the terms, in their own name.
pub fn accept_terms(tx: &mut Tx, token: &str, accepted_by: &str) -> Result<(), RecipientError> {
    let recipient = by_token(tx.conn, token)?;
    let accepted_by = accepted_by.trim();
    if accepted_by.is_empty() || accepted_by.chars().count() > MAX_NAME {
        return Err(RecipientError::Invalid(vec![FieldError::new(
            "accepted_by",
            "recipient-error-accepted-by",
        )]));
    }
    let now = Utc::now().naive_utc();
    let changed = diesel::update(
        external_recipients::table
            .find(recipient.id)
            .filter(external_recipients::status.eq(RecipientStatus::Invited)),
    )
    .set((
        external_recipients::status.eq(RecipientStatus::Active),
        external_recipients::terms_accepted_at.eq(now),
        external_recipients::accepted_by_name.eq(accepted_by),
        external_recipients::updated_at.eq(now),
    ))
    .execute(tx.conn)?;
    if changed == 1 {
        tx.emit(Event::RecipientChanged {
            recipient: recipient.id,
            organisation: recipient.organisation_id,
            by: None,
            action: "recipient_accepted_terms",
            detail: format!("accepted by {accepted_by}"),
        });
    }
    Ok(())
}

/// The lister offers a listing on offer to the organisation's approved recipients too.
pub fn offer_outside(tx: &mut Tx, viewer: &Viewer, item_id: ItemId) -> Result<(), RecipientError> {
    let item = listings::find(tx.conn, item_id)?.ok_or(RecipientError::NotFound)?;
    if !viewer.may_edit(&item) {
        return Err(RecipientError::NotFound);
    }
    if !has_active(tx.conn, item.organisation_id)? {
        return Err(RecipientError::NoRecipients);
    }
    lifecycle::next(item.status, lifecycle::Event::OfferOutside)
        .map_err(|_| RecipientError::NotOffered)?;
    let changed = diesel::update(
        items::table
            .find(item.id)
            .filter(items::status.eq(Status::Available))
            .filter(items::offered_outside.eq(false)),
    )
    .set(items::offered_outside.eq(true))
    .execute(tx.conn)?;
    if changed == 0 {
        // Offered already, or no longer on offer: nothing to record twice.
        return Ok(());
    }
    tx.emit(Event::ListingSaved {
        item: item.id,
        organisation: item.organisation_id,
        by: viewer.user_id,
        how: crate::events::Saved::Edited,
        detail: "offered to approved recipients outside the organisation".to_string(),
    });
    Ok(())
}

/// What the organisation offers its recipients now.
pub fn offered(conn: &mut AnyConnection, organisation: OrganisationId) -> QueryResult<Vec<Item>> {
    items::table
        .filter(items::organisation_id.eq(organisation))
        .filter(items::offered_outside.eq(true))
        .filter(items::status.eq(Status::Available))
        .filter(items::quantity_available.gt(0))
        .select(Item::as_select())
        .order(items::id.desc())
        .limit(200)
        .load(conn)
}

/// The recipient takes `quantity` of a listing offered to them: held at once, atomically,
/// like a reservation; the lister hears of it.
pub fn claim(
    tx: &mut Tx,
    token: &str,
    item_id: ItemId,
    quantity: i32,
    message: &str,
) -> Result<ClaimId, RecipientError> {
    let recipient = by_token(tx.conn, token)?;
    if recipient.status != RecipientStatus::Active {
        return Err(RecipientError::TermsNotAccepted);
    }
    let mut errors = Vec::new();
    if !(1..=listings::MAX_QUANTITY).contains(&quantity) {
        errors.push(FieldError::new("quantity", "reserve-error-quantity"));
    }
    if message.chars().count() > MAX_MESSAGE {
        errors.push(FieldError::new("message", "reserve-error-message"));
    }
    if !errors.is_empty() {
        return Err(RecipientError::Invalid(errors));
    }
    let item = listings::find(tx.conn, item_id)?.ok_or(RecipientError::NotFound)?;
    if item.organisation_id != recipient.organisation_id {
        return Err(RecipientError::NotFound);
    }
    if !item.offered_outside {
        return Err(RecipientError::NotOffered);
    }
    // Offered outside is never taken back, so the check above still holds here.
    if crate::reservations::take_units(tx.conn, item_id, quantity)?.is_none() {
        return Err(RecipientError::NotAvailable);
    }
    let id = diesel::insert_into(external_claims::table)
        .values((
            external_claims::organisation_id.eq(item.organisation_id),
            external_claims::item_id.eq(item.id),
            external_claims::recipient_id.eq(recipient.id),
            external_claims::quantity.eq(quantity),
            external_claims::message.eq(message.trim()),
            external_claims::status.eq(ClaimStatus::Claimed),
            external_claims::item_title.eq(&item.fields.title),
            external_claims::category_id.eq(item.fields.category_id),
            external_claims::weight_kg.eq(item.fields.weight_kg),
            external_claims::created_at.eq(Utc::now().naive_utc()),
        ))
        .returning(external_claims::id)
        .get_result::<ClaimId>(tx.conn)?;
    tx.emit(Event::ClaimMoved {
        claim: id,
        item: item.id,
        organisation: item.organisation_id,
        by: None,
        action: "claimed",
        detail: format!("{quantity} × #{} to {}", item.id, recipient.name),
    });
    Ok(id)
}

fn claim_for_lister(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    id: ClaimId,
) -> Result<(Claim, Item), RecipientError> {
    let claim: Claim = external_claims::table
        .find(id)
        .select(Claim::as_select())
        .first(conn)
        .optional()?
        .ok_or(RecipientError::NotFound)?;
    let item = listings::find(conn, claim.item_id)?.ok_or(RecipientError::NotFound)?;
    if !viewer.may_edit(&item) {
        return Err(RecipientError::NotFound);
    }
    Ok((claim, item))
}

fn close(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    claim: &Claim,
    to: ClaimStatus,
) -> Result<(), RecipientError> {
    let changed = diesel::update(
        external_claims::table
            .find(claim.id)
            .filter(external_claims::status.eq(ClaimStatus::Claimed)),
    )
    .set((
        external_claims::status.eq(to),
        external_claims::closed_at.eq(Utc::now().naive_utc()),
        external_claims::closed_by.eq(viewer.user_id),
    ))
    .execute(conn)?;
    if changed == 1 {
        Ok(())
    } else {
        Err(RecipientError::Closed)
    }
}

/// The lister hands the claimed units over: given away, recorded apart from the ledger.
pub fn hand_over(tx: &mut Tx, viewer: &Viewer, id: ClaimId) -> Result<ItemId, RecipientError> {
    let (claim, item) = claim_for_lister(tx.conn, viewer, id)?;
    close(tx.conn, viewer, &claim, ClaimStatus::HandedOver)?;
    crate::reservations::settle_after_handover(tx, item.id)?;
    tx.emit(Event::ClaimMoved {
        claim: id,
        item: item.id,
        organisation: item.organisation_id,
        by: Some(viewer.user_id),
        action: "claim_handed_over",
        detail: format!("{} × #{}", claim.quantity, item.id),
    });
    Ok(item.id)
}

/// The lister declines (or the recipient did not come): the units are on offer again.
pub fn decline(
    tx: &mut Tx,
    viewer: &Viewer,
    id: ClaimId,
    rules: &Rules,
) -> Result<ItemId, RecipientError> {
    let (claim, item) = claim_for_lister(tx.conn, viewer, id)?;
    close(tx.conn, viewer, &claim, ClaimStatus::Cancelled)?;
    crate::reservations::release(tx, item.id, claim.quantity, rules)?;
    tx.emit(Event::ClaimMoved {
        claim: id,
        item: item.id,
        organisation: item.organisation_id,
        by: Some(viewer.user_id),
        action: "claim_declined",
        detail: format!("{} × #{}", claim.quantity, item.id),
    });
    Ok(item.id)
}

/// Units recipients hold on a listing (claimed, not yet handed over).
pub fn held_on(conn: &mut AnyConnection, item_id: ItemId) -> QueryResult<i64> {
    let held: Option<i64> = external_claims::table
        .filter(external_claims::item_id.eq(item_id))
        .filter(external_claims::status.eq(ClaimStatus::Claimed))
        .select(diesel::dsl::sum(external_claims::quantity))
        .first(conn)?;
    Ok(held.unwrap_or(0))
}

/// A claim with its recipient's name, for the listing's page and the recipient's.
#[derive(Debug, Clone, Serialize)]
pub struct ClaimLine {
    #[serde(flatten)]
    pub claim: Claim,
    pub recipient: String,
}

pub fn claims_on(conn: &mut AnyConnection, item_id: ItemId) -> QueryResult<Vec<ClaimLine>> {
    lines(
        conn,
        external_claims::table
            .filter(external_claims::item_id.eq(item_id))
            .into_boxed(),
    )
}

pub fn claims_of(conn: &mut AnyConnection, recipient: RecipientId) -> QueryResult<Vec<ClaimLine>> {
    lines(
        conn,
        external_claims::table
            .filter(external_claims::recipient_id.eq(recipient))
            .into_boxed(),
    )
}

fn lines(
    conn: &mut AnyConnection,
    query: external_claims::BoxedQuery<'static, crate::db::MultiBackend>,
) -> QueryResult<Vec<ClaimLine>> {
    let rows: Vec<(Claim, String)> = query
        .inner_join(external_recipients::table)
        .select((Claim::as_select(), external_recipients::name))
        .order(external_claims::id.desc())
        .limit(100)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(claim, recipient)| ClaimLine { claim, recipient })
        .collect())
}

/// What an organisation gave outside itself in a period, reported apart from its savings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Given {
    pub handovers: i64,
    pub units: i64,
    pub material_kg: f64,
}

pub fn given(
    conn: &mut AnyConnection,
    organisation: OrganisationId,
    from: NaiveDateTime,
    until: NaiveDateTime,
) -> QueryResult<Given> {
    let rows: Vec<(i32, Option<f64>)> = external_claims::table
        .filter(external_claims::organisation_id.eq(organisation))
        .filter(external_claims::status.eq(ClaimStatus::HandedOver))
        .filter(external_claims::closed_at.ge(from))
        .filter(external_claims::closed_at.lt(until))
        .select((external_claims::quantity, external_claims::weight_kg))
        .load(conn)?;
    Ok(Given {
        handovers: rows.len() as i64,
        units: rows.iter().map(|(q, _)| i64::from(*q)).sum(),
        material_kg: rows
            .iter()
            .map(|(q, w)| f64::from(*q) * w.unwrap_or(0.0))
            .sum(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recipient_needs_a_name_and_a_plausible_address() {
        let ok = NewRecipient {
            name: "Frövi folkhögskola".into(),
            kind: RecipientKind::School,
            contact_email: "kansli@frovi.se".into(),
        };
        assert!(ok.validate().is_empty());
        let bad = NewRecipient {
            name: " ".into(),
            kind: RecipientKind::Association,
            contact_email: "kansli".into(),
        };
        let fields: Vec<_> = bad.validate().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["name", "contact_email"]);
    }

    #[test]
    fn there_is_no_private_person_kind() {
        assert!(RecipientKind::parse("private").is_none());
        assert_eq!(RecipientKind::ALL.len(), 3);
    }
}
