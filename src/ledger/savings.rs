//! The savings method (DESIGN.md): avoided = D × (EF_new − refurbishment − transport) per
//! item, production and distribution only; money saved = D × new price. Pure arithmetic,
//! so every figure in the ledger can be recomputed from the snapshot stored beside it.

use serde::Serialize;

use super::amounts::{Grams, Ore};
use crate::categories::Factor;

crate::text_enum! {
    /// The requester's answer to "would you otherwise have bought this new?".
    pub enum WouldBuyNew ("answer to \"would you otherwise buy new?\"") {
        Yes = "yes",
        Unsure = "unsure",
        No = "no",
    }
}

/// An organisation's method settings: how much each answer counts as an avoided purchase,
/// and what is deducted per item for refurbishment and transport.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Method {
    pub displacement_yes: f64,
    pub displacement_unsure: f64,
    pub displacement_no: f64,
    pub refurbishment_kg_co2e: f64,
    pub transport_kg_co2e: f64,
}

impl Default for Method {
    fn default() -> Self {
        Self {
            displacement_yes: 1.0,
            displacement_unsure: 0.5,
            displacement_no: 0.0,
            refurbishment_kg_co2e: 0.0,
            transport_kg_co2e: 0.0,
        }
    }
}

/// Deductions above this (kg CO2e per item) are surely a typing mistake.
pub const MAX_DEDUCTION_KG: f64 = 10_000.0;

impl Method {
    /// Displacements are shares (0 to 1); deductions are not negative.
    pub fn is_valid(&self) -> bool {
        let share = |d: f64| (0.0..=1.0).contains(&d);
        let deduction = |d: f64| (0.0..=MAX_DEDUCTION_KG).contains(&d);
        share(self.displacement_yes)
            && share(self.displacement_unsure)
            && share(self.displacement_no)
            && deduction(self.refurbishment_kg_co2e)
            && deduction(self.transport_kg_co2e)
    }

    pub fn displacement(&self, answer: WouldBuyNew) -> f64 {
        match answer {
            WouldBuyNew::Yes => self.displacement_yes,
            WouldBuyNew::Unsure => self.displacement_unsure,
            WouldBuyNew::No => self.displacement_no,
        }
    }
}

/// What is known about one handover.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Handover {
    pub quantity: i32,
    pub factor: Option<Factor>,
    /// The listing's weight per item, if given.
    pub weight_kg: Option<f64>,
    /// The listing's new price per item, else the category's estimate.
    pub new_price_sek: Option<f64>,
    pub answer: WouldBuyNew,
}

/// The figures a ledger row stores, in whole grams and öre.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Savings {
    pub co2e_grams: Grams,
    pub money_saved_ore: Ore,
    pub material_grams: Grams,
}

/// The factor actually applied and the weight it was applied to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Applied {
    pub displacement: f64,
    /// kg CO2e for one new item, before deductions.
    pub kg_co2e_new_per_item: Option<f64>,
    /// The weight used: the listing's, else the category's typical weight.
    pub weight_kg: Option<f64>,
    pub weight_is_typical: bool,
}

/// Rounds half away from zero to a whole number of the smallest unit.
fn to_whole(value: f64, per_unit: f64) -> i64 {
    let scaled = (value * per_unit).round();
    // Figures are far below i64's range; a NaN from bad input counts as nothing.
    if scaled.is_finite() { scaled as i64 } else { 0 }
}

pub fn applied(handover: &Handover, method: &Method) -> Applied {
    let typical = match handover.factor {
        Some(Factor::PerKg {
            typical_weight_kg, ..
        }) => typical_weight_kg,
        _ => None,
    };
    let (weight_kg, weight_is_typical) = match (handover.weight_kg, typical) {
        (Some(weight), _) => (Some(weight), false),
        (None, Some(weight)) => (Some(weight), true),
        (None, None) => (None, false),
    };
    let kg_co2e_new_per_item = match handover.factor {
        Some(Factor::PerItem { kg_co2e }) => Some(kg_co2e),
        Some(Factor::PerKg { kg_co2e_per_kg, .. }) => weight_kg.map(|w| kg_co2e_per_kg * w),
        None => None,
    };
    Applied {
        displacement: method.displacement(handover.answer),
        kg_co2e_new_per_item,
        weight_kg,
        weight_is_typical,
    }
}

pub fn compute(handover: &Handover, method: &Method) -> Savings {
    let applied = applied(handover, method);
    let quantity = f64::from(handover.quantity.max(0));
    // Deductions can only shrink the saving to nothing, never turn reuse into a cost.
    let net_per_item = applied.kg_co2e_new_per_item.map_or(0.0, |new| {
        (new - method.refurbishment_kg_co2e - method.transport_kg_co2e).max(0.0)
    });
    let co2e_kg = applied.displacement * net_per_item * quantity;
    let money_sek = applied.displacement * handover.new_price_sek.unwrap_or(0.0) * quantity;
    // Material is kept in use whatever the requester would otherwise have done.
    let material_kg = applied.weight_kg.unwrap_or(0.0) * quantity;
    Savings {
        co2e_grams: Grams(to_whole(co2e_kg, 1000.0)),
        money_saved_ore: Ore(to_whole(money_sek, 100.0)),
        material_grams: Grams(to_whole(material_kg, 1000.0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chair(answer: WouldBuyNew) -> Handover {
        Handover {
            quantity: 3,
            factor: Some(Factor::PerItem { kg_co2e: 72.0 }),
            weight_kg: Some(14.5),
            new_price_sek: Some(4200.0),
            answer,
        }
    }

    #[test]
    fn per_item_factor_times_quantity() {
        let savings = compute(&chair(WouldBuyNew::Yes), &Method::default());
        assert_eq!(savings.co2e_grams, Grams(216_000));
        assert_eq!(savings.money_saved_ore, Ore(1_260_000));
        assert_eq!(savings.material_grams, Grams(43_500));
    }

    #[test]
    fn displacement_scales_co2e_and_money_but_not_material() {
        let method = Method::default();
        let unsure = compute(&chair(WouldBuyNew::Unsure), &method);
        assert_eq!(unsure.co2e_grams, Grams(108_000));
        assert_eq!(unsure.money_saved_ore, Ore(630_000));
        assert_eq!(unsure.material_grams, Grams(43_500));
        let no = compute(&chair(WouldBuyNew::No), &method);
        assert_eq!((no.co2e_grams, no.money_saved_ore), (Grams(0), Ore(0)));
        assert_eq!(no.material_grams, Grams(43_500));
        let custom = Method {
            displacement_unsure: 0.3,
            ..method
        };
        assert_eq!(
            compute(&chair(WouldBuyNew::Unsure), &custom).co2e_grams,
            Grams(64_800)
        );
    }

    #[test]
    fn per_kg_factor_uses_listing_weight_else_typical_weight() {
        let mut handover = Handover {
            quantity: 2,
            factor: Some(Factor::PerKg {
                kg_co2e_per_kg: 2.5,
                typical_weight_kg: Some(30.0),
            }),
            weight_kg: Some(12.0),
            new_price_sek: None,
            answer: WouldBuyNew::Yes,
        };
        let method = Method::default();
        assert_eq!(compute(&handover, &method).co2e_grams, Grams(60_000));
        assert!(!applied(&handover, &method).weight_is_typical);
        handover.weight_kg = None;
        assert_eq!(compute(&handover, &method).co2e_grams, Grams(150_000));
        assert_eq!(compute(&handover, &method).material_grams, Grams(60_000));
        assert!(applied(&handover, &method).weight_is_typical);
        assert_eq!(compute(&handover, &method).money_saved_ore, Ore(0));
    }

    #[test]
    fn per_kg_factor_without_any_weight_counts_nothing() {
        let handover = Handover {
            quantity: 1,
            factor: Some(Factor::PerKg {
                kg_co2e_per_kg: 2.5,
                typical_weight_kg: None,
            }),
            weight_kg: None,
            new_price_sek: Some(100.0),
            answer: WouldBuyNew::Yes,
        };
        let savings = compute(&handover, &Method::default());
        assert_eq!(savings.co2e_grams, Grams(0));
        assert_eq!(savings.material_grams, Grams(0));
        assert_eq!(savings.money_saved_ore, Ore(10_000));
    }

    #[test]
    fn deductions_reduce_each_item_but_never_below_zero() {
        let method = Method {
            refurbishment_kg_co2e: 10.0,
            transport_kg_co2e: 2.0,
            ..Method::default()
        };
        // (72 − 10 − 2) × 3
        assert_eq!(
            compute(&chair(WouldBuyNew::Yes), &method).co2e_grams,
            Grams(180_000)
        );
        let heavy = Method {
            refurbishment_kg_co2e: 100.0,
            ..Method::default()
        };
        assert_eq!(
            compute(&chair(WouldBuyNew::Yes), &heavy).co2e_grams,
            Grams(0)
        );
    }

    #[test]
    fn rounds_half_away_from_zero_to_grams_and_ore() {
        let handover = Handover {
            quantity: 1,
            factor: Some(Factor::PerItem { kg_co2e: 0.0125 }),
            weight_kg: Some(0.0005),
            new_price_sek: Some(0.125),
            answer: WouldBuyNew::Yes,
        };
        let savings = compute(&handover, &Method::default());
        assert_eq!(savings.co2e_grams, Grams(13));
        assert_eq!(savings.money_saved_ore, Ore(13));
        assert_eq!(savings.material_grams, Grams(1));
        let unsure = Handover {
            factor: Some(Factor::PerItem { kg_co2e: 0.005 }),
            answer: WouldBuyNew::Unsure,
            ..handover
        };
        // 0.5 × 0.005 kg = 2.5 g → 3 g
        assert_eq!(compute(&unsure, &Method::default()).co2e_grams, Grams(3));
    }

    #[test]
    fn method_settings_are_shares_and_non_negative_deductions() {
        assert!(Method::default().is_valid());
        for bad in [
            Method {
                displacement_yes: 1.2,
                ..Method::default()
            },
            Method {
                displacement_no: -0.1,
                ..Method::default()
            },
            Method {
                transport_kg_co2e: -1.0,
                ..Method::default()
            },
            Method {
                refurbishment_kg_co2e: f64::NAN,
                ..Method::default()
            },
        ] {
            assert!(!bad.is_valid(), "{bad:?}");
        }
    }

    #[test]
    fn no_factor_means_no_co2e_but_money_and_material_count() {
        let handover = Handover {
            factor: None,
            ..chair(WouldBuyNew::Yes)
        };
        let savings = compute(&handover, &Method::default());
        assert_eq!(savings.co2e_grams, Grams(0));
        assert_eq!(savings.money_saved_ore, Ore(1_260_000));
        assert_eq!(savings.material_grams, Grams(43_500));
    }
}
