//! The listing form: text as submitted, checked field by field into an [`ItemInput`].

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{Condition, ItemFields, Visibility};
use crate::ids::CategoryId;
pub use crate::refusal::FieldError;

/// More than anyone lists or reserves at once; keeps arithmetic far from overflow. The
/// listing form, the reservation form and the API all use this one limit.
pub const MAX_QUANTITY: i32 = 10_000;

/// The dearest single piece of furniture or equipment a public body plausibly buys new
/// (a lab bench, a stage riser). A higher price is a typo that would inflate the savings.
pub const MAX_NEW_PRICE_SEK: f64 = 1_000_000.0;

/// The heaviest single item anyone carries out of a building (a safe, a machine).
pub const MAX_WEIGHT_KG: f64 = 5_000.0;

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
    pub fields: ItemFields,
    pub quantity: i32,
    pub publish: bool,
}

struct Checker {
    errors: Vec<FieldError>,
}

impl Checker {
    fn fail(&mut self, field: &'static str, key: &'static str) {
        self.errors.push(FieldError::new(field, key));
    }

    /// One line of text (a title, a place): line breaks, tabs and control characters become
    /// spaces, and runs of spaces one, so a title prints, sorts and exports as one line.
    fn line(&mut self, field: &'static str, raw: &str, max: usize, required: bool) -> String {
        let spaced: String = raw
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let value = spaced.split_whitespace().collect::<Vec<_>>().join(" ");
        self.checked_text(field, value, max, required)
    }

    /// Text that may run over several lines: line breaks are kept (as `\n`), other control
    /// characters are dropped.
    fn text(&mut self, field: &'static str, raw: &str, max: usize, required: bool) -> String {
        let lines = raw.replace("\r\n", "\n").replace('\r', "\n");
        let value: String = lines
            .chars()
            .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
            .collect();
        self.checked_text(field, value.trim().to_string(), max, required)
    }

    fn checked_text(
        &mut self,
        field: &'static str,
        value: String,
        max: usize,
        required: bool,
    ) -> String {
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

/// The listing's fields in the order the form shows them.
const FIELD_ORDER: [&str; 16] = [
    "title",
    "description",
    "category_id",
    "condition",
    "quantity",
    "width_cm",
    "depth_cm",
    "height_cm",
    "weight_kg",
    "new_price_sek",
    "site",
    "room",
    "pickup_instructions",
    "available_from",
    "expires_on",
    "visibility",
];

/// A listing as typed values, before the rules are checked: what the web form's text
/// parses into, and what the API deserializes into. `None` in a required field means it
/// was missing (or, from the form, could not be read; that error is already reported).
#[derive(Debug, Clone, PartialEq)]
pub struct DraftInput {
    pub title: String,
    pub description: String,
    pub category_id: Option<CategoryId>,
    pub condition: Option<Condition>,
    pub quantity: Option<i64>,
    pub width_cm: Option<i64>,
    pub depth_cm: Option<i64>,
    pub height_cm: Option<i64>,
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

impl Checker {
    fn range(&mut self, field: &'static str, value: Option<i64>, max: i32) -> Option<i32> {
        let value = value?;
        match i32::try_from(value) {
            Ok(n) if (1..=max).contains(&n) => Some(n),
            _ => {
                self.fail(field, "item-error-out-of-range");
                None
            }
        }
    }

    /// An amount that feeds the savings: below `min` is out of range, above `max` is
    /// implausible and says so with `too_high`, which names the limit.
    fn plausible(
        &mut self,
        field: &'static str,
        value: Option<f64>,
        min: f64,
        max: f64,
        too_high: &'static str,
    ) -> Option<f64> {
        let value = value?;
        if !value.is_finite() || value < min {
            self.fail(field, "item-error-out-of-range");
            None
        } else if value > max {
            self.fail(field, too_high);
            None
        } else {
            Some(value)
        }
    }
}

impl RawItemForm {
    /// A saved listing as the form shows it for editing; read back, it gives the same
    /// fields.
    pub fn showing(fields: &ItemFields, quantity: i32) -> Self {
        let whole = |v: Option<i32>| v.map(|n| n.to_string()).unwrap_or_default();
        let decimal = |v: Option<f64>| v.map(|n| n.to_string()).unwrap_or_default();
        let date = |v: Option<NaiveDate>| v.map(|d| d.to_string()).unwrap_or_default();
        Self {
            title: fields.title.clone(),
            description: fields.description.clone(),
            category_id: fields.category_id.to_string(),
            condition: fields.condition.as_str().to_string(),
            quantity: quantity.to_string(),
            width_cm: whole(fields.width_cm),
            depth_cm: whole(fields.depth_cm),
            height_cm: whole(fields.height_cm),
            weight_kg: decimal(fields.weight_kg),
            new_price_sek: decimal(fields.new_price_sek),
            site: fields.site.clone(),
            room: fields.room.clone(),
            pickup_instructions: fields.pickup_instructions.clone(),
            available_from: date(fields.available_from),
            expires_on: date(fields.expires_on),
            visibility: fields.visibility.as_str().to_string(),
            action: String::new(),
        }
    }

    /// A new listing's form that starts from one of the person's listings ("post a similar
    /// listing"): every field but the dates, which belong to the earlier offer.
    pub fn similar_to(fields: &ItemFields, quantity: i32) -> Self {
        Self {
            available_from: String::new(),
            expires_on: String::new(),
            ..Self::showing(fields, quantity)
        }
    }

    /// The form's text as typed values; what cannot be read is reported here, the rules are
    /// checked by [`ItemInput::validate`].
    fn draft(&self, check: &mut Checker) -> DraftInput {
        let category_id = match self.category_id.trim().parse::<CategoryId>() {
            Ok(id) => Some(id),
            Err(_) => {
                check.fail("category_id", "item-error-category");
                None
            }
        };
        let condition = Condition::parse(self.condition.trim());
        if condition.is_none() {
            check.fail("condition", "item-error-condition");
        }
        let whole = |check: &mut Checker, field, raw: &str| {
            check
                .whole(field, raw, i32::MIN, i32::MAX, false)
                .map(i64::from)
        };
        DraftInput {
            title: self.title.clone(),
            description: self.description.clone(),
            category_id,
            condition,
            quantity: whole(check, "quantity", &self.quantity),
            width_cm: whole(check, "width_cm", &self.width_cm),
            depth_cm: whole(check, "depth_cm", &self.depth_cm),
            height_cm: whole(check, "height_cm", &self.height_cm),
            weight_kg: check.decimal("weight_kg", &self.weight_kg, f64::MIN, f64::MAX),
            new_price_sek: check.decimal("new_price_sek", &self.new_price_sek, f64::MIN, f64::MAX),
            site: self.site.clone(),
            room: self.room.clone(),
            pickup_instructions: self.pickup_instructions.clone(),
            available_from: check.date("available_from", &self.available_from),
            expires_on: check.date("expires_on", &self.expires_on),
            visibility: match self.visibility.trim() {
                "" => Visibility::Organisation,
                raw => Visibility::parse(raw).unwrap_or_else(|| {
                    check.fail("visibility", "item-error-visibility");
                    Visibility::Organisation
                }),
            },
            publish: self.action != "draft",
        }
    }
}

impl ItemInput {
    pub fn from_form(form: &RawItemForm) -> Result<Self, Vec<FieldError>> {
        let mut check = Checker { errors: Vec::new() };
        let draft = form.draft(&mut check);
        Self::checked(draft, check)
    }

    /// The listing's rules, the same for the form and the API.
    pub fn validate(draft: DraftInput) -> Result<Self, Vec<FieldError>> {
        Self::checked(draft, Checker { errors: Vec::new() })
    }

    fn checked(draft: DraftInput, mut check: Checker) -> Result<Self, Vec<FieldError>> {
        let reported = |check: &Checker, field: &str| check.errors.iter().any(|e| e.field == field);
        let title = check.line("title", &draft.title, 120, true);
        let description = check.text("description", &draft.description, 5000, false);
        if draft.category_id.is_none() && !reported(&check, "category_id") {
            check.fail("category_id", "item-error-category");
        }
        if draft.condition.is_none() && !reported(&check, "condition") {
            check.fail("condition", "item-error-condition");
        }
        if draft.quantity.is_none() && !reported(&check, "quantity") {
            check.fail("quantity", "item-error-required");
        }
        let quantity = check.range("quantity", draft.quantity, MAX_QUANTITY);
        let width_cm = check.range("width_cm", draft.width_cm, 10_000);
        let depth_cm = check.range("depth_cm", draft.depth_cm, 10_000);
        let height_cm = check.range("height_cm", draft.height_cm, 10_000);
        let weight_kg = check.plausible(
            "weight_kg",
            draft.weight_kg,
            0.001,
            MAX_WEIGHT_KG,
            "item-error-weight-too-high",
        );
        let new_price_sek = check.plausible(
            "new_price_sek",
            draft.new_price_sek,
            0.0,
            MAX_NEW_PRICE_SEK,
            "item-error-price-too-high",
        );
        let site = check.line("site", &draft.site, 200, true);
        let room = check.line("room", &draft.room, 100, false);
        let pickup_instructions = check.text(
            "pickup_instructions",
            &draft.pickup_instructions,
            2000,
            false,
        );
        if let (Some(from), Some(until)) = (draft.available_from, draft.expires_on)
            && until < from
        {
            check.fail("expires_on", "item-error-expires-before");
        }
        // The error summary lists the fields in the order the form shows them.
        check
            .errors
            .sort_by_key(|e| FIELD_ORDER.iter().position(|f| *f == e.field));
        match (draft.category_id, draft.condition, quantity) {
            (Some(category_id), Some(condition), Some(quantity)) if check.errors.is_empty() => {
                Ok(Self {
                    fields: ItemFields {
                        title,
                        description,
                        category_id,
                        condition,
                        width_cm,
                        depth_cm,
                        height_cm,
                        weight_kg,
                        new_price_sek,
                        site,
                        room,
                        pickup_instructions,
                        available_from: draft.available_from,
                        expires_on: draft.expires_on,
                        visibility: draft.visibility,
                    },
                    quantity,
                    publish: draft.publish,
                })
            }
            _ => Err(check.errors),
        }
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
    fn a_saved_listing_shown_in_the_form_reads_back_the_same() {
        let mut form = valid();
        form.width_cm = "60".into();
        form.room = "B 204".into();
        form.available_from = "2026-12-01".into();
        form.expires_on = "2027-01-31".into();
        form.visibility = "network".into();
        let saved = ItemInput::from_form(&form).expect("valid");
        let shown = RawItemForm::showing(&saved.fields, saved.quantity);
        assert_eq!(ItemInput::from_form(&shown), Ok(saved));
    }

    #[test]
    fn titles_are_one_line_and_texts_keep_their_lines_only() {
        let form = RawItemForm {
            title: "Kontors\r\nstol\u{0}\tmed  armstöd\u{7f}\u{85}".into(),
            site: "Stadshuset\nPlan 3".into(),
            description: "Rad ett\r\nRad två\rRad tre\u{1b}[31m\u{0}".into(),
            pickup_instructions: "\r\n Ring först.\u{7}\n".into(),
            ..valid()
        };
        let input = ItemInput::from_form(&form).expect("valid");
        assert_eq!(input.fields.title, "Kontors stol med armstöd");
        assert_eq!(input.fields.site, "Stadshuset Plan 3");
        assert_eq!(input.fields.description, "Rad ett\nRad två\nRad tre[31m");
        assert_eq!(input.fields.pickup_instructions, "Ring först.");
        let blank = RawItemForm {
            title: "\r\n\t\u{0}".into(),
            ..valid()
        };
        let errors = ItemInput::from_form(&blank).expect_err("no title");
        assert!(errors.iter().any(|e| e.field == "title"));
    }

    #[test]
    fn a_complete_form_is_accepted_with_swedish_numbers() {
        let input = ItemInput::from_form(&valid()).expect("valid");
        assert_eq!(input.fields.title, "Kontorsstol");
        assert_eq!(input.fields.weight_kg, Some(12.5));
        assert_eq!(input.fields.new_price_sek, Some(4000.0));
        assert!(input.publish);
        assert_eq!(input.fields.visibility, Visibility::Organisation);
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
    fn implausible_prices_and_weights_are_refused_with_their_own_message() {
        let form = RawItemForm {
            new_price_sek: "1 000 000 000 000".into(),
            weight_kg: "5000,5".into(),
            ..valid()
        };
        let errors = ItemInput::from_form(&form).expect_err("implausible");
        let keys: Vec<(&str, &str)> = errors.iter().map(|e| (e.field, e.message_key)).collect();
        assert_eq!(
            keys,
            [
                ("weight_kg", "item-error-weight-too-high"),
                ("new_price_sek", "item-error-price-too-high")
            ]
        );
        let at_the_limit = RawItemForm {
            new_price_sek: "1 000 000".into(),
            weight_kg: "5000".into(),
            ..valid()
        };
        let input = ItemInput::from_form(&at_the_limit).expect("at the limits");
        assert_eq!(input.fields.new_price_sek, Some(MAX_NEW_PRICE_SEK));
        assert_eq!(input.fields.weight_kg, Some(MAX_WEIGHT_KG));
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

    /// What the API sends: typed values, no text to parse, the same rules.
    #[test]
    fn a_typed_draft_passes_the_same_rules() {
        let valid = DraftInput {
            title: "Kontorsstol".into(),
            description: String::new(),
            category_id: Some(CategoryId(2)),
            condition: Some(Condition::Good),
            quantity: Some(4),
            width_cm: None,
            depth_cm: None,
            height_cm: None,
            weight_kg: Some(12.5),
            new_price_sek: None,
            site: "Stadshuset".into(),
            room: String::new(),
            pickup_instructions: String::new(),
            available_from: None,
            expires_on: None,
            visibility: Visibility::Network,
            publish: true,
        };
        let input = ItemInput::validate(valid.clone()).expect("valid");
        assert_eq!(
            (input.quantity, input.fields.visibility),
            (4, Visibility::Network)
        );
        let wrong = DraftInput {
            category_id: None,
            condition: None,
            quantity: Some(i64::from(MAX_QUANTITY) + 1),
            weight_kg: Some(-1.0),
            ..valid
        };
        let fields: Vec<&str> = ItemInput::validate(wrong)
            .expect_err("refused")
            .iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            ["category_id", "condition", "quantity", "weight_kg"]
        );
    }
}
