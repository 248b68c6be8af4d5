//! Listings over the API: search, one listing, posting one (without photos), and "reuse
//! before you buy" for procurement and e-commerce systems.

use std::collections::HashMap;
use std::sync::Arc;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::caller::ApiCaller;
use super::problem::Problem;
use crate::app::App;
use crate::app::listings::{self, Saved, Submission, Target};
use crate::categories::{Category, Figures, category_name};
use crate::i18n::Language;
use crate::ids::{CategoryId, ItemId, OrganisationId, UnitId};
use crate::items::browse::{Filter, Sort};
use crate::items::search::SearchQuery;
use crate::items::{
    Condition, DraftInput, FieldError, Item, ItemFields, ItemInput, Status, Visibility,
};
use crate::refusal::Refusal;
use crate::web::AppError;

fn invalid(errors: Vec<FieldError>) -> AppError {
    AppError::Refused(Refusal::Invalid(errors))
}

/// A category as the API names it: the slug to filter by, the name to show.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiCategory {
    /// E.g. `mobler/kontorsstol`.
    pub slug: String,
    pub name: String,
}

/// The category as the API shows it (empty if the category is unknown).
fn api_category(language: Language, category: Option<&Category>) -> ApiCategory {
    ApiCategory {
        slug: category.map(|c| c.slug.clone()).unwrap_or_default(),
        name: category
            .map(|c| category_name(language, c))
            .unwrap_or_default(),
    }
}

/// A listing in search results.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ItemSummary {
    pub id: ItemId,
    pub title: String,
    pub category: ApiCategory,
    pub condition: Condition,
    pub quantity_available: i32,
    pub status: Status,
    pub site: String,
    pub organisation: String,
    pub unit: Option<String>,
    /// The listing's page, for people.
    pub url: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ItemPage {
    pub items: Vec<ItemSummary>,
    /// Matches, counted up to 1 200.
    pub total: i64,
    /// There are more matches than `total`.
    pub total_is_capped: bool,
    pub page: i64,
    pub pages: i64,
}

/// A whole listing.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ItemDetail {
    pub id: ItemId,
    #[serde(flatten)]
    pub fields: ItemFields,
    pub category: ApiCategory,
    pub quantity_total: i32,
    pub quantity_available: i32,
    pub status: Status,
    /// kg CO2e avoided per item of typical weight, from the category's sourced factor.
    pub typical_kg_co2e: Option<f64>,
    pub factor_source: String,
    /// RFC 3339, in UTC.
    pub created_at: DateTime<Utc>,
    pub url: String,
}

fn detail(
    language: Language,
    site: &str,
    (item, categories, figures): (Item, Arc<Vec<Category>>, Option<Figures>),
) -> ItemDetail {
    let category = categories.iter().find(|c| c.id == item.fields.category_id);
    ItemDetail {
        id: item.id,
        category: api_category(language, category),
        typical_kg_co2e: figures
            .as_ref()
            .and_then(Figures::factor)
            .and_then(|f| f.typical_kg_co2e()),
        factor_source: figures.map(|f| f.factor_source).unwrap_or_default(),
        url: format!("{site}/items/{}", item.id),
        fields: item.fields,
        quantity_total: item.quantity_total,
        quantity_available: item.quantity_available,
        status: item.status,
        created_at: item.created_at.and_utc(),
    }
}

/// Search and filters, as on the browse page.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ItemQuery {
    /// Words to search for (Swedish and Norwegian word forms match).
    pub q: Option<String>,
    /// A category slug; its subcategories are included.
    pub category: Option<String>,
    /// `as_new`, `good`, `worn` or `needs_repair`.
    pub condition: Option<String>,
    pub site: Option<String>,
    #[param(value_type = Option<i64>)]
    pub unit: Option<UnitId>,
    #[param(value_type = Option<i64>)]
    pub organisation: Option<OrganisationId>,
    /// `relevance` (best match first; the default with `q`), `newest` (the default without),
    /// `oldest`, `title` or `most_available`.
    pub sort: Option<String>,
    /// 1-based; 24 listings per page.
    pub page: Option<i64>,
}

fn trimmed(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

impl ItemQuery {
    fn filter(&self) -> Result<Filter, AppError> {
        let mut errors = Vec::new();
        let condition = match trimmed(&self.condition) {
            None => None,
            Some(raw) => {
                let parsed = Condition::parse(raw);
                if parsed.is_none() {
                    errors.push(FieldError::new("condition", "item-error-condition"));
                }
                parsed
            }
        };
        let query = trimmed(&self.q).and_then(SearchQuery::parse);
        let sort = match trimmed(&self.sort) {
            None => Sort::default_for(query.as_ref()),
            Some(raw) => Sort::parse(raw).unwrap_or_else(|| {
                errors.push(FieldError::new("sort", "api-error-sort"));
                Sort::default()
            }),
        };
        if !errors.is_empty() {
            return Err(invalid(errors));
        }
        Ok(Filter {
            query,
            category_slug: trimmed(&self.category).map(str::to_string),
            condition,
            site: trimmed(&self.site).map(str::to_string),
            unit_id: self.unit,
            organisation_id: self.organisation,
            sort,
            page: self.page.unwrap_or(1).max(1),
        })
    }
}

async fn search(
    caller: &ApiCaller,
    filter: Filter,
    app: &App,
) -> Result<(ItemPage, Arc<Vec<Category>>), AppError> {
    let data = listings::browse(app, caller.viewer, filter).await?;
    let language = caller.language;
    let site = &app.site.0;
    let by_id: HashMap<CategoryId, &Category> = data.categories.iter().map(|c| (c.id, c)).collect();
    let items = data
        .results
        .cards
        .iter()
        .map(|card| ItemSummary {
            id: card.item.id,
            title: card.item.title.clone(),
            category: api_category(language, by_id.get(&card.item.category_id).copied()),
            condition: card.item.condition,
            quantity_available: card.item.quantity_available,
            status: card.item.status,
            site: card.item.site.clone(),
            organisation: card.organisation_name.clone(),
            unit: card.unit_name.clone(),
            url: format!("{site}/items/{}", card.item.id),
        })
        .collect();
    let page = ItemPage {
        items,
        total: data.results.total,
        total_is_capped: data.results.total_is_capped,
        page: data.results.page,
        pages: data.results.pages,
    };
    Ok((page, data.categories))
}

/// Search the listings the token's owner may see.
#[utoipa::path(
    get,
    path = "/api/v1/items",
    tag = "items",
    params(ItemQuery),
    operation_id = "search_items",
    responses(
        (status = 200, description = "One page of matching listings", body = ItemPage),
        (status = 400, description = "A parameter is malformed", body = Problem),
        (status = 401, description = "No valid token", body = Problem),
        (status = 422, description = "A parameter has an unknown value", body = Problem),
    ),
    security(("token" = []))
)]
#[get("/items")]
pub async fn list(
    caller: ApiCaller,
    query: web::Query<ItemQuery>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let filter = query.filter()?;
    let (page, _) = search(&caller, filter, &app).await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Available listings matching a category or words: what to look at before buying new.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AlternativesQuery {
    /// A category slug, e.g. `mobler/kontorsstol` (subcategories included).
    pub category: Option<String>,
    /// Words, e.g. a product name from a shopping cart.
    pub q: Option<String>,
}

/// The signed record of a check: keep its id with the order, and send it with the purchase
/// (`POST /api/v1/purchases`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReceiptJson {
    /// `rcpt_` and 32 hex digits.
    pub id: String,
    /// RFC 3339, UTC.
    pub checked_at: String,
    pub category: String,
    pub query: String,
    /// Listings that matched.
    pub count: i64,
    /// The listings shown (at most 20).
    pub matches: Vec<crate::purchases::Shown>,
    /// A JWT (HS256, this installation's key) over the id, organisation, time, category,
    /// query, count and the ids shown; `GET /api/v1/receipts/{id}` checks it.
    pub signature: String,
}

impl From<&crate::purchases::Receipt> for ReceiptJson {
    fn from(receipt: &crate::purchases::Receipt) -> Self {
        Self {
            id: receipt.receipt_id.clone(),
            checked_at: receipt.checked_at.and_utc().to_rfc3339(),
            category: receipt.category.clone(),
            query: receipt.query.clone(),
            count: receipt.count,
            matches: receipt.matches.clone(),
            signature: receipt.signature.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Alternatives {
    /// Whether anything reusable is available now.
    pub available: bool,
    /// How many listings match (up to 1 200).
    pub count: i64,
    /// The first matches, newest first.
    pub items: Vec<ItemSummary>,
    /// The same search on the marketplace, for people.
    pub search_url: String,
    /// This check, kept and signed.
    pub receipt: ReceiptJson,
}

/// Reuse before you buy: given a category or keywords, the available listings that could
/// replace a purchase, and a signed receipt of the check. For procurement and e-commerce
/// systems (a token limited to `procurement` may call this).
#[utoipa::path(
    get,
    path = "/api/v1/reuse-before-you-buy",
    operation_id = "reuse_before_you_buy",
    tag = "items",
    params(AlternativesQuery),
    responses(
        (status = 200, description = "Available alternatives to buying new", body = Alternatives),
        (status = 401, description = "No valid token", body = Problem),
        (status = 422, description = "Neither a category nor words, or an unknown category", body = Problem),
    ),
    security(("token" = []))
)]
#[get("/reuse-before-you-buy")]
pub async fn reuse_before_you_buy(
    caller: ApiCaller,
    query: web::Query<AlternativesQuery>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let category = trimmed(&query.category).map(str::to_string);
    let words = trimmed(&query.q).and_then(SearchQuery::parse);
    if category.is_none() && words.is_none() {
        return Err(invalid(vec![FieldError::new(
            "q",
            "api-error-alternatives",
        )]));
    }
    let filter = Filter {
        sort: Sort::default_for(words.as_ref()),
        query: words,
        category_slug: category.clone(),
        condition: None,
        site: None,
        unit_id: None,
        organisation_id: None,
        page: 1,
    };
    let (page, categories) = search(&caller, filter, &app).await?;
    // An unknown category matches nothing; say so rather than answer "nothing available".
    if let Some(slug) = &category
        && !categories.iter().any(|c| &c.slug == slug)
    {
        return Err(invalid(vec![FieldError::new(
            "category",
            "stats-error-category",
        )]));
    }
    let items: Vec<ItemSummary> = page
        .items
        .into_iter()
        .filter(|item| item.status == Status::Available)
        .collect();
    let search_query = serde_urlencoded::to_string([
        ("q", query.q.clone().unwrap_or_default()),
        ("category", category.clone().unwrap_or_default()),
    ])
    .unwrap_or_default();
    let shown = items
        .iter()
        .map(|item| crate::purchases::Shown {
            id: item.id,
            title: item.title.clone(),
        })
        .collect();
    let asked = (
        category.clone().unwrap_or_default(),
        query.q.clone().unwrap_or_default().trim().to_string(),
    );
    let receipt =
        crate::app::purchases::keep_check(&app, caller.viewer, asked, page.total, shown).await?;
    Ok(HttpResponse::Ok().json(Alternatives {
        available: !items.is_empty(),
        count: page.total,
        items,
        search_url: format!("{}/items?{search_query}", app.site.0),
        receipt: (&receipt).into(),
    }))
}

/// One listing the token's owner may see.
#[utoipa::path(
    get,
    path = "/api/v1/items/{id}",
    operation_id = "get_item",
    tag = "items",
    params(("id" = i64, Path, description = "Listing id")),
    responses(
        (status = 200, description = "The listing", body = ItemDetail),
        (status = 401, description = "No valid token", body = Problem),
        (status = 404, description = "No such listing for this person", body = Problem),
    ),
    security(("token" = []))
)]
#[get("/items/{id}")]
pub async fn get_one(
    caller: ApiCaller,
    path: web::Path<ItemId>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let found = listings::visible(&app, caller.viewer, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(detail(caller.language, &app.site.0, found)))
}

/// A listing to post. Photos are added on the web page.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewItem {
    /// One line; line breaks and control characters become spaces.
    #[schema(example = "Kontorsstol med armstöd", min_length = 1, max_length = 120)]
    pub title: String,
    #[serde(default)]
    #[schema(max_length = 5000)]
    pub description: String,
    /// A category slug, e.g. `mobler/kontorsstol`.
    #[schema(example = "mobler/kontorsstol")]
    pub category: String,
    #[schema(pattern = "^(as_new|good|worn|needs_repair)$", example = "good")]
    pub condition: String,
    #[schema(minimum = 1, maximum = 10000, example = 4)]
    pub quantity: i64,
    #[schema(minimum = 1, maximum = 10000)]
    pub width_cm: Option<i64>,
    #[schema(minimum = 1, maximum = 10000)]
    pub depth_cm: Option<i64>,
    #[schema(minimum = 1, maximum = 10000)]
    pub height_cm: Option<i64>,
    /// Per item.
    #[schema(minimum = 0.001, maximum = 5000)]
    pub weight_kg: Option<f64>,
    /// What one item costs new, in SEK.
    #[schema(minimum = 0, maximum = 1000000)]
    pub new_price_sek: Option<f64>,
    #[schema(
        example = "Stadshuset, Kungsgatan 55",
        min_length = 1,
        max_length = 200
    )]
    pub site: String,
    #[serde(default)]
    #[schema(max_length = 100)]
    pub room: String,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub pickup_instructions: String,
    pub available_from: Option<NaiveDate>,
    pub expires_on: Option<NaiveDate>,
    /// `organisation` (default) or `network`.
    #[schema(pattern = "^(organisation|network)$")]
    pub visibility: Option<String>,
    /// Publish at once (default) or keep as a draft.
    #[serde(default = "publish_by_default")]
    pub publish: bool,
}

fn publish_by_default() -> bool {
    true
}

impl NewItem {
    /// The typed draft the web form's text parses into too; both then pass the same rules
    /// ([`ItemInput::validate`]). Slugs and enumerated values that are not known are field
    /// errors, as on the form.
    fn input(&self, categories: &[Category]) -> Result<ItemInput, Vec<FieldError>> {
        let category_id = categories
            .iter()
            .find(|c| c.slug == self.category.trim())
            .map(|c| c.id);
        let mut errors = Vec::new();
        let visibility = match self.visibility.as_deref().map(str::trim) {
            None | Some("") => Visibility::Organisation,
            Some(raw) => Visibility::parse(raw).unwrap_or_else(|| {
                errors.push(FieldError::new("visibility", "item-error-visibility"));
                Visibility::Organisation
            }),
        };
        let draft = DraftInput {
            title: self.title.clone(),
            description: self.description.clone(),
            category_id,
            condition: Condition::parse(self.condition.trim()),
            quantity: Some(self.quantity),
            width_cm: self.width_cm,
            depth_cm: self.depth_cm,
            height_cm: self.height_cm,
            weight_kg: self.weight_kg,
            new_price_sek: self.new_price_sek,
            site: self.site.clone(),
            room: self.room.clone(),
            pickup_instructions: self.pickup_instructions.clone(),
            available_from: self.available_from,
            expires_on: self.expires_on,
            visibility,
            publish: self.publish,
        };
        match ItemInput::validate(draft) {
            Ok(input) if errors.is_empty() => Ok(input),
            Ok(_) => Err(errors),
            Err(mut rules) => {
                rules.append(&mut errors);
                Err(rules)
            }
        }
    }
}

/// Post a listing for the token owner's organisation and unit.
#[utoipa::path(
    post,
    path = "/api/v1/items",
    operation_id = "create_item",
    tag = "items",
    request_body = NewItem,
    responses(
        (status = 201, description = "Listed (or saved as a draft)", body = ItemDetail,
            headers(("Location" = String, description = "The new listing"))),
        (status = 400, description = "The body is not JSON of this shape", body = Problem),
        (status = 401, description = "No valid token", body = Problem),
        (status = 422, description = "A field is missing or wrong", body = Problem),
    ),
    security(("token" = []))
)]
#[post("/items")]
pub async fn create(
    caller: ApiCaller,
    body: web::Json<NewItem>,
    app: web::Data<App>,
) -> Result<HttpResponse, AppError> {
    let viewer = caller.viewer;
    let categories = listings::categories(&app).await?;
    let input = body.input(&categories).map_err(invalid)?;
    let submission = Submission {
        input: Ok(input),
        uploads: Vec::new(),
        oversized: 0,
        too_many: false,
        drafts: Vec::new(),
        alt_text: String::new(),
        remove: Vec::new(),
        alt_texts: Vec::new(),
    };
    let id = match listings::save(&app, viewer, Target::New, &[], submission).await? {
        Saved::Listing(id) => id,
        Saved::Refused { errors, .. } => return Err(invalid(errors)),
    };
    let found = listings::visible(&app, viewer, id).await?;
    let location = format!("/api/v1/items/{id}");
    Ok(HttpResponse::build(StatusCode::CREATED)
        .insert_header((header::LOCATION, location))
        .json(detail(caller.language, &app.site.0, found)))
}
