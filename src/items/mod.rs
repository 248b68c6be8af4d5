//! Listings: what a unit offers, who may see it, and how it is found.

pub mod browse;
mod input;
pub mod search;

pub use input::{FieldError, ItemInput, RawItemForm};

use chrono::{NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::alerts;
use crate::audit::{self, Change, Subject};
use crate::db::schema::{categories, item_photos, items, organisations};
use crate::db::{AnyConnection, write_transaction};
use crate::mail::notices::{NoticeError, Notifier, SendError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    AsNew,
    Good,
    Worn,
    NeedsRepair,
}

impl Condition {
    pub const ALL: [Condition; 4] = [
        Condition::AsNew,
        Condition::Good,
        Condition::Worn,
        Condition::NeedsRepair,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Condition::AsNew => "as_new",
            Condition::Good => "good",
            Condition::Worn => "worn",
            Condition::NeedsRepair => "needs_repair",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == raw)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Draft,
    Available,
    Reserved,
    Gone,
    Withdrawn,
    Expired,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Available => "available",
            Status::Reserved => "reserved",
            Status::Gone => "gone",
            Status::Withdrawn => "withdrawn",
            Status::Expired => "expired",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [
            Status::Draft,
            Status::Available,
            Status::Reserved,
            Status::Gone,
            Status::Withdrawn,
            Status::Expired,
        ]
        .into_iter()
        .find(|s| s.as_str() == raw)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Only the owner's organisation.
    Organisation,
    /// Also partner organisations in the same network.
    Network,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Organisation => "organisation",
            Visibility::Network => "network",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "organisation" => Some(Visibility::Organisation),
            "network" => Some(Visibility::Network),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = items)]
pub struct Item {
    pub id: i64,
    pub organisation_id: i64,
    pub owner_unit_id: Option<i64>,
    pub created_by: i64,
    pub category_id: i64,
    pub title: String,
    pub description: String,
    pub condition: String,
    pub quantity_total: i32,
    pub quantity_available: i32,
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
    pub status: String,
    pub visibility: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Item {
    pub fn status(&self) -> Status {
        Status::parse(&self.status).unwrap_or(Status::Draft)
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = item_photos)]
pub struct Photo {
    pub id: i64,
    pub item_id: i64,
    pub position: i32,
    pub photo_key: String,
    pub alt_text: String,
    pub width: i32,
    pub height: i32,
}

/// The person looking: what they may see and change follows from their organisation.
#[derive(Debug, Clone, Copy)]
pub struct Viewer {
    pub user_id: i64,
    pub organisation_id: i64,
    pub network_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub is_admin: bool,
}

impl Viewer {
    pub fn load(conn: &mut AnyConnection, user: &crate::accounts::User) -> QueryResult<Self> {
        let network_id = organisations::table
            .find(user.organisation_id)
            .select(organisations::network_id)
            .first::<Option<i64>>(conn)?;
        Ok(Self {
            user_id: user.id,
            organisation_id: user.organisation_id,
            network_id,
            unit_id: user.unit_id,
            is_admin: user.is_admin(),
        })
    }

    /// Whoever listed it, and the admins of its organisation, may change a listing.
    pub fn may_edit(&self, item: &Item) -> bool {
        item.organisation_id == self.organisation_id
            && (item.created_by == self.user_id || self.is_admin)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ItemError {
    #[error("no such item for this person")]
    NotFound,
    #[error("this person may not change the item")]
    Forbidden,
    #[error("the item cannot go from {from} to {to}")]
    InvalidTransition {
        from: &'static str,
        to: &'static str,
    },
    #[error("the form has errors")]
    Invalid(Vec<FieldError>),
    #[error(transparent)]
    Mail(#[from] NoticeError),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

impl From<SendError> for ItemError {
    fn from(error: SendError) -> Self {
        match error {
            SendError::Notice(error) => ItemError::Mail(error),
            SendError::Db(error) => ItemError::Db(error),
        }
    }
}

/// Tells saved searches and wanted ads about a listing that has just become available.
fn announce(
    conn: &mut AnyConnection,
    item_id: i64,
    notifier: Option<&dyn Notifier>,
) -> Result<(), ItemError> {
    let Some(notifier) = notifier else {
        return Ok(());
    };
    let (item, stems): (Item, String) = items::table
        .find(item_id)
        .select((Item::as_select(), items::search_stems))
        .first(conn)?;
    alerts::announce(conn, &item, &stems, notifier)?;
    Ok(())
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
    pub remove: Vec<i64>,
    /// New alt texts for photos already shown.
    pub alt_texts: Vec<(i64, String)>,
}

fn category_text(conn: &mut AnyConnection, category_id: i64) -> QueryResult<String> {
    let (name, parent): (String, Option<i64>) = categories::table
        .find(category_id)
        .select((categories::name, categories::parent_id))
        .first(conn)?;
    let parent_name = match parent {
        Some(id) => categories::table
            .find(id)
            .select(categories::name)
            .first::<String>(conn)
            .optional()?,
        None => None,
    };
    Ok(format!("{} {name}", parent_name.unwrap_or_default()))
}

/// The stems of everything a person might search for: title, description, category, site.
fn stems_for(conn: &mut AnyConnection, input: &ItemInput) -> QueryResult<String> {
    let category = category_text(conn, input.category_id)?;
    Ok(search::index_stems(&format!(
        "{} {} {} {} {}",
        input.title, input.description, category, input.site, input.room
    )))
}

fn check_category(conn: &mut AnyConnection, category_id: i64) -> Result<(), ItemError> {
    let exists = categories::table
        .find(category_id)
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
    item_id: i64,
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

/// Lists an item (or saves a draft) for the viewer's organisation and unit. With a
/// notifier, matching alerts are mailed in the same transaction.
pub fn create(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    input: &ItemInput,
    photos: &[NewPhoto],
    notifier: Option<&dyn Notifier>,
) -> Result<i64, ItemError> {
    write_transaction(conn, |conn| {
        check_category(conn, input.category_id)?;
        let now = Utc::now().naive_utc();
        let stems = stems_for(conn, input)?;
        let status = if input.publish {
            Status::Available
        } else {
            Status::Draft
        };
        let id: i64 = diesel::insert_into(items::table)
            .values((
                items::organisation_id.eq(viewer.organisation_id),
                items::owner_unit_id.eq(viewer.unit_id),
                items::created_by.eq(viewer.user_id),
                items::status.eq(status.as_str()),
                items::quantity_available.eq(input.quantity),
                items::search_stems.eq(&stems),
                items::created_at.eq(now),
                items::updated_at.eq(now),
                input.columns(),
            ))
            .returning(items::id)
            .get_result(conn)?;
        insert_photos(conn, id, 0, photos)?;
        audit::record(
            conn,
            Change {
                organisations: &[viewer.organisation_id],
                actor: Some(viewer.user_id),
                subject: Subject::Item(id),
                action: if input.publish {
                    "published"
                } else {
                    "drafted"
                },
                detail: input.title.clone(),
            },
        )?;
        if input.publish {
            announce(conn, id, notifier)?;
        }
        Ok(id)
    })
}

/// Saves changes. Quantity changes keep what is already reserved: available moves by the
/// same amount as the total, and the total cannot drop below what is held.
pub fn update(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    item_id: i64,
    input: &ItemInput,
    photos: &PhotoChanges,
    notifier: Option<&dyn Notifier>,
) -> Result<(), ItemError> {
    write_transaction(conn, |conn| {
        let item = find_for_edit(conn, viewer, item_id)?;
        check_category(conn, input.category_id)?;
        let held = item.quantity_total - item.quantity_available;
        if input.quantity < held.max(1) {
            return Err(ItemError::Invalid(vec![FieldError::new(
                "quantity",
                "item-error-quantity-held",
            )]));
        }
        let stems = stems_for(conn, input)?;
        let status = match (item.status(), input.publish) {
            (Status::Draft, true) => Status::Available,
            (current, _) => current,
        };
        let updated = diesel::update(items::table.find(item_id))
            .filter(items::quantity_total.eq(item.quantity_total))
            .filter(items::quantity_available.eq(item.quantity_available))
            .set((
                input.columns(),
                items::quantity_available.eq(input.quantity - held),
                items::status.eq(status.as_str()),
                items::search_stems.eq(&stems),
                items::updated_at.eq(Utc::now().naive_utc()),
            ))
            .execute(conn)?;
        if updated != 1 {
            // Someone reserved meanwhile; the person retries with fresh numbers.
            return Err(ItemError::Invalid(vec![FieldError::new(
                "quantity",
                "item-error-changed-meanwhile",
            )]));
        }
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
        let action = if status != item.status() {
            "published"
        } else {
            "edited"
        };
        audit::record(
            conn,
            Change {
                organisations: &[item.organisation_id],
                actor: Some(viewer.user_id),
                subject: Subject::Item(item_id),
                action,
                detail: format!(
                    "{}; {} → {}",
                    input.title, item.quantity_total, input.quantity
                ),
            },
        )?;
        if status != item.status() {
            announce(conn, item_id, notifier)?;
        }
        Ok(())
    })
}

/// Moves a listing between draft, available and withdrawn on the owner's request.
pub fn change_status(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    item_id: i64,
    to: Status,
    notifier: Option<&dyn Notifier>,
) -> Result<(), ItemError> {
    write_transaction(conn, |conn| {
        let item = find_for_edit(conn, viewer, item_id)?;
        let from = item.status();
        let allowed = matches!(
            (from, to),
            (Status::Draft, Status::Available)
                | (Status::Available, Status::Withdrawn)
                | (Status::Draft, Status::Withdrawn)
                | (Status::Withdrawn, Status::Available)
                | (Status::Expired, Status::Available)
        );
        if !allowed {
            return Err(ItemError::InvalidTransition {
                from: from.as_str(),
                to: to.as_str(),
            });
        }
        let changed = diesel::update(items::table.find(item_id))
            .filter(items::status.eq(from.as_str()))
            .set((
                items::status.eq(to.as_str()),
                items::updated_at.eq(Utc::now().naive_utc()),
            ))
            .execute(conn)?;
        if changed == 1 {
            audit::record(
                conn,
                Change {
                    organisations: &[item.organisation_id],
                    actor: Some(viewer.user_id),
                    subject: Subject::Item(item_id),
                    action: match to {
                        Status::Withdrawn => "withdrawn",
                        _ => "published",
                    },
                    detail: format!("{} → {}", from.as_str(), to.as_str()),
                },
            )?;
            if to == Status::Available {
                announce(conn, item_id, notifier)?;
            }
            Ok(())
        } else {
            Err(ItemError::InvalidTransition {
                from: from.as_str(),
                to: to.as_str(),
            })
        }
    })
}

/// The item if the viewer may see it: their own organisation's (drafts only for who may
/// edit them), or a network partner's shared, published listing.
pub fn find_visible(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    item_id: i64,
) -> Result<Item, ItemError> {
    let item: Item = items::table
        .find(item_id)
        .select(Item::as_select())
        .first(conn)
        .optional()?
        .ok_or(ItemError::NotFound)?;
    let own = item.organisation_id == viewer.organisation_id;
    let visible = if own {
        item.status() != Status::Draft || viewer.may_edit(&item)
    } else {
        let partner_network: Option<i64> = organisations::table
            .find(item.organisation_id)
            .select(organisations::network_id)
            .first(conn)?;
        item.visibility == Visibility::Network.as_str()
            && viewer.network_id.is_some()
            && partner_network == viewer.network_id
            && item.status() != Status::Draft
    };
    if visible {
        Ok(item)
    } else {
        Err(ItemError::NotFound)
    }
}

/// The item if the viewer may change it. Another organisation's item is "not found".
pub fn find_for_edit(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    item_id: i64,
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

pub fn photos_of(conn: &mut AnyConnection, item_id: i64) -> QueryResult<Vec<Photo>> {
    item_photos::table
        .filter(item_photos::item_id.eq(item_id))
        .select(Photo::as_select())
        .order((item_photos::position, item_photos::id))
        .load(conn)
}

/// Whether any listing still shows this stored photo (they are shared by content).
pub fn photo_in_use(conn: &mut AnyConnection, key: &str) -> QueryResult<bool> {
    Ok(item_photos::table
        .filter(item_photos::photo_key.eq(key))
        .count()
        .get_result::<i64>(conn)?
        > 0)
}

/// Whether the viewer may see a stored photo: it belongs to a listing they may see.
pub fn photo_visible(conn: &mut AnyConnection, viewer: &Viewer, key: &str) -> QueryResult<bool> {
    let item_ids: Vec<i64> = item_photos::table
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
