//! Categories as people read them: names in their language, the factor behind a figure in
//! words, and the grouped choices of a category select.

use serde::Serialize;

use super::versions::{FactorBasis, FactorRange};
use super::{Category, Factor, group};
use crate::i18n::{Language, format_decimal};

/// Seeded categories have translations keyed by slug; categories added by admins keep the
/// name they were given.
pub fn category_name(language: Language, category: &Category) -> String {
    let key = format!("category-{}", category.slug.replace('/', "-"));
    language
        .try_text(&key)
        .unwrap_or_else(|| category.name.clone())
}

pub fn describe_factor(language: Language, factor: Option<Factor>) -> String {
    let kg = |value: f64| format_decimal(language, value, 2).into();
    match factor {
        Some(Factor::PerItem { kg_co2e }) => {
            language.text_with("factor-per-item", &[("kg", kg(kg_co2e))])
        }
        Some(Factor::PerKg {
            kg_co2e_per_kg,
            typical_weight_kg: Some(weight),
        }) => language.text_with(
            "factor-per-kg-typical",
            &[
                ("kg", kg(kg_co2e_per_kg)),
                (
                    "total",
                    format_decimal(language, kg_co2e_per_kg * weight, 0).into(),
                ),
                ("weight", kg(weight)),
            ],
        ),
        Some(Factor::PerKg { kg_co2e_per_kg, .. }) => {
            language.text_with("factor-per-kg", &[("kg", kg(kg_co2e_per_kg))])
        }
        None => language.text("factor-missing"),
    }
}

/// Where sources disagree: "between 64 and 165 kg CO2e per item depending on source".
pub fn describe_range(language: Language, range: Option<FactorRange>) -> Option<String> {
    let range = range.filter(FactorRange::is_range)?;
    let key = match range.basis {
        FactorBasis::PerItem => "factor-range-per-item",
        FactorBasis::PerKg => "factor-range-per-kg",
    };
    Some(language.text_with(
        key,
        &[
            ("low", format_decimal(language, range.counted(), 2).into()),
            ("high", format_decimal(language, range.highest(), 2).into()),
        ],
    ))
}

/// A choice in a select: the value sent and the text shown.
#[derive(Debug, Serialize, PartialEq, Eq, Hash)]
pub struct Choice {
    pub value: String,
    pub label: String,
}

/// Categories for a select, grouped, subcategories indented, names in `language`.
pub fn category_choices(language: Language, all: &[Category]) -> Vec<Choice> {
    group(all.to_vec())
        .into_iter()
        .flat_map(|group| {
            let mut choices = vec![Choice {
                value: group.category.slug.clone(),
                label: category_name(language, &group.category),
            }];
            choices.extend(group.children.iter().map(|child| Choice {
                value: child.slug.clone(),
                label: format!("– {}", category_name(language, child)),
            }));
            choices
        })
        .collect()
}
