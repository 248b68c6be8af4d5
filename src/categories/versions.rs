//! A category's figures over time. Each change is a new version valid from a date, with
//! its source, who made it and why; nothing is overwritten, so what a figure was on any
//! day can be shown and a handover uses the version valid on its day.
//!
//! The national table is the base. An organisation can override, for a national category,
//! the factor, the typical weight and the new price (what it leaves empty is inherited,
//! so later national versions still reach it), and owns the figures of the subcategories
//! it adds.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use super::{Category, Factor};
use crate::db::AnyConnection;
use crate::db::schema::category_versions;
use crate::ids::{CategoryId, CategoryVersionId, OrganisationId, UserId};
use crate::refusal::FieldError;

crate::text_enum! {
    /// What a factor is counted per.
    pub enum FactorBasis ("factor basis") {
        PerItem = "per_item",
        PerKg = "per_kg",
    }
}

/// The largest factor anyone can mean, per item or per kg (a car is about 6 000 kg CO2e).
pub const MAX_FACTOR_KG_CO2E: f64 = 100_000.0;
/// The largest typical weight of one item, in kg.
pub const MAX_TYPICAL_WEIGHT_KG: f64 = crate::items::input::MAX_WEIGHT_KG;
/// The largest new price of one item, in SEK.
pub const MAX_NEW_PRICE_SEK: f64 = crate::items::input::MAX_NEW_PRICE_SEK;

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = category_versions)]
pub struct CategoryVersion {
    pub id: CategoryVersionId,
    pub category_id: CategoryId,
    pub organisation_id: Option<OrganisationId>,
    pub valid_from: NaiveDate,
    pub factor_basis: Option<FactorBasis>,
    pub factor_central: Option<f64>,
    pub factor_low: Option<f64>,
    pub factor_high: Option<f64>,
    pub typical_weight_kg: Option<f64>,
    pub new_price_sek: Option<f64>,
    pub new_price_is_estimate: bool,
    pub source: String,
    pub source_url: String,
    pub notes: String,
    pub table_version: String,
    pub is_estimate: bool,
    pub reason: String,
    pub changed_by: Option<UserId>,
    pub created_at: NaiveDateTime,
}

/// A factor with the spread of its sources: low and high where sources disagree.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FactorRange {
    pub basis: FactorBasis,
    pub low: Option<f64>,
    pub central: f64,
    pub high: Option<f64>,
}

impl FactorRange {
    /// The figure that is counted: the low end when sources disagree, so a report never
    /// claims more than the most cautious source supports.
    pub fn counted(&self) -> f64 {
        self.low.unwrap_or(self.central)
    }

    /// The figure at the high end of the sources.
    pub fn highest(&self) -> f64 {
        self.high.unwrap_or(self.central)
    }

    /// Whether sources give different figures.
    pub fn is_range(&self) -> bool {
        self.highest() > self.counted()
    }

    fn as_factor(&self, kg_co2e: f64, typical_weight_kg: Option<f64>) -> Factor {
        match self.basis {
            FactorBasis::PerItem => Factor::PerItem { kg_co2e },
            FactorBasis::PerKg => Factor::PerKg {
                kg_co2e_per_kg: kg_co2e,
                typical_weight_kg,
            },
        }
    }
}

impl CategoryVersion {
    fn factor_range(&self) -> Option<FactorRange> {
        Some(FactorRange {
            basis: self.factor_basis?,
            low: self.factor_low,
            central: self.factor_central?,
            high: self.factor_high,
        })
    }
}

/// A category's figures as they apply to one organisation on one day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figures {
    pub factor: Option<FactorRange>,
    pub typical_weight_kg: Option<f64>,
    pub new_price_sek: Option<f64>,
    pub new_price_is_estimate: bool,
    /// Where the factor comes from.
    pub factor_source: String,
    pub factor_source_url: String,
    pub factor_notes: String,
    /// The table (or the organisation's change) the factor belongs to.
    pub factor_version: String,
    pub factor_is_estimate: bool,
    /// The version that supplied the factor, for the ledger's snapshot.
    pub version_id: Option<CategoryVersionId>,
    /// Whether the organisation's own figures replace some of the national ones.
    pub overridden: bool,
}

impl Figures {
    /// The factor that is counted (the conservative end of the range).
    pub fn factor(&self) -> Option<Factor> {
        self.factor
            .map(|range| range.as_factor(range.counted(), self.typical_weight_kg))
    }

    /// The factor at the high end of its range.
    pub fn high_factor(&self) -> Option<Factor> {
        self.factor
            .map(|range| range.as_factor(range.highest(), self.typical_weight_kg))
    }

    fn from_base(base: Option<&CategoryVersion>) -> Self {
        match base {
            Some(base) => Self {
                factor: base.factor_range(),
                typical_weight_kg: base.typical_weight_kg,
                new_price_sek: base.new_price_sek,
                new_price_is_estimate: base.new_price_is_estimate,
                factor_source: base.source.clone(),
                factor_source_url: base.source_url.clone(),
                factor_notes: base.notes.clone(),
                factor_version: base.table_version.clone(),
                factor_is_estimate: base.is_estimate,
                version_id: Some(base.id),
                overridden: false,
            },
            None => Self {
                factor: None,
                typical_weight_kg: None,
                new_price_sek: None,
                new_price_is_estimate: true,
                factor_source: String::new(),
                factor_source_url: String::new(),
                factor_notes: String::new(),
                factor_version: String::new(),
                factor_is_estimate: false,
                version_id: None,
                overridden: false,
            },
        }
    }

    /// What an organisation's version sets replaces the base; the rest stays.
    fn overlay(mut self, own: &CategoryVersion) -> Self {
        if let Some(range) = own.factor_range() {
            self.factor = Some(range);
            self.factor_source = own.source.clone();
            self.factor_source_url = own.source_url.clone();
            self.factor_notes = own.notes.clone();
            self.factor_version = own.table_version.clone();
            self.factor_is_estimate = own.is_estimate;
            self.version_id = Some(own.id);
        }
        if own.typical_weight_kg.is_some() {
            self.typical_weight_kg = own.typical_weight_kg;
        }
        if own.new_price_sek.is_some() {
            self.new_price_sek = own.new_price_sek;
            self.new_price_is_estimate = own.new_price_is_estimate;
        }
        self.overridden = true;
        self
    }
}

/// The version valid on `on`: the newest that started by then. Before the first one, the
/// first one (the table a category was created with has always described it).
fn valid_on<'a>(
    versions: impl Iterator<Item = &'a CategoryVersion> + Clone,
    on: NaiveDate,
) -> Option<&'a CategoryVersion> {
    versions
        .clone()
        .filter(|v| v.valid_from <= on)
        .max_by_key(|v| (v.valid_from, v.id))
        .or_else(|| versions.min_by_key(|v| (v.valid_from, v.id)))
}

/// Every version of every category, to resolve figures from.
#[derive(Debug, Clone, Default)]
pub struct FactorBook {
    by_category: HashMap<CategoryId, Vec<CategoryVersion>>,
}

impl FactorBook {
    pub fn new(versions: Vec<CategoryVersion>) -> Self {
        let mut by_category: HashMap<CategoryId, Vec<CategoryVersion>> = HashMap::new();
        for version in versions {
            by_category
                .entry(version.category_id)
                .or_default()
                .push(version);
        }
        for list in by_category.values_mut() {
            list.sort_by_key(|v| (v.valid_from, v.id));
        }
        Self { by_category }
    }

    fn of(&self, category: CategoryId) -> &[CategoryVersion] {
        self.by_category.get(&category).map_or(&[], Vec::as_slice)
    }

    /// `category`'s figures for `organisation` on the day `on`.
    pub fn figures(
        &self,
        category: &Category,
        organisation: OrganisationId,
        on: NaiveDate,
    ) -> Figures {
        let versions = self.of(category.id);
        // A subcategory's owner keeps its figures as the base everyone uses.
        let base = valid_on(
            versions
                .iter()
                .filter(|v| v.organisation_id == category.organisation_id),
            on,
        );
        let figures = Figures::from_base(base);
        if category.organisation_id.is_some() {
            return figures;
        }
        // An override counts only from its own day: before that the national figure held.
        let own = versions
            .iter()
            .filter(|v| v.organisation_id == Some(organisation) && v.valid_from <= on)
            .max_by_key(|v| (v.valid_from, v.id));
        match own {
            Some(own) => figures.overlay(own),
            None => figures,
        }
    }

    /// The versions that made `category`'s figures for `organisation`, oldest first: the
    /// national ones (or the owner's) and the organisation's own.
    pub fn history(
        &self,
        category: &Category,
        organisation: OrganisationId,
    ) -> Vec<&CategoryVersion> {
        self.of(category.id)
            .iter()
            .filter(|v| {
                v.organisation_id == category.organisation_id
                    || v.organisation_id == Some(organisation)
            })
            .collect()
    }

    /// The newest version `organisation` itself wrote for `category`, to start an edit from.
    pub fn own_latest(
        &self,
        category: CategoryId,
        organisation: OrganisationId,
    ) -> Option<&CategoryVersion> {
        self.of(category)
            .iter()
            .filter(|v| v.organisation_id == Some(organisation))
            .max_by_key(|v| (v.valid_from, v.id))
    }
}

pub fn load_book(conn: &mut AnyConnection) -> QueryResult<FactorBook> {
    Ok(FactorBook::new(
        category_versions::table
            .select(CategoryVersion::as_select())
            .load(conn)?,
    ))
}

/// The versions of one category, fresh from the database (for a handover's snapshot).
pub fn load_for(conn: &mut AnyConnection, category: CategoryId) -> QueryResult<FactorBook> {
    Ok(FactorBook::new(
        category_versions::table
            .filter(category_versions::category_id.eq(category))
            .select(CategoryVersion::as_select())
            .load(conn)?,
    ))
}

/// A change of figures as typed, before it is checked.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Change {
    pub valid_from: Option<NaiveDate>,
    pub factor_basis: Option<FactorBasis>,
    pub factor_low: Option<f64>,
    pub factor_central: Option<f64>,
    pub factor_high: Option<f64>,
    pub typical_weight_kg: Option<f64>,
    pub new_price_sek: Option<f64>,
    pub source: String,
    pub source_url: String,
    pub reason: String,
}

/// A change that passed its checks, ready to be written.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedChange {
    pub valid_from: NaiveDate,
    pub factor: Option<FactorRange>,
    pub typical_weight_kg: Option<f64>,
    pub new_price_sek: Option<f64>,
    pub source: String,
    pub source_url: String,
    pub reason: String,
}

/// A link a source may have: http(s), no spaces, of a sane length.
pub fn is_web_link(link: &str) -> bool {
    link.len() <= 500
        && (link.starts_with("https://") || link.starts_with("http://"))
        && !link.chars().any(|c| c.is_whitespace() || c.is_control())
}

fn in_range(value: f64, max: f64) -> bool {
    value.is_finite() && (0.0..=max).contains(&value)
}

impl Change {
    /// Checks the change field by field. `previous` is the start of the latest version it
    /// follows; a change cannot start before it (the history would no longer be a line).
    /// `needs_factor` is set for a subcategory's own figures, which nothing else supplies.
    pub fn check(
        self,
        previous: Option<NaiveDate>,
        needs_factor: bool,
    ) -> Result<CheckedChange, Vec<FieldError>> {
        let mut errors = Vec::new();
        let valid_from = match self.valid_from {
            None => {
                errors.push(FieldError::new("valid_from", "factor-error-valid-from"));
                None
            }
            Some(day) if previous.is_some_and(|previous| day < previous) => {
                errors.push(FieldError::new(
                    "valid_from",
                    "factor-error-before-previous",
                ));
                None
            }
            Some(day) => Some(day),
        };
        let figures = [self.factor_low, self.factor_central, self.factor_high];
        if figures
            .iter()
            .flatten()
            .any(|v| !in_range(*v, MAX_FACTOR_KG_CO2E))
        {
            errors.push(FieldError::new("factor_central", "factor-error-factor"));
        }
        let factor = match (self.factor_central, self.factor_basis) {
            (Some(central), Some(basis)) => Some(FactorRange {
                basis,
                low: self.factor_low,
                central,
                high: self.factor_high,
            }),
            (None, _) if self.factor_low.is_some() || self.factor_high.is_some() => {
                errors.push(FieldError::new("factor_central", "factor-error-central"));
                None
            }
            (Some(_), None) => {
                errors.push(FieldError::new("factor_basis", "factor-error-basis"));
                None
            }
            (None, _) => None,
        };
        if let Some(range) = factor
            && (range.low.is_some_and(|low| low > range.central)
                || range.high.is_some_and(|high| high < range.central))
        {
            errors.push(FieldError::new("factor_low", "factor-error-order"));
        }
        if needs_factor && factor.is_none() && self.factor_central.is_none() {
            errors.push(FieldError::new("factor_central", "factor-error-central"));
        }
        if self
            .typical_weight_kg
            .is_some_and(|w| !in_range(w, MAX_TYPICAL_WEIGHT_KG) || w == 0.0)
        {
            errors.push(FieldError::new("typical_weight_kg", "factor-error-weight"));
        }
        if self
            .new_price_sek
            .is_some_and(|p| !in_range(p, MAX_NEW_PRICE_SEK))
        {
            errors.push(FieldError::new("new_price_sek", "factor-error-price"));
        }
        if factor.is_none()
            && self.typical_weight_kg.is_none()
            && self.new_price_sek.is_none()
            && !needs_factor
            && errors.is_empty()
        {
            errors.push(FieldError::new("factor_central", "factor-error-nothing"));
        }
        let source = self.source.trim().to_string();
        if source.is_empty() || source.chars().count() > 500 {
            errors.push(FieldError::new("source", "factor-error-source"));
        }
        let source_url = self.source_url.trim().to_string();
        if !source_url.is_empty()
            && (source_url.len() > 500
                || !(source_url.starts_with("https://") || source_url.starts_with("http://"))
                || source_url
                    .chars()
                    .any(|c| c.is_whitespace() || c.is_control()))
        {
            errors.push(FieldError::new("source_url", "factor-error-url"));
        }
        let reason = self.reason.trim().to_string();
        if reason.is_empty() || reason.chars().count() > 500 {
            errors.push(FieldError::new("reason", "factor-error-reason"));
        }
        match valid_from {
            Some(valid_from) if errors.is_empty() => Ok(CheckedChange {
                valid_from,
                factor,
                typical_weight_kg: self.typical_weight_kg,
                new_price_sek: self.new_price_sek,
                source,
                source_url,
                reason,
            }),
            _ => Err(errors),
        }
    }
}

/// Who writes a version, and for whom: an organisation, or the national table (`None`).
pub struct Author<'a> {
    pub organisation_id: Option<OrganisationId>,
    pub user_id: Option<UserId>,
    pub table_version: &'a str,
}

#[derive(Insertable)]
#[diesel(table_name = category_versions)]
struct NewVersion<'a> {
    category_id: CategoryId,
    organisation_id: Option<OrganisationId>,
    valid_from: NaiveDate,
    factor_basis: Option<FactorBasis>,
    factor_central: Option<f64>,
    factor_low: Option<f64>,
    factor_high: Option<f64>,
    typical_weight_kg: Option<f64>,
    new_price_sek: Option<f64>,
    new_price_is_estimate: bool,
    source: &'a str,
    source_url: &'a str,
    notes: &'a str,
    table_version: &'a str,
    is_estimate: bool,
    reason: &'a str,
    changed_by: Option<UserId>,
    created_at: NaiveDateTime,
}

/// What a version row holds beyond the checked figures.
pub struct Extra<'a> {
    pub notes: &'a str,
    pub new_price_is_estimate: bool,
    pub is_estimate: bool,
}

impl Extra<'_> {
    /// An organisation's own figures: its prices are what it pays, not estimates.
    pub const OWN: Extra<'static> = Extra {
        notes: "",
        new_price_is_estimate: false,
        is_estimate: false,
    };
}

pub fn insert(
    conn: &mut AnyConnection,
    category: CategoryId,
    author: &Author<'_>,
    change: &CheckedChange,
    extra: &Extra<'_>,
) -> QueryResult<CategoryVersionId> {
    diesel::insert_into(category_versions::table)
        .values(&NewVersion {
            category_id: category,
            organisation_id: author.organisation_id,
            valid_from: change.valid_from,
            factor_basis: change.factor.map(|f| f.basis),
            factor_central: change.factor.map(|f| f.central),
            factor_low: change.factor.and_then(|f| f.low),
            factor_high: change.factor.and_then(|f| f.high),
            typical_weight_kg: change.typical_weight_kg,
            new_price_sek: change.new_price_sek,
            new_price_is_estimate: extra.new_price_is_estimate,
            source: &change.source,
            source_url: &change.source_url,
            notes: extra.notes,
            table_version: author.table_version,
            is_estimate: extra.is_estimate,
            reason: &change.reason,
            changed_by: author.user_id,
            created_at: chrono::Utc::now().naive_utc(),
        })
        .returning(category_versions::id)
        .get_result(conn)
}

/// The start of the newest version `organisation` (or the national table, `None`) wrote
/// for `category`: a new one cannot start before it.
pub fn latest_start(
    conn: &mut AnyConnection,
    category: CategoryId,
    organisation: Option<OrganisationId>,
) -> QueryResult<Option<NaiveDate>> {
    let query = category_versions::table
        .filter(category_versions::category_id.eq(category))
        .select(diesel::dsl::max(category_versions::valid_from))
        .into_boxed();
    let query = match organisation {
        Some(id) => query.filter(category_versions::organisation_id.eq(id)),
        None => query.filter(category_versions::organisation_id.is_null()),
    };
    query.first(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, d).expect("a day")
    }

    fn category(owner: Option<i64>) -> Category {
        Category {
            id: CategoryId(7),
            parent_id: Some(CategoryId(1)),
            slug: "mobler/skrivbord".into(),
            name: "Skrivbord".into(),
            sort_order: 0,
            organisation_id: owner.map(OrganisationId),
        }
    }

    fn version(id: i64, org: Option<i64>, from: NaiveDate) -> CategoryVersion {
        CategoryVersion {
            id: CategoryVersionId(id),
            category_id: CategoryId(7),
            organisation_id: org.map(OrganisationId),
            valid_from: from,
            factor_basis: None,
            factor_central: None,
            factor_low: None,
            factor_high: None,
            typical_weight_kg: None,
            new_price_sek: None,
            new_price_is_estimate: true,
            source: format!("source {id}"),
            source_url: String::new(),
            notes: String::new(),
            table_version: format!("v{id}"),
            is_estimate: false,
            reason: String::new(),
            changed_by: None,
            created_at: from.and_hms_opt(0, 0, 0).expect("a time"),
        }
    }

    fn with_factor(mut v: CategoryVersion, central: f64) -> CategoryVersion {
        v.factor_basis = Some(FactorBasis::PerItem);
        v.factor_central = Some(central);
        v
    }

    #[test]
    fn the_version_valid_on_the_day_is_used() {
        let book = FactorBook::new(vec![
            with_factor(version(1, None, day(1)), 96.0),
            with_factor(version(2, None, day(10)), 110.0),
        ]);
        let desk = category(None);
        let on = |d| book.figures(&desk, OrganisationId(3), day(d)).factor();
        assert_eq!(on(5), Some(Factor::PerItem { kg_co2e: 96.0 }));
        assert_eq!(on(10), Some(Factor::PerItem { kg_co2e: 110.0 }));
        // Before the first version, the first one describes the category.
        let earlier = NaiveDate::from_ymd_opt(2020, 1, 1).expect("a day");
        assert_eq!(
            book.figures(&desk, OrganisationId(3), earlier).factor(),
            Some(Factor::PerItem { kg_co2e: 96.0 })
        );
    }

    #[test]
    fn an_organisation_overrides_what_it_sets_and_inherits_the_rest() {
        let mut price_only = version(3, Some(3), day(5));
        price_only.new_price_sek = Some(2650.0);
        price_only.new_price_is_estimate = false;
        let mut national = with_factor(version(1, None, day(1)), 96.0);
        national.new_price_sek = Some(5000.0);
        let later_national = with_factor(version(2, None, day(20)), 120.0);
        let book = FactorBook::new(vec![national, price_only, later_national]);
        let desk = category(None);
        let own = book.figures(&desk, OrganisationId(3), day(6));
        assert_eq!(own.new_price_sek, Some(2650.0));
        assert!(!own.new_price_is_estimate);
        assert_eq!(own.factor(), Some(Factor::PerItem { kg_co2e: 96.0 }));
        assert_eq!(own.factor_source, "source 1");
        assert!(own.overridden);
        // A later national factor still reaches the organisation that set only a price.
        let later = book.figures(&desk, OrganisationId(3), day(21));
        assert_eq!(later.factor(), Some(Factor::PerItem { kg_co2e: 120.0 }));
        assert_eq!(later.new_price_sek, Some(2650.0));
        // Before its own day, and for everyone else, the national price holds.
        assert_eq!(
            book.figures(&desk, OrganisationId(3), day(4)).new_price_sek,
            Some(5000.0)
        );
        assert_eq!(
            book.figures(&desk, OrganisationId(4), day(6)).new_price_sek,
            Some(5000.0)
        );
    }

    #[test]
    fn the_low_end_of_a_range_is_counted() {
        let mut screen = with_factor(version(1, None, day(1)), 340.0);
        screen.factor_low = Some(65.9);
        screen.factor_high = Some(520.0);
        let book = FactorBook::new(vec![screen]);
        let figures = book.figures(&category(None), OrganisationId(1), day(2));
        assert_eq!(figures.factor(), Some(Factor::PerItem { kg_co2e: 65.9 }));
        assert_eq!(
            figures.high_factor(),
            Some(Factor::PerItem { kg_co2e: 520.0 })
        );
        assert!(figures.factor.is_some_and(|f| f.is_range()));
    }

    #[test]
    fn a_subcategory_has_its_owners_figures_for_everyone() {
        let book = FactorBook::new(vec![with_factor(version(1, Some(3), day(1)), 178.0)]);
        let own = category(Some(3));
        for viewer in [3, 4] {
            assert_eq!(
                book.figures(&own, OrganisationId(viewer), day(2)).factor(),
                Some(Factor::PerItem { kg_co2e: 178.0 })
            );
        }
    }

    fn change() -> Change {
        Change {
            valid_from: Some(day(4)),
            factor_basis: Some(FactorBasis::PerItem),
            factor_central: Some(96.0),
            source: "Ramavtal".into(),
            reason: "nytt avtal".into(),
            ..Change::default()
        }
    }

    fn keys(result: Result<CheckedChange, Vec<FieldError>>) -> Vec<&'static str> {
        result
            .err()
            .unwrap_or_default()
            .iter()
            .map(|e| e.message_key)
            .collect()
    }

    #[test]
    fn changes_are_checked_field_by_field() {
        assert!(change().check(Some(day(4)), false).is_ok());
        assert_eq!(
            keys(change().check(Some(day(5)), false)),
            ["factor-error-before-previous"]
        );
        let negative = Change {
            factor_central: Some(-1.0),
            ..change()
        };
        assert_eq!(keys(negative.check(None, false)), ["factor-error-factor"]);
        let upside_down = Change {
            factor_low: Some(120.0),
            ..change()
        };
        assert_eq!(keys(upside_down.check(None, false)), ["factor-error-order"]);
        let no_source = Change {
            source: " ".into(),
            reason: String::new(),
            ..change()
        };
        assert_eq!(
            keys(no_source.check(None, false)),
            ["factor-error-source", "factor-error-reason"]
        );
        let nothing = Change {
            factor_basis: None,
            factor_central: None,
            ..change()
        };
        assert_eq!(
            keys(nothing.clone().check(None, false)),
            ["factor-error-nothing"]
        );
        assert_eq!(keys(nothing.check(None, true)), ["factor-error-central"]);
        let bad_url = Change {
            source_url: "javascript:alert(1)".into(),
            ..change()
        };
        assert_eq!(keys(bad_url.check(None, false)), ["factor-error-url"]);
        let huge_price = Change {
            new_price_sek: Some(1e12),
            ..change()
        };
        assert_eq!(keys(huge_price.check(None, false)), ["factor-error-price"]);
    }
}
