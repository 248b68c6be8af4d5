//! Listing cards, the grid that browse and "my listings" show.
//!
//! A card's HTML depends on nothing but what the card shows, so each distinct card is
//! rendered once per instance and kept, keyed by its whole content: an edit, a new quantity
//! or a renamed unit makes a different key and so a freshly rendered card, and nothing ever
//! needs invalidating. The data still comes from the database on every request; what is
//! saved is running the template interpreter 24 times a page over the same text.

use std::collections::HashMap;
use std::sync::Arc;

use quick_cache::sync::Cache;
use serde::Serialize;
use tera::{Context, Tera};

use super::home::category_name;
use crate::categories::Category;
use crate::i18n::Language;
use crate::items::browse::Card;

/// Distinct cards kept per instance: about 1 KB each, so a few megabytes.
const KEPT_CARDS: usize = 4096;

/// A card as the template shows it, every text already in the page's language.
#[derive(Serialize, Clone, PartialEq, Eq, Hash)]
pub struct CardView {
    id: i64,
    title: String,
    photo_key: Option<String>,
    photo_alt: String,
    available: String,
    category: String,
    condition: String,
    site: String,
    organisation: String,
    unit: Option<String>,
    /// Only on "my listings": the listing's state and the edit link's text.
    status: Option<String>,
    edit_label: Option<String>,
}

impl CardView {
    /// A card in the browse grid.
    pub fn for_browse(
        language: Language,
        card: &Card,
        categories: &HashMap<i64, &Category>,
    ) -> CardView {
        let category = categories
            .get(&card.item.category_id)
            .map(|c| category_name(language, c))
            .unwrap_or_default();
        CardView {
            id: card.item.id,
            title: card.item.title.clone(),
            photo_key: card.item.cover_photo_key.clone(),
            photo_alt: card.item.cover_photo_alt.clone().unwrap_or_default(),
            available: language.text_with(
                "item-available-count",
                &[("count", card.item.quantity_available.into())],
            ),
            category,
            condition: language.text(&format!("condition-{}", card.item.condition)),
            site: card.item.site.clone(),
            organisation: card.organisation_name.clone(),
            unit: card.unit_name.clone(),
            status: None,
            edit_label: None,
        }
    }

    /// A card on "my listings": its state and an edit link instead of where it is.
    pub fn for_owner(
        language: Language,
        card: &Card,
        categories: &HashMap<i64, &Category>,
    ) -> CardView {
        CardView {
            status: Some(language.text(&format!("status-{}", card.item.status))),
            edit_label: Some(language.text("item-edit")),
            ..Self::for_browse(language, card, categories)
        }
    }
}

/// Rendered cards, shared by the instance's workers (kept by [`super::Views`]).
pub struct Cards {
    rendered: Cache<CardView, Arc<str>>,
}

impl Default for Cards {
    fn default() -> Self {
        Self {
            rendered: Cache::new(KEPT_CARDS),
        }
    }
}

impl Cards {
    /// The cards' HTML, one after the other.
    pub fn html(&self, tera: &Tera, cards: Vec<CardView>) -> Result<String, tera::Error> {
        let mut html = String::with_capacity(cards.len() * 1024);
        for card in cards {
            let rendered = match self.rendered.get(&card) {
                Some(rendered) => rendered,
                None => {
                    let mut context = Context::new();
                    context.insert("card", &card);
                    let rendered: Arc<str> = tera.render("items/card.html", &context)?.into();
                    self.rendered.insert(card, rendered.clone());
                    rendered
                }
            };
            html.push_str(&rendered);
        }
        Ok(html)
    }
}
