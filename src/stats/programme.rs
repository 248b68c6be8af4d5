//! The reuse programme's own figures, beside the ledger's savings: how the organisation's
//! listings ended (units reused inside, by a network partner, marked for recycling, or left
//! unclaimed, or given to an approved recipient outside it), how many days a listing took
//! to be reused, each store's stock and throughput, its deliveries and the repairs and
//! their cost. Counted per unit of quantity, over the dashboard's period.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use crate::db::AnyConnection;
use crate::db::schema::{deliveries, items, repairs, reuse_records, store_handins, units};
use crate::deliveries::DeliveryStatus;
use crate::i18n::local_day_start;
use crate::ids::{OrganisationId, UnitId};
use crate::items::Status;
use crate::items::ending::EndStep;
use crate::repairs::RepairStatus;
use crate::stores::{self, handin::HandInStatus};

/// Units of the organisation's listings by how they left, in the period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Ends {
    /// Picked up by the organisation's own units.
    pub reused_inside: i64,
    /// Picked up by a network partner.
    pub reused_in_network: i64,
    /// Handed to an approved recipient outside the organisation (no saving of its own).
    pub given_outside: i64,
    /// Still there when the last end-of-listing step marked them for recycling.
    pub recycled: i64,
    /// Still there when the listing ended without a step taking them.
    pub unclaimed: i64,
}

impl Ends {
    pub fn total(&self) -> i64 {
        self.reused_inside
            + self.reused_in_network
            + self.given_outside
            + self.recycled
            + self.unclaimed
    }

    /// Each part in per cent of the whole, rounded; zeros when nothing ended.
    pub fn shares(&self) -> [i64; 5] {
        let total = self.total();
        let share = |part: i64| {
            if total == 0 {
                0
            } else {
                (part * 100 + total / 2) / total
            }
        };
        [
            share(self.reused_inside),
            share(self.reused_in_network),
            share(self.given_outside),
            share(self.recycled),
            share(self.unclaimed),
        ]
    }
}

/// One store's stock now and what passed through it in the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoreFigures {
    pub id: UnitId,
    pub name: String,
    /// Store listings on offer (or fully reserved) now, and their units available.
    pub stock_listings: i64,
    pub stock_units: i64,
    /// Listings put on its shelves in the period.
    pub taken_in: i64,
    /// Units picked up from it in the period.
    pub handed_out: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Programme {
    pub ends: Ends,
    /// The median of days from listing to pickup, over the period's handovers.
    pub median_days_to_reuse: Option<i64>,
    pub stores: Vec<StoreFigures>,
    /// Repairs finished in the period and what they cost (taken off the money saved).
    pub repairs_done: i64,
    pub repair_costs_ore: i64,
    /// Stops delivered from the stores in the period.
    pub deliveries: i64,
}

/// The half-open range of UTC times the period's local days cover; an open end is a date
/// both databases compare as a plain timestamp (SQLite compares them as text).
fn bounds(from: Option<NaiveDate>, to: Option<NaiveDate>) -> (NaiveDateTime, NaiveDateTime) {
    let far = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
    let start = local_day_start(from.unwrap_or_else(|| far(1970, 1, 1)));
    let end = local_day_start(
        to.and_then(|to| to.succ_opt())
            .unwrap_or_else(|| far(9999, 12, 31)),
    );
    (start, end)
}

/// The median of whole days, the lower middle of an even count.
pub fn median_days(mut days: Vec<i64>) -> Option<i64> {
    if days.is_empty() {
        return None;
    }
    days.sort_unstable();
    Some(days[(days.len() - 1) / 2])
}

pub fn figures(
    conn: &mut AnyConnection,
    organisation: OrganisationId,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> QueryResult<Programme> {
    let (start, end) = bounds(from, to);
    // Handovers of the organisation's listings (reversals and reversed rows left out).
    let reversed: Vec<i64> = reuse_records::table
        .filter(reuse_records::giving_organisation_id.eq(organisation))
        .filter(reuse_records::reverses_id.is_not_null())
        .select(reuse_records::reverses_id.assume_not_null())
        .load(conn)?;
    let handovers: Vec<(i64, OrganisationId, i32, NaiveDateTime, NaiveDateTime)> =
        reuse_records::table
            .inner_join(items::table.on(items::id.eq(reuse_records::item_id)))
            .filter(reuse_records::giving_organisation_id.eq(organisation))
            .filter(reuse_records::reverses_id.is_null())
            .filter(reuse_records::recorded_at.ge(start))
            .filter(reuse_records::recorded_at.lt(end))
            .select((
                reuse_records::id,
                reuse_records::receiving_organisation_id,
                reuse_records::quantity,
                reuse_records::recorded_at,
                items::created_at,
            ))
            .load(conn)?;
    let mut ends = Ends::default();
    let mut days = Vec::with_capacity(handovers.len());
    for (id, receiver, quantity, recorded_at, listed_at) in handovers {
        if reversed.contains(&id) {
            continue;
        }
        if receiver == organisation {
            ends.reused_inside += i64::from(quantity);
        } else {
            ends.reused_in_network += i64::from(quantity);
        }
        // Records imported from before a listing was entered cannot have taken less than
        // nothing.
        days.push((recorded_at - listed_at).num_days().max(0));
    }
    // Listings that ended in the period with units left, by whether a step ended them.
    let ended: Vec<(Option<EndStep>, i32)> = items::table
        .filter(items::organisation_id.eq(organisation))
        .filter(items::status.eq(Status::Expired))
        .filter(items::updated_at.ge(start))
        .filter(items::updated_at.lt(end))
        .select((items::ended_as, items::quantity_available))
        .load(conn)?;
    for (ended_as, left) in ended {
        match ended_as {
            Some(EndStep::Recycle) => ends.recycled += i64::from(left),
            _ => ends.unclaimed += i64::from(left),
        }
    }
    let mut store_figures = Vec::new();
    for store in stores::stores_of(conn, organisation)? {
        let (stock_listings, stock_units): (i64, Option<i64>) = items::table
            .filter(items::store_unit_id.eq(store.id))
            .filter(items::status.eq_any([Status::Available, Status::Reserved]))
            .select((
                diesel::dsl::count(items::id),
                diesel::dsl::sum(items::quantity_available),
            ))
            .first(conn)?;
        let taken_in: i64 = store_handins::table
            .filter(store_handins::store_unit_id.eq(store.id))
            .filter(store_handins::status.eq(HandInStatus::Received))
            .filter(store_handins::received_at.ge(start))
            .filter(store_handins::received_at.lt(end))
            .count()
            .get_result(conn)?;
        let handed_out: Option<i64> = reuse_records::table
            .filter(reuse_records::from_unit_id.eq(store.id))
            .filter(reuse_records::reverses_id.is_null())
            .filter(reuse_records::recorded_at.ge(start))
            .filter(reuse_records::recorded_at.lt(end))
            .select(diesel::dsl::sum(reuse_records::quantity))
            .first(conn)?;
        store_figures.push(StoreFigures {
            id: store.id,
            name: store.name,
            stock_listings,
            stock_units: stock_units.unwrap_or(0),
            taken_in,
            handed_out: handed_out.unwrap_or(0),
        });
    }
    ends.given_outside = crate::recipients::given(conn, organisation, start, end)?.units;
    // Summed here: a sum of BIGINT is NUMERIC on PostgreSQL, which diesel's MultiBackend
    // does not read.
    let costs: Vec<Option<i64>> = repairs::table
        .filter(repairs::organisation_id.eq(organisation))
        .filter(repairs::status.eq(RepairStatus::Done))
        .filter(repairs::finished_at.ge(start))
        .filter(repairs::finished_at.lt(end))
        .select(repairs::cost_ore)
        .load(conn)?;
    let repairs_done = costs.len() as i64;
    let repair_costs: i64 = costs.into_iter().flatten().sum();
    let deliveries: i64 = deliveries::table
        .inner_join(units::table.on(units::id.eq(deliveries::store_unit_id)))
        .filter(units::organisation_id.eq(organisation))
        .filter(deliveries::status.eq(DeliveryStatus::Delivered))
        .filter(deliveries::delivered_at.ge(start))
        .filter(deliveries::delivered_at.lt(end))
        .count()
        .get_result(conn)?;
    Ok(Programme {
        ends,
        median_days_to_reuse: median_days(days),
        stores: store_figures,
        repairs_done,
        repair_costs_ore: repair_costs,
        deliveries,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_add_up_to_about_a_hundred_and_nothing_is_zero() {
        let ends = Ends {
            reused_inside: 6,
            reused_in_network: 1,
            given_outside: 1,
            recycled: 1,
            unclaimed: 1,
        };
        assert_eq!(ends.shares(), [60, 10, 10, 10, 10]);
        assert_eq!(Ends::default().shares(), [0, 0, 0, 0, 0]);
        let thirds = Ends {
            reused_inside: 1,
            reused_in_network: 1,
            given_outside: 0,
            recycled: 1,
            unclaimed: 0,
        };
        assert_eq!(thirds.shares(), [33, 33, 0, 33, 0]);
    }

    #[test]
    fn the_median_is_the_middle_day() {
        assert_eq!(median_days(vec![]), None);
        assert_eq!(median_days(vec![5]), Some(5));
        assert_eq!(median_days(vec![9, 1, 4]), Some(4));
        assert_eq!(median_days(vec![9, 1, 4, 2]), Some(2), "the lower middle");
    }
}
