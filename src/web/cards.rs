//! Listing cards, the grid that browse and "my listings" show. Each distinct card is
//! rendered once per instance (see [`super::fragments`]).

use std::collections::HashMap;

use serde::Serialize;

use crate::i18n::Language;
use crate::ids::{CategoryId, ItemId};
use crate::items::browse::Card;
use crate::items::{Condition, Status};

/// Distinct cards kept per instance: about 1 KB each, so a few megabytes.
pub const KEPT_CARDS: usize = 4096;

/// Everything a card shows; `items/card.html` translates the states and quantity itself.
#[derive(Serialize, PartialEq, Eq, Hash)]
pub struct CardView {
    lang: &'static str,
    id: ItemId,
    title: String,
    photo_key: Option<String>,
    photo_alt: String,
    quantity_available: i32,
    category: String,
    condition: Condition,
    site: String,
    organisation: String,
    unit: Option<String>,
    /// Only on "my listings": the listing's state (the card then links to its form).
    status: Option<Status>,
}

impl CardView {
    /// A card in the browse grid; `category_names` are in `language`, by category id.
    pub fn for_browse(
        language: Language,
        card: Card,
        category_names: &HashMap<CategoryId, String>,
    ) -> CardView {
        let item = card.item;
        CardView {
            lang: language.code(),
            id: item.id,
            title: item.title,
            photo_key: item.cover_photo_key,
            photo_alt: item.cover_photo_alt.unwrap_or_default(),
            quantity_available: item.quantity_available,
            category: category_names
                .get(&item.category_id)
                .cloned()
                .unwrap_or_default(),
            condition: item.condition,
            site: item.site,
            organisation: card.organisation_name,
            unit: card.unit_name,
            status: None,
        }
    }

    /// A card on "my listings": its state and an edit link instead of where it is.
    pub fn for_owner(
        language: Language,
        card: Card,
        category_names: &HashMap<CategoryId, String>,
    ) -> CardView {
        CardView {
            status: Some(card.item.status),
            ..Self::for_browse(language, card, category_names)
        }
    }
}
