//! Listing use cases for pages and the API alike: browsing and searching, one listing with
//! what its page shows, saving a listing with its photos, and moving it through its
//! lifecycle.

use std::sync::Arc;

use chrono::Utc;
use diesel::QueryResult;

use super::catalog::{Catalog, VisibleChoices};
use super::{App, Failure};
use crate::access::{Reach, Viewer};
use crate::categories::{Category, Figures};
use crate::conversations;
use crate::db::AnyConnection;
use crate::i18n::local_date;
use crate::ids::ConversationId;
use crate::ids::{ItemId, OrganisationId, PhotoId};
use crate::items::browse::{self, Filter, RankedSearches};
use crate::items::drafts::{self, DraftPhoto};
use crate::items::favourites;
use crate::items::nothing_found::{self, Offers};
use crate::items::{
    self, FieldError, Item, ItemError, ItemInput, NewPhoto, Photo, PhotoChanges, Status,
};
use crate::organisations::{self, Unit};
use crate::photos::{self, PhotoError, Size};
use crate::reservations::queue::{self, QueueEntry};
use crate::reservations::{self, ListOf, ReservationError, Summary};
use crate::stores;

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
    app.read(move |conn| browse_in(conn, &catalog, &searches, &viewer, &filter))
        .await
        .map_err(|failure| failure.map_refused(ItemError::Db))
}

/// [`browse`] on a connection the caller holds, for use cases that show a page of listings
/// beside other things.
pub(super) fn browse_in(
    conn: &mut AnyConnection,
    catalog: &Catalog,
    searches: &RankedSearches,
    viewer: &Viewer,
    filter: &Filter,
) -> QueryResult<Browse> {
    let reach = Reach::load(conn, viewer)?;
    let choices = catalog.visible(conn, &reach)?;
    let categories = catalog.categories(conn)?;
    let known = browse::KnownNames {
        organisations: choices.organisations.iter().cloned().collect(),
        units: choices.units.iter().cloned().collect(),
    };
    let searching = browse::Searching {
        searches,
        reach: &reach,
        all_categories: &categories,
        known: &known,
    };
    let results = browse::browse(conn, &searching, filter)?;
    let offers = if results.total == 0 {
        nothing_found::offers(conn, &searching, filter)?
    } else {
        Offers::default()
    };
    Ok(Browse {
        results,
        offers,
        categories,
        choices,
    })
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
    /// The category's figures for the viewer's organisation today.
    pub figures: Option<Figures>,
    pub photos: Vec<Photo>,
    pub organisation_name: String,
    pub unit_name: Option<String>,
    /// The viewer's organisation's units, to receive a reservation.
    pub units: Vec<Unit>,
    /// Reservations of it, for whoever may manage it.
    pub reservations: Vec<Summary>,
    /// The viewer saved it ("Sparade").
    pub favourite: bool,
    /// The viewer's thread with the listing's side.
    pub conversation: Option<ConversationId>,
    /// The viewer's place in its queue, and how many are ahead.
    pub queue_place: Option<(QueueEntry, i64)>,
    /// How many wait in its queue.
    pub waiting: i64,
    /// Threads about it, for its side (the lister, unit colleagues).
    pub threads: Vec<conversations::Summary>,
    /// For whoever may change it: the organisation's stores it could be handed in to, and
    /// its open hand-in.
    pub stores: Vec<stores::Store>,
    pub handin: Option<stores::HandIn>,
    /// Its repairs, newest first, for whoever may change it.
    pub repairs: Vec<crate::repairs::Repair>,
    /// For whoever may change it: what approved recipients outside the organisation
    /// claimed of it, and whether there are any to offer it to.
    pub claims: Vec<crate::recipients::ClaimLine>,
    pub has_recipients: bool,
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
        let figures = figures_today(conn, &catalog, category.as_ref(), viewer.organisation_id)?;
        let (organisation_name, unit_name) = browse::owner_names(conn, &item)?;
        let may_edit = viewer.may_edit(&item);
        let reservations = if may_edit {
            reservations::list(conn, ListOf::Item(item_id))?
        } else {
            Vec::new()
        };
        let (stores, handin, repairs) = if may_edit {
            (
                stores::stores_of(conn, item.organisation_id)?,
                stores::open_for(conn, item_id)?,
                crate::repairs::of_item(conn, item_id)?,
            )
        } else {
            (Vec::new(), None, Vec::new())
        };
        let (claims, has_recipients) = if may_edit {
            (
                crate::recipients::claims_on(conn, item_id)?,
                crate::recipients::has_active(conn, item.organisation_id)?,
            )
        } else {
            (Vec::new(), false)
        };
        let threads = if item.created_by == viewer.user_id
            || (item.organisation_id == viewer.organisation_id
                && item.owner_unit_id.is_some()
                && item.owner_unit_id == viewer.unit_id)
        {
            conversations::about(conn, item_id)?
        } else {
            Vec::new()
        };
        Ok(Listing {
            conversation: conversations::of_asker(conn, item_id, viewer.user_id)?
                .map(|conversation| conversation.id),
            queue_place: queue::place_of(conn, viewer.user_id, item_id)?,
            // Only a fully reserved listing has a line to join; its side always sees it.
            waiting: if item.status == Status::Reserved || viewer.may_edit(&item) {
                queue::waiting_on(conn, item_id)?
            } else {
                0
            },
            threads,
            stores,
            handin,
            repairs,
            claims,
            has_recipients,
            favourite: favourites::is_saved(conn, viewer.user_id, item_id)?,
            photos: items::photos_of(conn, item_id)?,
            units: organisations::units_of(conn, viewer.organisation_id)?,
            item,
            category,
            figures,
            organisation_name,
            unit_name,
            reservations,
        })
    })
    .await
}

/// Saves a listing the viewer may see to their "Sparade", or takes it off (`keep` false;
/// that needs no sight of the listing, it only touches the viewer's own list).
pub async fn favour(
    app: &App,
    viewer: Viewer,
    item_id: ItemId,
    keep: bool,
) -> Result<(), Failure<ItemError>> {
    let now = Utc::now().naive_utc();
    app.write(move |tx| -> Result<(), ItemError> {
        if keep {
            items::find_visible(tx.conn, &viewer, item_id)?;
            favourites::save(tx.conn, viewer.user_id, item_id, now)?;
        } else {
            favourites::forget(tx.conn, viewer.user_id, item_id)?;
        }
        Ok(())
    })
    .await
}

/// A category's figures for `organisation` today, as pages show them.
fn figures_today(
    conn: &mut AnyConnection,
    catalog: &Catalog,
    category: Option<&Category>,
    organisation: OrganisationId,
) -> QueryResult<Option<Figures>> {
    let Some(category) = category else {
        return Ok(None);
    };
    let today = local_date(Utc::now().naive_utc());
    Ok(Some(catalog.factors(conn)?.figures(
        category,
        organisation,
        today,
    )))
}

/// A listing the viewer may see, with the category list to describe it and its
/// category's figures for the viewer.
pub async fn visible(
    app: &App,
    viewer: Viewer,
    item_id: ItemId,
) -> Result<(Item, Arc<Vec<Category>>, Option<Figures>), Failure<ItemError>> {
    let catalog = app.catalog.clone();
    app.read(move |conn| -> Result<_, ItemError> {
        let categories = catalog.categories(conn)?;
        let item = items::find_visible(conn, &viewer, item_id)?;
        let category = categories.iter().find(|c| c.id == item.fields.category_id);
        let figures = figures_today(conn, &catalog, category, viewer.organisation_id)?;
        Ok((item, categories, figures))
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

/// What the listing form offers an organisation: the categories it picks from with their
/// figures today, and whether it shares with a network.
pub async fn form_choices(
    app: &App,
    organisation_id: OrganisationId,
) -> Result<(Vec<(Category, Figures)>, bool), Failure<ItemError>> {
    let catalog = app.catalog.clone();
    app.read(move |conn| -> Result<_, ItemError> {
        let has_network =
            organisations::find(conn, organisation_id)?.is_some_and(|o| o.network_id.is_some());
        let today = local_date(Utc::now().naive_utc());
        let book = catalog.factors(conn)?;
        let choices = catalog
            .categories(conn)?
            .iter()
            .filter(|c| c.is_for(organisation_id))
            .map(|c| (c.clone(), book.figures(c, organisation_id, today)))
            .collect();
        Ok((choices, has_network))
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
    // A store that does not answer is 503 (try again), never "no such photo".
    app.photos
        .load(&key, size)
        .await
        .map_err(|error| Failure::Refused(ItemError::PhotoStore(error)))
}

/// Which listing a submission saves.
#[derive(Debug, Clone, Copy)]
pub enum Target {
    New,
    Existing(ItemId),
}

/// A listing as submitted: its fields and what to do with the photos.
pub struct Submission {
    /// The fields, as the caller checked them: the listing, or what is wrong with it.
    pub input: Result<ItemInput, Vec<FieldError>>,
    /// New photos as uploaded (JPEG, PNG, WebP or HEIC), in order.
    pub uploads: Vec<Vec<u8>>,
    /// Files that were larger than allowed (their bytes were not kept).
    pub oversized: usize,
    /// More files than allowed were sent.
    pub too_many: bool,
    /// Photos the viewer uploaded earlier for this form (see [`items::drafts`]), in the
    /// order the form shows them; they come before the new uploads.
    pub drafts: Vec<String>,
    /// Alt text for the new photos; the title when empty.
    pub alt_text: String,
    pub remove: Vec<PhotoId>,
    pub alt_texts: Vec<(PhotoId, String)>,
}

/// What became of a submission.
#[derive(Debug)]
pub enum Saved {
    Listing(ItemId),
    /// Nothing was saved. The form's photos (earlier ones and those just sent) are held for
    /// the viewer, so the form can show them again and send only their keys.
    Refused {
        errors: Vec<FieldError>,
        photos: Vec<DraftPhoto>,
    },
}

/// Saves a new or edited listing with its photos. New uploads are processed and held as
/// the viewer's drafts first; the listing is written in one transaction that claims the
/// drafts (its events dispatched there). Whatever is refused (a field, a photo, too many
/// photos, the write itself), the photos stay held. Stored photos that the edit made
/// unused are removed. `current` are the listing's photos now (none for a new one).
pub async fn save(
    app: &App,
    viewer: Viewer,
    target: Target,
    current: &[Photo],
    submission: Submission,
) -> Result<Saved, Failure<ItemError>> {
    let Submission {
        input,
        uploads,
        oversized,
        too_many,
        drafts,
        alt_text,
        remove,
        alt_texts,
    } = submission;
    let (sent, photo_error) = hold_uploads(app, viewer, uploads, oversized).await?;
    let mut keys = drafts;
    keys.extend(sent.into_iter().map(|photo| photo.key));
    let mut errors = match &input {
        Ok(_) => Vec::new(),
        Err(errors) => errors.clone(),
    };
    if let Some(error) = photo_error {
        errors.push(FieldError::new("photos", error.message_key()));
    }
    let kept = current.iter().filter(|p| !remove.contains(&p.id)).count();
    let held = held_photos(app, viewer, keys.clone()).await?;
    if too_many || kept + held.len() > app.photo_rules.per_item {
        errors.push(FieldError::new("photos", "photo-error-too-many"));
    }
    let input = match input {
        Ok(input) if errors.is_empty() => input,
        _ => {
            return Ok(Saved::Refused {
                errors,
                photos: held,
            });
        }
    };
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
    let rules = app.reservations;
    let outcome = app
        .write(move |tx| {
            let claimed = drafts::claim(tx.conn, viewer.user_id, &keys)?;
            let changes = PhotoChanges {
                add: claimed
                    .into_iter()
                    .map(|photo| NewPhoto {
                        key: photo.key,
                        alt_text: alt.clone(),
                        width: photo.width,
                        height: photo.height,
                    })
                    .collect(),
                remove,
                alt_texts,
            };
            match target {
                Target::New => items::create(tx, &viewer, &input, &changes.add),
                Target::Existing(item_id) => {
                    items::update(tx, &viewer, item_id, &input, &changes)?;
                    // A raised total serves whoever waits in line first.
                    queue::offer_available(tx, item_id, &rules).map_err(|error| match error {
                        ReservationError::Db(error) => ItemError::Db(error),
                        _ => ItemError::NotFound,
                    })?;
                    Ok(item_id)
                }
            }
        })
        .await;
    match outcome {
        Ok(id) => {
            discard_unused(app, removed_keys).await;
            Ok(Saved::Listing(id))
        }
        Err(Failure::Refused(ItemError::Invalid(errors))) => Ok(Saved::Refused {
            errors,
            photos: held,
        }),
        Err(failure) => Err(failure),
    }
}

/// The viewer's held photos among `keys`, in their order.
async fn held_photos(
    app: &App,
    viewer: Viewer,
    keys: Vec<String>,
) -> Result<Vec<DraftPhoto>, Failure<ItemError>> {
    // Most saves (and every API one) carry no photos: no connection needed to say so.
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    app.read(move |conn| drafts::held(conn, viewer.user_id, &keys))
        .await
        .map_err(|failure| failure.map_refused(ItemError::Db))
}

/// Processes and stores each upload and holds it for the viewer. A file that is not a
/// usable photo is left out and its error returned beside the ones that were held, so one
/// bad file does not cost the others.
pub async fn hold_uploads(
    app: &App,
    viewer: Viewer,
    uploads: Vec<Vec<u8>>,
    oversized: usize,
) -> Result<(Vec<DraftPhoto>, Option<PhotoError>), Failure<ItemError>> {
    let mut first_error = (oversized > 0).then_some(PhotoError::TooLarge);
    if uploads.is_empty() {
        return Ok((Vec::new(), first_error));
    }
    // One at a time per request, and a few at a time per instance: each takes the upload
    // by value (they can be 150 MB together) and waits for a decode slot.
    let mut processed = Vec::with_capacity(uploads.len());
    for upload in uploads {
        processed.push(app.photo_decoder.process(upload).await?);
    }
    let mut held = Vec::new();
    for result in processed {
        let photo = match result {
            Ok(photo) => photo,
            Err(error) => {
                first_error.get_or_insert(error);
                continue;
            }
        };
        let draft = DraftPhoto {
            key: photo.key.clone(),
            width: i32::try_from(photo.width).unwrap_or(i32::MAX),
            height: i32::try_from(photo.height).unwrap_or(i32::MAX),
        };
        // Held before it is stored: the clean-up job never deletes the files of a photo
        // that someone holds.
        let now = Utc::now().naive_utc();
        let row = draft.clone();
        app.write(move |tx| {
            drafts::hold(tx.conn, viewer.user_id, &row, now).map_err(ItemError::Db)
        })
        .await?;
        if let Err(error) = app.photos.save(&photo).await {
            tracing::error!(%error, "photo could not be stored");
            // A store that does not answer says so, ahead of any other problem: the person
            // should try again later, not look for a fault in the file.
            first_error = Some(PhotoError::StoreUnavailable);
            continue;
        }
        held.push(draft);
    }
    Ok((held, first_error))
}

/// Removes held photos older than [`drafts::LIFETIME_HOURS`], with their stored files
/// when nothing else uses them. Each row is taken by one instance only.
pub async fn clear_expired_drafts(
    db: &crate::db::DbPool,
    store: &photos::PhotoStore,
) -> anyhow::Result<usize> {
    let mut cleared = 0;
    loop {
        let pool = db.clone();
        let unused =
            tokio::task::spawn_blocking(move || -> anyhow::Result<(usize, Vec<String>)> {
                let mut conn = pool.get()?;
                let due = drafts::expired(&mut conn, Utc::now().naive_utc(), DRAFT_BATCH)?;
                let mut unused = Vec::new();
                for id in &due {
                    unused.extend(drafts::forget(&mut conn, *id)?);
                }
                Ok((due.len(), unused))
            })
            .await??;
        for key in &unused.1 {
            if let Err(error) = store.delete(key).await {
                tracing::warn!(%error, %key, "an expired draft photo was left behind");
            }
        }
        cleared += unused.0;
        if unused.0 < DRAFT_BATCH as usize {
            return Ok(cleared);
        }
    }
}

const DRAFT_BATCH: i64 = 200;

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
    for key in unused {
        if let Err(error) = app.photos.delete(&key).await {
            tracing::warn!(%error, %key, "orphan photo left behind");
        }
    }
}
