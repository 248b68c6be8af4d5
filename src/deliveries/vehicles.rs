//! Per-km emission factors for the vehicles a store's runs use. Each is fuel (or grid)
//! emissions per unit times a typical consumption; the fuel and electricity factors are the
//! UK government's (DESNZ 2024, as the Energy Saving Trust's fleet toolkit lists them:
//! diesel 2.51 kg CO2e/l, petrol 2.10 kg CO2e/l, electricity 0.212 kg CO2e/kWh). The UK grid
//! is dirtier than the Nordic ones, so electric figures err on the side of a larger
//! deduction, the conservative side for a saving. Consumptions are estimates: a store with
//! its vehicle's real figure should use it once the table is editable.

use serde::Serialize;

/// The version written into every ledger row that used this table.
pub const VERSION: &str = "2026-12";

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Vehicle {
    /// Stored on the run; the UI's name is `vehicle-<key>`.
    pub key: &'static str,
    pub kg_co2e_per_km: f64,
    pub source: &'static str,
}

pub const VEHICLES: [Vehicle; 4] = [
    Vehicle {
        key: "diesel_van",
        // 2.51 kg/l × 9 l/100 km
        kg_co2e_per_km: 0.226,
        source: "DESNZ 2024 diesel 2.51 kg CO2e/l × 9 l/100 km (light van, estimate)",
    },
    Vehicle {
        key: "electric_van",
        // 0.212 kg/kWh × 25 kWh/100 km
        kg_co2e_per_km: 0.053,
        source: "DESNZ 2024 electricity 0.212 kg CO2e/kWh × 25 kWh/100 km (electric van, estimate)",
    },
    Vehicle {
        key: "petrol_car",
        // 2.10 kg/l × 7 l/100 km
        kg_co2e_per_km: 0.147,
        source: "DESNZ 2024 petrol 2.10 kg CO2e/l × 7 l/100 km (car with trailer space, estimate)",
    },
    Vehicle {
        key: "cargo_bike",
        // 0.212 kg/kWh × 2 kWh/100 km
        kg_co2e_per_km: 0.004,
        source: "DESNZ 2024 electricity 0.212 kg CO2e/kWh × 2 kWh/100 km (electric cargo bike, estimate)",
    },
];

pub fn find(key: &str) -> Option<Vehicle> {
    VEHICLES.iter().copied().find(|vehicle| vehicle.key == key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_factor_is_its_fuel_factor_times_its_consumption() {
        let expected = [
            ("diesel_van", 2.51 * 0.09),
            ("electric_van", 0.212 * 0.25),
            ("petrol_car", 2.10 * 0.07),
            ("cargo_bike", 0.212 * 0.02),
        ];
        for (key, kg) in expected {
            let vehicle = find(key).expect("in the table");
            assert!((vehicle.kg_co2e_per_km - kg).abs() < 0.001, "{key}");
        }
        assert!(find("rocket").is_none());
    }
}
