//! Integration tests: each starts the real server on a random port and talks HTTP to it,
//! on SQLite and (when BRUKA_TEST_POSTGRES_URL is set) on PostgreSQL.

mod helpers;
mod smtp;

mod admin;
mod alerts;
mod assets;
mod browser;
mod cli;
mod conversations;
mod database;
mod deliveries;
mod directory;
mod ending;
mod errors;
mod expiry;
mod factors;
mod flexible;
mod health;
mod items;
mod json_api;
mod language;
mod ledger_chain;
mod mail_outbox;
mod networks;
mod parallel;
mod photo_store;
mod posting;
mod purchases;
mod recipients;
mod relevance;
mod repairs;
mod reservations;
mod sign_in;
mod sign_in_code;
mod start_page;
mod stats;
mod stores;
