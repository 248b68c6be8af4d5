//! The factor table: every category with the emission factor, new price and source behind
//! the figures, and the method that turns them into savings.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, web};
use serde::Serialize;

use super::{AppError, Page};
use crate::app::App;
use crate::categories::{self, Category, category_name, describe_factor};
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

/// `factors.html`.
#[derive(Serialize)]
struct FactorsPage {
    groups: Vec<CategoryGroupView>,
}

#[get("/factors")]
pub async fn factors_page(page: Page, app: web::Data<App>) -> Result<HttpResponse, AppError> {
    let all = app.read(categories::list_all).await?;
    let view = FactorsPage {
        groups: group_views(page.language(), all),
    };
    page.show(StatusCode::OK, "factors.html", &view)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::categories::Factor;

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
