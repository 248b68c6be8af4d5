//! Savings statistics: what an organisation's ledger adds up to, over a period, per month,
//! category, unit and partner organisation. Everything is summed from the immutable ledger
//! rows (reversals included, so corrections cancel), read in id order batch by batch so
//! neither the dashboard nor an export ever holds more than one batch in memory.

pub mod chart;
pub mod export;
pub mod monthly;
pub mod pdf;
pub mod period;
pub mod programme;
pub mod quality;

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use diesel::prelude::*;
use serde::Serialize;

use crate::categories::Category;
use crate::db::schema::{organisations, reuse_records};
use crate::db::{AnyConnection, MultiBackend};
use crate::i18n::{local_day_start, local_month};
use crate::ids::{CategoryId, ItemId, OrganisationId, RecordId, UnitId};
use crate::items::FieldError;
use crate::ledger::{FactorKind, ReuseRecord};
use crate::ledger::{Grams, Ore};

/// Rows read per query; small enough to bound memory, large enough that a million rows take
/// a few hundred queries.
pub const BATCH: i64 = 2_000;

/// Which records a figure is about. A handover counts once, for the organisation that
/// received it (it avoided the purchase); what an organisation gave to others is shown
/// separately and never added to its own totals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Received,
    GivenToOthers,
}

/// A period, a unit (giving or receiving) and categories, as chosen on the dashboard.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    /// First day included (local time).
    pub from: Option<NaiveDate>,
    /// Last day included (local time).
    pub to: Option<NaiveDate>,
    pub unit_id: Option<UnitId>,
    /// A category and its subcategories.
    pub category_ids: Option<Vec<CategoryId>>,
    /// Set when the period was chosen as a calendar month, quarter, tertial or year.
    pub kind: Option<period::Kind>,
}

impl Filter {
    /// The chosen period, when both ends are given.
    pub fn period(&self) -> Option<period::Period> {
        let (from, to) = (self.from?, self.to?);
        Some(period::Period {
            kind: self.kind,
            from,
            to,
        })
    }

    /// The same filter over another period.
    pub fn over(&self, other: period::Period) -> Filter {
        Filter {
            from: Some(other.from),
            to: Some(other.to),
            kind: other.kind,
            ..self.clone()
        }
    }
}

/// The dashboard's filter as typed, before it is checked.
#[derive(Debug, Clone, Default, serde::Deserialize, Serialize)]
pub struct RawFilter {
    /// A calendar period's code (`q2026-3`); empty for the typed days.
    #[serde(default)]
    pub period: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub category: String,
}

impl RawFilter {
    /// Checks dates, and that the unit and category exist for this organisation.
    pub fn parse(
        &self,
        unit_ids: &[UnitId],
        categories: &[Category],
    ) -> Result<Filter, Vec<FieldError>> {
        let mut errors = Vec::new();
        let preset = match self.period.trim() {
            "" => None,
            code => match period::Period::parse(code) {
                Some(found) => Some(found),
                None => {
                    errors.push(FieldError::new("period", "stats-error-preset"));
                    None
                }
            },
        };
        let mut date = |field: &'static str, raw: &str| {
            let raw = raw.trim();
            if raw.is_empty() {
                return None;
            }
            match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
                Ok(day) if (2000..=2200).contains(&day.year()) => Some(day),
                _ => {
                    errors.push(FieldError::new(field, "stats-error-date"));
                    None
                }
            }
        };
        let (from, to) = match preset {
            Some(chosen) => (Some(chosen.from), Some(chosen.to)),
            None => (date("from", &self.from), date("to", &self.to)),
        };
        if let (Some(from), Some(to)) = (from, to)
            && from > to
        {
            errors.push(FieldError::new("to", "stats-error-period"));
        }
        let unit_id = match self.unit.trim() {
            "" => None,
            raw => match raw.parse::<UnitId>() {
                Ok(id) if unit_ids.contains(&id) => Some(id),
                _ => {
                    errors.push(FieldError::new("unit", "stats-error-unit"));
                    None
                }
            },
        };
        let category_ids = match self.category.trim() {
            "" => None,
            slug => match categories.iter().find(|c| c.slug == slug) {
                Some(chosen) => Some(
                    categories
                        .iter()
                        .filter(|c| c.id == chosen.id || c.parent_id == Some(chosen.id))
                        .map(|c| c.id)
                        .collect(),
                ),
                None => {
                    errors.push(FieldError::new("category", "stats-error-category"));
                    None
                }
            },
        };
        if errors.is_empty() {
            Ok(Filter {
                from,
                to,
                unit_id,
                category_ids,
                kind: preset.and_then(|p| p.kind),
            })
        } else {
            Err(errors)
        }
    }
}

/// The records of one organisation a figure or export is made from.
#[derive(Debug, Clone)]
pub struct Scope {
    pub organisation_id: OrganisationId,
    pub side: Side,
    pub filter: Filter,
}

pub(crate) type ScopedRecords = reuse_records::BoxedQuery<'static, MultiBackend>;

/// The records in scope after `after_id`, in id order, `limit` of them.
fn scoped(scope: &Scope, after_id: i64, limit: i64) -> ScopedRecords {
    in_scope(scope)
        .filter(reuse_records::id.gt(after_id))
        .order(reuse_records::id.asc())
        .limit(limit)
}

/// The records in scope, unordered.
fn in_scope(scope: &Scope) -> ScopedRecords {
    let mut query = reuse_records::table.into_boxed();
    query = match scope.side {
        Side::Received => {
            query.filter(reuse_records::receiving_organisation_id.eq(scope.organisation_id))
        }
        Side::GivenToOthers => query
            .filter(reuse_records::giving_organisation_id.eq(scope.organisation_id))
            .filter(reuse_records::receiving_organisation_id.ne(scope.organisation_id)),
    };
    let filter = &scope.filter;
    if let Some(from) = filter.from {
        query = query.filter(reuse_records::recorded_at.ge(local_day_start(from)));
    }
    if let Some(to) = filter.to.and_then(|to| to.succ_opt()) {
        query = query.filter(reuse_records::recorded_at.lt(local_day_start(to)));
    }
    if let Some(unit_id) = filter.unit_id {
        query = query.filter(
            reuse_records::from_unit_id
                .eq(unit_id)
                .or(reuse_records::to_unit_id.eq(unit_id)),
        );
    }
    if let Some(ids) = &filter.category_ids {
        query = query.filter(reuse_records::category_id.eq_any(ids.clone()));
    }
    query
}

/// The totals of a scope (where no breakdown is needed).
pub fn totals(conn: &mut AnyConnection, scope: &Scope) -> QueryResult<Totals> {
    Ok(monthly::sum(conn, scope, false)?.totals())
}

/// The factor sources the records in scope were counted with: category, source and
/// version, by category (for the report's list of sources).
pub fn sources(
    conn: &mut AnyConnection,
    scope: &Scope,
    limit: i64,
) -> QueryResult<Vec<(String, String, String)>> {
    in_scope(scope)
        .filter(reuse_records::factor_kind.ne(FactorKind::None))
        .select((
            reuse_records::category_name,
            reuse_records::factor_source,
            reuse_records::factor_version,
        ))
        .distinct()
        .order((
            reuse_records::category_name.asc(),
            reuse_records::factor_version.desc(),
        ))
        .limit(limit)
        .load(conn)
}

/// The next batch of whole records after `after_id` (for exports).
pub fn batch(
    conn: &mut AnyConnection,
    scope: &Scope,
    after_id: i64,
    limit: i64,
) -> QueryResult<Vec<ReuseRecord>> {
    scoped(scope, after_id, limit)
        .select(ReuseRecord::as_select())
        .load(conn)
}

/// The columns sums and breakdowns need: a third of a record, so summing a million rows
/// reads and allocates far less than exporting them.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = reuse_records)]
pub struct SummedRecord {
    pub id: RecordId,
    pub reverses_id: Option<RecordId>,
    pub giving_organisation_id: OrganisationId,
    pub receiving_organisation_id: OrganisationId,
    pub from_unit_name: String,
    pub to_unit_name: String,
    pub category_name: String,
    pub quantity: i32,
    pub co2e_grams: Grams,
    pub money_saved_ore: Ore,
    pub material_grams: Grams,
    pub recorded_at: chrono::NaiveDateTime,
    pub co2e_grams_high: Option<Grams>,
    pub item_id: ItemId,
    pub item_title: String,
    pub category_id: CategoryId,
    pub factor_kind: FactorKind,
    pub weight_kg: Option<f64>,
}

impl SummedRecord {
    fn quality_facts(&self) -> quality::Facts<'_> {
        quality::Facts {
            is_reversal: self.reverses_id.is_some(),
            co2e_grams: self.co2e_grams,
            factor_kind: self.factor_kind,
            weight_kg: self.weight_kg,
            category_id: self.category_id,
            category_name: &self.category_name,
            item_id: self.item_id,
            item_title: &self.item_title,
        }
    }
}

/// Sums of a set of records. Reversals carry opposite figures, so they subtract.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Handovers (a reversal takes one away).
    pub handovers: i64,
    /// Items reused.
    pub items: i64,
    pub co2e_grams: Grams,
    /// The same saving counted with the high end of each factor's range.
    pub co2e_grams_high: Grams,
    pub money_ore: Ore,
    pub material_grams: Grams,
}

impl Totals {
    pub fn add(&mut self, record: &SummedRecord) {
        self.add_figures(
            record.reverses_id.is_some(),
            record.quantity,
            (record.co2e_grams, record.co2e_grams_high),
            record.money_saved_ore,
            record.material_grams,
        );
    }

    /// One record's figures; a reversal takes a handover away. A record without a high
    /// figure had no range: its high end is its figure.
    pub fn add_figures(
        &mut self,
        is_reversal: bool,
        quantity: i32,
        (co2e_grams, co2e_grams_high): (Grams, Option<Grams>),
        money_ore: Ore,
        material_grams: Grams,
    ) {
        self.handovers += if is_reversal { -1 } else { 1 };
        self.items += i64::from(quantity);
        self.co2e_grams += co2e_grams;
        self.co2e_grams_high += co2e_grams_high.unwrap_or(co2e_grams);
        self.money_ore += money_ore;
        self.material_grams += material_grams;
    }
}

impl std::ops::AddAssign for Totals {
    fn add_assign(&mut self, other: Totals) {
        self.handovers += other.handovers;
        self.items += other.items;
        self.co2e_grams += other.co2e_grams;
        self.co2e_grams_high += other.co2e_grams_high;
        self.money_ore += other.money_ore;
        self.material_grams += other.material_grams;
    }
}

/// A group in a breakdown: its label and sums.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Group {
    pub label: String,
    pub totals: Totals,
}

/// Everything the dashboard shows for one scope.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub totals: Totals,
    /// Every month from the first to the last with records (or the filter's period), oldest
    /// first; months without handovers are there with zeros so a chart has no gaps.
    pub by_month: Vec<Group>,
    pub by_category: Vec<Group>,
    pub by_giving_unit: Vec<Group>,
    pub by_receiving_unit: Vec<Group>,
    /// Per giving organisation (own and network partners).
    pub by_giving_organisation: Vec<Group>,
    /// Per receiving organisation (what went to each partner, in a scope of given records).
    pub by_receiving_organisation: Vec<Group>,
    /// Handovers counted as 0 kg because a factor or a weight was missing.
    pub uncounted: Vec<quality::Uncounted>,
}

/// Builds a [`Summary`] record by record.
#[derive(Default)]
pub struct Summing {
    totals: Totals,
    months: BTreeMap<String, Totals>,
    categories: BTreeMap<String, Totals>,
    giving_units: BTreeMap<String, Totals>,
    receiving_units: BTreeMap<String, Totals>,
    giving_organisations: BTreeMap<OrganisationId, Totals>,
    receiving_organisations: BTreeMap<OrganisationId, Totals>,
    pub(crate) uncounted: quality::Collecting,
}

impl Summing {
    /// One record: its sums, and whether it counted 0 kg for want of a factor or weight.
    pub fn add(&mut self, record: &SummedRecord) {
        self.add_sums(record);
        self.add_uncounted(record);
    }

    /// One record's flag, when it counted 0 kg for want of a factor or weight.
    pub fn add_uncounted(&mut self, record: &SummedRecord) {
        self.uncounted.add(&record.quality_facts());
    }

    /// One row of the monthly sums (`ledger_months`).
    pub fn add_month(&mut self, row: &monthly::MonthRow) {
        let totals = Totals {
            // A reversal is a row too, and takes its handover away.
            handovers: row.records - 2 * row.reversals,
            items: row.items,
            co2e_grams: row.co2e_grams,
            co2e_grams_high: row.co2e_grams_high,
            money_ore: row.money_ore,
            material_grams: row.material_grams,
        };
        self.totals += totals;
        *self.months.entry(row.month.clone()).or_default() += totals;
        *group_entry(&mut self.categories, &row.category_name) += totals;
        *group_entry(&mut self.giving_units, &row.from_unit_name) += totals;
        *group_entry(&mut self.receiving_units, &row.to_unit_name) += totals;
        *self
            .giving_organisations
            .entry(row.giving_organisation_id)
            .or_default() += totals;
        *self
            .receiving_organisations
            .entry(row.receiving_organisation_id)
            .or_default() += totals;
    }

    /// The totals so far.
    pub fn totals(&self) -> Totals {
        self.totals
    }

    /// One record's sums (its 0 kg flag is read separately, see [`monthly::sum`]).
    pub fn add_sums(&mut self, record: &SummedRecord) {
        self.totals.add(record);
        self.months
            .entry(local_month(record.recorded_at))
            .or_default()
            .add(record);
        self.categories
            .entry(record.category_name.clone())
            .or_default()
            .add(record);
        self.giving_units
            .entry(record.from_unit_name.clone())
            .or_default()
            .add(record);
        self.receiving_units
            .entry(record.to_unit_name.clone())
            .or_default()
            .add(record);
        self.giving_organisations
            .entry(record.giving_organisation_id)
            .or_default()
            .add(record);
        self.receiving_organisations
            .entry(record.receiving_organisation_id)
            .or_default()
            .add(record);
    }

    /// `organisation_names` names the giving organisations; `period` widens the months shown.
    pub fn finish(
        self,
        organisation_names: &BTreeMap<OrganisationId, String>,
        filter: &Filter,
    ) -> Summary {
        let largest_first = |map: BTreeMap<String, Totals>| {
            let mut groups: Vec<Group> = map
                .into_iter()
                .map(|(label, totals)| Group { label, totals })
                .collect();
            groups.sort_by(|a, b| {
                b.totals
                    .co2e_grams
                    .cmp(&a.totals.co2e_grams)
                    .then_with(|| a.label.cmp(&b.label))
            });
            groups
        };
        let months = month_range(&self.months, filter)
            .into_iter()
            .map(|label| {
                let totals = self.months.get(&label).copied().unwrap_or_default();
                Group { label, totals }
            })
            .collect();
        let named = |map: BTreeMap<OrganisationId, Totals>| {
            map.into_iter()
                .map(|(id, totals)| {
                    let label = organisation_names
                        .get(&id)
                        .cloned()
                        .unwrap_or_else(|| format!("#{id}"));
                    (label, totals)
                })
                .collect::<BTreeMap<String, Totals>>()
        };
        let giving = named(self.giving_organisations);
        let receiving = named(self.receiving_organisations);
        Summary {
            totals: self.totals,
            by_month: months,
            by_category: largest_first(self.categories),
            by_giving_unit: largest_first(self.giving_units),
            by_receiving_unit: largest_first(self.receiving_units),
            by_giving_organisation: largest_first(giving),
            by_receiving_organisation: largest_first(receiving),
            uncounted: self.uncounted.finish(),
        }
    }
}

/// A group's sums by its label, found without copying the label for every row.
pub(crate) fn group_entry<'m>(
    map: &'m mut BTreeMap<String, Totals>,
    label: &str,
) -> &'m mut Totals {
    if !map.contains_key(label) {
        map.insert(label.to_string(), Totals::default());
    }
    map.get_mut(label).expect("inserted above")
}

/// At most this many months in a chart; a longer period shows its last ten years.
const MAX_MONTHS: usize = 120;

/// Every month from the earliest to the latest of those seen and the filter's bounds.
fn month_range(seen: &BTreeMap<String, Totals>, filter: &Filter) -> Vec<String> {
    let parse = |label: &str| {
        let (year, month) = label.split_once('-')?;
        Some((year.parse::<i32>().ok()?, month.parse::<u32>().ok()?))
    };
    let mut bounds: Vec<(i32, u32)> = seen.keys().filter_map(|label| parse(label)).collect();
    bounds.extend(filter.from.map(|d| (d.year(), d.month())));
    bounds.extend(filter.to.map(|d| (d.year(), d.month())));
    let (Some(first), Some(last)) = (bounds.iter().min(), bounds.iter().max()) else {
        return Vec::new();
    };
    let mut months = Vec::new();
    let (mut year, mut month) = *first;
    while (year, month) <= *last {
        months.push(format!("{year:04}-{month:02}"));
        (year, month) = if month == 12 {
            (year + 1, 1)
        } else {
            (year, month + 1)
        };
    }
    let skip = months.len().saturating_sub(MAX_MONTHS);
    months.split_off(skip)
}

/// Organisation names by id, for labels and exports (a handful of rows).
pub fn organisation_names(
    conn: &mut AnyConnection,
) -> QueryResult<BTreeMap<OrganisationId, String>> {
    Ok(organisations::table
        .select((organisations::id, organisations::name))
        .load::<(OrganisationId, String)>(conn)?
        .into_iter()
        .collect())
}

/// Sums the records in scope one by one, without the monthly sums: the reference the
/// monthly sums are held to (the tests compare both on many filters).
pub fn summarise_each_record(
    conn: &mut AnyConnection,
    scope: &Scope,
    organisation_names: &BTreeMap<OrganisationId, String>,
) -> QueryResult<Summary> {
    let mut summing = Summing::default();
    let mut after = 0;
    loop {
        let rows: Vec<SummedRecord> = scoped(scope, after, BATCH)
            .select(SummedRecord::as_select())
            .load(conn)?;
        for row in &rows {
            summing.add(row);
        }
        match rows.last() {
            Some(last) if rows.len() as i64 == BATCH => after = last.id.0,
            _ => return Ok(summing.finish(organisation_names, &scope.filter)),
        }
    }
}

/// Whether an organisation's monthly sums still add up to its records, all time: `None`
/// when they do, else both totals (monthly sums first). `bruka ledger verify` asks this,
/// since the dashboard believes the sums.
pub fn monthly_sums_disagree(
    conn: &mut AnyConnection,
    organisation_id: OrganisationId,
) -> QueryResult<Option<(Totals, Totals)>> {
    let scope = Scope {
        organisation_id,
        side: Side::Received,
        filter: Filter::default(),
    };
    let monthly = totals(conn, &scope)?;
    let each = summarise_each_record(conn, &scope, &BTreeMap::new())?.totals;
    Ok((monthly != each).then_some((monthly, each)))
}

/// Sums the records in scope (whole months from the monthly sums, see [`monthly`]).
pub fn summarise(
    conn: &mut AnyConnection,
    scope: &Scope,
    organisation_names: &BTreeMap<OrganisationId, String>,
) -> QueryResult<Summary> {
    Ok(monthly::sum(conn, scope, true)?.finish(organisation_names, &scope.filter))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn category(id: i64, parent_id: Option<i64>, slug: &str) -> Category {
        Category {
            id: CategoryId(id),
            parent_id: parent_id.map(CategoryId),
            slug: slug.to_string(),
            name: slug.to_string(),
            sort_order: 0,
            organisation_id: None,
        }
    }

    #[test]
    fn filter_accepts_known_values_and_includes_subcategories() {
        let categories = vec![
            category(1, None, "mobler"),
            category(2, Some(1), "kontorsstol"),
            category(3, None, "it"),
        ];
        let raw = RawFilter {
            from: "2026-01-01".into(),
            to: " 2026-06-30 ".into(),
            unit: "7".into(),
            category: "mobler".into(),
            ..RawFilter::default()
        };
        let filter = raw.parse(&[UnitId(7)], &categories).expect("valid");
        assert_eq!(filter.from, NaiveDate::from_ymd_opt(2026, 1, 1));
        assert_eq!(filter.to, NaiveDate::from_ymd_opt(2026, 6, 30));
        assert_eq!(filter.unit_id, Some(UnitId(7)));
        assert_eq!(
            filter.category_ids,
            Some(vec![CategoryId(1), CategoryId(2)])
        );
        assert_eq!(RawFilter::default().parse(&[], &[]), Ok(Filter::default()));
    }

    #[test]
    fn filter_refuses_bad_dates_foreign_units_and_unknown_categories() {
        let raw = RawFilter {
            from: "2026-13-01".into(),
            to: "igår".into(),
            unit: "8".into(),
            category: "nope".into(),
            ..RawFilter::default()
        };
        let errors = raw.parse(&[UnitId(7)], &[]).expect_err("invalid");
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["from", "to", "unit", "category"]);
        let backwards = RawFilter {
            from: "2026-06-01".into(),
            to: "2026-05-01".into(),
            ..RawFilter::default()
        };
        let errors = backwards.parse(&[], &[]).expect_err("invalid");
        assert_eq!(errors[0].message_key, "stats-error-period");
    }

    #[test]
    fn a_calendar_period_sets_both_days_and_wins_over_typed_ones() {
        let raw = RawFilter {
            period: "t2026-2".into(),
            from: "nonsense".into(),
            ..RawFilter::default()
        };
        let filter = raw.parse(&[], &[]).expect("valid");
        assert_eq!(filter.from, NaiveDate::from_ymd_opt(2026, 5, 1));
        assert_eq!(filter.to, NaiveDate::from_ymd_opt(2026, 8, 31));
        assert_eq!(filter.kind, Some(period::Kind::Tertial));
        assert_eq!(
            filter.period().map(|p| p.previous().from),
            NaiveDate::from_ymd_opt(2026, 1, 1)
        );
        let unknown = RawFilter {
            period: "q2026-9".into(),
            ..RawFilter::default()
        };
        let errors = unknown.parse(&[], &[]).expect_err("invalid");
        assert_eq!(errors[0].field, "period");
    }

    #[test]
    fn months_without_handovers_are_filled_in() {
        let mut seen = BTreeMap::new();
        seen.insert("2026-11".to_string(), Totals::default());
        seen.insert("2027-02".to_string(), Totals::default());
        assert_eq!(
            month_range(&seen, &Filter::default()),
            ["2026-11", "2026-12", "2027-01", "2027-02"]
        );
        let period = Filter {
            from: NaiveDate::from_ymd_opt(2026, 10, 5),
            ..Filter::default()
        };
        assert_eq!(month_range(&seen, &period).len(), 5);
        assert!(month_range(&BTreeMap::new(), &Filter::default()).is_empty());
    }
}
