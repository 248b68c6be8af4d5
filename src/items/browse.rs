//! Finding listings: visibility, filters, full-text search, sort and pages.

use std::collections::HashMap;

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Text};
use serde::Serialize;

use super::search::SearchQuery;
use super::{Condition, Item, Status, Viewer, Visibility};
use crate::categories::Category;
use crate::db::schema::{item_photos, items, organisations, units};
use crate::db::{AnyConnection, Backend, CountRows, MultiBackend};

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

/// The columns a card shows; the description and pickup details only the item page needs.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = items)]
pub struct CardItem {
    pub id: i64,
    pub organisation_id: i64,
    pub owner_unit_id: Option<i64>,
    pub category_id: i64,
    pub title: String,
    pub condition: String,
    pub quantity_available: i32,
    pub site: String,
    pub status: String,
}

/// One card in the grid. The category's name comes from the category list every page has.
#[derive(Debug, Clone, Serialize)]
pub struct Card {
    pub item: CardItem,
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

/// A category and all below it; none for an unknown slug (so nothing matches).
fn category_and_children(all: &[Category], slug: &str) -> Vec<i64> {
    let Some(id) = all.iter().find(|c| c.slug == slug).map(|c| c.id) else {
        return Vec::new();
    };
    let mut ids = vec![id];
    ids.extend(all.iter().filter(|c| c.parent_id == Some(id)).map(|c| c.id));
    ids
}

/// Names a page has already loaded (its filter lists), so its cards need not query them.
#[derive(Debug, Default)]
pub struct KnownNames {
    pub organisations: HashMap<i64, String>,
    pub units: HashMap<i64, String>,
}

type BoxedItems = items::BoxedQuery<'static, MultiBackend>;

fn filtered(
    backend: Backend,
    viewer: &Viewer,
    partners: &[i64],
    filter: &Filter,
    category_ids: Option<&[i64]>,
) -> BoxedItems {
    let mut query = items::table
        .filter(items::status.eq(Status::Available.as_str()))
        .into_boxed();
    if partners.is_empty() {
        // An equality (not a one-element IN, which PostgreSQL turns into `= ANY` and then
        // sorts every match) lets both databases read the rows in index order.
        query = query.filter(items::organisation_id.eq(viewer.organisation_id));
    } else {
        // The IN list lets the (status, organisation_id, …) indexes find the rows; the OR
        // then only drops partners' listings that are not shared.
        let mut visible_organisations = vec![viewer.organisation_id];
        visible_organisations.extend_from_slice(partners);
        query = query
            .filter(items::organisation_id.eq_any(visible_organisations))
            .filter(
                items::organisation_id
                    .eq(viewer.organisation_id)
                    .or(items::visibility.eq(Visibility::Network.as_str())),
            );
    }
    if let Some(ids) = category_ids {
        query = match backend {
            // SQLite plans without seeing the bound LIMIT (QPSG, see .cargo/config.toml), so
            // it would pick the category index and sort every match. The unary plus keeps
            // it on the browse index, which is already in the page's order and carries the
            // category: a page reads a few dozen index entries.
            Backend::Sqlite => {
                query.filter(sql::<BigInt>("+items.category_id").eq_any(ids.to_vec()))
            }
            Backend::Postgres => query.filter(items::category_id.eq_any(ids.to_vec())),
        };
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

/// One page of the listings `viewer` may see. `partners` are from [`partner_ids`],
/// `all_categories` from the category list.
pub fn browse(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    partners: &[i64],
    filter: &Filter,
    all_categories: &[Category],
    known: &KnownNames,
) -> QueryResult<Results> {
    let backend = conn.backend();
    let category_ids = filter
        .category_slug
        .as_deref()
        .map(|slug| category_and_children(all_categories, slug));
    // Counting every match costs a scan of all of them; counting up to a cap keeps a page
    // fast with 100 000 listings, and nobody pages through more than the cap anyway.
    let counted: i64 = CountRows(
        filtered(backend, viewer, partners, filter, category_ids.as_deref())
            .select(items::id)
            .limit(COUNT_CAP + 1),
    )
    .get_result(conn)?;
    let total_is_capped = counted > COUNT_CAP;
    let total = counted.min(COUNT_CAP);
    let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let page = filter.page.clamp(1, pages);
    let query = filtered(backend, viewer, partners, filter, category_ids.as_deref());
    let query = match filter.sort {
        Sort::Newest => query.order((items::created_at.desc(), items::id.desc())),
        Sort::Oldest => query.order((items::created_at.asc(), items::id.asc())),
        // Ties are broken in the browse indexes' own order (…, category_id, id), so a page of
        // a popular title reads only its own rows instead of sorting every listing so named.
        Sort::Title => query.order((
            items::title.asc(),
            items::category_id.asc(),
            items::id.asc(),
        )),
        Sort::MostAvailable => query.order((
            items::quantity_available.desc(),
            items::category_id.desc(),
            items::id.desc(),
        )),
    };
    let found: Vec<CardItem> = query
        .select(CardItem::as_select())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
        .load(conn)?;
    Ok(Results {
        cards: cards(conn, found, known)?,
        total,
        total_is_capped,
        page,
        pages,
    })
}

/// The viewer's own listings in every state, newest first.
pub fn listed_by(conn: &mut AnyConnection, viewer: &Viewer) -> QueryResult<Vec<Card>> {
    let found: Vec<CardItem> = items::table
        .filter(items::created_by.eq(viewer.user_id))
        .filter(items::organisation_id.eq(viewer.organisation_id))
        .order((items::updated_at.desc(), items::id.desc()))
        .limit(MY_LISTINGS_LIMIT)
        .select(CardItem::as_select())
        .load(conn)?;
    cards(conn, found, &KnownNames::default())
}

/// Adds the names and first photo each card shows: the photos with one query, names from
/// `known` or, for those it lacks, one query per kind.
pub fn cards(
    conn: &mut AnyConnection,
    found: Vec<CardItem>,
    known: &KnownNames,
) -> QueryResult<Vec<Card>> {
    let ids: Vec<i64> = found.iter().map(|item| item.id).collect();
    let missing_organisations: Vec<i64> = found
        .iter()
        .map(|item| item.organisation_id)
        .filter(|id| !known.organisations.contains_key(id))
        .collect();
    let missing_units: Vec<i64> = found
        .iter()
        .filter_map(|item| item.owner_unit_id)
        .filter(|id| !known.units.contains_key(id))
        .collect();

    let mut organisation_names = HashMap::new();
    if !missing_organisations.is_empty() {
        organisation_names.extend(
            organisations::table
                .filter(organisations::id.eq_any(missing_organisations))
                .select((organisations::id, organisations::name))
                .load::<(i64, String)>(conn)?,
        );
    }
    let mut unit_names = HashMap::new();
    if !missing_units.is_empty() {
        unit_names.extend(
            units::table
                .filter(units::id.eq_any(missing_units))
                .select((units::id, units::name))
                .load::<(i64, String)>(conn)?,
        );
    }
    let organisation_name = |id: i64| {
        known
            .organisations
            .get(&id)
            .or_else(|| organisation_names.get(&id))
            .cloned()
            .unwrap_or_default()
    };
    let unit_name = |id: i64| {
        known
            .units
            .get(&id)
            .or_else(|| unit_names.get(&id))
            .cloned()
    };
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
            let photo = first_photos.get(&item.id).cloned();
            Card {
                organisation_name: organisation_name(item.organisation_id),
                unit_name: item.owner_unit_id.and_then(unit_name),
                photo_key: photo.as_ref().map(|(key, _)| key.clone()),
                photo_alt: photo.map(|(_, alt)| alt),
                item,
            }
        })
        .collect())
}

/// The names of the organisation and unit that list `item`.
pub fn owner_names(conn: &mut AnyConnection, item: &Item) -> QueryResult<(String, Option<String>)> {
    let organisation = organisations::table
        .find(item.organisation_id)
        .select(organisations::name)
        .first(conn)?;
    let unit = match item.owner_unit_id {
        Some(id) => units::table
            .find(id)
            .select(units::name)
            .first(conn)
            .optional()?,
        None => None,
    };
    Ok((organisation, unit))
}

/// The sites of listings the viewer can see, for the site filter.
pub fn visible_sites(
    conn: &mut AnyConnection,
    viewer: &Viewer,
    partners: &[i64],
) -> QueryResult<Vec<String>> {
    let filter = Filter::default();
    filtered(conn.backend(), viewer, partners, &filter, None)
        .select(items::site)
        .distinct()
        .order(items::site)
        .limit(200)
        .load(conn)
}
