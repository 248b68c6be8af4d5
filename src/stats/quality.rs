//! Handovers that count 0 kg CO2e because something is missing: the category had no
//! factor, or its factor is per kg and neither the listing nor the category gave a weight.
//! (An answer "no, we would not have bought new" also counts 0 kg, rightly: that is not
//! flagged.) The dashboard lists them with where to fix them; the exports' method sheet too.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::ids::{CategoryId, ItemId};
use crate::ledger::{FactorKind, Grams};

/// Why a handover counts 0 kg.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Missing {
    /// The category had no factor: set one on its page.
    Factor,
    /// The factor is per kg and no weight was known: weigh the listing, or give the
    /// category a typical weight.
    Weight,
}

impl Missing {
    pub fn as_str(self) -> &'static str {
        match self {
            Missing::Factor => "factor",
            Missing::Weight => "weight",
        }
    }
}

/// What a record says about its figures, for [`Missing::of`].
pub struct Facts<'a> {
    pub is_reversal: bool,
    pub co2e_grams: Grams,
    pub factor_kind: FactorKind,
    pub weight_kg: Option<f64>,
    pub category_id: CategoryId,
    pub category_name: &'a str,
    pub item_id: ItemId,
    pub item_title: &'a str,
}

impl Missing {
    /// What is missing for a record counted as 0 kg, if anything.
    pub fn of(facts: &Facts<'_>) -> Option<Missing> {
        if facts.co2e_grams != Grams(0) {
            return None;
        }
        match facts.factor_kind {
            FactorKind::None => Some(Missing::Factor),
            FactorKind::PerKg if facts.weight_kg.is_none() => Some(Missing::Weight),
            _ => None,
        }
    }
}

/// Listings named per category, at most: enough to start fixing.
pub const LISTINGS_NAMED: usize = 5;

/// One category's handovers counted 0 kg for one reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Uncounted {
    pub category_id: CategoryId,
    pub category_name: String,
    pub missing: Missing,
    pub handovers: i64,
    /// Some of the listings to weigh (for a missing weight).
    pub listings: Vec<(ItemId, String)>,
}

/// Collects [`Uncounted`] record by record.
#[derive(Debug, Default)]
pub struct Collecting {
    groups: BTreeMap<(CategoryId, Missing), Uncounted>,
}

impl Collecting {
    /// A whole group, counted elsewhere (see `stats::monthly`).
    pub fn add_counted(&mut self, group: Uncounted) {
        self.groups
            .insert((group.category_id, group.missing), group);
    }

    pub fn add(&mut self, facts: &Facts<'_>) {
        let Some(missing) = Missing::of(facts) else {
            return;
        };
        let group = self
            .groups
            .entry((facts.category_id, missing))
            .or_insert_with(|| Uncounted {
                category_id: facts.category_id,
                category_name: facts.category_name.to_string(),
                missing,
                handovers: 0,
                listings: Vec::new(),
            });
        // A reversal takes its handover away again.
        group.handovers += if facts.is_reversal { -1 } else { 1 };
        let named = group.listings.iter().any(|(id, _)| *id == facts.item_id);
        if missing == Missing::Weight
            && !facts.is_reversal
            && !named
            && group.listings.len() < LISTINGS_NAMED
        {
            group
                .listings
                .push((facts.item_id, facts.item_title.to_string()));
        }
    }

    /// The groups with handovers left, most first.
    pub fn finish(self) -> Vec<Uncounted> {
        let mut list: Vec<Uncounted> = self
            .groups
            .into_values()
            .filter(|g| g.handovers > 0)
            .collect();
        list.sort_by(|a, b| {
            b.handovers
                .cmp(&a.handovers)
                .then_with(|| a.category_name.cmp(&b.category_name))
        });
        list
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(kind: FactorKind, weight: Option<f64>, grams: i64, item: i64) -> Facts<'static> {
        Facts {
            is_reversal: false,
            co2e_grams: Grams(grams),
            factor_kind: kind,
            weight_kg: weight,
            category_id: CategoryId(9),
            category_name: "Små elapparater",
            item_id: ItemId(item),
            item_title: "Vattenkokare",
        }
    }

    #[test]
    fn only_missing_figures_are_flagged() {
        assert_eq!(
            Missing::of(&facts(FactorKind::None, None, 0, 1)),
            Some(Missing::Factor)
        );
        assert_eq!(
            Missing::of(&facts(FactorKind::PerKg, None, 0, 1)),
            Some(Missing::Weight)
        );
        // Weighed, or answered "no": zero for a reason, not for a gap.
        assert_eq!(
            Missing::of(&facts(FactorKind::PerKg, Some(2.0), 0, 1)),
            None
        );
        assert_eq!(Missing::of(&facts(FactorKind::PerItem, None, 0, 1)), None);
        assert_eq!(Missing::of(&facts(FactorKind::PerKg, None, 500, 1)), None);
    }

    #[test]
    fn groups_count_handovers_name_listings_and_drop_reversed_ones() {
        let mut collecting = Collecting::default();
        for item in [1, 1, 2] {
            collecting.add(&facts(FactorKind::PerKg, None, 0, item));
        }
        let mut reversal = facts(FactorKind::PerKg, None, 0, 1);
        reversal.is_reversal = true;
        collecting.add(&reversal);
        let mut other = facts(FactorKind::None, None, 0, 3);
        other.is_reversal = true;
        collecting.add(&other);
        let list = collecting.finish();
        assert_eq!(list.len(), 1, "the factor group was only a reversal");
        assert_eq!(list[0].handovers, 2);
        assert_eq!(list[0].missing, Missing::Weight);
        assert_eq!(
            list[0].listings,
            [
                (ItemId(1), "Vattenkokare".to_string()),
                (ItemId(2), "Vattenkokare".to_string())
            ]
        );
    }
}
