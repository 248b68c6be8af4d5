//! Reference data that every listing page shows but that changes rarely: the category list
//! and their figures,
//! and per set of visible organisations their names, the sites of their listings and the
//! viewer's units. Each instance keeps them for a minute, so a new site or unit or a renamed
//! organisation shows up in the filters within that time on every instance.
//!
//! When an entry is due, the first request to notice reloads it and the others keep using
//! the old one meanwhile: under load, dozens of requests would otherwise all run the same
//! scan at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::QueryResult;

use serde::Serialize;

use crate::access::Reach;
use crate::categories::{self, Category, Choice, FactorBook, category_choices, category_name};
use crate::db::AnyConnection;
use crate::i18n::Language;
use crate::ids::{CategoryId, OrganisationId, UnitId};
use crate::items::browse;
use crate::organisations;

const TTL: Duration = Duration::from_secs(60);
/// Distinct sets of visible organisations kept; far above what a network has.
const MAX_VISIBLE_SETS: usize = 1000;

/// What the filters offer to people who see the same organisations.
#[derive(Debug, PartialEq, Eq, Hash, Serialize)]
pub struct VisibleChoices {
    /// The viewer's organisation first, then its partners.
    pub organisations: Vec<(OrganisationId, String)>,
    pub sites: Vec<String>,
    /// The viewer's organisation's units.
    pub units: Vec<(UnitId, String)>,
}

/// The categories' names and select choices in one language.
#[derive(Debug)]
pub(crate) struct CategoryTexts {
    pub names: HashMap<CategoryId, String>,
    pub choices: Arc<[Choice]>,
}

/// Category texts per language, for the category list they were worked out from.
type KeptCategoryTexts = (
    Arc<Vec<Category>>,
    [Option<Arc<CategoryTexts>>; Language::ALL.len()],
);

/// A cached value and when it is due for reloading.
struct Entry<T> {
    due: Instant,
    value: Arc<T>,
}

enum Lookup<T> {
    Fresh(Arc<T>),
    /// The caller is the one to reload; the old value serves if reloading fails.
    Due(Arc<T>),
}

/// A due entry is handed to one caller to reload; everyone else gets the old value meanwhile.
fn lookup<T>(entry: &mut Entry<T>) -> Lookup<T> {
    let now = Instant::now();
    if now < entry.due {
        return Lookup::Fresh(entry.value.clone());
    }
    // Whoever reloads has this long before someone else tries too (if it failed).
    entry.due = now + TTL / 4;
    Lookup::Due(entry.value.clone())
}

type Slot<T> = Mutex<Option<Entry<T>>>;

/// The value kept in `slot`, reloaded with `load` when due (the old one serves if that
/// fails).
fn kept<T>(slot: &Slot<T>, load: impl FnOnce() -> QueryResult<T>) -> QueryResult<Arc<T>> {
    let stale = match slot.lock() {
        Ok(mut cached) => match cached.as_mut().map(lookup) {
            Some(Lookup::Fresh(fresh)) => return Ok(fresh),
            Some(Lookup::Due(stale)) => Some(stale),
            None => None,
        },
        Err(_) => None,
    };
    let value = match load() {
        Ok(value) => Arc::new(value),
        Err(error) => return stale.ok_or(error),
    };
    if let Ok(mut cached) = slot.lock() {
        *cached = Some(Entry {
            due: Instant::now() + TTL,
            value: value.clone(),
        });
    }
    Ok(value)
}

#[derive(Default)]
pub struct Catalog {
    categories: Slot<Vec<Category>>,
    factors: Slot<FactorBook>,
    visible: Mutex<HashMap<Vec<OrganisationId>, Entry<VisibleChoices>>>,
    category_texts: Mutex<Option<KeptCategoryTexts>>,
}

impl Catalog {
    /// All categories in display order.
    pub fn categories(&self, conn: &mut AnyConnection) -> QueryResult<Arc<Vec<Category>>> {
        kept(&self.categories, || categories::list_all(conn))
    }

    /// Every version of every category's figures, to resolve what applies to whom.
    pub fn factors(&self, conn: &mut AnyConnection) -> QueryResult<Arc<FactorBook>> {
        kept(&self.factors, || categories::versions::load_book(conn))
    }

    /// After a change of categories or figures: this instance shows it at once (others
    /// within the minute).
    pub fn forget_categories(&self) {
        if let Ok(mut cached) = self.categories.lock() {
            *cached = None;
        }
        if let Ok(mut cached) = self.factors.lock() {
            *cached = None;
        }
    }

    /// Names and choices for `categories` (as returned by [`Catalog::categories`]) in
    /// `language`; worked out once per loaded list and language.
    pub(crate) fn category_texts(
        &self,
        categories: &Arc<Vec<Category>>,
        language: Language,
    ) -> Arc<CategoryTexts> {
        let Ok(mut kept) = self.category_texts.lock() else {
            return Arc::new(CategoryTexts::new(categories, language));
        };
        // The kept list is held here, so the same pointer means the same list.
        let per_language = match kept.as_mut() {
            Some((list, per_language)) if Arc::ptr_eq(list, categories) => per_language,
            _ => &mut kept.insert((categories.clone(), Default::default())).1,
        };
        per_language[language as usize]
            .get_or_insert_with(|| Arc::new(CategoryTexts::new(categories, language)))
            .clone()
    }

    /// Organisations, sites and units for a viewer who sees `reach`.
    pub fn visible(
        &self,
        conn: &mut AnyConnection,
        reach: &Reach,
    ) -> QueryResult<Arc<VisibleChoices>> {
        let key = reach.organisations();
        let stale = match self.visible.lock() {
            Ok(mut cached) => match cached.get_mut(&key).map(lookup) {
                Some(Lookup::Fresh(fresh)) => return Ok(fresh),
                Some(Lookup::Due(stale)) => Some(stale),
                None => None,
            },
            Err(_) => None,
        };
        let choices = match load_visible(conn, reach) {
            Ok(choices) => Arc::new(choices),
            Err(error) => return stale.ok_or(error),
        };
        if let Ok(mut cached) = self.visible.lock() {
            if cached.len() >= MAX_VISIBLE_SETS {
                cached.clear();
            }
            let entry = Entry {
                due: Instant::now() + TTL,
                value: choices.clone(),
            };
            cached.insert(key, entry);
        }
        Ok(choices)
    }
}

fn load_visible(conn: &mut AnyConnection, reach: &Reach) -> QueryResult<VisibleChoices> {
    let organisation_ids = reach.organisations();
    let mut organisations = Vec::with_capacity(organisation_ids.len());
    for id in organisation_ids {
        if let Some(organisation) = organisations::find(conn, id)? {
            organisations.push((organisation.id, organisation.name));
        }
    }
    Ok(VisibleChoices {
        organisations,
        sites: browse::visible_sites(conn, reach)?,
        units: organisations::units_of(conn, reach.own)?
            .into_iter()
            .map(|unit| (unit.id, unit.name))
            .collect(),
    })
}

impl CategoryTexts {
    fn new(categories: &[Category], language: Language) -> Self {
        Self {
            names: categories
                .iter()
                .map(|category| (category.id, category_name(language, category)))
                .collect(),
            choices: category_choices(language, categories).into(),
        }
    }
}
