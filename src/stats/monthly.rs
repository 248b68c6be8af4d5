//! Summing a scope fast: whole local months come from the ledger's monthly sums
//! (`ledger_months`), and only the days at a period's ends that do not fill a month are
//! read record by record (in time order, on the time index). Handovers counted as 0 kg are
//! read on their own, narrow index.

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::quality::{LISTINGS_NAMED, Missing, Uncounted};
use super::{Scope, Side, SummedRecord, Summing, in_scope};
use crate::db::AnyConnection;
use crate::db::schema::{ledger_months, reuse_records};
use crate::ids::{CategoryId, OrganisationId, RecordId};
use crate::ledger::{FactorKind, Grams, Ore};

/// One row of the monthly sums.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ledger_months)]
pub struct MonthRow {
    pub receiving_organisation_id: OrganisationId,
    pub month: String,
    pub giving_organisation_id: OrganisationId,
    pub category_id: CategoryId,
    pub category_name: String,
    pub from_unit_name: String,
    pub to_unit_name: String,
    pub records: i64,
    pub reversals: i64,
    pub items: i64,
    pub co2e_grams: Grams,
    pub co2e_grams_high: Grams,
    pub money_ore: Ore,
    pub material_grams: Grams,
}

/// Which whole months come from the sums (open ends reach all), and which ranges of days
/// are read from the records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    pub months: Option<(Option<String>, Option<String>)>,
    pub days: Vec<(NaiveDate, NaiveDate)>,
}

fn month_of(day: NaiveDate) -> String {
    format!("{:04}-{:02}", day.year(), day.month())
}

fn first_of_month(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

fn last_of_month(day: NaiveDate) -> NaiveDate {
    first_of_month(day)
        .checked_add_months(chrono::Months::new(1))
        .and_then(|next| next.pred_opt())
        .unwrap_or(day)
}

/// Splits a period of local days into whole months and the days around them.
pub fn split(from: Option<NaiveDate>, to: Option<NaiveDate>) -> Split {
    let mut days = Vec::new();
    // The first whole month, and the last.
    let low = match from {
        None => Some(None),
        Some(from) if from.day() == 1 => Some(Some(from)),
        Some(from) => {
            let end = to.map_or(last_of_month(from), |to| to.min(last_of_month(from)));
            days.push((from, end));
            last_of_month(from).succ_opt().map(Some)
        }
    };
    let read_from_days = from.filter(|from| from.day() != 1);
    let high = match to {
        None => Some(None),
        Some(to) if to == last_of_month(to) => Some(Some(to)),
        Some(to) => {
            let start = first_of_month(to);
            // The same month as a ragged `from`: its days are already read.
            if read_from_days.is_none_or(|from| first_of_month(from) != start) {
                days.push((start.max(from.unwrap_or(start)), to));
            }
            first_of_month(to).pred_opt().map(Some)
        }
    };
    let months = match (low, high) {
        (Some(low), Some(high)) => match (low, high) {
            (Some(low), Some(high)) if low > high => None,
            (low, high) => Some((low.map(month_of), high.map(month_of))),
        },
        _ => None,
    };
    Split { months, days }
}

/// Adds the scope's whole months from the monthly sums.
fn add_months(
    conn: &mut AnyConnection,
    scope: &Scope,
    (low, high): &(Option<String>, Option<String>),
    summing: &mut Summing,
) -> QueryResult<()> {
    let mut query = ledger_months::table.into_boxed();
    query = match scope.side {
        Side::Received => {
            query.filter(ledger_months::receiving_organisation_id.eq(scope.organisation_id))
        }
        Side::GivenToOthers => query
            .filter(ledger_months::giving_organisation_id.eq(scope.organisation_id))
            .filter(ledger_months::receiving_organisation_id.ne(scope.organisation_id)),
    };
    if let Some(low) = low {
        query = query.filter(ledger_months::month.ge(low.clone()));
    }
    if let Some(high) = high {
        query = query.filter(ledger_months::month.le(high.clone()));
    }
    if let Some(unit_id) = scope.filter.unit_id {
        query = query.filter(
            ledger_months::from_unit_id
                .eq(unit_id.0)
                .or(ledger_months::to_unit_id.eq(unit_id.0)),
        );
    }
    if let Some(ids) = &scope.filter.category_ids {
        query = query.filter(ledger_months::category_id.eq_any(ids.clone()));
    }
    for row in query.select(MonthRow::as_select()).load(conn)? {
        summing.add_month(&row);
    }
    Ok(())
}

/// Records read per query at a period's ends.
const DAY_BATCH: i64 = 2_000;

/// Adds the records of some days, in time order, a batch at a time.
fn add_days(
    conn: &mut AnyConnection,
    scope: &Scope,
    (from, to): (NaiveDate, NaiveDate),
    summing: &mut Summing,
) -> QueryResult<()> {
    let days = Scope {
        filter: super::Filter {
            from: Some(from),
            to: Some(to),
            ..scope.filter.clone()
        },
        ..scope.clone()
    };
    let mut after: Option<(NaiveDateTime, RecordId)> = None;
    loop {
        let mut query = in_scope(&days);
        if let Some((at, id)) = after {
            query = query.filter(
                reuse_records::recorded_at
                    .gt(at)
                    .or(reuse_records::recorded_at
                        .eq(at)
                        .and(reuse_records::id.gt(id))),
            );
        }
        let rows: Vec<SummedRecord> = query
            .order((reuse_records::recorded_at.asc(), reuse_records::id.asc()))
            .limit(DAY_BATCH)
            .select(SummedRecord::as_select())
            .load(conn)?;
        for row in &rows {
            summing.add_sums(row);
        }
        match rows.last() {
            Some(last) if rows.len() as i64 == DAY_BATCH => {
                after = Some((last.recorded_at, last.id))
            }
            _ => return Ok(()),
        }
    }
}

/// The records counted as 0 kg for want of a factor or weight: the same condition as the
/// partial index `reuse_records_uncounted`.
fn uncounted_records(scope: &Scope) -> super::ScopedRecords {
    in_scope(scope)
        .filter(reuse_records::co2e_grams.eq(Grams(0)))
        .filter(
            reuse_records::factor_kind
                .eq(FactorKind::None)
                .or(reuse_records::factor_kind
                    .eq(FactorKind::PerKg)
                    .and(reuse_records::weight_kg.is_null())),
        )
}

/// Adds the handovers counted as 0 kg (received scopes): their rows are read on the partial
/// index, four narrow columns each, then the category's name from each group's first row
/// and, for a missing weight, the first listings to weigh.
fn add_uncounted(
    conn: &mut AnyConnection,
    scope: &Scope,
    summing: &mut Summing,
) -> QueryResult<()> {
    // (category, missing) → (net handovers, first record id)
    let mut groups: std::collections::BTreeMap<(CategoryId, Missing), (i64, RecordId)> =
        std::collections::BTreeMap::new();
    let mut after = 0;
    loop {
        let rows: Vec<(RecordId, CategoryId, FactorKind, Option<RecordId>)> =
            uncounted_records(scope)
                .filter(reuse_records::id.gt(after))
                .order(reuse_records::id.asc())
                .limit(UNCOUNTED_BATCH)
                .select((
                    reuse_records::id,
                    reuse_records::category_id,
                    reuse_records::factor_kind,
                    reuse_records::reverses_id,
                ))
                .load(conn)?;
        for (id, category_id, kind, reverses) in &rows {
            let missing = if *kind == FactorKind::None {
                Missing::Factor
            } else {
                Missing::Weight
            };
            let group = groups.entry((*category_id, missing)).or_insert((0, *id));
            // A reversal takes its handover away again.
            group.0 += if reverses.is_some() { -1 } else { 1 };
        }
        match rows.last() {
            Some((id, ..)) if rows.len() as i64 == UNCOUNTED_BATCH => after = id.0,
            _ => break,
        }
    }
    for ((category_id, missing), (handovers, first)) in groups {
        let category_name: String = reuse_records::table
            .find(first)
            .select(reuse_records::category_name)
            .first(conn)?;
        let listings = if missing == Missing::Weight && handovers > 0 {
            first_listings(conn, scope, category_id)?
        } else {
            Vec::new()
        };
        summing.uncounted.add_counted(Uncounted {
            category_id,
            category_name,
            missing,
            handovers,
            listings,
        });
    }
    Ok(())
}

/// Narrow rows read per query for the 0 kg flags.
const UNCOUNTED_BATCH: i64 = 20_000;

/// The first listings (by their first record) in a category whose weight was missing.
fn first_listings(
    conn: &mut AnyConnection,
    scope: &Scope,
    category_id: CategoryId,
) -> QueryResult<Vec<(crate::ids::ItemId, String)>> {
    let mut named: Vec<(crate::ids::ItemId, String)> = Vec::new();
    let mut after = 0;
    loop {
        let rows: Vec<(RecordId, crate::ids::ItemId, String)> = uncounted_records(scope)
            .filter(reuse_records::factor_kind.eq(FactorKind::PerKg))
            .filter(reuse_records::category_id.eq(category_id))
            .filter(reuse_records::reverses_id.is_null())
            .filter(reuse_records::id.gt(after))
            .order(reuse_records::id.asc())
            .limit(DAY_BATCH)
            .select((
                reuse_records::id,
                reuse_records::item_id,
                reuse_records::item_title,
            ))
            .load(conn)?;
        for (_, item_id, title) in &rows {
            if named.len() < LISTINGS_NAMED && !named.iter().any(|(id, _)| id == item_id) {
                named.push((*item_id, title.clone()));
            }
        }
        match rows.last() {
            Some((id, ..)) if rows.len() as i64 == DAY_BATCH && named.len() < LISTINGS_NAMED => {
                after = id.0
            }
            _ => return Ok(named),
        }
    }
}

/// Everything in scope, summed.
pub fn sum(conn: &mut AnyConnection, scope: &Scope, with_uncounted: bool) -> QueryResult<Summing> {
    let mut summing = Summing::default();
    let split = split(scope.filter.from, scope.filter.to);
    if let Some(months) = &split.months {
        add_months(conn, scope, months, &mut summing)?;
    }
    for days in &split.days {
        add_days(conn, scope, *days, &mut summing)?;
    }
    if with_uncounted && scope.side == Side::Received {
        add_uncounted(conn, scope, &mut summing)?;
    }
    Ok(summing)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    fn months(low: Option<&str>, high: Option<&str>) -> Option<(Option<String>, Option<String>)> {
        Some((low.map(str::to_string), high.map(str::to_string)))
    }

    #[test]
    fn whole_months_come_from_the_sums_and_the_rest_from_records() {
        assert_eq!(
            split(None, None),
            Split {
                months: months(None, None),
                days: vec![]
            }
        );
        let quarter = split(Some(day(2026, 4, 1)), Some(day(2026, 6, 30)));
        assert_eq!(
            quarter,
            Split {
                months: months(Some("2026-04"), Some("2026-06")),
                days: vec![]
            }
        );
        let ragged = split(Some(day(2026, 3, 15)), Some(day(2026, 6, 10)));
        assert_eq!(
            ragged,
            Split {
                months: months(Some("2026-04"), Some("2026-05")),
                days: vec![
                    (day(2026, 3, 15), day(2026, 3, 31)),
                    (day(2026, 6, 1), day(2026, 6, 10))
                ],
            }
        );
        let within = split(Some(day(2026, 3, 1)), Some(day(2026, 3, 10)));
        assert_eq!(
            within,
            Split {
                months: None,
                days: vec![(day(2026, 3, 1), day(2026, 3, 10))]
            }
        );
        let inside = split(Some(day(2026, 3, 5)), Some(day(2026, 3, 10)));
        assert_eq!(
            inside,
            Split {
                months: None,
                days: vec![(day(2026, 3, 5), day(2026, 3, 10))]
            }
        );
        let next = split(Some(day(2026, 3, 5)), Some(day(2026, 4, 10)));
        assert_eq!(
            next,
            Split {
                months: None,
                days: vec![
                    (day(2026, 3, 5), day(2026, 3, 31)),
                    (day(2026, 4, 1), day(2026, 4, 10))
                ],
            }
        );
        assert_eq!(
            split(Some(day(2026, 3, 5)), None),
            Split {
                months: months(Some("2026-04"), None),
                days: vec![(day(2026, 3, 5), day(2026, 3, 31))]
            }
        );
        assert_eq!(
            split(None, Some(day(2026, 2, 28))),
            Split {
                months: months(None, Some("2026-02")),
                days: vec![]
            }
        );
    }
}
