//! Listing use cases for pages and the API alike: browsing and searching, one listing with
//! what its page shows, saving a listing with its photos, and moving it through its
//! lifecycle.

use std::sync::Arc;

use chrono::Utc;
use diesel::QueryResult;

use super::catalog::VisibleChoices;
use super::{App, Failure};
use crate::access::{Reach, Viewer};
use crate::categories::Category;
use crate::i18n::local_date;
use crate::ids::{ItemId, OrganisationId, PhotoId};
use crate::items::browse::{self, Filter};
use crate::items::nothing_found::{self, Offers};
use crate::items::{
    self, FieldError, Item, ItemError, ItemInput, NewPhoto, Photo, PhotoChanges, Status,
};
use crate::organisations::{self, Unit};
use crate::photos::{self, PhotoError, ProcessedPhoto, Size};
use crate::reservations::{self, ListOf, Summary};

/// A page of listings with what the filters offer.
pub struct Browse {
    pub results: browse::Results,
    pub categories: Arc<Vec<Category>>,
    pub choices: Arc<VisibleChoices>,
    /// What to look at instead when nothing was found.
    pub offers: Offers,
}

/// Listings the viewer may see that match `filter`, one page of them.
pub async fn browse(
    app: &App,
    viewer: Viewer,
    filter: Filter,
) -> Result<Browse, Failure<ItemError>> {
    let catalog = app.catalog.clone();
    let searches = app.searches.clone();
    app.read(move |conn| -> QueryResult<Browse> {
        let reach = Reach::load(conn, &viewer)?;
        let choices = catalog.visible(conn, &reach)?;
        let categories = catalog.categories(conn)?;
        let known = browse::KnownNames {
            organisations: choices.organisations.iter().cloned().collect(),
            units: choices.units.iter().cloned().collect(),
        };
        let searching = browse::Searching {
            searches: &searches,
            reach: &reach,
            all_categories: &categories,
            known: &known,
        };
        let results = browse::browse(conn, &searching, &filter)?;
        let offers = if results.total == 0 {
            nothing_found::offers(conn, &searching, &filter)?
        } else {
            Offers::default()
        };
        Ok(Browse {
            results,
            offers,
            categories,
            choices,
        })
    })
    .await
    .map_err(|failure| failure.map_refused(ItemError::Db))
}

/// The viewer's own listings, newest change first, with the category list for their names.
pub async fn listed_by(
    app: &App,
    viewer: Viewer,
) -> Result<(Vec<browse::Card>, Arc<Vec<Category>>), Failure<ItemError>> {
    let catalog = app.catalog.clone();
    app.read(move |conn| -> Result<_, ItemError> {
        Ok((browse::listed_by(conn, &viewer)?, catalog.categories(conn)?))
    })
    .await
}

/// One listing and everything its page shows.
pub struct Listing {
    pub item: Item,
    pub category: Option<Category>,
    pub photos: Vec<Photo>,
    pub organisation_name: String,
    pub unit_name: Option<String>,
    /// The viewer's organisation's units, to receive a reservation.
    pub units: Vec<Unit>,
    /// Reservations of it, for whoever may manage it.
    pub reservations: Vec<Summary>,
}

pub async fn listing(
    app: &App,
    viewer: Viewer,
    item_id: ItemId,
) -> Result<Listing, Failure<ItemError>> {
    let catalog = app.catalog.clone();
    app.read(move |conn| -> Result<_, ItemError> {
        let item = items::find_visible(conn, &viewer, item_id)?;
        let category = catalog
            .categories(conn)?
            .iter()
            .find(|c| c.id == item.fields.category_id)
            .cloned();
        let (organisation_name, unit_name) = browse::owner_names(conn, &item)?;
        let reservations = if viewer.may_edit(&item) {
            reservations::list(conn, ListOf::Item(item_id))?
        } else {
            Vec::new()
        };
        Ok(Listing {
            photos: items::photos_of(conn, item_id)?,
            units: organisations::units_of(conn, viewer.organisation_id)?,
            item,
            category,
            organisation_name,
            unit_name,
            reservations,
        })
    })
    .await
}

/// A listing the viewer may see, with the category list to describe it.
pub async fn visible(
    app: &App,
    viewer: Viewer,
    item_id: ItemId,
) -> Result<(Item, Arc<Vec<Category>>), Failure<ItemError>> {
    let catalog = app.catalog.clone();
    app.read(move |conn| -> Result<_, ItemError> {
        let categories = catalog.categories(conn)?;
        Ok((items::find_visible(conn, &viewer, item_id)?, categories))
    })
    .await
}

/// The category list, as every listing page has it.
pub async fn categories(app: &App) -> Result<Arc<Vec<Category>>, Failure<ItemError>> {
    let catalog = app.catalog.clone();
    app.read(move |conn| catalog.categories(conn).map_err(ItemError::Db))
        .await
}

/// A listing the viewer may change, with its photos, for the edit form.
pub async fn for_edit(
    app: &App,
    viewer: Viewer,
    item_id: ItemId,
) -> Result<(Item, Vec<Photo>), Failure<ItemError>> {
    app.read(move |conn| -> Result<_, ItemError> {
        let item = items::find_for_edit(conn, &viewer, item_id)?;
        Ok((item, items::photos_of(conn, item_id)?))
    })
    .await
}

/// What the listing form offers an organisation: the categories, and whether it shares
/// with a network.
pub async fn form_choices(
    app: &App,
    organisation_id: OrganisationId,
) -> Result<(Arc<Vec<Category>>, bool), Failure<ItemError>> {
    let catalog = app.catalog.clone();
    app.read(move |conn| -> Result<_, ItemError> {
        let has_network =
            organisations::find(conn, organisation_id)?.is_some_and(|o| o.network_id.is_some());
        Ok((catalog.categories(conn)?, has_network))
    })
    .await
}

/// The lister publishes, withdraws or re-lists (`to` is `available` or `withdrawn`).
pub async fn change_status(
    app: &App,
    viewer: Viewer,
    item_id: ItemId,
    to: Status,
) -> Result<(), Failure<ItemError>> {
    let today = local_date(Utc::now().naive_utc());
    app.write(move |tx| items::change_status(tx, &viewer, item_id, to, today))
        .await
}

/// A stored photo, for someone who may see a listing that uses it.
pub async fn photo(
    app: &App,
    viewer: Viewer,
    key: String,
    size: Size,
) -> Result<Option<bytes::Bytes>, Failure<ItemError>> {
    let lookup_key = key.clone();
    let visible = app
        .read(move |conn| items::photo_visible(conn, &viewer, &lookup_key).map_err(ItemError::Db))
        .await?;
    if !visible {
        return Ok(None);
    }
    match app.photos.load(&key, size).await {
        Ok(bytes) => Ok(bytes),
        Err(error) => {
            tracing::error!(%error, "photo could not be read");
            Ok(None)
        }
    }
}

/// Which listing a submission saves.
#[derive(Debug, Clone, Copy)]
pub enum Target {
    New,
    Existing(ItemId),
}

/// A listing as submitted: the checked fields and what to do with the photos.
pub struct Submission {
    pub input: ItemInput,
    /// New photos as uploaded (JPEG, PNG or WebP), in order.
    pub uploads: Vec<Vec<u8>>,
    /// Files that were larger than allowed (their bytes were not kept).
    pub oversized: usize,
    /// More files than allowed were sent.
    pub too_many: bool,
    /// Alt text for the new photos; the title when empty.
    pub alt_text: String,
    pub remove: Vec<PhotoId>,
    pub alt_texts: Vec<(PhotoId, String)>,
}

fn photo_refusal(key: &'static str) -> Failure<ItemError> {
    Failure::Refused(ItemError::Invalid(vec![FieldError::new("photos", key)]))
}

/// Saves a new or edited listing with its photos: checks the photo count, processes and
/// stores the photos, writes the listing in one transaction (its events dispatched there),
/// and removes stored photos again when the write is refused, or that the edit made unused.
/// `current` are the listing's photos now (none for a new one).
pub async fn save(
    app: &App,
    viewer: Viewer,
    target: Target,
    current: &[Photo],
    submission: Submission,
) -> Result<ItemId, Failure<ItemError>> {
    let Submission {
        input,
        uploads,
        oversized,
        too_many,
        alt_text,
        remove,
        alt_texts,
    } = submission;
    let kept = current.iter().filter(|p| !remove.contains(&p.id)).count();
    if too_many || kept + uploads.len() > app.photo_rules.per_item {
        return Err(photo_refusal("photo-error-too-many"));
    }
    let stored = store_uploads(app, uploads, oversized)
        .await
        .map_err(|error| photo_refusal(error.message_key()))?;
    let alt = if alt_text.is_empty() {
        input.fields.title.clone()
    } else {
        alt_text
    };
    let removed_keys: Vec<String> = current
        .iter()
        .filter(|p| remove.contains(&p.id))
        .map(|p| p.photo_key.clone())
        .collect();
    let changes = PhotoChanges {
        add: new_photos(&stored, &alt),
        remove,
        alt_texts,
    };
    let outcome = app
        .write(move |tx| match target {
            Target::New => items::create(tx, &viewer, &input, &changes.add),
            Target::Existing(item_id) => {
                items::update(tx, &viewer, item_id, &input, &changes).map(|()| item_id)
            }
        })
        .await;
    let unused = if outcome.is_ok() {
        removed_keys
    } else {
        keys_of(&stored)
    };
    discard_unused(app, unused).await;
    outcome
}

/// Decodes, checks and stores every uploaded photo; on any failure nothing is kept.
/// Takes the uploads by value: they can be 150 MB together and need no copy.
async fn store_uploads(
    app: &App,
    uploads: Vec<Vec<u8>>,
    oversized: usize,
) -> Result<Vec<ProcessedPhoto>, PhotoError> {
    if oversized > 0 {
        return Err(PhotoError::TooLarge);
    }
    let limits = app.photo_rules.limits;
    let processed = tokio::task::spawn_blocking(move || {
        uploads
            .iter()
            .map(|upload| photos::process(upload, &limits))
            .collect::<Result<Vec<_>, _>>()
    })
    .await
    .map_err(|_| PhotoError::Damaged)??;
    let mut saved: Vec<ProcessedPhoto> = Vec::new();
    for photo in processed {
        if let Err(error) = app.photos.save(&photo).await {
            tracing::error!(%error, "photo could not be stored");
            discard(app, &keys_of(&saved)).await;
            return Err(PhotoError::Damaged);
        }
        saved.push(photo);
    }
    Ok(saved)
}

/// Removes stored photos (after a failed save).
async fn discard(app: &App, keys: &[String]) {
    for key in keys {
        if let Err(error) = app.photos.delete(key).await {
            tracing::warn!(%error, %key, "orphan photo left behind");
        }
    }
}

/// Removes the stored photos no listing uses any more; shared ones stay.
async fn discard_unused(app: &App, keys: Vec<String>) {
    if keys.is_empty() {
        return;
    }
    let unused = app
        .read(move |conn| -> QueryResult<Vec<String>> {
            let mut unused = Vec::new();
            for key in keys {
                if !items::photo_in_use(conn, &key)? {
                    unused.push(key);
                }
            }
            Ok(unused)
        })
        .await
        .unwrap_or_default();
    discard(app, &unused).await;
}

fn keys_of(photos: &[ProcessedPhoto]) -> Vec<String> {
    photos.iter().map(|p| p.key.clone()).collect()
}

fn new_photos(processed: &[ProcessedPhoto], alt: &str) -> Vec<NewPhoto> {
    processed
        .iter()
        .map(|p| NewPhoto {
            key: p.key.clone(),
            alt_text: alt.to_string(),
            width: i32::try_from(p.width).unwrap_or(i32::MAX),
            height: i32::try_from(p.height).unwrap_or(i32::MAX),
        })
        .collect()
}
