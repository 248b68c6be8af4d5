//! Amounts the ledger keeps exactly, as whole numbers with their unit in the type: grams
//! (of CO2e or material) and öre. Conversions to kg and kronor for people happen here only.

use std::iter::Sum;
use std::ops::{Add, AddAssign, Neg};

crate::int_newtype! {
    /// Whole grams.
    pub struct Grams;
}

crate::int_newtype! {
    /// Whole öre (hundredths of a krona).
    pub struct Ore;
}

impl Grams {
    pub fn kg(self) -> f64 {
        self.0 as f64 / 1000.0
    }
}

impl Ore {
    pub fn kronor(self) -> f64 {
        self.0 as f64 / 100.0
    }
}

macro_rules! arithmetic {
    ($name:ident) => {
        impl Add for $name {
            type Output = $name;
            fn add(self, other: $name) -> $name {
                $name(self.0 + other.0)
            }
        }

        impl AddAssign for $name {
            fn add_assign(&mut self, other: $name) {
                self.0 += other.0;
            }
        }

        impl Neg for $name {
            type Output = $name;
            fn neg(self) -> $name {
                $name(-self.0)
            }
        }

        impl Sum for $name {
            fn sum<I: Iterator<Item = $name>>(iter: I) -> $name {
                $name(iter.map(|amount| amount.0).sum())
            }
        }
    };
}

arithmetic!(Grams);
arithmetic!(Ore);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_convert_for_people_and_add_up_exactly() {
        assert_eq!(Grams(216_500).kg(), 216.5);
        assert_eq!(Ore(1_260_050).kronor(), 12_600.5);
        let mut total = Grams(1);
        total += Grams(2);
        assert_eq!(total + -Grams(3), Grams(0));
        assert_eq!([Ore(5), Ore(7)].into_iter().sum::<Ore>(), Ore(12));
    }
}
