//! Bruka: an internal reuse marketplace for municipalities and other public bodies.

pub mod categories;
pub mod config;
pub mod db;
pub mod i18n;
pub mod organisations;
pub mod startup;
pub mod telemetry;
pub mod web;
