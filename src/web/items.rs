//! Listing pages: browse and search, an item, my listings, and the listing form.

use std::collections::HashMap;
use std::sync::Arc;

use actix_multipart::Multipart;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};

use super::auth::CurrentUser;
use super::cards::CardView;
use super::catalog::{Catalog, VisibleChoices};
use super::csrf::CsrfForm;
use super::home::{category_name, describe_factor};
use super::multipart::{self, MultipartForm, UploadedFile};
use super::reservations::ReservationRules;
use super::{AppError, Lang, Views, with_conn, with_write};
use crate::categories::{self, Category};
use crate::db::{AnyConnection, DbPool};
use crate::events::Tx;
use crate::i18n::{Language, format_decimal};
use crate::items::browse::{self, Filter, Sort};
use crate::items::search::SearchQuery;
use crate::items::{
    self, Condition, FieldError, Item, ItemError, ItemInput, NewPhoto, PhotoChanges, RawItemForm,
    Status, Viewer,
};
use crate::ledger::savings::WouldBuyNew;
use crate::mail::MailQueue;
use crate::organisations;
use crate::photos::{self, PhotoError, PhotoLimits, PhotoStore, ProcessedPhoto};
use crate::reservations::{self, ListOf};

/// Photo rules for uploads, from the settings.
pub struct PhotoRules {
    pub limits: PhotoLimits,
    pub per_item: usize,
}

impl From<ItemError> for AppError {
    fn from(error: ItemError) -> Self {
        match error {
            ItemError::NotFound => AppError::NotFound,
            ItemError::Forbidden => AppError::Forbidden,
            ItemError::InvalidTransition(_)
            | ItemError::NotAnOwnerMove { .. }
            | ItemError::Invalid(_) => AppError::BadRequest,
            ItemError::Db(error) => error.into(),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Browse

#[derive(Deserialize, Default)]
pub struct BrowseQuery {
    q: Option<String>,
    category: Option<String>,
    condition: Option<String>,
    site: Option<String>,
    unit: Option<String>,
    org: Option<String>,
    sort: Option<String>,
    page: Option<String>,
}

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

impl BrowseQuery {
    fn filter(&self) -> Filter {
        Filter {
            query: non_empty(&self.q).and_then(SearchQuery::parse),
            category_slug: non_empty(&self.category).map(str::to_string),
            condition: non_empty(&self.condition).and_then(Condition::parse),
            site: non_empty(&self.site).map(str::to_string),
            unit_id: non_empty(&self.unit).and_then(|v| v.parse().ok()),
            organisation_id: non_empty(&self.org).and_then(|v| v.parse().ok()),
            sort: non_empty(&self.sort)
                .and_then(Sort::parse)
                .unwrap_or_default(),
            page: non_empty(&self.page)
                .and_then(|v| v.parse().ok())
                .unwrap_or(1),
        }
    }

    /// The query string for another page, keeping every filter.
    fn with_page(&self, page: i64) -> String {
        let mut pairs: Vec<(&str, String)> = [
            ("q", &self.q),
            ("category", &self.category),
            ("condition", &self.condition),
            ("site", &self.site),
            ("unit", &self.unit),
            ("org", &self.org),
            ("sort", &self.sort),
        ]
        .into_iter()
        .filter_map(|(key, value)| non_empty(value).map(|v| (key, v.to_string())))
        .collect();
        pairs.push(("page", page.to_string()));
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

/// A choice in a select: the value sent and the text shown.
#[derive(Debug, Serialize, PartialEq, Eq, Hash)]
pub(crate) struct Choice {
    pub(crate) value: String,
    pub(crate) label: String,
}

/// Categories for a select, grouped, subcategories indented, names in `language`.
pub(crate) fn category_choices(language: Language, all: &[Category]) -> Vec<Choice> {
    categories::group(all.to_vec())
        .into_iter()
        .flat_map(|group| {
            let mut choices = vec![Choice {
                value: group.category.slug.clone(),
                label: category_name(language, &group.category),
            }];
            choices.extend(group.children.iter().map(|child| Choice {
                value: child.slug.clone(),
                label: format!("– {}", category_name(language, child)),
            }));
            choices
        })
        .collect()
}

pub(crate) struct BrowseData {
    pub(crate) results: browse::Results,
    pub(crate) categories: Arc<Vec<Category>>,
    pub(crate) choices: Arc<VisibleChoices>,
}

pub(crate) fn load_browse(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    filter: &Filter,
    catalog: &Catalog,
) -> Result<BrowseData, AppError> {
    let partners = browse::partner_ids(conn, viewer)?;
    let choices = catalog.visible(conn, viewer, &partners)?;
    let categories = catalog.categories(conn)?;
    let known = browse::KnownNames {
        organisations: choices.organisations.iter().cloned().collect(),
        units: choices.units.iter().cloned().collect(),
    };
    Ok(BrowseData {
        results: browse::browse(conn, viewer, &partners, filter, &categories, &known)?,
        categories,
        choices,
    })
}

/// Everything the browse filters show (`items/filters.html`), rendered once per distinct
/// form (see [`super::fragments`]).
#[derive(Serialize, PartialEq, Eq, Hash)]
pub struct FilterForm {
    lang: &'static str,
    category_choices: Arc<[Choice]>,
    conditions: [&'static str; Condition::ALL.len()],
    sorts: [&'static str; Sort::ALL.len()],
    choices: Arc<VisibleChoices>,
    q: String,
    selected_category: String,
    selected_condition: String,
    selected_site: String,
    selected_unit: String,
    selected_org: String,
    selected_sort: &'static str,
    filtered: bool,
}

/// Distinct filter forms kept per instance (about 6 KB each).
pub const KEPT_FILTER_FORMS: usize = 1024;

#[get("/items")]
pub async fn browse_page(
    req: HttpRequest,
    lang: Lang,
    user: CurrentUser,
    query: web::Query<BrowseQuery>,
    views: web::Data<Views>,
    pool: web::Data<DbPool>,
    catalog: web::Data<Catalog>,
) -> Result<HttpResponse, AppError> {
    let viewer = user.0.viewer;
    let filter = query.filter();
    let worker_filter = filter.clone();
    let worker_catalog = catalog.clone();
    let mut data = with_conn(&pool, move |conn| {
        load_browse(conn, &viewer, &worker_filter, &worker_catalog)
    })
    .await?;
    let category_texts = catalog.category_texts(&data.categories, lang.0);
    let more_than_pages = data.results.more_than_pages();
    let cards: Vec<CardView> = std::mem::take(&mut data.results.cards)
        .into_iter()
        .map(|card| CardView::for_browse(lang.0, card, &category_texts.names))
        .collect();
    let selected = |value: &Option<String>| value.clone().unwrap_or_default();
    let filtered = filter.narrows();
    let form = FilterForm {
        lang: lang.0.code(),
        category_choices: category_texts.choices.clone(),
        conditions: Condition::ALL.map(Condition::as_str),
        sorts: Sort::ALL.map(Sort::as_str),
        choices: data.choices.clone(),
        q: selected(&query.q),
        selected_category: selected(&query.category),
        selected_condition: selected(&query.condition),
        selected_site: selected(&query.site),
        selected_unit: selected(&query.unit),
        selected_org: selected(&query.org),
        selected_sort: filter.sort.as_str(),
        filtered,
    };

    let mut context = views.page_context(&req, lang)?;
    context.insert("filters", &views.browse_filters(form)?);
    context.insert("filtered", &filtered);
    context.insert("q", query.q.as_deref().unwrap_or_default());
    context.insert(
        "selected_category",
        query.category.as_deref().unwrap_or_default(),
    );
    context.insert("card_count", &cards.len());
    context.insert("cards", &views.cards(cards)?);
    context.insert("total_is_capped", &data.results.total_is_capped);
    context.insert("more_than_pages", &more_than_pages);
    context.insert("total", &data.results.total);
    context.insert(
        "total_text",
        &format_decimal(lang.0, data.results.total as f64, 0),
    );
    context.insert(
        "paged_text",
        &format_decimal(lang.0, browse::COUNT_CAP as f64, 0),
    );
    context.insert("page", &data.results.page);
    context.insert("pages", &data.results.pages);
    if data.results.page > 1 {
        context.insert(
            "previous_url",
            &format!("/items?{}", query.with_page(data.results.page - 1)),
        );
    }
    if data.results.page < data.results.pages {
        context.insert(
            "next_url",
            &format!("/items?{}", query.with_page(data.results.page + 1)),
        );
    }
    Ok(views.page(StatusCode::OK, "items/browse.html", &context)?)
}

#[get("/my/items")]
pub async fn my_items(
    req: HttpRequest,
    lang: Lang,
    user: CurrentUser,
    views: web::Data<Views>,
    pool: web::Data<DbPool>,
    catalog: web::Data<Catalog>,
) -> Result<HttpResponse, AppError> {
    let viewer = user.0.viewer;
    let worker_catalog = catalog.clone();
    let (cards, all) = with_conn(&pool, move |conn| -> Result<_, AppError> {
        Ok((
            browse::listed_by(conn, &viewer)?,
            worker_catalog.categories(conn)?,
        ))
    })
    .await?;
    let category_names = &catalog.category_texts(&all, lang.0).names;
    let cards: Vec<CardView> = cards
        .into_iter()
        .map(|c| CardView::for_owner(lang.0, c, category_names))
        .collect();
    let mut context = views.page_context(&req, lang)?;
    context.insert("card_count", &cards.len());
    context.insert("cards", &views.cards(cards)?);
    Ok(views.page(StatusCode::OK, "items/mine.html", &context)?)
}

// ---------------------------------------------------------------------------------------
// One item

#[derive(Serialize)]
struct Detail {
    key: &'static str,
    value: String,
}

fn details(language: Language, item: &Item, unit: Option<&str>, organisation: &str) -> Vec<Detail> {
    let mut rows = vec![
        Detail {
            key: "item-field-condition",
            value: language.text(&format!("condition-{}", item.condition)),
        },
        Detail {
            key: "item-field-quantity-available",
            value: language.text_with(
                "item-quantity-of",
                &[
                    ("available", item.quantity_available.into()),
                    ("total", item.quantity_total.into()),
                ],
            ),
        },
    ];
    let size: Vec<String> = [item.width_cm, item.depth_cm, item.height_cm]
        .iter()
        .map(|v| v.map_or("–".to_string(), |cm| cm.to_string()))
        .collect();
    if item.width_cm.is_some() || item.depth_cm.is_some() || item.height_cm.is_some() {
        rows.push(Detail {
            key: "item-field-dimensions",
            value: format!("{} cm", size.join(" × ")),
        });
    }
    if let Some(weight) = item.weight_kg {
        rows.push(Detail {
            key: "item-field-weight",
            value: format!("{} kg", format_decimal(language, weight, 1)),
        });
    }
    if let Some(price) = item.new_price_sek {
        rows.push(Detail {
            key: "item-field-new-price",
            value: format!("{} kr", format_decimal(language, price, 0)),
        });
    }
    let place = if item.room.is_empty() {
        item.site.clone()
    } else {
        format!("{}, {}", item.site, item.room)
    };
    rows.push(Detail {
        key: "item-field-place",
        value: place,
    });
    if let Some(from) = item.available_from {
        rows.push(Detail {
            key: "item-field-available-from",
            value: from.to_string(),
        });
    }
    if let Some(until) = item.expires_on {
        rows.push(Detail {
            key: "item-field-expires-on",
            value: until.to_string(),
        });
    }
    rows.push(Detail {
        key: "item-field-offered-by",
        value: match unit {
            Some(unit) => format!("{unit}, {organisation}"),
            None => organisation.to_string(),
        },
    });
    rows
}

#[allow(clippy::too_many_arguments)]
#[get("/items/{id}")]
pub async fn show(
    req: HttpRequest,
    lang: Lang,
    user: CurrentUser,
    path: web::Path<i64>,
    views: web::Data<Views>,
    pool: web::Data<DbPool>,
    catalog: web::Data<Catalog>,
    rules: web::Data<ReservationRules>,
) -> Result<HttpResponse, AppError> {
    let viewer = user.0.viewer;
    let item_id = path.into_inner();
    let (item, names, category, photos, (units, reserved)) =
        with_conn(&pool, move |conn| -> Result<_, AppError> {
            let item = items::find_visible(conn, &viewer, item_id)?;
            let category = catalog
                .categories(conn)?
                .iter()
                .find(|c| c.id == item.category_id)
                .cloned();
            let photos = items::photos_of(conn, item_id)?;
            let names = browse::owner_names(conn, &item)?;
            let units = organisations::units_of(conn, viewer.organisation_id)?;
            let reserved = if viewer.may_edit(&item) {
                reservations::list(conn, ListOf::Item(item_id))?
            } else {
                Vec::new()
            };
            Ok((item, names, category, photos, (units, reserved)))
        })
        .await?;
    let language = lang.0;
    let (organisation_name, unit_name) = names;
    let mut context = views.page_context(&req, lang)?;
    context.insert("item", &item);
    context.insert("photos", &photos);
    context.insert(
        "details",
        &details(language, &item, unit_name.as_deref(), &organisation_name),
    );
    if let Some(category) = &category {
        context.insert("category_name", &category_name(language, category));
        context.insert("factor", &describe_factor(language, category.factor()));
        context.insert("factor_source", &category.factor_source);
        context.insert("factor_version", &category.factor_version);
    }
    context.insert("status_key", &format!("status-{}", item.status));
    context.insert("may_edit", &viewer.may_edit(&item));
    context.insert("is_draft", &(item.status == Status::Draft));
    context.insert(
        "can_withdraw",
        &matches!(item.status, Status::Available | Status::Draft),
    );
    context.insert(
        "can_relist",
        &matches!(item.status, Status::Withdrawn | Status::Expired),
    );
    context.insert("saved", &req.query_string().contains("saved=1"));
    let can_reserve = item.status == Status::Available
        && item.quantity_available > 0
        && item.created_by != viewer.user_id;
    context.insert("can_reserve", &can_reserve);
    context.insert("units", &units);
    let (open_reservations, _) = super::reservations::lines(language, reserved);
    context.insert("open_reservations", &open_reservations);
    context.insert("own_unit", &viewer.unit_id);
    context.insert("answers", &WouldBuyNew::ALL.map(WouldBuyNew::as_str));
    context.insert("pickup_days", &rules.0.pickup_within.num_days());
    Ok(views.page(StatusCode::OK, "items/show.html", &context)?)
}

#[derive(Deserialize)]
pub struct StatusForm {
    to: String,
}

#[post("/items/{id}/status")]
pub async fn change_status(
    user: CurrentUser,
    path: web::Path<i64>,
    form: CsrfForm<StatusForm>,
    pool: web::Data<DbPool>,
    mail: web::Data<MailQueue>,
) -> Result<HttpResponse, AppError> {
    let viewer = user.0.viewer;
    let item_id = path.into_inner();
    let to = match form.0.to.as_str() {
        "available" => Status::Available,
        "withdrawn" => Status::Withdrawn,
        _ => return Err(AppError::BadRequest),
    };
    let today = crate::i18n::local_date(chrono::Utc::now().naive_utc());
    with_write(&pool, &mail, move |tx| {
        items::change_status(tx, &viewer, item_id, to, today)
    })
    .await??;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/items/{item_id}?saved=1")))
        .finish())
}

/// Photos are shown only to people who may see a listing that uses them.
#[get("/photos/{key}/{size}")]
pub async fn serve_photo(
    user: CurrentUser,
    path: web::Path<(String, String)>,
    pool: web::Data<DbPool>,
    store: web::Data<PhotoStore>,
) -> Result<HttpResponse, AppError> {
    let (key, size) = path.into_inner();
    let size = size
        .strip_suffix(".jpg")
        .and_then(photos::Size::parse)
        .ok_or(AppError::NotFound)?;
    if !photos::valid_key(&key) {
        return Err(AppError::NotFound);
    }
    let viewer = user.0.viewer;
    let lookup_key = key.clone();
    let visible = with_conn(&pool, move |conn| {
        items::photo_visible(conn, &viewer, &lookup_key)
    })
    .await?;
    if !visible {
        return Err(AppError::NotFound);
    }
    let bytes = store
        .load(&key, size)
        .await
        .map_err(|error| {
            tracing::error!(%error, "photo could not be read");
            AppError::NotFound
        })?
        .ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok()
        .content_type("image/jpeg")
        // Content-addressed: a key never changes meaning. Private: only signed-in viewers.
        .insert_header((
            header::CACHE_CONTROL,
            "private, max-age=31536000, immutable",
        ))
        .body(bytes))
}

// ---------------------------------------------------------------------------------------
// The listing form

#[derive(Serialize)]
struct CategoryOption {
    id: i64,
    label: String,
}

#[derive(Serialize)]
struct CategoryGroupOption {
    label: String,
    options: Vec<CategoryOption>,
}

fn category_options(language: Language, all: Vec<Category>) -> Vec<CategoryGroupOption> {
    categories::group(all)
        .into_iter()
        .map(|group| CategoryGroupOption {
            label: category_name(language, &group.category),
            options: group
                .children
                .iter()
                .map(|child| CategoryOption {
                    id: child.id,
                    label: format!(
                        "{} – {}",
                        category_name(language, child),
                        describe_factor(language, child.factor())
                    ),
                })
                .collect(),
        })
        .collect()
}

#[derive(Serialize)]
struct ExistingPhoto {
    id: i64,
    key: String,
    alt_text: String,
}

struct FormPage<'a> {
    status: StatusCode,
    action: String,
    values: &'a RawItemForm,
    errors: Vec<FieldError>,
    photos: Vec<ExistingPhoto>,
    is_new: bool,
}

async fn render_form(
    req: &HttpRequest,
    lang: Lang,
    views: &Views,
    pool: &web::Data<DbPool>,
    organisation_id: i64,
    page: FormPage<'_>,
) -> Result<HttpResponse, AppError> {
    let (all, has_network) = with_conn(pool, move |conn| -> Result<_, AppError> {
        let has_network =
            organisations::find(conn, organisation_id)?.is_some_and(|o| o.network_id.is_some());
        Ok((categories::list_all(conn)?, has_network))
    })
    .await?;
    let errors: HashMap<&str, &str> = page
        .errors
        .iter()
        .map(|e| (e.field, e.message_key))
        .collect();
    let mut context = views.page_context(req, lang)?;
    context.insert("form_action", &page.action);
    context.insert("values", page.values);
    context.insert("errors", &errors);
    context.insert("error_list", &page.errors);
    context.insert("category_groups", &category_options(lang.0, all));
    context.insert("conditions", &Condition::ALL.map(Condition::as_str));
    context.insert("existing_photos", &page.photos);
    context.insert("is_new", &page.is_new);
    context.insert("has_network", &has_network);
    Ok(views.page(page.status, "items/form.html", &context)?)
}

#[get("/items/new")]
pub async fn new_form(
    req: HttpRequest,
    lang: Lang,
    user: CurrentUser,
    views: web::Data<Views>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, AppError> {
    let values = RawItemForm {
        quantity: "1".into(),
        condition: Condition::Good.as_str().into(),
        ..RawItemForm::default()
    };
    let page = FormPage {
        status: StatusCode::OK,
        action: "/items".into(),
        values: &values,
        errors: Vec::new(),
        photos: Vec::new(),
        is_new: true,
    };
    render_form(&req, lang, &views, &pool, user.0.user.organisation_id, page).await
}

fn form_from_item(item: &Item) -> RawItemForm {
    let text = |v: Option<i32>| v.map(|n| n.to_string()).unwrap_or_default();
    let decimal = |v: Option<f64>| v.map(|n| n.to_string()).unwrap_or_default();
    RawItemForm {
        title: item.title.clone(),
        description: item.description.clone(),
        category_id: item.category_id.to_string(),
        condition: item.condition.as_str().to_string(),
        quantity: item.quantity_total.to_string(),
        width_cm: text(item.width_cm),
        depth_cm: text(item.depth_cm),
        height_cm: text(item.height_cm),
        weight_kg: decimal(item.weight_kg),
        new_price_sek: decimal(item.new_price_sek),
        site: item.site.clone(),
        room: item.room.clone(),
        pickup_instructions: item.pickup_instructions.clone(),
        available_from: item
            .available_from
            .map(|d| d.to_string())
            .unwrap_or_default(),
        expires_on: item.expires_on.map(|d| d.to_string()).unwrap_or_default(),
        visibility: item.visibility.as_str().to_string(),
        action: String::new(),
    }
}

fn existing(photos: Vec<items::Photo>) -> Vec<ExistingPhoto> {
    photos
        .into_iter()
        .map(|p| ExistingPhoto {
            id: p.id,
            key: p.photo_key,
            alt_text: p.alt_text,
        })
        .collect()
}

#[get("/items/{id}/edit")]
pub async fn edit_form(
    req: HttpRequest,
    lang: Lang,
    user: CurrentUser,
    path: web::Path<i64>,
    views: web::Data<Views>,
    pool: web::Data<DbPool>,
) -> Result<HttpResponse, AppError> {
    let viewer = user.0.viewer;
    let item_id = path.into_inner();
    let (item, photos) = with_conn(&pool, move |conn| -> Result<_, AppError> {
        let item = items::find_for_edit(conn, &viewer, item_id)?;
        Ok((item, items::photos_of(conn, item_id)?))
    })
    .await?;
    let values = form_from_item(&item);
    let page = FormPage {
        status: StatusCode::OK,
        action: format!("/items/{item_id}"),
        values: &values,
        errors: Vec::new(),
        photos: existing(photos),
        is_new: false,
    };
    render_form(&req, lang, &views, &pool, viewer.organisation_id, page).await
}

/// Decodes, checks and stores every uploaded photo; on any failure nothing is kept.
/// Takes the uploads by value: they can be 150 MB together and need no copy.
async fn store_uploads(
    uploads: Vec<UploadedFile>,
    oversized: usize,
    rules: &PhotoRules,
    store: &PhotoStore,
) -> Result<Vec<ProcessedPhoto>, PhotoError> {
    if oversized > 0 {
        return Err(PhotoError::TooLarge);
    }
    let limits = rules.limits;
    let processed = web::block(move || {
        uploads
            .iter()
            .map(|upload| photos::process(&upload.bytes, &limits))
            .collect::<Result<Vec<_>, _>>()
    })
    .await
    .map_err(|_| PhotoError::Damaged)??;
    let mut saved: Vec<ProcessedPhoto> = Vec::new();
    for photo in processed {
        if let Err(error) = store.save(&photo).await {
            tracing::error!(%error, "photo could not be stored");
            discard(store, &keys_of(&saved)).await;
            return Err(PhotoError::Damaged);
        }
        saved.push(photo);
    }
    Ok(saved)
}

/// Removes stored photos (after a failed save).
async fn discard(store: &PhotoStore, keys: &[String]) {
    for key in keys {
        if let Err(error) = store.delete(key).await {
            tracing::warn!(%error, %key, "orphan photo left behind");
        }
    }
}

/// Removes the stored photos no listing uses any more; shared ones stay.
async fn discard_unused(store: &PhotoStore, pool: &web::Data<DbPool>, keys: Vec<String>) {
    let unused = with_conn(pool, move |conn| -> Result<Vec<String>, AppError> {
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
    discard(store, &unused).await;
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

/// What a submitted form needs besides its fields.
struct Submission {
    raw: RawItemForm,
    alt_text: String,
    remove: Vec<i64>,
    alt_texts: Vec<(i64, String)>,
}

fn submission(form: &MultipartForm) -> Result<Submission, AppError> {
    let raw: RawItemForm = form.decode()?;
    let alt_text = form
        .field("photo_alt")
        .unwrap_or_default()
        .trim()
        .to_string();
    let remove = form
        .fields
        .iter()
        .filter_map(|(key, _)| key.strip_prefix("remove_photo_"))
        .filter_map(|id| id.parse().ok())
        .collect();
    let alt_texts = form
        .fields
        .iter()
        .filter_map(|(key, value)| {
            let id = key.strip_prefix("alt_photo_")?.parse().ok()?;
            Some((id, value.trim().chars().take(300).collect()))
        })
        .collect();
    Ok(Submission {
        raw,
        alt_text,
        remove,
        alt_texts,
    })
}

/// Where a listing form is being saved: a new listing, or an existing one with its photos.
struct Target {
    action: String,
    current_photos: Vec<items::Photo>,
    is_new: bool,
}

/// The request-scoped things saving a listing needs.
struct SaveContext {
    req: HttpRequest,
    lang: Lang,
    views: web::Data<Views>,
    pool: web::Data<DbPool>,
    store: web::Data<PhotoStore>,
    rules: web::Data<PhotoRules>,
    mail: web::Data<MailQueue>,
    viewer: Viewer,
}

/// The steps creating and editing share: check the fields, process and store the photos,
/// run `write` in the database, and answer with the item or the form and its errors. Photos
/// stored for a write that then failed are removed again.
async fn save_listing<W>(
    ctx: SaveContext,
    payload: Multipart,
    target: Target,
    write: W,
) -> Result<HttpResponse, AppError>
where
    W: FnOnce(&mut Tx, &Viewer, &ItemInput, PhotoChanges) -> Result<i64, ItemError>
        + Send
        + 'static,
{
    let SaveContext {
        req,
        lang,
        views,
        pool,
        store,
        rules,
        mail,
        viewer,
    } = ctx;
    let mut form = multipart::read(
        &req,
        payload,
        "photos",
        rules.limits.max_bytes,
        rules.per_item,
    )
    .await?;
    let submission = submission(&form)?;
    let page = |errors: Vec<FieldError>| FormPage {
        status: StatusCode::BAD_REQUEST,
        action: target.action.clone(),
        values: &submission.raw,
        errors,
        photos: existing(target.current_photos.clone()),
        is_new: target.is_new,
    };
    let organisation_id = viewer.organisation_id;
    let input = match ItemInput::from_form(&submission.raw) {
        Ok(input) => input,
        Err(errors) => {
            return render_form(&req, lang, &views, &pool, organisation_id, page(errors)).await;
        }
    };
    let kept = target
        .current_photos
        .iter()
        .filter(|p| !submission.remove.contains(&p.id))
        .count();
    if form.too_many || kept + form.files.len() > rules.per_item {
        let errors = vec![FieldError::new("photos", "photo-error-too-many")];
        return render_form(&req, lang, &views, &pool, organisation_id, page(errors)).await;
    }
    let uploads = std::mem::take(&mut form.files);
    let stored = match store_uploads(uploads, form.oversized, &rules, &store).await {
        Ok(stored) => stored,
        Err(error) => {
            let errors = vec![FieldError::new("photos", error.message_key())];
            return render_form(&req, lang, &views, &pool, organisation_id, page(errors)).await;
        }
    };
    let alt = if submission.alt_text.is_empty() {
        input.title.clone()
    } else {
        submission.alt_text.clone()
    };
    let changes = PhotoChanges {
        add: new_photos(&stored, &alt),
        remove: submission.remove.clone(),
        alt_texts: submission.alt_texts.clone(),
    };
    let removed_keys: Vec<String> = target
        .current_photos
        .iter()
        .filter(|p| submission.remove.contains(&p.id))
        .map(|p| p.photo_key.clone())
        .collect();
    let outcome = with_write(&pool, &mail, move |tx| write(tx, &viewer, &input, changes))
        .await
        .and_then(|outcome| match outcome {
            Err(ItemError::Invalid(errors)) => Ok(Err(errors)),
            other => other.map(Ok).map_err(AppError::from),
        });
    match outcome {
        Ok(Ok(id)) => {
            discard_unused(&store, &pool, removed_keys).await;
            Ok(HttpResponse::SeeOther()
                .insert_header((header::LOCATION, format!("/items/{id}?saved=1")))
                .finish())
        }
        Ok(Err(errors)) => {
            discard_unused(&store, &pool, keys_of(&stored)).await;
            render_form(&req, lang, &views, &pool, organisation_id, page(errors)).await
        }
        Err(error) => {
            discard_unused(&store, &pool, keys_of(&stored)).await;
            Err(error)
        }
    }
}

#[post("/items")]
#[allow(clippy::too_many_arguments)]
pub async fn create(
    req: HttpRequest,
    lang: Lang,
    user: CurrentUser,
    payload: Multipart,
    views: web::Data<Views>,
    pool: web::Data<DbPool>,
    store: web::Data<PhotoStore>,
    rules: web::Data<PhotoRules>,
    mail: web::Data<MailQueue>,
) -> Result<HttpResponse, AppError> {
    let ctx = SaveContext {
        req,
        lang,
        views,
        pool,
        store,
        rules,
        mail,
        viewer: user.0.viewer,
    };
    let target = Target {
        action: "/items".into(),
        current_photos: Vec::new(),
        is_new: true,
    };
    save_listing(ctx, payload, target, |tx, viewer, input, photos| {
        items::create(tx, viewer, input, &photos.add)
    })
    .await
}

#[post("/items/{id}")]
#[allow(clippy::too_many_arguments)]
pub async fn update(
    req: HttpRequest,
    lang: Lang,
    user: CurrentUser,
    path: web::Path<i64>,
    payload: Multipart,
    views: web::Data<Views>,
    pool: web::Data<DbPool>,
    store: web::Data<PhotoStore>,
    rules: web::Data<PhotoRules>,
    mail: web::Data<MailQueue>,
) -> Result<HttpResponse, AppError> {
    let item_id = path.into_inner();
    let viewer = user.0.viewer;
    // Checked before the upload is read: strangers and colleagues get their answer at once.
    let current_photos = with_conn(&pool, move |conn| -> Result<_, AppError> {
        items::find_for_edit(conn, &viewer, item_id)?;
        Ok(items::photos_of(conn, item_id)?)
    })
    .await?;
    let ctx = SaveContext {
        req,
        lang,
        views,
        pool,
        store,
        rules,
        mail,
        viewer,
    };
    let target = Target {
        action: format!("/items/{item_id}"),
        current_photos,
        is_new: false,
    };
    save_listing(ctx, payload, target, move |tx, viewer, input, photos| {
        items::update(tx, viewer, item_id, input, &photos).map(|()| item_id)
    })
    .await
}
