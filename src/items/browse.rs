//! Finding listings: visibility, filters, full-text search, sort and pages.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;

use quick_cache::sync::Cache;

use diesel::connection::DefaultLoadingMode;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Text};
use serde::Serialize;

use super::nothing_found::Offers;
use super::search::{SearchQuery, decode_weights};
use super::{Condition, Item, Status};
use crate::access::{Reach, Shown, Viewer};
use crate::categories::Category;
use crate::db::schema::{available_counts, items, listing_generation, organisations, units};
use crate::db::{AnyConnection, Backend, CountRows, MultiBackend, TextCondition};
use crate::ids::{CategoryId, ItemId, OrganisationId, UnitId};
use chrono::NaiveDateTime;

pub const PAGE_SIZE: i64 = 24;
/// Matches are paged through up to this many; when they have to be counted one by one (a
/// search, or a filter the kept counts do not cover), they are counted up to it.
pub const COUNT_CAP: i64 = 1200;
/// "My listings" shows this many, newest first.
pub const MY_LISTINGS_LIMIT: i64 = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    /// Best match first (with a query; without one, newest first).
    Relevance,
    #[default]
    Newest,
    Oldest,
    Title,
    MostAvailable,
}

impl Sort {
    pub const ALL: [Sort; 5] = [
        Sort::Relevance,
        Sort::Newest,
        Sort::Oldest,
        Sort::Title,
        Sort::MostAvailable,
    ];

    /// What a page is sorted by when nobody chose: best match for a search, else newest.
    pub fn default_for(query: Option<&SearchQuery>) -> Self {
        if query.is_some() {
            Sort::Relevance
        } else {
            Sort::Newest
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Relevance => "relevance",
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
    pub unit_id: Option<UnitId>,
    pub organisation_id: Option<OrganisationId>,
    pub sort: Sort,
    /// 1-based.
    pub page: i64,
}

impl Filter {
    /// Anything chosen that leaves listings out (sort and page do not).
    pub fn narrows(&self) -> bool {
        self.category_slug.is_some() || self.organisation_id.is_some() || self.narrows_rows()
    }

    /// A choice the kept counts (per organisation, category and visibility) cannot answer:
    /// its matches have to be counted row by row.
    fn narrows_rows(&self) -> bool {
        self.query.is_some()
            || self.condition.is_some()
            || self.site.is_some()
            || self.unit_id.is_some()
    }
}

/// The columns a card shows; the description and pickup details only the item page needs.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = items)]
pub struct CardItem {
    pub id: ItemId,
    pub organisation_id: OrganisationId,
    pub owner_unit_id: Option<UnitId>,
    pub category_id: CategoryId,
    pub title: String,
    pub condition: super::Condition,
    pub quantity_available: i32,
    pub site: String,
    pub status: super::Status,
    /// The first photo, kept on the listing by the database (see the 000007 migration).
    pub cover_photo_key: Option<String>,
    pub cover_photo_alt: Option<String>,
}

/// One card in the grid. The category's name comes from the category list every page has.
#[derive(Debug, Clone, Serialize)]
pub struct Card {
    pub item: CardItem,
    pub organisation_name: String,
    pub unit_name: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Results {
    pub cards: Vec<Card>,
    /// Matches: exact, or counted up to [`COUNT_CAP`].
    pub total: i64,
    /// Counting stopped at [`COUNT_CAP`]: there are more than `total`.
    pub total_is_capped: bool,
    pub page: i64,
    pub pages: i64,
    /// Nothing matched every word as typed; what the best match says was meant.
    pub corrected: Option<String>,
}

/// A category and all below it; none for an unknown slug (so nothing matches).
pub(super) fn category_and_children(all: &[Category], slug: &str) -> Vec<CategoryId> {
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
    pub organisations: HashMap<OrganisationId, String>,
    pub units: HashMap<UnitId, String>,
}

type BoxedItems = items::BoxedQuery<'static, MultiBackend>;

/// How SQLite should find a page of matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Plan {
    /// Walk a browse index in the page's order, checking each listing: quick when matches
    /// are common, as a page fills after a few dozen entries.
    InPageOrder,
    /// Look up each listing the full-text search matched, then sort them: for a search
    /// that matches few, where walking the index would read every listing to fill a page
    /// or to count (100 ms with 100 000 listings, against a few here).
    SearchMatchesFirst,
}

/// Full-text matches (in any state or organisation) up to which [`Plan::SearchMatchesFirst`]
/// is the quicker one: looking up a match costs a few times more than checking an index
/// entry, but counting a rarer word in page order reads the whole index.
const FEW_SEARCH_MATCHES: i64 = 2 * COUNT_CAP;

#[derive(QueryableByName)]
struct SearchMatches {
    #[diesel(sql_type = BigInt)]
    matches: i64,
}

pub(super) fn sqlite_plan(conn: &mut AnyConnection, filter: &Filter) -> QueryResult<Plan> {
    let Some(search) = &filter.query else {
        return Ok(Plan::InPageOrder);
    };
    let counted: SearchMatches = diesel::sql_query(
        "SELECT count(*) AS matches FROM \
         (SELECT rowid FROM items_fts WHERE items_fts MATCH ? LIMIT ?)",
    )
    .bind::<Text, _>(search.to_fts5())
    .bind::<BigInt, _>(FEW_SEARCH_MATCHES + 1)
    .get_result(conn)?;
    Ok(if counted.matches <= FEW_SEARCH_MATCHES {
        Plan::SearchMatchesFirst
    } else {
        Plan::InPageOrder
    })
}

pub(super) fn filtered(
    backend: Backend,
    plan: Plan,
    shown: &Shown,
    filter: &Filter,
    category_ids: Option<&[CategoryId]>,
) -> BoxedItems {
    let query = match plan {
        Plan::InPageOrder => items::table
            .filter(items::status.eq(Status::Available))
            .into_boxed(),
        // The unary plus keeps SQLite off the browse indexes (they all begin with the
        // status), so it looks the matches up by id.
        Plan::SearchMatchesFirst => items::table
            .filter(TextCondition::new(
                "+items.status = ",
                Status::Available.as_str().to_string(),
                "",
            ))
            .into_boxed(),
    };
    let mut query = crate::visible_rows!(query, items, shown);
    if let Some(ids) = category_ids {
        query = match backend {
            // SQLite plans without seeing the bound LIMIT (QPSG, see .cargo/config.toml), so
            // it would pick the category index and sort every match. The unary plus keeps
            // it on the browse index, which is already in the page's order and carries the
            // category: a page reads a few dozen index entries.
            Backend::Sqlite => query.filter(TextCondition::sqlite_in_list(
                "+items.category_id IN (SELECT value FROM json_each(",
                ids,
            )),
            Backend::Postgres => query.filter(items::category_id.eq_any(ids.to_vec())),
        };
    }
    if let Some(condition) = filter.condition {
        query = query.filter(items::condition.eq(condition));
    }
    if let Some(site) = &filter.site {
        query = query.filter(items::site.eq(site.clone()));
    }
    if let Some(unit) = filter.unit_id {
        query = query.filter(items::owner_unit_id.eq(unit));
    }
    if let Some(search) = &filter.query {
        query = match backend {
            Backend::Sqlite => query.filter(TextCondition::new(
                "items.id IN (SELECT rowid FROM items_fts WHERE items_fts MATCH ",
                search.to_fts5(),
                ")",
            )),
            // Deliberately not kept prepared: PostgreSQL would move to a generic plan that
            // cannot see how common the words are, and a common word then took ten times
            // longer (a bitmap scan of every match instead of the browse index in order).
            Backend::Postgres => query.filter(
                sql::<Bool>("items.search_vector @@ to_tsquery('simple', ")
                    .bind::<Text, _>(search.to_tsquery())
                    .sql(")"),
            ),
        };
    }
    query
}

/// What a search runs against, whatever its filter: the kept rankings, the viewer's reach,
/// the category list and the names already known.
pub struct Searching<'a> {
    pub searches: &'a RankedSearches,
    pub reach: &'a Reach,
    pub all_categories: &'a [Category],
    pub known: &'a KnownNames,
}

/// One page of the listings on offer within the viewer's reach that match `filter`.
pub fn browse(
    conn: &mut AnyConnection,
    searching: &Searching<'_>,
    filter: &Filter,
) -> QueryResult<Results> {
    let Searching {
        searches,
        reach,
        all_categories,
        known,
    } = *searching;
    let backend = conn.backend();
    let category_ids = filter
        .category_slug
        .as_deref()
        .map(|slug| category_and_children(all_categories, slug));
    let shown = reach.shown(filter.organisation_id);
    if category_ids.as_ref().is_some_and(Vec::is_empty) || shown.is_nothing() {
        // An unknown category or organisation matches nothing; asking the database would
        // scan every listing.
        return Ok(Results {
            cards: Vec::new(),
            total: 0,
            total_is_capped: false,
            page: 1,
            pages: 1,
            corrected: None,
        });
    }
    if let (Some(query), Sort::Relevance) = (&filter.query, filter.sort) {
        let key = RankKey::new(conn, query, &shown, filter, category_ids.as_deref())?;
        // The first asker ranks; others asking the same meanwhile wait for that ranking
        // instead of each scoring every match (a burst on a new generation would).
        let ranked = searches.ranked.get_or_insert_with(&key, || {
            // Ranking reads every match anyway: SQLite looks them up by id (PostgreSQL
            // plans each search itself).
            let plan = match backend {
                Backend::Sqlite => Plan::SearchMatchesFirst,
                Backend::Postgres => Plan::InPageOrder,
            };
            let every_match = filtered(backend, plan, &shown, filter, category_ids.as_deref());
            rank(conn, query, every_match).map(Arc::new)
        })?;
        return page_of_ranked(conn, &ranked, filter.page, known);
    }
    let plan = match backend {
        Backend::Sqlite => sqlite_plan(conn, filter)?,
        // PostgreSQL plans each search with the word's frequency (see `filtered`).
        Backend::Postgres => Plan::InPageOrder,
    };
    let matching = || filtered(backend, plan, &shown, filter, category_ids.as_deref());
    let (total, total_is_capped) = match kept_count(conn, &shown, filter, category_ids.as_deref())?
    {
        Some(exact) => (exact, false),
        None => {
            // Counting every match costs a scan of all of them; counting up to the cap
            // keeps a search fast with 100 000 listings.
            let counted: i64 =
                CountRows(matching().select(items::id).limit(COUNT_CAP + 1)).get_result(conn)?;
            (counted.min(COUNT_CAP), counted > COUNT_CAP)
        }
    };
    let pages = page_count(total);
    let page = filter.page.clamp(1, pages);
    let found = if shown.organisations().len() == 1 {
        in_order(matching(), filter.sort)
            .select(CardItem::as_select())
            .limit(PAGE_SIZE)
            .offset((page - 1) * PAGE_SIZE)
            .load(conn)?
    } else {
        merged_page(conn, &shown, filter, page, |part| {
            filtered(backend, plan, part, filter, category_ids.as_deref())
        })?
    };
    Ok(Results {
        cards: cards(conn, found, known)?,
        total,
        total_is_capped,
        page,
        pages,
        corrected: None,
    })
}

/// `query` in the page's order. Ties are broken in the browse indexes' own order
/// (…, category_id, id), so a page is read straight from the index: no sort, not even of
/// listings posted at the same moment or of every listing with a popular title.
fn in_order(query: BoxedItems, sort: Sort) -> BoxedItems {
    match sort {
        // Without a query there is nothing to rank by.
        Sort::Relevance | Sort::Newest => query.order((
            items::created_at.desc(),
            items::category_id.desc(),
            items::id.desc(),
        )),
        Sort::Oldest => query.order((
            items::created_at.asc(),
            items::category_id.asc(),
            items::id.asc(),
        )),
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
    }
}

/// The same order as [`in_order`], for rows already read.
fn page_order(
    sort: Sort,
    a: &(CardItem, NaiveDateTime),
    b: &(CardItem, NaiveDateTime),
) -> Ordering {
    let ((x, x_at), (y, y_at)) = (a, b);
    let ties = |x: &CardItem, y: &CardItem| (x.category_id, x.id).cmp(&(y.category_id, y.id));
    match sort {
        Sort::Relevance | Sort::Newest => y_at.cmp(x_at).then_with(|| ties(y, x)),
        Sort::Oldest => x_at.cmp(y_at).then_with(|| ties(x, y)),
        Sort::Title => x.title.cmp(&y.title).then_with(|| ties(x, y)),
        Sort::MostAvailable => y
            .quantity_available
            .cmp(&x.quantity_available)
            .then_with(|| ties(y, x)),
    }
}

/// One page when listings of several organisations are in view: each organisation's are
/// read in index order on their own, as far as the page reaches, and merged. One query over
/// them all (`organisation_id IN (…)`) cannot follow any index's order and sorted every
/// listing on offer (about 30 ms at 20 000 listings, for every page a network member saw).
fn merged_page(
    conn: &mut AnyConnection,
    shown: &Shown,
    filter: &Filter,
    page: i64,
    matching: impl Fn(&Shown) -> BoxedItems,
) -> QueryResult<Vec<CardItem>> {
    let parts = shown
        .own
        .map(|own| Shown {
            own: Some(own),
            partners: Vec::new(),
        })
        .into_iter()
        .chain(shown.partners.iter().map(|&partner| Shown {
            own: None,
            partners: vec![partner],
        }));
    let reach = page * PAGE_SIZE;
    let mut rows: Vec<(CardItem, NaiveDateTime)> = Vec::new();
    for part in parts {
        rows.extend(
            in_order(matching(&part), filter.sort)
                .select((CardItem::as_select(), items::created_at))
                .limit(reach)
                .load::<(CardItem, NaiveDateTime)>(conn)?,
        );
    }
    rows.sort_by(|a, b| page_order(filter.sort, a, b));
    let skip = usize::try_from((page - 1) * PAGE_SIZE).unwrap_or(usize::MAX);
    Ok(rows
        .into_iter()
        .skip(skip)
        .take(PAGE_SIZE as usize)
        .map(|(card, _)| card)
        .collect())
}

/// Searches ranked best match first, kept per instance under the listing generation they
/// were computed at (see the `listing_generation` migration): a listing added, changed or
/// taken anywhere starts a new generation, so a kept ranking is never stale, and paging or
/// asking again costs one small read instead of scoring every match.
pub struct RankedSearches {
    ranked: Cache<RankKey, Arc<Ranking>>,
    /// What searches that found nothing offer instead (see `nothing_found`), kept the same
    /// way: working it out runs several searches.
    pub(super) offers: Cache<RankKey, Arc<Offers>>,
}

impl Default for RankedSearches {
    fn default() -> Self {
        Self {
            ranked: Cache::new(KEPT_RANKINGS),
            offers: Cache::new(KEPT_RANKINGS),
        }
    }
}

/// Rankings kept per instance; each is at most a list of ids.
const KEPT_RANKINGS: usize = 512;

/// A search at one listing generation: everything that decides what it finds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct RankKey {
    generation: i64,
    words: Vec<String>,
    shown: Shown,
    categories: Option<Vec<CategoryId>>,
    condition: Option<Condition>,
    site: Option<String>,
    unit: Option<UnitId>,
}

impl RankKey {
    pub(super) fn new(
        conn: &mut AnyConnection,
        query: &SearchQuery,
        shown: &Shown,
        filter: &Filter,
        category_ids: Option<&[CategoryId]>,
    ) -> QueryResult<Self> {
        let generation: i64 = listing_generation::table
            .find(1)
            .select(listing_generation::generation)
            .first(conn)?;
        Ok(Self {
            generation,
            words: query.words.iter().map(|w| w.typed.clone()).collect(),
            shown: shown.clone(),
            categories: category_ids.map(<[CategoryId]>::to_vec),
            condition: filter.condition,
            site: filter.site.clone(),
            unit: filter.unit_id,
        })
    }
}

/// Pages of [`PAGE_SIZE`] for `total` matches, of which at most [`COUNT_CAP`] are paged
/// through; at least one (the empty page).
fn page_count(total: i64) -> i64 {
    ((total.min(COUNT_CAP) + PAGE_SIZE - 1) / PAGE_SIZE).max(1)
}

/// A search's matches, best first, and what it was meant as if nothing matched exactly.
#[derive(Debug, Default)]
pub struct Ranking {
    ids: Vec<ItemId>,
    /// When no listing has every word as typed: the query as the best match says it was
    /// meant (words replaced by their corrections).
    corrected: Option<String>,
}

/// A search's matches, best first; ties newest first.
fn rank(
    conn: &mut AnyConnection,
    query: &SearchQuery,
    matching: BoxedItems,
) -> QueryResult<Ranking> {
    let looked_at = query.looked_at();
    let mut any_exact = false;
    let mut scored: Vec<Ranked> = Vec::new();
    // The best match's weights, to say what a misspelt query was meant as.
    let mut best: Option<(Ranked, String)> = None;
    // Read as they come: a common word matches thousands, and only the scores are kept.
    let rows = matching
        .select((items::id, items::created_at, items::search_weights))
        .load_iter::<(ItemId, NaiveDateTime, String), DefaultLoadingMode>(conn)?;
    for row in rows {
        let (id, created_at, weights) = row?;
        // A listing not yet indexed with weights (just after an upgrade) is still a
        // match the database found; it goes last until it is indexed again.
        let found = query.score(&looked_at.decode(&weights));
        any_exact |= found.is_none_or(|s| s.exact);
        let ranked = Ranked {
            score: found.map_or(0.0, |s| s.score),
            created_at,
            id,
        };
        if !any_exact && best.as_ref().is_none_or(|(top, _)| ranked.before(top)) {
            best = Some((ranked, weights));
        }
        scored.push(ranked);
    }
    scored.sort_by(Ranked::order);
    let corrected = match best {
        Some((_, weights)) if !any_exact => query.corrected_for(&decode_weights(&weights)),
        _ => None,
    };
    Ok(Ranking {
        ids: scored.into_iter().map(|ranked| ranked.id).collect(),
        corrected,
    })
}

/// A match's place in a ranking.
#[derive(Debug, Clone, Copy)]
struct Ranked {
    score: f32,
    created_at: NaiveDateTime,
    id: ItemId,
}

impl Ranked {
    /// Higher score first, then newer, then the higher id.
    fn before(&self, other: &Self) -> bool {
        self.order(other) == std::cmp::Ordering::Less
    }

    fn order(&self, other: &Self) -> std::cmp::Ordering {
        other
            .score
            .total_cmp(&self.score)
            .then_with(|| other.created_at.cmp(&self.created_at))
            .then_with(|| other.id.cmp(&self.id))
    }
}

fn page_of_ranked(
    conn: &mut AnyConnection,
    ranking: &Ranking,
    wanted_page: i64,
    known: &KnownNames,
) -> QueryResult<Results> {
    let ranked = &ranking.ids;
    // Said as the other orders say it, so changing the order does not change the count.
    let matches = i64::try_from(ranked.len()).unwrap_or(i64::MAX);
    let (total, total_is_capped) = (matches.min(COUNT_CAP), matches > COUNT_CAP);
    let pages = page_count(total);
    let page = wanted_page.clamp(1, pages);
    let start = usize::try_from((page - 1) * PAGE_SIZE).unwrap_or(usize::MAX);
    let ids: Vec<ItemId> = ranked
        .iter()
        .skip(start)
        .take(PAGE_SIZE as usize)
        .copied()
        .collect();
    let on_page = items::table.select(CardItem::as_select()).into_boxed();
    let on_page = match conn.backend() {
        // One JSON bind keeps the statement prepared: an IN list of binds is parsed anew
        // for every page (a tenth of a ranked page's time).
        Backend::Sqlite => on_page.filter(TextCondition::sqlite_in_list(
            "items.id IN (SELECT value FROM json_each(",
            &ids,
        )),
        Backend::Postgres => on_page.filter(items::id.eq_any(ids.clone())),
    };
    let mut found: Vec<CardItem> = on_page.load(conn)?;
    found.sort_by_key(|card| ids.iter().position(|id| *id == card.id));
    Ok(Results {
        cards: cards(conn, found, known)?,
        total,
        total_is_capped,
        page,
        pages,
        corrected: ranking.corrected.clone(),
    })
}

impl Results {
    /// There are more matches than the pages go through ([`COUNT_CAP`]), whether counted
    /// exactly or only up to the cap.
    pub fn more_than_pages(&self) -> bool {
        self.total_is_capped || self.total > COUNT_CAP
    }
}

/// The exact number of matches from the kept counts (see the `available_counts` migration),
/// when the filter is one they cover: any category and organisation, nothing else.
fn kept_count(
    conn: &mut AnyConnection,
    shown: &Shown,
    filter: &Filter,
    category_ids: Option<&[CategoryId]>,
) -> QueryResult<Option<i64>> {
    if filter.narrows_rows() {
        return Ok(None);
    }
    let query = available_counts::table
        .select(available_counts::listings)
        .into_boxed();
    let mut query = crate::visible_rows!(query, available_counts, shown);
    if let Some(ids) = category_ids {
        query = match conn.backend() {
            Backend::Sqlite => query.filter(TextCondition::sqlite_in_list(
                "available_counts.category_id IN (SELECT value FROM json_each(",
                ids,
            )),
            Backend::Postgres => query.filter(available_counts::category_id.eq_any(ids.to_vec())),
        };
    }
    let counts: Vec<i64> = query.load(conn)?;
    Ok(Some(counts.iter().sum()))
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

/// The viewer's saved listings that they may still see, newest saved first. One that was
/// withdrawn, ended or is no longer shared with them drops out (and comes back if it does).
pub fn saved_by(conn: &mut AnyConnection, viewer: &Viewer) -> QueryResult<Vec<Card>> {
    let mut visible = Vec::new();
    for id in super::favourites::of(conn, viewer.user_id)? {
        match super::find_visible(conn, viewer, id) {
            Ok(_) => visible.push(id),
            Err(super::ItemError::Db(error)) => return Err(error),
            Err(_) => {}
        }
    }
    let mut found: Vec<CardItem> = items::table
        .filter(items::id.eq_any(&visible))
        .select(CardItem::as_select())
        .load(conn)?;
    found.sort_by_key(|item| visible.iter().position(|id| *id == item.id));
    cards(conn, found, &KnownNames::default())
}

/// Adds the names each card shows: from `known` or, for those it lacks, one query per kind.
fn cards(
    conn: &mut AnyConnection,
    found: Vec<CardItem>,
    known: &KnownNames,
) -> QueryResult<Vec<Card>> {
    let missing_organisations: Vec<OrganisationId> = found
        .iter()
        .map(|item| item.organisation_id)
        .filter(|id| !known.organisations.contains_key(id))
        .collect();
    let missing_units: Vec<UnitId> = found
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
                .load::<(OrganisationId, String)>(conn)?,
        );
    }
    let mut unit_names = HashMap::new();
    if !missing_units.is_empty() {
        unit_names.extend(
            units::table
                .filter(units::id.eq_any(missing_units))
                .select((units::id, units::name))
                .load::<(UnitId, String)>(conn)?,
        );
    }
    let organisation_name = |id: OrganisationId| {
        known
            .organisations
            .get(&id)
            .or_else(|| organisation_names.get(&id))
            .cloned()
            .unwrap_or_default()
    };
    let unit_name = |id: UnitId| {
        known
            .units
            .get(&id)
            .or_else(|| unit_names.get(&id))
            .cloned()
    };
    Ok(found
        .into_iter()
        .map(|item| Card {
            organisation_name: organisation_name(item.organisation_id),
            unit_name: item.owner_unit_id.and_then(unit_name),
            item,
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
pub fn visible_sites(conn: &mut AnyConnection, reach: &Reach) -> QueryResult<Vec<String>> {
    let filter = Filter::default();
    filtered(
        conn.backend(),
        Plan::InPageOrder,
        &reach.shown(None),
        &filter,
        None,
    )
    .select(items::site)
    .distinct()
    .order(items::site)
    .limit(200)
    .load(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn results(total: i64, total_is_capped: bool) -> Results {
        Results {
            cards: Vec::new(),
            total,
            total_is_capped,
            page: 1,
            pages: 1,
            corrected: None,
        }
    }

    #[test]
    fn the_pages_hint_shows_beyond_the_cap_however_the_total_was_counted() {
        assert!(!results(COUNT_CAP, false).more_than_pages());
        assert!(
            results(COUNT_CAP + 1, false).more_than_pages(),
            "exact total"
        );
        assert!(
            results(COUNT_CAP, true).more_than_pages(),
            "counted up to the cap"
        );
    }

    #[test]
    fn sort_and_page_do_not_narrow_and_only_some_filters_need_counting() {
        let plain = Filter {
            sort: Sort::Title,
            page: 3,
            ..Filter::default()
        };
        assert!(!plain.narrows());
        let by_category = Filter {
            category_slug: Some("mobler".into()),
            organisation_id: Some(OrganisationId(2)),
            ..Filter::default()
        };
        assert!(by_category.narrows());
        assert!(!by_category.narrows_rows(), "the kept counts answer it");
        let by_site = Filter {
            site: Some("Stadshuset".into()),
            ..Filter::default()
        };
        assert!(by_site.narrows() && by_site.narrows_rows());
    }
}
