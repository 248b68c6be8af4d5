//! Listings: what a unit offers, who may see it, and how it is found.

pub mod browse;
pub mod compound;
pub mod drafts;
pub mod ending;
pub mod favourites;
pub(crate) mod input;
pub mod lifecycle;
pub mod nothing_found;
pub mod search;
pub mod spelling;

pub use input::{
    DraftInput, FieldError, ItemInput, MAX_NEW_PRICE_SEK, MAX_QUANTITY, MAX_WEIGHT_KG, RawItemForm,
};

use chrono::{NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use crate::access::{self, Viewer};
use crate::categories::{Category, category_name};
use crate::db::AnyConnection;
use crate::db::schema::{categories, item_photos, items, photo_drafts};
use crate::events::{Event, Saved, Tx};
use crate::i18n::Language;
use crate::ids::{CategoryId, ItemId, OrganisationId, PhotoId, UnitId, UserId};
use crate::refusal::{Message, Refusal, Refuses};
use lifecycle::{InvalidTransition, Move};

crate::text_enum! {
    pub enum Condition ("condition") {
        AsNew = "as_new",
        Good = "good",
        Worn = "worn",
        NeedsRepair = "needs_repair",
    }
}

crate::text_enum! {
    /// Where a listing is in its life; [`lifecycle`] decides every move between these.
    pub enum Status ("listing status") {
        Draft = "draft",
        Available = "available",
        Reserved = "reserved",
        Gone = "gone",
        Withdrawn = "withdrawn",
        Expired = "expired",
    }
}

crate::text_enum! {
    pub enum Visibility ("visibility") {
        /// Only the owner's organisation.
        Organisation = "organisation",
        /// Also partner organisations in the same network.
        Network = "network",
    }
}

/// What a lister says about a listing, once checked: the columns the form and the API set
/// (quantity aside, as it moves with reservations). A listing row embeds it, a checked
/// form holds it, the API's listing shows it.
#[derive(
    Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset, Serialize, ToSchema,
)]
#[diesel(table_name = items, treat_none_as_null = true)]
pub struct ItemFields {
    pub title: String,
    pub description: String,
    pub category_id: CategoryId,
    pub condition: Condition,
    pub width_cm: Option<i32>,
    pub depth_cm: Option<i32>,
    pub height_cm: Option<i32>,
    pub weight_kg: Option<f64>,
    pub new_price_sek: Option<f64>,
    pub site: String,
    pub room: String,
    pub pickup_instructions: String,
    pub available_from: Option<NaiveDate>,
    pub expires_on: Option<NaiveDate>,
    pub visibility: Visibility,
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = items)]
pub struct Item {
    pub id: ItemId,
    pub organisation_id: OrganisationId,
    pub owner_unit_id: Option<UnitId>,
    pub created_by: UserId,
    #[diesel(embed)]
    #[serde(flatten)]
    pub fields: ItemFields,
    pub quantity_total: i32,
    pub quantity_available: i32,
    pub status: Status,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The store that took it in; its staff manage it from then on.
    pub store_unit_id: Option<UnitId>,
    /// Where it stands in the store.
    pub shelf: String,
    /// How many of its organisation's end-of-listing steps it has been through.
    pub end_step: i32,
    /// The end date its lister was last reminded of.
    pub end_reminded_for: Option<NaiveDate>,
    /// The step it ended by (recycling), if it ended by one.
    pub ended_as: Option<ending::EndStep>,
    /// Offered to the organisation's approved recipients outside it too.
    pub offered_outside: bool,
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = item_photos)]
pub struct Photo {
    pub id: PhotoId,
    pub item_id: ItemId,
    pub position: i32,
    pub photo_key: String,
    pub alt_text: String,
    pub width: i32,
    pub height: i32,
}

#[derive(Debug, thiserror::Error)]
pub enum ItemError {
    #[error("no such item for this person")]
    NotFound,
    #[error("this person may not change the item")]
    Forbidden,
    #[error(transparent)]
    InvalidTransition(#[from] InvalidTransition),
    #[error("a lister cannot move a {from} listing to {to}")]
    NotAnOwnerMove { from: Status, to: Status },
    #[error("the form has errors")]
    Invalid(Vec<FieldError>),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
    #[error(transparent)]
    PhotoStore(#[from] crate::photos::StoreError),
}

impl Refuses for ItemError {
    fn refusal(self) -> Refusal {
        match self {
            ItemError::NotFound => Refusal::NotFound,
            ItemError::Forbidden => Refusal::Forbidden,
            ItemError::Invalid(errors) => Refusal::Invalid(errors),
            ItemError::InvalidTransition(_) | ItemError::NotAnOwnerMove { .. } => {
                Refusal::Inapplicable(Message::new("item-error-status-changed"))
            }
            ItemError::Db(error) => error.refusal(),
            ItemError::PhotoStore(error) => Refusal::Unavailable(Box::new(error)),
        }
    }
}

/// A photo already processed and stored, to be attached to an item.
#[derive(Debug, Clone)]
pub struct NewPhoto {
    pub key: String,
    pub alt_text: String,
    pub width: i32,
    pub height: i32,
}

/// What an edit does to the listing's photos.
#[derive(Debug, Clone, Default)]
pub struct PhotoChanges {
    pub add: Vec<NewPhoto>,
    pub remove: Vec<PhotoId>,
    /// New alt texts for photos already shown.
    pub alt_texts: Vec<(PhotoId, String)>,
}

/// The category's and its parent's names in every language, as a listing's search text.
fn category_text(conn: &mut AnyConnection, category_id: CategoryId) -> QueryResult<String> {
    let category: Category = categories::table
        .find(category_id)
        .select(Category::as_select())
        .first(conn)?;
    let parent: Option<Category> = match category.parent_id {
        Some(id) => categories::table
            .find(id)
            .select(Category::as_select())
            .first(conn)
            .optional()?,
        None => None,
    };
    let names: Vec<String> = parent.iter().chain([&category]).map(names_of).collect();
    Ok(names.join(" "))
}

/// A category's name as stored and in every language.
pub(crate) fn names_of(category: &Category) -> String {
    let mut names = vec![category.name.clone()];
    for language in Language::ALL {
        names.push(category_name(language, category));
    }
    names.dedup();
    names.join(" ")
}

/// Everything a person might search for, as weighted terms: title, category, description,
/// site and room.
fn index_terms(conn: &mut AnyConnection, fields: &ItemFields) -> QueryResult<search::IndexTerms> {
    let category = category_text(conn, fields.category_id)?;
    let text = format!("{} {} {}", fields.description, fields.site, fields.room);
    Ok(search::IndexTerms::new(&[
        (search::Field::Title, &fields.title),
        (search::Field::Category, &category),
        (search::Field::Text, &text),
    ]))
}

/// Indexes again, a batch at a time, the listings an older version of the search rules
/// indexed; returns how many it did. The background job calls it every round, so it asks
/// with `<` (versions only grow), which the `items_search_version` index answers without
/// reading every listing.
pub fn reindex(conn: &mut AnyConnection, batch: i64) -> QueryResult<usize> {
    let stale: Vec<(ItemId, ItemFields)> = items::table
        .filter(items::search_version.lt(search::INDEX_VERSION))
        .select((items::id, ItemFields::as_select()))
        .order(items::id)
        .limit(batch)
        .load(conn)?;
    for (id, fields) in &stale {
        let terms = index_terms(conn, fields)?;
        diesel::update(items::table.find(id))
            .set(search_columns(&terms))
            .execute(conn)?;
    }
    Ok(stale.len())
}

/// Indexes one listing again after a change outside its form (a store put it on a shelf
/// and gave it the store's address).
pub fn reindex_one(conn: &mut AnyConnection, item_id: ItemId) -> QueryResult<()> {
    let fields: ItemFields = items::table
        .find(item_id)
        .select(ItemFields::as_select())
        .first(conn)?;
    let terms = index_terms(conn, &fields)?;
    diesel::update(items::table.find(item_id))
        .set(search_columns(&terms))
        .execute(conn)?;
    Ok(())
}

#[allow(clippy::type_complexity)]
fn search_columns(
    terms: &search::IndexTerms,
) -> (
    diesel::dsl::Eq<items::search_stems, String>,
    diesel::dsl::Eq<items::search_weights, String>,
    diesel::dsl::Eq<items::search_version, i32>,
) {
    (
        items::search_stems.eq(terms.terms()),
        items::search_weights.eq(terms.encoded()),
        items::search_version.eq(search::INDEX_VERSION),
    )
}

/// The category must be one the viewer's organisation picks from: a national one or its
/// own subcategory (another organisation's reads as unknown).
fn check_category(
    conn: &mut AnyConnection,
    category_id: CategoryId,
    organisation: OrganisationId,
) -> Result<(), ItemError> {
    let exists = categories::table
        .find(category_id)
        .filter(
            categories::organisation_id
                .is_null()
                .or(categories::organisation_id.eq(organisation)),
        )
        .count()
        .get_result::<i64>(conn)?
        == 1;
    if exists {
        Ok(())
    } else {
        Err(ItemError::Invalid(vec![FieldError::new(
            "category_id",
            "item-error-category",
        )]))
    }
}

fn insert_photos(
    conn: &mut AnyConnection,
    item_id: ItemId,
    first_position: i32,
    photos: &[NewPhoto],
) -> QueryResult<()> {
    let now = Utc::now().naive_utc();
    for (offset, photo) in photos.iter().enumerate() {
        let position = first_position + i32::try_from(offset).unwrap_or(i32::MAX - first_position);
        diesel::insert_into(item_photos::table)
            .values((
                item_photos::item_id.eq(item_id),
                item_photos::position.eq(position),
                item_photos::photo_key.eq(&photo.key),
                item_photos::alt_text.eq(&photo.alt_text),
                item_photos::width.eq(photo.width),
                item_photos::height.eq(photo.height),
                item_photos::created_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Lists an item (or saves a draft) for the viewer's organisation and unit.
pub fn create(
    tx: &mut Tx,
    viewer: &Viewer,
    input: &ItemInput,
    photos: &[NewPhoto],
) -> Result<ItemId, ItemError> {
    check_category(tx.conn, input.fields.category_id, viewer.organisation_id)?;
    let now = Utc::now().naive_utc();
    let terms = index_terms(tx.conn, &input.fields)?;
    let status = if input.publish {
        Status::Available
    } else {
        Status::Draft
    };
    let id: ItemId = diesel::insert_into(items::table)
        .values((
            items::organisation_id.eq(viewer.organisation_id),
            items::owner_unit_id.eq(viewer.unit_id),
            items::created_by.eq(viewer.user_id),
            items::status.eq(status),
            items::quantity_available.eq(input.quantity),
            search_columns(&terms),
            items::created_at.eq(now),
            items::updated_at.eq(now),
            items::quantity_total.eq(input.quantity),
            &input.fields,
        ))
        .returning(items::id)
        .get_result(tx.conn)?;
    insert_photos(tx.conn, id, 0, photos)?;
    tx.emit(Event::ListingSaved {
        item: id,
        organisation: viewer.organisation_id,
        by: viewer.user_id,
        how: if input.publish {
            Saved::Published
        } else {
            Saved::Drafted
        },
        detail: input.fields.title.clone(),
    });
    Ok(id)
}

/// Saves changes. Quantity changes keep what is already reserved: available moves by the
/// same amount as the total, and the total cannot drop below what is held.
pub fn update(
    tx: &mut Tx,
    viewer: &Viewer,
    item_id: ItemId,
    input: &ItemInput,
    photos: &PhotoChanges,
) -> Result<(), ItemError> {
    let item = find_for_edit(tx.conn, viewer, item_id)?;
    check_category(tx.conn, input.fields.category_id, viewer.organisation_id)?;
    let held = item.quantity_total - item.quantity_available;
    if input.quantity < held.max(1) {
        return Err(ItemError::Invalid(vec![FieldError::new(
            "quantity",
            "item-error-quantity-held",
        )]));
    }
    let terms = index_terms(tx.conn, &input.fields)?;
    let publishes = item.status == Status::Draft && input.publish;
    let updated = diesel::update(items::table.find(item_id))
        .filter(items::quantity_total.eq(item.quantity_total))
        .filter(items::quantity_available.eq(item.quantity_available))
        .filter(items::status.eq(item.status))
        .set((
            &input.fields,
            items::quantity_total.eq(input.quantity),
            items::quantity_available.eq(input.quantity - held),
            search_columns(&terms),
            items::updated_at.eq(Utc::now().naive_utc()),
        ))
        .execute(tx.conn)?;
    if updated != 1 {
        // Someone reserved meanwhile; the person retries with fresh numbers.
        return Err(ItemError::Invalid(vec![FieldError::new(
            "quantity",
            "item-error-changed-meanwhile",
        )]));
    }
    if publishes {
        apply(tx.conn, item.id, item.status, lifecycle::Event::Publish)?;
    }
    // A new total moves the listing between reserved and on offer as a reservation would.
    let available = input.quantity - held;
    if item.status == Status::Reserved && available > 0 {
        apply(tx.conn, item.id, item.status, lifecycle::Event::Released)?;
    } else if item.status == Status::Available && available == 0 {
        apply(
            tx.conn,
            item.id,
            item.status,
            lifecycle::Event::LastUnitHeld,
        )?;
    }
    let conn = &mut *tx.conn;
    if !photos.remove.is_empty() {
        diesel::delete(
            item_photos::table
                .filter(item_photos::item_id.eq(item_id))
                .filter(item_photos::id.eq_any(&photos.remove)),
        )
        .execute(conn)?;
    }
    for (photo_id, alt_text) in &photos.alt_texts {
        diesel::update(
            item_photos::table
                .filter(item_photos::item_id.eq(item_id))
                .filter(item_photos::id.eq(photo_id)),
        )
        .set(item_photos::alt_text.eq(alt_text))
        .execute(conn)?;
    }
    let next_position: Option<i32> = item_photos::table
        .filter(item_photos::item_id.eq(item_id))
        .select(diesel::dsl::max(item_photos::position))
        .first(conn)?;
    insert_photos(
        conn,
        item_id,
        next_position.map_or(0, |p| p + 1),
        &photos.add,
    )?;
    tx.emit(Event::ListingSaved {
        item: item_id,
        organisation: item.organisation_id,
        by: viewer.user_id,
        how: if publishes {
            Saved::Published
        } else {
            Saved::Edited
        },
        detail: format!(
            "{}; {} → {}",
            input.fields.title, item.quantity_total, input.quantity
        ),
    });
    Ok(())
}

/// Moves a listing as `event` says, if the lifecycle allows it from the status it has now:
/// one conditional UPDATE on that status, so of two racing moves only one happens. Returns
/// the status it moved to, or `None` when the event leaves it where it is.
pub fn apply(
    conn: &mut AnyConnection,
    item_id: ItemId,
    from: Status,
    event: lifecycle::Event,
) -> Result<Option<Status>, ItemError> {
    let to = match lifecycle::next(from, event)? {
        Move::Stay => return Ok(None),
        Move::To(to) => to,
    };
    let changed = diesel::update(items::table.find(item_id))
        .filter(items::status.eq(from))
        .set((
            items::status.eq(to),
            items::updated_at.eq(Utc::now().naive_utc()),
        ))
        .execute(conn)?;
    if changed == 1 {
        Ok(Some(to))
    } else {
        // Another request moved it first; what it moved from no longer holds.
        Err(InvalidTransition { from, event }.into())
    }
}

/// The lifecycle event a lister means by asking for `to`: publishing a draft, re-listing a
/// withdrawn or expired listing, or withdrawing it.
fn owner_event(from: Status, to: Status) -> Option<lifecycle::Event> {
    match (from, to) {
        (Status::Draft, Status::Available) => Some(lifecycle::Event::Publish),
        (Status::Withdrawn | Status::Expired, Status::Available) => Some(lifecycle::Event::Relist),
        (_, Status::Withdrawn) => Some(lifecycle::Event::Withdraw),
        _ => None,
    }
}

/// The lister publishes, withdraws or re-lists. A re-listed listing whose end date has
/// passed runs again for as long as it ran the first time (at least a week), from today.
pub fn change_status(
    tx: &mut Tx,
    viewer: &Viewer,
    item_id: ItemId,
    to: Status,
    today: NaiveDate,
) -> Result<(), ItemError> {
    let item = find_for_edit(tx.conn, viewer, item_id)?;
    let event = owner_event(item.status, to).ok_or(ItemError::NotAnOwnerMove {
        from: item.status,
        to,
    })?;
    let Some(to) = apply(tx.conn, item.id, item.status, event)? else {
        return Ok(());
    };
    if event == lifecycle::Event::Relist
        && let Some(expires_on) = item.fields.expires_on.filter(|date| *date < today)
    {
        let ran = expires_on - item.created_at.date();
        let runs = ran.max(chrono::Duration::days(7));
        diesel::update(items::table.find(item_id))
            .set(items::expires_on.eq(today + runs))
            .execute(tx.conn)?;
    }
    if event == lifecycle::Event::Relist {
        // Listed again, it runs through its organisation's steps again from the first.
        diesel::update(items::table.find(item_id))
            .set((
                items::end_step.eq(0),
                items::ended_as.eq(None::<ending::EndStep>),
                items::end_reminded_for.eq(None::<NaiveDate>),
            ))
            .execute(tx.conn)?;
    }
    tx.emit(Event::ListingMoved {
        item: item_id,
        organisation: item.organisation_id,
        by: Some(viewer.user_id),
        from: item.status,
        to,
    });
    Ok(())
}

/// Listings on offer whose end date is before `today`, oldest end first.
pub fn due_to_expire(
    conn: &mut AnyConnection,
    today: NaiveDate,
    limit: i64,
) -> QueryResult<Vec<ItemId>> {
    items::table
        .filter(items::status.eq(Status::Available))
        .filter(items::expires_on.lt(today))
        .order((items::expires_on, items::id))
        .limit(limit)
        .select(items::id)
        .load(conn)
}

/// One of a person's listings on offer whose end date is near.
#[derive(Debug, Clone, Queryable, Serialize)]
pub struct Ending {
    pub id: ItemId,
    pub title: String,
    pub expires_on: NaiveDate,
}

/// How many ending listings the start page shows at most.
const ENDING_LIMIT: i64 = 20;

/// The viewer's own listings on offer that end on or before `until`, soonest first.
pub fn ending_by(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    until: NaiveDate,
) -> QueryResult<Vec<Ending>> {
    items::table
        .filter(items::created_by.eq(viewer.user_id))
        .filter(items::organisation_id.eq(viewer.organisation_id))
        .filter(items::status.eq(Status::Available))
        .filter(items::expires_on.le(until))
        .order((items::expires_on, items::id))
        .limit(ENDING_LIMIT)
        .select((items::id, items::title, items::expires_on.assume_not_null()))
        .load(conn)
}

/// The clock ends a listing past its end date; false when it is not due (any more).
pub fn expire(tx: &mut Tx, item_id: ItemId, today: NaiveDate) -> Result<bool, ItemError> {
    let Some(item) = find(tx.conn, item_id)? else {
        return Ok(false);
    };
    let due = item.fields.expires_on.is_some_and(|date| date < today);
    if !due || lifecycle::next(item.status, lifecycle::Event::Expire).is_err() {
        return Ok(false);
    }
    let Some(to) = apply(tx.conn, item.id, item.status, lifecycle::Event::Expire)? else {
        return Ok(false);
    };
    tx.emit(Event::ListingMoved {
        item: item_id,
        organisation: item.organisation_id,
        by: None,
        from: item.status,
        to,
    });
    Ok(true)
}

/// One step of the organisation's end-of-listing policy for a listing on offer whose end
/// date passed: one conditional UPDATE on the status and the steps taken so far, so two
/// instances running the job cannot both take it. A step that keeps it on offer runs it
/// until `until`; the final one ends it. False when another instance took it first.
pub fn take_end_step(
    tx: &mut Tx,
    item: &Item,
    step: ending::EndStep,
    taken: i32,
    until: NaiveDate,
) -> Result<bool, ItemError> {
    let to = match lifecycle::next(item.status, step.event())? {
        Move::Stay => item.status,
        Move::To(to) => to,
    };
    let visibility = if step == ending::EndStep::Network {
        Visibility::Network
    } else {
        item.fields.visibility
    };
    let offered_outside = item.offered_outside || step == ending::EndStep::External;
    let (expires_on, ended_as) = if step.is_final() {
        (item.fields.expires_on, Some(step))
    } else {
        (Some(until), None)
    };
    let changed = diesel::update(items::table.find(item.id))
        .filter(items::status.eq(item.status))
        .filter(items::end_step.eq(item.end_step))
        .set((
            items::status.eq(to),
            items::visibility.eq(visibility),
            items::expires_on.eq(expires_on),
            items::end_step.eq(taken),
            items::ended_as.eq(ended_as),
            items::offered_outside.eq(offered_outside),
            items::end_reminded_for.eq(None::<NaiveDate>),
            items::updated_at.eq(Utc::now().naive_utc()),
        ))
        .execute(tx.conn)?;
    if changed != 1 {
        return Ok(false);
    }
    tx.emit(Event::ListingEndStep {
        item: item.id,
        organisation: item.organisation_id,
        step,
        until: expires_on.filter(|_| !step.is_final()),
    });
    Ok(true)
}

/// Listings on offer of an organisation whose end date falls from `from` to `until` and
/// whose lister was not yet reminded of that date.
pub fn due_for_reminder(
    conn: &mut AnyConnection,
    organisation: OrganisationId,
    from: NaiveDate,
    until: NaiveDate,
    limit: i64,
) -> QueryResult<Vec<ItemId>> {
    items::table
        .filter(items::organisation_id.eq(organisation))
        .filter(items::status.eq(Status::Available))
        .filter(items::expires_on.ge(from))
        .filter(items::expires_on.le(until))
        .filter(
            items::end_reminded_for
                .is_null()
                .or(items::end_reminded_for.nullable().ne(items::expires_on)),
        )
        .order((items::expires_on, items::id))
        .limit(limit)
        .select(items::id)
        .load(conn)
}

/// Notes that the lister was reminded of the listing's end date, once per date: false when
/// another instance did it first.
pub fn mark_reminded(conn: &mut AnyConnection, item: &Item) -> QueryResult<bool> {
    let Some(date) = item.fields.expires_on else {
        return Ok(false);
    };
    let changed = diesel::update(items::table.find(item.id))
        .filter(items::expires_on.eq(date))
        .filter(
            items::end_reminded_for
                .is_null()
                .or(items::end_reminded_for.ne(date)),
        )
        .set(items::end_reminded_for.eq(date))
        .execute(conn)?;
    Ok(changed == 1)
}

pub fn find(conn: &mut AnyConnection, item_id: ItemId) -> QueryResult<Option<Item>> {
    items::table
        .find(item_id)
        .select(Item::as_select())
        .first(conn)
        .optional()
}

/// The item if the viewer may see it (see [`crate::access`]).
pub fn find_visible(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    item_id: ItemId,
) -> Result<Item, ItemError> {
    let item = find(conn, item_id)?.ok_or(ItemError::NotFound)?;
    let owner_network = if item.organisation_id == viewer.organisation_id {
        viewer.network_id
    } else {
        access::network_of(conn, item.organisation_id)?
    };
    if viewer.sees(&item, owner_network) {
        Ok(item)
    } else {
        Err(ItemError::NotFound)
    }
}

/// The item if the viewer may change it. Another organisation's item is "not found".
pub fn find_for_edit(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    item_id: ItemId,
) -> Result<Item, ItemError> {
    let item = find_visible(conn, viewer, item_id)?;
    if item.organisation_id != viewer.organisation_id {
        return Err(ItemError::NotFound);
    }
    if !viewer.may_edit(&item) {
        return Err(ItemError::Forbidden);
    }
    Ok(item)
}

pub fn photos_of(conn: &mut AnyConnection, item_id: ItemId) -> QueryResult<Vec<Photo>> {
    item_photos::table
        .filter(item_photos::item_id.eq(item_id))
        .select(Photo::as_select())
        .order((item_photos::position, item_photos::id))
        .load(conn)
}

/// Whether any listing shows, or any unsaved form holds, this stored photo (photos are
/// stored by content, so one file can serve several).
pub fn photo_in_use(conn: &mut AnyConnection, key: &str) -> QueryResult<bool> {
    let listed: i64 = item_photos::table
        .filter(item_photos::photo_key.eq(key))
        .count()
        .get_result(conn)?;
    let held: i64 = photo_drafts::table
        .filter(photo_drafts::photo_key.eq(key))
        .count()
        .get_result(conn)?;
    Ok(listed + held > 0)
}

/// Whether the viewer may see a stored photo: it belongs to a listing they may see, or
/// they hold it for a form not saved yet.
pub fn photo_visible(conn: &mut AnyConnection, viewer: &Viewer, key: &str) -> QueryResult<bool> {
    if drafts::holds(conn, viewer.user_id, key)? {
        return Ok(true);
    }
    let item_ids: Vec<ItemId> = item_photos::table
        .filter(item_photos::photo_key.eq(key))
        .select(item_photos::item_id)
        .load(conn)?;
    for item_id in item_ids {
        match find_visible(conn, viewer, item_id) {
            Ok(_) => return Ok(true),
            Err(ItemError::Db(error)) => return Err(error),
            Err(_) => {}
        }
    }
    Ok(false)
}
