//! Bruka: an internal reuse marketplace for municipalities and other public bodies.

pub mod access;
pub mod accounts;
pub mod alerts;
pub mod app;
pub mod audit;
pub mod backup;
pub mod bootstrap;
pub mod categories;
pub mod config;
pub mod db;
pub mod demo;
pub mod events;
pub mod i18n;
pub mod ids;
pub mod items;
pub mod ledger;
pub mod mail;
pub mod organisations;
pub mod photos;
pub mod refusal;
pub mod reservations;
pub mod secret;
pub mod startup;
pub mod stats;
pub mod telemetry;
pub mod web;
