//! Finding listings: visibility, filters, full-text search, sort and pages.

use std::collections::HashMap;

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};
use serde::Serialize;

use super::search::SearchQuery;
use super::{Condition, Item, Status, Viewer, Visibility};
use crate::db::schema::{categories, item_photos, items, organisations, units};
use crate::db::{AnyConnection, Backend, MultiBackend};

pub const PAGE_SIZE: i64 = 24;
/// Matches are counted up to this many (and paged through up to it).
pub const COUNT_CAP: i64 = 1200;
/// "My listings" shows this many, newest first.
pub const MY_LISTINGS_LIMIT: i64 = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    #[default]
    Newest,
    Oldest,
    Title,
    MostAvailable,
}

impl Sort {
    pub const ALL: [Sort; 4] = [Sort::Newest, Sort::Oldest, Sort::Title, Sort::MostAvailable];

    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Newest => "newest",
            Sort::Oldest => "oldest",
            Sort::Title => "title",
            Sort::MostAvailable => "most_available",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub query: Option<SearchQuery>,
    pub category_slug: Option<String>,
    pub condition: Option<Condition>,
    pub site: Option<String>,
    pub unit_id: Option<i64>,
    pub organisation_id: Option<i64>,
    pub sort: Sort,
    /// 1-based.
    pub page: i64,
}

/// One card in the grid.
#[derive(Debug, Clone, Serialize)]
pub struct Card {
    pub item: Item,
    pub category_slug: String,
    pub category_name: String,
    pub organisation_name: String,
    pub unit_name: Option<String>,
    pub photo_key: Option<String>,
    pub photo_alt: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Results {
    pub cards: Vec<Card>,
    /// Matches, counted up to [`COUNT_CAP`].
    pub total: i64,
    /// There are more than [`COUNT_CAP`] matches.
    pub total_is_capped: bool,
    pub page: i64,
    pub pages: i64,
}

/// Organisations whose network-shared listings the viewer sees.
pub fn partner_ids(conn: &mut AnyConnection, viewer: &Viewer) -> QueryResult<Vec<i64>> {
    match viewer.network_id {
        Some(network) => organisations::table
            .filter(organisations::network_id.eq(network))
            .filter(organisations::id.ne(viewer.organisation_id))
            .select(organisations::id)
            .load(conn),
        None => Ok(Vec::new()),
    }
}

/// A category and all below it.
fn category_and_children(conn: &mut AnyConnection, slug: &str) -> QueryResult<Vec<i64>> {
    let Some(id) = categories::table
        .filter(categories::slug.eq(slug))
        .select(categories::id)
        .first::<i64>(conn)
        .optional()?
    else {
        return Ok(Vec::new());
    };
    let mut ids = vec![id];
    ids.extend(
        categories::table
            .filter(categories::parent_id.eq(id))
            .select(categories::id)
            .load::<i64>(conn)?,
    );
    Ok(ids)
}

type BoxedItems = items::BoxedQuery<'static, MultiBackend>;

fn filtered(
    backend: Backend,
    viewer: &Viewer,
    partners: &[i64],
    filter: &Filter,
    category_ids: Option<&[i64]>,
) -> BoxedItems {
    // The IN list lets the (status, organisation_id, created_at) index find and order the
    // rows; the OR then only drops partners' listings that are not shared.
    let mut visible_organisations = vec![viewer.organisation_id];
    visible_organisations.extend_from_slice(partners);
    let mut query = items::table
        .filter(items::status.eq(Status::Available.as_str()))
        .filter(items::organisation_id.eq_any(visible_organisations))
        .into_boxed();
    if !partners.is_empty() {
        query = query.filter(
            items::organisation_id
                .eq(viewer.organisation_id)
                .or(items::visibility.eq(Visibility::Network.as_str())),
        );
    }
    if let Some(ids) = category_ids {
        query = query.filter(items::category_id.eq_any(ids.to_vec()));
    }
    if let Some(condition) = filter.condition {
        query = query.filter(items::condition.eq(condition.as_str()));
    }
    if let Some(site) = &filter.site {
        query = query.filter(items::site.eq(site.clone()));
    }
    if let Some(unit) = filter.unit_id {
        query = query.filter(items::owner_unit_id.eq(unit));
    }
    if let Some(organisation) = filter.organisation_id {
        query = query.filter(items::organisation_id.eq(organisation));
    }
    if let Some(search) = &filter.query {
        query = match backend {
            Backend::Sqlite => query.filter(
                sql::<Bool>("items.id IN (SELECT rowid FROM items_fts WHERE items_fts MATCH ")
                    .bind::<Text, _>(search.to_fts5())
                    .sql(")"),
            ),
            Backend::Postgres => query.filter(
                sql::<Bool>("items.search_vector @@ to_tsquery('simple', ")
                    .bind::<Text, _>(search.to_tsquery())
                    .sql(")"),
            ),
        };
    }
    query
}

pub fn browse(conn: &mut AnyConnection, viewer: &Viewer, filter: &Filter) -> QueryResult<Results> {
    let backend = conn.backend();
    let partners = partner_ids(conn, viewer)?;
    let category_ids = match &filter.category_slug {
        Some(slug) => Some(category_and_children(conn, slug)?),
        None => None,
    };
    // Counting every match costs a scan of all of them; counting up to a cap keeps a page
    // fast with 100 000 listings, and nobody pages through more than the cap anyway.
    let counted: i64 = filtered(backend, viewer, &partners, filter, category_ids.as_deref())
        .select(items::id)
        .limit(COUNT_CAP + 1)
        .load::<i64>(conn)?
        .len()
        .try_into()
        .unwrap_or(COUNT_CAP + 1);
    let total_is_capped = counted > COUNT_CAP;
    let total = counted.min(COUNT_CAP);
    let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let page = filter.page.clamp(1, pages);
    let query = filtered(backend, viewer, &partners, filter, category_ids.as_deref());
    let query = match filter.sort {
        Sort::Newest => query.order((items::created_at.desc(), items::id.desc())),
        Sort::Oldest => query.order((items::created_at.asc(), items::id.asc())),
        Sort::Title => query.order((items::title.asc(), items::id.asc())),
        Sort::MostAvailable => query.order((items::quantity_available.desc(), items::id.desc())),
    };
    let found: Vec<Item> = query
        .select(Item::as_select())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
        .load(conn)?;
    Ok(Results {
        cards: cards(conn, found)?,
        total,
        total_is_capped,
        page,
        pages,
    })
}

/// The viewer's own listings in every state, newest first.
pub fn listed_by(conn: &mut AnyConnection, viewer: &Viewer) -> QueryResult<Vec<Card>> {
    let found: Vec<Item> = items::table
        .filter(items::created_by.eq(viewer.user_id))
        .filter(items::organisation_id.eq(viewer.organisation_id))
        .order((items::updated_at.desc(), items::id.desc()))
        .limit(MY_LISTINGS_LIMIT)
        .select(Item::as_select())
        .load(conn)?;
    cards(conn, found)
}

/// Adds the names and first photo each card shows, with one query per kind.
pub fn cards(conn: &mut AnyConnection, found: Vec<Item>) -> QueryResult<Vec<Card>> {
    let ids: Vec<i64> = found.iter().map(|item| item.id).collect();
    let category_ids: Vec<i64> = found.iter().map(|item| item.category_id).collect();
    let organisation_ids: Vec<i64> = found.iter().map(|item| item.organisation_id).collect();
    let unit_ids: Vec<i64> = found.iter().filter_map(|item| item.owner_unit_id).collect();

    let category_names: HashMap<i64, (String, String)> = categories::table
        .filter(categories::id.eq_any(category_ids))
        .select((categories::id, categories::slug, categories::name))
        .load::<(i64, String, String)>(conn)?
        .into_iter()
        .map(|(id, slug, name)| (id, (slug, name)))
        .collect();
    let organisation_names: HashMap<i64, String> = organisations::table
        .filter(organisations::id.eq_any(organisation_ids))
        .select((organisations::id, organisations::name))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    let unit_names: HashMap<i64, String> = units::table
        .filter(units::id.eq_any(unit_ids))
        .select((units::id, units::name))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    let mut first_photos: HashMap<i64, (String, String)> = HashMap::new();
    for (item_id, key, alt) in item_photos::table
        .filter(item_photos::item_id.eq_any(ids))
        .order((
            item_photos::item_id,
            item_photos::position.desc(),
            item_photos::id.desc(),
        ))
        .select((
            item_photos::item_id,
            item_photos::photo_key,
            item_photos::alt_text,
        ))
        .load::<(i64, String, String)>(conn)?
    {
        // Ordered so the lowest position is inserted last and wins.
        first_photos.insert(item_id, (key, alt));
    }
    Ok(found
        .into_iter()
        .map(|item| {
            let (category_slug, category_name) = category_names
                .get(&item.category_id)
                .cloned()
                .unwrap_or_default();
            let photo = first_photos.get(&item.id).cloned();
            Card {
                organisation_name: organisation_names
                    .get(&item.organisation_id)
                    .cloned()
                    .unwrap_or_default(),
                unit_name: item
                    .owner_unit_id
                    .and_then(|id| unit_names.get(&id).cloned()),
                category_slug,
                category_name,
                photo_key: photo.as_ref().map(|(key, _)| key.clone()),
                photo_alt: photo.map(|(_, alt)| alt),
                item,
            }
        })
        .collect())
}

/// The sites of listings the viewer can see, for the site filter.
pub fn visible_sites(conn: &mut AnyConnection, viewer: &Viewer) -> QueryResult<Vec<String>> {
    let partners = partner_ids(conn, viewer)?;
    let filter = Filter::default();
    filtered(conn.backend(), viewer, &partners, &filter, None)
        .select(items::site)
        .distinct()
        .order(items::site)
        .limit(200)
        .load(conn)
}
