//! Categories of reusable things, each carrying the emission factor and new price that turn
//! a handover into avoided kg CO2e and money.

mod names;
pub mod seed;

pub use names::{Choice, category_choices, category_name, describe_factor};

use diesel::prelude::*;
use serde::Serialize;

use crate::db::AnyConnection;
use crate::db::schema::categories;
use crate::ids::CategoryId;

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = categories)]
pub struct Category {
    pub id: CategoryId,
    pub parent_id: Option<CategoryId>,
    pub slug: String,
    pub name: String,
    pub kg_co2e_per_item: Option<f64>,
    pub kg_co2e_per_kg: Option<f64>,
    pub typical_weight_kg: Option<f64>,
    pub default_new_price_sek: Option<f64>,
    pub new_price_is_estimate: bool,
    pub factor_source: String,
    pub factor_notes: String,
    pub factor_version: String,
    pub factor_is_estimate: bool,
    pub sort_order: i32,
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

impl Category {
    /// The per-item figure wins over the per-kg one: it is the more specific source.
    pub fn factor(&self) -> Option<Factor> {
        match (self.kg_co2e_per_item, self.kg_co2e_per_kg) {
            (Some(kg_co2e), _) => Some(Factor::PerItem { kg_co2e }),
            (None, Some(kg_co2e_per_kg)) => Some(Factor::PerKg {
                kg_co2e_per_kg,
                typical_weight_kg: self.typical_weight_kg,
            }),
            (None, None) => None,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn category(per_item: Option<f64>, per_kg: Option<f64>, weight: Option<f64>) -> Category {
        Category {
            id: CategoryId(1),
            parent_id: None,
            slug: "x".into(),
            name: "X".into(),
            kg_co2e_per_item: per_item,
            kg_co2e_per_kg: per_kg,
            typical_weight_kg: weight,
            default_new_price_sek: None,
            new_price_is_estimate: true,
            factor_source: String::new(),
            factor_notes: String::new(),
            factor_version: String::new(),
            factor_is_estimate: false,
            sort_order: 0,
        }
    }

    #[test]
    fn per_item_factor_wins_over_per_kg() {
        let sofa = category(Some(180.0), Some(1.45), Some(43.0));
        assert_eq!(sofa.factor(), Some(Factor::PerItem { kg_co2e: 180.0 }));
        assert_eq!(sofa.factor().and_then(|f| f.typical_kg_co2e()), Some(180.0));
    }

    #[test]
    fn per_kg_factor_uses_typical_weight_when_known() {
        let fridge_like = category(None, Some(4.36), Some(60.0));
        let typical = fridge_like.factor().and_then(|f| f.typical_kg_co2e());
        assert!(typical.is_some_and(|kg| (kg - 261.6).abs() < 1e-9));
        let small_electrical = category(None, Some(5.65), None);
        assert_eq!(
            small_electrical.factor().and_then(|f| f.typical_kg_co2e()),
            None
        );
        assert_eq!(category(None, None, None).factor(), None);
    }
}
