//! Listing pages: browse and search, an item, my listings, and the listing form.

use std::collections::HashMap;
use std::sync::Arc;

use actix_multipart::Multipart;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};

use super::auth::CurrentUser;
use super::cards::CardView;
use super::csrf::CsrfForm;
use super::multipart::{self, MultipartForm};
use super::{AppError, Page};
use crate::access::Viewer;
use crate::app::App;
use crate::app::catalog::VisibleChoices;
use crate::app::listings::{self, Browse, Saved, Submission, Target};
use crate::categories::{
    self, Category, Choice, Figures, category_name, describe_factor, describe_range,
};
use crate::i18n::{Language, format_decimal};
use crate::ids::{CategoryId, ItemId, OrganisationId, PhotoId, UnitId};
use crate::items::browse::{self, Filter, Sort};
use crate::items::drafts::DraftPhoto;
use crate::items::search::SearchQuery;
use crate::items::{self, Condition, FieldError, Item, RawItemForm, Status};
use crate::ledger::savings::WouldBuyNew;
use crate::photos;

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
        let query = non_empty(&self.q).and_then(SearchQuery::parse);
        Filter {
            sort: non_empty(&self.sort)
                .and_then(Sort::parse)
                .unwrap_or_else(|| Sort::default_for(query.as_ref())),
            query,
            category_slug: non_empty(&self.category).map(str::to_string),
            condition: non_empty(&self.condition).and_then(Condition::parse),
            site: non_empty(&self.site).map(str::to_string),
            unit_id: non_empty(&self.unit).and_then(|v| v.parse().ok()),
            organisation_id: non_empty(&self.org).and_then(|v| v.parse().ok()),
            page: non_empty(&self.page)
                .and_then(|v| v.parse().ok())
                .unwrap_or(1),
        }
    }

    /// The query string for another page, keeping every filter.
    fn with_page(&self, page: i64) -> String {
        self.with(&[("page", &page.to_string())])
    }

    /// The query string with `changes` made (an empty value drops the key).
    fn with(&self, changes: &[(&str, &str)]) -> String {
        let kept = [
            ("q", &self.q),
            ("category", &self.category),
            ("condition", &self.condition),
            ("site", &self.site),
            ("unit", &self.unit),
            ("org", &self.org),
            ("sort", &self.sort),
        ]
        .into_iter()
        .filter(|(key, _)| changes.iter().all(|(changed, _)| changed != key))
        .filter_map(|(key, value)| non_empty(value).map(|v| (key, v)));
        let pairs: Vec<(&str, &str)> = kept
            .chain(changes.iter().copied().filter(|(_, v)| !v.is_empty()))
            .collect();
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

/// A link the browse page offers, with what it says.
#[derive(Serialize)]
struct Offer {
    text: String,
    url: String,
}

/// One removable chip per chosen filter that took effect (a value that does not parse or
/// names nothing the viewer can see is left out), labelled "kind: value".
fn chips(
    query: &BrowseQuery,
    filter: &Filter,
    language: Language,
    data: &Browse,
    category_names: &HashMap<CategoryId, String>,
) -> Vec<Offer> {
    let chip = |kind: &str, value: String, key: &str| Offer {
        text: format!("{}: {value}", language.text(kind)),
        url: format!("/items?{}", query.with(&[(key, ""), ("page", "")])),
    };
    let category = filter.category_slug.as_deref().and_then(|slug| {
        let found = data.categories.iter().find(|c| c.slug == slug)?;
        Some(chip(
            "browse-category",
            category_names.get(&found.id)?.clone(),
            "category",
        ))
    });
    let condition = filter.condition.map(|condition| {
        let name = language.text(&format!("condition-{}", condition.as_str()));
        chip("item-field-condition", name, "condition")
    });
    let site = filter
        .site
        .clone()
        .map(|site| chip("browse-site", site, "site"));
    let unit = filter
        .unit_id
        .and_then(|id| named(id, &data.choices.units))
        .map(|name| chip("browse-unit", name, "unit"));
    let organisation = filter
        .organisation_id
        .and_then(|id| named(id, &data.choices.organisations))
        .map(|name| chip("browse-organisation", name, "org"));
    [category, condition, site, unit, organisation]
        .into_iter()
        .flatten()
        .collect()
}

/// The name beside `id` in a list of choices.
fn named<Id: PartialEq>(id: Id, names: &[(Id, String)]) -> Option<String> {
    names
        .iter()
        .find(|(known, _)| *known == id)
        .map(|(_, name)| name.clone())
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
    /// How many filters are chosen, shown on the folded "Filter" control.
    active_filters: usize,
}

/// Distinct filter forms kept per instance (about 6 KB each).
pub const KEPT_FILTER_FORMS: usize = 1024;

/// `items/browse.html`.
#[derive(Serialize)]
struct BrowsePage<'a> {
    filters: String,
    /// The chosen filters, each a link to the same page without it.
    chips: Vec<Offer>,
    filtered: bool,
    q: &'a str,
    selected_category: &'a str,
    card_count: usize,
    cards: String,
    total_is_capped: bool,
    more_than_pages: bool,
    total: i64,
    total_text: String,
    paged_text: String,
    page: i64,
    pages: i64,
    previous_url: Option<String>,
    next_url: Option<String>,
    /// "Menade du …?": the query as meant, when nothing matched it as typed.
    did_you_mean: Option<Offer>,
    /// Nothing found: categories to look in, and whether the search finds listings there.
    nearby: Vec<Offer>,
    nearby_finds: bool,
    wanted_url: String,
}

#[get("/items")]
pub async fn browse_page(
    page: Page,
    user: CurrentUser,
    query: web::Query<BrowseQuery>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let language = page.language();
    let filter = query.filter();
    let mut data = listings::browse(&app, user.0.viewer, filter.clone()).await?;
    let category_texts = app.catalog.category_texts(&data.categories, language);
    let chips = chips(&query, &filter, language, &data, &category_texts.names);
    let results = &mut data.results;
    let cards: Vec<CardView> = std::mem::take(&mut results.cards)
        .into_iter()
        .map(|card| CardView::for_browse(language, card, &category_texts.names))
        .collect();
    let selected = |value: &Option<String>| value.clone().unwrap_or_default();
    let filtered = filter.narrows();
    let form = FilterForm {
        lang: language.code(),
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
        active_filters: chips.len(),
    };
    let page_link = |number: i64| format!("/items?{}", query.with_page(number));
    let offers = &data.offers;
    let meant = results.corrected.as_deref().or(offers.respelled.as_deref());
    // Where the offered categories find something: the respelled search if there is one.
    let searched = offers.respelled.as_deref().or(non_empty(&query.q));
    let wanted_category = non_empty(&query.category)
        .and_then(|slug| data.categories.iter().find(|c| c.slug == slug))
        .map(|c| c.id.to_string())
        .unwrap_or_default();
    let view = BrowsePage {
        filters: page.views().browse_filters(form)?,
        chips,
        filtered,
        q: query.q.as_deref().unwrap_or_default(),
        selected_category: query.category.as_deref().unwrap_or_default(),
        card_count: cards.len(),
        cards: page.views().cards(cards)?,
        total_is_capped: results.total_is_capped,
        more_than_pages: results.more_than_pages(),
        total: results.total,
        total_text: format_decimal(language, results.total as f64, 0),
        paged_text: format_decimal(language, browse::COUNT_CAP as f64, 0),
        page: results.page,
        pages: results.pages,
        previous_url: (results.page > 1).then(|| page_link(results.page - 1)),
        next_url: (results.page < results.pages).then(|| page_link(results.page + 1)),
        did_you_mean: meant.map(|text| Offer {
            url: format!("/items?{}", query.with(&[("q", text), ("page", "")])),
            text: text.to_string(),
        }),
        nearby: offers
            .categories
            .iter()
            .filter_map(|(id, count)| {
                let category = data.categories.iter().find(|c| c.id == *id)?;
                let name = category_texts.names.get(id)?;
                // The search goes along only where it finds something.
                let q = searched.filter(|_| offers.finds_there).map(|q| ("q", q));
                let pairs: Vec<(&str, &str)> = q
                    .into_iter()
                    .chain([("category", category.slug.as_str())])
                    .collect();
                Some(Offer {
                    text: format!("{name} ({})", format_decimal(language, *count as f64, 0)),
                    url: format!("/items?{}", serde_urlencoded::to_string(pairs).ok()?),
                })
            })
            .collect(),
        nearby_finds: offers.finds_there,
        wanted_url: format!(
            "/wanted?{}",
            serde_urlencoded::to_string([
                ("title", query.q.as_deref().unwrap_or_default().trim()),
                ("category_id", &wanted_category),
            ])
            .unwrap_or_default()
        ),
    };
    page.show(StatusCode::OK, "items/browse.html", &view)
}

/// `items/mine.html`.
#[derive(Serialize)]
struct MinePage {
    card_count: usize,
    cards: String,
}

#[get("/my/items")]
pub async fn my_items(
    page: Page,
    user: CurrentUser,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let language = page.language();
    let (cards, all) = listings::listed_by(&app, user.0.viewer).await?;
    let category_names = &app.catalog.category_texts(&all, language).names;
    let cards: Vec<CardView> = cards
        .into_iter()
        .map(|c| CardView::for_owner(language, c, category_names))
        .collect();
    let view = MinePage {
        card_count: cards.len(),
        cards: page.views().cards(cards)?,
    };
    page.show(StatusCode::OK, "items/mine.html", &view)
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
            value: language.text(&format!("condition-{}", item.fields.condition)),
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
    let size: Vec<String> = [
        item.fields.width_cm,
        item.fields.depth_cm,
        item.fields.height_cm,
    ]
    .iter()
    .map(|v| v.map_or("–".to_string(), |cm| cm.to_string()))
    .collect();
    if item.fields.width_cm.is_some()
        || item.fields.depth_cm.is_some()
        || item.fields.height_cm.is_some()
    {
        rows.push(Detail {
            key: "item-field-dimensions",
            value: format!("{} cm", size.join(" × ")),
        });
    }
    if let Some(weight) = item.fields.weight_kg {
        rows.push(Detail {
            key: "item-field-weight",
            value: format!("{} kg", format_decimal(language, weight, 1)),
        });
    }
    if let Some(price) = item.fields.new_price_sek {
        rows.push(Detail {
            key: "item-field-new-price",
            value: format!("{} kr", format_decimal(language, price, 0)),
        });
    }
    let place = if item.fields.room.is_empty() {
        item.fields.site.clone()
    } else {
        format!("{}, {}", item.fields.site, item.fields.room)
    };
    rows.push(Detail {
        key: "item-field-place",
        value: place,
    });
    if let Some(from) = item.fields.available_from {
        rows.push(Detail {
            key: "item-field-available-from",
            value: from.to_string(),
        });
    }
    if let Some(until) = item.fields.expires_on {
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

/// `items/show.html`.
#[derive(Serialize)]
struct ItemPage<'a> {
    item: &'a Item,
    photos: &'a [items::Photo],
    details: Vec<Detail>,
    category_name: Option<String>,
    factor: Option<String>,
    /// Where sources disagree, the spread.
    factor_range: Option<String>,
    factor_source: Option<&'a str>,
    factor_version: Option<&'a str>,
    status_key: String,
    may_edit: bool,
    is_draft: bool,
    can_withdraw: bool,
    can_relist: bool,
    saved: bool,
    can_reserve: bool,
    units: &'a [crate::organisations::Unit],
    open_reservations: Vec<super::reservations::Line>,
    own_unit: Option<UnitId>,
    answers: [&'static str; WouldBuyNew::ALL.len()],
    pickup_days: i64,
    /// Saved to the viewer's "Sparade".
    favourite: bool,
    /// What was just done to the listing's place in "Sparade", to confirm it.
    favourite_done: Option<&'static str>,
    /// The listing's address, to share.
    share_url: String,
    /// Fully reserved: the viewer can queue for it.
    can_queue: bool,
    /// The viewer's place in its queue.
    queue_place: Option<QueuePlace>,
    /// How many wait in its queue.
    waiting: i64,
    offer_hours: i64,
    /// The viewer's thread with the listing's side, or whether they can start one.
    conversation: Option<crate::ids::ConversationId>,
    can_ask: bool,
    /// The stores it can be handed in to, when it can go to one now.
    hand_in_stores: Vec<&'a crate::stores::Store>,
    /// Its open hand-in, for whoever may change it.
    handin: Option<HandInState>,
    /// The viewer works in the store that has or takes it.
    store_side: Option<crate::ids::UnitId>,
    /// What was just done about the store, to confirm it.
    store_done: Option<&'static str>,
    /// Its repairs, newest first, and whether it can go to repair now.
    repairs: Vec<super::repairs::RepairView>,
    can_repair: bool,
    repair_done: bool,
    /// Claims by approved recipients outside the organisation, and whether it can be
    /// offered to them now.
    claims: Vec<super::recipients::ClaimView>,
    can_offer_outside: bool,
    /// The earliest day a delivery can be wished for, and the one offered.
    today: String,
    tomorrow: String,
}

/// An open hand-in as the listing's page says it.
#[derive(Serialize)]
struct HandInState {
    id: crate::ids::HandInId,
    status: crate::stores::handin::HandInStatus,
    store: String,
    collect: bool,
    answer: String,
    /// The viewer asked for it and may take it back.
    may_withdraw: bool,
}

#[derive(Serialize)]
struct QueuePlace {
    id: crate::ids::QueueEntryId,
    offered: bool,
    quantity: i32,
    offered_quantity: i32,
    until: String,
    ahead: i64,
}

#[get("/items/{id}")]
pub async fn show(
    page: Page,
    user: CurrentUser,
    path: web::Path<ItemId>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let viewer = user.0.viewer;
    let listing = listings::listing(&app, viewer, path.into_inner()).await?;
    let language = page.language();
    let item = &listing.item;
    let category = listing.category.as_ref();
    let (open_reservations, _) = super::reservations::lines(language, listing.reservations.clone());
    let today = crate::i18n::local_date(chrono::Utc::now().naive_utc());
    let view = ItemPage {
        item,
        photos: &listing.photos,
        details: details(
            language,
            item,
            listing.unit_name.as_deref(),
            &listing.organisation_name,
        ),
        category_name: category.map(|c| category_name(language, c)),
        factor: listing
            .figures
            .as_ref()
            .map(|f| describe_factor(language, f.factor())),
        factor_range: listing
            .figures
            .as_ref()
            .and_then(|f| describe_range(language, f.factor)),
        factor_source: listing.figures.as_ref().map(|f| f.factor_source.as_str()),
        factor_version: listing.figures.as_ref().map(|f| f.factor_version.as_str()),
        status_key: format!("status-{}", item.status),
        may_edit: viewer.may_edit(item),
        // A listing on its way to a store is published by receiving it there.
        is_draft: item.status == Status::Draft && listing.handin.is_none(),
        can_withdraw: matches!(item.status, Status::Available | Status::Draft)
            && listing.handin.is_none(),
        can_relist: matches!(item.status, Status::Withdrawn | Status::Expired),
        saved: page.query_has("saved=1"),
        can_reserve: item.status == Status::Available
            && item.quantity_available > 0
            && item.created_by != viewer.user_id,
        units: &listing.units,
        open_reservations,
        own_unit: viewer.unit_id,
        answers: WouldBuyNew::ALL.map(WouldBuyNew::as_str),
        pickup_days: app.reservations.pickup_within.num_days(),
        favourite: listing.favourite,
        favourite_done: ["favourite", "unfavourite"]
            .into_iter()
            .find(|done| page.query_has(&format!("done={done}"))),
        share_url: format!("{}/items/{}", app.site.0, item.id),
        can_queue: item.status == Status::Reserved
            && item.created_by != viewer.user_id
            && listing.queue_place.is_none(),
        queue_place: listing
            .queue_place
            .as_ref()
            .map(|(entry, ahead)| QueuePlace {
                id: entry.id,
                offered: entry.status == crate::reservations::queue::QueueStatus::Offered,
                quantity: entry.quantity,
                offered_quantity: entry.offered_quantity,
                until: entry
                    .offer_expires_at
                    .map(crate::i18n::local_time)
                    .unwrap_or_default(),
                ahead: *ahead,
            }),
        waiting: listing.waiting,
        offer_hours: app.reservations.offer_within.num_hours(),
        conversation: listing.conversation,
        can_ask: listing.conversation.is_none()
            && item.created_by != viewer.user_id
            && matches!(item.status, Status::Available | Status::Reserved),
        hand_in_stores: if listing.handin.is_none()
            && item.store_unit_id.is_none()
            && item.quantity_available == item.quantity_total
            && matches!(
                item.status,
                Status::Available | Status::Withdrawn | Status::Expired
            ) {
            listing.stores.iter().collect()
        } else {
            Vec::new()
        },
        handin: listing.handin.as_ref().map(|handin| HandInState {
            id: handin.id,
            status: handin.status,
            store: listing
                .stores
                .iter()
                .find(|s| s.id == handin.store_unit_id)
                .map(|s| s.name.clone())
                .unwrap_or_default(),
            collect: handin.handover == crate::stores::handin::Handover::Collect,
            answer: handin.answer.clone(),
            may_withdraw: handin.requested_by == viewer.user_id
                && handin.status == crate::stores::handin::HandInStatus::Requested,
        }),
        store_side: listing
            .handin
            .as_ref()
            .map(|h| h.store_unit_id)
            .or(item.store_unit_id)
            .filter(|store| viewer.unit_id == Some(*store)),
        store_done: ["handin", "shelved"]
            .into_iter()
            .find(|done| page.query_has(&format!("done={done}"))),
        repairs: listing
            .repairs
            .iter()
            .map(|repair| {
                let workshop = repair
                    .workshop_unit_id
                    .and_then(|id| listing.units.iter().find(|u| u.id == id))
                    .map(|u| u.name.as_str());
                super::repairs::repair_view(language, repair, &item.fields.title, workshop)
            })
            .collect(),
        can_repair: item.status != Status::Gone && !listing.repairs.iter().any(|r| r.is_open()),
        repair_done: page.query_has("done=repair"),
        claims: super::recipients::claim_views(&listing.claims),
        can_offer_outside: listing.has_recipients
            && !item.offered_outside
            && item.status == Status::Available,
        today: today.to_string(),
        tomorrow: (today + chrono::Duration::days(1)).to_string(),
    };
    page.show(StatusCode::OK, "items/show.html", &view)
}

#[derive(Deserialize)]
pub struct StatusForm {
    to: String,
}

#[post("/items/{id}/status")]
pub async fn change_status(
    user: CurrentUser,
    path: web::Path<ItemId>,
    form: CsrfForm<StatusForm>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let item_id = path.into_inner();
    let to = match form.0.to.as_str() {
        "available" => Status::Available,
        "withdrawn" => Status::Withdrawn,
        _ => return Err(AppError::BadRequest),
    };
    listings::change_status(&app, user.0.viewer, item_id, to).await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/items/{item_id}?saved=1")))
        .finish())
}

/// Photos are shown only to people who may see a listing that uses them.
#[get("/photos/{key}/{size}")]
pub async fn serve_photo(
    user: CurrentUser,
    path: web::Path<(String, String)>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let (key, size) = path.into_inner();
    let size = size
        .strip_suffix(".jpg")
        .and_then(photos::Size::parse)
        .ok_or(AppError::NotFound)?;
    if !photos::valid_key(&key) {
        return Err(AppError::NotFound);
    }
    let bytes = listings::photo(&app, user.0.viewer, key, size)
        .await?
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
    id: CategoryId,
    label: String,
}

#[derive(Serialize)]
struct CategoryGroupOption {
    label: String,
    options: Vec<CategoryOption>,
}

fn category_options(
    language: Language,
    choices: Vec<(Category, Figures)>,
) -> Vec<CategoryGroupOption> {
    let figures: HashMap<CategoryId, Figures> =
        choices.iter().map(|(c, f)| (c.id, f.clone())).collect();
    categories::group(choices.into_iter().map(|(c, _)| c).collect())
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
                        describe_factor(language, figures.get(&child.id).and_then(Figures::factor))
                    ),
                })
                .collect(),
        })
        .collect()
}

#[derive(Serialize)]
struct ExistingPhoto {
    id: PhotoId,
    key: String,
    alt_text: String,
}

struct FormPage<'a> {
    status: StatusCode,
    action: String,
    values: &'a RawItemForm,
    errors: Vec<FieldError>,
    photos: Vec<ExistingPhoto>,
    /// Photos sent with this form earlier and held for it (shown, sent again by key).
    drafts: Vec<DraftPhoto>,
    /// The listing a new one copies ("post a similar listing").
    copied_from: Option<String>,
    is_new: bool,
}

/// `items/form.html`.
#[derive(Serialize)]
struct FormView<'a> {
    form_action: &'a str,
    values: &'a RawItemForm,
    errors: HashMap<&'static str, &'static str>,
    error_list: &'a [FieldError],
    category_groups: Vec<CategoryGroupOption>,
    conditions: [&'static str; Condition::ALL.len()],
    existing_photos: &'a [ExistingPhoto],
    draft_photos: &'a [DraftPhoto],
    max_photos: usize,
    max_mb: usize,
    copied_from: Option<&'a str>,
    is_new: bool,
    has_network: bool,
}

async fn render_form(
    page: &Page,
    app: &App,
    organisation_id: OrganisationId,
    form: FormPage<'_>,
) -> Result<HttpResponse, AppError> {
    let (all, has_network) = listings::form_choices(app, organisation_id).await?;
    let view = FormView {
        form_action: &form.action,
        values: form.values,
        errors: form
            .errors
            .iter()
            .map(|e| (e.field, e.message_key))
            .collect(),
        error_list: &form.errors,
        category_groups: category_options(page.language(), all),
        conditions: Condition::ALL.map(Condition::as_str),
        existing_photos: &form.photos,
        draft_photos: &form.drafts,
        max_photos: app.photo_rules.per_item,
        max_mb: app.photo_rules.limits.max_bytes / (1024 * 1024),
        copied_from: form.copied_from.as_deref(),
        is_new: form.is_new,
        has_network,
    };
    page.show(form.status, "items/form.html", &view)
}

#[derive(Deserialize)]
pub struct NewFormQuery {
    /// One of the viewer's listings to start from ("post a similar listing").
    like: Option<ItemId>,
}

#[get("/items/new")]
pub async fn new_form(
    page: Page,
    user: CurrentUser,
    query: web::Query<NewFormQuery>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let viewer = user.0.viewer;
    let (values, copied_from) = match query.like {
        Some(item_id) => {
            let (item, _) = listings::for_edit(&app, viewer, item_id).await?;
            (
                RawItemForm::similar_to(&item.fields, item.quantity_total),
                Some(item.fields.title),
            )
        }
        None => (
            RawItemForm {
                quantity: "1".into(),
                condition: Condition::Good.as_str().into(),
                ..RawItemForm::default()
            },
            None,
        ),
    };
    let form = FormPage {
        status: StatusCode::OK,
        action: "/items".into(),
        values: &values,
        errors: Vec::new(),
        photos: Vec::new(),
        drafts: Vec::new(),
        copied_from,
        is_new: true,
    };
    render_form(&page, &app, viewer.organisation_id, form).await
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
    page: Page,
    user: CurrentUser,
    path: web::Path<ItemId>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let viewer = user.0.viewer;
    let item_id = path.into_inner();
    let (item, photos) = listings::for_edit(&app, viewer, item_id).await?;
    let values = RawItemForm::showing(&item.fields, item.quantity_total);
    let form = FormPage {
        status: StatusCode::OK,
        action: format!("/items/{item_id}"),
        values: &values,
        errors: Vec::new(),
        photos: existing(photos),
        drafts: Vec::new(),
        copied_from: None,
        is_new: false,
    };
    render_form(&page, &app, viewer.organisation_id, form).await
}

/// The photo fields a submitted form carries besides the listing's own.
struct PhotoFields {
    alt_text: String,
    /// Held photos the form shows, in order, less those ticked for removal.
    drafts: Vec<String>,
    remove: Vec<PhotoId>,
    alt_texts: Vec<(PhotoId, String)>,
}

fn photo_fields(form: &MultipartForm) -> PhotoFields {
    let dropped: Vec<&str> = form
        .fields
        .iter()
        .filter_map(|(key, _)| key.strip_prefix("remove_draft_"))
        .collect();
    PhotoFields {
        alt_text: form
            .field("photo_alt")
            .unwrap_or_default()
            .trim()
            .to_string(),
        drafts: form
            .fields
            .iter()
            .filter(|(key, _)| key == "draft_photo")
            .map(|(_, value)| value.trim())
            .filter(|key| photos::valid_key(key) && !dropped.contains(key))
            .map(str::to_string)
            .collect(),
        remove: form
            .fields
            .iter()
            .filter_map(|(key, _)| key.strip_prefix("remove_photo_"))
            .filter_map(|id| id.parse().ok())
            .collect(),
        alt_texts: form
            .fields
            .iter()
            .filter_map(|(key, value)| {
                let id = key.strip_prefix("alt_photo_")?.parse().ok()?;
                Some((id, value.trim().chars().take(300).collect()))
            })
            .collect(),
    }
}

/// A form with photos in its `photos` field, within the upload limits.
async fn read_photo_form(
    page: &Page,
    payload: Multipart,
    app: &App,
) -> Result<MultipartForm, AppError> {
    let rules = app.photo_rules;
    multipart::read(
        page.req(),
        payload,
        "photos",
        rules.limits.max_bytes,
        rules.per_item,
    )
    .await
}

/// Reads the form, checks its fields and saves the listing with its photos
/// (`app::listings::save`); a refusal shows the form again with what is wrong.
async fn save_listing(
    page: Page,
    app: web::Data<App>,
    viewer: Viewer,
    payload: Multipart,
    target: Target,
    current: Vec<items::Photo>,
) -> Result<HttpResponse, AppError> {
    let mut form = read_photo_form(&page, payload, &app).await?;
    let raw: RawItemForm = form.decode()?;
    let (action, is_new) = match target {
        Target::New => ("/items".to_string(), true),
        Target::Existing(id) => (format!("/items/{id}"), false),
    };
    let answer = |errors: Vec<FieldError>, drafts: Vec<DraftPhoto>| FormPage {
        status: StatusCode::BAD_REQUEST,
        action: action.clone(),
        values: &raw,
        errors,
        photos: existing(current.clone()),
        drafts,
        copied_from: None,
        is_new,
    };
    let fields = photo_fields(&form);
    let submission = Submission {
        input: items::ItemInput::from_form(&raw),
        uploads: std::mem::take(&mut form.files)
            .into_iter()
            .map(|file| file.bytes)
            .collect(),
        oversized: form.oversized,
        too_many: form.too_many,
        drafts: fields.drafts,
        alt_text: fields.alt_text,
        remove: fields.remove,
        alt_texts: fields.alt_texts,
    };
    let organisation_id = viewer.organisation_id;
    match listings::save(&app, viewer, target, &current, submission).await? {
        Saved::Listing(id) => Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, format!("/items/{id}?saved=1")))
            .finish()),
        Saved::Refused { errors, photos } => {
            render_form(&page, &app, organisation_id, answer(errors, photos)).await
        }
    }
}

/// A photo sent ahead, as the form's script shows it.
#[derive(Serialize)]
struct SentPhoto {
    key: String,
    width: i32,
    height: i32,
    thumb: String,
}

#[derive(Serialize)]
struct SentPhotos {
    photos: Vec<SentPhoto>,
    /// Why a file was left out, in the person's language.
    error: Option<String>,
}

/// Photos the listing form's script sends as soon as they are chosen (downscaled, with a
/// progress bar): held for the person until the form is saved, which then carries only
/// their keys. Answers 422 when none of the files could be used.
#[post("/items/photos")]
pub async fn send_photos_ahead(
    page: Page,
    user: CurrentUser,
    payload: Multipart,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let form = read_photo_form(&page, payload, &app).await?;
    let uploads = form.files.into_iter().map(|file| file.bytes).collect();
    let (held, error) =
        listings::hold_uploads(&app, user.0.viewer, uploads, form.oversized).await?;
    let status = if held.is_empty() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let error = error
        .map(|error| error.message_key())
        .or(held.is_empty().then_some("photo-error-not-image"))
        .map(|key| page.language().text(key));
    Ok(HttpResponse::build(status).json(SentPhotos {
        photos: held
            .into_iter()
            .map(|photo| SentPhoto {
                thumb: format!("/photos/{}/thumb.jpg", photo.key),
                key: photo.key,
                width: photo.width,
                height: photo.height,
            })
            .collect(),
        error,
    }))
}

#[post("/items")]
pub async fn create(
    page: Page,
    user: CurrentUser,
    payload: Multipart,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let viewer = user.0.viewer;
    save_listing(page, app, viewer, payload, Target::New, Vec::new()).await
}

#[post("/items/{id}")]
pub async fn update(
    page: Page,
    user: CurrentUser,
    path: web::Path<ItemId>,
    payload: Multipart,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let item_id = path.into_inner();
    let viewer = user.0.viewer;
    // Checked before the upload is read: strangers and colleagues get their answer at once.
    let (_, current) = listings::for_edit(&app, viewer, item_id).await?;
    let target = Target::Existing(item_id);
    save_listing(page, app, viewer, payload, target, current).await
}
