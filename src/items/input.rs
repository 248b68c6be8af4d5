//! The listing form: text as submitted, checked field by field into an [`ItemInput`].

use chrono::NaiveDate;
use diesel::ExpressionMethods;
use serde::{Deserialize, Serialize};

use super::{Condition, Visibility};
use crate::db::schema::items;
use crate::ids::CategoryId;
pub use crate::refusal::FieldError;

/// More than anyone lists or reserves at once; keeps arithmetic far from overflow. The
/// listing form, the reservation form and the API all use this one limit.
pub const MAX_QUANTITY: i32 = 10_000;

/// The form as typed; every field is text so a wrong entry can be shown back as it was.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct RawItemForm {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub category_id: String,
    #[serde(default)]
    pub condition: String,
    #[serde(default)]
    pub quantity: String,
    #[serde(default)]
    pub width_cm: String,
    #[serde(default)]
    pub depth_cm: String,
    #[serde(default)]
    pub height_cm: String,
    #[serde(default)]
    pub weight_kg: String,
    #[serde(default)]
    pub new_price_sek: String,
    #[serde(default)]
    pub site: String,
    #[serde(default)]
    pub room: String,
    #[serde(default)]
    pub pickup_instructions: String,
    #[serde(default)]
    pub available_from: String,
    #[serde(default)]
    pub expires_on: String,
    #[serde(default)]
    pub visibility: String,
    /// Which button was pressed: "publish" or "draft".
    #[serde(default)]
    pub action: String,
}

/// A listing that passed every check.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemInput {
    pub title: String,
    pub description: String,
    pub category_id: CategoryId,
    pub condition: Condition,
    pub quantity: i32,
    pub width_cm: Option<i32>,
    pub depth_cm: Option<i32>,
    pub height_cm: Option<i32>,
    pub weight_kg: Option<f64>,
    pub new_price_sek: Option<f64>,
    pub site: String,
    pub room: String,
    pub pickup_instructions: String,
    pub available_from: Option<NaiveDate>,
    pub expires_on: Option<NaiveDate>,
    pub visibility: Visibility,
    pub publish: bool,
}

struct Checker {
    errors: Vec<FieldError>,
}

impl Checker {
    fn fail(&mut self, field: &'static str, key: &'static str) {
        self.errors.push(FieldError::new(field, key));
    }

    fn text(&mut self, field: &'static str, raw: &str, max: usize, required: bool) -> String {
        let value = raw.trim().to_string();
        if required && value.is_empty() {
            self.fail(field, "item-error-required");
        } else if value.chars().count() > max {
            self.fail(field, "item-error-too-long");
        }
        value
    }

    /// Whole numbers, optional unless `required`; spaces as thousands separators are fine.
    fn whole(
        &mut self,
        field: &'static str,
        raw: &str,
        min: i32,
        max: i32,
        required: bool,
    ) -> Option<i32> {
        let cleaned: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
        if cleaned.is_empty() {
            if required {
                self.fail(field, "item-error-required");
            }
            return None;
        }
        match cleaned.parse::<i64>() {
            Ok(n) if n >= i64::from(min) && n <= i64::from(max) => i32::try_from(n).ok(),
            Ok(_) => {
                self.fail(field, "item-error-out-of-range");
                None
            }
            Err(_) => {
                self.fail(field, "item-error-number");
                None
            }
        }
    }

    /// Decimal numbers with comma or point (Swedish and Norwegian write 12,5).
    fn decimal(&mut self, field: &'static str, raw: &str, min: f64, max: f64) -> Option<f64> {
        match crate::i18n::parse_decimal(raw)? {
            Ok(n) if n.is_finite() && n >= min && n <= max => Some(n),
            Ok(_) => {
                self.fail(field, "item-error-out-of-range");
                None
            }
            Err(_) => {
                self.fail(field, "item-error-number");
                None
            }
        }
    }

    fn date(&mut self, field: &'static str, raw: &str) -> Option<NaiveDate> {
        let raw = raw.trim();
        if raw.is_empty() {
            return None;
        }
        match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
            Ok(date) => Some(date),
            Err(_) => {
                self.fail(field, "item-error-date");
                None
            }
        }
    }
}

impl ItemInput {
    pub fn from_form(form: &RawItemForm) -> Result<Self, Vec<FieldError>> {
        let mut check = Checker { errors: Vec::new() };
        let title = check.text("title", &form.title, 120, true);
        let description = check.text("description", &form.description, 5000, false);
        let category_id = match form.category_id.trim().parse::<CategoryId>() {
            Ok(id) => id,
            Err(_) => {
                check.fail("category_id", "item-error-category");
                CategoryId(0)
            }
        };
        let condition = Condition::parse(form.condition.trim()).unwrap_or_else(|| {
            check.fail("condition", "item-error-condition");
            Condition::Good
        });
        let quantity = check
            .whole("quantity", &form.quantity, 1, MAX_QUANTITY, true)
            .unwrap_or(1);
        let width_cm = check.whole("width_cm", &form.width_cm, 1, 10_000, false);
        let depth_cm = check.whole("depth_cm", &form.depth_cm, 1, 10_000, false);
        let height_cm = check.whole("height_cm", &form.height_cm, 1, 10_000, false);
        let weight_kg = check.decimal("weight_kg", &form.weight_kg, 0.001, 100_000.0);
        let new_price_sek = check.decimal("new_price_sek", &form.new_price_sek, 0.0, 100_000_000.0);
        let site = check.text("site", &form.site, 200, true);
        let room = check.text("room", &form.room, 100, false);
        let pickup_instructions = check.text(
            "pickup_instructions",
            &form.pickup_instructions,
            2000,
            false,
        );
        let available_from = check.date("available_from", &form.available_from);
        let expires_on = check.date("expires_on", &form.expires_on);
        if let (Some(from), Some(until)) = (available_from, expires_on)
            && until < from
        {
            check.fail("expires_on", "item-error-expires-before");
        }
        let visibility =
            Visibility::parse(form.visibility.trim()).unwrap_or(Visibility::Organisation);
        if check.errors.is_empty() {
            Ok(Self {
                title,
                description,
                category_id,
                condition,
                quantity,
                width_cm,
                depth_cm,
                height_cm,
                weight_kg,
                new_price_sek,
                site,
                room,
                pickup_instructions,
                available_from,
                expires_on,
                visibility,
                publish: form.action != "draft",
            })
        } else {
            Err(check.errors)
        }
    }

    /// The columns the form sets, for both insert and update.
    #[allow(clippy::type_complexity)]
    pub(super) fn columns(
        &self,
    ) -> (
        diesel::dsl::Eq<items::title, &str>,
        diesel::dsl::Eq<items::description, &str>,
        diesel::dsl::Eq<items::category_id, CategoryId>,
        diesel::dsl::Eq<items::condition, Condition>,
        diesel::dsl::Eq<items::quantity_total, i32>,
        diesel::dsl::Eq<items::width_cm, Option<i32>>,
        diesel::dsl::Eq<items::depth_cm, Option<i32>>,
        diesel::dsl::Eq<items::height_cm, Option<i32>>,
        diesel::dsl::Eq<items::weight_kg, Option<f64>>,
        diesel::dsl::Eq<items::new_price_sek, Option<f64>>,
        diesel::dsl::Eq<items::site, &str>,
        diesel::dsl::Eq<items::room, &str>,
        diesel::dsl::Eq<items::pickup_instructions, &str>,
        diesel::dsl::Eq<items::available_from, Option<NaiveDate>>,
        diesel::dsl::Eq<items::expires_on, Option<NaiveDate>>,
        diesel::dsl::Eq<items::visibility, Visibility>,
    ) {
        (
            items::title.eq(self.title.as_str()),
            items::description.eq(self.description.as_str()),
            items::category_id.eq(self.category_id),
            items::condition.eq(self.condition),
            items::quantity_total.eq(self.quantity),
            items::width_cm.eq(self.width_cm),
            items::depth_cm.eq(self.depth_cm),
            items::height_cm.eq(self.height_cm),
            items::weight_kg.eq(self.weight_kg),
            items::new_price_sek.eq(self.new_price_sek),
            items::site.eq(self.site.as_str()),
            items::room.eq(self.room.as_str()),
            items::pickup_instructions.eq(self.pickup_instructions.as_str()),
            items::available_from.eq(self.available_from),
            items::expires_on.eq(self.expires_on),
            items::visibility.eq(self.visibility),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> RawItemForm {
        RawItemForm {
            title: " Kontorsstol ".into(),
            category_id: "2".into(),
            condition: "good".into(),
            quantity: "5".into(),
            site: "Stadshuset".into(),
            weight_kg: "12,5".into(),
            new_price_sek: "4 000".into(),
            action: "publish".into(),
            ..RawItemForm::default()
        }
    }

    #[test]
    fn a_complete_form_is_accepted_with_swedish_numbers() {
        let input = ItemInput::from_form(&valid()).expect("valid");
        assert_eq!(input.title, "Kontorsstol");
        assert_eq!(input.weight_kg, Some(12.5));
        assert_eq!(input.new_price_sek, Some(4000.0));
        assert!(input.publish);
        assert_eq!(input.visibility, Visibility::Organisation);
    }

    #[test]
    fn negative_zero_and_huge_quantities_are_refused() {
        for quantity in ["-1", "0", "10001", "tre", ""] {
            let form = RawItemForm {
                quantity: quantity.into(),
                ..valid()
            };
            let errors = ItemInput::from_form(&form).expect_err(quantity);
            assert!(errors.iter().any(|e| e.field == "quantity"), "{quantity}");
        }
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let form = RawItemForm {
            title: String::new(),
            condition: "broken".into(),
            weight_kg: "-3".into(),
            available_from: "2026-12-01".into(),
            expires_on: "2026-11-01".into(),
            ..valid()
        };
        let fields: Vec<&str> = ItemInput::from_form(&form)
            .expect_err("invalid")
            .iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["title", "condition", "weight_kg", "expires_on"]);
    }

    #[test]
    fn draft_button_saves_a_draft() {
        let form = RawItemForm {
            action: "draft".into(),
            ..valid()
        };
        assert!(!ItemInput::from_form(&form).expect("valid").publish);
    }
}
