//! Reuse before you buy, on the record: each check a procurement or e-commerce system makes
//! is kept as a signed receipt (when, what was asked, which listings were shown), and the
//! purchases it reports afterwards say whether a check preceded them and whether reusable
//! listings were there. Purchases in categories with listings available are "missed reuse".

use chrono::{Datelike, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::accounts::tokens::{TokenKeys, random_id};
use crate::categories::Category;
use crate::db::AnyConnection;
use crate::db::schema::{purchases, reuse_checks};
use crate::ids::{CategoryId, ItemId, OrganisationId, UserId};
use crate::ledger::Ore;
use crate::refusal::{FieldError, Refusal, Refuses};

/// Receipt ids start with this, so people and logs tell them apart from other ids.
pub const RECEIPT_PREFIX: &str = "rcpt_";
/// Listings named on a receipt, at most (the count says how many matched).
pub const RECEIPT_MATCHES: usize = 20;
/// A purchase's quantity and amount, at most.
pub const MAX_QUANTITY: i32 = 100_000;
pub const MAX_AMOUNT_SEK: f64 = 100_000_000.0;
pub const MAX_REFERENCE_CHARS: usize = 100;

/// A listing a check showed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Shown {
    pub id: ItemId,
    pub title: String,
}

/// What a receipt's signature covers (a JWT, HS256 with the installation's key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptClaims {
    /// The receipt id.
    pub sub: String,
    /// The organisation that checked.
    pub org: OrganisationId,
    /// When, in seconds since 1970 (UTC).
    pub iat: i64,
    pub category: String,
    pub query: String,
    pub count: i64,
    /// The ids of the listings shown.
    pub matches: Vec<ItemId>,
}

/// A check as kept and answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub receipt_id: String,
    pub checked_at: NaiveDateTime,
    pub category: String,
    pub query: String,
    pub count: i64,
    pub matches: Vec<Shown>,
    pub signature: String,
}

/// Keeps a check and signs its receipt.
pub fn record_check(
    conn: &mut AnyConnection,
    keys: &TokenKeys,
    (organisation_id, user_id): (OrganisationId, UserId),
    (category, query): (&str, &str),
    count: i64,
    shown: Vec<Shown>,
) -> QueryResult<Receipt> {
    let now = Utc::now().naive_utc();
    // Whole seconds, so the stored time and the signed one are the same.
    let checked_at = chrono::DateTime::from_timestamp(now.and_utc().timestamp(), 0)
        .map_or(now, |at| at.naive_utc());
    let receipt_id = format!("{RECEIPT_PREFIX}{}", &random_id()[..32]);
    let matches: Vec<Shown> = shown.into_iter().take(RECEIPT_MATCHES).collect();
    let claims = ReceiptClaims {
        sub: receipt_id.clone(),
        org: organisation_id,
        iat: checked_at.and_utc().timestamp(),
        category: category.to_string(),
        query: query.to_string(),
        count,
        matches: matches.iter().map(|m| m.id).collect(),
    };
    let signature = keys.sign(&claims);
    diesel::insert_into(reuse_checks::table)
        .values((
            reuse_checks::receipt_id.eq(&receipt_id),
            reuse_checks::organisation_id.eq(organisation_id),
            reuse_checks::user_id.eq(user_id),
            reuse_checks::checked_at.eq(checked_at),
            reuse_checks::category_slug.eq(category),
            reuse_checks::query.eq(query),
            reuse_checks::match_count.eq(count),
            reuse_checks::matches.eq(serde_json::to_string(&matches).unwrap_or_default()),
            reuse_checks::signature.eq(&signature),
        ))
        .execute(conn)?;
    Ok(Receipt {
        receipt_id,
        checked_at,
        category: category.to_string(),
        query: query.to_string(),
        count,
        matches,
        signature,
    })
}

/// An organisation's receipt by its id.
pub fn find_receipt(
    conn: &mut AnyConnection,
    organisation_id: OrganisationId,
    receipt_id: &str,
) -> QueryResult<Option<(i64, Receipt)>> {
    type Row = (
        i64,
        String,
        NaiveDateTime,
        String,
        String,
        i64,
        String,
        String,
    );
    let row: Option<Row> = reuse_checks::table
        .filter(reuse_checks::organisation_id.eq(organisation_id))
        .filter(reuse_checks::receipt_id.eq(receipt_id))
        .select((
            reuse_checks::id,
            reuse_checks::receipt_id,
            reuse_checks::checked_at,
            reuse_checks::category_slug,
            reuse_checks::query,
            reuse_checks::match_count,
            reuse_checks::matches,
            reuse_checks::signature,
        ))
        .first(conn)
        .optional()?;
    Ok(row.map(
        |(id, receipt_id, checked_at, category, query, count, matches, signature)| {
            (
                id,
                Receipt {
                    receipt_id,
                    checked_at,
                    category,
                    query,
                    count,
                    matches: serde_json::from_str(&matches).unwrap_or_default(),
                    signature,
                },
            )
        },
    ))
}

/// A purchase as an integration sends it.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct NewPurchase {
    /// A category slug, e.g. `mobler/kontorsstol`.
    pub category: String,
    #[schema(minimum = 1, maximum = 100_000)]
    pub quantity: i64,
    /// What was paid, in kronor (excluding VAT, as the organisation books it).
    #[schema(minimum = 0, maximum = 100_000_000)]
    pub amount_sek: f64,
    /// The order or delivery date, `YYYY-MM-DD` (not in the future).
    pub date: String,
    /// The receipt of the reuse check made before the order, if one was made.
    #[serde(default)]
    pub receipt_id: Option<String>,
    /// The order number in the purchasing system.
    #[serde(default)]
    #[schema(max_length = 100)]
    pub reference: Option<String>,
}

/// A purchase checked and ready to keep.
#[derive(Debug, Clone)]
pub struct CheckedPurchase {
    pub category: Category,
    pub quantity: i32,
    pub amount: Ore,
    pub purchased_on: NaiveDate,
    pub receipt_id: Option<String>,
    pub reference: String,
}

impl NewPurchase {
    /// Checks every field; `categories` are those the organisation may use.
    pub fn check(
        &self,
        categories: &[Category],
        today: NaiveDate,
    ) -> Result<CheckedPurchase, Vec<FieldError>> {
        let mut errors = Vec::new();
        let category = categories
            .iter()
            .find(|c| c.slug == self.category.trim())
            .cloned();
        if category.is_none() {
            errors.push(FieldError::new("category", "stats-error-category"));
        }
        if !(1..=i64::from(MAX_QUANTITY)).contains(&self.quantity) {
            errors.push(FieldError::new("quantity", "purchase-error-quantity"));
        }
        if !self.amount_sek.is_finite() || !(0.0..=MAX_AMOUNT_SEK).contains(&self.amount_sek) {
            errors.push(FieldError::new("amount_sek", "purchase-error-amount"));
        }
        let purchased_on = match NaiveDate::parse_from_str(self.date.trim(), "%Y-%m-%d") {
            Ok(day) if day <= today && day.year_ce().1 >= 2000 => Some(day),
            _ => {
                errors.push(FieldError::new("date", "purchase-error-date"));
                None
            }
        };
        let reference = self
            .reference
            .as_deref()
            .unwrap_or_default()
            .trim()
            .to_string();
        if reference.chars().count() > MAX_REFERENCE_CHARS {
            errors.push(FieldError::new("reference", "purchase-error-reference"));
        }
        let receipt_id = self
            .receipt_id
            .as_deref()
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .map(str::to_string);
        match (category, purchased_on) {
            (Some(category), Some(purchased_on)) if errors.is_empty() => Ok(CheckedPurchase {
                category,
                quantity: self.quantity as i32,
                amount: Ore((self.amount_sek * 100.0).round() as i64),
                purchased_on,
                receipt_id,
                reference,
            }),
            _ => Err(errors),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PurchaseError {
    #[error("the purchase is not valid")]
    Invalid(Vec<FieldError>),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

impl Refuses for PurchaseError {
    fn refusal(self) -> Refusal {
        match self {
            PurchaseError::Invalid(errors) => Refusal::Invalid(errors),
            PurchaseError::Db(error) => error.refusal(),
        }
    }
}

/// A purchase as kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RecordedPurchase {
    pub id: i64,
    /// A reuse check came before it (its receipt was given).
    pub preceded_by_check: bool,
    /// Listings in the category were available when it was checked or recorded.
    pub reuse_was_available: bool,
    pub available_listings: i64,
}

/// Keeps a purchase. `available_now` counts the listings available in its category now,
/// for a purchase without a receipt; with one, the receipt's count is what was there.
pub fn record_purchase(
    conn: &mut AnyConnection,
    (organisation_id, user_id): (OrganisationId, UserId),
    purchase: &CheckedPurchase,
    available_now: i64,
) -> Result<RecordedPurchase, PurchaseError> {
    let receipt = match &purchase.receipt_id {
        Some(id) => match find_receipt(conn, organisation_id, id)? {
            Some(found) => Some(found),
            None => {
                return Err(PurchaseError::Invalid(vec![FieldError::new(
                    "receipt_id",
                    "purchase-error-receipt",
                )]));
            }
        },
        None => None,
    };
    let available = receipt
        .as_ref()
        .map_or(available_now, |(_, receipt)| receipt.count);
    let id: i64 = diesel::insert_into(purchases::table)
        .values((
            purchases::organisation_id.eq(organisation_id),
            purchases::user_id.eq(user_id),
            purchases::category_id.eq(purchase.category.id),
            purchases::category_name.eq(&purchase.category.name),
            purchases::quantity.eq(purchase.quantity),
            purchases::amount_ore.eq(purchase.amount.0),
            purchases::purchased_on.eq(purchase.purchased_on),
            purchases::reference.eq(&purchase.reference),
            purchases::reuse_check_id.eq(receipt.as_ref().map(|(id, _)| *id)),
            purchases::available_listings.eq(available),
            purchases::recorded_at.eq(Utc::now().naive_utc()),
        ))
        .returning(purchases::id)
        .get_result(conn)?;
    Ok(RecordedPurchase {
        id,
        preceded_by_check: receipt.is_some(),
        reuse_was_available: available > 0,
        available_listings: available,
    })
}

/// A purchase in a category where reusable listings were available.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Missed {
    pub purchased_on: NaiveDate,
    pub category: String,
    pub quantity: i32,
    pub amount_ore: i64,
    pub reference: String,
    pub preceded_by_check: bool,
    pub available_listings: i64,
}

/// Purchases in a period: how many, how many after a check, and the missed reuse.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PurchaseFigures {
    pub purchases: i64,
    pub checked_first: i64,
    pub amount_ore: i64,
    pub missed: Vec<Missed>,
    /// Missed purchases beyond those listed.
    pub missed_more: i64,
}

impl PurchaseFigures {
    /// The share of purchases preceded by a check, in whole per cent.
    pub fn checked_share(&self) -> Option<i64> {
        (self.purchases > 0)
            .then(|| (self.checked_first * 100 + self.purchases / 2) / self.purchases)
    }
}

/// Missed purchases listed, at most.
const MISSED_LISTED: i64 = 50;

/// The organisation's purchases from `from` to `to` (days included; open ends reach all),
/// in categories `category_ids` when given.
pub fn figures(
    conn: &mut AnyConnection,
    organisation_id: OrganisationId,
    (from, to): (Option<NaiveDate>, Option<NaiveDate>),
    category_ids: Option<&[CategoryId]>,
) -> QueryResult<PurchaseFigures> {
    let scoped = || {
        let mut query = purchases::table
            .filter(purchases::organisation_id.eq(organisation_id))
            .into_boxed();
        if let Some(from) = from {
            query = query.filter(purchases::purchased_on.ge(from));
        }
        if let Some(to) = to {
            query = query.filter(purchases::purchased_on.le(to));
        }
        if let Some(ids) = category_ids {
            query = query.filter(purchases::category_id.eq_any(ids.to_vec()));
        }
        query
    };
    use diesel::dsl::sql;
    use diesel::sql_types::BigInt;
    let (count, checked, amount) = scoped()
        .select((
            sql::<BigInt>("COUNT(*)"),
            sql::<BigInt>("COUNT(reuse_check_id)"),
            sql::<BigInt>("CAST(COALESCE(SUM(amount_ore), 0) AS BIGINT)"),
        ))
        .first::<(i64, i64, i64)>(conn)?;
    let missed_count: i64 = scoped()
        .filter(purchases::available_listings.gt(0))
        .count()
        .get_result(conn)?;
    type Row = (NaiveDate, String, i32, i64, String, Option<i64>, i64);
    let missed = scoped()
        .filter(purchases::available_listings.gt(0))
        .order((purchases::purchased_on.desc(), purchases::id.desc()))
        .limit(MISSED_LISTED)
        .select((
            purchases::purchased_on,
            purchases::category_name,
            purchases::quantity,
            purchases::amount_ore,
            purchases::reference,
            purchases::reuse_check_id,
            purchases::available_listings,
        ))
        .load::<Row>(conn)?
        .into_iter()
        .map(
            |(purchased_on, category, quantity, amount_ore, reference, check, available)| Missed {
                purchased_on,
                category,
                quantity,
                amount_ore,
                reference,
                preceded_by_check: check.is_some(),
                available_listings: available,
            },
        )
        .collect::<Vec<_>>();
    Ok(PurchaseFigures {
        purchases: count,
        checked_first: checked,
        amount_ore: amount,
        missed_more: missed_count - missed.len() as i64,
        missed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chair() -> Category {
        Category {
            id: CategoryId(2),
            parent_id: Some(CategoryId(1)),
            slug: "mobler/kontorsstol".into(),
            name: "Kontorsstol".into(),
            sort_order: 0,
            organisation_id: None,
        }
    }

    fn purchase() -> NewPurchase {
        NewPurchase {
            category: "mobler/kontorsstol".into(),
            quantity: 4,
            amount_sek: 12_500.5,
            date: "2026-12-01".into(),
            receipt_id: Some("  ".into()),
            reference: Some("PO-1".into()),
        }
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 4).expect("date")
    }

    #[test]
    fn a_good_purchase_is_checked_into_whole_ore() {
        let checked = purchase().check(&[chair()], today()).expect("valid");
        assert_eq!(checked.amount, Ore(1_250_050));
        assert_eq!(checked.quantity, 4);
        assert_eq!(checked.receipt_id, None, "a blank receipt id is none");
    }

    #[test]
    fn bad_fields_are_each_named() {
        let bad = NewPurchase {
            category: "nope".into(),
            quantity: 0,
            amount_sek: -1.0,
            date: "2026-12-24".into(),
            receipt_id: None,
            reference: Some("x".repeat(101)),
        };
        let errors = bad.check(&[chair()], today()).expect_err("invalid");
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            ["category", "quantity", "amount_sek", "date", "reference"]
        );
        let huge = NewPurchase {
            quantity: 100_001,
            amount_sek: f64::NAN,
            ..purchase()
        };
        assert_eq!(
            huge.check(&[chair()], today()).expect_err("invalid").len(),
            2
        );
    }

    #[test]
    fn the_checked_share_rounds_to_whole_per_cent() {
        let figures = PurchaseFigures {
            purchases: 3,
            checked_first: 2,
            ..PurchaseFigures::default()
        };
        assert_eq!(figures.checked_share(), Some(67));
        assert_eq!(PurchaseFigures::default().checked_share(), None);
    }
}
