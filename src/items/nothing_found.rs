//! What a search that finds nothing offers instead of an empty page: the query respelled,
//! if a respelling finds something, and categories to look in.

use std::collections::HashMap;
use std::sync::Arc;

use diesel::prelude::*;

use super::browse::{self, COUNT_CAP, Filter, Plan, RankKey, Searching};
use super::search::{Field, IndexTerms, SearchQuery, decode_weights};
use crate::access::Shown;
use crate::categories::Category;
use crate::db::schema::{available_counts, items};
use crate::db::{AnyConnection, Backend};
use crate::ids::CategoryId;

/// Respellings tried, the likeliest first; each is one ranked search.
const RESPELLINGS_TRIED: usize = 4;
const CATEGORIES_OFFERED: usize = 5;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Offers {
    /// The query one edit away ("hylla" for "hylsa"), if that finds something with the
    /// same filters.
    pub respelled: Option<String>,
    /// Categories with listings on offer, most first: those where the search (or its
    /// respelling) finds something once the other filters are dropped; if it finds nothing
    /// anywhere, those whose names share a word or a compound's part with it (a search for
    /// "skrivbordsstol" offers desks and office chairs).
    pub categories: Vec<(CategoryId, i64)>,
    /// The search finds listings in `categories` (else they only have similar names).
    pub finds_there: bool,
}

/// What to offer for a search with `filter` that found nothing.
pub fn offers(
    conn: &mut AnyConnection,
    searching: &Searching<'_>,
    filter: &Filter,
) -> QueryResult<Offers> {
    let Some(query) = &filter.query else {
        return Ok(Offers::default());
    };
    let category_ids = filter
        .category_slug
        .as_deref()
        .map(|slug| browse::category_and_children(searching.all_categories, slug));
    let shown = searching.reach.shown(filter.organisation_id);
    let key = RankKey::new(conn, query, &shown, filter, category_ids.as_deref())?;
    let offers = searching.searches.offers.get_or_insert_with(&key, || {
        work_out(conn, searching, filter, query).map(Arc::new)
    })?;
    Ok(Offers::clone(&offers))
}

fn work_out(
    conn: &mut AnyConnection,
    searching: &Searching<'_>,
    filter: &Filter,
    query: &SearchQuery,
) -> QueryResult<Offers> {
    let all_categories = searching.all_categories;
    let mut respelled = None;
    for candidate in query.respellings().into_iter().take(RESPELLINGS_TRIED) {
        let Some(parsed) = SearchQuery::parse(&candidate) else {
            continue;
        };
        let attempt = Filter {
            query: Some(parsed.clone()),
            page: 1,
            ..filter.clone()
        };
        if browse::browse(conn, searching, &attempt)?.total > 0 {
            respelled = Some((candidate, parsed));
            break;
        }
    }
    let search = respelled.as_ref().map_or(query, |(_, parsed)| parsed);
    let shown = searching.reach.shown(None);
    let selected = filter
        .category_slug
        .as_deref()
        .and_then(|slug| all_categories.iter().find(|c| c.slug == slug))
        .map(|c| c.id);
    let mut categories = categories_with_matches(conn, &shown, search)?;
    categories.retain(|(id, _)| Some(*id) != selected);
    let finds_there = !categories.is_empty();
    if !finds_there {
        categories = categories_named_like(conn, &shown, search, all_categories)?;
    }
    categories.truncate(CATEGORIES_OFFERED);
    Ok(Offers {
        respelled: respelled.map(|(text, _)| text),
        categories,
        finds_there,
    })
}

/// The categories of the listings on offer that `search` finds, with how many (up to
/// [`COUNT_CAP`] listings looked at), most first.
fn categories_with_matches(
    conn: &mut AnyConnection,
    shown: &Shown,
    search: &SearchQuery,
) -> QueryResult<Vec<(CategoryId, i64)>> {
    let filter = Filter {
        query: Some(search.clone()),
        ..Filter::default()
    };
    let backend = conn.backend();
    let plan = match backend {
        Backend::Sqlite => browse::sqlite_plan(conn, &filter)?,
        Backend::Postgres => Plan::InPageOrder,
    };
    let found: Vec<CategoryId> = browse::filtered(backend, plan, shown, &filter, None)
        .select(items::category_id)
        .limit(COUNT_CAP)
        .load(conn)?;
    let mut counts: HashMap<CategoryId, i64> = HashMap::new();
    for id in found {
        *counts.entry(id).or_default() += 1;
    }
    Ok(most_first(counts))
}

/// Categories with listings on offer whose names, in any language, have one of the terms
/// of `search`'s words, a compound's parts each on their own.
fn categories_named_like(
    conn: &mut AnyConnection,
    shown: &Shown,
    search: &SearchQuery,
    all_categories: &[Category],
) -> QueryResult<Vec<(CategoryId, i64)>> {
    let query = available_counts::table
        .select((available_counts::category_id, available_counts::listings))
        .into_boxed();
    let offered: Vec<(CategoryId, i64)> = crate::visible_rows!(query, available_counts, shown)
        .filter(available_counts::listings.gt(0))
        .load(conn)?;
    let mut counts: HashMap<CategoryId, i64> = HashMap::new();
    for (id, listings) in offered {
        *counts.entry(id).or_default() += listings;
    }
    counts.retain(|id, _| {
        all_categories
            .iter()
            .find(|category| category.id == *id)
            .is_some_and(|category| {
                let encoded =
                    IndexTerms::new(&[(Field::Category, &super::names_of(category))]).encoded();
                let weights = decode_weights(&encoded);
                search
                    .words
                    .iter()
                    .flat_map(|word| word.terms())
                    .any(|term| weights.contains_key(term))
            })
    });
    Ok(most_first(counts))
}

fn most_first(counts: HashMap<CategoryId, i64>) -> Vec<(CategoryId, i64)> {
    let mut counts: Vec<(CategoryId, i64)> = counts.into_iter().collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    counts
}
