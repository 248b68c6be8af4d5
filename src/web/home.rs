//! The start page: what Bruka is for, and the categories with the factors behind the figures.

use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Serialize;

use super::{AppError, Lang, Views, with_conn};
use crate::categories::{self, Category, Factor};
use crate::db::DbPool;
use crate::i18n::{Language, format_decimal};

#[derive(Serialize)]
struct CategoryRow {
    name: String,
    factor: String,
    factor_is_estimate: bool,
    price: String,
    price_is_estimate: bool,
    source: String,
    notes: String,
    version: String,
}

#[derive(Serialize)]
struct CategoryGroupView {
    name: String,
    slug: String,
    rows: Vec<CategoryRow>,
}

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

fn describe_price(language: Language, price: Option<f64>) -> String {
    match price {
        Some(amount) => language.text_with(
            "price-estimate",
            &[("amount", format_decimal(language, amount, 0).into())],
        ),
        None => language.text("price-missing"),
    }
}

fn group_views(language: Language, all: Vec<Category>) -> Vec<CategoryGroupView> {
    categories::group(all)
        .into_iter()
        .map(|group| CategoryGroupView {
            name: category_name(language, &group.category),
            slug: group.category.slug.clone(),
            rows: group
                .children
                .iter()
                .map(|child| CategoryRow {
                    name: category_name(language, child),
                    factor: describe_factor(language, child.factor()),
                    factor_is_estimate: child.factor_is_estimate,
                    price: describe_price(language, child.default_new_price_sek),
                    price_is_estimate: child.new_price_is_estimate
                        && child.default_new_price_sek.is_some(),
                    source: child.factor_source.clone(),
                    notes: child.factor_notes.clone(),
                    version: child.factor_version.clone(),
                })
                .collect(),
        })
        .collect()
}

#[get("/")]
pub async fn start_page(
    req: HttpRequest,
    lang: Lang,
    pool: web::Data<DbPool>,
    views: web::Data<Views>,
) -> Result<HttpResponse, AppError> {
    let all = with_conn(&pool, categories::list_all).await?;
    let mut context = views.page_context(&req, lang)?;
    context.insert("groups", &group_views(lang.0, all));
    let body = views.render("home.html", &context)?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factors_read_naturally_in_each_language() {
        let per_item = Some(Factor::PerItem { kg_co2e: 64.0 });
        assert_eq!(
            describe_factor(Language::Swedish, per_item),
            "64 kg CO₂e per styck"
        );
        let per_kg = Some(Factor::PerKg {
            kg_co2e_per_kg: 5.65,
            typical_weight_kg: None,
        });
        assert_eq!(
            describe_factor(Language::Swedish, per_kg),
            "5,65 kg CO₂e per kg"
        );
        assert_eq!(
            describe_factor(Language::English, per_kg),
            "5.65 kg CO₂e per kg"
        );
        assert_eq!(
            describe_price(Language::Swedish, Some(4000.0)),
            "cirka 4\u{202f}000 kr"
        );
    }
}
