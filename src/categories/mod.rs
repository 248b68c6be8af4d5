//! Categories of reusable things, each carrying the emission factor and new price that turn
//! a handover into avoided kg CO2e and money.

mod names;
pub mod seed;
pub mod table;
pub mod versions;

pub use names::{Choice, category_choices, category_name, describe_factor, describe_range};
pub use versions::{FactorBook, FactorRange, Figures};

use diesel::prelude::*;
use serde::Serialize;

use crate::db::AnyConnection;
use crate::db::schema::categories;
use crate::ids::{CategoryId, OrganisationId};

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = categories)]
pub struct Category {
    pub id: CategoryId,
    pub parent_id: Option<CategoryId>,
    pub slug: String,
    pub name: String,
    pub sort_order: i32,
    /// The organisation that added this subcategory; `None` for the national table.
    pub organisation_id: Option<OrganisationId>,
}

impl Category {
    /// Whether people of `organisation` pick and see this category: the national ones and
    /// their own organisation's subcategories.
    pub fn is_for(&self, organisation: OrganisationId) -> bool {
        self.organisation_id
            .is_none_or(|owner| owner == organisation)
    }
}

/// How a category's avoided production emissions are computed for one item.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Factor {
    /// A sourced figure for one whole item.
    PerItem { kg_co2e: f64 },
    /// A material figure; the item's weight (or the category's typical weight) is needed.
    PerKg {
        kg_co2e_per_kg: f64,
        typical_weight_kg: Option<f64>,
    },
}

impl Factor {
    /// kg CO2e for one item of typical weight, if the category knows enough to say.
    pub fn typical_kg_co2e(&self) -> Option<f64> {
        match *self {
            Factor::PerItem { kg_co2e } => Some(kg_co2e),
            Factor::PerKg {
                kg_co2e_per_kg,
                typical_weight_kg,
            } => typical_weight_kg.map(|weight| kg_co2e_per_kg * weight),
        }
    }
}

/// A top-level category with its subcategories, in display order.
#[derive(Debug, Clone, Serialize)]
pub struct CategoryGroup {
    pub category: Category,
    pub children: Vec<Category>,
}

pub fn list_all(conn: &mut AnyConnection) -> QueryResult<Vec<Category>> {
    categories::table
        .select(Category::as_select())
        .order((categories::sort_order, categories::id))
        .load(conn)
}

/// Groups a flat, ordered list into top-level categories with their children.
pub fn group(all: Vec<Category>) -> Vec<CategoryGroup> {
    let (top, children): (Vec<_>, Vec<_>) = all.into_iter().partition(|c| c.parent_id.is_none());
    top.into_iter()
        .map(|category| CategoryGroup {
            children: children
                .iter()
                .filter(|child| child.parent_id == Some(category.id))
                .cloned()
                .collect(),
            category,
        })
        .collect()
}
